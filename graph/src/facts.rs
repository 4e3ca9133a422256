//! [`DumpFacts`]: what a parser knows about its dump, as typed facts, and the [`Inspector`]
//! through which reports read details lazily from the dump.
//!
//! Everything downstream of the parsers (reports, the CLI) decides from these facts — never from
//! the format's name. [`DumpFacts::details`] holds each format's own facts for people to read,
//! typed ([`details`]); reports print them as the report's `input.details` without knowing the
//! format, and read only their threads ([`DumpFacts::threads`], with
//! [`DumpFacts::thread_roots`]: which thread and frame holds an object). A new format fills the
//! same facts and every report works for it unchanged.

mod details;

pub use details::*;

use crate::column::Column;
use crate::graph::HeapGraph;
use crate::types::{Label, NodeIdx, TypeId};

/// What the nodes of the graph are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    /// Objects and the references between them (HPROF, V8): the dominator tree says who holds what.
    ObjectGraph,
    /// The call tree of an allocation profile (pprof, tracemalloc): shallow = flat, retained =
    /// cum; it records where memory was allocated, not who holds it.
    CallTree,
}

/// How the dump's own ids are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdDisplay {
    /// `0x7f3a…` (addresses, hashes of frame sequences).
    Hex,
    /// `12345` (V8 node ids).
    Decimal,
}

impl IdDisplay {
    /// A dump id as reports print it.
    pub fn text(self, id: u64) -> String {
        match self {
            IdDisplay::Decimal => id.to_string(),
            IdDisplay::Hex => format!("0x{id:x}"),
        }
    }
}

/// Which reference tool's comparison of two dumps the format's users know; a diff orders and
/// filters its rows, and states its method, as that tool does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// A class histogram diff (`jmap -histo`, Eclipse MAT's compare basket): objects matched by
    /// class and by path-to-root signature, never by id (ids are addresses that move).
    ClassHistogram,
    /// Chrome DevTools' Comparison view: per constructor, plus objects matched by their stable id.
    DevTools,
    /// `go tool pprof -base BASE TARGET`: per function, flat and cum of TARGET minus BASE.
    PprofBase,
    /// CPython's `Snapshot.compare_to(old, key_type)`.
    CompareTo,
}

/// The runtime that wrote the dump, when the dump shows it. Runtime-specific advice (Go's
/// goroutines, MemStats) is only given when the dump shows that runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    Jvm,
    V8,
    Go,
    CPython,
    Unknown,
}

/// What an allocation profile samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileKind {
    /// Heap memory (in-use or allocated bytes and objects).
    Heap,
    /// Goroutines (or threads) by stack: the "bytes" are counts.
    Goroutine,
    /// Anything else (CPU, contention …).
    Other,
}

/// How the rows of the histogram are grouped, and how a row's name sorts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rows {
    /// What one row is, as the reference tool calls it: `class`, `constructor`, `function`,
    /// `lineno`, `filename`, `traceback`.
    pub key: &'static str,
    /// Call trees grouped by source location: per type, its frames as `(file, line)` pairs,
    /// oldest first (line 0 when grouped by file), so that rows sort as the reference tool sorts
    /// them (CPython compares tuples of frames). Empty otherwise.
    pub locations: Vec<Vec<(Box<str>, u32)>>,
}

impl Rows {
    pub fn new(key: &'static str) -> Self {
        Rows {
            key,
            locations: Vec::new(),
        }
    }
    /// The source locations of a type, if the rows are grouped by location.
    pub fn location(&self, t: TypeId) -> Option<&[(Box<str>, u32)]> {
        self.locations.get(t.0 as usize).map(|v| &v[..])
    }
}

/// Go's `runtime.MemStats`, the fields heapscope reads (from the legacy text heap profile's
/// `# runtime.MemStats` trailer, or a heap dump's MemStats record).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemStats {
    pub heap_alloc: Option<u64>,
    pub heap_inuse: Option<u64>,
    pub heap_sys: Option<u64>,
    pub heap_idle: Option<u64>,
    pub heap_released: Option<u64>,
    pub heap_objects: Option<u64>,
    pub next_gc: Option<u64>,
    pub sys: Option<u64>,
    pub num_gc: Option<u64>,
    pub gc_cpu_fraction: Option<f64>,
}

