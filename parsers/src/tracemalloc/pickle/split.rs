//! The second half of the traces list, read on another core while the first half is read, then
//! taken over only where it is provably what the one-pass reader would have done.
//!
//! The memo is numbered by MEMOIZE count (one per trace), so a reader starting mid-stream knows
//! neither its memo base nor what was defined before it. The tail reader therefore keeps every
//! memo reference *symbolic*: a `BINGET n` naming a file name or a traceback is kept as `n`
//! (with the tail's own memo size when it was read), and its own entries are numbered from 0.
//!
//! 1. [`plan_start`] (the other core, while this one reads from byte 0): find the protocol-4
//!    FRAME headers near 32 evenly spaced bytes ([`frame_near`]), count traces and frame
//!    tuples in those frames, and place the start where this core's estimated work before it
//!    equals the other core's after it ([`balance`]); then ([`start_from`]) skip opcodes from
//!    the start of a frame at or before that byte (a frame begins at an opcode boundary as
//!    CPython writes) to the first `APPENDS MARK` past it: the start of a batch of 1000 traces. This core asks for it when
//!    it gets to [`floor`] (16/64 of the input), at or before any start placed.
//! 2. [`Tail::read`] (the other core): from just after that MARK, read what CPython writes in a
//!    traces list — traces, their inline tracebacks and frames, file names, MEMOIZE, BINGET,
//!    APPENDS, MARK, FRAME — folding each batch at its APPENDS, and stop at the first thing it
//!    does not know (the end of the list, or anything unusual), keeping only whole batches.
//! 3. `Reader::absorb` (this core), when its own reading arrives exactly at that start with the
//!    stack the tail assumed (a MARK just pushed above the traces list, in the same FRAME, every
//!    memo entry made in order): the memo base is now known, so every symbolic reference is
//!    resolved and checked (an index below the base must hold a file name or a traceback; one
//!    above it must be the tail's own entry of that kind, made before it was read; every trace
//!    of one traceback reference must agree on `total_nframe`). Only if all of it holds are the
//!    tail's file names, frames and tracebacks interned in the tail's order, its totals added and
//!    its memo entries appended; the reader then continues where the tail stopped. Otherwise the
//!    tail is dropped and the reader reads on from the start as if it never ran.
//!
//! So the result, errors and their offsets included, is always the one-pass reader's.
//! Memory: the tail's tables are per distinct file name, frame and traceback (as the reader's
//! are), a 4-bit-per-trace share of the memo, and one batch of pending traces (40 B each).

use std::sync::atomic::{AtomicBool, Ordering};

use super::machine::{frame_tuple, memo_get, small_int};
use super::memo::{Memo, MemoTable};
use super::opcodes::*;
use super::value::NO_TOTAL;
use super::words::{known_frames, Words};
use super::{DomainTotal, Hot, Line, Lines, Reader, StringIndex, TbAcc};
use heapscope_graph::hash::FxHashMap;

/// Inputs below this size are read on one core (the thread costs more than it saves).
pub(super) const MIN_SPLIT: usize = 8 << 20;

/// The earliest a start is placed, in 64ths of the input: the reader asks for the start only
/// when it gets there ([`floor`]).
const FLOOR_64THS: usize = 16;
/// The latest a start is placed, in 64ths of the input.
const CEIL_64THS: usize = 56;
/// Sample windows [`plan_start`] scans: the first frame at or past the middle of each of this
/// many equal parts of the input (at most [`WINDOW`] bytes of it; a frame found for two parts
/// is scanned once). 32 × 64 KiB: 2 MiB scanned whatever the input's size.
pub(super) const SAMPLES: usize = 32;
const WINDOW: usize = 64 << 10;

/// Whether [`plan_start`] may find a start: a protocol-4 framed input of `min_len` bytes or
/// more (and at least 12).
pub(super) fn may_split(data: &[u8], min_len: usize) -> bool {
    data.len() >= min_len.max(12) && data[0] == PROTO && data[2] == FRAME
}

/// The byte at or past which [`plan_start`] places the tail's start (the reader's first check).
pub(super) fn floor(len: usize) -> usize {
    len / 64 * FLOOR_64THS
}

/// Work per item of each side, in ns of the thread's CPU: a trace tuple, a frame tuple.
/// Calibrated (tm22a, benches/scripts/tracemalloc/RESULTS.md) on each thread's CPU time with
/// the start forced to 32, 35, 38, 41 and 44/64 of f2-stem (deep tracebacks, nearly all new)
/// and real-scale2 (a real program's traces, few tracebacks): their counts of each item before
/// and after the start, 10 equations per side. Checked on the others, where the two threads'
/// CPU times cross at 38.9/64 (real-s2d350), 38.2 (f3-wide) and 36.1 (real-deep350): this
/// places 36.7, 37.9 and 35.0 (the fixed 35/64 before it: 3.9, 3.2 and 1.1 early). File names
/// (strings) as a third item were not kept: only the synthetic f2-stem and f3-wide have many,
/// at costs that disagree, and a 64 KiB window holds too few of them to weigh much.
pub(super) const HEAD_NS: [u64; 2] = [12, 21];
pub(super) const TAIL_NS: [u64; 2] = [18, 26];

/// Traces and frame tuples in a scan of opcodes from `p` (an opcode boundary) to `end` or to
/// the first opcode it does not know (a trace: `TUPLE` after an int, its `total_nframe`; a
/// frame: `TUPLE2` after an int, its line); and the bytes scanned.
fn count_items(data: &[u8], mut p: usize, end: usize) -> ([u64; 2], usize) {
    let begin = p;
    let mut n = [0u64; 2];
    let mut prev_int = false;
    while p < end {
        let op = data[p];
        let Some(len) = op_len(data, p) else { break };
        match op {
            TUPLE if prev_int => n[0] += 1,
            TUPLE2 if prev_int => n[1] += 1,
            _ => {}
        }
        prev_int = matches!(op, BININT1 | BININT2 | BININT);
        match p.checked_add(len) {
            Some(q) if q <= end => p = q,
            _ => break,
        }
    }
    (n, p - begin)
}

