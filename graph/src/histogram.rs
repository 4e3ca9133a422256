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
        if idom[v] != UNREACHED {
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
