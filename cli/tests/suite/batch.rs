//! Several dumps in one call: one report per input in the `-o` directory, byte-identical output
//! for the same input, `--fail-on-suspect`.

use super::util::*;

const A: &str = "testdata/node/snapshots/global-array.heapsnapshot";
const B: &str = "testdata/node/snapshots/healthy.heapsnapshot";

fn readable(f: &str) -> bool {
    analyze_json(f, &[]).is_some()
}

#[test]
fn one_report_per_input_in_the_output_directory() {
    if !readable(A) || !readable(B) {
        return;
    }
    for (format, ext) in [
        ("json", "json"),
        ("html", "html"),
        ("markdown", "md"),
        ("text", "txt"),
    ] {
        let dir = tempdir("batch");
        let o = heapscope(
            ["analyze", "-q", "--format", format, A, B, "-o"]
                .iter()
                .map(|s| s.to_string())
                .chain([dir.path().display().to_string()]),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("global-array.heapsnapshot.{ext}"),
                format!("healthy.heapsnapshot.{ext}")
            ]
        );
        // Each file is what a single run prints.
        let single = heapscope(["analyze", "-q", "--format", format, A]);
        let file =
            std::fs::read(dir.path().join(format!("global-array.heapsnapshot.{ext}"))).unwrap();
        assert_eq!(
            file, single.stdout,
            "{format}: the batch file equals the single report"
        );
    }
}

#[test]
fn same_input_gives_byte_identical_output() {
    let fixtures = [
        A,
        "testdata/java/dumps/thread_locals.hprof.gz",
        "testdata/go/goroutine_leak/heap.txt",
        "testdata/python/snapshots/memo_cache-py312.tracemalloc",
    ];
    let mut compared = 0;
    for f in fixtures {
        if !readable(f) {
            continue;
        }
        for format in ["json", "html", "markdown", "text"] {
            let one = heapscope(["analyze", "-q", "--format", format, f]);
            let two = heapscope(["analyze", "-q", "--format", format, f]);
            assert!(!one.stdout.is_empty());
            assert_eq!(
                one.stdout, two.stdout,
                "{f} --format {format} differs between two runs"
            );
            compared += 1;
        }
    }
    assert!(compared >= 8);
}

#[test]
fn same_file_name_twice_gets_distinct_reports() {
    if !readable(A) {
        return;
    }
    let dir = tempdir("dup");
    let o = heapscope(
        ["analyze", "-q", "--format", "json", A, A, "-o"]
            .iter()
            .map(|s| s.to_string())
            .chain([dir.path().display().to_string()]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.path().join("global-array.heapsnapshot.json").is_file());
    assert!(dir
        .path()
        .join("global-array.heapsnapshot-2.json")
        .is_file());
    assert_eq!(
        std::fs::read(dir.path().join("global-array.heapsnapshot.json")).unwrap(),
        std::fs::read(dir.path().join("global-array.heapsnapshot-2.json")).unwrap()
    );
}

#[test]
fn fail_on_suspect_in_a_batch() {
    if !readable(A) || !readable(B) {
        return;
    }
    let dir = tempdir("fail");
    let d = dir.path().display().to_string();
    let o = heapscope([
        "analyze",
        "-q",
        "--fail-on-suspect",
        "--format",
        "json",
        A,
        B,
        "-o",
        &d,
    ]);
    assert_eq!(o.status.code(), Some(1), "a suspect in any input: exit 1");
    let o = heapscope([
        "analyze",
        "-q",
        "--fail-on-suspect",
        "--format",
        "json",
        B,
        "-o",
        &format!("{d}/h.json"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "no suspect: exit 0 ({})",
        stderr(&o)
    );
}