/// The length of the opcode at `p` with its argument, for what CPython writes in a snapshot;
/// None for anything else or past the input's end.
fn op_len(data: &[u8], p: usize) -> Option<usize> {
    let arg = |n: usize| -> Option<usize> {
        let b = data.get(p + 1..p + 1 + n)?;
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(b);
        usize::try_from(u64::from_le_bytes(a)).ok()
    };
    Some(match *data.get(p)? {
        MARK | TUPLE1 | TUPLE2 | TUPLE3 | TUPLE | EMPTY_TUPLE | MEMOIZE | NONE | NEWTRUE
        | NEWFALSE | APPENDS | APPEND | EMPTY_LIST | EMPTY_DICT | SETITEM | SETITEMS | LIST
        | DICT | POP | BUILD | NEWOBJ | STACK_GLOBAL => 1,
        BININT1 | BINGET | BINPUT => 2,
        BININT2 => 3,
        BININT | LONG_BINGET | LONG_BINPUT => 5,
        SHORT_BINUNICODE => 2 + arg(1)?,
        BINUNICODE => 5usize.checked_add(arg(4)?)?,
        BINUNICODE8 => 9usize.checked_add(arg(8)?)?,
        LONG1 => 2 + arg(1)?,
        LONG4 => 5usize.checked_add(arg(4)?)?,
        _ => return None,
    })
}

/// The body and end of the protocol-4 FRAME at `f`, if it fits in `data`.
fn frame_at(data: &[u8], f: usize) -> Option<(usize, usize)> {
    let len = u64::from_le_bytes(data.get(f + 1..f + 9)?.try_into().ok()?);
    let body = f + 9;
    let end = body.checked_add(usize::try_from(len).ok()?)?;
    (end <= data.len()).then_some((body, end))
}

/// Where the tail begins (see [`start_from`]), placed where the two cores' work is estimated
/// equal: [`SAMPLES`] windows are scanned ([`count_items`]), each in the frame found at the
/// middle of its part of the input ([`frame_near`]); each part is given its window's work per
/// byte on either side ([`HEAD_NS`], [`TAIL_NS`]), and the start is placed by [`balance`].
/// Run on the second core: the reader needs it only at [`floor`]. None as [`start_from`].
pub(super) fn plan_start(data: &[u8], min_len: usize) -> Option<(usize, usize)> {
    if !may_split(data, min_len) {
        return None;
    }
    let n = data.len();
    // Each part's window: items counted and bytes scanned.
    let mut per = [([0u64; 2], 0usize); SAMPLES];
    let mut scanned: Option<usize> = None;
    for k in 0..SAMPLES {
        let target = n / SAMPLES * k + n / SAMPLES / 2;
        per[k] = match frame_near(data, target) {
            // A frame that holds two middles is scanned once.
            Some((body, _)) if scanned == Some(body) => per[k - 1],
            Some((body, end)) => {
                scanned = Some(body);
                count_items(data, body, end.min(body.saturating_add(WINDOW)))
            }
            None => ([0; 2], 0),
        };
    }
    start_from(data, balance(n, &per))
}

/// How far past a byte [`frame_near`] looks for a FRAME header.
const SEEK: usize = 4 << 20;

/// The first FRAME header at or past `from` (within [`SEEK`] bytes) that fits the input and is
/// followed by up to two more that do, or by the input's end: its body and end. Found by its
/// bytes, not by the chain from the input's start (which would touch one page of the input
/// per frame: 4.5 K faults on a 290 MiB snapshot, on the second core's clock). A byte 0x95
/// inside a frame that passes for a header would only misplace a window (an estimate) or the
/// start, which the reader then passes or does not take over (see the module docs).
fn frame_near(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let stop = from.saturating_add(SEEK).min(data.len());
    let mut q = from;
    while q < stop {
        q += data.get(q..stop)?.iter().position(|&b| b == FRAME)?;
        let chained = |f: usize| -> bool {
            let mut at = f;
            for _ in 0..3 {
                match frame_at(data, at) {
                    Some((_, end)) if end == data.len() => return true,
                    Some((_, end)) if data[end] == FRAME => at = end,
                    _ => return false,
                }
            }
            true
        };
        if chained(q) {
            return frame_at(data, q);
        }
        q += 1;
    }
    None
}

