//! The top-level record walk: header, UTF8 strings, LOAD CLASS, STACK FRAME / STACK TRACE, and
//! where the heap dump's (sub-)records are. Heap data is skipped by length here; it is read by
//! [`super::heap`].

use std::collections::HashMap;

use heapscope_graph::hash::FxHashMap;

use super::bytes::Bytes;
use super::heap::sub_record_end;
use crate::Fail;

pub const TAG_UTF8: u8 = 0x01;
pub const TAG_LOAD_CLASS: u8 = 0x02;
pub const TAG_STACK_FRAME: u8 = 0x04;
pub const TAG_STACK_TRACE: u8 = 0x05;
pub const TAG_HEAP_DUMP: u8 = 0x0C;
pub const TAG_HEAP_DUMP_SEGMENT: u8 = 0x1C;
pub const TAG_HEAP_DUMP_END: u8 = 0x2C;

/// The `u4` length of a record wraps at this modulus; a single HEAP DUMP record longer than
/// 4 GiB (old JVMs, or writers that never segment) states its length modulo 2^32.
pub const LENGTH_WRAP: u64 = 1 << 32;

/// Top-level tags of JAVA PROFILE 1.0.1–1.0.3 (HotSpot, J9's HPROF writer, Android).
fn is_top_tag(t: u8) -> bool {
    matches!(t, 0x01..=0x0E | TAG_HEAP_DUMP_SEGMENT | TAG_HEAP_DUMP_END)
}

/// The file header.
#[derive(Clone, Debug)]
pub struct Header {
    /// `1.0.1`, `1.0.2` or `1.0.3`.
    pub version: String,
    pub id_size: usize,
    pub timestamp_ms: u64,
    /// Offset of the first record.
    pub records_at: usize,
}

pub fn header(data: &[u8]) -> Result<Header, Fail> {
    const MAGIC: &[u8] = b"JAVA PROFILE 1.0.";
    if !data.starts_with(MAGIC) {
        return Err(Fail::at(0, "the HPROF magic \"JAVA PROFILE 1.0.x\\0\""));
    }
    let nul = data.iter().take(64).position(|&b| b == 0).ok_or(Fail::at(
        MAGIC.len(),
        "a NUL-terminated HPROF version string",
    ))?;
    let version = String::from_utf8_lossy(&data[MAGIC.len() - 4..nul]).into_owned();
    if !matches!(&data[MAGIC.len()..nul], b"1" | b"2" | b"3") {
        return Err(Fail::at(MAGIC.len(), "HPROF version 1.0.1, 1.0.2 or 1.0.3"));
    }
    let b = Bytes { data, id: 4 };
    let id_size = b
        .u4(nul + 1)
        .ok_or(Fail::at(nul + 1, "the identifier size"))?;
    if id_size != 4 && id_size != 8 {
        return Err(Fail::at(nul + 1, "an identifier size of 4 or 8"));
    }
    let hi = b
        .u4(nul + 5)
        .ok_or(Fail::at(nul + 5, "the dump timestamp"))?;
    let lo = b
        .u4(nul + 9)
        .ok_or(Fail::at(nul + 9, "the dump timestamp"))?;
    Ok(Header {
        version,
        id_size: id_size as usize,
        timestamp_ms: (u64::from(hi) << 32) | u64::from(lo),
        records_at: nul + 13,
    })
}

/// Is there a plausible top-level record at `at` (or the end of the file)? Checks the tag, that
/// the length fits, and the same for the record after it, so that a random byte inside heap data
/// is very unlikely to pass.
fn plausible_record_at(b: &Bytes, at: usize, depth: u32) -> bool {
    if at == b.len() {
        return true;
    }
    let (Some(tag), Some(len)) = (b.u1(at), b.u4(at + 5)) else {
        return false;
    };
    // a record of an unknown kind (skipped by its length) is plausible only if a known one
    // follows it
    if !is_top_tag(tag) && depth == 0 {
        return false;
    }
    let next = at + 9 + len as usize;
    if next > b.len() {
        return false;
    }
    depth == 0 || plausible_record_at(b, next, depth - 1)
}

