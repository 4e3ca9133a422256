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
    pub fn build(s: &Snapshot) -> TraceTree {
        let mut t = TraceTree::default();
        let mut key = Vec::new();
        for f in &s.frames {
            key.clear();
            key.extend_from_slice(s.strings.get(f.file as usize).copied().unwrap_or_default());
            key.extend_from_slice(&f.lineno.to_le_bytes());
            t.tree.intern_frame(&key);
        }
        // Each traceback is walked from its outermost frame, starting below the path it shares
        // with the previous traceback (tracebacks of one program share their outer frames).
        // Nodes are made in the same order as by inserting every traceback whole.
        let (mut prev_frames, mut prev_nodes): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for tb in 0..s.traceback_count() as u32 {
            if s.tb_count[tb as usize] == 0 {
                continue;
            }
            let frames = s.traceback(tb);
            let shared = prev_frames
                .iter()
                .zip(frames.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            prev_frames.truncate(shared);
            prev_nodes.truncate(shared);
            let mut node = prev_nodes.last().copied().unwrap_or(NO_PARENT);
            for &f in frames[..frames.len() - shared].iter().rev() {
                node = t.tree.child(node, f).0;
                prev_frames.push(f);
                prev_nodes.push(node);
            }
            if node != NO_PARENT {
                t.tree
                    .add(node, s.tb_size[tb as usize], s.tb_count[tb as usize]);
                t.tracebacks += 1;
            }
        }
        t
    }
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
