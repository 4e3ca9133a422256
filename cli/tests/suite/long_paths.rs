//! A suspect's path thousands of steps long (a deep recursion, a long linked list) is drawn by the
//! views as its head and tail with the left-out middle counted, while the JSON keeps every step.
//! The input is a real CPython tracemalloc snapshot of a 120-deep recursion
//! (benches/scripts/breadth8/make_tm.py), made by the installed CPython.

use std::process::Command;

use serde_json::Value;

use super::util::{heapscope, root, stdout, tempdir};

/// Step lines of the first path block under "LEAK SUSPECTS" in the text view, and the number a
/// "… N steps left out …" line there gives.
fn text_path(text: &str) -> (Vec<&str>, Option<usize>) {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.ends_with("outermost frame first:"));
    lines.next().expect("the suspect's path label");
    let mut steps = Vec::new();
    let mut left = None;
    for l in lines {
        let t = l.trim_start();
        if let Some(n) = t
            .strip_prefix("… ")
            .and_then(|r| r.strip_suffix(" steps left out …"))
        {
            left = Some(n.parse().expect("a count of left-out steps"));
        } else if t.starts_with("[outermost frame]") || t.starts_with("└ ") {
            steps.push(t);
        } else {
            break;
        }
    }
    (steps, left)
}

#[test]
fn a_deep_path_is_drawn_as_head_and_tail_and_kept_whole_in_json() {
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

    let text = stdout(&heapscope(["analyze", "-q", f]));
    let (steps, left) = text_path(&text);
    let shown = steps.len();
    assert!(
        shown < ids.len(),
        "the text view shortens the path ({shown} steps drawn)"
    );
    assert_eq!(
        left,
        Some(ids.len() - shown),
        "the left-out middle is counted"
    );
    // The head and the tail are the JSON's first and last steps, in order.
    let head = shown / 2;
    let drawn: Vec<&str> = ids[..head]
        .iter()
        .chain(&ids[ids.len() - (shown - head)..])
        .copied()
        .collect();
    for (line, id) in steps.iter().zip(&drawn) {
        assert!(line.contains(id), "step {line:?} is {id}");
    }

    // Markdown may shorten further (its size budget), so each view's own count is read back.
    for format in ["markdown", "html"] {
        let out = stdout(&heapscope(["analyze", "-q", "--format", format, f]));
        let left: usize = out
            .split("… ")
            .find_map(|r| r.split(" steps left out …").next()?.parse().ok())
            .unwrap_or_else(|| panic!("{format}: a count of left-out steps"));
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
            // The step after the gap is numbered as the step it is (1-based).
            let head = drawn / 2;
            let value = format!("<li value=\"{}\">", head + left + 1);
            assert!(out.contains(&value), "html: {value} after the gap");
        }
    }
}
