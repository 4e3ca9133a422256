//! Object sizes as the JVM lays objects out, as far as an HPROF file tells.
//!
//! HPROF records no object sizes (HotSpot's CLASS DUMP "instance size" is the size of the
//! instance *data in the dump*, ids at the id size). So, like Eclipse MAT, heapscope rebuilds
//! them from a layout model. The target is the JVM's own number: `jcmd PID GC.class_histogram`
//! (HotSpot's `oop_size`), which the hprof tests compare class by class.
//!
//! - **instance** = `align8(header + Σ fields)`, the fields of the class and all superclasses at
//!   their JVM sizes (references at the reference size). HotSpot packs fields into gaps (since
//!   JDK 15 also across superclass boundaries), so the sum is exact except for rare padding.
//! - **fields the VM injects** ([`INJECTED`]): HotSpot adds fields to some JDK classes that no
//!   class file declares and the heap dumper does not write (`java_lang_Class::klass`,
//!   `ClassLoader::loader_data`, `Module::module_entry`, `MemberName::vmindex`,
//!   `ResolvedMethodName::vmtarget`, …, javaClasses.hpp's `*_INJECTED_FIELDS`). They are added by
//!   name. The table is the union of JDK 17's and JDK 25's, read from the running JVMs' own field
//!   layouts (`jhsdb clhsdb`, `print <InstanceKlass>`); where the two differ the dump's declared
//!   fields tell them apart (JDK 25 declares `Class.protectionDomain` and `Thread.holder`).
//! - **@Contended** ([`CONTENDED`]): a contended field group is laid out after the other fields,
//!   behind 128 bytes of padding (`-XX:ContendedPaddingWidth`), and followed by another 128; the
//!   annotation is not in the dump, so the few JDK fields that carry it are listed by name. JDK 17's
//!   `Thread.threadLocalRandom*` ("tlr") make a Thread 368 bytes instead of 112; JDK 19+ dropped it.
//! - **array** = `align8(base + n × element)`, `base = header + 4` (the length) rounded up to the
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
//! - header/reference size: 64-bit dumps (8-byte ids) are one of: compressed oops and class
//!   pointers (12-byte header, 4-byte references, the default below 32 GB), compressed class
//!   pointers only (12, 8: `-XX:-UseCompressedOops`), neither (16, 8), or compact object headers
//!   (8, 4: JDK 24+ `-XX:+UseCompactObjectHeaders`). HotSpot writes objects in address order, so the
//!   address gap between two consecutive arrays is the first one's size: every such pair votes
//!   for the layouts whose array size matches the gap ([`Votes`]); the layout with most votes wins
//!   (MAT also infers compressed references from array addresses). 32-bit dumps (4-byte ids,
//!   including Android's ART): 8-byte header, 4-byte references.

use super::bytes::{dump_size, T_BOOLEAN, T_BYTE, T_INT, T_LONG, T_OBJECT, T_SHORT};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Object header bytes (mark word + class pointer).
    pub header: u64,
    /// Bytes of a reference field or array element.
    pub ref_size: u64,
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

