//! A pickle reader for exactly what `tracemalloc.Snapshot.dump` writes, and nothing more.
//!
//! CPython 3.8–3.13 dump a snapshot with `pickle.HIGHEST_PROTOCOL` (5). The stream is:
//! `tracemalloc.Snapshot` (STACK_GLOBAL + NEWOBJ) whose state dict (BUILD) holds `traces`, a
//! `tracemalloc._Traces` whose state holds `_traces`, a list (APPENDS in batches of 1000) of trace
//! tuples, and `traceback_limit`, an int. A trace is `(domain, size, frames)` on 3.8 and
//! `(domain, size, frames, total_nframe)` on 3.9+; `frames` is a tuple of `(filename, lineno)`
//! tuples, most recent call first. Tracebacks, frames and file names are shared through the memo
//! (MEMOIZE / BINGET), so a snapshot of millions of traces names each traceback once.
//!
//! This reader is a small stack machine that *classifies* every tuple as it is built (frame,
//! traceback or trace) instead of keeping a generic object tree: frames and tracebacks are
//! interned into flat tables and each trace is folded into its traceback's size and block count
//! the moment it is appended to the traces list. Memory is therefore per distinct traceback; the
//! memo keeps only a few bits per trace tuple (`MemoTable`).
//!
//! Safety: nothing named in the pickle is imported or called. GLOBAL / STACK_GLOBAL resolve only
//! `tracemalloc.Snapshot` and `tracemalloc._Traces` (to tags); any other name is an error, as is
//! every opcode outside the list below (REDUCE, INST, OBJ, PERSID, EXT*, …). Declared lengths are
//! checked against the bytes that remain before anything is sliced; nothing is allocated by them.
//!
//! Opcodes read: PROTO FRAME STOP MARK, EMPTY_TUPLE TUPLE1 TUPLE2 TUPLE3 TUPLE, EMPTY_LIST APPEND
//! APPENDS LIST, EMPTY_DICT SETITEM SETITEMS DICT, BININT BININT1 BININT2 LONG1 LONG4, NONE NEWTRUE
//! NEWFALSE, SHORT_BINUNICODE BINUNICODE BINUNICODE8, MEMOIZE BINPUT LONG_BINPUT BINGET
//! LONG_BINGET, GLOBAL STACK_GLOBAL, NEWOBJ BUILD, POP. That is protocol 2–5 as CPython's pickler
//! writes these objects.
//!
//! The reader is split by responsibility: `machine` reads opcodes and drives the stack, with
//! `opcodes` naming the bytes; `value` is what the stack holds and how its kinds are named in
//! errors; `memo` the memo and its compact table; `extract` classifies tuples, folds traces
//! into their tracebacks and checks the finished object; `split` reads the second half of
//! the traces list on another core and lets the reader take it over only where that is exactly
//! what reading on would have done. This module holds the public snapshot
//! model, the reader's state and [`read`].

use std::collections::HashMap;

use crate::Fail;
use heapscope_graph::hash::FxHashMap;

mod extract;
mod machine;
mod memo;
mod opcodes;
mod split;
#[cfg(test)]
mod tests;
mod value;
mod words;

use memo::MemoTable;
use value::Value;

/// A failure is a [`Fail`]: the byte offset of the opcode (or field) and what was expected there.
type Res<T> = Result<T, Fail>;

/// A frame: interned file name and line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    pub file: u32,
    pub lineno: u32,
}

/// From this many frames on, [`Snapshot::narrow_frames`] packs the two arrays on two cores.
const NARROW_APART: usize = 1 << 20;

/// Per-domain totals (domain 0 is the Python heap; e.g. 389047 is NumPy's data buffers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainTotal {
    pub domain: u64,
    pub size: u64,
    pub count: u64,
}

