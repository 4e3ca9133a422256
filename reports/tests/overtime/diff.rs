//! Diff on heaps built through the real builder; expected values are recomputed from the
//! scenario's parameters or from the samples by definition, never copied from the output.

use std::collections::BTreeMap;

use crate::facts::Format;
use heapscope_reports::overtime::{build_diff, diff_summaries, DiffOptions, DiffRow};

use super::heaps::*;
use heapscope_graph::NodeKind;

fn java(orders: u64, cached: u64, base_id: u64, path: &str) -> Analysed {
    Analysed::new(
        java_heap(
            &JavaStep {
                orders,
                cached,
                config_bytes: 0,
            },
            base_id,
        ),
        Format::Hprof,
        path,
        None,
    )
}

fn row<'a>(rows: &'a [DiffRow], t: &str) -> &'a DiffRow {
    rows.iter()
        .find(|r| r.type_name == t)
        .unwrap_or_else(|| panic!("no row {t}"))
}

#[test]
fn hprof_diff_by_type_counts_the_new_objects_though_every_address_moved() {
    let (b, t) = (
        java(2000, 1500, 0x1000_0000, "growth_1.hprof"),
        java(4000, 3000, 0x7000_0000, "growth_2.hprof"),
    );
    let d = build_diff(b.dump(), t.dump(), &DiffOptions::default());
    assert_eq!(d.semantics.compared_by, ["type", "path"]);
    assert!(
        d.new_objects.is_none(),
        "HPROF ids are addresses: no matching by id"
    );
    let order = row(&d.types, "com.acme.Order");
    assert_eq!(
        (order.base.count, order.target.count, order.change.count),
        (2000, 4000, 2000)
    );
    assert_eq!(order.change.shallow_bytes, (2000 * ORDER_BYTES) as i64);
    // An Order retains its payload: minimum retained size of all Orders grows by both.
    assert_eq!(
        order.change.retained_bytes,
        (2000 * (ORDER_BYTES + PAYLOAD_BYTES)) as i64
    );
    let bytes = row(&d.types, "byte[]");
    assert_eq!(bytes.change.count, 2000 + 1500);
    assert_eq!(
        bytes.change.shallow_bytes,
        (2000 * PAYLOAD_BYTES + 1500 * PROFILE_BYTES) as i64
    );
    // Sorted by |shallow change|, largest first.
    for w in d.types.windows(2) {
        assert!(
            w[0].change.shallow_bytes.unsigned_abs() >= w[1].change.shallow_bytes.unsigned_abs()
        );
    }
    assert!(
        d.types.iter().all(|r| !r.change.is_zero()),
        "unchanged types are left out"
    );
    assert!(!d.types.iter().any(|r| r.type_name == "com.acme.Config"));
    // Whole-dump totals agree with the per-type rows.
    let sum: i64 = d.types.iter().map(|r| r.change.shallow_bytes).sum();
    assert_eq!(d.totals.change.shallow_bytes, sum);
}

#[test]
fn hprof_diff_by_path_to_root_separates_payloads_from_cached_values() {
    let (b, t) = (
        java(2000, 1500, 0x1000_0000, "a"),
        java(4000, 3000, 0x5000_0000, "b"),
    );
    let d = build_diff(b.dump(), t.dump(), &DiffOptions::default());
    let path = |suffix: &str| {
        d.paths
            .iter()
            .find(|r| r.path.as_deref().is_some_and(|p| p.ends_with(suffix)))
            .unwrap_or_else(|| {
                panic!(
                    "no path ending {suffix}: {:#?}",
                    d.paths.iter().map(|p| p.path.clone()).collect::<Vec<_>>()
                )
            })
    };
    let payloads = path("class com.acme.OrderService > AUDIT_LOG > java.util.ArrayList > elementData > java.lang.Object[] > [] > com.acme.Order > payload > byte[]");
    assert_eq!(payloads.change.count, 2000);
    assert_eq!(payloads.change.shallow_bytes, (2000 * PAYLOAD_BYTES) as i64);
    let values = path("class com.acme.CustomerCache > PROFILES > java.util.HashMap > table > java.util.HashMap$Node[] > [] > java.util.HashMap$Node > value > byte[]");
    assert_eq!(values.change.count, 1500);
    assert_eq!(values.change.retained_bytes, (1500 * PROFILE_BYTES) as i64);
    // The map holds everything below it: its retained change is the whole cache's.
    let map = path("class com.acme.CustomerCache > PROFILES > java.util.HashMap");
    assert_eq!(
        map.change.retained_bytes,
        (1500 * (32 + 24 + PROFILE_BYTES)) as i64
    );
    // Sorted by |retained change|: the class loader, which holds every class, comes first.
    assert!(d.paths[0]
        .path
        .as_deref()
        .unwrap()
        .ends_with("java.lang.ClassLoader"));
    for w in d.paths.windows(2) {
        assert!(
            w[0].change.retained_bytes.unsigned_abs() >= w[1].change.retained_bytes.unsigned_abs()
        );
    }
}

