//! The value model of the stack machine: a [`Value`] is a tuple already classified (frame,
//! traceback or trace) or one of the few other things a snapshot pickle holds, each named by its
//! kind in errors; and the writers of the errors that name more than one kind, or a name read
//! from the file, at the edge.

use super::Class;
use crate::error::quote;

#[derive(Clone, Copy, Debug)]
pub(super) struct Trace {
    pub(super) size: u64,
    pub(super) domain: u64,
    /// u32::MAX: the empty tuple.
    pub(super) tb: u32,
    /// u32::MAX: not recorded (3.8).
    pub(super) total: u32,
}

/// A value on the stack. Tuples are classified when built; anything else is an error.
#[derive(Clone, Copy, Debug)]
pub(super) enum Value {
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
    pub(super) fn kind(&self) -> u64 {
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
    pub(super) fn what(&self) -> &'static str {
        kind_name(self.kind())
    }
}

pub(super) fn kind_name(k: u64) -> &'static str {
    KINDS.get(k as usize).copied().unwrap_or("?")
}

// Errors naming more than one kind, or a name read from the file, are written at the edge
// ([`Expected::Quote`]) from kinds and byte ranges.

/// BUILD's operands: `[object kind, state kind, _]`.
pub(super) fn two_kinds(_: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str("an object and its state dict for BUILD, not ");
    out.push_str(kind_name(n[0]));
    out.push_str(" and ");
    out.push_str(kind_name(n[1]));
}

/// The objects `finish` looks for, by index in `[what, kind, _]` of [`named_kind`].
pub(super) const FINISHED: [&str; 2] = ["a tracemalloc.Snapshot", "a tracemalloc._Traces"];

pub(super) fn what_index(what: &str) -> u64 {
    FINISHED.iter().position(|&w| w == what).unwrap_or(0) as u64
}

/// `[index into FINISHED, kind, _]`.
pub(super) fn named_kind(_: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str(FINISHED.get(n[0] as usize).copied().unwrap_or("?"));
    out.push_str(", not ");
    out.push_str(kind_name(n[1]));
}

/// A tuple of no known shape: `[items, kinds of the first five (4 bits each), _]`.
pub(super) fn tuple_shape(_: &[u8], n: [u64; 3], out: &mut String) {
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
pub(super) fn foreign_class(input: &[u8], n: [u64; 3], out: &mut String) {
    out.push_str("a tracemalloc class (tracemalloc.Snapshot or tracemalloc._Traces), not ");
    quote(input, n[0], out);
    out.push('.');
    quote(input, n[1], out);
    out.push_str("; heapscope never imports or calls what a pickle names");
}

pub(super) const NO_TB: u32 = u32::MAX;
pub(super) const NO_TOTAL: u32 = u32::MAX;
