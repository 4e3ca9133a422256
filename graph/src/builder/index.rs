//! The id index of phase 2: dump ids mapped to dense node indices, built once phase 1 ends by a
//! counting sort into buckets (or a sort of `(id, idx)` pairs when the ids are spread too wide to
//! pack), and [`resolve`], the lookup every edge by id goes through.

use rayon::prelude::*;

/// Sorted id → dense index map with a bucket table over the high bits, so a lookup is a short
/// binary search inside one bucket; freed by `finish`.
///
/// When the ids, less their minimum and their common trailing zero bits (heap addresses are
/// 8-byte aligned), fit beside a node index in 64 bits — every real heap dump — each entry is one
/// `u64` key `(id - min) >> tz << idx_bits | idx`, sorted in place: 8 bytes per node while sorting
/// and after (plus ~0.5 for buckets). Otherwise (ids spread over the whole u64 range) it falls
/// back to sorted `(id, idx)` pairs: 16 bytes per node while sorting, 12 after.
pub(super) struct IdIndex {
    keys: Keys,
    min: u64,
    /// bucket `b` holds the entries whose key prefix `>> shift == b`
    shift: u32,
    /// `buckets[b]..buckets[b+1]` is the range of entries of bucket `b`
    buckets: Vec<u32>,
}

enum Keys {
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

impl IdIndex {
    pub(super) fn build(node_ids: &[u64]) -> (IdIndex, u64) {
        let n = node_ids.len();
        let (min, max) = node_ids
            .par_iter()
            .fold(|| (u64::MAX, 0u64), |(a, b), &x| (a.min(x), b.max(x)))
            .reduce(|| (u64::MAX, 0u64), |(a, b), (c, d)| (a.min(c), b.max(d)));
        let min = if n == 0 { 0 } else { min };
        let ors = node_ids
            .par_iter()
            .map(|&x| x - min)
            .reduce(|| 0, |a, b| a | b);
        let tz = if ors == 0 { 0 } else { ors.trailing_zeros() };
        let span = (max.saturating_sub(min)) >> tz;
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
            },
            dups,
        )
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

    #[inline]
    pub(super) fn get(&self, id: u64) -> Option<u32> {
        if id < self.min {
            return None;
        }
        let d = id - self.min;
        match &self.keys {
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

/// The dense index of an edge's target id, or `None` after counting it as missing (the first
/// one is kept for the warning, with the node `current` it came from).
#[inline]
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
