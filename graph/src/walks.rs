//! The dominator-tree and reference walks every report and command uses, each written once:
//!
//! - [`DomWalk`]: a depth-first walk of a dominator subtree as enter/leave events, with
//!   [`DomWalk::skip_subtree`] to leave a subtree out; [`walk_below`], its entries alone with
//!   the caller's stack (for many small subtrees: nothing allocated per walk);
//! - [`top_members`] and [`min_retained_by`]: per group of nodes, the members no other member
//!   of the group dominates, and Eclipse MAT's *minimum retained size* of the group (the sum of
//!   those members' retained sizes); [`top_members_ahead`] lets the caller prefetch what it
//!   reads per node; [`OnStack`], their bookkeeping, for a caller that answers more in the
//!   same walk;
//! - [`BfsParents`]: the BFS parents of many nodes (the root paths keep the edge into each
//!   node), most found from the node's immediate dominator without a search;
//! - [`dominator_chain`]: the immediate dominators of a node up to (not including) the
//!   super-root, nearest first;
//! - [`referrers`]: the nodes with an edge to a node, each once, with the edge's label;
//! - [`exact_retained`]: the exact retained size of a node set (delete it, reach again);
//! - [`min_retained_of`]: MAT's minimum retained size of one node set;
//! - [`path_between`]: a shortest path of references between two nodes;
//! - [`Split`]: a dominator subtree cut into a small top and disjoint runs of sibling subtrees
//!   that threads claim one by one ([`Split::walk`]), each caller bringing its own work per run
//!   and its own merge: the retained sizes (`DomChildren::retained_and_min_on`) and the reports'
//!   per-type tally below an accumulation point both split their walks this way.
//!
//! All iterative (an explicit stack of one entry per tree level being walked), and nothing is
//! allocated per node beyond flat arrays of one entry per group.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use crate::bitset::BitSet;
use crate::dominators::{DomChildren, DomTree, SUPER, UNREACHED};
use crate::graph::{HeapGraph, Orphans, WEAK_BIT};
use crate::paths::RootPaths;
use crate::types::{Label, NodeIdx};

/// Where a dominator walk starts: the super-root (every reachable node) or one node (its
/// dominator subtree, the node itself not visited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    SuperRoot,
    Node(NodeIdx),
}

impl Start {
    fn slot(self, children: &DomChildren) -> u32 {
        match self {
            Start::SuperRoot => (children.offsets.len() - 2) as u32,
            Start::Node(n) => n.0,
        }
    }
}

/// One event of a [`DomWalk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A node is entered; its parent's `Enter` came before (unless the parent is the start).
    Enter(u32),
    /// All of a node's subtree has been walked (or skipped).
    Leave(u32),
}

/// A depth-first walk of a dominator subtree: `Enter(v)` before and `Leave(v)` after `v`'s
/// subtree, children in list order, the start node itself not reported. 8 B of stack per tree
/// level being walked.
pub struct DomWalk<'a> {
    /// `DomChildren::offsets` and `children`, as slices: a step reads them without going
    /// through the columns' storage each time.
    offsets: &'a [u32],
    children: &'a [u32],
    /// (node, next position in `children`)
    stack: Vec<(u32, u32)>,
    /// The node last entered, whose subtree `skip` would leave out.
    entered: bool,
}

impl<'a> DomWalk<'a> {
    pub fn new(children: &'a DomChildren, from: Start) -> Self {
        let s = from.slot(children);
        let offsets: &[u32] = &children.offsets;
        DomWalk {
            offsets,
            children: &children.children,
            stack: vec![(s, offsets[s as usize])],
            entered: false,
        }
    }

    /// Do not walk below the node just entered (its `Leave` comes next).
    pub fn skip_subtree(&mut self) {
        if self.entered {
            if let Some(top) = self.stack.last_mut() {
                top.1 = self.offsets[top.0 as usize + 1];
            }
        }
    }
}

impl Iterator for DomWalk<'_> {
    type Item = Step;
    fn next(&mut self) -> Option<Step> {
        self.entered = false;
        let depth = self.stack.len();
        let top = self.stack.last_mut()?;
        if top.1 < self.offsets[top.0 as usize + 1] {
            let c = self.children[top.1 as usize];
            top.1 += 1;
            self.stack.push((c, self.offsets[c as usize]));
            self.entered = true;
            return Some(Step::Enter(c));
        }
        let (v, _) = self.stack.pop()?;
        // The start is not reported.
        (depth > 1).then_some(Step::Leave(v))
    }
}

