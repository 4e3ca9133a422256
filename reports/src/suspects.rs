//! Leak suspects in the spirit of Eclipse MAT, worded so that the first line names the culprit.
//!
//! Object graphs (HPROF, V8):
//! 1. **Candidates**: the top of the dominator tree, looking *through* what only the runtime
//!    owns — synthetic roots, class loaders and their class lists — so that a leak below the app
//!    class loader or V8's `(GC roots)` is found as itself. Every candidate retaining at least
//!    the threshold share of the reachable heap is a single-object suspect.
//! 2. **Accumulation point**: walk down the dominator tree while the biggest child keeps ≥ 70%
//!    of its parent (MAT's rule). A walk that enters a repeating chain (a linked list, a chain
//!    of closure contexts) stops at the chain's head; an internal array or hash entry is lifted
//!    to the collection that owns it (`HashMap$Node[]` → `HashMap`), which is what the developer
//!    declared.
//! 3. **Holder**: the shortest strong path from a GC root to that point, and on it the nearest
//!    holder a developer edits — a static field, thread's `threadLocals`, a JS scope variable, a
//!    `global` property — so the title reads
//!    `class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap: 12,000 × com.acme.Session …`.
//! 4. **Groups**: per type, the instances no other instance of the type dominates and no single
//!    suspect already covers, partitioned by the shape of their holder path; a partition over the
//!    threshold is a group suspect (e.g. one ThreadLocal's buffers in four pool threads).
//! 5. **Pattern** by type and reference names ([`crate::patterns`]).
//!
//! Allocation profiles (pprof, tracemalloc): in-use bytes grouped by the first user frame of
//! each allocation stack ("allocated at"), runtime allocator frames skipped; the stack is the
//! path. Go goroutine profiles give goroutine leaks, Go MemStats (when the dump has them) give
//! fragmentation, both of kind `runtime`.
//!
//! Suspects are ranked: recognised patterns first, then by retained bytes. Nothing here recurses.

use std::collections::{BTreeMap, HashMap};

use heapscope_graph::bitset::BitSet;
use heapscope_graph::paths::edge_between;
use heapscope_graph::{Label, MemStats, NodeIdx, NodeKind};

use crate::build::{round6, Ctx, ReportOptions};
use crate::fmt::{human_bytes, thousands};
use crate::model::*;
use crate::patterns::{self, Pattern};

/// MAT's "big drop" ratio: descend the dominator tree while the biggest child keeps at least
/// this share of its parent's retained size.
pub const ACCUMULATION_RATIO: f64 = 0.70;

/// Below this many bytes nothing is a suspect, whatever its share: in a heap of a few KiB a
/// 90% share is a settings table, not a leak. 64 KiB is far below any leak worth a ticket.
pub const MIN_SUSPECT_BYTES: u64 = 64 * 1024;

/// A chain is recognised after this many repetitions of the same (type, reference) period.
const CHAIN_REPEATS: usize = 2;
/// Longest chain period looked for: `(closure) → Context → Object` is 3.
const CHAIN_MAX_PERIOD: usize = 6;
/// Instances of one type examined for a group suspect (largest first).
const GROUP_SAMPLE: usize = 10_000;
/// Steps at the end of a path that make an instance's holder "shape" for grouping.
const SHAPE_STEPS: usize = 4;
/// Goroutine profiles: fewer goroutines than this parked at one place are a pool, not a leak.
pub const MIN_LEAKED_GOROUTINES: u64 = 100;

/// Find the suspects, most likely first.
pub fn find_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let mut out = if ctx.info.is_call_tree() {
        let mut v = runtime_findings(ctx, opts);
        if !is_goroutine_profile(ctx) {
            v.extend(profile_suspects(ctx, opts));
        }
        v
    } else {
        object_suspects(ctx, opts)
    };
    out.sort_by(|a, b| {
        let ka = (a.pattern == "unknown", a.kind != "runtime");
        let kb = (b.pattern == "unknown", b.kind != "runtime");
        ka.cmp(&kb)
            .then(b.retained_bytes.cmp(&a.retained_bytes))
            .then(a.title.cmp(&b.title))
    });
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i as u32 + 1;
    }
    out
}

fn threshold_bytes(ctx: &Ctx, opts: &ReportOptions) -> u64 {
    let by_share = ((ctx.a.summary.reachable_bytes as f64) * opts.threshold)
        .ceil()
        .max(1.0) as u64;
    by_share.max(opts.min_suspect_bytes)
}

// ---------------------------------------------------------------------------------------------
// Object graphs

/// Where the walk down the dominator tree ended.
#[derive(Clone, Debug)]
pub struct Accumulation {
    /// The node the 70% walk stopped at (or the head of a chain).
    pub raw: NodeIdx,
    /// `raw`, or the collection that owns it when `raw` is a collection's inside.
    pub holder: NodeIdx,
    /// The repeating (type) period when the walk entered a chain, with its length in periods.
    pub chain: Option<(Vec<u32>, u64)>,
}

fn label_key(l: Label) -> u32 {
    match l {
        Label::Index(_) => u32::MAX, // all indices alike
        other => other.encode(),
    }
}

