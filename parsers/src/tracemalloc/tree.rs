//! The traceback tree of a snapshot, and CPython's `Snapshot.statistics` computed from it.
//!
//! Every traceback (most recent call first in the pickle) is inserted outermost frame first, so a
//! node is one call path from a root frame, and identical tracebacks meet in one node. A node's
//! own bytes and blocks are those of the traces whose traceback ends exactly there.

use std::cmp::Ordering;

use rayon::prelude::*;
use std::collections::HashMap;

use heapscope_graph::calltree::Totals;
use heapscope_graph::dominators::prefetch;
use heapscope_graph::CallTree;

use super::pickle::{Frame, FrameId, Frames, Snapshot, Tracebacks};

pub use heapscope_graph::calltree::NO_PARENT;

/// The traceback tree: a [`CallTree`] whose frame ids are the snapshot's frame ids (each frame is
/// interned by its file name and line, in snapshot order, and the snapshot's frames are already
/// distinct), so `frame()` indexes `Snapshot::frames`. Node ids are the call-tree hash of the
/// frame sequence (key: the file name's bytes, then the line number as 4 little-endian bytes).
#[derive(Debug, Default)]
pub struct TraceTree {
    pub tree: CallTree,
    /// Distinct tracebacks that hold at least one trace.
    pub tracebacks: u64,
}

impl std::ops::Deref for TraceTree {
    type Target = CallTree;
    fn deref(&self) -> &CallTree {
        &self.tree
    }
}

impl TraceTree {
    /// The tree of the tracebacks that hold a trace, numbered in depth-first preorder, a node's
    /// children by source location (file name bytes, then line, then frame id: [`frame_ranks`]),
    /// as sorting every call path of the tree, outermost frame first, a path before the longer
    /// ones it is a prefix of, would number them. The numbering depends on the file's contents
    /// only (not on the order of tracemalloc's hash table), and it is what breaks the report's
    /// ties between nodes of equal retained size (top dominators, a suspect's accumulation
    /// point). Nodes are written into the tree's new columns ([`CallTree::push_new_zeroed`]),
    /// with no lookup; from [`PAR_PATHS`] tracebacks on, the sorted order's two halves on two
    /// cores. The tracebacks are sorted by their
    /// frames outermost first ([`sorted_with_lcp`]); in that order each one shares `lcp` frames
    /// with the one before, whose path's nodes are on a stack (one per depth), so its parent is
    /// the stack's node at that depth and every frame below is a new node, met in preorder.
    pub fn build(s: &Snapshot) -> TraceTree {
        let (mut t, ends) = TraceTree::paths(s);
        t.finish(s, &ends);
        t
    }

    /// The first half of [`TraceTree::build`]: the tree's nodes (parents and frames only, 8 B
    /// per node), and where each traceback that holds a trace ends, `(node, traceback)`, by
    /// node ascending (then traceback: equal tracebacks end at one node). The snapshot's
    /// traceback frames are not read after this: [`TraceTree::finish`] needs only the
    /// tracebacks' totals, so the caller may free the frames (2 or 4 B per frame of every distinct
    /// traceback) before the tree's ids, sizes and counts (24 B per node) are made.
    pub fn paths(s: &Snapshot) -> (TraceTree, Vec<(u32, u32)>) {
        let mut steps = crate::timing::Steps::of(crate::timing::Reader::Tracemalloc);
        TraceTree::paths_timed(s, &mut steps)
    }

    /// [`TraceTree::paths`], its three steps ended on `steps` (`HEAPSCOPE_STATS_TRACEMALLOC`):
    /// "tree: frames interned and ranked", "tree: shared paths (radix)", "tree: paths" (the
    /// chains of new nodes), so that a caller's own steps around it stay disjoint.
    pub(crate) fn paths_timed(
        s: &Snapshot,
        steps: &mut crate::timing::Steps,
    ) -> (TraceTree, Vec<(u32, u32)>) {
        TraceTree::paths_split_from(s, PAR_PATHS, steps)
    }

    /// [`TraceTree::paths_timed`], its sorted order split in two halves from `par` tracebacks
    /// on (tests force either way).
    fn paths_split_from(
        s: &Snapshot,
        par: usize,
        steps: &mut crate::timing::Steps,
    ) -> (TraceTree, Vec<(u32, u32)>) {
        let mut t = TraceTree::default();
        // The frames' keys are interned while the other core ranks them.
        let (live, rank) = rayon::join(
            || {
                let mut key = Vec::new();
                for f in &s.frames {
                    key.clear();
                    let name = s.strings.get(f.file as usize).copied().unwrap_or_default();
                    key.extend_from_slice(name);
                    key.extend_from_slice(&f.lineno.to_le_bytes());
                    t.tree.intern_frame(&key);
                }
                (0..s.traceback_count() as u32)
                    .filter(|&tb| s.tb_count[tb as usize] > 0)
                    .collect::<Vec<u32>>()
            },
            || frame_ranks(s),
        );
        steps.step("tree: frames interned and ranked");
        let (order, lcp) = match s.frames() {
            Frames::Narrow(f) => sorted_with_lcp(s, f, &live, &rank),
            Frames::Wide(f) => sorted_with_lcp(s, f, &live, &rank),
        };
        steps.step("tree: shared paths (radix)");
        // Nodes made: every frame of a traceback past those it shares with the one before.
        // (In traceback order: the frames' offsets read in order, not at random.) The
        // lengths and the sums below on all cores.
        let lens: Vec<u32> = live
            .par_iter()
            .map(|&tb| s.traceback_len(tb) as u32)
            .collect();
        let sum = |v: &[u32]| -> usize { v.par_iter().map(|&l| l as usize).sum() };
        let made = |order: &[u32], lcp: &[u32]| -> usize {
            let (frames, shared) = rayon::join(
                || {
                    order
                        .par_iter()
                        .map(|&i| lens[i as usize] as usize)
                        .sum::<usize>()
                },
                || sum(lcp),
            );
            frames - shared
        };
        let new = sum(&lens) - sum(&lcp);
        // From PAR_PATHS tracebacks on (and fewer than 2^31 nodes), the second half of the
        // sorted order on another core: its nodes (counted from the lengths) follow the
        // first half's, and a parent on the first half's last path is written as its depth
        // with IN_FIRST, put right once that path is known.
        let split = if live.len() >= par.max(2) && new < IN_FIRST as usize {
            live.len() / 2
        } else {
            live.len()
        };
        let second = made(&order[split..], &lcp[split..]);
        let base = new - second;
        let (parent, frame) = t.tree.push_new_zeroed(new);
        let (p1, p2) = parent.split_at_mut(base);
        let (f1, f2) = frame.split_at_mut(base);
        // Where each traceback ends, both halves in one buffer split at the second's first
        // traceback (at most one entry each; zeroed pages, each written by its half), closed
        // up after: no second list of the second half appended to the first's (whose growth
        // copied it, 8 B per traceback transient).
        let mut ends = vec![(0u32, 0u32); live.len()];
        let (e1, e2) = ends.split_at_mut(split);
        let mut halves = |run: &(dyn Chains + Sync)| {
            rayon::join(
                || run.chains(&order[..split], &lcp[..split], Vec::new(), 0, p1, f1, e1),
                || {
                    // The first half's last path, as depths.
                    let path = match split.checked_sub(1).map(|k| order[k]) {
                        Some(i) if split < live.len() => {
                            (0..lens[i as usize]).map(|d| IN_FIRST | d).collect()
                        }
                        _ => Vec::new(),
                    };
                    run.chains(
                        &order[split..],
                        &lcp[split..],
                        path,
                        base as u32,
                        p2,
                        f2,
                        e2,
                    )
                },
            )
        };
        let ((made1, last, _), (made2, _, fix)) = match s.frames() {
            Frames::Narrow(f) => halves(&Run { s, f, live: &live }),
            Frames::Wide(f) => halves(&Run { s, f, live: &live }),
        };
        let resolve = |x: &mut u32| {
            if *x != NO_PARENT && *x & IN_FIRST != 0 {
                *x = last
                    .get((*x & !IN_FIRST) as usize)
                    .copied()
                    .unwrap_or(NO_PARENT);
            }
        };
        // Only where the second half's chains wrote a parent or an end on that path.
        for &k in &fix.parents {
            resolve(&mut p2[k as usize]);
        }
        for &k in &fix.ends {
            resolve(&mut e2[k as usize].0);
        }
        // Close up the gap a half leaves (tracebacks with no frames end at no node).
        ends.copy_within(split..split + made2, made1);
        ends.truncate(made1 + made2);
        t.tracebacks = ends.len() as u64;
        steps.step("tree: paths");
        (t, ends)
    }

    /// The second half of [`TraceTree::build`]: the ids of the nodes, and the totals of each
    /// traceback (`s.tb_size`, `s.tb_count`) at the node where it ends (`ends`, from
    /// [`TraceTree::paths`]).
    pub fn finish(&mut self, s: &Snapshot, ends: &[(u32, u32)]) {
        self.tree.finish_new_in_preorder();
        for &(node, tb) in ends {
            self.tree
                .add(node, s.tb_size[tb as usize], s.tb_count[tb as usize]);
        }
    }

