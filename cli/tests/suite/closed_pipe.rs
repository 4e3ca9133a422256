//! A closed pipe (`heapscope trend … | head -1`) ends a command cleanly: exit 0, no message,
//! as Unix tools do. Each command here writes more than a pipe holds (64 KiB on Linux), so it
//! is still writing when the reader goes away.

use std::io::Read;
use std::process::{Command, Stdio};

use super::util::*;

/// More than a pipe's buffer, so the writer meets the closed pipe.
const PIPE_BYTES: usize = 64 * 1024;

const SERIES: [&str; 3] = [
    "testdata/node/snapshots/series-baseline.heapsnapshot",
    "testdata/node/snapshots/series-target.heapsnapshot",
    "testdata/node/snapshots/series-final.heapsnapshot",
];
const LEAK: &str = "testdata/node/snapshots/emitter-listeners.heapsnapshot";

/// Run `heapscope ARGS` with stdout into a pipe, read its first line (byte by byte, so no more
/// than that is taken from the pipe), close the pipe, and wait.
fn first_line_then_close(args: &[&str]) {
    let full = heapscope(args);
    assert_eq!(full.status.code(), Some(0), "{args:?}: {}", stderr(&full));
    assert!(
        full.stdout.len() > PIPE_BYTES + 1024,
        "{args:?}: {} bytes fit in the pipe; the test needs more",
        full.stdout.len()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running heapscope");
    let mut pipe = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8];
    while pipe.read(&mut byte).expect("reading the first line") == 1 {
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    drop(pipe);
    let o = child.wait_with_output().expect("waiting for heapscope");
    let err = stderr(&o);
    assert_eq!(
        line.last(),
        Some(&b'\n'),
        "{args:?}: a first line was written"
    );
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    assert!(!err.contains("internal error"), "{args:?}: {err}");
    assert!(!err.contains("error"), "{args:?}: no message: {err}");
}

#[test]
fn trend_ends_with_exit_0_on_a_closed_pipe() {
    let mut args = vec!["trend", "-q", "--format", "json"];
    args.extend(SERIES);
    first_line_then_close(&args);
}

#[test]
fn diff_ends_with_exit_0_on_a_closed_pipe() {
    first_line_then_close(&["diff", "-q", "--format", "json", SERIES[0], SERIES[2]]);
}

#[test]
fn analyze_ends_with_exit_0_on_a_closed_pipe() {
    // A batch to stdout: the reports one after the other.
    first_line_then_close(&["analyze", "-q", "--format", "json", LEAK, LEAK, LEAK, LEAK]);
}