/// The byte where the reader's estimated work before it equals the tail's after it, each part
/// of `n / SAMPLES` bytes (the last one to `n`) costing its window's items per byte scanned
/// (see [`plan_start`]); within [`floor`] and 56/64 of `n`, and 35/64 (m36's rule) when the
/// windows saw nothing.
pub(super) fn balance(n: usize, per: &[([u64; 2], usize); SAMPLES]) -> usize {
    let part = |k: usize| -> f64 {
        let lo = n / SAMPLES * k;
        let hi = if k + 1 == SAMPLES {
            n
        } else {
            lo + n / SAMPLES
        };
        (hi - lo) as f64
    };
    let density = |k: usize, ns: &[u64; 2]| -> f64 {
        let (items, bytes) = per[k];
        let work: u64 = items.iter().zip(ns).map(|(a, b)| a * b).sum();
        work as f64 / bytes.max(1) as f64
    };
    // Each part's work on either side (on the stack: 2 × 32 × 8 B).
    let head: [f64; SAMPLES] = std::array::from_fn(|k| density(k, &HEAD_NS) * part(k));
    let tail: [f64; SAMPLES] = std::array::from_fn(|k| density(k, &TAIL_NS) * part(k));
    let total_tail: f64 = tail.iter().sum();
    let mid = if total_tail + head.iter().sum::<f64>() <= 0.0 {
        n / 64 * 35
    } else {
        // The part where the head's work so far passes the tail's still to come; the byte
        // within it by linear interpolation.
        let (mut before, mut after) = (0.0, total_tail);
        let mut at = n;
        for k in 0..SAMPLES {
            let (h, t) = (head[k], tail[k]);
            if before + h >= after - t {
                let share = if h + t > 0.0 {
                    ((after - before) / (h + t)).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                at = n / SAMPLES * k + (share * part(k)) as usize;
                break;
            }
            before += h;
            after -= t;
        }
        at
    };
    mid.clamp(floor(n), n / 64 * CEIL_64THS)
}

/// Where the tail begins: just after the MARK of the first `APPENDS MARK` at or past byte
/// `mid`, and the end of the FRAME that holds it. None when anything on the way is not what CPython writes, or there is none
/// within 4 MiB.
pub(super) fn start_from(data: &[u8], mid: usize) -> Option<(usize, usize)> {
    if !may_split(data, 0) {
        return None;
    }
    // A frame that begins at most 128 KiB before that byte (found by its bytes, see
    // [`frame_near`]), else the frame that holds it, by the chain from the input's start.
    let (mut p, mut frame_end) = match frame_near(data, mid.saturating_sub(2 * WINDOW)) {
        Some((body, end)) if body <= mid => (body, end),
        _ => {
            let (mut p, mut frame_end) = frame_at(data, 2)?;
            while frame_end <= mid {
                if data.get(frame_end) != Some(&FRAME) {
                    return None;
                }
                (p, frame_end) = frame_at(data, frame_end)?;
            }
            (p, frame_end)
        }
    };
    // Skip opcodes (a scan, nothing kept) to the first APPENDS MARK past it.
    let limit = mid.saturating_add(4 << 20);
    while p < limit {
        if p == frame_end {
            if data.get(p) != Some(&FRAME) {
                return None;
            }
            (p, frame_end) = frame_at(data, p)?;
            continue;
        }
        let op = *data.get(p)?;
        if p >= mid && op == APPENDS && data.get(p + 1) == Some(&MARK) && p + 2 <= frame_end {
            return Some((p + 2, frame_end));
        }
        p = p.checked_add(op_len(data, p)?)?;
        if p > frame_end {
            return None;
        }
    }
    None
}

/// A memo reference kept symbolic: the index, and the tail's memo size when it was read (an
/// index in the tail's own part must be below it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct MemoRef {
    idx: u64,
    seen: u64,
}

/// A frame's file name: one the tail read itself, or a memo index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum File {
    Local(u32),
    Memo(u64),
}

#[derive(Clone, Copy, Debug)]
enum TbRef {
    Local(u32),
    Memo(MemoRef),
}

/// A value on the tail's stack.
#[derive(Clone, Copy, Debug)]
enum Sym {
    Int(i64),
    None,
    Str(u32),
    Ref(MemoRef),
    Frame(u32),
    Tb(u32),
    Trace {
        tb: TbRef,
        size: u64,
        domain: u64,
        total: u32,
    },
}

/// The traces of one traceback reference, folded.
#[derive(Clone, Copy, Debug)]
pub(super) struct RefAcc {
    size: u64,
    count: u64,
    total: u32,
    /// Two traces of this reference disagree on `total_nframe` (never in CPython's snapshots,
    /// which intern a traceback with it): the tail is then not used.
    pub(super) varies: bool,
    seen: u64,
}

/// What the tail read, up to the last whole batch. Counts and lengths are those at `end`.
pub(super) struct Tail<'a> {
    pub(super) start: usize,
    pub(super) start_frame_end: usize,
    /// Just after the last APPENDS read (`start` if none), and the frame end there.
    pub(super) end: usize,
    pub(super) end_frame_end: usize,
    strings: Vec<&'a [u8]>,
    string_index: StringIndex<'a>,
    /// Frames, and the tail's memo size when each was first read (for `File::Memo`).
    frames: Vec<(File, u32, u64)>,
    frame_index: FxHashMap<(File, u32), u32>,
    frame_hot: Hot<(File, u32)>,
    /// In front of `frame_index`: frames by file and line ([`Lines`]), files numbered densely.
    frame_lines: Lines,
    file_slots: FxHashMap<File, u32>,
    slot_hot: Hot<File>,
    /// `Tail::fast_traceback`'s frames by the bytes of their frame tuple (a memo reference
    /// stays symbolic here, so the same bytes always name the same frame).
    frame_words: Words,
    tb_offsets: Vec<u32>,
    tb_frames: Vec<u32>,
    tb_acc: Vec<TbAcc>,
    /// The traces of each traceback reference, in first-seen order, found by memo index.
    pub(super) refs: Vec<(u64, RefAcc)>,
    ref_index: FxHashMap<u64, u32>,
    ref_hot: Hot<u64>,
    memo: MemoTable,
    domains: Vec<DomainTotal>,
    /// The domain of the last trace folded (index into `domains`).
    last_domain: usize,
    traces: u64,
    with_total: u64,
    without_total: u64,
    truncated: u64,
    max_total: u64,
    /// Lengths at `end`: strings, frames, tracebacks, memo entries.
    pub(super) kept: (usize, usize, usize, u64),
}