    /// The totals of `ends` (from [`TraceTree::paths`]) by node ascending, one entry per node
    /// (saturating sums), for [`CallTree::into_graph`]: the tree's own size and count columns
    /// then stay zero (24 B per traceback here instead of 16 per node).
    ///
    /// [`TraceTree::paths`] lists the ends by node ascending already: from [`PAR_TOTALS`] ends
    /// on, the list is cut in two at a node boundary and each half summed on its own core into
    /// its part of one buffer (its pages faulted in by both cores, the tracebacks' totals read
    /// at random, asked for ahead), the second half's sums then moved down behind the first's
    /// where equal tracebacks left the first half short. A list out of node order (a caller's
    /// own) is sorted first ([`sort_nearly_sorted`]) and summed on one core.
    pub fn totals(s: &Snapshot, ends: Vec<(u32, u32)>) -> Vec<Totals> {
        TraceTree::totals_split_from(s, ends, PAR_TOTALS)
    }

    /// [`TraceTree::totals`], in two halves from `par` ends on (tests force either way).
    fn totals_split_from(s: &Snapshot, ends: Vec<(u32, u32)>, par: usize) -> Vec<Totals> {
        TraceTree::totals_split_how(s, ends, par).0
    }

    /// [`TraceTree::totals_split_from`], and whether the list had to be sorted first (out of
    /// node order: summed on one core).
    fn totals_split_how(
        s: &Snapshot,
        mut ends: Vec<(u32, u32)>,
        par: usize,
    ) -> (Vec<Totals>, bool) {
        let n = ends.len();
        let mut out: Vec<Totals> = Vec::with_capacity(n);
        let room = &mut out.spare_capacity_mut()[..n];
        // The cut: the first entry of a node, near the middle (none: one half).
        let mut m = if n >= par.max(2) { n / 2 } else { n };
        while m < n && m > 0 && ends[m].0 == ends[m - 1].0 {
            m += 1;
        }
        let (r1, r2) = room.split_at_mut(m);
        let (a, b) = ends.split_at(m);
        let (k1, k2) = if b.is_empty() {
            (sum_by_node(s, a, r1), Some(0))
        } else {
            rayon::join(|| sum_by_node(s, a, r1), || sum_by_node(s, b, r2))
        };
        let in_order = match (a.last(), b.first()) {
            (Some(x), Some(y)) => x.0 < y.0,
            _ => true,
        };
        if let (Some(k1), Some(k2), true) = (k1, k2, in_order) {
            room.copy_within(m..m + k2, k1);
            // SAFETY: `sum_by_node` initialised `room[..k1]` and `room[m..m + k2]`, the latter
            // now copied to `room[k1..k1 + k2]`: the first `k1 + k2` elements are written.
            unsafe { out.set_len(k1 + k2) };
            return (out, false);
        }
        // Out of node order: sorted, then summed on this core.
        sort_nearly_sorted(&mut ends);
        let k = sum_by_node(s, &ends, &mut out.spare_capacity_mut()[..n]);
        debug_assert!(k.is_some(), "a sorted list is in node order");
        // SAFETY: a sorted list is in node order, so `sum_by_node` wrote `k` elements.
        unsafe { out.set_len(k.unwrap_or(0)) };
        (out, true)
    }
}

/// The totals of `ends` (ascending nodes) summed by node into `out` (at least as long as
/// `ends`): how many it wrote, each initialised; `None` (and a meaningless `out`) if a node is
/// below the one before. The tracebacks' totals are read at random: asked for
/// [`TOTALS_AHEAD`] entries ahead.
fn sum_by_node(
    s: &Snapshot,
    ends: &[(u32, u32)],
    out: &mut [std::mem::MaybeUninit<Totals>],
) -> Option<usize> {
    let Some(&(first, _)) = ends.first() else {
        return Some(0);
    };
    let mut w = 0;
    let mut cur: Totals = (first, 0, 0);
    for (k, &(node, tb)) in ends.iter().enumerate() {
        if let Some(&(_, t)) = ends.get(k + TOTALS_AHEAD) {
            prefetch(&s.tb_size, t as usize);
            prefetch(&s.tb_count, t as usize);
        }
        let (size, count) = (s.tb_size[tb as usize], s.tb_count[tb as usize]);
        if node != cur.0 {
            if node < cur.0 {
                return None;
            }
            out[w].write(cur);
            w += 1;
            cur = (node, 0, 0);
        }
        cur.1 = cur.1.saturating_add(size);
        cur.2 = cur.2.saturating_add(count);
    }
    out[w].write(cur);
    Some(w + 1)
}

/// From this many ends on, [`TraceTree::totals`] sums the two halves on two cores.
const PAR_TOTALS: usize = 1 << 15;

/// How many ends ahead [`sum_by_node`] asks for the tracebacks' totals.
const TOTALS_AHEAD: usize = 16;

/// From this many tracebacks on, [`TraceTree::paths`] makes the two halves of the sorted
/// order's nodes on two cores.
const PAR_PATHS: usize = 1 << 15;

/// A parent written as a depth on the first half's last path ([`TraceTree::paths`]).
const IN_FIRST: u32 = 1 << 31;

/// The tracebacks, for [`Run::chains`], their frames `T` wide.
struct Run<'a, 's, T> {
    s: &'a Snapshot<'s>,
    f: Tracebacks<'a, T>,
    live: &'a [u32],
}

/// [`Run::chains`] whatever the frames' width (one call per half of the sorted order).
trait Chains {
    #[allow(clippy::too_many_arguments)]
    fn chains(
        &self,
        order: &[u32],
        lcp: &[u32],
        path: Vec<u32>,
        first: u32,
        parent: &mut [u32],
        frame: &mut [u32],
        ends: &mut [(u32, u32)],
    ) -> (usize, Vec<u32>, Fixes);
}

impl<T: FrameId> Chains for Run<'_, '_, T> {
    /// The nodes of tracebacks `order` (sorted, `lcp` their shared lengths) into `parent`
    /// and `frame`, numbered from `first`: each traceback's frames past those it shares with
    /// the one before are a chain of new nodes below its node at that depth on the previous
    /// path (`path`: at first, the path before `order`). Writes where each traceback ends
    /// (`(node, traceback)`, by node ascending) to the start of `ends` (one slot per
    /// traceback of `order`) and returns how many it wrote, the last path, and where it wrote
    /// a parent or an end taken from `path` as given with [`IN_FIRST`] set ([`Fixes`]; only
    /// while `first` > 0, so that a node number with bit 31 of a tree not made in halves is
    /// never taken for one). Slots it does not reach (none: the caller counted them) keep what
    /// they held.
    #[allow(clippy::too_many_arguments)]
    fn chains(
        &self,
        order: &[u32],
        lcp: &[u32],
        mut path: Vec<u32>,
        first: u32,
        parent: &mut [u32],
        frame: &mut [u32],
        ends: &mut [(u32, u32)],
    ) -> (usize, Vec<u32>, Fixes) {
        let (s, live) = (self.s, self.live);
        let mut fix = Fixes::default();
        let marked = |node: u32| first > 0 && node != NO_PARENT && node & IN_FIRST != 0;
        let mut written = 0usize;
        let mut at = 0usize;
        // In sorted order the tracebacks are met at random: each is three dependent reads far
        // apart (its id, its offsets, its frames), asked for ahead, a stage per distance.
        let ahead = |k: usize| order.get(k).map(|&i| live[i as usize]);
        for (k, (&i, &shared)) in order.iter().zip(lcp).enumerate() {
            if let Some(&j) = order.get(k + 3 * PATHS_AHEAD) {
                prefetch(live, j as usize);
            }
            if let Some(tb) = ahead(k + 2 * PATHS_AHEAD) {
                prefetch(&s.tb_offsets, tb as usize + 1);
            }
            if let Some(tb) = ahead(k + PATHS_AHEAD) {
                let f = self.f.get(tb);
                prefetch(f, 0);
                prefetch(f, f.len().saturating_sub(1));
            }
            let tb = live[i as usize];
            let frames = self.f.get(tb);
            // `shared` is at most the previous path's length and this traceback's.
            let shared = (shared as usize).min(path.len()).min(frames.len());
            path.truncate(shared);
            let mut node = path.last().copied().unwrap_or(NO_PARENT);
            // Every node below the shared path is new (no lookup needed): a chain.
            let below = &frames[..frames.len() - shared];
            let (Some(p), Some(f)) = (
                parent.get_mut(at..at + below.len()),
                frame.get_mut(at..at + below.len()),
            ) else {
                break;
            };
            let c = first + at as u32;
            if !below.is_empty() && marked(node) {
                fix.parents.push(at as u32);
            }
            for (j, (p, (x, &y))) in p
                .iter_mut()
                .zip(f.iter_mut().zip(below.iter().rev()))
                .enumerate()
            {
                *p = if j == 0 { node } else { c + j as u32 - 1 };
                *x = y.id();
            }
            path.extend(c..c + below.len() as u32);
            at += below.len();
            if !below.is_empty() {
                node = c + below.len() as u32 - 1;
            }
            if node != NO_PARENT {
                if let Some(e) = ends.get_mut(written) {
                    if marked(node) {
                        fix.ends.push(written as u32);
                    }
                    *e = (node, tb);
                    written += 1;
                }
            }
        }
        (written, path, fix)
    }
}

/// Where [`Run::chains`] of the second half wrote a node of the first half's last path as its
/// depth with [`IN_FIRST`] set: the chain heads' places in its parent column, the ends'
/// places in its ends (4 B each; a chain head hanging from that path, a traceback equal to
/// the first half's last; a handful in practice), so that only they are put right after,
/// not a pass over the half's columns.
#[derive(Default)]
struct Fixes {
    parents: Vec<u32>,
    ends: Vec<u32>,
}

/// How many tracebacks ahead (per stage) [`TraceTree::paths`] asks for the lines it reads
/// (8 left the offsets' reads waiting: a traceback's chain is written in less than a miss).
const PATHS_AHEAD: usize = 16;