/// Where a HEAP DUMP record that starts its body at `body` with stated length `stated` really
/// ends. Normally `body + stated`; when that is not followed by a plausible record, the length
/// field has wrapped (`wrap` is 2^32 in real use; tests pass a small modulus): walk the
/// sub-records to the first boundary `p` with `p - body ≡ stated (mod wrap)` that is followed by
/// a plausible record or the end of the file. Returns the end and whether it wrapped; `None`
/// when no such boundary exists (the walk hit bad data or the end of the file first).
pub fn heap_dump_extent(b: &Bytes, body: usize, stated: u64, wrap: u64) -> Option<(usize, bool)> {
    let stated_end = body.checked_add(stated as usize)?;
    if stated_end <= b.len() && plausible_record_at(b, stated_end, 1) {
        return Some((stated_end, false));
    }
    let want = stated % wrap;
    let mut p = body;
    while p < b.len() {
        let next = sub_record_end(b, p).ok()?;
        if next > b.len() {
            return None;
        }
        p = next;
        if ((p - body) as u64) % wrap == want && plausible_record_at(b, p, 1) {
            return Some((p, p != stated_end));
        }
    }
    None
}

/// A method frame of a STACK FRAME record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub method: u64,
    pub source: u64,
    pub class_serial: u32,
    pub line: i32,
}

/// What the top-level walk found.
#[derive(Default)]
pub struct TopLevel {
    /// UTF8 string id → offset of its bytes (their length is read again from the record's
    /// header): 16 B per string, sorted ([`Flat`]; a `HashMap<u64, (usize, u32)>` took ~50 B
    /// at its load, 25 MiB for the 500 K-class dump's strings).
    pub strings: Flat<u64, u64>,
    /// class object id → class name string id (LOAD CLASS), 16 B per class.
    pub class_names: Flat<u64, u64>,
    /// class serial → class object id, 16 B per class.
    pub class_serials: Flat<u32, u64>,
    /// STACK FRAME id → index into `frame_rows`. HotSpot writes a STACK FRAME record per frame
    /// per thread (3 M for 10,000 threads of 300 frames) of a few hundred distinct frames,
    /// numbered 1, 2, 3 …: 4 B per record here ([`FrameIds`]), 24 B per distinct frame in
    /// `frame_rows`.
    pub frames: FrameIds,
    /// The distinct STACK FRAME contents.
    pub frame_rows: Vec<Frame>,
    /// stack trace serial → (thread serial, range into `trace_frames`)
    pub traces: HashMap<u32, (u32, usize, usize)>,
    /// The frames of every STACK TRACE, 4 B each: see [`TraceFrame`].
    pub trace_frames: Vec<TraceFrame>,
    /// The ids of the trace frames that no STACK FRAME before their trace defines.
    pub unresolved_frames: Vec<u64>,
    /// Body ranges of the first heap dump's HEAP DUMP / HEAP DUMP SEGMENT records.
    pub segments: Vec<(usize, usize)>,
    pub heap_dumps: u32,
    pub records: u64,
    pub truncated: Option<String>,
    pub wrapped: Vec<usize>,
    /// Records with a tag no HPROF version defines, skipped by their length.
    pub unknown_tags: u64,
    /// (offset, tag) of the first of them.
    pub first_unknown: Option<(usize, u8)>,
}

/// A map from keys to values, flat: `(key, value)` pairs appended while the records are
/// read, then sorted by key once ([`finish`](Flat::finish)), looked up by binary search. Of a
/// key appended twice the last value counts, as a map's insert would. A look-up before
/// `finish` finds nothing.
#[derive(Default)]
pub struct Flat<K, V> {
    pairs: Vec<(K, V)>,
}

impl<K: Ord + Copy, V: Copy> Flat<K, V> {
    pub fn insert(&mut self, k: K, v: V) {
        self.pairs.push((k, v));
    }

    /// Sort by key, keep the last value appended of each key, give back the spare room.
    pub fn finish(&mut self) {
        // stable: pairs of one key stay in the order appended
        self.pairs.sort_by_key(|p| p.0);
        let mut w = 0usize;
        for r in 0..self.pairs.len() {
            if w > 0 && self.pairs[w - 1].0 == self.pairs[r].0 {
                self.pairs[w - 1] = self.pairs[r];
            } else {
                self.pairs[w] = self.pairs[r];
                w += 1;
            }
        }
        self.pairs.truncate(w);
        self.pairs.shrink_to_fit();
    }

