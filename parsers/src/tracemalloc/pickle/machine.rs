//! The stack machine: reads the pickle opcode by opcode (bounds-checked against the bytes left),
//! keeps the stack and its MARKs, reads the usual 3.9+ trace in one step and a traceback's
//! frame tuples in one loop (`fast_traceback`: about 85 % of a deep snapshot's bytes), and
//! resolves GLOBAL / STACK_GLOBAL to tracemalloc's two classes and nothing else. What a value
//! becomes is left to `extract` and `memo`.

use super::memo::Memo;
use super::opcodes::*;
use super::value::{foreign_class, two_kinds, Trace, Value, NO_TB, NO_TOTAL};
use super::words::known_frames;
use super::{Class, Reader, Res};
use crate::error::span;
use crate::{Expected, Fail};

impl<'a> Reader<'a> {
    /// A read of `n` bytes at `pos` against the current protocol-4 frame, as Python's
    /// unpickler reads: a read that starts where the frame ends leaves the frame; one that
    /// starts inside it must end inside it ("pickle exhausted before end of frame").
    #[inline]
    fn in_frame(&mut self, n: usize) -> Res<()> {
        if self.pos + n > self.frame_end {
            if self.pos >= self.frame_end {
                self.frame_end = usize::MAX;
            } else {
                return Err(Fail::at(
                    self.pos,
                    Expected::fmt(
                        "a read of {} bytes that ends within its FRAME (the frame ends at byte {})",
                        "",
                        &[n as u64, self.frame_end as u64],
                    ),
                ));
            }
        }
        Ok(())
    }

    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Res<&'a [u8]> {
        self.in_frame(n)?;
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(Fail::at(
                self.pos,
                Expected::fmt(
                    "{s}: {} bytes, but the input ends after {} (truncated file?)",
                    what,
                    &[n as u64, left as u64],
                ),
            ));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    #[inline]
    fn u8(&mut self, what: &'static str) -> Res<u8> {
        Ok(self.take(1, what)?[0])
    }
    #[inline]
    fn u16(&mut self, what: &'static str) -> Res<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    #[inline]
    fn u32(&mut self, what: &'static str) -> Res<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    #[inline]
    fn u64(&mut self, what: &'static str) -> Res<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    #[inline]
    fn pop(&mut self, at: usize) -> Res<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(Fail::at(at, "a value on the stack (the stack is empty)"));
        }
        Ok(self.stack.pop().expect("checked above"))
    }

    fn pop_mark(&mut self, at: usize) -> Res<usize> {
        self.marks
            .pop()
            .ok_or_else(|| Fail::at(at, "a MARK before this opcode"))
    }

    pub(super) fn run(&mut self) -> Res<Value> {
        loop {
            let at = self.pos;
            if at >= self.split_at {
                // At the floor: the start the second core placed (which is at or past it),
                // waited for only if it is not there yet.
                if let Some(rx) = self.start.take() {
                    use std::sync::mpsc::TryRecvError;
                    let start = match rx.try_recv() {
                        Ok(start) => start,
                        Err(TryRecvError::Empty) => {
                            self.steps.step("read: head, to the floor");
                            let start = rx.recv().ok().flatten();
                            self.steps.step("wait for the tail's start");
                            start
                        }
                        Err(TryRecvError::Disconnected) => None,
                    };
                    match start {
                        Some((s, _)) => self.split_at = s,
                        None => {
                            self.split_at = usize::MAX;
                            self.tail = None;
                        }
                    }
                    continue;
                }
                // Exactly where the second core began: take what it read, if it holds; past
                // it (not an opcode boundary here), stop it.
                let exact = at == self.split_at;
                self.split_at = usize::MAX;
                self.cancel
                    .store(!exact, std::sync::atomic::Ordering::Relaxed);
                let rx = self.tail.take().filter(|_| exact);
                // This thread's own CPU time too: the balance, whatever else runs on the host.
                let cpu = crate::timing::thread_cpu() - self.cpu_at_start;
                self.steps.step(&format!(
                    "read: head, to the tail's start ({cpu:.3} s thread CPU)"
                ));
                if let Some(mut t) = rx.and_then(|rx| rx.recv().ok()) {
                    self.steps.step("wait for the tail");
                    if self.absorb(&mut t) {
                        self.tail_traces = t.traces();
                        self.steps.step("absorb the tail");
                        continue;
                    }
                }
            }
            let op = self.u8("an opcode")?;
            match op {
                PROTO => {
                    let p = self.u8("the protocol number")?;
                    if !(2..=5).contains(&p) {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("pickle protocol 2 to 5, not {}", "", &[p.into()]),
                        ));
                    }
                    self.snap.protocol = p;
                }
                FRAME => {
                    if self.frame_end != usize::MAX && self.pos < self.frame_end {
                        return Err(Fail::at(
                            at,
                            "the end of the current frame before a new FRAME begins",
                        ));
                    }
                    // The frame must fit in what is left.
                    let n = self.u64("a frame length")?;
                    let left = (self.data.len() - self.pos) as u64;
                    if n > left {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("a frame of {} bytes, but the input ends after {} (truncated file?)", "", &[n, left]),
                        ));
                    }
                    self.frame_end = self.pos + n as usize;
                }
                STOP => {
                    let v = self.pop(at)?;
                    return Ok(v);
                }
                MARK => {
                    // Nearly every MARK opens a 3.9+ trace tuple: read it in one step when it has
                    // the usual shape, else take the opcodes one by one.
                    if let Some(v) = self.fast_trace(at) {
                        self.stack.push(v);
                        // CPython memoizes every trace tuple at once: take the MEMOIZE here when
                        // it lies within the current frame (or no frame), as the loop would.
                        if self.data.get(self.pos) == Some(&MEMOIZE) && self.pos < self.frame_end {
                            self.pos += 1;
                            self.memo.memoize(Memo::Trace);
                        }
                    } else {
                        self.marks.push(self.stack.len());
                        // Else nearly every MARK opens the first trace of a traceback, or the
                        // traceback (frames whose file names are in the memo): read them, and
                        // its TUPLE, in one loop.
                        if !self.first_trace(at)? {
                            self.fast_traceback()?;
                        }
                    }
                }
                POP => {
                    self.pop(at)?;
                }
                BININT1 => {
                    let v = self.u8("a 1-byte int")?;
                    self.stack.push(Value::Int(v as i64));
                }
                BININT2 => {
                    let v = self.u16("a 2-byte int")?;
                    self.stack.push(Value::Int(v as i64));
                }
                BININT => {
                    let v = self.u32("a 4-byte int")? as i32;
                    self.stack.push(Value::Int(v as i64));
                }
                LONG1 | LONG4 => {
                    let n = if op == LONG1 {
                        self.u8("a LONG1 length")? as usize
                    } else {
                        self.u32("a LONG4 length")? as usize
                    };
                    if n > 8 {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("an int of at most 8 bytes, not {}", "", &[n as u64]),
                        ));
                    }
                    let b = self.take(n, "the int's bytes")?;
                    let mut v: i64 = 0;
                    for (i, &byte) in b.iter().enumerate() {
                        v |= (byte as i64) << (8 * i);
                    }
                    if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 {
                        v -= 1i64 << (8 * n); // two's complement sign
                    }
                    self.stack.push(Value::Int(v));
                }
                NONE => self.stack.push(Value::None),
                NEWTRUE => self.stack.push(Value::Bool(true)),
                NEWFALSE => self.stack.push(Value::Bool(false)),
                SHORT_BINUNICODE | BINUNICODE | BINUNICODE8 => {
                    let n = match op {
                        SHORT_BINUNICODE => self.u8("a string length")? as u64,
                        BINUNICODE => self.u32("a string length")? as u64,
                        _ => self.u64("a string length")?,
                    };
                    let left = (self.data.len() - self.pos) as u64;
                    if n > left {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("a string of {} bytes, but the input ends after {} (truncated file?)", "", &[n, left]),
                        ));
                    }
                    let s = self.take(n as usize, "the string's bytes")?;
                    let next = self.snap.strings.len() as u32;
                    let id = *self.string_index.entry(s).or_insert(next);
                    if id == next {
                        self.snap.strings.push(s);
                    }
                    self.stack.push(Value::Str(id));
                }
                EMPTY_TUPLE => self.stack.push(Value::EmptyTuple),
                TUPLE1 | TUPLE2 | TUPLE3 => {
                    let n = (op - TUPLE1 + 1) as usize;
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + n {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("{} values on the stack for a tuple", "", &[n as u64]),
                        ));
                    }
                    let start = self.stack.len() - n;
                    let v = self.tuple(start, at)?;
                    self.stack.truncate(start);
                    self.stack.push(v);
                }
                TUPLE => {
                    let start = self.pop_mark(at)?;
                    let v = self.tuple(start, at)?;
                    self.stack.truncate(start);
                    self.stack.push(v);
                }
                EMPTY_LIST => {
                    let id = self.list_len.len() as u32;
                    self.list_len.push(0);
                    self.stack.push(Value::List(id));
                }
                LIST => {
                    let start = self.pop_mark(at)?;
                    let id = self.list_len.len() as u32;
                    self.list_len.push(0);
                    self.extend_list(id, start, at)?;
                    self.stack.truncate(start);
                    self.stack.push(Value::List(id));
                }
                APPEND => {
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + 2 {
                        return Err(Fail::at(at, "a list and an item on the stack"));
                    }
                    let start = self.stack.len() - 1;
                    let list = self.list_at(start - 1, at)?;
                    self.extend_list(list, start, at)?;
                    self.stack.truncate(start);
                }
                APPENDS => {
                    let start = self.pop_mark(at)?;
                    if start == 0 || start <= self.marks.last().copied().unwrap_or(0) {
                        return Err(Fail::at(at, "a list below the MARK"));
                    }
                    let list = self.list_at(start - 1, at)?;
                    self.extend_list(list, start, at)?;
                    self.stack.truncate(start);
                }
                EMPTY_DICT => {
                    let id = self.dict_count;
                    self.dict_count += 1;
                    self.stack.push(Value::Dict(id));
                }
                DICT => {
                    let start = self.pop_mark(at)?;
                    let id = self.dict_count;
                    self.dict_count += 1;
                    self.set_items(id, start, at)?;
                    self.stack.truncate(start);
                    self.stack.push(Value::Dict(id));
                }
                SETITEM => {
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + 3 {
                        return Err(Fail::at(at, "a dict, a key and a value on the stack"));
                    }
                    let start = self.stack.len() - 2;
                    let dict = self.dict_at(start - 1, at)?;
                    self.set_items(dict, start, at)?;
                    self.stack.truncate(start);
                }
                SETITEMS => {
                    let start = self.pop_mark(at)?;
                    if start == 0 || start <= self.marks.last().copied().unwrap_or(0) {
                        return Err(Fail::at(at, "a dict below the MARK"));
                    }
                    let dict = self.dict_at(start - 1, at)?;
                    self.set_items(dict, start, at)?;
                    self.stack.truncate(start);
                }
                MEMOIZE => {
                    let v = *self
                        .stack
                        .last()
                        .ok_or_else(|| Fail::at(at, "a value to memoize"))?;
                    let m = self.memo_entry(v);
                    self.memo.memoize(m);
                }
                BINPUT | LONG_BINPUT => {
                    let idx = if op == BINPUT {
                        self.u8("a memo index")? as u64
                    } else {
                        self.u32("a memo index")? as u64
                    };
                    let v = *self
                        .stack
                        .last()
                        .ok_or_else(|| Fail::at(at, "a value to memoize"))?;
                    let m = self.memo_entry(v);
                    self.put(idx, m);
                }
                BINGET | LONG_BINGET => {
                    let idx = if op == BINGET {
                        self.u8("a memo index")? as u64
                    } else {
                        self.u32("a memo index")? as u64
                    };
                    let v = self.get(idx, at)?;
                    // A file name fetched from the memo nearly always starts a frame tuple.
                    if let Value::Str(file) = v {
                        if let Some(f) = self.fast_frame(file) {
                            self.stack.push(f);
                            continue;
                        }
                    }
                    self.stack.push(v);
                }
                GLOBAL => {
                    let module = self.line("a module name")?;
                    let name = self.line("a class name")?;
                    let c = resolve(self.data, module, name, at)?;
                    self.stack.push(Value::Class(c));
                }
                STACK_GLOBAL => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    let (Value::Str(m), Value::Str(n)) = (module, name) else {
                        return Err(Fail::at(at, "two strings (module, name) for STACK_GLOBAL"));
                    };
                    let c = resolve(
                        self.data,
                        self.snap.strings[m as usize],
                        self.snap.strings[n as usize],
                        at,
                    )?;
                    self.stack.push(Value::Class(c));
                }
                NEWOBJ => {
                    let args = self.pop(at)?;
                    let cls = self.pop(at)?;
                    let Value::Class(c) = cls else {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("a class for NEWOBJ, not {s}", cls.what(), &[]),
                        ));
                    };
                    if !matches!(args, Value::EmptyTuple) {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("no arguments for NEWOBJ, not {s}", args.what(), &[]),
                        ));
                    }
                    let id = self.objs.len() as u32;
                    self.objs.push((c, None));
                    self.stack.push(Value::Obj(id));
                }
                BUILD => {
                    let state = self.pop(at)?;
                    let obj = *self
                        .stack
                        .last()
                        .ok_or_else(|| Fail::at(at, "an object to BUILD"))?;
                    let (Value::Obj(o), Value::Dict(d)) = (obj, state) else {
                        return Err(Fail::at(
                            at,
                            Expected::Quote(two_kinds, [obj.kind(), state.kind(), 0]),
                        ));
                    };
                    self.objs[o as usize].1 = Some(d);
                }
                other => {
                    let what = match opcode_name(other) {
                        Some(name) => Expected::fmt(
                            "an opcode a tracemalloc snapshot uses, not {s} (0x{x}); heapscope reads data and never runs pickled code",
                            name,
                            &[other.into()],
                        ),
                        None => Expected::fmt("a pickle opcode, not byte 0x{x}", "", &[other.into()]),
                    };
                    return Err(Fail::at(at, what));
                }
            }
        }
    }

    /// After a file name at `self.pos`: `lineno TUPLE2` with a small-int opcode (BININT1/2,
    /// BININT), exactly as CPython writes each frame of a traceback. Returns the frame and moves
    /// past TUPLE2, or None (nothing consumed) for any other shape or a negative line; the
    /// generic path then reads the same bytes and reports any error.
    #[inline]
    fn fast_frame(&mut self, file: u32) -> Option<Value> {
        let start = self.pos;
        let mut p = start;
        let line = small_int(self.data, &mut p)?;
        if *self.data.get(p)? != TUPLE2 {
            return None;
        }
        p += 1;
        let lineno = u32::try_from(line).ok()?;
        // A frame boundary inside: the opcode-by-opcode path judges its reads exactly.
        if self.frame_end > start && self.frame_end < p {
            return None;
        }
        self.pos = p;
        let f = self.intern_frame(super::Frame { file, lineno });
        // CPython memoizes every frame tuple at once: take the MEMOIZE here when it lies
        // within the current frame (or no frame), as the loop would.
        if self.data.get(p) == Some(&MEMOIZE) && p < self.frame_end {
            self.pos = p + 1;
            self.memo.memoize(Memo::Frame(f));
        }
        Some(Value::Frame(f))
    }

    /// Just after a MARK (pushed): the frames of a traceback as CPython writes them, each
    /// `BINGET(file name) lineno TUPLE2 MEMOIZE` (LONG_BINGET, BININT1/2 or BININT), read in one
    /// loop straight into the snapshot's traceback frames, then its `TUPLE`: the traceback, as
    /// the opcode-by-opcode path would make it (the same frames interned, memo entries and
    /// value). It stops at anything else — a file name read for the first time, a negative line,
    /// a memo entry that is not a string, 12 bytes or less before the end of the current
    /// protocol-4 frame, of the input or of the second core's start — and leaves the frames it
    /// read on the stack (as the opcode loop would have them), so that path goes on from there
    /// and judges what follows exactly.
    fn fast_traceback(&mut self) -> Res<()> {
        // Not a frame tuple first (a trace's MARK, whose fields follow): nothing to do here.
        if !self.fast_tracebacks
            || !matches!(self.data.get(self.pos), Some(&(BINGET | LONG_BINGET)))
        {
            return Ok(());
        }
        // Once an entry was put out of order, an index may name another entry later: no
        // table by bytes from then on.
        let cached = self.memo.is_sequential();
        let d = self.data;
        // One frame tuple is at most 12 bytes (LONG_BINGET 5, BININT 5, TUPLE2, MEMOIZE): a
        // loop that starts one only 12 bytes or more before the limit reads within it.
        let limit = self.frame_end.min(d.len()).min(self.split_at);
        let first = self.snap.tb_frames.len();
        // The frames go to a local vector (put back below), whose length stays in a register.
        let mut frames = std::mem::take(&mut self.snap.tb_frames);
        let mut p = self.pos;
        loop {
            // Frames whose bytes were read before, in the inner loop; then one frame at a time
            // through the memo and the frame tables, until it is not a frame tuple.
            if cached {
                p = known_frames(&d[..limit], p, &self.frame_words, &mut frames);
            }
            let Some(w) = d[..limit].get(p..p + 12) else {
                break;
            };
            let w: &[u8; 12] = w.try_into().expect("12 bytes");
            let Some((idx, line, len)) = frame_tuple(w) else {
                break;
            };
            // The frames' MEMOIZEs are made together below: a file name is never one of them.
            let Memo::Str(file) = self.memo.get_hot(idx) else {
                break;
            };
            let f = self.intern_frame(super::Frame { file, lineno: line });
            frames.push(f);
            if cached {
                self.frame_words.put(w, len, f);
            }
            p += len;
        }
        self.snap.tb_frames = frames;
        self.pos = p;
        let n = self.snap.tb_frames.len() - first;
        self.memo.memoize_frames(&self.snap.tb_frames[first..]);
        if n > 0 && p < limit && d[p] == TUPLE && self.snap.traceback_count() < NO_TB as usize {
            // The traceback's TUPLE: the mark just pushed, and nothing above it but these.
            self.marks.pop();
            self.pos = p + 1;
            let v = self.close_traceback(n);
            self.stack.push(v);
            return Ok(());
        }
        // Anything else: the frames go on the stack, for the opcode loop.
        let frames = self.snap.tb_frames.drain(first..).map(Value::Frame);
        self.stack.extend(frames);
        Ok(())
    }

    /// After a trace's MARK (pushed) at `at`: the first trace of a traceback as CPython 3.9+
    /// writes it, `domain size MARK frames… TUPLE MEMOIZE total_nframe TUPLE MEMOIZE` (small-int
    /// opcodes, NONE for no total), its opcodes run as the loop runs them, without the loop:
    /// the two ints and the MARK, the traceback (`fast_traceback`), then, if that closed it, its
    /// MEMOIZE, the total, the trace's TUPLE and MEMOIZE. It stops before anything else (or
    /// anything not wholly before the end of the current protocol-4 frame, of the input or the
    /// second core's start), with the stack as the loop would have it there, so that the loop
    /// goes on from there and judges what follows exactly. False if it took nothing (not that
    /// shape's first opcodes).
    fn first_trace(&mut self, at: usize) -> Res<bool> {
        if !self.fast_tracebacks {
            return Ok(false);
        }
        let limit = self.frame_end.min(self.data.len()).min(self.split_at);
        let d = &self.data[..limit.max(at + 1)];
        let mut p = at + 1;
        let (Some(domain), Some(size)) = (small_int(d, &mut p), small_int(d, &mut p)) else {
            return Ok(false);
        };
        if d.get(p) != Some(&MARK) {
            return Ok(false);
        }
        self.stack.push(Value::Int(domain));
        self.stack.push(Value::Int(size));
        self.marks.push(self.stack.len());
        self.pos = p + 1;
        let marks = self.marks.len();
        self.fast_traceback()?;
        // Closed: its mark taken, the traceback on the stack.
        let Some(&Value::Tb(tb)) = self.stack.last().filter(|_| self.marks.len() + 1 == marks)
        else {
            return Ok(true);
        };
        let mut p = self.pos;
        if d.get(p) != Some(&MEMOIZE) {
            return Ok(true);
        }
        p += 1;
        let total = if d.get(p) == Some(&NONE) {
            p += 1;
            Value::None
        } else {
            match small_int(d, &mut p) {
                Some(n) => Value::Int(n),
                None => return Ok(true),
            }
        };
        if d.get(p) != Some(&TUPLE) || d.get(p + 1) != Some(&MEMOIZE) {
            return Ok(true);
        }
        // MEMOIZE, the total, TUPLE (the four items above the trace's mark: a trace, checked
        // as `tuple` checks it), MEMOIZE.
        self.memo.memoize(Memo::Tb(tb));
        let v = self.trace(domain, size, Value::Tb(tb), Some(total), p)?;
        let start = self.pop_mark(p)?;
        self.stack.truncate(start);
        self.stack.push(v);
        self.memo.memoize(Memo::Trace);
        self.pos = p + 2;
        Ok(true)
    }

    /// After a MARK at `at`: `domain size BINGET(traceback) total_nframe TUPLE` with small-int
    /// opcodes (BININT1/2, BININT, NONE), exactly as CPython 3.9+ writes a trace. Returns the trace
    /// and moves past TUPLE, or None (nothing consumed) for any other shape; the generic path then
    /// reads the same bytes and reports any error.
    #[inline]
    fn fast_trace(&mut self, at: usize) -> Option<Value> {
        let d = self.data;
        let mut p = at + 1;
        let int = |p: &mut usize| small_int(d, p);
        let domain = u64::try_from(int(&mut p)?).ok()?;
        let size = u64::try_from(int(&mut p)?).ok()?;
        let idx = memo_get(d, &mut p)?;
        let Memo::Tb(tb) = self.memo.get_hot(idx) else {
            return None;
        };
        let total = if *d.get(p)? == NONE {
            p += 1;
            NO_TOTAL
        } else {
            u32::try_from(int(&mut p)?)
                .ok()
                .filter(|&n| n != NO_TOTAL)?
        };
        if *d.get(p)? != TUPLE {
            return None;
        }
        // A frame boundary inside the tuple: the opcode-by-opcode path judges its reads exactly.
        if self.frame_end > at + 1 && self.frame_end < p + 1 {
            return None;
        }
        self.pos = p + 1;
        Some(Value::Trace(Trace {
            size,
            domain,
            tb,
            total,
        }))
    }

    fn line(&mut self, what: &'static str) -> Res<&'a [u8]> {
        let rest = &self.data[self.pos..];
        // Module and class names are short; do not scan a huge input for a newline.
        let window = &rest[..rest.len().min(1024)];
        match window.iter().position(|&b| b == b'\n') {
            Some(n) => {
                self.in_frame(n + 1)?;
                let s = &rest[..n];
                self.pos += n + 1;
                Ok(s)
            }
            None => Err(Fail::at(
                self.pos,
                Expected::fmt("{s} ending in a newline", what, &[]),
            )),
        }
    }

    fn list_at(&self, i: usize, at: usize) -> Res<u32> {
        match self.stack[i] {
            Value::List(l) => Ok(l),
            v => Err(Fail::at(
                at,
                Expected::fmt("a list to append to, not {s}", v.what(), &[]),
            )),
        }
    }

    fn dict_at(&self, i: usize, at: usize) -> Res<u32> {
        match self.stack[i] {
            Value::Dict(d) => Ok(d),
            v => Err(Fail::at(
                at,
                Expected::fmt("a dict to set items in, not {s}", v.what(), &[]),
            )),
        }
    }
}

