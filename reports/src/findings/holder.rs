//! The holder a developer edits, on the shortest strong path from a GC root: a static field,
//! a thread's `threadLocals` (named by its ThreadLocal), a JS scope variable, a `global`
//! property, else the root. Its text is the path's notation (`class X › static F › Map`), not
//! prose; [`Holder::shape`] leaves instance-specific parts out so alike holders compare equal.

use std::sync::{Arc, Mutex};

use heapscope_graph::{Label, NodeIdx, NodeKind, PathStep};

use crate::build::Ctx;
use crate::model::PathElem;
use crate::patterns;

/// The holder a developer edits, found on a path from a GC root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorKind {
    /// `class X › static F`
    Static,
    /// `Thread.threadLocals`
    ThreadLocals,
    /// A JavaScript scope (module or closure) variable.
    Variable,
    /// A property of the JavaScript global object.
    Global,
    /// Nothing better: the path's first element (the GC root).
    Root,
}

/// The anchor on a path: where the holder a developer edits is, and what names it beyond the
/// path's own types and references ([`crate::words`] writes it out).
#[derive(Clone, Debug)]
pub struct Holder {
    pub kind: AnchorKind,
    /// Index in the path of the holding object (class, thread, context, global, root).
    pub at: usize,
    /// [`AnchorKind::ThreadLocals`]: the thread's name, when the dump has it.
    pub thread_name: Option<String>,
    /// [`AnchorKind::ThreadLocals`]: the ThreadLocal the value is set in.
    pub thread_local: Option<ThreadLocalRef>,
}

/// A ThreadLocal on a path through a thread's `threadLocals`.
#[derive(Clone, Debug)]
pub struct ThreadLocalRef {
    /// The static field that holds it (`com.acme.RequestContext.BUFFER`), else its class.
    pub name: String,
    /// Index in the path of its `ThreadLocalMap$Entry`.
    pub entry: usize,
}

/// One step of the holder chain below the anchor: the reference followed (empty for the
/// anchor's own field, already named) and the type reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop<'p> {
    pub via: &'p str,
    pub type_name: &'p str,
}

impl Holder {
    /// The anchor's field (static field, scope variable, global property), if it has one.
    pub fn field<'p>(&self, path: &'p [PathElem]) -> &'p str {
        let f = path
            .get(self.at + 1)
            .and_then(|p| p.via.as_deref())
            .unwrap_or_default();
        match self.kind {
            AnchorKind::Static => f.strip_prefix("static ").unwrap_or(f),
            _ => f,
        }
    }

    /// The steps from the anchor (or the ThreadLocal's entry) down to the path's end.
    pub fn hops<'p>(&self, path: &'p [PathElem]) -> Vec<Hop<'p>> {
        if let Some(tl) = &self.thread_local {
            return path[(tl.entry + 1).min(path.len())..]
                .iter()
                .map(|p| Hop {
                    via: p.via.as_deref().unwrap_or("·"),
                    type_name: &p.type_name,
                })
                .collect();
        }
        let first = if self.kind == AnchorKind::Root {
            self.at
        } else {
            self.at + 1
        };
        let mut hops = Vec::new();
        for (j, p) in path.iter().enumerate().skip(first) {
            if j == first && self.kind != AnchorKind::Root {
                hops.push(Hop {
                    via: "",
                    type_name: &p.type_name,
                });
            } else if j > first {
                hops.push(Hop {
                    via: p.via.as_deref().unwrap_or("?"),
                    type_name: &p.type_name,
                });
            }
        }
        hops
    }

    /// The holder with instance-specific parts (thread names, indices, ids) left out: two
    /// holders with the same shape hold alike (one ThreadLocal in several pool threads).
    pub fn shape<'p>(&'p self, path: &'p [PathElem]) -> Vec<&'p str> {
        let mut key: Vec<&str> = Vec::new();
        let Some(anchor) = path.get(self.at) else {
            return key;
        };
        key.push(&anchor.type_name);
        match self.kind {
            AnchorKind::Root => key.extend(anchor.root_kind.as_deref()),
            AnchorKind::ThreadLocals => key.extend(self.thread_local.as_ref().map(|t| &*t.name)),
            _ => key.push(self.field(path)),
        }
        let exact = self.thread_local.is_some();
        for h in self.hops(path) {
            key.push(if !exact && h.via.starts_with('[') {
                "[i]"
            } else {
                h.via
            });
            key.push(h.type_name);
        }
        key
    }
}

