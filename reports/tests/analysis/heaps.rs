//! Heaps in the shapes the four parsers produce, built through the real `GraphBuilder`: Java
//! class objects (`java.lang.Class` nodes named by the inspector, `static NAME` edges) below the
//! app class loader, `HashMap`/`HashMap$Node[]`, pool threads with `threadLocals`; V8's synthetic
//! roots, `system / Context` scopes, `_events`, closure-context chains; Go and Python call trees
//! with runtime allocator frames, MemStats, goroutine profiles.

use std::collections::HashMap;

use crate::facts::Format;
use heapscope_graph::{
    Analysis, DumpFacts, GraphBuilder, HeapGraph, Inspector, Label, NodeIdx, NodeKind, Policy,
};
use heapscope_reports::{build_report, InputMeta, Report, ReportOptions};

/// A heap written down plainly: nodes, labelled (optionally weak) edges, roots, previews.
#[derive(Default)]
pub struct Heap {
    nodes: Vec<(u64, String, NodeKind, u64)>,
    edges: Vec<Vec<(usize, String, bool)>>,
    roots: Vec<(usize, &'static str)>,
    counts: Vec<(usize, u64)>,
    previews: HashMap<u32, String>,
    next_id: u64,
}

/// Previews as the HPROF inspector gives them (class names, String values).
pub struct Previews(pub HashMap<u32, String>);

impl Inspector for Previews {
    fn value_preview(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        self.0.get(&node.0).cloned()
    }
}

impl Heap {
    pub fn new() -> Heap {
        Heap {
            next_id: 0x1000,
            ..Default::default()
        }
    }
    /// A node with the next id (ids step by 16, like object addresses).
    pub fn node(&mut self, ty: &str, kind: NodeKind, shallow: u64) -> usize {
        self.next_id += 16;
        self.nodes
            .push((self.next_id, ty.to_string(), kind, shallow));
        self.edges.push(Vec::new());
        self.nodes.len() - 1
    }
    pub fn obj(&mut self, ty: &str, shallow: u64) -> usize {
        let kind = if ty.ends_with("[]") {
            if ty.starts_with("byte")
                || ty.starts_with("char")
                || ty.starts_with("int")
                || ty.starts_with("long")
            {
                NodeKind::PrimitiveArray
            } else {
                NodeKind::ObjectArray
            }
        } else {
            NodeKind::Object
        };
        self.node(ty, kind, shallow)
    }
    /// A Java class object: type `java.lang.Class`, kind Class, named by the preview.
    pub fn class(&mut self, name: &str) -> usize {
        let n = self.node("java.lang.Class", NodeKind::Class, 96);
        self.previews.insert(n as u32, name.to_string());
        n
    }
    /// A `java.lang.String` with its `value` byte[] and a preview.
    pub fn string(&mut self, text: &str) -> usize {
        let s = self.obj("java.lang.String", 24);
        let v = self.obj("byte[]", 16 + text.len() as u64);
        self.edge(s, v, "value");
        self.previews.insert(s as u32, text.to_string());
        s
    }
    pub fn edge(&mut self, from: usize, to: usize, label: &str) {
        self.edges[from].push((to, label.to_string(), false));
    }
    pub fn weak(&mut self, from: usize, to: usize, label: &str) {
        self.edges[from].push((to, label.to_string(), true));
    }
    pub fn root(&mut self, n: usize, kind: &'static str) {
        self.roots.push((n, kind));
    }

    pub fn analyse(&self, policy: Policy) -> (Analysis, Previews) {
        let mut b = GraphBuilder::new();
        for (i, (id, ty, kind, shallow)) in self.nodes.iter().enumerate() {
            let t = b.intern_type(ty);
            let n = b.add_node(*id, t, *kind, *shallow);
            assert_eq!(n.ix(), i);
        }
        for &(n, c) in &self.counts {
            b.set_count(NodeIdx(n as u32), c);
        }
        for &(n, kind) in &self.roots {
            b.add_root_idx(NodeIdx(n as u32), kind, None);
        }
        b.finish_nodes();
        for (i, es) in self.edges.iter().enumerate() {
            if es.is_empty() {
                continue;
            }
            b.begin_node(NodeIdx(i as u32));
            for (to, label, weak) in es {
                let l = if label.is_empty() {
                    Label::None
                } else if let Some(ix) = label.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                    Label::Index(ix.parse().expect("index label"))
                } else {
                    Label::Name(b.intern_label(label))
                };
                b.edge_to_idx(NodeIdx(*to as u32), *weak, l);
            }
        }
        (
            Analysis::run(b.finish(policy)),
            Previews(self.previews.clone()),
        )
    }

