//! The id index of phase 2: dump ids mapped to dense node indices, built once phase 1 ends by a
//! counting sort into buckets (or a sort of `(id, idx)` pairs when the ids are spread too wide to
//! pack), and [`resolve`], the lookup every edge by id goes through.

use rayon::prelude::*;

/// Id → dense index map; freed by `finish`. Three forms, the first that fits:
///
/// - **bitmap** (every real heap dump: ids are object addresses, nearly in node order): the ids,
///   less their minimum and their common trailing zero bits (heap addresses are 8-byte aligned),
///   are slots of a bit map cut into 64-byte lines, one header word and 448 slot bits each. A
///   line whose ids come in node order as one run of consecutive indices (nearly all of them)
///   stores the first one's index, and a lookup is that plus the set bits before the slot — one
///   cache line read. The ids of the other lines (where the dump's address order turns back, and
///   repeated ids) go to a sorted `(id, idx)` table searched by bisection. Used while the map
///   costs at most [`BITMAP_MAX_BYTES_PER_NODE`]. A 2.18 GB JDK 17 dump (44.8 M objects, G1
///   regions over an 8.6 GB address range) needs 3.4 B/node (2.4 M lines, 146 MiB; the packed
///   form: 8.5 B/node) and 1,608 of its ids (58 lines) are in the table.
///   **Sparse**: when the span's lines cost more than that but most of them hold no id — a live
///   dump of a JVM whose `-Xmx` reservation is far larger than its live set: javac's 10.7 M
///   objects over an 8 GiB G1 reservation need 14.3 B/node of lines — only the lines that hold
///   an id are kept, in order, behind a directory of 4 bytes per line of the span (`u32::MAX`:
///   no id there). A lookup reads the directory entry, then the line: two cache lines, not a
///   bisection of ~20 steps. Used while directory and lines cost at most
///   [`BITMAP_MAX_BYTES_PER_NODE`] too.
/// - **packed**: when the slots fit beside a node index in 64 bits, one `u64` key
///   `slot << idx_bits | idx` per node, sorted in place by a counting sort into buckets over
///   the high bits: 8 bytes per node while sorting and after (plus ~0.5 for buckets); a lookup
///   is a short binary search inside one bucket.
/// - **pairs** (ids spread over the whole u64 range): sorted `(id, idx)` pairs: 16 bytes per
///   node while sorting, 12 after.
pub(super) struct IdIndex {
    keys: Keys,
    min: u64,
    /// bucket `b` holds the entries whose key prefix `>> shift == b`
    shift: u32,
    /// `buckets[b]..buckets[b+1]` is the range of entries of bucket `b`
    buckets: Vec<u32>,
    /// The CPU has POPCNT: bitmap lookups use the instruction (the release build targets
    /// baseline x86-64, where `count_ones` is a dozen instructions per word).
    popcnt: bool,
}

enum Keys {
    Bitmap {
        lines: Vec<Line>,
        /// Sparse form: per line of the span, its position in `lines` ([`NO_LINE`]: none);
        /// empty when every line of the span is in `lines`.
        dir: Vec<u32>,
        tz: u32,
        /// (id, idx) of the ids in lines that are not one run, sorted by id, first index kept
        others: Vec<(u64, u32)>,
    },
    Packed {
        keys: Vec<u64>,
        tz: u32,
        idx_bits: u32,
    },
    Pairs {
        ids: Vec<u64>,
        idx: Vec<u32>,
    },
}

/// What [`IdIndex::bitmap_state`] shows.
#[cfg(test)]
pub(super) type BitmapState<'a> = (Vec<u64>, &'a [(u64, u32)]);

/// In a sparse bitmap's directory: no id falls in this line of the span.
const NO_LINE: u32 = u32::MAX;

/// Slots per [`Line`] of the bitmap form.
const LINE_SLOTS: u64 = 448;
/// In [`Line::head`]: the line's ids are one run (bits 0..32 are the first one's index).
const RUN: u64 = 1 << 32;
/// In [`Line::head`]: the line holds an id (while building).
const USED: u64 = 1 << 33;
/// The bitmap form is used while it costs at most this many bytes per node (64 bytes per 448
/// slots: a heap whose objects average up to ~54 slots, 432 bytes at 8-byte alignment).
pub(super) const BITMAP_MAX_BYTES_PER_NODE: usize = 8;