fn is_name(via: &Option<String>) -> bool {
    matches!(via, Some(v) if !v.is_empty() && !v.starts_with('['))
}

/// A Java thread's name (its `name` field's String), when the inspector can read it.
fn thread_name(ctx: &Ctx, thread: NodeIdx) -> Option<String> {
    let g = &ctx.a.graph;
    let e = g
        .edges(thread)
        .find(|e| g.label_text(e.label).as_deref() == Some("name"))?;
    ctx.insp.value_preview(g, e.target)
}

/// The ThreadLocal of a `ThreadLocalMap$Entry` (its weak `referent`), named by the static field
/// that holds it (`com.acme.RequestContext.BUFFER`) or else by its class.
fn thread_local_name(ctx: &Ctx, entry: NodeIdx) -> Option<String> {
    let g = &ctx.a.graph;
    let e = g
        .edges(entry)
        .find(|e| g.label_text(e.label).as_deref() == Some("referent"))?;
    let tl = e.target;
    for (r, label, _) in ctx.a.referrers(tl) {
        if g.kind(r) == NodeKind::Class || patterns::is_class_object(g.type_name(r)) {
            let field = g.label_text(label).unwrap_or_default();
            let field = field.strip_prefix("static ").unwrap_or(&field).to_string();
            let class = if patterns::is_class_object(g.type_name(r)) {
                g.type_name(r).trim_start_matches("class ").to_string()
            } else {
                ctx.insp
                    .value_preview(g, r)
                    .unwrap_or_else(|| g.type_name(r).to_string())
            };
            return Some(format!("{class}.{field}"));
        }
    }
    Some(g.type_name(tl).to_string())
}

/// Find the nearest holder on `path`.
pub fn holder_of(ctx: &Ctx, path: &[PathElem], steps: &[PathStep]) -> Holder {
    let g = &ctx.a.graph;
    let mut found: Option<(usize, AnchorKind)> = None;
    if path.len() >= 2 {
        for i in (0..path.len() - 1).rev() {
            let p = &path[i];
            let next = &path[i + 1];
            let node = steps.get(i).map(|s| s.node);
            let is_class = patterns::is_class_object(&p.type_name)
                || node.map(|n| g.kind(n) == NodeKind::Class).unwrap_or(false);
            let kind = if is_class && is_name(&next.via) {
                Some(AnchorKind::Static)
            } else if matches!(
                next.via.as_deref(),
                Some("threadLocals" | "inheritableThreadLocals")
            ) {
                Some(AnchorKind::ThreadLocals)
            } else if patterns::is_js_global(&p.type_name) && is_name(&next.via) {
                Some(AnchorKind::Global)
            } else if patterns::is_js_context(&p.type_name) && is_name(&next.via) {
                Some(AnchorKind::Variable)
            } else {
                None
            };
            if let Some(k) = kind {
                found = Some((i, k));
                break;
            }
        }
    }
    let (at, kind) = found.unwrap_or_else(|| {
        // The last root-like element: skip synthetic roots so the text starts at something real.
        let at = steps
            .iter()
            .rposition(|s| g.kind(s.node) == NodeKind::Synthetic)
            .map(|i| (i + 1).min(path.len().saturating_sub(1)))
            .unwrap_or(0);
        (at, AnchorKind::Root)
    });
    let mut holder = Holder {
        kind,
        at,
        thread_name: None,
        thread_local: None,
    };
    if kind == AnchorKind::ThreadLocals {
        holder.thread_name = steps.get(at).and_then(|s| thread_name(ctx, s.node));
        // `… › threadLocals › ThreadLocalMap › table › Entry[] › [i] › Entry › value › X` says
        // less than the ThreadLocal itself: `… › threadLocals › ThreadLocal Foo.BUFFER › value › X`.
        let entry =
            (at + 1..path.len()).find(|&i| path[i].type_name.ends_with("ThreadLocalMap$Entry"));
        holder.thread_local = entry.and_then(|e| {
            let name = steps.get(e).and_then(|s| thread_local_name(ctx, s.node))?;
            Some(ThreadLocalRef { name, entry: e })
        });
    }
    holder
}

