//! The traceback tree of a snapshot, and CPython's `Snapshot.statistics` computed from it.
//!
//! Every traceback (most recent call first in the pickle) is inserted outermost frame first, so a
//! node is one call path from a root frame, and identical tracebacks meet in one node. A node's
//! own bytes and blocks are those of the traces whose traceback ends exactly there.

use std::cmp::Ordering;
use std::collections::HashMap;

use heapscope_graph::CallTree;

use super::pickle::{Frame, Snapshot};

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
    /// The tree of the tracebacks that hold a trace, made node for node as inserting each one
    /// whole, in traceback order, would make it (same numbering, so the same output), but with
    /// one [`CallTree::child`] call per *new* node: a traceback starts below the longest path it
    /// shares with any earlier one ([`shared_with_earlier`]), where every node already exists
    /// and every node beyond does not. (Tracebacks come in the order tracemalloc's hash table
    /// lists them, so neighbours rarely share much: inserting whole made 4–5 lookups, each a
    /// cache miss in a large table, per node created.)
    pub fn build(s: &Snapshot) -> TraceTree {
        let mut t = TraceTree::default();
        let mut key = Vec::new();
        for f in &s.frames {
            key.clear();
            key.extend_from_slice(s.strings.get(f.file as usize).copied().unwrap_or_default());
            key.extend_from_slice(&f.lineno.to_le_bytes());
            t.tree.intern_frame(&key);
        }
        let live: Vec<u32> = (0..s.traceback_count() as u32)
            .filter(|&tb| s.tb_count[tb as usize] > 0)
            .collect();
        let shared = shared_with_earlier(s, &live);
        // The node where each traceback ends.
        let mut end = vec![NO_PARENT; live.len()];
        for (i, &tb) in live.iter().enumerate() {
            let frames = s.traceback(tb);
            let (depth, from) = shared[i];
            let mut node = NO_PARENT;
            if depth > 0 {
                // Up from where the earlier traceback ends to the depth both share.
                node = end[from as usize];
                for _ in depth as usize..s.traceback(live[from as usize]).len() {
                    node = t.tree.parent()[node as usize];
                }
            }
            // Every node below the shared path is new (no lookup needed).
            for &f in frames[..frames.len() - depth as usize].iter().rev() {
                node = t.tree.push_new(node, f);
            }
            end[i] = node;
            if node != NO_PARENT {
                t.tree
                    .add(node, s.tb_size[tb as usize], s.tb_count[tb as usize]);
                t.tracebacks += 1;
            }
        }
        t.tree.finish_new();
        t
    }
}

/// For each traceback `live[i]` (ids ascending): the length of the longest call path
/// (outermost frame first) it shares with an earlier one, `live[j]` with `j < i`, and that `j`
/// (`(0, 0)` when it shares none).
///
/// The tracebacks are sorted by their frames outermost first ([`sorted_with_lcp`]); the path
/// two of them share is the minimum of the neighbours' shared lengths between them in that
/// order, so the best earlier one is the nearest earlier one on either side (nearest smaller
/// index, found with a stack that keeps the minimum of the shared lengths between its entries).
fn shared_with_earlier(s: &Snapshot, live: &[u32]) -> Vec<(u32, u32)> {
    let n = live.len();
    let (order, lcp) = sorted_with_lcp(s, live);
    let mut best = vec![(0u32, 0u32); n];
    // (index, minimum of lcp between this entry and the next one up, or the current position).
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut visit = |k: usize, step: u32, stack: &mut Vec<(u32, u32)>| {
        let i = order[k];
        if let Some(top) = stack.last_mut() {
            top.1 = top.1.min(step);
        }
        while let Some(&(j, m)) = stack.last() {
            if j < i {
                break;
            }
            stack.pop();
            if let Some(top) = stack.last_mut() {
                top.1 = top.1.min(m);
            }
        }
        if let Some(&(j, m)) = stack.last() {
            if m > best[i as usize].0 {
                best[i as usize] = (m, j);
            }
        }
        stack.push((i, u32::MAX));
    };
    for (k, &step) in lcp.iter().enumerate() {
        visit(k, step, &mut stack);
    }
    stack.clear();
    for k in (0..n).rev() {
        visit(k, lcp.get(k + 1).copied().unwrap_or(0), &mut stack);
    }
    best
}