/// One cache line of the bitmap form: `head` (the index of the line's first id and [`RUN`]),
/// then 448 slot bits.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line {
    head: u64,
    bits: [u64; 7],
}

impl IdIndex {
    pub(super) fn build(node_ids: &[u64]) -> (IdIndex, u64) {
        Self::build_with(node_ids, BITMAP_MAX_BYTES_PER_NODE)
    }

    /// [`build`](Self::build) with the bitmap form's bound in bytes per node (tests force each
    /// form with it: 0 never uses it).
    pub(super) fn build_with(node_ids: &[u64], bitmap_max: usize) -> (IdIndex, u64) {
        let n = node_ids.len();
        // One pass: the range and the low bits all ids share. `x - min` and `x ^ min` have the
        // same lowest set bit, and the low bits every id shares with `min` are the ones every
        // id shares with the first id, so the common trailing zeros of `x - min` are those of
        // the OR of `x ^ first`.
        let first = node_ids.first().copied().unwrap_or(0);
        let (min, max, ors) = node_ids
            .par_iter()
            .fold(
                || (u64::MAX, 0u64, 0u64),
                |(a, b, o), &x| (a.min(x), b.max(x), o | (x ^ first)),
            )
            .reduce(
                || (u64::MAX, 0u64, 0u64),
                |(a, b, o), (c, d, p)| (a.min(c), b.max(d), o | p),
            );
        let min = if n == 0 { 0 } else { min };
        let tz = if ors == 0 { 0 } else { ors.trailing_zeros() };
        let span = (max.saturating_sub(min)) >> tz;
        let span_bits = 64 - span.leading_zeros();
        let idx_bits = (64 - (n.max(2) as u64 - 1).leading_zeros()).max(1);
        let lines = span / LINE_SLOTS + 1;
        let budget = n.saturating_mul(bitmap_max) as u64;
        if n > 0 && n <= u32::MAX as usize && lines.saturating_mul(64) <= budget {
            return Self::bitmap(node_ids, min, tz, Vec::new(), lines as usize);
        }
        // The directory alone must fit the budget (it bounds the occupancy bits too: 1 bit per
        // line), and fewer lines than `NO_LINE` hold ids.
        if n > 0 && n < NO_LINE as usize && lines.saturating_mul(4) <= budget {
            if let Some(dir) = sparse_directory(node_ids, min, tz, lines as usize, budget) {
                let used = dir.iter().filter(|&&d| d != NO_LINE).count();
                return Self::bitmap(node_ids, min, tz, dir, used);
            }
        }
        if span_bits + idx_bits <= 64 {
            // Counting sort by bucket (ids of real dumps are nearly in address order, so the
            // scatter is almost sequential), then a short sort inside each bucket: O(n), and no
            // second array of keys.
            let want_buckets = (n / 8).max(1) as u64;
            let mut shift = 0u32;
            while shift < 63 && (span >> shift) >= want_buckets {
                shift += 1;
            }
            let nb = ((span >> shift) + 2) as usize;
            let mut buckets = vec![0u32; nb];
            for &id in node_ids {
                buckets[((((id - min) >> tz) >> shift) + 1) as usize] += 1;
            }
            for b in 1..nb {
                buckets[b] += buckets[b - 1];
            }
            let mut keys = vec![0u64; n];
            {
                let mut cursor: Vec<u32> = buckets[..nb - 1].to_vec();
                for (i, &id) in node_ids.iter().enumerate() {
                    let p = (id - min) >> tz;
                    let c = &mut cursor[(p >> shift) as usize];
                    keys[*c as usize] = (p << idx_bits) | i as u64;
                    *c += 1;
                }
            }
            // Sort each bucket, drop repeated ids (equal ids are adjacent, lowest index first:
            // the first node keeps the id) and close up, moving the bucket starts along.
            let mut dups = 0u64;
            let mut w = 0usize;
            for b in 0..nb - 1 {
                let (lo, hi) = (buckets[b] as usize, buckets[b + 1] as usize);
                keys[lo..hi].sort_unstable();
                buckets[b] = w as u32;
                for r in lo..hi {
                    let k = keys[r];
                    if w > buckets[b] as usize && keys[w - 1] >> idx_bits == k >> idx_bits {
                        dups += 1;
                        continue;
                    }
                    keys[w] = k;
                    w += 1;
                }
            }
            buckets[nb - 1] = w as u32;
            keys.truncate(w);
            let keys = Keys::Packed { keys, tz, idx_bits };
            return (
                IdIndex {
                    keys,
                    min,
                    shift,
                    buckets,
                    popcnt: false,
                },
                dups,
            );
        }
        let mut pairs: Vec<(u64, u32)> = node_ids
            .par_iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        pairs.par_sort_unstable();
        let mut dups = 0u64;
        let mut ids = Vec::with_capacity(pairs.len());
        let mut idx = Vec::with_capacity(pairs.len());
        for (i, &(id, ix)) in pairs.iter().enumerate() {
            if i > 0 && pairs[i - 1].0 == id {
                dups += 1;
                continue;
            }
            ids.push(id);
            idx.push(ix);
        }
        drop(pairs);
        let (shift, buckets) = Self::buckets(ids.iter().map(|&id| id - min), ids.len(), max - min);
        (
            IdIndex {
                keys: Keys::Pairs { ids, idx },
                min,
                shift,
                buckets,
                popcnt: false,
            },
            dups,
        )
    }

