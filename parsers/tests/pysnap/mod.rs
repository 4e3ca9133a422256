//! Python heap snapshots (`heapscope_snapshot.py`): the committed per-version fixtures against
//! guppy3's heapy and `sys.getsizeof` (recorded beside each by testdata/python/heapsnap/gen.sh),
//! the dumper run live by the installed python3, and hostile input.

use std::path::{Path, PathBuf};
use std::process::Command;

use heapscope_graph::{Analysis, HeapGraph, Label, NodeIdx, Runtime};
use heapscope_parsers::{open, pysnap, Input, ParseOptions, Parsed};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/python/heapsnap")
}

/// Every committed snapshot (first snapshots only), sorted; each CPython 3.8–3.13 must be there.
fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data_dir().join("snapshots"))
        .expect("testdata/python/heapsnap/snapshots")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".pysnap.gz"))
        .collect();
    v.sort();
    for tag in ["py38", "py39", "py310", "py311", "py312", "py313"] {
        for s in ["cache", "memo", "cycles", "native", "healthy"] {
            let want = format!("{s}-{tag}.pysnap.gz");
            assert!(
                v.iter().any(|p| p.ends_with(&want)),
                "no {want} in testdata/python/heapsnap/snapshots (run gen.sh)"
            );
        }
    }
    v
}

/// `cache-py311` of `…/cache-py311.pysnap.gz` (and `cache-py311-2` of the second snapshot).
fn stem(p: &Path) -> String {
    let name = p.file_name().unwrap().to_string_lossy();
    name.trim_end_matches(".pysnap.gz").to_string()
}