/// Groups of at least this many tracebacks are split on another core (rayon).
const PAR_GROUP: usize = 2048;

/// The tracebacks `live[i]` in the order of their frames outermost first (a traceback before
/// the longer ones it is a prefix of; equal ones by index), as `i`, and `lcp[k]`: the frames
/// `order[k - 1]` and `order[k]` share from the outermost on.
///
/// A most-significant-first radix over the frames: a group of tracebacks that share their first
/// `d` frames is sorted by frame `d` (one `u64` key per traceback: the frame + 1, 0 where the
/// traceback ends, and the index below it), and each run of one frame is a group at depth
/// `d + 1`; frames a whole group shares are stepped over without a sort. So each traceback is
/// keyed about once per frame it shares with a neighbour, plus one, and sorted only at the
/// frames where its group divides (the comparison sort it replaces compared whole shared
/// prefixes, ~log n times per traceback). Groups of [`PAR_GROUP`] or more are handed to rayon.
/// Memory: 16 B per traceback (frame span) + 8 (order, lcp) + 8 per traceback of the group
/// being sorted.
fn sorted_with_lcp(s: &Snapshot, live: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = live.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut lcp = vec![0u32; n];
    // A frame id is at most u32::MAX - 1 while there are fewer than 2^32 - 1 frames, so
    // frame + 1 fits above the index; past that (never in practice), the comparison sort.
    if s.frames.len() >= u32::MAX as usize || n >= u32::MAX as usize {
        return sorted_with_lcp_by_comparison(s, live);
    }
    let span: Vec<(usize, usize)> = live
        .iter()
        .map(|&tb| {
            let t = tb as usize;
            (s.tb_offsets[t] as usize, s.tb_offsets[t + 1] as usize)
        })
        .collect();
    let g = Groups {
        frames: &s.tb_frames,
        span: &span,
    };
    rayon::scope(|scope| g.split(scope, &mut order, &mut lcp, 0));
    (order, lcp)
}

/// The frames and the `live` tracebacks' spans in them, for [`sorted_with_lcp`].
struct Groups<'s> {
    frames: &'s [u32],
    span: &'s [(usize, usize)],
}

impl<'s> Groups<'s> {
    /// The radix key of traceback `i` at depth `d` (outermost frame first): its frame + 1,
    /// or 0 past its end; the index below it.
    #[inline]
    fn key(&self, i: u32, d: u32) -> u64 {
        let (a, b) = self.span[i as usize];
        let f = if (d as usize) < b - a {
            self.frames[b - 1 - d as usize] as u64 + 1
        } else {
            0
        };
        f << 32 | i as u64
    }

    /// Sort the group `order` (tracebacks sharing their first `d` frames; `lcp[0]` is set by
    /// the caller) and fill the rest of its `lcp`. Work left on a stack; subgroups of
    /// [`PAR_GROUP`] or more spawned on `scope`.
    fn split<'a>(
        &'a self,
        scope: &rayon::Scope<'a>,
        order: &'a mut [u32],
        lcp: &'a mut [u32],
        d: u32,
    ) {
        let mut keys: Vec<u64> = Vec::new();
        let mut work: Vec<(&'a mut [u32], &'a mut [u32], u32)> = vec![(order, lcp, d)];
        while let Some((order, lcp, mut d)) = work.pop() {
            if order.len() < 2 {
                continue;
            }
            // Frames the whole group shares: skipped without sorting (their order, by index
            // within a run, stays), one key per traceback and level.
            loop {
                let head = self.key(order[0], d) >> 32;
                if head == 0 || order[1..].iter().any(|&i| self.key(i, d) >> 32 != head) {
                    break;
                }
                d += 1;
            }
            keys.clear();
            keys.extend(order.iter().map(|&i| self.key(i, d)));
            keys.sort_unstable();
            for (o, &k) in order.iter_mut().zip(&keys) {
                *o = k as u32;
            }
            // Runs of one key: a boundary shares `d` frames; so do tracebacks that end here.
            let (mut order, mut lcp) = (order, lcp);
            let mut from = 0;
            for k in 1..=keys.len() {
                let head = keys[k - 1] >> 32;
                if k < keys.len() && keys[k] >> 32 == head {
                    if head == 0 {
                        lcp[k - from] = d;
                    }
                    continue;
                }
                if k < keys.len() {
                    lcp[k - from] = d;
                }
                let (run, rest) = std::mem::take(&mut order).split_at_mut(k - from);
                let (run_lcp, rest_lcp) = std::mem::take(&mut lcp).split_at_mut(k - from);
                (order, lcp, from) = (rest, rest_lcp, k);
                if run.len() < 2 || head == 0 {
                    continue;
                }
                if run.len() >= PAR_GROUP {
                    scope.spawn(move |scope| self.split(scope, run, run_lcp, d + 1));
                } else {
                    work.push((run, run_lcp, d + 1));
                }
            }
        }
    }
}