    /// Analyse and build the report as `heapscope analyze` does.
    pub fn report(&self, info: DumpFacts, path: &str, opts: &ReportOptions) -> Report {
        let policy = match info.runtime {
            heapscope_graph::Runtime::V8 => Policy {
                weak_retains: false,
                orphans: heapscope_graph::Orphans::AttachAll,
            },
            heapscope_graph::Runtime::Jvm => Policy::MAT,
            _ => Policy::TREE,
        };
        let (a, insp) = self.analyse(policy);
        let meta = InputMeta {
            path: path.to_string(),
            size_bytes: 1234,
        };
        build_report(&a, &info, &insp, &meta, opts)
    }
}

/// JDK-ish furniture every Java heap has: the app class loader holding the classes through its
/// `classes` ArrayList, a system class with a String table, the main thread. Returns
/// (heap, the loader's class array, next free class slot).
pub fn java_base(strings: usize) -> (Heap, usize, usize) {
    let mut h = Heap::new();
    let loaders = h.class("jdk.internal.loader.ClassLoaders");
    h.root(loaders, "sticky class");
    let app = h.obj("jdk.internal.loader.ClassLoaders$AppClassLoader", 96);
    h.edge(loaders, app, "static APP_LOADER");
    let classes = h.obj("java.util.ArrayList", 24);
    h.edge(app, classes, "classes");
    let arr = h.obj("java.lang.Object[]", 16 + 8 * 16);
    h.edge(classes, arr, "elementData");
    // Interned strings held by a JNI global array, as JDK 17 dumps show.
    let table = h.obj("java.lang.Object[]", 16 + 8 * strings as u64);
    h.root(table, "JNI global");
    for i in 0..strings {
        let s = h.string(&format!("jdk.internal.string.{i:05}"));
        h.edge(table, s, &format!("[{i}]"));
    }
    let main = h.obj("java.lang.Thread", 120);
    h.root(main, "thread object");
    let name = h.string("main");
    h.edge(main, name, "name");
    (h, arr, 0)
}

/// `com.acme.SessionRegistry.SESSIONS`: a static HashMap of `n` sessions, each with a 200-byte
/// payload, below the app class loader — the example.
pub fn java_static_map(n: usize) -> Heap {
    let (mut h, classes, _) = java_base(200);
    let reg = h.class("com.acme.SessionRegistry");
    h.edge(classes, reg, "[0]");
    let other = h.class("com.acme.App");
    h.edge(classes, other, "[1]");
    let table = static_collection(
        &mut h,
        (reg, "static SESSIONS"),
        ("java.util.HashMap", "table", "java.util.HashMap$Node[]"),
        n,
    );
    for i in 0..n {
        session_entry(&mut h, table, i, 216);
    }
    h
}

/// Entry `i` of a HashMap's table: a `HashMap$Node` keyed `sess-<i>` whose value is a
/// `com.acme.Session` with a `payload`-byte `byte[]`. Returns the session.
fn session_entry(h: &mut Heap, table: usize, i: usize, payload: u64) -> usize {
    let node = h.obj("java.util.HashMap$Node", 32);
    h.edge(table, node, &format!("[{i}]"));
    let key = h.string(&format!("sess-{i}"));
    h.edge(node, key, "key");
    let sess = h.obj("com.acme.Session", 24);
    h.edge(node, sess, "value");
    let data = h.obj("byte[]", payload);
    h.edge(sess, data, "data");
    sess
}

