//! Dominator tree by Semi-NCA over the CSR graph, iterative throughout (no recursion), and
//! retained sizes by one pass in reverse DFS preorder. Semi-NCA's last step (the nearest
//! dominator-tree ancestor of a node's DFS parent at or above its semidominator) climbs a few
//! steps, then searches by skew-binary jump pointers ([`nca`]), so a deep tree whose cells are
//! dominated from far above costs O(n log depth), not O(n · depth).
//!
//! Only predecessors that come *after* their target in DFS preorder are stored. A predecessor
//! `v < w` contributes exactly `v` to `semi(w)` (it is not yet linked when `w` is processed), so
//! the DFS folds those edges — the tree edges among them — into the initial semidominator as it
//! meets them, and counts the others per target on the same visit. One more pass over the edges
//! fills the lists (each node's edges are thus read by two passes, not three, besides the
//! sequential pass that finds the simple leaves, below). Successors of the
//! super-root (GC roots, attached orphans) have semidominator 0 from the start, which no
//! predecessor can lower, so edges into them are not stored at all — in a Java heap that is
//! every object's reference to its class.
//!
//! Simple leaves are left out of Semi-NCA. A node that is not a GC root, has at most one retaining
//! in-edge and no retaining edge but to GC roots (a Java primitive array, String value, boxed
//! number: their only reference is to their class) lies on no path to another node, and its
//! immediate dominator is its one predecessor, the node the DFS enters it from. One pass over the
//! CSR before the DFS finds them (`Marks`: in-edges counted up to two, four bits per node); the DFS
//! still enters them, in the same order (so `order` and the dominator children's sibling order are
//! unchanged), records the parent and gives them no preorder, so `parent`, `semi`, the back-counts
//! and the semidominators' forest have an entry per *numbered* node only (reachable nodes but
//! simple leaves), and the semidominator loop and NCA step skip them. Their nodes entered from a
//! leaf (GC roots) get the leaf's nearest numbered ancestor as DFS parent: the tree is that of a
//! DFS of the graph with the leaves removed and an edge from that ancestor to each such root, and
//! edges into successors of the super-root change no dominator.
//!
//! So is a node one level up: not a GC root, at most one retaining in-edge, and every
//! retaining edge (at most [`LEAF_SCAN`]) to a GC root or a simple leaf — a String whose bytes
//! are its own, a box or record of primitive arrays. Its leaves' one in-edge is its own, so no
//! path to another node goes through it either. The pass marks such candidates (a node with
//! one in-edge and an edge to a non-root); the DFS decides when it enters one, by reading its
//! targets' marks, and then enters it as a leaf and its leaves from it (a leaf entered from a
//! leaf: their idom is the node index they were entered from, their `pre` the nearest numbered
//! ancestor's). On the 44.8 M-object JDK dump: 15.2 M → 20.0 M simple leaves, 29.6 M → 24.8 M
//! numbered nodes, peak RssAnon 598 → 548 MiB, the same JSON. One level only: a node whose
//! edges lead to such holders is numbered.
//!
//! Memory (n nodes, N reachable, M numbered, L = N − M simple leaves): during the DFS `pre`
//! 4 B/node, 4 bits per node of marks, `node_of` 4 B per reachable node, the simple leaves' parents
//! 4 B per leaf, `parent`, `semi`, back-counts 4 B per numbered node, and nothing sized by the
//! DFS's depth: a node on the DFS path keeps its edge cursor in its `semi` entry and the node it
//! came from in its `parent` entry until it is done, and the walk goes back up by them (see
//! [`Dfs`]; an explicit stack of 8 B per level held 61 MiB at the bottom of an 8 M element V8
//! linked list, whose `next` is not each element's last edge). The counts become the lists' write
//! cursors (u32, or u64 from 2^32 − 1 edges on); the lists take 4 B per stored back edge. The
//! cursors then give way to a bit per numbered node (each list's first entry is marked instead),
//! and `pre`'s buffer is reused for the forest, each numbered node's ancestor and path-compression
//! value side by side (8 B per numbered node: the buffer is grown in place where that exceeds
//! 4 B/node). Peak: the larger of 4 B/node and 8 B per numbered node, + 8 B per numbered node + 4 B
//! per stored back edge + the bits, on top of the graph, `node_of` and the leaves' parents. The NCA
//! step that follows keeps the forest's buffer for its jump pointers and depths (see [`nca`]; the
//! back edges and their bits are freed by then): nothing added. The result keeps `idom` (4 B/node,
//! in `pre`'s buffer, its room past that given back; out of core a new spill file) and `order` (4 B
//! per reachable node, `node_of`'s buffer, with capacity for every node), and hands `semi`'s buffer
//! on, dead (`Dominators::spare`: room for every node, pages touched for the numbered ones), for
//! the dominator children's cursors; the other arrays are freed. `node_of` and the leaves' parents
//! are only appended to by the DFS and read at the end, so [`Analysis`] allocates them from the
//! store of kept arrays: spill files when spilling is allowed, which leaves at most 4 B/node + 12 B
//! per numbered node and the back edges anonymous at the peak (the CSR is in a spill file too by
//! then; 592 MiB on the 44.8 M-object JDK dump of benches/scripts/ooc/RESULTS.md, 13.7 B/object
//! beside 8 MiB of graph, was 757 MiB and 17.5 B/object with every reachable node numbered).
//!
//! In memory (not out of core) and from [`PARALLEL_MIN`] nodes on, a second thread
//! (`rayon::join`) fills `pre` while the simple leaves are found (no memory added); where the
//! analysis spills the CSR, it finds them beforehand ([`Leaves`]) beside the CSR offsets' write
//! to their spill file instead, and `pre` is made there too ([`Leaves::with_pre`]), by
//! whichever of the two threads is done first; there the leaves' pass itself runs on both
//! threads, runs of sources taken from a shared cursor, the second thread's counts in the DFS
//! preorder's array made ahead (its spill file's pages, 0.5 B per node, which the DFS then
//! overwrites: [`Leaves::find_in`]), so the thread done with the copy and `pre` takes its
//! share instead of waiting (on the 2.18 GB JDK 17 dump the step took ~0.33 s, the pass
//! alone its last ~0.1 s; now ~0.29 s, both threads ending together). (The simple
//! leaves counted by two halves in words of their own, merged by OR, were tried: +7 MiB of
//! peak RssAnon on the 54 M-object shapes dump, from the halves' transient words. The back
//! edges placed by two halves of the sources claiming list slots with atomic adds took more
//! CPU time than one thread placing them in batches: see [`place_back_edges`].)
//!
//! The walks read their node-indexed arrays in an order far from the index order on dumps of
//! services (hash-ordered tables list their entries at random in memory), so each asks for
//! lines a few steps ahead (software prefetch; no memory added, no result changed): the DFS
//! the `pre` and `offsets` lines of the next [`DFS_AHEAD`] targets of the node on top of its
//! stack and the first edges' line of the target half as far on, whose `offsets` line is in
//! cache by then; the back-edge placing each target's `pre`, then (a batch of [`BATCH`] edges
//! at a time) the list cursors, then the slots; the children
//! build `idom` and the cursor of the entries of `order` ahead, the retained-size walk the
//! lines of the children ahead in each list and of their first children. On the service
//! dumps perf samples of the DFS fell 20–30 % and of the retained walk 33–45 %, the fixture's
//! DFS unchanged (benches/scripts/hprof/RESULTS-breadth.md); the children build and the
//! back-edge placing showed no change beyond the noise. The DFS also defers its updates of
//! the numbered targets it meets again (`semi` lowered for an earlier predecessor, `back`
//! counted for a later one) by [`DFS_BATCH`] edges, asking for the line when it meets the
//! edge: these are commutative (a minimum, a count) and read only after the DFS, so the
//! result is the same (on javac the placing's CPU time fell from 0.42–0.51 s to 0.20–0.25 s
//! with the batches, the DFS's by ~5 %: benches/scripts/hprof/RESULTS-real.md).
//!
//! `order` is needed only by [`DomChildren::build`] (for the sibling order) and the order-based
//! [`retained_sizes`]: [`Analysis`] builds the children, frees `order`, and sums retained sizes
//! over the children lists ([`DomChildren::retained_sizes`]), so after the analysis only `idom`
//! (4 B/node) is held here, beside [`DomChildren`] (8 B/node). [`DomChildren::preorder`]
//! regenerates a parent-before-child order when one is needed later.
//!
//! [`Analysis`]: crate::Analysis
//!
//! Delta + LEB128 lists were tried and dropped: on the synthetic 10^7-node heap of
//! benches/ they saved 6% of the list bytes and cost a third pass over the edges.

use crate::ahead::PageAhead;
use crate::bitset::BitSet;
use crate::graph::{HeapGraph, Orphans, WEAK_BIT};
use crate::spill::{Arr, Heap, Store};
use crate::walks::NO_GROUP;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// `idom` value of nodes whose immediate dominator is the virtual super-root.
pub const SUPER: u32 = u32::MAX - 1;
/// `idom` value of nodes no retaining path from a root reaches.
pub const UNREACHED: u32 = u32::MAX;
const NONE: u32 = u32::MAX;

/// The dominator tree in node space.
pub struct DomTree {
    /// Immediate dominator of each node: a node index, [`SUPER`] or [`UNREACHED`].
    pub idom: crate::column::Column<u32>,
    /// Reachable nodes in DFS preorder: every node comes after its immediate dominator.
    /// **Empty after [`Analysis::run`](crate::Analysis::run)**, which frees it once
    /// [`DomChildren::build`] has used it; use
    /// [`Analysis::preorder`](crate::Analysis::preorder) then.
    pub order: Vec<u32>,
    /// How many nodes were attached below the super-root by the [`Orphans`] policy.
    pub orphans_attached: u64,
}

impl DomTree {
    #[inline]
    pub fn is_reachable(&self, n: u32) -> bool {
        self.idom[n as usize] != UNREACHED
    }
}

/// The retaining targets of `v` under the graph's policy (weak bit cleared).
#[inline]
fn retaining(g: &HeapGraph, v: usize) -> impl Iterator<Item = u32> + '_ {
    let keep_weak = g.policy.weak_retains;
    g.targets[g.offsets[v] as usize..g.offsets[v + 1] as usize]
        .iter()
        .filter(move |&&raw| keep_weak || raw & WEAK_BIT == 0)
        .map(|&raw| raw & !WEAK_BIT)
}

/// Depth-first numbering from the super-root (preorder 0). `node_of` lists every reached node
/// in DFS preorder; the *numbered* ones (all but simple leaves) get preorders `1..`: `pre[v]` is
/// `v`'s preorder, `parent[p]` the preorder of its DFS parent (0 = super-root), `semi[p]` the
/// smallest predecessor before `p` met so far, `back[p]` how many predecessors come after `p`.
/// A simple leaf (see [`dominators_in`]) gets no preorder: `pre[v]` holds its nearest numbered
/// ancestor's (its DFS parent's, and immediate dominator's, unless it was entered from a
/// holder, itself a leaf).
///
/// No stack sized by the depth: while a numbered node is on the DFS path (entered, not done),
/// `semi[p]` holds its edge cursor (the position in `targets` of its next edge) and `parent[p]`
/// the *node* it was entered from (`UNREACHED`: the super-root); when it is done both get
/// their values (the parent's preorder, and the semidominator it starts from), and the walk
/// goes back to that node. Neither is read for a node on the path by anything else: an edge
/// met again from the node being scanned (preorder `pv`) into a numbered `w > pv` leads to a
/// node already done (everything numbered after the deepest node of the path is done), and
/// an edge into an ancestor only counts in `back`. Only simple leaves whose edges lead to
/// nodes not reached yet (GC roots, or a holder's own leaves) are on a stack of their own
/// (12 B each; each level of it enters a GC root or one of those leaves, whose edges lead to
/// GC roots only).
struct Dfs<'p, A, O> {
    pre: A,
    node_of: O,
    /// The DFS parent (a node index) of each simple leaf, in `node_of`'s order.
    leaf_parent: O,
    parent: A,
    semi: A,
    back: A,
    /// The simple leaves on the DFS path with their edge cursor and the node they were
    /// entered from.
    leaf_path: Vec<(u32, u32, u32)>,
    pending: [(u32, u32); DFS_BATCH],
    pending_len: usize,
    /// Successors of the super-root (marked before the DFS meets them: their semidominator
    /// is 0 from the start, and predecessors of a node whose semi is 0 can change nothing, so
    /// they are neither counted nor stored; in a Java heap: every object's class reference),
    /// and the simple leaves.
    marks: Marks,
    /// The second core's helper that maps `parent`'s, `semi`'s and `back`'s pages ahead of
    /// the pushes (`crate::ahead`), told their length every `ahead::STEP` nodes.
    ahead: Option<&'p PageAhead>,
}

