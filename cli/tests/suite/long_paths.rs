//! A suspect's path thousands of steps long (a deep recursion, a long linked list) is drawn by the
//! views shortened — a run of alike steps as its first and last with the count between, a path
//! still too long as its head and tail with the left-out middle counted — while the JSON keeps
//! every step. The input is a real CPython tracemalloc snapshot of a 120-deep recursion
//! (benches/scripts/breadth8/make_tm.py), made by the installed CPython.

use std::process::Command;

use serde_json::Value;

use super::util::{heapscope, root, stdout, tempdir};

/// A drawn line of a path: a step, or a count of steps not drawn.
#[derive(Debug)]
enum Line<'a> {
    Step(&'a str),
    Gap(usize),
}

/// The count a "… N steps left out …" or "… the same step N more times: …" line gives.
fn gap_count(t: &str) -> Option<usize> {
    let r = t.strip_prefix("… ")?;
    let n = r
        .strip_suffix(" steps left out …")
        .or_else(|| r.strip_prefix("the same step")?.split(" more times").next())?;
    Some(n.trim().replace(',', "").parse().expect("a count of steps"))
}

/// The lines of the first path block under "LEAK SUSPECTS" in the text view.
fn text_path(text: &str) -> Vec<Line<'_>> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.ends_with("outermost frame first:"));
    lines.next().expect("the suspect's path label");
    let mut out = Vec::new();
    for l in lines {
        let t = l.trim_start();
        if let Some(n) = gap_count(t) {
            out.push(Line::Gap(n));
        } else if t.starts_with("[outermost frame]") || t.starts_with("└ ") {
            out.push(Line::Step(t));
        } else {
            break;
        }
    }
    out
}

/// Every count of steps not drawn in a Markdown or HTML page.
fn gaps(out: &str) -> Vec<usize> {
    out.split("… ")
        .skip(1)
        .filter_map(|r| gap_count(&format!("… {}", r.split(['<', '\n']).next().unwrap_or(r))))
        .collect()
}

#[test]
fn a_deep_path_is_drawn_shortened_and_kept_whole_in_json() {
    let dir = tempdir("long-paths");
    let snap = dir.path().join("deep.tracemalloc");
    let made = Command::new("python3")
        .arg(root().join("benches/scripts/breadth8/make_tm.py"))
        .arg(&snap)
        .args(["deep", "120", "1", "3000"])
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let f = snap.to_str().unwrap();

    let json: Value = serde_json::from_str(&stdout(&heapscope([
        "analyze", "-q", "--format", "json", f,
    ])))
    .expect("JSON report");
    let path = json["suspects"][0]["path_to_root"]
        .as_array()
        .expect("the first suspect's path");
    let ids: Vec<&str> = path.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(
        ids.len() > 120,
        "the JSON keeps the whole path: {} steps",
        ids.len()
    );

    // The text view: each drawn step is the JSON's next one, each count skips that many, and
    // together they are the whole path.
    let text = stdout(&heapscope(["analyze", "-q", f]));
    let lines = text_path(&text);
    let mut k = 0;
    let mut after_gap = None; // the first step drawn after a count (0-based)
    for (i, l) in lines.iter().enumerate() {
        match l {
            Line::Step(t) => {
                assert!(t.contains(ids[k]), "step {t:?} is {}", ids[k]);
                if i > 0 && matches!(lines[i - 1], Line::Gap(_)) && after_gap.is_none() {
                    after_gap = Some(k);
                }
                k += 1;
            }
            Line::Gap(n) => k += n,
        }
    }
    assert_eq!(k, ids.len(), "every step drawn or counted: {lines:?}");
    assert!(
        lines.len() < 10,
        "the text view shortens the recursion: {lines:?}"
    );

    for format in ["markdown", "html"] {
        let page = stdout(&heapscope(["analyze", "-q", "--format", format, f]));
        // The first suspect's path block (a page has one per suspect).
        let start = page
            .find("outermost frame first (")
            .unwrap_or_else(|| panic!("{format}: the first path"));
        let out = &page[start..start + page[start..].find("</details>").expect("its end")];
        let left: usize = gaps(out).iter().sum();
        assert!(
            left > 0 && left < ids.len(),
            "{format}: {left} of {} left out",
            ids.len()
        );
        let drawn = ids.iter().filter(|id| out.contains(**id)).count();
        assert_eq!(
            drawn + left,
            ids.len(),
            "{format}: every step drawn or counted"
        );
        assert!(
            out.contains(ids[0]) && out.contains(ids[ids.len() - 1]),
            "{format}: head and tail drawn"
        );
        assert!(
            !out.contains(ids[ids.len() / 2]),
            "{format}: the middle step is left out"
        );
        if format == "html" {
            // The step after a count is numbered as the step it is (1-based).
            let after = after_gap.expect("a step drawn after a count in the text view");
            let value = format!("<li value=\"{}\">", after + 1);
            assert!(out.contains(&value), "html: {value} after the gap");
        }
    }
}