/// [`sorted_with_lcp`] by comparing the tracebacks' frames (outermost first) whole: the
/// reference the radix is tested against, and the fallback for 2^32 - 1 frames or more.
fn sorted_with_lcp_by_comparison(s: &Snapshot, live: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let outer = |i: u32| s.traceback(live[i as usize]).iter().rev();
    let mut order: Vec<u32> = (0..live.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| outer(a).cmp(outer(b)).then(a.cmp(&b)));
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

    /// Each traceback inserted whole, in order: what [`TraceTree::build`] must equal.
    fn inserted_whole(s: &Snapshot) -> CallTree {
        let mut c = CallTree::new();
        let mut key = Vec::new();
        for f in &s.frames {
            key.clear();
            key.extend_from_slice(s.strings[f.file as usize]);
            key.extend_from_slice(&f.lineno.to_le_bytes());
            c.intern_frame(&key);
        }
        for tb in 0..s.traceback_count() as u32 {
            if s.tb_count[tb as usize] > 0 {
                let node = c.insert(s.traceback(tb).iter().rev().copied());
                c.add(node, s.tb_size[tb as usize], s.tb_count[tb as usize]);
            }
        }
        c
    }

    /// Synthetic tracebacks (labelled: not from CPython) over a small frame alphabet, so that
    /// they share outer paths in every way: equal, one a prefix of another, empty of traces.
    fn synthetic(seed: u64, tracebacks: usize, alphabet: u32) -> Snapshot<'static> {
        let mut x = seed | 1;
        let mut rand = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut s = Snapshot {
            strings: vec![b"a.py", b"b.py"],
            tb_offsets: vec![0],
            ..Snapshot::default()
        };
        for f in 0..alphabet {
            s.frames.push(Frame {
                file: f % 2,
                lineno: f,
            });
        }
        for _ in 0..tracebacks {
            let len = 1 + rand(9) as usize;
            for _ in 0..len {
                s.tb_frames.push(rand(alphabet as u64) as u32);
            }
            s.tb_offsets.push(s.tb_frames.len() as u64);
            let count = rand(4);
            s.tb_count.push(count);
            s.tb_size.push(count * (1 + rand(100)));
        }
        s
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
        ] {
            let mut s = synthetic(seed, tracebacks, alphabet);
            // The outermost `stem` frames of every other traceback made the same.
            if stem > 0 {
                let (mut frames, mut offsets) = (Vec::new(), vec![0u64]);
                for t in 0..s.traceback_count() as u32 {
                    frames.extend_from_slice(s.traceback(t));
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
            let (order, lcp) = sorted_with_lcp(&s, &live);
            let (want_order, want_lcp) = sorted_with_lcp_by_comparison(&s, &live);
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

    #[test]
    fn build_makes_the_tree_of_whole_insertion() {
        for (seed, tracebacks, alphabet) in [
            (1, 1, 1),
            (2, 50, 2),
            (3, 400, 3),
            (4, 3000, 5),
            (10, 4 * PAR_GROUP, 3),
        ] {
            let s = synthetic(seed, tracebacks, alphabet);
            let (got, want) = (TraceTree::build(&s), inserted_whole(&s));
            assert!(!want.is_empty());
            assert_eq!(got.parent(), want.parent(), "seed {seed}");
            assert_eq!(got.frame(), want.frame(), "seed {seed}");
            assert_eq!(got.id(), want.id(), "seed {seed}");
            assert_eq!(got.size(), want.size(), "seed {seed}");
            assert_eq!(got.count(), want.count(), "seed {seed}");
            let live = s.tb_count.iter().filter(|&&c| c > 0).count() as u64;
            assert_eq!(got.tracebacks, live);
        }
    }
}