/// Fields HotSpot injects (javaClasses.hpp `*_INJECTED_FIELDS`): (class, field, basic type, when).
/// A field is never added when the class declares a field of the same name (JDK 25 declares
/// `Class.signers` and `ResolvedMethodName.vmholder`, which JDK 17 injects). Verified on JDK 17
/// and JDK 25 against the JVMs' own field layouts and `jcmd GC.class_histogram`.
pub const INJECTED: &[(&str, &str, u8, When)] = &[
    ("java.lang.Class", "klass", T_LONG, When::Always),
    ("java.lang.Class", "array_klass", T_LONG, When::Always),
    ("java.lang.Class", "oop_size", T_INT, When::Always),
    (
        "java.lang.Class",
        "static_oop_field_count",
        T_INT,
        When::Always,
    ),
    // JDK 17: protection_domain, signers and source_file; JDK 25 (which declares
    // protectionDomain and signers): source_file and init_lock
    (
        "java.lang.Class",
        "protection_domain",
        T_OBJECT,
        When::UnlessDeclared("protectionDomain"),
    ),
    ("java.lang.Class", "signers", T_OBJECT, When::Always),
    ("java.lang.Class", "source_file", T_OBJECT, When::Always),
    (
        "java.lang.Class",
        "init_lock",
        T_OBJECT,
        When::IfDeclared("protectionDomain"),
    ),
    ("java.lang.ClassLoader", "loader_data", T_LONG, When::Always),
    ("java.lang.Module", "module_entry", T_LONG, When::Always),
    ("java.lang.String", "flags", T_BYTE, When::Always),
    (
        "java.lang.invoke.MemberName",
        "vmindex",
        T_LONG,
        When::Always,
    ),
    (
        "java.lang.invoke.ResolvedMethodName",
        "vmholder",
        T_OBJECT,
        When::Always,
    ),
    (
        "java.lang.invoke.ResolvedMethodName",
        "vmtarget",
        T_LONG,
        When::Always,
    ),
    (
        "java.lang.invoke.MethodHandleNatives$CallSiteContext",
        "vmdependencies",
        T_LONG,
        When::Always,
    ),
    (
        "java.lang.invoke.MethodHandleNatives$CallSiteContext",
        "last_cleanup",
        T_LONG,
        When::Always,
    ),
    // JDK 17 injects it into StackFrameInfo, JDK 25 into its new superclass ClassFrameInfo
    (
        "java.lang.StackFrameInfo",
        "version",
        T_SHORT,
        When::UnlessSuper("java.lang.ClassFrameInfo"),
    ),
    ("java.lang.ClassFrameInfo", "version", T_SHORT, When::Always),
    (
        "java.lang.InternalError",
        "during_unsafe_access",
        T_BOOLEAN,
        When::Always,
    ),
    // JDK 19+ (Thread declares `holder`): JVMTI and JFR state; JDK 17 has none
    (
        "java.lang.Thread",
        "jvmti_thread_state",
        T_LONG,
        When::IfDeclared("holder"),
    ),
    (
        "java.lang.Thread",
        "jvmti_VTMS_transition_disable_count",
        T_INT,
        When::IfDeclared("holder"),
    ),
    (
        "java.lang.Thread",
        "jvmti_is_in_VTMS_transition",
        T_BOOLEAN,
        When::IfDeclared("holder"),
    ),
    (
        "java.lang.Thread",
        "jfr_epoch",
        T_SHORT,
        When::IfDeclared("holder"),
    ),
];

/// `@jdk.internal.vm.annotation.Contended` field groups of JDK classes: (class, fields, when).
pub const CONTENDED: &[(&str, &[&str], When)] = &[(
    "java.lang.Thread",
    &[
        "threadLocalRandomSeed",
        "threadLocalRandomProbe",
        "threadLocalRandomSecondarySeed",
    ],
    // JDK 8..18; Thread gained `holder` in JDK 19, when the annotation was dropped
    When::UnlessDeclared("holder"),
)];

/// HotSpot's `-XX:ContendedPaddingWidth` default.
pub const CONTENDED_PADDING: u64 = 128;

impl Layout {
    pub fn new(header: u64, ref_size: u64) -> Layout {
        Layout { header, ref_size }
    }

    #[inline]
    pub fn align(&self, x: u64) -> u64 {
        (x + 7) & !7
    }

    /// JVM bytes of one field of basic type `t`.
    #[inline]
    pub fn field_size(&self, t: u8) -> u64 {
        if t == T_OBJECT {
            self.ref_size
        } else {
            dump_size(t, 8).unwrap_or(0) as u64
        }
    }

    #[inline]
    pub fn instance_size(&self, field_bytes: u64) -> u64 {
        self.align(self.header + field_bytes)
    }

    /// Instance size with a contended group of `group` bytes whose largest field has `align`
    /// bytes: regular fields, padding, the group (aligned), padding (see the module docs).
    pub fn contended_size(&self, field_bytes: u64, group: u64, align: u64) -> u64 {
        if group == 0 {
            return self.instance_size(field_bytes);
        }
        let a = align.max(1);
        let start = (self.header + field_bytes + CONTENDED_PADDING).div_ceil(a) * a;
        self.align(start + group + CONTENDED_PADDING)
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
    counts: [u64; 4],
    /// Per class (pass-1 order): how many static fields of each basic type.
    pub static_types: Vec<[u32; 12]>,
}

/// Candidate 64-bit layouts (header, reference size), in order of preference on a tie.
const CANDIDATES: [(u64, u64); 4] = [(12, 4), (12, 8), (16, 8), (8, 4)];

impl Votes {
    /// Add another set of votes (from another segment).
    pub fn add(&mut self, o: &Votes) {
        for (a, b) in self.counts.iter_mut().zip(o.counts) {
            *a += b;
        }
    }

    pub fn vote(&mut self, gap: u64, n: u32, t: u8) {
        for (k, &(h, r)) in CANDIDATES.iter().enumerate() {
            if Layout::new(h, r).array_size(n, t) == gap {
                self.counts[k] += 1;
            }
        }
    }

    pub fn decide(&self, id_size: usize) -> (Layout, [u64; 4]) {
        if id_size == 4 {
            return (Layout::new(8, 4), self.counts);
        }
        let mut best = 0;
        for k in 1..CANDIDATES.len() {
            if self.counts[k] > self.counts[best] {
                best = k;
            }
        }
        let (h, r) = CANDIDATES[best];
        (Layout::new(h, r), self.counts)
    }
}
