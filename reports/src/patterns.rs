//! Leak patterns named in users' words, recognised by type and reference names only (never by
//! reading the dump's bytes or the parser's code): `java.util.HashMap`, `_events`,
//! `threadLocals`, `runtime.growslice`, … Each [`Pattern`] has the schema's name, a one-line
//! explanation and the usual fix.
//!
//! The vocabulary (which type names are collections, which frames belong to a runtime) lives
//! here so that every report — suspects now, diff and trend later — agrees on it.

use crate::findings::AnchorKind;

/// The culprit patterns of `report.schema.json` (`suspects[].pattern`), serialised as the
/// schema's names (`unbounded-collection`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    UnboundedCollection,
    CacheWithoutEviction,
    ThreadLocal,
    ListenerList,
    FinalizerQueue,
    ClosureContext,
    StreamBuffer,
    GlobalContainer,
    GoroutineLeak,
    Fragmentation,
    UncollectableCycle,
    LargeDataframe,
    UnaccountedMemory,
    Unknown,
}

/// One row of [`PATTERNS`]: everything heapscope knows about a pattern.
pub struct PatternDef {
    pub pattern: Pattern,
    /// The schema's name.
    pub name: &'static str,
    /// The object-graph rule: does the evidence show this pattern? Rules are tried in table
    /// order and the first that holds wins. `None`: the pattern is found otherwise (allocation
    /// sites, runtime findings) or is the fallback.
    pub rule: Option<fn(&Evidence) -> bool>,
    /// One line: what this pattern is.
    pub explanation: &'static str,
    /// The usual fix.
    pub fix: Option<&'static str>,
}

