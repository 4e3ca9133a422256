//! Gzip inflation into a writer: members in parallel where the input is many small gzip members
//! (the JDK's `jcmd GC.heap_dump -gz=N` writes one member per ~1 MiB block), one stream
//! otherwise.
//!
//! Member boundaries are not recorded anywhere in gzip, so the parallel path *guesses* them: every
//! offset whose bytes parse as a gzip member header is a candidate. A round inflates the next few
//! candidates at once, each on its own (a member is self-contained: its own deflate stream, CRC-32
//! and length), then walks the chain from the current offset: a member counts only if it starts
//! exactly where the previous one ended and inflated with a matching CRC and length. A candidate
//! that is really compressed data inside a member fails or is simply not on the chain, and costs
//! one wasted attempt. Whatever the chain cannot continue — a member bigger than
//! [`MAX_MEMBER_OUT`], one plain single-member file, damage, trailing garbage — is inflated by the
//! sequential decoder from that offset on, which also gives the error and its offset. The output
//! is the same bytes either way (tested on the JDK's own chunked dumps and on damaged copies).
//!
//! Memory: a round holds at most [`window`] inflated members of at most [`MAX_MEMBER_OUT`] bytes
//! (a few MiB with the JDK's 1 MiB blocks), freed before the sequential decoder runs; nothing is
//! sized by a length read from the input. Time: candidate headers are short
//! ([`MAX_HEADER_TEXT`]), and once the inflation wasted on false candidates exceeds what was
//! accepted by [`WASTE_ALLOWANCE`] the sequential decoder takes the rest.

use std::cell::Cell;
use std::io::{Read, Write};

use rayon::prelude::*;

/// Members that inflate to more than this go the sequential way (no buffer grows past it).
pub const MAX_MEMBER_OUT: usize = 8 << 20;

/// Candidates inflated per round: enough to keep every thread busy while the chain catches up,
/// and at most 16 (16 × [`MAX_MEMBER_OUT`] of buffers however many threads there are).
fn window() -> usize {
    (2 * rayon::current_num_threads() + 2).min(16)
}

/// The longest FNAME or FCOMMENT a candidate header may have (the JDK's comment is 24 bytes);
/// a longer one is left to the sequential decoder, so no candidate search scans far.
const MAX_HEADER_TEXT: usize = 1024;

/// Inflated bytes thrown away on false candidates beyond which the rest goes the sequential
/// way (plus the bytes accepted): keeps adversarial or unlucky input linear.
const WASTE_ALLOWANCE: u64 = 64 << 20;

/// Where and why inflation failed.
#[derive(Debug)]
pub struct Damage {
    /// Offset in the compressed input where the damage was noticed.
    pub at: u64,
    /// Bytes inflated before it.
    pub inflated: u64,
    /// The decoder's error (flate2's text, rendered into the `ParseError` at the edge).
    pub error: std::io::Error,
}

/// How the input was inflated (for tests and measurements).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Members inflated on the parallel path.
    pub parallel_members: u64,
    /// Compressed bytes left to the sequential decoder.
    pub sequential_bytes: u64,
}

/// Inflate all of `data` (gzip, one or more members) into `out`; returns the inflated length and
/// how it was done. Errors writing `out` come back as `Err(Ok(io))`, damage as `Err(Err(..))`.
pub fn inflate(
    data: &[u8],
    out: &mut impl Write,
) -> Result<(u64, Stats), Result<std::io::Error, Damage>> {
    let mut pos = 0usize;
    let mut total = 0u64;
    let mut stats = Stats::default();
    let win = window();
    // One output buffer per slot of a round, reused round after round.
    let mut bufs: Vec<Vec<u8>> = (0..win).map(|_| Vec::new()).collect();
    let mut wasted = 0u64;
    'rounds: while pos < data.len() && wasted <= total + WASTE_ALLOWANCE {
        let cands = candidates(data, pos, win);
        if cands.len() < 2 || cands[0] != pos {
            break;
        }
        let ends: Vec<Option<usize>> = cands
            .par_iter()
            .zip(bufs.par_iter_mut())
            .map(|(&c, buf)| member(data, c, buf))
            .collect();
        // Walk the chain: a member counts if it starts where the last one ended. Candidates
        // before that point were false (inside a member taken); one past it, or a member that
        // did not inflate, breaks the chain. Everything not taken was wasted work.
        let mut chain_open = true;
        let mut progressed = false;
        for ((&c, end), bytes) in cands.iter().zip(ends).zip(&bufs) {
            match end {
                Some(end) if chain_open && c == pos => {
                    out.write_all(bytes).map_err(Ok)?;
                    total += bytes.len() as u64;
                    stats.parallel_members += 1;
                    pos = end;
                    progressed = true;
                }
                _ => {
                    if c >= pos {
                        chain_open = false;
                    }
                    wasted += bytes.len() as u64;
                }
            }
        }
        if !progressed || !chain_open {
            break 'rounds;
        }
    }
    drop(bufs);
    stats.sequential_bytes = (data.len() - pos) as u64;
    if pos < data.len() {
        total += sequential(data, pos, total, out)?;
    }
    Ok((total, stats))
}

