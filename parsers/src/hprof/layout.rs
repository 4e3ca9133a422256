//! Object sizes as the JVM lays objects out, as far as an HPROF file tells.
//!
//! HPROF records no object sizes (HotSpot's CLASS DUMP "instance size" is the size of the
//! instance *data in the dump*, ids at the id size). So, like Eclipse MAT, heapscope rebuilds
//! them from a layout model. The target is the JVM's own number: `jcmd PID GC.class_histogram`
//! (HotSpot's `oop_size`), which the hprof tests compare class by class.
//!
//! - **the size model** (`DumpFacts.details["size_model"]`, e.g. `hotspot-15+ 64-bit compressed
//!   oops`) is chosen from the dump itself: the field layout generation ([`Gen`], by
//!   [`super::heap::generation`]) from the HPROF version and which fields always-loaded JDK
//!   classes declare, and header/reference size/object alignment from address gaps ([`Votes`]):
//!   - `hotspot-15+` (`java.lang.Class` declares `classData`, JDK 15's hidden classes):
//!     HotSpot's `FieldLayoutBuilder` since JDK-8237767 ("Field layout computation overhaul",
//!     JDK 15, `-XX:+UseEmptySlotsInSupers`): a class's primitive fields by falling size, then its
//!     references, each into the smallest empty slot of the layout so far — including the gaps
//!     its superclasses left — else appended at its alignment ([`Layout::extend`]).
//!   - `hotspot-8..14` (`Thread` declares `threadLocalRandomSeed`, JDK 8) and `hotspot-5..7`
//!     (neither): classFileParser.cpp's `layout_fields` with the defaults `FieldsAllocationStyle=1`
//!     and `CompactFields`: a class's fields start at its superclass's end rounded up to the
//!     reference size (`nonstatic_field_size` counts heapOopSize words), so a gap a superclass
//!     leaves is never filled; longs/doubles first, 8-aligned, the gap before them taking an int,
//!     shorts, bytes or a reference; then ints, shorts, bytes, references. A few JDK classes
//!     (`String`, `Class`, `ClassLoader`, `Reference`, boxes …) are laid out references first
//!     without that compaction. The two differ in which injected fields exist (`loader_data`
//!     came with the metaspace in JDK 8). JDK 11 shows the difference from 15+: `Reference` has
//!     the same four fields as on JDK 17 (`referent`, `queue`, `next`, `discovered`), ending at
//!     28; `SoftReference.timestamp` goes to 32..40, and a subclass's reference to 40 (48 bytes)
//!     where JDK 15+ puts it into the gap at 28 (40 bytes).
//!   - `art` (Android, `JAVA PROFILE 1.0.3`): ART's writer (art/runtime/hprof/hprof.cc,
//!     `DumpHeapClass`) puts `klass->GetObjectSize()`, the object size with its header, into the
//!     CLASS DUMP's instance size (0 for `java.lang.Class`, arrays and primitives,
//!     `sizeof(mirror::String)` for `String`); that is the size (aligned to 8), and where it is 0
//!     the JDK 15+ rules apply. A class object is its statics alone: the writer emits the
//!     `mirror::Class` fields as statics `$class$…` and the rest of the object as a
//!     `$classOverhead` byte[], which is counted as its elements without an array header and
//!     typed `(class overhead)`, apart from the app's `byte[]`s, in parentheses as other
//!     runtime-internal objects are (testdata/java/android: within 8 B per class of ART's
//!     `GetClassSize()`).
//!
//!   Instance size = the end of the last field rounded up to 8, then to the object alignment.
//!   Checked class by class against `jcmd GC.class_histogram` on JDK 11, 17 (also without
//!   compressed oops, and with 16-byte alignment), 21, 25 and against `jmap -histo` of Sun JDK
//!   5/6 dumps, 32- and 64-bit (parsers/tests/hprof/versions.rs, testdata/java/README.md).
//! - **fields the VM injects** ([`INJECTED`]): HotSpot adds fields to some JDK classes that no
//!   class file declares and the heap dumper does not write (`java_lang_Class::klass`,
//!   `ClassLoader::loader_data`, `Module::module_entry`, `MemberName::vmindex`,
//!   `ResolvedMethodName::vmtarget`, …, javaClasses.hpp's `*_INJECTED_FIELDS`). They are added by
//!   name. The table is the union of JDK 17's and JDK 25's, read from the running JVMs' own field
//!   layouts (`jhsdb clhsdb`, `print <InstanceKlass>`); where the two differ the dump's declared
//!   fields tell them apart (JDK 25 declares `Class.protectionDomain` and `Thread.holder`). Each
//!   entry also names the oldest generation that has it (JDK 5/6/11 histograms show which).
//! - **@Contended** ([`CONTENDED`]): a contended field group is laid out after the other fields,
//!   behind 128 bytes of padding (`-XX:ContendedPaddingWidth`), and followed by another 128; the
//!   annotation is not in the dump, so the few JDK fields that carry it are listed by name. JDK 17's
//!   `Thread.threadLocalRandom*` ("tlr") make a Thread 368 bytes instead of 112; JDK 19+ dropped it.
//!   A subclass's fields go after that padding (both generations): JDK 17's
//!   `Finalizer$FinalizerThread` and `InnocuousThread` (one boolean each) are 376 bytes.
//!   `ForkJoinPool` ("fjpctl") and `ForkJoinPool$WorkQueue` ("w"; the whole class on JDK 9–14)
//!   too, per JDK shape. A class-level `@Contended` (padding before the fields too) is modelled
//!   only where it comes to the same bytes (JDK 11's `WorkQueue`); `Striped64$Cell` and
//!   `ConcurrentHashMap$CounterCell` (class-level, JDK 8+) are not listed: no dump here has
//!   them to check against.
//! - **stack chunks** (`jdk.internal.vm.StackChunk`, JDK 19+: a parked virtual thread's frames):
//!   the frames are stored in the object after its fields, so its size is HotSpot's
//!   `InstanceStackChunkKlass::instance_size`: the instance size from the fields (with the
//!   injected `cont`, `flags`, `pc`, `maxThawingSize`: 48 bytes with compressed oops) + its
//!   `size` field's stack words + a bitmap of one bit per possible reference slot in those
//!   words, aligned ([`Layout::stack_chunk_size`]). jcmd's histogram to the byte on JDK 21 and
//!   25 (testdata/java/versions/loom21, loom25: 300 chunks, 1,044,120 and 1,019,920 bytes,
//!   where the fields alone gave 9,600).
//! - **array** = `align(base + n × element)` (to the object alignment), `base = header + 4` (the length) rounded up to the
//!   element size (to 8 for a 16-byte header, as HotSpot up to JDK 21 does).
//! - **class object** (a `java.lang.Class` mirror; HotSpot's `InstanceMirrorKlass`) =
//!   `align8(S + statics)`: `S` is the instance size of `java.lang.Class` itself (declared plus
//!   injected fields, aligned to 8; 112 bytes on JDK 17, 120 on JDK 25, compressed oops), and the
//!   class's static fields follow at offset `S` — references first, one after the other, then the
//!   primitives from the largest to the smallest, each aligned to its size, no gap refilled
//!   ([`Layout::statics_len`]). HotSpot's heap dumper adds pseudo-statics `<resolved_references>`
//!   and `<init_lock>` to CLASS DUMPs; they live elsewhere and are not counted. The 9
//!   primitive-type mirrors (INSTANCE DUMPs of `java.lang.Class`) are `S`. This is the JVM's size
//!   of a class object, the one `jcmd GC.class_histogram` counts; Eclipse MAT and VisualVM size
//!   class objects by their own conventions (statics only, or not counted as `java.lang.Class`),
//!   heapscope follows the JVM.
//! - What jcmd counts that no dump shows: with class data sharing (the default `-Xshare:auto` on
//!   compressed oops), the archived heap holds the mirrors of every archived class, loaded or
//!   not; the histogram counts them all, the dumper writes CLASS DUMPs for loaded classes only
//!   (JDK 17: 1,442 `java.lang.Class` in jcmd, 611 in the dump). The missing mirrors' number and
//!   sizes are nowhere in the file, so the `java.lang.Class` row cannot match on such dumps; with
//!   `-Xshare:off` or without compressed oops it matches to the byte.
//! - header/reference size/alignment: 64-bit dumps (8-byte ids) are one of: compressed oops and class
//!   pointers (12-byte header, 4-byte references, the default below 32 GB), compressed class
//!   pointers only (12, 8: `-XX:-UseCompressedOops`), neither (16, 8), or compact object headers
//!   (8, 4: JDK 24+ `-XX:+UseCompactObjectHeaders`). HotSpot writes objects in address order, so the
//!   address gap between two consecutive arrays is the first one's size: every such pair votes
//!   for the layouts whose array size matches the gap ([`Votes`]); the layout with most votes wins
//!   (MAT also infers compressed references from array addresses). Each is also tried with
//!   16-byte object alignment (`-XX:ObjectAlignmentInBytes=16`), whose odd multiples of 8 no
//!   8-aligned heap shows. 32-bit dumps (4-byte ids,
//!   including Android's ART): 8-byte header, 4-byte references.

