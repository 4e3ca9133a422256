//! The id index of phase 2: dump ids mapped to dense node indices, built once phase 1 ends by a
//! counting sort into buckets (or a sort of `(id, idx)` pairs when the ids are spread too wide to
//! pack), and [`resolve`], the lookup every edge by id goes through.

use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Id → dense index map; freed by `finish`. Three forms, the first that fits:
///
/// - **bitmap** (every real heap dump: ids are object addresses): the ids, less their minimum
///   and their common trailing zero bits (heap addresses are 8-byte aligned), are slots of a bit
///   map cut into 64-byte lines, one header word and 448 slot bits each. A line whose ids come
///   in node order as one run of consecutive indices (nearly all of them in a JVM dump) stores
///   the first one's index, and a lookup is that plus the set bits before the slot — one cache
///   line read. Each other line (where the dump's address order turns back, repeated ids, or a
///   format whose node order is not address order) stores where its entries start in a flat
///   table of node indices, one `u32` per set bit of such lines in slot order (the first node
///   of a repeated id), and a lookup reads `table[start + set bits before the slot]`: two
///   cache lines, no search. Used while the lines cost at most [`BITMAP_MAX_BYTES_PER_NODE`];
///   the table adds 4 B per id of such lines (≤ 4 B/node). A 2.18 GB JDK 17 dump (44.8 M
///   objects, G1 regions over an 8.6 GB address range) needs 3.4 B/node (2.4 M lines, 146 MiB;
///   the packed form: 8.5 B/node) and 1,783 of its ids are in the table (javac: 15,555 of
///   10.7 M).
///   **Sparse**: when the span's lines cost more than that but most of them hold no id — a live
///   dump of a JVM whose `-Xmx` reservation is far larger than its live set: javac's 10.7 M
///   objects over an 8 GiB G1 reservation need 14.3 B/node of lines — only the lines that hold
///   an id are kept, in order, behind a directory of 4 bytes per line of the span (`u32::MAX`:
///   no id there). A lookup reads the directory entry, then the line: two cache lines (three
///   for a line not one run). Used while directory and lines cost at most
///   [`BITMAP_MAX_BYTES_PER_NODE`] too.
///   **Clustered**: when neither fits the whole span but most ids lie in a narrower range — a
///   Python snapshot: 2,421 static objects in the interpreter binary at 0x559b… beside 12.35 M
///   heap objects at 0x7fa2…, 46 TB apart — the bitmap (or sparse bitmap) covers the range
///   holding the most ids that fits the bound (found by at most [`CLUSTER_ROUNDS`] histograms
///   of 4,096 buckets over the ids, each pass narrowing the range), if it leaves out at most
///   half of them. The ids outside it get an index of their own (any form but clustered) and
///   a table of their node indices: 4 B per id outside, plus its index. A lookup compares the
///   id with the range first. The Python snapshot: a bitmap of 496 K lines over the heap's
///   1.78 GB (2.6 B/node) and a table of every heap id (its node order is not address order:
///   4 B/node), the static objects packed — 6.6 B/node against the pairs' 12 (16 while
///   sorting).
/// - **packed**: when the slots fit beside a node index in 64 bits, one `u64` key
///   `slot << idx_bits | idx` per node, sorted in place by a counting sort into buckets over
///   the high bits: 8 bytes per node while sorting and after (plus ~0.5 for buckets); a lookup
///   is a short binary search inside one bucket.
/// - **pairs** (ids spread over the whole u64 range): sorted `(id, idx)` pairs: 16 bytes per
///   node while sorting, 12 after.
///
/// The form and every table depend on the ids alone, never on the thread count.
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
        /// The ids of lines that are not one run: per set bit of such a line, in line and slot
        /// order, the node index of the first node with that id (the line's head holds the
        /// position of its first entry).
        table: Vec<u32>,
        /// The ids `min..=min + range` are in the bit map; the others in `outside`.
        range: u64,
        outside: Option<Box<Outside>>,
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