/// Up to `max` offsets from `from` on where a gzip member header parses.
fn candidates(data: &[u8], from: usize, max: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(max);
    let mut at = from;
    while out.len() < max && at + 3 <= data.len() {
        let Some(k) = memchr::memchr(0x1f, &data[at..]) else {
            break;
        };
        let p = at + k;
        if header_len(&data[p..]).is_some() {
            out.push(p);
        }
        at = p + 1;
    }
    out
}

/// Length of the gzip member header at the start of `d` (RFC 1952), if one parses.
fn header_len(d: &[u8]) -> Option<usize> {
    if d.len() < 10 || d[0] != 0x1f || d[1] != 0x8b || d[2] != 8 || d[3] & 0xe0 != 0 {
        return None;
    }
    let flags = d[3];
    let mut at = 10usize;
    if flags & 0x04 != 0 {
        let xlen = u16::from_le_bytes([*d.get(at)?, *d.get(at + 1)?]) as usize;
        at = at.checked_add(2 + xlen)?;
    }
    for bit in [0x08u8, 0x10] {
        if flags & bit != 0 {
            let text = d.get(at..)?;
            let nul = memchr::memchr(0, &text[..text.len().min(MAX_HEADER_TEXT)])?;
            at += nul + 1;
        }
    }
    if flags & 0x02 != 0 {
        at += 2;
    }
    (at < d.len()).then_some(at)
}

/// Inflate the one member at `start` into `buf` (cleared first): its end offset, or `None` (not a
/// member, damaged, CRC or length mismatch, or more than [`MAX_MEMBER_OUT`]).
fn member(data: &[u8], start: usize, buf: &mut Vec<u8>) -> Option<usize> {
    let mut dec = flate2::bufread::GzDecoder::new(&data[start..]);
    buf.clear();
    // Room for the largest member accepted, reserved once per buffer: the buffer never grows
    // past it (reading stops at MAX + 1), and only the pages written become resident.
    buf.reserve_exact(MAX_MEMBER_OUT + 1);
    let n = (&mut dec)
        .take(MAX_MEMBER_OUT as u64 + 1)
        .read_to_end(buf)
        .ok()?;
    if n > MAX_MEMBER_OUT {
        return None;
    }
    let rest = dec.into_inner().len();
    Some(data.len() - rest)
}

/// The sequential decoder over `data[from..]` (all remaining members), written to `out`.
fn sequential(
    data: &[u8],
    from: usize,
    before: u64,
    out: &mut impl Write,
) -> Result<u64, Result<std::io::Error, Damage>> {
    let consumed = Cell::new(0u64);
    let mut dec = flate2::read::MultiGzDecoder::new(Counting {
        data: &data[from..],
        at: 0,
        seen: &consumed,
    });
    let mut buf = vec![0u8; 1 << 20];
    let mut total: u64 = 0;
    loop {
        let n = match dec.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(Err(Damage {
                    at: from as u64 + consumed.get(),
                    inflated: before + total,
                    error: e,
                }))
            }
        };
        out.write_all(&buf[..n]).map_err(Ok)?;
        total += n as u64;
    }
    Ok(total)
}

/// A reader over the compressed bytes that records how far the decoder has read.
struct Counting<'a, 'c> {
    data: &'a [u8],
    at: usize,
    seen: &'c Cell<u64>,
}

