//! The graph read backwards, for the drill-down surfaces that ask about one type or one node
//! many times (the query engine, `heapscope serve`, `heapscope mcp`):
//!
//! - [`TypeBuckets`]: every node grouped by type — the groups in ascending byte order of the
//!   type's name (SQLite's binary collation, so a query's `GROUP BY type` walks them in its own
//!   order), ascending node index within a group — and each type's slice of it. One counting
//!   sort: 4 B per node + 8 B per type (the slice starts and each type's rank by name).
//! - [`Predecessors`]: each node's in-edges as a CSR of edge positions, ascending (so their
//!   sources ascend too): 4 B per node + 4 B per reference. The edge position gives the
//!   label and the weak flag directly and the source by [`crate::walks::edge_source`].
//!
//! Both are built in two passes over flat arrays, with no allocation per node. A type id or
//! an edge target out of range (a hostile saved index that validation let through) is left
//! out, never a panic.

use crate::graph::{HeapGraph, WEAK_BIT};
use crate::types::{Label, NodeIdx};
use crate::walks::edge_source;

/// Every node grouped by type (see the module docs).
pub struct TypeBuckets {
    /// Node indices, grouped by type in name order, ascending within a group.
    nodes: Vec<u32>,
    /// `starts[r]..starts[r + 1]` indexes `nodes`: the group of the type ranked `r` by name.
    starts: Vec<u32>,
    /// Each type id's rank by name.
    rank: Vec<u32>,
}

impl TypeBuckets {
    pub fn build(g: &HeapGraph) -> TypeBuckets {
        let types = g.types.len();
        let mut by_name: Vec<u32> = (0..types as u32).collect();
        // Type names are interned once each; the id breaks a tie all the same.
        by_name.sort_unstable_by(|&x, &y| {
            (g.types.get(x).as_bytes(), x).cmp(&(g.types.get(y).as_bytes(), y))
        });
        let mut rank = vec![0u32; types];
        for (r, &t) in by_name.iter().enumerate() {
            rank[t as usize] = r as u32;
        }
        drop(by_name);
        let mut starts = vec![0u32; types + 1];
        for &t in g.type_of.iter() {
            if let Some(&r) = rank.get(t as usize) {
                starts[r as usize + 1] += 1;
            }
        }
        for r in 0..types {
            starts[r + 1] += starts[r];
        }
        // `starts[r]` is r's fill cursor; afterwards it is r's end, so shift back by one.
        let mut nodes = vec![0u32; starts[types] as usize];
        for (v, &t) in g.type_of.iter().enumerate() {
            if let Some(&r) = rank.get(t as usize) {
                nodes[starts[r as usize] as usize] = v as u32;
                starts[r as usize] += 1;
            }
        }
        starts.copy_within(0..types, 1);
        starts[0] = 0;
        TypeBuckets {
            nodes,
            starts,
            rank,
        }
    }

    /// Every node (of a type the graph has), grouped by type in name order.
    pub fn in_name_order(&self) -> &[u32] {
        &self.nodes
    }

    /// The nodes of type `t`, ascending; empty for a type the graph does not have.
    pub fn of(&self, t: u32) -> &[u32] {
        let Some(&r) = self.rank.get(t as usize) else {
            return &[];
        };
        let (s, e) = (self.starts[r as usize], self.starts[r as usize + 1]);
        &self.nodes[s as usize..e as usize]
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        4 * (self.nodes.len() + self.starts.len() + self.rank.len())
    }
}

/// Each node's in-edges (see the module docs).
pub struct Predecessors {
    /// `offsets[v]..offsets[v + 1]` indexes `edges`: the positions of `v`'s in-edges.
    offsets: Vec<u32>,
    edges: Vec<u32>,
}

