//! Shortest paths from GC roots: one breadth-first search from the super-root with parent
//! pointers over preferred (strong) references; then, for what is still not reached, a second
//! breadth-first search over every reference that continues the first one level by level, so a
//! node that needs a weak reference gets the shortest path through the strong paths already
//! fixed, and those paths are marked as going through a weak reference.

use crate::bitset::BitSet;
use crate::dominators::{prefetch, SUPER, UNREACHED};
use crate::graph::{HeapGraph, WEAK_BIT};
use crate::spill::{Arr, Heap, Store};
use crate::types::{Label, NodeIdx};

/// BFS parents: 4 bytes per node plus 1 bit per node for the weak flag. While computing: a
/// 4-byte queue entry per reached node, a bit per node marking where each BFS level starts,
/// and 4 bytes per node that holds a weak reference to a node not reached by then; the queue is
/// freed when the search ends. [`Analysis`](crate::Analysis) runs the search after the
/// dominator children are built and the DFS preorder freed, before the retained sizes exist;
/// out of core, the parents and the queue are in spill files ([`RootPaths::compute_in`]).
///
/// Each node keeps the index of the BFS-tree *edge* into it (not the parent node): a path then
/// reads its labels directly instead of scanning a parent's edges — which, for an element of an
/// array of millions, is the whole array per step — and the parent node is the edge's owner,
/// found by binary search over the CSR offsets. Graphs with 2^32 − 16 edges or more keep parent
/// nodes instead (and find labels by scanning).
pub struct RootPaths {
    /// Per node: the BFS-tree edge index into it (or, in `by_node` mode, the parent node);
    /// [`SUPER`] for roots, [`UNREACHED`].
    parent: crate::column::Column<u32>,
    /// `parent` holds parent nodes, not edge indices (huge graphs only).
    by_node: bool,
    /// Nodes whose shortest path had to use a weak reference.
    pub via_weak: BitSet,
}

/// Edge indices at or above this do not fit the edge-index mode.
const EDGE_MODE_LIMIT: usize = (u32::MAX - 16) as usize;

/// How many queue entries ahead the strong search asks for a node's offsets (its first
/// targets line at half that, its first targets' parents at a quarter).
const AHEAD: usize = 16;

/// One step of a path: the node and the reference that led to it from the previous step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStep {
    pub node: NodeIdx,
    /// The edge label from the previous element; for the first element, the root's `via`.
    pub via: Option<String>,
    /// The edge from the previous element is weak.
    pub weak: bool,
    /// First element only: the GC root kind.
    pub root_kind: Option<String>,
}

impl RootPaths {
    /// Path length (in edges) to a node a strong path reaches is its strong BFS distance; to any
    /// other node, the least `d(u) + 1` over references `u → v` from reached nodes `u`.
    pub fn compute(g: &HeapGraph) -> RootPaths {
        Self::compute_in(g, &Heap, &Heap)
    }

    /// [`compute`](Self::compute) with the queue from `work` and the parents (kept as the
    /// result) from `keep`. The queue holds every node the search reaches once: it is
    /// allocated with room for the node count, which costs memory only as it fills (untouched
    /// heap pages or reserved file blocks), instead of growing by doubling.
    pub(crate) fn compute_in<S: Store, K: Store>(g: &HeapGraph, work: &S, keep: &K) -> RootPaths {
        let n = g.node_count();
        let by_node = g.edge_count() >= EDGE_MODE_LIMIT;
        let mut parent = keep.filled(n, UNREACHED);
        let mut via_weak = BitSet::new(n);
        let mut queue = work.with_capacity::<u32>(n);
        // Bit i set: queue[i] starts a new BFS level of the strong search.
        let mut level_start = BitSet::new(n + 1);
        for r in g.root_nodes() {
            parent[r as usize] = SUPER;
            queue.push(r);
        }
        level_start.set(0);
        // Queue positions of strong-reached nodes with a weak reference to a node not reached
        // then: the only strong nodes the second search has to expand.
        let mut weak_src: Vec<u32> = Vec::new();
        let (offsets, targets): (&[u32], &[u32]) = (&g.offsets, &g.targets);
        let mut head = 0;
        let mut level_end = queue.len();
        while head < queue.len() {
            if head == level_end {
                level_start.set(head);
                level_end = queue.len();
            }
            let u = queue[head];
            prefetch_ahead(&queue, head, queue.len(), offsets, targets, &parent);
            head += 1;
            let range = g.edge_range(NodeIdx(u));
            let first = range.start;
            for (k, &raw) in g.targets[range].iter().enumerate() {
                let t = (raw & !WEAK_BIT) as usize;
                if parent[t] != UNREACHED {
                    continue;
                }
                if raw & WEAK_BIT != 0 {
                    if weak_src.last() != Some(&(head as u32 - 1)) {
                        weak_src.push(head as u32 - 1);
                    }
                    continue;
                }
                parent[t] = if by_node { u } else { (first + k) as u32 };
                queue.push(raw);
            }
        }
        if weak_src.is_empty() {
            return RootPaths {
                parent: parent.into_column(),
                by_node,
                via_weak,
            };
        }
        // Second search, level by level: level D holds the strong nodes at distance D (only
        // those in `weak_src` can find anything) and the nodes found while expanding level
        // D - 1, appended after the strong ones.
        let strong_len = queue.len();
        let (mut level, mut wi, mut b) = (0usize, 0usize, strong_len);
        while wi < weak_src.len() || b < queue.len() {
            let next_level = level_start
                .next_set(level + 1)
                .unwrap_or(strong_len)
                .min(strong_len);
            let b_end = queue.len();
            while wi < weak_src.len() && (weak_src[wi] as usize) < next_level {
                let u = queue[weak_src[wi] as usize];
                wi += 1;
                expand_weak(g, u, by_node, &mut parent, &mut via_weak, &mut queue);
            }
            for i in b..b_end {
                let u = queue[i];
                prefetch_ahead(&queue, i, b_end, offsets, targets, &parent);
                expand_weak(g, u, by_node, &mut parent, &mut via_weak, &mut queue);
            }
            level = next_level;
            b = b_end;
        }
        RootPaths {
            parent: parent.into_column(),
            by_node,
            via_weak,
        }
    }

