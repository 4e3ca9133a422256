//! The in-memory analysis with spilling allowed puts the CSR in a spill file before the passes
//! and its large results (the DFS preorder, the dominator children, the root-path parents) in
//! spill files from the start (`spill::Large`), the retained sizes once asked to
//! (`Analysis::spill_results`), and gives exactly the results of the analysis that spills
//! nothing.

use heapscope_graph::{Analysis, HeapGraph, Spill, WEAK_BIT};

use crate::out_of_core::{for_graph_pairs, same};
use crate::support::cases;

#[test]
fn results_allocated_in_spill_files_equal_the_in_memory_ones() {
    // Threshold 0: every non-empty result array goes to a file.
    let spill = Spill::temp().min_bytes(0);
    let mut spilled = 0usize;
    for_graph_pairs(cases(150), 30, |g, copy, ctx| {
        // A call-tree forest takes the forest path (`graph/src/forest.rs`): nothing to search,
        // its CSR is not moved to a file.
        let forest = is_forest(&g);
        let mem = Analysis::run(g);
        let mut a = Analysis::run_spilled(copy, &spill, &mut |_| {});
        // Not out of core: the working arrays and `idom` stay in memory.
        assert!(!a.dom.idom.is_spilled(), "{ctx}");
        if spill.is_usable() && a.summary.reachable_nodes > 0 && !forest {
            assert!(a.graph.offsets.is_spilled(), "{ctx}");
            assert!(a.children.offsets.is_spilled(), "{ctx}");
            assert!(a.children.children.is_spilled(), "{ctx}");
            assert!(a.paths.parent_column().is_spilled(), "{ctx}");
            // The retained sizes stay anonymous for the report, until an analysis kept open
            // moves them.
            assert!(!a.retained.is_spilled(), "{ctx}");
            same(&mem, &a, ctx);
            a.spill_results(&spill);
            assert!(a.retained.is_spilled(), "{ctx}");
            assert_eq!(a.retained.heap_bytes(), 0, "{ctx}");
            spilled += 1;
        }
        same(&mem, &a, ctx);
    });
    if spill.is_usable() {
        assert!(spilled > 0);
    }
}

/// Every node reached once: by one strong edge from a lower index, or as a root with none.
fn is_forest(g: &HeapGraph) -> bool {
    let n = g.node_count();
    let mut into = vec![0u32; n];
    for u in 0..n {
        for &t in &g.targets[g.edge_range(heapscope_graph::NodeIdx(u as u32))] {
            if t & WEAK_BIT != 0 || t as usize <= u {
                return false;
            }
            into[t as usize] += 1;
        }
    }
    for r in g.root_nodes() {
        into[r as usize] += 1;
    }
    into.iter().all(|&c| c == 1)
}

/// Open descriptors and mappings of files in `dir` (spill files are unlinked when made, so
/// `/proc/self/fd` names them "`dir`/.tmpXXXX (deleted)"). A private directory: the tests
/// running beside this one use others.
fn open_in(dir: &std::path::Path) -> (usize, usize) {
    let dir = dir.to_string_lossy().into_owned();
    let fds = std::fs::read_dir("/proc/self/fd")
        .map(|es| {
            es.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter(|p| p.to_string_lossy().starts_with(&dir))
                .count()
        })
        .unwrap_or(0);
    let maps = std::fs::read_to_string("/proc/self/maps")
        .map(|m| m.lines().filter(|l| l.contains(&dir)).count())
        .unwrap_or(0);
    (fds, maps)
}

/// [`Analysis::free_on_two_threads`] frees every part: after it, no descriptor or mapping of a
/// spill file is left (the graph's columns grown in files, the CSR's copy and the results), and
/// `with` is dropped. Before it, the analysis holds some: the check is not vacuous.
#[test]
fn free_on_two_threads_leaves_no_spill_file_open() {
    use heapscope_graph::{GraphBuilder, Label, NodeKind, Policy};
    if !std::path::Path::new("/proc/self/fd").exists() {
        return;
    }
    // On disk (cargo's per-target scratch), not a memory file system, where spilling is off.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let spill = Spill::to_dir(dir.path()).min_bytes(0);
    assert!(
        spill.is_usable(),
        "{} takes no spill files",
        dir.path().display()
    );
    let mut rng = fastrand::Rng::with_seed(0xf7e3);
    for case in 0..12 {
        let n = rng.usize(2..5000);
        let mut b = GraphBuilder::new().with_spill(&spill).grow_in_files();
        let t = b.intern_type("T");
        let nodes: Vec<_> = (0..n)
            .map(|i| b.add_node(i as u64 + 1, t, NodeKind::Object, rng.u64(0..100)))
            .collect();
        b.add_root_idx(nodes[0], "root", None);
        b.finish_nodes();
        for u in 0..n {
            b.begin_node(nodes[u]);
            // Two or more edges from most nodes: not a forest (the forest path spills less).
            for _ in 0..rng.usize(1..4) {
                b.edge_to_idx(nodes[rng.usize(0..n)], rng.u8(0..6) == 0, Label::None);
            }
        }
        let g = b.finish(Policy::MAT);
        let a = Analysis::run_spilled(g, &spill, &mut |_| {});
        let (fds, maps) = open_in(dir.path());
        assert!(
            fds + maps > 0,
            "case {case}: nothing spilled, nothing to check"
        );
        let with = std::sync::Arc::new(case);
        a.free_on_two_threads(with.clone(), 0);
        assert_eq!(
            open_in(dir.path()),
            (0, 0),
            "case {case}: spill files left open"
        );
        assert_eq!(std::sync::Arc::strong_count(&with), 1, "case {case}");
    }
}