/// The ids outside a clustered bitmap's range: their own index over them (numbered in node
/// order), and the node index of each.
struct Outside {
    index: IdIndex,
    nodes: Vec<u32>,
}

/// What [`IdIndex::bitmap_state`] shows.
#[cfg(test)]
pub(super) type BitmapState<'a> = (Vec<u64>, &'a [u32]);

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
/// The clustered form's search for a range narrows it at most this many times (a histogram
/// of 4,096 buckets each: 12 bits of the span).
const CLUSTER_ROUNDS: usize = 6;
/// Buckets of each histogram of that search.
const CLUSTER_BUCKETS_LOG: u32 = 12;

/// One cache line of the bitmap form: `head` (the index of the line's first id and [`RUN`],
/// or the position of its first entry in the table), then 448 slot bits.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line {
    head: u64,
    bits: [u64; 7],
}

/// The ids a bitmap covers: `min..=min + range`, slots `(id - min) >> tz`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Span {
    pub min: u64,
    pub range: u64,
    pub tz: u32,
}

impl Span {
    /// The slot of `id`, if it is in the span (`None` for the others; an unaligned id in the
    /// span gets the slot below it).
    #[inline(always)]
    fn slot(&self, id: u64) -> Option<u64> {
        let d = id.wrapping_sub(self.min);
        (d <= self.range).then_some(d >> self.tz)
    }

    fn lines(&self) -> u64 {
        (self.range >> self.tz) / LINE_SLOTS + 1
    }
}

/// Over the ids in `lo..=hi`: their count, least and greatest, and the trailing zero bits
/// they all share past their least (`None` when there is none). One parallel pass.
pub(super) fn bounds(node_ids: &[u64], lo: u64, hi: u64) -> Option<(usize, Span)> {
    let inside = |x: u64| x >= lo && x <= hi;
    // `x - min` and `x ^ min` have the same lowest set bit, and the low bits every id shares
    // with `min` are the ones every id shares with any one of them, so the common trailing
    // zeros of `x - min` are those of the OR of `x ^ first`.
    let first = node_ids.iter().copied().find(|&x| inside(x))?;
    let (count, min, max, ors) = node_ids
        .par_iter()
        .fold(
            || (0usize, u64::MAX, 0u64, 0u64),
            |(c, a, b, o), &x| {
                if inside(x) {
                    (c + 1, a.min(x), b.max(x), o | (x ^ first))
                } else {
                    (c, a, b, o)
                }
            },
        )
        .reduce(
            || (0usize, u64::MAX, 0u64, 0u64),
            |(c, a, b, o), (k, m, x, p)| (c + k, a.min(m), b.max(x), o | p),
        );
    let tz = if ors == 0 { 0 } else { ors.trailing_zeros() };
    Some((
        count,
        Span {
            min,
            range: max - min,
            tz,
        },
    ))
}

impl IdIndex {
    pub(super) fn build(node_ids: &[u64]) -> (IdIndex, u64) {
        Self::build_with(node_ids, BITMAP_MAX_BYTES_PER_NODE)
    }

    /// [`build`](Self::build) with the bitmap form's bound in bytes per node (tests force each
    /// form with it: 0 never uses it).
    pub(super) fn build_with(node_ids: &[u64], bitmap_max: usize) -> (IdIndex, u64) {
        Self::build_in(node_ids, bitmap_max, true)
    }

