//! What a dominator subtree holds, per type, in one walk: objects, shallow bytes, the least
//! depth in levels (a level per node of a type that counts as one, see [`tally_below`]) and
//! MAT's minimum retained size (the retained sizes of the type's instances that no other
//! instance below the start dominates, as `walks::min_retained_by`). What [`super::objects`]
//! lists as accumulated below an accumulation point.
//!
//! The subtree may hold most of the heap (tens of millions of nodes), so the walk is split
//! across the cores by `walks::Split`, as the retained sizes are: the top few levels below the
//! start are counted here first, each node with its depth and the types of its ancestors, and
//! the runs of sibling subtrees below them are walked by the cores, each run started with the
//! state a single walk would have at the siblings' parent (its depth, and the types on its path
//! on the walker's rows), so every walker counts a node exactly as a single walk would; sums
//! and minima are merged at the end, so the result does not depend on which core walked what.
//! Explicit stacks, no recursion: 12 B per tree level being walked that still has children to
//! walk; the levels that have none left (a linked list's links, whose next link is their last
//! child) are folded, one entry per run of a type, so a 12 M-deep list takes a few entries, not
//! 144 MB. Per walker one row of 32 B per type; at most one walker per core; 4 B per node of
//! the top for its depths.

use heapscope_graph::dominators::prefetch;
use heapscope_graph::walks::{Parallel, Split, Start};
use heapscope_graph::{Analysis, NodeIdx};

/// Per type, what the walk found below the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TypeTally {
    /// Objects (a call-tree node's `counts`, else 1 per node).
    pub count: u64,
    pub shallow: u64,
    /// MAT's minimum retained size below the start.
    pub min_retained: u64,
    /// Least depth in levels; `u32::MAX` when the type is not below the start.
    pub depth: u32,
    /// Objects of the type at that least depth (the map's 5 entries, not the 105,523 objects of
    /// their type inside them): what MAT's "accumulated objects by class" counts.
    pub at_depth: u64,
    /// Nodes of the type on the walker's current path (walk state, 0 when a walk is done).
    on_path: u32,
}

const UNSEEN: TypeTally = TypeTally {
    count: 0,
    shallow: 0,
    min_retained: 0,
    depth: u32::MAX,
    at_depth: 0,
    on_path: 0,
};

impl TypeTally {
    /// Add `n` objects at depth `d` to the count at the least depth.
    #[inline(always)]
    fn at(&mut self, d: u32, n: u64) {
        if d < self.depth {
            (self.depth, self.at_depth) = (d, n);
        } else if d == self.depth {
            self.at_depth += n;
        }
    }
}

impl TypeTally {
    /// Is the type below the start at all?
    pub fn seen(&self) -> bool {
        self.depth != u32::MAX
    }
}

/// The subtree is split only when the start retains at least this much: below it one walker
/// is faster than handing out runs.
const SPLIT_MIN_BYTES: u64 = 16 << 20;

/// One level of a walk: the node, the position of its next child in the children lists, and
/// its depth.
#[derive(Clone, Copy)]
struct Frame {
    node: u32,
    pos: u32,
    depth: u32,
}

/// The columns a walk reads, as slices.
struct Cols<'a> {
    offsets: &'a [u32],
    children: &'a [u32],
    type_of: &'a [u32],
    shallow: &'a [u64],
    retained: &'a [u64],
    /// Objects per node (call trees); empty: 1 each.
    counts: &'a [u64],
    /// Per type, 1 if a node of it is a level, else 0.
    level: &'a [u8],
}

