//! `analyze --cumulative` on tracemalloc snapshots equals CPython's own
//! `Snapshot.statistics(key, cumulative=True)`, recorded beside each fixture by
//! testdata/python/reference/record.py, row for row (size and count per key).

use std::collections::BTreeMap;

use serde_json::Value;

use super::util::{analyze_json, root};

/// key → (size, count) from a recorded statistics list of `[key, size, count]` rows.
fn recorded(rows: &Value) -> BTreeMap<String, (u64, u64)> {
    rows.as_array()
        .expect("statistics rows")
        .iter()
        .map(|r| {
            let key = r[0].as_str().expect("key").to_string();
            (
                key,
                (r[1].as_u64().expect("size"), r[2].as_u64().expect("count")),
            )
        })
        .collect()
}

fn ours(report: &Value) -> (BTreeMap<String, (u64, u64)>, Vec<u64>) {
    let rows = report["histogram"].as_array().expect("histogram");
    let map = rows
        .iter()
        .filter(|r| r["cumulative_bytes"].as_u64().unwrap_or(0) > 0)
        .map(|r| {
            let key = r["type"].as_str().unwrap().to_string();
            (
                key,
                (
                    r["cumulative_bytes"].as_u64().unwrap(),
                    r["cumulative_count"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let order = rows
        .iter()
        .map(|r| r["cumulative_bytes"].as_u64().unwrap())
        .collect();
    (map, order)
}

#[test]
fn cumulative_statistics_equal_cpython_on_every_snapshot() {
    let dir = root().join("testdata/python/snapshots");
    let mut snapshots: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata/python/snapshots")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tracemalloc"))
        .collect();
    snapshots.sort();
    assert!(!snapshots.is_empty());
    let mut compared = 0;
    for snap in snapshots {
        let stem = snap.file_stem().unwrap().to_string_lossy().into_owned();
        let reference = root().join(format!("testdata/python/reference/{stem}.json"));
        let Ok(text) = std::fs::read_to_string(&reference) else {
            continue;
        };
        let want: Value = serde_json::from_str(&text).expect("reference JSON");
        let rel = snap
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for (group, key) in [
            ("lineno", "lineno_cumulative"),
            ("filename", "filename_cumulative"),
        ] {
            let report = analyze_json(&rel, &["--cumulative", "--group-by", group])
                .expect("tracemalloc is read");
            let (got, order) = ours(&report);
            let expect = recorded(&want["statistics"][key]);
            assert_eq!(got, expect, "{rel} --group-by {group} --cumulative");
            assert!(
                order.windows(2).all(|w| w[0] >= w[1]),
                "{rel}: sorted by cumulative size"
            );
            compared += 1;
        }
    }
    eprintln!("compared {compared} snapshot/grouping pairs with CPython");
    assert!(
        compared >= 20,
        "only {compared} snapshot/grouping pairs had a reference"
    );
}

#[test]
fn cumulative_is_refused_politely_for_object_graphs() {
    let report = analyze_json("testdata/java/dumps/healthy.hprof", &["--cumulative"])
        .expect("hprof is read");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("--cumulative applies to allocation profiles (call trees) only; this hprof input is an object graph")),
        "{warnings:?}"
    );
    assert!(report["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("cumulative_bytes").is_none()));
}
