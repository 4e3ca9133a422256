//! The class table: one [`ClassDef`] per CLASS DUMP, read in pass 1, and after the layout
//! decision each class's instance layout (reference slots, dump data length, JVM instance size)
//! and the JVM size of its statics, computed over its superclass chain.

use heapscope_graph::{GraphBuilder, LabelId, TypeId};

use super::class_dump_end;
use crate::hprof::bytes::{dump_size, java_class_name, Bytes, T_INT, T_OBJECT};
use crate::hprof::idmap::IdMap;
use crate::hprof::layout::{Gen, Layout, Shape, CONTENDED, INJECTED};
use crate::hprof::records::TopLevel;
use crate::Fail;

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
    /// injects, @Contended padding, header and alignment; see [`crate::hprof::layout`]).
    pub size: u64,
    /// Reference slots of an instance: a range of [`Classes::slots`].
    pub slots: (u32, u32),
    /// Type of instances (the class name) and of arrays of this array class.
    pub ty: TypeId,
    /// A hidden class (JDK 15+ `Lookup.defineHiddenClass`, every lambda's class) or a VM
    /// anonymous class (JDK 8–14): no class loader lists it, its instances keep it alive, so
    /// each instance gets an edge to it ([`is_hidden_class_name`]).
    pub hidden: bool,
    /// `jdk.internal.vm.StackChunk`: where its `size` (the stack's words, an `int`) is in the
    /// instance data; the object is that much larger than its fields
    /// ([`Layout::stack_chunk_size`]).
    pub stack_words_at: Option<u32>,
}

/// The class whose instances hold a virtual thread's frames (JDK 19+).
pub const STACK_CHUNK: &str = "jdk.internal.vm.StackChunk";

/// Is this class (its Java name) a hidden or VM-anonymous class? HotSpot names them after the
/// class they were made from plus a suffix no Java identifier can start with: `+0x<address>`
/// since JDK 15 (`Lookup.defineHiddenClass`, lambdas: `Foo$$Lambda+0x0000000100081800`, which
/// Java prints `Foo$$Lambda/0x…`), `/0x<address>` on JDK 9–14 and `/<identity hash>` on JDK 8
/// (`Unsafe.defineAnonymousClass`), the `/` read as a package separator (`….0x…`). So: the
/// last segment of the name, after a `.` or `+`, starts with a digit. Array classes are not
/// (their instances are arrays, which have no edge to their class).
pub fn is_hidden_class_name(name: &str) -> bool {
    if name.ends_with("[]") {
        return false;
    }
    let last = name.rsplit(['.', '+']).next().unwrap_or("");
    last.len() < name.len() && last.starts_with(|c: char| c.is_ascii_digit())
}

/// The class table: every CLASS DUMP of the dump being analyzed, flat.
#[derive(Default)]
pub struct Classes {
    pub defs: Vec<ClassDef>,
    /// The class names end to end, in `defs` order ([`Classes::name`]): a `String` per class
    /// took 24 B + a heap block each.
    names: String,
    name_ends: Vec<usize>,
    pub by_id: IdMap,
    pub fields: Vec<(u64, u8)>,
    /// (offset of a static reference value in the file, label "static NAME")
    pub statics: Vec<(usize, LabelId)>,
    pub slots: Vec<Slot>,
    /// ART only, sorted: the ids of the `byte[]`s that its writer hangs from a class's
    /// `$classOverhead` static — the class object's bytes past its `mirror::Class` fields,
    /// written as a fake array (sized and typed apart in `nodes.rs`).
    pub overhead: Vec<u64>,
}

impl Classes {
    pub fn get(&self, id: u64) -> Option<&ClassDef> {
        self.by_id.get(id).map(|i| &self.defs[i as usize])
    }
    /// The name of class `ci` (index into `defs`), as Java prints it.
    pub fn name(&self, ci: usize) -> &str {
        let start = if ci == 0 { 0 } else { self.name_ends[ci - 1] };
        &self.names[start..self.name_ends[ci]]
    }
    /// The first class of that name.
    pub fn position(&self, name: &str) -> Option<usize> {
        (0..self.defs.len()).find(|&ci| self.name(ci) == name)
    }
    /// Room for `n` more classes.
    pub fn reserve(&mut self, n: usize) {
        self.defs.reserve_exact(n);
        self.name_ends.reserve_exact(n);
    }
    pub fn slots_of(&self, c: &ClassDef) -> &[Slot] {
        &self.slots[c.slots.0 as usize..c.slots.1 as usize]
    }
}

/// One CLASS DUMP at `at` into the class table.
pub(super) fn read_class_dump(
    b: &Bytes,
    top: &TopLevel,
    at: usize,
    builder: &mut GraphBuilder,
    classes: &mut Classes,
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
    for _ in 0..ns {
        let t = b.u1(p + id).unwrap_or(0);
        if t == T_OBJECT {
            let label = top.string(b, rd(p)).unwrap_or_else(|| "?".into());
            let l = builder.intern_label(&format!("static {label}"));
            classes.statics.push((p + id + 1, l));
            if label == "$classOverhead" {
                classes.overhead.push(rd(p + id + 1));
            }
        }
        p += id + 1 + dump_size(t, id).unwrap_or(0);
    }
    let ty = builder.intern_type(&name);
    let index = classes.defs.len() as u32;
    classes.by_id.insert(cid, index);
    classes.names.push_str(&name);
    classes.name_ends.push(classes.names.len());
    classes.defs.push(ClassDef {
        id: cid,
        super_id: rd(body + id + 4),
        loader: rd(body + 2 * id + 4),
        rec: at,
        fields: (f0, classes.fields.len() as u32),
        statics: (s0, classes.statics.len() as u32),
        static_bytes: 0,
        data_len: 0,
        instance_size: b.u4(body + 7 * id + 4).unwrap_or(0),
        size: 0,
        slots: (0, 0),
        ty,
        hidden: is_hidden_class_name(&name),
        stack_words_at: None,
    });
    Ok(())
}

