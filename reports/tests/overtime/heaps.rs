//! Small heaps written down plainly and built through the real `GraphBuilder`: a Java-like growth
//! series (a linear audit log beside a cache that fills to a capacity), V8-like snapshots with
//! stable node ids, and allocation-profile call trees from explicit samples.

use crate::facts::Format;
use heapscope_graph::{Analysis, DumpFacts, GraphBuilder, Label, NodeIdx, NodeKind, Policy};
use heapscope_reports::overtime::{summarize, Dump, DumpSummary};
use heapscope_reports::InputMeta;

/// A graph as a list of nodes with typed, labelled edges; ids given by the caller.
#[derive(Default)]
pub struct Heap {
    pub nodes: Vec<(u64, String, NodeKind, u64)>,
    pub edges: Vec<Vec<(usize, Option<String>)>>,
    pub roots: Vec<(usize, &'static str)>,
    pub counts: Vec<Option<u64>>,
}

impl Heap {
    pub fn node(&mut self, id: u64, ty: &str, kind: NodeKind, shallow: u64) -> usize {
        self.nodes.push((id, ty.to_string(), kind, shallow));
        self.edges.push(Vec::new());
        self.counts.push(None);
        self.nodes.len() - 1
    }
    pub fn edge(&mut self, from: usize, to: usize, label: &str) {
        self.edges[from].push((to, Some(label.to_string())));
    }
    pub fn root(&mut self, n: usize, kind: &'static str) {
        self.roots.push((n, kind));
    }
    pub fn analyse(&self, policy: Policy) -> Analysis {
        let mut b = GraphBuilder::new();
        for (i, (id, ty, kind, shallow)) in self.nodes.iter().enumerate() {
            let t = b.intern_type(ty);
            let n = b.add_node(*id, t, *kind, *shallow);
            assert_eq!(n.ix(), i);
            if let Some(c) = self.counts[i] {
                b.set_count(n, c);
            }
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
            for (to, label) in es {
                let l = match label.as_deref() {
                    None => Label::None,
                    Some(s) if s.starts_with('[') => {
                        Label::Index(s.trim_matches(|c| c == '[' || c == ']').parse().unwrap())
                    }
                    Some(s) => Label::Name(b.intern_label(s)),
                };
                b.edge_to_idx(NodeIdx(*to as u32), false, l);
            }
        }
        Analysis::run(b.finish(policy))
    }
}

/// An analysed dump with its facts, kept together so tests can borrow a [`Dump`].
pub struct Analysed {
    pub a: Analysis,
    pub info: DumpFacts,
    pub meta: InputMeta,
}

impl Analysed {
    pub fn new(a: Analysis, format: Format, path: &str, timestamp_ms: Option<i64>) -> Analysed {
        let mut info = format.facts();
        info.timestamp_ms = timestamp_ms;
        Analysed {
            a,
            info,
            meta: InputMeta {
                path: path.to_string(),
                size_bytes: 0,
            },
        }
    }
    pub fn dump(&self) -> Dump<'_> {
        Dump {
            a: &self.a,
            info: &self.info,
            meta: &self.meta,
            insp: None,
        }
    }
    pub fn summary(&self) -> DumpSummary {
        summarize(self.dump())
    }
}

/// The Java growth scenario at one step: `orders` in `OrderService.AUDIT_LOG` (an `ArrayList`,
/// 300-byte payloads) and `cached` entries in `CustomerCache.PROFILES` (a `HashMap` of 1 KiB
/// `byte[]`). Ids start at `base_id` (HPROF ids are addresses: they move between dumps).
pub struct JavaStep {
    pub orders: u64,
    pub cached: u64,
    /// Extra bytes in a steady `com.acme.Config` blob, to add jitter to a healthy series.
    pub config_bytes: u64,
}

pub const ORDER_BYTES: u64 = 32;
pub const PAYLOAD_BYTES: u64 = 316;
pub const PROFILE_BYTES: u64 = 1040;

