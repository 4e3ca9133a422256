//! The heap dump's sub-records: their lengths, the class table with each class's instance layout,
//! and the three passes over the first dump's segments (classes and roots; nodes; references).

use heapscope_graph::{GraphBuilder, Label, LabelId, NodeIdx, NodeKind, TypeId};

use super::bytes::{dump_size, java_class_name, prim_array_name, Bytes, Corrupt, T_OBJECT};
use super::idmap::IdMap;
use super::layout::Layout;
use super::records::TopLevel;

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
pub fn sub_record_end(b: &Bytes, at: usize) -> Result<usize, Corrupt> {
    let id = b.id;
    let body = at + 1;
    let past = b.len() + 1; // "runs past the end"
    let tag = b
        .u1(at)
        .ok_or(Corrupt::at(at, "a heap dump sub-record tag"))?;
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
                    return Err(Corrupt::at(
                        body + id + 8,
                        "a primitive array element type (4..11)",
                    ))
                }
            };
            return Ok(body + id + 9 + n as usize * es);
        }
        CLASS_DUMP => return class_dump_end(b, at).map(|c| c.end),
        _ => return Err(Corrupt::at(at, "a heap dump sub-record tag")),
    };
    Ok(body + fixed)
}

/// Offsets inside one CLASS DUMP sub-record.
pub struct ClassDumpShape {
    pub statics_at: usize,
    pub fields_at: usize,
    pub end: usize,
}