impl Cols<'_> {
    /// Count node `c`, whose parent is at depth `d`: its type and depth. `rows[t].on_path` is
    /// not changed (a leaf is entered and left at once).
    #[inline(always)]
    fn count(&self, rows: &mut [TypeTally], c: usize, d: u32) -> (usize, u32) {
        let t = self.type_of[c] as usize;
        let d = d + u32::from(self.level[t]);
        let r = &mut rows[t];
        let n = if self.counts.is_empty() {
            1
        } else {
            self.counts.get(c).copied().unwrap_or(1)
        };
        r.count += n;
        r.shallow += self.shallow[c];
        r.at(d, n);
        if r.on_path == 0 {
            r.min_retained += self.retained[c];
        }
        (t, d)
    }

    /// Step from `cur` down to `child` (node, first child's position, depth): `cur` stays on `stack` to come back to, or is folded
    /// when it has no children left (`finished`).
    #[inline(always)]
    fn descend(
        &self,
        stack: &mut Vec<Frame>,
        cur: &mut Frame,
        finished: bool,
        child: (u32, u32, u32),
    ) {
        if finished {
            fold(stack, self.type_of[cur.node as usize]);
        } else {
            stack.push(*cur);
        }
        let (node, pos, depth) = child;
        *cur = Frame { node, pos, depth };
    }

    /// Prefetch for the siblings [`AHEAD`] and `AHEAD / 2` places after position `at` of a list
    /// that ends at `end`: the lines `count` and the descent read (type, sizes, offsets), then
    /// the children list of the nearer one. In hash-ordered tables siblings lie far apart in
    /// memory and each subtree is small, so the lines arrive while the walk is below the
    /// current sibling (as in the retained sizes' walk, `graph::dominators`). Results unchanged.
    #[inline(always)]
    fn ask_ahead(&self, at: usize, end: usize) {
        if at + AHEAD < end {
            let a = self.children[at + AHEAD] as usize;
            prefetch(self.type_of, a);
            prefetch(self.offsets, a);
            prefetch(self.shallow, a);
            prefetch(self.retained, a);
        }
        if at + AHEAD / 2 < end {
            let a = self.children[at + AHEAD / 2] as usize;
            prefetch(self.children, self.offsets[a] as usize);
        }
    }

    /// Walk the whole subtrees of `node`'s children at positions `from..to`, `node` being at
    /// depth `d` with the types of its path (below the start) already on `rows`' path.
    fn walk(
        &self,
        rows: &mut [TypeTally],
        stack: &mut Vec<Frame>,
        node: u32,
        from: u32,
        to: u32,
        d: u32,
    ) {
        let base = stack.len();
        let mut cur = Frame {
            node,
            pos: from,
            depth: d,
        };
        let mut end = to;
        loop {
            if cur.pos == end {
                if stack.len() == base {
                    return;
                }
                // `cur` is done: leave it, and the finished levels folded above its parent.
                rows[self.type_of[cur.node as usize] as usize].on_path -= 1;
                while let Some(up) = stack.pop() {
                    if up.node == DONE {
                        rows[up.pos as usize].on_path -= up.depth;
                    } else {
                        cur = up;
                        break;
                    }
                }
                end = if stack.len() == base {
                    to
                } else {
                    self.offsets[cur.node as usize + 1]
                };
                continue;
            }
            self.ask_ahead(cur.pos as usize, end as usize);
            let c = self.children[cur.pos as usize];
            cur.pos += 1;
            let (t, dc) = self.count(rows, c as usize, cur.depth);
            let (s, e) = (self.offsets[c as usize], self.offsets[c as usize + 1]);
            if s < e {
                rows[t].on_path += 1;
                let finished = cur.pos == end && stack.len() > base;
                self.descend(stack, &mut cur, finished, (c, s, dc));
                end = e;
            }
        }
    }
}

/// How many siblings ahead [`Cols::ask_ahead`] prefetches.
const AHEAD: usize = 8;

/// A [`Frame`] whose `node` is `DONE` stands for `depth` finished levels of type `pos`: nodes
/// whose children have all been taken, each waiting only to be left. Consecutive ones of a
/// type are one entry, so a chain of like nodes (a linked list) takes one entry, not one per
/// link.
const DONE: u32 = u32::MAX;

/// Put a finished level of type `t` on `stack` (folded into the entry on top when alike).
#[inline]
fn fold(stack: &mut Vec<Frame>, t: u32) {
    match stack.last_mut() {
        Some(top) if top.node == DONE && top.pos == t => top.depth += 1,
        _ => stack.push(Frame {
            node: DONE,
            pos: t,
            depth: 1,
        }),
    }
}

