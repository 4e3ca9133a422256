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
//! memo keeps only a bit per trace tuple (`MemoTable`).
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

use std::collections::HashMap;

use crate::error::{quote, span};
use crate::{Expected, Fail};

/// A failure is a [`Fail`]: the byte offset of the opcode (or field) and what was expected there.
type Res<T> = Result<T, Fail>;

/// A frame: interned file name and line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    pub file: u32,
    pub lineno: u32,
}

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
    /// Traceback `t` is `tb_frames[tb_offsets[t]..tb_offsets[t + 1]]`, most recent call first.
    pub tb_offsets: Vec<u64>,
    pub tb_frames: Vec<u32>,
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

impl Snapshot<'_> {
    pub fn traceback_count(&self) -> usize {
        self.tb_offsets.len().saturating_sub(1)
    }
    /// Frames of traceback `t`, most recent call first.
    pub fn traceback(&self, t: u32) -> &[u32] {
        let (a, b) = (self.tb_offsets[t as usize], self.tb_offsets[t as usize + 1]);
        &self.tb_frames[a as usize..b as usize]
    }
    pub fn file_name(&self, s: u32) -> String {
        String::from_utf8_lossy(self.strings[s as usize]).into_owned()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Snapshot,
    Traces,
}

#[derive(Clone, Copy, Debug)]
struct Trace {
    size: u64,
    domain: u64,
    /// u32::MAX: the empty tuple.
    tb: u32,
    /// u32::MAX: not recorded (3.8).
    total: u32,
}

/// A value on the stack. Tuples are classified when built; anything else is an error.
#[derive(Clone, Copy, Debug)]
enum Value {
    None,
    Bool(bool),
    Int(i64),
    Str(u32),
    Frame(u32),
    Tb(u32),
    EmptyTuple,
    Trace(Trace),
    List(u32),
    Dict(u32),
    Class(Class),
    Obj(u32),
}

/// What each kind of value is called in errors, by [`Value::kind`].
const KINDS: [&str; 12] = [
    "None",
    "a bool",
    "an int",
    "a str",
    "a frame tuple",
    "a traceback tuple",
    "an empty tuple",
    "a trace tuple",
    "a list",
    "a dict",
    "a class",
    "an object",
];

impl Value {
    fn kind(&self) -> u64 {
        match self {
            Value::None => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Str(_) => 3,
            Value::Frame(_) => 4,
            Value::Tb(_) => 5,
            Value::EmptyTuple => 6,
            Value::Trace(_) => 7,
            Value::List(_) => 8,
            Value::Dict(_) => 9,
            Value::Class(_) => 10,
            Value::Obj(_) => 11,
        }
    }
    fn what(&self) -> &'static str {
        kind_name(self.kind())
    }
}

fn kind_name(k: u64) -> &'static str {
    KINDS.get(k as usize).copied().unwrap_or("?")
}

// Errors naming more than one kind, or a name read from the file, are written at the edge
// ([`Expected::Quote`]) from kinds and byte ranges.

/// BUILD's operands: `[object kind, state kind, _]`.
fn two_kinds(_: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str("an object and its state dict for BUILD, not ");
    out.push_str(kind_name(n[0]));
    out.push_str(" and ");
    out.push_str(kind_name(n[1]));
}

/// The objects `finish` looks for, by index in `[what, kind, _]` of [`named_kind`].
const FINISHED: [&str; 2] = ["a tracemalloc.Snapshot", "a tracemalloc._Traces"];

fn what_index(what: &str) -> u64 {
    FINISHED.iter().position(|&w| w == what).unwrap_or(0) as u64
}

/// `[index into FINISHED, kind, _]`.
fn named_kind(_: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str(FINISHED.get(n[0] as usize).copied().unwrap_or("?"));
    out.push_str(", not ");
    out.push_str(kind_name(n[1]));
}

/// A tuple of no known shape: `[items, kinds of the first five (4 bits each), _]`.
fn tuple_shape(_: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str(
        "a frame (filename, lineno), a traceback (frames…) or a trace (domain, size, frames[, total_nframe]); found a tuple of ",
    );
    let items = n[0];
    out.push_str(&items.to_string());
    out.push_str(" items (");
    for i in 0..items.min(5) {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(kind_name(n[1] >> (4 * i) & 0xf));
    }
    if items > 5 {
        out.push_str(", …");
    }
    out.push(')');
}