/// How many static fields of each basic type the CLASS DUMP at `at` declares, as the class's
/// mirror stores them (HotSpot's pseudo-statics `<resolved_references>`, `<init_lock>` are
/// edges, but not stored in the mirror): read again from the record when the layouts are made
/// (static sizes are fixed once the reference size is known), not kept per class.
fn static_types(b: &Bytes, top: &TopLevel, at: usize) -> [u32; 12] {
    let id = b.id;
    let mut static_types = [0u32; 12];
    let Ok(shape) = class_dump_end(b, at) else {
        return static_types;
    };
    let ns = b.u2(shape.statics_at).unwrap_or(0);
    let mut p = shape.statics_at + 2;
    for _ in 0..ns {
        let t = b.u1(p + id).unwrap_or(0);
        if t == T_OBJECT {
            let pseudo = top
                .string_bytes(b, b.id(p).unwrap_or(0))
                .is_some_and(|s| s.starts_with(b"<"));
            if !pseudo {
                static_types[T_OBJECT as usize] += 1;
            }
        } else {
            static_types[(t as usize).min(11)] += 1;
        }
        p += id + 1 + dump_size(t, id).unwrap_or(0);
    }
    static_types
}

/// Which layout generation wrote the dump, from what it holds (see [`crate::hprof::layout`]):
/// Android's `1.0.3` is ART; otherwise HotSpot: JDK 15+ when `java.lang.Class` declares `classData`
/// (hidden classes, JDK 15), JDK 8–14 when `java.lang.Thread` declares `threadLocalRandomSeed`
/// (JDK 8), JDK 5–7 otherwise; a dump with neither class (a synthetic one) is taken as JDK 15+.
pub fn generation(classes: &Classes, b: &Bytes, top: &TopLevel, version: &str) -> Gen {
    if version == "1.0.3" {
        return Gen::Art;
    }
    let declares = |class: &str, field: &str| -> Option<bool> {
        let c = &classes.defs[classes.position(class)?];
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
) -> Result<(), Fail> {
    let id = b.id;
    let n = classes.defs.len();
    // Is this class java.lang.ref.Reference (its `referent` is weak)?
    let reference = classes.position("java.lang.ref.Reference");
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
            let c_name = classes.name(k);
            let (a, e) = c.fields;
            let declared: Vec<String> = if special(c_name) {
                (a..e)
                    .map(|fi| {
                        top.string(b, classes.fields[fi as usize].0)
                            .unwrap_or_default()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let super_name = super_k.map_or("", |i| classes.name(i));
            let contended: &[&str] = CONTENDED
                .iter()
                .find(|g| g.0 == c_name && g.2.holds(&declared, super_name))
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
            if lay.gen != Gen::Art && special(c_name) {
                for &(_, f, t, since, when) in INJECTED.iter().filter(|e| e.0 == c_name) {
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
            let (shape, mut size) = lay.extend(sup, &own, &group, c_name);
            if lay.gen == Gen::Art && c.instance_size > 0 {
                // ART writes the object size (header included) as the CLASS DUMP's instance size
                size = lay.align(u64::from(c.instance_size));
            }
            shapes[k] = Some((shape, size));
        }
    }
    let stack_chunk = classes
        .position(STACK_CHUNK)
        .filter(|_| lay.gen != Gen::Art);
    let mut slots = Vec::new();
    for (ci, shape) in shapes.iter().enumerate() {
        let s0 = slots.len() as u32;
        let mut data = 0u32;
        let mut stack_words_at = None;
        let mut cur = Some(ci);
        // Instance data lists this class's fields first, then its superclass's, and so on
        // (the chains are known to end: no loop got past the first loop above).
        while let Some(k) = cur {
            let c = &classes.defs[k];
            for fi in c.fields.0..c.fields.1 {
                let (name_sid, t) = classes.fields[fi as usize];
                if Some(k) == stack_chunk
                    && t == T_INT
                    && top.string_bytes(b, name_sid) == Some(b"size".as_slice())
                {
                    stack_words_at = Some(data);
                }
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
        let st = static_types(b, top, classes.defs[ci].rec);
        let size = shape.as_ref().map_or(0, |s| s.1);
        let c = &mut classes.defs[ci];
        c.data_len = data;
        c.size = size;
        c.static_bytes = lay.statics_len(&st);
        c.slots = (s0, slots.len() as u32);
        c.stack_words_at = stack_words_at;
    }
    classes.slots = slots;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_hidden_class_name;

    #[test]
    fn hidden_class_names() {
        for hidden in [
            "Loom$Gen+0x0000000100000400",     // JDK 15+ defineHiddenClass
            "Loom$$Lambda+0x0000000100081800", // JDK 21 lambda
            "java.lang.invoke.LambdaForm$DMH+0x0000000100082400",
            "com.x.Foo$$Lambda$14.0x0000000800066840", // JDK 9-14 anonymous (`/0x…`)
            "com.x.Foo$$Lambda$1.1234567",             // JDK 8 anonymous (`/<hash>`)
        ] {
            assert!(is_hidden_class_name(hidden), "{hidden}");
        }
        for plain in [
            "Loom",
            "Loom$Gen",
            "Foo$1",
            "java.util.HashMap$Node",
            "com.x.v2.Foo",
            "Loom$Gen+0x0000000100000400[]", // an array class: its instances are arrays
            "0x12",                          // no separator: not a derived name
            "",
        ] {
            assert!(!is_hidden_class_name(plain), "{plain}");
        }
    }
}