/// The unit of a profile's chosen sample type, from its `unit` string as pprof normalises it
/// (`bytes`/`B`/`byte` …, `count`/`objects`/`goroutines`/empty, `nanoseconds`/`ns` …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Memory: print as bytes (`1.5 MiB`).
    Bytes,
    /// Objects, allocations, goroutines, threads, contentions, samples: print as a plain count.
    Count,
    /// Time (delay, CPU): print as a duration, never as bytes.
    Nanoseconds,
    /// Anything else (`cycles`, `microseconds` left as is …): print the number.
    Other,
}

impl Unit {
    /// pprof's unit string (case-insensitive; pprof's aliases for memory and time), as a unit.
    pub fn from_pprof(unit: &str) -> Unit {
        match unit.trim().to_ascii_lowercase().as_str() {
            "b" | "byte" | "bytes" => Unit::Bytes,
            "" | "count" | "counts" | "object" | "objects" | "goroutine" | "goroutines"
            | "thread" | "threads" | "sample" | "samples" | "contention" | "contentions"
            | "allocation" | "allocations" => Unit::Count,
            "ns" | "nanosecond" | "nanoseconds" => Unit::Nanoseconds,
            _ => Unit::Other,
        }
    }
}

/// Facts about an allocation profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileFacts {
    pub kind: ProfileKind,
    /// The unit of the chosen sample type (the graph's "bytes" are in this unit).
    pub unit: Unit,
    /// The chosen sample type measures what is in use now (`inuse_*`, Go's legacy `space` /
    /// `objects`, a goroutine or thread count), not a total since the start (`alloc_*`,
    /// `samples`, `contentions`, `delay` …).
    pub in_use: bool,
}

impl ProfileFacts {
    /// Facts of a profile whose chosen sample type is in use now and counted in bytes.
    pub fn in_use_bytes(kind: ProfileKind) -> Self {
        ProfileFacts {
            kind,
            unit: Unit::Bytes,
            in_use: true,
        }
    }
}

/// Facts about the dump, typed, as its parser found them.
#[derive(Clone, Debug)]
pub struct DumpFacts {
    /// The format's name as reports print it (`input.format`: `hprof`, `v8-heapsnapshot`,
    /// `pprof`, `tracemalloc`). Display only: nothing downstream compares it.
    pub format_name: &'static str,
    pub model: Model,
    pub id_display: IdDisplay,
    /// An object keeps its id from one dump to the next of the same process (V8 node ids;
    /// not HPROF addresses, which move with GC), so new objects can be matched by id.
    pub ids_stable: bool,
    pub rows: Rows,
    pub comparison: Comparison,
    pub runtime: Runtime,
    /// Allocation profiles only.
    pub profile: Option<ProfileFacts>,
    /// Go's runtime.MemStats, when the dump carries them.
    pub memstats: Option<MemStats>,
    /// The process's resident set size when the dump was taken (bytes), when the dump records
    /// it: memory the objects do not account for (C extensions, the allocator) shows against it.
    pub process_rss: Option<u64>,
    /// The input was gzip-compressed.
    pub compressed: bool,
    /// Profiles: the sample type used as bytes (e.g. `inuse_space`).
    pub sample_type: Option<String>,
    /// When the dump was taken, RFC 3339, if the dump records it.
    pub timestamp: Option<String>,
    /// The same instant as milliseconds since the Unix epoch (for trends).
    pub timestamp_ms: Option<i64>,
    /// The format's own facts for people to read (versions, id size, header fields, threads
    /// …), typed: printed as the report's `input.details`.
    pub details: Details,
    /// Which thread holds an object as a GC root (a local variable of one of its frames, or
    /// the thread itself): of each object's thread roots only the one a report names
    /// ([`ThreadRoot::rank`]), sorted by object, one per object
    /// ([`ThreadRoot::keep_one_per_object`]; a dump with 10,000 threads of 300 frames has
    /// ~3 M frame roots of ~1.5 M objects); empty when the format records no threads.
    /// A [`Column`]: HPROF moves it to a spill file once large (16 B per object held, the
    /// report reads a few).
    pub thread_roots: Column<ThreadRoot>,
    /// What a thread's stack holds only while a frame runs, as the parser knows it.
    pub stack: StackHolders,
    /// Each type's superclass, where the format records one (HPROF's CLASS DUMP): a
    /// `class MyCache extends HashMap` or an anonymous `new LinkedHashMap<>() {…}` is a
    /// collection by its ancestors, not its name. Empty where the format has no classes.
    pub supertypes: Supertypes,
    /// Warnings from parsing (skipped records, truncation …).
    pub warnings: Vec<String>,
}