/// No group: a node `group_of` maps here belongs to none.
pub const NO_GROUP: u32 = u32::MAX;

/// Per group, its *top members* below `from`: the nodes of the group that no other node of the
/// group dominates, each reported once as `found(group, node)` in walk order. `group_of` maps a
/// node to its group below `groups`, or [`NO_GROUP`]; `skip(node)` leaves a node's whole subtree
/// out. One walk with a counter per group of its members on the stack.
pub fn top_members(
    children: &DomChildren,
    from: Start,
    groups: usize,
    group_of: impl Fn(u32) -> u32,
    skip: impl Fn(u32) -> bool,
    found: impl FnMut(u32, u32),
) {
    top_members_ahead(children, from, groups, group_of, skip, found, |_| {})
}

/// How many siblings ahead the walks of [`top_members_ahead`] and [`walk_below`] ask for a
/// node's lines (its children list at half that).
const WALK_AHEAD: usize = 8;

/// [`top_members`], with `ahead(node)` told of each node a few siblings before the walk
/// enters it, so that the caller can prefetch what `group_of` and `skip` will read for it
/// (in a hash-ordered heap siblings lie far apart in memory). The same answers in the same
/// order as a [`DomWalk`]'s `Enter`s; its own stack of 12 B per tree level with children left
/// to walk (a leaf is entered and left without one).
pub fn top_members_ahead(
    children: &DomChildren,
    from: Start,
    groups: usize,
    group_of: impl Fn(u32) -> u32,
    skip: impl Fn(u32) -> bool,
    mut found: impl FnMut(u32, u32),
    ahead: impl Fn(u32),
) {
    let offsets: &[u32] = &children.offsets;
    let kids: &[u32] = &children.children;
    let mut on_stack = OnStack::new(groups);
    let s = from.slot(children) as usize;
    // The level being walked: its node's group, its next child's position, its list's end;
    // the levels above it on `stack`.
    let (mut gr, mut pos, mut end) = (NO_GROUP, offsets[s], offsets[s + 1]);
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    loop {
        if pos == end {
            on_stack.leave(gr);
            match stack.pop() {
                Some(up) => (gr, pos, end) = up,
                None => return,
            }
            continue;
        }
        let at = pos as usize;
        if at + WALK_AHEAD < end as usize {
            let a = kids[at + WALK_AHEAD];
            crate::dominators::prefetch(offsets, a as usize);
            ahead(a);
        }
        if at + WALK_AHEAD / 2 < end as usize {
            let a = kids[at + WALK_AHEAD / 2] as usize;
            crate::dominators::prefetch(kids, offsets[a] as usize);
        }
        let c = kids[at];
        pos += 1;
        if skip(c) {
            continue;
        }
        let g = group_of(c);
        if on_stack.enter(g) {
            found(g, c);
        }
        let (cs, ce) = (offsets[c as usize], offsets[c as usize + 1]);
        if cs == ce {
            on_stack.leave(g);
        } else {
            stack.push((gr, pos, end));
            (gr, pos, end) = (g, cs, ce);
        }
    }
}

/// Walk the dominator subtree below `from` (`from` itself not visited) in a [`DomWalk`]'s
/// order of `Enter`s, calling `enter(node)`, which says whether to walk below that node.
/// `stack` (emptied first) holds 8 B per tree level with children left to walk: a caller
/// walking many small subtrees passes the same one each time and allocates nothing per walk.
pub fn walk_below(
    children: &DomChildren,
    from: Start,
    stack: &mut Vec<(u32, u32)>,
    mut enter: impl FnMut(u32) -> bool,
) {
    let offsets: &[u32] = &children.offsets;
    let kids: &[u32] = &children.children;
    stack.clear();
    let s = from.slot(children) as usize;
    let (mut pos, mut end) = (offsets[s], offsets[s + 1]);
    loop {
        if pos == end {
            match stack.pop() {
                Some(up) => (pos, end) = up,
                None => return,
            }
            continue;
        }
        let at = pos as usize;
        if at + WALK_AHEAD < end as usize {
            crate::dominators::prefetch(offsets, kids[at + WALK_AHEAD] as usize);
        }
        let c = kids[at] as usize;
        pos += 1;
        if !enter(c as u32) {
            continue;
        }
        let (cs, ce) = (offsets[c], offsets[c + 1]);
        if cs < ce {
            stack.push((pos, end));
            (pos, end) = (cs, ce);
        }
    }
}

