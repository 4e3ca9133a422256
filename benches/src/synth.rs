//! A synthetic heap with the shape of a Java heap, built through the real builder.
//!
//! Layout of node indices (the order a parser would add them in):
//! - `0..CLASSES`: class objects, all GC roots (system classes); class `c < COLLECTIONS` holds
//!   collection `c` in a static field;
//! - then trees of 1–15 small objects (8 on average, arity 2–4), each tree's root an element of
//!   one of the collections — collection `c` holds the trees of the `c`-th sixteenth of the
//!   index range, allocated together — the "mostly trees of small objects" of a real heap;
//! - `n - COLLECTIONS..n`: the big collections (`java.lang.Object[]`), each referencing
//!   1/COLLECTIONS of the tree roots.
//!
//! Every tree object also references its class (as every HPROF instance does) and, to reach
//! the requested edge count, random cross references: 90% to a random node of its own tree
//! (back pointers, siblings: objects built together point at each other), 10% to any object
//! (sharing between trees); 1% of them weak. Dump ids
//! look like addresses, unique, in an order that is shuffled within blocks of 4096 so that the
//! builder's id sort has work to do. Everything is a pure function of the node index and the
//! seed, so phase 2 replays it without storing edges, and generating costs no memory.

use heapscope_graph::{GraphBuilder, HeapGraph, Label, NodeIdx, NodeKind, Policy, TypeId};

/// Class objects (= types) in the synthetic heap.
pub const CLASSES: usize = 1024;
/// Big collections holding the trees.
pub const COLLECTIONS: usize = 16;
const ID_BASE: u64 = 0x7_0000_0000;

/// What to build.
#[derive(Clone, Debug)]
pub struct Shape {
    pub nodes: usize,
    /// Edges aimed at; the count built is within a fraction of a percent of it.
    pub edges: usize,
    pub seed: u64,
    /// Keep edge labels (4 more bytes per edge).
    pub labels: bool,
}

