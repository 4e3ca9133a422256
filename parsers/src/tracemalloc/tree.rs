//! The traceback tree of a snapshot, and CPython's `Snapshot.statistics` computed from it.
//!
//! Every traceback (most recent call first in the pickle) is inserted outermost frame first, so a
//! node is one call path from a root frame, and identical tracebacks meet in one node. A node's
//! own bytes and blocks are those of the traces whose traceback ends exactly there.

use std::cmp::Ordering;
use std::collections::HashMap;

use heapscope_graph::CallTree;
use rayon::slice::ParallelSliceMut;

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
/// The tracebacks are sorted by their frames outermost first; the path two of them share is the
/// minimum of the neighbours' shared lengths between them in that order, so the best earlier
/// one is the nearest earlier one on either side (nearest smaller index, found with a stack that
/// keeps the minimum of the shared lengths between its entries). The sort reads a copy of the
/// frames, outermost first: 4 B per frame of a traceback, and 20 B per traceback, while it runs.
fn shared_with_earlier(s: &Snapshot, live: &[u32]) -> Vec<(u32, u32)> {
    let n = live.len();
    let mut start = Vec::with_capacity(n + 1);
    // Frame ids as big-endian bytes: byte order is then the order of the ids, so comparing
    // two tracebacks is one memcmp (a u32 slice compares element by element).
    let mut outer_first: Vec<u8> = Vec::new();
    start.push(0usize);
    for &tb in live {
        for &f in s.traceback(tb).iter().rev() {
            outer_first.extend_from_slice(&f.to_be_bytes());
        }
        start.push(outer_first.len());
    }
    let frames = |i: u32| &outer_first[start[i as usize]..start[i as usize + 1]];
    let mut order: Vec<u32> = (0..n as u32).collect();
    // On both cores (rayon); ties are broken by index, so the order is the same either way.
    order.par_sort_unstable_by(|&a, &b| frames(a).cmp(frames(b)).then(a.cmp(&b)));
    // lcp[k]: the path shared by order[k - 1] and order[k].
    let mut lcp = vec![0u32; n];
    for k in 1..n {
        let (a, b) = (frames(order[k - 1]), frames(order[k]));
        lcp[k] = common_frames(a, b);
    }
    drop(outer_first);
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

/// The frames two tracebacks share from the outermost on (4 bytes per frame), 8 bytes per step.
fn common_frames(a: &[u8], b: &[u8]) -> u32 {
    let n = a.len().min(b.len());
    let word = |s: &[u8], i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n && word(a, i) == word(b, i) {
        i += 8;
    }
    if i + 4 <= n && a[i..i + 4] == b[i..i + 4] {
        i += 4;
    }
    (i / 4) as u32
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

    #[test]
    fn build_makes_the_tree_of_whole_insertion() {
        for (seed, tracebacks, alphabet) in [(1, 1, 1), (2, 50, 2), (3, 400, 3), (4, 3000, 5)] {
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