/// A class other than tracemalloc's: `[span of the module name, span of the class name, _]`.
fn foreign_class(input: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str("a tracemalloc class (tracemalloc.Snapshot or tracemalloc._Traces), not ");
    quote(input, n[0], out);
    out.push('.');
    quote(input, n[1], out);
    out.push_str("; heapscope never imports or calls what a pickle names");
}

/// A memo entry in 8 bytes.
#[derive(Clone, Copy, Debug)]
enum Memo {
    Unset,
    /// A trace tuple: never fetched again by tracemalloc's pickles, so not kept.
    Trace,
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

const NO_TB: u32 = u32::MAX;
const NO_TOTAL: u32 = u32::MAX;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: MemoTable,
    ints: Vec<i64>,
    string_index: HashMap<&'a [u8], u32>,
    frame_index: HashMap<Frame, u32>,
    /// Number of items appended per list (lists hold only traces here).
    list_len: Vec<u64>,
    trace_list: Option<u32>,
    dict_items: Vec<(u32, u32, Value)>,
    dict_count: u32,
    objs: Vec<(Class, Option<u32>)>,
    snap: Snapshot<'a>,
    empty_tb: Option<u32>,
}

/// Read a `tracemalloc.Snapshot` pickle.
pub fn read(data: &[u8]) -> Result<Snapshot<'_>, Fail> {
    let mut r = Reader {
        data,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: MemoTable::default(),
        ints: Vec::new(),
        string_index: HashMap::new(),
        frame_index: HashMap::new(),
        list_len: Vec::new(),
        trace_list: None,
        dict_items: Vec::new(),
        dict_count: 0,
        objs: Vec::new(),
        snap: Snapshot {
            tb_offsets: vec![0],
            ..Snapshot::default()
        },
        empty_tb: None,
    };
    let top = r.run()?;
    r.finish(top)
}

// Opcode bytes (pickletools' names).
const MARK: u8 = b'(';
const STOP: u8 = b'.';
const POP: u8 = b'0';
const BININT: u8 = b'J';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const NONE: u8 = b'N';
const BINUNICODE: u8 = b'X';
const APPEND: u8 = b'a';
const BUILD: u8 = b'b';
const GLOBAL: u8 = b'c';
const DICT: u8 = b'd';
const EMPTY_DICT: u8 = b'}';
const APPENDS: u8 = b'e';
const BINGET: u8 = b'h';
const LONG_BINGET: u8 = b'j';
const LIST: u8 = b'l';
const EMPTY_LIST: u8 = b']';
const BINPUT: u8 = b'q';
const LONG_BINPUT: u8 = b'r';
const SETITEM: u8 = b's';
const TUPLE: u8 = b't';
const EMPTY_TUPLE: u8 = b')';
const SETITEMS: u8 = b'u';
const PROTO: u8 = 0x80;
const NEWOBJ: u8 = 0x81;
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const LONG1: u8 = 0x8a;
const LONG4: u8 = 0x8b;
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE8: u8 = 0x8d;
const STACK_GLOBAL: u8 = 0x93;
const MEMOIZE: u8 = 0x94;
const FRAME: u8 = 0x95;

fn opcode_name(op: u8) -> Option<&'static str> {
    Some(match op {
        b'R' => "REDUCE",
        b'i' => "INST",
        b'o' => "OBJ",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x92 => "NEWOBJ_EX",
        b'I' => "INT",
        b'L' => "LONG",
        b'F' => "FLOAT",
        b'G' => "BINFLOAT",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        b'g' => "GET",
        b'p' => "PUT",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        _ => return None,
    })
}

impl<'a> Reader<'a> {
    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Res<&'a [u8]> {
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

