//! The `nodes`, `edges` and `locations` integer arrays parsed on all cores, each record
//! written where it belongs.
//!
//! The array's text is cut into chunks of about [`CHUNK_BYTES`] just after a comma. One parallel
//! pass counts the commas of each chunk, which gives the index of the first value starting in it
//! (so the text is read twice; the count is a vectorised byte compare). That pass is mostly the
//! first touch of the mapped input, which any first pass pays: on the 1.05 GB snapshot (Node 20,
//! 12.7 M nodes) counting the 320 MB `nodes` array took 0.05–0.09 CPU s and 5.1 K minor faults
//! (fault-around, 64 KiB each), counting it again 0.015–0.018 s and none; so counts from the
//! parse itself (chunks parsed into buffers, placed once the counts before them are known)
//! would save ~0.05 CPU s of the parse's ~1.7 on that snapshot. Then every chunk parses
//! the records that start in it (reading on past its end to finish the last one) and hands them
//! over one by one, on its own core, with no buffer: [`IntArray::chunk_records`] (the edges,
//! straight into the graph's CSR; the nodes, straight into the graph's node columns, one
//! builder run per chunk; the locations).
//!
//! A chunk is read 64 bytes at a time ([`Values`]): three bit masks (digits, commas, JSON
//! whitespace) say where every number of the block starts and whether the block keeps to the
//! grammar — only those bytes, and numbers and commas strictly alternating (a prefix XOR of their
//! bits) — so a number costs a trailing-zero count and an eight-byte SWAR conversion, with no
//! branch per byte or per separator whatever whitespace the producer writes. Where the CPU has
//! AVX-512 VBMI and VBMI2 (checked at run time), a block's numbers are converted eight at a
//! time instead ([`decode_avx512`]: the number parse's CPU on the TypeScript compiler's
//! snapshot −11%, perf samples 1,713 → 1,519), and its three masks come from one 64-byte
//! vector and its prefix XOR from one carry-less multiplication ([`Values::load_wide`]). Where
//! it has AVX2 only (AMD before Zen 4, many cloud hosts), four at a time ([`decode_avx2`],
//! masks from two 32-byte vectors, [`Values::load_avx2`]): on such a host (2-core AMD EPYC VM,
//! 2026-12-07) the parse of the TypeScript compiler's snapshot took 3.0 CPU s instead of 3.8,
//! the Node 20 fixture's 3.8 instead of 5.0 (3 alternated runs each). The values are the
//! same ([`decode_scalar`] and [`masks`] are the baseline path, and the tests compare every
//! level the CPU has with it: [`Simd`]). A number of more than 19 digits fails the block that
//! holds it (the
//! parallel reader declines, whichever chunk meets it), so that taking a value is a
//! trailing-zero count and a load; V8's record widths (3, 4, 6 and 7) are read with the width
//! known at compile time, a record whose values all start in the loaded block at once
//! ([`Values::records`]).
//!
//! This is the fast path only. It accepts exactly the arrays the sequential [`Cursor`] accepts
//! (the same whitespace, unsigned integers below 10^19) and fails, without a useful offset, on
//! anything else; `v8::build` then runs the sequential parser, whose errors carry exact offsets.
//!
//! [`Cursor`]: super::scan::Cursor

use rayon::prelude::*;

use super::scan::Scan;
use crate::Fail;

/// Text per chunk (one task of a pass). 1 MiB keeps a 1 GB snapshot at ~1000 tasks (rayon's
/// overhead per task is microseconds) while the read-on past a chunk's end (< one record) is noise.
/// (Unit tests use tiny chunks so that small arrays take every path.)
const CHUNK_BYTES: usize = if cfg!(test) { 64 } else { 1 << 20 };

/// Every this many records the node reader notes where a record starts (the `nodes` array's
/// marks, from which the inspector reads a node's fields again on demand).
pub(crate) const MARK_EVERY: u64 = 64;

/// The widest record [`IntArray::chunk_records`] reads (V8's edges have 3 values).
pub(crate) const MAX_WIDTH: usize = 16;

/// The fast path declined; the message is for tests, not users (the exact parser reruns).
#[cold]
fn declined(why: &'static str) -> Fail {
    Fail::at(0, why)
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Chunks scanned in one parallel wave while looking for the array's end: the last wave
/// overshoots the `]` by less than this many chunks (a few ms of counting).
const WAVE: usize = 32;

/// Commas in `chunk` before its first `]`, and where that `]` is. 128 bytes at a time with
/// byte-wide counters, which vectorise (a plain `filter().count()` widened every byte to 64
/// bits: 0.5 s of CPU on a 1 GB snapshot, now a fraction of that). (An AVX-512 version, a
/// comma mask and POPCNT per 64 bytes, took as many CPU samples on the TypeScript compiler's
/// snapshot, 3% of the parse's: this first pass over the mapped text waits for memory.)
fn scan_chunk(chunk: &[u8]) -> (u64, Option<usize>) {
    let mut commas = 0u64;
    for (i, block) in chunk.chunks(128).enumerate() {
        let (mut c, mut close) = (0u8, 0u8);
        for &b in block {
            c += u8::from(b == b',');
            close |= u8::from(b == b']');
        }
        if close != 0 {
            let p = block.iter().position(|&b| b == b']').unwrap_or(block.len());
            commas += block[..p].iter().filter(|&&b| b == b',').count() as u64;
            return (commas, Some(i * 128 + p));
        }
        commas += u64::from(c);
    }
    (commas, None)
}

/// An integer array located and counted: values `first_value[k]..` start in chunk `k`, which
/// begins at byte `starts[k]`; `close` is the position of its `]`.
pub(crate) struct IntArray<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
    first_value: Vec<u64>,
    close: usize,
    values: u64,
}

