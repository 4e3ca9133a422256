//! [`Analysis`]: every pass run once over a [`HeapGraph`], the results side by side.

use crate::dominators::{dominators, retained_sizes, DomChildren, DomTree, SUPER, UNREACHED};
use crate::graph::HeapGraph;
use crate::histogram::{histogram, TypeRow};
use crate::paths::{PathStep, RootPaths};
use crate::types::NodeIdx;

/// Whole-graph numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub nodes: u64,
    pub edges: u64,
    pub gc_roots: u64,
    pub total_bytes: u64,
    pub reachable_bytes: u64,
    pub reachable_nodes: u64,
    pub unreachable_bytes: u64,
    pub unreachable_nodes: u64,
}

/// The graph with its dominator tree, retained sizes, histogram and root paths.
pub struct Analysis {
    pub graph: HeapGraph,
    pub dom: DomTree,
    pub retained: Vec<u64>,
    pub children: DomChildren,
    pub paths: RootPaths,
    pub histogram: Vec<TypeRow>,
    pub summary: Summary,
}

impl Analysis {
    /// Run every pass: dominators, retained sizes, dominator children, histogram, root paths.
    pub fn run(graph: HeapGraph) -> Analysis {
        Self::run_observed(graph, &mut |_| {})
    }

    /// [`run`](Self::run), calling `after` with each pass's name when it is done (for progress
    /// displays and per-pass measurements).
    pub fn run_observed(graph: HeapGraph, after: &mut dyn FnMut(&str)) -> Analysis {
        let dom = dominators(&graph);
        after("dominators");
        let retained = retained_sizes(&graph, &dom);
        after("retained sizes");
        let children = DomChildren::build(&dom);
        after("dominator children");
        let histogram = histogram(&graph, &dom, &children, &retained);
        after("histogram");
        let paths = RootPaths::compute(&graph);
        after("root paths");
        let total_bytes = graph.total_shallow();
        let reachable_bytes: u64 = dom.order.iter().map(|&v| graph.shallow[v as usize]).sum();
        let reachable_nodes = dom.order.len() as u64;
        let summary = Summary {
            nodes: graph.node_count() as u64,
            edges: graph.edge_count() as u64,
            gc_roots: graph.root_nodes().len() as u64,
            total_bytes,
            reachable_bytes,
            reachable_nodes,
            unreachable_bytes: total_bytes - reachable_bytes,
            unreachable_nodes: graph.node_count() as u64 - reachable_nodes,
        };
        Analysis {
            graph,
            dom,
            retained,
            children,
            paths,
            histogram,
            summary,
        }
    }

    /// The `k` nodes with the largest retained size, largest first (ties: lower index first).
    /// A bounded min-heap over the reachable nodes: O(n log k) time, O(k) memory.
    pub fn top_retained(&self, k: usize) -> Vec<NodeIdx> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        if k == 0 {
            return Vec::new();
        }
        // Heap key: (retained, Reverse(index)); the heap's top is the weakest kept entry.
        let mut heap: BinaryHeap<Reverse<(u64, Reverse<u32>)>> = BinaryHeap::with_capacity(k + 1);
        for &v in &self.dom.order {
            let key = (self.retained[v as usize], Reverse(v));
            if heap.len() < k {
                heap.push(Reverse(key));
            } else if let Some(Reverse(weakest)) = heap.peek() {
                if key > *weakest {
                    heap.pop();
                    heap.push(Reverse(key));
                }
            }
        }
        let mut v: Vec<(u64, Reverse<u32>)> = heap.into_iter().map(|Reverse(k)| k).collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.into_iter().map(|(_, Reverse(i))| NodeIdx(i)).collect()
    }

    /// Immediate dominator of a node: `None` for the super-root's children and unreached nodes.
    pub fn idom(&self, n: NodeIdx) -> Option<NodeIdx> {
        match self.dom.idom[n.ix()] {
            SUPER | UNREACHED => None,
            d => Some(NodeIdx(d)),
        }
    }

    /// Children of a node in the dominator tree (`None` = the super-root's children).
    pub fn dominated(&self, n: Option<NodeIdx>) -> &[u32] {
        self.children
            .of(n.map(|n| n.ix()).unwrap_or(self.graph.node_count()))
    }

    /// Shortest path from a GC root to `n` (root first), preferring strong references.
    pub fn path_to(&self, n: NodeIdx) -> Vec<PathStep> {
        self.paths.path_to(&self.graph, n)
    }

    /// Does the shortest path to `n` need a weak reference (no strong path exists)?
    pub fn path_is_weak(&self, n: NodeIdx) -> bool {
        self.paths.via_weak.get(n.ix())
    }
}