pub fn java_heap(s: &JavaStep, base_id: u64) -> Analysis {
    let mut h = Heap::default();
    let mut id = base_id;
    let mut next = || {
        id += 16;
        id
    };
    let sys = h.node(next(), "java.lang.ClassLoader", NodeKind::Object, 64);
    h.root(sys, "system class");
    let order_svc = h.node(next(), "class com.acme.OrderService", NodeKind::Class, 40);
    let list = h.node(next(), "java.util.ArrayList", NodeKind::Object, 24);
    let arr = h.node(
        next(),
        "java.lang.Object[]",
        NodeKind::ObjectArray,
        16 + 4 * s.orders,
    );
    h.edge(sys, order_svc, "classes");
    h.edge(order_svc, list, "AUDIT_LOG");
    h.edge(list, arr, "elementData");
    for i in 0..s.orders {
        let o = h.node(next(), "com.acme.Order", NodeKind::Object, ORDER_BYTES);
        let p = h.node(next(), "byte[]", NodeKind::PrimitiveArray, PAYLOAD_BYTES);
        h.edge(arr, o, &format!("[{i}]"));
        h.edge(o, p, "payload");
    }
    let cache_cls = h.node(next(), "class com.acme.CustomerCache", NodeKind::Class, 40);
    let map = h.node(next(), "java.util.HashMap", NodeKind::Object, 48);
    let table = h.node(
        next(),
        "java.util.HashMap$Node[]",
        NodeKind::ObjectArray,
        16 + 4 * 4096,
    );
    h.edge(sys, cache_cls, "classes");
    h.edge(cache_cls, map, "PROFILES");
    h.edge(map, table, "table");
    for i in 0..s.cached {
        let node = h.node(next(), "java.util.HashMap$Node", NodeKind::Object, 32);
        let key = h.node(next(), "java.lang.String", NodeKind::String, 24);
        let val = h.node(next(), "byte[]", NodeKind::PrimitiveArray, PROFILE_BYTES);
        h.edge(table, node, &format!("[{i}]"));
        h.edge(node, key, "key");
        h.edge(node, val, "value");
    }
    let cfg_cls = h.node(next(), "class com.acme.Config", NodeKind::Class, 40);
    let cfg = h.node(
        next(),
        "com.acme.Config",
        NodeKind::Object,
        16 + s.config_bytes,
    );
    h.edge(sys, cfg_cls, "classes");
    h.edge(cfg_cls, cfg, "INSTANCE");
    h.analyse(heapscope_graph::Policy::MAT)
}

/// A V8-like heap: `jobs` `PendingJob`s held by a `pending` array on the global object, each with
/// its own `(string)` name. Job `k` has node id `1000 + 2k` (its name `1001 + 2k`); the ids of
/// jobs that are gone are simply absent. Ids are stable across snapshots of one process.
pub fn v8_heap(jobs: &[u64]) -> Analysis {
    let mut h = Heap::default();
    let roots = h.node(1, "(GC roots)", NodeKind::Synthetic, 0);
    h.root(roots, "(GC roots)");
    let global = h.node(3, "global", NodeKind::Object, 64);
    let arr = h.node(5, "Array", NodeKind::Object, 32);
    let elems = h.node(
        7,
        "(object elements)",
        NodeKind::Hidden,
        16 + 8 * jobs.len() as u64,
    );
    h.edge(roots, global, "global");
    h.edge(global, arr, "pending");
    h.edge(arr, elems, "elements");
    for (i, &k) in jobs.iter().enumerate() {
        let j = h.node(1000 + 2 * k, "PendingJob", NodeKind::Object, 40);
        let s = h.node(1001 + 2 * k, "(string)", NodeKind::String, 24);
        h.edge(elems, j, &format!("[{i}]"));
        h.edge(j, s, "name");
    }
    h.analyse(heapscope_graph::Policy {
        weak_retains: false,
        orphans: heapscope_graph::Orphans::AttachAll,
    })
}

/// The top of a V8-like heap: `(GC roots)` → `global` → `pending` array → its elements (of
/// `elems_bytes`), ids 1, 3, 5 and 7; the global object and the elements, for the caller's
/// objects.
pub fn v8_global_array(h: &mut Heap, elems_bytes: u64) -> (usize, usize) {
    let roots = h.node(1, "(GC roots)", NodeKind::Synthetic, 0);
    h.root(roots, "(GC roots)");
    let global = h.node(3, "global", NodeKind::Object, 64);
    let arr = h.node(5, "Array", NodeKind::Object, 32);
    let elems = h.node(7, "(object elements)", NodeKind::Hidden, elems_bytes);
    h.edge(roots, global, "global");
    h.edge(global, arr, "pending");
    h.edge(arr, elems, "elements");
    (global, elems)
}

/// An allocation profile from explicit samples `(stack outermost first, bytes, objects)`, built
/// the way the profile parsers do: one call-tree node per distinct stack prefix, node type = the
/// frame's function, shallow = bytes of samples ending exactly there.
pub fn profile(samples: &[(Vec<&str>, u64, u64)]) -> Analysis {
    let mut h = Heap::default();
    let mut index: std::collections::HashMap<(usize, String), usize> = Default::default();
    let mut own: Vec<(u64, u64)> = Vec::new();
    const TOP: usize = usize::MAX;
    for (stack, bytes, objs) in samples {
        let mut parent = TOP;
        for f in stack {
            let key = (parent, f.to_string());
            let n = match index.get(&key) {
                Some(&n) => n,
                None => {
                    let n = h.node(h.nodes.len() as u64 + 1, f, NodeKind::Frame, 0);
                    own.push((0, 0));
                    index.insert(key, n);
                    if parent == TOP {
                        h.root(n, "outermost frame");
                    } else {
                        h.edges[parent].push((n, None));
                    }
                    n
                }
            };
            parent = n;
        }
        own[parent].0 += bytes;
        own[parent].1 += objs;
    }
    for (i, (b, c)) in own.into_iter().enumerate() {
        h.nodes[i].3 = b;
        h.counts[i] = Some(c);
    }
    h.analyse(Policy::TREE)
}