/// Walk down the dominator tree from `n` while the biggest child keeps ≥ 70% of the parent;
/// stop at the head of a repeating chain; lift a collection's inside to the collection.
pub fn accumulation_point(ctx: &Ctx, n: NodeIdx) -> Accumulation {
    let a = ctx.a;
    let g = &a.graph;
    let mut walk: Vec<NodeIdx> = vec![n];
    let mut keys: Vec<(u32, u32)> = vec![(g.type_of[n.ix()], 0)];
    let mut chain: Option<(usize, usize)> = None; // (start index, period)
    let mut cur = n;
    loop {
        let kids = a.dominated(Some(cur));
        let best = kids.iter().copied().max_by(|&x, &y| {
            a.retained[x as usize]
                .cmp(&a.retained[y as usize])
                .then(y.cmp(&x))
        });
        let Some(b) = best else { break };
        if (a.retained[b as usize] as f64) < ACCUMULATION_RATIO * a.retained[cur.ix()] as f64
            || a.retained[b as usize] == 0
        {
            break;
        }
        let b = NodeIdx(b);
        let (label, _) = edge_between(g, cur, b);
        walk.push(b);
        keys.push((g.type_of[b.ix()], label_key(label)));
        cur = b;
        if chain.is_none() {
            let end = keys.len();
            for p in 1..=CHAIN_MAX_PERIOD {
                if end < p * (CHAIN_REPEATS + 1) {
                    break;
                }
                let start = end - p * (CHAIN_REPEATS + 1);
                let base = &keys[end - p..end];
                if (0..CHAIN_REPEATS).all(|r| &keys[start + r * p..start + (r + 1) * p] == base) {
                    chain = Some((start, p));
                    break;
                }
            }
        }
    }
    let (raw, chain_info) = match chain {
        Some((start, p)) => {
            // The chain's head is the first element of the repeating period.
            let head = walk[start];
            let period: Vec<u32> = keys[start..start + p].iter().map(|k| k.0).collect();
            let len = ((walk.len() - start) / p) as u64;
            (head, Some((period, len)))
        }
        None => (*walk.last().unwrap_or(&n), None),
    };
    let holder = lift_to_collection(ctx, raw);
    Accumulation {
        raw,
        holder,
        chain: chain_info,
    }
}

/// From a collection's inside (backing array, hash entry, list node) up to the collection.
fn lift_to_collection(ctx: &Ctx, raw: NodeIdx) -> NodeIdx {
    let g = &ctx.a.graph;
    let is_coll = |n: NodeIdx| {
        let t = g.type_name(n);
        patterns::collection_kind(t).is_some() && !patterns::is_weak_collection(t)
    };
    if is_coll(raw) {
        return raw;
    }
    let mut cur = raw;
    for _ in 0..3 {
        if !patterns::is_collection_internal(g.type_name(cur))
            && g.kind(cur) != NodeKind::ObjectArray
        {
            break;
        }
        match ctx.a.idom(cur) {
            Some(p) if is_coll(p) => return p,
            Some(p) if patterns::is_collection_internal(g.type_name(p)) => cur = p,
            _ => break,
        }
    }
    raw
}

/// What is accumulated below `n`: per type, the nodes in its dominator subtree (without `n`),
/// with MAT's minimum retained size per type; a collection's insides are left out. Largest first.
pub fn accumulated_items(ctx: &Ctx, n: NodeIdx, limit: usize) -> Vec<HistRow> {
    accumulated(ctx, n, limit).0
}