/// Every pattern, in the order the object-graph rules are tried.
///
/// Adding a pattern is one entry here (a variant of [`Pattern`], its schema name, its rule over
/// the [`Evidence`], its explanation and fix) plus its test:
///
/// ```ignore
/// PatternDef {
///     pattern: Pattern::SessionStore,
///     name: "session-store",
///     rule: Some(|e| e.chain_vias.iter().any(|v| v.contains("session"))),
///     explanation: "Sessions that never expire …",
///     fix: Some("Give sessions an idle timeout …"),
/// },
/// ```
pub const PATTERNS: [PatternDef; 14] = [
    PatternDef {
        pattern: Pattern::FinalizerQueue,
        name: "finalizer-queue",
        rule: Some(|e| {
            e.all_types().any(is_finalizer)
                || e.item_types.first().map(|t| is_finalizer(t)).unwrap_or(false)
        }),
        explanation: "Objects with a finalize() method wait in the finalizer queue; a slow or blocked finalizer thread keeps all of them (and what they reference) alive.",
        fix: Some("Do not block in finalize(); replace finalizers with java.lang.ref.Cleaner or try-with-resources."),
    },
    PatternDef {
        pattern: Pattern::ThreadLocal,
        name: "thread-local",
        rule: Some(|e| {
            *e.holder_kind == AnchorKind::ThreadLocals
                || e.all_types().any(|t| t.contains("ThreadLocal$ThreadLocalMap"))
        }),
        explanation: "Values set in ThreadLocals of long-lived (pool) threads stay reachable as long as the thread lives.",
        fix: Some("Call ThreadLocal.remove() in a finally block when the task ends."),
    },
    PatternDef {
        pattern: Pattern::StreamBuffer,
        name: "stream-buffer",
        rule: Some(|e| {
            e.all_types().any(names_stream)
                || e.chain_vias.iter().any(|v| *v == "_readableState" || *v == "_writableState")
        }),
        explanation: "A stream buffers data nobody consumes (no reader, or writes that ignore backpressure).",
        fix: Some("Consume or destroy the stream, and respect backpressure (wait for 'drain' when write() returns false; use pipeline())."),
    },
    PatternDef {
        pattern: Pattern::ListenerList,
        name: "listener-list",
        rule: Some(|e| e.chain_vias.iter().any(|v| names_listeners(v))),
        explanation: "A listener/callback list that only grows: each registered listener (and everything its closure or outer object holds) stays alive.",
        fix: Some("Unregister the listener when its owner is done (removeListener / off / removeXxxListener), or hold listeners weakly."),
    },
    PatternDef {
        pattern: Pattern::ClosureContext,
        name: "closure-context",
        rule: Some(|e| e.chain_period.iter().any(|t| *t == "(closure)" || is_js_context(t))),
        explanation: "Closures share their scope's context: a long-lived closure keeps every variable of the scope alive, here forming a chain of contexts.",
        fix: Some("Break the chain: null out the captured variable after use, or move the long-lived closure out of the scope that holds the large object."),
    },
    PatternDef {
        pattern: Pattern::CacheWithoutEviction,
        name: "cache-without-eviction",
        rule: Some(|e| {
            e.held_in_collection()
                && e.chain_vias.iter().chain(e.chain_types.iter()).any(|s| names_cache(s))
        }),
        explanation: "A cache or memo table with no size limit or expiry: every distinct key stays in memory forever.",
        fix: Some("Give the cache a maximum size and/or expiry (an LRU such as Caffeine, lru-cache, functools.lru_cache(maxsize=…))."),
    },
    PatternDef {
        pattern: Pattern::GlobalContainer,
        name: "global-container",
        rule: Some(|e| {
            e.held_in_collection()
                && matches!(
                    e.holder_kind,
                    AnchorKind::Static | AnchorKind::Variable | AnchorKind::Global
                )
                && e.held_directly
                || crate::findings::go::global_grows(e)
        }),
        explanation: "A container held by a static field, module variable or global property is the root of the growth: it lives as long as the process.",
        fix: Some("Remove entries when they are no longer needed, or scope the container to a request/session instead of the process."),
    },
    PatternDef {
        pattern: Pattern::UnboundedCollection,
        name: "unbounded-collection",
        rule: Some(|e| {
            e.held_in_collection()
                || e.chain_period
                    .iter()
                    .any(|t| collection_kind(t).is_some() || is_collection_internal(t))
        }),
        explanation: "A collection that only grows: entries are added and never removed, so it holds everything it was ever given.",
        fix: Some("Bound it (e.g. an LRU with a maximum size) or remove entries when their owner is done."),
    },
    PatternDef {
        pattern: Pattern::GoroutineLeak,
        name: "goroutine-leak",
        rule: Some(crate::findings::go::blocked_goroutines_hold),
        explanation: "Goroutines that block forever (on a channel, lock or I/O nobody completes) keep their stacks and everything they reference.",
        fix: Some("Give every goroutine a way to end: close the channel, select on ctx.Done(), or use timeouts."),
    },
    PatternDef {
        pattern: Pattern::Fragmentation,
        name: "fragmentation",
        rule: None,
        explanation: "The Go heap holds much more memory in in-use spans than live objects need: a few survivors pin mostly empty spans.",
        fix: Some("Avoid keeping a few long-lived objects among many short-lived ones of the same size class (copy survivors out, pool or batch them)."),
    },
    // CPython: found from the object graph by `findings::python` (roots, cache limits, type
    // names), not by a name rule here.
    PatternDef {
        pattern: Pattern::UncollectableCycle,
        name: "uncollectable-cycle",
        rule: None,
        explanation: "Objects the collector found unreachable but kept in gc.garbage (gc.DEBUG_SAVEALL, or reference cycles through objects it could not finalize): the list keeps every cycle, and all it references, alive for the life of the process.",
        fix: Some("Break the cycles (weakref for back-references, an explicit close()), turn off gc.DEBUG_SAVEALL outside debugging, and clear gc.garbage (del gc.garbage[:]) once inspected."),
    },
    PatternDef {
        pattern: Pattern::LargeDataframe,
        name: "large-dataframe",
        rule: None,
        explanation: "A large pandas DataFrame (its columns' blocks and index) is still referenced after its work is done.",
        fix: Some("Drop the reference when the step ends (del df, or keep only the aggregate), load only the columns needed, or use smaller dtypes (category, float32)."),
    },
    PatternDef {
        pattern: Pattern::UnaccountedMemory,
        name: "unaccounted-memory",
        rule: None,
        explanation: "The process's resident memory is far above what its Python objects account for: the rest is held outside them (C extensions' buffers, mmaps, the allocator's free arenas and fragmentation).",
        fix: Some("Look at native allocations (extension buffers, numpy/arrow memory pools, mmaps) and the allocator (PYTHONMALLOC=malloc with jemalloc or malloc_trim); a Python heap snapshot cannot show who holds this memory."),
    },
    PatternDef {
        pattern: Pattern::Unknown,
        name: "unknown",
        rule: None,
        explanation: "No known leak pattern fits; look at the path and the accumulated objects.",
        fix: None,
    },
];

impl Pattern {
    pub const ALL: [Pattern; 14] = [
        Pattern::UnboundedCollection,
        Pattern::CacheWithoutEviction,
        Pattern::ThreadLocal,
        Pattern::ListenerList,
        Pattern::FinalizerQueue,
        Pattern::ClosureContext,
        Pattern::StreamBuffer,
        Pattern::GlobalContainer,
        Pattern::GoroutineLeak,
        Pattern::Fragmentation,
        Pattern::UncollectableCycle,
        Pattern::LargeDataframe,
        Pattern::UnaccountedMemory,
        Pattern::Unknown,
    ];