/// A BININT1, BININT2 or BININT at `*p`: its value, and `*p` moved past it; None for any other
/// opcode or too few bytes (`*p` unchanged).
#[inline(always)]
pub(super) fn small_int(d: &[u8], p: &mut usize) -> Option<i64> {
    let (n, v) = match *d.get(*p)? {
        BININT1 => (1, *d.get(*p + 1)? as i64),
        BININT2 => (
            2,
            u16::from_le_bytes(d.get(*p + 1..*p + 3)?.try_into().ok()?) as i64,
        ),
        BININT => (
            4,
            i32::from_le_bytes(d.get(*p + 1..*p + 5)?.try_into().ok()?) as i64,
        ),
        _ => return None,
    };
    *p += 1 + n;
    Some(v)
}

/// A frame tuple as CPython writes each frame of a traceback, at the start of `w`:
/// `BINGET|LONG_BINGET(file name) BININT1|BININT2|BININT(line ≥ 0) TUPLE2 MEMOIZE`. The memo
/// index, the line and the tuple's length in bytes (≤ 12); None for any other bytes.
///
/// The usual shapes (a BINGET or LONG_BINGET, then a BININT1 or BININT2) are told apart by the
/// first byte, then checked as one masked word each: the line's opcode picks the mask and the
/// bytes it must hold (no branch on it: BININT1 and BININT2 lines alternate unpredictably);
/// anything else goes to [`frame_tuple_slow`].
#[inline(always)]
pub(super) fn frame_tuple(w: &[u8; 12]) -> Option<(u64, u32, usize)> {
    let x = u64::from_le_bytes(w[..8].try_into().expect("8 bytes"));
    // Bytes as a word: byte `i` of the tuple is bits 8i..8i+8.
    const fn word(bytes: [u8; 8]) -> u64 {
        u64::from_le_bytes(bytes)
    }
    let ok = if w[0] == LONG_BINGET {
        // LONG_BINGET i i i i, BININT1 l TUPLE2 MEMOIZE | BININT2 l l TUPLE2 MEMOIZE.
        let two = w[5] == BININT2;
        let (mask, want) = if two {
            (
                word([0xff, 0, 0, 0, 0, 0xff, 0, 0]),
                word([LONG_BINGET, 0, 0, 0, 0, BININT2, 0, 0]),
            )
        } else {
            (
                word([0xff, 0, 0, 0, 0, 0xff, 0, 0xff]),
                word([LONG_BINGET, 0, 0, 0, 0, BININT1, 0, TUPLE2]),
            )
        };
        let y = u16::from_le_bytes([w[8], w[9]]);
        let (ymask, ywant) = if two {
            (0xffff, u16::from_le_bytes([TUPLE2, MEMOIZE]))
        } else {
            (0x00ff, MEMOIZE as u16)
        };
        let line = (x >> 48) as u32 & if two { 0xffff } else { 0xff };
        ((x & mask == want) & (y & ymask == ywant)).then_some((
            (x >> 8) as u32 as u64,
            line,
            9 + two as usize,
        ))
    } else {
        // BINGET i, BININT1 l TUPLE2 MEMOIZE | BININT2 l l TUPLE2 MEMOIZE.
        let two = w[2] == BININT2;
        let (mask, want) = if two {
            (
                word([0xff, 0, 0xff, 0, 0, 0xff, 0xff, 0]),
                word([BINGET, 0, BININT2, 0, 0, TUPLE2, MEMOIZE, 0]),
            )
        } else {
            (
                word([0xff, 0, 0xff, 0, 0xff, 0xff, 0, 0]),
                word([BINGET, 0, BININT1, 0, TUPLE2, MEMOIZE, 0, 0]),
            )
        };
        let line = (x >> 24) as u32 & if two { 0xffff } else { 0xff };
        (x & mask == want).then_some(((x >> 8) & 0xff, line, 6 + two as usize))
    };
    match ok {
        Some(t) => Some(t),
        None => frame_tuple_slow(w),
    }
}