/// A collection in a class's static field, with a backing array of `n` slots: (class, field),
/// (collection, its array field, the array's type). Returns the array.
fn static_collection(
    h: &mut Heap,
    (owner, field): (usize, &str),
    (coll, slot, array): (&str, &str, &str),
    n: usize,
) -> usize {
    let c = h.obj(coll, 48);
    h.edge(owner, c, field);
    let arr = h.obj(array, 16 + 4 * n as u64);
    h.edge(c, arr, slot);
    arr
}

/// `com.acme.Blobs.BLOBS`: a static ArrayList of `n` byte arrays of `bytes` each.
pub fn java_static_list(n: usize, bytes: u64) -> Heap {
    let (mut h, classes, _) = java_base(200);
    let owner = h.class("com.acme.Blobs");
    h.edge(classes, owner, "[0]");
    let arr = static_collection(
        &mut h,
        (owner, "static BLOBS"),
        ("java.util.ArrayList", "elementData", "java.lang.Object[]"),
        n,
    );
    for i in 0..n {
        let data = h.obj("byte[]", bytes);
        h.edge(arr, data, &format!("[{i}]"));
    }
    h
}

/// `com.acme.Service`: static fields `CACHE` and `QUEUE` holding lists of `a` and `b` 64 KiB
/// byte arrays.
pub fn java_two_statics(a: usize, b: usize) -> Heap {
    let (mut h, classes, _) = java_base(200);
    let owner = h.class("com.acme.Service");
    h.edge(classes, owner, "[0]");
    for (field, n) in [("static CACHE", a), ("static QUEUE", b)] {
        let arr = static_collection(
            &mut h,
            (owner, field),
            ("java.util.ArrayList", "elementData", "java.lang.Object[]"),
            n,
        );
        for i in 0..n {
            let data = h.obj("byte[]", 64 << 10);
            h.edge(arr, data, &format!("[{i}]"));
        }
    }
    h
}

/// Four idle pool threads whose `threadLocals` hold a large buffer each, set through the static
/// ThreadLocal `com.acme.RequestContext.BUFFER` and never removed.
pub fn java_thread_locals(buffer: u64) -> Heap {
    let (mut h, classes, _) = java_base(200);
    let ctx = h.class("com.acme.RequestContext");
    h.edge(classes, ctx, "[0]");
    let tl = h.obj("java.lang.ThreadLocal", 16);
    h.edge(ctx, tl, "static BUFFER");
    for w in 1..=4 {
        let t = h.obj("java.lang.Thread", 120);
        h.root(t, "thread object");
        let name = h.string(&format!("worker-{w}"));
        h.edge(t, name, "name");
        let map = h.obj("java.lang.ThreadLocal$ThreadLocalMap", 24);
        h.edge(t, map, "threadLocals");
        let table = h.obj("java.lang.ThreadLocal$ThreadLocalMap$Entry[]", 16 + 16 * 4);
        h.edge(map, table, "table");
        let entry = h.obj("java.lang.ThreadLocal$ThreadLocalMap$Entry", 32);
        h.edge(table, entry, "[3]");
        h.weak(entry, tl, "referent");
        let buf = h.obj("byte[]", buffer);
        h.edge(entry, buf, "value");
    }
    h
}

/// V8: `ConfigBus` (an EventEmitter in a module variable `bus`) whose `_events.configChanged`
/// array keeps `n` listener closures, each holding a `Session` through its context.
pub fn v8_emitter(n: usize) -> Heap {
    let mut h = Heap::new();
    let root = h.node("(synthetic)", NodeKind::Synthetic, 0);
    h.root(root, "synthetic root");
    let gc = h.node("(GC roots)", NodeKind::Synthetic, 0);
    h.edge(root, gc, "[1]");
    let handles = h.node("(Global handles)", NodeKind::Synthetic, 0);
    h.edge(gc, handles, "[7]");
    let module = h.node("system / Context", NodeKind::Hidden, 48);
    h.edge(handles, module, "[42]");
    // Runtime furniture: compiled code and strings.
    let code = h.node("(compiled code)", NodeKind::Code, 0);
    h.edge(gc, code, "[3]");
    for i in 0..300 {
        let c = h.node("(compiled code)", NodeKind::Code, 96);
        h.edge(code, c, &format!("[{i}]"));
    }
    let bus = h.obj("ConfigBus", 120);
    h.edge(module, bus, "bus");
    let events = h.obj("Object", 24);
    h.edge(bus, events, "_events");
    let arr = h.obj("Array", 32);
    h.edge(events, arr, "configChanged");
    let elems = h.node("(object elements)", NodeKind::Hidden, 16 + 8 * n as u64);
    h.edge(arr, elems, "elements");
    for i in 0..n {
        let f = h.node("(closure)", NodeKind::Closure, 64);
        h.edge(elems, f, &format!("[{i}]"));
        let c = h.node("system / Context", NodeKind::Hidden, 40);
        h.edge(f, c, "context");
        let s = h.obj("Session", 40);
        h.edge(c, s, "session");
        let data = h.obj("Array", 32);
        h.edge(s, data, "data");
        let store = h.node("(object elements)", NodeKind::Hidden, 16 + 8 * 64);
        h.edge(data, store, "elements");
    }
    h
}

