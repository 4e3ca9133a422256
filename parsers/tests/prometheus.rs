//! The Prometheus query-result reader: the recorded exports of testdata/prometheus (a real
//! Prometheus's answers), the forms a file may take (one response, an array, JSON lines; matrix
//! and vector; NaN and ±Inf), content detection beside the dump formats, and hostile input from
//! testdata/bad/prometheus: an error with the byte offset and what was expected, never a panic.

use std::path::{Path, PathBuf};

use heapscope_parsers::prometheus::{detect, read, read_file};
use heapscope_parsers::{open, ParseOptions};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

fn recorded() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata("prometheus"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.ends_with("recorded.json")
                && !p.ends_with("package.json")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn recorded_exports_read_as_the_server_wrote_them() {
    let files = recorded();
    assert_eq!(files.len(), 8, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(detect(&bytes), "{}", f.display());
        let series = read_file(&f).unwrap_or_else(|e| panic!("{e}"));
        // Compare with an independent reading: serde_json's Value of each line.
        let mut expected = 0usize;
        let mut samples = 0usize;
        for line in bytes.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            assert_eq!(v["status"], "success");
            for r in v["data"]["result"].as_array().unwrap() {
                expected += 1;
                samples += r["values"].as_array().unwrap().len();
            }
        }
        assert_eq!(series.len(), expected, "{}", f.display());
        assert_eq!(
            series.iter().map(|s| s.samples.len()).sum::<usize>(),
            samples,
            "{}",
            f.display()
        );
        let mem = series
            .iter()
            .find(|s| s.name == "process_resident_memory_bytes")
            .expect("a memory series");
        assert!(mem.label("job").is_some() && mem.label("instance").is_some());
        assert!(mem.samples.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(mem.samples.iter().all(|s| s.1 > 1e6), "RSS in bytes");
        // Series computed by a query (rate) have no __name__: named by their query.
        assert!(series
            .iter()
            .any(|s| s.name.contains("rate(http_requests_total")));
    }
}

const ONE: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","job":"a"},"values":[[1700000000,"1"],[1700000015.5,"NaN"],[1700000030,"+Inf"],[1700000045,"-Inf"],[1700000060,"2.5e3"]]}]}}"#;
const VEC: &str = r#"{"query":"rate(x[1m])","status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000075,"4"]}]}}"#;

#[test]
fn one_response_an_array_and_lines_read_alike() {
    let one = read(ONE.as_bytes()).unwrap();
    assert_eq!(one.len(), 1);
    let s = &one[0].samples;
    assert_eq!(s.len(), 5);
    assert_eq!(s[0], (1_700_000_000.0, 1.0));
    assert_eq!(s[1].0, 1_700_000_015.5);
    assert!(s[1].1.is_nan());
    assert_eq!(s[2].1, f64::INFINITY);
    assert_eq!(s[3].1, f64::NEG_INFINITY);
    assert_eq!(s[4].1, 2500.0);
    let lines = read(format!("{ONE}\n{VEC}\n").as_bytes()).unwrap();
    let array = read(format!("[{ONE},\n {VEC}]").as_bytes()).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(format!("{lines:?}"), format!("{array:?}"));
    // The vector result has no __name__: its query names it.
    let v = lines.iter().find(|s| s.name == "rate(x[1m])").unwrap();
    assert_eq!(v.samples, vec![(1_700_000_075.0, 4.0)]);
    // The same series in two responses is merged.
    let twice = read(format!("{ONE}{ONE}").as_bytes()).unwrap();
    assert_eq!(twice.len(), 1);
    assert_eq!(twice[0].samples.len(), 5);
}

#[test]
fn dumps_are_not_metrics_and_metrics_are_not_dumps() {
    for rel in [
        "node/snapshots/healthy.heapsnapshot",
        "java/dumps/healthy.hprof",
        "go/unbounded_slice/heap.pb.gz",
    ] {
        let b = std::fs::read(testdata(rel)).unwrap();
        assert!(!detect(&b), "{rel}");
    }
    // analyze's open() on a metrics file: an error pointing at `heapscope metrics`.
    let f = &recorded()[0];
    let e = open(f, &ParseOptions::default()).err().expect("not a dump");
    assert!(e.to_string().contains("heapscope metrics"), "{e}");
}

/// Each hostile file: (name, the offset, what the error must say).
const BAD: &[(&str, u64, &str)] = &[
    ("truncated_in_sample.json", 127, "ends inside a value"),
    ("bad_sample_value.json", 133, "a sample value"),
    ("bad_timestamp.json", 120, "unix seconds"),
    (
        "error_response.json",
        0,
        "the server said: invalid parameter",
    ),
    ("scalar_result.json", 48, "\"matrix\" or \"vector\""),
    ("missing_result.json", 49, "a \"result\" array"),
    ("deeply_nested_labels.json", 76, "label values are strings"),
    ("second_line_sample_too_long.json", 233, "a sample: ["),
    ("timestamp_overflow.json", 101, "valid JSON"),
    ("trailing_garbage.json", 119, "valid JSON"),
];

#[test]
fn hostile_files_fail_with_offset_and_expectation() {
    let dir = testdata("bad/prometheus");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let (_, offset, says) = BAD
            .iter()
            .find(|b| b.0 == name)
            .unwrap_or_else(|| panic!("{name}: not listed in BAD"));
        let err = read_file(&e.path()).expect_err(&name);
        assert_eq!(err.offset, *offset, "{name}: {err}");
        assert!(err.expected.contains(says), "{name}: {err}");
        assert!(err.to_string().contains(&name), "{err}");
        n += 1;
    }
    assert_eq!(n, BAD.len());
}

#[test]
fn every_prefix_of_a_recorded_export_fails_cleanly() {
    let bytes = std::fs::read(&recorded()[0]).unwrap();
    let first = bytes.iter().position(|&c| c == b'\n').unwrap();
    for cut in (0..first).step_by(7) {
        let r = read(&bytes[..cut]);
        assert!(r.is_err(), "a prefix of {cut} bytes is not a response");
        let f = r.unwrap_err();
        assert!(f.offset as usize <= cut, "offset {} past {cut}", f.offset);
    }
}
