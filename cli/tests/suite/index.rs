//! `heapscope index` and the drill-downs through it: on a fixture of every format, `path`,
//! `retainers` and `instances` (text and JSON) and `analyze --format json` answer byte for byte
//! as a fresh parse does, and a corrupt or stale index is reported, not used, and rebuilt.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use super::util::*;

/// `heapscope ARGS` with the index cache in `cache` and per-stage statistics on stderr (they
/// say whether the dump was parsed or the index opened).
pub(super) fn run(cache: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HEAPSCOPE_CACHE", cache)
        .env("HEAPSCOPE_STATS", "1")
        .args(args)
        .output()
        .expect("running heapscope")
}

pub(super) fn ok(o: &Output, what: &str) -> String {
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{what}: exit {:?}\n{}",
        o.status.code(),
        stderr(o)
    );
    stdout(o)
}

/// The questions to ask of a fixture: the ids of the biggest dominators and suspects' objects,
/// the biggest types.
/// The index files (`*.hsidx`) in a cache directory, sorted; the `seals/` directory beside them
/// is not one.
fn index_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "hsidx"));
    v.sort();
    v
}

fn questions(v: &Value) -> Vec<Vec<String>> {
    let mut q = Vec::new();
    let ids = v["dominators"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|d| d["id"].as_str().unwrap().to_string())
        .chain(
            v["suspects"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s["accumulation_point"]["id"].as_str().map(str::to_string)),
        );
    for id in ids {
        q.push(vec!["path".to_string(), id.clone()]);
        q.push(vec!["retainers".to_string(), id]);
    }
    for row in v["histogram"].as_array().unwrap().iter().take(3) {
        q.push(vec![
            "instances".to_string(),
            row["type"].as_str().unwrap().to_string(),
        ]);
    }
    q
}

fn same_answers_through_the_index(fixture: &str, extra: &[&str]) {
    let cache = tempdir("index");
    let c = cache.path();
    let analyze = |index: bool| {
        let mut a = vec!["analyze", "-q", "--format", "json", fixture];
        a.extend_from_slice(extra);
        if !index {
            a.push("--no-index");
        }
        run(c, &a)
    };
    let fresh = analyze(false);
    let fresh_json = ok(&fresh, fixture);
    let v: Value = serde_json::from_str(&fresh_json).unwrap();
    let qs = questions(&v);
    assert!(qs.len() >= 3, "{fixture}: nothing to ask");
    let ask = |q: &[String], format: &str, index: bool| {
        let mut a: Vec<&str> = vec![&q[0], "-q", "--format", format, fixture, &q[1]];
        a.extend_from_slice(extra);
        if !index {
            a.push("--no-index");
        }
        run(c, &a)
    };
    let mut want = Vec::new();
    for q in &qs {
        for format in ["text", "json"] {
            let o = ask(q, format, false);
            assert!(stderr(&o).contains("stats: parse"), "{}", stderr(&o));
            want.push(o);
        }
    }

    let mut a = vec!["index", "-q", fixture];
    a.extend_from_slice(extra);
    let o = run(c, &a);
    let said = ok(&o, "index");
    let files = index_files(c);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(c.join("seals").is_dir(), "index wrote no seal");
    assert!(said.starts_with(&files[0].display().to_string()), "{said}");
    assert!(
        !root().join(format!("{fixture}.hsidx")).exists(),
        "written beside the fixture"
    );

    let mut i = 0;
    for q in &qs {
        for format in ["text", "json"] {
            let o = ask(q, format, true);
            let err = stderr(&o);
            assert!(
                err.contains("stats: index"),
                "{fixture} {q:?}: not from the index\n{err}"
            );
            assert!(
                !err.contains("stats: parse"),
                "{fixture} {q:?}: parsed\n{err}"
            );
            assert_eq!(o.status.code(), want[i].status.code(), "{fixture} {q:?}");
            assert!(
                o.stdout == want[i].stdout,
                "{fixture} {q:?} {format}: through the index\n{}\nparsed\n{}",
                stdout(&o),
                stdout(&want[i])
            );
            i += 1;
        }
    }
    let through = analyze(true);
    assert!(
        stderr(&through).contains("stats: index"),
        "{}",
        stderr(&through)
    );
    assert_eq!(through.status.code(), fresh.status.code());
    assert!(
        through.stdout == fresh.stdout,
        "{fixture}: analyze differs through the index"
    );
}