    /// `clusters`: the clustered bitmap may be used (not for the ids outside one).
    fn build_in(node_ids: &[u64], bitmap_max: usize, clusters: bool) -> (IdIndex, u64) {
        let n = node_ids.len();
        let (_, all) = bounds(node_ids, 0, u64::MAX).unwrap_or((
            0,
            Span {
                min: 0,
                range: 0,
                tz: 0,
            },
        ));
        let budget = n.saturating_mul(bitmap_max) as u64;
        if let Some(built) = Self::try_bitmap(node_ids, all, n, budget, bitmap_max) {
            return built;
        }
        if clusters {
            if let Some((count, span)) = dense_range(node_ids, all, bitmap_max) {
                let budget = count.saturating_mul(bitmap_max) as u64;
                if let Some(built) = Self::try_bitmap(node_ids, span, count, budget, bitmap_max) {
                    return built;
                }
            }
        }
        let (min, tz) = (all.min, all.tz);
        let span = all.range >> tz;
        let span_bits = 64 - span.leading_zeros();
        let idx_bits = (64 - (n.max(2) as u64 - 1).leading_zeros()).max(1);
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
        let (shift, buckets) = Self::buckets(ids.iter().map(|&id| id - min), ids.len(), all.range);
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

    /// The bitmap form over `span` (holding `count` of the ids) if its lines, or the sparse
    /// form's directory and kept lines, cost at most `budget` bytes.
    fn try_bitmap(
        node_ids: &[u64],
        span: Span,
        count: usize,
        budget: u64,
        bitmap_max: usize,
    ) -> Option<(IdIndex, u64)> {
        if count == 0 || count > u32::MAX as usize || node_ids.len() > u32::MAX as usize {
            return None;
        }
        let lines = span.lines();
        if lines.saturating_mul(64) <= budget {
            let nlines = lines as usize;
            return Some(Self::bitmap(
                node_ids,
                span,
                count,
                Vec::new(),
                nlines,
                bitmap_max,
            ));
        }
        // The directory alone must fit the budget (it bounds the occupancy bits too: 1 bit per
        // line), and fewer lines than `NO_LINE` hold ids.
        if count < NO_LINE as usize && lines.saturating_mul(4) <= budget {
            let dir = sparse_directory(node_ids, span, lines as usize, budget)?;
            let used = dir.iter().filter(|&&d| d != NO_LINE).count();
            return Some(Self::bitmap(node_ids, span, count, dir, used, bitmap_max));
        }
        None
    }

    /// The bitmap form: one pass sets the bits and keeps, per line, whether its ids so far
    /// are one run (consecutive indices in increasing slot order); then each line that is not
    /// gets its place in the table, and a second pass writes there the node index of each id
    /// of those lines. A repeated id spoils its line's run. Both passes run on all threads: the
    /// first cut into as many ranges of lines, each filled by a pass over all the ids that
    /// skips those of other ranges (a line is filled by one thread, so the result is the
    /// one-thread result), the second over ranges of the ids (each entry keeps the least node
    /// index written to it). `dir`: the sparse form's directory (empty: the lines are the
    /// span's); `nlines`: the lines kept. The ids outside `span` (all but `inside` of them)
    /// get their own index.
    fn bitmap(
        node_ids: &[u64],
        span: Span,
        inside: usize,
        dir: Vec<u32>,
        nlines: usize,
        bitmap_max: usize,
    ) -> (IdIndex, u64) {
        let parts = rayon::current_num_threads();
        Self::bitmap_in_parts(node_ids, span, inside, dir, nlines, parts, bitmap_max)
    }

    /// [`bitmap`](Self::bitmap) with the lines cut into `parts` ranges (tests vary it).
    pub(super) fn bitmap_in_parts(
        node_ids: &[u64],
        span: Span,
        inside: usize,
        dir: Vec<u32>,
        nlines: usize,
        parts: usize,
        bitmap_max: usize,
    ) -> (IdIndex, u64) {
        let popcnt = has_popcnt();
        // zeroed on all threads (the first touch of ~150 MiB of fresh pages on a big dump)
        let mut lines: Vec<Line> = Vec::with_capacity(room::<Line>(nlines));
        lines.par_extend(rayon::iter::repeat_n(Line::default(), nlines));
        // Each range of lines is filled by a pass over every id that skips the other ranges'
        // ids; its work beyond that pass is its own ids, so the cuts fall where a sample of
        // the ids says each range holds about as many (ids need not spread evenly over the
        // address range: ~0.1 s of one thread alone on the 2.18 GB JDK 17 dump with equal
        // ranges of lines).
        let cuts = balanced_cuts(node_ids, span, &dir, nlines, parts.max(1));
        let mut ranges: Vec<(usize, &mut [Line])> = Vec::with_capacity(cuts.len());
        let mut rest: &mut [Line] = &mut lines[..];
        let mut at = 0usize;
        for &cut in &cuts {
            let (part, tail) = rest.split_at_mut(cut - at);
            ranges.push((at, part));
            rest = tail;
            at = cut;
        }
        ranges.push((at, rest));
        let filled: Vec<(u64, Vec<u32>)> = ranges
            .into_par_iter()
            .map(|(first, part)| fill_lines(node_ids, span, &dir, part, first))
            .collect();
        let mut dups: u64 = filled.iter().map(|f| f.0).sum();
        // The table: the lines not one run, in line order, each its set bits.
        let mut at = 0u64;
        for l in filled.into_iter().flat_map(|f| f.1) {
            let line = &mut lines[l as usize];
            line.head = (line.head & !(u32::MAX as u64)) | at;
            at += line.bits.iter().map(|w| w.count_ones() as u64).sum::<u64>();
        }
        let table = if at > 0 {
            let mut table: Vec<AtomicU32> = Vec::with_capacity(room::<u32>(at as usize));
            table.par_extend(
                (0..at as usize)
                    .into_par_iter()
                    .map(|_| AtomicU32::new(u32::MAX)),
            );
            let (lines, dir) = (&lines, &dir);
            node_ids
                .par_chunks(1 << 16)
                .enumerate()
                .for_each(|(k, chunk)| {
                    let first = k << 16;
                    #[cfg(target_arch = "x86_64")]
                    if popcnt {
                        // SAFETY: `popcnt` is true only where the CPU has the instruction.
                        return unsafe {
                            fill_table_popcnt(chunk, first, span, dir, lines, &table)
                        };
                    }
                    fill_table(chunk, first, span, dir, lines, &table)
                });
            table.into_iter().map(AtomicU32::into_inner).collect()
        } else {
            Vec::new()
        };
        // The ids outside the span, numbered in node order (so the first of a repeated id is
        // still the first), get an index of their own.
        let mut outside = None;
        if inside < node_ids.len() {
            let (ids, nodes): (Vec<u64>, Vec<u32>) = node_ids
                .par_iter()
                .enumerate()
                .filter(|&(_, &x)| span.slot(x).is_none())
                .map(|(i, &x)| (x, i as u32))
                .unzip();
            let (index, d) = Self::build_in(&ids, bitmap_max, false);
            dups += d;
            outside = Some(Box::new(Outside { index, nodes }));
        }
        let keys = Keys::Bitmap {
            lines,
            dir,
            tz: span.tz,
            table,
            range: span.range,
            outside,
        };
        let index = IdIndex {
            keys,
            min: span.min,
            shift: 0,
            buckets: Vec::new(),
            popcnt,
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
            Keys::Bitmap { lines, table, .. } => Some((
                lines
                    .iter()
                    .flat_map(|l| std::iter::once(l.head).chain(l.bits))
                    .collect(),
                table,
            )),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(super) fn form(&self) -> &'static str {
        match self.keys {
            Keys::Bitmap {
                ref dir,
                outside: Some(_),
                ..
            } if !dir.is_empty() => "clustered sparse bitmap",
            Keys::Bitmap {
                outside: Some(_), ..
            } => "clustered bitmap",
            Keys::Bitmap { ref dir, .. } if !dir.is_empty() => "sparse bitmap",
            Keys::Bitmap { .. } => "bitmap",
            Keys::Packed { .. } => "packed",
            Keys::Pairs { .. } => "pairs",
        }
    }

    /// The form of the index of the ids outside a clustered bitmap, for tests.
    #[cfg(test)]
    pub(super) fn outside_form(&self) -> Option<&'static str> {
        match &self.keys {
            Keys::Bitmap {
                outside: Some(o), ..
            } => Some(o.index.form()),
            _ => None,
        }
    }

    #[inline(always)]
    pub(super) fn get(&self, id: u64) -> Option<u32> {
        match &self.keys {
            Keys::Bitmap {
                lines,
                dir,
                tz,
                table,
                range,
                outside,
            } => {
                let d = id.wrapping_sub(self.min);
                if d > *range {
                    return outside.as_deref().and_then(|o| o.get(id));
                }
                #[cfg(target_arch = "x86_64")]
                if self.popcnt {
                    // SAFETY: `popcnt` is true only where the CPU has the instruction
                    // (detected in `bitmap_in_parts`).
                    return unsafe { bitmap_get_popcnt(lines, dir, *tz, table, d) };
                }
                bitmap_get(lines, dir, *tz, table, d)
            }
            Keys::Packed { keys, tz, idx_bits } => {
                if id < self.min {
                    return None;
                }
                let d = id - self.min;
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
                if id < self.min {
                    return None;
                }
                let d = id - self.min;
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

impl Outside {
    /// The node of an id outside a clustered bitmap's range (its index is never clustered).
    #[inline(never)]
    fn get(&self, id: u64) -> Option<u32> {
        let k = self.index.get(id)?;
        self.nodes.get(k as usize).copied()
    }
}

/// The range of the ids that holds the most of them while a bitmap over it (its directory, in
/// the sparse form) costs at most `bitmap_max` bytes per id in it, leaving out at most half of
/// them: its count and span, or `None`. `all`: the span of all the ids. Each round cuts the
/// current range into 4,096 buckets, counts the ids in each (one parallel pass), keeps the
/// window of buckets that holds the most ids among those narrow enough (the one bucket that
/// holds the most when even one is too wide: then another round), and narrows the range to the
/// least and greatest id in it (one more pass).
pub(super) fn dense_range(node_ids: &[u64], all: Span, bitmap_max: usize) -> Option<(usize, Span)> {
    let n = node_ids.len();
    let least = n - n / 2;
    // the widest range (in slots) whose directory fits the bound when it holds `least` ids:
    // 4 bytes per line of 448 slots
    let max_slots =
        ((least as u64).saturating_mul(bitmap_max as u64) / 4).saturating_mul(LINE_SLOTS);
    if max_slots == 0 {
        return None;
    }
    let mut span = all;
    let mut count = n;
    for _ in 0..CLUSTER_ROUNDS {
        let range = span.range;
        let shift = (64 - range.leading_zeros()).saturating_sub(CLUSTER_BUCKETS_LOG);
        let nb = (range >> shift) as usize + 1;
        let (lo, hi) = (span.min, span.min + range);
        let hist: Vec<u64> = node_ids
            .par_iter()
            .fold(
                || vec![0u64; nb],
                |mut h, &x| {
                    if x >= lo && x <= hi {
                        h[((x - lo) >> shift) as usize] += 1;
                    }
                    h
                },
            )
            .reduce(
                || vec![0u64; nb],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        // buckets per window: a window of `w` buckets spans less than `w << shift` ids, i.e.
        // `(w << shift) >> tz` slots
        let w = (((max_slots as u128) << all.tz) >> shift).clamp(1, nb as u128) as usize;
        let mut sum: u64 = hist[..w].iter().sum();
        let (mut best, mut at) = (sum, 0usize);
        for b in w..nb {
            sum = sum + hist[b] - hist[b - w];
            if sum > best {
                (best, at) = (sum, b + 1 - w);
            }
        }
        if (best as usize) < least {
            return None;
        }
        // the window's first and last id (`(at + w - 1) << shift <= range`: no overflow)
        let new_lo = lo + ((at as u64) << shift);
        let end = (((at + w - 1) as u64) << shift).saturating_add((1u64 << shift) - 1);
        let new_hi = lo + end.min(range);
        let (c, s) = bounds(node_ids, new_lo, new_hi)?;
        if c == count && s == span {
            return None; // no narrower: the form over this range was tried or does not fit
        }
        (count, span) = (c, s);
        if s.lines().saturating_mul(4) <= (c as u64).saturating_mul(bitmap_max as u64) {
            return Some((count, span));
        }
    }
    None
}

/// Where to cut the `nlines` kept lines of the bitmap form into `parts` ranges that hold about
/// as many of the ids each: the lines of evenly spaced quantiles of up to [`CUT_SAMPLE`] ids
/// taken at fixed, evenly spaced node indices (so the cuts depend on the number of threads
/// but not on their scheduling, and the result on neither). Ascending, each in `0..=nlines`; `parts - 1` of them (none for one part).
/// Only the work is shared out by them: every range is filled the same way whatever its
/// bounds ([`fill_lines`]).
pub(super) fn balanced_cuts(
    node_ids: &[u64],
    span: Span,
    dir: &[u32],
    nlines: usize,
    parts: usize,
) -> Vec<usize> {
    if parts <= 1 {
        return Vec::new();
    }
    let step = node_ids.len().div_ceil(CUT_SAMPLE).max(1);
    let mut sample: Vec<usize> = node_ids
        .iter()
        .step_by(step)
        .filter_map(|&id| span.slot(id))
        .map(|s| line_at(dir, s).min(nlines))
        .collect();
    if sample.is_empty() {
        // No id in the span: equal ranges of lines.
        let per = nlines.div_ceil(parts);
        return (1..parts).map(|k| (k * per).min(nlines)).collect();
    }
    sample.sort_unstable();
    (1..parts)
        .map(|k| sample[k * sample.len() / parts].min(nlines))
        .collect()
}

/// How many ids [`balanced_cuts`] samples.
const CUT_SAMPLE: usize = 4096;

/// The bitmap form's lines `first..first + lines.len()`, filled from the ids in `span` that
/// fall in them: their slot bits, and in each line's head the index of its first id and
/// whether its ids are one run. Returns the repeated ids and the positions (in all the kept
/// lines) of the lines not one run among these lines, ascending.
fn fill_lines(
    node_ids: &[u64],
    span: Span,
    dir: &[u32],
    lines: &mut [Line],
    first: usize,
) -> (u64, Vec<u32>) {
    let mut dups = 0u64;
    let mut spoiled = Vec::new();
    // The slot of node `i - 1` when it was set here (not a repeated id, not another range's).
    // A line stays one run while each id after its first comes right after the node before
    // it, in the same line at a lower slot: no popcount per id.
    let mut prev: Option<u64> = None;
    for (i, &id) in node_ids.iter().enumerate() {
        let Some(s) = span.slot(id) else {
            prev = None;
            continue;
        };
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
                spoiled.push(line_at(dir, s) as u32);
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
            spoiled.push(line_at(dir, s) as u32);
        }
        line.bits[w] |= m;
        prev = Some(s);
    }
    spoiled.sort_unstable();
    (dups, spoiled)
}

/// The table entries of the ids `chunk` (nodes `first..`) that are in lines not one run: each
/// entry keeps the least node index given it, the first node of a repeated id.
#[inline(always)]
fn fill_table(
    chunk: &[u64],
    first: usize,
    span: Span,
    dir: &[u32],
    lines: &[Line],
    table: &[AtomicU32],
) {
    for (k, &id) in chunk.iter().enumerate() {
        let Some(s) = span.slot(id) else {
            continue;
        };
        let line = &lines[line_at(dir, s)];
        if line.head & RUN != 0 {
            continue;
        }
        let b = (s % LINE_SLOTS) as usize;
        let at = line.head as u32 + rank(&line.bits, b / 64, b % 64);
        let i = (first + k) as u32;
        let e = &table[at as usize];
        if e.load(Relaxed) > i {
            e.fetch_min(i, Relaxed);
        }
    }
}

/// [`fill_table`] compiled with the POPCNT instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn fill_table_popcnt(
    chunk: &[u64],
    first: usize,
    span: Span,
    dir: &[u32],
    lines: &[Line],
    table: &[AtomicU32],
) {
    fill_table(chunk, first, span, dir, lines, table)
}

/// A lookup in the bitmap form; `d` is the id less the index's minimum, in its range.
#[inline(always)]
fn bitmap_get(lines: &[Line], dir: &[u32], tz: u32, table: &[u32], d: u64) -> Option<u32> {
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
    let at = (line.head as u32).wrapping_add(rank(&line.bits, w, bit));
    if line.head & RUN != 0 {
        return Some(at);
    }
    table.get(at as usize).copied()
}

/// The set bits of a line's `bits` before bit `bit` of word `w` (`w` < 7): the running sums of
/// the seven words' counts, the one before `w` taken by index, plus the bits below `bit` in
/// word `w` — no branch on `w` (a loop over the words before `w` mispredicts its exit on
/// nearly every lookup, the slots being random), ~25 instructions with POPCNT (all seven words
/// masked and counted took ~60: a third of pass 3's instructions on a bitmap-form HPROF dump).
#[inline(always)]
pub(super) fn rank(bits: &[u64; 7], w: usize, bit: usize) -> u32 {
    let mut before = [0u32; 8];
    for j in 0..7 {
        before[j + 1] = before[j] + bits[j].count_ones();
    }
    let low = (1u64 << (bit & 63)) - 1;
    before[w & 7] + (bits[w.min(6)] & low).count_ones()
}

/// [`bitmap_get`] compiled with the POPCNT instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn bitmap_get_popcnt(lines: &[Line], dir: &[u32], tz: u32, table: &[u32], d: u64) -> Option<u32> {
    bitmap_get(lines, dir, tz, table, d)
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

/// The sparse form's directory over the `nlines` lines of `span`: each line that holds an id
/// gets the next position, in line order; the others [`NO_LINE`]. `None` when directory and
/// kept lines would cost more than `budget` bytes. One pass marks the lines (1 bit each, on all
/// threads), one numbers them.
pub(super) fn sparse_directory(
    node_ids: &[u64],
    span: Span,
    nlines: usize,
    budget: u64,
) -> Option<Vec<u32>> {
    use std::sync::atomic::AtomicU64;
    let used: Vec<AtomicU64> = (0..nlines.div_ceil(64))
        .map(|_| AtomicU64::new(0))
        .collect();
    node_ids.par_iter().for_each(|&id| {
        if let Some(s) = span.slot(id) {
            let l = (s / LINE_SLOTS) as usize;
            used[l / 64].fetch_or(1 << (l % 64), Relaxed);
        }
    });
    let kept: u64 = used
        .iter()
        .map(|w| w.load(Relaxed).count_ones() as u64)
        .sum();
    if (nlines as u64 * 4).saturating_add(kept * 64) > budget {
        return None;
    }
    let mut next = 0u32;
    let mut dir = Vec::with_capacity(room::<u32>(nlines));
    dir.extend((0..nlines).map(|l| {
        if used[l / 64].load(Relaxed) & (1 << (l % 64)) != 0 {
            next += 1;
            next - 1
        } else {
            NO_LINE
        }
    }));
    Some(dir)
}

/// The capacity to allocate for `len` elements of a table of the index: `len`, or, for a
/// table glibc would map on its own (past its initial mmap threshold, 128 KiB) but smaller than
/// 32 MiB, room for 32 MiB and a page (only the pages written become resident). Freeing a
/// mapped chunk of at most 32 MiB raises glibc's mmap threshold to its size, and the later
/// buffers below that size then come from the heap, where a freed one below a live one stays
/// resident: the Python snapshot's lines (30 MiB) left ~27 MiB of RssAnon for the rest of the
/// run that way.
fn room<T>(len: usize) -> usize {
    let size = std::mem::size_of::<T>().max(1);
    let bytes = len.saturating_mul(size);
    if (128 << 10..=32 << 20).contains(&bytes) {
        ((32 << 20) + 4096) / size + 1
    } else {
        len
    }
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
