//! The traceback tree of a snapshot, and CPython's `Snapshot.statistics` computed from it.
//!
//! Every traceback (most recent call first in the pickle) is inserted outermost frame first, so a
//! node is one call path from a root frame, and identical tracebacks meet in one node. A node's
//! own bytes and blocks are those of the traces whose traceback ends exactly there.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::pickle::{Frame, Snapshot};

pub const NO_PARENT: u32 = u32::MAX;

/// A call tree in flat columns; nodes are numbered so that a parent comes before its children.
#[derive(Debug, Default)]
pub struct TraceTree {
    pub parent: Vec<u32>,
    /// Frame id (into `Snapshot::frames`) of each node.
    pub frame: Vec<u32>,
    /// Bytes and blocks allocated with exactly this node's traceback.
    pub size: Vec<u64>,
    pub count: Vec<u64>,
    /// A stable hash of the frame sequence from the root (file names and line numbers only).
    pub id: Vec<u64>,
    /// Children of node `n`: `children[child_start[n]..child_start[n + 1]]`, in creation order.
    pub child_start: Vec<u32>,
    pub children: Vec<u32>,
    pub roots: Vec<u32>,
    /// Distinct tracebacks that hold at least one trace.
    pub tracebacks: u64,
}

/// FNV-1a, 64 bit: stable across runs and platforms (node ids must not change between runs).
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// splitmix64's finaliser: spreads a combined value over all bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl TraceTree {
    pub fn build(s: &Snapshot) -> TraceTree {
        let frame_hash: Vec<u64> = s
            .frames
            .iter()
            .map(|f| {
                fnv1a(
                    &f.lineno.to_le_bytes(),
                    fnv1a(s.strings[f.file as usize], 0xcbf2_9ce4_8422_2325),
                )
            })
            .collect();
        let mut t = TraceTree::default();
        let mut index: HashMap<(u32, u32), u32> = HashMap::new();
        for tb in 0..s.traceback_count() as u32 {
            if s.tb_count[tb as usize] == 0 {
                continue;
            }
            let mut node = NO_PARENT;
            for &f in s.traceback(tb).iter().rev() {
                let next = t.parent.len() as u32;
                let child = *index.entry((node, f)).or_insert(next);
                if child == next {
                    let parent_id = if node == NO_PARENT {
                        0x9e37_79b9_7f4a_7c15
                    } else {
                        t.id[node as usize]
                    };
                    let id = mix(parent_id.rotate_left(17) ^ frame_hash[f as usize]);
                    t.parent.push(node);
                    t.frame.push(f);
                    t.size.push(0);
                    t.count.push(0);
                    t.id.push(if id == 0 { 1 } else { id });
                    if node == NO_PARENT {
                        t.roots.push(child);
                    }
                }
                node = child;
            }
            if node != NO_PARENT {
                t.size[node as usize] += s.tb_size[tb as usize];
                t.count[node as usize] += s.tb_count[tb as usize];
                t.tracebacks += 1;
            }
        }
        // Children in CSR form (creation order kept).
        let (start, children) = heapscope_graph::children_from_parents(&t.parent);
        t.child_start = start;
        t.children = children;
        t
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    pub fn children_of(&self, n: u32) -> &[u32] {
        &self.children
            [self.child_start[n as usize] as usize..self.child_start[n as usize + 1] as usize]
    }

    /// Bytes and blocks at or below each node (children come after parents, so one reverse pass).
    pub fn subtree_totals(&self) -> (Vec<u64>, Vec<u64>) {
        let mut size = self.size.clone();
        let mut count = self.count.clone();
        for v in (0..self.len()).rev() {
            let p = self.parent[v];
            if p != NO_PARENT {
                size[p as usize] += size[v];
                count[p as usize] += count[v];
            }
        }
        (size, count)
    }

    /// Frames from the root down to `n` (CPython's `Traceback` order: oldest first).
    pub fn path(&self, mut n: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while n != NO_PARENT {
            out.push(self.frame[n as usize]);
            n = self.parent[n as usize];
        }
        out.reverse();
        out
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
            if t.count[n as usize] > 0 {
                let key = t
                    .path(n)
                    .into_iter()
                    .map(|f| s.frames[f as usize])
                    .collect();
                rows.push(Statistic {
                    key,
                    size: t.size[n as usize],
                    count: t.count[n as usize],
                });
            }
        }
    } else {
        let (size, count) = if cumulative {
            t.subtree_totals()
        } else {
            (t.size.clone(), t.count.clone())
        };
        let mut by_key: HashMap<Frame, usize> = HashMap::new();
        for n in 0..t.len() {
            if count[n] == 0 {
                continue;
            }
            let k = key_of(t.frame[n]);
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