    /// This pattern's row of [`PATTERNS`].
    pub fn def(self) -> &'static PatternDef {
        PATTERNS
            .iter()
            .find(|d| d.pattern == self)
            .unwrap_or(&PATTERNS[PATTERNS.len() - 1])
    }

    /// The schema's name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The schema's name (as serialised).
    pub fn as_str(self) -> &'static str {
        self.name()
    }

    pub fn from_name(s: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.name() == s)
    }

    /// One line: what this pattern is.
    pub fn explanation(self) -> &'static str {
        self.def().explanation
    }

    /// The usual fix.
    pub fn fix(self) -> Option<&'static str> {
        self.def().fix
    }

    /// The usual fix in a heap of `runtime`: libraries named are that language's (a browser
    /// report recommends no Java cache).
    pub fn fix_in(self, runtime: heapscope_graph::Runtime) -> Option<&'static str> {
        use heapscope_graph::Runtime;
        match (self, runtime) {
            (Pattern::CacheWithoutEviction, Runtime::Jvm) => Some(
                "Give the cache a maximum size and/or expiry (an LRU such as Caffeine, or a LinkedHashMap with removeEldestEntry).",
            ),
            (Pattern::CacheWithoutEviction, Runtime::V8) => Some(
                "Give the cache a maximum size and/or expiry (an LRU such as lru-cache), or key it by object in a WeakMap.",
            ),
            (Pattern::CacheWithoutEviction, Runtime::CPython) => Some(
                "Give the cache a maximum size and/or expiry (functools.lru_cache(maxsize=…), cachetools.TTLCache).",
            ),
            (Pattern::CacheWithoutEviction, Runtime::Go) => Some(
                "Give the cache a maximum size and/or expiry (an LRU with a fixed capacity), and delete entries when their owner is done.",
            ),
            _ => self.fix(),
        }
    }
}

schema_name!(Pattern);

/// Fewer entries than this and a collection is not named as one that grows (nor as a cache or a
/// global container): a few large buffers in a small array are large objects, and "bound it
/// with an LRU" is no advice for them. The title still names the array and its bytes.
pub const MIN_COLLECTION_ENTRIES: u64 = 16;

/// Everything the pattern rules look at, by name only.
pub struct Evidence<'e> {
    pub holder_kind: &'e AnchorKind,
    /// Types and reference names from the holder down to the accumulation point.
    pub chain_types: Vec<&'e str>,
    pub chain_vias: Vec<&'e str>,
    /// Type of the accumulation point as named (the collection), and of the raw walk's end.
    pub holder_type: &'e str,
    /// The collection the accumulation point's type derives from when its own name names none
    /// ([`collection_ancestor`]: `java.util.LinkedHashMap` for `Cache$1`).
    pub holder_ancestor: Option<&'e str>,
    pub raw_type: &'e str,
    /// The accumulation point is what the holder's field points to directly.
    pub held_directly: bool,
    /// Types of a repeating chain, if the walk found one.
    pub chain_period: Vec<&'e str>,
    /// The biggest accumulated item types.
    pub item_types: Vec<&'e str>,
    /// The runtime that wrote the dump.
    pub runtime: heapscope_graph::Runtime,
    /// The kind of the GC root the path starts at (`global`, `goroutine stack (chan receive)`).
    pub root_kind: Option<&'e str>,
    /// Objects accumulated at the point (dominated directly, or the chain's length).
    pub accumulated: u64,
    /// How many alike objects the finding stands for (1 for a single object).
    pub members: u64,
}

impl Evidence<'_> {
    /// Every type on the chain, in the repeating period and at the two ends.
    fn all_types(&self) -> impl Iterator<Item = &str> + '_ {
        self.chain_types
            .iter()
            .chain(self.chain_period.iter())
            .copied()
            .chain([self.holder_type, self.raw_type])
    }

    /// The accumulation point is a (strong) collection of at least
    /// [`MIN_COLLECTION_ENTRIES`] entries.
    fn held_in_collection(&self) -> bool {
        (is_strong_collection(self.holder_type)
            || self.holder_ancestor.is_some_and(is_strong_collection))
            && self.accumulated >= MIN_COLLECTION_ENTRIES
    }
}

/// Recognise an object-graph pattern by names: the first rule of [`PATTERNS`] that holds.
pub fn classify(e: &Evidence) -> Pattern {
    PATTERNS
        .iter()
        .find(|d| d.rule.map(|r| r(e)).unwrap_or(false))
        .map(|d| d.pattern)
        .unwrap_or(Pattern::Unknown)
}

