//! Frames by the bytes of their frame tuple ([`Words`]): the one lookup of the tracebacks'
//! frame loop ([`known_frames`]).
//!
//! CPython writes a frame of a traceback as `BINGET|LONG_BINGET(file name) BININT1|BININT2(line)
//! TUPLE2 MEMOIZE`: 6, 7, 9 or 10 bytes, the same bytes for the same (memo index, line) every
//! time. While the memo is made in order, a memo index names the same file name for good, so
//! those bytes name one frame: a table from the bytes to the frame replaces the file name's
//! memo lookup and the frame table's (three dependent loads) by one probe. The key is the
//! tuple's first 6 bytes (BINGET) or 8 (LONG_BINGET), as one word, which hold the line's opcode;
//! the tuple's length is read from its two opcodes, and its last two bytes, `TUPLE2 MEMOIZE`,
//! are checked at that length: a hit is then exactly the bytes of a tuple that was read and
//! checked opcode by opcode before (a BININT line, whose bytes the key would not cover, is
//! never put in). Only while the memo is made in order (the reader's caller checks; the
//! second core's memo references are symbolic, the same bytes always the same frame).

use super::opcodes::{BINGET, BININT1, BININT2, LONG_BINGET, MEMOIZE, TUPLE2};

/// One entry: the key ([`EMPTY`]: none) and the frame.
#[derive(Clone, Copy)]
#[repr(align(16))]
struct Slot {
    key: u64,
    frame: u32,
}

/// Frames by frame-tuple bytes, direct-mapped: [`Words::SLOTS`] entries of 16 B (512 KiB,
/// made by the first frame put in), a later frame in place of an earlier one of the same slot
/// (a frame not found takes the slow path, and is put in again). Real-deep350's 26.5 K frames
/// (22.8 M frame tuples): 2.2 % of the tuples miss (8192 slots: about 7 %; a slow frame
/// costs ~100 instructions and the memo's and line tables' cache misses, a hit ~37).
#[derive(Default)]
pub(super) struct Words {
    slots: Option<Box<[Slot; Words::SLOTS]>>,
}

/// The key of an empty slot: no word's key (a BINGET's key has its top 16 bits clear, any
/// other key its first byte other than BINGET's).
const EMPTY: u64 = 0xffff_0000_0000_0000 | BINGET as u64;

/// The bit that tells LONG_BINGET from BINGET, and BININT2 from BININT1 ([`Words::get_in`]).
const LONG_BIT: u64 = (LONG_BINGET ^ BINGET) as u64;
const INT2_BIT: u8 = 1 << 2;
const _: () = assert!(LONG_BIT == 2 && LONG_BINGET & 2 != 0);
const _: () = assert!((BININT2 ^ BININT1) & INT2_BIT != 0 && BININT2 & INT2_BIT != 0);

/// `TUPLE2 MEMOIZE` as the little-endian `u16` at the end of every frame tuple.
const END: u16 = u16::from_le_bytes([TUPLE2, MEMOIZE]);

impl Words {
    /// Slots held (the tests' way in): none until the first word is put.
    #[cfg(test)]
    pub(super) fn room(&self) -> usize {
        self.slots.as_ref().map_or(0, |s| s.len())
    }

    const SLOTS: usize = 1 << 15;

    /// The key of the word `w` read at a frame tuple's first byte.
    #[inline(always)]
    fn key(w: u64) -> u64 {
        if w as u8 == BINGET {
            w & 0xffff_ffff_ffff
        } else {
            w
        }
    }

