//! The heap dump's sub-records: their lengths, the class table with each class's instance layout,
//! and the three passes over the first dump's segments (classes and roots; nodes; references).
//!
//! This module holds the sub-record tags and how to find where each sub-record ends; the class
//! table and instance layouts are in `classes`, pass 1 (classes, GC roots, layout votes) in
//! `scan`, pass 2 (one node per object, and where each node's record is) in `nodes`, and
//! pass 3 (each node's references) in `edges`.

mod classes;
mod edges;
mod nodes;
mod scan;

pub use classes::{
    compute_layouts, generation, is_hidden_class_name, ClassDef, Classes, Slot, STACK_CHUNK,
};
pub use edges::{add_edges, ThreadLocals};
pub use nodes::{add_nodes, stack_chunk_warning, NodeRun, Offsets};
pub use scan::{collect_classes, RootRec, SegScan};

use super::bytes::{dump_size, prefetch, u4_at, Bytes, T_OBJECT, WALK_AHEAD};
use crate::Fail;

pub const ROOT_UNKNOWN: u8 = 0xFF;
pub const ROOT_JNI_GLOBAL: u8 = 0x01;
pub const ROOT_JNI_LOCAL: u8 = 0x02;
pub const ROOT_JAVA_FRAME: u8 = 0x03;
pub const ROOT_NATIVE_STACK: u8 = 0x04;
pub const ROOT_STICKY_CLASS: u8 = 0x05;
pub const ROOT_THREAD_BLOCK: u8 = 0x06;
pub const ROOT_MONITOR_USED: u8 = 0x07;
pub const ROOT_THREAD_OBJECT: u8 = 0x08;
pub const CLASS_DUMP: u8 = 0x20;
pub const INSTANCE_DUMP: u8 = 0x21;
pub const OBJ_ARRAY_DUMP: u8 = 0x22;
pub const PRIM_ARRAY_DUMP: u8 = 0x23;
/// Android (1.0.3) additions.
pub const HEAP_DUMP_INFO: u8 = 0xFE;
pub const ROOT_INTERNED_STRING: u8 = 0x89;
pub const ROOT_FINALIZING: u8 = 0x8A;
pub const ROOT_DEBUGGER: u8 = 0x8B;
pub const ROOT_REFERENCE_CLEANUP: u8 = 0x8C;
pub const ROOT_VM_INTERNAL: u8 = 0x8D;
pub const ROOT_JNI_MONITOR: u8 = 0x8E;
pub const ROOT_UNREACHABLE: u8 = 0x90;
pub const PRIM_ARRAY_NODATA: u8 = 0xC3;

/// The GC root kind names, as VisualVM's `GCRoot` constants spell them.
pub fn root_kind_name(tag: u8) -> &'static str {
    match tag {
        ROOT_JNI_GLOBAL => "JNI global",
        ROOT_JNI_LOCAL => "JNI local",
        ROOT_JAVA_FRAME => "Java frame",
        ROOT_NATIVE_STACK => "native stack",
        ROOT_STICKY_CLASS => "sticky class",
        ROOT_THREAD_BLOCK => "thread block",
        ROOT_MONITOR_USED => "monitor used",
        ROOT_THREAD_OBJECT => "thread object",
        ROOT_INTERNED_STRING => "interned string",
        ROOT_FINALIZING => "finalizing",
        ROOT_DEBUGGER => "debugger",
        ROOT_REFERENCE_CLEANUP => "reference cleanup",
        ROOT_VM_INTERNAL => "VM internal",
        ROOT_JNI_MONITOR => "JNI monitor",
        ROOT_UNREACHABLE => "unreachable",
        _ => "unknown",
    }
}

/// End offset of the sub-record starting at `at` (its tag byte). The end may lie past the data
/// (a truncated record); an unknown tag or basic type is an error.
#[inline]
pub fn sub_record_end(b: &Bytes, at: usize) -> Result<usize, Fail> {
    if b.id == 8 {
        record_end::<8>(b, at)
    } else {
        record_end::<4>(b, at)
    }
}

/// [`sub_record_end`] for ids of `ID` bytes: the object records (nearly all of a dump) inline,
/// the rest in [`other_record_end`].
#[inline(always)]
fn record_end<const ID: usize>(b: &Bytes, at: usize) -> Result<usize, Fail> {
    let d = b.data;
    let body = at + 1;
    let past = d.len() + 1; // "runs past the end"
    match d.get(at) {
        Some(&INSTANCE_DUMP) => {
            Ok(u4_at(d, body + 2 * ID + 4).map_or(past, |n| body + 2 * ID + 8 + n as usize))
        }
        Some(&OBJ_ARRAY_DUMP) => {
            Ok(u4_at(d, body + ID + 4).map_or(past, |n| body + 2 * ID + 8 + n as usize * ID))
        }
        Some(&PRIM_ARRAY_DUMP) => {
            let (Some(n), Some(&t)) = (u4_at(d, body + ID + 4), d.get(body + ID + 8)) else {
                return Ok(past);
            };
            match dump_size(t, ID) {
                Some(es) if t != T_OBJECT => Ok(body + ID + 9 + n as usize * es),
                _ => Err(Fail::at(
                    body + ID + 8,
                    "a primitive array element type (4..11)",
                )),
            }
        }
        _ => other_record_end(b, at),
    }
}

