//! The pickle memo: [`Memo`], an entry in 8 bytes, the rank-indexed [`MemoTable`] that keeps a
//! trace tuple as one clear bit, and the reader's MEMOIZE / PUT / GET, which turn stack values into
//! memo entries and back.

use std::collections::HashMap;

use super::value::Value;
use super::{Class, Reader, Res};
use crate::{Expected, Fail};

/// A memo entry in 8 bytes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Memo {
    Unset,
    /// A trace tuple: never fetched again by tracemalloc's pickles, so not kept.
    Trace,
    /// A frame tuple whose frame was not kept ([`MemoTable::forget_frames`]).
    FrameNotKept,
    None,
    Bool(bool),
    /// Index into `ints`.
    Int(u32),
    Str(u32),
    Frame(u32),
    Tb(u32),
    EmptyTuple,
    List(u32),
    Dict(u32),
    Class(Class),
    Obj(u32),
}

impl Reader<'_> {
    pub(super) fn memo_entry(&mut self, v: Value) -> Memo {
        match v {
            Value::None => Memo::None,
            Value::Bool(b) => Memo::Bool(b),
            Value::Int(i) => {
                self.ints.push(i);
                Memo::Int(self.ints.len() as u32 - 1)
            }
            Value::Str(s) => Memo::Str(s),
            Value::Frame(f) => Memo::Frame(f),
            Value::Tb(t) => Memo::Tb(t),
            Value::EmptyTuple => Memo::EmptyTuple,
            Value::Trace(_) => Memo::Trace,
            Value::List(l) => Memo::List(l),
            Value::Dict(d) => Memo::Dict(d),
            Value::Class(c) => Memo::Class(c),
            Value::Obj(o) => Memo::Obj(o),
        }
    }

    pub(super) fn put(&mut self, idx: u64, m: Memo) {
        self.memo.put(idx, m);
    }

    pub(super) fn get(&mut self, idx: u64, at: usize) -> Res<Value> {
        // Through the hot cache: a file name is fetched once per frame of every traceback.
        let m = self.memo.get_hot(idx);
        Ok(match m {
            Memo::Unset => {
                return Err(Fail::at(
                    at,
                    Expected::fmt("memo entry {} to be set before it is read", "", &[idx]),
                ))
            }
            Memo::Trace => {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "memo entry {} not to be a trace (tracemalloc never shares trace tuples)",
                        "",
                        &[idx],
                    ),
                ))
            }
            Memo::FrameNotKept => {
                // Read again with the frames kept (`read`): never with CPython's pickles.
                self.frames_needed = true;
                return Err(Fail::at(at, "a frame tuple kept in the memo"));
            }
            Memo::None => Value::None,
            Memo::Bool(b) => Value::Bool(b),
            Memo::Int(i) => Value::Int(self.ints[i as usize]),
            Memo::Str(s) => Value::Str(s),
            Memo::Frame(f) => Value::Frame(f),
            Memo::Tb(t) => Value::Tb(t),
            Memo::EmptyTuple => Value::EmptyTuple,
            Memo::List(l) => Value::List(l),
            Memo::Dict(d) => Value::Dict(d),
            Memo::Class(c) => Value::Class(c),
            Memo::Obj(o) => Value::Obj(o),
        })
    }
}

/// The pickle memo, indexed as the pickle numbers it. CPython's pickler memoizes every trace tuple
/// (one entry per trace, millions) but never reads one back, so a trace entry is no more than
/// its block's bits; and every frame tuple of every traceback (millions too, each a fresh tuple),
/// which is kept as its frame id alone (4 B) apart from the other entries (file names,
/// tracebacks, a few objects: 8 B each), so that those stay few and close together. A lookup is
/// a rank query: the count of entries of the kind stored before the entry's 64-entry block plus
/// a popcount. 16 M traces and 8 M frame tuples cost 12 + 32 MB here instead of 192 MB as a
/// `Vec<Memo>`. CPython's pickles never fetch a frame tuple again either (each traceback has
/// fresh ones), so the reader first reads with [`MemoTable::forget_frames`] set: a frame tuple
/// is then its bit alone (22.8 M of them in real-deep350: 91 MB fewer), and a pickle that does
/// fetch one is read again with the frames kept.
#[derive(Default)]
pub(super) struct MemoTable {
    /// Per 64-entry block, its bits and counts side by side, so a lookup touches one line.
    blocks: Vec<Block>,
    vals: Vec<Memo>,
    /// The frame ids of `Memo::Frame` entries (none when `forget_frames`).
    frames: Vec<u32>,
    /// `Memo::Frame` entries made (`frames.len()` when they are kept).
    n_frames: u64,
    /// Keep only the bit of a frame entry; [`MemoTable::get`] answers `Memo::FrameNotKept`.
    pub(super) forget_frames: bool,
    len: u64,
    /// Entries put out of order or overwritten (BINPUT to an index of its choice; CPython's
    /// pickler never does this). Checked first when not empty; once it is, every later entry
    /// goes here too.
    moved: HashMap<u64, Memo>,
    /// Keys in `moved` at or beyond `len` (they count in the memo's size, as in CPython's dict).
    moved_beyond: u64,
    /// A direct-mapped cache of [`MemoTable::get_hot`] lookups, `(index, entry)` by the index's
    /// low bits: every trace names its traceback by memo index, and a few tracebacks hold most
    /// traces, so most lookups end here instead of in two cache misses (block, then value).
    hot: Vec<(u64, Memo)>,
}