    /// The bitmap form: one pass sets the bits and keeps, per line, whether its ids so far
    /// are one run (consecutive indices in increasing slot order); a second pass collects the
    /// ids of the other lines into the sorted table. A repeated id spoils its line's run. Both
    /// passes run on all threads: the first cut into as many ranges of lines, each filled by a
    /// pass over all the ids that skips those of other ranges (a line is filled by one thread,
    /// so the result is the one-thread result), the second over ranges of the ids.
    /// `dir`: the sparse form's directory (empty: the lines are the span's); `nlines`: the lines
    /// kept.
    fn bitmap(node_ids: &[u64], min: u64, tz: u32, dir: Vec<u32>, nlines: usize) -> (IdIndex, u64) {
        Self::bitmap_in_parts(node_ids, min, tz, dir, nlines, rayon::current_num_threads())
    }

    /// [`bitmap`](Self::bitmap) with the lines cut into `parts` ranges (tests vary it).
    pub(super) fn bitmap_in_parts(
        node_ids: &[u64],
        min: u64,
        tz: u32,
        dir: Vec<u32>,
        nlines: usize,
        parts: usize,
    ) -> (IdIndex, u64) {
        // zeroed on all threads (the first touch of ~150 MiB of fresh pages on a big dump)
        let mut lines: Vec<Line> = rayon::iter::repeat_n(Line::default(), nlines).collect();
        let per = nlines.div_ceil(parts.max(1)).max(1);
        let (dups, spoiled) = lines
            .par_chunks_mut(per)
            .enumerate()
            .map(|(k, part)| fill_lines(node_ids, min, tz, &dir, part, k * per))
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let mut others = Vec::new();
        if spoiled > 0 {
            let (lines, dir) = (&lines, &dir);
            others = node_ids
                .par_iter()
                .enumerate()
                .filter_map(|(i, &id)| {
                    let l = line_at(dir, (id - min) >> tz);
                    (lines[l].head & RUN == 0).then_some((id, i as u32))
                })
                .collect();
            others.par_sort_unstable();
            others.dedup_by_key(|e| e.0); // keeps the first of equal ids: the lowest index
        }
        let keys = Keys::Bitmap {
            lines,
            dir,
            tz,
            others,
        };
        let index = IdIndex {
            keys,
            min,
            shift: 0,
            buckets: Vec::new(),
            popcnt: has_popcnt(),
        };
        (index, dups)
    }

    /// Bucket table over sorted prefixes (`0..=span`): about 8 entries per bucket on uniform ids.
    fn buckets(prefixes: impl Iterator<Item = u64>, len: usize, span: u64) -> (u32, Vec<u32>) {
        let want_buckets = (len / 8).max(1) as u64;
        let mut shift = 0u32;
        while shift < 63 && (span >> shift) >= want_buckets {
            shift += 1;
        }
        let nb = ((span >> shift) + 2) as usize;
        let mut buckets = vec![0u32; nb];
        for p in prefixes {
            buckets[((p >> shift) + 1) as usize] += 1;
        }
        for b in 1..nb {
            buckets[b] += buckets[b - 1];
        }
        (shift, buckets)
    }