/// [`sub_record_end`] of the sub-records other than instances and arrays.
#[inline(never)]
fn other_record_end(b: &Bytes, at: usize) -> Result<usize, Fail> {
    let id = b.id;
    let body = at + 1;
    let tag = b.u1(at).ok_or(Fail::at(at, "a heap dump sub-record tag"))?;
    let fixed = match tag {
        ROOT_UNKNOWN
        | ROOT_STICKY_CLASS
        | ROOT_MONITOR_USED
        | ROOT_INTERNED_STRING
        | ROOT_FINALIZING
        | ROOT_DEBUGGER
        | ROOT_REFERENCE_CLEANUP
        | ROOT_VM_INTERNAL
        | ROOT_UNREACHABLE => id,
        ROOT_JNI_GLOBAL => 2 * id,
        ROOT_JNI_LOCAL | ROOT_JAVA_FRAME | ROOT_THREAD_OBJECT | ROOT_JNI_MONITOR => id + 8,
        ROOT_NATIVE_STACK | ROOT_THREAD_BLOCK => id + 4,
        HEAP_DUMP_INFO => 4 + id,
        PRIM_ARRAY_NODATA => id + 9,
        CLASS_DUMP => return class_dump_end(b, at).map(|c| c.end),
        _ => return Err(Fail::at(at, "a heap dump sub-record tag")),
    };
    Ok(body + fixed)
}

/// Offsets inside one CLASS DUMP sub-record.
pub struct ClassDumpShape {
    pub statics_at: usize,
    pub fields_at: usize,
    pub end: usize,
}

fn class_dump_end(b: &Bytes, at: usize) -> Result<ClassDumpShape, Fail> {
    let id = b.id;
    let past = ClassDumpShape {
        statics_at: 0,
        fields_at: 0,
        end: b.len() + 1,
    };
    let mut p = at + 1 + 7 * id + 8;
    let Some(ncp) = b.u2(p) else { return Ok(past) };
    p += 2;
    for _ in 0..ncp {
        let Some(t) = b.u1(p + 2) else {
            return Ok(past);
        };
        p +=
            3 + dump_size(t, id).ok_or(Fail::at(p + 2, "a constant pool entry type (2, 4..11)"))?;
    }
    let statics_at = p;
    let Some(ns) = b.u2(p) else { return Ok(past) };
    p += 2;
    for _ in 0..ns {
        let Some(t) = b.u1(p + id) else {
            return Ok(past);
        };
        p += id + 1 + dump_size(t, id).ok_or(Fail::at(p + id, "a static field type (2, 4..11)"))?;
    }
    let fields_at = p;
    let Some(nf) = b.u2(p) else { return Ok(past) };
    p += 2;
    for k in 0..nf as usize {
        let tp = p + k * (id + 1) + id;
        if let Some(t) = b.u1(tp) {
            dump_size(t, id).ok_or(Fail::at(tp, "an instance field type (2, 4..11)"))?;
        }
    }
    p += nf as usize * (id + 1);
    Ok(ClassDumpShape {
        statics_at,
        fields_at,
        end: p,
    })
}

/// Visit every sub-record of the dump's segments: `f(tag, start, end)`. Stops at a truncated
/// record (its segment is the file's last); returns the truncation message if any.
pub fn each_sub_record(
    b: &Bytes,
    segments: &[(usize, usize)],
    f: impl FnMut(u8, usize, usize) -> Result<(), Fail>,
) -> Result<Option<String>, Fail> {
    if b.id == 8 {
        walk::<8>(b, segments, f)
    } else {
        walk::<4>(b, segments, f)
    }
}

/// [`each_sub_record`] for ids of `ID` bytes, inlined into each pass so that the record walk
/// and the pass's reads of the same header are compiled together.
#[inline(always)]
pub(crate) fn walk<const ID: usize>(
    b: &Bytes,
    segments: &[(usize, usize)],
    mut f: impl FnMut(u8, usize, usize) -> Result<(), Fail>,
) -> Result<Option<String>, Fail> {
    for &(start, end) in segments {
        let mut p = start;
        while p < end {
            prefetch(b.data, p + WALK_AHEAD);
            let next = record_end::<ID>(b, p)?;
            if next > end {
                if end >= b.len() {
                    return Ok(Some(format!(
                        "the file ends inside a heap dump sub-record (tag 0x{:02X}) at byte {p}",
                        b.data[p]
                    )));
                }
                return Err(Fail::at(
                    p,
                    "a heap dump sub-record that ends within its segment",
                ));
            }
            f(b.data[p], p, next)?;
            p = next;
        }
    }
    Ok(None)
}

/// Does this sub-record become a graph node?
#[inline]
pub fn is_node_tag(tag: u8) -> bool {
    matches!(
        tag,
        CLASS_DUMP | INSTANCE_DUMP | OBJ_ARRAY_DUMP | PRIM_ARRAY_DUMP | PRIM_ARRAY_NODATA
    )
}
