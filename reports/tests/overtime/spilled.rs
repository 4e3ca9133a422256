//! Summaries held out of memory: a summary made out of core (`summarize_in`, its per-node
//! arrays in spill files) and then spilled (`DumpSummary::spill`) gives the same diff, trend and
//! memlab reports as one made and kept in memory; the ids' packed sort equals a plain sort of
//! (id, row) pairs; a trend's bounded ranking keeps the first rows of the full one.

use heapscope_graph::spill::{Files, Heap as HeapStore};
use heapscope_graph::{Analysis, NodeKind, Spill};
use heapscope_reports::overtime::groups::ids_with_rows;
use heapscope_reports::overtime::{
    build_diff_from, build_diff_in, build_trend, memlab, memlab_summarised, summarize_in,
    DiffOptions, DumpSummary, PathGroups, TrendOptions,
};

use super::heaps::{java_heap, v8_global_array, Analysed, Heap, JavaStep};
use crate::facts::Format;
use erased::Ser;

/// A spill directory on disk (the target directory's scratch space).
fn spill_dir() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    assert!(
        Spill::to_dir(&dir).out_of_core(true).is_out_of_core(),
        "{} cannot hold spill files",
        dir.display()
    );
    dir
}

/// A V8-like heap: `n` objects of `types` constructors under one global array, some in
/// per-type maps (so there are several path signatures), ids from a fixed sequence that
/// survive between snapshots when `keep(k)`.
fn v8_heap(n: u64, step: u64, keep: impl Fn(u64) -> bool) -> Analysis {
    let mut h = Heap::default();
    let (global, elems) = v8_global_array(&mut h, 16);
    let maps: Vec<usize> = (0..4)
        .map(|m| {
            let map = h.node(11 + 2 * m, "Map", NodeKind::Object, 48);
            h.edge(global, map, &format!("cache{m}"));
            map
        })
        .collect();
    let mut i = 0;
    for k in (0..n + step * 40).filter(|&k| keep(k)) {
        let ty = format!("Job{}", k % 13);
        let j = h.node(1000 + 2 * k, &ty, NodeKind::Object, 40 + k % 7);
        if k % 5 == 0 {
            h.edge(maps[(k % 4) as usize], j, &format!("key{}", k % 3));
        } else {
            h.edge(elems, j, &format!("[{i}]"));
            i += 1;
        }
        let s = h.node(1001 + 2 * k, "(string)", NodeKind::String, 24 + k % 3);
        h.edge(j, s, "name");
    }
    h.analyse(heapscope_graph::Policy {
        weak_retains: false,
        orphans: heapscope_graph::Orphans::AttachAll,
    })
}

fn series() -> Vec<Analysed> {
    (0..3u64)
        .map(|s| {
            // Every snapshot keeps most objects, drops some, adds 40 per step.
            let a = v8_heap(300, s, |k| (k + s) % 11 != 0);
            Analysed::new(a, Format::V8, &format!("s{s}.heapsnapshot"), None)
        })
        .collect()
}

/// The summary held out of memory: made out of core, then every array spilled.
fn spilled(d: &Analysed, dir: &std::path::Path) -> (DumpSummary, Option<PathGroups>) {
    let (mut s, g) = summarize_in(d.dump(), &Spill::to_dir(dir).out_of_core(true));
    s.spill(&Spill::to_dir(dir).min_bytes(0));
    (s, g)
}

fn same_summary(a: &DumpSummary, b: &DumpSummary) {
    assert_eq!(a.ids.as_deref(), b.ids.as_deref());
    assert_eq!(a.id_types.as_deref(), b.id_types.as_deref());
    assert!(a.types.iter().eq(b.types.iter()));
    assert!(a.paths.iter().eq(b.paths.iter()));
    assert_eq!(a.warnings, b.warnings);
}

#[test]
fn a_spilled_summary_gives_the_same_reports() {
    let dir = spill_dir();
    let d = series();
    let mem: Vec<DumpSummary> = d.iter().map(|x| x.summary()).collect();
    let out: Vec<(DumpSummary, Option<PathGroups>)> = d.iter().map(|x| spilled(x, &dir)).collect();
    for (m, (o, _)) in mem.iter().zip(&out) {
        same_summary(m, o);
        assert!(m.heap_bytes() > 0);
        // Everything large is in the spill files (a few bytes may not be: none here).
        assert_eq!(o.heap_bytes(), 0, "{o:?}");
        assert!(o.paths.len() >= 3 && o.ids.as_ref().unwrap().len() > 500);
    }
    let held: Vec<DumpSummary> = out.iter().map(|(s, _)| s.clone()).collect();
    let opts = TrendOptions::default();
    let m1 = memlab(d[2].dump(), &mem[0], &mem[1], ["s0", "s1", "s2"], 10);
    let m2 = memlab_summarised(
        d[2].dump(),
        out[2].1.as_ref().unwrap(),
        &held[0],
        &held[1],
        Some(&held[2]),
        ["s0", "s1", "s2"],
        10,
    );
    assert!(m1.count > 0);
    assert_eq!(m1.json(), m2.json());
    let t1 = build_trend(&mem, Some(m1), &opts);
    let t2 = build_trend(&held, Some(m2), &opts);
    assert_eq!(t1.json(), t2.json());
    let d1 = build_diff_from(&mem[0], None, d[2].dump(), &DiffOptions::default());
    let d2 = build_diff_in(
        &held[0],
        None,
        d[2].dump(),
        &DiffOptions::default(),
        &Spill::to_dir(&dir).out_of_core(true),
    );
    assert!(d1.new_objects.as_ref().is_some_and(|n| n.count > 0));
    assert_eq!(d1.json(), d2.json());
}

