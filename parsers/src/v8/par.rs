//! The `nodes` and `edges` integer arrays parsed on all cores, records handed on in order.
//!
//! The array's text is cut into chunks of about [`CHUNK_BYTES`] just after a comma. One parallel
//! pass counts the commas of each chunk, which gives the index of the first value starting in it;
//! then, a block of about [`BLOCK_BYTES`] at a time, every chunk parses the records that start in
//! it (reading on past its end to finish the last one) into its own slice of a block buffer of
//! `u64` values, and the caller consumes the block's records in order — the graph builder wants
//! its nodes and edges in file order — while the next block is being parsed. So the text is read
//! twice (the count is a vectorised byte compare), and besides the output the parser holds two
//! block buffers, never a copy of a whole column.
//!
//! A consumer that can put each record where it belongs ([`IntArray::fill`]: the edges, straight
//! into the graph's CSR; the locations; [`IntArray::chunk_records`]: the nodes, straight into
//! the graph's node columns, one builder run per chunk) skips the blocks: every chunk parses its
//! records at once and hands them over one by one, on its own core, with no buffer. (The V8
//! reader uses these for all three arrays; the block path stays for consumers that need the
//! records in order on one thread.)
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
/// (Unit tests use tiny chunks and blocks so that small arrays take every path.)
const CHUNK_BYTES: usize = if cfg!(test) { 64 } else { 1 << 20 };

/// Text per block: its records are buffered as `u64`s (8 bytes per value, ~3-4 bytes of text each,
/// so ~2.5× this in memory, twice for the double buffer) before they are consumed in order.
/// 8 MiB: ~40 MiB of buffers (32 MiB blocks held ~150 MiB at the parse's peak, for no speed).
const BLOCK_BYTES: usize = if cfg!(test) { 256 } else { 8 << 20 };

/// Every this many records, [`IntArray::records`] can note where a record starts (the `nodes`
/// array's marks, from which the inspector reads a node's fields again on demand).
pub(crate) const MARK_EVERY: u64 = 64;