    fn run(&mut self) -> Res<Value> {
        loop {
            let at = self.pos;
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
                    // A framing hint; the frame must fit in what is left.
                    let n = self.u64("a frame length")?;
                    let left = (self.data.len() - self.pos) as u64;
                    if n > left {
                        return Err(Fail::at(
                            at,
                            Expected::fmt("a frame of {} bytes, but the input ends after {} (truncated file?)", "", &[n, left]),
                        ));
                    }
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
                    } else {
                        self.marks.push(self.stack.len());
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

    /// After a MARK at `at`: `domain size BINGET(traceback) total_nframe TUPLE` with small-int
    /// opcodes (BININT1/2, BININT, NONE), exactly as CPython 3.9+ writes a trace. Returns the trace
    /// and moves past TUPLE, or None (nothing consumed) for any other shape; the generic path then
    /// reads the same bytes and reports any error.
    #[inline]
    fn fast_trace(&mut self, at: usize) -> Option<Value> {
        let d = self.data;
        let mut p = at + 1;
        let int = |p: &mut usize| -> Option<i64> {
            let op = *d.get(*p)?;
            let (n, v) = match op {
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
        };
        let domain = u64::try_from(int(&mut p)?).ok()?;
        let size = u64::try_from(int(&mut p)?).ok()?;
        let idx = match *d.get(p)? {
            BINGET => {
                p += 2;
                *d.get(p - 1)? as u64
            }
            LONG_BINGET => {
                p += 5;
                u32::from_le_bytes(d.get(p - 4..p)?.try_into().ok()?) as u64
            }
            _ => return None,
        };
        let Memo::Tb(tb) = self.memo.get(idx) else {
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

    /// Append `stack[start..]` to `list`: every item must be a trace, folded into its traceback.
    fn extend_list(&mut self, list: u32, start: usize, at: usize) -> Res<()> {
        if start == self.stack.len() {
            return Ok(());
        }
        match self.trace_list {
            None => self.trace_list = Some(list),
            Some(l) if l == list => {}
            Some(_) => {
                return Err(Fail::at(
                    at,
                    "a single list of traces (this is a second one)",
                ))
            }
        }
        for i in start..self.stack.len() {
            let Value::Trace(t) = self.stack[i] else {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "a trace tuple (domain, size, frames[, total_nframe]) in the list, not {s}",
                        self.stack[i].what(),
                        &[],
                    ),
                ));
            };
            let tb = if t.tb == NO_TB {
                self.snap.empty_tracebacks += 1;
                self.empty_traceback()
            } else {
                t.tb
            };
            self.snap.tb_size[tb as usize] += t.size;
            self.snap.tb_count[tb as usize] += 1;
            self.snap.traces += 1;
            if t.total == NO_TOTAL {
                self.snap.traces_without_total += 1;
            } else {
                self.snap.traces_with_total += 1;
                let kept =
                    self.snap.tb_offsets[tb as usize + 1] - self.snap.tb_offsets[tb as usize];
                if t.total as u64 > kept {
                    self.snap.truncated += 1;
                }
                self.snap.max_total_nframe = self.snap.max_total_nframe.max(t.total as u64);
            }
            match self.snap.domains.iter_mut().find(|d| d.domain == t.domain) {
                Some(d) => {
                    d.size += t.size;
                    d.count += 1;
                }
                None => self.snap.domains.push(DomainTotal {
                    domain: t.domain,
                    size: t.size,
                    count: 1,
                }),
            }
        }
        self.list_len[list as usize] += (self.stack.len() - start) as u64;
        Ok(())
    }

    /// CPython itself records a frame it cannot name as `("<unknown>", 0)`; an empty traceback
    /// is shown the same way.
    fn empty_traceback(&mut self) -> u32 {
        if let Some(t) = self.empty_tb {
            return t;
        }
        let s = self.intern_str(b"<unknown>");
        let f = self.intern_frame(Frame { file: s, lineno: 0 });
        let t = self.push_traceback(&[f]);
        self.empty_tb = Some(t);
        t
    }

    fn intern_str(&mut self, s: &'static [u8]) -> u32 {
        let next = self.snap.strings.len() as u32;
        let id = *self.string_index.entry(s).or_insert(next);
        if id == next {
            self.snap.strings.push(s);
        }
        id
    }

    fn intern_frame(&mut self, f: Frame) -> u32 {
        let next = self.snap.frames.len() as u32;
        let id = *self.frame_index.entry(f).or_insert(next);
        if id == next {
            self.snap.frames.push(f);
        }
        id
    }

    fn push_traceback(&mut self, frames: &[u32]) -> u32 {
        let id = self.snap.traceback_count() as u32;
        self.snap.tb_frames.extend_from_slice(frames);
        self.snap.tb_offsets.push(self.snap.tb_frames.len() as u64);
        self.snap.tb_size.push(0);
        self.snap.tb_count.push(0);
        id
    }

    fn set_items(&mut self, dict: u32, start: usize, at: usize) -> Res<()> {
        let n = self.stack.len() - start;
        if n & 1 == 1 {
            return Err(Fail::at(at, "key/value pairs (an odd number of items)"));
        }
        for i in (start..self.stack.len()).step_by(2) {
            let Value::Str(k) = self.stack[i] else {
                return Err(Fail::at(
                    at,
                    Expected::fmt("a str key, not {s}", self.stack[i].what(), &[]),
                ));
            };
            let v = self.stack[i + 1];
            self.dict_items.push((dict, k, v));
        }
        Ok(())
    }

    /// Classify the tuple `stack[start..]`.
    fn tuple(&mut self, start: usize, at: usize) -> Res<Value> {
        let items = &self.stack[start..];
        match *items {
            [] => Ok(Value::EmptyTuple),
            [Value::Str(file), Value::Int(line)] => {
                let lineno = u32::try_from(line).map_err(|_| {
                    Fail::at(
                        at,
                        Expected::fmt(
                            "a line number from 0 to 2^32-1, not {i}",
                            "",
                            &[line as u64],
                        ),
                    )
                })?;
                Ok(Value::Frame(self.intern_frame(Frame { file, lineno })))
            }
            [Value::Int(domain), Value::Int(size), frames] => {
                self.trace(domain, size, frames, None, at)
            }
            [Value::Int(domain), Value::Int(size), frames, total] => {
                self.trace(domain, size, frames, Some(total), at)
            }
            _ if items.iter().all(|v| matches!(v, Value::Frame(_))) => {
                let id = self.snap.traceback_count() as u32;
                if id == NO_TB {
                    return Err(Fail::at(at, "fewer than 2^32-1 tracebacks"));
                }
                for v in items {
                    if let Value::Frame(f) = *v {
                        self.snap.tb_frames.push(f);
                    }
                }
                self.snap.tb_offsets.push(self.snap.tb_frames.len() as u64);
                self.snap.tb_size.push(0);
                self.snap.tb_count.push(0);
                Ok(Value::Tb(id))
            }
            _ => {
                // The kinds of the first five items, four bits each.
                let kinds = items
                    .iter()
                    .take(5)
                    .enumerate()
                    .fold(0u64, |k, (i, v)| k | v.kind() << (4 * i));
                Err(Fail::at(
                    at,
                    Expected::Quote(tuple_shape, [items.len() as u64, kinds, 0]),
                ))
            }
        }
    }

    fn trace(
        &self,
        domain: i64,
        size: i64,
        frames: Value,
        total: Option<Value>,
        at: usize,
    ) -> Res<Value> {
        let size = u64::try_from(size).map_err(|_| {
            Fail::at(
                at,
                Expected::fmt("a block size ≥ 0, not {i}", "", &[size as u64]),
            )
        })?;
        let domain = u64::try_from(domain).map_err(|_| {
            Fail::at(
                at,
                Expected::fmt("a domain ≥ 0, not {i}", "", &[domain as u64]),
            )
        })?;
        let tb = match frames {
            Value::Tb(t) => t,
            Value::EmptyTuple => NO_TB,
            v => {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "a traceback tuple as the trace's frames, not {s}",
                        v.what(),
                        &[],
                    ),
                ))
            }
        };
        let total = match total {
            None => NO_TOTAL,
            // Tracebacks recorded before 3.9's total_nframe, or by code that leaves it out.
            Some(Value::None) => NO_TOTAL,
            Some(Value::Int(n)) => u32::try_from(n)
                .ok()
                .filter(|&n| n != NO_TOTAL)
                .ok_or_else(|| {
                    Fail::at(
                        at,
                        Expected::fmt("total_nframe from 0 to 2^32-2, not {i}", "", &[n as u64]),
                    )
                })?,
            Some(v) => {
                return Err(Fail::at(
                    at,
                    Expected::fmt("an int total_nframe, not {s}", v.what(), &[]),
                ))
            }
        };
        Ok(Value::Trace(Trace {
            size,
            domain,
            tb,
            total,
        }))
    }

    fn memo_entry(&mut self, v: Value) -> Memo {
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

    fn put(&mut self, idx: u64, m: Memo) {
        self.memo.put(idx, m);
    }

    fn get(&self, idx: u64, at: usize) -> Res<Value> {
        let m = self.memo.get(idx);
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

    fn dict_get(&self, dict: u32, key: &[u8]) -> Option<Value> {
        // Later SETITEMs win, as in a Python dict.
        self.dict_items
            .iter()
            .rev()
            .find(|(d, k, _)| *d == dict && self.snap.strings[*k as usize] == key)
            .map(|(_, _, v)| *v)
    }

    /// Check the object the stream built is a Snapshot holding the traces list we folded.
    fn finish(mut self, top: Value) -> Res<Snapshot<'a>> {
        let end = self.pos;
        let obj_state = |r: &Self, v: Value, class: Class, what: &'static str| -> Res<u32> {
            match v {
                Value::Obj(o) if r.objs[o as usize].0 == class => {
                    r.objs[o as usize].1.ok_or_else(|| {
                        Fail::at(end, Expected::fmt("{s} with its state (BUILD)", what, &[]))
                    })
                }
                v => Err(Fail::at(
                    end,
                    Expected::Quote(named_kind, [what_index(what), v.kind(), 0]),
                )),
            }
        };
        let snap_state = obj_state(&self, top, Class::Snapshot, "a tracemalloc.Snapshot")?;
        let traces = self
            .dict_get(snap_state, b"traces")
            .ok_or_else(|| Fail::at(end, "Snapshot.traces"))?;
        let traces_state = obj_state(
            &self,
            traces,
            Class::Traces,
            "a tracemalloc._Traces in Snapshot.traces",
        )?;
        let list = match self.dict_get(traces_state, b"_traces") {
            Some(Value::List(l)) => l,
            Some(v) => {
                return Err(Fail::at(
                    end,
                    Expected::fmt("a list in _Traces._traces, not {s}", v.what(), &[]),
                ))
            }
            None => return Err(Fail::at(end, "_Traces._traces")),
        };
        if let Some(l) = self.trace_list {
            if l != list {
                return Err(Fail::at(end, "the traces list to be _Traces._traces"));
            }
        }
        self.snap.traceback_limit = match self.dict_get(snap_state, b"traceback_limit") {
            Some(Value::Int(n)) => Some(n),
            Some(Value::None) | None => None,
            Some(v) => {
                return Err(Fail::at(
                    end,
                    Expected::fmt("an int traceback_limit, not {s}", v.what(), &[]),
                ))
            }
        };
        // Bytes after STOP are ignored, as CPython's loader ignores them.
        Ok(self.snap)
    }
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