impl<A: Arr<u32>, O: Arr<u32>> Dfs<'_, A, O> {
    fn is_visited(&self, v: u32) -> bool {
        self.pre[v as usize] != NONE
    }

    /// Enter `v` from the node `from` (`UNREACHED`: from the super-root) whose preorder is
    /// `parent` (0: the super-root). Returns whether the walk goes down into `v` (all but a
    /// simple leaf without edges).
    #[inline]
    fn enter(&mut self, g: &HeapGraph, v: u32, parent: u32, from: u32) -> bool {
        self.node_of.push(v);
        let vi = v as usize;
        if self.marks.is_simple(vi) {
            if parent == 0 || self.marks.is_super_succ(vi) {
                // An orphan the policy attaches to the super-root: numbered after all.
                self.marks.clear_simple(vi);
            } else {
                return self.enter_leaf(g, vi, parent, from);
            }
        } else if self.marks.is_one(vi)
            && parent != 0
            && !self.marks.is_super_succ(vi)
            && self.holds_only_leaves(g, vi)
        {
            self.marks.set_simple(vi);
            return self.enter_leaf(g, vi, parent, from);
        }
        // On the path: the node it came from and its edge cursor (see [`Dfs`]).
        self.parent.push(from);
        self.pre[vi] = (self.parent.len() - 1) as u32;
        self.semi.push(g.offsets[vi]);
        self.back.push(0);
        if let Some(a) = self.ahead {
            if self.parent.len() & (crate::ahead::STEP - 1) == 0 {
                a.advance(self.parent.len());
            }
        }
        true
    }

    /// Whether every retaining edge of `v` (at most [`LEAF_SCAN`] edges) leads to a root or
    /// to a simple leaf: then `v`, with at most one retaining in-edge ([`Marks::is_one`]),
    /// lies on no path to another node either (its leaves' one in-edge is its own), so it is a
    /// simple leaf too, whose own leaves the DFS enters from it. (One level: a node whose
    /// edges lead to such nodes is numbered.)
    #[inline]
    fn holds_only_leaves(&self, g: &HeapGraph, v: usize) -> bool {
        if (g.offsets[v + 1] - g.offsets[v]) as usize > LEAF_SCAN {
            return false;
        }
        retaining(g, v)
            .all(|t| self.marks.is_super_succ(t as usize) || self.marks.is_simple(t as usize))
    }

    /// Enter a simple leaf: no preorder, its idom is the node being scanned (`from`; `parent`
    /// is the preorder of `from`, or of its nearest numbered ancestor when `from` is a leaf
    /// too). Its edges (to GC roots, and a holder's to its own leaves) are still followed, so
    /// the DFS meets every node in the same order, and `pre` keeps that preorder for the nodes
    /// it enters.
    #[cold]
    fn enter_leaf(&mut self, g: &HeapGraph, vi: usize, parent: u32, from: u32) -> bool {
        self.pre[vi] = parent;
        self.leaf_parent.push(from);
        let first = g.offsets[vi];
        if first != g.offsets[vi + 1] {
            self.leaf_path.push((vi as u32, first, from));
            true
        } else {
            false
        }
    }

    /// Leave the numbered node `v` (preorder `p`), done: its DFS parent's preorder and its
    /// first semidominator replace the node it came from and its cursor. Returns that node.
    #[inline]
    fn leave(&mut self, v: usize, p: usize) -> u32 {
        let from = self.parent[p];
        let pp = if from == UNREACHED {
            0
        } else {
            self.pre[from as usize]
        };
        self.parent[p] = pp;
        self.semi[p] = if self.marks.is_super_succ(v) { 0 } else { pp };
        from
    }

    fn visit_from(&mut self, g: &HeapGraph, start: u32) {
        if self.is_visited(start) {
            return;
        }
        // A start is entered from the super-root, so it is numbered.
        self.enter(g, start, 0, UNREACHED);
        let keep_weak = g.policy.weak_retains;
        let (offsets, targets) = (&g.offsets[..], &g.targets[..]);
        let mut v = start as usize;
        let mut fresh = true;
        // Whether `v` is a simple leaf (then the last one on `leaf_path`).
        let mut leaf = false;
        loop {
            // For a simple leaf `v` this is its nearest numbered ancestor's preorder; its
            // targets are successors of the super-root, for which only "not visited yet"
            // matters, or its own simple leaves, entered from it.
            let pv = self.pre[v];
            let end = offsets[v + 1] as usize;
            let mut at = if leaf {
                self.leaf_path.last().map_or(end, |l| l.1 as usize)
            } else {
                self.semi[pv as usize] as usize
            };
            if fresh {
                // A node just entered: ask for the `pre` and `offsets` lines of its first
                // targets at once, so their misses overlap instead of coming one per step
                // (the loop below keeps `DFS_AHEAD` targets asked for ahead of the scan).
                for &raw in &targets[at..end.min(at + DFS_AHEAD)] {
                    let t = (raw & !WEAK_BIT) as usize;
                    prefetch(&self.pre[..], t);
                    prefetch(offsets, t);
                }
            }
            let mut down = None;
            while at < end {
                let raw = targets[at];
                if at + DFS_AHEAD < end {
                    let t = (targets[at + DFS_AHEAD] & !WEAK_BIT) as usize;
                    prefetch(&self.pre[..], t);
                    prefetch(offsets, t);
                }
                if at + DFS_EDGES_AHEAD < end {
                    let t = (targets[at + DFS_EDGES_AHEAD] & !WEAK_BIT) as usize;
                    if let Some(&o) = offsets.get(t) {
                        prefetch(targets, o as usize);
                    }
                }
                at += 1;
                if raw & WEAK_BIT != 0 && !keep_weak {
                    continue;
                }
                let t = raw & !WEAK_BIT;
                let w = self.pre[t as usize];
                if w == NONE {
                    if leaf {
                        // `v`'s cursor before `t` is entered: a leaf `t` goes on the path
                        // after `v`.
                        if let Some(l) = self.leaf_path.last_mut() {
                            l.1 = at as u32;
                        }
                    }
                    if self.enter(g, t, pv, v as u32) {
                        down = Some(t);
                        break;
                    }
                    // A simple leaf without edges: nothing below it.
                } else if w > pv {
                    // A descendant already numbered (and done): an earlier predecessor. (A
                    // simple leaf is never met twice: its one in-edge entered it.)
                    prefetch(&self.semi[..], w as usize);
                    self.defer(w, pv);
                } else if w < pv && !self.marks.is_super_succ(t as usize) {
                    prefetch(&self.back[..], w as usize);
                    self.defer(w, pv);
                }
            }
            if let Some(t) = down {
                // Keep `v`'s cursor (a leaf's is kept already); go down into `t` (its own
                // cursor set by `enter`).
                if !leaf {
                    self.semi[pv as usize] = at as u32;
                }
                leaf = self.leaf_path.last().is_some_and(|l| l.0 == t);
                v = t as usize;
                fresh = true;
                continue;
            }
            // `v` is done: back to the node it was entered from.
            let from = if leaf {
                self.leaf_path.pop().map_or(UNREACHED, |l| l.2)
            } else {
                self.leave(v, pv as usize)
            };
            if from == UNREACHED {
                break;
            }
            // A leaf is entered from a numbered node or from a leaf that holds it; a numbered
            // node may be entered from a leaf (a GC root its edge leads to).
            leaf = self.leaf_path.last().is_some_and(|l| l.0 == from);
            v = from as usize;
            fresh = false;
        }
        self.flush();
    }

    /// Note an edge into the numbered `w` from the node of preorder `pv`, applied with the
    /// batch ([`Dfs::flush`]).
    #[inline(always)]
    fn defer(&mut self, w: u32, pv: u32) {
        self.pending[self.pending_len] = (w, pv);
        self.pending_len += 1;
        if self.pending_len == DFS_BATCH {
            self.flush();
        }
    }

    /// Apply the deferred edges: an earlier predecessor lowers `semi[w]`, a later one counts
    /// in `back[w]`.
    #[inline(always)]
    fn flush(&mut self) {
        for &(w, pv) in &self.pending[..self.pending_len] {
            if w > pv {
                let s = &mut self.semi[w as usize];
                *s = (*s).min(pv);
            } else {
                let c = &mut self.back[w as usize];
                *c = c.saturating_add(1);
            }
        }
        self.pending_len = 0;
    }
}

/// How many targets of the node being scanned the DFS asks for ahead of its scan (the
/// `pre` and `offsets` lines of each): in a hash-ordered table the entries are far apart in
/// memory, and each one's subtree is small, so the next entries' lines arrive while the DFS
/// is below the current one.
const DFS_AHEAD: usize = 16;

/// How many targets ahead of its scan the DFS asks for the line of the target's first edges
/// (its `offsets` line was asked for at [`DFS_AHEAD`]).
const DFS_EDGES_AHEAD: usize = DFS_AHEAD / 2;

/// The most retaining edges a node may have to be taken for a simple leaf whose edges lead to
/// simple leaves ([`Dfs::holds_only_leaves`]): a String and its bytes, a box, a small
/// record of primitive arrays; the scan is not repeated over a large array's elements.
const LEAF_SCAN: usize = 8;

/// How many edges into numbered targets met again the DFS defers ([`Dfs::defer`]).
const DFS_BATCH: usize = 128;

/// Four bits per node, in four words per 64 nodes (half a cache line for all four): "simple
/// leaf", "has a retaining in-edge" (while [`Marks::new`] counts; [`ONE`] after), "is a
/// successor of the super-root", "has a retaining edge to a non-root" (while counting).
///
/// A simple leaf is a node that is not a GC root, has at most one retaining in-edge and no
/// retaining edge but to GC roots: no path to another node goes through it, so it needs no
/// preorder, and its immediate dominator is the node the DFS enters it from (its only
/// predecessor). The bit is decided before the DFS from one pass over the CSR and cleared by
/// the DFS for a node it enters from the super-root (an orphan the policy attaches); the DFS
/// sets it for a [`ONE`] node whose edges all lead to roots and simple leaves
/// ([`Dfs::holds_only_leaves`]).
struct Marks {
    words: Vec<[u64; 4]>,
}

const SIMPLE: usize = 0;
/// While counting: "has a retaining in-edge"; after ([`Marks::settle`]): [`ONE`].
const SEEN: usize = 1;
/// After the counting: "not a root, at most one retaining in-edge, and a retaining edge to a
/// node that is not a root": a node that is a simple leaf if all its retaining edges lead to
/// simple leaves or roots ([`Dfs::holds_only_leaves`], decided when the DFS enters it).
const ONE: usize = 1;
const SUPER_SUCC: usize = 2;
/// While counting: "has a retaining edge to a node that is not a root"; zero after.
const INNER: usize = 3;

impl Marks {
    /// Mark `roots` as successors of the super-root and find the simple leaves: one pass over
    /// the CSR counting each node's retaining in-edges up to two and noting whether it has a
    /// retaining edge to a node that is not a root.
    ///
    /// The pass is skipped (no node is a simple leaf, which is always correct) when a sample
    /// of the nodes says few can be: see [`Marks::leaves_are_rare`].
    fn new(g: &HeapGraph, roots: &[u32]) -> Marks {
        Self::new_in(g, roots, None)
    }

    /// [`new`](Self::new), the pass on two threads when `scratch` is given and large enough
    /// and the graph has [`PARALLEL_MIN`] nodes or more
    /// ([`find_simple_leaves_on_two`](Self::find_simple_leaves_on_two)). The same marks.
    fn new_in(g: &HeapGraph, roots: &[u32], scratch: Option<&mut [u32]>) -> Marks {
        let mut m = Marks::with_roots(g.node_count(), roots);
        if !m.leaves_are_rare(g) {
            match scratch {
                Some(s) if g.node_count() >= PARALLEL_MIN => {
                    m.find_simple_leaves_on_two(g, s, MARKS_RUN)
                }
                _ => m.find_simple_leaves(g),
            }
        }
        m
    }

    fn with_roots(n: usize, roots: &[u32]) -> Marks {
        let mut m = Marks {
            words: vec![[0u64; 4]; n.div_ceil(64)],
        };
        for &r in roots {
            m.set(r as usize, SUPER_SUCC);
        }
        m
    }

    /// Whether fewer than a quarter of up to 4,096 evenly spaced nodes have no retaining edge
    /// but to roots (the half of the definition a node's own edges decide). Then the pass
    /// over every edge costs more than the leaves save: in a V8 snapshot nearly every node
    /// has an edge to its map or hidden class, which is no root, and the pass measured +0.5 s
    /// of CPU on a 13 M-node snapshot; in a Java heap arrays, boxes and strings' bytes point
    /// only to their class, which is a root. The sample is fixed, so the choice is
    /// deterministic; it changes no result, only the work.
    fn leaves_are_rare(&self, g: &HeapGraph) -> bool {
        let n = g.node_count();
        let step = n.div_ceil(4096).max(1);
        let keep_weak = g.policy.weak_retains;
        let (mut sampled, mut candidates) = (0usize, 0usize);
        for v in (0..n).step_by(step) {
            sampled += 1;
            let to_roots_only = g.targets[g.offsets[v] as usize..g.offsets[v + 1] as usize]
                .iter()
                .filter(|&&raw| keep_weak || raw & WEAK_BIT == 0)
                .all(|&raw| self.is_super_succ((raw & !WEAK_BIT) as usize));
            candidates += usize::from(to_roots_only && !self.is_super_succ(v));
        }
        candidates * 4 < sampled
    }

    /// One pass over the CSR: count each node's retaining in-edges up to two and note whether
    /// it has a retaining edge to a node that is not a root; set SIMPLE where neither holds.
    fn find_simple_leaves(&mut self, g: &HeapGraph) {
        count_sources(&mut self.words, g, 0..g.node_count());
        self.settle();
    }

    /// [`find_simple_leaves`](Self::find_simple_leaves) on two threads (`rayon::join`), with
    /// the same marks: each takes runs of `run` sources from a shared cursor, the first
    /// counting in these marks, the second in `scratch` (a copy of the roots' bits, its counts
    /// and "edge to a non-root" bits zeroed first: its contents on entry do not matter), so
    /// that neither writes a line the other reads; then the second's counts are merged in (a
    /// node met by both has two in-edges). `scratch` is working space of 4 × 8 B per 64 nodes
    /// (and 4 B more to align it), 0.5 B per node: the analysis lends the DFS preorder's
    /// array, made ahead (4 B per node, in a spill file), whose contents the DFS overwrites
    /// from its start, so nothing is allocated. With less room the pass runs on this thread.
    /// (Halves counted in words of their own, made for the pass, were tried before: +7 MiB of
    /// peak memory on a 54 M-object dump.) On the 2.18 GB JDK 17 dump the pass took ~0.3 s of
    /// one thread while the other was done with the CSR's copy and `pre` after ~0.2 s.
    fn find_simple_leaves_on_two(&mut self, g: &HeapGraph, scratch: &mut [u32], run: usize) {
        let n = g.node_count();
        // SAFETY: `u32` and `[u64; 4]` are plain integers: every bit pattern is valid; the
        // middle part is aligned for `[u64; 4]` by `align_to_mut`'s contract.
        let (_, theirs, _) = unsafe { scratch.align_to_mut::<[u64; 4]>() };
        let len = self.words.len();
        if theirs.len() < len {
            return self.find_simple_leaves(g);
        }
        let theirs = &mut theirs[..len];
        let cursor = std::sync::atomic::AtomicUsize::new(0);
        let run = run.max(1);
        let runs = |words: &mut [[u64; 4]]| loop {
            let from = cursor.fetch_add(run, Relaxed);
            if from >= n {
                break;
            }
            count_sources(words, g, from..(from + run).min(n));
        };
        self.start_theirs(theirs);
        let ours = &mut self.words;
        rayon::join(|| runs(ours), || runs(theirs));
        self.absorb(theirs);
    }

    /// The second thread's words before its counting: the roots' bits, no counts.
    fn start_theirs(&self, theirs: &mut [[u64; 4]]) {
        for (t, o) in theirs.iter_mut().zip(self.words.iter()) {
            *t = [0, 0, o[SUPER_SUCC], 0];
        }
    }

    /// Merge the second thread's counts (`theirs`) into these, then [`settle`](Self::settle):
    /// a node met once by each has two in-edges.
    fn absorb(&mut self, theirs: &[[u64; 4]]) {
        for (o, t) in self.words.iter_mut().zip(theirs.iter()) {
            o[SIMPLE] |= t[SIMPLE] | (o[SEEN] & t[SEEN]);
            o[INNER] |= t[INNER];
        }
        self.settle();
    }

    /// How many `u32`s of working space [`Marks::find_simple_leaves_on_two`] needs for `n`
    /// nodes, with room to align it.
    #[cfg(test)]
    fn scratch_u32s(n: usize) -> usize {
        n.div_ceil(64) * 8 + 1
    }

    /// After the counting: SIMPLE where neither "more than one in-edge" nor "an edge to a
    /// non-root" was noted and the node is no root; [`ONE`] where only the second was; the
    /// counting's bits cleared.
    fn settle(&mut self) {
        for c in self.words.iter_mut() {
            let (multi, inner, root) = (c[SIMPLE], c[INNER], c[SUPER_SUCC]);
            c[SIMPLE] = !multi & !inner & !root;
            c[ONE] = !multi & inner & !root;
            c[INNER] = 0;
        }
    }
    #[inline]
    fn get(&self, v: usize, which: usize) -> bool {
        self.words[v >> 6][which] & (1 << (v & 63)) != 0
    }
    #[inline]
    fn set(&mut self, v: usize, which: usize) {
        self.words[v >> 6][which] |= 1 << (v & 63);
    }
    #[inline]
    fn is_simple(&self, v: usize) -> bool {
        self.get(v, SIMPLE)
    }
    #[inline]
    fn is_one(&self, v: usize) -> bool {
        self.get(v, ONE)
    }
    fn set_simple(&mut self, v: usize) {
        self.set(v, SIMPLE);
    }
    fn clear_simple(&mut self, v: usize) {
        self.words[v >> 6][SIMPLE] &= !(1 << (v & 63));
    }
    #[inline]
    fn is_super_succ(&self, v: usize) -> bool {
        self.get(v, SUPER_SUCC)
    }
    fn set_super_succ(&mut self, v: usize) {
        self.set(v, SUPER_SUCC);
    }
}

/// The counting of [`Marks::find_simple_leaves`] for the sources `from`, in `words` (the
/// marks' layout): SIMPLE holds "more than one in-edge" while counting, SEEN "an in-edge",
/// INNER "an edge to a non-root"; SUPER_SUCC is only read.
fn count_sources(words: &mut [[u64; 4]], g: &HeapGraph, from: std::ops::Range<usize>) {
    let keep_weak = g.policy.weak_retains;
    let (offsets, targets) = (&g.offsets[..], &g.targets[..]);
    for v in from {
        let mut inner = false;
        for &raw in &targets[offsets[v] as usize..offsets[v + 1] as usize] {
            if raw & WEAK_BIT != 0 && !keep_weak {
                continue;
            }
            let t = (raw & !WEAK_BIT) as usize;
            let bit = 1u64 << (t & 63);
            let [not_simple, seen, super_succ, _] = &mut words[t >> 6];
            *not_simple |= *seen & bit;
            *seen |= bit;
            inner |= *super_succ & bit == 0;
        }
        if inner {
            words[v >> 6][INNER] |= 1 << (v & 63);
        }
    }
}