/// V8: `n` sessions alike, each held by two collections (a `sessions` Map's table and a
/// `byUser` Set's table) that two module contexts hold, under two GC roots: no one object
/// dominates them. The leak is the group, whose members are each a small share of the heap.
pub fn v8_sessions(n: usize) -> Heap {
    let mut h = Heap::new();
    let table = |h: &mut Heap, root: &str, kind: &str, var: &str| {
        let r = h.node(root, NodeKind::Synthetic, 0);
        h.root(r, "synthetic root");
        let module = h.node("system / Context", NodeKind::Hidden, 48);
        h.edge(r, module, "[1]");
        let c = h.obj(kind, 32);
        h.edge(module, c, var);
        let t = h.node("(object elements)", NodeKind::Hidden, 16 + 8 * n as u64);
        h.edge(c, t, "table");
        t
    };
    let map_table = table(&mut h, "(Handle scope)", "Map", "sessions");
    let set_table = table(&mut h, "(Global handles)", "Set", "byUser");
    for i in 0..n {
        let s = h.obj("Session", 120);
        h.edge(map_table, s, &format!("[{i}]"));
        h.edge(set_table, s, &format!("[{i}]"));
        let buf = h.obj("Array", 32);
        h.edge(s, buf, "events");
    }
    h
}

/// V8: `families` module variables, each one object of its own class (`Holder0`, `Holder1`, …)
/// holding `per` objects of type `ty` (200 B each): every family under the threshold, all of
/// `ty` together far over it, and no one way of holding them over it (an AST whose nodes hang
/// off symbols, links and parents alike).
pub fn v8_held_many_ways(ty: &str, families: usize, per: usize) -> Heap {
    let mut h = Heap::new();
    let r = h.node("(synthetic)", NodeKind::Synthetic, 0);
    h.root(r, "synthetic root");
    for f in 0..families {
        // A module of its own per family: one module holding them all would be the suspect.
        let module = h.node("system / Context", NodeKind::Hidden, 48);
        h.edge(r, module, &format!("[{}]", f + 1));
        let holder = h.obj(&format!("Holder{f}"), 40);
        h.edge(module, holder, &format!("family{f}"));
        for i in 0..per {
            let n = h.obj(ty, 200);
            h.edge(holder, n, &format!("n{i}"));
        }
    }
    h
}