/// What kind of container a type name denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectionKind {
    Map,
    List,
    Set,
    Queue,
}

/// Strip Java generics and array suffixes' element details: `java.util.HashMap<K,V>` → `java.util.HashMap`.
fn base_name(t: &str) -> &str {
    t.split('<').next().unwrap_or(t).trim()
}

/// Java collection classes (and common library ones) and JavaScript built-in collections.
pub fn collection_kind(type_name: &str) -> Option<CollectionKind> {
    use CollectionKind::*;
    let t = base_name(type_name);
    // V8: constructor names as DevTools shows them.
    match t {
        "Map" | "Object / Map" => return Some(Map),
        "Set" => return Some(Set),
        "Array" => return Some(List),
        _ => {}
    }
    // CPython's built-in and collections containers (type names as the Python heap snapshot
    // gives them: builtins without a module).
    match t {
        "dict" | "collections.OrderedDict" | "collections.defaultdict" | "collections.Counter" => {
            return Some(Map)
        }
        "list" => return Some(List),
        "set" => return Some(Set),
        "collections.deque" => return Some(Queue),
        _ => {}
    }
    let simple = t.rsplit('.').next().unwrap_or(t);
    if simple.contains('$') {
        // Inner classes (HashMap$Node, …) are internals, not the collection.
        return None;
    }
    const MAPS: &[&str] = &[
        "HashMap",
        "LinkedHashMap",
        "ConcurrentHashMap",
        "Hashtable",
        "TreeMap",
        "IdentityHashMap",
        "ConcurrentSkipListMap",
        "EnumMap",
        "Properties",
        "HashBiMap",
        "Object2ObjectOpenHashMap",
        "Long2ObjectOpenHashMap",
        "Int2ObjectOpenHashMap",
    ];
    const LISTS: &[&str] = &[
        "ArrayList",
        "LinkedList",
        "Vector",
        "Stack",
        "CopyOnWriteArrayList",
        "ObjectArrayList",
    ];
    const SETS: &[&str] = &[
        "HashSet",
        "LinkedHashSet",
        "TreeSet",
        "ConcurrentSkipListSet",
        "CopyOnWriteArraySet",
    ];
    const QUEUES: &[&str] = &[
        "ArrayDeque",
        "PriorityQueue",
        "ConcurrentLinkedQueue",
        "ConcurrentLinkedDeque",
        "LinkedBlockingQueue",
        "LinkedBlockingDeque",
        "ArrayBlockingQueue",
        "PriorityBlockingQueue",
        "DelayQueue",
    ];
    if !(t.starts_with("java.util.") || t.contains('.')) {
        return None;
    }
    if MAPS.contains(&simple) {
        Some(Map)
    } else if LISTS.contains(&simple) {
        Some(List)
    } else if SETS.contains(&simple) {
        Some(Set)
    } else if QUEUES.contains(&simple) {
        Some(Queue)
    } else {
        None
    }
}

/// The collection a type derives from when its own name names none: its nearest superclass
/// whose name [`collection_kind`] knows (`Cache$1` → `java.util.LinkedHashMap` for the LRU
/// idiom `new LinkedHashMap<>(16, 0.75f, true) { removeEldestEntry … }`, `class MyCache extends
/// HashMap`), from the dump's superclasses ([`heapscope_graph::Supertypes`]; none outside
/// formats with classes). A collection's inside (`HashMap$TreeNode`, a `LinkedHashMap$Entry`
/// subclass) stays an inside, and a collection named as one is not lifted to its ancestor.
pub fn collection_ancestor<'g>(
    g: &'g heapscope_graph::HeapGraph,
    supertypes: &heapscope_graph::Supertypes,
    t: heapscope_graph::TypeId,
) -> Option<&'g str> {
    if supertypes.is_empty() {
        return None;
    }
    let own = g.types.get(t.0);
    if collection_kind(own).is_some() || is_collection_internal(own) {
        return None;
    }
    supertypes
        .ancestors(t)
        .map(|a| g.types.get(a.0))
        .find(|name| collection_kind(name).is_some())
}

/// A type's name without its package: `java.util.LinkedHashMap` → `LinkedHashMap`.
pub fn simple_name(type_name: &str) -> &str {
    let t = base_name(type_name);
    t.rsplit('.').next().unwrap_or(t)
}

/// A collection that holds its entries: a collection type, not a weak one.
pub fn is_strong_collection(type_name: &str) -> bool {
    collection_kind(type_name).is_some() && !is_weak_collection(type_name)
}

