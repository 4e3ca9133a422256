//! Snapshots written by every Node major (`testdata/node/versions/`, see its README): each one
//! opens, and where a reference answer lies beside it, the node and edge counts, the meta's
//! type lists and the per-class counts and self sizes are the reference's.
//!
//! Classes are compared as in `memlab.rs`: the graph's type name of each node, parsed with
//! [`Compat::Memlab`]. Against memlab's own answer (`reference/<name>.memlab.json`) they must be
//! equal class for class, `Detached ` prefixes included; against the plain reading of the JSON
//! (`reference/<name>.json`, `reference.js`), which keeps V8's names, after dropping that prefix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heapscope_graph::{HeapGraph, NodeIdx};
use heapscope_parsers::v8::{self, Compat};
use heapscope_parsers::Input;
use serde_json::Value;

fn versions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/node/versions")
}

fn read_json(p: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(p).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

type Classes = BTreeMap<String, (u64, u64)>;

fn classes_of(g: &HeapGraph, strip_detached: bool) -> Classes {
    let mut out = Classes::new();
    for i in 0..g.node_count() {
        let name = g.type_name(NodeIdx(i as u32));
        let name = match name.strip_prefix("Detached ") {
            Some(rest) if strip_detached => rest,
            _ => name,
        };
        let e = out.entry(name.to_owned()).or_default();
        e.0 += 1;
        e.1 += g.shallow[i];
    }
    out
}

fn reference_classes(r: &Value) -> Classes {
    r["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("class name").to_owned(),
                (u(&c["count"]), u(&c["self_size"])),
            )
        })
        .collect()
}

/// The differences between two class tables, at most a few, for a readable failure.
fn class_diff(ours: &Classes, want: &Classes) -> Vec<String> {
    let mut out = Vec::new();
    for (name, w) in want {
        let got = ours.get(name).copied().unwrap_or_default();
        if got != *w {
            out.push(format!("{name:?}: (count, self) {got:?}, reference {w:?}"));
        }
    }
    for name in ours.keys().filter(|n| !want.contains_key(*n)) {
        out.push(format!("{name:?}: not in the reference"));
    }
    out.truncate(8);
    out
}

/// Check one snapshot; returns a one-line summary, or what differs.
fn check(path: &Path) -> Result<String, String> {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let name = file.trim_end_matches(".heapsnapshot.gz").to_owned();
    let gz = Input::open(path).map_err(|e| e.to_string())?;
    let input = gz.gunzip().map_err(|e| e.to_string())?;
    let parsed =
        v8::parse_with(&input, &Default::default(), Compat::Memlab).map_err(|e| e.to_string())?;
    let g = &parsed.graph;
    let info = &parsed.info;
    let mut bad = Vec::new();
    let refdir = versions_dir().join("reference");
    let plain = read_json(&refdir.join(format!("{name}.json")));
    let memlab = read_json(&refdir.join(format!("{name}.memlab.json")));
    for (what, r) in [("reference", &plain), ("memlab", &memlab)] {
        let Some(r) = r else { continue };
        if g.node_count() as u64 != u(&r["node_count"]) {
            bad.push(format!(
                "{what}: nodes {} != {}",
                g.node_count(),
                r["node_count"]
            ));
        }
        if g.edge_count() as u64 != u(&r["edge_count"]) {
            bad.push(format!(
                "{what}: edges {} != {}",
                g.edge_count(),
                r["edge_count"]
            ));
        }
        if g.total_shallow() != u(&r["self_size_total"]) {
            bad.push(format!(
                "{what}: self sizes {} != {}",
                g.total_shallow(),
                r["self_size_total"]
            ));
        }
    }
    if let Some(r) = &plain {
        let meta = &r["meta"];
        for key in ["node_types", "edge_types"] {
            if crate::details(info).get(key) != Some(&meta[key][0]) {
                bad.push(format!(
                    "{key}: {:?} != {}",
                    crate::details(info).get(key),
                    meta[key][0]
                ));
            }
        }
        if crate::details(info).get("node_fields") != Some(&meta["node_fields"]) {
            bad.push("node_fields differ".to_owned());
        }
        let d = class_diff(&classes_of(g, true), &reference_classes(r));
        bad.extend(d.into_iter().map(|d| format!("reference class {d}")));
    }
    if let Some(r) = &memlab {
        let d = class_diff(&classes_of(g, false), &reference_classes(r));
        bad.extend(d.into_iter().map(|d| format!("memlab class {d}")));
    }
    // A type index beyond the meta's list (Node 8 writes `symbol` nodes as type 12 of 12) is
    // read, named `(undefined)`, and said.
    let unlisted = classes_of(g, false).get("(undefined)").map_or(0, |c| c.0);
    let warned = info
        .warnings
        .iter()
        .any(|w| w.contains("beyond the") && w.contains("node_types"));
    if (unlisted > 0) != warned {
        bad.push(format!(
            "{unlisted} (undefined) nodes, warnings {:?}",
            info.warnings
        ));
    }
    let refs = match (&plain, &memlab) {
        (Some(_), Some(_)) => "reference + memlab",
        (Some(_), None) => "reference",
        (None, Some(_)) => "memlab",
        (None, None) => "opens (no reference)",
    };
    if bad.is_empty() {
        Ok(format!(
            "{name}: {} nodes, {} edges, {} classes, {refs}; warnings {:?}",
            g.node_count(),
            g.edge_count(),
            classes_of(g, false).len(),
            info.warnings
        ))
    } else {
        Err(format!("{name}:\n  {}", bad.join("\n  ")))
    }
}

#[test]
fn every_node_major_opens_and_matches_its_reference() {
    let dir = versions_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".heapsnapshot.gz"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no snapshots in {}", dir.display());
    let results: Vec<Result<String, String>> = paths.iter().map(|p| check(p)).collect();
    for r in &results {
        match r {
            Ok(s) => eprintln!("ok   {s}"),
            Err(s) => eprintln!("FAIL {s}"),
        }
    }
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed",
        failed.len(),
        paths.len()
    );
}