/// V8 in a browser (Chromium's names): the window below its native context, `app.grid` a live
/// table of `live` rows (1,000 B each), `app.dialogHistory` an array of `dialogs` history
/// entries each keeping a closed dialog — a detached `<div>` with a detached text node, 400 B in
/// all — and one stray detached Blink object held elsewhere.
pub fn v8_browser_detached(live: usize, dialogs: usize) -> Heap {
    let mut h = Heap::new();
    let r = h.node("(synthetic)", NodeKind::Synthetic, 0);
    h.root(r, "synthetic root");
    let ctx = h.node(
        "system / NativeContext / https://app.example",
        NodeKind::Hidden,
        48,
    );
    h.edge(r, ctx, "[1]");
    let window = h.obj("Window [JSGlobalObject] / https://app.example", 64);
    h.edge(ctx, window, "global_object");
    let app = h.obj("Object", 32);
    h.edge(window, app, "app");
    let grid = h.obj("Array", 16);
    h.edge(app, grid, "grid");
    for i in 0..live {
        let row = h.obj("HTMLTableRowElement", 1000);
        h.edge(grid, row, &format!("[{i}]"));
    }
    let history = h.obj("Array", 16);
    h.edge(app, history, "dialogHistory");
    let store = h.node(
        "(object elements)",
        NodeKind::Hidden,
        16 + 8 * dialogs as u64,
    );
    h.edge(history, store, "elements");
    for i in 0..dialogs {
        let entry = h.obj("Object", 24);
        h.edge(store, entry, &format!("[{i}]"));
        let div = h.node("Detached <div class=\"modal\">", NodeKind::Native, 300);
        h.edge(entry, div, "dlg");
        let text = h.node("Detached Text", NodeKind::Native, 100);
        h.edge(div, text, "1");
    }
    let stray = h.node(
        "Detached blink::SpaceSplitString::Data",
        NodeKind::Native,
        64,
    );
    h.edge(ctx, stray, "2");
    h
}

/// A Go heap dump's shape (no type names, size classes): a global slice's backing array holding
/// `n` 128-byte structs, each also held by a second global's map bucket block, each owning a
/// 4 KiB buffer.
pub fn go_dump_slice_and_map(n: usize) -> Heap {
    let mut h = Heap::new();
    let slice = h.obj("size class 40960 B", 40960);
    h.root(slice, "global");
    let buckets = h.obj("size class 57344 B", 57344);
    h.root(buckets, "global");
    for i in 0..n {
        let s = h.obj("size class 128 B", 128);
        h.edge(slice, s, &format!("[{i}]"));
        h.edge(buckets, s, &format!("[{i}]"));
        let buf = h.obj("size class 4096 B", 4096);
        h.edge(s, buf, "+8");
    }
    h
}

/// V8: the closure-context chain (`theThing` → `someMethod` → context → `originalThing` → …),
/// each link with a `bigData` array.
pub fn v8_closure_chain(links: usize) -> Heap {
    let mut h = Heap::new();
    let root = h.node("(synthetic)", NodeKind::Synthetic, 0);
    h.root(root, "synthetic root");
    let module = h.node("system / Context", NodeKind::Hidden, 48);
    h.edge(root, module, "[1]");
    let mut holder = module;
    let mut label = "theThing";
    for _ in 0..links {
        let thing = h.obj("Object", 40);
        h.edge(holder, thing, label);
        let big = h.obj("Array", 32);
        h.edge(thing, big, "bigData");
        let store = h.node("(object elements)", NodeKind::Hidden, 8016);
        h.edge(big, store, "elements");
        let f = h.node("(closure)", NodeKind::Closure, 64);
        h.edge(thing, f, "someMethod");
        let ctx = h.node("system / Context", NodeKind::Hidden, 48);
        h.edge(f, ctx, "context");
        holder = ctx;
        label = "originalThing";
    }
    h
}

/// A call tree as the pprof parser builds it: one node per stack prefix, outermost on top,
/// kind Frame, shallow = in-use bytes allocated with exactly that stack.
#[derive(Default)]
pub struct Tree {
    heap: Heap,
    index: HashMap<Vec<String>, usize>,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            heap: Heap::new(),
            index: HashMap::new(),
        }
    }
    /// Add `bytes` (in `objects` objects) at the stack `frames`, outermost first.
    pub fn sample(&mut self, frames: &[&str], bytes: u64, objects: u64) {
        let mut prefix: Vec<String> = Vec::new();
        let mut parent: Option<usize> = None;
        for f in frames {
            prefix.push(f.to_string());
            let n = match self.index.get(&prefix) {
                Some(&n) => n,
                None => {
                    let n = self.heap.node(f, NodeKind::Frame, 0);
                    self.heap.counts.push((n, 0));
                    match parent {
                        Some(p) => self.heap.edge(p, n, ""),
                        None => self.heap.root(n, "outermost frame"),
                    }
                    self.index.insert(prefix.clone(), n);
                    n
                }
            };
            parent = Some(n);
        }
        if let Some(n) = parent {
            self.heap.nodes[n].3 += bytes;
            if let Some(c) = self.heap.counts.iter_mut().find(|c| c.0 == n) {
                c.1 += objects;
            }
        }
    }
    pub fn heap(&self) -> &Heap {
        &self.heap
    }
}