/// Everything a snapshot pickle says, in flat tables.
#[derive(Debug, Default)]
pub struct Snapshot<'a> {
    /// The PROTO opcode's protocol number (0 if the stream had none).
    pub protocol: u8,
    /// Distinct file names (raw bytes as pickled: UTF-8, or "surrogatepass" for undecodable names).
    pub strings: Vec<&'a [u8]>,
    /// Distinct `(filename, lineno)` frames.
    pub frames: Vec<Frame>,
    /// Traceback `t` is `frames[tb_offsets[t]..tb_offsets[t + 1]]`, most recent call first,
    /// where `frames` is `tb_frames_head` then `tb_frames` (no traceback spans the two); read
    /// them through [`Snapshot::frames`] (after [`Snapshot::narrow_frames`] the two hold 2-byte
    /// ids).
    pub tb_offsets: Vec<u64>,
    pub tb_frames: Vec<u32>,
    /// The frames of the tracebacks read before the second core's part of the traces list was
    /// taken over (`split`: that part's frames are moved in, not copied; empty otherwise).
    pub tb_frames_head: Vec<u32>,
    /// After [`Snapshot::narrow_frames`]: how many 2-byte frame ids `tb_frames_head` and
    /// `tb_frames` hold, packed in their buffers' first halves (`None`: 4-byte ids, one per
    /// element).
    pub narrow: Option<(usize, usize)>,
    /// Bytes and blocks of the traces in the traces list, per traceback.
    pub tb_size: Vec<u64>,
    pub tb_count: Vec<u64>,
    pub domains: Vec<DomainTotal>,
    /// Traces in the traces list.
    pub traces: u64,
    /// Traces written as `(domain, size, frames)` (3.8) and with `total_nframe` (3.9+).
    pub traces_without_total: u64,
    pub traces_with_total: u64,
    /// Traces whose `total_nframe` exceeds the frames kept, and the largest `total_nframe`.
    pub truncated: u64,
    pub max_total_nframe: u64,
    /// Traces whose traceback was the empty tuple (no frame at all).
    pub empty_tracebacks: u64,
    pub traceback_limit: Option<i64>,
}

/// A frame id as the tracebacks hold it: 2 bytes where the snapshot has at most 65 536 distinct
/// frames (after [`Snapshot::narrow_frames`]), else 4.
pub trait FrameId: Copy + Eq + Send + Sync + 'static {
    fn id(self) -> u32;
}
impl FrameId for u16 {
    #[inline(always)]
    fn id(self) -> u32 {
        self as u32
    }
}
impl FrameId for u32 {
    #[inline(always)]
    fn id(self) -> u32 {
        self
    }
}

/// The tracebacks' frames, all of one width ([`Snapshot::frames`]).
#[derive(Clone, Copy, Debug)]
pub struct Tracebacks<'s, T> {
    head: &'s [T],
    tail: &'s [T],
    offsets: &'s [u64],
}

impl<'s, T: FrameId> Tracebacks<'s, T> {
    /// Frames of traceback `t`, most recent call first.
    #[inline]
    pub fn get(&self, t: u32) -> &'s [T] {
        let (a, b) = (self.offsets[t as usize], self.offsets[t as usize + 1]);
        let head = self.head.len() as u64;
        if b <= head {
            &self.head[a as usize..b as usize]
        } else {
            &self.tail[(a - head) as usize..(b - head) as usize]
        }
    }
}