/// Sort `v` (distinct pairs) as `sort_unstable` would, for a list that is nearly sorted
/// already ([`TraceTree::paths`] lists them sorted, node by node in preorder: one pass, nothing
/// moved; a caller's own list of ends may not be). The
/// ascending run (each entry above the last one kept) stays in place, the rest is sorted on its
/// own and merged in from the back: linear but for the few out of order (a comparison sort of
/// all 912 K entries of real-deep350 was 5 % of the run's instructions). Transient: 8 B per
/// entry out of order.
fn sort_nearly_sorted(v: &mut [(u32, u32)]) {
    let mut late: Vec<(u32, u32)> = Vec::new();
    let mut kept = 0;
    for i in 0..v.len() {
        let e = v[i];
        if kept == 0 || v[kept - 1] < e {
            v[kept] = e;
            kept += 1;
        } else {
            late.push(e);
        }
    }
    if late.is_empty() {
        return;
    }
    late.sort_unstable();
    // Merge from the back: slot `w` is free once the larger of the two tails is placed there.
    let (mut i, mut j) = (kept, late.len());
    let mut w = v.len();
    while j > 0 {
        w -= 1;
        if i > 0 && v[i - 1] > late[j - 1] {
            v[w] = v[i - 1];
            i -= 1;
        } else {
            v[w] = late[j - 1];
            j -= 1;
        }
    }
}

/// Groups of at least this many tracebacks are split on another core (rayon).
const PAR_GROUP: usize = 2048;

/// A group of at least this many tracebacks has its shared frames found and its keys read on
/// all cores: the first levels of a snapshot whose tracebacks share long outer paths are a
/// few groups of nearly all of them, which would otherwise be keyed on one core while the
/// other waits (real-deep350: 1.01 G instructions on one of rayon's threads, 0.19 G on the
/// other).
const PAR_KEYS: usize = 1 << 14;

/// Each frame's place among the snapshot's frames sorted by source location (file name bytes,
/// then line; equal ones, never in a snapshot, by id): the order [`sorted_with_lcp`] sorts the
/// tracebacks' frames in, so that siblings in the tree are in source order, a tie-break that
/// does not depend on where tracemalloc's hash table happened to list a traceback (or the
/// snapshot a frame).
///
/// Names are compared only to rank the distinct files ([`file_ranks`]: one sort of the file
/// ids); the frames are then counted out by their file's rank, in id order, and each file's
/// run is sorted by `line << 32 | id`, so no frame compares name bytes (a snapshot of many
/// files had one name comparison per frame comparison). 4 B per frame kept; while made, 8 B per
/// frame (the keys), 12 at the end (the ranks beside them), and 8 B per file (ranks, run starts).
fn frame_ranks(s: &Snapshot) -> Vec<u32> {
    let file_rank = file_ranks(s);
    let ranks = file_rank.iter().max().map_or(0, |&r| r as usize) + 1;
    let rank_of = |file: u32| file_rank.get(file as usize).map_or(0, |&r| r as usize);
    // Counting sort by file rank: `end[r]` is first where rank r's run starts, then (once its
    // frames are placed) where it ends.
    let mut end = vec![0u32; ranks + 1];
    for fr in &s.frames {
        end[rank_of(fr.file) + 1] += 1;
    }
    for r in 1..end.len() {
        end[r] += end[r - 1];
    }
    let mut keys = vec![0u64; s.frames.len()];
    for (id, fr) in s.frames.iter().enumerate() {
        let at = &mut end[rank_of(fr.file)];
        keys[*at as usize] = u64::from(fr.lineno) << 32 | id as u64;
        *at += 1;
    }
    let mut start = 0;
    for &stop in &end[..ranks] {
        keys[start..stop as usize].sort_unstable();
        start = stop as usize;
    }
    let mut rank = vec![0u32; keys.len()];
    for (k, &key) in keys.iter().enumerate() {
        rank[key as u32 as usize] = k as u32;
    }
    rank
}

/// Each file's rank by name bytes, dense: equal names (never in a snapshot) share one, and
/// rank 0 is the empty name's, which is also what a file id past the table (none in a
/// snapshot) reads as. 4 B per file, 8 while made.
fn file_ranks(s: &Snapshot) -> Vec<u32> {
    let mut by_name: Vec<u32> = (0..s.strings.len() as u32).collect();
    by_name.sort_unstable_by(|&a, &b| s.strings[a as usize].cmp(s.strings[b as usize]));
    let mut file_rank = vec![0u32; by_name.len()];
    let (mut rank, mut prev): (u32, &[u8]) = (0, b"");
    for &f in &by_name {
        let name = s.strings[f as usize];
        if name != prev {
            rank += 1;
            prev = name;
        }
        file_rank[f as usize] = rank;
    }
    file_rank
}

/// A frame's rank ([`frame_ranks`]); an id past the table (none in a snapshot) is its own.
#[inline]
fn ranked(rank: &[u32], frame: u32) -> u32 {
    rank.get(frame as usize).copied().unwrap_or(frame)
}

/// The tracebacks `live[i]` in the order of their frames outermost first, frames compared by
/// their source location ([`frame_ranks`]: `rank`; a traceback before the longer ones it is a
/// prefix of; equal ones by index), as `i`, and `lcp[k]`: the frames `order[k - 1]` and
/// `order[k]` share from the outermost on.
///
/// A most-significant-first radix over the frames: a group of tracebacks that share their first
/// `d` frames (in ascending index order) is partitioned stably by frame `d` (one `u32` key per
/// traceback: the frame's rank ([`frame_ranks`]) + 1, 0 where the traceback ends; a count per key, [`Partition`]), and
/// each run of one frame is a group at depth `d + 1`; frames a whole group shares are stepped
/// over without a partition. So each traceback is keyed about once per frame it shares with a
/// neighbour, plus one, and moved only at the frames where its group divides (the comparison
/// sort it replaces compared whole shared prefixes, ~log n times per traceback; the sort by
/// key and index it replaced in turn cost ~log n compares per traceback and level). Groups of
/// [`PAR_GROUP`] or more are handed to rayon. Memory: 16 B per traceback (frame span) + 8
/// (order, lcp) + 8 per traceback of the group being partitioned (keys, the moved copy) + 4 B
/// per frame per worker (the count table).
fn sorted_with_lcp<T: FrameId>(
    s: &Snapshot,
    f: Tracebacks<'_, T>,
    live: &[u32],
    rank: &[u32],
) -> (Vec<u32>, Vec<u32>) {
    let n = live.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut lcp = vec![0u32; n];
    // A frame id is at most u32::MAX - 1 while there are fewer than 2^32 - 1 frames, so
    // frame + 1 fits above the index; past that (never in practice), the comparison sort.
    if s.frames.len() >= u32::MAX as usize || n >= u32::MAX as usize {
        return sorted_with_lcp_by_comparison(f, live, rank);
    }
    // On all cores: 16 B per traceback of fresh pages, faulted in by both.
    let span: Vec<&[T]> = live.par_iter().map(|&tb| f.get(tb)).collect();
    let g = Groups {
        span: &span,
        keys: s.frames.len() + 1,
        rank,
    };
    rayon::scope(|scope| g.split(scope, &mut order, &mut lcp, 0));
    (order, lcp)
}

/// The `live` tracebacks' frames, for [`sorted_with_lcp`].
struct Groups<'s, T> {
    span: &'s [&'s [T]],
    /// Radix keys are below this (the snapshot's frames + 1): the size of a dense count table.
    keys: usize,
    /// Each frame's rank ([`frame_ranks`]): frames are ordered by it.
    rank: &'s [u32],
}

/// The second window of [`Groups::shared_with`] (after the one depth where groups most often
/// divide) spans this many depths.
const FIRST_WIDE: usize = 64;

/// How many members of a group ahead (per stage: the span, then the frame) the radix asks for
/// the lines its keys read ([`Groups::fill_keys`]): a key costs a few ns besides its misses,
/// so 8 ahead was too close to help (64 no better than 32; the same in
/// [`Groups::shared_with`] cost more than it saved).
const KEYS_AHEAD: usize = 32;

/// The first window of [`Groups::shared_with`] for a group known to share the depth below it
/// (its keys there all equal): the frames of a member in half a cache line, compared for about
/// the cost of one, so a group that shares a stem takes one pass less.
const STEM_WINDOW: usize = 8;

/// A group of at most this many tracebacks is sorted by comparing their frames
/// ([`Groups::sort_small`]) instead of partitioned depth by depth.
const SMALL_GROUP: usize = 8;

/// A group is partitioned by a dense count per key while the keys number at most this
/// (`u32` each, one table per worker); past it (never in practice), by sorting.
const DENSE_KEYS: usize = 1 << 16;

impl<'s, T: FrameId> Groups<'s, T> {
    /// The radix key of traceback `i` at depth `d` (outermost frame first): its frame's rank
    /// + 1, or 0 past its end.
    #[inline]
    fn key(&self, i: u32, d: u32) -> u32 {
        let f = self.span[i as usize];
        if (d as usize) < f.len() {
            ranked(self.rank, f[f.len() - 1 - d as usize].id()).wrapping_add(1)
        } else {
            0
        }
    }