/// How many sources a thread of [`Marks::find_simple_leaves_on_two`] takes at a time in the
/// analysis.
const MARKS_RUN: usize = 1 << 16;

fn with_first<S: Store>(s: &S, cap: usize) -> S::Arr<u32> {
    let mut v = s.with_capacity(cap);
    v.push(0);
    v
}

/// Compute the dominator tree of `g` rooted at the virtual super-root, following only edges
/// that retain under `g.policy`. The super-root's successors are the GC roots and then, by
/// [`Orphans`] policy: every node the roots do not reach that has a weak in-edge
/// (`AttachWeaklyHeld`); or (`AttachAll`) every node the roots do not reach that no other node
/// retains, then, in index order, each node still not reached (entry points into cycles).
pub fn dominators(g: &HeapGraph) -> DomTree {
    dominators_on(g, 1)
}

/// [`dominators`] with the pass that splits (`pre` filled while the simple leaves are found)
/// on two threads (`rayon::join`) when `threads` ≥ 2, whatever the graph's size (the analysis
/// splits it from [`PARALLEL_MIN`] nodes on). The same tree, preorder and orphans.
pub fn dominators_on(g: &HeapGraph, threads: usize) -> DomTree {
    let d = dominators_in(g, &Heap, &Heap, threads >= 2, None);
    DomTree {
        idom: d.idom.into(),
        order: d.order,
        orphans_attached: d.orphans_attached,
    }
}

/// [`dominators_on`] with the NCA step's climb bounded at `climb` steps per node before it
/// takes the jump pointers (`u32::MAX`: never, the plain Semi-NCA climb), and how many steps
/// that step took (edges climbed, jumps, pointers made). The tree is the same for every
/// `climb`; the count is for the tests and benches that check the bound.
#[doc(hidden)]
pub fn dominators_counting(g: &HeapGraph, threads: usize, climb: u32) -> (DomTree, u64) {
    let tune = Tuning { climb, ..TUNED };
    let d = dominators_climbing(g, &Heap, &Heap, threads >= 2, tune, None, None, None);
    let tree = DomTree {
        idom: d.idom.into(),
        order: d.order,
        orphans_attached: d.orphans_attached,
    };
    (tree, d.nca_steps)
}

/// [`dominators`]' result with its arrays from a [`Store`].
pub(crate) struct Dominators<A, O> {
    pub idom: A,
    pub order: O,
    pub orphans_attached: u64,
    /// The NCA step's work ([`nca`]).
    pub nca_steps: u64,
    /// How many reached nodes were simple leaves (no preorder), for the tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub simple_leaves: u64,
    /// A dead working array with room for `n + 1` entries, its pages touched for one per
    /// numbered node (`semi`'s): [`Analysis`](crate::Analysis) counts the dominator
    /// children's first half in it ([`DomChildren::build_on`]) instead of in fresh memory.
    pub spare: Option<A>,
}

/// [`dominators`] with every array of `n` or `n + 1` entries and the back-predecessor lists
/// allocated by `s` (the out-of-core analysis puts them in spill files), except `node_of`
/// (the result's `order`), allocated by `keep`: it is only appended to by the DFS and read
/// again at the end, so the in-memory analysis can give it a spill file
/// ([`Large`](crate::spill::Large)) and hold 4 B/node less through the pass.
///
/// `leaves`, if given, are the simple leaves found beforehand ([`Leaves::find`], from the
/// same graph): the pass then only fills `pre` before its DFS.
pub(crate) fn dominators_in<S: Store, K: Store>(
    g: &HeapGraph,
    s: &S,
    keep: &K,
    two: bool,
    leaves: Option<Leaves>,
) -> Dominators<S::Arr<u32>, K::Arr<u32>>
where
    S::Arr<u32>: Send,
{
    dominators_climbing(g, s, keep, two, TUNED, leaves, None, None)
}

/// [`dominators_in`] with `node_of` (the result's `order`) in `order` if it has one entry per
/// node: an array from `keep` made ahead (the analysis writes its spill file on another
/// thread while the CSR is copied, `Analysis::run_spilled`, so the DFS's pushes do not write
/// the file ahead of themselves 1 MiB at a time), emptied here; its contents do not matter.
/// Else it comes from `keep` as before. The same tree either way.
///
/// `busy`, if given, is held while the pass places its back edges on two threads
/// ([`Busy`]), for work beside it to wait on.
pub(crate) fn dominators_with<S: Store, K: Store>(
    g: &HeapGraph,
    s: &S,
    keep: &K,
    two: bool,
    leaves: Option<Leaves>,
    order: Option<K::Arr<u32>>,
    busy: Option<&Busy>,
) -> Dominators<S::Arr<u32>, K::Arr<u32>>
where
    S::Arr<u32>: Send,
{
    dominators_climbing(g, s, keep, two, TUNED, leaves, order, busy)
}

/// Says when the dominators' pass has both cores busy: while it places its back edges on two
/// threads. The analysis' second thread, which runs beside the whole pass
/// (`Analysis::run_spilled`: the root paths, then zero fills and the histogram's counts),
/// waits for it before each of its jobs after the root paths ([`wait`](Self::wait)), so that
/// those jobs run beside the pass' last steps (the semidominators and the NCA step, on one
/// thread), where the second core is idle, rather than taking a third of the cores from the
/// two placing threads. A job already begun goes on. Held through a guard that lets go when
/// dropped, also when unwinding (a waiter is never left waiting).
#[derive(Default)]
pub(crate) struct Busy {
    held: std::sync::Mutex<bool>,
    changed: std::sync::Condvar,
    /// Waits that found it held and have not returned yet (what a test can watch for).
    waiting: std::sync::atomic::AtomicUsize,
}

impl Busy {
    /// Held until the guard is dropped.
    fn hold(&self) -> BusyGuard<'_> {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = true;
        BusyGuard(self)
    }

    /// Return once it is not held.
    pub(crate) fn wait(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if !*held {
            return;
        }
        self.waiting.fetch_add(1, SeqCst);
        while *held {
            held = self.changed.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        self.waiting.fetch_sub(1, SeqCst);
    }
}

/// [`Busy::hold`]'s guard.
struct BusyGuard<'a>(&'a Busy);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        *self.0.held.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.0.changed.notify_all();
    }
}

/// The GC roots' and simple leaves' marks ([`Marks`], 4 bits per node) the dominators' DFS
/// starts from, found by a pass that only reads the graph, so that it can run beside other
/// readers before the dominators (the analysis runs it beside the CSR offsets' write to
/// their spill file: `Analysis::run_spilled`).
pub(crate) struct Leaves {
    marks: Marks,
    /// The DFS's `pre`, made ahead ([`Leaves::with_pre`]), if it was.
    pre: Option<Vec<u32>>,
}

impl Leaves {
    /// The marks of `g` ([`Marks::new`]).
    pub(crate) fn find(g: &HeapGraph) -> Leaves {
        Leaves {
            marks: Marks::new(g, &g.root_nodes()),
            pre: None,
        }
    }

    /// [`find`](Self::find) on two threads, in `scratch` as working space (its contents on
    /// entry do not matter and are junk on return; 0.5 B per node and 4 B more), from
    /// [`PARALLEL_MIN`] nodes on; else on this thread. The same marks.
    pub(crate) fn find_in(g: &HeapGraph, scratch: &mut [u32]) -> Leaves {
        Leaves {
            marks: Marks::new_in(g, &g.root_nodes(), Some(scratch)),
            pre: None,
        }
    }

    /// The DFS's `pre` for `n` nodes as the pass makes it (every entry unnumbered, room for
    /// one more): made on another thread while the CSR is written to its spill file and the
    /// leaves are found, rather than on the pass's own before its DFS (`Analysis::run_spilled`:
    /// 4 B per node of fresh pages to fault in and fill).
    pub(crate) fn fresh_pre(n: usize) -> Vec<u32> {
        let mut pre = Vec::with_capacity(n + 1);
        pre.resize(n, NONE);
        pre
    }

    /// These marks with `pre` made ahead by [`fresh_pre`](Self::fresh_pre) for the same graph
    /// (one of another length is not used).
    pub(crate) fn with_pre(self, pre: Vec<u32>) -> Leaves {
        Leaves {
            pre: Some(pre),
            ..self
        }
    }
}

/// The DFS of [`dominators_climbing`] over everything it numbers: from the GC roots, then the
/// orphans its policy attaches to the super-root. Returns how many nodes the roots reached.
fn dfs_all<A: Arr<u32>, O: Arr<u32>>(
    g: &HeapGraph,
    dfs: &mut Dfs<'_, A, O>,
    roots: &[u32],
) -> usize {
    let n = g.node_count();
    for &r in roots {
        dfs.visit_from(g, r);
    }
    let from_roots = dfs.node_of.len();
    match g.policy.orphans {
        Orphans::Unreachable => {}
        Orphans::AttachWeaklyHeld => {
            let mut weak_in = BitSet::new(n);
            for &raw in g.targets.iter() {
                if raw & WEAK_BIT != 0 {
                    weak_in.set((raw & !WEAK_BIT) as usize);
                }
            }
            // All candidates first, so the result does not depend on their index order.
            let attach: Vec<u32> = (0..n as u32)
                .filter(|&v| !dfs.is_visited(v) && weak_in.get(v as usize))
                .collect();
            drop(weak_in);
            for &v in &attach {
                dfs.marks.set_super_succ(v as usize);
            }
            for v in attach {
                dfs.visit_from(g, v);
            }
        }
        Orphans::AttachAll => {
            // The nodes the roots did not reach, in index order: one scan of `pre` (none when
            // the DFS met every node) rather than one per step below; a node reached stays
            // reached, so each step's pass over them meets the unreached ones of a pass over
            // every node, in the same order. 4 B per unreached node.
            let unreached: Vec<u32> = if dfs.node_of.len() == n {
                Vec::new()
            } else {
                (0..n as u32).filter(|&v| !dfs.is_visited(v)).collect()
            };
            let mut held = BitSet::new(if unreached.is_empty() { 0 } else { n });
            for &v in &unreached {
                for t in retaining(g, v as usize) {
                    if t != v {
                        held.set(t as usize);
                    }
                }
            }
            let attach: Vec<u32> = unreached
                .iter()
                .copied()
                .filter(|&v| !held.get(v as usize))
                .collect();
            drop(held);
            for &v in &attach {
                dfs.marks.set_super_succ(v as usize);
            }
            for v in attach {
                dfs.visit_from(g, v);
            }
            for v in unreached {
                if !dfs.is_visited(v) {
                    dfs.marks.set_super_succ(v as usize);
                    dfs.visit_from(g, v);
                }
            }
        }
    }
    from_roots
}

/// The pass's bounds, which change its work but not its answers: the tests set them to reach
/// the paths real inputs take only when large.
#[derive(Clone, Copy)]
struct Tuning {
    /// The NCA step climbs at most this many steps up the dominator tree per node before it
    /// takes the jump pointers ([`nca`]); `u32::MAX`: never (the unbounded climb).
    climb: u32,
    /// From this many edges on, the back-predecessor lists' cursors are u64 (else u32).
    wide_lists_from: u64,
}

/// The bounds the analysis runs with.
const TUNED: Tuning = Tuning {
    climb: CLIMB,
    wide_lists_from: u32::MAX as u64,
};

/// [`dominators_in`] with the bounds of `tune`.
#[allow(clippy::too_many_arguments)]
fn dominators_climbing<S: Store, K: Store>(
    g: &HeapGraph,
    s: &S,
    keep: &K,
    two: bool,
    tune: Tuning,
    mut leaves: Option<Leaves>,
    order: Option<K::Arr<u32>>,
    busy: Option<&Busy>,
) -> Dominators<S::Arr<u32>, K::Arr<u32>>
where
    S::Arr<u32>: Send,
{
    let n = g.node_count();
    let roots = g.root_nodes();
    // On two threads (`two`): `pre` filled while the marks are made.
    // Room for n + 1: the semidominator loop reuses it for its forest, two entries per
    // numbered node and the super-root (grown if need be).
    let ahead = leaves
        .as_mut()
        .and_then(|l| l.pre.take())
        .filter(|p| p.len() == n)
        .map(S::Arr::<u32>::from_vec);
    let (mut pre, filled) = match ahead {
        Some(Ok(p)) => (p, true),
        _ => (s.with_capacity(n + 1), false),
    };
    let make_pre = |pre: &mut S::Arr<u32>| pre.resize(n, NONE);
    let marks = if let Some(Leaves { marks, .. }) = leaves {
        if !filled {
            make_pre(&mut pre);
        }
        marks
    } else if two {
        let p = &mut pre;
        rayon::join(|| make_pre(p), || Marks::new(g, &roots)).1
    } else {
        make_pre(&mut pre);
        Marks::new(g, &roots)
    };
    // Sized for every node up front: untouched capacity costs no memory, and growing by
    // doubling would hold old and new buffers at once.
    let node_of = match order {
        Some(mut o) if o.len() == n => {
            o.clear();
            o
        }
        _ => keep.with_capacity(n),
    };
    let (parent, semi, back) = (
        with_first(s, n + 1),
        with_first(s, n + 1),
        with_first(s, n + 1),
    );
    // In memory on two cores: the pages of the three arrays the DFS pushes to are faulted in
    // by a helper thread ahead of the pushes rather than by the DFS (`crate::ahead`). Their
    // room is for n + 1 elements, and they are not moved or freed until the helper is joined.
    let ahead = two.then(|| PageAhead::new([parent.as_ptr(), semi.as_ptr(), back.as_ptr()], n + 1));
    let mut dfs = Dfs {
        pre,
        node_of,
        leaf_parent: keep.with_capacity(n),
        parent,
        semi,
        back,
        leaf_path: Vec::new(),
        pending: [(0, 0); DFS_BATCH],
        pending_len: 0,
        marks,
        ahead: ahead.as_ref(),
    };
    let from_roots = std::thread::scope(|sc| {
        let helper = ahead.as_ref().and_then(|a| {
            std::thread::Builder::new()
                .name("dfs pages".into())
                .spawn_scoped(sc, || a.run())
                .ok()
        });
        let from_roots = dfs_all(g, &mut dfs, &roots);
        if let Some(a) = &ahead {
            a.finish();
        }
        if let Some(h) = helper {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        }
        from_roots
    });
    let orphans_attached = (dfs.node_of.len() - from_roots) as u64;
    let simple_leaves = dfs.leaf_parent.len() as u64;
    let Dfs {
        pre,
        node_of,
        leaf_parent,
        parent,
        mut semi,
        back,
        marks,
        ..
    } = dfs;

    // `pre` is dead once the back edges are placed: its buffer (touched pages, room for every
    // node) holds the semidominators' forest, then the NCA step's jump pointers, then the
    // idoms.
    let links = 2 * semi.len();
    let climb = tune.climb;
    let mut buf = if (g.targets.len() as u64) < tune.wide_lists_from {
        // The counts become the cursors in place: no second array (on two threads the second
        // one's cursors, from the ends of the lists, are a `keep` array).
        let preds = if two {
            let _busy = busy.map(Busy::hold);
            marked_on_two(g, &pre, &marks, back, s, keep, PLACE_RUN)
        } else {
            BackPreds::fill(g, &pre, &marks, back, s).into_marked()
        };
        let mut buf = room(pre, links, s);
        semidominators(preds, &mut semi, &parent, as_links(&mut buf));
        buf
    } else {
        // 2^32 − 1 edges or more (so maybe as many list entries): u64 cursors (8 B/node, on
        // the heap).
        let off: Vec<u64> = back.iter().map(|&c| u64::from(c)).collect();
        drop(back);
        let preds = BackPreds::fill(g, &pre, &marks, off, s).into_marked();
        let mut buf = room(pre, links, s);
        semidominators(preds, &mut semi, &parent, as_links(&mut buf));
        buf
    };

    // The NCA step for each numbered preorder in increasing order, in `parent`'s buffer,
    // which becomes `idom` (preorders): a climb of at most `climb` steps up the dominator tree
    // built so far; at the first node whose climb would take more, [`nca`] does the step for
    // it and the rest by jump pointers (in the dead forest).
    let mut idom = parent;
    let mut nca_steps = 0u64;
    for w in 1..idom.len() {
        let sw = semi[w];
        let mut d = idom[w];
        let mut k = 0u32;
        while d > sw && k < climb {
            d = idom[d as usize];
            k += 1;
        }
        if d > sw {
            nca_steps += nca(&mut idom, &semi, as_links(&mut buf), climb, w);
            break;
        }
        nca_steps += u64::from(k);
        idom[w] = d;
    }
    // One walk of the DFS preorder: `semi[w]` becomes w's node, which is all later steps need
    // of it, and each node's idom is written in node space (a simple leaf's is the parent it
    // was entered from): in the same buffer, its room past `n` given back, if it is a `Vec`;
    // else (out of core) in a new array, as a spill file's room past `n` would stay on disk.
    let mut out = match buf.into_vec() {
        Some(mut v) => {
            v.clear();
            v.resize(n, UNREACHED);
            v.shrink_to_fit();
            S::Arr::<u32>::from_vec(v).unwrap_or_else(|_| unreachable!("the Vec just taken"))
        }
        None => s.filled(n, UNREACHED),
    };
    let mut leaves = leaf_parent.iter();
    let mut w = 0usize;
    for &v in node_of.iter() {
        out[v as usize] = if marks.is_simple(v as usize) {
            leaves.next().copied().unwrap_or(UNREACHED)
        } else {
            w += 1;
            semi[w] = v;
            let d = idom[w];
            if d == 0 {
                SUPER
            } else {
                semi[d as usize]
            }
        };
    }
    // The other working array is freed here, before the spare is used (peak as before).
    drop(idom);
    Dominators {
        idom: out,
        order: node_of,
        orphans_attached,
        nca_steps,
        simple_leaves,
        spare: Some(semi),
    }
}