impl<'a> IntArray<'a> {
    /// The array whose `[` is at `open`: one parallel pass over chunks at fixed offsets finds
    /// its `]` and counts the commas before it; each chunk then starts just after its first comma.
    pub fn locate(bytes: &'a [u8], open: usize) -> Scan<IntArray<'a>> {
        if bytes.get(open) != Some(&b'[') {
            return Err(declined("'['"));
        }
        let first = open + 1;
        let mut fixed: Vec<(usize, u64)> = Vec::new(); // (chunk offset, commas before any ']')
        let mut close = None;
        let mut at = first;
        while close.is_none() && at < bytes.len() {
            let wave: Vec<usize> = (0..WAVE)
                .map(|i| at + i * CHUNK_BYTES)
                .take_while(|&s| s < bytes.len())
                .collect();
            let scanned: Vec<(u64, Option<usize>)> = wave
                .par_iter()
                .map(|&s| {
                    let (c, close) = scan_chunk(&bytes[s..(s + CHUNK_BYTES).min(bytes.len())]);
                    (c, close.map(|p| s + p))
                })
                .collect();
            for (&s, (c, end)) in wave.iter().zip(scanned) {
                fixed.push((s, c));
                if end.is_some() {
                    close = end;
                    break;
                }
            }
            at += WAVE * CHUNK_BYTES;
        }
        let close = close.ok_or_else(|| declined("']'"))?;
        let mut starts = vec![first];
        let mut first_value = vec![0u64];
        let mut sum = 0u64;
        for (k, &(s, c)) in fixed.iter().enumerate() {
            if k > 0 && c > 0 {
                let end = fixed.get(k + 1).map_or(close, |f| f.0).min(close);
                if let Some(q) = bytes[s..end].iter().position(|&b| b == b',') {
                    starts.push(s + q + 1);
                    first_value.push(sum + 1);
                }
            }
            sum += c;
        }
        let empty = sum == 0 && bytes[first..close].iter().all(|&b| is_ws(b));
        let values = if empty { 0 } else { sum + 1 };
        Ok(IntArray {
            bytes,
            starts,
            first_value,
            close,
            values,
        })
    }

    /// Number of values (if the array is well formed; parsing checks it).
    pub fn values(&self) -> u64 {
        self.values
    }

    /// Position just after the closing `]`.
    pub fn end(&self) -> usize {
        self.close + 1
    }

    /// Where the records of `width` values that start in each chunk begin: chunk `k` owns records
    /// `owned[k]..owned[k + 1]`, and the last entry is the record count. Fails when the value
    /// count is not a multiple of `width`.
    fn owned(&self, width: usize) -> Scan<Vec<u64>> {
        let w = width.max(1) as u64;
        if !self.values.is_multiple_of(w) {
            return Err(declined("whole records"));
        }
        let total = self.values / w;
        let k = self.starts.len();
        // Chunk k owns the records that start in it: from ceil(first_value / w).
        Ok((0..=k)
            .map(|i| {
                if i == k {
                    total
                } else {
                    self.first_value[i].div_ceil(w).min(total)
                }
            })
            .collect())
    }

    /// The records of `width` values each chunk owns, as ranges of record indices in order
    /// (together, every record once).
    pub fn record_ranges(&self, width: usize) -> Scan<Vec<std::ops::Range<u64>>> {
        Ok(self.owned(width)?.windows(2).map(|r| r[0]..r[1]).collect())
    }

    /// The records of `width` values (at most [`MAX_WIDTH`]) that chunk `c` owns, in order:
    /// `each(record index, record, offset of its first value)`, on the calling thread.
    /// `owned` is [`record_ranges`](Self::record_ranges)' bounds (`ranges[k].start` for every
    /// chunk, then the record count). For a caller that runs the chunks itself (the nodes,
    /// inside the graph builder's parallel node fill). Fails when the value count is not a
    /// multiple of `width`, on anything the sequential cursor would reject, or when `each`
    /// fails.
    pub fn chunk_records(
        &self,
        owned: &[u64],
        c: usize,
        width: usize,
        mut each: impl FnMut(u64, &[u64], usize) -> Scan<()>,
    ) -> Scan<()> {
        let w = width.max(1);
        if w > MAX_WIDTH || owned.len() != self.starts.len() + 1 || c + 1 >= owned.len() {
            return Err(declined(
                "one state per chunk, records of at most 16 values",
            ));
        }
        let (first, end) = (owned[c], owned[c + 1]);
        // The last chunk reads on to the `]`; any other checks its text up to the next chunk
        // (which starts just after a comma).
        let last = c + 2 == owned.len();
        let limit = if last { self.close } else { self.starts[c + 1] };
        let skip = (first * w as u64)
            .checked_sub(self.first_value[c])
            .ok_or_else(|| declined("records in order"))?;
        let mut vals = Values::new(self.bytes, self.close, self.starts[c]);
        for _ in 0..skip {
            vals.next()?;
        }
        // V8's widths (edges 3, locations 4, nodes 6 or 7) with the record's length known.
        match w {
            3 => vals.records::<3>(first..end, &mut each)?,
            4 => vals.records::<4>(first..end, &mut each)?,
            6 => vals.records::<6>(first..end, &mut each)?,
            7 => vals.records::<7>(first..end, &mut each)?,
            _ => {
                let mut rec = [0u64; MAX_WIDTH];
                for r in first..end {
                    let (v, at) = vals.next()?;
                    rec[0] = v;
                    for slot in rec[1..w].iter_mut() {
                        *slot = vals.next()?.0;
                    }
                    each(r, &rec[..w], at)?;
                }
            }
        }
        vals.finish(limit, last.then_some(self.values > 0))
    }

    /// [`record_ranges`](Self::record_ranges) as bounds: chunk `k` owns records
    /// `bounds[k]..bounds[k + 1]`.
    pub fn record_bounds(&self, width: usize) -> Scan<Vec<u64>> {
        self.owned(width)
    }
}

/// The values of an integer array from a chunk's start on, 64 bytes of text at a time (see the
/// module docs). Every byte it loads is checked against the grammar; [`finish`](Self::finish)
/// says whether all were well formed. (`close` is the array's `]`, so a number never runs past
/// it and nothing at or past it is read as part of the array.)
struct Values<'a> {
    b: &'a [u8],
    close: usize,
    /// Where the loaded block starts; bit `i` of the masks is byte `base + i`.
    base: usize,
    /// Where the next block starts.
    next: usize,
    /// The starts of the numbers of the block not taken yet.
    starts: u64,
    /// 1 when the byte before the next block is a digit (a number goes on across the cut).
    digit_carry: u64,
    /// All ones when an odd number of numbers and commas came before the next block.
    parity: u64,
    /// Nonzero once a byte broke the grammar.
    bad: u64,
    /// The values of the numbers that start in the block, in order ([`decode`]), and how
    /// many of them were taken.
    vals: [u64; 64],
    taken: usize,
    /// How the block's masks and numbers are computed: what the CPU has ([`Simd::best`]).
    simd: Simd,
}

/// The vector instructions a block is read with, checked at run time: the conversions give
/// the same values (the tests compare them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Simd {
    /// The masks with SSE2 (every x86-64 CPU), the numbers one at a time ([`decode_scalar`]).
    Scalar,
    /// The masks from two 32-byte vectors, the numbers four at a time ([`decode_avx2`]).
    Avx2,
    /// The masks from one 64-byte vector, the numbers eight at a time ([`decode_avx512`]).
    Avx512,
}

impl Simd {
    /// Every level, for the tests (those the CPU lacks are read as [`Simd::Scalar`]).
    #[cfg(test)]
    const ALL: [Simd; 3] = [Simd::Scalar, Simd::Avx2, Simd::Avx512];

    /// The widest level this CPU has.
    fn best() -> Simd {
        [Simd::Avx512, Simd::Avx2]
            .into_iter()
            .find(|s| s.available())
            .unwrap_or(Simd::Scalar)
    }

    /// Does the CPU have what this level runs on?
    fn available(self) -> bool {
        match self {
            Simd::Scalar => true,
            Simd::Avx2 => has_avx2(),
            Simd::Avx512 => has_avx512(),
        }
    }
}

impl<'a> Values<'a> {
    /// From `start`: the array's first byte after `[`, or a byte just after a comma.
    fn new(b: &'a [u8], close: usize, start: usize) -> Self {
        Self::with(b, close, start, Simd::best())
    }

    /// [`new`](Self::new), reading with `simd` where the CPU has it (else [`Simd::Scalar`]).
    fn with(b: &'a [u8], close: usize, start: usize, simd: Simd) -> Self {
        let mut v = Values {
            b,
            close,
            base: start,
            next: start,
            starts: 0,
            digit_carry: 0,
            parity: 0,
            bad: 0,
            vals: [0; 64],
            taken: 0,
            simd: if simd.available() { simd } else { Simd::Scalar },
        };
        if start < close {
            // (A number of more than 19 digits is also noted as bad: `finish` fails.)
            let _ = v.load();
        }
        v
    }