/// The tracebacks' frames of a snapshot, 2 or 4 bytes per frame ([`Snapshot::frames`]).
#[derive(Clone, Copy, Debug)]
pub enum Frames<'s> {
    Narrow(Tracebacks<'s, u16>),
    Wide(Tracebacks<'s, u32>),
}

/// The first `n` 2-byte ids packed into `v`'s buffer by [`Snapshot::narrow_frames`].
fn packed(v: &[u32], n: usize) -> &[u16] {
    assert!(n <= v.len() * 2, "packed ids past the buffer");
    // SAFETY: `v`'s buffer is `v.len() * 4` initialised bytes, aligned for `u32` (so for
    // `u16`), and `n * 2` of them are asked for; the borrow of `v` covers the view.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u16>(), n) }
}

impl Snapshot<'_> {
    pub fn traceback_count(&self) -> usize {
        self.tb_offsets.len().saturating_sub(1)
    }
    /// The tracebacks' frames, at the width they are held.
    pub fn frames(&self) -> Frames<'_> {
        match self.narrow {
            Some((h, t)) => Frames::Narrow(Tracebacks {
                head: packed(&self.tb_frames_head, h),
                tail: packed(&self.tb_frames, t),
                offsets: &self.tb_offsets,
            }),
            None => Frames::Wide(Tracebacks {
                head: &self.tb_frames_head,
                tail: &self.tb_frames,
                offsets: &self.tb_offsets,
            }),
        }
    }
    /// How many frames traceback `t` has.
    pub fn traceback_len(&self, t: u32) -> usize {
        (self.tb_offsets[t as usize + 1] - self.tb_offsets[t as usize]) as usize
    }
    /// Frames of traceback `t`, most recent call first (a copy: for tests and cold paths;
    /// the tree's passes read [`Snapshot::frames`]).
    pub fn traceback(&self, t: u32) -> Vec<u32> {
        match self.frames() {
            Frames::Narrow(f) => f.get(t).iter().map(|&x| x.id()).collect(),
            Frames::Wide(f) => f.get(t).to_vec(),
        }
    }
    /// The frames of all tracebacks so far (the end of the last one).
    pub fn frames_len(&self) -> u64 {
        match self.narrow {
            Some((h, t)) => (h + t) as u64,
            None => (self.tb_frames_head.len() + self.tb_frames.len()) as u64,
        }
    }
    /// Hold the tracebacks' frames in 2 bytes each where the snapshot has at most 65 536
    /// distinct frames (real programs' have thousands to tens of thousands; real-deep350
    /// 26 507): each of the two arrays packed into its own buffer's first half, in place (an
    /// id at byte `2i` is written after the 4-byte id at byte `4i` it comes from is read, and
    /// never over one not yet read), the two on two cores, then each buffer shrunk to half
    /// (its pages given back: no fresh memory at any point). What the passes after the read
    /// read is then half as many bytes: 2 B per frame of every distinct traceback instead of
    /// 4 (real-deep350: 91 → 46 MB at the tree's paths, then the parse's peak). Returns whether it
    /// did; nothing changes otherwise (more frames, or narrowed already).
    pub fn narrow_frames(&mut self) -> bool {
        if self.narrow.is_some() || self.frames.len() > 1 << 16 {
            return false;
        }
        let narrow = |v: &mut Vec<u32>| -> usize {
            let n = v.len();
            let p = v.as_mut_ptr();
            for i in 0..n {
                // SAFETY: `i < n`: element `i` is in the buffer; the 2-byte write at byte
                // `2i` lies within element `i / 2 <= i`, every one of which was read by now
                // (this element's read comes first). Raw pointers only: no reference to the
                // buffer lives across the loop.
                unsafe {
                    let x = p.add(i).read();
                    // Every id indexes `frames`, so fits 2 bytes here.
                    debug_assert!(x <= u16::MAX as u32, "frame id {x} past 2 bytes");
                    p.cast::<u16>().add(i).write(x as u16);
                }
            }
            v.truncate(n.div_ceil(2));
            v.shrink_to_fit();
            n
        };
        let (head, tail) = (&mut self.tb_frames_head, &mut self.tb_frames);
        let (h, t) = if head.len() + tail.len() >= NARROW_APART {
            rayon::join(|| narrow(head), || narrow(tail))
        } else {
            (narrow(head), narrow(tail))
        };
        self.narrow = Some((h, t));
        true
    }
    /// Free the tracebacks (their frames, offsets and totals) once they are no longer needed
    /// (they are in the traceback tree): the snapshot keeps its file names and frames.
    pub fn drop_tracebacks(&mut self) {
        for v in [&mut self.tb_offsets, &mut self.tb_size, &mut self.tb_count] {
            *v = Vec::new();
        }
        self.drop_traceback_frames();
    }
    /// Free the tracebacks' frames and offsets alone (the tree's paths are made): their totals
    /// stay, for [`TraceTree::finish`](super::TraceTree::finish).
    pub fn drop_traceback_frames(&mut self) {
        self.tb_frames = Vec::new();
        self.tb_frames_head = Vec::new();
        self.tb_offsets = Vec::new();
        self.narrow = None;
    }
    pub fn file_name(&self, s: u32) -> String {
        String::from_utf8_lossy(self.strings[s as usize]).into_owned()
    }
}

