//! The indexes a long-lived server keeps per dump so a click costs what one object or one type
//! has, not what the dump has: objects by id, each object's referrers, each type's instances.
//! `heapscope serve` builds them in the background as soon as it listens, `heapscope mcp` when
//! a tool first needs them; the one-shot commands scan instead ([`drill::Scan`]).
//!
//! The saved index (`DUMP.hsidx`) keeps the graph's out-edges, the dominator tree and the
//! histogram, but nothing by id, no in-edges and no instance lists, so these are built from the
//! graph (mapped from the saved index when there is one) in three passes, no per-object
//! allocation:
//!
//! | structure | bytes | built by |
//! |---|---|---|
//! | objects by id: node indices sorted by id; none when the dump's ids already ascend (V8, Go, Python snapshots) and the ids column itself is searched | 4 per node, or 0 | one sort of (id, index) pairs (16 B per node while it runs) |
//! | referrers: in-edge CSR (`starts`, then each edge's source, ascending) | 4 per node + 4 per edge | two passes over the edges |
//! | instances: per-type CSR (`starts`, then each object, ascending) | 4 per node + 4 per type | two passes over the types |
//!
//! On the 2.18 GB JDK 17 dump (44.8 M objects, 62.4 M references) that is at most
//! 12 B × 44.8 M + 4 B × 62.4 M ≈ 750 MiB, anonymous, for the server's life.

use heapscope_graph::graph::WEAK_BIT;
use heapscope_graph::paths::edge_between;
use heapscope_graph::{Analysis, NodeIdx};
use heapscope_reports::drill::{self, DrillError, Finder};

/// The indexes of one dump (see the module docs).
pub struct Lookup {
    /// Node indices in ascending (id, index) order; empty when the ids column ascends.
    by_id: Vec<u32>,
    /// `ref_starts[v]..ref_starts[v + 1]` indexes `ref_sources`: the sources of `v`'s in-edges.
    ref_starts: Vec<u32>,
    ref_sources: Vec<u32>,
    /// `type_starts[t]..type_starts[t + 1]` indexes `instances`: the nodes of type `t`.
    type_starts: Vec<u32>,
    instances: Vec<u32>,
}

/// A CSR from `(bucket, item)` pairs produced twice by `each` (once to count, once to fill),
/// items ascending within a bucket when `each` produces them ascending.
fn csr(
    buckets: usize,
    items: usize,
    each: impl Fn(&mut dyn FnMut(usize, u32)),
) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; buckets + 1];
    each(&mut |b, _| starts[b + 1] += 1);
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut out = vec![0u32; items];
    // `starts[b]` is b's fill cursor; afterwards it is b's end, so shift back by one.
    each(&mut |b, item| {
        out[starts[b] as usize] = item;
        starts[b] += 1;
    });
    for b in (1..starts.len()).rev() {
        starts[b] = starts[b - 1];
    }
    starts[0] = 0;
    (starts, out)
}

impl Lookup {
    /// Build the indexes of `a`'s graph.
    pub fn build(a: &Analysis) -> Lookup {
        let g = &a.graph;
        let n = g.node_count();
        let by_id = if g.ids.windows(2).all(|w| w[0] < w[1]) {
            Vec::new()
        } else {
            // Sorting (id, index) pairs reads the ids once, in order; sorting indices by
            // their ids would read them at random, many times each (12 B per node more, for
            // the sort only).
            let mut pairs: Vec<(u64, u32)> = g
                .ids
                .iter()
                .zip(0..n as u32)
                .map(|(&id, i)| (id, i))
                .collect();
            pairs.sort_unstable();
            pairs.into_iter().map(|(_, i)| i).collect()
        };
        let (ref_starts, ref_sources) = csr(n, g.edge_count(), |f| {
            for u in 0..n {
                for e in g.edge_range(NodeIdx(u as u32)) {
                    f((g.targets[e] & !WEAK_BIT) as usize, u as u32);
                }
            }
        });
        let (type_starts, instances) = csr(g.types.len(), n, |f| {
            for (v, &t) in g.type_of.iter().enumerate() {
                f(t as usize, v as u32);
            }
        });
        Lookup {
            by_id,
            ref_starts,
            ref_sources,
            type_starts,
            instances,
        }
    }

    /// Bytes the indexes hold.
    pub fn bytes(&self) -> usize {
        4 * (self.by_id.len()
            + self.ref_starts.len()
            + self.ref_sources.len()
            + self.type_starts.len()
            + self.instances.len())
    }

    /// The node with the dump's id `id`: the lowest index when several share it (as
    /// [`heapscope_graph::HeapGraph::find_id`]).
    fn node_of(&self, a: &Analysis, id: u64) -> Option<NodeIdx> {
        let ids = &a.graph.ids;
        let i = if self.by_id.is_empty() {
            let i = ids.partition_point(|&x| x < id);
            (ids.get(i) == Some(&id)).then_some(i as u32)
        } else {
            let i = self.by_id.partition_point(|&v| ids[v as usize] < id);
            self.by_id
                .get(i)
                .copied()
                .filter(|&v| ids[v as usize] == id)
        };
        i.map(NodeIdx)
    }

    /// The nodes of type `t`, ascending; empty for a type the graph does not have.
    pub fn instances_of(&self, t: u32) -> &[u32] {
        let t = t as usize;
        match (self.type_starts.get(t), self.type_starts.get(t + 1)) {
            (Some(&s), Some(&e)) => &self.instances[s as usize..e as usize],
            _ => &[],
        }
    }
}

impl Finder for Lookup {
    fn find(&self, a: &Analysis, id: &str) -> Result<NodeIdx, DrillError> {
        let v = drill::parse_id(id).ok_or_else(|| DrillError::NotAnId(id.to_string()))?;
        self.node_of(a, v)
            .ok_or_else(|| DrillError::NoObject(id.to_string()))
    }

    fn referrers(&self, a: &Analysis, n: NodeIdx) -> Vec<(NodeIdx, Option<String>, bool)> {
        let g = &a.graph;
        let (s, e) = (
            self.ref_starts[n.ix()] as usize,
            self.ref_starts[n.ix() + 1] as usize,
        );
        let mut out: Vec<(NodeIdx, Option<String>, bool)> = Vec::new();
        for &u in &self.ref_sources[s..e] {
            // Sources ascend; one with several edges to `n` appears once per edge.
            if out.last().is_some_and(|l| l.0 .0 == u) {
                continue;
            }
            let (label, weak) = edge_between(g, NodeIdx(u), n);
            out.push((NodeIdx(u), g.label_text(label), weak));
        }
        out
    }
}
