//! Each fault is an error naming the URL, with exit 2, and no report.

use std::os::unix::process::ExitStatusExt;
use std::process::Output;
use std::sync::{Arc, Mutex};

use super::servers::{self, free_port, Cut};
use super::*;
use crate::suite::util::{stderr, stdout};

const F: &str = "testdata/java/dumps/static_map.hprof.gz";

fn refused(o: &Output, u: &str, words: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{u}: {e}");
    assert!(stdout(o).is_empty(), "no report for {u}");
    assert!(e.contains(u), "the message names {u}: {e}");
    for w in words {
        assert!(e.contains(w), "{u}: expected {w:?} in: {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn missing_object_wrong_endpoint_and_truncated_object() {
    let bytes = std::fs::read(root().join(F)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.hprof.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let Some(s3) = s3_with(&[("ok.hprof.gz", F), ("cut.hprof.gz", cut.to_str().unwrap())]) else {
        return;
    };
    let u = url("nope/missing.hprof");
    refused(
        &run_s3(&s3, &["analyze", "-q", &u], &[]),
        &u,
        &["no such object"],
    );
    // No bucket of that name.
    let u = "s3://no-such-bucket-here/ok.hprof.gz";
    refused(&run_s3(&s3, &["analyze", "-q", u], &[]), u, &[]);
    // Nothing listens at the endpoint.
    let u = url("ok.hprof.gz");
    let closed = format!("http://127.0.0.1:{}", free_port());
    refused(&run_at(&closed, &["analyze", "-q", &u], &[]), &u, &[]);
    // A truncated object: the parser's error, with the offset, naming the URL.
    let u = url("cut.hprof.gz");
    refused(&run_s3(&s3, &["analyze", "-q", &u], &[]), &u, &["offset"]);
}

#[test]
fn access_denied() {
    // moto enforces authentication after the two set-up requests: the dummy keys are refused.
    let Some(s3) = servers::moto(Some(2)) else {
        return;
    };
    s3.s3(&["mb", BUCKET]);
    upload(&s3, &[("ok.hprof.gz", F)]);
    let u = url("ok.hprof.gz");
    refused(
        &run_s3(&s3, &["analyze", "-q", &u], &[]),
        &u,
        &["access denied"],
    );
}

#[test]
fn a_connection_that_keeps_dropping_is_a_truncated_download() {
    let Some(s3) = s3_with(&[("ok.hprof.gz", F)]) else {
        return;
    };
    let relay = servers::relay(
        s3.port,
        Cut {
            after: 4_000,
            once: false,
            before_cut: None,
        },
    );
    let u = url("ok.hprof.gz");
    let o = run_at(
        &format!("http://127.0.0.1:{}", relay.port),
        &["analyze", "-q", &u],
        &[("HEAPSCOPE_FETCH_CHUNK", "262144")],
    );
    refused(&o, &u, &["truncated download", "no report"]);
}

#[test]
fn an_object_replaced_during_the_download_is_refused() {
    let Some(s3) = s3_with(&[("ok.hprof.gz", F)]) else {
        return;
    };
    let endpoint = s3.endpoint();
    let replace: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        servers::s3py(
            &endpoint,
            &[
                "put",
                BUCKET,
                "ok.hprof.gz",
                root()
                    .join("testdata/java/dumps/healthy.hprof")
                    .to_str()
                    .unwrap(),
            ],
        );
    });
    let relay = servers::relay(
        s3.port,
        Cut {
            after: 200_000,
            once: true,
            before_cut: Some(replace),
        },
    );
    let u = url("ok.hprof.gz");
    let o = run_at(
        &format!("http://127.0.0.1:{}", relay.port),
        &["analyze", "-q", &u],
        &[
            ("HEAPSCOPE_FETCH_CHUNK", "524288"),
            ("HEAPSCOPE_FETCH_PARALLEL", "1"),
        ],
    );
    refused(&o, &u, &["changed while it was downloaded"]);
}

#[test]
fn a_tmpdir_too_small_is_refused_before_the_download() {
    let Some(unshare) = servers::tool("unshare") else {
        return;
    };
    let Some(s3) = s3_with(&[("ok.hprof.gz", F)]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let u = url("ok.hprof.gz");
    // A 256 KiB tmpfs as $TMPDIR, mounted in a private mount namespace (no root needed).
    let o = std::process::Command::new(unshare)
        .args([
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=256k tmpfs \"$0\" && TMPDIR=\"$0\" exec \"$@\"",
        ])
        .arg(tmp.path())
        .args([env!("CARGO_BIN_EXE_heapscope"), "analyze", "-q", &u])
        .current_dir(root())
        .env("AWS_ENDPOINT_URL", s3.endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    if stderr(&o).contains("mount") && !stderr(&o).contains(&u) {
        let msg = format!(
            "cannot mount a tmpfs in a user namespace here: {}",
            stderr(&o)
        );
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{msg}");
        eprintln!("SKIPPED: {msg}");
        return;
    }
    refused(&o, &u, &["bytes free", "TMPDIR"]);
}

/// The download is an unnamed file: while it is written `$TMPDIR` lists nothing, and a run
/// killed mid-download (as the OOM killer would) leaves nothing behind.
#[test]
fn a_run_killed_mid_download_leaves_nothing_in_tmpdir() {
    let f = "testdata/java/dumps/healthy.hprof";
    let Some(s3) = s3_with(&[("k/healthy.hprof", f)]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // Held while the child is spawned, so the relay cannot look before the pid is known.
    let child: Arc<Mutex<Option<u32>>> = Arc::new(Mutex::new(None));
    let during: Arc<Mutex<Option<Vec<String>>>> = Arc::new(Mutex::new(None));
    let (c2, d2) = (child.clone(), during.clone());
    let kill: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        *d2.lock().unwrap() = Some(listing(&dir));
        if let Some(pid) = *c2.lock().unwrap() {
            // SAFETY: a plain system call; the pid is our own child, not yet waited for.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    });
    let relay = servers::relay(
        s3.port,
        Cut {
            after: 200_000,
            once: true,
            before_cut: Some(kill),
        },
    );
    let u = url("k/healthy.hprof");
    let t = tmp.path().to_str().unwrap();
    let mut run = {
        let mut pid = child.lock().unwrap();
        let run = command_at(
            &format!("http://127.0.0.1:{}", relay.port),
            &["analyze", "-q", "--format", "json", &u],
            &[("TMPDIR", t), ("HEAPSCOPE_FETCH_PARALLEL", "1")],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("running heapscope");
        *pid = Some(run.id());
        run
    };
    let status = run.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "killed mid-download");
    assert_eq!(
        during.lock().unwrap().as_deref(),
        Some(&[][..]),
        "nothing in TMPDIR while the object downloads"
    );
    assert!(
        listing(tmp.path()).is_empty(),
        "nothing left behind: {:?}",
        listing(tmp.path())
    );
}