/// One traceback while the pickle is read: the bytes and blocks of its traces and the number
/// of frames it keeps, side by side, so that folding a trace touches one cache line (24 B per
/// traceback; split into the snapshot's columns at the end).
#[derive(Clone, Copy, Debug, Default)]
struct TbAcc {
    size: u64,
    count: u64,
    kept: u64,
}

impl TbAcc {
    fn kept(frames: usize) -> TbAcc {
        TbAcc {
            kept: frames as u64,
            ..TbAcc::default()
        }
    }
}

/// A direct-mapped cache in front of a table whose answers never change once given (frame
/// interning, memo references to tracebacks): a few thousand frames and tracebacks are named
/// over and over, and a hit costs one compare where the hash table costs a hash and a probe.
/// [`Hot::SLOTS`] entries, fixed (~64–128 KiB).
struct Hot<K> {
    slots: Vec<Option<(K, u32)>>,
}

impl<K: Copy + Eq> Hot<K> {
    const SLOTS: usize = 1 << 12;

    /// The slot of a key hashed to `h` (Fibonacci hashing: the top bits of `h` × 2^64/φ).
    #[inline]
    fn slot(h: u64) -> usize {
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize
    }

    /// The value cached for `k` at slot `slot(h)`, if any.
    #[inline]
    fn get(&self, h: u64, k: K) -> Option<u32> {
        match self.slots.get(Self::slot(h)) {
            Some(&Some((key, v))) if key == k => Some(v),
            _ => None,
        }
    }

    #[inline]
    fn set(&mut self, h: u64, k: K, v: u32) {
        if self.slots.is_empty() {
            self.slots = vec![None; Self::SLOTS];
        }
        self.slots[Self::slot(h)] = Some((k, v));
    }
}

impl<K> Default for Hot<K> {
    fn default() -> Self {
        Hot { slots: Vec::new() }
    }
}

/// Frame ids by file and line number, in a dense table per file (a file is a small number the
/// caller gives it: the reader's string id, the tail's file slot): the frames of a traceback
/// are named by `(file, line)` millions of times over (22.8 M in real-deep350, 26.5 K distinct),
/// and a lookup here is two indexed loads where a hash table (or a direct-mapped cache in front
/// of it, which missed 10 %) costs a hash, a probe and a compare. Lines from 0 to
/// [`Lines::MAX_LINE`]; a file's table grows to the next power of two above the lines seen while
/// all tables together stay within [`Lines::BUDGET`] entries (4 B each: ≤ 4 MiB, whatever the
/// input). A line past a file's table that cannot grow it freezes that file: its other lines
/// go to the caller's hash table from then on, so a frame is in exactly one of the two.
#[derive(Default)]
pub(super) struct Lines {
    /// Per file: frame id + 1 per line (0: not seen), and whether it is frozen.
    files: Vec<(Vec<u32>, bool)>,
    /// Entries all tables hold.
    used: usize,
}

