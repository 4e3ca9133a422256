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

/// A spill directory on disk: the target directory's scratch space (never a memory file
/// system here; the test fails, naming it, if it is).
fn spill_dir() -> &'static str {
    let dir = env!("CARGO_TARGET_TMPDIR");
    assert!(
        heapscope_graph::Spill::to_dir(std::path::Path::new(dir))
            .out_of_core(true)
            .is_out_of_core(),
        "{dir} cannot hold spill files; the out-of-core tests need a directory on disk"
    );
    dir
}

#[test]
fn out_of_core_report_is_byte_identical() {
    let tmp = spill_dir();
    for f in FIXTURES {
        let mem = json(f, &[], &[]);
        assert!(
            mem == json(f, &["--out-of-core"], &[("TMPDIR", tmp)]),
            "{f}: --out-of-core differs"
        );
        assert!(
            mem == json(f, &[], &[("HEAPSCOPE_OUT_OF_CORE", "1"), ("TMPDIR", tmp)]),
            "{f}: HEAPSCOPE_OUT_OF_CORE=1 differs"
        );
    }
}

/// A writable directory on a memory file system (tmpfs), from /proc/mounts.
fn memory_fs_dir() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, dir, fs) = (f.next()?, f.next()?, f.next()?);
            // Not the kernel's own trees (cgroups): only places a user would point TMPDIR at.
            (fs == "tmpfs" && !dir.starts_with("/sys") && !dir.starts_with("/proc"))
                .then(|| dir.to_string())
        })
        .find(|dir| {
            let probe =
                std::path::Path::new(dir).join(format!("heapscope-probe-{}", std::process::id()));
            let ok = std::fs::write(&probe, b"").is_ok();
            let _ = std::fs::remove_file(&probe);
            ok
        })
}

#[test]
fn out_of_core_needs_a_spill_directory_on_disk() {
    let shm =
        memory_fs_dir().expect("no writable tmpfs mount in /proc/mounts to try the refusal on");
    assert!(
        !heapscope_graph::Spill::to_dir(std::path::Path::new(&shm)).is_usable(),
        "{shm} is a memory file system but Spill accepts it"
    );
    let o = run(
        &["analyze", "-q", "--out-of-core", FIXTURES[0]],
        &[("TMPDIR", shm.as_str())],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("TMPDIR"), "{}", stderr(&o));
}

/// `trend` and `diff` out of core (`--out-of-core`, `HEAPSCOPE_OUT_OF_CORE=1`: every dump
/// analysed and summarised in spill files, the held summaries' arrays spilled, every one of
/// them) give the same JSON bytes as in memory, on real series of V8 (stable ids: memlab's
/// survivors and new objects by id), HPROF and tracemalloc dumps.
#[test]
fn out_of_core_trend_and_diff_are_byte_identical() {
    let tmp = spill_dir();
    let series: [[&str; 3]; 3] = [
        [
            "testdata/node/snapshots/series-baseline.heapsnapshot",
            "testdata/node/snapshots/series-target.heapsnapshot",
            "testdata/node/snapshots/series-final.heapsnapshot",
        ],
        [
            "testdata/java/dumps/growth_1.hprof.gz",
            "testdata/java/dumps/growth_2.hprof.gz",
            "testdata/java/dumps/growth_3.hprof.gz",
        ],
        [
            "testdata/python/snapshots/series-py312-1.tracemalloc",
            "testdata/python/snapshots/series-py312-2.tracemalloc",
            "testdata/python/snapshots/series-py312-3.tracemalloc",
        ],
    ];
    let report = |args: &[&str], env: &[(&str, &str)]| {
        let o = run(args, env);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?} {env:?}: {}",
            stderr(&o)
        );
        assert!(o.stdout.starts_with(b"{"), "{args:?}");
        o.stdout
    };
    for s in series {
        let trend = [
            "trend",
            "-q",
            "--format",
            "json",
            "--max-rows",
            "0",
            s[0],
            s[1],
            s[2],
        ];
        let diff = ["diff", "-q", "--format", "json", s[0], s[2]];
        for args in [&trend[..], &diff[..]] {
            let mem = report(args, &[("TMPDIR", tmp)]);
            let mut flag = args.to_vec();
            flag.push("--out-of-core");
            assert!(
                mem == report(&flag, &[("TMPDIR", tmp)]),
                "{args:?}: --out-of-core differs"
            );
            assert!(
                mem == report(args, &[("HEAPSCOPE_OUT_OF_CORE", "1"), ("TMPDIR", tmp)]),
                "{args:?}: HEAPSCOPE_OUT_OF_CORE=1 differs"
            );
        }
    }
}