/// Per group, how many of its members are on a [`DomWalk`]'s path: the bookkeeping of
/// [`top_members`], for a caller that answers more in the same walk. Tell it every `Enter`
/// and `Leave` of the walk, with the node's group ([`NO_GROUP`] for none). 4 B per group.
pub struct OnStack(Vec<u32>);

impl OnStack {
    pub fn new(groups: usize) -> Self {
        OnStack(vec![0; groups])
    }

    /// A node of group `gr` is entered: is it a top member (no member of its group above it)?
    #[inline]
    pub fn enter(&mut self, gr: u32) -> bool {
        match self.0.get_mut(gr as usize) {
            Some(c) => {
                *c += 1;
                *c == 1
            }
            None => false,
        }
    }

    /// A node of group `gr` is left.
    #[inline]
    pub fn leave(&mut self, gr: u32) {
        if let Some(c) = self.0.get_mut(gr as usize) {
            *c -= 1;
        }
    }
}

/// Eclipse MAT's minimum retained size of node sets, per group: the sum of the retained sizes
/// of the group's [`top_members`] below `from`. A lower bound of the exact retained size of the
/// set (exact unless some node is kept alive only by several members together).
pub fn min_retained_by(
    children: &DomChildren,
    retained: &[u64],
    from: Start,
    groups: usize,
    group_of: impl Fn(u32) -> u32,
) -> Vec<u64> {
    let mut out = vec![0u64; groups];
    top_members(
        children,
        from,
        groups,
        group_of,
        |_| false,
        |gr, v| out[gr as usize] += retained[v as usize],
    );
    out
}

/// The dominators of `n`, nearest first, up to (not including) the super-root; empty for a
/// child of the super-root and for an unreached node.
pub fn dominator_chain(dom: &DomTree, n: NodeIdx) -> impl Iterator<Item = NodeIdx> + '_ {
    let mut cur = n.0;
    // A dominator tree has no cycle; the bound only guards a malformed `idom`.
    let mut left = dom.idom.len();
    std::iter::from_fn(move || {
        let d = *dom.idom.get(cur as usize)?;
        if d == SUPER || d == UNREACHED || left == 0 {
            return None;
        }
        left -= 1;
        cur = d;
        Some(NodeIdx(d))
    })
}

/// The nodes with an edge to `n`, each once, in index order: (referrer, label, weak), the
/// label of its first strong edge to `n`, else of its first weak one. One scan of the target
/// column (4 B per edge, in chunks on the rayon pool); labels and offsets are read only at the
/// edges found. For a few suspects and drill-down commands.
pub fn referrers(g: &HeapGraph, n: NodeIdx) -> Vec<(NodeIdx, Label, bool)> {
    referrers_in_chunks(g, n, 1 << 18)
}

/// [`referrers`] with the edges scanned in chunks of `chunk` (tests use small ones).
#[doc(hidden)]
pub fn referrers_in_chunks(g: &HeapGraph, n: NodeIdx, chunk: usize) -> Vec<(NodeIdx, Label, bool)> {
    use rayon::prelude::*;
    let chunk = chunk.max(1);
    let targets: &[u32] = &g.targets;
    // In edge order: rayon's collect keeps the order of the chunks.
    let hits: Vec<usize> = targets
        .par_chunks(chunk)
        .enumerate()
        .flat_map_iter(|(c, part)| {
            // A block is looked into only when it holds a hit: the test of a whole block is
            // branch-free (vector compares), and most blocks hold none.
            part.chunks(SCAN_BLOCK)
                .enumerate()
                .filter(|(_, block)| {
                    block
                        .iter()
                        .fold(false, |any, &raw| any | (raw & !WEAK_BIT == n.0))
                })
                .flat_map(move |(b, block)| {
                    block
                        .iter()
                        .enumerate()
                        .filter(move |&(_, &raw)| raw & !WEAK_BIT == n.0)
                        .map(move |(i, _)| c * chunk + b * SCAN_BLOCK + i)
                })
        })
        .collect();
    let offsets: &[u32] = &g.offsets;
    let mut out: Vec<(NodeIdx, Label, bool)> = Vec::new();
    let mut u = 0usize;
    for e in hits {
        u = edge_source_from(offsets, u, e as u32);
        let edge = g.edge(e);
        match out.last_mut() {
            Some(last) if last.0 .0 as usize == u => {
                if last.2 && !edge.weak {
                    (last.1, last.2) = (edge.label, false);
                }
            }
            _ => out.push((NodeIdx(u as u32), edge.label, edge.weak)),
        }
    }
    out
}

