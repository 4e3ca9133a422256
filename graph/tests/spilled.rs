//! The in-memory analysis with spilling allowed puts the CSR in a spill file before the passes
//! and its large results (the DFS preorder, the dominator children, the root-path parents, the
//! retained sizes) in spill files from the start (`spill::Large`), and gives exactly the results
//! of the analysis that spills nothing.

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
        let a = Analysis::run_spilled(copy, &spill, &mut |_| {});
        // Not out of core: the working arrays and `idom` stay in memory.
        assert!(!a.dom.idom.is_spilled(), "{ctx}");
        if spill.is_usable() && a.summary.reachable_nodes > 0 && !forest {
            assert!(a.graph.offsets.is_spilled(), "{ctx}");
            assert!(a.children.offsets.is_spilled(), "{ctx}");
            assert!(a.children.children.is_spilled(), "{ctx}");
            assert!(a.retained.is_spilled(), "{ctx}");
            assert!(a.paths.parent_column().is_spilled(), "{ctx}");
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