    /// Classify the 64 bytes at `next` (those before `close`) and move there. Fails when a
    /// number of more than 19 digits starts in them (left to the exact parser: the parallel
    /// reader declines, whichever chunk meets it); that also counts as bad, so that
    /// [`finish`](Self::finish) fails should the caller go on.
    #[inline]
    fn load(&mut self) -> Scan<()> {
        let at = self.next;
        let len = (self.close - at).min(64);
        #[cfg(target_arch = "x86_64")]
        if self.simd != Simd::Scalar && at + 64 <= self.b.len() {
            // SAFETY: `simd` is a level the CPU has (`Simd::available`, checked when made),
            // and the 64 bytes at `at` are in the input (checked just above).
            let too_long = unsafe {
                match self.simd {
                    Simd::Avx512 => self.load_wide(at, len),
                    _ => self.load_avx2(at, len),
                }
            };
            return self.no_long(too_long);
        }
        let (d, c, w) = match self.b.get(at..at + 64) {
            Some(block) => masks(block),
            None => {
                let mut buf = [b' '; 64];
                buf[..len].copy_from_slice(&self.b[at..at + len]);
                masks(&buf)
            }
        };
        let (_, starts) = self.settle(at, len, (d, c, w), prefix_xor);
        let too_long = if starts == 0 {
            0
        } else {
            decode_scalar(self.b, self.base, starts, &mut self.vals)
        };
        self.no_long(too_long)
    }

    /// [`load`](Self::load)'s end: a number of more than 19 digits (their starts:
    /// `too_long`) is bad and fails.
    #[inline(always)]
    fn no_long(&mut self, too_long: u64) -> Scan<()> {
        if too_long != 0 {
            self.bad |= too_long;
            return Err(declined("an unsigned integer below 10^19"));
        }
        Ok(())
    }