impl DumpFacts {
    /// Facts of an object graph whose ids are addresses (the conservative defaults: hex ids, not
    /// stable, class-histogram comparison). Parsers set what differs.
    pub fn object_graph(format_name: &'static str, runtime: Runtime) -> Self {
        DumpFacts {
            format_name,
            model: Model::ObjectGraph,
            id_display: IdDisplay::Hex,
            ids_stable: false,
            rows: Rows::new("class"),
            comparison: Comparison::ClassHistogram,
            runtime,
            profile: None,
            memstats: None,
            process_rss: None,
            compressed: false,
            sample_type: None,
            timestamp: None,
            timestamp_ms: None,
            details: Details::default(),
            thread_roots: Column::default(),
            stack: StackHolders::default(),
            supertypes: Supertypes::default(),
            warnings: Vec::new(),
        }
    }

    /// Facts of an allocation profile's call tree (ids are hashes of frame sequences, so they
    /// are stable, but a call-tree node is a stack, not an object: `ids_stable` stays false).
    pub fn call_tree(
        format_name: &'static str,
        runtime: Runtime,
        kind: ProfileKind,
        comparison: Comparison,
        row_key: &'static str,
    ) -> Self {
        DumpFacts {
            model: Model::CallTree,
            rows: Rows::new(row_key),
            comparison,
            profile: Some(ProfileFacts::in_use_bytes(kind)),
            ..DumpFacts::object_graph(format_name, runtime)
        }
    }

    pub fn is_call_tree(&self) -> bool {
        self.model == Model::CallTree
    }

    /// A goroutine (or thread) profile: its values are counts of goroutines by stack.
    pub fn is_goroutine_profile(&self) -> bool {
        self.profile.as_ref().map(|p| p.kind) == Some(ProfileKind::Goroutine)
    }

    /// The dump's id as reports print it.
    pub fn id_text(&self, id: u64) -> String {
        self.id_display.text(id)
    }

    /// The threads the dump records, with their stacks (none when it records none).
    pub fn threads(&self) -> &[Thread] {
        self.details.threads.as_deref().unwrap_or(&[])
    }

    /// The thread root that says which thread holds the object of this dump id, if one does
    /// ([`DumpFacts::thread_roots`]).
    pub fn thread_root(&self, object: u64) -> Option<&ThreadRoot> {
        let at = self.thread_roots.partition_point(|r| r.object < object);
        self.thread_roots.get(at).filter(|r| r.object == object)
    }
}

/// What a thread's stack holds only while a frame runs (a collection caught growing is held
/// so by the growing method's frame), in the graph's terms; the parser says which, so reports
/// need no runtime's names for them. Each list sorted, without repeats; empty where the format
/// has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackHolders {
    /// GC root kinds (indices into [`HeapGraph::root_kinds`]) of a stack frame's references
    /// (HPROF's `Java frame`, `JNI local`, `native stack`).
    pub root_kinds: Vec<u32>,
    /// Nodes that stand for what the stack holds while a runtime function runs (V8's
    /// `(Handle scope)` and `(Stack roots)` synthetic nodes).
    pub nodes: Vec<NodeIdx>,
    /// Edge labels (label ids, [`HeapGraph::labels`]) of a thread's reference to a local
    /// variable of one of its frames (HPROF: `local in <frame>`, one per distinct frame).
    pub labels: Vec<u32>,
}

impl StackHolders {
    /// Is a root of this kind (index into [`HeapGraph::root_kinds`]) held by a stack frame?
    pub fn is_root_kind(&self, kind: u32) -> bool {
        self.root_kinds.binary_search(&kind).is_ok()
    }
    /// Does this node stand for what the stack holds?
    pub fn is_node(&self, n: NodeIdx) -> bool {
        self.nodes.binary_search(&n).is_ok()
    }
    /// Is an edge of this label a thread's reference to a frame's local variable?
    pub fn is_local_label(&self, label: Label) -> bool {
        matches!(label, Label::Name(l) if self.labels.binary_search(&l.0).is_ok())
    }
    /// Sorts the lists and drops repeats (what the type promises).
    pub fn normalize(&mut self) {
        for v in [&mut self.root_kinds, &mut self.labels] {
            v.sort_unstable();
            v.dedup();
        }
        self.nodes.sort_unstable();
        self.nodes.dedup();
    }
}