/// How many steps up the dominator tree the NCA step climbs for a node before it takes the
/// jump pointers instead ([`nca`]).
const CLIMB: u32 = 16;

/// Semi-NCA's last step, for every numbered preorder `w` from `from` on, in increasing order:
/// `idom(w)` is the nearest ancestor of `parent(w)` in the dominator tree built so far whose
/// preorder is at most `semi(w)` (along a path of that tree the preorders fall towards the
/// root). `idom` holds the immediate dominators (preorders, 0 = super-root) below `from` and
/// the DFS parents from it on on entry, the immediate dominators on return; `semi` the
/// semidominators; `links` (as long as `idom`, the semidominator loop's dead forest) is
/// working space: each entry's [`UP`] a jump pointer, its [`LABEL`] a depth. Returns the steps
/// taken (tree edges climbed, jumps, pointers made), for the tests.
///
/// The plain climb costs the depth of the tree between `parent(w)` and the answer, which is
/// quadratic over a long chain whose cells are each dominated from far above (javac's
/// 62,904-level dominator tree: 429 M steps for 10.7 M nodes, 98 % of them by the 0.6 % of
/// nodes that climb more than 256 steps). So a node climbs at most `climb` steps; past that
/// the search goes on by skew-binary jump pointers (Myers' random-access lists): each node's
/// pointer leads to an ancestor at a distance of 2^k − 1 levels, chosen from its parent's in
/// O(1), and a search for the nearest ancestor at or below a preorder takes O(log depth)
/// steps: jump while the jump's target is still above the bound, else climb one edge. The
/// pointers and depths are made only when a search first needs them, for every preorder
/// below the current one at once (in preorder, so each node's dominator comes first): a
/// graph no climb exceeds `climb` on pays nothing (the caller's walk does the climbs, and
/// calls this at the first that exceeds it), one that does pays one pass. The total is
/// O(`climb` · n + n + searches · log depth). A node's pointer and depth share its entry, so
/// making one reads three lines, not six.
fn nca(idom: &mut [u32], semi: &[u32], links: &mut [Link], climb: u32, from: usize) -> u64 {
    let m = idom.len();
    // The super-root: depth 0, its own jump.
    links[0] = [0, 0];
    // Pointers and depths are made for the preorders below `ready`.
    let mut ready = 1usize;
    let mut steps = 0u64;
    for w in from..m {
        let s = semi[w];
        let mut d = idom[w];
        let mut k = 0u32;
        while d > s {
            if k == climb {
                steps += add_jumps(idom, links, ready..w);
                ready = w;
                d = jump_up(idom, links, d, s, &mut steps);
                break;
            }
            d = idom[d as usize];
            k += 1;
        }
        steps += u64::from(k);
        idom[w] = d;
    }
    steps
}

/// Make the jump pointer and depth of each preorder in `nodes`, in increasing order (each
/// one's idom, a lower preorder, is done before it): with `p` its idom and `j` `p`'s jump,
/// the pointer skips `p`'s two segments and `p` if they are equally long, else leads to `p`.
/// Returns how many were made.
fn add_jumps(idom: &[u32], links: &mut [Link], nodes: std::ops::Range<usize>) -> u64 {
    let made = nodes.len() as u64;
    for x in nodes {
        let p = idom[x];
        let [j, dp] = links[p as usize];
        let [jj, dj] = links[j as usize];
        let djj = links[jj as usize][LABEL];
        let up = if dp - dj == dj - djj { jj } else { p };
        links[x] = [up, dp + 1];
    }
    made
}

/// The nearest ancestor-or-self of `x` whose preorder is at most `s`, by the jump pointers:
/// every node strictly between a node and its jump's target has a higher preorder than the
/// target, so a jump whose target is still above `s` passes over no answer.
fn jump_up(idom: &[u32], links: &[Link], mut x: u32, s: u32, steps: &mut u64) -> u32 {
    while x > s {
        let j = links[x as usize][UP];
        x = if j > s { j } else { idom[x as usize] };
        *steps += 1;
    }
    x
}

/// Offsets of the predecessor lists: u32 while there are fewer than 2^32 entries.
trait Off: Copy {
    fn from_u64(v: u64) -> Self;
    fn to_usize(self) -> usize;
}
impl Off for u32 {
    #[inline]
    fn from_u64(v: u64) -> Self {
        v as u32
    }
    #[inline]
    fn to_usize(self) -> usize {
        self as usize
    }
}
impl Off for u64 {
    #[inline]
    fn from_u64(v: u64) -> Self {
        v
    }
    #[inline]
    fn to_usize(self) -> usize {
        self as usize
    }
}

/// Predecessors `p > w` of each preorder `w`: after [`fill`](Self::fill), `off[w]` is the end
/// of `w`'s list and the start of `w + 1`'s.
struct BackPreds<OA, A> {
    off: OA,
    preds: A,
}

impl<O: Off, OA: std::ops::DerefMut<Target = [O]>, A: Arr<u32>> BackPreds<OA, A> {
    /// Turn the counts (in `off`) into write cursors (start of each list) and place every back
    /// edge ([`place_back_edges`]). Edges into successors of the super-root are skipped, as the
    /// DFS skipped them when counting (a bit per node: it stays in cache where `semi[w]` would
    /// not).
    fn fill<S: Store<Arr<u32> = A>>(
        g: &HeapGraph,
        pre: &[u32],
        marks: &Marks,
        mut off: OA,
        s: &S,
    ) -> Self {
        let mut acc = 0u64;
        for o in off.iter_mut() {
            let c = o.to_usize() as u64;
            *o = O::from_u64(acc);
            acc += c;
        }
        let mut preds: A = s.filled(acc as usize, 0u32);
        place_back_edges(g, pre, marks, &mut off[..], &mut preds[..]);
        BackPreds { off, preds }
    }

    /// Trade the offsets (4–8 B per node) for a bit per node: the first entry of each list
    /// gets [`FIRST`] set (preorders stay below 2^31, as node indices do), and the semidominator
    /// loop, which visits targets in decreasing order, walks the lists back from the end.
    fn into_marked(self) -> MarkedPreds<A> {
        let BackPreds { off, mut preds } = self;
        let mut has = BitSet::new(off.len());
        let mut start = 0usize;
        for (w, o) in off.iter().enumerate() {
            let end = o.to_usize();
            if end > start {
                preds[start] |= FIRST;
                has.set(w);
            }
            start = end;
        }
        MarkedPreds { has, preds }
    }
}

/// How many back edges [`place_back_edges`] gathers before it claims their slots, and then
/// writes them.
const BATCH: usize = 256;

/// Place every back edge the lists store, `(w, p)`: from each numbered source (of preorder
/// `p`) to a target of preorder `w < p` that is not a successor of the super-root, at the
/// cursor of list `w` in `off`, which moves on. A simple leaf's edges lead to successors of
/// the super-root or (a holder's) to its own leaves, and the one edge into it has the same
/// `pre` at both ends: none is stored (leaf sources are skipped).
///
/// In node order, not preorder: the CSR and `pre[v]` are then read sequentially, and only
/// `pre[t]`, the cursors and the slots at random. Each of those is asked for ahead (software
/// prefetch): the `pre` line of the target `BACK_AHEAD` edges on; the cursor's line when an
/// edge is gathered into a batch of [`BATCH`], claimed when the batch is full; the slot's line
/// when it is claimed, written once the whole batch is claimed. One thread: the lists come out
/// in node order of their sources, the same on every run. (Two threads claiming slots with
/// an atomic add, one per half of the sources, took more CPU time than one thread does with
/// the batches, 0.31–0.39 s against 0.20–0.25 on javac's 23 M back edges: a locked add waits
/// for every earlier store to leave the store buffer, so the random writes no longer
/// overlap; and in the analysis the root paths' search has the other core.)
fn place_back_edges<O: Off>(
    g: &HeapGraph,
    pre: &[u32],
    marks: &Marks,
    off: &mut [O],
    preds: &mut [u32],
) {
    // (w, then its slot; p)
    let mut batch = [(0usize, 0u32); BATCH];
    let mut len = 0usize;
    for v in 0..pre.len() {
        let p = pre[v];
        if p == NONE || marks.is_simple(v) {
            continue;
        }
        back_edges_of::<false>(g, pre, marks, v, p, |w| {
            prefetch(off, w as usize);
            batch[len] = (w as usize, p);
            len += 1;
            if len == BATCH {
                place_batch(&mut batch, off, preds);
                len = 0;
            }
        });
    }
    place_batch(&mut batch[..len], off, preds);
}

/// [`BackPreds::fill`] and [`BackPreds::into_marked`] on two threads, with the same lists: the
/// first thread takes runs of `run` sources from the front of the node range and places their
/// back edges as [`place_back_edges`] does, from the start of each list on; the second takes
/// runs from the back and places its edges from the end of each list back, walking its
/// sources and their edges in reverse, until the two meet (wherever the threads' speeds put
/// that point). So every list still comes out in node order of its sources (edge order within
/// one source), the same on every run. Neither claims a slot the other does: list `w` has as
/// many slots as the DFS counted edges into it, and each thread's edges take slots from its
/// own end. No atomic add (each thread has its own
/// cursors: the second's, the ends of the lists, in an array from `keep`, which the in-memory
/// analysis puts in a spill file past its threshold: page cache, no anonymous memory added);
/// the first slot of each non-empty list is marked [`FIRST`] before the placing, which keeps
/// the mark (a plain load and store of a slot only this thread writes).
fn marked_on_two<A: Arr<u32>, S: Store<Arr<u32> = A>, K: Store>(
    g: &HeapGraph,
    pre: &[u32],
    marks: &Marks,
    mut off: A,
    s: &S,
    keep: &K,
    run: u64,
) -> MarkedPreds<A> {
    // One pass makes the starts (in `off`), the ends (the second thread's cursors) and the
    // marks, on two threads: the lists of the targets below `mid` (a multiple of 64, so each
    // thread has whole words of the marks) take the slots below the sum of their counts, the
    // others the slots from there on; each half's counts are summed first (also on two
    // threads), which gives the second half its start.
    let len = off.len();
    let mid = len / 2 / 64 * 64;
    let sum = |c: &[u32]| c.iter().map(|&c| u64::from(c)).sum::<u64>();
    let (counts_lo, counts_hi) = off.split_at(mid);
    let (below, above) = rayon::join(|| sum(counts_lo), || sum(counts_hi));
    let mut preds: A = s.filled((below + above) as usize, 0u32);
    let mut words = vec![0u64; len.div_ceil(64)];
    let mut ends: K::Arr<u32> = keep.filled(len, 0u32);
    {
        let (off_lo, off_hi) = off.split_at_mut(mid);
        let (ends_lo, ends_hi) = ends.split_at_mut(mid);
        let (words_lo, words_hi) = words.split_at_mut(mid / 64);
        let (preds_lo, preds_hi) = preds.split_at_mut(below as usize);
        rayon::join(
            || list_starts(off_lo, ends_lo, words_lo, preds_lo, 0),
            || list_starts(off_hi, ends_hi, words_hi, preds_hi, below as u32),
        );
    }
    let has = BitSet::from_words(words);
    // The sources not yet taken, `lo..hi` (packed, `lo` high): the first thread takes runs of
    // `run` from the front, the second from the back, until they meet.
    let left = AtomicU64::new((pre.len() as u64) & 0xffff_ffff);
    // SAFETY: `AtomicU32` has the layout of `u32`; `preds` is borrowed uniquely for this scope.
    let cells: &[AtomicU32] = unsafe { &*(&mut preds[..] as *mut [u32] as *const [AtomicU32]) };
    let (starts, ends_now) = (&mut off[..], &mut ends[..]);
    rayon::join(
        || place_half::<false>(g, pre, marks, &left, run, starts, cells),
        || place_half::<true>(g, pre, marks, &left, run, ends_now, cells),
    );
    debug_assert!(off.iter().zip(ends.iter()).all(|(a, b)| a == b));
    drop(ends);
    MarkedPreds { has, preds }
}

/// The list starts of [`marked_on_two`] for a run of targets (their counts in `off`, the first
/// of them at a multiple of 64), whose lists begin at slot `base` (`preds` begins there too):
/// each count becomes its list's start, its end goes to `ends`, and a non-empty list gets its
/// bit in `words` and its first slot marked [`FIRST`].
fn list_starts(off: &mut [u32], ends: &mut [u32], words: &mut [u64], preds: &mut [u32], base: u32) {
    let mut acc = 0u32;
    for (w, (o, e)) in off.iter_mut().zip(ends.iter_mut()).enumerate() {
        let c = *o;
        *o = base + acc;
        if c > 0 {
            preds[acc as usize] = FIRST;
            words[w >> 6] |= 1 << (w & 63);
        }
        acc += c;
        *e = base + acc;
    }
}

/// How many sources a thread of [`marked_on_two`] takes at a time in the analysis.
const PLACE_RUN: u64 = 4096;