/// 64 memo entries: bit `i` of `vals` set if entry `i` is in `MemoTable::vals`, of `frames` if
/// it is a frame in `MemoTable::frames` (neither: a trace tuple), and how many entries of each
/// are stored before the block (32 B, one per 64 entries: 4 bits per entry).
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(32))]
struct Block {
    vals: u64,
    frames: u64,
    vals_before: u64,
    frames_before: u64,
}

/// Entries in [`MemoTable::hot`] (16 bytes each).
const HOT: usize = 1 << 13;

/// The low `k` bits of a word (all of them for 64).
#[inline(always)]
fn low(word: u64, k: u64) -> u64 {
    if k >= 64 {
        word
    } else {
        word & ((1u64 << k) - 1)
    }
}

impl MemoTable {
    /// The bit of the next entry in its block, the block made if the entry begins it.
    #[inline(always)]
    fn block_for_next(&mut self) -> u64 {
        let bit = self.len % 64;
        if bit == 0 {
            self.blocks.push(Block {
                vals: 0,
                frames: 0,
                vals_before: self.vals.len() as u64,
                frames_before: self.n_frames,
            });
        }
        bit
    }

    #[inline(always)]
    fn push(&mut self, m: Memo) {
        let bit = self.block_for_next();
        match m {
            Memo::Trace => {}
            Memo::Frame(f) => {
                self.blocks
                    .last_mut()
                    .expect("a block was pushed for this entry")
                    .frames |= 1 << bit;
                if !self.forget_frames {
                    self.frames.push(f);
                }
                self.n_frames += 1;
            }
            m => {
                self.blocks
                    .last_mut()
                    .expect("a block was pushed for this entry")
                    .vals |= 1 << bit;
                self.vals.push(m);
            }
        }
        self.len += 1;
    }

    /// Room for `entries` more entries' blocks (32 B per 64 entries), made once: the blocks
    /// are 32-byte aligned, and the allocator copies such a block when it grows (a fresh one
    /// faulted in, the old one freed) where it remaps a plain one (`super::memo_bound`).
    pub(super) fn reserve(&mut self, entries: usize) {
        self.blocks.reserve_exact(entries / 64 + 1);
    }

    /// Blocks reserved (the tests' way in).
    #[cfg(test)]
    pub(super) fn blocks_capacity(&self) -> usize {
        self.blocks.capacity()
    }

    /// MEMOIZE: the next index is the memo's size (`len(memo)` in CPython's unpickler).
    #[inline(always)]
    pub(super) fn memoize(&mut self, m: Memo) {
        if self.moved.is_empty() {
            self.push(m);
        } else {
            self.put(self.len + self.moved_beyond, m);
        }
    }

    /// One MEMOIZE per frame of `frames`, in order, as [`MemoTable::memoize`] of each
    /// `Memo::Frame` would make them: their bits set up to 64 at a time.
    pub(super) fn memoize_frames(&mut self, frames: &[u32]) {
        if !self.moved.is_empty() {
            for &f in frames {
                self.memoize(Memo::Frame(f));
            }
            return;
        }
        let mut k = 0;
        while k < frames.len() {
            let bit = self.block_for_next();
            let take = (64 - bit).min((frames.len() - k) as u64);
            self.blocks
                .last_mut()
                .expect("a block was pushed for these entries")
                .frames |= low(u64::MAX, take) << bit;
            if !self.forget_frames {
                self.frames.extend_from_slice(&frames[k..k + take as usize]);
            }
            self.n_frames += take;
            self.len += take;
            k += take as usize;
        }
    }