    /// The radix keys of `group` at depth `d` into `keys`. Each key is two reads far apart (the
    /// traceback's span, then its frame): a group of [`PAR_KEYS`] or more on all cores.
    fn keys_at(&self, keys: &mut Vec<u32>, group: &[u32], d: u32) {
        keys.clear();
        keys.resize(group.len(), 0);
        if group.len() >= PAR_KEYS {
            keys.par_chunks_mut(PAR_KEYS / 4)
                .zip(group.par_chunks(PAR_KEYS / 4))
                .for_each(|(k, g)| self.fill_keys(k, g, d));
        } else {
            self.fill_keys(keys, group, d);
        }
    }

    /// The radix keys of `group` at depth `d` into `out` (as long). A group's members are
    /// spread over the tracebacks: each key is a miss on its span, then on its frame, so both
    /// are asked for ahead ([`KEYS_AHEAD`] members per stage).
    #[inline]
    fn fill_keys(&self, out: &mut [u32], group: &[u32], d: u32) {
        for (k, (o, &i)) in out.iter_mut().zip(group).enumerate() {
            if let Some(&j) = group.get(k + 2 * KEYS_AHEAD) {
                prefetch(self.span, j as usize);
            }
            if let Some(&j) = group.get(k + KEYS_AHEAD) {
                self.prefetch_frame(j, d as usize);
            }
            *o = self.key(i, d);
        }
    }

    /// Ask for traceback `i`'s frame at depth `d` (outermost first), if it has one.
    #[inline]
    fn prefetch_frame(&self, i: u32, d: usize) {
        if let Some(f) = self.span.get(i as usize) {
            if d < f.len() {
                prefetch(f, f.len() - 1 - d);
            }
        }
    }

    /// Frames (outermost first) that all the tracebacks of `group` share, given that they share
    /// the first `d`: at least `d`. A group of [`PAR_KEYS`] or more in chunks on all cores
    /// (the least of the chunks' answers: the same number).
    /// `width`: the first window's ([`Groups::shared_with`]).
    fn shared_by_all(&self, group: &[u32], d: u32, width: usize) -> u32 {
        if group.len() >= PAR_KEYS {
            let head = group[0];
            return group
                .par_chunks(PAR_KEYS / 4)
                .map(|c| self.shared_with(head, c, d, width))
                .min()
                .unwrap_or(d);
        }
        self.shared_with(group[0], &group[1..], d, width)
    }

    /// Frames (outermost first) that traceback `head` and all of `group` share, given that
    /// they share the first `d`: at least `d`.
    ///
    /// The frames are compared in windows of depths, `[d, d + width)`, then the next
    /// [`FIRST_WIDE`] or more, then windows that double: each member along the window's frames (one
    /// stream of memory per traceback), stopping at the first that differs from `head` at the
    /// window's first depth. A window all members share costs one compare per member and frame
    /// shared by all, and the last one at most as many again, or [`FIRST_WIDE`], plus one per
    /// member, so the cost is O(members × (shared - d + 1)):
    /// comparing each member with `head` as far as the frames they two share cost up to
    /// Σ(Lᵢ − d) at every level of a deep recursion's tracebacks, cubic in its depth in all
    /// (breadth8/RESULTS.md, cliff 1).
    fn shared_with(&self, head: u32, group: &[u32], d: u32, width: usize) -> u32 {
        let frames = |i: u32| self.span[i as usize];
        let head = frames(head);
        // Outermost first: depth k of a traceback is its frame `len - 1 - k`.
        let (mut lo, mut width) = (d as usize, width.max(1));
        loop {
            let hi = head.len().min(lo.saturating_add(width));
            let mut common = hi;
            for &i in group {
                let f = frames(i);
                let (mut k, limit) = (lo, common.min(f.len()));
                while k < limit && f[f.len() - 1 - k] == head[head.len() - 1 - k] {
                    k += 1;
                }
                common = k;
                if common <= lo {
                    break;
                }
            }
            if common < hi || hi == head.len() {
                return common.max(d as usize) as u32;
            }
            // After the one depth, wide windows: a group that shares a stem (real-deep350's
            // are up to 25 frames) is then compared in one more pass, not one per doubling.
            (lo, width) = (hi, width.saturating_mul(2).max(FIRST_WIDE));
        }
    }

    /// The frames (outermost first) tracebacks `a` and `b` share, given that they share the
    /// first `d`, and how `a` compares with `b` by their frames outermost first (a traceback
    /// before the longer ones it is a prefix of; `Equal` for equal frames).
    #[inline]
    fn compare_from(&self, a: u32, b: u32, d: u32) -> (u32, Ordering) {
        let (fa, fb) = (self.span[a as usize], self.span[b as usize]);
        let (la, lb) = (fa.len(), fb.len());
        let mut k = d as usize;
        let limit = la.min(lb);
        while k < limit {
            let (x, y) = (fa[la - 1 - k], fb[lb - 1 - k]);
            if x != y {
                return (
                    k as u32,
                    ranked(self.rank, x.id()).cmp(&ranked(self.rank, y.id())),
                );
            }
            k += 1;
        }
        (k as u32, la.cmp(&lb))
    }

    /// [`Groups::split`] of a group of at most [`SMALL_GROUP`] tracebacks: an insertion sort
    /// (stable: equal tracebacks keep ascending indices), each comparison along the frames the
    /// two share from depth `d`, then each neighbour's shared length. The radix spends a count
    /// table, a partition and a copy on each depth where a group divides: most of its groups
    /// are of a few tracebacks (real-deep350: 858 K partitions for 912 K tracebacks).
    fn sort_small(&self, order: &mut [u32], lcp: &mut [u32], d: u32) {
        if let [a, b] = *order {
            // A pair: one walk along the frames they share.
            let (shared, o) = self.compare_from(a, b, d);
            if o == Ordering::Greater {
                order.swap(0, 1);
            }
            lcp[1] = shared;
            return;
        }
        // The frames the whole group shares are compared once, not in every comparison.
        let d = self.shared_with(order[0], &order[1..], d, STEM_WINDOW);
        for k in 1..order.len() {
            let x = order[k];
            let mut j = k;
            while j > 0 && self.compare_from(order[j - 1], x, d).1 == Ordering::Greater {
                order[j] = order[j - 1];
                j -= 1;
            }
            order[j] = x;
        }
        for k in 1..order.len() {
            lcp[k] = self.compare_from(order[k - 1], order[k], d).0;
        }
    }

    /// Sort the group `order` (tracebacks sharing their first `d` frames, in ascending index
    /// order; `lcp[0]` is set by the caller) by key, a stable partition (each run keeps
    /// ascending indices, so the order is that of sorting by key, then index), and fill the
    /// rest of its `lcp`. Work left on a stack; subgroups of [`PAR_GROUP`] or more spawned on
    /// `scope`.
    fn split<'a>(
        &'a self,
        scope: &rayon::Scope<'a>,
        order: &'a mut [u32],
        lcp: &'a mut [u32],
        d: u32,
    ) {
        self.split_all(scope, vec![(order, lcp, d)]);
    }

    /// [`Groups::split`] of each group of `work`. The runs of a group too small to be spawned
    /// alone are spawned together once they hold [`PAR_GROUP`] tracebacks (a large group
    /// often divides into thousands of small ones, which would all be sorted on the core that
    /// divided it while the other waits: real-deep350's radix was 1.01 G instructions on one of
    /// rayon's threads and 0.19 G on the other).
    #[allow(clippy::type_complexity)]
    fn split_all<'a>(
        &'a self,
        scope: &rayon::Scope<'a>,
        mut work: Vec<(&'a mut [u32], &'a mut [u32], u32)>,
    ) {
        let mut keys: Vec<u32> = Vec::new();
        let mut part = Partition::new(if self.keys <= DENSE_KEYS {
            self.keys
        } else {
            0
        });
        while let Some((order, lcp, mut d)) = work.pop() {
            if order.len() < 2 {
                continue;
            }
            if order.len() <= SMALL_GROUP {
                self.sort_small(order, lcp, d);
                continue;
            }
            // The keys at the group's depth first: a group divides most often right there, and
            // then they are all that is read of it (a compare of each member with the first at
            // that depth read the same frames again: 16.5 M reads of two cache misses each for
            // 9.3 M keys on real-deep350). Where every member has the same frame there, the
            // frames the whole group shares beyond are stepped over without a partition (their
            // order, by index, stays): each traceback compared with the first along its own
            // frames in windows of doubling depth ([`Groups::shared_with`]), and the keys made
            // again where the group divides (or ends).
            self.keys_at(&mut keys, order, d);
            let first = keys[0];
            if first != 0 && keys.iter().all(|&k| k == first) {
                d = self.shared_by_all(order, d + 1, STEM_WINDOW);
                self.keys_at(&mut keys, order, d);
            }
            part.run(&keys, order);
            // Runs of one key: a boundary shares `d` frames; so do tracebacks that end here.
            let (mut order, mut lcp) = (order, lcp);
            let mut batch: Vec<(&'a mut [u32], &'a mut [u32], u32)> = Vec::new();
            let mut batched = 0;
            for r in 0..part.runs.len() {
                let (head, len) = part.runs[r];
                let len = len as usize;
                if lcp.len() > len {
                    lcp[len] = d;
                }
                let (run, rest) = std::mem::take(&mut order).split_at_mut(len);
                let (run_lcp, rest_lcp) = std::mem::take(&mut lcp).split_at_mut(len);
                (order, lcp) = (rest, rest_lcp);
                if head == 0 {
                    for l in run_lcp.iter_mut().skip(1) {
                        *l = d;
                    }
                    continue;
                }
                if run.len() < 2 {
                    continue;
                }
                if run.len() >= PAR_GROUP {
                    scope.spawn(move |scope| self.split(scope, run, run_lcp, d + 1));
                } else {
                    batched += run.len();
                    batch.push((run, run_lcp, d + 1));
                    if batched >= PAR_GROUP {
                        let b = std::mem::take(&mut batch);
                        scope.spawn(move |scope| self.split_all(scope, b));
                        batched = 0;
                    }
                }
            }
            work.append(&mut batch);
        }
    }
}

