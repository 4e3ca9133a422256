//! Per-type histogram with Eclipse MAT's *minimum retained size* of each type's node set.

use crate::dominators::{DomChildren, DomTree, UNREACHED};
use crate::graph::HeapGraph;
use crate::walks::{min_retained_by, Start};

/// One row of the histogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeRow {
    pub type_id: u32,
    /// Nodes of this type (or, for call trees with a count column, the objects they stand for).
    pub count: u64,
    pub shallow: u64,
    /// Minimum retained size: the sum of the retained sizes of the reachable nodes of this
    /// type that no other node of this type dominates. A lower bound of the exact retained
    /// size of the set (exact unless some node is kept alive only by several of them together).
    pub retained: u64,
    /// Reachable nodes of this type.
    pub reachable_count: u64,
}

/// Build the histogram: one pass over the nodes for counts and shallow sizes ([`type_counts`]), and
/// [`min_retained_by`] with one group per type for the retained column.
pub fn histogram(
    g: &HeapGraph,
    dom: &DomTree,
    children: &DomChildren,
    retained: &[u64],
) -> Vec<TypeRow> {
    let min = min_retained_by(children, retained, Start::SuperRoot, g.types.len(), |v| {
        g.type_of[v as usize]
    });
    histogram_with(g, type_counts(g, &dom.idom), min)
}

/// The histogram's per-type counts and shallow sizes, and the reachable nodes' totals: one pass
/// over the nodes, needing only the graph and `idom` (so it can run beside the passes that
/// build the dominator children and the retained sizes).
pub(crate) struct TypeCounts {
    rows: Vec<TypeRow>,
    /// Shallow bytes and count of the reachable nodes (the summary's).
    pub reachable_bytes: u64,
    pub reachable_nodes: u64,
}

/// [`TypeCounts`] of `g` with `idom` telling the reachable nodes.
pub(crate) fn type_counts(g: &HeapGraph, idom: &[u32]) -> TypeCounts {
    counts_where(g, |v| idom[v] != UNREACHED)
}

/// [`TypeCounts`] of `g` with every node counted as reachable: what needs no dominator tree, so
/// that it can run beside the dominators (`Analysis::run_in` has the root paths' thread make
/// it once the core is free); [`without_unreached`](TypeCounts::without_unreached) then takes
/// out the nodes the tree did not reach. The same counts as [`type_counts`] (exact integers).
pub(crate) fn type_counts_all(g: &HeapGraph) -> TypeCounts {
    counts_where(g, |_| true)
}

/// One pass over the nodes: counts and shallow sizes per type, and of the nodes `reached`
/// says are reachable.
fn counts_where(g: &HeapGraph, reached: impl Fn(usize) -> bool) -> TypeCounts {
    let nt = g.types.len();
    let mut rows: Vec<TypeRow> = (0..nt as u32)
        .map(|t| TypeRow {
            type_id: t,
            count: 0,
            shallow: 0,
            retained: 0,
            reachable_count: 0,
        })
        .collect();
    let has_counts = !g.counts.is_empty();
    let (mut reachable_bytes, mut reachable_nodes) = (0u64, 0u64);
    for v in 0..g.node_count() {
        let r = &mut rows[g.type_of[v] as usize];
        let shallow = g.shallow[v];
        r.count += if has_counts { g.counts[v] } else { 1 };
        r.shallow += shallow;
        if reached(v) {
            r.reachable_count += 1;
            reachable_bytes += shallow;
            reachable_nodes += 1;
        }
    }
    TypeCounts {
        rows,
        reachable_bytes,
        reachable_nodes,
    }
}

impl TypeCounts {
    /// The shallow size of all nodes (what [`HeapGraph::total_shallow`] sums over the nodes):
    /// the sum of the rows', as every node counts in its type's row.
    pub(crate) fn total_shallow(&self) -> u64 {
        self.rows.iter().map(|r| r.shallow).sum()
    }

