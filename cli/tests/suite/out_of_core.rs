//! `--out-of-core` / `HEAPSCOPE_OUT_OF_CORE=1` (docs/out-of-core.md): the JSON report is
//! byte-identical to the in-memory run on real fixtures of every graph format, and the flag is
//! refused where spill files could only live in memory.

use std::process::{Command, Output};

use crate::suite::util::{root, stderr};

/// Real dumps: JDK (HPROF, plain and gzip), Node (V8), Go heap dump, Python heap snapshot, and
/// the call-tree formats (pprof, tracemalloc).
const FIXTURES: &[&str] = &[
    "testdata/java/dumps/healthy.hprof",
    "testdata/java/dumps/caches.hprof.gz",
    "testdata/node/snapshots/map-cache.heapsnapshot",
    "testdata/go/heapdump/healthy/heap.dump.gz",
    "testdata/python/heapsnap/snapshots/cache-py311-2.pysnap.gz",
    "testdata/go/heapdump/healthy/heap.pb.gz",
    "testdata/python/snapshots/global_dict-py311.tracemalloc",
];

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_heapscope"));
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HEAPSCOPE_OUT_OF_CORE")
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("running heapscope")
}

fn json(fixture: &str, extra: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let mut args = vec!["analyze", "-q", "--format", "json", fixture];
    args.extend_from_slice(extra);
    let o = run(&args, env);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{fixture} {extra:?} {env:?}: {}",
        stderr(&o)
    );
    assert!(!o.stdout.is_empty(), "{fixture}");
    o.stdout
}

#[test]
fn out_of_core_report_is_byte_identical() {
    let tmp = std::env::temp_dir();
    if heapscope_graph::Spill::to_dir(&tmp)
        .out_of_core(true)
        .is_out_of_core()
    {
        for f in FIXTURES {
            let mem = json(f, &[], &[]);
            assert!(
                mem == json(f, &["--out-of-core"], &[]),
                "{f}: --out-of-core differs"
            );
            assert!(
                mem == json(f, &[], &[("HEAPSCOPE_OUT_OF_CORE", "1")]),
                "{f}: HEAPSCOPE_OUT_OF_CORE=1 differs"
            );
        }
    }
}

#[test]
fn out_of_core_needs_a_spill_directory_on_disk() {
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() || heapscope_graph::Spill::to_dir(shm).is_usable() {
        return; // no memory file system to try
    }
    let o = run(
        &["analyze", "-q", "--out-of-core", FIXTURES[0]],
        &[("TMPDIR", "/dev/shm")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("TMPDIR"), "{}", stderr(&o));
}