    /// The bitmap form's lines (head and bits, flattened) and table, for tests.
    #[cfg(test)]
    pub(super) fn bitmap_state(&self) -> Option<BitmapState<'_>> {
        match &self.keys {
            Keys::Bitmap { lines, others, .. } => Some((
                lines
                    .iter()
                    .flat_map(|l| std::iter::once(l.head).chain(l.bits))
                    .collect(),
                others,
            )),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(super) fn form(&self) -> &'static str {
        match self.keys {
            Keys::Bitmap { ref dir, .. } if !dir.is_empty() => "sparse bitmap",
            Keys::Bitmap { .. } => "bitmap",
            Keys::Packed { .. } => "packed",
            Keys::Pairs { .. } => "pairs",
        }
    }

    #[inline(always)]
    pub(super) fn get(&self, id: u64) -> Option<u32> {
        if id < self.min {
            return None;
        }
        let d = id - self.min;
        match &self.keys {
            Keys::Bitmap {
                lines,
                dir,
                tz,
                others,
            } => {
                #[cfg(target_arch = "x86_64")]
                if self.popcnt {
                    // SAFETY: `popcnt` is true only where the CPU has the instruction
                    // (detected in `build_with`).
                    return unsafe { bitmap_get_popcnt(lines, dir, *tz, others, d, id) };
                }
                bitmap_get(lines, dir, *tz, others, d, id)
            }
            Keys::Packed { keys, tz, idx_bits } => {
                if d & ((1u64 << tz) - 1) != 0 {
                    return None;
                }
                let p = d >> tz;
                let b = (p >> self.shift) as usize;
                if b + 1 >= self.buckets.len() {
                    return None;
                }
                let slice = &keys[self.buckets[b] as usize..self.buckets[b + 1] as usize];
                let at = slice.partition_point(|&k| k >> idx_bits < p);
                let k = *slice.get(at)?;
                (k >> idx_bits == p).then_some((k & ((1u64 << idx_bits) - 1)) as u32)
            }
            Keys::Pairs { ids, idx } => {
                let b = (d >> self.shift) as usize;
                if b + 1 >= self.buckets.len() {
                    return None;
                }
                let lo = self.buckets[b] as usize;
                let hi = self.buckets[b + 1] as usize;
                ids[lo..hi].binary_search(&id).ok().map(|p| idx[lo + p])
            }
        }
    }
}

/// The bitmap form's lines `first..first + lines.len()`, filled from the ids that fall in them:
/// their slot bits, and in each line's head the index of its first id and whether its ids are
/// one run. Returns the repeated ids and the lines spoiled (not one run) among these lines.
fn fill_lines(
    node_ids: &[u64],
    min: u64,
    tz: u32,
    dir: &[u32],
    lines: &mut [Line],
    first: usize,
) -> (u64, usize) {
    let mut dups = 0u64;
    let mut spoiled = 0usize;
    // The slot of node `i - 1` when it was set here (not a repeated id, not another range's).
    // A line stays one run while each id after its first comes right after the node before
    // it, in the same line at a lower slot: no popcount per id.
    let mut prev: Option<u64> = None;
    for (i, &id) in node_ids.iter().enumerate() {
        let s = (id - min) >> tz;
        let Some(line) = line_at(dir, s)
            .checked_sub(first)
            .and_then(|l| lines.get_mut(l))
        else {
            prev = None;
            continue;
        };
        let b = (s % LINE_SLOTS) as usize;
        let (w, m) = (b / 64, 1u64 << (b % 64));
        if line.bits[w] & m != 0 {
            dups += 1;
            if line.head & RUN != 0 {
                line.head &= !RUN;
                spoiled += 1;
            }
            prev = None;
            continue;
        }
        if line.head & USED == 0 {
            line.head = i as u64 | RUN | USED;
        } else if line.head & RUN != 0
            && !prev.is_some_and(|p| p / LINE_SLOTS == s / LINE_SLOTS && p < s)
        {
            line.head &= !RUN;
            spoiled += 1;
        }
        line.bits[w] |= m;
        prev = Some(s);
    }
    (dups, spoiled)
}