    /// Reassemble from what [`parent_column`](Self::parent_column), [`by_node`](Self::by_node)
    /// and `via_weak` gave (a saved index; it checks the parents first).
    pub fn from_parts(parent: crate::column::Column<u32>, by_node: bool, via_weak: BitSet) -> Self {
        RootPaths {
            parent,
            by_node,
            via_weak,
        }
    }

    /// Per node: the BFS-tree edge into it, or (in [`by_node`](Self::by_node) mode) its parent
    /// node; [`SUPER`] for roots, [`UNREACHED`].
    pub fn parent_column(&self) -> &crate::column::Column<u32> {
        &self.parent
    }

    /// Does [`parent_column`](Self::parent_column) hold parent nodes rather than edge indices?
    pub fn by_node(&self) -> bool {
        self.by_node
    }

    pub fn is_reached(&self, n: NodeIdx) -> bool {
        self.parent[n.ix()] != UNREACHED
    }

    /// Bytes this structure holds (for measurements).
    pub fn heap_bytes(&self) -> usize {
        self.parent.len() * 4 + self.parent.len().div_ceil(8)
    }

    /// The BFS parent of `v`: a node index, [`SUPER`] for roots, [`UNREACHED`].
    #[inline]
    pub fn parent(&self, g: &HeapGraph, v: u32) -> u32 {
        match self.parent[v as usize] {
            p @ (SUPER | UNREACHED) => p,
            p if self.by_node => p,
            e => (g.offsets.partition_point(|&o| o <= e) - 1) as u32,
        }
    }

    /// The index of the BFS-tree edge into `v` (None for roots, unreached nodes, and in the
    /// parent-node mode of huge graphs).
    #[inline]
    pub fn parent_edge(&self, v: u32) -> Option<usize> {
        match self.parent[v as usize] {
            SUPER | UNREACHED => None,
            _ if self.by_node => None,
            e => Some(e as usize),
        }
    }

    /// Every node's BFS parent ([`parent`](Self::parent) for all nodes at once: 4 bytes per
    /// node, one pass over the offsets instead of a binary search per node).
    pub fn parents(&self, g: &HeapGraph) -> Vec<u32> {
        if self.by_node {
            return self.parent.to_vec();
        }
        (0..g.node_count() as u32)
            .map(|v| self.parent(g, v))
            .collect()
    }