/// [`frame_tuple`] opcode by opcode, every shape (the one it leaves: a BININT line).
#[inline(never)]
pub(super) fn frame_tuple_slow(w: &[u8; 12]) -> Option<(u64, u32, usize)> {
    let (idx, q) = match w[0] {
        BINGET => (w[1] as u64, 2),
        LONG_BINGET => (u32::from_le_bytes([w[1], w[2], w[3], w[4]]) as u64, 5),
        _ => return None,
    };
    let (line, r) = match w[q] {
        BININT1 => (w[q + 1] as u32, q + 2),
        BININT2 => (u16::from_le_bytes([w[q + 1], w[q + 2]]) as u32, q + 3),
        BININT => (
            u32::try_from(i32::from_le_bytes([w[q + 1], w[q + 2], w[q + 3], w[q + 4]])).ok()?,
            q + 5,
        ),
        _ => return None,
    };
    (w[r] == TUPLE2 && w[r + 1] == MEMOIZE).then_some((idx, line, r + 2))
}

/// A BINGET or LONG_BINGET at `*p`: the memo index it reads, and `*p` moved past it; None for
/// any other opcode or too few bytes (`*p` unchanged).
#[inline(always)]
pub(super) fn memo_get(d: &[u8], p: &mut usize) -> Option<u64> {
    let (n, idx) = match *d.get(*p)? {
        BINGET => (1, *d.get(*p + 1)? as u64),
        LONG_BINGET => (
            4,
            u32::from_le_bytes(d.get(*p + 1..*p + 5)?.try_into().ok()?) as u64,
        ),
        _ => return None,
    };
    *p += 1 + n;
    Some(idx)
}

/// `module` and `name` are slices of `data` (the names are quoted from it at the edge).
fn resolve(data: &[u8], module: &[u8], name: &[u8], at: usize) -> Res<Class> {
    match (module, name) {
        (b"tracemalloc", b"Snapshot") => Ok(Class::Snapshot),
        (b"tracemalloc", b"_Traces") => Ok(Class::Traces),
        _ => {
            let within = |s: &[u8]| {
                span(
                    s.as_ptr() as usize - data.as_ptr() as usize,
                    s.len().min(200),
                )
            };
            Err(Fail::at(
                at,
                Expected::Quote(foreign_class, [within(module), within(name), 0]),
            ))
        }
    }
}