/// A lookup in the bitmap form; `d` is `id` less the index's minimum.
#[inline(always)]
fn bitmap_get(
    lines: &[Line],
    dir: &[u32],
    tz: u32,
    others: &[(u64, u32)],
    d: u64,
    id: u64,
) -> Option<u32> {
    if d & ((1u64 << tz) - 1) != 0 {
        return None;
    }
    let s = d >> tz;
    let l = (s / LINE_SLOTS) as usize;
    let l = if dir.is_empty() {
        l
    } else {
        match *dir.get(l)? {
            NO_LINE => return None,
            k => k as usize,
        }
    };
    let line = lines.get(l)?;
    let b = (s % LINE_SLOTS) as usize;
    let (w, bit) = (b / 64, b % 64);
    let word = line.bits[w];
    if (word >> bit) & 1 == 0 {
        return None;
    }
    if line.head & RUN != 0 {
        return Some(line.head as u32 + rank(&line.bits, w, bit));
    }
    others
        .binary_search_by_key(&id, |e| e.0)
        .ok()
        .map(|p| others[p].1)
}

/// The set bits of a line's `bits` before bit `bit` of word `w`: all seven words counted under
/// a mask, with no branch on `w` (a loop over the words before `w` mispredicts its exit on
/// nearly every lookup, the slots being random).
#[inline(always)]
pub(super) fn rank(bits: &[u64; 7], w: usize, bit: usize) -> u32 {
    let low = (1u64 << bit) - 1;
    let mut below = 0u32;
    for (j, &x) in bits.iter().enumerate() {
        // all ones for the words before `w`, the bits below `bit` in `w`, none after it
        let before = ((j as i64 - w as i64) >> 63) as u64;
        let at = ((j == w) as u64).wrapping_neg() & low;
        below += (x & (before | at)).count_ones();
    }
    below
}

/// [`bitmap_get`] compiled with the POPCNT instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn bitmap_get_popcnt(
    lines: &[Line],
    dir: &[u32],
    tz: u32,
    others: &[(u64, u32)],
    d: u64,
    id: u64,
) -> Option<u32> {
    bitmap_get(lines, dir, tz, others, d, id)
}

/// The position in the kept lines of the line of slot `s` (an id's slot: its line is kept).
#[inline(always)]
fn line_at(dir: &[u32], s: u64) -> usize {
    let l = (s / LINE_SLOTS) as usize;
    if dir.is_empty() {
        l
    } else {
        dir[l] as usize
    }
}

/// The sparse form's directory over the span's `nlines` lines: each line that holds an id gets
/// the next position, in line order; the others [`NO_LINE`]. `None` when directory and kept
/// lines would cost more than `budget` bytes. One pass marks the lines (1 bit each, on all
/// threads), one numbers them.
pub(super) fn sparse_directory(
    node_ids: &[u64],
    min: u64,
    tz: u32,
    nlines: usize,
    budget: u64,
) -> Option<Vec<u32>> {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let used: Vec<AtomicU64> = (0..nlines.div_ceil(64))
        .map(|_| AtomicU64::new(0))
        .collect();
    node_ids.par_iter().for_each(|&id| {
        let l = (((id - min) >> tz) / LINE_SLOTS) as usize;
        used[l / 64].fetch_or(1 << (l % 64), Relaxed);
    });
    let kept: u64 = used
        .iter()
        .map(|w| w.load(Relaxed).count_ones() as u64)
        .sum();
    if (nlines as u64 * 4).saturating_add(kept * 64) > budget {
        return None;
    }
    let mut next = 0u32;
    let dir = (0..nlines)
        .map(|l| {
            if used[l / 64].load(Relaxed) & (1 << (l % 64)) != 0 {
                next += 1;
                next - 1
            } else {
                NO_LINE
            }
        })
        .collect();
    Some(dir)
}

/// Does the CPU have POPCNT?
fn has_popcnt() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The dense index of an edge's target id, or `None` after counting it as missing (the first
/// one is kept for the warning, with the node `current` it came from).
#[inline(always)]
pub(super) fn resolve(
    index: &IdIndex,
    id: u64,
    current: Option<u32>,
    missing: &mut u64,
    first_missing: &mut Option<(u64, u32)>,
) -> Option<u32> {
    let t = index.get(id);
    if t.is_none() {
        *missing += 1;
        if first_missing.is_none() {
            *first_missing = current.map(|c| (id, c));
        }
    }
    t
}
