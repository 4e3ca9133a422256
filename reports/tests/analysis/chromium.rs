//! Load an HTML page in headless Chromium and collect its console messages. Shared by the
//! reports and cli test binaries (the cli suite includes this file by path), std only.

use std::path::PathBuf;
use std::process::Command;

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Load the page in headless Chromium: the DOM it builds, and every console message (an
/// uncaught script error is one).
pub fn load_in_chromium(html: &str, tag: &str) -> Option<(String, Vec<String>)> {
    let Some(chromium) = find_chromium() else {
        eprintln!("SKIPPED: chromium is not installed (reports/ci-deps.sh installs it in CI); the HTML page was not loaded");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("heapscope-html-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.html");
    std::fs::write(&file, html).unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--timeout=20000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("running chromium");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    assert!(out.status.success(), "chromium failed: {stderr}");
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), console))
}
