//! Dominator tree by Semi-NCA over the CSR graph, iterative throughout (explicit stacks), and
//! retained sizes by one pass in reverse DFS preorder.
//!
//! Memory (n nodes, N reachable, m' retaining edges): `pre` 4 B/node; `node_of`, `parent`,
//! `semi`, `ancestor` 4 B per reachable node each; predecessor offsets 4 B per reachable node
//! (8 when the lists pass 4 GiB); predecessor lists only for edges that go *back* in DFS
//! preorder, delta + LEB128 encoded (1–5 B each). Edges going forward in preorder — the DFS
//! tree edges among them — are folded into the initial semidominator instead of being stored,
//! because an unprocessed predecessor `v < w` contributes exactly `v` to `semi(w)`. `pre` is
//! reused for the path-compression labels and then for the result, so the peak is about
//! 24 B per node plus the encoded back edges, on top of the graph. The result keeps `idom`
//! (4 B/node) and `order` (4 B per reachable node).

use crate::bitset::BitSet;
use crate::graph::{HeapGraph, Orphans, WEAK_BIT};

/// `idom` value of nodes whose immediate dominator is the virtual super-root.
pub const SUPER: u32 = u32::MAX - 1;
/// `idom` value of nodes no retaining path from a root reaches.
pub const UNREACHED: u32 = u32::MAX;
const NONE: u32 = u32::MAX;

/// The dominator tree in node space.
pub struct DomTree {
    /// Immediate dominator of each node: a node index, [`SUPER`] or [`UNREACHED`].
    pub idom: Vec<u32>,
    /// Reachable nodes in DFS preorder: every node comes after its immediate dominator.
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

/// Depth-first numbering from the super-root (preorder 0). `node_of[p - 1]` is the node with
/// preorder `p`; `parent[p]` is the preorder of its DFS parent (0 = super-root).
struct Dfs {
    pre: Vec<u32>,
    node_of: Vec<u32>,
    parent: Vec<u32>,
    stack: Vec<(u32, u32)>,
}

impl Dfs {
    fn is_visited(&self, v: u32) -> bool {
        self.pre[v as usize] != NONE
    }