    pub(super) fn put(&mut self, idx: u64, m: Memo) {
        if idx == self.len && self.moved.is_empty() {
            self.push(m);
        } else {
            // Not a fresh sequential index: keep it aside rather than growing the table to an
            // index the input chose.
            if self.moved.insert(idx, m).is_none() && idx >= self.len {
                self.moved_beyond += 1;
            }
        }
    }

    /// [`MemoTable::get`] through the cache. While no entry has been put out of order, an
    /// index below `len` never changes, so a cached entry stays true; after that, no cache.
    #[inline(always)]
    pub(super) fn get_hot(&mut self, idx: u64) -> Memo {
        if !self.moved.is_empty() {
            return self.get(idx);
        }
        if self.hot.is_empty() {
            self.hot = vec![(u64::MAX, Memo::Unset); HOT];
        }
        let slot = idx as usize & (HOT - 1);
        if self.hot[slot].0 == idx {
            return self.hot[slot].1;
        }
        let m = self.get(idx);
        if !matches!(m, Memo::Unset) {
            self.hot[slot] = (idx, m);
        }
        m
    }

    /// Entries so far, and whether every one was made by MEMOIZE in order (no BINPUT
    /// elsewhere): then index `i < len()` is the `i`-th entry made.
    pub(super) fn len(&self) -> u64 {
        self.len
    }
    pub(super) fn is_sequential(&self) -> bool {
        self.moved.is_empty()
    }

    /// Append the first `n` entries of `other` (a sequential table, forgetting frames as this
    /// one does), each through `map` (a frame's id through `frame`), as that many MEMOIZEs
    /// would: 64 entries per step (their bits shifted into place).
    pub(super) fn append(
        &mut self,
        other: &MemoTable,
        n: u64,
        map: impl Fn(Memo) -> Memo,
        frame: impl Fn(u32) -> u32,
    ) {
        debug_assert!(self.is_sequential() && other.is_sequential() && n <= other.len);
        debug_assert_eq!(self.forget_frames, other.forget_frames);
        let mut done = 0u64;
        for b in &other.blocks {
            if done >= n {
                break;
            }
            let k = (n - done).min(64);
            let (v, f) = (low(b.vals, k), low(b.frames, k));
            let vals = &other.vals[b.vals_before as usize..][..v.count_ones() as usize];
            let o = self.len % 64;
            if o == 0 {
                self.blocks.push(Block {
                    vals: v,
                    frames: f,
                    vals_before: self.vals.len() as u64,
                    frames_before: self.n_frames,
                });
            } else {
                let last = self.blocks.last_mut().expect("a partly filled block");
                last.vals |= v << o;
                last.frames |= f << o;
                if o + k > 64 {
                    let rest = 64 - o;
                    self.blocks.push(Block {
                        vals: v >> rest,
                        frames: f >> rest,
                        vals_before: self.vals.len() as u64 + low(v, rest).count_ones() as u64,
                        frames_before: self.n_frames + low(f, rest).count_ones() as u64,
                    });
                }
            }
            self.vals.extend(vals.iter().map(|&m| map(m)));
            if !other.forget_frames {
                let frames = &other.frames[b.frames_before as usize..][..f.count_ones() as usize];
                self.frames.extend(frames.iter().map(|&x| frame(x)));
            }
            self.n_frames += f.count_ones() as u64;
            self.len += k;
            done += k;
        }
    }

    #[inline]
    pub(super) fn get(&self, idx: u64) -> Memo {
        if !self.moved.is_empty() {
            if let Some(m) = self.moved.get(&idx) {
                return *m;
            }
        }
        if idx >= self.len {
            return Memo::Unset;
        }
        let (block, bit) = ((idx / 64) as usize, idx % 64);
        let b = &self.blocks[block];
        if b.vals >> bit & 1 != 0 {
            let rank = b.vals_before + low(b.vals, bit).count_ones() as u64;
            return self.vals[rank as usize];
        }
        if b.frames >> bit & 1 != 0 {
            if self.forget_frames {
                return Memo::FrameNotKept;
            }
            let rank = b.frames_before + low(b.frames, bit).count_ones() as u64;
            return Memo::Frame(self.frames[rank as usize]);
        }
        Memo::Trace
    }
}