/// [`accumulated_items`], and the headline item: the user type nearest below `n` (collection
/// insides and runtime types not counted as levels), e.g. the map's values rather than the
/// byte arrays inside them.
fn accumulated(ctx: &Ctx, n: NodeIdx, limit: usize) -> (Vec<HistRow>, Option<HistRow>) {
    let a = ctx.a;
    let g = &a.graph;
    // Per type: (count, shallow, min retained, least depth); columns indexed by type id, so a
    // walk over millions of nodes does one array access per node.
    let nt = g.types.len();
    let mut by_type: Vec<(u64, u64, u64, u32)> = vec![(0, 0, 0, u32::MAX); nt];
    let mut seen: Vec<u32> = Vec::new();
    let mut on_stack: Vec<u32> = vec![0; nt];
    let type_level: Vec<u32> = g
        .types
        .iter()
        .map(|(_, t)| {
            u32::from(!patterns::is_collection_internal(t) && !patterns::is_runtime_type(t))
        })
        .collect();
    let level = |c: u32| type_level[g.type_of[c as usize] as usize];
    // (node, next child, depth in user-type levels)
    let mut stack: Vec<(u32, u32, u32)> = vec![(n.0, 0, 0)];
    while let Some(top) = stack.last_mut() {
        let (v, depth) = (top.0, top.2);
        let kids = a.dominated(Some(NodeIdx(v)));
        if (top.1 as usize) < kids.len() {
            let c = kids[top.1 as usize];
            top.1 += 1;
            let t = g.type_of[c as usize];
            let d = depth + level(c);
            let e = &mut by_type[t as usize];
            if e.3 == u32::MAX {
                seen.push(t);
            }
            e.0 += g.count(NodeIdx(c));
            e.1 += g.shallow[c as usize];
            e.3 = e.3.min(d);
            let nest = &mut on_stack[t as usize];
            if *nest == 0 {
                e.2 += a.retained[c as usize];
            }
            *nest += 1;
            stack.push((c, 0, d));
        } else {
            if v != n.0 {
                on_stack[g.type_of[v as usize] as usize] -= 1;
            }
            stack.pop();
        }
    }
    seen.sort_unstable();
    let by_type: BTreeMap<u32, (u64, u64, u64, u32)> =
        seen.iter().map(|&t| (t, by_type[t as usize])).collect();
    let row = |t: u32, c: u64, s: u64, r: u64| HistRow {
        type_name: g.types.get(t).to_string(),
        count: c,
        shallow_bytes: s,
        retained_bytes: r,
        cumulative_bytes: None,
        cumulative_count: None,
    };
    let headline = by_type
        .iter()
        .filter(|(t, _)| {
            let name = g.types.get(**t);
            !patterns::is_collection_internal(name) && !patterns::is_runtime_type(name)
        })
        .min_by(|x, y| {
            x.1 .3
                .cmp(&y.1 .3)
                .then(y.1 .2.cmp(&x.1 .2))
                .then(x.0.cmp(y.0))
        })
        .map(|(&t, &(c, s, r, _))| row(t, c, s, r));
    let mut rows: Vec<HistRow> = by_type
        .into_iter()
        .filter(|(t, _)| !patterns::is_collection_internal(g.types.get(*t)))
        .map(|(t, (c, s, r, _))| row(t, c, s, r))
        .collect();
    rows.sort_by(|a, b| {
        b.retained_bytes
            .cmp(&a.retained_bytes)
            .then(b.count.cmp(&a.count))
            .then(a.type_name.cmp(&b.type_name))
    });
    rows.truncate(limit);
    (rows, headline)
}

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
    for (r, label, _) in referrers(g, tl) {
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
pub fn holder_of(ctx: &Ctx, path: &[PathElem], steps: &[heapscope_graph::PathStep]) -> Holder {
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
pub fn display_path(ctx: &Ctx, steps: &[heapscope_graph::PathStep]) -> Vec<PathElem> {
    let g = &ctx.a.graph;
    let mut path = ctx.path(steps);
    for (p, s) in path.iter_mut().zip(steps) {
        if g.kind(s.node) == NodeKind::Class {
            p.type_name = display_name(ctx, s.node);
        }
    }
    path
}

/// Objects that reference `n`, each once, in index order: (referrer, label, weak). One scan of
/// all edges: for a few suspects and drill-down commands only.
pub fn referrers(g: &heapscope_graph::HeapGraph, n: NodeIdx) -> Vec<(NodeIdx, Label, bool)> {
    let mut out = Vec::new();
    for u in 0..g.node_count() as u32 {
        let u = NodeIdx(u);
        let mut hit: Option<(Label, bool)> = None;
        for e in g.edge_range(u) {
            let edge = g.edge(e);
            if edge.target == n {
                // Prefer a strong, named reference when there are several.
                let better = match hit {
                    None => true,
                    Some((_, w)) => w && !edge.weak,
                };
                if better {
                    hit = Some((edge.label, edge.weak));
                }
            }
        }
        if let Some((l, w)) = hit {
            out.push((u, l, w));
        }
    }
    out
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
pub fn named_path(
    ctx: &Ctx,
    steps: Vec<heapscope_graph::PathStep>,
) -> Vec<heapscope_graph::PathStep> {
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
        for (r, label, weak) in referrers(g, target) {
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
        head.push(heapscope_graph::PathStep {
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

/// Everything the pattern rules look at, by name only.
pub struct Evidence<'e> {
    pub holder_kind: &'e AnchorKind,
    /// Types and reference names from the holder down to the accumulation point.
    pub chain_types: Vec<&'e str>,
    pub chain_vias: Vec<&'e str>,
    /// Type of the accumulation point as named (the collection), and of the raw walk's end.
    pub holder_type: &'e str,
    pub raw_type: &'e str,
    /// The accumulation point is what the holder's field points to directly.
    pub held_directly: bool,
    /// Types of a repeating chain, if the walk found one.
    pub chain_period: Vec<&'e str>,
    /// The biggest accumulated item types.
    pub item_types: Vec<&'e str>,
}

/// Recognise an object-graph pattern by names.
pub fn classify(e: &Evidence) -> Pattern {
    let ends = [e.holder_type, e.raw_type];
    let all_types = || {
        e.chain_types
            .iter()
            .chain(e.chain_period.iter())
            .chain(ends.iter())
    };
    if all_types().any(|t| patterns::is_finalizer(t))
        || e.item_types
            .first()
            .map(|t| patterns::is_finalizer(t))
            .unwrap_or(false)
    {
        return Pattern::FinalizerQueue;
    }
    if *e.holder_kind == AnchorKind::ThreadLocals
        || all_types().any(|t| t.contains("ThreadLocal$ThreadLocalMap"))
    {
        return Pattern::ThreadLocal;
    }
    if all_types().any(|t| patterns::names_stream(t))
        || e.chain_vias
            .iter()
            .any(|v| *v == "_readableState" || *v == "_writableState")
    {
        return Pattern::StreamBuffer;
    }
    if e.chain_vias.iter().any(|v| patterns::names_listeners(v)) {
        return Pattern::ListenerList;
    }
    let is_closure = |t: &&str| *t == "(closure)" || patterns::is_js_context(t);
    if !e.chain_period.is_empty() && e.chain_period.iter().any(is_closure) {
        return Pattern::ClosureContext;
    }
    let coll = patterns::collection_kind(e.holder_type).is_some()
        && !patterns::is_weak_collection(e.holder_type);
    if coll {
        let named = e
            .chain_vias
            .iter()
            .chain(e.chain_types.iter())
            .any(|s| patterns::names_cache(s));
        if named {
            return Pattern::CacheWithoutEviction;
        }
        if matches!(
            e.holder_kind,
            AnchorKind::Static | AnchorKind::Variable | AnchorKind::Global
        ) && e.held_directly
        {
            return Pattern::GlobalContainer;
        }
        return Pattern::UnboundedCollection;
    }
    if e.chain_period
        .iter()
        .any(|t| patterns::collection_kind(t).is_some() || patterns::is_collection_internal(t))
    {
        return Pattern::UnboundedCollection;
    }
    Pattern::Unknown
}

/// One analysed point of the heap: accumulation point, path, holder, items, pattern.
struct Finding {
    top: NodeIdx,
    acc: Accumulation,
    path: Vec<PathElem>,
    holder: Holder,
    items: Vec<HistRow>,
    /// What the accumulation point holds, as the title names it.
    headline: Option<HistRow>,
    pattern: Pattern,
    /// Objects accumulated at the point (dominated directly, or the chain's length).
    accumulated: u64,
}

fn analyse(ctx: &Ctx, top: NodeIdx) -> Finding {
    let a = ctx.a;
    let g = &a.graph;
    let acc = accumulation_point(ctx, top);
    let steps = named_path(ctx, a.path_to(acc.holder));
    let path = display_path(ctx, &steps);
    let holder = holder_of(ctx, &path, &steps);
    let (items, headline) = accumulated(ctx, acc.raw, 5);
    let accumulated = match &acc.chain {
        // The chain's length: its head and every node of the head's type below it.
        Some((_, len)) => {
            let head = g.type_name(acc.raw);
            items
                .iter()
                .find(|r| r.type_name == head)
                .map(|r| r.count + 1)
                .unwrap_or(*len)
                .max(*len)
        }
        None => a.dominated(Some(acc.raw)).len() as u64,
    };
    let pattern = {
        let from = (holder.at + 1).min(path.len());
        let period: Vec<&str> = acc
            .chain
            .as_ref()
            .map(|(p, _)| p.iter().map(|&t| g.types.get(t)).collect())
            .unwrap_or_default();
        let ev = Evidence {
            holder_kind: &holder.kind,
            chain_types: path[holder.at.min(path.len())..]
                .iter()
                .map(|p| p.type_name.as_str())
                .collect(),
            chain_vias: path[from..]
                .iter()
                .filter_map(|p| p.via.as_deref())
                .collect(),
            holder_type: g.type_name(acc.holder),
            raw_type: g.type_name(acc.raw),
            held_directly: path.len() >= 2 && holder.at + 2 == path.len(),
            chain_period: period,
            item_types: items.iter().map(|r| r.type_name.as_str()).collect(),
        };
        classify(&ev)
    };
    Finding {
        top,
        acc,
        path,
        holder,
        items,
        headline,
        pattern,
        accumulated,
    }
}

fn items_text(headline: &Option<HistRow>) -> String {
    match headline {
        Some(it) => format!("{} × {}", thousands(it.count), it.type_name),
        None => String::new(),
    }
}

fn finding_to_suspect(ctx: &Ctx, f: Finding, retained: u64, group: Option<(u64, &str)>) -> Suspect {
    let a = ctx.a;
    let g = &a.graph;
    let share = ctx.share(retained);
    let what = match &f.acc.chain {
        Some((period, len)) => {
            let names: Vec<&str> = period.iter().map(|&t| g.types.get(t)).collect();
            format!("a chain of {} × [{}]", thousands(*len), names.join(" → "))
        }
        None => items_text(&f.headline),
    };
    let size = format!("{} ({:.1}%)", human_bytes(retained), 100.0 * share);
    let (kind, title, type_name, count) = match group {
        None => {
            let title = if what.is_empty() {
                format!("{}: {size}", f.holder.text)
            } else {
                format!("{}: {what}, {size}", f.holder.text)
            };
            (
                "single-object",
                title,
                g.type_name(f.acc.holder).to_string(),
                f.accumulated,
            )
        }
        Some((n, tname)) => {
            let title = format!(
                "{} × {tname}, {size}, each held like {}",
                thousands(n),
                f.holder.text
            );
            ("group-of-objects", title, tname.to_string(), n)
        }
    };
    let mut explanation = String::new();
    if group.is_none() {
        explanation.push_str(&format!(
            "{} {} retains {}; the bytes accumulate in {} {}",
            if g.kind(f.top) == NodeKind::Class {
                "The"
            } else {
                "One"
            },
            display_name(ctx, f.top),
            human_bytes(a.retained[f.top.ix()]),
            display_name(ctx, f.acc.holder),
            ctx.id_text(f.acc.holder)
        ));
        if f.acc.raw != f.acc.holder {
            explanation.push_str(&format!(
                " (its {} holds {} objects)",
                g.type_name(f.acc.raw),
                thousands(f.accumulated)
            ));
        } else if f.acc.chain.is_none() {
            explanation.push_str(&format!(
                " ({} objects directly below it)",
                thousands(f.accumulated)
            ));
        }
        explanation.push_str(". ");
    } else if let Some((n, tname)) = group {
        explanation.push_str(&format!(
            "{} objects of type {tname} that no other {tname} dominates, all held through the same kind of path, together retain {} (minimum retained size of the set). ",
            thousands(n),
            human_bytes(retained)
        ));
    }
    explanation.push_str(f.pattern.explanation());
    Suspect {
        rank: 0,
        title,
        kind: kind.into(),
        pattern: f.pattern.name().into(),
        type_name,
        retained_bytes: retained,
        retained_share: round6(share),
        object_count: count,
        accumulation_point: Some(ctx.node(f.acc.holder)),
        path_to_root: f.path,
        explanation,
        accumulated: f.items,
        fix: f.pattern.fix().map(str::to_string),
        holder: Some(f.holder.text),
        stack: Vec::new(),
    }
}

/// Nodes only the runtime owns, which the candidate search looks through.
fn is_transparent(ctx: &Ctx, n: NodeIdx, under_loader: bool) -> bool {
    let g = &ctx.a.graph;
    let t = g.type_name(n);
    match g.kind(n) {
        NodeKind::Synthetic => return true,
        NodeKind::ObjectArray if under_loader => return true,
        _ => {}
    }
    patterns::is_class_loader(t)
        || (under_loader
            && (patterns::collection_kind(t).is_some() || patterns::is_collection_internal(t)))
}

fn object_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let a = ctx.a;
    let g = &a.graph;
    let thr = threshold_bytes(ctx, opts);
    // 1. Candidates.
    let mut cands: Vec<NodeIdx> = Vec::new();
    let mut stack: Vec<(u32, bool)> = a.dominated(None).iter().map(|&c| (c, false)).collect();
    while let Some((v, under_loader)) = stack.pop() {
        if a.retained[v as usize] < thr {
            continue;
        }
        let n = NodeIdx(v);
        if is_transparent(ctx, n, under_loader) {
            let loader = under_loader || patterns::is_class_loader(g.type_name(n));
            stack.extend(a.dominated(Some(n)).iter().map(|&c| (c, loader)));
        } else {
            cands.push(n);
        }
    }
    cands.sort_by(|x, y| a.retained[y.ix()].cmp(&a.retained[x.ix()]).then(x.cmp(y)));
    // 2. Findings, merged when several tops have the same holder shape (one ThreadLocal in
    //    several threads, one listener class in several buses).
    let mut merged: Vec<(Finding, u64, u64)> = Vec::new(); // (representative, retained, tops)
    for &c in &cands {
        let f = analyse(ctx, c);
        let r = a.retained[c.ix()];
        match merged.iter_mut().find(|(m, _, _)| {
            m.pattern == f.pattern
                && m.holder.kind == AnchorKind::ThreadLocals
                && m.holder.shape == f.holder.shape
        }) {
            Some(m) => {
                m.1 += r;
                m.2 += 1;
            }
            None => merged.push((f, r, 1)),
        }
    }
    let mut covered = BitSet::new(g.node_count());
    let mut above = BitSet::new(g.node_count());
    let mut out = Vec::new();
    for (f, r, tops) in merged {
        mark_subtree(ctx, f.top, &mut covered);
        mark_ancestors(ctx, f.top, &mut above);
        if tops > 1 {
            let tname = g.type_name(f.acc.holder).to_string();
            out.push(finding_to_suspect(ctx, f, r, Some((tops, &tname))));
        } else {
            out.push(finding_to_suspect(ctx, f, r, None));
        }
    }
    // Merged tops were marked through their representative only.
    for &c in &cands {
        mark_subtree(ctx, c, &mut covered);
        mark_ancestors(ctx, c, &mut above);
    }
    // 3. Groups of one type beyond what the single suspects cover.
    out.extend(group_suspects(ctx, thr, &mut covered, &mut above));
    out
}

/// Mark the dominators of `n` (not `n`): an instance above a reported suspect would report
/// the same bytes again.
fn mark_ancestors(ctx: &Ctx, n: NodeIdx, set: &mut BitSet) {
    let mut cur = n;
    while let Some(p) = ctx.a.idom(cur) {
        if set.get(p.ix()) {
            break;
        }
        set.set(p.ix());
        cur = p;
    }
}

fn mark_subtree(ctx: &Ctx, n: NodeIdx, set: &mut BitSet) {
    let mut stack = vec![n.0];
    while let Some(v) = stack.pop() {
        if set.get(v as usize) {
            continue;
        }
        set.set(v as usize);
        stack.extend_from_slice(ctx.a.dominated(Some(NodeIdx(v))));
    }
}

fn group_suspects(ctx: &Ctx, thr: u64, covered: &mut BitSet, above: &mut BitSet) -> Vec<Suspect> {
    let a = ctx.a;
    let g = &a.graph;
    let targets: Vec<u32> = a
        .histogram
        .iter()
        .filter(|r| {
            r.retained >= thr
                && r.reachable_count >= 2
                && !patterns::is_runtime_type(g.types.get(r.type_id))
        })
        .map(|r| r.type_id)
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    // One walk of the dominator tree: per target type, its top-level instances outside the
    // single suspects. Per-type counters in a Vec: one lookup per node of the heap.
    let mut inst: HashMap<u32, Vec<u32>> = targets.iter().map(|&t| (t, Vec::new())).collect();
    const NOT_TARGET: u32 = u32::MAX;
    let mut on_stack: Vec<u32> = vec![NOT_TARGET; g.types.len()];
    for &t in &targets {
        on_stack[t as usize] = 0;
    }
    let n = g.node_count() as u32;
    let mut stack: Vec<(u32, u32)> = vec![(n, 0)];
    while let Some(top) = stack.last_mut() {
        let v = top.0;
        let kids = if v == n {
            a.dominated(None)
        } else {
            a.dominated(Some(NodeIdx(v)))
        };
        if (top.1 as usize) < kids.len() {
            let c = kids[top.1 as usize];
            top.1 += 1;
            if covered.get(c as usize) {
                continue; // the whole subtree is a single suspect's
            }
            let t = g.type_of[c as usize];
            let d = &mut on_stack[t as usize];
            if *d != NOT_TARGET {
                if *d == 0 {
                    if let Some(v) = inst.get_mut(&t) {
                        v.push(c);
                    }
                }
                *d += 1;
            }
            stack.push((c, 0));
        } else {
            if v != n {
                let d = &mut on_stack[g.type_of[v as usize] as usize];
                if *d != NOT_TARGET {
                    *d -= 1;
                }
            }
            stack.pop();
        }
    }
    let mut out = Vec::new();
    for &t in &targets {
        let mut v = inst.remove(&t).unwrap_or_default();
        // Groups accepted before this one cover some instances, or sit below them.
        v.retain(|&x| !covered.get(x as usize) && !above.get(x as usize));
        let total: u64 = v.iter().map(|&x| a.retained[x as usize]).sum();
        if total < thr {
            continue;
        }
        v.sort_by(|&x, &y| {
            a.retained[y as usize]
                .cmp(&a.retained[x as usize])
                .then(x.cmp(&y))
        });
        v.truncate(GROUP_SAMPLE);
        // Partition by the shape of the holder path's last steps: the types on the BFS parent
        // chain (no edge labels: finding one scans the parent's edges, and a parent may be an
        // array of millions).
        let mut parts: BTreeMap<Vec<u32>, (u64, Vec<u32>)> = BTreeMap::new();
        for &x in &v {
            let mut key: Vec<u32> = Vec::with_capacity(SHAPE_STEPS);
            let mut cur = x;
            while key.len() < SHAPE_STEPS {
                key.push(g.type_of[cur as usize]);
                match a.paths.parent(g, cur) {
                    p if p == heapscope_graph::SUPER || p == heapscope_graph::UNREACHED => break,
                    p => cur = p,
                }
            }
            let e = parts.entry(key).or_default();
            e.0 += a.retained[x as usize];
            e.1.push(x);
        }
        let Some((_, (bytes, members))) = parts
            .into_iter()
            .max_by(|x, y| x.1 .0.cmp(&y.1 .0).then(y.0.cmp(&x.0)))
        else {
            continue;
        };
        if bytes < thr || members.len() < 2 {
            continue;
        }
        let rep = NodeIdx(members[0]);
        let f = analyse(ctx, rep);
        for &m in &members {
            mark_subtree(ctx, NodeIdx(m), covered);
            mark_ancestors(ctx, NodeIdx(m), above);
        }
        let tname = g.types.get(t).to_string();
        out.push(finding_to_suspect(
            ctx,
            f,
            bytes,
            Some((members.len() as u64, &tname)),
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Allocation profiles

/// A goroutine profile: its values are goroutines by stack, not bytes.
fn is_goroutine_profile(ctx: &Ctx) -> bool {
    ctx.info.is_goroutine_profile()
}

fn stack_of(ctx: &Ctx, n: NodeIdx) -> Vec<NodeIdx> {
    let mut v = vec![n];
    let mut cur = n;
    while let Some(p) = ctx.a.idom(cur) {
        v.push(p);
        cur = p;
        if v.len() > ctx.a.graph.node_count() {
            break;
        }
    }
    v.reverse();
    v
}

/// The innermost frame of `stack` that is user code (not the runtime's allocator or library).
fn first_user_frame(ctx: &Ctx, stack: &[NodeIdx]) -> Option<usize> {
    let g = &ctx.a.graph;
    stack
        .iter()
        .rposition(|&f| !patterns::is_runtime_frame(g.type_name(f)))
}

/// The source text of a frame when the inspector has it (`file:line: text` → `text`).
fn source_text(ctx: &Ctx, n: NodeIdx) -> Option<String> {
    let s = ctx.insp.source_line(&ctx.a.graph, n)?;
    let t = ctx.a.graph.type_name(n);
    s.strip_prefix(t)
        .and_then(|r| r.strip_prefix(": "))
        .map(|r| r.trim().to_string())
}

/// An assignment into a subscript of an ALL-CAPS (module constant) name, `REGISTRY[k] = …`, or a
/// call adding to one, `EVENTS.append(…)`.
fn fills_module_constant(text: &str) -> bool {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let caps = name.len() >= 2
        && name.chars().any(|c| c.is_ascii_uppercase())
        && !name.chars().any(|c| c.is_ascii_lowercase());
    let rest = &text[name.len()..];
    caps && (rest.starts_with('[') && rest.contains("] =")
        || [
            ".append(",
            ".add(",
            ".extend(",
            ".setdefault(",
            ".update(",
            ".insert(",
        ]
        .iter()
        .any(|m| rest.starts_with(m)))
}

/// Growth of a container at a source line: `name[k] = …`, `name.append(…)`.
fn fills_container(text: &str) -> bool {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let rest = &text[name.len()..];
    if name.is_empty() {
        return false;
    }
    if rest.starts_with('[') && rest.contains("] =") {
        return true;
    }
    rest.starts_with('(')
        && [".append", ".add", ".extend", ".setdefault", ".insert"]
            .iter()
            .any(|m| name.ends_with(m))
}

fn profile_pattern(ctx: &Ctx, stack: &[NodeIdx], user: Option<usize>) -> Pattern {
    let g = &ctx.a.graph;
    let Some(u) = user else {
        return Pattern::Unknown;
    };
    // Names of the user frames (function names for pprof; file:line and the line's text for tracemalloc).
    let mut names: Vec<String> = Vec::new();
    for &f in &stack[..=u] {
        if !patterns::is_runtime_frame(g.type_name(f)) {
            names.push(g.type_name(f).to_string());
        }
    }
    let site_text = source_text(ctx, stack[u]);
    let user_func = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
    if names.iter().any(|s| patterns::names_cache(&user_func(s)))
        || site_text
            .as_deref()
            .map(patterns::names_cache)
            .unwrap_or(false)
    {
        return Pattern::CacheWithoutEviction;
    }
    // Go: the main goroutine's stacks start at runtime.main; any other stack with user code is
    // a goroutine's (its body is the outermost user frame; `go` statements hide runtime.goexit
    // and label wrappers such as runtime/pprof.Do sit above it). `user` is Some here.
    if ctx.info.runtime == heapscope_graph::Runtime::Go {
        let from_main = stack.iter().any(|&f| {
            let t = g.type_name(f);
            t == "runtime.main" || t == "main.main"
        });
        if !from_main {
            return Pattern::GoroutineLeak;
        }
    }
    if let Some(p) = stack[u + 1..]
        .iter()
        .find_map(|&f| patterns::growth_frame(g.type_name(f)))
    {
        return p;
    }
    if let Some(t) = &site_text {
        if fills_module_constant(t) {
            return Pattern::GlobalContainer;
        }
        if fills_container(t) {
            return Pattern::UnboundedCollection;
        }
    }
    Pattern::Unknown
}

fn profile_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let a = ctx.a;
    let g = &a.graph;
    let thr = threshold_bytes(ctx, opts);
    // In-use bytes per first user frame's function (or site, when the whole stack is runtime).
    struct Row {
        bytes: u64,
        objects: u64,
        rep: NodeIdx,
        rep_bytes: u64,
    }
    let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
    for v in 0..g.node_count() as u32 {
        let n = NodeIdx(v);
        if g.shallow[v as usize] == 0 || !a.dom.is_reachable(v) {
            continue;
        }
        // Only the frames below the first user frame matter; walk up at most while runtime.
        let mut cur = n;
        let u = loop {
            if !patterns::is_runtime_frame(g.type_name(cur)) {
                break cur;
            }
            match a.idom(cur) {
                Some(p) => cur = p,
                None => break n,
            }
        };
        let key = g.type_of[u.ix()];
        let e = rows.entry(key).or_insert(Row {
            bytes: 0,
            objects: 0,
            rep: n,
            rep_bytes: 0,
        });
        e.bytes += g.shallow[v as usize];
        e.objects += g.count(n);
        if g.shallow[v as usize] > e.rep_bytes {
            e.rep_bytes = g.shallow[v as usize];
            e.rep = n;
        }
    }
    let mut out = Vec::new();
    for (t, row) in rows {
        if row.bytes < thr {
            continue;
        }
        let stack = stack_of(ctx, row.rep);
        let user = first_user_frame(ctx, &stack);
        let pattern = profile_pattern(ctx, &stack, user);
        let site = g.types.get(t).to_string();
        let steps = a.path_to(row.rep);
        let path = ctx.path(&steps);
        let share = ctx.share(row.bytes);
        let callers: Vec<&str> = match user {
            Some(u) => stack[..u]
                .iter()
                .rev()
                .map(|&f| g.type_name(f))
                .filter(|s| !patterns::is_runtime_frame(s))
                .take(2)
                .collect(),
            None => Vec::new(),
        };
        let runtime_site = user.map(|u| u + 1 < stack.len()).unwrap_or(false);
        let mut title = format!(
            "{} ({:.1}%) in use, allocated at {site}",
            human_bytes(row.bytes),
            100.0 * share
        );
        if !callers.is_empty() {
            title.push_str(" ← ");
            title.push_str(&callers.join(" ← "));
        }
        if runtime_site {
            title.push_str(&format!(
                " (in {})",
                g.type_name(*stack.last().unwrap_or(&row.rep))
            ));
        }
        let src = user.and_then(|u| source_text(ctx, stack[u]));
        let mut explanation = format!(
            "{} in {} objects still in use were allocated with {} as the first user frame{}. A profile records where memory was allocated, not who holds it. ",
            human_bytes(row.bytes),
            thousands(row.objects),
            site,
            src.map(|s| format!(" (`{s}`)")).unwrap_or_default()
        );
        explanation.push_str(pattern.explanation());
        out.push(Suspect {
            rank: 0,
            title,
            kind: "allocation-site".into(),
            pattern: pattern.name().into(),
            type_name: site.clone(),
            retained_bytes: row.bytes,
            retained_share: round6(share),
            object_count: row.objects,
            accumulation_point: Some(ctx.node(row.rep)),
            path_to_root: path,
            explanation,
            accumulated: Vec::new(),
            fix: pattern.fix().map(str::to_string),
            holder: Some(format!("allocated at {site}")),
            stack: Vec::new(),
        });
    }
    out
}

/// Findings about the process: Go goroutine leaks (goroutine profiles) and heap fragmentation
/// (runtime.MemStats, when the dump has them).
fn runtime_findings(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let mut out = Vec::new();
    if is_goroutine_profile(ctx) {
        out.extend(goroutine_leaks(ctx, opts));
    }
    if let Some(s) = fragmentation(ctx) {
        out.push(s);
    }
    out
}

fn goroutine_leaks(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let a = ctx.a;
    let g = &a.graph;
    let total = a.summary.reachable_bytes; // goroutines
    let need = (((total as f64) * opts.threshold).ceil() as u64).max(MIN_LEAKED_GOROUTINES);
    // Goroutines per (first user frame function) where they wait.
    let mut rows: BTreeMap<u32, (u64, NodeIdx, u64, bool)> = BTreeMap::new();
    for v in 0..g.node_count() as u32 {
        let n = NodeIdx(v);
        let c = g.shallow[v as usize];
        if c == 0 || !a.dom.is_reachable(v) {
            continue;
        }
        let stack = stack_of(ctx, n);
        let user = first_user_frame(ctx, &stack);
        let blocked = stack
            .iter()
            .any(|&f| patterns::is_blocking_frame(g.type_name(f)));
        let key = g.type_of[stack[user.unwrap_or(stack.len() - 1)].ix()];
        let e = rows.entry(key).or_insert((0, n, 0, false));
        e.0 += c;
        e.3 |= blocked;
        if c > e.2 {
            e.1 = n;
            e.2 = c;
        }
    }
    let mut out = Vec::new();
    for (t, (count, rep, _, blocked)) in rows {
        if count < need {
            continue;
        }
        let func = g.types.get(t).to_string();
        let stack = stack_of(ctx, rep);
        let started = stack
            .iter()
            .map(|&f| g.type_name(f))
            .find(|s| !patterns::is_runtime_frame(s) && *s != func)
            .map(|s| format!(", started under {s}"))
            .unwrap_or_default();
        let share = if total == 0 {
            0.0
        } else {
            count as f64 / total as f64
        };
        let state = if blocked { "blocked" } else { "parked" };
        let steps = a.path_to(rep);
        out.push(Suspect {
            rank: 0,
            title: format!(
                "{} goroutines ({:.1}%) {state} in {func}{started}",
                thousands(count),
                100.0 * share
            ),
            kind: "runtime".into(),
            pattern: Pattern::GoroutineLeak.name().into(),
            type_name: func.clone(),
            retained_bytes: 0,
            retained_share: round6(share.min(1.0)),
            object_count: count,
            accumulation_point: None,
            path_to_root: Vec::new(),
            explanation: format!(
                "{} of {} goroutines wait at the same place in {func}. {}",
                thousands(count),
                thousands(total),
                Pattern::GoroutineLeak.explanation()
            ),
            accumulated: Vec::new(),
            fix: Pattern::GoroutineLeak.fix().map(str::to_string),
            holder: Some(func),
            stack: ctx.path(&steps),
        });
    }
    out
}

fn fragmentation(ctx: &Ctx) -> Option<Suspect> {
    let m = ctx.info.memstats.as_ref()?;
    let f = crate::fragmentation::judge(m)?;
    let (inuse, alloc, waste, share) = (f.inuse, f.alloc, f.waste(), f.share());
    let p = Pattern::Fragmentation;
    Some(Suspect {
        rank: 0,
        title: format!(
            "Go heap fragmentation: {} of {} in in-use spans ({:.1}%) hold no live object (HeapInuse {} vs HeapAlloc {})",
            human_bytes(waste),
            human_bytes(inuse),
            100.0 * share,
            human_bytes(inuse),
            human_bytes(alloc)
        ),
        kind: "runtime".into(),
        pattern: p.name().into(),
        type_name: "runtime.MemStats".into(),
        retained_bytes: waste,
        retained_share: round6(share),
        object_count: m.heap_objects.unwrap_or(0),
        accumulation_point: None,
        path_to_root: Vec::new(),
        explanation: format!(
            "runtime.MemStats: HeapInuse {} but HeapAlloc {}: {:.0}% of the bytes in in-use spans are free slots the allocator cannot return. {} {}",
            human_bytes(inuse),
            human_bytes(alloc),
            100.0 * share,
            p.explanation(),
            memstats_numbers(m, inuse, alloc)
        ),
        accumulated: Vec::new(),
        fix: Some(fragmentation_remedies(m, inuse, alloc)),
        holder: None,
        stack: Vec::new(),
    })
}

/// The MemStats numbers behind a fragmentation finding, in one sentence.
fn memstats_numbers(m: &MemStats, inuse: u64, alloc: u64) -> String {
    let mut parts = vec![
        format!("HeapAlloc {} (live)", human_bytes(alloc)),
        format!("HeapInuse {}", human_bytes(inuse)),
    ];
    for (k, v) in [
        ("HeapSys", m.heap_sys),
        ("HeapIdle", m.heap_idle),
        ("HeapReleased", m.heap_released),
        ("NextGC", m.next_gc),
        ("Sys", m.sys),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k} {}", human_bytes(v)));
        }
    }
    if let Some(n) = m.num_gc {
        parts.push(format!("NumGC {n}"));
    }
    if let Some(f) = m.gc_cpu_fraction {
        parts.push(format!("GCCPUFraction {:.1}%", 100.0 * f));
    }
    format!("Numbers: {}.", parts.join(", "))
}

/// The remedies the numbers support: the span waste itself needs a change in allocation
/// patterns (no GC setting returns a span that holds one live object); idle memory not yet
/// returned to the OS is what `debug.FreeOSMemory` / `GOMEMLIMIT` act on; a next-GC target far
/// above the live heap is what `GOGC` / `debug.SetGCPercent` (or `GOMEMLIMIT`) act on.
fn fragmentation_remedies(m: &MemStats, inuse: u64, alloc: u64) -> String {
    let mut out = vec![format!(
        "The {} of free slots in in-use spans are pinned by sparse survivors, and no GC setting returns them: \
         avoid keeping a few long-lived objects among many short-lived ones of the same size class \
         (copy survivors out, pool or batch them).",
        human_bytes(inuse - alloc)
    )];
    if let (Some(idle), Some(released)) = (m.heap_idle, m.heap_released) {
        let kept = idle.saturating_sub(released);
        if kept >= crate::fragmentation::IDLE_KEPT_MIN_BYTES {
            out.push(format!(
                "{} of idle heap is not yet returned to the OS: debug.FreeOSMemory() returns it now, \
                 and a GOMEMLIMIT makes the scavenger return it as the process nears the limit.",
                human_bytes(kept)
            ));
        }
    }
    if let Some(next) = m.next_gc {
        if alloc > 0 && next as f64 >= 1.5 * alloc as f64 {
            let cpu = m
                .gc_cpu_fraction
                .map(|f| format!(" (GC uses {:.1}% of CPU now)", 100.0 * f))
                .unwrap_or_default();
            out.push(format!(
                "The next GC is due at {} ({:.1}× the live heap): a lower GOGC (debug.SetGCPercent) or a \
                 GOMEMLIMIT keeps the heap closer to what is live, at the cost of more GC CPU{cpu}.",
                human_bytes(next),
                next as f64 / alloc as f64
            ));
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_line_shapes() {
        assert!(fills_module_constant(
            "REGISTRY[request_id] = {\"id\": request_id}"
        ));
        assert!(fills_module_constant("EVENTS.append(e)"));
        assert!(!fills_module_constant("_memo[key] = result"));
        assert!(!fills_module_constant("key = (n, k)"));
        assert!(fills_container("self.items.append(x)"));
        assert!(fills_container("_memo[key] = result"));
        assert!(!fills_container("return (\"row %d \" % i) * 20"));
    }
}
