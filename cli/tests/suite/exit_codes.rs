//! Exit codes: 0 ok; 1 suspect with --fail-on-suspect; 2 bad input or usage; 3 internal error.

use super::util::*;

const LEAK: &str = "testdata/node/snapshots/emitter-listeners.heapsnapshot";

#[test]
fn suspects_exit_1_only_when_asked() {
    if analyze_json(LEAK, &[]).is_none() {
        return;
    }
    assert_eq!(heapscope(["analyze", "-q", LEAK]).status.code(), Some(0));
    let o = heapscope(["analyze", "-q", "--fail-on-suspect", LEAK]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("LEAK SUSPECTS"),
        "the report is still printed"
    );
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let dir = tempdir("bad");
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"this is not a heap dump at all\n").unwrap();
    for args in [
        vec!["analyze".to_string(), junk.display().to_string()],
        vec![
            "analyze".to_string(),
            dir.path().join("missing.hprof").display().to_string(),
        ],
        vec![
            "analyze".to_string(),
            "--threshold".into(),
            "150".into(),
            junk.display().to_string(),
        ],
        vec![
            "analyze".to_string(),
            "--format".into(),
            "pdf".into(),
            junk.display().to_string(),
        ],
        vec!["analyze".to_string()],
        vec![
            "path".to_string(),
            junk.display().to_string(),
            "0x10".into(),
        ],
    ] {
        let o = heapscope(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).trim().is_empty(), "{args:?} says why");
        assert!(o.stdout.is_empty(), "{args:?} prints no report");
    }
}

#[test]
fn a_bad_input_in_a_batch_does_not_stop_the_others() {
    if analyze_json(LEAK, &[]).is_none() {
        return;
    }
    let dir = tempdir("mixed");
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"garbage").unwrap();
    let out = dir.path().join("out");
    let o = heapscope([
        "analyze".to_string(),
        "-q".into(),
        "--format".into(),
        "json".into(),
        junk.display().to_string(),
        LEAK.into(),
        "-o".into(),
        out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "the batch reports the failure");
    assert!(
        out.join("emitter-listeners.heapsnapshot.json").is_file(),
        "and still writes the other report"
    );
    assert!(stderr(&o).contains("junk.bin"));
}

/// `-o -` writes the report to standard output, as Unix tools take it, not to a file named `-`.
#[test]
fn output_dash_is_standard_output() {
    let dir = tempdir("dash");
    let fixture = root().join(LEAK);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .current_dir(dir.path())
        .args(["analyze", "-q", "--format", "json", "-o", "-"])
        .arg(&fixture)
        .output()
        .expect("running heapscope");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert!(v.get("suspects").is_some());
    assert!(!dir.path().join("-").exists(), "no file named -");
}