#[test]
fn hprof_answers_are_the_same_through_the_index() {
    same_answers_through_the_index("testdata/java/dumps/static_map.hprof.gz", &[]);
    same_answers_through_the_index("testdata/java/dumps/healthy.hprof", &[]);
}

#[test]
fn v8_answers_are_the_same_through_the_index() {
    same_answers_through_the_index(
        "testdata/node/snapshots/closure-retention.heapsnapshot",
        &[],
    );
    same_answers_through_the_index("testdata/node/snapshots/map-cache.heapsnapshot", &[]);
}

#[test]
fn pprof_answers_are_the_same_through_the_index() {
    same_answers_through_the_index("testdata/go/healthy/heap.pb.gz", &[]);
    same_answers_through_the_index("testdata/go/healthy/heap.txt", &[]);
}

#[test]
fn tracemalloc_answers_are_the_same_through_the_index() {
    same_answers_through_the_index(
        "testdata/python/snapshots/global_dict-py312.tracemalloc",
        &[],
    );
    same_answers_through_the_index(
        "testdata/python/snapshots/memo_cache-py311.tracemalloc",
        &["--group-by", "traceback"],
    );
}

#[test]
fn go_heap_dump_answers_are_the_same_through_the_index() {
    same_answers_through_the_index("testdata/go/heapdump/healthy/heap.dump.gz", &[]);
    same_answers_through_the_index(
        "testdata/go/heapdump/global_map/heap.2.dump.gz",
        &["--binary", "testdata/go/heapdump/global_map/binary.symtab"],
    );
}

/// Python heap snapshots: previews, allocation sites and `lru_cache` limits come back from the
/// index (the cache scenario's report names the cache's limit and the objects' sites).
#[test]
fn python_heap_snapshot_answers_are_the_same_through_the_index() {
    for f in std::fs::read_dir(root().join("testdata/python/heapsnap/snapshots")).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        if name.ends_with("-py312.pysnap.gz") || name.ends_with("-py38.pysnap.gz") {
            same_answers_through_the_index(
                &format!("testdata/python/heapsnap/snapshots/{name}"),
                &[],
            );
        }
    }
}

/// A corrupt index is named on stderr with the byte offset, not used, and rebuilt; an index
/// made with other parse options is not used for these.
#[test]
fn a_corrupt_or_mismatched_index_is_reported_and_rebuilt() {
    let cache = tempdir("index-bad");
    let c = cache.path();
    let f = "testdata/python/snapshots/memo_cache-py311.tracemalloc";
    ok(&run(c, &["index", "-q", f]), "index");
    let idx = index_files(c).remove(0);
    let good = std::fs::read(&idx).unwrap();
    let want = stdout(&run(c, &["instances", "-q", "--no-index", f, "<unknown>"]));
    let mut bad = good.clone();
    let last = bad.len() - 3;
    bad[last] ^= 0xff;
    std::fs::write(&idx, &bad).unwrap();
    let o = run(c, &["instances", "-q", f, "<unknown>"]);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("not using the index {}", idx.display()))
            && err.contains("at byte ")
            && err.contains("checksum"),
        "{err}"
    );
    assert!(err.contains("stats: parse"), "{err}");
    assert_eq!(stdout(&o), want);
    // Rebuilt: the next run opens it.
    let o = run(c, &["instances", "-q", f, "<unknown>"]);
    assert!(stderr(&o).contains("stats: index"), "{}", stderr(&o));
    assert_eq!(stdout(&o), want);
    // Other parse options: not used (and rebuilt for them).
    let o = run(c, &["instances", "-q", "--group-by", "filename", f, "x"]);
    assert!(stderr(&o).contains("options"), "{}", stderr(&o));
    assert!(stderr(&o).contains("stats: parse"), "{}", stderr(&o));
    // Truncated to a few bytes: named, not used.
    std::fs::write(&idx, &good[..10]).unwrap();
    let o = run(c, &["instances", "-q", f, "<unknown>"]);
    assert!(stderr(&o).contains("corrupt at byte 10"), "{}", stderr(&o));
    assert_eq!(stdout(&o), want);
}

