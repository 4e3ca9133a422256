//! pprof profiles from producers other than Go (testdata/go/producers/: gperftools, jemalloc,
//! Node's `@datadog/pprof`, Python's pypprof): `analyze` gives no Go advice for them — no
//! goroutine-leak pattern, no "give every goroutine a way to end", no GOGC / GOMEMLIMIT, no
//! MemStats — because the profile does not show Go (`DumpFacts::runtime`).

use super::util::{heapscope, root, stderr, stdout};

const NOT_GO: &[&str] = &["gperftools", "jemalloc", "node", "python"];

/// Words only Go advice uses (case-insensitive).
const GO_WORDS: &[&str] = &[
    "goroutine",
    "gogc",
    "gomemlimit",
    "memstats",
    "setgcpercent",
    "freeosmemory",
    "ctx.done",
];

/// Every profile of the non-Go producers' folders that `analyze` reads.
fn non_go_profiles() -> Vec<String> {
    let mut out = Vec::new();
    for p in NOT_GO {
        let dir = root().join("testdata/go/producers").join(p);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".heap") || f.ends_with(".pb.gz"))
            .map(|f| format!("testdata/go/producers/{p}/{f}"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

#[test]
fn no_go_advice_for_profiles_that_are_not_go() {
    let mut analysed = 0;
    let mut bad = Vec::new();
    for f in non_go_profiles() {
        for format in ["text", "json"] {
            let o = heapscope(["analyze", "-q", "--format", format, &f]);
            match o.status.code() {
                Some(0) | Some(1) => {}
                Some(2) => {
                    // jemalloc's own heap_v2 dump: not read yet, and the error says which form.
                    let e = stderr(&o);
                    assert!(e.contains("jemalloc"), "{f}: rejected: {e}");
                    continue;
                }
                c => panic!("{f}: exit {c:?}\n{}", stderr(&o)),
            }
            let text = stdout(&o).to_lowercase();
            for w in GO_WORDS {
                if text.contains(w) {
                    let line = text.lines().find(|l| l.contains(w)).unwrap_or("");
                    bad.push(format!("{f} ({format}): {w:?} in {line:?}"));
                }
            }
            if format == "json" {
                let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
                for s in v["suspects"].as_array().into_iter().flatten() {
                    assert_ne!(s["pattern"], "goroutine-leak", "{f}: {s}");
                }
            }
            analysed += 1;
        }
    }
    assert!(
        bad.is_empty(),
        "Go advice for non-Go profiles:\n{}",
        bad.join("\n")
    );
    // gperftools 6 + jemalloc_pprof 1 + node 3 + python 1, text and JSON.
    assert!(analysed >= 22, "only {analysed} analyses");
}