/// Targets tested at once by [`referrers`]' scan before it looks for the hits among them.
const SCAN_BLOCK: usize = 32;

/// The referrers of each of a few nodes `set` in one scan of the target column: (target,
/// referrer, weak) for every edge into `set`, in edge order (so by referrer index), an edge per
/// entry (a referrer with two edges to a target is listed twice). For a report that asks about
/// a handful of nodes at once. The scan tests a block of 32 targets at a time, branch-free,
/// against a filter of the set: a byte per value of a target's low 15 bits, [`SET_FILTER`]
/// bytes (32 KiB, in the core's L1 cache), one for the values a node of the set has (~0.05 %
/// of edges pass for a set of 16); a block is looked into only when one of its targets passes
/// (then a search of the sorted set), so the cost is that of [`referrers`] whatever the set's
/// size.
pub fn referrers_of_set(g: &HeapGraph, set: &[NodeIdx]) -> Vec<(NodeIdx, NodeIdx, bool)> {
    referrers_of_set_in::<SET_FILTER>(g, set, 1 << 18)
}

/// Bytes of [`referrers_of_set`]'s filter.
pub const SET_FILTER: usize = 1 << 15;

/// [`referrers_of_set`] with a filter of `N` bytes (a power of two below 2^31) and the edges
/// scanned in chunks of `chunk` (tests use small ones of both, where most nodes share a
/// filter byte with one of the set).
#[doc(hidden)]
pub fn referrers_of_set_in<const N: usize>(
    g: &HeapGraph,
    set: &[NodeIdx],
    chunk: usize,
) -> Vec<(NodeIdx, NodeIdx, bool)> {
    use rayon::prelude::*;
    const { assert!(N.is_power_of_two() && N <= 1 << 30) };
    let mut sorted: Vec<u32> = set.iter().map(|n| n.0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.is_empty() {
        return Vec::new();
    }
    // A target's low bits pick its filter byte (the weak bit, bit 31, is above them); the
    // index is below N, so no bounds test per edge.
    let mut filter: Box<[u8; N]> = Box::new([0; N]);
    for &v in &sorted {
        filter[v as usize & (N - 1)] = 1;
    }
    let filter: &[u8; N] = &filter;
    let pass = move |raw: u32| -> u8 { filter[raw as usize & (N - 1)] };
    let chunk = chunk.max(1);
    let targets: &[u32] = &g.targets;
    // In edge order: rayon's collect keeps the order of the chunks.
    let hits: Vec<usize> = targets
        .par_chunks(chunk)
        .enumerate()
        .flat_map_iter(|(c, part)| {
            let sorted = &sorted;
            part.chunks(SCAN_BLOCK)
                .enumerate()
                .filter(move |(_, block)| block.iter().fold(0u8, |any, &raw| any | pass(raw)) != 0)
                .flat_map(move |(b, block)| {
                    block
                        .iter()
                        .enumerate()
                        .filter(move |&(_, &raw)| {
                            pass(raw) != 0 && sorted.binary_search(&(raw & !WEAK_BIT)).is_ok()
                        })
                        .map(move |(i, _)| c * chunk + b * SCAN_BLOCK + i)
                })
        })
        .collect();
    let offsets: &[u32] = &g.offsets;
    let mut u = 0usize;
    hits.into_iter()
        .map(|e| {
            u = edge_source_from(offsets, u, e as u32);
            let raw = targets[e];
            (
                NodeIdx(raw & !WEAK_BIT),
                NodeIdx(u as u32),
                raw & WEAK_BIT != 0,
            )
        })
        .collect()
}

/// The node whose edges hold edge `e` (the last `v` with `offsets[v] <= e`), searched forward
/// from node `from`, which must satisfy `offsets[from] <= e`: a galloping search, so a sorted
/// run of edges costs a forward sweep rather than a binary search over all offsets each.
#[inline]
pub(crate) fn edge_source_from(offsets: &[u32], from: usize, e: u32) -> usize {
    let (mut lo, mut hi, mut step) = (from, from + 1, 1usize);
    while hi < offsets.len() && offsets[hi] <= e {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    let hi = hi.min(offsets.len());
    lo + offsets[lo..hi].partition_point(|&o| o <= e) - 1
}

/// BFS parents ([`RootPaths::parent`]) for many nodes, found cheaply: a node's BFS-tree edge is
/// first checked against its immediate dominator's edge list (two offsets), since in a heap
/// most objects are reached first from the object that dominates them (an only referrer is
/// both); only where that fails is the edge's source searched for in the CSR offsets. The
/// answer is the same either way: an edge has one source. Nothing is allocated but the
/// answers (and 8 B per miss in [`of_all`](BfsParents::of_all)).
pub struct BfsParents<'a> {
    parent: &'a [u32],
    by_node: bool,
    offsets: &'a [u32],
    idom: &'a [u32],
}

/// How many nodes ahead [`BfsParents::of_all`] asks for a node's parent and dominator lines
/// (its dominator's offsets at half that).
const PARENTS_AHEAD: usize = 16;

/// Nodes per piece of [`BfsParents::of_all`] on the rayon pool (1 MiB of answers each).
const PARENTS_PIECE: usize = 1 << 18;

impl<'a> BfsParents<'a> {
    pub fn new(paths: &'a RootPaths, g: &'a HeapGraph, dom: &'a DomTree) -> Self {
        BfsParents {
            parent: paths.parent_column(),
            by_node: paths.by_node(),
            offsets: &g.offsets,
            idom: &dom.idom,
        }
    }

    /// Is edge `e` one of node `u`'s?
    #[inline(always)]
    fn holds(&self, u: usize, e: u32) -> bool {
        match (self.offsets.get(u), self.offsets.get(u + 1)) {
            (Some(&lo), Some(&hi)) => lo <= e && e < hi,
            _ => false,
        }
    }

    /// The source of edge `e` into `v` when it is `v`'s immediate dominator.
    #[inline(always)]
    fn hinted(&self, v: u32, e: u32) -> Option<u32> {
        let d = *self.idom.get(v as usize)?;
        self.holds(d as usize, e).then_some(d)
    }

    /// The BFS parent of `v`: a node index, [`SUPER`] for roots, [`UNREACHED`].
    #[inline]
    pub fn of(&self, v: u32) -> u32 {
        match self.parent[v as usize] {
            p @ (SUPER | UNREACHED) => p,
            p if self.by_node => p,
            e => self
                .hinted(v, e)
                .unwrap_or_else(|| (self.offsets.partition_point(|&o| o <= e) - 1) as u32),
        }
    }

    /// [`of`](Self::of) each of `nodes`, in their order; the edges the hint misses are sorted
    /// and their sources found in one forward sweep of the offsets ([`edge_source_from`]).
    /// Many nodes are answered in pieces on the rayon pool (javac's 718 MB dump: 9.2 M nodes
    /// asked in 78 calls, 3.4 M of them missing the hint; the answers are the same).
    pub fn of_all(&self, nodes: &[u32]) -> Vec<u32> {
        use rayon::prelude::*;
        let mut out = vec![0u32; nodes.len()];
        out.par_chunks_mut(PARENTS_PIECE)
            .zip(nodes.par_chunks(PARENTS_PIECE))
            .for_each(|(out, piece)| self.of_piece(piece, out));
        out
    }

    /// [`of_all`](Self::of_all) on the calling thread, into `out` (as long as `nodes`).
    fn of_piece(&self, nodes: &[u32], out: &mut [u32]) {
        let mut missed: Vec<(u32, u32)> = Vec::new();
        // The last parent found: members of one collection, asked for one after another, have
        // it as theirs too (its offsets are in the cache).
        let mut last = 0usize;
        for ((i, &v), slot) in nodes.iter().enumerate().zip(out.iter_mut()) {
            if let Some(&w) = nodes.get(i + PARENTS_AHEAD) {
                crate::dominators::prefetch(self.parent, w as usize);
                crate::dominators::prefetch(self.idom, w as usize);
            }
            if let Some(&w) = nodes.get(i + PARENTS_AHEAD / 2) {
                if let Some(&d) = self.idom.get(w as usize) {
                    crate::dominators::prefetch(self.offsets, d as usize);
                }
            }
            *slot = match self.parent[v as usize] {
                p @ (SUPER | UNREACHED) => p,
                p if self.by_node => p,
                e if self.holds(last, e) => last as u32,
                e => match self.hinted(v, e) {
                    Some(d) => {
                        last = d as usize;
                        d
                    }
                    None => {
                        missed.push((e, i as u32));
                        UNREACHED
                    }
                },
            };
        }
        missed.sort_unstable();
        let mut lo = 0usize;
        for (e, i) in missed {
            lo = edge_source_from(self.offsets, lo, e);
            out[i as usize] = lo as u32;
        }
    }
}

/// The exact retained size of a set of nodes: delete `set` (its members and every edge into
/// them), run reachability again from the GC roots along the edges that retain under the
/// graph's policy, and sum what was reachable before and is not now: `(bytes, nodes)`, the
/// members included. For one node this is its retained size; for several it also counts what
/// only the members together keep alive (which [`min_retained_by`] leaves out).
///
/// Where the policy attaches nodes the roots do not reach below the super-root (V8, after
/// DevTools), those the dominator tree puts directly below it count as roots too. A bit per
/// node and a stack of at most one entry per node; two passes over the graph where orphans are
/// attached (one to tell them apart), else one.
pub fn exact_retained(
    g: &HeapGraph,
    dom: &DomTree,
    children: &DomChildren,
    set: &BitSet,
) -> (u64, u64) {
    let n = g.node_count();
    let mut starts = g.root_nodes();
    if g.policy.orphans != Orphans::Unreachable {
        let from_roots = reach(g, &starts, &BitSet::new(n));
        starts.extend(
            children
                .of(n)
                .iter()
                .filter(|&&c| !from_roots.get(c as usize)),
        );
    }
    let seen = reach(g, &starts, set);
    let (mut bytes, mut nodes) = (0u64, 0u64);
    for v in 0..n {
        if dom.is_reachable(v as u32) && !seen.get(v) {
            bytes += g.shallow[v];
            nodes += 1;
        }
    }
    (bytes, nodes)
}

/// The nodes reachable from `starts` along retaining edges without entering `removed`.
fn reach(g: &HeapGraph, starts: &[u32], removed: &BitSet) -> BitSet {
    let n = g.node_count();
    let mut seen = BitSet::new(n);
    let mut stack: Vec<u32> = Vec::new();
    for &r in starts {
        if (r as usize) < n && !removed.get(r as usize) && !seen.get(r as usize) {
            seen.set(r as usize);
            stack.push(r);
        }
    }
    while let Some(u) = stack.pop() {
        for e in g.edge_range(NodeIdx(u)) {
            let raw = g.targets[e];
            if !g.retains(raw) {
                continue;
            }
            let v = (raw & !WEAK_BIT) as usize;
            if v < n && !removed.get(v) && !seen.get(v) {
                seen.set(v);
                stack.push(v as u32);
            }
        }
    }
    seen
}

/// Eclipse MAT's minimum retained size of one node set (see [`min_retained_by`]): the sum of
/// the retained sizes of the reachable members no other member dominates. `members` is
/// sorted and deduplicated here. Each member's dominator chain is looked at, up to as many
/// steps in all as the graph has nodes; past that (very deep trees) one walk of the dominator
/// tree answers instead.
pub fn min_retained_of(
    dom: &DomTree,
    children: &DomChildren,
    retained: &[u64],
    members: &mut Vec<u32>,
) -> u64 {
    members.sort_unstable();
    members.dedup();
    let mut budget = dom.idom.len();
    let mut sum = 0u64;
    for &m in members.iter() {
        if !dom.is_reachable(m) {
            continue;
        }
        let mut covered = false;
        for d in dominator_chain(dom, NodeIdx(m)) {
            if budget == 0 {
                let set: &[u32] = members;
                return min_retained_by(children, retained, Start::SuperRoot, 1, |v| {
                    if set.binary_search(&v).is_ok() {
                        0
                    } else {
                        NO_GROUP
                    }
                })[0];
            }
            budget -= 1;
            if members.binary_search(&d.0).is_ok() {
                covered = true;
                break;
            }
        }
        if !covered {
            sum += retained[m as usize];
        }
    }
    sum
}

/// One step of a [`path_between`]: the node, and the edge that led to it from the step
/// before (`None` on the first step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    pub node: NodeIdx,
    pub edge: Option<usize>,
}