use super::bytes::{dump_size, T_BOOLEAN, T_BYTE, T_INT, T_LONG, T_OBJECT, T_SHORT};

/// A native pointer field (`intptr_t`, the VM's `intptr_signature`): 8 bytes on a 64-bit JVM,
/// 4 on a 32-bit one. Not an HPROF type; used in [`INJECTED`] only.
pub const T_ADDRESS: u8 = 0xFF;

/// Which field layout algorithm the JVM that wrote the dump used (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gen {
    /// HotSpot of JDK 5–7 (permanent generation): the classic layout, no `ClassLoader.loader_data`.
    Permgen,
    /// HotSpot of JDK 8–14: the classic layout (`FieldsAllocationStyle` 1, `CompactFields`).
    Classic,
    /// HotSpot of JDK 15+: `FieldLayoutBuilder` (JDK-8237767), subclasses fill superclass gaps.
    Modern,
    /// Android's ART: the CLASS DUMP's instance size is the object size.
    Art,
}

impl Gen {
    pub fn name(self) -> &'static str {
        match self {
            Gen::Permgen => "hotspot-5..7",
            Gen::Classic => "hotspot-8..14",
            Gen::Modern => "hotspot-15+",
            Gen::Art => "art",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Object header bytes (mark word + class pointer).
    pub header: u64,
    /// Bytes of a reference field or array element.
    pub ref_size: u64,
    /// Object alignment (`-XX:ObjectAlignmentInBytes`, 8 unless said otherwise).
    pub obj_align: u64,
    /// The field layout algorithm.
    pub gen: Gen,
    /// Bytes of a native pointer (`T_ADDRESS`): the JVM's word, 8 on a 64-bit JVM (8-byte ids),
    /// 4 on a 32-bit one. Not implied by the header: a 64-bit JVM with compact object headers
    /// has the 32-bit JVM's 8-byte header and 4-byte references.
    pub word: u64,
}

/// When an [`INJECTED`] field or a [`CONTENDED`] group applies, judged from the class's declared
/// fields and superclass in the dump.
#[derive(Clone, Copy, Debug)]
pub enum When {
    Always,
    /// Only if the class declares this field (the newer JDK's shape).
    IfDeclared(&'static str),
    /// Only if the class does not declare this field.
    UnlessDeclared(&'static str),
    /// Only if the direct superclass is not this one.
    UnlessSuper(&'static str),
}

impl When {
    pub fn holds(&self, declared: &[String], super_name: &str) -> bool {
        match *self {
            When::Always => true,
            When::IfDeclared(f) => declared.iter().any(|d| d == f),
            When::UnlessDeclared(f) => !declared.iter().any(|d| d == f),
            When::UnlessSuper(c) => super_name != c,
        }
    }
}

/// Fields HotSpot injects (javaClasses.hpp `*_INJECTED_FIELDS`): (class, field, basic type, the
/// oldest layout generation that has it, when). A field is never added when the class declares a
/// field of the same name (JDK 25 declares `Class.signers` and `ResolvedMethodName.vmholder`,
/// which JDK 17 injects). Verified on JDK 17 and JDK 25 against the JVMs' own field layouts and
/// `jcmd GC.class_histogram`; the generations against JDK 5/6/11 histograms: `loader_data` came
/// with the metaspace (JDK 8), `String.flags` and `CallSiteContext.last_cleanup` are not in
/// JDK 11 (JDK 11's `CallSiteContext` is 24 bytes), JDK 25 injects `vmdependencies` and
/// `last_cleanup` into `CallSite` itself (no `context` field any more).
#[rustfmt::skip]
pub const INJECTED: &[(&str, &str, u8, Gen, When)] = &[
    ("java.lang.Class", "klass", T_ADDRESS, Gen::Permgen, When::Always),
    ("java.lang.Class", "array_klass", T_ADDRESS, Gen::Permgen, When::Always),
    ("java.lang.Class", "oop_size", T_INT, Gen::Permgen, When::Always),
    ("java.lang.Class", "static_oop_field_count", T_INT, Gen::Permgen, When::Always),
    // JDK 17: protection_domain, signers and source_file; JDK 25 (which declares
    // protectionDomain and signers): source_file and init_lock
    ("java.lang.Class", "protection_domain", T_OBJECT, Gen::Permgen, When::UnlessDeclared("protectionDomain")),
    ("java.lang.Class", "signers", T_OBJECT, Gen::Permgen, When::Always),
    ("java.lang.Class", "source_file", T_OBJECT, Gen::Permgen, When::Always),
    ("java.lang.Class", "init_lock", T_OBJECT, Gen::Permgen, When::IfDeclared("protectionDomain")),
    ("java.lang.ClassLoader", "loader_data", T_ADDRESS, Gen::Classic, When::Always),
    ("java.lang.Module", "module_entry", T_ADDRESS, Gen::Classic, When::Always),
    ("java.lang.String", "flags", T_BYTE, Gen::Modern, When::Always),
    ("java.lang.invoke.MemberName", "vmindex", T_ADDRESS, Gen::Permgen, When::Always),
    ("java.lang.invoke.ResolvedMethodName", "vmholder", T_OBJECT, Gen::Classic, When::Always),
    ("java.lang.invoke.ResolvedMethodName", "vmtarget", T_ADDRESS, Gen::Classic, When::Always),
    ("java.lang.invoke.MethodHandleNatives$CallSiteContext", "vmdependencies", T_ADDRESS, Gen::Classic, When::Always),
    ("java.lang.invoke.MethodHandleNatives$CallSiteContext", "last_cleanup", T_LONG, Gen::Modern, When::Always),
    ("java.lang.invoke.CallSite", "vmdependencies", T_ADDRESS, Gen::Modern, When::UnlessDeclared("context")),
    ("java.lang.invoke.CallSite", "last_cleanup", T_LONG, Gen::Modern, When::UnlessDeclared("context")),
    // JDK 17 injects it into StackFrameInfo, JDK 25 into its new superclass ClassFrameInfo
    ("java.lang.StackFrameInfo", "version", T_SHORT, Gen::Classic, When::UnlessSuper("java.lang.ClassFrameInfo")),
    ("java.lang.ClassFrameInfo", "version", T_SHORT, Gen::Modern, When::Always),
    ("java.lang.InternalError", "during_unsafe_access", T_BOOLEAN, Gen::Classic, When::Always),
    // JDK 19+ (Thread declares `holder`): JVMTI and JFR state; JDK 17 has none
    ("java.lang.Thread", "jvmti_thread_state", T_ADDRESS, Gen::Modern, When::IfDeclared("holder")),
    ("java.lang.Thread", "jvmti_VTMS_transition_disable_count", T_INT, Gen::Modern, When::IfDeclared("holder")),
    ("java.lang.Thread", "jvmti_is_in_VTMS_transition", T_BOOLEAN, Gen::Modern, When::IfDeclared("holder")),
    ("java.lang.Thread", "jfr_epoch", T_SHORT, Gen::Modern, When::IfDeclared("holder")),
    // JDK 24+ (JEP 491, virtual threads that block in `synchronized`; VirtualThread declares
    // `blockPermit` since): the monitor a virtual thread waits for. jcmd on JDK 25: 168 bytes
    // a VirtualThread, 160 without it
    ("java.lang.VirtualThread", "objectWaiter", T_ADDRESS, Gen::Modern, When::IfDeclared("blockPermit")),
    // JDK 19+ (continuationJavaClasses.hpp `STACKCHUNK_INJECTED_FIELDS`): a StackChunk's fixed
    // part is 48 bytes on JDK 21 and 25 (compressed oops; the fixtures' address gaps and jcmd)
    ("jdk.internal.vm.StackChunk", "cont", T_OBJECT, Gen::Modern, When::Always),
    ("jdk.internal.vm.StackChunk", "flags", T_BYTE, Gen::Modern, When::Always),
    ("jdk.internal.vm.StackChunk", "pc", T_ADDRESS, Gen::Modern, When::Always),
    ("jdk.internal.vm.StackChunk", "maxThawingSize", T_INT, Gen::Modern, When::Always),
];

/// `@jdk.internal.vm.annotation.Contended` field groups of JDK classes: (class, fields, when);
/// the first entry of a class that holds applies. Each was fitted to `jcmd GC.class_histogram`
/// on the JDK it names (testdata/java/versions: loom21, loom25; JDK 11 and 17 by hand, a
/// `ForkJoinPool(3)`): `ForkJoinPool` 328 B (JDK 11), 336 (17), 360 (21, 25);
/// `ForkJoinPool$WorkQueue` 312 (11), 304 (17), 312 (21, 25). JDK 11's `WorkQueue` is
/// contended as a class (padding before all its fields), the same bytes as one group of all of
/// them.
#[rustfmt::skip]
pub const CONTENDED: &[(&str, &[&str], When)] = &[
    (
        "java.lang.Thread",
        &["threadLocalRandomSeed", "threadLocalRandomProbe", "threadLocalRandomSecondarySeed"],
        // JDK 8..18; Thread gained `holder` in JDK 19, when the annotation was dropped
        When::UnlessDeclared("holder"),
    ),
    // "fjpctl" (JDK 9+; `parallelism` joined it when it became a field of its own, JDK 21)
    ("java.util.concurrent.ForkJoinPool", &["ctl", "parallelism"], When::Always),
    // JDK 9..14 (the shape with `pool`): the whole class
    (
        "java.util.concurrent.ForkJoinPool$WorkQueue",
        &["owner", "pool", "array", "nsteals", "stackPred", "phase", "top", "base", "id", "source"],
        When::IfDeclared("pool"),
    ),
    // "w", JDK 21 (the shape with `access`)
    (
        "java.util.concurrent.ForkJoinPool$WorkQueue",
        &["top", "access", "phase", "source", "nsteals"],
        When::IfDeclared("access"),
    ),
    // "w", JDK 25 (the shape with `parking`)
    (
        "java.util.concurrent.ForkJoinPool$WorkQueue",
        &["top", "phase", "stackPred", "source", "nsteals", "parking"],
        When::IfDeclared("parking"),
    ),
    // "w", JDK 17
    ("java.util.concurrent.ForkJoinPool$WorkQueue", &["top", "source", "nsteals"], When::Always),
];

/// HotSpot's `-XX:ContendedPaddingWidth` default.
pub const CONTENDED_PADDING: u64 = 128;

/// What a subclass's layout starts from: the superclass's fields as HotSpot leaves them.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Where appended fields start: JDK ≤ 14 the superclass's `nonstatic_fields_end` (aligned to
    /// the reference size), JDK 15+ the end of its last field (plus contended padding).
    pub end: u64,
    /// JDK 15+: empty slots (offset, bytes) between the fields, which subclass fields may fill.
    pub holes: Vec<(u64, u64)>,
    /// JDK 15+: the class has @Contended fields, so subclass fields are appended only.
    pub sealed: bool,
}

/// JDK classes HotSpot ≤ 14 lays out oops first and without filling the gap before longs
/// (`allocation_style = 0`, `compact_fields = false`; classFileParser.cpp: "the next classes
/// have predefined hard-coded fields offsets"). JDK 11's class loaders show it: `ClassLoader`'s
/// `defaultAssertionStatus` does not go into the gap before `loader_data`, which makes
/// `ClassLoaders$AppClassLoader` 120 bytes, not 112.
const OOPS_FIRST: &[&str] = &[
    "java.lang.AssertionStatusDirectives",
    "java.lang.Class",
    "java.lang.ClassLoader",
    "java.lang.ref.Reference",
    "java.lang.ref.SoftReference",
    "java.lang.StackTraceElement",
    "java.lang.String",
    "java.lang.Throwable",
    "java.lang.Boolean",
    "java.lang.Character",
    "java.lang.Float",
    "java.lang.Double",
    "java.lang.Byte",
    "java.lang.Short",
    "java.lang.Integer",
    "java.lang.Long",
];

impl Layout {
    /// A 64-bit JVM's layout with these header and reference sizes (see [`Votes::decide`] for
    /// 32-bit dumps).
    pub fn new(header: u64, ref_size: u64) -> Layout {
        Layout {
            header,
            ref_size,
            obj_align: 8,
            gen: Gen::Modern,
            word: 8,
        }
    }

    /// What `DumpFacts.details["size_model"]` says: the generation, the word size, the
    /// references and headers, the alignment.
    pub fn describe(&self) -> String {
        let mut s = self.gen.name().to_string();
        s.push_str(match (self.gen, self.word, self.header, self.ref_size) {
            (Gen::Art, _, _, _) => " 32-bit (CLASS DUMP instance sizes)",
            (_, 4, _, _) => " 32-bit",
            (_, _, 12, 4) => " 64-bit compressed oops",
            (_, _, 12, 8) => " 64-bit compressed class pointers only",
            (_, _, 16, 8) => " 64-bit uncompressed",
            (_, _, 8, 4) => " 64-bit compact object headers",
            _ => " 64-bit",
        });
        if self.obj_align != 8 {
            s.push_str(&format!(", {}-byte alignment", self.obj_align));
        }
        s
    }

    /// Round up to the object alignment.
    #[inline]
    pub fn align(&self, x: u64) -> u64 {
        let a = self.obj_align.max(8);
        x.div_ceil(a) * a
    }

    /// JVM bytes of one field of basic type `t`.
    #[inline]
    pub fn field_size(&self, t: u8) -> u64 {
        match t {
            T_OBJECT => self.ref_size,
            T_ADDRESS => self.word,
            _ => dump_size(t, 8).unwrap_or(0) as u64,
        }
    }

    #[inline]
    pub fn instance_size(&self, field_bytes: u64) -> u64 {
        self.align(self.header + field_bytes)
    }

    /// The shape of `java.lang.Object` (a class without superclass): just the header.
    pub fn root_shape(&self) -> Shape {
        Shape {
            end: self.header,
            holes: Vec::new(),
            sealed: false,
        }
    }

    /// Lay out a class's own fields — `fields` as (JVM bytes, is a reference), declared and
    /// injected, `group` its @Contended group — on top of its superclass's `sup`: the shape its
    /// subclasses build on and the instance size.
    pub fn extend(
        &self,
        sup: &Shape,
        fields: &[(u64, bool)],
        group: &[(u64, bool)],
        class_name: &str,
    ) -> (Shape, u64) {
        let (shape, end) = match self.gen {
            Gen::Modern | Gen::Art => self.extend_modern(sup, fields, group),
            Gen::Classic | Gen::Permgen => {
                self.extend_classic(sup, fields, group, OOPS_FIRST.contains(&class_name))
            }
        };
        (shape, self.align(end.div_ceil(8) * 8))
    }

    /// JDK 15+ (`FieldLayoutBuilder::compute_regular_layout`, `FieldLayout::add`): primitives by
    /// falling size, then references, each into the smallest empty slot it fits (the one
    /// nearest the end on a tie), else appended at its alignment (the skipped bytes become an
    /// empty slot); a @Contended group is appended behind padding and followed by padding.
    fn extend_modern(
        &self,
        sup: &Shape,
        fields: &[(u64, bool)],
        group: &[(u64, bool)],
    ) -> (Shape, u64) {
        let mut holes = if sup.sealed {
            Vec::new()
        } else {
            sup.holes.clone()
        };
        let mut end = sup.end;
        let mut order: Vec<u64> = fields.iter().filter(|f| !f.1).map(|f| f.0).collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        order.extend(fields.iter().filter(|f| f.1).map(|f| f.0));
        for size in order {
            let a = size.max(1);
            let fits = |&(o, s): &(u64, u64)| s >= size + (a - o % a) % a;
            let best = holes
                .iter()
                .enumerate()
                .filter(|(_, h)| fits(h))
                .min_by(|x, y| x.1 .1.cmp(&y.1 .1).then(y.1 .0.cmp(&x.1 .0)))
                .map(|(k, _)| k);
            match best {
                Some(k) => {
                    let (o, s) = holes.remove(k);
                    let adj = (a - o % a) % a;
                    if adj > 0 {
                        holes.push((o, adj));
                    }
                    let rest = s - adj - size;
                    if rest > 0 {
                        holes.push((o + adj + size, rest));
                    }
                }
                None => {
                    let at = end.div_ceil(a) * a;
                    if at > end {
                        holes.push((end, at - end));
                    }
                    end = at + size;
                }
            }
        }
        let mut sealed = false;
        if !group.is_empty() {
            end += CONTENDED_PADDING;
            let mut order: Vec<u64> = group.iter().filter(|f| !f.1).map(|f| f.0).collect();
            order.sort_unstable_by(|a, b| b.cmp(a));
            order.extend(group.iter().filter(|f| f.1).map(|f| f.0));
            for size in order {
                end = end.div_ceil(size.max(1)) * size.max(1) + size;
            }
            end += CONTENDED_PADDING;
            sealed = true;
        }
        holes.sort_unstable();
        (Shape { end, holes, sealed }, end)
    }

    /// JDK 5–14 (classFileParser.cpp `layout_fields`, `FieldsAllocationStyle=1`,
    /// `CompactFields`): fields start where the superclass's end, rounded up to the reference
    /// size (no gap of a superclass is ever filled); longs/doubles first at 8 bytes (the gap
    /// before them takes one int, then shorts, then bytes, then one reference; not for the
    /// [`OOPS_FIRST`] classes), then ints, shorts,
    /// bytes, and references last (first for the [`OOPS_FIRST`] classes); a @Contended group
    /// follows behind padding, in declaration order, and padding follows it.
    fn extend_classic(
        &self,
        sup: &Shape,
        fields: &[(u64, bool)],
        group: &[(u64, bool)],
        oops_first: bool,
    ) -> (Shape, u64) {
        let r = self.ref_size;
        let count = |sz: u64| fields.iter().filter(|f| !f.1 && f.0 == sz).count() as u64;
        let (mut longs, mut words, mut shorts, mut bytes) =
            (count(8), count(4), count(2), count(1));
        let mut oops = fields.iter().filter(|f| f.1).count() as u64;
        let mut off = sup.end;
        if oops_first && oops > 0 {
            off = off.div_ceil(r) * r + oops * r;
            oops = 0;
        }
        if longs > 0 {
            let at = off.div_ceil(8) * 8;
            // the OOPS_FIRST classes are laid out with `compact_fields = false`
            let mut gap = if oops_first { 0 } else { at - off };
            if gap > 0 && words > 0 {
                words -= 1;
                gap = gap.saturating_sub(4);
            }
            while gap >= 2 && shorts > 0 {
                shorts -= 1;
                gap -= 2;
            }
            while gap > 0 && bytes > 0 {
                bytes -= 1;
                gap -= 1;
            }
            if gap >= r && oops > 0 {
                oops -= 1;
            }
            off = at + longs * 8;
            longs = 0;
        }
        let _ = longs;
        off += words * 4 + shorts * 2 + bytes;
        if oops > 0 {
            off = off.div_ceil(r) * r + oops * r;
        }
        if !group.is_empty() {
            off += CONTENDED_PADDING;
            for &(size, _) in group {
                off = off.div_ceil(size.max(1)) * size.max(1) + size;
            }
            off += CONTENDED_PADDING;
        }
        (
            Shape {
                end: off.div_ceil(r) * r,
                holes: Vec::new(),
                sealed: false,
            },
            off,
        )
    }

    /// Bytes of static fields in a mirror, from an 8-aligned start: `counts[t]` fields of basic
    /// type `t`; references first, then primitives from the largest, each aligned to its size.
    pub fn statics_len(&self, counts: &[u32; 12]) -> u64 {
        let mut end = u64::from(counts[T_OBJECT as usize]) * self.ref_size;
        for size in [8u64, 4, 2, 1] {
            let n: u64 = (4..12u8)
                .filter(|&t| self.field_size(t) == size)
                .map(|t| u64::from(counts[t as usize]))
                .sum();
            if n > 0 {
                end = end.div_ceil(size) * size + n * size;
            }
        }
        end
    }

    /// A `jdk.internal.vm.StackChunk` of `words` stack words (its `size` field), as HotSpot's
    /// `InstanceStackChunkKlass::instance_size`: the fixed part (`fixed`, the instance size
    /// from its fields) + the stack + a bitmap of one bit per possible reference slot of the
    /// stack (a word holds `word / ref_size` of them), in whole words; aligned. A negative
    /// `size` (a damaged dump) counts as no stack.
    pub fn stack_chunk_size(&self, fixed: u64, words: i32) -> u64 {
        let words = u64::try_from(words).unwrap_or(0);
        let word = self.word.max(1);
        let bits = words * (word / self.ref_size.clamp(1, word));
        let bitmap_words = bits.div_ceil(8 * word);
        self.align(fixed + (words + bitmap_words) * word)
    }

    #[inline]
    pub fn array_size(&self, n: u32, t: u8) -> u64 {
        let es = self.field_size(t).max(1);
        let unit = if self.header >= 16 { 8 } else { es.max(4) };
        let base = (self.header + 4).div_ceil(unit) * unit;
        self.align(base + u64::from(n) * es)
    }
}

/// Votes on the layout from consecutive array records (see the module docs).
#[derive(Default)]
pub struct Votes {
    counts: [u64; 6],
}

/// Candidate 64-bit layouts (header, reference size, object alignment), in order of preference
/// on a tie.
const CANDIDATES: [(u64, u64, u64); 6] = [
    (12, 4, 8),
    (12, 8, 8),
    (16, 8, 8),
    (8, 4, 8),
    (12, 4, 16),
    (16, 8, 16),
];

impl Votes {
    /// Add another set of votes (from another segment).
    pub fn add(&mut self, o: &Votes) {
        for (a, b) in self.counts.iter_mut().zip(o.counts) {
            *a += b;
        }
    }

    pub fn vote(&mut self, gap: u64, n: u32, t: u8) {
        for (k, &(h, r, a)) in CANDIDATES.iter().enumerate() {
            let lay = Layout {
                obj_align: a,
                ..Layout::new(h, r)
            };
            if lay.array_size(n, t) == gap {
                self.counts[k] += 1;
            }
        }
    }

    pub fn decide(&self, id_size: usize) -> (Layout, [u64; 6]) {
        if id_size == 4 {
            let lay = Layout {
                word: 4,
                ..Layout::new(8, 4)
            };
            return (lay, self.counts);
        }
        let mut best = 0;
        for k in 1..CANDIDATES.len() {
            if self.counts[k] > self.counts[best] {
                best = k;
            }
        }
        let (h, r, a) = CANDIDATES[best];
        let lay = Layout {
            obj_align: a,
            ..Layout::new(h, r)
        };
        (lay, self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stack chunk size against numbers read off real dumps: loom21 (JDK 21, compressed
    /// oops) has chunks of 313, 326 and 339 stack words whose address gaps to the next object
    /// are 2,632, 2,744 and 2,848 bytes (48 of fields, the stack, a bitmap of 2 bits per word);
    /// without compressed oops (one bit per word) 64 words take one bitmap word, 65 two.
    #[test]
    fn stack_chunk_sizes_are_the_address_gaps() {
        let coops = Layout::new(12, 4);
        for (words, gap) in [(313, 2632), (326, 2744), (339, 2848)] {
            assert_eq!(coops.stack_chunk_size(48, words), gap, "{words} words");
        }
        let wide = Layout::new(16, 8);
        assert_eq!(wide.stack_chunk_size(64, 64), 64 + 64 * 8 + 8);
        assert_eq!(wide.stack_chunk_size(64, 65), 64 + 65 * 8 + 16);
        // no stack, or a negative size from a damaged dump: the fields alone
        assert_eq!(coops.stack_chunk_size(48, 0), 48);
        assert_eq!(coops.stack_chunk_size(48, -5), 48);
        assert_eq!(coops.stack_chunk_size(48, i32::MAX), {
            let w = i32::MAX as u64;
            48 + w * 8 + (2 * w).div_ceil(64) * 8
        });
    }
}