/// Take the next `run` sources from the front (or, `DOWN`, the back) of `left` (`lo..hi`,
/// packed): `None` once none is left.
fn take_run<const DOWN: bool>(left: &AtomicU64, run: u64) -> Option<std::ops::Range<usize>> {
    let mut now = left.load(Relaxed);
    loop {
        let (lo, hi) = (now >> 32, now & 0xffff_ffff);
        if lo >= hi {
            return None;
        }
        let (a, b) = if DOWN {
            (hi.saturating_sub(run).max(lo), hi)
        } else {
            (lo, (lo + run).min(hi))
        };
        let next = if DOWN { lo << 32 | a } else { b << 32 | hi };
        match left.compare_exchange_weak(now, next, Relaxed, Relaxed) {
            Ok(_) => return Some(a as usize..b as usize),
            Err(seen) => now = seen,
        }
    }
}

/// One thread of [`marked_on_two`]: the back edges of the runs of sources it takes from
/// `left` ([`take_run`]), in node and edge order from the lists' starts (`cur`: their
/// cursors) or (`DOWN`) in reverse from their ends. Each target's `pre` line is asked for
/// [`BACK_AHEAD`] edges ahead in the walk's direction, each cursor's line when its edge is
/// gathered, each slot's when it is claimed ([`BATCH`]).
fn place_half<const DOWN: bool>(
    g: &HeapGraph,
    pre: &[u32],
    marks: &Marks,
    left: &AtomicU64,
    run: u64,
    cur: &mut [u32],
    cells: &[AtomicU32],
) {
    let mut batch = [(0usize, 0u32); BATCH];
    let mut len = 0usize;
    while let Some(nodes) = take_run::<DOWN>(left, run) {
        for i in 0..nodes.len() {
            let v = if DOWN {
                nodes.end - 1 - i
            } else {
                nodes.start + i
            };
            let p = pre[v];
            if p == NONE || marks.is_simple(v) {
                continue;
            }
            back_edges_of::<DOWN>(g, pre, marks, v, p, |w| {
                prefetch(cur, w as usize);
                batch[len] = (w as usize, p);
                len += 1;
                if len == BATCH {
                    place_cells::<DOWN>(&mut batch, cur, cells);
                    len = 0;
                }
            });
        }
    }
    place_cells::<DOWN>(&mut batch[..len], cur, cells);
}

/// [`place_batch`] for [`place_half`]: slots claimed forwards or (`DOWN`) backwards, each
/// written keeping the [`FIRST`] mark already there.
#[inline(always)]
fn place_cells<const DOWN: bool>(batch: &mut [(usize, u32)], cur: &mut [u32], cells: &[AtomicU32]) {
    for e in batch.iter_mut() {
        let c = &mut cur[e.0];
        let at = if DOWN { *c - 1 } else { *c };
        *c = if DOWN { at } else { at + 1 };
        prefetch(cells, at as usize);
        e.0 = at as usize;
    }
    for &(at, p) in batch.iter() {
        let c = &cells[at];
        c.store(c.load(Relaxed) | p, Relaxed);
    }
}

/// The back edges the lists store out of the numbered source `v` (preorder `p`): the
/// preorder `w < p` of each retaining target that is not a successor of the super-root,
/// given to `each` in edge order (or, `DOWN`, in reverse), each target's `pre` line asked for
/// [`BACK_AHEAD`] edges ahead in that direction.
#[inline(always)]
fn back_edges_of<const DOWN: bool>(
    g: &HeapGraph,
    pre: &[u32],
    marks: &Marks,
    v: usize,
    p: u32,
    mut each: impl FnMut(u32),
) {
    let targets = &g.targets[..];
    let keep_weak = g.policy.weak_retains;
    let (first, end) = (g.offsets[v] as usize, g.offsets[v + 1] as usize);
    let ahead = if DOWN {
        targets.get(first.saturating_sub(BACK_AHEAD)..end.saturating_sub(BACK_AHEAD))
    } else {
        targets.get(first + BACK_AHEAD..(end + BACK_AHEAD).min(targets.len()))
    };
    for &raw in ahead.unwrap_or(&[]) {
        prefetch(pre, (raw & !WEAK_BIT) as usize);
    }
    let edges = &targets[first..end];
    for k in 0..edges.len() {
        let raw = edges[if DOWN { edges.len() - 1 - k } else { k }];
        if raw & WEAK_BIT != 0 && !keep_weak {
            continue;
        }
        let t = (raw & !WEAK_BIT) as usize;
        if marks.is_super_succ(t) {
            continue;
        }
        let w = pre[t];
        if w < p {
            each(w);
        }
    }
}

/// Claim the slots of a batch of back edges `(w, p)` (asking for each slot's line), then
/// write them.
#[inline(always)]
fn place_batch<O: Off>(batch: &mut [(usize, u32)], off: &mut [O], preds: &mut [u32]) {
    for e in batch.iter_mut() {
        let at = off[e.0].to_usize();
        off[e.0] = O::from_u64(at as u64 + 1);
        prefetch(preds, at);
        e.0 = at;
    }
    for &(at, p) in batch.iter() {
        preds[at] = p;
    }
}

/// How many edges ahead [`place_back_edges`] asks for the target's `pre` line.
const BACK_AHEAD: usize = 16;

/// Ask for the cache line of `s[i]` (nothing if `i` is out of bounds): a hint for a random
/// read a few iterations ahead.
#[inline(always)]
pub fn prefetch<T>(s: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if i < s.len() {
        // SAFETY: a prefetch is a hint that never faults; the address is inside `s`.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                s.as_ptr().add(i) as *const i8,
                std::arch::x86_64::_MM_HINT_T0,
            )
        }
    }
}

/// How many back predecessors ahead the semidominator loop prefetches (measured on the 2.18 GB
/// JDK dump: the loop's CPU 0.26–0.31 s without, 0.22–0.24 s with).
const EVAL_AHEAD: usize = 16;

/// Graphs with fewer nodes run the dominators' passes on one thread in the analysis.
pub const PARALLEL_MIN: usize = 1 << 16;

/// Marks the first predecessor of each list in [`MarkedPreds`].
const FIRST: u32 = 1 << 31;

/// Back predecessors, lists in increasing target order, each list's first entry marked.
struct MarkedPreds<A> {
    has: BitSet,
    preds: A,
}

/// One numbered preorder's entry of the semidominator loop's forest: [`UP`] its ancestor,
/// [`LABEL`] the smallest semidominator on the compressed path from it upwards. The NCA step
/// reuses the dead forest for its jump pointers ([`UP`]) and depths ([`LABEL`]). Both halves
/// of an entry are read together on every step, so they share a cache line: on javac's dump
/// the loop took 0.64–0.74 s of CPU with them side by side, 0.93–1.07 s as two arrays
/// (benches/scripts/hprof/RESULTS-real.md, session 30).
type Link = [u32; 2];
const UP: usize = 0;
const LABEL: usize = 1;

/// `buf` (dead) as room for `len` elements, their values undefined: grown in place if it is a
/// `Vec` (realloc keeps its touched pages; only the rest are new), else replaced by a new array
/// from `store` if it is too short (a spill file's array would move to the heap if grown).
fn room<A: Arr<u32>, S: Store<Arr<u32> = A>>(mut buf: A, len: usize, store: &S) -> A {
    if buf.capacity() < len {
        buf = match buf.into_vec() {
            Some(mut v) => {
                v.reserve_exact(len - v.len());
                A::from_vec(v).unwrap_or_else(|_| unreachable!("the Vec just taken"))
            }
            None => store.with_capacity::<u32>(len),
        };
    }
    // Only elements past the old length are written.
    buf.truncate(len);
    buf.resize(len, 0);
    buf
}

/// The forest's entries in a buffer of two `u32`s per entry.
fn as_links(buf: &mut [u32]) -> &mut [Link] {
    buf.as_chunks_mut::<2>().0
}

/// Lengauer–Tarjan's semidominator loop with simple link/eval and iterative path compression,
/// over the back predecessors only (`semi` holds the contribution of the others on entry).
/// The forest is `forest`, a [`Link`] per numbered node and the super-root, its contents
/// dead: entry `w` is written (with `w`'s DFS parent) when `w` is processed, before any read
/// of it (`eval` reads the entries of processed nodes only). Entry 0 is neither written nor
/// read here; the NCA step sets it before it reads it. The lists are freed at the end.
fn semidominators<A: Arr<u32>>(
    preds: MarkedPreds<A>,
    semi: &mut [u32],
    parent: &[u32],
    forest: &mut [Link],
) {
    let big_n = semi.len();
    let mut path: Vec<u32> = Vec::new();
    let lists = preds.preds;
    let mut end = lists.len();
    for w in (1..big_n).rev() {
        let mut sw = semi[w];
        if preds.has.get(w) {
            loop {
                end -= 1;
                // The lists are read back to front, one after the other: ask for the forest
                // entry of the predecessor a few places on.
                if let Some(&ahead) = end.checked_sub(EVAL_AHEAD).map(|i| &lists[i]) {
                    prefetch(forest, (ahead & !FIRST) as usize);
                }
                let raw = lists[end];
                let s = eval(raw & !FIRST, w as u32, forest, &mut path);
                if s < sw {
                    sw = s;
                }
                if raw & FIRST != 0 {
                    break;
                }
            }
        }
        semi[w] = sw;
        forest[w] = [parent[w], sw];
    }
}

/// EVAL with iterative path compression. A node is linked into the forest once processed,
/// i.e. exactly when its preorder exceeds the current `w`, so no "unlinked" marker is needed;
/// `v > w` always.
#[inline]
fn eval(v: u32, w: u32, forest: &mut [Link], path: &mut Vec<u32>) -> u32 {
    path.clear();
    let mut x = v;
    // Climb while the ancestor is itself linked; the last node's ancestor is a forest root.
    while forest[x as usize][UP] > w {
        path.push(x);
        x = forest[x as usize][UP];
    }
    while let Some(y) = path.pop() {
        let above = forest[forest[y as usize][UP] as usize];
        let e = &mut forest[y as usize];
        e[LABEL] = e[LABEL].min(above[LABEL]);
        e[UP] = above[UP];
    }
    forest[v as usize][LABEL]
}

/// Retained size of every node (0 for unreached nodes): one pass in reverse preorder, adding
/// each node's retained size to its immediate dominator. Needs [`DomTree::order`]. Holds only
/// the result (8 B/node). The analysis uses [`DomChildren::retained_sizes`] (no `order`); this
/// flat-array version is the tests' oracle for it.
pub fn retained_sizes(g: &HeapGraph, dom: &DomTree) -> Vec<u64> {
    assert_has_order(dom, "retained_sizes");
    let mut r = vec![0u64; g.node_count()];
    for &v in &dom.order {
        r[v as usize] = g.shallow[v as usize];
    }
    for &v in dom.order.iter().rev() {
        let d = dom.idom[v as usize];
        if d != SUPER && d != UNREACHED {
            r[d as usize] += r[v as usize];
        }
    }
    r
}

/// `order` is gone once [`Analysis`](crate::Analysis) has taken it: an empty `order` with a
/// reachable node is a caller's mistake, not an empty tree.
fn assert_has_order(dom: &DomTree, what: &str) {
    if dom.order.is_empty() {
        assert!(
            dom.idom.iter().all(|&d| d == UNREACHED),
            "{what} needs DomTree::order, which Analysis::run takes (use Analysis::preorder)"
        );
    }
}

/// Children lists of the dominator tree (CSR); the super-root's children are at index `n`.
/// 4 B per node of offsets and 4 B per reachable node of children (+4 B per node of cursors
/// while [`build_on`](Self::build_on) builds them on two threads). Each list is in
/// [`DomTree::order`]'s order (DFS preorder), which the reports' tie-breaks rely on.
pub struct DomChildren {
    pub offsets: crate::column::Column<u32>,
    pub children: crate::column::Column<u32>,
}

impl DomChildren {
    /// Build from [`DomTree::order`] and `idom`. Nothing besides the result is allocated: the
    /// offsets serve as the fill cursors and are shifted back into place afterwards.
    pub fn build(dom: &DomTree) -> DomChildren {
        assert_has_order(dom, "DomChildren::build");
        Self::build_in(&dom.idom, &dom.order, &Heap)
    }

    /// [`build`](Self::build) from `idom` and the DFS preorder, the two arrays from `store`.
    pub(crate) fn build_in<S: Store>(idom: &[u32], order: &[u32], store: &S) -> DomChildren {
        Self::build_one(idom, order, store, (None, None))
    }