/// A shortest path of references from `from` to `to` (both included; weak references too,
/// strong ones first at each node) that passes through no node of `avoid`, by breadth-first
/// search: 4 B per node for the parents (one array, freed at the end) and a queue.
pub fn path_between(g: &HeapGraph, from: NodeIdx, to: NodeIdx, avoid: &BitSet) -> Option<Vec<Hop>> {
    const NONE: u32 = u32::MAX;
    let n = g.node_count();
    if from.ix() >= n || to.ix() >= n {
        return None;
    }
    if from == to {
        return Some(vec![Hop {
            node: from,
            edge: None,
        }]);
    }
    // parent edge of each reached node (the edge's source is found from the CSR offsets)
    let mut parent = vec![NONE; n];
    let mut queue = std::collections::VecDeque::new();
    queue.push_back(from.0);
    let mut found = false;
    'bfs: while let Some(u) = queue.pop_front() {
        for weak_pass in [false, true] {
            for e in g.edge_range(NodeIdx(u)) {
                let raw = g.targets[e];
                if (raw & WEAK_BIT != 0) != weak_pass {
                    continue;
                }
                let v = (raw & !WEAK_BIT) as usize;
                if v >= n || v == from.ix() || parent[v] != NONE || (avoid.get(v) && v != to.ix()) {
                    continue;
                }
                parent[v] = e as u32;
                if v == to.ix() {
                    found = true;
                    break 'bfs;
                }
                queue.push_back(v as u32);
            }
        }
    }
    if !found {
        return None;
    }
    let mut hops = Vec::new();
    let mut cur = to.0;
    while cur != from.0 {
        let e = parent[cur as usize] as usize;
        hops.push(Hop {
            node: NodeIdx(cur),
            edge: Some(e),
        });
        cur = edge_source(g, e).0;
    }
    hops.push(Hop {
        node: from,
        edge: None,
    });
    hops.reverse();
    Some(hops)
}

