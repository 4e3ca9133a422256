//! Which edges retain, after memlab's port of Chrome DevTools' heap snapshot worker
//! (`computeIsEssentialEdge`):
//!
//! - `weak` edges never retain;
//! - `shortcut` edges retain only from the synthetic root (node 0), where they mark user roots
//!   such as `global`; elsewhere they are shorthands V8 adds (bound functions, …);
//! - an edge from a node that is not "page-owned" into a page-owned node does not retain, so
//!   that garbage and debugger-held objects do not perturb the dominators of live objects.
//!   Page-owned, as memlab computes it: reachable from the root's non-shortcut edges (skipping
//!   an element edge to `(Document DOM trees)`) through non-weak edges.
//!
//! Nodes that no retaining path reaches hang below the super-root (`Orphans::AttachAll`);
//! memlab attaches them below the synthetic root instead, see the module docs of `v8`.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::dominators::prefetch;
use heapscope_graph::{EdgePos, WEAK_BIT};

use super::raw::RawSnapshot;

/// Mark (with [`WEAK_BIT`]) the edges from non-page-owned into page-owned nodes. The parser has
/// already marked weak edges and shortcut edges not from the root. `offsets` and `targets` are
/// the finished graph's CSR. Returns how many it marked.
pub(crate) fn drop_unowned_into_owned(
    raw: &RawSnapshot,
    offsets: &[EdgePos],
    targets: &mut [u32],
    input: &[u8],
) -> u64 {
    drop_with(raw, offsets, targets, input, owned_closure)
}

/// The walk that finds the page-owned nodes, given its start.
type Closure = fn(&mut BitSet, Vec<u32>, &[EdgePos], &[u32], &BitSet);

/// [`drop_unowned_into_owned`] with the page-owned walk `closure`.
fn drop_with(
    raw: &RawSnapshot,
    offsets: &[EdgePos],
    targets: &mut [u32],
    input: &[u8],
    closure: Closure,
) -> u64 {
    let edge_range = |v: usize| offsets[v] as usize..offsets[v + 1] as usize;
    let m = &raw.meta;
    let ty = |name: &str| m.edge_types.iter().position(|t| t == name).map(|p| p as u8);
    let (shortcut, element) = (ty("shortcut"), ty("element"));
    let synthetic = m
        .node_types
        .iter()
        .position(|t| t == "synthetic")
        .map(|p| p as u8);
    let n = offsets.len().saturating_sub(1);
    let mut page = BitSet::new(n);
    let mut stack: Vec<u32> = Vec::new();
    for &(t, to) in &raw.root_edges {
        if Some(t) == shortcut {
            continue;
        }
        if Some(t) == element
            && Some(raw.node_type[to as usize]) == synthetic
            && raw
                .node_name(input, to as usize)
                .is_some_and(|name| raw.raw_str(input, name) == b"(Document DOM trees)")
        {
            continue;
        }
        if !page.get(to as usize) {
            page.set(to as usize);
            stack.push(to);
        }
    }
    // Everything reachable over non-weak edges; shortcut edges count here (their weak bit only
    // says they do not retain).
    closure(&mut page, stack, offsets, targets, &raw.shortcut);
    let mut marked = 0;
    for v in 1..n {
        if page.get(v) {
            continue;
        }
        for e in edge_range(v) {
            let t = targets[e];
            if t & WEAK_BIT == 0 && page.get(t as usize) {
                targets[e] = t | WEAK_BIT;
                marked += 1;
            }
        }
    }
    marked
}

/// Nodes taken off the stack at a time by [`owned_closure`].
const BATCH: usize = 256;

/// At most this many targets wait for their bits (a batch with a node of millions of edges
/// takes them in pieces: 16 KiB).
const FOUND: usize = 4096;