/// A stable partition of a group by its keys, runs in ascending key order: by a dense count
/// per key (keys below the table's size; the table is reset after each use), else by sorting
/// `(key, position)` pairs. 4 B per key of the table, + 4 B per member (the partitioned copy)
/// or 8 B (the sort), reused from group to group.
struct Partition {
    count: Vec<u32>,
    /// The distinct keys of the group in ascending order, with their run lengths.
    runs: Vec<(u32, u32)>,
    moved: Vec<u32>,
    pairs: Vec<u64>,
}

impl Partition {
    fn new(dense: usize) -> Partition {
        Partition {
            count: vec![0; dense],
            runs: Vec::new(),
            moved: Vec::new(),
            pairs: Vec::new(),
        }
    }

    /// Reorder `order` (whose keys are `keys`) stably by key; `runs` says the runs.
    fn run(&mut self, keys: &[u32], order: &mut [u32]) {
        self.runs.clear();
        if keys.iter().all(|&k| (k as usize) < self.count.len()) {
            for &k in keys {
                let c = &mut self.count[k as usize];
                if *c == 0 {
                    self.runs.push((k, 0));
                }
                *c += 1;
            }
            self.runs.sort_unstable();
            // count[k]: where run k begins, then (after the scatter) where it ends.
            let mut at = 0;
            for r in self.runs.iter_mut() {
                let c = self.count[r.0 as usize];
                r.1 = c;
                self.count[r.0 as usize] = at;
                at += c;
            }
            self.moved.clear();
            self.moved.resize(order.len(), 0);
            for (&k, &i) in keys.iter().zip(order.iter()) {
                let c = &mut self.count[k as usize];
                self.moved[*c as usize] = i;
                *c += 1;
            }
            order.copy_from_slice(&self.moved);
            for &(k, _) in &self.runs {
                self.count[k as usize] = 0;
            }
        } else {
            self.pairs.clear();
            self.pairs.extend(
                keys.iter()
                    .zip(order.iter())
                    .map(|(&k, &i)| (k as u64) << 32 | i as u64),
            );
            self.pairs.sort_unstable();
            for (o, &p) in order.iter_mut().zip(&self.pairs) {
                *o = p as u32;
            }
            for &p in &self.pairs {
                let k = (p >> 32) as u32;
                match self.runs.last_mut() {
                    Some(r) if r.0 == k => r.1 += 1,
                    _ => self.runs.push((k, 1)),
                }
            }
        }
    }
}

/// [`sorted_with_lcp`] by comparing the tracebacks' frames (outermost first) whole: the
/// reference the radix is tested against, and the fallback for 2^32 - 1 frames or more.
fn sorted_with_lcp_by_comparison<T: FrameId>(
    f: Tracebacks<'_, T>,
    live: &[u32],
    rank: &[u32],
) -> (Vec<u32>, Vec<u32>) {
    let outer = |i: u32| f.get(live[i as usize]).iter().rev();
    let by_rank = |i: u32| outer(i).map(|&x| ranked(rank, x.id()));
    let mut order: Vec<u32> = (0..live.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| by_rank(a).cmp(by_rank(b)).then(a.cmp(&b)));
    let mut lcp = vec![0u32; live.len()];
    for k in 1..live.len() {
        let shared = outer(order[k - 1])
            .zip(outer(order[k]))
            .take_while(|(x, y)| x == y)
            .count();
        lcp[k] = shared as u32;
    }
    (order, lcp)
}

/// CPython's three `key_type`s of `Snapshot.statistics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Lineno,
    Filename,
    Traceback,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "lineno" => Some(GroupBy::Lineno),
            "filename" => Some(GroupBy::Filename),
            "traceback" => Some(GroupBy::Traceback),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Lineno => "lineno",
            GroupBy::Filename => "filename",
            GroupBy::Traceback => "traceback",
        }
    }
}

/// One row of `Snapshot.statistics`: the key as CPython's `Traceback` holds it (frames oldest
/// first; a file key is `(file, 0)`), total bytes and blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statistic {
    pub key: Vec<Frame>,
    pub size: u64,
    pub count: u64,
}

/// `Snapshot.statistics(group_by, cumulative)` with CPython's numbers and order: sorted by
/// (size, count, key) descending, keys compared as tuples of (filename, lineno).
///
/// Cumulative mode counts a trace once per frame *occurrence*, as CPython does: a traceback that
/// passes three times through one line (recursion) adds its size three times to that line.
/// (The graph histogram's retained column, MAT's minimum retained size, counts it once.)
/// CPython rejects cumulative traceback statistics; this returns the non-cumulative ones then.
pub fn statistics(
    s: &Snapshot,
    t: &TraceTree,
    group_by: GroupBy,
    cumulative: bool,
) -> Vec<Statistic> {
    let key_of = |f: u32| -> Frame {
        let fr = s.frames[f as usize];
        match group_by {
            GroupBy::Filename => Frame {
                file: fr.file,
                lineno: 0,
            },
            _ => fr,
        }
    };
    let mut rows: Vec<Statistic> = Vec::new();
    if group_by == GroupBy::Traceback {
        for n in 0..t.len() as u32 {
            if t.count()[n as usize] > 0 {
                let key = t
                    .path(n)
                    .into_iter()
                    .map(|f| s.frames[f as usize])
                    .collect();
                rows.push(Statistic {
                    key,
                    size: t.size()[n as usize],
                    count: t.count()[n as usize],
                });
            }
        }
    } else {
        let (size, count) = if cumulative {
            t.subtree_totals()
        } else {
            (t.size().to_vec(), t.count().to_vec())
        };
        let mut by_key: HashMap<Frame, usize> = HashMap::new();
        for n in 0..t.len() {
            if count[n] == 0 {
                continue;
            }
            let k = key_of(t.frame()[n]);
            let next = rows.len();
            let r = *by_key.entry(k).or_insert(next);
            if r == next {
                rows.push(Statistic {
                    key: vec![k],
                    size: 0,
                    count: 0,
                });
            }
            rows[r].size += size[n];
            rows[r].count += count[n];
        }
    }
    rows.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(b.count.cmp(&a.count))
            .then_with(|| cmp_keys(s, &b.key, &a.key))
    });
    rows
}

/// Python's tuple order on `((filename, lineno), …)`: str compares by code point, which is
/// UTF-8 byte order.
pub fn cmp_keys(s: &Snapshot, a: &[Frame], b: &[Frame]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = s.strings[x.file as usize]
            .cmp(s.strings[y.file as usize])
            .then(x.lineno.cmp(&y.lineno));
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// One row of `Snapshot.compare_to`, with the key rendered: frames oldest first as
/// `(filename, lineno)` (lineno 0 for file keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatisticDiff {
    pub key: Vec<(String, u32)>,
    pub size: u64,
    pub size_diff: i64,
    pub count: u64,
    pub count_diff: i64,
}

fn rendered(s: &Snapshot, key: &[Frame]) -> Vec<(String, u32)> {
    key.iter()
        .map(|f| (s.file_name(f.file), f.lineno))
        .collect()
}

/// `new.compare_to(old, group_by, cumulative)` with CPython's numbers and order: sorted by
/// (|size_diff|, size, |count_diff|, count, key) descending; keys only in `old` get size 0.
pub fn compare_to(
    new: (&Snapshot, &TraceTree),
    old: (&Snapshot, &TraceTree),
    group_by: GroupBy,
    cumulative: bool,
) -> Vec<StatisticDiff> {
    let mut old_rows: HashMap<Vec<(String, u32)>, (u64, u64)> =
        statistics(old.0, old.1, group_by, cumulative)
            .into_iter()
            .map(|r| (rendered(old.0, &r.key), (r.size, r.count)))
            .collect();
    let mut out: Vec<StatisticDiff> = Vec::new();
    for r in statistics(new.0, new.1, group_by, cumulative) {
        let key = rendered(new.0, &r.key);
        let (os, oc) = old_rows.remove(&key).unwrap_or((0, 0));
        out.push(StatisticDiff {
            key,
            size: r.size,
            size_diff: r.size as i64 - os as i64,
            count: r.count,
            count_diff: r.count as i64 - oc as i64,
        });
    }
    for (key, (os, oc)) in old_rows {
        out.push(StatisticDiff {
            key,
            size: 0,
            size_diff: -(os as i64),
            count: 0,
            count_diff: -(oc as i64),
        });
    }
    out.sort_by(|a, b| {
        (
            b.size_diff.unsigned_abs(),
            b.size,
            b.count_diff.unsigned_abs(),
            b.count,
        )
            .cmp(&(
                a.size_diff.unsigned_abs(),
                a.size,
                a.count_diff.unsigned_abs(),
                a.count,
            ))
            .then_with(|| cmp_rendered(&b.key, &a.key))
    });
    out
}

