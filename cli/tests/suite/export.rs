//! `heapscope export --parquet`: the four tables of a fixture of every format, read back by an
//! independent reader (DuckDB's C++ Parquet reader, testdata/export/tables.py; installed by
//! testdata/export/ci-deps.sh) and compared with heapscope's own answers: row counts with the
//! JSON summary, per-type count, shallow and retained bytes with the JSON histogram (the
//! retained size recomputed from the objects' dominators too), references with `retainers`.
//! Exported through a saved index, the files are the same bytes as from a parse; a failure
//! leaves nothing half-written.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::index::{ok, run};
use super::util::*;

/// Whether DuckDB's Python package is there; under CI=true its absence fails the test.
fn duckdb() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = "DuckDB's Python package is missing: run testdata/export/ci-deps.sh";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
    }
    ok
}

fn id_of(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

/// Every file of `dir`, by name, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn exported_tables_agree(fixture: &str, extra: &[&str]) {
    let cache = tempdir("export-cache");
    let c = cache.path();
    let out = tempdir("export");
    let dir = out.path().join("tables");
    let d = dir.to_str().unwrap();

    let mut a = vec!["analyze", "-q", "--format", "json", "--no-index", fixture];
    a.extend_from_slice(extra);
    let report: Value = serde_json::from_str(&ok(&run(c, &a), fixture)).unwrap();

    // Small row groups, so that every table of a fixture spans several.
    let mut a = vec![
        "export",
        "-q",
        fixture,
        "--parquet",
        d,
        "--row-group-rows",
        "700",
    ];
    a.extend_from_slice(extra);
    let o = run(c, &a);
    let said = ok(&o, "export");
    assert!(stderr(&o).contains("stats: parse"), "{}", stderr(&o));
    for f in ["objects", "refs", "types", "roots"] {
        assert!(
            said.contains(&format!("{f}.parquet: ")),
            "{fixture}: {said}"
        );
    }
    let written = files(&dir);
    assert_eq!(
        written.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        [
            "objects.parquet",
            "refs.parquet",
            "roots.parquet",
            "types.parquet"
        ],
        "{fixture}: no temporary file left"
    );

    let dominators: Vec<String> = report["dominators"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|x| id_of(x["id"].as_str().unwrap()).to_string())
        .collect();
    let mut py = vec!["testdata/export/tables.py".to_string(), d.to_string()];
    py.extend(dominators);
    let t = Command::new("python3")
        .current_dir(root())
        .args(&py)
        .output()
        .unwrap();
    assert!(t.status.success(), "tables.py: {}", stderr(&t));
    let t: Value = serde_json::from_slice(&t.stdout).unwrap();

    // Row counts and totals against the report's summary.
    let s = &report["summary"];
    let n = s["nodes"].as_u64().unwrap();
    assert_eq!(t["rows"]["objects"], n, "{fixture}");
    assert_eq!(t["rows"]["refs"], s["edges"], "{fixture}");
    assert_eq!(t["summary"]["nodes"], n, "{fixture}");
    assert_eq!(t["summary"]["distinct_ids"], n, "{fixture}: ids unique");
    assert_eq!(
        t["summary"]["reachable_nodes"].as_u64().unwrap(),
        n - s["unreachable_nodes"].as_u64().unwrap(),
        "{fixture}"
    );
    assert_eq!(t["summary"]["total_bytes"], s["total_bytes"], "{fixture}");
    assert_eq!(
        t["summary"]["reachable_bytes"], s["reachable_bytes"],
        "{fixture}"
    );
    assert_eq!(t["summary"]["root_ids"], s["gc_roots"], "{fixture}");
    assert_eq!(t["dangling"], 0, "{fixture}");
    assert_eq!(t["retained_not_adding_up"], 0, "{fixture}");

    // The histogram: the types table as written, and recomputed from the objects table.
    let mut hist: Vec<Value> = report["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!([
                r["type"],
                r["count"],
                r["shallow_bytes"],
                r["retained_bytes"]
            ])
        })
        .collect();
    hist.sort_by(|a, b| a[0].as_str().cmp(&b[0].as_str()));
    assert!(!hist.is_empty(), "{fixture}: no histogram");
    assert_eq!(t["rows"]["types"], hist.len(), "{fixture}");
    assert_eq!(
        t["types"],
        Value::Array(hist.clone()),
        "{fixture}: types table"
    );
    // A call tree's rows are call-tree nodes: its histogram counts the profile's objects
    // (pprof's inuse_objects), which the objects table does not carry.
    let call_tree = t["kinds"] == serde_json::json!(["frame"]);
    let mut by_type = t["by_type"].as_array().unwrap().clone();
    if call_tree {
        for (b, h) in by_type.iter_mut().zip(&mut hist) {
            b[1] = Value::Null;
            h[1] = Value::Null;
        }
    }
    assert_eq!(
        by_type, hist,
        "{fixture}: per-type count, shallow and minimum retained from the objects table"
    );

    // References against `retainers`: the number of distinct referrers and each listed one
    // (with its field and weakness) among the refs into that object.
    let refd = t["referrers"].as_object().unwrap();
    assert!(refd.len() >= 3, "{fixture}");
    for (id, want) in refd {
        let hex = format!("{:#x}", id.parse::<u64>().unwrap());
        let shown = if report["dominators"][0]["id"]
            .as_str()
            .is_some_and(|s| s.starts_with("0x"))
        {
            hex
        } else {
            id.clone()
        };
        let mut a = vec![
            "retainers",
            "-q",
            "--no-index",
            "--format",
            "json",
            "--max",
            "100000",
            fixture,
            &shown,
        ];
        a.extend_from_slice(extra);
        let r: Value = serde_json::from_str(&ok(&run(c, &a), &shown)).unwrap();
        assert_eq!(
            r["referrers_total"], want["distinct"],
            "{fixture} {shown}: referrers"
        );
        let edges = want["edges"].as_array().unwrap();
        for x in r["referrers"].as_array().unwrap() {
            let src = id_of(x["object"]["id"].as_str().unwrap());
            let found = edges.iter().any(|e| {
                e[0] == src
                    && (x["via"].is_null() || e[1] == x["via"])
                    && (e[2] == 1) == x["weak"].as_bool().unwrap_or(false)
            });
            assert!(
                found,
                "{fixture} {shown}: referrer {x} not in refs {edges:?}"
            );
        }
    }

    // Through a saved index: the same bytes.
    let mut a = vec!["index", "-q", fixture];
    a.extend_from_slice(extra);
    ok(&run(c, &a), "index");
    let again = out.path().join("again");
    let mut a = vec![
        "export",
        "-q",
        fixture,
        "--parquet",
        again.to_str().unwrap(),
        "--row-group-rows",
        "700",
    ];
    a.extend_from_slice(extra);
    let o = run(c, &a);
    ok(&o, "export through the index");
    assert!(stderr(&o).contains("stats: index"), "{}", stderr(&o));
    assert!(
        files(&again) == written,
        "{fixture}: the export differs through the index"
    );
}