    /// [`load`](Self::load) with AVX-512: the masks from one 64-byte vector, the prefix XOR
    /// one carry-less multiplication, the numbers converted eight at a time
    /// ([`decode_avx512`]). Returns the starts of the numbers of more than 19 digits.
    ///
    /// # Safety
    /// The CPU must have what [`has_avx512`] checks, and `b[at..at + 64]` must exist.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2,pclmulqdq")]
    unsafe fn load_wide(&mut self, at: usize, len: usize) -> u64 {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees the 64 bytes at `at`.
        let x = unsafe { _mm512_loadu_si512(self.b.as_ptr().add(at).cast()) };
        let set = |b: u8| _mm512_set1_epi8(b as i8);
        let d = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, set(b'0')), set(10));
        let c = _mm512_cmpeq_epi8_mask(x, set(b','));
        let w = _mm512_cmpeq_epi8_mask(x, set(b' '))
            | _mm512_cmpeq_epi8_mask(x, set(b'\n'))
            | _mm512_cmpeq_epi8_mask(x, set(b'\r'))
            | _mm512_cmpeq_epi8_mask(x, set(b'\t'));
        let (d, starts) = self.settle(at, len, (d, c, w), |m| {
            let r = _mm_clmulepi64_si128(_mm_cvtsi64_si128(m as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(r) as u64
        });
        if starts == 0 {
            return 0;
        }
        // SAFETY: as above; `base` is `at`.
        unsafe { decode_avx512(self.b, self.base, d, starts, &mut self.vals) }
    }

    /// [`load`](Self::load) with AVX2: the masks from two 32-byte vectors, the prefix XOR one
    /// carry-less multiplication, the numbers converted four at a time ([`decode_avx2`]).
    /// Returns the starts of the numbers of more than 19 digits.
    ///
    /// # Safety
    /// The CPU must have what [`has_avx2`] checks, and `b[at..at + 64]` must exist.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,pclmulqdq")]
    unsafe fn load_avx2(&mut self, at: usize, len: usize) -> u64 {
        use std::arch::x86_64::*;
        let set = |b: u8| _mm256_set1_epi8(b as i8);
        let half = |x: __m256i| {
            let digit = digits_avx2(x);
            let comma = _mm256_cmpeq_epi8(x, set(b','));
            let ws = _mm256_or_si256(
                _mm256_or_si256(
                    _mm256_cmpeq_epi8(x, set(b' ')),
                    _mm256_cmpeq_epi8(x, set(b'\n')),
                ),
                _mm256_or_si256(
                    _mm256_cmpeq_epi8(x, set(b'\r')),
                    _mm256_cmpeq_epi8(x, set(b'\t')),
                ),
            );
            let bits = |m: __m256i| u64::from(_mm256_movemask_epi8(m) as u32);
            (bits(digit), bits(comma), bits(ws))
        };
        // SAFETY: the caller guarantees the 64 bytes at `at`.
        let (lo, hi) = unsafe {
            let p = self.b.as_ptr().add(at);
            (
                _mm256_loadu_si256(p.cast()),
                _mm256_loadu_si256(p.add(32).cast()),
            )
        };
        let ((d0, c0, w0), (d1, c1, w1)) = (half(lo), half(hi));
        let masks = (d0 | d1 << 32, c0 | c1 << 32, w0 | w1 << 32);
        let (d, starts) = self.settle(at, len, masks, |m| {
            let r = _mm_clmulepi64_si128(_mm_cvtsi64_si128(m as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(r) as u64
        });
        if starts == 0 {
            return 0;
        }
        // SAFETY: as above; `base` is `at`.
        unsafe { decode_avx2(self.b, self.base, d, starts, &mut self.vals) }
    }

    /// The bookkeeping of a block at `at` of which `len` bytes are before `close`, given its
    /// digit, comma and whitespace masks and a prefix XOR: the grammar checked, the number
    /// starts noted, the block made the current one. Returns its digits and number starts.
    #[inline(always)]
    fn settle(
        &mut self,
        at: usize,
        len: usize,
        (d, c, w): (u64, u64, u64),
        prefix_xor: impl Fn(u64) -> u64,
    ) -> (u64, u64) {
        let valid = if len == 64 { !0 } else { (1u64 << len) - 1 };
        let (d, c) = (d & valid, c & valid);
        self.bad |= !(d | c | w) & valid;
        let starts = d & !((d << 1) | self.digit_carry);
        // Numbers and commas alternate, a number first: every number is an odd one of the run
        // (inclusive parity 1), every comma an even one.
        let p = prefix_xor(starts | c) ^ self.parity;
        self.bad |= (starts & !p) | (c & p);
        self.parity = 0u64.wrapping_sub(p >> 63);
        self.digit_carry = d >> 63;
        self.starts = starts;
        self.base = at;
        self.next = at + 64;
        self.taken = 0;
        (d, starts)
    }

    /// The next value and where it starts; fails past the array's last value or on a number of
    /// more than 19 digits.
    #[inline(always)]
    fn next(&mut self) -> Scan<(u64, usize)> {
        while self.starts == 0 {
            if self.next >= self.close {
                return Err(declined("another value"));
            }
            self.load()?;
        }
        let at = self.base + self.starts.trailing_zeros() as usize;
        self.starts &= self.starts - 1;
        let v = self.vals[self.taken & 63];
        self.taken += 1;
        Ok((v, at))
    }

    /// The records `range` of `W` values each, from the next value on: `each(record index,
    /// record, offset of its first value)`, as [`next`](Self::next) would give them, but a
    /// record whose `W` values all start in the loaded block taken at once (one check that
    /// they do instead of one per value for the next block).
    #[inline(always)]
    fn records<const W: usize>(
        &mut self,
        range: std::ops::Range<u64>,
        each: &mut impl FnMut(u64, &[u64], usize) -> Scan<()>,
    ) -> Scan<()> {
        let mut rec = [0u64; W];
        for r in range {
            let at;
            // The starts after this record's first W - 1: nonzero when all W are here.
            let mut rest = self.starts;
            for _ in 1..W {
                rest &= rest.wrapping_sub(1);
            }
            if rest != 0 {
                at = self.base + self.starts.trailing_zeros() as usize;
                for (k, slot) in rec.iter_mut().enumerate() {
                    *slot = self.vals[(self.taken + k) & 63];
                }
                self.starts = rest & (rest - 1);
                self.taken += W;
            } else {
                let (v, first_at) = self.next()?;
                (rec[0], at) = (v, first_at);
                for slot in rec[1..].iter_mut() {
                    *slot = self.next()?.0;
                }
            }
            each(r, &rec, at)?;
        }
        Ok(())
    }

    /// Check the text up to `limit` (loading what is left of it) and that every byte loaded was
    /// well formed. `last` (for the chunk that ends at the `]`): whether the array has values;
    /// then no value may be left and the array must end with one.
    fn finish(mut self, limit: usize, last: Option<bool>) -> Scan<()> {
        let mut left = self.starts;
        while self.next < limit.min(self.close) {
            // (A failure is noted as bad.)
            let _ = self.load();
            left |= self.starts;
        }
        let ends_right = match last {
            Some(nonempty) => left == 0 && (self.parity != 0) == nonempty,
            None => true,
        };
        if self.bad != 0 || !ends_right {
            return Err(declined("an array of unsigned integers"));
        }
        Ok(())
    }
}

/// The number at `b[at..]` (at most 20 of its digits read) and whether it has more than 19.
/// The array's `]` ends every number.
#[inline(always)]
fn value_at(b: &[u8], at: usize) -> (u64, bool) {
    let (mut v, mut end) = digits(b, at);
    // Past eight digits (rare), a byte at a time.
    if end - at == 8 {
        while let Some(d) = b.get(end).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            end += 1;
            if end - at > 19 {
                break;
            }
        }
    }
    (v, end - at > 19)
}

/// [`Values::decode`] one number at a time ([`digits`]): the values of the numbers starting at
/// the bits of `starts` in the block at `base`, in order, into `out`; returns the starts of
/// those of more than 19 digits.
#[inline]
fn decode_scalar(b: &[u8], base: usize, starts: u64, out: &mut [u64; 64]) -> u64 {
    let (mut s, mut i, mut too_long) = (starts, 0usize, 0u64);
    while s != 0 {
        let (v, long) = value_at(b, base + s.trailing_zeros() as usize);
        out[i & 63] = v;
        if long {
            too_long |= s & s.wrapping_neg();
        }
        s &= s - 1;
        i += 1;
    }
    too_long
}

/// Does the CPU have what [`Values::load_wide`] and [`decode_avx512`] run on (AVX-512 F, BW,
/// VBMI and VBMI2, and PCLMULQDQ)?
#[inline]
fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
            && std::arch::is_x86_feature_detected!("avx512vbmi2")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Does the CPU have what [`Values::load_avx2`] and [`decode_avx2`] run on (AVX2, BMI1 and
/// PCLMULQDQ)?
#[inline]
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("bmi1")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The bytes of `x` that are ASCII digits, all ones (the rest zero): `'0'..='9'` moved to
/// `-128..=-119`, where a signed compare finds them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn digits_avx2(x: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let shifted = _mm256_add_epi8(x, _mm256_set1_epi8((128 - b'0') as i8));
    _mm256_cmpgt_epi8(_mm256_set1_epi8(-118), shifted)
}

/// [`decode_scalar`] four numbers at a time, for CPUs with AVX2 but not AVX-512 VBMI2, with
/// no branch and almost no scalar work per number. A number's end (a digit not followed by
/// one) is a bit of the block's masks; the eight bytes that end at its last digit are one
/// 64-bit lane, in which every byte at or before the last non-digit is cleared (the
/// non-digits' mask or-ed down the lane by three shifts), which leaves exactly the number's
/// digits, leading bytes zero. The four lanes are then converted at once as in
/// [`decode_avx512`]: two multiply-adds of neighbours (digit pairs, then pairs of pairs) and
/// one 32 × 32 multiply. The lanes of numbers of more than eight digits (nine digit bits
/// up to the end) and of a number that goes on past the block are converted again by
/// [`value_at`] (rare).
///
/// # Safety
/// The CPU must have AVX2 and BMI1 ([`has_avx2`]) and `b[base..base + 64]` must exist.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1")]
unsafe fn decode_avx2(b: &[u8], base: usize, d: u64, starts: u64, out: &mut [u64; 64]) -> u64 {
    use std::arch::x86_64::*;
    // A lane reads the 7 bytes before its number's last digit: they must exist (they do past
    // an array's `[`), and a number at the block's first byte must follow a non-digit (it
    // does but where a reader was started inside a number: the tests do).
    if base < 7 || (starts & 1 != 0 && b[base - 1].is_ascii_digit()) {
        return decode_scalar(b, base, starts, out);
    }
    // The ends as in `decode_avx512`: the i-th end is the i-th start's, but for a last number
    // that goes on past the block.
    let goes_on = b.get(base + 64).is_some_and(u8::is_ascii_digit);
    let mut ends = d & !(d >> 1) & !(u64::from(goes_on) << 63);
    ends &= !((starts & starts.wrapping_neg()) - 1);
    let n = starts.count_ones() as usize;
    let ended = ends.count_ones() as usize;
    // Ends with nine digits up to them (all in the block: a number that starts in it and ends
    // before its byte 8 has at most eight).
    let mut run = d & (d << 1);
    run &= run << 2;
    run &= run << 4;
    let long = ends & run & (d << 8);
    let at = b.as_ptr().wrapping_add(base);
    let pairs = _mm256_set1_epi16(0x010A); // bytes 10, 1: the higher digit first
    let quads = _mm256_set1_epi32(0x0001_0064); // 100, 1
    let ten_thousand = _mm256_set1_epi64x(10_000);
    let zero = _mm256_set1_epi8(b'0' as i8);
    let ones = _mm256_set1_epi64x(-1);
    let mut e = ends;
    let mut i = 0;
    while i < n {
        let mut word = [0i64; 4];
        for w in word.iter_mut() {
            // Past the last end: position 63 (no bit left), a lane whose value is not taken.
            let ep = e.trailing_zeros().min(63) as usize;
            e &= e.wrapping_sub(1);
            // SAFETY: bytes base + ep - 7 ..= base + ep, within `base - 7 .. base + 64`: the
            // caller guarantees the block and `base >= 7` was checked.
            *w = unsafe { at.add(ep).sub(7).cast::<i64>().read_unaligned() };
        }
        let x = _mm256_set_epi64x(word[3], word[2], word[1], word[0]);
        let mut before = _mm256_xor_si256(digits_avx2(x), ones);
        before = _mm256_or_si256(before, _mm256_srli_epi64(before, 8));
        before = _mm256_or_si256(before, _mm256_srli_epi64(before, 16));
        before = _mm256_or_si256(before, _mm256_srli_epi64(before, 32));
        let x = _mm256_andnot_si256(before, _mm256_sub_epi8(x, zero));
        let x = _mm256_madd_epi16(_mm256_maddubs_epi16(x, pairs), quads);
        let x = _mm256_add_epi64(_mm256_mul_epu32(x, ten_thousand), _mm256_srli_epi64(x, 32));
        if i + 4 <= out.len() {
            // SAFETY: 4 elements of `out` from `i` on (checked; a block has at most 32 starts).
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), x) };
        }
        i += 4;
    }
    // The long numbers and the one going on past the block, one at a time.
    let mut too_long = 0u64;
    let mut again = |k: usize, sp: usize| {
        let (v, too) = value_at(b, base + sp);
        if too {
            too_long |= 1u64 << sp;
        }
        out[k & 63] = v;
    };
    if ended < n {
        again(n - 1, 63 - starts.leading_zeros() as usize);
    }
    let mut l = long;
    while l != 0 {
        let k = (ends & ((l & l.wrapping_neg()) - 1)).count_ones() as usize;
        l &= l - 1;
        again(k, starts_from(starts, k).trailing_zeros() as usize);
    }
    too_long
}

