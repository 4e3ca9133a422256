use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Run `heapscope ARGS` from the workspace root (fixture paths are relative to it).
pub fn heapscope<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("running heapscope")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `analyze --format json` of one fixture. Every format's parser has landed, so a fixture that
/// is rejected fails the test (the `Option` stays for the callers' shape).
pub fn analyze_json(fixture: &str, extra: &[&str]) -> Option<Value> {
    let mut args = vec!["analyze", "-q", "--format", "json", fixture];
    args.extend_from_slice(extra);
    let o = heapscope(&args);
    match o.status.code() {
        Some(0) | Some(1) => Some(
            serde_json::from_str(&stdout(&o))
                .unwrap_or_else(|e| panic!("{fixture}: not JSON: {e}")),
        ),
        Some(2) if !root().join(fixture).exists() => panic!("fixture {fixture} is missing"),
        Some(2) => panic!("{fixture}: rejected as bad input: {}", stderr(&o).trim()),
        c => panic!("{fixture}: exit {c:?}\n{}", stderr(&o)),
    }
}

pub fn tempdir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("heapscope-{tag}-"))
        .tempdir()
        .expect("temp dir")
}

/// `n` with a comma every three digits, as the reports print counts (written here, not taken
/// from the reports crate, so that tests check its formatting).
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