#[test]
fn v8_diff_lists_the_objects_new_in_target_by_id() {
    let base: Vec<u64> = (0..100).collect();
    // 30 jobs finished (gone), 50 new ones.
    let target: Vec<u64> = (30..150).collect();
    let b = Analysed::new(v8_heap(&base), Format::V8, "s1.heapsnapshot", None);
    let t = Analysed::new(v8_heap(&target), Format::V8, "s2.heapsnapshot", None);
    let d = build_diff(b.dump(), t.dump(), &DiffOptions::default());
    let n = d
        .new_objects
        .as_ref()
        .expect("V8 ids are stable: new objects listed");
    let jobs = n
        .by_type
        .iter()
        .find(|r| r.type_name == "PendingJob")
        .unwrap();
    assert_eq!(jobs.count, 50);
    assert_eq!(
        jobs.retained_bytes,
        50 * (40 + 24),
        "each new job with its name"
    );
    assert_eq!(
        jobs.example_ids,
        (100..105)
            .map(|k| (1000 + 2 * k).to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(n.count, 100, "50 jobs and 50 names");
    assert_eq!(n.gone_count, 60, "30 jobs and 30 names");
    let per_type = row(&d.types, "PendingJob");
    assert_eq!(per_type.change.count, 20);
}

/// pprof's flat and cum by definition: flat = samples whose leaf is the function; cum = samples
/// with the function anywhere on the stack, once per sample.
fn flat_cum(samples: &[(Vec<&str>, u64, u64)]) -> BTreeMap<String, (i64, i64)> {
    let mut m: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (stack, v, _) in samples {
        m.entry(stack.last().unwrap().to_string()).or_default().0 += *v as i64;
        let mut seen: Vec<&str> = stack.clone();
        seen.sort();
        seen.dedup();
        for f in seen {
            m.entry(f.to_string()).or_default().1 += *v as i64;
        }
    }
    m
}

#[test]
fn pprof_diff_is_flat_and_cum_of_target_minus_base() {
    let base = vec![
        (
            vec!["runtime.main", "main.main", "main.tick", "main.appendAudit"],
            307_200,
            1200,
        ),
        (
            vec!["runtime.main", "main.main", "main.tick", "main.fetchEntry"],
            1_536_000,
            1500,
        ),
        (
            vec![
                "runtime.main",
                "main.main",
                "main.tick",
                "main.fetchEntry",
                "strconv.Itoa",
            ],
            16,
            1,
        ),
        (
            vec![
                "runtime.main",
                "main.main",
                "main.rec",
                "main.rec",
                "main.rec",
            ],
            4096,
            4,
        ),
        (vec!["runtime.main", "main.main", "main.gone"], 512, 1),
    ];
    let target = vec![
        (
            vec!["runtime.main", "main.main", "main.tick", "main.appendAudit"],
            614_400,
            2400,
        ),
        (
            vec!["runtime.main", "main.main", "main.tick", "main.fetchEntry"],
            3_072_000,
            3000,
        ),
        (
            vec![
                "runtime.main",
                "main.main",
                "main.rec",
                "main.rec",
                "main.rec",
            ],
            8192,
            8,
        ),
        (
            vec!["runtime.main", "main.main", "main.rec", "main.leaf"],
            100,
            1,
        ),
    ];
    let b = Analysed::new(profile(&base), Format::Pprof, "heap.1.pb.gz", None);
    let t = Analysed::new(profile(&target), Format::Pprof, "heap.2.pb.gz", None);
    let d = build_diff(b.dump(), t.dump(), &DiffOptions::default());
    let (fb, ft) = (flat_cum(&base), flat_cum(&target));
    let mut expected: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for name in fb.keys().chain(ft.keys()) {
        let (x, y) = (
            fb.get(name).copied().unwrap_or_default(),
            ft.get(name).copied().unwrap_or_default(),
        );
        let diff = (y.0 - x.0, y.1 - x.1);
        if diff != (0, 0) {
            expected.insert(name.clone(), diff);
        }
    }
    let got: BTreeMap<String, (i64, i64)> = d
        .types
        .iter()
        .map(|r| {
            (
                r.type_name.clone(),
                (r.change.shallow_bytes, r.change.retained_bytes),
            )
        })
        .collect();
    assert_eq!(got, expected);
    // main.rec recurses: cum counts each sample once (4096 more), as pprof does.
    assert_eq!(got["main.rec"], (4096, 4096 + 100));
    // The order the semantics state (|flat| descending, then the name) is said in the user's
    // words about heapscope's own rows, naming no pprof flag (no pprof listing was made).
    let order = &d.semantics.order;
    assert!(
        order.starts_with("|flat change| descending, then function name"),
        "{order}"
    );
    assert!(!order.contains("pprof") && !order.contains(" -"), "{order}");
    for w in d.types.windows(2) {
        let (a, b) = (
            w[0].change.shallow_bytes.unsigned_abs(),
            w[1].change.shallow_bytes.unsigned_abs(),
        );
        assert!(
            a > b || a == b && w[0].type_name < w[1].type_name,
            "{} before {}",
            w[0].type_name,
            w[1].type_name
        );
    }
}

#[test]
fn tracemalloc_diff_keeps_every_key_in_cpython_order() {
    // Keys as the tracemalloc parser names them (`file:line`); ties on every number are broken
    // by the key as a (filename, lineno) tuple, so line 9 sorts before line 10.
    let base = vec![
        (vec!["app.py:10"], 500, 5),
        (vec!["app.py:9"], 500, 5),
        (vec!["lib.py:3"], 800, 2),
        (vec!["old.py:1"], 64, 1),
    ];
    let target = vec![
        (vec!["app.py:10"], 700, 7),
        (vec!["app.py:9"], 700, 7),
        (vec!["lib.py:3"], 800, 2),
        (vec!["new.py:2"], 200, 1),
    ];
    let b = Analysed::new(profile(&base), Format::Tracemalloc, "s1", None);
    let t = Analysed::new(profile(&target), Format::Tracemalloc, "s2", None);
    let d = diff_summaries(&b.summary(), &t.summary(), None, &DiffOptions::default());
    let rows: Vec<(&str, u64, i64, u64, i64)> = d
        .types
        .iter()
        .map(|r| {
            (
                r.type_name.as_str(),
                r.target.shallow_bytes,
                r.change.shallow_bytes,
                r.target.count,
                r.change.count,
            )
        })
        .collect();
    // CPython sorts by (|size_diff|, size, |count_diff|, count, key), descending.
    assert_eq!(
        rows,
        [
            ("app.py:10", 700, 200, 7, 2),
            ("app.py:9", 700, 200, 7, 2),
            ("new.py:2", 200, 200, 1, 1),
            ("old.py:1", 0, -64, 0, -1),
            ("lib.py:3", 800, 0, 2, 0),
        ]
    );
}

/// A static map of `docs` entries, each value a document whose first child is a chain of
/// `depth` elements of alternating types, each with a 400-byte payload: the elements deep in a
/// document have path signatures that no longer reach the map (a signature covers 8 steps), so
/// only the dominator tree says they are inside the map's entries.
fn nested(docs: u64, depth: usize, base_id: u64) -> Analysed {
    let mut h = Heap::default();
    let mut id = base_id;
    let mut next = || {
        id += 16;
        id
    };
    let class = h.node(next(), "com.acme.Audit", NodeKind::Class, 64);
    h.root(class, "system class");
    let map = h.node(next(), "java.util.HashMap", NodeKind::Object, 48);
    h.edge(class, map, "AUDIT");
    let table = h.node(
        next(),
        "java.util.HashMap$Node[]",
        NodeKind::ObjectArray,
        16 + 8 * docs,
    );
    h.edge(map, table, "table");
    for i in 0..docs {
        let entry = h.node(next(), "java.util.HashMap$Node", NodeKind::Object, 32);
        h.edge(table, entry, &format!("[{i}]"));
        let doc = h.node(next(), "org.acme.xml.Document", NodeKind::Object, 64);
        h.edge(entry, doc, "value");
        let mut cur = doc;
        for d in 0..depth {
            let ty = if d % 2 == 0 {
                "org.acme.xml.Element"
            } else {
                "org.acme.xml.Text"
            };
            let e = h.node(next(), ty, NodeKind::Object, 40);
            h.edge(cur, e, "firstChild");
            let data = h.node(next(), "byte[]", NodeKind::PrimitiveArray, 400);
            h.edge(e, data, "data");
            cur = e;
        }
    }
    Analysed::new(
        h.analyse(heapscope_graph::Policy::MAT),
        Format::Hprof,
        "nested.hprof",
        None,
    )
}

#[test]
fn diff_suspects_inside_another_are_folded_so_shares_add_up() {
    let (b, t) = (nested(20, 14, 0x1000_0000), nested(40, 14, 0x5000_0000));
    let d = build_diff(b.dump(), t.dump(), &DiffOptions::default());
    let l = &d.likely_leak;
    let heap_growth = d.totals.change.retained_bytes;
    // By construction: 20 more entries, each with its node, document and chain.
    assert_eq!(
        heap_growth,
        (20 * (32 + 64 + 14 * (40 + 400)) + 20 * 8) as i64
    );
    // Without the dominator tree (text prefixes only) the deep element groups are suspects of
    // their own and the growth is counted several times over: the input does nest.
    let by_text = diff_summaries(&b.summary(), &t.summary(), None, &DiffOptions::default());
    let sum_by_text: i64 = by_text
        .likely_leak
        .suspects
        .iter()
        .map(|s| s.growth_bytes)
        .sum();
    assert!(by_text.likely_leak.suspects.len() > 1);
    assert!(sum_by_text > heap_growth, "{sum_by_text} vs {heap_growth}");
    // Folded: one suspect, the map's entries, with their whole growth, as a share of the heap's.
    assert_eq!(l.suspects.len(), 1, "{:#?}", l.suspects);
    let s = &l.suspects[0];
    assert_eq!(s.type_name, "java.util.HashMap$Node");
    assert_eq!(s.count_change, 20);
    assert_eq!(s.growth_bytes, (20 * (32 + 64 + 14 * (40 + 400))) as i64);
    assert_eq!(l.growth_bytes, heap_growth);
    let shares: f64 = l.suspects.iter().map(|s| s.share_of_growth).sum();
    assert!(shares <= 1.0 + 1e-9);
    assert!(
        (s.share_of_growth - s.growth_bytes as f64 / heap_growth as f64).abs() < 1e-6,
        "{}",
        s.share_of_growth
    );
    // Held by the collection, not by its inside.
    let holder = s.holder.as_deref().expect("a holder");
    assert!(
        holder.contains("java.util.HashMap") && !holder.contains("HashMap$Node"),
        "{holder}"
    );
    // Its line names the collection and counts entries: "… › java.util.HashMap: +… retained
    // (…), +20 entries (java.util.HashMap$Node)".
    let line = heapscope_reports::words::growth_suspect(s, "flat");
    assert!(
        line.starts_with(&format!("#1 {holder}: +"))
            && line.contains("+20 entries (java.util.HashMap$Node)"),
        "{line}"
    );
}

#[test]
fn diff_is_the_same_on_one_thread_and_on_seven() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let (b, t) = (nested(20, 14, 0x1000_0000), nested(40, 14, 0x5000_0000));
            let d = build_diff(b.dump(), t.dump(), &DiffOptions::default());
            heapscope_reports::overtime::render_diff(
                &d,
                heapscope_reports::render::OutputFormat::Json,
                25,
            )
        })
    };
    assert_eq!(run(1), run(7));
}