/// [`decode_scalar`] eight numbers at a time, with no per-number step but for the rare long
/// ones. The positions of the block's number starts and ends (an end: a digit not followed by
/// one) are compressed into byte vectors (VBMI2); for each eight numbers one byte permutation
/// (VBMI) moves each number's digits into the low end of a 64-bit lane of their own, leading
/// lane bytes zeroed, and the eight lanes are converted at once by two multiply-adds of
/// neighbours (digit pairs, then pairs of pairs) and one 32 × 32 multiply (the high four digits
/// times 10^4 plus the low four). A number of more than eight digits, or one that goes on past
/// the block, is converted by [`value_at`].
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VBMI and VBMI2 ([`has_avx512`]) and `b[base..base + 64]`
/// must exist.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2")]
unsafe fn decode_avx512(b: &[u8], base: usize, d: u64, starts: u64, out: &mut [u64; 64]) -> u64 {
    use std::arch::x86_64::*;
    static IOTA: [u8; 64] = {
        let mut t = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            t[i] = i as u8;
            i += 1;
        }
        t
    };
    // The last digit of each number: a digit not followed by one (the byte after the block
    // decides for bit 63; the array's `]` ends the last number). Ends before the first start
    // are those of a number that began in the block before. The i-th end is then the i-th
    // start's, but for a last number that goes on past the block (no end here).
    let goes_on = b.get(base + 64).is_some_and(u8::is_ascii_digit);
    let mut ends = d & !(d >> 1) & !(u64::from(goes_on) << 63);
    ends &= !((starts & starts.wrapping_neg()) - 1);
    let n = starts.count_ones() as usize;
    let ended = ends.count_ones() as usize;
    // SAFETY: the caller guarantees the 64 bytes at `base`; IOTA is 64 bytes.
    let (block, iota) = unsafe {
        (
            _mm512_loadu_si512(b.as_ptr().add(base).cast()),
            _mm512_loadu_si512(IOTA.as_ptr().cast()),
        )
    };
    let digits = _mm512_sub_epi8(block, _mm512_set1_epi8(b'0' as i8));
    let start_at = _mm512_maskz_compress_epi8(starts, iota);
    let end_at = _mm512_maskz_compress_epi8(ends, iota);
    // Lane j's bytes all read byte j (of the group's eight).
    let spread = _mm512_set_epi64(
        0x0707_0707_0707_0707,
        0x0606_0606_0606_0606,
        0x0505_0505_0505_0505,
        0x0404_0404_0404_0404,
        0x0303_0303_0303_0303,
        0x0202_0202_0202_0202,
        0x0101_0101_0101_0101,
        0,
    );
    let byte_k = _mm512_set1_epi64(0x0706_0504_0302_0100);
    let eight = _mm512_set1_epi8(8);
    let pairs = _mm512_set1_epi16(0x010A); // bytes 10, 1: the higher digit first
    let quads = _mm512_set1_epi32(0x0001_0064); // 100, 1
    let ten_thousand = _mm512_set1_epi64(10_000);
    let mut too_long = 0u64;
    let mut i = 0;
    while i < n {
        let pick = _mm512_add_epi8(spread, _mm512_set1_epi8(i as i8));
        let end = _mm512_permutexvar_epi8(pick, end_at);
        let len = _mm512_sub_epi8(
            _mm512_add_epi8(end, _mm512_set1_epi8(1)),
            _mm512_permutexvar_epi8(pick, start_at),
        );
        // Lanes of numbers with an end here (the rest of the group, if any, are slow).
        let lanes = (n - i).min(8);
        let with_end = ended.saturating_sub(i).min(lanes);
        let valid = if with_end == 8 {
            !0u64
        } else {
            (1u64 << (8 * with_end)) - 1
        };
        let short = _mm512_cmple_epu8_mask(len, eight) & valid;
        // Byte k of a lane keeps digit k - (8 - len): k + len >= 8.
        let keep = _mm512_cmpge_epu8_mask(_mm512_add_epi8(byte_k, len), eight) & short;
        // Lane byte k takes block byte end - 7 + k (the index's 6 low bits).
        let ix = _mm512_add_epi8(end, _mm512_sub_epi8(byte_k, _mm512_set1_epi8(7)));
        let x = _mm512_maskz_permutexvar_epi8(keep, ix, digits);
        let x = _mm512_madd_epi16(_mm512_maddubs_epi16(x, pairs), quads);
        let x = _mm512_add_epi64(_mm512_mul_epu32(x, ten_thousand), _mm512_srli_epi64(x, 32));
        if i + 8 <= out.len() {
            // SAFETY: 8 elements of `out` from `i` on (checked; a block has at most 32 starts).
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(i).cast(), x) };
        }
        // The slow lanes (rare: long numbers, one going on past the block), one at a time.
        let lane_bits = if lanes == 8 {
            !0u64
        } else {
            (1u64 << (8 * lanes)) - 1
        };
        if (short | !lane_bits) & 0x0101_0101_0101_0101 != 0x0101_0101_0101_0101 {
            let mut g = starts_from(starts, i);
            for k in 0..lanes {
                let bit = g & g.wrapping_neg();
                g &= g.wrapping_sub(1);
                if short & (1 << (8 * k)) == 0 {
                    let (v, long) = value_at(b, base + bit.trailing_zeros() as usize);
                    if long {
                        too_long |= bit;
                    }
                    out[(i + k) & 63] = v;
                }
            }
        }
        i += 8;
    }
    too_long
}

/// `starts` without its first `i` bits.
#[inline]
fn starts_from(mut starts: u64, i: usize) -> u64 {
    for _ in 0..i {
        starts &= starts.wrapping_sub(1);
    }
    starts
}

/// Bit `i` set when bits `0..=i` of `x` hold an odd number of ones.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Of 64 bytes: which are digits, commas, and JSON whitespace (space, `\n`, `\r`, `\t`), bit `i`
/// for byte `i`.
#[inline(always)]
fn masks(block: &[u8]) -> (u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        masks_sse2(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        masks_swar(block)
    }
}