#[inline]
fn mix(mut x: u64) -> u64 {
    // splitmix64's finaliser
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One node as the generator describes it.
pub struct NodeSpec {
    pub id: u64,
    pub type_index: u32,
    pub kind: NodeKind,
    pub shallow: u64,
}

impl Shape {
    pub fn new(nodes: usize, edges: usize) -> Shape {
        assert!(
            nodes > CLASSES + COLLECTIONS,
            "at least {} nodes",
            CLASSES + COLLECTIONS + 1
        );
        Shape {
            nodes,
            edges,
            seed: 0x4EA9_5C09E,
            labels: false,
        }
    }

    fn h(&self, i: usize, salt: u64) -> u64 {
        mix(self.seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ salt)
    }

    fn first_coll(&self) -> usize {
        self.nodes - COLLECTIONS
    }

    /// Dump id of node `i`: an address, the low 12 bits of the index permuted per block.
    pub fn id(&self, i: usize) -> u64 {
        let block = i & !4095;
        let p = if block + 4096 <= self.nodes {
            let low =
                ((i & 4095) as u64).wrapping_mul(0x9E5) ^ (mix(block as u64 ^ self.seed) & 4095);
            block as u64 | (low & 4095)
        } else {
            i as u64
        };
        ID_BASE + 16 * p
    }

    /// The collection holding the tree that starts at `base`.
    fn collection_of(&self, base: usize) -> usize {
        let span = self.first_coll() - CLASSES;
        (base - CLASSES) * COLLECTIONS / span
    }

    /// Sizes of the trees in order (the last one truncated to fit).
    fn trees(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let (lo, hi) = (CLASSES, self.first_coll());
        let mut base = lo;
        let mut t = 0usize;
        std::iter::from_fn(move || {
            if base >= hi {
                return None;
            }
            let size = (1 + (self.h(t, 1) % 15) as usize).min(hi - base);
            let out = (base, size);
            base += size;
            t += 1;
            Some(out)
        })
    }

    pub fn node(&self, i: usize) -> NodeSpec {
        let id = self.id(i);
        if i < CLASSES {
            return NodeSpec {
                id,
                type_index: 0,
                kind: NodeKind::Class,
                shallow: 64,
            };
        }
        if i >= self.first_coll() {
            return NodeSpec {
                id,
                type_index: 1,
                kind: NodeKind::ObjectArray,
                shallow: 0,
            };
        }
        let h = self.h(i, 2);
        // Skewed: a few types hold most objects, as in real heaps.
        let r = (h & 0xffff) as f64 / 65536.0;
        let type_index = 2 + ((r * r * r) * (CLASSES - 2) as f64) as u32;
        let (kind, shallow) = if (h >> 20) & 63 == 0 {
            (NodeKind::PrimitiveArray, 16 + (h >> 32) % 4096)
        } else {
            (NodeKind::Object, 16 + 8 * ((h >> 40) % 8))
        };
        NodeSpec {
            id,
            type_index,
            kind,
            shallow,
        }
    }

    /// Cross references per tree object beyond its tree edge and class edge, as a fixed-point
    /// fraction (1/1024) so that the total comes out close to `edges`.
    fn extra_per_node_1024(&self) -> u64 {
        let tree_nodes = (self.first_coll() - CLASSES) as u64;
        let fixed =
            tree_nodes /* tree + collection edges */ + tree_nodes /* class */ + COLLECTIONS as u64;
        let extra = (self.edges as u64).saturating_sub(fixed);
        extra * 1024 / tree_nodes.max(1)
    }

    /// The edges of a tree object `i` in tree `(base, size)` with arity `k`: (target, weak).
    fn tree_edges(&self, i: usize, base: usize, size: usize, out: &mut Vec<(usize, bool)>) {
        let k = 2 + (self.h(base, 3) % 3) as usize;
        let j = i - base;
        for c in 1..=k {
            let child = k * j + c;
            if child < size {
                out.push((base + child, false));
            }
        }
        out.push((self.node(i).type_index as usize, false));
        let per = self.extra_per_node_1024();
        let h = self.h(i, 4);
        let extras = per / 1024 + u64::from((h & 1023) < per % 1024);
        let (lo, hi) = (CLASSES, self.first_coll());
        for e in 0..extras {
            let r = self.h(i, 5 + e);
            let t = if r % 10 < 9 {
                base + ((r >> 8) % size as u64) as usize
            } else {
                lo + ((r >> 1) % (hi - lo) as u64) as usize
            };
            out.push((t, (r >> 40) % 100 < 1));
        }
    }

    /// Run phase 1 and 2 through `b`, as a parser does.
    pub fn feed(&self, b: &mut GraphBuilder) {
        let n = self.nodes;
        let class_t = b.intern_type("java.lang.Class");
        let arr_t = b.intern_type("java.lang.Object[]");
        let mut types: Vec<TypeId> = vec![class_t, arr_t];
        for t in 2..CLASSES {
            types.push(b.intern_type(&format!("com.example.Type{t}")));
        }
        b.reserve_nodes(n);
        b.reserve_edges(self.edges);
        for i in 0..n {
            let s = self.node(i);
            b.add_node(s.id, types[s.type_index as usize], s.kind, s.shallow);
        }
        for c in 0..CLASSES {
            b.add_root_id(self.id(c), "system-class", None);
        }
        b.finish_nodes();
        let statics = b.intern_label("INSTANCES");
        let field = b.intern_label("next");
        let mut out: Vec<(usize, bool)> = Vec::new();
        for c in 0..COLLECTIONS {
            b.begin_node(NodeIdx(c as u32));
            b.edge_to_id(self.id(self.first_coll() + c), false, Label::Name(statics));
        }
        for (base, size) in self.trees() {
            for i in base..base + size {
                out.clear();
                self.tree_edges(i, base, size, &mut out);
                b.begin_node(NodeIdx(i as u32));
                for &(t, weak) in &out {
                    b.edge_to_id(self.id(t), weak, Label::Name(field));
                }
            }
        }
        for c in 0..COLLECTIONS {
            b.begin_node(NodeIdx((self.first_coll() + c) as u32));
            let mut slot = 0;
            for (base, _) in self.trees() {
                if self.collection_of(base) == c {
                    b.edge_to_id(self.id(base), false, Label::Index(slot));
                    slot += 1;
                }
            }
        }
    }

    /// Build the graph (Eclipse MAT's policy).
    pub fn build(&self) -> HeapGraph {
        let mut b = if self.labels {
            GraphBuilder::new()
        } else {
            GraphBuilder::new().without_labels()
        };
        self.feed(&mut b);
        b.finish(Policy::MAT)
    }

    /// Walk every node and edge as [`feed`](Self::feed) does, without a builder: the cost of
    /// generating the input, to subtract from the build time. Returns a checksum.
    pub fn generate_only(&self) -> u64 {
        let mut sum = 0u64;
        for i in 0..self.nodes {
            let s = self.node(i);
            sum = sum.wrapping_add(s.id ^ s.shallow);
        }
        let mut out = Vec::new();
        for (base, size) in self.trees() {
            for i in base..base + size {
                out.clear();
                self.tree_edges(i, base, size, &mut out);
                for &(t, _) in &out {
                    sum = sum.wrapping_add(self.id(t));
                }
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_the_graph_has_the_requested_size() {
        let shape = Shape::new(20_000, 60_000);
        let mut ids: Vec<u64> = (0..shape.nodes).map(|i| shape.id(i)).collect();
        assert!(
            ids.windows(2).any(|w| w[0] > w[1]),
            "ids should not come sorted"
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), shape.nodes);
        let g = shape.build();
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        let m = g.edge_count() as f64;
        assert!((m / 60_000.0 - 1.0).abs() < 0.01, "{m} edges");
        let a = heapscope_graph::Analysis::run(g);
        assert_eq!(a.summary.reachable_nodes, 20_000);
        // The collections retain a share each: trees hang below them.
        let first_coll = (shape.nodes - COLLECTIONS) as u32;
        let by_collections: u64 = (first_coll..shape.nodes as u32)
            .map(|c| a.retained[c as usize])
            .sum();
        eprintln!(
            "collections retain {by_collections} of {}",
            a.summary.reachable_bytes
        );
        assert!(by_collections > a.summary.reachable_bytes / 5);
    }
}