/// Each type's direct superclass, as type ids of the graph ([`DumpFacts::supertypes`]): one
/// pair per class whose superclass the dump describes, other than the root class
/// (`java.lang.Object`, which every chain ends at and which no report needs), sorted by type,
/// one per type (of two classes with one name, from two loaders, the first the dump lists).
/// 8 B per class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Supertypes {
    /// Types, strictly ascending.
    types: Vec<u32>,
    /// The superclass of `types[i]`.
    supers: Vec<u32>,
}

impl Supertypes {
    /// From (type, superclass) pairs in any order; of a type given twice the first pair counts.
    pub fn new(pairs: impl IntoIterator<Item = (TypeId, TypeId)>) -> Supertypes {
        let mut v: Vec<(u32, u32, u32)> = pairs
            .into_iter()
            .enumerate()
            .map(|(k, (t, s))| (t.0, k as u32, s.0))
            .collect();
        v.sort_unstable();
        v.dedup_by_key(|e| e.0);
        Supertypes {
            types: v.iter().map(|e| e.0).collect(),
            supers: v.iter().map(|e| e.2).collect(),
        }
    }

    /// From the saved form: `types` must be strictly ascending and as long as `supers`.
    pub fn from_parts(types: Vec<u32>, supers: Vec<u32>) -> Option<Supertypes> {
        (types.len() == supers.len() && types.windows(2).all(|w| w[0] < w[1]))
            .then_some(Supertypes { types, supers })
    }

    /// (types, superclasses), for the saved form.
    pub fn parts(&self) -> (&[u32], &[u32]) {
        (&self.types, &self.supers)
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The direct superclass of `t`, if the dump records one (other than the root class).
    pub fn parent(&self, t: TypeId) -> Option<TypeId> {
        let k = self.types.binary_search(&t.0).ok()?;
        Some(TypeId(self.supers[k]))
    }

    /// The superclasses of `t`, nearest first; a malformed chain that loops ends after as
    /// many steps as there are classes.
    pub fn ancestors(&self, t: TypeId) -> impl Iterator<Item = TypeId> + '_ {
        let mut cur = t;
        let mut left = self.types.len();
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            cur = self.parent(cur)?;
            Some(cur)
        })
    }
}