impl<'a> Tail<'a> {
    /// Read from `start` (see the module docs) until the first thing that is not a batch of
    /// traces as CPython writes them, or until `cancel` is set (checked per batch).
    pub(super) fn read(
        data: &'a [u8],
        start: usize,
        frame_end: usize,
        cancel: &AtomicBool,
        forget_frames: bool,
        fast: bool,
    ) -> Tail<'a> {
        let mut t = Tail {
            start,
            start_frame_end: frame_end,
            end: start,
            end_frame_end: frame_end,
            strings: Vec::new(),
            string_index: StringIndex::default(),
            frames: Vec::new(),
            frame_index: FxHashMap::default(),
            frame_hot: Hot::default(),
            frame_lines: Lines::default(),
            file_slots: FxHashMap::default(),
            slot_hot: Hot::default(),
            frame_words: Words::default(),
            tb_offsets: vec![0],
            tb_frames: Vec::new(),
            tb_acc: Vec::new(),
            refs: Vec::new(),
            ref_index: FxHashMap::default(),
            ref_hot: Hot::default(),
            memo: MemoTable::default(),
            domains: Vec::new(),
            last_domain: 0,
            traces: 0,
            with_total: 0,
            without_total: 0,
            truncated: 0,
            max_total: 0,
            kept: (0, 0, 0, 0),
        };
        t.memo.forget_frames = forget_frames;
        // Reserved once for the rest of the input (`super::memo_bound`).
        t.memo
            .reserve(data.len().saturating_sub(start) / super::ENTRY_BYTES);
        let mut st = State {
            data,
            pos: start,
            frame_end,
            stack: Vec::new(),
            marks: vec![0],
            fast,
        };
        while !cancel.load(Ordering::Relaxed) && t.batch(&mut st).is_some() {}
        t.drop_indexes();
        t
    }

    /// Free what only reading needs (the tables that find a string, file, frame, frame tuple
    /// or traceback reference read before): `Reader::absorb` takes the tail over from its
    /// lists alone, and the reader and the tail's lists are at their largest then.
    fn drop_indexes(&mut self) {
        self.string_index = StringIndex::default();
        self.frame_index = FxHashMap::default();
        self.frame_hot = Hot::default();
        self.frame_lines = Lines::default();
        self.file_slots = FxHashMap::default();
        self.slot_hot = Hot::default();
        self.frame_words = Words::default();
        self.ref_index = FxHashMap::default();
        self.ref_hot = Hot::default();
    }

    /// One batch: traces up to APPENDS (folded there), then the next batch's MARK. None (the
    /// tail ends at the last APPENDS) at anything else.
    fn batch(&mut self, st: &mut State<'a>) -> Option<()> {
        loop {
            let at = st.pos;
            if at == st.frame_end {
                if *st.data.get(at)? != FRAME {
                    return None;
                }
                let len = u64::from_le_bytes(st.data.get(at + 1..at + 9)?.try_into().ok()?);
                let end = (at + 9).checked_add(usize::try_from(len).ok()?)?;
                if end > st.data.len() {
                    return None;
                }
                st.pos = at + 9;
                st.frame_end = end;
                continue;
            }
            let op = st.byte(at)?;
            st.pos = at + 1;
            match op {
                MARK => {
                    if let Some(v) = self.fast_trace(st, at) {
                        st.stack.push(v);
                    } else {
                        st.marks.push(st.stack.len());
                        if st.fast && !self.first_trace(st, at) {
                            self.fast_traceback(st);
                        }
                    }
                }
                BININT1 | BININT2 | BININT => {
                    let mut p = at;
                    let v = small_int(st.data, &mut p)?;
                    st.check(p)?;
                    st.pos = p;
                    st.stack.push(Sym::Int(v));
                }
                NONE => st.stack.push(Sym::None),
                SHORT_BINUNICODE | BINUNICODE => {
                    let (n, head) = if op == SHORT_BINUNICODE {
                        (st.byte(at + 1)? as usize, 2)
                    } else {
                        let b = st.data.get(at + 1..at + 5)?;
                        (u32::from_le_bytes(b.try_into().ok()?) as usize, 5)
                    };
                    let end = (at + head).checked_add(n)?;
                    st.check(end)?;
                    let s = &st.data[at + head..end];
                    st.pos = end;
                    let next = self.strings.len() as u32;
                    let id = *self.string_index.entry(s).or_insert(next);
                    if id == next {
                        self.strings.push(s);
                    }
                    st.stack.push(Sym::Str(id));
                }
                BINGET | LONG_BINGET => {
                    let (idx, p) = if op == BINGET {
                        (st.byte(at + 1)? as u64, at + 2)
                    } else {
                        let b = st.data.get(at + 1..at + 5)?;
                        (u32::from_le_bytes(b.try_into().ok()?) as u64, at + 5)
                    };
                    st.check(p)?;
                    st.pos = p;
                    let r = MemoRef {
                        idx,
                        seen: self.memo.len(),
                    };
                    // `name lineno TUPLE2`: a frame whose file is a memo reference.
                    let mut q = p;
                    if let Some(line) = small_int(st.data, &mut q) {
                        if st.data.get(q) == Some(&TUPLE2) && q < st.frame_end {
                            let line = u32::try_from(line).ok()?;
                            st.pos = q + 1;
                            let f = self.intern_frame(File::Memo(r.idx), line);
                            st.stack.push(Sym::Frame(f));
                            continue;
                        }
                    }
                    st.stack.push(Sym::Ref(r));
                }
                MEMOIZE => {
                    let m = match *st.stack.last()? {
                        Sym::Str(s) => Memo::Str(s),
                        Sym::Frame(f) => Memo::Frame(f),
                        Sym::Tb(t) => Memo::Tb(t),
                        Sym::Trace { .. } => Memo::Trace,
                        _ => return None,
                    };
                    self.memo.memoize(m);
                }
                TUPLE1 | TUPLE2 | TUPLE3 | TUPLE => {
                    let start = if op == TUPLE {
                        if st.marks.len() < 2 {
                            return None;
                        }
                        st.marks.pop()?
                    } else {
                        let n = (op - TUPLE1 + 1) as usize;
                        let floor = *st.marks.last()?;
                        if st.stack.len() < floor + n {
                            return None;
                        }
                        st.stack.len() - n
                    };
                    let v = self.tuple(&st.stack[start..])?;
                    st.stack.truncate(start);
                    st.stack.push(v);
                }
                APPENDS => {
                    if st.marks.len() != 1 {
                        return None;
                    }
                    for v in &st.stack {
                        let Sym::Trace { .. } = v else {
                            return None;
                        };
                    }
                    for i in 0..st.stack.len() {
                        if let Sym::Trace {
                            tb,
                            size,
                            domain,
                            total,
                        } = st.stack[i]
                        {
                            self.fold(tb, size, domain, total);
                        }
                    }
                    st.stack.clear();
                    self.end = st.pos;
                    self.end_frame_end = st.frame_end;
                    self.kept = (
                        self.strings.len(),
                        self.frames.len(),
                        self.tb_acc.len(),
                        self.memo.len(),
                    );
                    // The next batch's MARK, in this frame.
                    if st.pos < st.frame_end && st.data.get(st.pos) == Some(&MARK) {
                        st.pos += 1;
                        return Some(());
                    }
                    return None;
                }
                _ => return None,
            }
        }
    }

    /// `domain size BINGET total TUPLE MEMOIZE` after a MARK at `at`, as CPython 3.9+ writes a
    /// trace whose traceback was written before (small-int opcodes, NONE for no total).
    #[inline]
    fn fast_trace(&mut self, st: &mut State<'a>, at: usize) -> Option<Sym> {
        let d = st.data;
        let mut p = at + 1;
        let domain = u64::try_from(small_int(d, &mut p)?).ok()?;
        let size = u64::try_from(small_int(d, &mut p)?).ok()?;
        let idx = memo_get(d, &mut p)?;
        let r = MemoRef {
            idx,
            seen: self.memo.len(),
        };
        let total = if *d.get(p)? == NONE {
            p += 1;
            NO_TOTAL
        } else {
            u32::try_from(small_int(d, &mut p)?)
                .ok()
                .filter(|&n| n != NO_TOTAL)?
        };
        if *d.get(p)? != TUPLE || *d.get(p + 1)? != MEMOIZE || p + 2 > st.frame_end {
            return None;
        }
        st.pos = p + 2;
        self.memo.memoize(Memo::Trace);
        Some(Sym::Trace {
            tb: TbRef::Memo(r),
            size,
            domain,
            total,
        })
    }

    /// After a trace's MARK (pushed) at `at`: the first trace of a traceback, `domain size MARK
    /// frames… TUPLE MEMOIZE total TUPLE MEMOIZE`, its opcodes run as the loop runs them (the
    /// reader's `first_trace`), stopping before anything else with the stack as the loop would
    /// have it there. False if it took nothing.
    fn first_trace(&mut self, st: &mut State<'a>, at: usize) -> bool {
        let data = st.data;
        let d = &data[..st.frame_end.min(data.len()).max(at + 1)];
        let mut p = at + 1;
        let (Some(domain), Some(size)) = (small_int(d, &mut p), small_int(d, &mut p)) else {
            return false;
        };
        if d.get(p) != Some(&MARK) {
            return false;
        }
        st.stack.push(Sym::Int(domain));
        st.stack.push(Sym::Int(size));
        st.marks.push(st.stack.len());
        st.pos = p + 1;
        let marks = st.marks.len();
        self.fast_traceback(st);
        // Closed: its mark taken, the traceback on the stack; then MEMOIZE, the total, TUPLE
        // (a trace, or the loop stops there too), MEMOIZE.
        let Some(&Sym::Tb(tb)) = st.stack.last().filter(|_| st.marks.len() + 1 == marks) else {
            return true;
        };
        let mut p = st.pos;
        if d.get(p) != Some(&MEMOIZE) {
            return true;
        }
        p += 1;
        let total = if d.get(p) == Some(&NONE) {
            p += 1;
            Sym::None
        } else {
            match small_int(d, &mut p) {
                Some(n) => Sym::Int(n),
                None => return true,
            }
        };
        if d.get(p) != Some(&TUPLE) || d.get(p + 1) != Some(&MEMOIZE) {
            return true;
        }
        let Some(v) = trace(domain, size, Sym::Tb(tb), Some(total)) else {
            return true;
        };
        let Some(start) = st.marks.pop() else {
            return true;
        };
        self.memo.memoize(Memo::Tb(tb));
        st.stack.truncate(start);
        st.stack.push(v);
        self.memo.memoize(Memo::Trace);
        st.pos = p + 2;
        true
    }

    /// Just after a MARK (pushed): a traceback's frames `BINGET(file name) lineno TUPLE2
    /// MEMOIZE` in one loop, then its `TUPLE`, as the opcode loop would read them (the reader's
    /// `fast_traceback`); at anything else, the frames read so far go on the stack and the
    /// opcode loop goes on from there.
    fn fast_traceback(&mut self, st: &mut State<'a>) {
        let d = st.data;
        // Not a frame tuple first (a trace's MARK, whose fields follow): nothing to do here.
        if !matches!(d.get(st.pos), Some(&(BINGET | LONG_BINGET))) {
            return;
        }
        // One frame tuple is at most 12 bytes: a loop that starts one only 12 bytes or more
        // before the end of the frame (or the input) reads within it.
        let limit = st.frame_end.min(d.len());
        let first = self.tb_frames.len();
        // The frames go to a local vector (put back below), whose length stays in a register.
        let mut frames = std::mem::take(&mut self.tb_frames);
        let mut p = st.pos;
        loop {
            // Frames whose bytes were read before, in the inner loop; then one frame at a time
            // through the file slots and the frame tables, until it is not a frame tuple.
            p = known_frames(&d[..limit], p, &self.frame_words, &mut frames);
            let Some(w) = d[..limit].get(p..p + 12) else {
                break;
            };
            let w: &[u8; 12] = w.try_into().expect("12 bytes");
            let Some((idx, line, len)) = frame_tuple(w) else {
                break;
            };
            let f = self.intern_frame(File::Memo(idx), line);
            frames.push(f);
            self.frame_words.put(w, len, f);
            p += len;
        }
        self.tb_frames = frames;
        st.pos = p;
        let n = self.tb_frames.len() - first;
        // Their MEMOIZEs together (a memo reference here is kept symbolic, checked when the
        // reader takes the tail over: one to an entry made in this loop fails either way).
        self.memo.memoize_frames(&self.tb_frames[first..]);
        if n > 0 && p < limit && d[p] == TUPLE {
            if let Ok(end) = u32::try_from(self.tb_frames.len()) {
                // The traceback's TUPLE: the mark just pushed, and nothing above it but these.
                st.marks.pop();
                st.pos = p + 1;
                let id = self.tb_acc.len() as u32;
                self.tb_offsets.push(end);
                self.tb_acc.push(TbAcc::kept(n));
                st.stack.push(Sym::Tb(id));
                return;
            }
        }
        let frames = self.tb_frames.drain(first..).map(Sym::Frame);
        st.stack.extend(frames);
    }

    #[inline]
    fn intern_frame(&mut self, file: File, line: u32) -> u32 {
        let slot = self.file_slot(file);
        self.intern_frame_in(slot, file, line)
    }

    /// [`Tail::intern_frame`] of a file whose slot is known.
    #[inline]
    fn intern_frame_in(&mut self, slot: u32, file: File, line: u32) -> u32 {
        match self.frame_lines.get(slot, line) {
            Line::Known(id) => id,
            Line::New(at) => {
                let id = self.frames.len() as u32;
                self.frames.push((file, line, self.memo.len()));
                self.frame_lines.set(at, line, id);
                id
            }
            Line::Hashed => self.intern_hashed_frame(file, line),
        }
    }

    /// The dense number of a file (by first use) for [`Lines`], through a direct-mapped cache.
    #[inline]
    fn file_slot(&mut self, file: File) -> u32 {
        let h = match file {
            File::Local(s) => s as u64 ^ 1 << 63,
            File::Memo(idx) => idx,
        };
        if let Some(s) = self.slot_hot.get(h, file) {
            return s;
        }
        let next = self.file_slots.len() as u32;
        let s = *self.file_slots.entry(file).or_insert(next);
        self.slot_hot.set(h, file, s);
        s
    }

    /// [`Tail::intern_frame`] for a frame the dense tables do not hold.
    #[cold]
    fn intern_hashed_frame(&mut self, file: File, line: u32) -> u32 {
        let h = match file {
            File::Local(s) => s as u64 ^ 1 << 63,
            File::Memo(idx) => idx,
        }
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ line as u64;
        if let Some(id) = self.frame_hot.get(h, (file, line)) {
            return id;
        }
        let next = self.frames.len() as u32;
        let id = *self.frame_index.entry((file, line)).or_insert(next);
        if id == next {
            self.frames.push((file, line, self.memo.len()));
        }
        self.frame_hot.set(h, (file, line), id);
        id
    }

    /// A tuple of the kinds CPython writes in a traces list: a frame, a traceback (frames), a
    /// trace. None for anything else.
    fn tuple(&mut self, items: &[Sym]) -> Option<Sym> {
        match *items {
            [Sym::Str(s), Sym::Int(line)] => Some(Sym::Frame(
                self.intern_frame(File::Local(s), u32::try_from(line).ok()?),
            )),
            [Sym::Ref(r), Sym::Int(line)] => Some(Sym::Frame(
                self.intern_frame(File::Memo(r.idx), u32::try_from(line).ok()?),
            )),
            [Sym::Int(domain), Sym::Int(size), tb] => trace(domain, size, tb, None),
            [Sym::Int(domain), Sym::Int(size), tb, total] => trace(domain, size, tb, Some(total)),
            [_, ..] if items.iter().all(|v| matches!(v, Sym::Frame(_))) => {
                let id = self.tb_acc.len() as u32;
                for v in items {
                    if let Sym::Frame(f) = *v {
                        self.tb_frames.push(f);
                    }
                }
                self.tb_offsets
                    .push(u32::try_from(self.tb_frames.len()).ok()?);
                self.tb_acc.push(TbAcc::kept(items.len()));
                Some(Sym::Tb(id))
            }
            _ => None,
        }
    }

    fn fold(&mut self, tb: TbRef, size: u64, domain: u64, total: u32) {
        self.traces += 1;
        if total == NO_TOTAL {
            self.without_total += 1;
        } else {
            self.with_total += 1;
            self.max_total = self.max_total.max(total as u64);
        }
        match tb {
            TbRef::Local(t) => {
                let acc = &mut self.tb_acc[t as usize];
                acc.size = acc.size.wrapping_add(size);
                acc.count += 1;
                if total != NO_TOTAL && total as u64 > acc.kept {
                    self.truncated += 1;
                }
            }
            TbRef::Memo(r) => {
                let k = match self.ref_hot.get(r.idx, r.idx) {
                    Some(k) => k,
                    None => {
                        let next = self.refs.len() as u32;
                        let k = *self.ref_index.entry(r.idx).or_insert(next);
                        if k == next {
                            self.refs.push((
                                r.idx,
                                RefAcc {
                                    size: 0,
                                    count: 0,
                                    total,
                                    varies: false,
                                    seen: r.seen,
                                },
                            ));
                        }
                        self.ref_hot.set(r.idx, r.idx, k);
                        k
                    }
                };
                let acc = &mut self.refs[k as usize].1;
                acc.size = acc.size.wrapping_add(size);
                acc.count += 1;
                acc.varies |= acc.total != total;
            }
        }
        // Nearly every trace is in the domain of the one before.
        if !matches!(self.domains.get(self.last_domain), Some(d) if d.domain == domain) {
            self.last_domain = match self.domains.iter().position(|d| d.domain == domain) {
                Some(k) => k,
                None => {
                    self.domains.push(DomainTotal {
                        domain,
                        size: 0,
                        count: 0,
                    });
                    self.domains.len() - 1
                }
            };
        }
        let d = &mut self.domains[self.last_domain];
        d.size = d.size.wrapping_add(size);
        d.count += 1;
    }

    /// Traces the tail read (whole batches).
    pub(super) fn traces(&self) -> u64 {
        self.traces
    }

    /// Entries the reading indexes hold room for (the tests' way in): none once read.
    #[cfg(test)]
    pub(super) fn index_room(&self) -> usize {
        self.string_index.capacity()
            + self.frame_index.capacity()
            + self.frame_hot.slots.len()
            + self.frame_lines.files.capacity()
            + self.file_slots.capacity()
            + self.slot_hot.slots.len()
            + self.frame_words.room()
            + self.ref_index.capacity()
            + self.ref_hot.slots.len()
    }

    /// Bytes reserved for its memo blocks (the tests' way in).
    #[cfg(test)]
    pub(super) fn reserved_bytes(&self) -> usize {
        self.memo.blocks_capacity() * 32
    }
}