/// [`masks`] sixteen bytes at a time (SSE2, which every x86-64 CPU has).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks_sse2(block: &[u8]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    let block: &[u8; 64] = match block.get(..64).and_then(|b| b.try_into().ok()) {
        Some(b) => b,
        None => return masks_swar(block),
    };
    let (mut d, mut c, mut w) = (0u64, 0u64, 0u64);
    for (k, part) in block.chunks_exact(16).enumerate() {
        // SAFETY: `part` is 16 readable bytes (an unaligned load), and SSE2 is part of the
        // x86-64 baseline, so every instruction here exists on the target.
        let (dk, ck, wk) = unsafe {
            let x = _mm_loadu_si128(part.as_ptr().cast());
            let set = |b: u8| _mm_set1_epi8(b as i8);
            // '0'..='9' moved to -128..=-119: a signed compare finds them.
            let shifted = _mm_add_epi8(x, set(128 - b'0'));
            let digit = _mm_cmplt_epi8(shifted, _mm_set1_epi8(-118));
            let comma = _mm_cmpeq_epi8(x, set(b','));
            let ws = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, set(b' ')), _mm_cmpeq_epi8(x, set(b'\n'))),
                _mm_or_si128(_mm_cmpeq_epi8(x, set(b'\r')), _mm_cmpeq_epi8(x, set(b'\t'))),
            );
            (
                _mm_movemask_epi8(digit) as u16,
                _mm_movemask_epi8(comma) as u16,
                _mm_movemask_epi8(ws) as u16,
            )
        };
        d |= u64::from(dk) << (16 * k);
        c |= u64::from(ck) << (16 * k);
        w |= u64::from(wk) << (16 * k);
    }
    (d, c, w)
}

/// [`masks`] eight bytes at a time in plain integer code (other targets, and the check of the
/// SSE2 version); bytes past the end of a shorter block are none of the three.
fn masks_swar(block: &[u8]) -> (u64, u64, u64) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The high bit of every byte of `w` equal to `b` (exact, no false positives).
    let eq = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        !(((x & LOW7) + LOW7) | x | LOW7)
    };
    // The high bits of the eight bytes as eight bits.
    let gather = |m: u64| (((m & HIGH) >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) & 0xff;
    let (mut d, mut c, mut ws) = (0u64, 0u64, 0u64);
    for (k, part) in block.chunks(8).take(8).enumerate() {
        let mut word = [0u8; 8];
        word[..part.len()].copy_from_slice(part);
        let w = u64::from_le_bytes(word);
        let low = w & LOW7;
        // Bytes below 0x80 at or above '0', and at or above ':' (no carry leaves a byte).
        let ge0 = (low + ONES * u64::from(0x80 - b'0')) & HIGH;
        let ge_colon = (low + ONES * u64::from(0x80 - b':')) & HIGH;
        let digit = ge0 & !ge_colon & !w;
        let white = eq(w, b' ') | eq(w, b'\n') | eq(w, b'\r') | eq(w, b'\t');
        let valid = if part.len() == 8 {
            !0
        } else {
            (1u64 << (8 * part.len())) - 1
        };
        d |= gather(digit & valid) << (8 * k);
        c |= gather(eq(w, b',') & valid) << (8 * k);
        ws |= gather(white & valid) << (8 * k);
    }
    (d, c, ws)
}

/// The unsigned decimal at `b[start..]`, up to eight digits of it, and where those digits end:
/// eight bytes at a time without a branch per digit (V8's values have 1 to 8 digits, in an
/// unpredictable mix: a byte loop mispredicted the end of most of them). Near the end of the
/// input, a byte loop.
#[inline(always)]
fn digits(b: &[u8], start: usize) -> (u64, usize) {
    let Some(word) = b.get(start..start + 8) else {
        let mut v = 0u64;
        let mut end = start;
        while let Some(d) = b.get(end).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            v = v * 10 + u64::from(d);
            end += 1;
            if end - start == 8 {
                break;
            }
        }
        return (v, end);
    };
    let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
    let d = w.wrapping_sub(0x3030_3030_3030_3030);
    // The high bit of each byte that is not a digit (d > 9). A borrow or carry across bytes
    // only reaches bytes after the first non-digit, which do not count.
    let non_digit = (d.wrapping_add(0x7676_7676_7676_7676) | d) & 0x8080_8080_8080_8080;
    let len = (non_digit.trailing_zeros() / 8) as usize;
    if len == 0 {
        return (0, start);
    }
    // The digits moved to the top bytes, zeros (leading zero digits) below them.
    let d = if len == 8 { d } else { d << (64 - 8 * len) };
    (eight_digits(d), start + len)
}