/// Weak collections do not hold their keys; they are never the accumulation point we name.
pub fn is_weak_collection(type_name: &str) -> bool {
    let t = base_name(type_name);
    t.ends_with("WeakHashMap") || t == "WeakMap" || t == "WeakSet"
}

/// Types that are the inside of a collection: backing arrays, hash entries, list nodes.
pub fn is_collection_internal(type_name: &str) -> bool {
    let t = base_name(type_name);
    if let Some(elem) = t.strip_suffix("[]") {
        // Arrays of references are a collection's backing store; arrays of primitives are data.
        return !matches!(
            elem,
            "byte" | "char" | "short" | "int" | "long" | "float" | "double" | "boolean"
        );
    }
    // V8 backing stores.
    if matches!(
        t,
        "(array)"
            | "(object elements)"
            | "(object properties)"
            | "system / HashTable"
            | "system / OrderedHashMap"
            | "system / OrderedHashSet"
    ) {
        return true;
    }
    const ENTRY_SUFFIXES: &[&str] = &[
        "$Node",
        "$TreeNode",
        "$TreeBin",
        "$Entry",
        "$HashEntry",
        "$Segment",
        "$ForwardingNode",
        "$Index",
        "$SimpleEntry",
    ];
    ENTRY_SUFFIXES.iter().any(|s| t.ends_with(s))
        && (t.starts_with("java.util.")
            || t.contains("Map")
            || t.contains("List")
            || t.contains("Set"))
}

/// Class loaders: they keep their classes alive, and so top the dominator tree of every Java heap
/// (Eclipse MAT, VisualVM). A suspect names what is below them.
pub fn is_class_loader(type_name: &str) -> bool {
    let t = base_name(type_name);
    let simple = t.rsplit('.').next().unwrap_or(t);
    simple.ends_with("ClassLoader")
        || simple.contains("ClassLoader$")
        || simple.ends_with("$AppClassLoader")
}

/// A Java class object as the parsers name it (`class com.acme.Foo`), or a node of kind Class.
pub fn is_class_object(type_name: &str) -> bool {
    type_name.starts_with("class ")
}

/// V8's scope objects.
pub fn is_js_context(type_name: &str) -> bool {
    matches!(
        js_base(type_name),
        "system / Context" | "system / NativeContext" | "system / ScriptContext"
    )
}