    /// The slot of a key: the top bits of its Fibonacci hash.
    #[inline(always)]
    fn slot(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::SLOTS.trailing_zeros())) as usize
    }

    /// [`Words::get_in`] (the tests' way in).
    #[cfg(test)]
    pub(super) fn get(&self, w: &[u8; 12]) -> Option<(u32, usize)> {
        self.slots
            .as_deref()
            .and_then(|slots| Self::get_in(slots, w))
    }

    /// The frame and the length of the frame tuple at the start of `w` (12 bytes), if its
    /// bytes are those of a tuple put in (`slots`: the table's).
    ///
    /// The length is read from the bytes (the opcodes of the memo index and of the line), not
    /// from the table: the loop's next position never waits for the table's load, so the
    /// lookups of several frames are under way at once.
    #[inline(always)]
    fn get_in(slots: &[Slot; Words::SLOTS], w: &[u8; 12]) -> Option<(u32, usize)> {
        let x = u64::from_le_bytes(w[..8].try_into().expect("8 bytes"));
        // The length from `x`'s bits, in registers: the loop's next position waits for one
        // load (this word), not a second one (the line's opcode at byte 2 or 5), which made
        // the path from one frame to the next ~17 cycles. Of the opcodes a key holds,
        // LONG_BINGET (0x6a) has bit 1 set and BINGET (0x68) not; BININT2 (0x4d) bit 2 and
        // BININT1 (0x4b) not ([`LONG_BIT`], [`INT2_BIT`]). For other bytes the length is some
        // other number, but the key then differs from every key put in (whose first byte and
        // line opcode are those, and within the key): a miss, whose length is not used.
        let long = x & LONG_BIT != 0;
        let at = INT2_BIT.trailing_zeros();
        let int2 = if long { x >> (40 + at) } else { x >> (16 + at) } & 1;
        let len = 6 + 3 * long as usize + int2 as usize;
        let key = Self::key(x);
        let s = &slots[Self::slot(key)];
        // The tuple's last two bytes (a key holds the line's opcode: the same key, the same
        // length), which the key does not hold but for BINGET BININT1.
        let end = u16::from_le_bytes([w[len - 2], w[len - 1]]);
        (s.key == key && end == END).then_some((s.frame, len))
    }

    /// Put in the frame tuple at the start of `w`, of `len` bytes, which names `frame` (read
    /// and checked opcode by opcode), in place of the one in its slot. Only the four usual
    /// shapes go in (a BININT1 or BININT2 line).
    pub(super) fn put(&mut self, w: &[u8; 12], len: usize, frame: u32) {
        let usual = match (w[0], len) {
            (BINGET, 6) => w[2] == BININT1,
            (BINGET, 7) => w[2] == BININT2,
            (LONG_BINGET, 9) => w[5] == BININT1,
            (LONG_BINGET, 10) => w[5] == BININT2,
            _ => false,
        };
        if !usual || u16::from_le_bytes([w[len - 2], w[len - 1]]) != END {
            return;
        }
        let slots = self.slots.get_or_insert_with(|| {
            let empty = Slot {
                key: EMPTY,
                frame: 0,
            };
            vec![empty; Self::SLOTS]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("SLOTS slots"))
        });
        let key = Self::key(u64::from_le_bytes(w[..8].try_into().expect("8 bytes")));
        slots[Self::slot(key)] = Slot { key, frame };
    }
}

/// Frame tuples at `d[p..]` whose bytes `words` holds: their frames pushed to `out`; returns
/// where it stopped (at anything else, or 12 bytes or less before the end of `d`). The
/// tracebacks' frames are nearly all read here (about 85 % of a deep snapshot's bytes), so it
/// keeps to locals: no call, no store but the frame's.
#[inline(always)]
pub(super) fn known_frames(d: &[u8], p: usize, words: &Words, out: &mut Vec<u32>) -> usize {
    let Some(slots) = words.slots.as_deref() else {
        return p;
    };
    let mut rest = &d[p.min(d.len())..];
    // Up to 32 frames at a time in a local buffer, then appended: the loop keeps its count in
    // a register.
    let mut buf = [0u32; 32];
    loop {
        let mut n = 0;
        while n < buf.len() {
            let Some(w) = rest.first_chunk::<12>() else {
                break;
            };
            let Some((f, len)) = Words::get_in(slots, w) else {
                break;
            };
            buf[n] = f;
            n += 1;
            rest = &rest[len..];
        }
        out.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            return d.len() - rest.len();
        }
    }
}