/// Eight digit values, one per byte, the most significant in the lowest byte (the text's order
/// read little-endian), as a number (the well-known three-multiply conversion).
#[inline(always)]
fn eight_digits(d: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = d.wrapping_mul(10).wrapping_add(d >> 8);
    let v = (v & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2));
    (v >> 32) & 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The array's values through [`IntArray::chunk_records`], chunk by chunk, in order, and
    /// where the array ends.
    fn read(text: &str, width: usize) -> Scan<(Vec<u64>, usize)> {
        let a = IntArray::locate(text.as_bytes(), 0)?;
        let bounds = a.record_bounds(width)?;
        let mut got = Vec::new();
        for k in 0..bounds.len() - 1 {
            let mut next = bounds[k];
            a.chunk_records(&bounds, k, width, |r, rec, _| {
                assert_eq!(r, next, "records in order");
                next += 1;
                got.extend_from_slice(rec);
                Ok(())
            })?;
        }
        Ok((got, a.end()))
    }

    /// [`read`] of an array that is the whole text.
    fn all(text: &str, width: usize) -> Scan<Vec<u64>> {
        let (got, end) = read(text, width)?;
        assert_eq!(end, text.len());
        Ok(got)
    }

    #[test]
    fn parses_what_the_sequential_cursor_parses() {
        assert_eq!(
            all("[1,22,\n333 , 4\t,5,6]", 3).unwrap(),
            vec![1, 22, 333, 4, 5, 6]
        );
        assert_eq!(all("[ ]", 2).unwrap(), Vec::<u64>::new());
        assert_eq!(all("[]", 2).unwrap(), Vec::<u64>::new());
        assert_eq!(
            all("[9999999999999999999]", 1).unwrap(),
            vec![9_999_999_999_999_999_999]
        );
        let long = [
            0u64,
            7,
            12_345_678,
            123_456_789,
            10_000_000_000,
            1_234_567_890_123_456_789,
        ];
        let text = format!("[{}]", long.map(|v| v.to_string()).join(","));
        assert_eq!(all(&text, 2).unwrap(), long);
    }

    #[test]
    fn eight_bytes_at_a_time_read_every_length() {
        // Every length from 1 to 9 digits, each followed by every byte that can end a value, with
        // and without eight readable bytes after the value's start.
        for len in 1..=9u32 {
            for v in [
                10u64.pow(len - 1),
                10u64.pow(len) - 1,
                10u64.pow(len) / 3 + 7,
            ] {
                let v = if len == 1 { v % 10 } else { v };
                for tail in [",", "]", "\n", " ", "x", "/", ":", "\u{ff}", ""] {
                    for pad in ["", "12345678"] {
                        if tail.is_empty() && !pad.is_empty() {
                            continue;
                        }
                        let text = format!("{v}{tail}{pad}");
                        let digits_end = v.to_string().len().min(8);
                        let want = v.to_string()[..digits_end].parse::<u64>().unwrap();
                        assert_eq!(digits(text.as_bytes(), 0), (want, digits_end), "{text:?}");
                    }
                }
            }
        }
        assert_eq!(digits(b",12345678", 0), (0, 0));
        assert_eq!(digits(b"", 0), (0, 0));
    }

    #[test]
    fn declines_what_it_does_not_accept() {
        for bad in [
            "[1,,2]",
            "[1,2,]",
            "[,1]",
            "[1 2]",
            "[1,-2]",
            "[1.5]",
            "[1,2",
            "[12345678901234567890]",
            "[1,2,3]",
            "[12345678x,1]",
            "[1234567,1e5]",
        ] {
            assert!(all(bad, 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn chunks_keep_order_across_many_cuts() {
        // Many chunks, records straddling the cuts, values of 1 to 6 digits.
        let n = 3000; // a multiple of 3 and 6, not of 7
        let vals: Vec<u64> = (0..n as u64).map(|i| i * 7919 % 100_003).collect();
        let text = format!(
            "[{}]",
            vals.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",\n")
        );
        assert!(text.len() > 100 * CHUNK_BYTES);
        for width in [1, 3, 6] {
            assert_eq!(all(&text, width).unwrap(), vals, "width {width}");
        }
        assert!(all(&text, 7).is_err());
        // A bad value deep inside is found by whichever chunk owns it.
        let bad = text.replacen(",\n2", ",\n-2", 1);
        assert_ne!(bad, text);
        assert!(all(&bad, 3).is_err());
    }

    /// A small deterministic generator (the tests need no crate for it).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The masks byte by byte.
    fn masks_naive(block: &[u8]) -> (u64, u64, u64) {
        let (mut d, mut c, mut w) = (0u64, 0u64, 0u64);
        for (i, &b) in block.iter().enumerate().take(64) {
            d |= u64::from(b.is_ascii_digit()) << i;
            c |= u64::from(b == b',') << i;
            w |= u64::from(is_ws(b)) << i;
        }
        (d, c, w)
    }

    #[test]
    fn masks_agree_with_a_byte_loop() {
        let mut rng = Lcg(17);
        let alphabet = b"0123456789,  \n\r\t]x/:-";
        for round in 0..4000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                *b = if round % 2 == 0 {
                    rng.below(256) as u8
                } else {
                    alphabet[rng.below(alphabet.len() as u64) as usize]
                };
            }
            let want = masks_naive(&block);
            assert_eq!(masks(&block), want, "{block:?}");
            assert_eq!(masks_swar(&block), want, "{block:?}");
            let short = &block[..round % 65];
            assert_eq!(masks_swar(short), masks_naive(short), "{short:?}");
        }
        // Every byte value in every position of a word.
        for b in 0..=255u8 {
            let block = [b; 64];
            assert_eq!(masks(&block), masks_naive(&block), "{b}");
            assert_eq!(masks_swar(&block), masks_naive(&block), "{b}");
        }
    }

    /// The values the sequential cursor reads from `text`, or `None` where it fails.
    fn exact(text: &str) -> Option<Vec<u64>> {
        let mut got = Vec::new();
        let mut c = super::super::scan::Cursor::new(text.as_bytes());
        c.uint_array(|v, _| {
            got.push(v);
            Ok(())
        })
        .ok()?;
        (c.pos() == text.len()).then_some(got)
    }

    /// An integer array as some producer could write it: numbers of 1 to 20 digits (a few past
    /// what a u64 holds), the separators of V8 (`,` and `\n,`), DevTools (`,\n`), pretty-printers
    /// and CRLF files, whitespace after `[` and before `]`.
    fn generated(rng: &mut Lcg, n: usize) -> String {
        let seps = [
            ",", ",", ",", "\n,", ",\n", ", ", " , ", ",\r\n", "\t,\t", ",\n  ",
        ];
        let mut text = String::from(["[", "[ ", "[\n"][rng.below(3) as usize]);
        for i in 0..n {
            if i > 0 {
                text.push_str(seps[rng.below(seps.len() as u64) as usize]);
            }
            let digits = match rng.below(100) {
                0 => 9 + rng.below(12) as u32, // 9 to 20 digits
                1..=30 => 1,
                31..=60 => 2 + rng.below(3) as u32,
                _ => 5 + rng.below(4) as u32,
            };
            let mut v = String::new();
            for k in 0..digits {
                // A leading zero now and then (the cursor accepts them, so must the fast path).
                let d = if k == 0 && digits > 1 && rng.below(8) != 0 {
                    1 + rng.below(9)
                } else {
                    rng.below(10)
                };
                v.push(char::from(b'0' + d as u8));
            }
            text.push_str(&v);
        }
        text.push_str(["]", " ]", "\n]", "\r\n]"][rng.below(4) as usize]);
        text
    }

    /// The fast path on generated arrays cut into the test build's 64-byte chunks (numbers,
    /// separators and records split at every position): the cursor's values wherever it
    /// accepts them, and a decline only where a number needs more than 19 digits.
    #[test]
    fn fast_path_reads_what_the_cursor_reads() {
        let mut rng = Lcg(5);
        let mut accepted = 0;
        for round in 0..600 {
            let n = [0, 1, 2, 3, 6, 7, 21, 42, 300][round % 9];
            let text = generated(&mut rng, n);
            let long = text
                .split(|c: char| !c.is_ascii_digit())
                .any(|run| run.len() > 19);
            // Valid JSON; the cursor refuses only a number past u64::MAX (20 digits).
            let want = exact(&text);
            assert!(want.is_some() || long, "{text:?}");
            for width in [1, 3, 7] {
                match (all(&text, width), want.as_ref()) {
                    (Ok(v), Some(w)) => {
                        assert_eq!(&v, w, "{text:?}");
                        accepted += 1;
                    }
                    (Ok(v), None) => panic!("accepted {text:?} as {v:?}"),
                    (Err(_), w) => assert!(
                        long || w.is_some_and(|w| w.len() % width != 0),
                        "declined {text:?} as width {width}"
                    ),
                }
            }
        }
        assert!(accepted > 900, "{accepted} of 1800 read");
    }

    /// A byte of a valid array replaced by another (digit, sign, separator, bracket, letter,
    /// NUL, a high byte), or the array cut short: the fast path never accepts what the cursor
    /// rejects, and what it accepts it reads as the cursor does.
    #[test]
    fn fast_path_never_accepts_what_the_cursor_rejects() {
        let mut rng = Lcg(11);
        let mut rejected = 0;
        let mut tried = 0;
        for _ in 0..40 {
            let text = generated(&mut rng, 40).into_bytes();
            for at in 0..text.len() {
                let mut variants: Vec<Vec<u8>> = Vec::new();
                for with in [
                    b'7', b'-', b',', b' ', b'\n', b']', b'[', b'x', b'.', 0, 0xc3,
                ] {
                    if text[at] != with {
                        let mut v = text.clone();
                        v[at] = with;
                        variants.push(v);
                    }
                }
                variants.push(text[..at].to_vec());
                for v in variants {
                    let Ok(v) = String::from_utf8(v) else {
                        // Not UTF-8: the byte-level check is the same, through the masks test.
                        continue;
                    };
                    let want = exact(&v);
                    for width in [1, 3] {
                        tried += 1;
                        match (IntArray::locate(v.as_bytes(), 0).is_ok(), want.as_ref()) {
                            (false, _) => rejected += 1,
                            (true, _) => match (all_unchecked(&v, width), want.as_ref()) {
                                (Ok(got), Some(w)) => assert_eq!(&got, w, "{v:?}"),
                                (Ok(got), None) => {
                                    panic!("accepted {v:?} (width {width}) as {got:?}")
                                }
                                (Err(_), _) => rejected += 1,
                            },
                        }
                    }
                }
            }
        }
        assert!(rejected * 2 > tried, "{rejected} of {tried} rejected");
    }

    /// Every value [`Values`] gives from `start` on (value and offset, or the decline that
    /// ends them), and what `finish` says, converting with AVX-512 or not.
    fn drain(
        text: &[u8],
        close: usize,
        start: usize,
        simd: Simd,
    ) -> (Vec<Scan<(u64, usize)>>, bool) {
        let mut v = Values::with(text, close, start, simd);
        let mut got = Vec::new();
        loop {
            let x = v.next();
            let end = x.is_err();
            got.push(x);
            if end {
                break;
            }
        }
        (got, v.finish(close, Some(true)).is_ok())
    }

    /// The four- and eight-at-a-time conversions ([`decode_avx2`], [`decode_avx512`], where the
    /// CPU has them) give what the one-at-a-time one gives: on generated arrays (numbers of 1
    /// to 20 digits, every separator, so numbers cut by blocks at every position, long ones
    /// among short ones) read from every start offset of the first block, and on blocks of
    /// random bytes of the array alphabet (digit runs of any length, broken grammar); half of
    /// them after a document's key, so that blocks near the text's start read the bytes before
    /// them.
    #[test]
    fn wide_conversion_agrees_with_one_at_a_time() {
        for simd in [Simd::Avx2, Simd::Avx512] {
            if !simd.available() {
                eprintln!("no {simd:?} here: that conversion is not compared");
            }
        }
        let mut rng = Lcg(23);
        let mut values = 0;
        for round in 0..400 {
            let mut text = if round % 4 < 2 {
                Vec::new()
            } else {
                b"{\"edges\":".to_vec()
            };
            let first = text.len();
            if round % 2 == 0 {
                text.extend_from_slice(generated(&mut rng, [3, 40, 300][round % 3]).as_bytes());
            } else {
                let alphabet = b"0123456789012345678901234567890123456789,,,,,,  \n\r\tx-.\"";
                let n = 1 + rng.below(400) as usize;
                text.extend((0..n).map(|_| alphabet[rng.below(alphabet.len() as u64) as usize]));
                text.push(b']');
            }
            let close = text.iter().rposition(|&b| b == b']').unwrap();
            // Something after the array, as in a document (a digit: it must not join the last
            // number), for some rounds; or more than a block of it, digits among it, so that
            // the array's last block is read whole, whatever its length before the `]`.
            match round % 3 {
                0 => text.extend_from_slice(b",7"),
                1 => {
                    text.extend_from_slice(b",\"strings\":[\"");
                    text.extend((0..70).map(|k| b'0' + (k % 10) as u8));
                    text.extend_from_slice(b"\"]}");
                }
                _ => {}
            }
            for start in (first..close.min(first + 70)).step_by(1 + round % 5) {
                let (narrow, ok_n) = drain(&text, close, start, Simd::Scalar);
                for simd in [Simd::Avx2, Simd::Avx512] {
                    let (wide, ok_w) = drain(&text, close, start, simd);
                    let what = || {
                        format!(
                            "{simd:?}: {:?} from {start}",
                            String::from_utf8_lossy(&text)
                        )
                    };
                    assert_eq!(ok_n, ok_w, "{}", what());
                    assert_eq!(narrow.len(), wide.len(), "{}", what());
                    for (a, b) in narrow.iter().zip(&wide) {
                        match (a, b) {
                            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", what()),
                            (Err(_), Err(_)) => {}
                            _ => panic!("{}: {a:?} / {b:?}", what()),
                        }
                    }
                }
                values += narrow.len();
            }
        }
        assert!(values > 10_000, "{values}");
    }

    /// `W`-value records from `start` on, through [`Values::records`] or value by value with
    /// [`Values::next`]: each record with its first value's offset, then whether the reading
    /// ended in a failure and what `finish` says.
    fn by_records<const W: usize>(
        text: &[u8],
        close: usize,
        start: usize,
        simd: Simd,
        at_once: bool,
    ) -> (Vec<(Vec<u64>, usize)>, bool, bool) {
        let mut v = Values::with(text, close, start, simd);
        let mut got = Vec::new();
        let count = text.len() as u64; // more records than there are: read until a failure
        let failed = if at_once {
            v.records::<W>(0..count, &mut |_, rec, at| {
                got.push((rec.to_vec(), at));
                Ok(())
            })
            .is_err()
        } else {
            (|| -> Scan<()> {
                loop {
                    let (first, at) = v.next()?;
                    let mut rec = vec![first];
                    for _ in 1..W {
                        rec.push(v.next()?.0);
                    }
                    got.push((rec, at));
                }
            })()
            .is_err()
        };
        let fine = v.finish(close, Some(true)).is_ok();
        (got, failed, fine)
    }

    /// Records of V8's widths read a block at a time ([`Values::records`]) are the records
    /// read value by value: on generated arrays (numbers of 1 to 20 digits, so records cut by
    /// blocks at every position and long numbers among them) from several start offsets, with
    /// AVX-512 where the CPU has it and without.
    #[test]
    fn records_at_once_are_the_values_one_by_one() {
        fn check<const W: usize>(text: &[u8], close: usize, start: usize) -> usize {
            let mut n = 0;
            for simd in Simd::ALL {
                let want = by_records::<W>(text, close, start, simd, false);
                let got = by_records::<W>(text, close, start, simd, true);
                assert_eq!(
                    got,
                    want,
                    "{:?} from {start}",
                    String::from_utf8_lossy(text)
                );
                n += got.0.len();
            }
            n
        }
        let mut rng = Lcg(31);
        let mut records = 0;
        for round in 0..300 {
            let text = generated(&mut rng, [7, 60, 400][round % 3]).into_bytes();
            let close = text.iter().rposition(|&b| b == b']').unwrap();
            for start in (1..close.min(40)).step_by(1 + round % 7) {
                // A record starts just after a comma (or the `[`), as a chunk does.
                if text[start - 1] != b',' && start != 1 {
                    continue;
                }
                records += check::<3>(&text, close, start);
                records += check::<4>(&text, close, start);
                records += check::<6>(&text, close, start);
                records += check::<7>(&text, close, start);
            }
        }
        assert!(records > 5_000, "{records}");
    }

    /// [`read`] of a text that may go on past the array (corrupt variants): what follows the
    /// `]` is the caller's, and the cursor must have stopped at the same place.
    fn all_unchecked(text: &str, width: usize) -> Scan<Vec<u64>> {
        let (got, end) = read(text, width)?;
        if text.len() != end {
            return Err(declined("the array to end the text"));
        }
        Ok(got)
    }
}