    fn visit_from(&mut self, g: &HeapGraph, start: u32) {
        if self.is_visited(start) {
            return;
        }
        self.node_of.push(start);
        self.pre[start as usize] = self.node_of.len() as u32;
        self.parent.push(0);
        self.stack.push((start, 0));
        let keep_weak = g.policy.weak_retains;
        while let Some(top) = self.stack.last_mut() {
            let v = top.0 as usize;
            let at = g.offsets[v] as usize + top.1 as usize;
            if at >= g.offsets[v + 1] as usize {
                self.stack.pop();
                continue;
            }
            top.1 += 1;
            let raw = g.targets[at];
            if raw & WEAK_BIT != 0 && !keep_weak {
                continue;
            }
            let t = raw & !WEAK_BIT;
            if self.pre[t as usize] == NONE {
                let pv = self.pre[v];
                self.node_of.push(t);
                self.pre[t as usize] = self.node_of.len() as u32;
                self.parent.push(pv);
                self.stack.push((t, 0));
            }
        }
    }
}

/// Compute the dominator tree of `g` rooted at the virtual super-root, following only edges
/// that retain under `g.policy`. The super-root's successors are the GC roots and then, by
/// [`Orphans`] policy: every node the roots do not reach that has a weak in-edge
/// (`AttachWeaklyHeld`); or (`AttachAll`) every node the roots do not reach that no other node
/// retains, then, in index order, each node still not reached (entry points into cycles).
pub fn dominators(g: &HeapGraph) -> DomTree {
    let n = g.node_count();
    let mut dfs = Dfs { pre: vec![NONE; n], node_of: Vec::new(), parent: vec![0], stack: Vec::new() };
    let mut super_succ: Vec<u32> = Vec::new();
    for r in g.root_nodes() {
        super_succ.push(r);
        dfs.visit_from(g, r);
    }
    let from_roots = dfs.node_of.len();
    match g.policy.orphans {
        Orphans::Unreachable => {}
        Orphans::AttachWeaklyHeld => {
            let mut weak_in = BitSet::new(n);
            for &raw in &g.targets {
                if raw & WEAK_BIT != 0 {
                    weak_in.set((raw & !WEAK_BIT) as usize);
                }
            }
            // All candidates first, so the result does not depend on their index order.
            let start = super_succ.len();
            super_succ.extend((0..n as u32).filter(|&v| !dfs.is_visited(v) && weak_in.get(v as usize)));
            for &s in &super_succ[start..] {
                dfs.visit_from(g, s);
            }
        }
        Orphans::AttachAll => {
            let mut held = BitSet::new(n);
            for v in 0..n {
                if !dfs.is_visited(v as u32) {
                    for t in retaining(g, v) {
                        if t as usize != v {
                            held.set(t as usize);
                        }
                    }
                }
            }
            let start = super_succ.len();
            super_succ.extend((0..n as u32).filter(|&v| !dfs.is_visited(v) && !held.get(v as usize)));
            for &s in &super_succ[start..] {
                dfs.visit_from(g, s);
            }
            for v in 0..n as u32 {
                if !dfs.is_visited(v) {
                    super_succ.push(v);
                    dfs.visit_from(g, v);
                }
            }
        }
    }
    let orphans_attached = (dfs.node_of.len() - from_roots) as u64;
    let Dfs { mut pre, node_of, parent, stack } = dfs;
    drop(stack);
    let big_n = node_of.len() + 1; // with the super-root

    // Initial semidominators: the smallest predecessor that precedes w in preorder (the DFS
    // parent is one). The super-root (0) precedes everything.
    let mut semi = parent.clone();
    for &s in &super_succ {
        semi[pre[s as usize] as usize] = 0;
    }
    drop(super_succ);

    // Back edges (source after target in preorder): the only predecessors stored.
    let mut ancestor: Vec<u32> = (0..big_n as u32).collect(); // first used as `last` per target
    let max_bytes = 5 * g.targets.len() as u64;
    let semi_w = if max_bytes < u32::MAX as u64 {
        let preds = BackPreds::<u32>::build(g, &pre, &node_of, &mut semi, &mut ancestor);
        drop_pre_and_run(preds, &mut pre, &mut semi, &parent, &mut ancestor)
    } else {
        let preds = BackPreds::<u64>::build(g, &pre, &node_of, &mut semi, &mut ancestor);
        drop_pre_and_run(preds, &mut pre, &mut semi, &parent, &mut ancestor)
    };
    debug_assert!(semi_w.len() == big_n);
    drop(ancestor);

    // NCA step: idom(w) is the nearest ancestor of parent(w) at or above semi(w).
    let mut idom = parent;
    for w in 1..big_n {
        let s = semi[w];
        let mut d = idom[w];
        while d > s {
            d = idom[d as usize];
        }
        idom[w] = d;
    }
    drop(semi);

    // Back to node space, in the buffer that held `pre`.
    let mut out = pre;
    out.clear();
    out.resize(n, UNREACHED);
    for p in 1..big_n {
        let d = idom[p];
        out[node_of[p - 1] as usize] = if d == 0 { SUPER } else { node_of[d as usize - 1] };
    }
    DomTree { idom: out, order: node_of, orphans_attached }
}

/// Offsets of the encoded predecessor lists: u32 while the lists fit in 4 GiB.
trait Off: Copy + Default {
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

/// Predecessors `p > w` of each preorder `w`, ascending, as LEB128 deltas from `w`.
struct BackPreds<O> {
    off: Vec<O>,
    bytes: Vec<u8>,
}

#[inline]
fn leb_len(v: u32) -> u64 {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

impl<O: Off> BackPreds<O> {
    /// Two passes over the retaining edges in preorder of their source, so each target's
    /// predecessors arrive in ascending order: count the encoded bytes, then write them.
    /// Forward edges lower `semi` instead. `last` must hold the identity on entry.
    fn build(g: &HeapGraph, pre: &[u32], node_of: &[u32], semi: &mut [u32], last: &mut [u32]) -> Self {
        let big_n = node_of.len() + 1;
        let mut off: Vec<O> = vec![O::default(); big_n + 1];
        // Counting pass: encoded length per target.
        let total = {
            let mut lens: Vec<u32> = vec![0; big_n];
            for (i, &v) in node_of.iter().enumerate() {
                let p = i as u32 + 1;
                for t in retaining(g, v as usize) {
                    let w = pre[t as usize];
                    if w > p {
                        if semi[w as usize] > p {
                            semi[w as usize] = p;
                        }
                    } else if w < p {
                        let l = &mut last[w as usize];
                        lens[w as usize] = lens[w as usize].saturating_add(leb_len(p - *l) as u32);
                        *l = p;
                    }
                }
            }
            // Exclusive prefix sums shifted by one: off[w + 1] = start of w, used as the
            // write cursor below, so it ends as the end of w (= start of w + 1).
            let mut acc = 0u64;
            for w in 0..big_n {
                off[w + 1] = O::from_u64(acc);
                acc += u64::from(lens[w]);
            }
            acc as usize
        };
        let mut bytes = vec![0u8; total];
        for (w, l) in last.iter_mut().enumerate() {
            *l = w as u32;
        }
        for (i, &v) in node_of.iter().enumerate() {
            let p = i as u32 + 1;
            for t in retaining(g, v as usize) {
                let w = pre[t as usize] as usize;
                if w < p as usize {
                    let mut d = p - last[w];
                    last[w] = p;
                    let mut at = off[w + 1].to_usize();
                    while d >= 0x80 {
                        bytes[at] = (d as u8) | 0x80;
                        d >>= 7;
                        at += 1;
                    }
                    bytes[at] = d as u8;
                    off[w + 1] = O::from_u64(at as u64 + 1);
                }
            }
        }
        BackPreds { off, bytes }
    }
}

/// Free `pre`'s contents, reuse its buffer for the path-compression values, and compute the
/// semidominators. Returns `semi` (also left in place).
fn drop_pre_and_run<'a, O: Off>(
    preds: BackPreds<O>,
    pre: &mut Vec<u32>,
    semi: &'a mut [u32],
    parent: &[u32],
    ancestor: &mut [u32],
) -> &'a [u32] {
    let big_n = semi.len();
    // `best[x]`: the smallest semidominator on the compressed path from processed x upwards.
    let best = pre;
    best.truncate(big_n);
    best.resize(big_n, 0);
    let mut path: Vec<u32> = Vec::new();
    for w in (1..big_n).rev() {
        let mut sw = semi[w];
        let (lo, hi) = (preds.off[w].to_usize(), preds.off[w + 1].to_usize());
        let mut at = lo;
        let mut v = w as u32;
        while at < hi {
            let mut d = 0u32;
            let mut shift = 0;
            loop {
                let b = preds.bytes[at];
                at += 1;
                d |= u32::from(b & 0x7f) << shift;
                if b < 0x80 {
                    break;
                }
                shift += 7;
            }
            v += d;
            // v > w was processed: the smallest semidominator on its forest path.
            let s = eval(v, w as u32, ancestor, best, &mut path);
            if s < sw {
                sw = s;
            }
        }
        semi[w] = sw;
        best[w] = sw;
        ancestor[w] = parent[w];
    }
    semi
}

/// Lengauer–Tarjan's simple EVAL with iterative path compression. A node is linked into the
/// forest once processed, i.e. exactly when its preorder exceeds the current `w`, so no
/// "unlinked" marker is needed.
#[inline]
fn eval(v: u32, w: u32, ancestor: &mut [u32], best: &mut [u32], path: &mut Vec<u32>) -> u32 {
    path.clear();
    let mut x = v;
    // Climb while the ancestor is itself linked; the last node's ancestor is a forest root.
    while ancestor[x as usize] > w {
        path.push(x);
        x = ancestor[x as usize];
    }
    while let Some(y) = path.pop() {
        let a = ancestor[y as usize] as usize;
        if best[a] < best[y as usize] {
            best[y as usize] = best[a];
        }
        ancestor[y as usize] = ancestor[a];
    }
    best[v as usize]
}

/// Retained size of every node (0 for unreached nodes): one pass in reverse preorder, adding
/// each node's retained size to its immediate dominator.
pub fn retained_sizes(g: &HeapGraph, dom: &DomTree) -> Vec<u64> {
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

/// Children lists of the dominator tree (CSR); the super-root's children are at index `n`.
pub struct DomChildren {
    pub offsets: Vec<u32>,
    pub children: Vec<u32>,
}

impl DomChildren {
    pub fn build(dom: &DomTree) -> DomChildren {
        let n = dom.idom.len();
        let slot = |d: u32| if d == SUPER { n } else { d as usize };
        let mut offsets = vec![0u32; n + 2];
        for &v in &dom.order {
            offsets[slot(dom.idom[v as usize]) + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut fill = offsets.clone();
        let mut children = vec![0u32; dom.order.len()];
        for &v in &dom.order {
            let s = slot(dom.idom[v as usize]);
            children[fill[s] as usize] = v;
            fill[s] += 1;
        }
        DomChildren { offsets, children }
    }
    /// Children of `node`; pass `n` (the node count) for the super-root's.
    pub fn of(&self, node: usize) -> &[u32] {
        &self.children[self.offsets[node] as usize..self.offsets[node + 1] as usize]
    }
}