/// Without `$HEAPSCOPE_CACHE` the index goes beside the dump, and `analyze --save-index` keeps
/// one there.
#[test]
fn the_index_goes_beside_the_dump() {
    let dir = tempdir("index-beside");
    let dump = dir.path().join("heap.txt");
    std::fs::copy(root().join("testdata/go/healthy/heap.txt"), &dump).unwrap();
    let d = dump.to_str().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .env_remove("HEAPSCOPE_CACHE")
        .env("XDG_CACHE_HOME", dir.path().join("xdg"))
        .args(["analyze", "-q", "--save-index", "--format", "json", d])
        .output()
        .unwrap();
    ok(&o, "analyze --save-index");
    assert!(dir.path().join("heap.txt.hsidx").is_file());
    // Only the seal (a few bytes of file metadata) goes to the user's cache, never an index.
    let cache = dir.path().join("xdg").join("heapscope");
    assert!(index_files(&cache).is_empty());
    assert!(cache.join("seals").is_dir(), "index wrote no seal");
}

/// `diff` and `trend` read each dump's saved index when one is valid, and their reports (JSON
/// and text) are the same bytes as from parsing every dump.
#[test]
fn diff_and_trend_are_the_same_through_the_index() {
    let cache = tempdir("index-overtime");
    let c = cache.path();
    let series: Vec<String> = (1..=3)
        .map(|i| format!("testdata/java/healthy_series/healthy_series_{i}.hprof.gz"))
        .collect();
    let node = [
        "testdata/node/snapshots/closure-retention.heapsnapshot",
        "testdata/node/snapshots/map-cache.heapsnapshot",
    ];
    let runs: Vec<Vec<&str>> = vec![
        vec!["diff", &series[0], &series[2]],
        vec!["diff", node[0], node[1]],
        vec!["trend", &series[0], &series[1], &series[2]],
    ];
    let ask = |r: &[&str], format: &str, index: bool| {
        let mut a = vec![r[0], "-q", "--format", format];
        a.extend_from_slice(&r[1..]);
        if !index {
            a.push("--no-index");
        }
        run(c, &a)
    };
    let mut want = Vec::new();
    for r in &runs {
        for format in ["json", "text"] {
            let o = ask(r, format, false);
            ok(&o, r[0]);
            assert!(!stderr(&o).contains("stats: index"), "{}", stderr(&o));
            want.push(o);
        }
    }
    for f in series.iter().map(String::as_str).chain(node) {
        ok(&run(c, &["index", "-q", f]), "index");
    }
    let mut i = 0;
    for r in &runs {
        for format in ["json", "text"] {
            let o = ask(r, format, true);
            let err = stderr(&o);
            let opened = err.matches("stats: index").count();
            assert_eq!(
                opened,
                r.len() - 1,
                "{r:?}: not every dump from its index\n{err}"
            );
            assert!(!err.contains("stats: parse"), "{r:?}: parsed\n{err}");
            assert_eq!(o.status.code(), want[i].status.code(), "{r:?}");
            assert!(
                o.stdout == want[i].stdout,
                "{r:?} {format}: through the index\n{}\nparsed\n{}",
                stdout(&o),
                stdout(&want[i])
            );
            i += 1;
        }
    }
}
