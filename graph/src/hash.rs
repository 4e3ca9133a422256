//! FNV-1a, 64 bit: a hash that is stable across runs, builds and platforms (std's hasher is
//! randomly keyed), for ids that must match between two dumps (call-tree nodes). And
//! [`FxHasher`], a fast unkeyed hasher for lookup tables that are keyed by small ids or short
//! byte strings of one input and only looked up, never iterated (so no output order depends on
//! it): std's SipHash guards against hash flooding at several times the cost per lookup.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The FNV-1a 64-bit offset basis: the hash of no bytes.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV-1a 64-bit prime.
pub const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Continue the FNV-1a hash `h` over `bytes` (`fnv1a(FNV_OFFSET, b)` hashes `b` alone).
#[inline]
pub fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The multiplier of rustc's `FxHasher`.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// rustc's multiply-rotate hash: `h = (h.rotl(5) ^ word) * SEED` per word.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    h: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.h = (self.h.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i.into());
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    /// The product's high bits are its well-mixed ones; hashbrown picks buckets by the low bits,
    /// so they are rotated down (as rustc-hash 2 does). Without this, keys that differ only in
    /// their high half (`parent << 32 | frame`) would all share a bucket.
    #[inline]
    fn finish(&self) -> u64 {
        self.h.rotate_left(26)
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// hashbrown picks a bucket by the hash's low bits: keys that differ only in their high half
    /// (`parent << 32 | frame`, as call trees key children) must still spread over them (without
    /// the final rotation all 4096 land in one bucket).
    #[test]
    fn fx_spreads_high_halves_over_low_bits() {
        let b = BuildHasherDefault::<FxHasher>::default();
        let buckets: HashSet<u64> = (0..4096u64)
            .map(|p| b.hash_one(p << 32 | 7) & 0xfff)
            .collect();
        assert!(buckets.len() > 1024, "{} distinct buckets", buckets.len());
        let pairs: HashSet<u64> = (0..4096u32)
            .map(|p| b.hash_one((p, 7u32)) & 0xfff)
            .collect();
        assert!(pairs.len() > 1024, "{} distinct buckets", pairs.len());
    }

    #[test]
    fn reference_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            fnv1a(fnv1a(FNV_OFFSET, b"foo"), b"bar"),
            0x8594_4171_f739_67e8
        );
    }
}
