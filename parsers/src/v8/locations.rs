//! Closure locations (the snapshot's `locations` array: object index, script id, line, column
//! per record), looked up by node.
//!
//! The reader resolves every record to `[node ordinal, script, line, column]` in the file's
//! order; what is kept for the run is [`Locations`]: which nodes have a location (1 bit per
//! node, with a count of the set bits before every 64: 0.5 bit per node), for each such node
//! the index of its record (4 bytes per node with a location) and the offset of every
//! [`MARK_EVERY`]-th record, from which a record's values are read again from the mapped
//! snapshot when a report shows them (at most 63 records passed over). ~4.1 bytes per location
//! instead of the 16 of the resolved quads (2.6 M locations on the TypeScript compiler's
//! snapshot: 10.6 MB instead of 41.8 MB for the whole run), and no sort: the node order comes
//! from the bit set.
//!
//! A node with several records (V8 writes one per node; other writers need not) answers with
//! the least quad of them, as the sorted quads answered (their first for the node). A state
//! restored from a saved index holds the sorted quads themselves ([`Locations::from_quads`]).

use heapscope_graph::bitset::BitSet;

use super::par::MARK_EVERY;
use super::scan::Cursor;

/// Where the closure locations are, by node.
pub(crate) struct Locations {
    repr: Repr,
    /// Records in the snapshot (a node's duplicates included).
    records: usize,
}

enum Repr {
    /// The resolved records sorted by the whole quad (a restored state).
    Quads(Vec<[u32; 4]>),
    /// Read again from the snapshot.
    InFile(InFile),
}

struct InFile {
    /// Nodes with a location.
    has: BitSet,
    /// Set bits of `has` before word `k`.
    before: Vec<u32>,
    /// Per node with a location, in node order: the record that gives it.
    record: Vec<u32>,
    /// Byte offset of the first value of records 0, 64, 128, …
    marks: Vec<u64>,
    /// Values per record, and where object index, script id, line and column are in one.
    width: usize,
    cols: [usize; 4],
    /// Values per node record (an object index is a node ordinal times this).
    nf: u64,
}