fn class_dump_end(b: &Bytes, at: usize) -> Result<ClassDumpShape, Corrupt> {
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
        p += 3 + dump_size(t, id)
            .ok_or(Corrupt::at(p + 2, "a constant pool entry type (2, 4..11)"))?;
    }
    let statics_at = p;
    let Some(ns) = b.u2(p) else { return Ok(past) };
    p += 2;
    for _ in 0..ns {
        let Some(t) = b.u1(p + id) else {
            return Ok(past);
        };
        p += id
            + 1
            + dump_size(t, id).ok_or(Corrupt::at(p + id, "a static field type (2, 4..11)"))?;
    }
    let fields_at = p;
    let Some(nf) = b.u2(p) else { return Ok(past) };
    p += 2;
    for k in 0..nf as usize {
        let tp = p + k * (id + 1) + id;
        if let Some(t) = b.u1(tp) {
            dump_size(t, id).ok_or(Corrupt::at(tp, "an instance field type (2, 4..11)"))?;
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
    /// Bytes of static fields in the JVM (references at the JVM's reference size).
    pub static_bytes: u64,
    /// Dump bytes of one instance's data (this class and every superclass).
    pub data_len: u32,
    /// JVM bytes of one instance's fields (this class and every superclass).
    pub field_bytes: u64,
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
    mut f: impl FnMut(u8, usize, usize) -> Result<(), Corrupt>,
) -> Result<Option<String>, Corrupt> {
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
                return Err(Corrupt::at(
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

/// Pass 1: the class table and the GC roots, and votes on the object layout from the address
/// gaps between consecutive arrays.
pub fn collect_classes(
    b: &Bytes,
    top: &TopLevel,
    builder: &mut GraphBuilder,
    votes: &mut super::layout::Votes,
) -> Result<(Classes, Vec<RootRec>, Option<String>, Vec<String>), Corrupt> {
    let id = b.id;
    let mut classes = Classes::default();
    let mut roots = Vec::new();
    let mut heap_names = Vec::new();
    let mut prev: Option<(u64, u8, u32, u8)> = None; // (id, tag, length, elem type) of the previous array
    let trunc = each_sub_record(b, &top.segments, |tag, at, end| {
        let body = at + 1;
        let rd = |o: usize| b.id(o).unwrap_or(0);
        match tag {
            CLASS_DUMP => {
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
                    static_types[(t as usize).min(11)] += 1;
                    if t == T_OBJECT {
                        let label = top.string(b, rd(p)).unwrap_or_else(|| "?".into());
                        let l = builder.intern_label(&format!("static {label}"));
                        classes.statics.push((p + id + 1, l));
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
                    field_bytes: 0,
                    slots: (0, 0),
                    ty,
                });
                // static sizes are fixed once the reference size is known: keep the type counts
                votes.static_types.push(static_types);
                prev = None;
            }
            INSTANCE_DUMP => prev = None,
            OBJ_ARRAY_DUMP | PRIM_ARRAY_DUMP => {
                let oid = rd(body);
                let n = b.u4(body + id + 4).unwrap_or(0);
                let et = if tag == PRIM_ARRAY_DUMP {
                    b.u1(body + id + 8).unwrap_or(0)
                } else {
                    T_OBJECT
                };
                if let Some((pid, _, pn, pt)) = prev {
                    if oid > pid && oid - pid < (1 << 20) {
                        votes.vote(oid - pid, pn, pt);
                    }
                }
                prev = Some((oid, tag, n, et));
            }
            PRIM_ARRAY_NODATA => prev = None,
            HEAP_DUMP_INFO => {
                if let Some(name) = top.string(b, rd(body + 4)) {
                    if !heap_names.contains(&name) {
                        heap_names.push(name);
                    }
                }
            }
            _ => {
                roots.push(RootRec {
                    id: rd(body),
                    tag,
                    thread_serial: match tag {
                        ROOT_JNI_LOCAL | ROOT_JAVA_FRAME | ROOT_NATIVE_STACK
                        | ROOT_THREAD_BLOCK | ROOT_THREAD_OBJECT | ROOT_JNI_MONITOR => {
                            b.u4(body + id).unwrap_or(0)
                        }
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
                });
            }
        }
        let _ = end;
        Ok(())
    })?;
    Ok((classes, roots, trunc, heap_names))
}

/// After pass 1 and the layout decision: instance layouts (walking each superclass chain
/// iteratively) and JVM sizes of statics.
pub fn compute_layouts(
    classes: &mut Classes,
    b: &Bytes,
    top: &TopLevel,
    lay: &Layout,
    builder: &mut GraphBuilder,
    static_types: &[[u32; 12]],
) {
    let id = b.id;
    let n = classes.defs.len();
    // Is this class java.lang.ref.Reference (its `referent` is weak)?
    let reference = classes
        .defs
        .iter()
        .position(|c| c.name == "java.lang.ref.Reference");
    let mut slots = Vec::new();
    for ci in 0..n {
        let s0 = slots.len() as u32;
        let mut data = 0u32;
        let mut bytes = 0u64;
        let mut cur = Some(ci);
        let mut depth = 0;
        // Instance data lists this class's fields first, then its superclass's, and so on.
        while let Some(k) = cur {
            depth += 1;
            if depth > 256 {
                break; // a cycle in corrupt input
            }
            let c = &classes.defs[k];
            let (a, e) = c.fields;
            for fi in a..e {
                let (name_sid, t) = classes.fields[fi as usize];
                let ds = dump_size(t, id).unwrap_or(0) as u32;
                if t == T_OBJECT {
                    let name = top.string(b, name_sid).unwrap_or_else(|| "?".into());
                    let weak = Some(k) == reference && name == "referent";
                    slots.push(Slot {
                        off: data,
                        label: builder.intern_label(&name),
                        weak,
                    });
                }
                data += ds;
                bytes += lay.field_size(t);
            }
            cur = classes
                .by_id
                .get(c.super_id)
                .map(|i| i as usize)
                .filter(|&i| i != k);
        }
        let st = static_types.get(ci).copied().unwrap_or([0; 12]);
        let static_bytes: u64 = (0..12u8)
            .map(|t| u64::from(st[t as usize]) * lay.field_size(t))
            .sum();
        let c = &mut classes.defs[ci];
        c.data_len = data;
        c.field_bytes = bytes;
        c.static_bytes = static_bytes;
        c.slots = (s0, slots.len() as u32);
    }
    classes.slots = slots;
}

/// Per node: the file offset of its sub-record, stored as blocks of 256 (a u64 base per block and
/// a u32 delta per node: 4 bytes per node instead of 8).
#[derive(Default)]
pub struct Offsets {
    base: Vec<u64>,
    rel: Vec<u32>,
    /// deltas that do not fit in u32 (objects larger than 4 GiB in a block)
    big: Vec<(u32, u64)>,
}

impl Offsets {
    pub fn push(&mut self, off: usize) {
        let i = self.rel.len();
        if i % 256 == 0 {
            self.base.push(off as u64);
        }
        let d = off as u64 - self.base[i / 256];
        if d >= u64::from(u32::MAX) {
            self.big.push((i as u32, off as u64));
            self.rel.push(u32::MAX);
        } else {
            self.rel.push(d as u32);
        }
    }
    pub fn get(&self, node: usize) -> Option<usize> {
        let r = *self.rel.get(node)?;
        if r == u32::MAX {
            return self
                .big
                .iter()
                .find(|b| b.0 as usize == node)
                .map(|b| b.1 as usize);
        }
        Some((self.base[node / 256] + u64::from(r)) as usize)
    }
}

/// Pass 2: one node per class, instance and array, in file order.
pub fn add_nodes(
    b: &Bytes,
    segs: &[(usize, usize)],
    classes: &Classes,
    lay: &Layout,
    builder: &mut GraphBuilder,
    offsets: &mut Offsets,
    unknown_classes: &mut u64,
    class_nodes: &mut Vec<(u32, u32)>,
) -> Result<(), Corrupt> {
    let id = b.id;
    let class_ty = builder.intern_type("java.lang.Class");
    let mut prim_ty = [None; 12];
    for t in 4..12u8 {
        prim_ty[t as usize] = Some(builder.intern_type(prim_array_name(t)));
    }
    let unknown_ty = builder.intern_type("<unknown class>");
    let class_class = classes.defs.iter().find(|c| c.name == "java.lang.Class");
    let mirror_base = class_class
        .map(|c| lay.instance_size(c.field_bytes) + lay.mirror_extra)
        .unwrap_or(0);
    let mut last: (u64, u32) = (0, u32::MAX);
    each_sub_record(b, segs, |tag, at, end| {
        let body = at + 1;
        let oid = b.id(body).unwrap_or(0);
        match tag {
            CLASS_DUMP => {
                let c = classes.get(oid);
                let size = c
                    .map(|c| lay.align(mirror_base + c.static_bytes))
                    .unwrap_or(mirror_base);
                offsets.push(at);
                let n = builder.add_node(oid, class_ty, NodeKind::Class, size);
                if let Some(ci) = classes.by_id.get(oid) {
                    class_nodes.push((n.0, ci));
                }
            }
            INSTANCE_DUMP => {
                let cid = b.id(body + id + 4).unwrap_or(0);
                let ci = if cid == last.0 {
                    Some(last.1)
                } else {
                    classes.by_id.get(cid)
                };
                let (ty, size) = match ci {
                    Some(ci) => {
                        last = (cid, ci);
                        let c = &classes.defs[ci as usize];
                        let extra = if c.ty == class_ty {
                            lay.mirror_extra
                        } else {
                            0
                        };
                        (c.ty, lay.instance_size(c.field_bytes + extra))
                    }
                    None => {
                        *unknown_classes += 1;
                        let n = b.u4(body + 2 * id + 4).unwrap_or(0);
                        (unknown_ty, lay.instance_size(u64::from(n)))
                    }
                };
                // Instances of java.lang.Class (the primitive-type mirrors) stay kind Object:
                // kind Class means "a CLASS DUMP".
                offsets.push(at);
                builder.add_node(oid, ty, NodeKind::Object, size);
            }
            OBJ_ARRAY_DUMP => {
                let n = b.u4(body + id + 4).unwrap_or(0);
                let cid = b.id(body + id + 8).unwrap_or(0);
                let ty = match classes.get(cid) {
                    Some(c) => c.ty,
                    None => builder.intern_type("java.lang.Object[]"),
                };
                offsets.push(at);
                builder.add_node(oid, ty, NodeKind::ObjectArray, lay.array_size(n, T_OBJECT));
            }
            PRIM_ARRAY_DUMP | PRIM_ARRAY_NODATA => {
                let n = b.u4(body + id + 4).unwrap_or(0);
                let t = b.u1(body + id + 8).unwrap_or(0);
                let ty = prim_ty
                    .get(t as usize)
                    .copied()
                    .flatten()
                    .unwrap_or(unknown_ty);
                offsets.push(at);
                builder.add_node(oid, ty, NodeKind::PrimitiveArray, lay.array_size(n, t));
            }
            _ => {}
        }
        let _ = end;
        Ok(())
    })?;
    Ok(())
}

/// Extra references of thread objects: their stack-local roots, labelled with the frame.
pub struct ThreadLocals {
    /// (thread object id, local object id, label), sorted by thread object id
    pub edges: Vec<(u64, u64, LabelId)>,
}

/// Pass 3: each node's references, in node order (the order of pass 2).
pub fn add_edges(
    b: &Bytes,
    segs: &[(usize, usize)],
    classes: &Classes,
    builder: &mut GraphBuilder,
    locals: &ThreadLocals,
) -> Result<(), Corrupt> {
    let id = b.id;
    let super_l = builder.intern_label("<super>");
    let loader_l = builder.intern_label("<classloader>");
    let mut node = 0u32;
    let mut last: (u64, u32) = (0, u32::MAX);
    each_sub_record(b, segs, |tag, at, end| {
        let body = at + 1;
        let oid = b.id(body).unwrap_or(0);
        match tag {
            CLASS_DUMP => {
                builder.begin_node(NodeIdx(node));
                node += 1;
                if let Some(c) = classes.get(oid) {
                    for &(off, label) in
                        &classes.statics[c.statics.0 as usize..c.statics.1 as usize]
                    {
                        builder.edge_to_id(b.id(off).unwrap_or(0), false, Label::Name(label));
                    }
                    builder.edge_to_id(c.super_id, false, Label::Name(super_l));
                    builder.edge_to_id(c.loader, false, Label::Name(loader_l));
                }
            }
            INSTANCE_DUMP => {
                builder.begin_node(NodeIdx(node));
                node += 1;
                let cid = b.id(body + id + 4).unwrap_or(0);
                let ci = if cid == last.0 {
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
                            builder.edge_to_id(target, s.weak, Label::Name(s.label));
                        }
                    }
                }
                if !locals.edges.is_empty() {
                    let from = locals.edges.partition_point(|e| e.0 < oid);
                    for e in locals.edges[from..].iter().take_while(|e| e.0 == oid) {
                        builder.edge_to_id(e.1, false, Label::Name(e.2));
                    }
                }
            }
            OBJ_ARRAY_DUMP => {
                builder.begin_node(NodeIdx(node));
                node += 1;
                let n = b.u4(body + id + 4).unwrap_or(0) as usize;
                let data = body + 2 * id + 8;
                for k in 0..n {
                    let target = b.id(data + k * id).unwrap_or(0);
                    if target != 0 {
                        builder.edge_to_id(target, false, Label::Index(k as u32));
                    }
                }
            }
            PRIM_ARRAY_DUMP | PRIM_ARRAY_NODATA => {
                node += 1;
            }
            _ => {}
        }
        let _ = end;
        Ok(())
    })?;
    Ok(())
}
