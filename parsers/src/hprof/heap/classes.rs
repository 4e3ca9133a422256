//! The class table: one [`ClassDef`] per CLASS DUMP, read in pass 1, and after the layout
//! decision each class's instance layout (reference slots, dump data length, JVM instance size)
//! and the JVM size of its statics, computed over its superclass chain.

use heapscope_graph::{GraphBuilder, Interner, LabelId, TypeId};

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

/// A class from its CLASS DUMP, with the instance layout computed over its superclasses:
/// 48 B (was 96). Its field, static and slot ranges are columns of [`Classes`] (4 B each per
/// class), its name is its type's (the builder's interner holds it once), and what only the
/// layouts or a class object's own edges read — the class loader, the CLASS DUMP's instance
/// size — is read again from its record.
#[derive(Clone, Copy)]
pub struct ClassDef {
    pub id: u64,
    pub super_id: u64,
    /// Offset of the CLASS DUMP sub-record.
    pub rec: usize,
    /// JVM bytes of one instance (this class's and every superclass's fields, the fields the VM
    /// injects, @Contended padding, header and alignment; see [`crate::hprof::layout`]).
    pub size: u64,
    /// Type of instances (the class name) and of arrays of this array class.
    pub ty: TypeId,
    /// Dump bytes of one instance's data (this class and every superclass).
    pub data_len: u32,
    /// Bytes of static fields in the class's mirror ([`Layout::statics_len`]: at most
    /// 65,535 statics of 8 B, so 31 bits hold it) and, in bit 31, whether the class is hidden.
    statics_hidden: u32,
    /// `jdk.internal.vm.StackChunk`'s `size` offset, or [`NO_WORDS`].
    words_at: u32,
}

/// No StackChunk `size` offset (an offset of 2^32 − 1 could not be read from any instance's
/// data either: an INSTANCE DUMP holds less than 4 GiB).
const NO_WORDS: u32 = u32::MAX;
const HIDDEN: u32 = 1 << 31;

impl ClassDef {
    /// A hidden class (JDK 15+ `Lookup.defineHiddenClass`, every lambda's class) or a VM
    /// anonymous class (JDK 8–14): no class loader lists it, its instances keep it alive, so
    /// each instance gets an edge to it ([`is_hidden_class_name`]).
    #[inline]
    pub fn hidden(&self) -> bool {
        self.statics_hidden & HIDDEN != 0
    }

    /// Bytes of static fields in the class's mirror (see [`Layout::statics_len`]).
    #[inline]
    pub fn static_bytes(&self) -> u64 {
        u64::from(self.statics_hidden & !HIDDEN)
    }

    /// `jdk.internal.vm.StackChunk`: where its `size` (the stack's words, an `int`) is in the
    /// instance data; the object is that much larger than its fields
    /// ([`Layout::stack_chunk_size`]).
    #[inline]
    pub fn stack_words_at(&self) -> Option<u32> {
        (self.words_at != NO_WORDS).then_some(self.words_at)
    }

    /// The class loader's id, from the CLASS DUMP.
    pub fn loader(&self, b: &Bytes) -> u64 {
        b.id(self.rec + 1 + 2 * b.id + 4).unwrap_or(0)
    }

