//! Inputs the fuzzers found (parsers/fuzz, cargo-afl): each committed under
//! `testdata/bad/<format>/<what_is_wrong>.bin` must end in a `ParseError` or parse (and its graph
//! analyse) — never a panic. Run with the options the fuzz harness picked for it
//! (`parsers/fuzz/src/lib.rs`) and with the defaults.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use heapscope_graph::Analysis;
use heapscope_parsers::{parse_input, Input, ParseOptions};

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/bad")
}

/// The harness's options for `data` (same rule as parsers/fuzz/src/lib.rs).
fn harness_options(data: &[u8]) -> ParseOptions {
    ParseOptions {
        group_by: Some(["lineno", "filename", "traceback"][data.len() % 3].to_string()),
        drop_labels: data.len() % 2 == 1,
        ..ParseOptions::default()
    }
}

/// `Ok(None)` parsed and analysed, `Ok(Some(e))` a ParseError, `Err` a panic's message.
fn run(path: &Path, opts: &ParseOptions) -> Result<Option<String>, String> {
    let data = std::fs::read(path).unwrap();
    let input = Input::from_bytes(path, data);
    catch_unwind(AssertUnwindSafe(|| match parse_input(&input, opts) {
        Ok(parsed) => {
            let a = Analysis::run(parsed.graph);
            std::hint::black_box(a.top_retained(10));
            None
        }
        Err(e) => Some(e.to_string()),
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// The finding at `testdata/bad/<rel>`: a ParseError (returned) or a parse, never a panic.
fn outcome(rel: &str) -> Option<String> {
    let path = bad_dir().join(rel);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut last = None;
    for opts in [harness_options(&data), ParseOptions::default()] {
        last = run(&path, &opts).unwrap_or_else(|p| panic!("{rel}: panicked: {p}"));
    }
    last
}

#[test]
fn every_committed_finding_is_an_error_or_parses() {
    let mut n = 0;
    for fmt in std::fs::read_dir(bad_dir()).unwrap() {
        let fmt = fmt.unwrap().path();
        for f in std::fs::read_dir(&fmt).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "bin") {
                let rel = f
                    .strip_prefix(bad_dir())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                outcome(&rel);
                n += 1;
            }
        }
    }
    assert!(n > 0, "no findings under testdata/bad");
}

/// An INSTANCE DUMP whose class id is 0 matched the "last class" cache's placeholder
/// `(0, u32::MAX)` and indexed the class table with u32::MAX (hprof/heap.rs, both passes).
#[test]
fn hprof_instance_of_class_id_zero() {
    outcome("hprof/instance_of_class_id_zero.bin");
}