/// The pickle memo, indexed as the pickle numbers it. CPython's pickler memoizes every trace tuple
/// (one entry per trace, millions) but never reads one back, so a trace entry is one clear bit
/// and only the other entries (strings, frames, tracebacks, a few objects) are stored. A lookup
/// is a rank query: the count of stored entries before the bit's 64-entry block plus a popcount.
/// 16 M traces cost 3 MB here instead of 128 MB as a `Vec<Memo>`.
#[derive(Default)]
struct MemoTable {
    /// Per 64-entry block: bit `i` set if entry `i` is in `vals` (clear: a trace tuple), and the
    /// number of entries stored before the block — side by side, so a lookup touches one line.
    blocks: Vec<(u64, u64)>,
    vals: Vec<Memo>,
    len: u64,
    /// Entries put out of order or overwritten (BINPUT to an index of its choice; CPython's
    /// pickler never does this). Checked first when not empty; once it is, every later entry
    /// goes here too.
    moved: HashMap<u64, Memo>,
    /// Keys in `moved` at or beyond `len` (they count in the memo's size, as in CPython's dict).
    moved_beyond: u64,
}

impl MemoTable {
    #[inline]
    fn push(&mut self, m: Memo) {
        let bit = self.len % 64;
        if bit == 0 {
            self.blocks.push((0, self.vals.len() as u64));
        }
        if !matches!(m, Memo::Trace) {
            self.blocks
                .last_mut()
                .expect("a block was pushed for this entry")
                .0 |= 1 << bit;
            self.vals.push(m);
        }
        self.len += 1;
    }