/// The node whose edge list holds edge position `e` (a binary search of the CSR offsets).
pub fn edge_source(g: &HeapGraph, e: usize) -> NodeIdx {
    // offsets[u] <= e < offsets[u + 1]: the last u with offsets[u] <= e (empty lists skipped).
    let p = g.offsets.partition_point(|&o| o as usize <= e);
    NodeIdx(p.saturating_sub(1) as u32)
}

/// How a walk of dominator subtrees is spread over threads by [`Split`]: up to `threads`
/// threads; the top cut off by at most `levels` breadth-first levels below the start and at
/// most `top_max` nodes; runs of at most `run_max` siblings below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallel {
    pub threads: usize,
    /// At most how many breadth-first levels are cut off (a chain gives one node a level).
    pub levels: usize,
    /// At most how many nodes are cut off.
    pub top_max: usize,
    /// At most how many siblings one run holds (0 counts as 1).
    pub run_max: u32,
}

impl Parallel {
    /// Up to `threads` threads, the top cut off by at most 8 levels and 65,536 nodes (none on
    /// one thread: the runs are then the start's children, 64 at a time, walked in order),
    /// runs of at most 64 siblings.
    pub fn threads(threads: usize) -> Parallel {
        Parallel {
            threads,
            levels: if threads > 1 { 8 } else { 0 },
            top_max: 1 << 16,
            run_max: 64,
        }
    }
}