/// What [`Lines::get`] says of a `(file, line)`.
enum Line {
    /// The frame's id.
    Known(u32),
    /// A new frame, whose id is to be put at this place with [`Lines::set`].
    New(usize),
    /// Not in the dense tables: look it up in the hash table.
    Hashed,
}

impl Lines {
    const MAX_LINE: u32 = 1 << 17;
    const BUDGET: usize = 1 << 20;

    #[inline]
    fn get(&mut self, file: u32, line: u32) -> Line {
        if let Some((t, _)) = self.files.get(file as usize) {
            if let Some(&v) = t.get(line as usize) {
                return match v {
                    0 => Line::New(file as usize),
                    v => Line::Known(v - 1),
                };
            }
        }
        self.grow(file, line)
    }

    /// A line past its file's table: grow it, or freeze the file.
    #[cold]
    fn grow(&mut self, file: u32, line: u32) -> Line {
        let f = file as usize;
        // Files are numbered densely by the caller: at most one entry per file seen.
        if self.files.len() <= f {
            self.files.resize_with(f + 1, Default::default);
        }
        let (t, frozen) = &mut self.files[f];
        let want = (line as usize + 1).next_power_of_two().max(64);
        if *frozen || line > Self::MAX_LINE || self.used + (want - t.len()) > Self::BUDGET {
            *frozen = true;
            return Line::Hashed;
        }
        self.used += want - t.len();
        t.resize(want, 0);
        Line::New(f)
    }

    #[inline]
    fn set(&mut self, file: usize, line: u32, id: u32) {
        self.files[file].0[line as usize] = id + 1;
    }
}

/// String ids by the string's bytes (file names, mostly), in the reader and the tail alike:
/// ~25 B per distinct string (a 24 B slot and its control byte, and the table's slack). Keyed by a seed drawn once per process
/// (ahash's `RandomState`, `runtime-rng`), because the bytes are the input's: with an unkeyed
/// hash (Fx) a crafted pickle could give many names one bucket, each insert then probing
/// them all (quadratic in the names); std's SipHash is keyed too but cost ~2 % of a run of
/// 300 K file names (breadth17 F1).
pub(super) type StringIndex<'a> = HashMap<&'a [u8], u32, ahash::RandomState>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Snapshot,
    Traces,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: MemoTable,
    ints: Vec<i64>,
    string_index: StringIndex<'a>,
    /// Every frame tuple of every distinct traceback is interned here (CPython builds fresh
    /// frame tuples per traceback, so they are not shared through the memo).
    frame_index: FxHashMap<Frame, u32>,
    frame_hot: Hot<Frame>,
    /// In front of `frame_index`: frames by file name and line ([`Lines`]).
    frame_lines: Lines,
    /// Number of items appended per list (lists hold only traces here).
    list_len: Vec<u64>,
    trace_list: Option<u32>,
    dict_items: Vec<(u32, u32, Value)>,
    dict_count: u32,
    objs: Vec<(Class, Option<u32>)>,
    snap: Snapshot<'a>,
    /// Per traceback: its traces' totals (`Snapshot::tb_size` / `tb_count` at the end).
    /// Once the second core's tail is taken over, the reader's own are `tb_acc_head` and the
    /// tail's (moved in, not copied) `tb_acc`: traceback `t` is [`Reader::acc`].
    tb_acc: Vec<TbAcc>,
    tb_acc_head: Vec<TbAcc>,
    empty_tb: Option<u32>,
    /// Where the current protocol-4 frame ends (`usize::MAX`: in no frame).
    frame_end: usize,
    /// Where the second core's tail of the traces list begins (`usize::MAX`: none), and its
    /// result when the reader gets there ([`split`]).
    split_at: usize,
    tail: Option<std::sync::mpsc::Receiver<split::Tail<'a>>>,
    /// The tail's start from the second core ([`split::plan_start`]; None: no tail), asked for
    /// when the reader gets to `split_at` the first time (then the floor, `split::floor`).
    start: Option<std::sync::mpsc::Receiver<Option<(usize, usize)>>>,
    /// This thread's CPU seconds when the read began (for the stage line at the tail's start).
    cpu_at_start: f64,
    /// Traces the tail read and the reader took over (0: read on one core).
    tail_traces: u64,
    /// Tells the tail to stop (set when the reader passes its start, or ends).
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// A memo reference named a frame tuple whose frame was not kept
    /// ([`MemoTable::forget_frames`]): the pickle must be read again with the frames kept.
    frames_needed: bool,
    /// Read a traceback's frames in one loop (`Reader::fast_traceback`); off only in tests.
    fast_tracebacks: bool,
    /// That loop's frames by the bytes of their frame tuple ([`words::Words`]; not used once
    /// the memo is not sequential, where an index may name another entry later).
    frame_words: words::Words,
    /// `HEAPSCOPE_STATS_TRACEMALLOC`: the clock of the read's steps (head, wait for the tail,
    /// its absorption, the rest).
    steps: crate::timing::Steps,
}