/// Add to `page` every node reachable from `stack` (whose nodes are in `page`) over edges
/// without the weak bit or in `shortcut`. Which nodes are reached does not depend on the order
/// they are visited in, so the walk goes in index order first: up to [`SWEEPS`] sweeps over
/// the nodes found and not yet read (`todo`, 1 bit per node), each reading their edges in
/// the order of the CSR; a target found ahead of a sweep is read by that sweep, one behind it
/// (and not in the word of 64 nodes the sweep reads) by the next. V8 numbers nodes roughly in
/// discovery order, so most nodes are found from a node before them, and a sweep reads
/// `offsets` and `targets` front to back instead of at random (1 GB Node 20 snapshot: 8.9 M of
/// the 12.7 M nodes in `page` after the first sweep, 1.5 M of them still to read; four sweeps
/// in all, the pass's CPU −25 %). The nodes still unread after the last sweep (a chain numbered
/// backwards needs a sweep per 64 links) are walked ([`walk_from`]). Each node in `page` has
/// its edges read once. Memory: `todo` (1 bit per node), the walk's stack (each node pushed at
/// most once) and [`FOUND`] targets.
fn owned_closure(
    page: &mut BitSet,
    stack: Vec<u32>,
    offsets: &[EdgePos],
    targets: &[u32],
    shortcut: &BitSet,
) {
    let mut todo = vec![0u64; page.words().len()];
    for v in stack {
        if let Some(w) = todo.get_mut(v as usize / 64) {
            *w |= 1 << (v % 64);
        }
    }
    for _ in 0..SWEEPS {
        if todo.iter().all(|&w| w == 0) {
            return;
        }
        sweep(page, &mut todo, offsets, targets, shortcut);
    }
    let mut stack = Vec::new();
    for (w, &bits) in todo.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            stack.push((w * 64) as u32 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
    drop(todo);
    walk_from(page, stack, offsets, targets, shortcut);
}

/// At most this many sweeps in index order before [`owned_closure`] walks the rest.
const SWEEPS: usize = 8;

/// One sweep of [`owned_closure`]: the edges of every node in `todo`, in index order, each
/// taken out of `todo` when read; each target not yet in `page` is added to `page` and to
/// `todo` (read later in this sweep if it lies ahead or in the word of 64 nodes the sweep
/// reads, else by the next).
fn sweep(
    page: &mut BitSet,
    todo: &mut [u64],
    offsets: &[EdgePos],
    targets: &[u32],
    shortcut: &BitSet,
) {
    let n = offsets.len().saturating_sub(1);
    let mut w = 0;
    while w < todo.len() {
        let bits = todo[w];
        if bits == 0 {
            w += 1;
            continue;
        }
        todo[w] = bits & (bits - 1);
        let at = w * 64 + bits.trailing_zeros() as usize;
        if at >= n {
            continue;
        }
        let (s, e) = (offsets[at] as usize, offsets[at + 1] as usize);
        for (raw_t, edge) in targets.get(s..e).unwrap_or(&[]).iter().zip(s..) {
            if raw_t & WEAK_BIT != 0 && !shortcut.get(edge) {
                continue;
            }
            let to = (raw_t & !WEAK_BIT) as usize;
            if !page.get(to) && to < n {
                page.set(to);
                todo[to / 64] |= 1 << (to % 64);
            }
        }
    }
}

/// The batched walk of [`owned_closure`] from `stack` (whose nodes are in `page`).
fn walk_from(
    page: &mut BitSet,
    mut stack: Vec<u32>,
    offsets: &[EdgePos],
    targets: &[u32],
    shortcut: &BitSet,
) {
    let mut ranges = [(0usize, 0usize); BATCH];
    let mut found: Vec<u32> = Vec::with_capacity(FOUND);
    let take = |found: &mut Vec<u32>, page: &mut BitSet, stack: &mut Vec<u32>| {
        for &to in found.iter() {
            if !page.get(to as usize) {
                page.set(to as usize);
                stack.push(to);
            }
        }
        found.clear();
    };
    while !stack.is_empty() {
        let base = stack.len().saturating_sub(BATCH);
        let batch = &stack[base..];
        for &v in batch {
            prefetch(offsets, v as usize + 1);
        }
        for (r, &v) in ranges.iter_mut().zip(batch) {
            let (s, e) = (
                offsets[v as usize] as usize,
                offsets[v as usize + 1] as usize,
            );
            prefetch(targets, s);
            prefetch(targets, e.wrapping_sub(1));
            *r = (s, e);
        }
        let k = batch.len();
        stack.truncate(base);
        for &(s, e) in &ranges[..k] {
            for (raw_t, at) in targets.get(s..e).unwrap_or(&[]).iter().zip(s..) {
                if raw_t & WEAK_BIT != 0 && !shortcut.get(at) {
                    continue;
                }
                let to = raw_t & !WEAK_BIT;
                prefetch(page.words(), to as usize / 64);
                found.push(to);
                if found.len() == FOUND {
                    take(&mut found, page, &mut stack);
                }
            }
        }
        take(&mut found, page, &mut stack);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The walk as it was, one node at a time: the reference for [`owned_closure`].
    fn plain_closure(
        page: &mut BitSet,
        mut stack: Vec<u32>,
        offsets: &[EdgePos],
        targets: &[u32],
        shortcut: &BitSet,
    ) {
        while let Some(v) = stack.pop() {
            let (s, end) = (
                offsets[v as usize] as usize,
                offsets[v as usize + 1] as usize,
            );
            for (e, &raw_t) in targets[..end].iter().enumerate().skip(s) {
                if raw_t & WEAK_BIT != 0 && !shortcut.get(e) {
                    continue;
                }
                let to = (raw_t & !WEAK_BIT) as usize;
                if !page.get(to) {
                    page.set(to);
                    stack.push(to as u32);
                }
            }
        }
    }

    /// A small deterministic generator for the v8 tests (no crate needed).
    pub(crate) struct Lcg(pub(crate) u64);

    impl Lcg {
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// Random graphs (some nodes with thousands of edges, so batches and the pending targets
    /// fill up and are taken in pieces; weak edges, some of them shortcuts): the batched walk
    /// reaches exactly the nodes the plain one reaches.
    #[test]
    fn batched_walk_reaches_what_a_plain_dfs_reaches() {
        let mut rng = Lcg(7);
        for round in 0..40u64 {
            let n = [1, 2, 17, 300, 5_000, 40_000][round as usize % 6];
            let mut offsets: Vec<EdgePos> = vec![0];
            let mut targets: Vec<u32> = Vec::new();
            for _ in 0..n {
                let degree = match rng.below(100) {
                    0 => rng.below(3 * FOUND as u64),
                    1..=30 => 0,
                    _ => rng.below(6),
                };
                for _ in 0..degree {
                    let to = rng.below(n as u64) as u32;
                    let weak = rng.below(100) < round * 2;
                    targets.push(if weak { to | WEAK_BIT } else { to });
                }
                offsets.push(targets.len() as EdgePos);
            }
            let mut shortcut = BitSet::new(targets.len());
            for e in 0..targets.len() {
                if rng.below(4) == 0 {
                    shortcut.set(e);
                }
            }
            let mut roots = Vec::new();
            let mut page = BitSet::new(n);
            for _ in 0..=rng.below(5) {
                let r = rng.below(n as u64) as usize;
                if !page.get(r) {
                    page.set(r);
                    roots.push(r as u32);
                }
            }
            let mut want = page.clone();
            plain_closure(&mut want, roots.clone(), &offsets, &targets, &shortcut);
            owned_closure(&mut page, roots, &offsets, &targets, &shortcut);
            assert_eq!(page.words(), want.words(), "round {round}, {n} nodes");
            if round == 5 {
                assert!(want.count() > BATCH, "a walk longer than one batch");
            }
        }
    }

    /// A CSR from adjacency lists (no weak edges unless a target has [`WEAK_BIT`]).
    fn csr(lists: &[Vec<u32>]) -> (Vec<EdgePos>, Vec<u32>) {
        let mut offsets: Vec<EdgePos> = vec![0];
        let mut targets = Vec::new();
        for l in lists {
            targets.extend_from_slice(l);
            offsets.push(targets.len() as EdgePos);
        }
        (offsets, targets)
    }

    /// One sweep reads, in index order, every node found and every node found ahead of it
    /// (nodes here are 64 apart: a node found behind the sweep but in the word it reads is
    /// read too), and leaves exactly the nodes found behind it for the next.
    #[test]
    fn a_sweep_reads_ahead_and_leaves_what_is_behind() {
        // 0 -> 5 -> 7 -> 2 -> 9 -> 3; 7 -> 1 (weak); 9 -> 8; node k is 64 k.
        let mut lists = vec![Vec::new(); 640];
        let at = |k: u32| (64 * k) as usize;
        for (from, to) in [(0, 5), (5, 7), (7, 2), (7, 1), (2, 9), (9, 3), (9, 8)] {
            let weak = if (from, to) == (7, 1) { WEAK_BIT } else { 0 };
            lists[at(from)].push(at(to) as u32 | weak);
        }
        let (offsets, targets) = csr(&lists);
        let shortcut = BitSet::new(targets.len());
        let set = |ks: &[u32]| {
            let mut b = BitSet::new(640);
            ks.iter().for_each(|&k| b.set(at(k)));
            b.words().to_vec()
        };
        let mut page = BitSet::from_words(set(&[0]));
        let mut todo = set(&[0]);
        sweep(&mut page, &mut todo, &offsets, &targets, &shortcut);
        // 0, 5 and 7 read; 2, found behind 7, waits.
        assert_eq!(page.words(), set(&[0, 5, 7, 2]));
        assert_eq!(todo, set(&[2]));
        sweep(&mut page, &mut todo, &offsets, &targets, &shortcut);
        // 2 read, then 9, found ahead of it; 3 and 8, found behind 9, wait.
        assert_eq!(page.words(), set(&[0, 5, 7, 2, 9, 3, 8]));
        assert_eq!(todo, set(&[3, 8]));
        sweep(&mut page, &mut todo, &offsets, &targets, &shortcut);
        assert_eq!(todo, set(&[]));
        assert_eq!(page.count(), 7, "the weak edge to 1 is not followed");
    }

    /// Chains numbered forwards (one sweep reads them), backwards (64 links per sweep, so the
    /// walk takes the rest after `SWEEPS`) and alternating, across word boundaries, and random
    /// graphs under a random numbering: the set is the plain walk's.
    #[test]
    fn sweeps_then_walk_reach_what_a_plain_dfs_reaches_in_any_numbering() {
        let n = 1000usize;
        let chain = |order: &[usize]| {
            let mut lists = vec![Vec::new(); n];
            for pair in order.windows(2) {
                lists[pair[0]].push(pair[1] as u32);
            }
            lists
        };
        let forwards: Vec<usize> = (0..n).collect();
        let backwards: Vec<usize> = (0..n).rev().collect();
        let alternating: Vec<usize> = (0..n / 2).flat_map(|i| [i, n - 1 - i]).collect();
        let mut rng = Lcg(11);
        let mut random = vec![Vec::new(); n];
        for l in random.iter_mut() {
            for _ in 0..rng.below(4) {
                l.push(rng.below(n as u64) as u32);
            }
        }
        for (what, lists) in [
            ("forwards", chain(&forwards)),
            ("backwards", chain(&backwards)),
            ("alternating", chain(&alternating)),
            ("random", random),
        ] {
            let (offsets, targets) = csr(&lists);
            let shortcut = BitSet::new(targets.len());
            let root = match what {
                "backwards" => n - 1,
                _ => 0,
            };
            let mut want = BitSet::new(n);
            want.set(root);
            let mut got = want.clone();
            plain_closure(&mut want, vec![root as u32], &offsets, &targets, &shortcut);
            owned_closure(&mut got, vec![root as u32], &offsets, &targets, &shortcut);
            assert_eq!(got.words(), want.words(), "{what}");
            if what != "random" {
                assert_eq!(want.count(), n, "{what}: the chain is reached whole");
            }
        }
    }

    /// On every committed Node snapshot (every major, WeakMap/WeakSet ephemeron and weak
    /// edges included): the same edges marked, with the batched walk as with the plain one.
    #[test]
    fn batched_walk_marks_what_the_plain_one_marks_on_real_snapshots() {
        use crate::v8::raw::{self, Mode};
        use crate::v8::{Compat, POLICY};
        use heapscope_graph::{GraphBuilder, NodeIdx};
        let (mut seen, mut marked_somewhere, mut weak_somewhere) = (0, false, false);
        for (path, bytes) in crate::v8::tests::node_fixtures() {
            let mut b = GraphBuilder::new();
            let raw = raw::parse(&bytes, &mut b, Compat::DevTools, Mode::Parallel).unwrap();
            b.add_root_idx(NodeIdx(0), "root", None);
            let g = b.finish_in_memory(POLICY);
            let mut plain = g.targets.to_vec();
            let mut batched = g.targets.to_vec();
            weak_somewhere |= plain.iter().any(|t| t & WEAK_BIT != 0);
            let want = drop_with(&raw, &g.offsets, &mut plain, &bytes, plain_closure);
            let got = drop_unowned_into_owned(&raw, &g.offsets, &mut batched, &bytes);
            assert_eq!((got, &batched), (want, &plain), "{}", path.display());
            marked_somewhere |= want > 0;
            seen += 1;
        }
        assert!(seen >= 10, "Node fixtures found: {seen}");
        assert!(
            weak_somewhere && marked_somewhere,
            "fixtures that exercise the pass"
        );
    }
}