impl Predecessors {
    pub fn build(g: &HeapGraph) -> Predecessors {
        let n = g.node_count();
        let mut offsets = vec![0u32; n + 1];
        for &t in g.targets.iter() {
            let v = (t & !WEAK_BIT) as usize;
            if v < n {
                offsets[v + 1] += 1;
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut edges = vec![0u32; offsets[n] as usize];
        for (e, &t) in g.targets.iter().enumerate() {
            let v = (t & !WEAK_BIT) as usize;
            if v < n {
                edges[offsets[v] as usize] = e as u32;
                offsets[v] += 1;
            }
        }
        offsets.copy_within(0..n, 1);
        offsets[0] = 0;
        Predecessors { offsets, edges }
    }

    /// The positions of the edges into `n`, ascending (their sources ascend too); empty for a
    /// node the graph does not have.
    pub fn edges_into(&self, n: NodeIdx) -> &[u32] {
        match (self.offsets.get(n.ix()), self.offsets.get(n.ix() + 1)) {
            (Some(&s), Some(&e)) => &self.edges[s as usize..e as usize],
            _ => &[],
        }
    }

    /// The nodes with an edge to `n`, each once, ascending: (referrer, label, weak), the label
    /// of its first strong edge to `n`, else of its first weak one — what
    /// [`crate::walks::referrers`] finds with a scan of every edge.
    pub fn referrers(&self, g: &HeapGraph, n: NodeIdx) -> Vec<(NodeIdx, Label, bool)> {
        let mut out: Vec<(NodeIdx, Label, bool)> = Vec::new();
        let mut last_end = 0usize;
        for &e in self.edges_into(n) {
            let e = e as usize;
            let edge = g.edge(e);
            // Edges of one source are contiguous and ascend: a source is new when `e` is past
            // the end of the last one's edge range.
            if !out.is_empty() && e < last_end {
                if let Some(l) = out.last_mut() {
                    if l.2 && !edge.weak {
                        (l.1, l.2) = (edge.label, false);
                    }
                }
                continue;
            }
            let u = edge_source(g, e);
            last_end = g.edge_range(u).end;
            out.push((u, edge.label, edge.weak));
        }
        out
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        4 * (self.offsets.len() + self.edges.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::GraphBuilder;
    use crate::graph::Policy;
    use crate::types::NodeKind;
    use crate::walks::referrers;

    /// Types interned out of name order, a node with two edges (weak, then strong) to the
    /// same target, a self edge.
    fn graph() -> HeapGraph {
        let mut b = GraphBuilder::new();
        let z = b.intern_type("zeta");
        let a = b.intern_type("Alpha");
        let m = b.intern_type("mid");
        let _unused = b.intern_type("absent");
        let kinds = [z, a, m, a, z, m, a];
        for (i, &t) in kinds.iter().enumerate() {
            b.add_node(0x10 * (i as u64 + 1), t, NodeKind::Object, 8);
        }
        b.add_root_id(0x10, "system-class", None);
        b.finish_nodes();
        let f = b.intern_label("f");
        let w = b.intern_label("w");
        b.begin_node(NodeIdx(0));
        b.edge_to_id(0x20, true, Label::Name(w));
        b.edge_to_id(0x30, false, Label::Name(f));
        b.edge_to_id(0x20, false, Label::Name(f));
        b.begin_node(NodeIdx(2));
        b.edge_to_id(0x20, true, Label::Name(w));
        b.edge_to_id(0x30, false, Label::Index(3));
        b.begin_node(NodeIdx(4));
        b.edge_to_id(0x50, false, Label::None);
        b.edge_to_id(0x20, false, Label::Index(1));
        b.finish(Policy::MAT)
    }

    #[test]
    fn buckets_group_by_name_then_index() {
        let g = graph();
        let b = TypeBuckets::build(&g);
        // Every node once; the group order is the names' byte order, each group ascending.
        let naive: Vec<u32> = {
            let mut v: Vec<u32> = (0..g.node_count() as u32).collect();
            v.sort_by(|&x, &y| {
                (g.type_name(NodeIdx(x)).as_bytes(), x)
                    .cmp(&(g.type_name(NodeIdx(y)).as_bytes(), y))
            });
            v
        };
        assert_eq!(b.in_name_order(), &naive[..]);
        for t in 0..g.types.len() as u32 {
            let want: Vec<u32> = (0..g.node_count() as u32)
                .filter(|&v| g.type_of[v as usize] == t)
                .collect();
            assert_eq!(b.of(t), &want[..], "type {}", g.types.get(t));
        }
        assert!(b.of(g.types.len() as u32).is_empty());
        assert_eq!(b.bytes(), 4 * (g.node_count() + 2 * g.types.len() + 1));
    }

    #[test]
    fn predecessors_match_a_scan() {
        let g = graph();
        let p = Predecessors::build(&g);
        for v in 0..g.node_count() as u32 {
            let n = NodeIdx(v);
            let want: Vec<u32> = (0..g.edge_count() as u32)
                .filter(|&e| g.targets[e as usize] & !WEAK_BIT == v)
                .collect();
            assert_eq!(p.edges_into(n), &want[..], "node {v}");
            assert_eq!(p.referrers(&g, n), referrers(&g, n), "node {v}");
        }
        // node 1 (0x20): from 0 (weak w, then strong f: f wins), 2 (weak only), 4 (index 1)
        let r = p.referrers(&g, NodeIdx(1));
        assert_eq!(r.len(), 3);
        assert!(!r[0].2 && r[1].2 && !r[2].2);
        assert!(p.edges_into(NodeIdx(99)).is_empty());
        assert_eq!(p.bytes(), 4 * (g.node_count() + 1 + g.edge_count()));
    }
}