fn reference(stem: &str) -> Value {
    let p = data_dir().join("reference").join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn load(p: &Path) -> Parsed {
    open(p, &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn node_of(g: &HeapGraph, id: u64) -> NodeIdx {
    (0..g.node_count() as u32)
        .map(NodeIdx)
        .find(|&n| g.ids[n.ix()] == id)
        .unwrap_or_else(|| panic!("no node with id {id}"))
}

#[test]
fn fixtures_are_detected_with_cpython_facts() {
    for f in fixtures() {
        let p = load(&f);
        assert_eq!(p.info.format_name, "python-heapsnapshot", "{}", f.display());
        assert!(p.info.compressed);
        assert_eq!(p.info.runtime, Runtime::CPython);
        assert!(!p.info.is_call_tree());
        assert!(p.info.ids_stable, "id() is stable within one process");
        assert!(p.info.process_rss.is_some_and(|r| r > 0), "{}", f.display());
        assert!(p.graph.node_count() > 1000 && !p.graph.roots.is_empty());
    }
}

/// Shallow sizes are `sys.getsizeof` exactly; the held object's retained size is guppy's
/// `hp.iso(x).domisize`, plus (for a dict on 3.11+) its str keys, which CPython's
/// `gc.get_referents` — and so guppy — does not report but the dumper follows. Totals: the
/// snapshot holds every object of `gc.get_objects()` and their referents' closure, whose
/// getsizeof total the reference recorded right before the dump (the dump happens a few
/// statements later, so ±2% and ±2% objects).
#[test]
fn sizes_match_guppy_and_getsizeof() {
    let mut compared = 0;
    for f in fixtures() {
        let stem = stem(&f);
        if stem.ends_with("-2") {
            continue; // a second snapshot of the cache process: no reference of its own
        }
        let r = reference(&stem);
        let p = load(&f);
        let id = r["object_id"].as_u64().unwrap();
        let a = Analysis::run(p.graph);
        let g = &a.graph;
        let n = node_of(g, id);
        assert_eq!(
            g.shallow[n.ix()],
            r["getsizeof"].as_u64().unwrap(),
            "{stem}: shallow"
        );
        // Totals. CPython's dict traversal skips the keys of all-str-keyed dicts, so the
        // reference's gc.get_referents closure lacks the str keys only dicts hold; the dumper
        // walks dict items and has them (a dict's edges are key, value pairs). Without them
        // the totals agree within 2% (the reference is taken a few statements before the dump).
        let mut key_only = vec![0u8; g.node_count()]; // bit 0: a dict key, bit 1: anything else
        for v in 0..g.node_count() as u32 {
            let from_dict = g.type_name(NodeIdx(v)) == "dict";
            // A dict's edges come in pairs, key then value.
            for (i, e) in g.edges(NodeIdx(v)).enumerate() {
                let key = from_dict && i % 2 == 0;
                key_only[e.target.ix()] |= if key { 1 } else { 2 };
            }
        }
        let (mut keys_n, mut keys_b) = (0u64, 0u64);
        for (v, &k) in key_only.iter().enumerate().take(g.node_count()) {
            if k == 1 && g.type_name(NodeIdx(v as u32)) == "str" {
                keys_n += 1;
                keys_b += g.shallow[v];
            }
        }
        let total: u64 = g.shallow.iter().sum::<u64>() - keys_b;
        let want = r["closure_getsizeof"].as_u64().unwrap() as f64;
        let count = r["closure_count"].as_u64().unwrap() as f64;
        let nodes = g.node_count() as f64 - keys_n as f64;
        assert!(
            (total as f64 - want).abs() <= 0.02 * want,
            "{stem}: total {total} (without {keys_b} B of dict-only str keys) vs getsizeof closure {want}"
        );
        assert!(
            (nodes - count).abs() <= 0.02 * count,
            "{stem}: {nodes} objects (without {keys_n} dict-only str keys) vs closure {count}"
        );
        let Some(gp) = r["guppy"].as_object() else {
            panic!("{stem}: no guppy answer recorded ({})", r["guppy_missing"]);
        };
        let domisize = gp["domisize"].as_u64().unwrap();
        // CPython's dict traversal never reports the keys of an all-str-keyed dict, so guppy
        // (which follows it) leaves them out; the dumper walks the items and owns them.
        let keys = r["keys_getsizeof"].as_u64().unwrap_or(0);
        // CPython 3.11+ keeps an instance's attribute values inline, outside what
        // sys.getsizeof reports and inside what guppy counts: at most 96 B per instance.
        let minor: u32 = r["python"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let instances = (0..g.node_count() as u32)
            .filter(|&v| g.type_name(NodeIdx(v)) == "app.cycles.Conn")
            .count() as u64;
        let inline = if minor >= 11 { 96 * instances } else { 0 };
        let ours = a.retained[n.ix()];
        let want = domisize + keys;
        let tol = want / 100 + 512;
        assert!(
            ours <= want + tol && ours + inline + tol >= want,
            "{stem}: retained {ours} vs guppy domisize {domisize} + keys {keys} (inline allowance {inline})"
        );
        compared += 1;
    }
    assert!(compared >= 30);
}

/// The roots name module variables and frames; dict values carry their key, list items their
/// index; the lru wrapper says maxsize=None and which dict is its cache; objects carry their
/// allocation site (the fixtures trace with tracemalloc).
#[test]
fn roots_labels_caches_and_sites() {
    for tag in ["py38", "py311", "py313"] {
        let p = load(&data_dir().join(format!("snapshots/cache-{tag}.pysnap.gz")));
        let g = &p.graph;
        let r = reference(&format!("cache-{tag}"));
        let n = node_of(g, r["object_id"].as_u64().unwrap());
        let via: Vec<String> = g
            .roots
            .iter()
            .filter(|x| x.node == n)
            .filter_map(|x| {
                g.label_text(heapscope_graph::Label::Name(heapscope_graph::LabelId(
                    x.via,
                )))
            })
            .collect();
        assert!(
            via.iter().any(|v| v == "app.cache · _cache"),
            "{tag}: {via:?}"
        );
        let labels: Vec<String> = g.edges(n).filter_map(|e| g.label_text(e.label)).collect();
        assert!(
            labels.iter().any(|l| l == "req-000001"),
            "{tag}: dict values labelled by key"
        );
        // The value stored under "req-000001" was made in handle() (the dict itself may come
        // from CPython's free list of dicts, whose block tracemalloc traced elsewhere or not).
        let value = g
            .edges(n)
            .find(|e| g.label_text(e.label).as_deref() == Some("req-000001"))
            .unwrap()
            .target;
        assert!(p.inspector.records_allocation_sites(), "{tag}");
        let site = p
            .inspector
            .allocation_site(g, value)
            .expect("an allocation site");
        assert!(
            site.last()
                .is_some_and(|(f, l)| f.ends_with("app/cache.py") && *l == 7),
            "{tag}: {site:?}"
        );
        let m = load(&data_dir().join(format!("snapshots/memo-{tag}.pysnap.gz")));
        let rm = reference(&format!("memo-{tag}"));
        let w = node_of(&m.graph, rm["object_id"].as_u64().unwrap());
        let lim = m
            .inspector
            .cache_limit(&m.graph, w)
            .expect("lru annotation");
        assert_eq!(lim.max_entries, None);
        assert_eq!(lim.entries, 6000);
        let table = lim.table.expect("the cache dict");
        assert!(m
            .graph
            .edges(w)
            .any(|e| e.target == table && m.graph.label_text(e.label).as_deref() == Some("cache")));
        let list = load(&data_dir().join(format!("snapshots/cycles-{tag}.pysnap.gz")));
        let rc = reference(&format!("cycles-{tag}"));
        let gl = node_of(&list.graph, rc["object_id"].as_u64().unwrap());
        assert!(list
            .graph
            .edges(gl)
            .any(|e| matches!(e.label, Label::Index(0))));
    }
}

#[test]
fn hostile_files_fail_with_offset_and_expectation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/bad/pysnap");
    let cases = [
        ("newer_version", 8, "a newer heapscope_snapshot.py"),
        (
            "node_count_beyond_section",
            101,
            "node count that the section",
        ),
        ("section_length_past_end", 97, "section length within"),
        ("no_end_section", 169, "end section (E)"),
        ("edge_counts_past_section", 149, "edge count within"),
        ("type_index_out_of_range", 125, "type index below 2"),
        ("label_index_out_of_range", 165, "label index below"),
        ("type_table_gap", 71, "continue at index 0"),
        ("unknown_section_tag", 96, "section tag"),
        ("end_counts_disagree", 169, "counting the 2 nodes"),
        ("type_name_past_section", 83, "a type name"),
    ];
    for (name, offset, text) in cases {
        let f = dir.join(format!("{name}.pysnap"));
        match open(&f, &ParseOptions::default()) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => {
                assert_eq!(e.offset, offset, "{name}: {e}");
                assert!(e.expected.contains(text), "{name}: {e}");
                assert!(e.to_string().contains(&format!("{name}.pysnap")), "{e}");
            }
        }
    }
}

/// Every truncation of a real snapshot (at a stride, and every byte of the first 200) is an
/// error naming the file, never a panic or a half-read graph.
#[test]
fn truncations_are_errors() {
    let f = data_dir().join("snapshots/healthy-py311.pysnap.gz");
    let whole = Input::open(&f).unwrap().gunzip().unwrap().bytes().to_vec();
    let cuts = (0..200).chain((200..whole.len()).step_by(whole.len() / 300 + 1));
    for cut in cuts {
        let input = Input::from_bytes(Path::new("cut.pysnap"), whole[..cut].to_vec());
        let accepted = pysnap::parse(&input, &ParseOptions::default()).is_ok();
        assert!(
            !accepted || cut < 8,
            "a snapshot cut at {cut} of {} was accepted",
            whole.len()
        );
    }
}

fn python3() -> Option<PathBuf> {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("import sys; assert sys.version_info >= (3, 8)")
        .status()
        .is_ok_and(|s| s.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("python3 (3.8+) must be installed in CI: the dumper is run end to end");
    }
    ok.then(|| PathBuf::from("python3"))
}

/// The dumper as embedded in the binary, run by the installed python3 on a small program:
/// the snapshot reads back with the program's global named, a frame local named, previews and
/// the lru annotation; a second snapshot of the same process keeps the survivors' ids.
#[test]
fn installed_python_writes_a_snapshot_we_read() {
    let Some(py) = python3() else {
        eprintln!("python3 is not installed here: skipped (CI requires it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("heapscope_snapshot.py"), pysnap::DUMPER).unwrap();
    let prog = r#"
import functools, os, sys, tracemalloc
sys.path.insert(0, os.getcwd())
import heapscope_snapshot
tracemalloc.start(1)
DATA = {"k%d" % i: "v" * 50 + str(i) for i in range(300)}
@functools.lru_cache(maxsize=None)
def sq(n): return [n] * 10
for i in range(100): sq(i)
def work(out):
    local_rows = list(range(1000, 2000))
    heapscope_snapshot.dump(os.path.join(out, "a.pysnap"))
    DATA["extra"] = "x"
    heapscope_snapshot.dump(os.path.join(out, "b.pysnap"))
    print(id(DATA), id(local_rows))
work(sys.argv[1])
"#;
    let out = Command::new(py)
        .current_dir(dir.path())
        .arg("-S")
        .arg("-c")
        .arg(prog)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !names.iter().any(|n| n.to_string_lossy().contains(".tmp-")),
        "{names:?}"
    );
    let a = load(&dir.path().join("a.pysnap"));
    let b = load(&dir.path().join("b.pysnap"));
    for p in [&a, &b] {
        let g = &p.graph;
        // Every reference the dumper writes points at an object it also wrote (its own
        // bookkeeping, closures included, is left out whole).
        assert!(
            !g.warnings.iter().any(|w| w.contains("not in the dump")),
            "{:?}",
            g.warnings
        );
        let data = node_of(g, ids[0]);
        let rows = node_of(g, ids[1]);
        let vias = |n: NodeIdx| -> Vec<String> {
            g.roots
                .iter()
                .filter(|r| r.node == n)
                .filter_map(|r| g.label_text(Label::Name(heapscope_graph::LabelId(r.via))))
                .collect()
        };
        assert!(
            vias(data).contains(&"__main__ · DATA".to_string()),
            "{:?}",
            vias(data)
        );
        assert!(
            vias(rows).iter().any(|v| v.starts_with("thread ")
                && v.contains(" · work (<string>:")
                && v.ends_with(" · local_rows")),
            "{:?}",
            vias(rows)
        );
        assert!(g
            .edges(data)
            .any(|e| p.inspector.allocation_site(g, e.target).is_some()));
        assert!(g.edges(rows).count() == 1000);
    }
    // ids survive from one snapshot to the next
    assert_eq!(
        a.graph.ids[node_of(&a.graph, ids[0]).ix()],
        b.graph.ids[node_of(&b.graph, ids[0]).ix()]
    );
    assert_eq!(
        a.graph.edges(node_of(&a.graph, ids[0])).count() + 2,
        b.graph.edges(node_of(&b.graph, ids[0])).count()
    );
}

#[test]
fn memory_estimate_counts_what_the_index_declares() {
    use heapscope_parsers::budget;
    for p in fixtures() {
        let mut input = Input::open(&p).unwrap();
        if p.extension().is_some_and(|e| e == "gz") {
            input = input.gunzip().unwrap();
        }
        let ix = pysnap::read::index(input.bytes()).unwrap();
        let parsed = load(&p);
        let (nodes, edges) = (ix.node_total as u64, ix.edge_total as u64);
        assert_eq!(nodes, parsed.graph.node_count() as u64, "{}", p.display());
        assert!(edges >= parsed.graph.edge_count() as u64, "{}", p.display());
        // The id index's sorted pairs (16 B/node) and its ids and indices (12 B) at once, then
        // the builder's columns (21 B/node) and edges (4 + 4 B) when they stay in memory.
        let spilled = budget::estimate(budget::PYSNAP, nodes, edges, true);
        let floor = nodes * budget::PYSNAP_FLOOR_PER_NODE;
        assert!(
            spilled >= 28 * nodes && floor >= 28 * nodes,
            "{}",
            p.display()
        );
        let in_memory = budget::estimate(budget::PYSNAP, nodes, edges, false);
        assert!(in_memory >= 28 * nodes + 8 * edges, "{}", p.display());
    }
}