    /// MEMOIZE: the next index is the memo's size (`len(memo)` in CPython's unpickler).
    #[inline]
    fn memoize(&mut self, m: Memo) {
        if self.moved.is_empty() {
            self.push(m);
        } else {
            self.put(self.len + self.moved_beyond, m);
        }
    }

    fn put(&mut self, idx: u64, m: Memo) {
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

    #[inline]
    fn get(&self, idx: u64) -> Memo {
        if !self.moved.is_empty() {
            if let Some(m) = self.moved.get(&idx) {
                return *m;
            }
        }
        if idx >= self.len {
            return Memo::Unset;
        }
        let (block, bit) = ((idx / 64) as usize, idx % 64);
        let (word, before) = self.blocks[block];
        if word >> bit & 1 == 0 {
            return Memo::Trace;
        }
        let rank = before + (word & ((1u64 << bit) - 1)).count_ones() as u64;
        self.vals[rank as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(data: &[u8]) -> String {
        let e = read(data).err().expect("an error");
        e.in_file(std::path::Path::new("x"), data).expected
    }

    /// Errors written at the edge read as they did when the inner code formatted them.
    #[test]
    fn edge_rendered_messages() {
        // PROTO 2, GLOBAL copy_reg _reconstructor
        assert_eq!(
            message(b"\x80\x02ccopy_reg\n_reconstructor\n"),
            "a tracemalloc class (tracemalloc.Snapshot or tracemalloc._Traces), not \
             copy_reg._reconstructor; heapscope never imports or calls what a pickle names"
        );
        // PROTO 4, MARK, None, an int, an empty tuple, TUPLE
        assert_eq!(
            message(b"\x80\x04(NK\x01)t"),
            "a frame (filename, lineno), a traceback (frames…) or a trace (domain, size, \
             frames[, total_nframe]); found a tuple of 3 items (None, an int, an empty tuple)"
        );
        assert_eq!(message(b"\x80\x07"), "pickle protocol 2 to 5, not 7");
        assert_eq!(
            message(b"\x80\x04R"),
            "an opcode a tracemalloc snapshot uses, not REDUCE (0x52); heapscope reads data and \
             never runs pickled code"
        );
    }

    /// The rank-indexed memo answers every index as a plain vector would, with traces interleaved.
    #[test]
    fn memo_table_matches_a_plain_vector() {
        let mut table = MemoTable::default();
        let mut plain: Vec<Memo> = Vec::new();
        let mut x: u64 = 12345;
        for i in 0..1000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let m = if x >> 62 == 0 {
                Memo::Str(i)
            } else {
                Memo::Trace
            };
            table.memoize(m);
            plain.push(m);
        }
        for (i, m) in plain.iter().enumerate() {
            let got = table.get(i as u64);
            assert_eq!(format!("{got:?}"), format!("{m:?}"), "entry {i}");
        }
        assert!(matches!(table.get(1000), Memo::Unset));
        // An out-of-order BINPUT counts in the memo's size: the next MEMOIZE lands after it.
        table.put(5000, Memo::Tb(7));
        table.memoize(Memo::Frame(9));
        assert!(matches!(table.get(5000), Memo::Tb(7)));
        assert!(matches!(table.get(1001), Memo::Frame(9)));
        // Overwriting an existing index keeps the size.
        table.put(3, Memo::Tb(1));
        table.memoize(Memo::Frame(10));
        assert!(matches!(table.get(3), Memo::Tb(1)));
        assert!(matches!(table.get(1002), Memo::Frame(10)));
    }
}