    /// The shortest path from a GC root to `target`, root first; empty if none exists.
    pub fn path_to(&self, g: &HeapGraph, target: NodeIdx) -> Vec<PathStep> {
        let mut chain = Vec::new();
        let mut v = target.0;
        if self.parent[v as usize] == UNREACHED {
            return Vec::new();
        }
        loop {
            chain.push(v);
            let p = self.parent(g, v);
            if p == SUPER || p == UNREACHED || chain.len() > g.node_count() {
                break;
            }
            v = p;
        }
        chain.reverse();
        let mut out = Vec::with_capacity(chain.len());
        for (i, &v) in chain.iter().enumerate() {
            if i == 0 {
                let root = g.roots.iter().find(|r| r.node.0 == v);
                out.push(PathStep {
                    node: NodeIdx(v),
                    via: root.and_then(|r| (r.via != 0).then(|| g.labels.get(r.via).to_string())),
                    weak: false,
                    root_kind: root.map(|r| g.root_kind_name(r).to_string()),
                });
            } else {
                let u = chain[i - 1];
                // A node the second search reached may have a strong parallel edge from the same
                // parent besides the weak one it was found by: name the strong one (rare; scan).
                let exact = if self.via_weak.get(v as usize) {
                    None
                } else {
                    self.parent_edge(v)
                };
                let (label, weak) = match exact {
                    Some(e) => {
                        let edge = g.edge(e);
                        (edge.label, edge.weak)
                    }
                    None => edge_between(g, NodeIdx(u), NodeIdx(v)),
                };
                out.push(PathStep {
                    node: NodeIdx(v),
                    via: g.label_text(label),
                    weak,
                    root_kind: None,
                });
            }
        }
        out
    }
}

impl RootPaths {
    /// Of `origins` (reached nodes), the one whose shortest path ([`path_to`](Self::path_to))
    /// is shortest, ties to the least node index, among the paths that do not pass through
    /// `avoid` and whose first node (a root) `accept` takes; with that path's length in nodes.
    /// The same answer as building every origin's path and comparing, without building any:
    /// the origins' paths are walked up together one step at a time, so the first step at
    /// which a walk reaches an accepted root gives the length. Two walks at the same node at
    /// the same step share the rest of their paths (the least origin goes on); a walk that
    /// comes to a node another walk passed at an earlier step has a longer path through the
    /// same rest (dropped). So each node is stepped through once: O(nodes on the paths ×
    /// log), never origins × path length. A node's parent is found by a sweep over the
    /// offsets in edge order, not a binary search each. 1 bit per node while it runs (the
    /// nodes passed), plus 8 bytes per walk.
    pub fn nearest_of(
        &self,
        g: &HeapGraph,
        origins: &[u32],
        avoid: Option<u32>,
        accept: impl FnMut(u32) -> bool,
    ) -> Option<(u32, usize)> {
        self.nearest_counted(g, origins, avoid, accept).0
    }

    /// [`nearest_of`](Self::nearest_of), and how many (node, walk) steps it took (for tests).
    #[doc(hidden)]
    pub fn nearest_counted(
        &self,
        g: &HeapGraph,
        origins: &[u32],
        avoid: Option<u32>,
        mut accept: impl FnMut(u32) -> bool,
    ) -> (Option<(u32, usize)>, usize) {
        let n = g.node_count();
        // A walk: node << 32 | origin. Sorted by node, one per node (the least origin).
        let pack = |v: u32, o: u32| (v as u64) << 32 | o as u64;
        let mut walks: Vec<u64> = origins
            .iter()
            .filter(|&&o| (o as usize) < n && self.parent[o as usize] != UNREACHED)
            .map(|&o| pack(o, o))
            .collect();
        let mut passed = BitSet::new(if walks.is_empty() { 0 } else { n });
        let (mut up, mut scratch): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
        let mut work = 0usize;
        let mut step = 0usize;
        // Sorted by node from here on: the sweep below gives the owners in order.
        walks.sort_unstable();
        while !walks.is_empty() && step <= n {
            step += 1;
            if self.by_node {
                sort_by_high(&mut walks, &mut scratch);
            }
            // The entries of a node are adjacent: keep the least origin.
            walks.dedup_by(|later, kept| {
                let same = *later >> 32 == *kept >> 32;
                if same {
                    *kept = (*kept).min(*later);
                }
                same
            });
            work += walks.len();
            // Drop the walks at a node passed before (or at `avoid`); the ones at a root end
            // here, the others go up one step.
            let mut best: Option<u32> = None;
            up.clear();
            for &w in &walks {
                let (v, o) = ((w >> 32) as u32, w as u32);
                if passed.get(v as usize) || Some(v) == avoid {
                    continue;
                }
                passed.set(v as usize);
                match self.parent[v as usize] {
                    SUPER => {
                        if best.is_none_or(|b| o < b) && accept(v) {
                            best = Some(o);
                        }
                    }
                    UNREACHED => {}
                    p => up.push(pack(p, o)),
                }
            }
            if let Some(o) = best {
                return (Some((o, step)), work);
            }
            if !self.by_node {
                // Edge indices to their owners: sorted edges have nondecreasing owners, found
                // by a search forward from the last one.
                sort_by_high(&mut up, &mut scratch);
                let offsets: &[u32] = &g.offsets;
                let mut at = 0usize;
                for w in up.iter_mut() {
                    let e = (*w >> 32) as u32;
                    let mut span = 1usize;
                    while at + span < offsets.len() && offsets[at + span] <= e {
                        at += span;
                        span *= 2;
                    }
                    at += offsets[at..(at + span).min(offsets.len())].partition_point(|&o| o <= e)
                        - 1;
                    *w = pack(at as u32, *w as u32);
                }
            }
            std::mem::swap(&mut walks, &mut up);
        }
        (None, work)
    }
}