/// The widest record [`IntArray::fill`] reads (V8's edges have 3 values).
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
/// bits: 0.5 s of CPU on a 1 GB snapshot, now a fraction of that).
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

    /// Parse the array as records of `width` values and give them to `consume` in order, a
    /// block at a time (`records.len()` is a multiple of `width`). Fails when the value count is
    /// not a multiple of `width`, on any malformed value, or when `consume` fails. With `marks`,
    /// returns the byte offset of the first value of every [`MARK_EVERY`]-th record (record 0,
    /// 64, …), as the sequential cursor reports value offsets; else an empty list.
    pub fn records(
        &self,
        width: usize,
        marks: bool,
        mut consume: impl FnMut(&[u64]) -> Scan<()> + Send,
    ) -> Scan<Vec<u64>> {
        let w = width.max(1) as u64;
        let owned = self.owned(width)?;
        let k = self.starts.len();
        let total = owned[k];
        // Blocks: runs of chunks of about BLOCK_BYTES.
        let per_block = (BLOCK_BYTES / CHUNK_BYTES).max(1);
        let blocks: Vec<(usize, usize)> = (0..k)
            .step_by(per_block)
            .map(|b| (b, (b + per_block).min(k)))
            .collect();
        let parse_block = |&(c0, c1): &(usize, usize), buf: &mut Vec<u64>| -> Scan<Vec<u64>> {
            let len = ((owned[c1] - owned[c0]) * w) as usize;
            // Every value is overwritten by the parse: only a longer block zeroes its new tail.
            buf.resize(len, 0);
            let mut parts: Vec<(usize, &mut [u64])> = Vec::with_capacity(c1 - c0);
            let mut rest: &mut [u64] = buf;
            for c in c0..c1 {
                let n = ((owned[c + 1] - owned[c]) * w) as usize;
                let (mine, tail) = rest.split_at_mut(n);
                parts.push((c, mine));
                rest = tail;
            }
            let found: Vec<Vec<u64>> = parts
                .into_par_iter()
                .map(|(c, out)| {
                    let skip = owned[c] * w - self.first_value[c];
                    let last = owned[c + 1] == total;
                    // The value index (in `out`) of the first marked record this chunk owns.
                    let mark = marks.then(|| {
                        let first = owned[c].div_ceil(MARK_EVERY) * MARK_EVERY;
                        ((first - owned[c]) * w) as usize
                    });
                    self.parse_values(self.starts[c], skip, out, last, mark, w as usize)
                })
                .collect::<Scan<_>>()?;
            Ok(found.concat())
        };
        let mut cur: Vec<u64> = Vec::new();
        let mut next: Vec<u64> = Vec::new();
        let mut marked: Vec<u64> = Vec::new();
        if let Some(b) = blocks.first() {
            marked = parse_block(b, &mut cur)?;
        }
        for i in 0..blocks.len() {
            // Consume block i while block i + 1 is parsed.
            let (done, ahead) = rayon::join(
                || consume(&cur),
                || match blocks.get(i + 1) {
                    Some(b) => parse_block(b, &mut next),
                    None => Ok(Vec::new()),
                },
            );
            done?;
            marked.extend(ahead?);
            std::mem::swap(&mut cur, &mut next);
        }
        Ok(marked)
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
    /// (together, every record once): what [`fill`](Self::fill) wants one state for.
    pub fn record_ranges(&self, width: usize) -> Scan<Vec<std::ops::Range<u64>>> {
        Ok(self.owned(width)?.windows(2).map(|r| r[0]..r[1]).collect())
    }

    /// Parse the array as records of `width` values (at most [`MAX_WIDTH`]), all chunks at once,
    /// with no block buffer: chunk `k`'s records go to `each(&mut states[k], record index,
    /// record)` in order, `states` having one entry per range of
    /// [`record_ranges`](Self::record_ranges). For consumers that can write each record where it
    /// belongs (the edges, straight into the graph's CSR). Returns the states; fails as
    /// [`records`](Self::records) does.
    pub fn fill<S: Send>(
        &self,
        width: usize,
        states: Vec<S>,
        each: impl Fn(&mut S, u64, &[u64]) -> Scan<()> + Sync,
    ) -> Scan<Vec<S>> {
        let owned = self.owned(width)?;
        if width.max(1) > MAX_WIDTH || states.len() + 1 != owned.len() {
            return Err(declined(
                "one state per chunk, records of at most 16 values",
            ));
        }
        states
            .into_par_iter()
            .enumerate()
            .map(|(c, mut state)| {
                self.chunk_records(&owned, c, width, |r, rec, _| each(&mut state, r, rec))?;
                Ok(state)
            })
            .collect()
    }

    /// The records of `width` values (at most [`MAX_WIDTH`]) that chunk `c` owns, in order:
    /// `each(record index, record, offset of its first value)`, on the calling thread.
    /// `owned` is [`record_ranges`](Self::record_ranges)' bounds (`ranges[k].start` for every
    /// chunk, then the record count). For a caller that runs the chunks itself (the nodes,
    /// inside the graph builder's parallel node fill); fails as [`fill`](Self::fill) does.
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
        let (b, close, total) = (self.bytes, self.close, owned[owned.len() - 1]);
        let (first, end) = (owned[c], owned[c + 1]);
        let last = end == total;
        let mut pos = self.starts[c];
        let skip = (first * w as u64)
            .checked_sub(self.first_value[c])
            .ok_or_else(|| declined("records in order"))?;
        for k in 0..skip {
            pos = value(b, close, pos, last && first == end && k + 1 == skip)?.2;
        }
        let mut rec = [0u64; MAX_WIDTH];
        for r in first..end {
            let mut at = 0;
            for (f, slot) in rec[..w].iter_mut().enumerate() {
                let (v, start, next) = value(b, close, pos, last && r + 1 == end && f + 1 == w)?;
                if f == 0 {
                    at = start;
                }
                *slot = v;
                pos = next;
            }
            each(r, &rec[..w], at)?;
        }
        Ok(())
    }

    /// [`record_ranges`](Self::record_ranges) as bounds: chunk `k` owns records
    /// `bounds[k]..bounds[k + 1]`.
    pub fn record_bounds(&self, width: usize) -> Scan<Vec<u64>> {
        self.owned(width)
    }

    /// From `pos` (the start of a chunk: the array's start or just after a comma), pass over
    /// `skip` values, then parse `out.len()` values into `out`. After the array's last value
    /// (`last`) only whitespace may come before the `]`; after any other, a comma. With `mark`
    /// (the index in `out` of the first record to mark), returns the offsets of the records
    /// starting there and every [`MARK_EVERY`] records of `width` after it.
    fn parse_values(
        &self,
        mut pos: usize,
        skip: u64,
        out: &mut [u64],
        last: bool,
        mark: Option<usize>,
        width: usize,
    ) -> Scan<Vec<u64>> {
        let (b, close) = (self.bytes, self.close);
        let n = out.len();
        let mut marks = Vec::new();
        let mut next_mark = mark.unwrap_or(usize::MAX);
        for k in 0..skip {
            pos = value(b, close, pos, last && n == 0 && k + 1 == skip)?.2;
        }
        for (i, slot) in out.iter_mut().enumerate() {
            let (v, start, next) = value(b, close, pos, last && i + 1 == n)?;
            if i == next_mark {
                marks.push(start as u64);
                next_mark += MARK_EVERY as usize * width;
            }
            *slot = v;
            pos = next;
        }
        Ok(marks)
    }
}