/// Read a `tracemalloc.Snapshot` pickle. From 8 MiB on, the second half of the traces list
/// is read on a second core at the same time ([`split`]); the result is the same as reading on
/// one core, errors included.
pub fn read(data: &[u8]) -> Result<Snapshot<'_>, Fail> {
    read_split(data, split::MIN_SPLIT).map(|(s, _)| s)
}

/// [`read`], splitting from `min_split` bytes on; also returns the traces read by the second
/// core (0 when it was not used). First with the memo's frame tuples forgotten (CPython never
/// fetches one again), and only if the pickle does, once more with them kept.
fn read_split(data: &[u8], min_split: usize) -> Result<(Snapshot<'_>, u64), Fail> {
    match read_once(data, min_split, true) {
        (_, true) => read_once(data, min_split, false).0,
        (read, false) => read,
    }
}

/// One read of the pickle (see [`read_split`]), the memo's frames forgotten or not; and whether
/// it found that it needs them (its result is then to be dropped).
fn read_once(
    data: &[u8],
    min_split: usize,
    forget_frames: bool,
) -> (Result<(Snapshot<'_>, u64), Fail>, bool) {
    read_once_with(data, min_split, forget_frames, true)
}

/// [`read_once`], with the tracebacks' frames read in one loop each (`fast`, as always but in
/// the tests that compare the two) or opcode by opcode.
fn read_once_with(
    data: &[u8],
    min_split: usize,
    forget_frames: bool,
    fast: bool,
) -> (Result<(Snapshot<'_>, u64), Fail>, bool) {
    let split = split::may_split(data, min_split);
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::thread::scope(|scope| {
        let (mut tail, mut start) = (None, None);
        if split {
            // The second core places the tail's start ([`split::plan_start`]) and reads from
            // there; the reader asks for the start when it gets to `split::floor`.
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let (start_tx, start_rx) = std::sync::mpsc::sync_channel(1);
            let cancel = &cancel;
            scope.spawn(move || {
                let mut steps = crate::timing::Steps::of(crate::timing::Reader::Tracemalloc);
                let cpu = crate::timing::thread_cpu();
                let at = split::plan_start(data, min_split);
                // Once per read: where it placed the start, in 64ths of the input.
                let share = at.map_or(64.0, |(at, _)| at as f64 * 64.0 / data.len() as f64);
                steps.step(&format!("tail: plan, {share:.1}/64 (2nd core)"));
                let _ = start_tx.send(at);
                if let Some((at, frame_end)) = at {
                    let t = split::Tail::read(data, at, frame_end, cancel, forget_frames, fast);
                    let cpu = crate::timing::thread_cpu() - cpu;
                    steps.step(&format!("tail: read (2nd core, {cpu:.3} s thread CPU)"));
                    let _ = tx.send(t);
                }
            });
            tail = Some(rx);
            start = Some(start_rx);
        }
        let mut r = reader(data);
        r.memo.forget_frames = forget_frames;
        r.fast_tracebacks = fast;
        r.split_at = if split {
            split::floor(data.len())
        } else {
            usize::MAX
        };
        r.start = start;
        r.cpu_at_start = crate::timing::thread_cpu();
        r.reserve();
        r.tail = tail;
        r.cancel = cancel.clone();
        let top = r.run();
        r.steps.step("read: after the tail");
        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        if r.frames_needed {
            return (top.map(|_| (Snapshot::default(), 0)), true);
        }
        let n = r.tail_traces;
        let mut steps = crate::timing::Steps::of(crate::timing::Reader::Tracemalloc);
        let done = top.and_then(|top| r.finish(top)).map(|s| (s, n));
        steps.step("finish: totals, checks");
        (done, false)
    })
}

/// The fewest bytes CPython writes for a memo entry: a frame tuple (`BINGET BININT1 TUPLE2
/// MEMOIZE`; a trace tuple takes 10 or more).
pub(super) const ENTRY_BYTES: usize = 6;

/// Memo entries reserved for `bytes` bytes of pickle: `bytes / 6` (the second core's part
/// reserves its own the same way). The memo's 32-byte blocks (32 B per 64 entries) are
/// 32-byte aligned, which the allocator copies to a fresh block when they grow, where it
/// remaps a plain vector (real-deep350: ~7 K page faults and ~20 MB copied). Virtual until
/// written: at most `bytes / 12 + 32` bytes, from the input's real length, never from a
/// length it declares; a pickle that packs more entries in grows past it as any vector would.
/// (Freeing it does not move glibc's mmap threshold: the binary fixes the threshold at start,
/// `cli/src/main.rs`.)
pub(super) fn memo_bound(bytes: usize) -> usize {
    bytes / ENTRY_BYTES
}

impl Reader<'_> {
    /// The totals of traceback `tb`: in `tb_acc_head` below its length (empty until the tail
    /// is taken over), else in `tb_acc`.
    #[inline]
    fn acc(&mut self, tb: u32) -> &mut TbAcc {
        acc_in(&mut self.tb_acc_head, &mut self.tb_acc, tb)
    }

    /// Reserve the memo's blocks once, for the whole input (the tail's entries are appended
    /// to them): [`memo_bound`] entries.
    fn reserve(&mut self) {
        self.memo.reserve(memo_bound(self.data.len()));
    }
}

/// [`Reader::acc`] on its two vectors (borrowed apart from the rest of the reader).
#[inline]
fn acc_in<'v>(head: &'v mut [TbAcc], tail: &'v mut [TbAcc], tb: u32) -> &'v mut TbAcc {
    let tb = tb as usize;
    match tb.checked_sub(head.len()) {
        None => &mut head[tb],
        Some(k) => &mut tail[k],
    }
}

fn reader(data: &[u8]) -> Reader<'_> {
    Reader {
        data,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: MemoTable::default(),
        ints: Vec::new(),
        string_index: StringIndex::default(),
        frame_index: FxHashMap::default(),
        frame_hot: Hot::default(),
        frame_lines: Lines::default(),
        list_len: Vec::new(),
        trace_list: None,
        dict_items: Vec::new(),
        dict_count: 0,
        objs: Vec::new(),
        snap: Snapshot {
            tb_offsets: vec![0],
            ..Snapshot::default()
        },
        tb_acc: Vec::new(),
        tb_acc_head: Vec::new(),
        empty_tb: None,
        frame_end: usize::MAX,
        split_at: usize::MAX,
        tail: None,
        start: None,
        cpu_at_start: 0.0,
        tail_traces: 0,
        cancel: Default::default(),
        frames_needed: false,
        fast_tracebacks: true,
        frame_words: Default::default(),
        steps: crate::timing::Steps::of(crate::timing::Reader::Tracemalloc),
    }
}