impl Read for Counting<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        self.seen.set(self.at as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(data: &[u8], block: usize, level: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for b in data.chunks(block) {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            e.write_all(b).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    fn sample(n: usize) -> Vec<u8> {
        // Compressible but not trivial, and with gzip magic bytes inside the *plain* data
        // so that compressed output at level 0 (stored blocks) carries false candidates.
        let mut x = 0x9e37_79b9u32;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                match i % 97 {
                    0 => 0x1f,
                    1 => 0x8b,
                    2 => 8,
                    3 => 0,
                    _ => (x % 7) as u8,
                }
            })
            .collect()
    }

    #[test]
    fn many_members_inflate_in_parallel_to_the_same_bytes() {
        let plain = sample(3 << 20);
        for level in [0, 1, 6] {
            let gz = chunked(&plain, 100_000, level);
            let mut out = Vec::new();
            let (n, stats) = inflate(&gz, &mut out).unwrap();
            assert_eq!(n as usize, plain.len(), "level {level}");
            assert!(out == plain, "level {level}");
            assert_eq!(stats.parallel_members, 32, "level {level}: {stats:?}");
            assert_eq!(stats.sequential_bytes, 0, "level {level}");
        }
    }

    #[test]
    fn one_big_member_goes_the_sequential_way() {
        let plain = sample(MAX_MEMBER_OUT + 1000);
        let gz = chunked(&plain, plain.len(), 1);
        let mut out = Vec::new();
        let (n, stats) = inflate(&gz, &mut out).unwrap();
        assert_eq!(n as usize, plain.len());
        assert!(out == plain);
        assert_eq!(stats.parallel_members, 0);
        assert_eq!(stats.sequential_bytes, gz.len() as u64);
    }

    #[test]
    fn damage_is_reported_at_its_compressed_offset_after_the_good_members() {
        let plain = sample(1 << 20);
        let gz = chunked(&plain, 65_536, 6);
        // Break the 9th member's deflate data.
        let starts = candidates(&gz, 0, 1000);
        let mut bad = gz.clone();
        let ninth = starts
            .iter()
            .copied()
            .filter(|&s| member(&gz, s, &mut Vec::new()).is_some())
            .nth(8)
            .unwrap();
        for b in &mut bad[ninth + 20..ninth + 60] {
            *b ^= 0x5a;
        }
        let mut out = Vec::new();
        let err = inflate(&bad, &mut out).unwrap_err().unwrap_err();
        assert_eq!(err.inflated, 8 * 65_536, "{err:?}");
        assert!(err.at as usize > ninth, "{err:?} vs member at {ninth}");
        assert!((err.at as usize) < ninth + 65_536, "{err:?}");
        assert_eq!(&out[..], &plain[..8 * 65_536]);
    }

    #[test]
    fn trailing_garbage_and_truncation_match_the_sequential_decoder() {
        let plain = sample(600_000);
        let gz = chunked(&plain, 50_000, 1);
        for cut in [gz.len() - 3, gz.len() / 2, 11] {
            let mut a = Vec::new();
            let par = inflate(&gz[..cut], &mut a);
            let mut b = Vec::new();
            let seq = sequential(&gz[..cut], 0, 0, &mut b);
            assert_eq!(a, b, "cut {cut}");
            match (par, seq) {
                (Err(Err(x)), Err(Err(y))) => {
                    assert_eq!(x.inflated, y.inflated, "cut {cut}");
                }
                (p, s) => panic!("cut {cut}: {p:?} vs {s:?}"),
            }
        }
    }

    #[test]
    fn false_members_inside_members_cost_linear_time() {
        // Members that *store* (level 0) small gzip members of zeros: each stored one is a valid
        // member at a header-shaped offset, inflating to much more than it takes, but not on
        // the chain. The waste allowance hands the rest to the sequential decoder.
        let mut inner = Vec::new();
        for _ in 0..8 {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
            e.write_all(&vec![0u8; 4 << 20]).unwrap();
            inner.extend(e.finish().unwrap());
        }
        let plain: Vec<u8> = inner
            .iter()
            .copied()
            .cycle()
            .take(inner.len() * 40)
            .collect();
        let gz = chunked(&plain, inner.len() * 2, 0);
        let mut out = Vec::new();
        let (n, stats) = inflate(&gz, &mut out).unwrap();
        assert_eq!(n as usize, plain.len());
        assert!(out == plain);
        assert!(stats.sequential_bytes > 0, "{stats:?}");
    }

    #[test]
    fn long_header_texts_are_not_searched_far() {
        // A valid member, then a megabyte of FNAME headers that never end.
        let mut gz = chunked(&sample(1000), 1000, 6);
        let first = gz.len();
        for _ in 0..(1 << 20) / 4 {
            gz.extend([0x1f, 0x8b, 8, 8]);
        }
        // None of them is a candidate: each search stopped after MAX_HEADER_TEXT bytes (an
        // unbounded one read to the end of the input for each: quadratic, ~30 s here).
        assert_eq!(candidates(&gz, first, 100), Vec::<usize>::new());
        let mut out = Vec::new();
        let err = inflate(&gz, &mut out).unwrap_err().unwrap_err();
        assert_eq!((out.len(), err.inflated), (1000, 1000));
    }

    #[test]
    fn headers_with_optional_fields_parse() {
        // The JDK's first members carry FCOMMENT "HPROF BLOCKSIZE=1048576".
        let mut h = vec![0x1f, 0x8b, 8, 0x10, 0, 0, 0, 0, 4, 0];
        h.extend(b"HPROF BLOCKSIZE=1048576\0");
        h.push(0xaa);
        assert_eq!(header_len(&h), Some(h.len() - 1));
        assert_eq!(header_len(&h[..12]), None); // comment not terminated
        let mut long = vec![0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3];
        long.extend(vec![b'a'; MAX_HEADER_TEXT + 1]);
        long.extend([0, 0xaa]);
        assert_eq!(header_len(&long), None); // a name longer than candidates may have
        let mut x = vec![0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 3, 2, 0, 9, 9, 0xaa];
        assert_eq!(header_len(&x), Some(14));
        x[3] = 0x20; // reserved flag
        assert_eq!(header_len(&x), None);
    }
}