    /// Counts made with every node reachable ([`type_counts_all`]) less the nodes `idom` says
    /// are unreached: [`type_counts`]'s counts, from one sequential read of `idom` (blocks of
    /// 64 entries with no unreached node skipped whole) and a look-up of each unreached
    /// node's type and size, instead of a pass over the types and sizes of every node.
    pub(crate) fn without_unreached(mut self, g: &HeapGraph, idom: &[u32]) -> TypeCounts {
        const BLOCK: usize = 64;
        for (b, block) in idom.chunks(BLOCK).enumerate() {
            // No early exit: a branch-free test the compiler can vectorise.
            if block.iter().fold(false, |any, &d| any | (d == UNREACHED)) {
                for (i, &d) in block.iter().enumerate() {
                    if d == UNREACHED {
                        let v = b * BLOCK + i;
                        let shallow = g.shallow[v];
                        self.rows[g.type_of[v] as usize].reachable_count -= 1;
                        self.reachable_bytes -= shallow;
                        self.reachable_nodes -= 1;
                    }
                }
            }
        }
        self
    }
}

/// The histogram from the [`TypeCounts`] and the minimum retained size of each type (`min`,
/// indexed by type id, as [`min_retained_by`] gives it with one group per type): empty rows
/// dropped, sorted by retained size, then shallow size, then type name.
pub(crate) fn histogram_with(g: &HeapGraph, counts: TypeCounts, min: Vec<u64>) -> Vec<TypeRow> {
    let mut rows = counts.rows;
    for (r, m) in rows.iter_mut().zip(min) {
        r.retained = m;
    }
    rows.retain(|r| r.count > 0 || r.shallow > 0 || r.retained > 0 || r.reachable_count > 0);
    rows.sort_by(|a, b| {
        b.retained
            .cmp(&a.retained)
            .then(b.shallow.cmp(&a.shallow))
            .then_with(|| g.types.get(a.type_id).cmp(g.types.get(b.type_id)))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::GraphBuilder;
    use crate::graph::Policy;
    use crate::types::NodeKind;

    /// The counts of every node less the unreached ones equal the counts made with `idom` in
    /// one pass: random types, sizes and per-node counts (call trees), unreached nodes from
    /// none to all, alone or in runs longer than a block.
    #[test]
    fn counts_less_the_unreached_equal_the_one_pass_counts() {
        for case in 0..300u64 {
            let mut rng = fastrand::Rng::with_seed(0x7c0_0000 ^ case);
            let n = rng.usize(0..700);
            let types = rng.usize(1..12);
            let mut b = GraphBuilder::new().without_labels();
            let ts: Vec<_> = (0..types)
                .map(|i| b.intern_type(&format!("T{i}")))
                .collect();
            for i in 0..n {
                let t = ts[rng.usize(0..types)];
                b.add_node(i as u64 + 1, t, NodeKind::Object, rng.u64(0..1 << 40));
            }
            b.finish_nodes();
            let mut g = b.finish(Policy::MAT);
            if rng.bool() {
                g.counts = (0..n).map(|_| rng.u64(0..1000)).collect::<Vec<_>>().into();
            }
            // Unreached: none, all, each at random, or runs of 100.
            let shape = rng.usize(0..4);
            let share = rng.u32(0..=100);
            let idom: Vec<u32> = (0..n)
                .map(|v| {
                    let out = match shape {
                        0 => false,
                        1 => true,
                        2 => rng.u32(0..100) < share,
                        _ => (v / 100) % 2 == 1,
                    };
                    if out {
                        UNREACHED
                    } else {
                        rng.u32(0..UNREACHED)
                    }
                })
                .collect();
            let want = type_counts(&g, &idom);
            let got = type_counts_all(&g).without_unreached(&g, &idom);
            assert_eq!(want.rows, got.rows, "case {case}");
            assert_eq!(want.reachable_bytes, got.reachable_bytes, "case {case}");
            assert_eq!(want.reachable_nodes, got.reachable_nodes, "case {case}");
            assert_eq!(got.total_shallow(), g.total_shallow(), "case {case}");
        }
    }
}
