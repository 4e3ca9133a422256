//! Object sizes as the JVM lays objects out, as far as an HPROF file tells.
//!
//! HPROF records no object sizes (HotSpot's CLASS DUMP "instance size" is the size of the
//! instance *data in the dump*, ids at the id size). So, like Eclipse MAT, heapscope rebuilds
//! them from a layout model:
//!
//! - **instance** = `align8(header + Σ fields)`, the fields of the class and all superclasses at
//!   their JVM sizes (references at the reference size). HotSpot packs fields into gaps (since
//!   JDK 15 also across superclass boundaries), so the sum is exact except for rare padding.
//! - **array** = `align8(base + n × element)`, `base = header + 4` (the length) rounded up to the
//!   element size (to 8 for a 16-byte header, as HotSpot up to JDK 21 does).
//! - **class object** (`java.lang.Class` mirror) = `align8(header + java.lang.Class's declared
//!   fields + the fields HotSpot injects into mirrors + the class's static fields)`; the injected
//!   fields ([`Layout::mirror_extra`]) are not in the dump.
//! - header/reference size: 64-bit dumps (8-byte ids) are one of: compressed oops and class
//!   pointers (12-byte header, 4-byte references, the default below 32 GB), compressed class
//!   pointers only (12, 8: `-XX:-UseCompressedOops`), neither (16, 8), or compact object headers
//!   (8, 4: JDK 24+ `-XX:+UseCompactObjectHeaders`). HotSpot writes objects in address order, so the
//!   address gap between two consecutive arrays is the first one's size: every such pair votes
//!   for the layouts whose array size matches the gap ([`Votes`]); the layout with most votes wins
//!   (MAT also infers compressed references from array addresses). 32-bit dumps (4-byte ids,
//!   including Android's ART): 8-byte header, 4-byte references.

use super::bytes::{dump_size, T_OBJECT};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Object header bytes (mark word + class pointer).
    pub header: u64,
    /// Bytes of a reference field or array element.
    pub ref_size: u64,
    /// Bytes HotSpot adds to every java.lang.Class mirror for its injected fields (`klass`,
    /// `array_klass`, `oop_size`, `static_oop_field_count`, `protection_domain`, `signers`,
    /// `source_file` in JDK 17): two metadata pointers, two ints, three references. Checked against
    /// `jcmd GC.class_histogram`'s java.lang.Class row by the hprof tests.
    pub mirror_extra: u64,
}

impl Layout {
    pub fn new(header: u64, ref_size: u64, id_size: usize) -> Layout {
        let ptr = id_size as u64;
        Layout {
            header,
            ref_size,
            mirror_extra: 2 * ptr + 8 + 3 * ref_size,
        }
    }

    #[inline]
    pub fn align(&self, x: u64) -> u64 {
        (x + 7) & !7
    }

    /// JVM bytes of one field of basic type `t`.
    #[inline]
    pub fn field_size(&self, t: u8) -> u64 {
        if t == T_OBJECT {
            self.ref_size
        } else {
            dump_size(t, 8).unwrap_or(0) as u64
        }
    }

    #[inline]
    pub fn instance_size(&self, field_bytes: u64) -> u64 {
        self.align(self.header + field_bytes)
    }

    #[inline]
    pub fn array_size(&self, n: u32, t: u8) -> u64 {
        let es = self.field_size(t).max(1);
        let unit = if self.header >= 16 { 8 } else { es.max(4) };
        let base = (self.header + 4).div_ceil(unit) * unit;
        self.align(base + u64::from(n) * es)
    }
}

/// Votes on the layout from consecutive array records (see the module docs).
#[derive(Default)]
pub struct Votes {
    counts: [u64; 4],
    /// Per class (pass-1 order): how many static fields of each basic type.
    pub static_types: Vec<[u32; 12]>,
}

/// Candidate 64-bit layouts (header, reference size), in order of preference on a tie.
const CANDIDATES: [(u64, u64); 4] = [(12, 4), (12, 8), (16, 8), (8, 4)];

impl Votes {
    /// Add another set of votes (from another segment).
    pub fn add(&mut self, o: &Votes) {
        for (a, b) in self.counts.iter_mut().zip(o.counts) {
            *a += b;
        }
    }

    pub fn vote(&mut self, gap: u64, n: u32, t: u8) {
        for (k, &(h, r)) in CANDIDATES.iter().enumerate() {
            if Layout::new(h, r, 8).array_size(n, t) == gap {
                self.counts[k] += 1;
            }
        }
    }

    pub fn decide(&self, id_size: usize) -> (Layout, [u64; 4]) {
        if id_size == 4 {
            return (Layout::new(8, 4, 4), self.counts);
        }
        let mut best = 0;
        for k in 1..CANDIDATES.len() {
            if self.counts[k] > self.counts[best] {
                best = k;
            }
        }
        let (h, r) = CANDIDATES[best];
        (Layout::new(h, r, 8), self.counts)
    }
}
