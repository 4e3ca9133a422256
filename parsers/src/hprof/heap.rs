//! The heap dump's sub-records: their lengths, the class table with each class's instance layout,
//! and the three passes over the first dump's segments (classes and roots; nodes; references).

use heapscope_graph::builder::EdgeSlots;
use heapscope_graph::{GraphBuilder, Label, LabelId, NodeIdx, NodeKind, TypeId};
use rayon::prelude::*;

use super::bytes::{dump_size, java_class_name, prim_array_name, Bytes, T_OBJECT};
use super::idmap::IdMap;
use super::layout::{Gen, Layout, Shape, CONTENDED, INJECTED};
use super::records::TopLevel;
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
pub fn sub_record_end(b: &Bytes, at: usize) -> Result<usize, Fail> {
    let id = b.id;
    let body = at + 1;
    let past = b.len() + 1; // "runs past the end"
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
        INSTANCE_DUMP => {
            let Some(n) = b.u4(body + 2 * id + 4) else {
                return Ok(past);
            };
            return Ok(body + 2 * id + 8 + n as usize);
        }
        OBJ_ARRAY_DUMP => {
            let Some(n) = b.u4(body + id + 4) else {
                return Ok(past);
            };
            return Ok(body + 2 * id + 8 + n as usize * id);
        }
        PRIM_ARRAY_DUMP => {
            let (Some(n), Some(t)) = (b.u4(body + id + 4), b.u1(body + id + 8)) else {
                return Ok(past);
            };
            let es = match dump_size(t, id) {
                Some(s) if t != T_OBJECT => s,
                _ => {
                    return Err(Fail::at(
                        body + id + 8,
                        "a primitive array element type (4..11)",
                    ))
                }
            };
            return Ok(body + id + 9 + n as usize * es);
        }
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

/// One reference slot of an instance layout: where the id is in the instance data, its label,
/// and whether it is `java.lang.ref.Reference.referent` (weak).
#[derive(Clone, Copy)]
pub struct Slot {
    pub off: u32,
    pub label: LabelId,
    pub weak: bool,
}

/// A class from its CLASS DUMP, with the instance layout computed over its superclasses.
pub struct ClassDef {
    pub id: u64,
    pub super_id: u64,
    pub loader: u64,
    pub name: String,
    /// Offset of the CLASS DUMP sub-record.
    pub rec: usize,
    /// Own instance fields: (name string id, type), a range of [`Classes::fields`].
    pub fields: (u32, u32),
    /// Static reference values: a range of [`Classes::statics`].
    pub statics: (u32, u32),
    /// Bytes of static fields in the class's mirror (see [`Layout::statics_len`]).
    pub static_bytes: u64,
    /// Dump bytes of one instance's data (this class and every superclass).
    pub data_len: u32,
    /// The CLASS DUMP's "instance size" field (HotSpot: the dump's data bytes; ART: the object
    /// size).
    pub instance_size: u32,
    /// JVM bytes of one instance (this class's and every superclass's fields, the fields the VM
    /// injects, @Contended padding, header and alignment; see [`super::layout`]).
    pub size: u64,
    /// Reference slots of an instance: a range of [`Classes::slots`].
    pub slots: (u32, u32),
    /// Type of instances (the class name) and of arrays of this array class.
    pub ty: TypeId,
}

/// The class table: every CLASS DUMP of the dump being analyzed, flat.
#[derive(Default)]
pub struct Classes {
    pub defs: Vec<ClassDef>,
    pub by_id: IdMap,
    pub fields: Vec<(u64, u8)>,
    /// (offset of a static reference value in the file, label "static NAME")
    pub statics: Vec<(usize, LabelId)>,
    pub slots: Vec<Slot>,
}

impl Classes {
    pub fn get(&self, id: u64) -> Option<&ClassDef> {
        self.by_id.get(id).map(|i| &self.defs[i as usize])
    }
    pub fn slots_of(&self, c: &ClassDef) -> &[Slot] {
        &self.slots[c.slots.0 as usize..c.slots.1 as usize]
    }
}

/// A GC root record.
#[derive(Clone, Copy)]
pub struct RootRec {
    pub id: u64,
    pub tag: u8,
    pub thread_serial: u32,
    pub frame: u32,
    /// ROOT THREAD OBJECT: the thread's stack trace serial.
    pub trace: u32,
}

/// Visit every sub-record of the dump's segments: `f(tag, start, end)`. Stops at a truncated
/// record (its segment is the file's last); returns the truncation message if any.
pub fn each_sub_record(
    b: &Bytes,
    segments: &[(usize, usize)],
    mut f: impl FnMut(u8, usize, usize) -> Result<(), Fail>,
) -> Result<Option<String>, Fail> {
    for &(start, end) in segments {
        let mut p = start;
        while p < end {
            let next = sub_record_end(b, p)?;
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

/// What pass 1 finds in one segment.
#[derive(Default)]
pub struct SegScan {
    /// Graph nodes (class objects, instances, arrays) among its complete sub-records.
    pub nodes: usize,
    /// Offsets of its CLASS DUMP sub-records.
    pub class_recs: Vec<usize>,
    pub roots: Vec<RootRec>,
    /// Android HEAP DUMP INFO name string ids, in order.
    pub heap_names: Vec<u64>,
    pub votes: super::layout::Votes,
    /// The first array, if no CLASS DUMP / INSTANCE DUMP / no-data array comes before it (it
    /// pairs with the previous segment's last array), and the array pending at the end.
    head: Option<(u64, u32, u8)>,
    tail: Option<(u64, u32, u8)>,
    /// No array and no record that breaks a pair of arrays: the pending array passes through.
    transparent: bool,
    pub truncated: Option<String>,
}

/// Does this sub-record become a graph node?
#[inline]
pub fn is_node_tag(tag: u8) -> bool {
    matches!(
        tag,
        CLASS_DUMP | INSTANCE_DUMP | OBJ_ARRAY_DUMP | PRIM_ARRAY_DUMP | PRIM_ARRAY_NODATA
    )
}

/// Pass 1 over one segment: node count, where the classes are, GC roots, and votes on the
/// object layout from the address gaps between consecutive arrays.
fn scan_segment(b: &Bytes, seg: (usize, usize)) -> Result<SegScan, Fail> {
    let id = b.id;
    let mut out = SegScan {
        transparent: true,
        ..SegScan::default()
    };
    let mut prev: Option<(u64, u32, u8)> = None; // (id, length, elem type) of the previous array
    let mut broken = false; // a pair-breaking record came before any array
    out.truncated = each_sub_record(b, &[seg], |tag, at, _end| {
        let body = at + 1;
        let rd = |o: usize| b.id(o).unwrap_or(0);
        if is_node_tag(tag) {
            out.nodes += 1;
        }
        match tag {
            CLASS_DUMP | INSTANCE_DUMP | PRIM_ARRAY_NODATA => {
                if tag == CLASS_DUMP {
                    out.class_recs.push(at);
                }
                prev = None;
                broken = true;
                out.transparent = false;
            }
            OBJ_ARRAY_DUMP | PRIM_ARRAY_DUMP => {
                let oid = rd(body);
                let n = b.u4(body + id + 4).unwrap_or(0);
                let et = if tag == PRIM_ARRAY_DUMP {
                    b.u1(body + id + 8).unwrap_or(0)
                } else {
                    T_OBJECT
                };
                if out.transparent && !broken {
                    out.head = Some((oid, n, et));
                }
                out.transparent = false;
                if let Some(p) = prev {
                    vote_pair(&mut out.votes, p, (oid, n, et));
                }
                prev = Some((oid, n, et));
            }
            HEAP_DUMP_INFO => out.heap_names.push(rd(body + 4)),
            _ => out.roots.push(RootRec {
                id: rd(body),
                tag,
                thread_serial: match tag {
                    ROOT_JNI_LOCAL | ROOT_JAVA_FRAME | ROOT_NATIVE_STACK | ROOT_THREAD_BLOCK
                    | ROOT_THREAD_OBJECT | ROOT_JNI_MONITOR => b.u4(body + id).unwrap_or(0),
                    _ => 0,
                },
                frame: match tag {
                    ROOT_JNI_LOCAL | ROOT_JAVA_FRAME => b.u4(body + id + 4).unwrap_or(u32::MAX),
                    _ => u32::MAX,
                },
                trace: if tag == ROOT_THREAD_OBJECT {
                    b.u4(body + id + 4).unwrap_or(0)
                } else {
                    0
                },
            }),
        }
        Ok(())
    })?;
    out.tail = prev;
    Ok(out)
}

fn vote_pair(
    votes: &mut super::layout::Votes,
    (pid, pn, pt): (u64, u32, u8),
    (oid, _, _): (u64, u32, u8),
) {
    if oid > pid && oid - pid < (1 << 20) {
        votes.vote(oid - pid, pn, pt);
    }
}

/// Pass 1, in parallel over the segments: the class table (built in file order), the GC roots,
/// the layout votes, and each segment's node count.
#[allow(clippy::type_complexity)]
pub fn collect_classes(
    b: &Bytes,
    top: &TopLevel,
    builder: &mut GraphBuilder,
    votes: &mut super::layout::Votes,
) -> Result<
    (
        Classes,
        Vec<RootRec>,
        Option<String>,
        Vec<String>,
        Vec<usize>,
    ),
    Fail,
> {
    let scans: Vec<Result<SegScan, Fail>> = top
        .segments
        .par_iter()
        .map(|&seg| scan_segment(b, seg))
        .collect();
    let mut classes = Classes::default();
    let mut roots = Vec::new();
    let mut heap_names: Vec<String> = Vec::new();
    let mut node_counts = Vec::with_capacity(scans.len());
    let mut trunc = None;
    let mut carry: Option<(u64, u32, u8)> = None;
    for scan in scans {
        let scan = scan?;
        for &at in &scan.class_recs {
            read_class_dump(b, top, at, builder, &mut classes, votes)?;
        }
        roots.extend_from_slice(&scan.roots);
        for sid in scan.heap_names {
            if let Some(name) = top.string(b, sid) {
                if !heap_names.contains(&name) {
                    heap_names.push(name);
                }
            }
        }
        votes.add(&scan.votes);
        if let (Some(p), Some(h)) = (carry, scan.head) {
            vote_pair(votes, p, h);
        }
        if !scan.transparent {
            carry = scan.tail;
        }
        node_counts.push(scan.nodes);
        if scan.truncated.is_some() {
            trunc = scan.truncated;
            break; // only the file's last segment can be cut short
        }
    }
    Ok((classes, roots, trunc, heap_names, node_counts))
}

/// One CLASS DUMP at `at` into the class table.
fn read_class_dump(
    b: &Bytes,
    top: &TopLevel,
    at: usize,
    builder: &mut GraphBuilder,
    classes: &mut Classes,
    votes: &mut super::layout::Votes,
) -> Result<(), Fail> {
    let id = b.id;
    let body = at + 1;
    let rd = |o: usize| b.id(o).unwrap_or(0);
    let shape = class_dump_end(b, at)?;
    let cid = rd(body);
    let name = top
        .class_names
        .get(&cid)
        .and_then(|&sid| top.string(b, sid))
        .map(|s| java_class_name(&s))
        .unwrap_or_else(|| format!("<unknown class 0x{cid:x}>"));
    let f0 = classes.fields.len() as u32;
    let nf = b.u2(shape.fields_at).unwrap_or(0) as usize;
    for k in 0..nf {
        let p = shape.fields_at + 2 + k * (id + 1);
        classes.fields.push((rd(p), b.u1(p + id).unwrap_or(0)));
    }
    let s0 = classes.statics.len() as u32;
    let ns = b.u2(shape.statics_at).unwrap_or(0);
    let mut p = shape.statics_at + 2;
    let mut static_types = [0u32; 12];
    for _ in 0..ns {
        let t = b.u1(p + id).unwrap_or(0);
        if t == T_OBJECT {
            let label = top.string(b, rd(p)).unwrap_or_else(|| "?".into());
            let l = builder.intern_label(&format!("static {label}"));
            classes.statics.push((p + id + 1, l));
            // HotSpot's pseudo-statics `<resolved_references>`, `<init_lock>`: edges, but not
            // stored in the mirror
            if !label.starts_with('<') {
                static_types[T_OBJECT as usize] += 1;
            }
        } else {
            static_types[(t as usize).min(11)] += 1;
        }
        p += id + 1 + dump_size(t, id).unwrap_or(0);
    }
    let ty = builder.intern_type(&name);
    let index = classes.defs.len() as u32;
    classes.by_id.insert(cid, index);
    classes.defs.push(ClassDef {
        id: cid,
        super_id: rd(body + id + 4),
        loader: rd(body + 2 * id + 4),
        name,
        rec: at,
        fields: (f0, classes.fields.len() as u32),
        statics: (s0, classes.statics.len() as u32),
        static_bytes: 0,
        data_len: 0,
        instance_size: b.u4(body + 7 * id + 4).unwrap_or(0),
        size: 0,
        slots: (0, 0),
        ty,
    });
    // static sizes are fixed once the reference size is known: keep the type counts
    votes.static_types.push(static_types);
    Ok(())
}

/// Which layout generation wrote the dump, from what it holds (see [`super::layout`]): Android's
/// `1.0.3` is ART; otherwise HotSpot: JDK 15+ when `java.lang.Class` declares `classData`
/// (hidden classes, JDK 15), JDK 8–14 when `java.lang.Thread` declares `threadLocalRandomSeed`
/// (JDK 8), JDK 5–7 otherwise; a dump with neither class (a synthetic one) is taken as JDK 15+.
pub fn generation(classes: &Classes, b: &Bytes, top: &TopLevel, version: &str) -> Gen {
    if version == "1.0.3" {
        return Gen::Art;
    }
    let declares = |class: &str, field: &str| -> Option<bool> {
        let c = classes.defs.iter().find(|c| c.name == class)?;
        Some(
            classes.fields[c.fields.0 as usize..c.fields.1 as usize]
                .iter()
                .any(|&(sid, _)| top.string(b, sid).as_deref() == Some(field)),
        )
    };
    match (
        declares("java.lang.Class", "classData"),
        declares("java.lang.Thread", "threadLocalRandomSeed"),
    ) {
        (Some(true), _) | (None, None) => Gen::Modern,
        (_, Some(true)) => Gen::Classic,
        _ => Gen::Permgen,
    }
}

/// After pass 1 and the layout decision: instance layouts (each class after its superclass,
/// walking each chain iteratively) and JVM sizes of statics. A superclass chain that loops is
/// refused with the offset of the CLASS DUMP where the loop closes.
pub fn compute_layouts(
    classes: &mut Classes,
    b: &Bytes,
    top: &TopLevel,
    lay: &Layout,
    builder: &mut GraphBuilder,
    static_types: &[[u32; 12]],
) -> Result<(), Fail> {
    let id = b.id;
    let n = classes.defs.len();
    // Is this class java.lang.ref.Reference (its `referent` is weak)?
    let reference = classes
        .defs
        .iter()
        .position(|c| c.name == "java.lang.ref.Reference");
    let special =
        |name: &str| INJECTED.iter().any(|e| e.0 == name) || CONTENDED.iter().any(|e| e.0 == name);
    // Each class's own layout on top of its superclass's: (shape, instance size), filled in
    // superclass-first order.
    let mut shapes: Vec<Option<(Shape, u64)>> = vec![None; n];
    let mut on_chain = vec![false; n];
    let mut chain: Vec<usize> = Vec::new();
    let super_of = |classes: &Classes, k: usize| {
        let c = &classes.defs[k];
        if c.super_id == 0 {
            return None;
        }
        classes.by_id.get(c.super_id).map(|i| i as usize)
    };
    let mut own: Vec<(u64, bool)> = Vec::new();
    let mut group: Vec<(u64, bool)> = Vec::new();
    for ci in 0..n {
        // the chain of classes above `ci` not laid out yet, nearest first
        chain.clear();
        let mut cur = Some(ci);
        while let Some(k) = cur {
            if shapes[k].is_some() {
                break;
            }
            if on_chain[k] {
                for &c in &chain {
                    on_chain[c] = false;
                }
                return Err(Fail::at(
                    classes.defs[k].rec,
                    "a CLASS DUMP whose superclass chain does not lead back to itself (a superclass loop)",
                ));
            }
            on_chain[k] = true;
            chain.push(k);
            cur = super_of(classes, k);
        }
        while let Some(k) = chain.pop() {
            on_chain[k] = false;
            let super_k = super_of(classes, k);
            let c = &classes.defs[k];
            let (a, e) = c.fields;
            let declared: Vec<String> = if special(&c.name) {
                (a..e)
                    .map(|fi| {
                        top.string(b, classes.fields[fi as usize].0)
                            .unwrap_or_default()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let super_name = super_k.map_or("", |i| classes.defs[i].name.as_str());
            let contended: &[&str] = CONTENDED
                .iter()
                .find(|g| g.0 == c.name && g.2.holds(&declared, super_name))
                .map_or(&[], |g| g.1);
            own.clear();
            group.clear();
            for fi in a..e {
                let t = classes.fields[fi as usize].1;
                let f = (lay.field_size(t), t == T_OBJECT);
                let name = declared.get((fi - a) as usize).map(String::as_str);
                if name.is_some_and(|n| contended.contains(&n)) {
                    group.push(f);
                } else {
                    own.push(f);
                }
            }
            if lay.gen != Gen::Art && special(&c.name) {
                for &(_, f, t, since, when) in INJECTED.iter().filter(|e| e.0 == c.name) {
                    if lay.gen >= since
                        && when.holds(&declared, super_name)
                        && !declared.iter().any(|d| d == f)
                    {
                        own.push((lay.field_size(t), t == T_OBJECT));
                    }
                }
            }
            let root = lay.root_shape();
            let sup = match super_k.and_then(|s| shapes[s].as_ref()) {
                Some((s, _)) => s,
                None => &root,
            };
            let (shape, mut size) = lay.extend(sup, &own, &group, &c.name);
            if lay.gen == Gen::Art && c.instance_size > 0 {
                // ART writes the object size (header included) as the CLASS DUMP's instance size
                size = lay.align(u64::from(c.instance_size));
            }
            shapes[k] = Some((shape, size));
        }
    }
    let mut slots = Vec::new();
    for (ci, shape) in shapes.iter().enumerate() {
        let s0 = slots.len() as u32;
        let mut data = 0u32;
        let mut cur = Some(ci);
        // Instance data lists this class's fields first, then its superclass's, and so on
        // (the chains are known to end: no loop got past the first loop above).
        while let Some(k) = cur {
            let c = &classes.defs[k];
            for fi in c.fields.0..c.fields.1 {
                let (name_sid, t) = classes.fields[fi as usize];
                if t == T_OBJECT {
                    let name = top.string(b, name_sid).unwrap_or_else(|| "?".into());
                    let weak = Some(k) == reference && name == "referent";
                    slots.push(Slot {
                        off: data,
                        label: builder.intern_label(&name),
                        weak,
                    });
                }
                data += dump_size(t, id).unwrap_or(0) as u32;
            }
            cur = super_of(classes, k);
        }
        let st = static_types.get(ci).copied().unwrap_or([0; 12]);
        let size = shape.as_ref().map_or(0, |s| s.1);
        let c = &mut classes.defs[ci];
        c.data_len = data;
        c.size = size;
        c.static_bytes = lay.statics_len(&st);
        c.slots = (s0, slots.len() as u32);
    }
    classes.slots = slots;
    Ok(())
}

/// Where each node's sub-record is, for the [`super::HprofInspector`]: the file offset of every
/// 64th node's record (8 bytes per 64 nodes); any other node is found by walking at most 63
/// sub-records from there. A lookup is rare (reports read a few hundred objects).
#[derive(Default)]
pub struct Offsets {
    base: Vec<u64>,
    nodes: usize,
    segments: Vec<(usize, usize)>,
}

/// Nodes per stored offset in [`Offsets`].
const OFFSET_BLOCK: usize = 64;

impl Offsets {
    pub fn get(&self, b: &Bytes, node: usize) -> Option<usize> {
        if node >= self.nodes {
            return None;
        }
        let mut pos = *self.base.get(node / OFFSET_BLOCK)? as usize;
        let mut skip = node % OFFSET_BLOCK;
        let mut s = self.segments.partition_point(|&(_, e)| e <= pos);
        loop {
            let &(start, end) = self.segments.get(s)?;
            pos = pos.max(start);
            if pos >= end {
                s += 1;
                continue;
            }
            let tag = b.u1(pos)?;
            let next = sub_record_end(b, pos).ok()?;
            if next > end {
                return None;
            }
            if is_node_tag(tag) {
                if skip == 0 {
                    return Some(pos);
                }
                skip -= 1;
            }
            pos = next;
        }
    }
}

/// What pass 2 found in one segment.
#[derive(Default)]
pub struct NodeRun {
    /// (class object node, class index)
    pub class_nodes: Vec<(u32, u32)>,
    pub unknown_classes: u64,
    /// INSTANCE DUMPs with less data than their class's fields need, and the first one's offset.
    pub short_instances: u64,
    pub first_short: Option<usize>,
    /// Non-null references of the segment's nodes (an upper bound of its edges).
    pub refs: usize,
}

/// Pass 2, in parallel over the segments: one node per class, instance and array, in file
/// order; `counts` are the segments' node counts from pass 1.
#[allow(clippy::too_many_arguments)]
pub fn add_nodes(
    b: &Bytes,
    segs: &[(usize, usize)],
    counts: &[usize],
    classes: &Classes,
    lay: &Layout,
    builder: &mut GraphBuilder,
    offsets: &mut Offsets,
) -> Result<Vec<NodeRun>, Fail> {
    let id = b.id;
    let class_ty = builder.intern_type("java.lang.Class");
    let mut prim_ty = [None; 12];
    for t in 4..12u8 {
        prim_ty[t as usize] = Some(builder.intern_type(prim_array_name(t)));
    }
    let unknown_ty = builder.intern_type("<unknown class>");
    let object_array_ty = builder.intern_type("java.lang.Object[]");
    let class_class = classes.defs.iter().find(|c| c.name == "java.lang.Class");
    // a mirror: java.lang.Class's own instance size, then the class's statics
    let mirror_base = class_class
        .map(|c| c.size)
        .unwrap_or_else(|| lay.instance_size(0));
    let total: usize = counts.iter().sum();
    offsets.nodes = builder.node_count() + total;
    offsets.segments = segs.to_vec();
    offsets.base = vec![0; offsets.nodes.div_ceil(OFFSET_BLOCK)];
    // Each segment writes the block offsets of the blocks that start among its nodes.
    let mut blocks: Vec<&mut [u64]> = Vec::with_capacity(counts.len());
    {
        let mut rest = &mut offsets.base[..];
        let mut first = builder.node_count();
        let mut taken = first.div_ceil(OFFSET_BLOCK);
        for &c in counts {
            let upto = (first + c).div_ceil(OFFSET_BLOCK);
            let (mine, r) = rest.split_at_mut(upto - taken);
            blocks.push(mine);
            rest = r;
            taken = upto;
            first += c;
        }
    }
    let blocks: Vec<std::sync::Mutex<&mut [u64]>> =
        blocks.into_iter().map(std::sync::Mutex::new).collect();
    let runs = builder.add_nodes_parallel(counts, |k, mut slots| -> Result<NodeRun, Fail> {
        let mut run = NodeRun::default();
        let Ok(mut blk) = blocks[k].lock() else {
            return Ok(run);
        };
        let first = slots.first.ix();
        let mut i = 0usize;
        let mut last: (u64, u32) = (0, u32::MAX);
        each_sub_record(b, &segs[k..k + 1], |tag, at, end| {
            if !is_node_tag(tag) {
                return Ok(());
            }
            let body = at + 1;
            let oid = b.id(body).unwrap_or(0);
            let node = first + i;
            if node % OFFSET_BLOCK == 0 {
                let bi = node / OFFSET_BLOCK - first.div_ceil(OFFSET_BLOCK);
                if let Some(o) = blk.get_mut(bi) {
                    *o = at as u64;
                }
            }
            match tag {
                CLASS_DUMP => {
                    let ci = classes.by_id.get(oid);
                    let size = match ci {
                        Some(ci) => {
                            let c = &classes.defs[ci as usize];
                            run.class_nodes.push((node as u32, ci));
                            run.refs += (c.statics.1 - c.statics.0) as usize + 2;
                            lay.align(mirror_base + c.static_bytes)
                        }
                        None => mirror_base,
                    };
                    slots.set(i, oid, class_ty, NodeKind::Class, size);
                }
                INSTANCE_DUMP => {
                    let cid = b.id(body + id + 4).unwrap_or(0);
                    // `last` starts as (0, u32::MAX): a class id of 0 must not hit that placeholder (fuzz).
                    let ci = if cid == last.0 && last.1 != u32::MAX {
                        Some(last.1)
                    } else {
                        classes.by_id.get(cid)
                    };
                    let (ty, size) = match ci {
                        Some(ci) => {
                            last = (cid, ci);
                            let c = &classes.defs[ci as usize];
                            let n = b.u4(body + 2 * id + 4).unwrap_or(0) as usize;
                            let data = body + 2 * id + 8;
                            if n < c.data_len as usize {
                                run.short_instances += 1;
                                run.first_short.get_or_insert(at);
                            }
                            run.refs += classes
                                .slots_of(c)
                                .iter()
                                .filter(|s| {
                                    s.off as usize + id <= n
                                        && b.id(data + s.off as usize).unwrap_or(0) != 0
                                })
                                .count();
                            (c.ty, c.size)
                        }
                        None => {
                            run.unknown_classes += 1;
                            let n = b.u4(body + 2 * id + 4).unwrap_or(0);
                            (unknown_ty, lay.instance_size(u64::from(n)))
                        }
                    };
                    // Instances of java.lang.Class (the primitive-type mirrors) stay kind Object:
                    // kind Class means "a CLASS DUMP".
                    slots.set(i, oid, ty, NodeKind::Object, size);
                }
                OBJ_ARRAY_DUMP => {
                    let n = b.u4(body + id + 4).unwrap_or(0);
                    let cid = b.id(body + id + 8).unwrap_or(0);
                    let ty = classes.get(cid).map(|c| c.ty).unwrap_or(object_array_ty);
                    let data = body + 2 * id + 8;
                    run.refs += count_nonzero_ids(b, data, end);
                    slots.set(
                        i,
                        oid,
                        ty,
                        NodeKind::ObjectArray,
                        lay.array_size(n, T_OBJECT),
                    );
                }
                _ => {
                    let n = b.u4(body + id + 4).unwrap_or(0);
                    let t = b.u1(body + id + 8).unwrap_or(0);
                    let ty = prim_ty
                        .get(t as usize)
                        .copied()
                        .flatten()
                        .unwrap_or(unknown_ty);
                    slots.set(i, oid, ty, NodeKind::PrimitiveArray, lay.array_size(n, t));
                }
            }
            i += 1;
            Ok(())
        })?;
        Ok(run)
    });
    runs.into_iter().collect()
}

/// Non-zero ids in `data[from..to]`.
fn count_nonzero_ids(b: &Bytes, from: usize, to: usize) -> usize {
    let Some(s) = b.slice(from, to) else { return 0 };
    if b.id == 8 {
        s.chunks_exact(8)
            .filter(|c| c.iter().any(|&x| x != 0))
            .count()
    } else {
        s.chunks_exact(4)
            .filter(|c| c.iter().any(|&x| x != 0))
            .count()
    }
}

/// Extra references of thread objects: their stack-local roots, labelled with the frame.
pub struct ThreadLocals {
    /// (thread object id, local object id, label), sorted by thread object id
    pub edges: Vec<(u64, u64, LabelId)>,
}

/// Pass 3, in parallel over the segments: each node's references, in node order (the order of
/// pass 2). `runs[k]` is segment `k`'s node end and bound of references (thread locals included).
pub fn add_edges(
    b: &Bytes,
    segs: &[(usize, usize)],
    runs: &[(u32, usize)],
    classes: &Classes,
    builder: &mut GraphBuilder,
    locals: &ThreadLocals,
) -> Result<(), Fail> {
    let id = b.id;
    let super_l = builder.intern_label("<super>");
    let loader_l = builder.intern_label("<classloader>");
    let first_node = |k: usize| if k == 0 { 0 } else { runs[k - 1].0 };
    let done = builder.fill_edges_parallel(runs, |k, e: &mut EdgeSlots<'_>| -> Result<(), Fail> {
        let mut node = first_node(k);
        let mut last: (u64, u32) = (0, u32::MAX);
        each_sub_record(b, &segs[k..k + 1], |tag, at, end| {
            let body = at + 1;
            let oid = b.id(body).unwrap_or(0);
            match tag {
                CLASS_DUMP => {
                    e.begin_node(NodeIdx(node));
                    node += 1;
                    if let Some(c) = classes.get(oid) {
                        for &(off, label) in
                            &classes.statics[c.statics.0 as usize..c.statics.1 as usize]
                        {
                            e.edge_to_id(b.id(off).unwrap_or(0), false, Label::Name(label));
                        }
                        e.edge_to_id(c.super_id, false, Label::Name(super_l));
                        e.edge_to_id(c.loader, false, Label::Name(loader_l));
                    }
                }
                INSTANCE_DUMP => {
                    e.begin_node(NodeIdx(node));
                    node += 1;
                    let cid = b.id(body + id + 4).unwrap_or(0);
                    // `last` starts as (0, u32::MAX): a class id of 0 must not hit that placeholder (fuzz).
                    let ci = if cid == last.0 && last.1 != u32::MAX {
                        Some(last.1)
                    } else {
                        classes.by_id.get(cid)
                    };
                    if let Some(ci) = ci {
                        last = (cid, ci);
                        let c = &classes.defs[ci as usize];
                        let n = b.u4(body + 2 * id + 4).unwrap_or(0) as usize;
                        let data = body + 2 * id + 8;
                        for s in classes.slots_of(c) {
                            if s.off as usize + id <= n {
                                let target = b.id(data + s.off as usize).unwrap_or(0);
                                e.edge_to_id(target, s.weak, Label::Name(s.label));
                            }
                        }
                    }
                    if !locals.edges.is_empty() {
                        let from = locals.edges.partition_point(|l| l.0 < oid);
                        for l in locals.edges[from..].iter().take_while(|l| l.0 == oid) {
                            e.edge_to_id(l.1, false, Label::Name(l.2));
                        }
                    }
                }
                OBJ_ARRAY_DUMP => {
                    e.begin_node(NodeIdx(node));
                    node += 1;
                    let data = body + 2 * id + 8;
                    if let Some(s) = b.slice(data, end) {
                        for (k, c) in s.chunks_exact(id).enumerate() {
                            let target = if id == 8 {
                                u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                            } else {
                                u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                            };
                            if target != 0 {
                                e.edge_to_id(target, false, Label::Index(k as u32));
                            }
                        }
                    }
                }
                PRIM_ARRAY_DUMP | PRIM_ARRAY_NODATA => node += 1,
                _ => {}
            }
            Ok(())
        })?;
        Ok(())
    });
    done.into_iter().collect()
}