/// A Go heap profile: a slice that keeps growing (`runtime.growslice` under `main.record`), a map
/// filled by `main.handleLogin`, goroutines holding buffers, runtime allocations.
pub fn go_heap() -> Tree {
    let mut t = Tree::new();
    t.sample(
        &[
            "runtime.main",
            "main.main",
            "main.record",
            "runtime.growslice",
            "runtime.mallocgc",
        ],
        7_000_000,
        17,
    );
    t.sample(
        &[
            "runtime.main",
            "main.main",
            "main.handleLogin",
            "main.newSession",
        ],
        900_000,
        3000,
    );
    t.sample(
        &["main.streamWorker", "bytes.makeSlice", "runtime.mallocgc"],
        1_200_000,
        75,
    );
    t.sample(
        &[
            "runtime.systemstack",
            "runtime.newproc.func1",
            "runtime.newproc1",
            "runtime.malg",
        ],
        1_500_000,
        900,
    );
    t
}

/// A Go goroutine profile: 2,000 goroutines parked in `main.streamWorker`, four workers.
pub fn go_goroutines() -> Tree {
    let mut t = Tree::new();
    t.sample(
        &[
            "runtime.goexit",
            "main.main.func1",
            "main.streamWorker",
            "runtime.chanrecv2",
            "runtime.chanrecv",
            "runtime.gopark",
        ],
        2000,
        2000,
    );
    t.sample(
        &[
            "runtime.goexit",
            "main.pollWorker",
            "runtime.chanrecv1",
            "runtime.chanrecv",
            "runtime.gopark",
        ],
        4,
        4,
    );
    t.sample(&["runtime.main", "main.main", "heapdump.Goroutine"], 1, 1);
    t
}

pub fn info(format: Format) -> DumpFacts {
    let mut i = format.facts();
    if format.facts().is_call_tree() {
        i.sample_type = Some(if format == Format::Pprof {
            "inuse_space".into()
        } else {
            "size".into()
        });
    }
    i
}

