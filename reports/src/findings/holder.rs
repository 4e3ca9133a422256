//! The holder a developer edits, on the shortest strong path from a GC root: a static field,
//! a thread's `threadLocals` (named by its ThreadLocal), a JS scope variable, a `global`
//! property, else the root. Its text is the path's notation (`class X › static F › Map`), not
//! prose; [`Holder::shape`] leaves instance-specific parts out so alike holders compare equal.

use heapscope_graph::{Label, NodeIdx, NodeKind, PathStep};

use crate::build::Ctx;
use crate::model::PathElem;
use crate::patterns;

/// The holder a developer edits, found on a path from a GC root.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// The anchor on a path and the text naming the holder from it down to the path's end.
#[derive(Clone, Debug)]
pub struct Holder {
    pub kind: AnchorKind,
    /// Index in the path of the holding object (class, thread, context, global, root).
    pub at: usize,
    /// e.g. `class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap`
    pub text: String,
    /// The same text with instance-specific parts (thread names, indices) left out.
    pub shape: String,
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

/// Find the nearest holder on `path` and name the chain from it to the end.
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
    if path.is_empty() {
        return Holder {
            kind,
            at: 0,
            text: "(no path from a GC root)".into(),
            shape: String::new(),
        };
    }
    let (mut text, mut shape, first_hop) = match kind {
        AnchorKind::Static => {
            let f = path[at + 1].via.clone().unwrap_or_default();
            let f = f.strip_prefix("static ").unwrap_or(&f).to_string();
            (
                format!("{} › static {f}", path[at].type_name),
                format!("{} › static {f}", path[at].type_name),
                at + 1,
            )
        }
        AnchorKind::ThreadLocals => {
            let name = steps
                .get(at)
                .and_then(|s| thread_name(ctx, s.node))
                .map(|v| format!("thread \"{v}\""))
                .unwrap_or_else(|| format!("thread {} {}", path[at].type_name, path[at].id));
            // `… › threadLocals › ThreadLocalMap › table › Entry[] › [i] › Entry › value › X` says
            // less than the ThreadLocal itself: `… › threadLocals › ThreadLocal Foo.BUFFER › value › X`.
            let entry =
                (at + 1..path.len()).find(|&i| path[i].type_name.ends_with("ThreadLocalMap$Entry"));
            if let Some(e) = entry {
                let tl = steps.get(e).and_then(|s| thread_local_name(ctx, s.node));
                if let Some(tl) = tl {
                    let mut text = format!("{name} › threadLocals › ThreadLocal {tl}");
                    let mut shape = format!(
                        "thread {} › threadLocals › ThreadLocal {tl}",
                        path[at].type_name
                    );
                    for p in &path[e + 1..] {
                        for t in [&mut text, &mut shape] {
                            t.push_str(" › ");
                            t.push_str(p.via.as_deref().unwrap_or("·"));
                            t.push_str(" › ");
                            t.push_str(&p.type_name);
                        }
                    }
                    return Holder {
                        kind,
                        at,
                        text,
                        shape,
                    };
                }
            }
            (
                format!("{name} › threadLocals"),
                format!("thread {} › threadLocals", path[at].type_name),
                at + 1,
            )
        }
        AnchorKind::Variable => {
            let f = path[at + 1].via.clone().unwrap_or_default();
            (format!("variable {f}"), format!("variable {f}"), at + 1)
        }
        AnchorKind::Global => {
            let f = path[at + 1].via.clone().unwrap_or_default();
            (format!("global.{f}"), format!("global.{f}"), at + 1)
        }
        AnchorKind::Root => {
            let p = &path[at];
            let t = match (&p.root_kind, &p.via) {
                // A stack local: say where (`local in com.x.Foo.run(Foo.java:42)`).
                (Some(k), Some(via)) => format!("[{k}: {via}] {}", p.type_name),
                (Some(k), None) => format!("[{k}] {}", p.type_name),
                _ => p.type_name.clone(),
            };
            let shape = match &p.root_kind {
                Some(k) => format!("[{k}] {}", p.type_name),
                None => p.type_name.clone(),
            };
            (t, shape, at)
        }
    };
    let mut hops: Vec<(String, String)> = Vec::new(); // (via, type)
    for (j, p) in path.iter().enumerate().skip(first_hop) {
        if j == first_hop && kind != AnchorKind::Root {
            hops.push((String::new(), p.type_name.clone()));
        } else if j > first_hop {
            hops.push((
                p.via.clone().unwrap_or_else(|| "?".into()),
                p.type_name.clone(),
            ));
        }
    }
    // Long chains: keep the first hop and the last three.
    let show: Vec<Option<&(String, String)>> = if hops.len() > 5 {
        let mut v: Vec<Option<&(String, String)>> = vec![Some(&hops[0]), None];
        v.extend(hops[hops.len() - 3..].iter().map(Some));
        v
    } else {
        hops.iter().map(Some).collect()
    };
    for h in show {
        match h {
            None => text.push_str(" › …"),
            Some((via, t)) => {
                if !via.is_empty() {
                    text.push_str(" › ");
                    text.push_str(via);
                }
                text.push_str(" › ");
                text.push_str(t);
            }
        }
    }
    for (via, t) in &hops {
        if !via.is_empty() {
            shape.push_str(" › ");
            shape.push_str(if via.starts_with('[') { "[i]" } else { via });
        }
        shape.push_str(" › ");
        shape.push_str(t);
    }
    Holder {
        kind,
        at,
        text,
        shape,
    }
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
/// objects are nodes of type `java.lang.Class` whose name is the inspector's preview).
pub fn display_path(ctx: &Ctx, steps: &[PathStep]) -> Vec<PathElem> {
    let g = &ctx.a.graph;
    let mut path = ctx.path(steps);
    for (p, s) in path.iter_mut().zip(steps) {
        if g.kind(s.node) == NodeKind::Class {
            p.type_name = display_name(ctx, s.node);
        }
    }
    path
}

/// How well a referrer names a holder: 0 a class / scope / global, 1 any object, 2 nothing.
fn holder_rank(g: &heapscope_graph::HeapGraph, r: NodeIdx) -> u8 {
    let t = g.type_name(r);
    if g.kind(r) == NodeKind::Class
        || patterns::is_class_object(t)
        || patterns::is_js_context(t)
        || patterns::is_js_global(t)
    {
        0
    } else if g.kind(r) == NodeKind::Synthetic {
        2
    } else {
        1
    }
}

/// The shortest path, unless it enters the user's objects straight from a synthetic root
/// (V8's `(Handle scope)` and `(Global handles)` hold objects by number): then the same path
/// through the nearest named reference (a scope variable, `global` property, static field), so
/// the holder can be named. Still a strong path from a real root.
pub fn named_path(ctx: &Ctx, steps: Vec<PathStep>) -> Vec<PathStep> {
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
        let mut best: Option<(u8, usize, NodeIdx, Label)> = None;
        for (r, label, weak) in a.referrers(target) {
            if weak || !matches!(label, Label::Name(_)) || !a.paths.is_reached(r) {
                continue;
            }
            let rank = holder_rank(g, r);
            if rank == 2 || steps[k..].iter().any(|s| s.node == r) {
                continue;
            }
            let len = a.path_to(r).len();
            let key = (rank, len, r, label);
            if best
                .map(|b| (key.0, key.1, key.2) < (b.0, b.1, b.2))
                .unwrap_or(true)
            {
                best = Some(key);
            }
        }
        let Some((_, _, r, label)) = best else { break };
        let mut head = a.path_to(r);
        if head.is_empty()
            || head
                .iter()
                .any(|s| steps[k..].iter().any(|t| t.node == s.node))
        {
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