    /// [`build_in`](Self::build_in), its lists in `lists` if given (see
    /// [`build_on`](Self::build_on)).
    fn build_one<S: Store>(
        idom: &[u32],
        order: &[u32],
        store: &S,
        (lists, zeros): Made<S>,
    ) -> DomChildren {
        let n = idom.len();
        let slot = |d: u32| if d == SUPER { n } else { d as usize };
        // Counts at `slot + 1`; after the prefix sum `offsets[s]` is the start of list `s`.
        // Counted in node order (`idom` read sequentially): `order` holds exactly the nodes
        // whose idom is not UNREACHED.
        let mut offsets = offsets_of(store, n, zeros);
        for &d in idom {
            if d != UNREACHED {
                offsets[slot(d) + 1] += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut children = lists_of(store, order.len(), lists);
        for &v in order {
            let s = slot(idom[v as usize]);
            children[offsets[s] as usize] = v;
            offsets[s] += 1;
        }
        // Now `offsets[s]` is the end of list `s`, i.e. the start of `s + 1`: shift by one.
        offsets.copy_within(0..n + 1, 1);
        offsets[0] = 0;
        DomChildren {
            offsets: offsets.into_column(),
            children: children.into_column(),
        }
    }

    /// [`build_in`](Self::build_in) on two threads where `threads` allows and `order` is long
    /// enough to pay for a thread: each half of `order` is counted per list by a thread of its
    /// own (the first half in a cursor array of 4 B/node, freed at the end, the second in the
    /// offsets), each list's entries from the second half go after those from the first, the
    /// cursors are made by two threads (halves of the lists), and each thread places its half.
    /// The same lists, entry for entry.
    ///
    /// `made` holds arrays made ahead (the analysis has them made on the second core while
    /// the dominators run: `Analysis::run_in`), each used if given and of the right length,
    /// else dropped and the array comes from `store`. The lists are written into the first,
    /// an array of at least one entry per node of `order`, cut to that length; the same
    /// lists either way: every entry is written. The offsets are counted in the second,
    /// `idom.len() + 2` zeros (as `store.filled` makes them: the caller's promise), used
    /// only if that long.
    ///
    /// The two-thread build counts in `spare` if it is a dead array with room for
    /// `idom.len() + 1` entries (the analysis passes the dominators' `semi`, whose pages are
    /// touched already: zeroing it costs a `memset`, not a fault per fresh page), else in a
    /// fresh one; the one-thread build does not use it.
    pub(crate) fn build_on<S: Store>(
        idom: &[u32],
        order: &[u32],
        store: &S,
        threads: usize,
        made: Made<S>,
        spare: Option<Vec<u32>>,
    ) -> DomChildren {
        if threads < 2 || order.len() < PARALLEL_CHILDREN_MIN {
            return Self::build_one(idom, order, store, made);
        }
        Self::halves(idom, order, store, made, spare)
    }

    /// [`build_on`](Self::build_on)'s two-thread build, for any length, its lists in `lists`
    /// if given. The first half of `order` is counted per list in a cursor array of its own,
    /// the second half in the result's offsets (one place on), so that once both halves are
    /// placed the offsets hold each list's end one place on, which is the result: nothing to
    /// copy or shift. The cursors are made by two threads too, one per half of the lists (the
    /// upper half's start counted with the lists).
    fn halves<S: Store>(
        idom: &[u32],
        order: &[u32],
        store: &S,
        (lists, zeros): Made<S>,
        spare: Option<Vec<u32>>,
    ) -> DomChildren {
        let n = idom.len();
        let slot = |d: u32| if d == SUPER { n } else { d as usize };
        let (first, second) = order.split_at(order.len() / 2);
        // The cursor pass splits the lists (slots 0..=n) here.
        let mid = n.div_ceil(2);
        // First half's counts at `slot` of `early`, second half's at `slot + 1` of `offsets`;
        // each also says how many of its entries go to lists below `mid`.
        let mut offsets = offsets_of(store, n, zeros);
        let mut early = match spare {
            Some(mut c) if c.capacity() > n => {
                zeros_on_two(&mut c, n + 1);
                c
            }
            _ => vec![0u32; n + 1],
        };
        let count = |half: &[u32], at: &mut [u32], shift: usize| {
            let mut below = 0u32;
            for (i, &v) in half.iter().enumerate() {
                // `order` is the DFS preorder: `idom[v]` and the counters are read at random.
                if let Some(&a) = half.get(i + CHILDREN_AHEAD) {
                    prefetch(idom, a as usize);
                }
                if let Some(&a) = half.get(i + CHILDREN_AHEAD / 2) {
                    prefetch(at, slot(idom[a as usize]) + shift);
                }
                let s = slot(idom[v as usize]);
                at[s + shift] += 1;
                below += u32::from(s < mid);
            }
            below
        };
        let (o, e): (&mut [u32], &mut [u32]) = (&mut offsets, &mut early);
        let (b1, b2) = rayon::join(|| count(first, e, 0), || count(second, o, 1));
        // Cursors: list `s` starts with the first half's entries (`early[s]`), then the
        // second half's (`offsets[s + 1]`); the lists from `mid` on start after the `b1 + b2`
        // entries of those below it.
        let cursors = |early: &mut [u32], second: &mut [u32], mut start: u32| {
            for (a, b) in early.iter_mut().zip(second.iter_mut()) {
                let (ca, cb) = (*a, *b);
                *a = start;
                *b = start + ca;
                start += ca + cb;
            }
        };
        {
            let (e_lo, e_hi) = early.split_at_mut(mid);
            let (o_lo, o_hi) = offsets[1..].split_at_mut(mid);
            rayon::join(|| cursors(e_lo, o_lo, 0), || cursors(e_hi, o_hi, b1 + b2));
        }
        let mut children = lists_of(store, order.len(), lists);
        {
            let out: &mut [u32] = &mut children;
            // SAFETY: same size and alignment; the slice is borrowed mutably for the view's
            // whole life. Each position is written once (the cursors come from counting the
            // same halves), by one thread.
            let out: &[AtomicU32] = unsafe { &*(out as *mut [u32] as *const [AtomicU32]) };
            let place = |half: &[u32], at: &mut [u32], shift: usize| {
                for (i, &v) in half.iter().enumerate() {
                    if let Some(&a) = half.get(i + CHILDREN_AHEAD) {
                        prefetch(idom, a as usize);
                    }
                    if let Some(&a) = half.get(i + CHILDREN_AHEAD / 2) {
                        let c = at[slot(idom[a as usize]) + shift] as usize;
                        prefetch(out, c);
                    }
                    let c = &mut at[slot(idom[v as usize]) + shift];
                    out[*c as usize].store(v, Relaxed);
                    *c += 1;
                }
            };
            let (o, e): (&mut [u32], &mut [u32]) = (&mut offsets, &mut early);
            rayon::join(|| place(first, e, 0), || place(second, o, 1));
        }
        drop(early);
        // Now `offsets[s + 1]` is the end of list `s`, and `offsets[0]` is 0.
        DomChildren {
            offsets: offsets.into_column(),
            children: children.into_column(),
        }
    }

    /// The reachable nodes in a preorder of the dominator tree (each node after its immediate
    /// dominator, children in list order), by an explicit stack: 4 B per reachable node for the
    /// result plus 8 B per ancestor that still has children to visit (at most the tree's
    /// depth; a chain needs one), one pass over the children lists. Not the DFS
    /// preorder [`DomTree::order`] had (a node's dominator subtree need not be contiguous in
    /// that one), but the same set and the same sibling order.
    pub fn preorder(&self) -> Vec<u32> {
        let n = self.offsets.len() - 2;
        let mut out = Vec::with_capacity(self.children.len());
        // (next position in `children`, end of that list), one per tree level being walked.
        let mut stack: Vec<(u32, u32)> = vec![(self.offsets[n], self.offsets[n + 1])];
        while let Some(top) = stack.last_mut() {
            if top.0 == top.1 {
                stack.pop();
                continue;
            }
            let v = self.children[top.0 as usize];
            top.0 += 1;
            if top.0 == top.1 {
                stack.pop(); // the last child: its level is done, so a chain keeps one entry
            }
            out.push(v);
            let (start, end) = (self.offsets[v as usize], self.offsets[v as usize + 1]);
            if start < end {
                stack.push((start, end));
            }
        }
        out
    }

    /// Retained size of every node (0 for unreached nodes) without [`DomTree::order`]: a
    /// post-order walk of the children lists by an explicit stack (8 B per tree level being
    /// walked), adding each node's total to its parent's when its subtree is done. The sums are
    /// exact integers, so they equal [`retained_sizes`]'s whatever the order. Holds only the
    /// result (8 B/node) and the stack, so the analysis can free `order` first.
    pub fn retained_sizes(&self, g: &HeapGraph) -> Vec<u64> {
        self.retained_sizes_in(g, &Heap)
    }

    /// [`retained_sizes`](Self::retained_sizes) into an array from `store`.
    pub(crate) fn retained_sizes_in<S: Store>(&self, g: &HeapGraph, store: &S) -> S::Arr<u64> {
        self.retained_and_min_on(g, store, 0, |_| NO_GROUP, &[], Parallel::threads(1))
            .0
    }

    /// [`retained_sizes`](Self::retained_sizes) and, in the same walk, Eclipse MAT's minimum
    /// retained size per group (what [`min_retained_by`](crate::min_retained_by) gives from
    /// the super-root): `group_of` maps a node to its group below `groups` or [`NO_GROUP`].
    /// A counter per group of its members on the walk's stack (4 B per group): a node whose
    /// group's counter drops back to 0 when its subtree is done had no ancestor of its group,
    /// and its retained size is complete then. The sums are exact integers, so they equal
    /// [`min_retained_by`](crate::min_retained_by)'s; one walk of the children lists instead
    /// of two.
    ///
    /// On up to `par.threads` threads, split by [`Split`] (the splitter of every parallel
    /// walk of dominator subtrees): the threads walk the runs of sibling subtrees below the
    /// cut-off top, each with counters of its own, seeded with the groups of the run's
    /// ancestors in the top, and each adds up its own minimum per group; the top is summed
    /// last, on this thread, bottom-up, from the runs' totals. All sums are exact integers: the
    /// same totals whoever walked what. A node's retained size is written only by the thread
    /// that walks its subtree. Beyond one thread's walk: 12 B per group and a stack of 8 B per
    /// tree level being walked per thread, 16 B per node of the top, 24 B per list of siblings
    /// below it and 12 B per run.
    ///
    /// `group_col` is the per-node array `group_of` reads, if any (else empty): the walk asks
    /// for its lines a few children ahead, as for the walk's own arrays.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn retained_and_min_on<S: Store>(
        &self,
        g: &HeapGraph,
        store: &S,
        groups: usize,
        group_of: impl Fn(u32) -> u32 + Sync,
        group_col: &[u32],
        par: Parallel,
    ) -> (S::Arr<u64>, Vec<u64>) {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        const _: () = assert!(std::mem::align_of::<AtomicU64>() == std::mem::align_of::<u64>());
        let n = self.offsets.len() - 2;
        let mut r = store.filled(n, 0u64);
        let out: &mut [u64] = &mut r;
        // SAFETY: same size and (asserted) alignment; the slice is borrowed mutably for the
        // view's whole life, so nothing else reads or writes it meanwhile. Relaxed loads and
        // stores are plain moves: each entry has one writer in a tree (the walk of its
        // subtree), and malformed lists can only give wrong sums, never a data race.
        let out: &[AtomicU64] = unsafe { &*(out as *mut [u64] as *const [AtomicU64]) };
        let walk = Walk {
            offsets: &self.offsets,
            children: &self.children,
            shallow: &g.shallow,
            out,
            group_col,
        };
        let split = Split::new(self, Start::SuperRoot, par);
        // A run's seed: its ancestors' groups on the counters (`add`), or off again.
        let seed = |on_stack: &mut [u32], at: u32, add: bool| {
            for v in split.path(at) {
                if let Some(c) = on_stack.get_mut(group_of(v) as usize) {
                    *c = if add { *c + 1 } else { *c - 1 };
                }
            }
        };
        let parts = split.walk(
            || Partial {
                min: vec![0u64; groups],
                on_stack: vec![0u32; groups],
                stack: Vec::new(),
                sums: Vec::new(),
            },
            |part, run| {
                seed(&mut part.on_stack, run.top, true);
                let sum = (run.from..run.to).fold(0u64, |sum, at| {
                    walk.ask_ahead(at as usize, run.to as usize);
                    sum + walk.subtree(walk.children[at as usize], part, &group_of)
                });
                seed(&mut part.on_stack, run.top, false);
                part.sums.push((run.top, sum));
            },
        );
        // The top, bottom-up, from the totals of the runs below it; a node of it with no
        // ancestor of its group adds its retained size to the group's minimum.
        let top = split.top();
        let mut below = vec![0u64; top.len()];
        let mut min = vec![0u64; groups];
        for part in parts {
            for (a, b) in min.iter_mut().zip(part.min) {
                *a += b;
            }
            for (at, sum) in part.sums {
                if let Some(b) = below.get_mut(at as usize) {
                    *b += sum;
                }
            }
        }
        for (i, t) in top.iter().enumerate().rev() {
            let rv = walk.shallow[t.node as usize] + below[i];
            walk.out[t.node as usize].store(rv, Relaxed);
            if let Some(b) = below.get_mut(t.parent as usize) {
                *b += rv;
            }
            let gr = group_of(t.node);
            if gr != NO_GROUP && split.path(t.parent).all(|a| group_of(a) != gr) {
                min[gr as usize] += rv;
            }
        }
        (r, min)
    }

    /// Children of `node`; pass `n` (the node count) for the super-root's.
    pub fn of(&self, node: usize) -> &[u32] {
        &self.children[self.offsets[node] as usize..self.offsets[node + 1] as usize]
    }
}

/// `v` made `len` zeros on two threads, each writing half of it (`v`'s capacity is at least
/// `len`): the two-thread children build's cursors, in the dominators' dead `semi`, whose
/// pages past the numbered nodes are fresh (a page fault and a zero fill each, ~0.05 s of
/// one core for the 44.8 M-object JDK dump when done by one thread).
fn zeros_on_two(v: &mut Vec<u32>, len: usize) {
    v.clear();
    let room = &mut v.spare_capacity_mut()[..len];
    let (a, b) = room.split_at_mut(len / 2);
    let zero = std::mem::MaybeUninit::new(0u32);
    rayon::join(|| a.fill(zero), || b.fill(zero));
    // SAFETY: the first `len` elements were just written (both halves), within the capacity.
    unsafe { v.set_len(len) };
}

/// The dominator children's offsets for `n` nodes: `n + 2` zeros, `zeros` if it is that long
/// (made ahead by the caller, all zeros), else from `store`.
fn offsets_of<S: Store>(store: &S, n: usize, zeros: Option<S::Arr<u32>>) -> S::Arr<u32> {
    match zeros {
        Some(z) if z.len() == n + 2 => {
            debug_assert!(z.iter().all(|&c| c == 0), "offsets made ahead hold zeros");
            z
        }
        _ => store.filled(n + 2, 0u32),
    }
}

/// Arrays made ahead for [`DomChildren::build_on`]: the lists (any contents, at least one
/// entry per reached node) and the offsets (`n + 2` zeros).
pub(crate) type Made<S> = (
    Option<<S as Store>::Arr<u32>>,
    Option<<S as Store>::Arr<u32>>,
);

fn lists_of<S: Store>(store: &S, len: usize, lists: Option<S::Arr<u32>>) -> S::Arr<u32> {
    match lists {
        Some(mut a) if a.len() >= len => {
            a.truncate(len);
            a
        }
        _ => store.filled(len, 0u32),
    }
}

/// How many entries of `order` ahead the two-thread children build asks for `idom`'s line
/// (at half that: the counter's, or the placed entry's).
const CHILDREN_AHEAD: usize = 16;

/// From how many reachable nodes [`DomChildren::build_on`] uses a second thread.
const PARALLEL_CHILDREN_MIN: usize = 1 << 16;

pub(crate) use crate::walks::Parallel;
use crate::walks::{Split, Start};

/// What one thread of [`DomChildren::retained_and_min_on`] keeps: its minimum retained size
/// per group, its counters of each group's members on its stack, and the stack.
struct Partial {
    min: Vec<u64>,
    on_stack: Vec<u32>,
    /// (node, next position in its children list)
    stack: Vec<(u32, u32)>,
    /// Per run walked: its parent's index in [`Split::top`] and its subtrees' total.
    sums: Vec<(u32, u64)>,
}

/// The arrays the retained-size walk reads, as slices, and the result it writes.
struct Walk<'a> {
    offsets: &'a [u32],
    children: &'a [u32],
    shallow: &'a [u64],
    out: &'a [std::sync::atomic::AtomicU64],
    /// What `group_of` reads per node (prefetched only; may be empty).
    group_col: &'a [u32],
}

/// How many children ahead in a list the retained-size walk asks for the child's lines
/// (offsets, shallow size, result, group); at half that it reads the child's offset, by then
/// in cache, and asks for the first line of the child's own children list; at a quarter, for
/// the lines of that list's first entry. In a dominator
/// tree most lists are long runs of small subtrees (a hash-ordered table's entries), whose
/// nodes lie far apart in memory.
const WALK_AHEAD: usize = 8;

