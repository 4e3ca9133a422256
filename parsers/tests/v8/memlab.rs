//! Differential tests against memlab: every fixture in `testdata/node/snapshots` is parsed and
//! analysed, and compared with `testdata/node/reference/<name>.memlab.json` (recorded by
//! `testdata/node/reference/record.sh`; see `testdata/node/README.md`).

use std::collections::HashMap;
use std::path::PathBuf;

use heapscope_graph::{Analysis, NodeIdx};
use heapscope_parsers::v8::{self, Compat};
use heapscope_parsers::Input;
use serde_json::Value;

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/node")
}

fn reference(name: &str) -> Value {
    let p = node_dir()
        .join("reference")
        .join(format!("{name}.memlab.json"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

struct Loaded {
    a: Analysis,
    info: heapscope_graph::DumpFacts,
    inspector: Box<dyn heapscope_graph::Inspector>,
}

fn snapshot_path(name: &str) -> PathBuf {
    node_dir()
        .join("snapshots")
        .join(format!("{name}.heapsnapshot"))
}

/// Parse as memlab names things (see `Compat::Memlab`) and analyse.
fn analyse(name: &str) -> Loaded {
    let input = Input::open(&snapshot_path(name)).unwrap();
    let parsed = v8::parse_with(&input, &Default::default(), Compat::Memlab)
        .unwrap_or_else(|e| panic!("{e}"));
    Loaded {
        a: Analysis::run(parsed.graph),
        info: parsed.info,
        inspector: parsed.inspector,
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

/// Compare one fixture with memlab; returns the analysis for scenario-specific checks.
fn check(name: &str) -> Analysis {
    let r = reference(name);
    let Loaded { a, info, .. } = analyse(name);
    let g = &a.graph;
    assert_eq!(info.format_name, "v8-heapsnapshot");

    // Counts exact.
    assert_eq!(g.node_count() as u64, u(&r["node_count"]), "{name}: nodes");
    assert_eq!(g.edge_count() as u64, u(&r["edge_count"]), "{name}: edges");
    assert_eq!(
        g.total_shallow(),
        u(&r["self_size_total"]),
        "{name}: total self size"
    );

    // Per class (DevTools name): count and self size exact, and no class memlab lacks.
    let mut ours: HashMap<&str, (u64, u64)> = HashMap::new();
    for i in 0..g.node_count() {
        let e = ours.entry(g.type_name(NodeIdx(i as u32))).or_default();
        e.0 += 1;
        e.1 += g.shallow[i];
    }
    let classes = r["classes"].as_array().unwrap();
    for c in classes {
        let cname = c["name"].as_str().unwrap();
        let got = ours.get(cname).copied().unwrap_or_default();
        assert_eq!(
            got,
            (u(&c["count"]), u(&c["self_size"])),
            "{name}: class {cname:?} (count, self size)"
        );
    }
    assert_eq!(ours.len(), classes.len(), "{name}: number of classes");

    // Retained sizes. memlab hangs the nodes that no retaining path reaches below the synthetic
    // root; heapscope hangs them below its virtual super-root (module docs of parsers::v8). So
    // the synthetic root (node 0) differs by exactly their self sizes, every other node is equal.
    let orphan_bytes: u64 = a
        .dom
        .idom
        .iter()
        .enumerate()
        .filter(|&(v, &d)| v != 0 && d == heapscope_graph::SUPER)
        .map(|(v, _)| g.shallow[v])
        .sum();
    let by_id: HashMap<u64, usize> = g.ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let root_id = g.ids[0];
    let top = r["largest_retained"].as_array().unwrap();
    assert_eq!(top.len(), 50, "{name}: reference lists 50 nodes");
    let mut expected_sizes = Vec::new();
    for t in top {
        let id = u(&t["id"]);
        let &i = by_id
            .get(&id)
            .unwrap_or_else(|| panic!("{name}: node @{id} missing"));
        let want = u(&t["retained_size"]);
        let got = a.retained[i];
        if id == root_id {
            assert_eq!(
                got + orphan_bytes,
                want,
                "{name}: synthetic root retained + orphans"
            );
            assert_eq!(want, u(&r["root_retained_size"]));
        } else {
            assert_eq!(got, want, "{name}: retained size of @{id} ({})", t["class"]);
            // Same immediate dominator (memlab's root is node 0; ours is node 0 too, or the
            // super-root for orphans, which never retain this much).
            let dom_id = u(&t["dominator_id"]);
            let ours_dom = a.idom(NodeIdx(i as u32)).map(|d| g.ids[d.ix()]);
            assert_eq!(ours_dom, Some(dom_id), "{name}: dominator of @{id}");
        }
        assert_eq!(
            g.type_name(NodeIdx(i as u32)),
            t["class"].as_str().unwrap(),
            "{name}: class of @{id}"
        );
        assert_eq!(
            g.shallow[i],
            u(&t["self_size"]),
            "{name}: self size of @{id}"
        );
        expected_sizes.push(if id == root_id {
            want - orphan_bytes
        } else {
            want
        });
    }
    // Our own top 50 has the same retained sizes in the same order (ties may swap ids).
    let ours_top: Vec<u64> = a
        .top_retained(50)
        .iter()
        .map(|n| a.retained[n.ix()])
        .collect();
    assert_eq!(
        ours_top, expected_sizes,
        "{name}: the 50 largest retained sizes"
    );
    a
}

/// The node of `class` with the largest retained size.
fn largest_of(a: &Analysis, class: &str) -> (NodeIdx, u64) {
    let g = &a.graph;
    (0..g.node_count())
        .map(|i| NodeIdx(i as u32))
        .filter(|&n| g.type_name(n) == class)
        .map(|n| (n, a.retained[n.ix()]))
        .max_by_key(|&(_, r)| r)
        .unwrap_or_else(|| panic!("no {class}"))
}

#[test]
fn emitter_listeners_matches_memlab() {
    let a = check("emitter-listeners");
    // The leak is visible as DevTools shows it: the emitter retains the listener array, and
    // its `_events` edge is labelled.
    let (bus, retained) = largest_of(&a, "ConfigBus");
    assert!(retained > 1_000_000, "ConfigBus retains {retained}");
    let labels: Vec<String> = a
        .graph
        .edges(bus)
        .filter_map(|e| a.graph.label_text(e.label))
        .collect();
    assert!(labels.iter().any(|l| l == "_events"), "{labels:?}");
}

#[test]
fn closure_retention_matches_memlab() {
    let a = check("closure-retention");
    let (_, retained) = largest_of(&a, "(closure)");
    assert!(retained > 1_000_000, "someMethod chain retains {retained}");
}

#[test]
fn map_cache_matches_memlab() {
    check("map-cache");
}

#[test]
fn global_array_matches_memlab() {
    check("global-array");
}

#[test]
fn undrained_stream_matches_memlab() {
    let a = check("undrained-stream");
    assert!(largest_of(&a, "ReadableState").1 > 500_000);
    assert!(largest_of(&a, "WritableState").1 > 200_000);
}

#[test]
fn healthy_matches_memlab() {
    check("healthy");
}

#[test]
fn series_matches_memlab() {
    for name in ["series-baseline", "series-target", "series-final"] {
        check(name);
    }
}

#[test]
fn inspector_names_closures_and_strings() {
    let Loaded { a, info, inspector } = analyse("emitter-listeners");
    let g = &a.graph;
    let mut closures = 0;
    let mut with_location = 0;
    let mut strings = 0;
    for i in 0..g.node_count() {
        let n = NodeIdx(i as u32);
        let preview = inspector.value_preview(g, n);
        match (g.type_name(n), preview.as_deref()) {
            ("(closure)", Some("onConfigChanged()")) => {
                closures += 1;
                if inspector.source_line(g, n).is_some() {
                    with_location += 1;
                }
            }
            ("(string)", Some("\"configChanged\"")) => strings += 1,
            _ => {}
        }
    }
    assert_eq!(closures, 1500, "one listener closure per request");
    assert_eq!(with_location, 1500);
    assert!(strings >= 1);
    assert_eq!(
        crate::details(&info)["detachedness"],
        serde_json::json!(true)
    );
    assert_eq!(
        crate::details(&info)["node_fields"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
}

/// DevTools' detachedness propagation (the default) differs from memlab's only in names: some
/// native nodes that memlab leaves plain are `Detached …` here. Stripping the prefix, both
/// histograms are equal, and DevTools marks at least as many nodes detached.
#[test]
fn devtools_detachedness_differs_from_memlab_only_by_prefix() {
    for name in ["undrained-stream", "healthy"] {
        let devtools = heapscope_parsers::open(&snapshot_path(name), &Default::default())
            .unwrap()
            .graph;
        let memlab = analyse(name).a.graph;
        assert_eq!(devtools.node_count(), memlab.node_count());
        let strip = |s: &str| s.strip_prefix("Detached ").unwrap_or(s).to_owned();
        let (mut more, mut fewer) = (0, 0);
        for i in 0..devtools.node_count() {
            let (d, m) = (
                devtools.type_name(NodeIdx(i as u32)),
                memlab.type_name(NodeIdx(i as u32)),
            );
            assert_eq!(strip(d), strip(m), "{name}: node {i}");
            match (d.starts_with("Detached "), m.starts_with("Detached ")) {
                (true, false) => more += 1,
                (false, true) => fewer += 1,
                _ => {}
            }
        }
        assert_eq!(fewer, 0, "{name}");
        assert!(
            more > 0,
            "{name}: the fixtures have natives reached from detached ones over internal edges"
        );
        assert_eq!(
            devtools.targets, memlab.targets,
            "{name}: retention does not depend on Compat"
        );
    }
}