fn trace(domain: i64, size: i64, tb: Sym, total: Option<Sym>) -> Option<Sym> {
    let tb = match tb {
        Sym::Tb(t) => TbRef::Local(t),
        Sym::Ref(r) => TbRef::Memo(r),
        _ => return None,
    };
    let total = match total {
        None | Some(Sym::None) => NO_TOTAL,
        Some(Sym::Int(n)) => u32::try_from(n).ok().filter(|&n| n != NO_TOTAL)?,
        Some(_) => return None,
    };
    Some(Sym::Trace {
        tb,
        size: u64::try_from(size).ok()?,
        domain: u64::try_from(domain).ok()?,
        total,
    })
}

/// The tail's reading position and stack (`marks[0]`: the batch's MARK).
struct State<'a> {
    data: &'a [u8],
    pos: usize,
    frame_end: usize,
    stack: Vec<Sym>,
    marks: Vec<usize>,
    /// Read a traceback's frames in one loop (`Tail::fast_traceback`); off only in tests.
    fast: bool,
}

impl State<'_> {
    #[inline]
    fn byte(&self, at: usize) -> Option<u8> {
        self.data.get(at).copied()
    }
    /// An opcode ending at `end` must end within the current frame and the input.
    #[inline]
    fn check(&self, end: usize) -> Option<()> {
        (end <= self.frame_end && end <= self.data.len()).then_some(())
    }
}