/// Sort by the upper 32 bits (a radix sort, 11 bits a pass over the bits in use, when there
/// are many; `scratch` holds as many entries while it runs). Not stable for small inputs.
fn sort_by_high(v: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    if v.len() < 1 << 12 {
        v.sort_unstable_by_key(|&w| w >> 32);
        return;
    }
    let max = v.iter().map(|&w| w >> 32).max().unwrap_or(0);
    let bits = 64 - max.leading_zeros();
    scratch.clear();
    scratch.resize(v.len(), 0);
    let mut shift = 32;
    while shift < 32 + bits {
        let mut count = [0usize; 1 << 11];
        for &w in v.iter() {
            count[(w >> shift) as usize & 0x7ff] += 1;
        }
        let mut sum = 0;
        for c in count.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
        for &w in v.iter() {
            let d = (w >> shift) as usize & 0x7ff;
            scratch[count[d]] = w;
            count[d] += 1;
        }
        std::mem::swap(v, scratch);
        shift += 11;
    }
}

/// The first root record of each root node ([`RootPaths::path_to`] names a path's root by it),
/// looked up without a scan of every root per lookup: the record indices sorted by node on
/// first use (4 bytes per root record), then a binary search each.
#[derive(Default)]
pub struct FirstRoots(Option<Vec<u32>>);

impl FirstRoots {
    /// The first record in `g.roots` of node `v`, if it is a root.
    pub fn get<'g>(&mut self, g: &'g HeapGraph, v: u32) -> Option<&'g crate::graph::Root> {
        let sorted = self.0.get_or_insert_with(|| {
            let mut ix: Vec<u32> = (0..g.roots.len() as u32).collect();
            ix.sort_by_key(|&i| (g.roots[i as usize].node.0, i));
            ix
        });
        let at = sorted.partition_point(|&i| g.roots[i as usize].node.0 < v);
        sorted
            .get(at)
            .map(|&i| &g.roots[i as usize])
            .filter(|r| r.node.0 == v)
    }
}

/// A breadth-first search knows which nodes it expands next: the queue entries from `i` on
/// (up to `end`, the entries already placed). For the ones [`AHEAD`] away it asks for their
/// offsets, for the ones half as far their first targets line, for the ones a quarter as far
/// their first targets' parents: each a stage after the line it needs has been asked for.
#[inline]
fn prefetch_ahead(
    queue: &[u32],
    i: usize,
    end: usize,
    offsets: &[u32],
    targets: &[u32],
    parent: &[u32],
) {
    if i + AHEAD < end {
        prefetch(offsets, queue[i + AHEAD] as usize);
    }
    if i + AHEAD / 2 < end {
        prefetch(targets, offsets[queue[i + AHEAD / 2] as usize] as usize);
    }
    if i + AHEAD / 4 < end {
        let w = queue[i + AHEAD / 4] as usize;
        let (a, b) = (offsets[w] as usize, offsets[w + 1] as usize);
        for &raw in &targets[a..b.min(a + 4)] {
            prefetch(parent, (raw & !WEAK_BIT) as usize);
        }
    }
}

/// Second search: every reference of `u` to a node not reached yet.
#[inline]
fn expand_weak(
    g: &HeapGraph,
    u: u32,
    by_node: bool,
    parent: &mut [u32],
    via_weak: &mut BitSet,
    queue: &mut impl Arr<u32>,
) {
    let range = g.edge_range(NodeIdx(u));
    let first = range.start;
    for (k, &raw) in g.targets[range].iter().enumerate() {
        let t = (raw & !WEAK_BIT) as usize;
        if parent[t] == UNREACHED {
            parent[t] = if by_node { u } else { (first + k) as u32 };
            via_weak.set(t);
            queue.push(t as u32);
        }
    }
}

/// The first strong edge from `u` to `v` (or the first weak one if there is no strong one).
pub fn edge_between(g: &HeapGraph, u: NodeIdx, v: NodeIdx) -> (Label, bool) {
    let mut weak_hit = None;
    for e in g.edge_range(u) {
        let edge = g.edge(e);
        if edge.target == v {
            if !edge.weak {
                return (edge.label, false);
            }
            if weak_hit.is_none() {
                weak_hit = Some(edge.label);
            }
        }
    }
    (weak_hit.unwrap_or(Label::None), weak_hit.is_some())
}