    /// Keep the pairs whose key `keep` says (still sorted), give back the room of the others.
    pub fn retain(&mut self, mut keep: impl FnMut(K) -> bool) {
        self.pairs.retain(|p| keep(p.0));
        self.pairs.shrink_to_fit();
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        let i = self.pairs.binary_search_by_key(k, |p| p.0).ok()?;
        Some(&self.pairs[i].1)
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// STACK FRAME id → index into [`TopLevel::frame_rows`]: a dense table while the ids run on by
/// one from the first (HotSpot numbers its frames 1, 2, 3 …: 4 B per record), a hash map for
/// the rest (16 B each). Inserting an id again replaces its row, as a map's insert does.
#[derive(Default)]
pub struct FrameIds {
    base: u64,
    dense: Vec<u32>,
    other: FxHashMap<u64, u32>,
}

impl FrameIds {
    pub fn insert(&mut self, id: u64, row: u32) {
        let next = self.base.wrapping_add(self.dense.len() as u64);
        if self.dense.is_empty() {
            self.base = id;
            self.dense.push(row);
        } else if id == next && next != 0 {
            self.dense.push(row);
        } else if let Some(slot) = self.dense_slot(id) {
            self.dense[slot] = row;
        } else {
            self.other.insert(id, row);
        }
    }

    #[inline]
    fn dense_slot(&self, id: u64) -> Option<usize> {
        let k = id.checked_sub(self.base)?;
        (k < self.dense.len() as u64).then_some(k as usize)
    }

    pub fn get(&self, id: u64) -> Option<u32> {
        match self.dense_slot(id) {
            Some(k) => Some(self.dense[k]),
            None => self.other.get(&id).copied(),
        }
    }
}

/// One frame of a STACK TRACE, 4 B: the row of its STACK FRAME in [`TopLevel::frame_rows`] when
/// a STACK FRAME record before the trace defines it (HotSpot writes a thread's frames just
/// before its trace), else (top bit set) an index into [`TopLevel::unresolved_frames`], the id
/// to look up once every record is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceFrame(u32);

impl TraceFrame {
    const UNRESOLVED: u32 = 1 << 31;
}

impl TopLevel {
    /// The STACK FRAME record with this id.
    pub fn frame(&self, id: u64) -> Option<&Frame> {
        self.frame_rows.get(self.frames.get(id)? as usize)
    }

    /// A trace frame's row in `frame_rows`, or the id no STACK FRAME record defines.
    pub fn trace_frame(&self, f: TraceFrame) -> Result<u32, u64> {
        if f.0 & TraceFrame::UNRESOLVED == 0 {
            return Ok(f.0);
        }
        let id = self.unresolved_frames[(f.0 & !TraceFrame::UNRESOLVED) as usize];
        self.frames.get(id).ok_or(id)
    }

    /// Free the stack frames and traces (4 B per trace frame and per STACK FRAME record) once
    /// the threads' stacks are made.
    pub fn drop_frames(&mut self) {
        self.frames = FrameIds::default();
        self.frame_rows = Vec::new();
        self.traces = HashMap::new();
        self.trace_frames = Vec::new();
        self.unresolved_frames = Vec::new();
    }

    /// Once the threads' stacks are made: the class serials go (only STACK FRAMEs name a class
    /// by serial), and of the LOAD CLASS names only those of the classes no CLASS DUMP
    /// describes (`described`) stay, for the warning that names a GC root's missing class
    /// (a class with a CLASS DUMP is a node, never missing): 32 B per class less through pass 3.
    pub fn drop_described_classes(&mut self, described: impl Fn(u64) -> bool) {
        self.class_serials = Flat::default();
        self.class_names.retain(|cid| !described(cid));
    }

    /// A trace's frame `id`, resolved now if a STACK FRAME record defined it already.
    fn push_trace_frame(&mut self, id: u64) {
        let f = match self.frames.get(id) {
            Some(row) if row < TraceFrame::UNRESOLVED => TraceFrame(row),
            _ if self.unresolved_frames.len() < TraceFrame::UNRESOLVED as usize => {
                self.unresolved_frames.push(id);
                TraceFrame(TraceFrame::UNRESOLVED | (self.unresolved_frames.len() - 1) as u32)
            }
            // 2^31 frames no record defines: not a file this reader can hold
            _ => return,
        };
        self.trace_frames.push(f);
    }

    pub fn string(&self, b: &Bytes, id: u64) -> Option<String> {
        let s = self.string_bytes(b, id)?;
        Some(String::from_utf8_lossy(s).into_owned())
    }

    /// The bytes of the UTF8 record with this id, as they are in the file.
    pub fn string_bytes<'a>(&self, b: &Bytes<'a>, id: u64) -> Option<&'a [u8]> {
        let at = *self.strings.get(&id)? as usize;
        // the record's length (its id and bytes) is the u4 before its id; a record the file
        // cuts short ends with the file, as the walk found it
        let body = at - b.id;
        let len = b.u4(body - 4)? as usize;
        b.slice(at, (body + len).min(b.len()))
    }
}