impl Walk<'_> {
    /// Walk the dominator subtree of `top` (a child of the super-root) after its children:
    /// each node's retained size is its shallow size plus its children's, and a node whose
    /// group has no other member on the stack adds its retained size to the group's minimum.
    /// Returns the retained size of `top`.
    fn subtree(&self, top: u32, part: &mut Partial, group_of: &impl Fn(u32) -> u32) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let first = self.offsets[top as usize];
        let Partial {
            min,
            on_stack,
            stack,
            ..
        } = part;
        self.out[top as usize].store(self.shallow[top as usize], Relaxed);
        let gr = group_of(top);
        if gr != NO_GROUP {
            on_stack[gr as usize] += 1;
        }
        stack.push((top, first));
        while let Some(&mut (v, ref mut cur)) = stack.last_mut() {
            let end = self.offsets[v as usize + 1];
            if *cur < end {
                let at = *cur as usize;
                let c = self.children[at];
                *cur += 1;
                self.ask_ahead(at, end as usize);
                self.out[c as usize].store(self.shallow[c as usize], Relaxed);
                let gr = group_of(c);
                if gr != NO_GROUP {
                    on_stack[gr as usize] += 1;
                }
                stack.push((c, self.offsets[c as usize]));
                continue;
            }
            stack.pop();
            let rv = self.out[v as usize].load(Relaxed);
            let gr = group_of(v);
            if gr != NO_GROUP {
                let c = &mut on_stack[gr as usize];
                *c -= 1;
                if *c == 0 {
                    min[gr as usize] += rv;
                }
            }
            if let Some(&(parent, _)) = stack.last() {
                let p = &self.out[parent as usize];
                p.store(p.load(Relaxed) + rv, Relaxed);
            }
        }
        self.out[top as usize].load(Relaxed)
    }

    /// Prefetch for the children `WALK_AHEAD` and `WALK_AHEAD / 2` places after position `at`
    /// of a list that ends at `end` (see [`WALK_AHEAD`]).
    #[inline(always)]
    fn ask_ahead(&self, at: usize, end: usize) {
        if at + WALK_AHEAD < end {
            let a = self.children[at + WALK_AHEAD] as usize;
            prefetch(self.offsets, a);
            prefetch(self.shallow, a);
            prefetch(self.out, a);
            prefetch(self.group_col, a);
        }
        if at + WALK_AHEAD / 2 < end {
            let a = self.children[at + WALK_AHEAD / 2] as usize;
            prefetch(self.children, self.offsets[a] as usize);
        }
        if at + WALK_AHEAD / 4 < end {
            // Its first child, whose list line was asked for above: that child's lines.
            let a = self.children[at + WALK_AHEAD / 4] as usize;
            let first = self.offsets[a] as usize;
            if first < self.offsets[a + 1] as usize {
                let c = self.children[first] as usize;
                prefetch(self.offsets, c);
                prefetch(self.shallow, c);
                prefetch(self.out, c);
                prefetch(self.group_col, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GraphBuilder, Label, NodeIdx, NodeKind, Policy};

    /// The simple leaves `Marks::new` finds equal the definition, counted naively: not a root,
    /// at most one retaining in-edge, every retaining edge to a root.
    #[test]
    fn marks_find_exactly_the_simple_leaves() {
        let mut found = 0;
        for case in 0..400u64 {
            let mut rng = fastrand::Rng::with_seed(0x1eaf_0000 ^ case);
            let n = rng.usize(1..150);
            let policy = random_policy(&mut rng, 2);
            let mut b = GraphBuilder::new().without_labels();
            let t = b.intern_type("T");
            let nodes: Vec<NodeIdx> = (0..n)
                .map(|i| b.add_node(i as u64 + 1, t, NodeKind::Object, 8))
                .collect();
            let roots: Vec<usize> = (0..rng.usize(1..4)).map(|_| rng.usize(0..n)).collect();
            for &r in &roots {
                b.add_root_idx(nodes[r], "root", None);
            }
            b.finish_nodes();
            let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
            for (u, out) in edges.iter_mut().enumerate() {
                b.begin_node(nodes[u]);
                for _ in 0..rng.usize(0..3) {
                    let to = if rng.u8(0..3) == 0 {
                        roots[rng.usize(0..roots.len())]
                    } else {
                        rng.usize(0..n)
                    };
                    let weak = rng.u8(0..5) == 0;
                    assert!(b.edge_to_idx(nodes[to], weak, Label::None));
                    out.push((to, weak));
                }
            }
            let g = b.finish(policy);
            let root_set: Vec<u32> = g.root_nodes();
            let mut marks = Marks::with_roots(g.node_count(), &root_set);
            marks.find_simple_leaves(&g);
            let retains = |weak: bool| !weak || policy.weak_retains;
            for v in 0..n {
                let is_root = roots.contains(&v);
                let in_edges = edges
                    .iter()
                    .flatten()
                    .filter(|&&(to, weak)| to == v && retains(weak))
                    .count();
                let to_roots_only = edges[v]
                    .iter()
                    .all(|&(to, weak)| !retains(weak) || roots.contains(&to));
                let want = !is_root && in_edges <= 1 && to_roots_only;
                assert_eq!(marks.is_simple(v), want, "case {case}, node {v}: {edges:?}");
                assert_eq!(marks.is_super_succ(v), is_root, "case {case}, node {v}");
                found += usize::from(want);
            }
        }
        assert!(found > 1000, "{found}");
    }

    /// A node with one referrer whose edges all lead to simple leaves or roots (a String and
    /// its bytes) is a simple leaf too, its leaves entered from it; one whose leaf is shared,
    /// with two referrers, with more than `LEAF_SCAN` edges, that is a root, or whose edge
    /// leads to such a node is numbered. The idoms are each node's one referrer either way.
    #[test]
    fn holders_of_leaves_are_simple_leaves() {
        let mut b = GraphBuilder::new().without_labels();
        let t = b.intern_type("T");
        let mut next = 0u64;
        let mut node = |b: &mut GraphBuilder| {
            next += 1;
            b.add_node(next, t, NodeKind::Object, 8)
        };
        let class = node(&mut b);
        let root = node(&mut b);
        // Three strings, each with its own bytes: six leaves.
        let strings: Vec<(NodeIdx, NodeIdx)> =
            (0..3).map(|_| (node(&mut b), node(&mut b))).collect();
        // Two strings sharing bytes; a string held twice; a holder of LEAF_SCAN + 1 leaves.
        let (shared_a, shared_b, shared) = (node(&mut b), node(&mut b), node(&mut b));
        let (twice, twice_bytes) = (node(&mut b), node(&mut b));
        let wide = node(&mut b);
        let many: Vec<NodeIdx> = (0..=LEAF_SCAN).map(|_| node(&mut b)).collect();
        // A holder whose edge leads to a string (a holder, not a leaf at the start).
        let (outer, inner, inner_bytes) = (node(&mut b), node(&mut b), node(&mut b));
        b.add_root_idx(class, "class", None);
        b.add_root_idx(root, "local", None);
        b.finish_nodes();
        let mut edges: Vec<(NodeIdx, Vec<NodeIdx>)> = vec![(class, vec![])];
        let mut held = vec![shared_a, shared_b, twice, twice, wide, outer];
        for &(s, bytes) in &strings {
            held.push(s);
            edges.push((s, vec![class, bytes]));
            edges.push((bytes, vec![class]));
        }
        edges.push((root, held));
        edges.push((shared_a, vec![class, shared]));
        edges.push((shared_b, vec![shared]));
        edges.push((shared, vec![class]));
        edges.push((twice, vec![twice_bytes]));
        edges.push((twice_bytes, vec![class]));
        edges.push((wide, many.clone()));
        edges.push((outer, vec![inner]));
        edges.push((inner, vec![inner_bytes]));
        edges.sort_by_key(|e| e.0);
        for (from, to) in edges {
            b.begin_node(from);
            for t in to {
                assert!(b.edge_to_idx(t, false, Label::None));
            }
        }
        let g = b.finish(Policy::MAT);
        let d = dominators_climbing(&g, &Heap, &Heap, false, TUNED, None, None, None);
        // Leaves: the strings (3) and their bytes (3), `shared`'s holders' other leaf (none),
        // `twice_bytes`, the `many` (9), `inner` and its bytes; not `shared` (two in-edges).
        let want = 3 + 3 + 1 + many.len() as u64 + 2;
        assert_eq!(d.simple_leaves, want);
        let idom = |v: NodeIdx| d.idom[v.0 as usize];
        for &(s, bytes) in &strings {
            assert_eq!(idom(s), root.0);
            assert_eq!(idom(bytes), s.0);
        }
        assert_eq!(idom(shared), root.0);
        assert_eq!(idom(twice), root.0);
        assert_eq!(idom(twice_bytes), twice.0);
        assert!(many.iter().all(|&m| idom(m) == wide.0));
        assert_eq!(idom(inner), outer.0);
        assert_eq!(idom(inner_bytes), inner.0);
        assert_eq!(idom(root), SUPER);
    }

    /// The batched placing puts every back edge `(w, p)` in list `w`, in the node order of the
    /// sources, as placing them one by one does: on random graphs with random numberings
    /// (placing needs no DFS preorder, only `w < p`), unnumbered nodes, roots and weak edges,
    /// many batches long.
    type PlacingCase = (HeapGraph, Marks, Vec<u32>, Vec<Vec<u32>>);

    /// A random graph, its roots' marks, a random numbering `pre` (1..=m of some nodes, the
    /// others unnumbered) and, as the oracle, the back-predecessor lists made one by one in
    /// node order of their sources.
    fn placing_case(rng: &mut fastrand::Rng) -> PlacingCase {
        let n = rng.usize(1..4000);
        let wide = [0, 50, n][rng.usize(0..3)];
        let g = random_graph(rng, n, 1, wide);
        let marks = Marks::with_roots(n, &g.root_nodes());
        let mut order: Vec<u32> = (0..n as u32).collect();
        rng.shuffle(&mut order);
        let m = rng.usize(0..=n);
        let mut pre = vec![NONE; n];
        for (i, &v) in order[..m].iter().enumerate() {
            pre[v as usize] = i as u32 + 1;
        }
        let mut want: Vec<Vec<u32>> = vec![Vec::new(); m + 1];
        for v in 0..n {
            if pre[v] == NONE {
                continue;
            }
            for t in retaining(&g, v) {
                let w = pre[t as usize];
                if !marks.is_super_succ(t as usize) && w < pre[v] {
                    want[w as usize].push(pre[v]);
                }
            }
        }
        (g, marks, pre, want)
    }

    #[test]
    fn batched_placing_equals_placing_one_by_one() {
        let mut batches = 0;
        for case in 0..60u64 {
            let mut rng = fastrand::Rng::with_seed(0xba7c_0000 ^ case);
            let (g, marks, pre, want) = placing_case(&mut rng);
            let mut off: Vec<u32> = want.iter().map(|l| l.len() as u32).collect();
            let total: usize = want.iter().map(Vec::len).sum();
            batches += total / BATCH;
            let preds = BackPreds::fill(&g, &pre, &marks, &mut off[..], &Heap);
            let mut start = 0usize;
            for (w, list) in want.iter().enumerate() {
                let end = preds.off[w] as usize;
                assert_eq!(&preds.preds[start..end], &list[..], "case {case}, list {w}");
                start = end;
            }
            assert_eq!(start, total, "case {case}");
        }
        assert!(batches > 50, "{batches}");
    }

    /// The lists placed on two threads (the second from the ends back) are the naive lists
    /// in node order of their sources, as one thread places them, with the same marks.
    #[test]
    fn two_thread_placing_equals_naive_lists() {
        let mut runs = 0;
        for case in 0..60u64 {
            let mut rng = fastrand::Rng::with_seed(0x2b4c_0000 ^ case);
            let (g, marks, pre, want) = placing_case(&mut rng);
            let n = pre.len();
            // Runs of a few sources, so the two threads meet somewhere inside the range.
            let run = rng.u64(1..64);
            runs += n as u64 / run;
            let counts: Vec<u32> = want.iter().map(|l| l.len() as u32).collect();
            let got = marked_on_two(&g, &pre, &marks, counts.clone(), &Heap, &Heap, run);
            let one = BackPreds::fill(&g, &pre, &marks, counts, &Heap).into_marked();
            assert_eq!(got.preds, one.preds, "case {case}");
            let flat: Vec<u32> = want.iter().flatten().copied().collect();
            let unmarked: Vec<u32> = got.preds.iter().map(|&p| p & !FIRST).collect();
            assert_eq!(unmarked, flat, "case {case}");
            for (w, list) in want.iter().enumerate() {
                assert_eq!(got.has.get(w), !list.is_empty(), "case {case}, list {w}");
                assert_eq!(got.has.get(w), one.has.get(w), "case {case}, list {w}");
            }
        }
        assert!(runs > 1000, "{runs}");
    }

    /// The sample skips the pass where most nodes point at a non-root (a V8-like heap where
    /// every object has a map) and runs it where most point only at roots (a Java-like heap
    /// of arrays and boxes pointing at their class); skipping leaves no simple leaf.
    #[test]
    fn leaf_pass_runs_only_where_leaves_are_common() {
        for (share_with_map, want_rare) in [(0.9, true), (0.5, false), (0.1, false)] {
            let n = 20_000;
            let mut rng = fastrand::Rng::with_seed(7);
            let mut b = GraphBuilder::new().without_labels();
            let t = b.intern_type("T");
            let nodes: Vec<NodeIdx> = (0..n)
                .map(|i| b.add_node(i as u64 + 1, t, NodeKind::Object, 8))
                .collect();
            // Node 0 is the root ("class"); node 1 the "map" every V8-like object points at.
            b.add_root_idx(nodes[0], "root", None);
            b.finish_nodes();
            for v in 1..n {
                b.begin_node(nodes[v]);
                assert!(b.edge_to_idx(nodes[0], false, Label::None));
                if rng.f64() < share_with_map {
                    assert!(b.edge_to_idx(nodes[1], false, Label::None));
                }
            }
            let g = b.finish(Policy::MAT);
            let marks = Marks::new(&g, &g.root_nodes());
            assert_eq!(
                marks.leaves_are_rare(&g),
                want_rare,
                "share {share_with_map}"
            );
            let simple = (0..n).filter(|&v| marks.is_simple(v)).count();
            if want_rare {
                assert_eq!(simple, 0, "share {share_with_map}");
            } else {
                // Nothing points at a node but node 1, so every node without a map edge is a
                // simple leaf; the gated marks are the full pass's.
                let mut full = Marks::with_roots(n, &g.root_nodes());
                full.find_simple_leaves(&g);
                assert_eq!(simple, (0..n).filter(|&v| full.is_simple(v)).count());
                assert!(simple > n / 4, "share {share_with_map}: {simple}");
            }
        }
    }

    /// The retained sizes and per-group minimums of the split, parallel walk equal the
    /// order-based retained sizes and `min_retained_by`'s walk, on random graphs with deep
    /// chains, wide nodes, several roots, weak edges and orphans, for any thread count and
    /// any cut of the top (none, a few levels, a few nodes, all of a small tree).
    #[test]
    fn parallel_retained_and_min_equal_the_one_thread_walk() {
        let mut runs_seen = 0;
        for case in 0..300u64 {
            let mut rng = fastrand::Rng::with_seed(0x7e7a_0000 ^ case);
            let n = rng.usize(1..3000);
            let types = rng.usize(1..20);
            let g = random_graph(&mut rng, n, types, 200);
            let dom = dominators(&g);
            let children = DomChildren::build(&dom);
            let want = retained_sizes(&g, &dom);
            let group_of = |v: u32| {
                if v % 7 == 3 {
                    NO_GROUP
                } else {
                    g.type_of[v as usize]
                }
            };
            let want_min = crate::walks::min_retained_by(
                &children,
                &want,
                crate::walks::Start::SuperRoot,
                types,
                group_of,
            );
            let threads = rng.usize(1..4);
            let one = Parallel::threads(1);
            let (levels, top_max) = match rng.u8(0..4) {
                0 => (0, one.top_max),
                1 => (Parallel::threads(2).levels, one.top_max),
                2 => (rng.usize(1..12), rng.usize(1..50)),
                _ => (64, n),
            };
            let par = Parallel {
                threads,
                levels,
                top_max,
                run_max: [1, 3, 64][rng.usize(0..3)],
            };
            let col: &[u32] = if case % 2 == 0 { &g.type_of } else { &[] };
            let (r, min) = children.retained_and_min_on(&g, &Heap, types, group_of, col, par);
            assert_eq!(r, want, "case {case}, {par:?}");
            assert_eq!(min, want_min, "case {case}, {par:?}");
            runs_seen += Split::new(&children, Start::SuperRoot, par).run_count();
        }
        assert!(runs_seen > 1000, "{runs_seen}");
    }

    /// The simple leaves counted on two threads (`find_simple_leaves_on_two`, the second's
    /// counts in junk scratch space) are the one-thread pass's marks, word for word: on random
    /// graphs with chains, wide nodes, several roots and both weak-edge policies, with runs of
    /// 1 to 40 sources (many runs per thread), in a two-thread pool and on one thread, and with
    /// scratch space too short (then the one-thread pass).
    #[test]
    fn marks_on_two_threads_equal_one_thread() {
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        for case in 0..300u64 {
            let mut rng = fastrand::Rng::with_seed(0x3a2c_0000 ^ case);
            let (g, roots, want) = marks_case(&mut rng);
            let n = g.node_count();
            let short = rng.u8(0..6) == 0;
            let len = Marks::scratch_u32s(n) - if short { 7 } else { 0 };
            let mut scratch: Vec<u32> = (0..len + rng.usize(0..5)).map(|_| rng.u32(..)).collect();
            let run = rng.usize(1..40);
            let pool = if rng.bool() { &two } else { &one };
            let mut got = Marks::with_roots(n, &roots);
            pool.install(|| got.find_simple_leaves_on_two(&g, &mut scratch, run));
            assert_eq!(
                got.words, want.words,
                "case {case}, n {n}, run {run}, short {short}"
            );
        }
    }

    /// A random graph of 1 to 2,999 nodes (chains, maybe a wide node), its roots and its
    /// one-thread marks: the cases of the two-thread leaves pass's tests.
    fn marks_case(rng: &mut fastrand::Rng) -> (HeapGraph, Vec<u32>, Marks) {
        let n = rng.usize(1..3000);
        let wide = [0, 50, n][rng.usize(0..3)];
        let g = random_graph(rng, n, 3, wide);
        let roots = g.root_nodes();
        let mut want = Marks::with_roots(n, &roots);
        want.find_simple_leaves(&g);
        (g, roots, want)
    }

    /// The merge of [`Marks::find_simple_leaves_on_two`] on a fixed split, on one thread (a
    /// two-thread pool may leave the second thread no run at all): runs of `run` sources
    /// counted alternately in the marks and in the second thread's words, then absorbed,
    /// give the one-thread marks; the second's words did count (dropping the "met by both"
    /// term of the merge fails this).
    #[test]
    fn marks_counted_apart_and_absorbed_equal_one_pass() {
        let mut apart = 0;
        for case in 0..300u64 {
            let mut rng = fastrand::Rng::with_seed(0x3a2d_0000 ^ case);
            let (g, roots, want) = marks_case(&mut rng);
            let n = g.node_count();
            let run = rng.usize(1..200);
            let mut got = Marks::with_roots(n, &roots);
            let mut theirs = vec![[u64::MAX; 4]; got.words.len()];
            got.start_theirs(&mut theirs);
            for (k, from) in (0..n).step_by(run).enumerate() {
                let words = if k % 2 == 0 {
                    &mut got.words
                } else {
                    &mut theirs
                };
                count_sources(words, &g, from..(from + run).min(n));
            }
            apart += usize::from(theirs.iter().any(|t| t[SEEN] != 0));
            got.absorb(&theirs);
            assert_eq!(got.words, want.words, "case {case}, n {n}, run {run}");
        }
        assert!(apart > 200, "the second words counted in {apart} cases");
    }

    /// The two-thread children build gives the one-thread build's lists, entry for entry: on
    /// random graphs with chains, wide nodes (long lists on either side of the cursors'
    /// split), several roots and every orphan policy, on the heap and in spill files.
    #[test]
    fn leaves_found_beforehand_give_the_same_tree() {
        // The analysis finds the simple leaves before the dominators, beside the CSR's write
        // to its spill file (`Leaves`), with or without the DFS's `pre` made ahead there (of
        // the graph's length, or of another, then not used), and with the preorder's array
        // made ahead: the same tree, preorder and orphans as the pass that finds them itself,
        // on one thread or two.
        for case in 0..200u64 {
            let mut rng = fastrand::Rng::with_seed(0x1ea7_0000 ^ case);
            let n = rng.usize(1..3000);
            let wide = [0, 50, n][rng.usize(0..3)];
            let g = random_graph(&mut rng, n, 3, wide);
            let two = rng.bool();
            let want = dominators_in(&g, &Heap, &Heap, two, None);
            let leaves = match rng.u8(0..3) {
                0 => Leaves::find(&g),
                1 => Leaves::find(&g).with_pre(Leaves::fresh_pre(n)),
                _ => Leaves::find(&g).with_pre(Leaves::fresh_pre(n + 1 - 2 * rng.usize(0..2))),
            };
            // And the DFS preorder's array made ahead, of junk (its contents do not matter),
            // of the graph's length or of another (then not used).
            let order = match rng.u8(0..3) {
                0 => None,
                1 => Some((0..n as u32).map(|_| rng.u32(..)).collect::<Vec<u32>>()),
                _ => Some(vec![7u32; n + 1 - 2 * rng.usize(0..2)]),
            };
            let got = dominators_with(&g, &Heap, &Heap, two, Some(leaves), order, None);
            assert_eq!(want.idom, got.idom, "case {case}");
            assert_eq!(want.order, got.order, "case {case}");
            assert_eq!(want.orphans_attached, got.orphans_attached, "case {case}");
            assert_eq!(want.nca_steps, got.nca_steps, "case {case}");
        }
    }

    #[test]
    fn lists_and_zeros_made_ahead_give_the_same_children_and_retained_sizes() {
        // The analysis hands the children build arrays made on another thread
        // (`Analysis::run_in`): the lists of at least one entry per node, whatever they hold,
        // and the offsets' `n + 2` zeros. Same
        // results as arrays made by the passes themselves; an array of the wrong length is
        // not used (offsets of another length hold junk here: were they used, the lists would
        // differ).
        for case in 0..200u64 {
            let mut rng = fastrand::Rng::with_seed(0x11a7_0000 ^ case);
            let most = [2000, 100_000][usize::from(case % 8 == 0)];
            let n = rng.usize(1..most);
            let types = rng.usize(1..10);
            let wide = [0, 50, n][rng.usize(0..3)];
            let g = random_graph(&mut rng, n, types, wide);
            let dom = dominators(&g);
            let want = DomChildren::build_in(&dom.idom, &dom.order, &Heap);
            let reached = dom.order.len();
            let extra = rng.usize(0..3);
            // Junk in the lists made ahead: every entry is written by the build.
            let lists: Vec<u32> = (0..reached + extra).map(|_| rng.u32(..)).collect();
            let short = reached > 0 && rng.bool();
            let lists = if short {
                lists[..reached - 1].to_vec()
            } else {
                lists
            };
            let threads = rng.usize(1..3);
            let spare = junk_spare(&mut rng, n);
            let offsets = match rng.usize(0..4) {
                0 => None,
                1 => Some(vec![0u32; n + 2]),
                k => {
                    let len = if k == 2 { n + 1 } else { n + 3 };
                    Some((0..len).map(|_| rng.u32(..)).collect())
                }
            };
            let made = (Some(lists), offsets);
            let got = DomChildren::build_on(&dom.idom, &dom.order, &Heap, threads, made, spare);
            assert_eq!(want.offsets, got.offsets, "case {case}");
            assert_eq!(want.children, got.children, "case {case}");
            let group_of = |v: u32| g.type_of[v as usize];
            let par = Parallel::threads(threads);
            let (r0, m0) = want.retained_and_min_on(&g, &Heap, types, group_of, &[], par);
            let (r1, m1) = got.retained_and_min_on(&g, &Heap, types, group_of, &[], par);
            assert_eq!(r0, r1, "case {case}");
            assert_eq!(m0, m1, "case {case}");
            assert_eq!(r0, retained_sizes(&g, &dom), "case {case}");
        }
    }

    /// What the analysis may hand the children build to count in: nothing, or a dead array
    /// of junk with room for the `n + 1` cursors or too little (then not used).
    fn junk_spare(rng: &mut fastrand::Rng, n: usize) -> Option<Vec<u32>> {
        match rng.usize(0..3) {
            0 => None,
            k => {
                let room = if k == 1 { n + 1 + rng.usize(0..3) } else { n };
                let mut c = Vec::with_capacity(room);
                c.extend((0..rng.usize(0..=room)).map(|_| rng.u32(..)));
                Some(c)
            }
        }
    }

    /// [`Busy`]: a wait returns at once when it is not held; when it is, the waiter is seen
    /// waiting (the count of waits that found it held) and still running until the guard is
    /// dropped, and returns then; a holder that unwinds lets go too. No sleep: the test spins
    /// until the waiter is counted or has returned (which fails it).
    #[test]
    fn busy_lets_waiters_go_once_released() {
        use std::sync::atomic::Ordering::SeqCst;
        let busy = Busy::default();
        busy.wait();
        assert_eq!(busy.waiting.load(SeqCst), 0);
        for _ in 0..20 {
            std::thread::scope(|sc| {
                let guard = busy.hold();
                let waiter = sc.spawn(|| busy.wait());
                while busy.waiting.load(SeqCst) == 0 && !waiter.is_finished() {
                    std::thread::yield_now();
                }
                assert!(!waiter.is_finished(), "returned while held");
                drop(guard);
                waiter.join().unwrap();
                assert_eq!(busy.waiting.load(SeqCst), 0);
            });
        }
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = busy.hold();
            panic!("holder unwinds");
        }));
        assert!(unwound.is_err());
        busy.wait();
    }

    /// [`zeros_on_two`] gives what `clear` and `resize(len, 0)` give, whatever the vector
    /// held (junk, shorter or longer than `len`), for lengths around the halves' split.
    #[test]
    fn zeros_on_two_equal_a_resize() {
        let mut rng = fastrand::Rng::with_seed(0x2e05);
        for len in (0..40).chain([1023, 1024, 1025, 100_001]) {
            for held in [0, len / 2, len, len + 3] {
                let mut v: Vec<u32> = Vec::with_capacity(len + rng.usize(0..4));
                v.extend((0..held.min(v.capacity())).map(|_| rng.u32(..)));
                let mut want = v.clone();
                want.clear();
                want.resize(len, 0);
                zeros_on_two(&mut v, len);
                assert_eq!(v, want, "{len} {held}");
            }
        }
    }

    /// `room` keeps a long enough buffer, grows a short `Vec` in place and replaces a short
    /// spill file's array with a new file (never the heap); every length is the one asked.
    #[test]
    fn room_grows_a_vec_and_replaces_a_short_file() {
        for (have, want) in [(0, 5), (3, 10), (10, 10), (100, 7), (70_000, 200_000)] {
            let v: Vec<u32> = (0..have as u32).collect();
            let got = room(v, want, &Heap);
            assert_eq!(got.len(), want, "{have} {want}");
            assert!(got.capacity() >= want.max(have), "{have} {want}");
            // The elements kept are the buffer's own (a grown `Vec` is the same buffer).
            let kept = have.min(want);
            assert!(got[..kept].iter().enumerate().all(|(i, &x)| x == i as u32));
        }
        let dir = std::env::temp_dir();
        if crate::column::on_memory_fs(&dir) {
            return;
        }
        let files = crate::spill::Files::new(&dir);
        for (have, want) in [(0, 5), (3, 10), (10, 10), (100, 7), (70_000, 200_000)] {
            let buf = files.filled(have, 7u32);
            let got = room(buf, want, &files);
            assert_eq!(got.len(), want, "{have} {want}");
            assert!(got.is_file_backed(), "{:?}", files.take_warning());
            assert_eq!(got.heap_bytes(), 0, "{have} {want}");
        }
    }

    /// The u64 cursors of the back-predecessor lists, which only inputs of 2^32 − 1 edges or
    /// more take, give the u32 cursors' tree, preorder, orphans and NCA work: on random graphs
    /// with chains, wide nodes and several roots, after a DFS on one thread or two (the lists
    /// are placed on one either way), on the heap and in spill files.
    #[test]
    fn wide_list_cursors_give_the_same_tree() {
        let dir = std::env::temp_dir();
        let files = (!crate::column::on_memory_fs(&dir)).then(|| crate::spill::Files::new(&dir));
        let wide_lists = Tuning {
            wide_lists_from: 0,
            ..TUNED
        };
        let mut spilled = 0;
        for case in 0..200u64 {
            let mut rng = fastrand::Rng::with_seed(0x3264_0000 ^ case);
            let n = rng.usize(1..3000);
            let wide = [0, 50, n][rng.usize(0..3)];
            let g = random_graph(&mut rng, n, 3, wide);
            let two = rng.bool();
            let want = dominators_in(&g, &Heap, &Heap, two, None);
            let got = dominators_climbing(&g, &Heap, &Heap, two, wide_lists, None, None, None);
            assert_eq!(want.idom, got.idom, "case {case}");
            assert_eq!(want.order, got.order, "case {case}");
            assert_eq!(want.orphans_attached, got.orphans_attached, "case {case}");
            assert_eq!(want.nca_steps, got.nca_steps, "case {case}");
            if let Some(files) = files.as_ref().filter(|_| case % 4 == 0) {
                let got = dominators_climbing(&g, files, &Heap, two, wide_lists, None, None, None);
                assert_eq!(&want.idom[..], &got.idom[..], "case {case}");
                assert_eq!(want.order, got.order, "case {case}");
                spilled += 1;
            }
        }
        assert!(files.is_none() || spilled == 50, "{spilled}");
    }

    #[test]
    fn children_on_two_threads_equal_one_thread() {
        let dir = std::env::temp_dir();
        let files = (!crate::column::on_memory_fs(&dir)).then(|| crate::spill::Files::new(&dir));
        for case in 0..300u64 {
            let mut rng = fastrand::Rng::with_seed(0xc41d_0000 ^ case);
            let most = [2000, 20_000][rng.usize(0..2)];
            let n = rng.usize(1..most);
            let wide = [0, 50, n][rng.usize(0..3)];
            let g = random_graph(&mut rng, n, 1, wide);
            let dom = dominators(&g);
            let one = DomChildren::build_in(&dom.idom, &dom.order, &Heap);
            // The cursors counted in a dead array of junk (long enough or not), as the
            // analysis hands it the dominators' `semi`, or in a fresh one.
            let spare = junk_spare(&mut rng, n);
            let two = DomChildren::halves(&dom.idom, &dom.order, &Heap, (None, None), spare);
            assert_eq!(one.offsets, two.offsets, "case {case}");
            assert_eq!(one.children, two.children, "case {case}");
            // Every list is the one-thread build's, in `order`'s order, and the lists cover
            // every reachable node once.
            assert_eq!(two.offsets[0], 0);
            assert_eq!(two.offsets[n + 1] as usize, dom.order.len(), "case {case}");
            if let (Some(files), 0) = (&files, case % 10) {
                let spilled = DomChildren::halves(&dom.idom, &dom.order, files, (None, None), None);
                assert_eq!(one.offsets, spilled.offsets, "case {case}");
                assert_eq!(one.children, spilled.children, "case {case}");
            }
        }
    }

    /// MAT's policy or one that attaches orphans (`kinds` 2: all of them; 3: also only the
    /// weakly held ones).
    fn random_policy(rng: &mut fastrand::Rng, kinds: u8) -> Policy {
        match rng.u8(0..kinds) {
            0 => Policy::MAT,
            1 => Policy {
                weak_retains: false,
                orphans: Orphans::AttachAll,
            },
            _ => Policy {
                weak_retains: false,
                orphans: Orphans::AttachWeaklyHeld,
            },
        }
    }

    /// `n` nodes of `types` types and random sizes, a few roots, a chain through the nodes
    /// from a random one on, one node with up to `wide` edges, and up to two random edges per
    /// node (one in six weak).
    fn random_graph(rng: &mut fastrand::Rng, n: usize, types: usize, wide: usize) -> HeapGraph {
        let policy = random_policy(rng, 3);
        let mut b = GraphBuilder::new().without_labels();
        let ts: Vec<_> = (0..types)
            .map(|i| b.intern_type(&format!("T{i}")))
            .collect();
        let nodes: Vec<NodeIdx> = (0..n)
            .map(|i| {
                let t = ts[rng.usize(0..types)];
                b.add_node(i as u64 + 1, t, NodeKind::Object, rng.u64(0..100))
            })
            .collect();
        for _ in 0..rng.usize(1..6) {
            b.add_root_idx(nodes[rng.usize(0..n)], "root", None);
        }
        b.finish_nodes();
        let chain = rng.usize(0..n);
        let wide_node = rng.usize(0..n);
        for u in 0..n {
            b.begin_node(nodes[u]);
            if u >= chain && u + 1 < n {
                assert!(b.edge_to_idx(nodes[u + 1], false, Label::None));
            }
            if u == wide_node {
                for _ in 0..rng.usize(0..=wide) {
                    assert!(b.edge_to_idx(nodes[rng.usize(0..n)], false, Label::None));
                }
            }
            for _ in 0..rng.usize(0..3) {
                let weak = rng.u8(0..6) == 0;
                assert!(b.edge_to_idx(nodes[rng.usize(0..n)], weak, Label::None));
            }
        }
        b.finish(policy)
    }
}
