//! `heapscope batch`: one report per dump and `summary.jsonl` in `--out-dir` (a bucket prefix
//! or a local directory), bad dumps recorded and the batch going on, the exit code, a manifest
//! taken one entry per pod index.

use serde_json::Value;

use super::*;
use crate::suite::util::{heapscope, stderr};

const GOOD: &str = "testdata/java/dumps/static_map.hprof.gz";
const HEALTHY: &str = "testdata/java/dumps/healthy.hprof";

fn summary(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn local_json(f: &str) -> String {
    let o = heapscope(["analyze", "-q", "--format", "json", f]);
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn a_batch_over_a_bucket_writes_reports_and_a_summary_to_a_prefix() {
    let bytes = std::fs::read(root().join(GOOD)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.hprof.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let manifest = dir.path().join("dumps.txt");
    let entries = [
        url("in/good.hprof.gz"),
        url("in/missing.hprof.gz"),
        url("in/cut.hprof.gz"),
        url("in/healthy.hprof"),
    ];
    std::fs::write(
        &manifest,
        format!("# dumps of 2026-12-03\n{}\n\n", entries.join("\n")),
    )
    .unwrap();
    let Some(s3) = s3_with(&[
        ("in/good.hprof.gz", GOOD),
        ("in/cut.hprof.gz", cut.to_str().unwrap()),
        ("in/healthy.hprof", HEALTHY),
        ("jobs/dumps.txt", manifest.to_str().unwrap()),
    ]) else {
        return;
    };
    let out = url("reports/run-1/");
    let o = run_s3(
        &s3,
        &[
            "batch",
            "-q",
            "--manifest",
            &url("jobs/dumps.txt"),
            "--out-dir",
            &out,
            "--format",
            "markdown",
            "--jobs",
            "2",
        ],
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "a bad input makes the batch exit 2: {}",
        stderr(&o)
    );
    let e = stderr(&o);
    assert!(e.contains(&entries[1]) && e.contains(&entries[2]), "{e}");
    let keys = String::from_utf8(s3.s3(&["ls", BUCKET, "reports/run-1/"])).unwrap();
    let keys: Vec<&str> = keys.lines().collect();
    assert_eq!(
        keys,
        [
            "reports/run-1/good.hprof.gz.json",
            "reports/run-1/good.hprof.gz.md",
            "reports/run-1/healthy.hprof.json",
            "reports/run-1/healthy.hprof.md",
            "reports/run-1/summary.jsonl",
        ],
        "only whole reports of the good dumps, and the summary"
    );
    let got = s3.s3(&["get", BUCKET, "reports/run-1/good.hprof.gz.json"]);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        as_if_from(&local_json(GOOD), &[(GOOD, &entries[0])])
    );
    let lines = summary(
        &String::from_utf8(s3.s3(&["get", BUCKET, "reports/run-1/summary.jsonl"])).unwrap(),
    );
    let inputs: Vec<&str> = lines.iter().map(|l| l["input"].as_str().unwrap()).collect();
    assert_eq!(
        inputs,
        entries.iter().map(String::as_str).collect::<Vec<_>>(),
        "manifest order"
    );
    let status: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["suspect", "error", "error", "ok"]);
    assert_eq!(lines[0]["size_bytes"], bytes.len() as u64);
    let v: Value = serde_json::from_str(&local_json(GOOD)).unwrap();
    assert_eq!(lines[0]["top_suspect"]["title"], v["suspects"][0]["title"]);
    assert!(lines[1]["reason"]
        .as_str()
        .unwrap()
        .contains("no such object"));
    assert!(lines[2]["reason"].as_str().unwrap().contains("offset"));
    assert_eq!(lines[2]["exit"], 2);
    assert!(lines[3]["top_suspect"].is_null());
}

#[test]
fn a_batch_into_a_local_directory_is_atomic_and_says_its_exit() {
    let Some(s3) = s3_with(&[("a/good.hprof.gz", GOOD), ("a/healthy.hprof", HEALTHY)]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    // Every dump good: 0, or 1 with --fail-on-suspect.
    let o = run_s3(&s3, &["batch", "-q", &url("a/"), "--out-dir", out_s], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        listing(&out),
        ["good.hprof.gz.json", "healthy.hprof.json", "summary.jsonl"]
    );
    let o = run_s3(
        &s3,
        &[
            "batch",
            "-q",
            &url("a/"),
            "--out-dir",
            out_s,
            "--fail-on-suspect",
            "--jobs",
            "2",
            "--format",
            "html",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        listing(&out),
        [
            "good.hprof.gz.html",
            "good.hprof.gz.json",
            "healthy.hprof.html",
            "healthy.hprof.json",
            "summary.jsonl"
        ],
        "no temporary file left behind"
    );
    // A local bad file beside a URL: the batch goes on, exits 2.
    let o = run_s3(
        &s3,
        &[
            "batch",
            "-q",
            "testdata/bad/does-not-exist.hprof",
            &url("a/healthy.hprof"),
            "--out-dir",
            out_s,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let lines = summary(&std::fs::read_to_string(out.join("summary.jsonl")).unwrap());
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["status"].as_str(), lines[1]["status"].as_str()),
        (Some("error"), Some("ok"))
    );
}

#[test]
fn a_manifest_entry_per_pod_index() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.txt");
    std::fs::write(&manifest, format!("{GOOD}\n# a comment\n{HEALTHY}\n")).unwrap();
    let m = manifest.to_str().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    for (index, by_env, want) in [(0, false, GOOD), (1, true, HEALTHY)] {
        let i = index.to_string();
        let mut args = vec!["batch", "-q", "--manifest", m, "--out-dir", out_s];
        let env: Vec<(&str, &str)> = if by_env {
            vec![("JOB_COMPLETION_INDEX", &i)]
        } else {
            args.extend(["--index", &i]);
            vec![]
        };
        let o = run_at("http://127.0.0.1:9", &args, &env);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let lines = summary(&std::fs::read_to_string(out.join("summary.jsonl")).unwrap());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["input"], want);
    }
    let o = run_at(
        "http://127.0.0.1:9",
        &[
            "batch",
            "-q",
            "--manifest",
            m,
            "--index",
            "2",
            "--out-dir",
            out_s,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has 2 entries"), "{}", stderr(&o));
}