#[test]
fn a_spilled_java_summary_gives_the_same_diff() {
    let dir = spill_dir();
    let step = |orders, cached| JavaStep {
        orders,
        cached,
        config_bytes: 0,
    };
    let a = Analysed::new(java_heap(&step(50, 20), 0x1000), Format::Hprof, "a", None);
    let b = Analysed::new(java_heap(&step(90, 30), 0x9000), Format::Hprof, "b", None);
    let (held, _) = spilled(&a, &dir);
    same_summary(&a.summary(), &held);
    let opts = DiffOptions::default();
    let d1 = build_diff_from(&a.summary(), None, b.dump(), &opts);
    let d2 = build_diff_in(
        &held,
        None,
        b.dump(),
        &opts,
        &Spill::to_dir(&dir).out_of_core(true),
    );
    assert!(!d1.paths.is_empty());
    assert_eq!(
        serde_json::to_string(&d1).unwrap(),
        serde_json::to_string(&d2).unwrap()
    );
}

/// The naive form: every (id, row) pair sorted, the first of each id kept.
fn naive(a: &Analysis, row_of: &[u32]) -> (Vec<u64>, Vec<u32>) {
    let g = &a.graph;
    let mut p: Vec<(u64, u32)> = (0..g.node_count())
        .map(|v| (g.ids[v], row_of[g.type_of[v] as usize]))
        .collect();
    p.sort_unstable();
    p.dedup_by_key(|x| x.0);
    p.into_iter().unzip()
}

#[test]
fn the_packed_id_sort_equals_a_sort_of_pairs() {
    let dir = spill_dir();
    // Ids from a fixed pseudo-random sequence with repeats (a repeated id keeps the lowest
    // row), small and huge (the largest leaves no room for the rows' bits: pairs are sorted).
    for top in [1u64 << 20, 1 << 40, u64::MAX - 5] {
        let mut h = Heap::default();
        let mut x = 0x9e37_79b9u64;
        for i in 0..5000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let id = match i % 7 {
                0 if i > 0 => h.nodes[(x % i) as usize].0,
                _ => (x >> 11) % top,
            };
            let n = h.node(id, &format!("T{}", x % 37), NodeKind::Object, 8);
            h.root(n, "root");
        }
        let a = h.analyse(heapscope_graph::Policy::MAT);
        let nt = a.graph.types.len();
        // Rows in an order other than the type ids'.
        let row_of: Vec<u32> = (0..nt as u32).map(|t| (t * 7 + 3) % nt as u32).collect();
        let (ids, rows) = naive(&a, &row_of);
        assert!(ids.len() < 5000, "repeated ids");
        let (i1, r1) = ids_with_rows(&a, &row_of, &HeapStore);
        assert_eq!((&i1[..], &r1[..]), (&ids[..], &rows[..]), "top {top}");
        let (i2, r2) = ids_with_rows(&a, &row_of, &Files::new(&dir));
        assert_eq!((&i2[..], &r2[..]), (&ids[..], &rows[..]), "top {top}");
    }
}

#[test]
fn a_trend_cut_to_some_rows_keeps_the_first_rows_of_the_whole_ranking() {
    let d = series();
    let s: Vec<DumpSummary> = d.iter().map(|x| x.summary()).collect();
    let all = build_trend(&s, None, &TrendOptions::default());
    assert!(all.types.len() > 10 && all.paths.len() > 10);
    for keep in [1, 3, 10] {
        let cut = build_trend(
            &s,
            None,
            &TrendOptions {
                rows: keep,
                ..Default::default()
            },
        );
        for (c, a) in [(&cut.types, &all.types), (&cut.paths, &all.paths)] {
            assert_eq!(c.len(), keep);
            let ser =
                |r: &[heapscope_reports::overtime::TrendRow]| serde_json::to_string(r).unwrap();
            assert_eq!(ser(c), ser(&a[..keep]));
        }
        assert!(cut.warnings.iter().any(|w| w.contains("--max-rows")));
    }
}

mod erased {
    /// Any serialisable report as JSON text.
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}