/// A V8 type name without what a browser appends to it: V8's own tag and the page's origin
/// (Chromium's `Window [JSGlobalObject] / https://app.example`, `Window / https://app.example`,
/// `system / NativeContext / https://app.example`).
fn js_base(type_name: &str) -> &str {
    let (head, rest) = match type_name.strip_prefix("system / ") {
        Some(rest) => ("system / ".len(), rest),
        None => (0, type_name),
    };
    let cut = [rest.find(" ["), rest.find(" / ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    &type_name[..head + cut]
}

/// A browser's DOM node removed from the document, or what its detachedness reaches, as
/// DevTools and memlab name it (`Detached <div>`, `Detached Text`).
pub fn is_detached_dom(type_name: &str) -> bool {
    type_name.starts_with("Detached ")
}

/// The JavaScript global object (a browser's window too, whatever its origin).
pub fn is_js_global(type_name: &str) -> bool {
    matches!(
        js_base(type_name),
        "global"
            | "Window"
            | "globalThis"
            | "system / JSGlobalObject"
            | "system / JSGlobalProxy"
            | "(global property)"
    )
}

fn lower_contains_any(s: &str, words: &[&str]) -> bool {
    let l = s.to_ascii_lowercase();
    words.iter().any(|w| l.contains(w))
}

/// A name that says "cache" or "memo".
pub fn names_cache(s: &str) -> bool {
    lower_contains_any(s, &["cache", "memo"])
}

/// A reference or type name that says "listeners".
pub fn names_listeners(s: &str) -> bool {
    s == "_events"
        || s == "_eventsCount"
        || lower_contains_any(
            s,
            &[
                "listener",
                "callbacks",
                "handlers",
                "observers",
                "subscribers",
                "watchers",
            ],
        )
}

/// Node stream state objects and their buffers.
pub fn names_stream(type_name: &str) -> bool {
    matches!(
        base_name(type_name),
        "ReadableState" | "WritableState" | "BufferList"
    )
}

pub fn is_finalizer(type_name: &str) -> bool {
    let t = base_name(type_name);
    t == "java.lang.ref.Finalizer"
        || t == "java.lang.ref.FinalizerReference"
        || t == "class java.lang.ref.Finalizer"
}

pub fn is_thread_local(type_name: &str) -> bool {
    base_name(type_name).contains("ThreadLocal")
}

/// A JVM type that belongs to the runtime itself: the JDK's own packages, primitive arrays, and
/// arrays and class objects of those (`class sun.nio.cs.StandardCharsets`, `java.lang.Object[]`).
/// An application type is anything else.
pub fn is_jvm_runtime_type(type_name: &str) -> bool {
    let mut t = type_name.strip_prefix("class ").unwrap_or(type_name);
    while let Some(inner) = t.strip_suffix("[]") {
        t = inner;
    }
    const PRIMITIVES: &[&str] = &[
        "boolean", "byte", "char", "short", "int", "long", "float", "double",
    ];
    const PACKAGES: &[&str] = &["java.", "javax.", "jdk.", "sun.", "com.sun."];
    PRIMITIVES.contains(&t) || PACKAGES.iter().any(|p| t.starts_with(p))
}

/// Runtime-internal types that a group suspect would only make noise about: V8's `(…)` categories
/// and `system / …` objects, `java.lang.Class`.
pub fn is_runtime_type(type_name: &str) -> bool {
    (type_name.starts_with('(') && type_name.ends_with(')'))
        || type_name.starts_with("system / ")
        || type_name == "java.lang.Class"
        || type_name.starts_with("class ")
}

/// The language's or its runtime's own types: the JDK's, JavaScript's built-in constructors,
/// CPython's built-ins (no module, or a private one), Go's size classes and runtime. A group of
/// them held in several ways names nothing the program defines, so no such group is reported
/// (a group held one way names its holder instead, and stays).
pub fn is_builtin_type(runtime: heapscope_graph::Runtime, type_name: &str) -> bool {
    use heapscope_graph::Runtime;
    if is_runtime_type(type_name) {
        return true;
    }
    match runtime {
        Runtime::Jvm => is_jvm_runtime_type(type_name),
        Runtime::V8 => is_js_builtin(type_name),
        Runtime::CPython => !type_name.contains('.') || type_name.starts_with('_'),
        Runtime::Go => !type_name.contains('.') || is_runtime_frame(type_name),
        Runtime::Unknown => false,
    }
}

/// JavaScript's built-in constructors as V8 names their instances (and Node's `Buffer`), and the
/// embedder's native C++ objects (Blink's).
fn is_js_builtin(type_name: &str) -> bool {
    const BUILTINS: &[&str] = &[
        "Object",
        "Array",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "WeakRef",
        "FinalizationRegistry",
        "Function",
        "Promise",
        "RegExp",
        "Date",
        "String",
        "Number",
        "Boolean",
        "Symbol",
        "BigInt",
        "Arguments",
        "ArrayBuffer",
        "SharedArrayBuffer",
        "DataView",
        "Buffer",
    ];
    const TYPED: &[&str] = &[
        "Int8",
        "Uint8",
        "Uint8Clamped",
        "Int16",
        "Uint16",
        "Int32",
        "Uint32",
        "Float16",
        "Float32",
        "Float64",
        "BigInt64",
        "BigUint64",
    ];
    let t = type_name.split(" / ").next().unwrap_or(type_name);
    // `blink::LayoutBlockFlow`, `v8::internal::…`, `cppgc::…`: the embedder's own C++ objects.
    BUILTINS.contains(&t)
        || t.contains("::")
        || t.ends_with("Error")
        || t.strip_suffix("Array").is_some_and(|p| TYPED.contains(&p))
}

/// Allocation-profile frames that belong to the language runtime's allocator or container growth,
/// not to user code: the "allocated at" line skips them to the first user frame.
pub fn is_runtime_frame(frame: &str) -> bool {
    let f = frame.trim();
    // Go
    // `runtime/pprof.Do` wraps goroutines that set profiler labels; it allocates nothing itself.
    if f.starts_with("runtime.")
        || f.starts_with("runtime/internal")
        || f.starts_with("runtime/pprof.")
    {
        return true;
    }
    const GO_LIB: &[&str] = &[
        "bytes.makeSlice",
        "bytes.(*Buffer).grow",
        "bytes.(*Buffer).Write",
        "bytes.(*Buffer).WriteString",
        "bytes.growSlice",
        "strings.(*Builder).grow",
        "strings.(*Builder).WriteString",
        "strings.Repeat",
        "reflect.unsafe_New",
        "reflect.unsafe_NewArray",
        "reflect.mapassign",
        "sync.(*Pool).Get",
    ];
    if GO_LIB.iter().any(|p| f.starts_with(p)) {
        return true;
    }
    // Python: the interpreter's own frames and the standard library.
    if f.starts_with('<')
        || f.contains("/lib/python3")
        || f.contains("\\lib\\python3")
        || f.contains("/importlib/")
    {
        return true;
    }
    false
}

/// The Go frames that say how memory was allocated, kept to word the finding.
pub fn growth_frame(frame: &str) -> Option<Pattern> {
    let f = frame.trim();
    // Slices growing, then maps growing: both are collections that only grow.
    const GROWTH: [&str; 6] = [
        "runtime.growslice",
        "runtime.makeslice",
        "bytes.growSlice",
        "runtime.mapassign",
        "runtime.makemap",
        "runtime.hashGrow",
    ];
    GROWTH
        .iter()
        .any(|g| f.starts_with(g))
        .then_some(Pattern::UnboundedCollection)
}

/// Go frames where a goroutine waits.
pub fn is_blocking_frame(frame: &str) -> bool {
    let f = frame.trim();
    f.starts_with("runtime.gopark")
        || f.starts_with("runtime.chanrecv")
        || f.starts_with("runtime.chansend")
        || f.starts_with("runtime.selectgo")
        || f.starts_with("runtime.semacquire")
        || f.starts_with("sync.runtime_Semacquire")
        || f.starts_with("sync.runtime_SemacquireMutex")
        || f.starts_with("sync.(*Cond).Wait")
        || f.starts_with("sync.(*WaitGroup).Wait")
        || f.starts_with("internal/poll.runtime_pollWait")
        || f.starts_with("time.Sleep")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A browser's global and contexts carry V8's tag and the page's origin; Node's do not.
    #[test]
    fn js_globals_and_contexts_with_a_browsers_origin() {
        for g in [
            "global",
            "Window",
            "Window [JSGlobalObject] / file://",
            "Window / https://app.example",
            "system / JSGlobalObject",
            "system / JSGlobalObject / https://app.example",
        ] {
            assert!(is_js_global(g), "{g}");
        }
        for c in [
            "system / Context",
            "system / NativeContext / file://",
            "system / ScriptContext / https://app.example",
        ] {
            assert!(is_js_context(c), "{c}");
        }
        for neither in [
            "Window2",
            "WindowManager",
            "system / Map",
            "Object / Map",
            "system",
        ] {
            assert!(
                !is_js_global(neither) && !is_js_context(neither),
                "{neither}"
            );
        }
    }

    /// The cache fix names the heap's own language's libraries, and only those.
    #[test]
    fn the_cache_fix_names_libraries_of_the_heaps_language() {
        use heapscope_graph::Runtime;
        let p = Pattern::CacheWithoutEviction;
        let all = ["Caffeine", "lru-cache", "functools"];
        for (rt, own) in [
            (Runtime::Jvm, Some("Caffeine")),
            (Runtime::V8, Some("lru-cache")),
            (Runtime::CPython, Some("functools")),
            (Runtime::Go, None),
        ] {
            let fix = p.fix_in(rt).expect("a fix");
            for lib in all {
                assert_eq!(fix.contains(lib), own == Some(lib), "{rt:?}: {fix}");
            }
        }
        assert_eq!(p.fix_in(Runtime::Unknown), p.fix());
        assert_eq!(
            Pattern::ThreadLocal.fix_in(Runtime::Jvm),
            Pattern::ThreadLocal.fix()
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Pattern::ALL {
            assert_eq!(Pattern::from_name(p.name()), Some(p));
            assert!(!p.explanation().is_empty());
            assert_eq!(p.fix().is_none(), p == Pattern::Unknown);
        }
    }

    #[test]
    fn table_has_each_pattern_once_under_its_serde_name() {
        assert_eq!(PATTERNS.len(), Pattern::ALL.len());
        for p in Pattern::ALL {
            assert_eq!(PATTERNS.iter().filter(|d| d.pattern == p).count(), 1);
            let json = serde_json::to_string(&p).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", p.name()));
        }
        // The fallback has no rule and comes last.
        assert!(PATTERNS[PATTERNS.len() - 1].rule.is_none());
    }

    /// A type is a collection by its nearest ancestor whose name is one, against a naive walk
    /// over the (type, superclass) pairs: the LRU idiom and `extends HashMap` are, the JDK's
    /// entry classes (`HashMap$TreeNode extends LinkedHashMap$Entry extends HashMap$Node`,
    /// `ConcurrentHashMap$TreeBin`) and a collection named as one are not; a loop ends.
    #[test]
    fn collection_ancestors_agree_with_a_naive_walk() {
        use heapscope_graph::{GraphBuilder, NodeKind, Supertypes, TypeId};
        let pairs = [
            ("com.acme.Cache$1", "java.util.LinkedHashMap"),
            ("java.util.LinkedHashMap", "java.util.HashMap"),
            ("java.util.HashMap", "java.util.AbstractMap"),
            ("com.acme.Registry", "java.util.HashMap"),
            ("com.acme.SortedRegistry", "com.acme.Registry"),
            ("com.acme.Names", "java.util.ArrayList"),
            ("java.util.ArrayList", "java.util.AbstractList"),
            (
                "java.util.HashMap$TreeNode",
                "java.util.LinkedHashMap$Entry",
            ),
            ("java.util.LinkedHashMap$Entry", "java.util.HashMap$Node"),
            (
                "java.util.concurrent.ConcurrentHashMap$TreeBin",
                "java.util.concurrent.ConcurrentHashMap$Node",
            ),
            ("com.acme.Weak", "java.util.WeakHashMap"),
            ("java.util.WeakHashMap", "java.util.AbstractMap"),
            ("com.acme.A", "com.acme.B"),
            ("com.acme.B", "com.acme.A"),
            ("com.acme.Plain", "com.acme.Base"),
        ];
        let mut b = GraphBuilder::new();
        let mut ty = |name: &str| b.intern_type(name);
        let typed: Vec<(TypeId, TypeId)> = pairs.iter().map(|&(t, s)| (ty(t), ty(s))).collect();
        b.add_node(1, typed[0].0, NodeKind::Object, 8);
        b.finish_nodes();
        let g = b.finish(heapscope_graph::Policy::MAT);
        let sup = Supertypes::new(typed.iter().copied());
        let naive = |t: &'static str| -> Option<&'static str> {
            if collection_kind(t).is_some() || is_collection_internal(t) {
                return None;
            }
            let mut cur = t;
            for _ in 0..pairs.len() {
                cur = pairs.iter().find(|p| p.0 == cur)?.1;
                if collection_kind(cur).is_some() {
                    return Some(cur);
                }
            }
            None
        };
        for (k, &(t, _)) in typed.iter().enumerate() {
            let name = pairs[k].0;
            assert_eq!(collection_ancestor(&g, &sup, t), naive(name), "{name}");
        }
        let of = |name: &str| {
            let t = TypeId(g.types.lookup(name).expect(name));
            collection_ancestor(&g, &sup, t)
        };
        assert_eq!(of("com.acme.Cache$1"), Some("java.util.LinkedHashMap"));
        assert_eq!(of("com.acme.SortedRegistry"), Some("java.util.HashMap"));
        assert_eq!(of("com.acme.Names"), Some("java.util.ArrayList"));
        for none in [
            "java.util.HashMap$TreeNode",
            "java.util.LinkedHashMap$Entry",
            "java.util.concurrent.ConcurrentHashMap$TreeBin",
            "java.util.LinkedHashMap",
            "com.acme.Weak",
            "com.acme.A",
            "com.acme.Plain",
        ] {
            assert_eq!(of(none), None, "{none}");
        }
        assert_eq!(
            collection_ancestor(&g, &Supertypes::default(), typed[0].0),
            None
        );
    }

    #[test]
    fn vocabulary() {
        assert_eq!(
            collection_kind("java.util.HashMap"),
            Some(CollectionKind::Map)
        );
        assert_eq!(
            collection_kind("java.util.concurrent.ConcurrentHashMap"),
            Some(CollectionKind::Map)
        );
        assert_eq!(collection_kind("java.util.HashMap$Node"), None);
        assert_eq!(collection_kind("Map"), Some(CollectionKind::Map));
        assert_eq!(collection_kind("com.acme.Session"), None);
        assert!(is_collection_internal("java.util.HashMap$Node[]"));
        assert!(is_collection_internal(
            "java.util.concurrent.ConcurrentHashMap$Node"
        ));
        assert!(is_collection_internal("(array)"));
        assert!(!is_collection_internal("byte[]"));
        assert!(!is_collection_internal("com.acme.Session"));
        assert!(is_class_loader(
            "jdk.internal.loader.ClassLoaders$AppClassLoader"
        ));
        assert!(is_runtime_frame("runtime.mallocgc"));
        assert!(is_runtime_frame("bytes.makeSlice"));
        assert!(!is_runtime_frame("main.newSession"));
        assert!(
            names_listeners("_events") && names_listeners("listeners") && !names_listeners("table")
        );
        assert!(names_cache("renderCache") && names_cache("_memo") && !names_cache("SESSIONS"));
    }
}