fn cmp_rendered(a: &[(String, u32)], b: &[(String, u32)]) -> Ordering {
    // String's Ord is byte order, which is code point order for UTF-8: Python's str order.
    a.cmp(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::{Reader, Steps};

    /// [`sorted_with_lcp`] at the width `s` holds its frames in.
    fn radix(s: &Snapshot, live: &[u32], rank: &[u32]) -> (Vec<u32>, Vec<u32>) {
        match s.frames() {
            Frames::Narrow(f) => sorted_with_lcp(s, f, live, rank),
            Frames::Wide(f) => sorted_with_lcp(s, f, live, rank),
        }
    }

    /// [`sorted_with_lcp_by_comparison`] at the width `s` holds its frames in.
    fn by_comparison(s: &Snapshot, live: &[u32], rank: &[u32]) -> (Vec<u32>, Vec<u32>) {
        match s.frames() {
            Frames::Narrow(f) => sorted_with_lcp_by_comparison(f, live, rank),
            Frames::Wide(f) => sorted_with_lcp_by_comparison(f, live, rank),
        }
    }

    /// What [`TraceTree::build`] must equal: every call path of the tracebacks that hold a
    /// trace (each prefix, outermost frame first, a frame compared by its file name, then line,
    /// then id) sorted and inserted in that order, one [`CallTree::child`] lookup per frame, so
    /// node `i` is the `i`-th path (a path before the longer ones it is a prefix of); then each
    /// traceback's totals added where it ends.
    fn sorted_paths_tree(s: &Snapshot) -> CallTree {
        let mut c = CallTree::new();
        let mut key = Vec::new();
        for f in &s.frames {
            key.clear();
            key.extend_from_slice(s.strings[f.file as usize]);
            key.extend_from_slice(&f.lineno.to_le_bytes());
            c.intern_frame(&key);
        }
        let place = |f: u32| {
            let fr = s.frames[f as usize];
            (s.strings[fr.file as usize], fr.lineno, f)
        };
        let live = || (0..s.traceback_count() as u32).filter(|&tb| s.tb_count[tb as usize] > 0);
        let mut paths = std::collections::BTreeSet::new();
        for tb in live() {
            let outer: Vec<_> = s.traceback(tb).iter().rev().map(|&f| place(f)).collect();
            for k in 1..=outer.len() {
                paths.insert(outer[..k].to_vec());
            }
        }
        for p in &paths {
            let (node, made) = p
                .iter()
                .fold((NO_PARENT, false), |(n, _), x| c.child(n, x.2));
            assert!(made && node as usize == c.len() - 1);
        }
        for tb in live() {
            let node = c.insert(s.traceback(tb).iter().rev().copied());
            c.add(node, s.tb_size[tb as usize], s.tb_count[tb as usize]);
        }
        c
    }

    /// The ranks by file rank agree with one comparison sort by name bytes, line and id, also
    /// where names repeat (two ids, one name), a name is empty, is a prefix of another or is not
    /// UTF-8, a file id is past the table (read as the empty name, up to `u32::MAX`), lines take
    /// the key's upper half (up to `u32::MAX`), the strings table is empty, over many files of
    /// few frames and few files of many.
    #[test]
    fn frame_ranks_equal_a_sort_by_name_bytes() {
        let names: [&[u8]; 11] = [
            b"b.py",
            b"",
            b"a.py",
            b"b.py",
            b"a",
            b"\xff",
            b"a.py\0",
            b"/a",
            b"/a/b.py",
            b"/a/b.pyx",
            b"\xc3\xa9.py",
        ];
        let far = [11, 100, u32::MAX - 1, u32::MAX];
        let high = [0, 1 << 31, u32::MAX - 1, u32::MAX];
        for (seed, files, lines, strings) in [
            (3, 9, 4, 11),
            (7, 11, 300, 11),
            (11, 2, 50, 11),
            (13, 12, 40, 11),
            (17, 3, 9, 0),
        ] {
            let mut rand = xorshift(seed);
            let mut s = Snapshot {
                strings: names[..strings].to_vec(),
                ..Snapshot::default()
            };
            for _ in 0..400 {
                let file = match rand(files) as usize {
                    k if k < names.len() => k as u32,
                    _ => far[rand(far.len() as u64) as usize],
                };
                let lineno = match rand(8) {
                    0 => high[rand(high.len() as u64) as usize],
                    _ => rand(lines) as u32,
                };
                let frame = Frame { file, lineno };
                if !s.frames.contains(&frame) {
                    s.frames.push(frame);
                }
            }
            let name = |f: u32| s.strings.get(f as usize).copied().unwrap_or_default();
            let mut want: Vec<u32> = (0..s.frames.len() as u32).collect();
            want.sort_by(|&a, &b| {
                let (x, y) = (s.frames[a as usize], s.frames[b as usize]);
                (name(x.file), x.lineno, a).cmp(&(name(y.file), y.lineno, b))
            });
            let rank = frame_ranks(&s);
            let mut got: Vec<u32> = (0..s.frames.len() as u32).collect();
            got.sort_by_key(|&f| rank[f as usize]);
            assert_eq!(got, want, "seed {seed}");
            let mut seen = rank.clone();
            seen.sort_unstable();
            assert!(seen.iter().enumerate().all(|(k, &r)| r == k as u32));
        }
    }

    /// `got` and `want` node for node: parents, frames, ids, sizes and counts.
    fn assert_same_tree(got: &CallTree, want: &CallTree, what: &str) {
        assert_eq!(got.parent(), want.parent(), "{what}");
        assert_eq!(got.frame(), want.frame(), "{what}");
        assert_eq!(got.id(), want.id(), "{what}");
        assert_eq!(got.size(), want.size(), "{what}");
        assert_eq!(got.count(), want.count(), "{what}");
    }

    /// [`TraceTree::build`] with the sorted order's two halves made apart whatever their
    /// number ([`TraceTree::paths_split_from`]).
    fn built_in_halves(s: &Snapshot) -> TraceTree {
        let (mut t, ends) = TraceTree::paths_split_from(s, 2, &mut Steps::of(Reader::Tracemalloc));
        t.finish(s, &ends);
        t
    }

    /// xorshift64 steps (labelled synthetic data): a number below `n`.
    fn xorshift(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut x = seed | 1;
        move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        }
    }

    /// Synthetic tracebacks (labelled: not from CPython) over a small frame alphabet, so that
    /// they share outer paths in every way: equal, one a prefix of another, empty of traces.
    fn synthetic(seed: u64, tracebacks: usize, alphabet: u32) -> Snapshot<'static> {
        let mut rand = xorshift(seed);
        let mut paths = Vec::new();
        let mut counts = Vec::new();
        for _ in 0..tracebacks {
            let len = 1 + rand(9) as usize;
            paths.push((0..len).map(|_| rand(alphabet as u64) as u32).collect());
            let count = rand(4);
            counts.push((count, count * (1 + rand(100))));
        }
        of_paths(&paths, alphabet, |t| counts[t])
    }

    /// A snapshot (labelled synthetic) of the given call paths, outermost frame first, over
    /// `frames` distinct frames in 3 files; traceback `t` holds `totals(t)` (blocks, bytes).
    fn of_paths(
        paths: &[Vec<u32>],
        frames: u32,
        totals: impl Fn(usize) -> (u64, u64),
    ) -> Snapshot<'static> {
        let mut s = Snapshot {
            strings: vec![b"a.py", b"b.py", b"c.py"],
            tb_offsets: vec![0],
            ..Snapshot::default()
        };
        s.frames.extend((0..frames).map(|f| Frame {
            file: f % 3,
            lineno: f,
        }));
        for (t, p) in paths.iter().enumerate() {
            s.tb_frames.extend(p.iter().rev());
            s.tb_offsets.push(s.tb_frames.len() as u64);
            let (count, size) = totals(t);
            s.tb_count.push(count);
            s.tb_size.push(size);
        }
        s
    }

    /// 1, 0 or 2 traces as `t % 3` is 0, 1 or 2 (some tracebacks hold none).
    fn by_index(t: usize) -> (u64, u64) {
        let count = [1, 0, 2][t % 3];
        (count, count * (8 + t as u64 % 50))
    }

    /// The shapes of breadth8/RESULTS.md's cliffs 1 and 1b, and a mix of them, as call paths
    /// (outermost first) and the frames they use. `deep`: a recursion `depth` calls deep with
    /// a traceback per level (the first `level` frames of the stack, then a frame of its own),
    /// in a shuffled order so the one that ends at a depth comes anywhere in its group. `wide`:
    /// `n` tracebacks under one shared path of 2 frames, each with a frame of its own. `stem`:
    /// `n` tracebacks sharing 20–51 frames of one stem, then one or two of their own (groups
    /// of [`PAR_KEYS`] or more share frames found on all cores). `chain`: tracebacks whose
    /// shared paths nest (each shares one frame more with the one before), then many sharing
    /// one frame with them.
    fn shape(name: &str, n: usize, seed: u64) -> (Vec<Vec<u32>>, u32) {
        let mut rand = xorshift(seed);
        let mut paths: Vec<Vec<u32>> = Vec::new();
        let frames;
        match name {
            "deep" => {
                // Frames 0..n: the stack; n..2n: the levels' own frames.
                frames = 2 * n as u32 + 1;
                for level in 0..=n {
                    let mut p: Vec<u32> = (0..level as u32).collect();
                    p.push(n as u32 + level as u32);
                    paths.push(p);
                }
                for k in (1..paths.len()).rev() {
                    paths.swap(k, rand(k as u64 + 1) as usize);
                }
            }
            "wide" => {
                frames = n as u32 + 2;
                paths.extend((0..n as u32).map(|i| vec![0, 1, 2 + i]));
            }
            "stem" => {
                // Frames 0..64: the stem; 64..: own frames, a few shared.
                frames = 64 + 200;
                for _ in 0..n {
                    let len = 20 + rand(32) as u32;
                    let mut p: Vec<u32> = (0..len).collect();
                    p.push(64 + rand(200) as u32);
                    if rand(2) == 0 {
                        p.push(64 + rand(200) as u32);
                    }
                    paths.push(p);
                }
            }
            _ => {
                // chain: path k is frames 0..k then k + n (its own); then n paths of frame 0
                // and one of their own, listed so each sorts after the chain.
                frames = 3 * n as u32 + 1;
                for k in 1..=n as u32 {
                    let mut p: Vec<u32> = (0..k).collect();
                    p.push(k + n as u32);
                    paths.push(p);
                }
                for i in (0..n as u32).rev() {
                    paths.push(vec![0, 2 * n as u32 + 1 + i]);
                }
            }
        }
        (paths, frames)
    }

    /// The cliffs' shapes: the radix order equals the comparison sort's, and the tree equals
    /// numbering the sorted call paths ([`sorted_paths_tree`]).
    #[test]
    fn deep_and_wide_tracebacks_match_the_naive_tree() {
        for (name, n, seed) in [
            ("deep", 1, 1),
            ("deep", 2, 2),
            ("deep", 300, 3),
            ("deep", 700, 4),
            ("wide", 1, 5),
            ("wide", 3000, 6),
            ("wide", 3 * PAR_GROUP, 7),
            ("stem", 500, 8),
            ("stem", PAR_KEYS + 1000, 9),
            ("chain", 200, 10),
        ] {
            let (paths, frames) = shape(name, n, seed);
            let s = of_paths(&paths, frames, by_index);
            let all: Vec<u32> = (0..s.traceback_count() as u32).collect();
            let (order, lcp) = radix(&s, &all, &frame_ranks(&s));
            let (want_order, want_lcp) = by_comparison(&s, &all, &frame_ranks(&s));
            assert_eq!(order, want_order, "{name} {n}");
            assert_eq!(lcp, want_lcp, "{name} {n}");
            let want = sorted_paths_tree(&s);
            assert!(!want.is_empty(), "{name} {n}");
            for got in [TraceTree::build(&s), built_in_halves(&s)] {
                assert_same_tree(&got, &want, &format!("{name} {n}"));
            }
        }
    }

    /// Frames held in 2 bytes ([`Snapshot::narrow_frames`]) give every traceback's frames, the
    /// radix order and shared lengths and the tree of the 4-byte frames, with the frames in
    /// one array or split between the head's and the tail's at a traceback boundary (as the
    /// read's two cores leave them), of odd and even lengths; past 65 536 frames nothing
    /// changes.
    #[test]
    fn narrowed_frames_give_the_same_tree() {
        for (seed, tracebacks, alphabet, cut) in [
            (31, 1, 3, 0usize),
            (32, 200, 5, 0),
            (33, 3000, 40, 1),
            (34, 3000, 40, 1700),
            (35, 5000, 65_536, 2500),
        ] {
            let wide = synthetic(seed, tracebacks, alphabet);
            let mut narrow = synthetic(seed, tracebacks, alphabet);
            if cut > 0 {
                let at = narrow.tb_offsets[cut] as usize;
                narrow.tb_frames_head = narrow.tb_frames.drain(..at).collect();
            }
            assert!(narrow.narrow_frames(), "seed {seed}");
            assert!(!narrow.narrow_frames(), "seed {seed}: once");
            assert!(matches!(narrow.frames(), Frames::Narrow(_)));
            assert_eq!(narrow.frames_len(), wide.frames_len(), "seed {seed}");
            for t in 0..wide.traceback_count() as u32 {
                assert_eq!(narrow.traceback(t), wide.traceback(t), "seed {seed} tb {t}");
                assert_eq!(narrow.traceback_len(t), wide.traceback_len(t));
            }
            let live: Vec<u32> = (0..wide.traceback_count() as u32).collect();
            let rank = frame_ranks(&wide);
            assert_eq!(
                radix(&narrow, &live, &rank),
                radix(&wide, &live, &rank),
                "seed {seed}"
            );
            assert_eq!(
                by_comparison(&narrow, &live, &rank),
                by_comparison(&wide, &live, &rank),
                "seed {seed}"
            );
            let want = TraceTree::build(&wide);
            for got in [TraceTree::build(&narrow), built_in_halves(&narrow)] {
                assert_same_tree(&got, &want, &format!("seed {seed}"));
            }
        }
        // More distinct frames than 2 bytes name: left at 4 bytes.
        let mut s = synthetic(36, 10, 65_537);
        let before: Vec<Vec<u32>> = (0..10).map(|t| s.traceback(t)).collect();
        assert!(!s.narrow_frames());
        assert!(matches!(s.frames(), Frames::Wide(_)));
        assert_eq!((0..10).map(|t| s.traceback(t)).collect::<Vec<_>>(), before);
    }

    /// The two halves of the sorted order meet at every kind of boundary: between identical
    /// tracebacks (the second half's one ends on the first half's node), a traceback and its
    /// extension, two that share a stem, two that share nothing; odd and even counts, and
    /// tracebacks that hold no trace on either side. Each against the sorted paths' tree.
    #[test]
    fn halves_meet_at_every_kind_of_boundary() {
        let a = vec![0, 1, 2];
        let cases: Vec<Vec<Vec<u32>>> = vec![
            vec![a.clone(), a.clone()],
            vec![a.clone(), vec![0, 1, 2, 3]],
            vec![vec![0, 1, 2, 3], vec![0, 1, 2, 4]],
            vec![vec![0, 1], vec![3, 4]],
            vec![a.clone(), a.clone(), a.clone()],
            vec![
                vec![0],
                vec![0, 1],
                vec![0, 1, 2],
                vec![0, 1, 2, 3],
                vec![0, 1, 2, 3, 4],
            ],
            vec![
                vec![0, 1, 4],
                a.clone(),
                vec![0, 1, 3],
                a.clone(),
                vec![0, 2],
            ],
            vec![vec![5], vec![5]],
            // Tracebacks with no frames (they end at no node: a gap in their half's ends,
            // closed up), in the first half and in both.
            vec![vec![], vec![], vec![0, 1], vec![0, 2]],
            vec![vec![], vec![], vec![], vec![0], vec![1]],
            vec![vec![], vec![]],
        ];
        for (k, paths) in cases.iter().enumerate() {
            for totals in [(|_| (1, 8)) as fn(usize) -> (u64, u64), by_index] {
                let s = of_paths(paths, 6, totals);
                let want = sorted_paths_tree(&s);
                let got = built_in_halves(&s);
                assert_same_tree(&got, &want, &format!("case {k}"));
                assert_eq!(got.tracebacks, TraceTree::build(&s).tracebacks, "case {k}");
                // The ends of the two halves, in one buffer, are those of one pass.
                let (_, halves) =
                    TraceTree::paths_split_from(&s, 2, &mut Steps::of(Reader::Tracemalloc));
                let (_, whole) = TraceTree::paths_split_from(
                    &s,
                    usize::MAX,
                    &mut Steps::of(Reader::Tracemalloc),
                );
                assert_eq!(halves, whole, "case {k}");
                // Listed in node order: their totals are summed in halves, never sorted first.
                for par in [2, usize::MAX] {
                    let (_, sorted_first) = TraceTree::totals_split_how(&s, halves.clone(), par);
                    assert!(!sorted_first, "case {k} par {par}");
                }
            }
        }
    }

    /// [`Groups::shared_with`] equals the least of the frames each member shares with the head
    /// (counted frame by frame), on groups that share a stem and differ at every depth.
    #[test]
    fn shared_with_equals_the_least_shared_prefix() {
        for (name, n, seed) in [("deep", 200, 11), ("stem", 3000, 12), ("wide", 500, 13)] {
            let (paths, frames) = shape(name, n, seed);
            let s = of_paths(&paths, frames, by_index);
            let Frames::Wide(f) = s.frames() else {
                panic!("a snapshot made here holds 4-byte frame ids");
            };
            let span: Vec<&[u32]> = (0..s.traceback_count() as u32).map(|t| f.get(t)).collect();
            let g = Groups {
                span: &span,
                keys: frames as usize + 1,
                rank: &[],
            };
            let shared = |a: usize, b: usize| {
                paths[a]
                    .iter()
                    .zip(&paths[b])
                    .take_while(|(x, y)| x == y)
                    .count()
            };
            for head in [0usize, 1, paths.len() / 2, paths.len() - 1] {
                // Groups: all, every third, the last 2 (head among them or not).
                let groups: [Vec<u32>; 3] = [
                    (0..paths.len() as u32).collect(),
                    (0..paths.len() as u32).step_by(3).collect(),
                    (paths.len().saturating_sub(2) as u32..paths.len() as u32).collect(),
                ];
                for group in groups {
                    let want = group
                        .iter()
                        .map(|&i| shared(head, i as usize))
                        .min()
                        .unwrap_or(paths[head].len());
                    for d in [0, want / 2, want] {
                        for width in [1, STEM_WINDOW, FIRST_WIDE] {
                            let got = g.shared_with(head as u32, &group, d as u32, width);
                            assert_eq!(got as usize, want, "{name} head {head} d {d}");
                        }
                    }
                }
            }
        }
    }

    /// The radix order and shared lengths equal the comparison sort's, on tracebacks that
    /// share long outer paths (a common stem, as deep recursion makes), are equal, prefixes of
    /// one another, and form groups large enough to be split on other cores.
    #[test]
    fn radix_order_equals_the_comparison_sort() {
        for (seed, tracebacks, alphabet, stem) in [
            (5, 2, 1, 0),
            (6, 300, 2, 0),
            (7, 5000, 3, 0),
            (8, 9000, 4, 30),
            (9, 3 * PAR_GROUP, 64, 3),
            (10, 3 * PAR_KEYS, 16, 12),
        ] {
            let mut s = synthetic(seed, tracebacks, alphabet);
            // The outermost `stem` frames of every other traceback made the same.
            if stem > 0 {
                let (mut frames, mut offsets) = (Vec::new(), vec![0u64]);
                for t in 0..s.traceback_count() as u32 {
                    frames.extend_from_slice(&s.traceback(t));
                    if t % 2 == 0 {
                        frames.extend((0..stem).map(|k| k % alphabet));
                    }
                    offsets.push(frames.len() as u64);
                }
                (s.tb_frames, s.tb_offsets) = (frames, offsets);
            }
            let live: Vec<u32> = (0..s.traceback_count() as u32)
                .filter(|&t| s.tb_count[t as usize] > 0 || t % 3 == 0)
                .collect();
            let (order, lcp) = radix(&s, &live, &frame_ranks(&s));
            let (want_order, want_lcp) = by_comparison(&s, &live, &frame_ranks(&s));
            if tracebacks > 100 {
                assert!(
                    want_lcp.iter().any(|&l| l > 0),
                    "seed {seed}: no shared paths"
                );
            }
            assert_eq!(order, want_order, "seed {seed}");
            assert_eq!(lcp, want_lcp, "seed {seed}");
        }
    }

    /// Groups small enough to be sorted by comparison ([`Groups::sort_small`]) at the top and
    /// at every depth (groups of more divide into them): random tracebacks of 1 to 25 frames
    /// (tracemalloc's default limit) over few frames, behind a stem shared by some, repeated,
    /// prefixes of one another; the order and shared lengths equal the comparison sort's and
    /// the tree equals numbering the sorted call paths ([`sorted_paths_tree`]).
    #[test]
    fn small_groups_sort_as_the_comparison_sort() {
        let mut rand = xorshift(21);
        for round in 0..300 {
            let n = 1 + rand(4 * SMALL_GROUP as u64) as usize;
            let alphabet = 1 + rand(5) as u32;
            let stem = rand(20) as u32;
            let mut paths: Vec<Vec<u32>> = Vec::new();
            for _ in 0..n {
                let p: Vec<u32> = match rand(4) {
                    // A repeat, or a prefix, of an earlier one.
                    0 if !paths.is_empty() => {
                        let q = &paths[rand(paths.len() as u64) as usize];
                        q[..1 + rand(q.len() as u64) as usize].to_vec()
                    }
                    k => {
                        let len = 1 + rand(25) as u32;
                        let shared = if k == 1 { stem.min(len) } else { 0 };
                        (0..len)
                            .map(|d| {
                                if d < shared {
                                    alphabet + d
                                } else {
                                    rand(alphabet as u64) as u32
                                }
                            })
                            .collect()
                    }
                };
                paths.push(p);
            }
            let s = of_paths(&paths, alphabet + 20, by_index);
            let all: Vec<u32> = (0..s.traceback_count() as u32).collect();
            assert_eq!(
                radix(&s, &all, &frame_ranks(&s)),
                by_comparison(&s, &all, &frame_ranks(&s)),
                "round {round}"
            );
            let want = sorted_paths_tree(&s);
            for got in [TraceTree::build(&s), built_in_halves(&s)] {
                assert_same_tree(&got, &want, &format!("round {round}"));
            }
        }
    }

    /// The merge of the ascending run with the sorted rest sorts as a comparison sort does:
    /// on lists sorted, reversed, nearly sorted (a few entries moved down, as where tracebacks
    /// end) and shuffled.
    #[test]
    fn nearly_sorted_sort_equals_sort_unstable() {
        // splitmix64 steps (labelled synthetic data).
        let mut state = 11u64;
        let mut rand = move |n: u64| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let z = (state ^ (state >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            (z ^ (z >> 27)) % n
        };
        for n in [0usize, 1, 2, 3, 10, 1000, 20_000] {
            let sorted: Vec<(u32, u32)> = (0..n as u32).map(|i| (i / 2, i)).collect();
            let mut nearly = sorted.clone();
            for k in 0..n / 10 {
                let at = rand(n as u64) as usize;
                nearly[at].0 = rand(1 + at as u64) as u32;
                nearly[at].1 = (n + k) as u32;
            }
            let mut shuffled = sorted.clone();
            for k in (1..n).rev() {
                shuffled.swap(k, rand(k as u64 + 1) as usize);
            }
            let reversed: Vec<(u32, u32)> = sorted.iter().rev().copied().collect();
            for input in [sorted, nearly, shuffled, reversed] {
                let mut want = input.clone();
                want.sort_unstable();
                let mut got = input;
                sort_nearly_sorted(&mut got);
                assert_eq!(got, want, "n {n}");
            }
        }
    }

    /// [`TraceTree::totals`] in two halves and on one core equal summing each node's
    /// tracebacks in a map (saturating): ends as the paths list them (by node, equal
    /// tracebacks at one node, some across the cut), shuffled (the sorted fallback), one node
    /// only, none; totals near `u64::MAX` (saturation in either half and across them).
    #[test]
    fn totals_in_halves_equal_a_map_of_sums() {
        let mut rand = xorshift(31);
        for round in 0..60 {
            let tracebacks = 1 + rand(3000) as usize;
            let mut s = Snapshot::default();
            for t in 0..tracebacks {
                let big = round % 5 == 0 && t % 7 == 0;
                s.tb_size
                    .push(if big { u64::MAX - rand(9) } else { rand(1000) });
                s.tb_count.push(if big { u64::MAX / 2 } else { rand(5) });
            }
            let nodes = 1 + rand(if round % 4 == 0 { 2 } else { 4000 }) as u32;
            let mut ends: Vec<(u32, u32)> = (0..tracebacks as u32)
                .map(|t| (rand(nodes as u64) as u32, t))
                .collect();
            ends.truncate(rand(tracebacks as u64 + 1) as usize);
            let mut want: std::collections::BTreeMap<u32, (u64, u64)> = Default::default();
            for &(node, tb) in &ends {
                let e = want.entry(node).or_default();
                e.0 = e.0.saturating_add(s.tb_size[tb as usize]);
                e.1 = e.1.saturating_add(s.tb_count[tb as usize]);
            }
            let want: Vec<Totals> = want.into_iter().map(|(n, (a, b))| (n, a, b)).collect();
            let mut sorted = ends.clone();
            sorted.sort_unstable();
            for input in [sorted, ends] {
                // Summed in halves (no sort) exactly when the list is in node order.
                let in_order = input.windows(2).all(|w| w[0].0 <= w[1].0);
                for par in [2, 3, usize::MAX] {
                    let (got, sorted_first) = TraceTree::totals_split_how(&s, input.clone(), par);
                    assert_eq!(got, want, "round {round} par {par}");
                    assert_eq!(sorted_first, !in_order, "round {round} par {par}");
                }
                assert_eq!(TraceTree::totals(&s, input), want, "round {round}");
            }
        }
    }

    /// The dense count partition and the sorting one (for frame tables past [`DENSE_KEYS`])
    /// give the same order and runs: ascending keys, positions kept within a run.
    #[test]
    fn partition_by_count_equals_partition_by_sort() {
        let mut x = 3u64;
        for (n, alphabet) in [(1usize, 1u32), (2, 2), (100, 3), (5000, 40), (3000, 2000)] {
            let keys: Vec<u32> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % alphabet as u64) as u32
                })
                .collect();
            let mut by_count = Partition::new(alphabet as usize);
            let mut by_sort = Partition::new(0);
            let mut a: Vec<u32> = (0..n as u32).map(|i| i * 3).collect();
            let mut b = a.clone();
            // Twice with one table: it is left clean after each use.
            for _ in 0..2 {
                by_count.run(&keys, &mut a.clone());
            }
            by_count.run(&keys, &mut a);
            by_sort.run(&keys, &mut b);
            assert_eq!(a, b, "n {n}");
            assert_eq!(by_count.runs, by_sort.runs, "n {n}");
            let mut want: Vec<(u32, u32)> = keys.iter().copied().zip(0..n as u32).collect();
            want.sort_unstable();
            let want: Vec<u32> = want.iter().map(|&(_, i)| i * 3).collect();
            assert_eq!(a, want, "n {n}");
            assert_eq!(
                by_count.runs.iter().map(|r| r.1 as usize).sum::<usize>(),
                n,
                "n {n}"
            );
        }
    }

    #[test]
    fn build_numbers_the_sorted_call_paths() {
        for (seed, tracebacks, alphabet) in [
            (1, 1, 1),
            (2, 50, 2),
            (3, 400, 3),
            (4, 3000, 5),
            (10, 4 * PAR_GROUP, 3),
        ] {
            let s = synthetic(seed, tracebacks, alphabet);
            // The same tracebacks with their frames in two parts, as after a split read.
            let mut halves = synthetic(seed, tracebacks, alphabet);
            let cut = halves.tb_offsets[tracebacks / 2] as usize;
            halves.tb_frames_head = halves.tb_frames.drain(..cut).collect();
            let want = sorted_paths_tree(&s);
            assert!(!want.is_empty());
            for got in [
                TraceTree::build(&s),
                TraceTree::build(&halves),
                built_in_halves(&s),
                built_in_halves(&halves),
            ] {
                assert_same_tree(&got, &want, &format!("seed {seed}"));
                let live = s.tb_count.iter().filter(|&&c| c > 0).count() as u64;
                assert_eq!(got.tracebacks, live);
            }
        }
    }
}