/// One value of an integer array at `pos` and the separator after it; returns the value, where
/// it starts, and the position after the separator. After the array's last value
/// (`final_value`) the `]` at `close` must follow. Inlined into both loops of
/// [`IntArray::parse_values`]: as a closure it was a call per value (a fifth of its time in
/// saving registers and returning the triple through memory).
#[inline(always)]
fn value(b: &[u8], close: usize, mut pos: usize, final_value: bool) -> Scan<(u64, usize, usize)> {
    // The ']' at `close` ends every run of whitespace or digits.
    while is_ws(b[pos]) {
        pos += 1;
    }
    let start = pos;
    let (mut v, mut end) = digits(b, start);
    // Past eight digits (rare), a byte at a time.
    if end - start == 8 {
        loop {
            let d = b[end].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            end += 1;
        }
    }
    // Up to 19 digits cannot overflow a u64; longer numbers are left to the exact parser.
    if end == start || end - start > 19 {
        return Err(declined("an unsigned integer below 10^19"));
    }
    pos = end;
    if b[pos] != b',' {
        while is_ws(b[pos]) {
            pos += 1;
        }
    }
    if pos < close && b[pos] == b',' {
        Ok((v, start, pos + 1))
    } else if pos == close && final_value {
        Ok((v, start, pos))
    } else {
        Err(declined("',' between integers"))
    }
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

    fn all(text: &str, width: usize) -> Scan<Vec<u64>> {
        let a = IntArray::locate(text.as_bytes(), 0)?;
        let mut got = Vec::new();
        a.records(width, false, |r| {
            got.extend_from_slice(r);
            Ok(())
        })?;
        assert_eq!(a.end(), text.len());
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
    fn chunks_and_blocks_keep_order_across_many_cuts() {
        // Many chunks and blocks, records straddling the cuts, values of 1 to 6 digits.
        let n = 3000; // a multiple of 3 and 6, not of 7
        let vals: Vec<u64> = (0..n as u64).map(|i| i * 7919 % 100_003).collect();
        let text = format!(
            "[{}]",
            vals.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",\n")
        );
        assert!(text.len() > 20 * BLOCK_BYTES);
        for width in [1, 3, 6] {
            assert_eq!(all(&text, width).unwrap(), vals, "width {width}");
        }
        assert!(all(&text, 7).is_err());
        // A bad value deep inside is found by whichever chunk owns it.
        let bad = text.replacen(",\n2", ",\n-2", 1);
        assert_ne!(bad, text);
        assert!(all(&bad, 3).is_err());
    }
}