impl<'a> Reader<'a> {
    /// Take over what `t` read, if it is exactly what reading on from here would do (see the
    /// module docs); true if it was taken (the reader is then at `t.end`). Called with the
    /// reader at `t.start`.
    pub(super) fn absorb(&mut self, t: &mut Tail<'a>) -> bool {
        // The state the tail assumed: a MARK just pushed above the traces list, same frame,
        // every memo entry made in order.
        let list = match (self.marks.last(), self.stack.last(), self.trace_list) {
            (Some(&m), Some(&super::Value::List(l)), Some(tl))
                if m == self.stack.len() && l == tl =>
            {
                l
            }
            _ => return false,
        };
        if self.pos != t.start || self.frame_end != t.start_frame_end || !self.memo.is_sequential()
        {
            return false;
        }
        if t.end == t.start {
            return false;
        }
        let base = self.memo.len();
        let (n_strings, n_frames, n_tbs, n_memo) = t.kept;
        let tbs_before = self.snap.traceback_count() as u64;
        if tbs_before + n_tbs as u64 >= super::value::NO_TB as u64 {
            return false;
        }
        // What a memo reference names: an entry of the reader's below the base (Ok), else the
        // tail's own (Err), which must have been made before the reference was read.
        let memo = &self.memo;
        let lookup = |r: MemoRef| -> Option<Result<Memo, Memo>> {
            if r.idx < base {
                Some(Ok(memo.get(r.idx)))
            } else {
                let u = r.idx - base;
                (u < r.seen && u < n_memo).then(|| Err(t.memo.get(u)))
            }
        };
        // Check and resolve everything before changing anything. A file name: the reader's
        // string (Ok) or the tail's (Err); a traceback: the reader's (Ok) or the tail's (Err).
        let mut files: Vec<Result<u32, u32>> = Vec::with_capacity(n_frames);
        for &(file, _, seen) in &t.frames[..n_frames] {
            files.push(match file {
                File::Local(s) => Err(s),
                File::Memo(idx) => match lookup(MemoRef { idx, seen }) {
                    Some(Ok(Memo::Str(g))) => Ok(g),
                    Some(Err(Memo::Str(s))) => Err(s),
                    _ => return false,
                },
            });
        }
        // The traceback each reference names (its totals stay in `t.refs`: 8 B per reference
        // here instead of a copy of 40). Each is a memo lookup, most of them cache misses
        // (the reader's memo, by index): from `SPLIT_REFS` on, half of them on the other
        // core, idle meanwhile.
        let resolve = |refs: &[(u64, RefAcc)]| -> Option<Vec<Result<u32, u32>>> {
            let mut out = Vec::with_capacity(refs.len());
            // Folded in any order: sums and counts only.
            for &(idx, ref acc) in refs {
                if acc.varies {
                    return None;
                }
                out.push(
                    match lookup(MemoRef {
                        idx,
                        seen: acc.seen,
                    }) {
                        Some(Ok(Memo::Tb(g))) => Ok(g),
                        Some(Err(Memo::Tb(l))) => Err(l),
                        _ => return None,
                    },
                );
            }
            Some(out)
        };
        let refs = if t.refs.len() < SPLIT_REFS {
            resolve(&t.refs)
        } else {
            let (a, b) = t.refs.split_at(t.refs.len() / 2);
            std::thread::scope(|s| {
                let second = s.spawn(|| resolve(b));
                let first = resolve(a);
                let second = second
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                let mut refs = first?;
                refs.extend(second?);
                Some(refs)
            })
        };
        let Some(refs) = refs else {
            return false;
        };
        // Taken: file names, frames and tracebacks in the tail's order, as one pass would
        // have interned them.
        let mut strings: Vec<u32> = Vec::with_capacity(n_strings);
        // At most that many more (a count read: one table growth, not several rehashes).
        self.string_index.reserve(n_strings);
        for &s in &t.strings[..n_strings] {
            let next = self.snap.strings.len() as u32;
            let id = *self.string_index.entry(s).or_insert(next);
            if id == next {
                self.snap.strings.push(s);
            }
            strings.push(id);
        }
        let mut frames: Vec<u32> = Vec::with_capacity(n_frames);
        for (k, &(_, lineno, _)) in t.frames[..n_frames].iter().enumerate() {
            let file = files[k].unwrap_or_else(|s| strings[s as usize]);
            frames.push(self.intern_frame(super::Frame { file, lineno }));
        }
        // The tail's frames (32 B each) and their files are now `frames` (4 B each): freed
        // before the memo entries are appended.
        drop(files);
        t.frames = Vec::new();
        // The tail's traceback frames, renumbered in place, are moved in (the reader's own
        // become the snapshot's head: 4 B per frame, the largest table of the read, is not
        // copied), or appended when there is a head already; so are its tracebacks' totals
        // (24 B per traceback). From `SPLIT_FRAMES` frames on, the frames are renumbered and
        // the memo entries appended on the other core while this one takes the tracebacks
        // and the traces over (apart: neither touches what the other does).
        let mut moved = std::mem::take(&mut t.tb_frames);
        moved.truncate(t.tb_offsets[n_tbs] as usize);
        let base = self.snap.frames_len();
        let other_core = moved.len() >= SPLIT_FRAMES;
        let tb0 = tbs_before as u32;
        let (memo, tail_memo) = (&mut self.memo, &t.memo);
        let (strings, frames) = (&strings, &frames);
        let mut moved_in = || {
            renumber(&mut moved, frames);
            memo.append(
                tail_memo,
                n_memo,
                |m| match m {
                    Memo::Str(s) => Memo::Str(strings[s as usize]),
                    Memo::Frame(f) => Memo::Frame(frames[f as usize]),
                    Memo::Tb(l) => Memo::Tb(tb0 + l),
                    other => other,
                },
                |f| frames[f as usize],
            );
        };
        let mut taken = || {
            self.snap
                .tb_offsets
                .extend(t.tb_offsets[1..=n_tbs].iter().map(|&end| base + end as u64));
            let mut accs = std::mem::take(&mut t.tb_acc);
            accs.truncate(n_tbs);
            if self.tb_acc_head.is_empty() {
                self.tb_acc_head = std::mem::replace(&mut self.tb_acc, accs);
            } else {
                self.tb_acc.extend_from_slice(&accs);
            }
            // The tail's tracebacks are the reader's now.
            t.tb_offsets = Vec::new();
            for (&tb, (_, r)) in refs.iter().zip(&t.refs) {
                let tb = tb.unwrap_or_else(|l| tb0 + l);
                let acc = super::acc_in(&mut self.tb_acc_head, &mut self.tb_acc, tb);
                acc.size = acc.size.wrapping_add(r.size);
                acc.count += r.count;
                if r.total != NO_TOTAL && r.total as u64 > acc.kept {
                    self.snap.truncated += r.count;
                }
            }
            // Folded.
            t.refs = Vec::new();
            t.ref_index = FxHashMap::default();
            for d in &t.domains {
                match self.snap.domains.iter_mut().find(|x| x.domain == d.domain) {
                    Some(x) => {
                        x.size = x.size.wrapping_add(d.size);
                        x.count += d.count;
                    }
                    None => self.snap.domains.push(*d),
                }
            }
            self.snap.traces += t.traces;
            self.snap.traces_with_total += t.with_total;
            self.snap.traces_without_total += t.without_total;
            self.snap.truncated += t.truncated;
            self.snap.max_total_nframe = self.snap.max_total_nframe.max(t.max_total);
            self.list_len[list as usize] += t.traces;
        };
        if other_core {
            std::thread::scope(|s| {
                s.spawn(moved_in);
                taken();
            });
        } else {
            moved_in();
            taken();
        }
        if self.snap.tb_frames_head.is_empty() {
            self.snap.tb_frames_head = std::mem::replace(&mut self.snap.tb_frames, moved);
        } else {
            self.snap.tb_frames.extend_from_slice(&moved);
        }
        self.marks.pop();
        self.pos = t.end;
        self.frame_end = t.end_frame_end;
        true
    }
}

/// Tail traceback references from which [`Reader::absorb`] resolves them on two cores (the
/// tests' small pickles take that way too).
const SPLIT_REFS: usize = if cfg!(test) { 16 } else { 1 << 16 };
/// Tail traceback frames from which [`Reader::absorb`] renumbers them on the other core.
const SPLIT_FRAMES: usize = if cfg!(test) { 64 } else { 1 << 20 };

/// Each of `ids` (the tail's frame ids) through `frames` (its frames' ids in the reader).
#[inline(never)]
fn renumber(ids: &mut [u32], frames: &[u32]) {
    for f in ids {
        *f = frames[*f as usize];
    }
}