    /// The CLASS DUMP's "instance size" field (HotSpot: the dump's data bytes; ART: the object
    /// size).
    pub fn instance_size(&self, b: &Bytes) -> u32 {
        b.u4(self.rec + 1 + 7 * b.id + 4).unwrap_or(0)
    }
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

/// The class table: every CLASS DUMP of the dump being analyzed, flat. Per class: the
/// [`ClassDef`] 48 B, the ends of its ranges of `fields`, `statics` and `slots` 12 B, `by_id`
/// 12–24 B; per instance field 16 B, per static reference 8 B, per reference slot 12 B.
#[derive(Default)]
pub struct Classes {
    pub defs: Vec<ClassDef>,
    pub by_id: IdMap,
    /// Own instance fields of every class, in `defs` order: (name string id, type).
    pub fields: Vec<(u64, u8)>,
    /// Each class's end in `fields` (its start: the previous class's end).
    field_ends: Vec<u32>,
    /// Static references of every class, in `defs` order: (offset of the value from the
    /// class's CLASS DUMP record, label "static NAME"); a CLASS DUMP is far shorter than 4 GiB.
    statics: Vec<(u32, LabelId)>,
    static_ends: Vec<u32>,
    /// Reference slots of every class's instances, in `defs` order (made with the layouts).
    slots: Vec<Slot>,
    slot_ends: Vec<u32>,
    /// ART only, sorted: the ids of the `byte[]`s that its writer hangs from a class's
    /// `$classOverhead` static — the class object's bytes past its `mirror::Class` fields,
    /// written as a fake array (sized and typed apart in `nodes.rs`).
    pub overhead: Vec<u64>,
}

/// The range of item `k` in a table whose items' ends are `ends`.
#[inline]
fn range(ends: &[u32], k: usize) -> std::ops::Range<usize> {
    let start = if k == 0 { 0 } else { ends[k - 1] as usize };
    start..ends.get(k).map_or(start, |&e| e as usize)
}

impl Classes {
    /// The index into `defs` of the class with this id (of two CLASS DUMPs of one id, the last).
    #[inline]
    pub fn index(&self, id: u64) -> Option<usize> {
        self.by_id.get(id).map(|i| i as usize)
    }
    pub fn get(&self, id: u64) -> Option<&ClassDef> {
        self.index(id).map(|i| &self.defs[i])
    }
    /// The name of class `ci` (index into `defs`), as Java prints it: its type's name in
    /// `types` (the builder's or the graph's interner).
    pub fn name<'a>(&self, ci: usize, types: &'a Interner) -> &'a str {
        types.get(self.defs[ci].ty.0)
    }
    /// The first class of that name.
    pub fn position(&self, name: &str, types: &Interner) -> Option<usize> {
        let ty = types.lookup(name)?;
        self.defs.iter().position(|c| c.ty.0 == ty)
    }
    /// Room for `n` more classes.
    pub fn reserve(&mut self, n: usize) {
        self.defs.reserve_exact(n);
        self.field_ends.reserve_exact(n);
        self.static_ends.reserve_exact(n);
    }
    /// Class `ci`'s own instance fields: (name string id, basic type).
    pub fn fields_of(&self, ci: usize) -> &[(u64, u8)] {
        &self.fields[range(&self.field_ends, ci)]
    }
    /// Class `ci`'s static references: (offset of the value in the file, label).
    pub fn statics_of(&self, ci: usize) -> impl Iterator<Item = (usize, LabelId)> + '_ {
        let rec = self.defs[ci].rec;
        self.statics[range(&self.static_ends, ci)]
            .iter()
            .map(move |&(off, l)| (rec + off as usize, l))
    }
    /// How many static references class `ci` has.
    pub fn static_count(&self, ci: usize) -> usize {
        range(&self.static_ends, ci).len()
    }
    /// The reference slots of an instance of class `ci` (once the layouts are made).
    #[inline]
    pub fn slots_of(&self, ci: usize) -> &[Slot] {
        &self.slots[range(&self.slot_ends, ci)]
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
    let nf = b.u2(shape.fields_at).unwrap_or(0) as usize;
    for k in 0..nf {
        let p = shape.fields_at + 2 + k * (id + 1);
        classes.fields.push((rd(p), b.u1(p + id).unwrap_or(0)));
    }
    let ns = b.u2(shape.statics_at).unwrap_or(0);
    let mut p = shape.statics_at + 2;
    for _ in 0..ns {
        let t = b.u1(p + id).unwrap_or(0);
        if t == T_OBJECT {
            let label = top.string(b, rd(p)).unwrap_or_else(|| "?".into());
            let l = builder.intern_label(&format!("static {label}"));
            // from the record's start: a CLASS DUMP's statics are within 2^32 bytes of it
            classes.statics.push(((p + id + 1 - at) as u32, l));
            if label == "$classOverhead" {
                classes.overhead.push(rd(p + id + 1));
            }
        }
        p += id + 1 + dump_size(t, id).unwrap_or(0);
    }
    let ty = builder.intern_type(&name);
    let index = classes.defs.len() as u32;
    classes.by_id.insert(cid, index);
    classes.field_ends.push(classes.fields.len() as u32);
    classes.static_ends.push(classes.statics.len() as u32);
    classes.defs.push(ClassDef {
        id: cid,
        super_id: rd(body + id + 4),
        rec: at,
        size: 0,
        ty,
        data_len: 0,
        statics_hidden: if is_hidden_class_name(&name) {
            HIDDEN
        } else {
            0
        },
        words_at: NO_WORDS,
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
pub fn generation(
    classes: &Classes,
    types: &Interner,
    b: &Bytes,
    top: &TopLevel,
    version: &str,
) -> Gen {
    if version == "1.0.3" {
        return Gen::Art;
    }
    let declares = |class: &str, field: &str| -> Option<bool> {
        let ci = classes.position(class, types)?;
        Some(
            classes
                .fields_of(ci)
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
    let reference = classes.position("java.lang.ref.Reference", builder.types());
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
            let types = builder.types();
            let c_name = classes.name(k, types);
            let (a, e) = {
                let r = range(&classes.field_ends, k);
                (r.start as u32, r.end as u32)
            };
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
            let super_name = super_k.map_or("", |i| classes.name(i, types));
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
            let instance_size = c.instance_size(b);
            if lay.gen == Gen::Art && instance_size > 0 {
                // ART writes the object size (header included) as the CLASS DUMP's instance size
                size = lay.align(u64::from(instance_size));
            }
            shapes[k] = Some((shape, size));
        }
    }
    let stack_chunk = classes
        .position(STACK_CHUNK, builder.types())
        .filter(|_| lay.gen != Gen::Art);
    let mut slots = Vec::new();
    let mut slot_ends = Vec::with_capacity(n);
    for (ci, shape) in shapes.iter().enumerate() {
        let mut data = 0u32;
        let mut stack_words_at = None;
        let mut cur = Some(ci);
        // Instance data lists this class's fields first, then its superclass's, and so on
        // (the chains are known to end: no loop got past the first loop above).
        while let Some(k) = cur {
            for &(name_sid, t) in classes.fields_of(k) {
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
        // at most 65,535 statics of 8 B: 31 bits hold their bytes
        let static_bytes = lay.statics_len(&st).min(u64::from(!HIDDEN)) as u32;
        let c = &mut classes.defs[ci];
        c.data_len = data;
        c.size = size;
        c.statics_hidden = (c.statics_hidden & HIDDEN) | static_bytes;
        c.words_at = stack_words_at.unwrap_or(NO_WORDS);
        slot_ends.push(slots.len() as u32);
    }
    slots.shrink_to_fit();
    classes.slots = slots;
    classes.slot_ends = slot_ends;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{is_hidden_class_name, ClassDef, Classes, Slot, HIDDEN, NO_WORDS};
    use heapscope_graph::{LabelId, TypeId};

    /// The flat table (one `Vec` of each kind with the classes' ends, the statics as offsets
    /// from their record, hidden and static bytes in one word, no StackChunk offset as a
    /// sentinel) against a list of per-class `Vec`s and plain fields, on random classes
    /// (empty ones among them).
    #[test]
    fn flat_class_table_agrees_with_per_class_lists() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        #[allow(clippy::type_complexity)]
        let mut naive: Vec<(
            Vec<(u64, u8)>,
            Vec<(usize, LabelId)>,
            Vec<u32>,
            bool,
            u64,
            Option<u32>,
        )> = Vec::new();
        let mut c = Classes::default();
        let mut slot_ends = Vec::new();
        for ci in 0..300u64 {
            let rec = (next(1 << 40) + 1) as usize;
            let fields: Vec<(u64, u8)> =
                (0..next(4)).map(|_| (next(1000), next(12) as u8)).collect();
            let statics: Vec<(usize, LabelId)> = (0..next(3))
                .map(|_| (rec + 1 + next(1 << 20) as usize, LabelId(next(50) as u32)))
                .collect();
            let slots: Vec<u32> = (0..next(4)).map(|_| next(1 << 16) as u32).collect();
            let hidden = next(2) == 0;
            let static_bytes = next(65_536 * 8);
            let words = (next(3) == 0).then(|| next(u64::from(u32::MAX)) as u32);
            c.fields.extend_from_slice(&fields);
            c.field_ends.push(c.fields.len() as u32);
            c.statics
                .extend(statics.iter().map(|&(at, l)| ((at - rec) as u32, l)));
            c.static_ends.push(c.statics.len() as u32);
            c.slots.extend(slots.iter().map(|&off| Slot {
                off,
                label: LabelId(0),
                weak: false,
            }));
            slot_ends.push(c.slots.len() as u32);
            c.defs.push(ClassDef {
                id: ci + 1,
                super_id: 0,
                rec,
                size: 0,
                ty: TypeId(0),
                data_len: 0,
                statics_hidden: if hidden { HIDDEN } else { 0 } | static_bytes as u32,
                words_at: words.unwrap_or(NO_WORDS),
            });
            naive.push((fields, statics, slots, hidden, static_bytes, words));
        }
        c.slot_ends = slot_ends;
        for (ci, (fields, statics, slots, hidden, static_bytes, words)) in naive.iter().enumerate()
        {
            assert_eq!(c.fields_of(ci), &fields[..]);
            assert_eq!(c.statics_of(ci).collect::<Vec<_>>(), *statics);
            assert_eq!(c.static_count(ci), statics.len());
            let offs: Vec<u32> = c.slots_of(ci).iter().map(|s| s.off).collect();
            assert_eq!(offs, *slots);
            let d = &c.defs[ci];
            assert_eq!(
                (d.hidden(), d.static_bytes(), d.stack_words_at()),
                (*hidden, *static_bytes, *words)
            );
        }
        assert_eq!(std::mem::size_of::<ClassDef>(), 48);
    }

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
