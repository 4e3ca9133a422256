//! ARCHITECTURE.md's format invariant, enforced: nothing outside `parsers` knows a file format.
//! Reports and the CLI decide from the typed `DumpFacts` a parser fills, so a new format works
//! everywhere without touching them. This test reads their sources and fails on a format's name
//! used as a value, on a read of the display-only `details`, or on a comparison of the format's
//! display name.

use std::path::{Path, PathBuf};

/// What would mean "this code knows a format".
const FORBIDDEN: &[&str] = &[
    "\"hprof\"",
    "\"v8\"",
    "\"v8-heapsnapshot\"",
    "\"pprof\"",
    "\"tracemalloc\"",
    "heapscope_graph::Format",
    "details.get(",
    "details[",
    "format_name ==",
    "format_name !=",
    ".format ==",
    ".format !=",
    "format.as_str()",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_format_names_outside_parsers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["reports/src", "cli/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "found only {} source files", files.len());
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            // Doc examples build facts for a named format, as a parser would; prose may name tools.
            if code.starts_with("//") {
                continue;
            }
            for pat in FORBIDDEN {
                if code.contains(pat) {
                    hits.push(format!("{}:{}: {pat}: {}", f.display(), i + 1, code));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "format knowledge outside parsers (decide from DumpFacts instead):\n{}",
        hits.join("\n")
    );
}