/// No node of [`Split::top`]: the parent of a top node or a run that is the start itself.
pub const NO_TOP: u32 = u32::MAX;

/// A node of the top a [`Split`] cuts off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopNode {
    pub node: u32,
    /// Its parent's index in [`Split::top`], or [`NO_TOP`] for a child of the start.
    pub parent: u32,
}

/// A run of sibling subtrees: the whole dominator subtrees of `parent`'s children at positions
/// `from..to` of `DomChildren::children`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The siblings' parent: a node of the top, or the start (the super-root's slot `n` when
    /// the start is [`Start::SuperRoot`]).
    pub parent: u32,
    /// `parent`'s index in [`Split::top`], or [`NO_TOP`] when it is the start. A run's seed is
    /// its ancestors below the start: [`Split::path`]`(top)`.
    pub top: u32,
    pub from: u32,
    pub to: u32,
}

/// A dominator subtree (the start itself not included) cut for several threads: the *top*,
/// a few breadth-first levels below the start (while the next level's lists keep it under
/// [`Parallel::top_max`] nodes, at most [`Parallel::levels`] levels), parents before
/// children; and below it the *runs*, sibling subtrees in groups of at most
/// [`Parallel::run_max`], which together with the top hold every node of the subtree exactly
/// once. A walk hands the runs to [`walk`](Split::walk), which the threads claim from a shared
/// cursor (a thread that meets a big subtree leaves the rest to the others), and does the top
/// itself: before the runs when a run needs something of its ancestors (a depth), after them
/// when the top needs the runs' results (sums, bottom-up). A run's ancestors below the start
/// are [`path`](Split::path) of its `top`: at most `levels` nodes, so seeding a walker with
/// them (the types on its path, say) costs a few steps per run. With all sums and minima exact
/// integers the results do not depend on which thread walked what.
///
/// 8 B per node of the top, 24 B per list of siblings below it (a list's runs are made when
/// claimed, not stored: a list of millions of siblings costs no more than one of two).
pub struct Split {
    top: Vec<TopNode>,
    /// The lists of siblings below the top, whole (each as a [`Run`] from its first sibling to
    /// its last), in the order their runs are handed out.
    lists: Vec<Run>,
    /// How many runs come before each list, and all of them last.
    first: Vec<usize>,
    run_max: u32,
    threads: usize,
}