/// A node's type as reports show it: class objects as `class com.acme.Foo`.
pub fn display_name(ctx: &Ctx, n: NodeIdx) -> String {
    let g = &ctx.a.graph;
    let t = g.type_name(n);
    if g.kind(n) == NodeKind::Class && !patterns::is_class_object(t) {
        if let Some(name) = ctx.insp.value_preview(g, n) {
            return format!("class {name}");
        }
    }
    t.to_string()
}

/// A path as reports show it, with class objects named `class com.acme.Foo` (HPROF class
/// objects are nodes of type `java.lang.Class` whose name is the inspector's preview) and
/// synthetic nodes by their names (V8's `(GC roots)`).
pub fn display_path(ctx: &Ctx, steps: &[PathStep]) -> Vec<PathElem> {
    let g = &ctx.a.graph;
    let mut path = ctx.path(steps);
    for (p, s) in path.iter_mut().zip(steps) {
        match g.kind(s.node) {
            NodeKind::Class => p.type_name = display_name(ctx, s.node),
            // V8's synthetic nodes by their names, as DevTools' retainer paths show them:
            // `(GC roots)`, `(Global handles)`, not `(synthetic)` each.
            NodeKind::Synthetic => {
                if let Some(name) = ctx.insp.value_preview(g, s.node) {
                    p.type_name = name;
                }
            }
            _ => {}
        }
    }
    path
}

/// A path up to the collection it ends in: its trailing collection insides dropped (`… ›
/// HashMap`, not `… › HashMap$Node[] › [1] › HashMap$Node`), as a holder is named.
pub fn up_to_collection(ctx: &Ctx, mut steps: Vec<PathStep>) -> Vec<PathStep> {
    let g = &ctx.a.graph;
    while steps.len() > 1
        && steps
            .last()
            .is_some_and(|s| patterns::is_collection_internal(g.type_name(s.node)))
    {
        steps.pop();
    }
    steps
}

/// How well a referrer names a holder: 0 a class / scope / global, 1 any object, 2 nothing.
/// `last` keeps the last type's name checks (type, named holder): the referrers of one node
/// are mostly of one type (a million closures' contexts).
pub(crate) fn holder_rank_in(
    g: &heapscope_graph::HeapGraph,
    r: NodeIdx,
    last: &mut Option<(u32, bool)>,
) -> u8 {
    let ty = g.type_of[r.ix()];
    let named = match *last {
        Some((t, named)) if t == ty => named,
        _ => {
            let t = g.type_name(r);
            let named = patterns::is_class_object(t)
                || patterns::is_js_context(t)
                || patterns::is_js_global(t);
            *last = Some((ty, named));
            named
        }
    };
    if g.kind(r) == NodeKind::Class || named {
        0
    } else if g.kind(r) == NodeKind::Synthetic {
        2
    } else {
        1
    }
}

/// The referrers of nodes already looked up ([`named_path_in`]): the paths of one report enter
/// the user's objects at the same few nodes, and each lookup scans every edge. A few entries
/// per report, shared by the threads that analyse its findings.
#[derive(Default)]
pub struct Referrers(Mutex<Vec<(NodeIdx, RefList)>>);