/// Lazy access to details only a report shows, read from the dump on demand.
pub trait Inspector: Send + Sync {
    /// A short preview of the node's value, e.g. a `java.lang.String`'s text, if the format has one.
    fn value_preview(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<String> {
        None
    }
    /// A source location for a node's type (function or file:line), if known.
    fn source_line(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<String> {
        None
    }
    /// Where the object was allocated, when the dump records it: `(file, line)` frames,
    /// oldest first (CPython's tracemalloc traceback of the object). An inspector that answers
    /// it says so in [`Inspector::records_allocation_sites`], or reports never ask its items.
    fn allocation_site(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<Vec<(String, u32)>> {
        None
    }
    /// Whether [`Inspector::allocation_site`] can answer for any node of this dump: a report
    /// asks it before searching an accumulation point's items for one that has a site (a
    /// search over millions of items where the format records none: HPROF, V8, Go).
    fn records_allocation_sites(&self) -> bool {
        false
    }
    /// The size limit of a memo cache the node is (CPython's `functools.lru_cache` wrappers), if
    /// the dump records one.
    fn cache_limit(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<CacheLimit> {
        None
    }
    /// How many elements a collection holds as its runtime counts them (Java's `size()`), read
    /// from the collection's own fields by the parser that knows their layout. `class` is the
    /// runtime's collection class the node is or extends (`java.util.HashMap` for `class
    /// Registry extends HashMap`: the report finds it from the type and
    /// [`DumpFacts::supertypes`]). `None` for other classes, other runtimes, missing or
    /// inconsistent fields (the default).
    fn collection_size(
        &self,
        _g: &HeapGraph,
        _node: NodeIdx,
        _class: &str,
    ) -> Option<CollectionSize> {
        None
    }
    /// Does the map keep its entries in access order (Java's `LinkedHashMap` built with
    /// `accessOrder` true, the LRU idiom)? Asked only of a node whose class is or extends the
    /// runtime's access-orderable map (the report checks that first, by the type and
    /// [`DumpFacts::supertypes`]). `false` when not, or not known (the default).
    fn access_ordered(&self, _g: &HeapGraph, _node: NodeIdx) -> bool {
        false
    }
    /// The object's fields as the dump records them, in the dump's order: an instance's
    /// fields by its class layout (superclass fields after the class's own, as HPROF lays
    /// them out), a primitive array's elements (`[0]`, `[1]` …, at most
    /// [`MAX_ARRAY_FIELDS`]), a JavaScript object's properties. Empty when the format keeps
    /// no field values (the default).
    fn fields(&self, _g: &HeapGraph, _node: NodeIdx) -> Vec<Field> {
        Vec::new()
    }
    /// How many fields the object has in all when [`Inspector::fields`] lists only part of
    /// them (an array of more than [`MAX_ARRAY_FIELDS`] elements); `None` when it lists them
    /// all (the default).
    fn fields_total(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<usize> {
        None
    }
    /// The whole contents of a string or primitive array (at most `max_bytes` of them): a
    /// string's text, an array's elements as bytes in the dump's order. `None` for other
    /// objects and when the format keeps no contents (the default).
    fn contents(&self, _g: &HeapGraph, _node: NodeIdx, _max_bytes: usize) -> Option<Contents> {
        None
    }
    /// The state this inspector needs besides the dump, encoded for a saved index (see
    /// [`crate::saved`]); its parser restores it (`heapscope_parsers::inspect_state`). Empty
    /// when there is none or the inspector cannot be saved.
    fn saved_state(&self) -> Vec<u8> {
        Vec::new()
    }
}

/// A collection's element count ([`Inspector::collection_size`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectionSize {
    pub count: u64,
    pub unit: CountUnit,
}

/// What a collection's count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountUnit {
    /// A map's key–value entries.
    Entries,
    /// A set's, list's or queue's elements.
    Elements,
}

/// The most elements of a primitive array [`Inspector::fields`] lists.
pub const MAX_ARRAY_FIELDS: usize = 4096;

/// One field of an object ([`Inspector::fields`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name (`count`, `[3]` for an array element, a property name).
    pub name: String,
    pub value: FieldValue,
}

/// A field's value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A reference: the dump's id of the object it points to; `None` is null.
    Ref(Option<u64>),
    /// `byte`, `short`, `int`, `long` (and unsigned kinds that fit).
    Int(i64),
    /// `float`, `double`, a JavaScript number.
    Float(f64),
    Bool(bool),
    Char(char),
    /// A value the dump keeps inline as text.
    Text(String),
}

/// A string's or primitive array's contents ([`Inspector::contents`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contents {
    /// A string's text (cut at the byte limit on a character boundary).
    Text(String),
    /// A primitive array's elements, as the dump stores them (HPROF: big-endian), cut at the
    /// byte limit.
    Bytes(Vec<u8>),
}

/// A memo cache's declared size limit and its size when the dump was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimit {
    /// The most entries it keeps; `None`: no limit (`lru_cache(maxsize=None)`).
    pub max_entries: Option<u64>,
    /// Entries in it.
    pub entries: u64,
    /// The node of its cache table, when the dump tells which it is.
    pub table: Option<NodeIdx>,
}

/// An inspector that knows nothing beyond the graph.
pub struct NoInspector;
impl Inspector for NoInspector {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a naive walk over the pairs as given (the first pair of a type counts): every
    /// type's chain, nearest first; a loop ends after as many steps as there are classes.
    #[test]
    fn supertypes_agree_with_a_naive_walk() {
        let pairs = [(5u32, 2u32), (2, 1), (7, 5), (5, 9), (3, 3), (8, 6), (6, 8)];
        let s = Supertypes::new(pairs.iter().map(|&(t, p)| (TypeId(t), TypeId(p))));
        let first = |t: u32| pairs.iter().find(|p| p.0 == t).map(|p| p.1);
        for t in 0..12 {
            assert_eq!(s.parent(TypeId(t)), first(t).map(TypeId), "type {t}");
            let mut naive = Vec::new();
            let mut cur = t;
            while let Some(p) = first(cur) {
                if naive.len() == 6 {
                    break; // as many classes as the table holds
                }
                naive.push(TypeId(p));
                cur = p;
            }
            assert_eq!(
                s.ancestors(TypeId(t)).collect::<Vec<_>>(),
                naive,
                "type {t}"
            );
        }
        assert_eq!(
            s.ancestors(TypeId(7)).collect::<Vec<_>>(),
            [TypeId(5), TypeId(2), TypeId(1)]
        );
        assert!(Supertypes::default().ancestors(TypeId(0)).next().is_none());
        assert!(Supertypes::from_parts(vec![2, 1], vec![0, 0]).is_none());
        assert!(Supertypes::from_parts(vec![1, 2], vec![0]).is_none());
    }
}