/// `inuse` in-use span bytes of which `alloc` are live objects, as the pprof text form reports.
pub fn go_memstats(inuse: u64, alloc: u64) -> DumpFacts {
    let mut i = info(Format::Pprof);
    i.memstats = Some(heapscope_graph::MemStats {
        heap_inuse: Some(inuse),
        heap_alloc: Some(alloc),
        heap_sys: Some(inuse + 1_000_000),
        heap_objects: Some(8809),
        ..Default::default()
    });
    use heapscope_graph::facts::{FormatDetails, MemStat, Number, PprofDetails};
    let stat = |v: u64| MemStat::Number(Number::U64(v));
    i.details.format = FormatDetails::Pprof(Box::new(PprofDetails {
        form: "text".into(),
        profile: "heap".into(),
        memstats: Some(
            [
                ("HeapInuse", stat(inuse)),
                ("HeapAlloc", stat(alloc)),
                ("HeapSys", stat(inuse + 1_000_000)),
                ("HeapObjects", stat(8809)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        ),
        ..PprofDetails::default()
    }));
    i
}

pub fn goroutine_info() -> DumpFacts {
    let mut i = Format::Pprof.facts();
    i.profile = Some(heapscope_graph::ProfileFacts {
        kind: heapscope_graph::ProfileKind::Goroutine,
        unit: heapscope_graph::Unit::Count,
        in_use: true,
    });
    i.sample_type = Some("goroutine".into());
    i.details.format = heapscope_graph::facts::FormatDetails::Pprof(Box::new(
        heapscope_graph::facts::PprofDetails {
            form: "text".into(),
            profile: "goroutine".into(),
            ..Default::default()
        },
    ));
    i
}

/// `com.acme.SessionRegistry.SESSIONS`, a static HashMap of `n` sessions with a 2 KiB payload
/// each, every session also in `com.acme.Audit.RECENT`, a static ArrayList: neither collection
/// dominates a session. Both classes are roots of their own (system classes), so that no class
/// list dominates the sessions either.
pub fn java_sessions_in_two_collections(n: usize) -> Heap {
    let (mut h, _, _) = java_base(200);
    let reg = h.class("com.acme.SessionRegistry");
    h.root(reg, "sticky class");
    let audit = h.class("com.acme.Audit");
    h.root(audit, "sticky class");
    let table = static_collection(
        &mut h,
        (reg, "static SESSIONS"),
        ("java.util.HashMap", "table", "java.util.HashMap$Node[]"),
        n,
    );
    let list = static_collection(
        &mut h,
        (audit, "static RECENT"),
        ("java.util.ArrayList", "elementData", "java.lang.Object[]"),
        n,
    );
    for i in 0..n {
        let sess = session_entry(&mut h, table, i, 2048);
        h.edge(list, sess, &format!("[{i}]"));
    }
    h
}

/// V8: `global.appState`, an object of type `holder` (`Object` for a plain `{}`) naming the
/// application's state, the shape of a Node program's `globalThis.app = {…}` (see
/// testdata/node/plain_holder): `sessions` a Map of `n` sessions (300 B each with their buffer),
/// `detached` an array of `n / 250` detached trees of 250 `FakeElement`s (96 B each with their
/// children array), `meta` a WeakMap with a 40 B record per session (held by the table and by its
/// session, so below `appState` itself), `pending` an array of `n / 5` promises each also held by
/// a session, and `dict` more named fields of `appState` itself, 100 B each. Returns the heap
/// and the bytes below `sessions` and `detached` (what each retains, summed as it is built).
pub fn v8_plain_holder(holder: &str, n: usize, dict: usize) -> (Heap, u64, u64) {
    let mut h = Heap::new();
    let root = h.node("(synthetic)", NodeKind::Synthetic, 0);
    h.root(root, "synthetic root");
    let global = h.obj("global", 40);
    h.edge(root, global, "[2]");
    let state = h.obj(holder, 56);
    h.edge(global, state, "appState");
    let field = |h: &mut Heap, ty: &str, name: &str, len: usize| {
        let c = h.obj(ty, 32);
        h.edge(state, c, name);
        let t = h.node("(array)", NodeKind::Hidden, 16 + 8 * len as u64);
        h.edge(c, t, "table");
        (c, t, 32 + 16 + 8 * len as u64)
    };
    let (_, sessions_table, mut sessions) = field(&mut h, "Map", "sessions", n);
    let (_, meta_table, _) = field(&mut h, "WeakMap", "meta", n);
    let (_, pending_elems, _) = field(&mut h, "Array", "pending", n / 5);
    for i in 0..n {
        let s = h.obj("Session", 200);
        h.edge(sessions_table, s, &format!("[{i}]"));
        let buf = h.obj("Uint8Array", 100);
        h.edge(s, buf, "buf");
        sessions += 300;
        // The WeakMap's value: the table refers to it, and so does its key.
        let m = h.obj("Object", 40);
        h.edge(meta_table, m, &format!("[{i}]"));
        h.edge(s, m, "part of key -> value pair in WeakMap");
        if i % 5 == 0 {
            let p = h.obj("Promise", 40);
            h.edge(pending_elems, p, &format!("[{}]", i / 5));
            h.edge(s, p, "resolve");
        }
    }
    let (_, trees, mut detached) = field(&mut h, "Array", "detached", n / 250);
    for t in 0..n / 250 {
        let top = h.obj("FakeElement", 64);
        h.edge(trees, top, &format!("[{t}]"));
        let kids = h.obj("Array", 32);
        h.edge(top, kids, "children");
        for k in 1..250 {
            let e = h.obj("FakeElement", 64);
            h.edge(kids, e, &format!("[{k}]"));
            h.edge(e, top, "parentNode");
            let own = h.obj("Array", 32);
            h.edge(e, own, "children");
        }
        detached += 250 * 96;
    }
    for i in 0..dict {
        let v = h.obj("Entry", 100);
        h.edge(state, v, &format!("key{i}"));
    }
    (h, sessions, detached)
}