/// Per type id, what the dominator subtree of `n` (without `n`) holds; `level[t]` says whether
/// a node of type `t` adds a level to the depth. Splits the walk across the cores when the
/// subtree is large (see the module documentation); the result is the same either way.
pub(crate) fn tally_below(a: &Analysis, n: NodeIdx, level: &[u8]) -> Vec<TypeTally> {
    tally_below_split(a, n, level, SPLIT_MIN_BYTES).0
}

/// [`tally_below`], split when `n` retains at least `split_min` bytes; also how many nodes of
/// the top were cut off (none when not split).
fn tally_below_split(
    a: &Analysis,
    n: NodeIdx,
    level: &[u8],
    split_min: u64,
) -> (Vec<TypeTally>, usize) {
    let g = &a.graph;
    let cols = Cols {
        offsets: &a.children.offsets,
        children: &a.children.children,
        type_of: &g.type_of,
        shallow: &g.shallow,
        retained: &a.retained,
        counts: &g.counts,
        level,
    };
    let nt = level.len();
    let threads = if a.retained[n.ix()] < split_min {
        1
    } else {
        rayon::current_num_threads()
    };
    let split = Split::new(&a.children, Start::Node(n), Parallel::threads(threads));
    // The types of the top's nodes from index `at` up on `rows`' path (`add`), or off again.
    let on_path = |rows: &mut [TypeTally], at: u32, add: bool| {
        for v in split.path(at) {
            let r = &mut rows[cols.type_of[v as usize] as usize];
            r.on_path = if add { r.on_path + 1 } else { r.on_path - 1 };
        }
    };
    // The top, parents first: each node counted with its ancestors' types on the path; its
    // depth kept for the nodes and runs below it.
    let mut rows = vec![UNSEEN; nt];
    let mut depth: Vec<u32> = Vec::with_capacity(split.top().len());
    for t in split.top() {
        let d = depth.get(t.parent as usize).copied().unwrap_or(0);
        on_path(&mut rows, t.parent, true);
        let (_, dc) = cols.count(&mut rows, t.node as usize, d);
        on_path(&mut rows, t.parent, false);
        depth.push(dc);
    }
    let parts = split.walk(
        || (vec![UNSEEN; nt], Vec::new()),
        |(rows, stack), run| {
            let d = depth.get(run.top as usize).copied().unwrap_or(0);
            on_path(rows, run.top, true);
            cols.walk(rows, stack, run.parent, run.from, run.to, d);
            on_path(rows, run.top, false);
        },
    );
    for (other, _) in parts {
        for (r, o) in rows.iter_mut().zip(other) {
            r.count += o.count;
            r.shallow += o.shallow;
            r.min_retained += o.min_retained;
            if o.seen() {
                r.at(o.depth, o.at_depth);
            }
        }
    }
    (rows, split.top().len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests::{analyse, Rng};
    use heapscope_graph::walks::Start;
    use heapscope_graph::{DomWalk, GraphBuilder, NodeKind, Step};

    /// A heap with the shapes that make a walk deep or wide: a root holding a chain (each link
    /// with an item), an array of many small objects (some with a child), and a random cluster
    /// with shared references (so not every edge is a dominator-tree edge). Shallow sizes are
    /// large enough that the start retains far more than the split needs.
    fn heap(seed: u64, chain: usize, wide: usize, cluster: usize, types: u32) -> Analysis {
        let mut r = Rng(seed | 1);
        let mut b = GraphBuilder::new();
        let ts: Vec<_> = (0..types)
            .map(|i| b.intern_type(&format!("T{i}")))
            .collect();
        let mut edges: Vec<Vec<u32>> = Vec::new();
        let node = |b: &mut GraphBuilder, edges: &mut Vec<Vec<u32>>, r: &mut Rng| {
            let t = ts[r.below(ts.len() as u64) as usize];
            let n = b.add_node(
                0x1000 + 16 * edges.len() as u64,
                t,
                NodeKind::Object,
                1 + r.below(8192),
            );
            edges.push(Vec::new());
            n.0
        };
        let root = node(&mut b, &mut edges, &mut r);
        b.add_root_idx(NodeIdx(root), "static", None);
        let mut prev = root;
        for _ in 0..chain {
            let link = node(&mut b, &mut edges, &mut r);
            let item = node(&mut b, &mut edges, &mut r);
            edges[prev as usize].push(link);
            edges[link as usize].push(item);
            prev = link;
        }
        let arr = node(&mut b, &mut edges, &mut r);
        edges[root as usize].push(arr);
        for _ in 0..wide {
            let x = node(&mut b, &mut edges, &mut r);
            edges[arr as usize].push(x);
            for _ in 0..r.below(3) {
                let y = node(&mut b, &mut edges, &mut r);
                edges[x as usize].push(y);
            }
        }
        let first = edges.len() as u32;
        for _ in 0..cluster {
            node(&mut b, &mut edges, &mut r);
        }
        edges[root as usize].push(first);
        for i in first..first + cluster as u32 {
            for _ in 0..1 + r.below(3) {
                let j = first + r.below(cluster as u64) as u32;
                if j != i {
                    edges[i as usize].push(j);
                }
            }
        }
        analyse(b, &edges)
    }

    /// The simple walk: every node of the subtree entered and left with its depth and type on
    /// an explicit path; minimum retained sizes by `walks::min_retained_by`.
    fn naive(a: &Analysis, n: NodeIdx, level: &[u8]) -> Vec<TypeTally> {
        let g = &a.graph;
        let nt = level.len();
        let mut rows = vec![UNSEEN; nt];
        let mut path: Vec<u32> = Vec::new();
        for step in DomWalk::new(&a.children, Start::Node(n)) {
            match step {
                Step::Enter(c) => {
                    let t = g.type_of[c as usize] as usize;
                    let d = path.last().copied().unwrap_or(0) + u32::from(level[t]);
                    rows[t].count += g.count(NodeIdx(c));
                    rows[t].shallow += g.shallow[c as usize];
                    if d < rows[t].depth {
                        (rows[t].depth, rows[t].at_depth) = (d, g.count(NodeIdx(c)));
                    } else if d == rows[t].depth {
                        rows[t].at_depth += g.count(NodeIdx(c));
                    }
                    path.push(d);
                }
                Step::Leave(_) => {
                    path.pop();
                }
            }
        }
        let min = a.min_retained_by(Start::Node(n), nt, |x| g.type_of[x as usize]);
        for (r, m) in rows.iter_mut().zip(min) {
            r.min_retained = m;
        }
        rows
    }

    /// Split over several threads (and not split, on one) the tally equals the simple walk's,
    /// below the root, the chain's links, the array and random nodes; the split did cut off
    /// tops.
    #[test]
    fn split_tally_equals_the_simple_walk() {
        let pool = |k| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .expect("thread pool")
        };
        let (many, one) = (pool(3), pool(1));
        let mut cut = 0;
        let mut compared = 0;
        for (seed, chain, wide, cluster, types) in [
            (1, 3000, 20_000, 2000, 7),
            (2, 20_000, 10, 500, 3),
            (3, 10, 50_000, 5000, 12),
            (4, 500, 500, 30_000, 5),
        ] {
            let a = heap(seed, chain, wide, cluster, types);
            let mut r = Rng(seed * 7919);
            let level: Vec<u8> = (0..a.graph.types.len()).map(|_| r.below(2) as u8).collect();
            let mut starts: Vec<u32> = vec![0, 1, 3, 2 * chain as u32 + 1];
            starts.extend((0..20).map(|_| r.below(a.graph.node_count() as u64) as u32));
            for v in starts.into_iter().filter(|&v| a.dom.is_reachable(v)) {
                let n = NodeIdx(v);
                let want = naive(&a, n, &level);
                let (split, k) = many.install(|| tally_below_split(&a, n, &level, 0));
                cut += k;
                assert_eq!(split, want, "split walk below node {v} (seed {seed})");
                let (single, k) = one.install(|| tally_below_split(&a, n, &level, 0));
                assert_eq!(
                    (single, k),
                    (want, 0),
                    "one thread, below node {v} (seed {seed})"
                );
                compared += 1;
            }
        }
        assert!(compared >= 16, "only {compared} starts compared");
        assert!(cut > 100, "the split cut off only {cut} nodes");
    }
}