/// A value as the resolved quads hold it.
fn clamp(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl Locations {
    /// No locations.
    pub fn none() -> Locations {
        Locations {
            repr: Repr::Quads(Vec::new()),
            records: 0,
        }
    }

    /// Sorted quads, as a saved index holds them.
    pub fn from_quads(quads: Vec<[u32; 4]>) -> Locations {
        Locations {
            records: quads.len(),
            repr: Repr::Quads(quads),
        }
    }

    /// From the resolved records in the file's order (`quads[k]` is record `k`, its node
    /// below `nodes`), `marks` the offsets of every [`MARK_EVERY`]-th record's first value,
    /// `width` values per record with object index, script id, line and column at `cols`,
    /// and `nf` values per node record. `quads` is freed here.
    pub fn build(
        quads: Vec<[u32; 4]>,
        marks: Vec<u64>,
        width: usize,
        cols: [usize; 4],
        nf: u64,
        nodes: usize,
    ) -> Locations {
        let records = quads.len();
        if records == 0 {
            return Locations::none();
        }
        let mut has = BitSet::new(nodes);
        for q in &quads {
            has.set(q[0] as usize);
        }
        let mut before = Vec::with_capacity(has.words().len());
        let mut sum = 0u32;
        for w in has.words() {
            before.push(sum);
            sum += w.count_ones();
        }
        let mut f = InFile {
            has,
            before,
            record: vec![u32::MAX; sum as usize],
            marks,
            width,
            cols,
            nf,
        };
        for (k, q) in quads.iter().enumerate() {
            let Some(p) = f.rank(q[0] as usize) else {
                continue;
            };
            let slot = &mut f.record[p];
            if *slot == u32::MAX || *q < quads[*slot as usize] {
                *slot = k as u32;
            }
        }
        Locations {
            repr: Repr::InFile(f),
            records,
        }
    }

    /// Records in the snapshot.
    pub fn len(&self) -> usize {
        self.records
    }

    /// `[node, script, line, column]` of `node`'s location, if it has one.
    pub fn get(&self, input: &[u8], node: usize) -> Option<[u32; 4]> {
        match &self.repr {
            Repr::Quads(l) => {
                let p = l.partition_point(|x| (x[0] as usize) < node);
                l.get(p).filter(|x| x[0] as usize == node).copied()
            }
            Repr::InFile(f) => {
                let k = *f.record.get(f.rank(node)?)?;
                let q = f.read(input, k as usize)?;
                (q[0] as usize == node).then_some(q)
            }
        }
    }

    /// Every record sorted by the whole quad (what a saved index keeps), read again from
    /// `input` in one pass.
    pub fn quads(&self, input: &[u8]) -> Vec<[u32; 4]> {
        match &self.repr {
            Repr::Quads(l) => l.clone(),
            Repr::InFile(f) => {
                let mut out = f.read_all(input, self.records).unwrap_or_default();
                out.sort_unstable();
                out
            }
        }
    }
}

impl InFile {
    /// The index of `node` among the nodes with a location, if it has one.
    #[inline]
    fn rank(&self, node: usize) -> Option<usize> {
        if !self.has.get(node) {
            return None;
        }
        let w = node / 64;
        let below = self.has.words()[w] & ((1u64 << (node % 64)) - 1);
        Some(self.before[w] as usize + below.count_ones() as usize)
    }

    /// The record's values resolved as the reader resolved them.
    fn resolve(&self, rec: &[u64]) -> Option<[u32; 4]> {
        let [o, s, l, c] = self.cols.map(|i| rec[i]);
        if self.nf == 0 || o % self.nf != 0 {
            return None;
        }
        Some([clamp(o / self.nf), clamp(s), clamp(l), clamp(c)])
    }

    /// Record `k`, read again from the nearest mark.
    fn read(&self, input: &[u8], k: usize) -> Option<[u32; 4]> {
        let at = *self.marks.get(k / MARK_EVERY as usize)?;
        let mut c = Cursor::new(input);
        c.seek(usize::try_from(at).ok()?);
        for _ in 0..(k % MARK_EVERY as usize) * self.width {
            c.uint().ok()?;
            c.expect(b',', "").ok()?;
        }
        let mut rec = vec![0u64; self.width];
        for (i, v) in rec.iter_mut().enumerate() {
            if i > 0 {
                c.expect(b',', "").ok()?;
            }
            *v = c.uint().ok()?;
        }
        self.resolve(&rec)
    }

    /// The first `records` records in the file's order, from the first mark on.
    fn read_all(&self, input: &[u8], records: usize) -> Option<Vec<[u32; 4]>> {
        let at = *self.marks.first()?;
        let mut c = Cursor::new(input);
        c.seek(usize::try_from(at).ok()?);
        // Each value takes at least two bytes of the input.
        let mut out = Vec::with_capacity(records.min(input.len() / (2 * self.width.max(1))));
        let mut rec = vec![0u64; self.width];
        for k in 0..records {
            for (i, v) in rec.iter_mut().enumerate() {
                if k > 0 || i > 0 {
                    c.expect(b',', "").ok()?;
                }
                *v = c.uint().ok()?;
            }
            out.push(self.resolve(&rec)?);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v8::retention::tests::Lcg;

    /// Generated `locations` arrays (fields in any order, separators of several producers,
    /// nodes out of order, some with several records, values past 2^32): every node's lookup
    /// is what the sorted quads give (the first for the node), and the saved quads are those.
    #[test]
    fn lookups_read_back_what_the_sorted_quads_give() {
        let mut rng = Lcg(3);
        for round in 0..60 {
            let nodes = [1usize, 7, 64, 65, 300, 2000][round % 6];
            let nf = [6u64, 7, 1][round % 3];
            let width = 4 + round % 3;
            // Where object index, script id, line and column are (a rotation of the first 4).
            let rot = round % 4;
            let cols = [0, 1, 2, 3].map(|i| (i + rot) % 4);
            let records = rng.below(3 * nodes as u64) as usize;
            let seps = [",", ",\n", ", ", "\n,", " ,\t"];
            let mut text = String::from("[");
            let mut quads = Vec::new();
            let mut marks = Vec::new();
            for k in 0..records {
                let node = rng.below(nodes as u64);
                let big = |rng: &mut Lcg| match rng.below(10) {
                    0 => (1u64 << 32) + rng.below(1000),
                    1 => u64::from(u32::MAX),
                    _ => rng.below(5000),
                };
                let mut rec = vec![0u64; width];
                rec[cols[0]] = node * nf;
                rec[cols[1]] = rng.below(4);
                rec[cols[2]] = big(&mut rng);
                rec[cols[3]] = big(&mut rng);
                for v in rec.iter_mut().skip(4) {
                    *v = rng.below(100);
                }
                for (i, v) in rec.iter().enumerate() {
                    if k > 0 || i > 0 {
                        text.push_str(seps[rng.below(seps.len() as u64) as usize]);
                    }
                    if i == 0 && (k as u64).is_multiple_of(MARK_EVERY) {
                        marks.push(text.len() as u64);
                    }
                    text.push_str(&v.to_string());
                }
                let q = |i: usize| clamp(rec[cols[i]]);
                quads.push([node as u32, q(1), q(2), q(3)]);
            }
            text.push(']');
            let mut sorted = quads.clone();
            sorted.sort();
            let l = Locations::build(quads, marks, width, cols, nf, nodes);
            assert_eq!(l.len(), records);
            let want = Locations::from_quads(sorted.clone());
            let input = text.as_bytes();
            for node in 0..nodes + 2 {
                assert_eq!(
                    l.get(input, node),
                    want.get(input, node),
                    "round {round}, node {node}"
                );
            }
            assert_eq!(l.quads(input), sorted, "round {round}");
            assert_eq!(want.quads(input), sorted);
        }
    }
}