impl Split {
    /// Cut the dominator subtree of `from` (not including `from`) as `par` says.
    pub fn new(children: &DomChildren, from: Start, par: Parallel) -> Split {
        let offsets: &[u32] = &children.offsets;
        let kids: &[u32] = &children.children;
        let list = |parent: u32, top: u32| Run {
            parent,
            top,
            from: offsets[parent as usize],
            to: offsets[parent as usize + 1],
        };
        let mut top: Vec<TopNode> = Vec::new();
        let mut lists = vec![list(from.slot(children), NO_TOP)];
        for _ in 0..par.levels {
            let mut next = Vec::new();
            let mut grew = false;
            for l in lists {
                if top.len() + l.to.saturating_sub(l.from) as usize > par.top_max {
                    next.push(l);
                    continue;
                }
                grew = true;
                for pos in l.from..l.to {
                    let c = kids[pos as usize];
                    let below = list(c, top.len() as u32);
                    if below.from < below.to {
                        next.push(below);
                    }
                    top.push(TopNode {
                        node: c,
                        parent: l.top,
                    });
                }
            }
            lists = next;
            if !grew {
                break;
            }
        }
        let run_max = par.run_max.max(1);
        let mut first = Vec::with_capacity(lists.len() + 1);
        let mut total = 0usize;
        for l in &lists {
            first.push(total);
            total += l.to.saturating_sub(l.from).div_ceil(run_max) as usize;
        }
        first.push(total);
        Split {
            top,
            lists,
            first,
            run_max,
            threads: par.threads,
        }
    }

    /// The nodes cut off, parents before children.
    pub fn top(&self) -> &[TopNode] {
        &self.top
    }

    /// How many runs there are below the top.
    pub fn run_count(&self) -> usize {
        self.first.last().copied().unwrap_or(0)
    }

    /// Run `i` of [`run_count`](Split::run_count), in the order [`walk`](Split::walk) hands
    /// them out.
    pub fn run(&self, i: usize) -> Option<Run> {
        if i >= self.run_count() {
            return None;
        }
        // The last list whose runs start at or before `i` (an empty list has none).
        let l = self.first.partition_point(|&f| f <= i) - 1;
        let list = self.lists[l];
        let from = list.from + (i - self.first[l]) as u32 * self.run_max;
        Some(Run {
            from,
            to: list.to.min(from.saturating_add(self.run_max)),
            ..list
        })
    }

    /// The runs below the top, in order.
    pub fn runs(&self) -> impl Iterator<Item = Run> + '_ {
        (0..self.run_count()).filter_map(|i| self.run(i))
    }

    /// The node at index `at` of the top and its ancestors in the top, nearest first: nothing
    /// for [`NO_TOP`] (the start is never included).
    pub fn path(&self, at: u32) -> impl Iterator<Item = u32> + '_ {
        let mut i = at;
        std::iter::from_fn(move || {
            let t = self.top.get(i as usize)?;
            i = t.parent; // always an earlier index: the walk ends
            Some(t.node)
        })
    }

    /// Hand every run to `each` exactly once, on up to [`Parallel::threads`] threads (no more
    /// than the rayon pool has, nor than there are runs): each thread makes a state of its own
    /// with `init` and claims runs, in order, from a shared cursor. Returns the states, one per
    /// thread, in no fixed order: merge them by sums and minima, never by order (a state that
    /// keeps something per run keeps it with the run's `top`, say).
    pub fn walk<S: Send>(
        &self,
        init: impl Fn() -> S + Sync,
        each: impl Fn(&mut S, Run) + Sync,
    ) -> Vec<S> {
        let cursor = AtomicUsize::new(0);
        let work = || {
            let mut state = init();
            while let Some(run) = self.run(cursor.fetch_add(1, Relaxed)) {
                each(&mut state, run);
            }
            state
        };
        let helpers = self
            .threads
            .min(rayon::current_num_threads())
            .min(self.run_count())
            .saturating_sub(1);
        if helpers == 0 {
            return vec![work()];
        }
        let states = Mutex::new(Vec::with_capacity(helpers + 1));
        let push = |state| states.lock().unwrap_or_else(|e| e.into_inner()).push(state);
        rayon::scope(|sc| {
            for _ in 0..helpers {
                sc.spawn(|_| push(work()));
            }
            push(work());
        });
        states.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