/// A node's referrers, as [`heapscope_graph::Analysis::referrers`] lists them.
type RefList = Arc<Vec<(NodeIdx, Label, bool)>>;

impl Referrers {
    /// The referrers of `n`, looked up once.
    pub(crate) fn of(&self, a: &heapscope_graph::Analysis, n: NodeIdx) -> RefList {
        let known = |m: &Mutex<Vec<(NodeIdx, RefList)>>| {
            let v = m.lock().unwrap_or_else(|e| e.into_inner());
            v.iter().find(|(x, _)| *x == n).map(|(_, r)| Arc::clone(r))
        };
        if let Some(r) = known(&self.0) {
            return r;
        }
        // Looked up without the lock (two threads may both look up a node: same answer).
        let r: RefList = Arc::new(a.referrers(n));
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !v.iter().any(|(x, _)| *x == n) {
            v.push((n, Arc::clone(&r)));
        }
        r
    }
}

/// The shortest path, unless it enters the user's objects straight from a synthetic root
/// (V8's `(Handle scope)` and `(Global handles)` hold objects by number): then the same path
/// through the nearest named reference (a scope variable, `global` property, static field), so
/// the holder can be named. Still a strong path from a real root.
pub fn named_path(ctx: &Ctx, steps: Vec<PathStep>) -> Vec<PathStep> {
    named_path_in(ctx, steps, &Referrers::default())
}

/// [`named_path`], with the referrers looked up through `known`.
pub fn named_path_in(ctx: &Ctx, steps: Vec<PathStep>, known: &Referrers) -> Vec<PathStep> {
    let a = ctx.a;
    let g = &a.graph;
    let mut steps = steps;
    for _ in 0..2 {
        let Some(k) = (1..steps.len()).rev().find(|&i| {
            g.kind(steps[i - 1].node) == NodeKind::Synthetic
                && g.kind(steps[i].node) != NodeKind::Synthetic
        }) else {
            break;
        };
        let target = steps[k].node;
        // The nodes from the target on, sorted: looked up per referrer and per step of the
        // head (a search each, not a scan of the path).
        let mut rest: Vec<u32> = steps[k..].iter().map(|s| s.node.0).collect();
        rest.sort_unstable();
        let on_rest = |v: NodeIdx| rest.binary_search(&v.0).is_ok();
        // The least (rank, path length, node) of the named referrers: the least rank first,
        // then the shortest path of that rank's referrers, without building their paths.
        let mut ranked: Vec<(u8, NodeIdx, Label)> = Vec::new();
        let mut last = None;
        for &(r, label, weak) in known.of(a, target).iter() {
            if weak || !matches!(label, Label::Name(_)) || !a.paths.is_reached(r) {
                continue;
            }
            let rank = holder_rank_in(g, r, &mut last);
            if rank == 2 || on_rest(r) {
                continue;
            }
            ranked.push((rank, r, label));
        }
        let Some(rank) = ranked.iter().map(|x| x.0).min() else {
            break;
        };
        let origins: Vec<u32> = ranked
            .iter()
            .filter(|x| x.0 == rank)
            .map(|x| x.1 .0)
            .collect();
        let Some((r, _)) = a.paths.nearest_of(g, &origins, None, |_| true) else {
            break;
        };
        let r = NodeIdx(r);
        let Some(&(_, _, label)) = ranked.iter().find(|x| x.0 == rank && x.1 == r) else {
            break;
        };
        let mut head = a.path_to(r);
        if head.is_empty() || head.iter().any(|s| on_rest(s.node)) {
            break;
        }
        head.push(PathStep {
            node: target,
            via: g.label_text(label),
            weak: false,
            root_kind: None,
        });
        head.extend(steps.drain(k + 1..));
        steps = head;
    }
    steps
}