#[test]
fn hprof_tables_agree_with_duckdb() {
    if duckdb() {
        exported_tables_agree("testdata/java/dumps/healthy.hprof", &[]);
    }
}

#[test]
fn v8_tables_agree_with_duckdb() {
    if duckdb() {
        exported_tables_agree("testdata/node/snapshots/map-cache.heapsnapshot", &[]);
    }
}

#[test]
fn call_tree_tables_agree_with_duckdb() {
    if duckdb() {
        exported_tables_agree("testdata/go/healthy/heap.pb.gz", &[]);
        exported_tables_agree(
            "testdata/python/snapshots/global_dict-py312.tracemalloc",
            &[],
        );
    }
}

#[test]
fn go_heap_dump_and_python_snapshot_tables_agree_with_duckdb() {
    if duckdb() {
        exported_tables_agree(
            "testdata/go/heapdump/global_map/heap.2.dump.gz",
            &["--binary", "testdata/go/heapdump/global_map/binary.symtab"],
        );
        exported_tables_agree(
            "testdata/python/heapsnap/snapshots/cache-py312.pysnap.gz",
            &[],
        );
    }
}

/// Bad targets: exit 2 naming them, nothing written, nothing left half-written.
#[test]
fn a_failed_export_leaves_nothing_half_written() {
    let cache = tempdir("export-cache");
    let out = tempdir("export-fail");
    let f = "testdata/java/dumps/healthy.hprof";
    // The target is a file, not a directory.
    let blocker = out.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let o = run(
        cache.path(),
        &["export", "-q", f, "--parquet", blocker.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("blocker"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");

    // A table that cannot be replaced (a directory in its place): named before anything is
    // written.
    let dir = out.path().join("tables");
    std::fs::create_dir_all(dir.join("roots.parquet")).unwrap();
    let o = run(
        cache.path(),
        &["export", "-q", f, "--parquet", dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("roots.parquet"), "{}", stderr(&o));
    assert_eq!(names(&dir), ["roots.parquet"]);

    // The disk fills while the first table is written (a file-size limit of 64 KiB; the
    // objects table is larger): the error is the write's, the earlier export stays whole and
    // no temporary file is left.
    let dir = out.path().join("full");
    let d = dir.to_str().unwrap();
    ok(
        &run(
            cache.path(),
            &[
                "export",
                "-q",
                "testdata/go/healthy/heap.txt",
                "--parquet",
                d,
            ],
        ),
        "export",
    );
    let before = files(&dir);
    let o = Command::new("bash")
        .current_dir(root())
        .env("HEAPSCOPE_CACHE", cache.path())
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 64; exec \"$0\" export -q \"$1\" --parquet \"$2\"",
            env!("CARGO_BIN_EXE_heapscope"),
            f,
            d,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("writing {d}/objects.parquet")),
        "{}",
        stderr(&o)
    );
    assert!(files(&dir) == before, "{:?}", names(&dir));
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