/// Walk every top-level record once.
pub fn walk(b: &Bytes, h: &Header, wrap: u64) -> Result<TopLevel, Fail> {
    let mut t = TopLevel::default();
    // Distinct STACK FRAME contents → index into `t.frame_rows`.
    let mut frame_ix: FxHashMap<Frame, u32> = FxHashMap::default();
    let id = b.id;
    let mut pos = h.records_at;
    // 0 = before any dump, 1 = inside the first dump, 2 = after it
    let mut dump_state = 0u8;
    while pos < b.len() {
        let (Some(tag), Some(len)) = (b.u1(pos), b.u4(pos + 5)) else {
            t.truncated = Some(format!(
                "the file ends inside a record header at byte {pos}"
            ));
            break;
        };
        let body = pos + 9;
        if !is_top_tag(tag) {
            // Eclipse MAT skips records it does not know; so does heapscope, when the stated
            // length stays inside the file (else this is damage, not a newer record kind)
            if body + len as usize > b.len() {
                return Err(Fail::at(pos, "a top-level HPROF record tag"));
            }
            t.unknown_tags += 1;
            t.first_unknown.get_or_insert((pos, tag));
            t.records += 1;
            pos = body + len as usize;
            continue;
        }
        t.records += 1;
        let mut end = body + len as usize;
        if tag == TAG_HEAP_DUMP {
            match heap_dump_extent(b, body, u64::from(len), wrap) {
                Some((e, wrapped)) => {
                    if wrapped {
                        t.wrapped.push(pos);
                    }
                    end = e;
                }
                None if end > b.len() => {}
                None => return Err(Fail::at(end, "a record after the HEAP DUMP record")),
            }
        }
        if end > b.len() {
            t.truncated = Some(format!(
                "the record at byte {pos} (tag 0x{tag:02X}) claims {len} bytes but the file ends after {}",
                b.len() - body.min(b.len())
            ));
            end = b.len();
        }
        match tag {
            TAG_UTF8 if len as usize >= id && end - body >= id => {
                if let Some(sid) = b.id(body) {
                    t.strings.insert(sid, (body + id) as u64);
                }
            }
            TAG_LOAD_CLASS => {
                if let (Some(serial), Some(cid), Some(name)) =
                    (b.u4(body), b.id(body + 4), b.id(body + 8 + id))
                {
                    t.class_names.insert(cid, name);
                    t.class_serials.insert(serial, cid);
                }
            }
            TAG_STACK_FRAME => {
                if let (Some(fid), Some(m), Some(src), Some(cs), Some(line)) = (
                    b.id(body),
                    b.id(body + id),
                    b.id(body + 3 * id),
                    b.u4(body + 4 * id),
                    b.u4(body + 4 * id + 4),
                ) {
                    let f = Frame {
                        method: m,
                        source: src,
                        class_serial: cs,
                        line: line as i32,
                    };
                    let rows = &mut t.frame_rows;
                    let row = *frame_ix.entry(f).or_insert_with(|| {
                        rows.push(f);
                        (rows.len() - 1) as u32
                    });
                    t.frames.insert(fid, row);
                }
            }
            TAG_STACK_TRACE => {
                if let (Some(serial), Some(thread), Some(n)) =
                    (b.u4(body), b.u4(body + 4), b.u4(body + 8))
                {
                    let start = t.trace_frames.len();
                    let fit = (end.saturating_sub(body + 12) / id).min(n as usize);
                    for k in 0..fit {
                        if let Some(f) = b.id(body + 12 + k * id) {
                            t.push_trace_frame(f);
                        }
                    }
                    t.traces
                        .insert(serial, (thread, start, t.trace_frames.len()));
                }
            }
            TAG_HEAP_DUMP | TAG_HEAP_DUMP_SEGMENT => {
                // A dump starts at the first heap record, at the first heap record after HEAP DUMP
                // END, and at every unsegmented HEAP DUMP record. States: 0 before any dump,
                // 1 inside the first, 2 after a dump ended, 3 inside a later dump.
                let starts = match dump_state {
                    0 | 2 => true,
                    _ => tag == TAG_HEAP_DUMP,
                };
                if starts {
                    t.heap_dumps += 1;
                    dump_state = if t.heap_dumps == 1 { 1 } else { 3 };
                }
                if dump_state == 1 {
                    t.segments.push((body, end));
                }
            }
            TAG_HEAP_DUMP_END if dump_state != 0 => {
                dump_state = 2;
            }
            _ => {}
        }
        pos = end;
    }
    t.strings.finish();
    t.class_names.finish();
    t.class_serials.finish();
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::{Flat, FrameIds};
    use std::collections::HashMap;

    /// Against the map it replaces: random keys from a small and a wide range (so many are
    /// inserted again and the last value must win), looked up present and absent, before and
    /// after `retain`; an empty table finds nothing.
    #[test]
    fn flat_agrees_with_a_map() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (n, range) in [
            (0usize, 1u64),
            (1, 1),
            (50, 10),
            (3000, 500),
            (3000, u64::MAX),
        ] {
            let mut flat: Flat<u64, u64> = Flat::default();
            let mut naive: HashMap<u64, u64> = HashMap::new();
            for v in 0..n as u64 {
                let k = next() % range.max(1);
                flat.insert(k, v);
                naive.insert(k, v);
            }
            flat.finish();
            assert_eq!(flat.len(), naive.len());
            let probes: Vec<u64> = naive
                .keys()
                .flat_map(|&k| [k, k.wrapping_add(1), k.wrapping_sub(1)])
                .chain([0, 1, u64::MAX, next()])
                .collect();
            for &k in &probes {
                assert_eq!(flat.get(&k), naive.get(&k), "{k} of {n} in 0..{range}");
            }
            flat.retain(|k| k % 3 != 0);
            naive.retain(|k, _| k % 3 != 0);
            assert_eq!(flat.len(), naive.len());
            for &k in &probes {
                assert_eq!(flat.get(&k), naive.get(&k), "{k} after retain");
            }
        }
        let mut serials: Flat<u32, u64> = Flat::default();
        assert!(serials.get(&7).is_none());
        serials.insert(7, 1);
        serials.insert(3, 2);
        serials.insert(7, 3);
        serials.finish();
        assert_eq!(
            (serials.get(&7), serials.get(&3), serials.get(&4)),
            (Some(&3), Some(&2), None)
        );
    }

    /// Against a plain map, on runs of ids: on by one from the first (HotSpot), gaps, ids below
    /// the first, repeats that replace a row, ids that a later run reaches from the map's side,
    /// and 0 and `u64::MAX` at the edges.
    #[test]
    fn frame_ids_agree_with_a_map() {
        let mut seqs: Vec<Vec<u64>> = vec![
            (1..1000).collect(),
            vec![5, 6, 7, 9, 8, 10, 4, 6, 11, 12, 9],
            vec![1, 2, 5, 3, 4, 5, 6, 2],
            vec![u64::MAX - 1, u64::MAX, 0, 1, u64::MAX],
            vec![0, 1, 2, 0],
            vec![],
        ];
        // a fixed pseudo-random mix of runs and jumps
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut mix = Vec::new();
        let mut id = 100u64;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            id = match x % 7 {
                0 => x % 300,
                1 => id.saturating_sub(3),
                _ => id + 1,
            };
            mix.push(id);
        }
        seqs.push(mix);
        for seq in seqs {
            let mut ids = FrameIds::default();
            let mut naive: HashMap<u64, u32> = HashMap::new();
            for (row, &id) in seq.iter().enumerate() {
                ids.insert(id, row as u32);
                naive.insert(id, row as u32);
            }
            let probe = seq
                .iter()
                .flat_map(|&i| [i, i.wrapping_add(1), i.wrapping_sub(1)])
                .chain([0, 1, 2, u64::MAX, 12345]);
            for id in probe {
                assert_eq!(ids.get(id), naive.get(&id).copied(), "{id} in {seq:?}");
            }
        }
    }
}
