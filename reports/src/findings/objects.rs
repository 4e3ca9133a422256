//! Object graphs: candidates at the top of the dominator tree, the accumulation point below
//! each (with chains and the lift to the owning collection), what accumulates there, and the
//! single-object findings (several tops with the same thread-local holder merged into one).

use std::collections::BTreeMap;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::paths::edge_between;
use heapscope_graph::walks::walk_below;
use heapscope_graph::{Analysis, Label, NodeIdx, NodeKind, PathStep, Start, TypeId};
use rayon::prelude::*;

use super::holder::{display_path, holder_of, named_path_in, AnchorKind, Referrers};
use super::{threshold_bytes, Finding, Group, Objects, Subject, ACCUMULATION_RATIO};
use crate::build::{Ctx, ReportOptions};
use crate::model::HistRow;
use crate::patterns::{self, Evidence};

/// A chain is recognised after this many repetitions of the same (type, reference) period.
const CHAIN_REPEATS: usize = 2;
/// Longest chain period looked for: `(closure) → Context → Object` is 3.
const CHAIN_MAX_PERIOD: usize = 6;

/// A repeating run of types the walk down the dominator tree entered.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The types of one period, head first.
    pub period: Vec<u32>,
    /// Periods walked.
    pub len: u64,
}

/// Where the walk down the dominator tree ended.
#[derive(Clone, Debug)]
pub struct Accumulation {
    /// The node the 70% walk stopped at (or the head of a chain).
    pub raw: NodeIdx,
    /// `raw`, or the collection that owns it when `raw` is a collection's inside.
    pub holder: NodeIdx,
    /// The repeating period when the walk entered a chain.
    pub chain: Option<Chain>,
    /// `raw` is a collection's inside that a stack frame held too while the collection grew
    /// ([`held_while_growing`]): `holder` is that collection, which does not dominate `raw`.
    pub growing: Option<Growing>,
}

/// A collection caught growing when the dump was written (V8's `Runtime_MapGrow` at the heap
/// limit, a JVM's `OutOfMemoryError` in `HashMap.resize` or `ArrayList.grow`): its inside (the
/// table, the backing array) is held by the collection's own field and by a stack frame, so
/// the collection does not dominate it and the dominator tree does not lead to it.
#[derive(Clone, Debug)]
pub struct Growing {
    /// The collection that owns the inside.
    pub collection: NodeIdx,
    /// The collection's field that refers to its inside (`table`, `elementData`).
    pub field: String,
    /// The stack holders of the inside, as the dump names them (`(Handle scope)`, `Java
    /// frame: Thread "main" > frame java.util.HashMap.resize(HashMap.java:702)`), sorted.
    pub stack: Vec<String>,
}

impl Accumulation {
    /// A group's member (or a detached tree) as its own point: the walk down from one of several
    /// would name what that one holds, not what they are together.
    pub fn member(n: NodeIdx) -> Accumulation {
        Accumulation {
            raw: n,
            holder: n,
            chain: None,
            growing: None,
        }
    }
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
                                                  // Nodes walked inside a chain after it was recognised: counted, not kept (a linked list
                                                  // of 20 M nodes would otherwise take 80 MB here).
    let mut beyond: usize = 0;
    let mut cur = n;
    while let Some(b) = heaviest_kept(a, cur) {
        cur = b;
        if chain.is_some() {
            // Inside a chain only its length is wanted: no reference to look up.
            beyond += 1;
            continue;
        }
        walk.push(b);
        let (label, _) = edge_between(g, walk[walk.len() - 2], b);
        keys.push((g.type_of[b.ix()], label_key(label)));
        chain = chain_ending(&keys);
    }
    let (raw, chain) = match chain {
        Some((start, p)) => {
            // The chain's head is the first element of the repeating period.
            let period = keys[start..start + p].iter().map(|k| k.0).collect();
            let len = ((walk.len() + beyond - start) / p) as u64;
            (walk[start], Some(Chain { period, len }))
        }
        None => (*walk.last().unwrap_or(&n), None),
    };
    let holder = lift_to_collection(ctx, raw);
    let growing = if holder == raw && chain.is_none() {
        held_while_growing(ctx, raw)
    } else {
        None
    };
    Accumulation {
        raw,
        holder: growing.as_ref().map_or(holder, |w| w.collection),
        chain,
        growing,
    }
}

/// The child the walk down the dominator tree goes on to from `cur`: its biggest (the lowest
/// index among equals), when that keeps ≥ 70% of `cur` and is not empty.
fn heaviest_kept(a: &Analysis, cur: NodeIdx) -> Option<NodeIdx> {
    let b = a.dominated(Some(cur)).iter().copied().max_by(|&x, &y| {
        a.retained[x as usize]
            .cmp(&a.retained[y as usize])
            .then(y.cmp(&x))
    })?;
    let kept = a.retained[b as usize];
    (kept != 0 && kept as f64 >= ACCUMULATION_RATIO * a.retained[cur.ix()] as f64)
        .then_some(NodeIdx(b))
}

/// The repeating period `keys` ends with, seen [`CHAIN_REPEATS`] + 1 times in a row (the
/// shortest such period): `(start index of its first repetition, period)`.
fn chain_ending(keys: &[(u32, u32)]) -> Option<(usize, usize)> {
    let end = keys.len();
    for p in 1..=CHAIN_MAX_PERIOD {
        if end < p * (CHAIN_REPEATS + 1) {
            break;
        }
        let start = end - p * (CHAIN_REPEATS + 1);
        let base = &keys[end - p..end];
        if (0..CHAIN_REPEATS).all(|r| &keys[start + r * p..start + (r + 1) * p] == base) {
            return Some((start, p));
        }
    }
    None
}

/// From a collection's inside (backing array, hash entry, list node) up to the collection.
pub(crate) fn lift_to_collection(ctx: &Ctx, raw: NodeIdx) -> NodeIdx {
    let g = &ctx.a.graph;
    let is_coll = |n: NodeIdx| ctx.is_strong_collection(n);
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

/// Is `r`, referring to an object through `label`, a stack frame holding it: a node the
/// parser says stands for what the stack holds (V8's `(Handle scope)`, `(Stack roots)`), or a
/// thread's reference to a local variable of one of its frames (HPROF: `local in <frame>`)
/// ([`heapscope_graph::facts::StackHolders`])? Its name, when it is one.
fn stack_holder(ctx: &Ctx, r: NodeIdx, label: Label) -> Option<String> {
    let g = &ctx.a.graph;
    let stack = &ctx.info.stack;
    if stack.is_node(r) {
        return ctx.insp.value_preview(g, r);
    }
    if stack.is_local_label(label) {
        return g.label_text(label);
    }
    None
}

/// Is a GC root of this kind (its name, as a path step carries it) held by a stack frame?
fn is_stack_root_kind(ctx: &Ctx, kind: &str) -> bool {
    let g = &ctx.a.graph;
    g.root_kinds
        .lookup(kind)
        .is_some_and(|k| ctx.info.stack.is_root_kind(k))
}

/// Is `raw`, a collection's inside no collection dominates, held only by one collection's own
/// field and by stack frames ([`Growing`])? Then that collection is the holder a developer
/// edits. Anything else holding it (a second collection, a static field, a global handle, a
/// GC root other than a stack's) and it is not.
fn held_while_growing(ctx: &Ctx, raw: NodeIdx) -> Option<Growing> {
    let a = ctx.a;
    let g = &a.graph;
    if !patterns::is_collection_internal(g.type_name(raw)) && g.kind(raw) != NodeKind::ObjectArray {
        return None;
    }
    // Dominated by an object (not the super-root or a synthetic root): something else owns it.
    if a.idom(raw)
        .is_some_and(|d| g.kind(d) != NodeKind::Synthetic)
    {
        return None;
    }
    let mut stack: Vec<String> = Vec::new();
    for r in g.roots.iter().filter(|r| r.node == raw) {
        if !ctx.info.stack.is_root_kind(r.kind) {
            return None;
        }
        let kind = g.root_kind_name(r);
        stack.push(match r.via {
            0 => kind.to_string(),
            via => format!("{kind}: {}", g.labels.get(via)),
        });
    }
    // Before scanning every edge for its referrers: its shortest path arrives from a stack
    // frame or a collection, or a stack root holds it.
    let path = a.path_to(raw);
    let arrives = |i: usize| {
        let s = &path[i];
        let label = edge_between(g, s.node, raw).0;
        ctx.is_strong_collection(s.node) || stack_holder(ctx, s.node, label).is_some()
    };
    if stack.is_empty() && !(path.len() >= 2 && arrives(path.len() - 2)) {
        return None;
    }
    let roots_named = !stack.is_empty();
    let mut owner: Option<(NodeIdx, Label)> = None;
    for (r, label, weak) in a.referrers(raw) {
        if weak {
            continue;
        }
        if ctx.is_strong_collection(r) && matches!(label, Label::Name(_)) {
            if owner.is_some_and(|(c, _)| c != r) {
                return None;
            }
            owner = Some((r, label));
        } else if let Some(name) = stack_holder(ctx, r, label) {
            // A local variable is named by its GC root's text already, when it has one.
            if !roots_named {
                stack.push(name);
            }
        } else {
            return None;
        }
    }
    let (collection, label) = owner?;
    if stack.is_empty() || !a.paths.is_reached(collection) {
        return None;
    }
    stack.sort();
    stack.dedup();
    Some(Growing {
        collection,
        field: g.label_text(label).unwrap_or_default(),
        stack,
    })
}

/// A collection caught growing is held by the growing method's frame too (`this` of
/// `HashMap.resize`), which is the shortest path: the path through what the program keeps it
/// in (a static field, a scope variable, a global property) instead, when a referrer of the
/// collection is one and is reached from a GC root other than a stack's.
fn apart_from_stack(ctx: &Ctx, steps: Vec<PathStep>, known: &Referrers) -> Vec<PathStep> {
    let a = ctx.a;
    let g = &a.graph;
    let on_stack = |s: &[PathStep]| {
        s.first()
            .and_then(|f| f.root_kind.as_deref())
            .is_some_and(|k| is_stack_root_kind(ctx, k))
    };
    let Some(c) = steps.last().map(|s| s.node) else {
        return steps;
    };
    if !on_stack(&steps) {
        return steps;
    }
    // Of the named referrers that are class, context or global objects, the one with the
    // shortest path (ties: the least node) that neither starts at a stack root nor passes
    // through `c`, found without building each one's path.
    let referrers = known.of(a, c);
    let mut last = None;
    let eligible: Vec<(u32, Label)> = referrers
        .iter()
        .filter(|&&(r, label, weak)| {
            !weak
                && matches!(label, Label::Name(_))
                && a.paths.is_reached(r)
                && super::holder::holder_rank_in(g, r, &mut last) == 0
        })
        .map(|&(r, label, _)| (r.0, label))
        .collect();
    let origins: Vec<u32> = eligible.iter().map(|x| x.0).collect();
    let mut first = heapscope_graph::paths::FirstRoots::default();
    let mut from_stack = |v: u32| {
        first
            .get(g, v)
            .is_some_and(|r| is_stack_root_kind(ctx, g.root_kind_name(r)))
    };
    let Some((r, _)) = a
        .paths
        .nearest_of(g, &origins, Some(c.0), |v| !from_stack(v))
    else {
        return steps;
    };
    let Some(&(_, label)) = eligible.iter().find(|x| x.0 == r) else {
        return steps;
    };
    let mut head = a.path_to(NodeIdx(r));
    if head.is_empty() || on_stack(&head) || head.iter().any(|s| s.node == c) {
        return steps;
    }
    head.push(PathStep {
        node: c,
        via: g.label_text(label),
        weak: false,
        root_kind: None,
    });
    head
}

/// What is accumulated below `n`: per type, the nodes in its dominator subtree (without `n`),
/// with MAT's minimum retained size per type; a collection's insides are left out. Largest first.
pub fn accumulated_items(ctx: &Ctx, n: NodeIdx, limit: usize) -> Vec<HistRow> {
    accumulated(ctx, n, limit).0
}

/// [`accumulated_items`], and the headline item: the user type nearest below `n` (collection
/// insides and runtime types not counted as levels), e.g. the map's values rather than the
/// byte arrays inside them, counted at that nearest level only, with how many of its type are
/// below `n` in all.
fn accumulated(ctx: &Ctx, n: NodeIdx, limit: usize) -> (Vec<HistRow>, Option<(HistRow, u64)>) {
    let a = ctx.a;
    let g = &a.graph;
    // Per type: (count, shallow, least depth) and MAT's minimum retained size, in one walk of
    // the subtree (split across the cores when it is large).
    let level: Vec<u8> = g
        .types
        .iter()
        .map(|(_, t)| {
            u8::from(!patterns::is_collection_internal(t) && !patterns::is_runtime_type(t))
        })
        .collect();
    let rows = super::subtree::tally_below(a, n, &level);
    let by_type: BTreeMap<u32, (u64, u64, u64, u32)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.seen())
        .map(|(t, r)| (t as u32, (r.count, r.shallow, r.min_retained, r.depth)))
        .collect();
    // The headline counts its type's objects nearest below `n` (the collection's entries, not
    // every object of their type inside them), as MAT's accumulated objects by class. Not in a
    // Go heap dump: its containers (a map's buckets and overflow buckets) are typed by size class
    // or allocation site, so they count as levels, and entries in an overflow bucket would be
    // left out; there every object of the type below counts.
    let whole = super::go::blocks_are_containers(ctx);
    let nearest = |t: u32| {
        let r = &rows[t as usize];
        if whole {
            r.count
        } else {
            r.at_depth
        }
    };
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
        .map(|(&t, &(c, s, r, _))| (row(t, nearest(t), s, r), c));
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

/// Analyse one point of the heap below `top`, at the accumulation point `acc` (a candidate's
/// from [`accumulation_point`]; a group's member is its own point — the walk down from one
/// member would name what that one member holds, not the group): path, holder, items.
pub(crate) fn analyse_at(ctx: &Ctx, top: NodeIdx, acc: Accumulation, known: &Referrers) -> Objects {
    let a = ctx.a;
    let g = &a.graph;
    let mut steps = named_path_in(ctx, a.path_to(acc.holder), known);
    if acc.growing.is_some() {
        steps = apart_from_stack(ctx, steps, known);
    }
    let path = display_path(ctx, &steps);
    let holder = holder_of(ctx, &path, &steps);
    let (items, headline) = accumulated(ctx, acc.raw, 5);
    let (headline, headline_in_all) = match headline {
        Some((h, all)) => (Some(h), all),
        None => (None, 0),
    };
    let accumulated = match &acc.chain {
        // The chain's length: its head and every node of the head's type below it.
        Some(c) => {
            let head = g.type_name(acc.raw);
            items
                .iter()
                .find(|r| r.type_name == head)
                .map(|r| r.count + 1)
                .unwrap_or(c.len)
                .max(c.len)
        }
        None => a.dominated(Some(acc.raw)).len() as u64,
    };
    Objects {
        top,
        acc,
        path,
        holder,
        items,
        headline,
        headline_in_all,
        accumulated,
        group: None,
        within: None,
        spread: None,
        detached: false,
    }
}

/// Data only the runtime owns: on a JVM, every step of the path from the GC root to the
/// accumulation point and everything accumulated below it is a JDK type (the interned-string
/// table, the module graph, the JDK's own caches). It can pass the threshold in a small heap;
/// it is not an application leak, and no application pattern is given to it. Application data
/// held by the JDK (a listener in a JDK registry, a value in a ThreadLocal) has an application
/// type below the point, so it stays an application suspect; so does whatever a thread holds
/// (its locals, its ThreadLocals: the application's code put it there).
pub fn is_runtime_owned(ctx: &Ctx, o: &Objects) -> bool {
    /// GC roots the VM itself keeps: JNI globals, classes it pins, interned strings, its own.
    const VM_ROOTS: &[&str] = &[
        "JNI global",
        "sticky class",
        "interned string",
        "VM internal",
    ];
    let vm_root = o
        .path
        .first()
        .and_then(|p| p.root_kind.as_deref())
        .is_some_and(|k| VM_ROOTS.contains(&k));
    ctx.info.runtime == heapscope_graph::Runtime::Jvm
        && vm_root
        && matches!(o.holder.kind, AnchorKind::Static | AnchorKind::Root)
        && o.path
            .iter()
            .all(|p| patterns::is_jvm_runtime_type(&p.type_name))
        && o.items
            .iter()
            .all(|r| patterns::is_jvm_runtime_type(&r.type_name))
}

/// The pattern of an analysed point, from the names on its path and below it.
pub(crate) fn pattern_of(ctx: &Ctx, o: &Objects) -> patterns::Pattern {
    if is_runtime_owned(ctx, o) {
        return patterns::Pattern::Unknown;
    }
    if ctx.info.runtime == heapscope_graph::Runtime::CPython {
        if let Some(p) = super::python::object_pattern(ctx, o) {
            return p;
        }
    }
    if o.spread.is_some() && o.within.is_none() {
        // Held in several ways: no one path's names say what it is.
        return patterns::Pattern::Unknown;
    }
    let g = &ctx.a.graph;
    // A group in one collection is judged as the collection holding its members.
    let (path, holder, point, raw, chain) = match &o.within {
        Some(w) => (&w.path, &w.holder, w.node, w.node, None),
        None => (
            &o.path,
            &o.holder,
            o.acc.holder,
            o.acc.raw,
            o.acc.chain.as_ref(),
        ),
    };
    let from = (holder.at + 1).min(path.len());
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
        holder_type: g.type_name(point),
        holder_ancestor: ctx.collection_ancestor(point),
        raw_type: g.type_name(raw),
        held_directly: path.len() >= 2 && holder.at + 2 == path.len(),
        chain_period: chain
            .map(|c| c.period.iter().map(|&t| g.types.get(t)).collect())
            .unwrap_or_default(),
        item_types: o.items.iter().map(|r| r.type_name.as_str()).collect(),
        runtime: ctx.info.runtime,
        root_kind: path.first().and_then(|p| p.root_kind.as_deref()),
        // In one collection, a group's members are its entries.
        accumulated: match (&o.within, o.group) {
            (Some(_), Some(gr)) => gr.members,
            _ => o.accumulated,
        },
        members: o.group.map_or(1, |g| g.members),
    };
    patterns::classify(&ev)
}

/// A finding of object graphs, with `bytes` retained.
pub(crate) fn finding(ctx: &Ctx, o: Objects, bytes: u64) -> Finding {
    Finding {
        pattern: pattern_of(ctx, &o),
        bytes,
        share: ctx.share(bytes),
        subject: Subject::Objects(Box::new(o)),
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

/// Is `acc` (where the accumulation walk from a candidate stops) a holder whose fields hold its
/// bytes apart: no one of them keeps 70% of the holder's retained size, but at least one reaches
/// the threshold? Such a holder is looked through: each such field's object is a candidate of
/// its own, found under its own holder (`class ServiceHeap › static SESSIONS`, `global.app ›
/// Object › sessions`), since a developer edits each collection, not the object that names
/// them. Two kinds of holder are looked through:
/// - a class (its statics);
/// - a plain JavaScript object (`{sessions, detached, …}`) whose children over the threshold
///   keep 70% of it together. The rest of such an object may be many small children that are
///   there only because two of its fields meet below it (a WeakMap's values: an ephemeron's
///   value is dominated by the common dominator of the table and its key), whose number grows
///   with the heap; they neither make the object a point nor keep it from being looked
///   through. An object whose bytes are mostly in small children is a dictionary: it stays.
///
/// A holder with one dominant child is not (the walk goes down into that child), nor one
/// whose children are each under the threshold.
fn holder_apart(ctx: &Ctx, acc: &Accumulation, thr: u64) -> bool {
    let a = ctx.a;
    let c = acc.raw;
    let plain = is_plain_object(ctx, c);
    if !(plain || a.graph.kind(c) == NodeKind::Class) || acc.chain.is_some() || acc.holder != c {
        return false;
    }
    let (most, big) = a
        .dominated(Some(c))
        .iter()
        .map(|&k| a.retained[k as usize])
        .filter(|&r| r >= thr)
        .fold((0u64, 0u64), |(m, s), r| (m.max(r), s + r));
    let whole = a.retained[c.ix()] as f64;
    most >= thr
        && (most as f64) < ACCUMULATION_RATIO * whole
        && (!plain || big as f64 >= ACCUMULATION_RATIO * whole)
}

/// A plain JavaScript object (`{}`, V8's `Object`): a holder of named fields, not a class the
/// program defines nor a collection.
fn is_plain_object(ctx: &Ctx, n: NodeIdx) -> bool {
    let g = &ctx.a.graph;
    ctx.info.runtime == heapscope_graph::Runtime::V8
        && g.kind(n) == NodeKind::Object
        && g.type_name(n) == "Object"
}

/// The object-graph findings: single objects (merged when several tops share a thread-local
/// holder), then groups of one type beyond what they cover.
pub(crate) fn findings(ctx: &Ctx, opts: &ReportOptions) -> Vec<Finding> {
    let a = ctx.a;
    let g = &a.graph;
    let thr = threshold_bytes(ctx, opts);
    // 1. Candidates.
    // Each candidate with its accumulation point (the walk down is done once: `holder_apart`
    // needs it, and so does the analysis).
    let mut cands: Vec<(NodeIdx, Accumulation)> = Vec::new();
    // Only nodes over the threshold go on the stack (the super-root may have millions of
    // children, a few of them big).
    let big = |kids: &[u32], loader: bool| {
        kids.iter()
            .filter(|&&c| a.retained[c as usize] >= thr)
            .map(move |&c| (c, loader))
            .collect::<Vec<(u32, bool)>>()
    };
    let mut stack: Vec<(u32, bool)> = big(a.dominated(None), false);
    while let Some((v, under_loader)) = stack.pop() {
        let n = NodeIdx(v);
        if is_transparent(ctx, n, under_loader) {
            let loader = under_loader || patterns::is_class_loader(g.type_name(n));
            stack.extend(big(a.dominated(Some(n)), loader));
        } else {
            let acc = accumulation_point(ctx, n);
            if holder_apart(ctx, &acc, thr) {
                // The fields' objects are the application's (not the loader's class lists).
                stack.extend(big(a.dominated(Some(acc.raw)), false));
            } else {
                cands.push((n, acc));
            }
        }
    }
    cands.sort_by(|(x, _), (y, _)| a.retained[y.ix()].cmp(&a.retained[x.ix()]).then(x.cmp(y)));
    // `covered`: nodes whose dominator subtrees a finding covers. The candidates' subtrees are
    // disjoint and no later walk enters them (the group walk skips them at their top, and an
    // instance below or above a candidate is never a group member), so their tops are marked
    // alone; a group's members are marked with their whole subtrees (`mark_subtree`).
    let known = Referrers::default();
    let mut covered = BitSet::new(g.node_count());
    for (c, _) in &cands {
        covered.set(c.ix());
    }
    let mut tops: Vec<u32> = cands.iter().map(|(c, _)| c.0).collect();
    tops.sort_unstable();
    // 2. Findings, each candidate analysed on its own (one dominator-subtree walk each, in
    //    parallel), while the group search walks the rest of the tree and then (3.) makes the
    //    groups of one type beyond what the single suspects cover: it needs only the
    //    candidates' tops (`covered`) and their ancestors (`above`), not their analyses.
    //    The group search is the longer chain (a walk of the tree, then the shapes, an edge
    //    scan and the members' marks, one after the other): it goes first, on this thread;
    //    the candidates' analyses (walks split across the cores) wait for the other thread.
    let mut above = BitSet::new(g.node_count());
    let (groups, found) = rayon::join(
        || {
            let instances = super::groups::instances(a, thr, &tops);
            for (c, _) in &cands {
                mark_ancestors(ctx, *c, &mut above);
            }
            super::groups::findings(ctx, thr, instances, &mut covered, &mut above, &known)
        },
        || {
            cands
                .par_iter()
                .map(|(c, acc)| {
                    let o = analyse_at(ctx, *c, acc.clone(), &known);
                    finding(ctx, o, a.retained[c.ix()])
                })
                .collect::<Vec<Finding>>()
        },
    );
    // Merged when several tops have the same holder shape (one ThreadLocal in several threads,
    // one listener class in several buses).
    let mut merged: Vec<(Finding, u64)> = Vec::new(); // (representative, tops)
    for f in found {
        let same = |m: &Finding| match (&m.subject, &f.subject) {
            (Subject::Objects(x), Subject::Objects(y)) => {
                m.pattern == f.pattern
                    && x.holder.kind == AnchorKind::ThreadLocals
                    && x.holder.shape(&x.path) == y.holder.shape(&y.path)
            }
            _ => false,
        };
        match merged.iter_mut().find(|(m, _)| same(m)) {
            Some(m) => {
                m.0.bytes += f.bytes;
                m.1 += 1;
            }
            None => merged.push((f, 1)),
        }
    }
    let mut out = Vec::new();
    for (mut f, tops) in merged {
        f.share = ctx.share(f.bytes);
        if let Subject::Objects(o) = &mut f.subject {
            if tops > 1 {
                o.group = Some(Group {
                    members: tops,
                    type_id: TypeId(g.type_of[o.acc.holder.ix()]),
                });
            }
        }
        out.push(f);
    }
    out.extend(groups);
    // 4. A browser's detached DOM beyond what the others report: a single finding reports its
    //    accumulation point's subtree, not its whole candidate's (a page's native context tops
    //    the window and all it holds).
    let mut points: Vec<u32> = cands.iter().map(|(_, acc)| acc.holder.0).collect();
    points.sort_unstable();
    let reported = |v: u32| {
        points.binary_search(&v).is_ok()
            || (covered.get(v as usize) && tops.binary_search(&v).is_err())
    };
    out.extend(super::detached::findings(
        ctx, thr, reported, &above, &known,
    ));
    out
}

/// Mark the dominators of `n` (not `n`): an instance above a reported suspect would report
/// the same bytes again.
pub(crate) fn mark_ancestors(ctx: &Ctx, n: NodeIdx, set: &mut BitSet) {
    for p in ctx.a.dominator_chain(n) {
        if set.get(p.ix()) {
            break;
        }
        set.set(p.ix());
    }
}

/// Mark `n` and its dominator subtree (a subtree already marked is not walked again); `stack`
/// is the walk's, passed again for the next node (nothing allocated per node).
pub(crate) fn mark_subtree(ctx: &Ctx, n: NodeIdx, set: &mut BitSet, stack: &mut Vec<(u32, u32)>) {
    if set.get(n.ix()) {
        return;
    }
    set.set(n.ix());
    walk_below(&ctx.a.children, Start::Node(n), stack, |c| {
        let fresh = !set.get(c as usize);
        if fresh {
            set.set(c as usize);
        }
        fresh
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests::{analyse, Rng};
    use heapscope_graph::{DumpFacts, GraphBuilder, NoInspector, Runtime};

    /// A root holding a chain of `len` links whose types repeat with period `period` (each
    /// link with a small item), and a few side objects, so the walk down enters the chain.
    fn heap(r: &mut Rng, len: usize, period: u32) -> Analysis {
        let mut b = GraphBuilder::new();
        let links: Vec<_> = (0..period)
            .map(|i| b.intern_type(&format!("Link{i}")))
            .collect();
        let item = b.intern_type("Item");
        let top = b.intern_type("Top");
        let mut edges: Vec<Vec<u32>> = Vec::new();
        let add = |b: &mut GraphBuilder, edges: &mut Vec<Vec<u32>>, t, size| {
            let n = b.add_node(0x1000 + 16 * edges.len() as u64, t, NodeKind::Object, size);
            edges.push(Vec::new());
            n.0
        };
        let root = add(&mut b, &mut edges, top, 16);
        b.add_root_idx(NodeIdx(root), "static", None);
        let mut prev = root;
        for i in 0..len {
            let t = links[i % period as usize];
            let link = add(&mut b, &mut edges, t, 24 + r.below(3));
            edges[prev as usize].push(link);
            if r.below(4) == 0 {
                let it = add(&mut b, &mut edges, item, 8 + r.below(16));
                edges[link as usize].push(it);
            }
            prev = link;
        }
        for _ in 0..r.below(5) {
            let side = add(&mut b, &mut edges, item, 1 + r.below(64));
            edges[root as usize].push(side);
        }
        analyse(b, &edges)
    }

    /// The walk as first written: every node walked kept (the whole walk first, to its end),
    /// the chain's head and length found afterwards from the kept nodes.
    fn naive(ctx: &Ctx, n: NodeIdx) -> (NodeIdx, Option<(Vec<u32>, u64)>) {
        let g = &ctx.a.graph;
        let mut walk: Vec<NodeIdx> = vec![n];
        while let Some(b) = heaviest_kept(ctx.a, *walk.last().unwrap()) {
            walk.push(b);
        }
        let key = |i: usize| {
            let label = if i == 0 {
                0
            } else {
                label_key(edge_between(g, walk[i - 1], walk[i]).0)
            };
            (g.type_of[walk[i].ix()], label)
        };
        let mut keys = Vec::new();
        for i in 0..walk.len() {
            keys.push(key(i));
            if let Some((start, p)) = chain_ending(&keys) {
                let period = keys[start..start + p].iter().map(|k| k.0).collect();
                return (
                    walk[start],
                    Some((period, ((walk.len() - start) / p) as u64)),
                );
            }
        }
        (*walk.last().unwrap(), None)
    }

    /// Names synthetic nodes, as the V8 reader's inspector does.
    struct Names(Vec<Option<&'static str>>);
    impl heapscope_graph::Inspector for Names {
        fn value_preview(&self, _g: &heapscope_graph::HeapGraph, n: NodeIdx) -> Option<String> {
            self.0.get(n.ix()).copied().flatten().map(str::to_string)
        }
    }

    /// Who holds the table besides its map, in a generated heap.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Extra {
        /// V8's `(Handle scope)` (a stack holder).
        HandleScope,
        /// An HPROF `Java frame` root on the table (a stack holder).
        FrameRoot,
        /// A thread's `local in …` reference (a stack holder).
        ThreadLocal,
        /// V8's `(Global handles)` (not a stack).
        GlobalHandle,
        /// A second collection's field.
        OtherCollection,
        /// A static field.
        Static,
    }

    impl Extra {
        fn on_stack(self) -> bool {
            matches!(
                self,
                Extra::HandleScope | Extra::FrameRoot | Extra::ThreadLocal
            )
        }
    }

    /// A heap with a map `Map` (held by a static field, or only by the stack) whose `table`
    /// holds 20 items, and the table held by `extras` too; with `stack: false` the stack holders
    /// among them are left out. Returns the analysis, the names, and (map, table).
    fn grown_heap(
        extras: &[Extra],
        map_on_stack: bool,
        stack: bool,
    ) -> (Analysis, Names, u32, u32) {
        let mut b = GraphBuilder::new();
        let mut names: Vec<Option<&'static str>> = Vec::new();
        let mut edges: Vec<Vec<(u32, &'static str)>> = Vec::new();
        let mut add = |b: &mut GraphBuilder, t: &str, kind, name| {
            let ty = b.intern_type(t);
            let n = b.add_node(0x1000 + 16 * names.len() as u64, ty, kind, 32);
            names.push(name);
            edges.push(Vec::new());
            n.0
        };
        let gc = add(
            &mut b,
            "(synthetic)",
            NodeKind::Synthetic,
            Some("(GC roots)"),
        );
        let hs = add(
            &mut b,
            "(synthetic)",
            NodeKind::Synthetic,
            Some("(Handle scope)"),
        );
        let gh = add(
            &mut b,
            "(synthetic)",
            NodeKind::Synthetic,
            Some("(Global handles)"),
        );
        let class = add(&mut b, "class com.acme.App", NodeKind::Class, None);
        let thread = add(&mut b, "java.lang.Thread", NodeKind::Object, None);
        let map = add(&mut b, "java.util.HashMap", NodeKind::Object, None);
        let other = add(&mut b, "java.util.ArrayList", NodeKind::Object, None);
        let table = add(
            &mut b,
            "java.util.HashMap$Node[]",
            NodeKind::ObjectArray,
            None,
        );
        let items: Vec<u32> = (0..20)
            .map(|_| add(&mut b, "com.acme.Item", NodeKind::Object, None))
            .collect();
        b.add_root_idx(NodeIdx(gc), "(GC roots)", None);
        b.add_root_idx(NodeIdx(class), "sticky class", None);
        b.add_root_idx(NodeIdx(thread), "thread object", None);
        edges[gc as usize].extend([(hs, "1"), (gh, "2")]);
        edges[class as usize].push((other, "static OTHER"));
        if map_on_stack {
            edges[hs as usize].push((map, "1"));
        } else {
            edges[class as usize].push((map, "static SEEN"));
        }
        edges[map as usize].push((table, "table"));
        for &it in &items {
            edges[table as usize].push((it, ""));
        }
        for e in extras {
            let is_stack = matches!(
                e,
                Extra::HandleScope | Extra::FrameRoot | Extra::ThreadLocal
            );
            if is_stack && !stack {
                continue;
            }
            match e {
                Extra::HandleScope => edges[hs as usize].push((table, "2")),
                Extra::FrameRoot => b.add_root_idx(
                    NodeIdx(table),
                    "Java frame",
                    Some("Thread \"main\" > frame java.util.HashMap.resize(HashMap.java:702)"),
                ),
                Extra::ThreadLocal => edges[thread as usize]
                    .push((table, "local in java.util.HashMap.resize(HashMap.java:702)")),
                Extra::GlobalHandle => edges[gh as usize].push((table, "1")),
                Extra::OtherCollection => edges[other as usize].push((table, "elementData")),
                Extra::Static => edges[class as usize].push((table, "static DIRECT")),
            }
        }
        b.finish_nodes();
        for (i, es) in edges.iter().enumerate() {
            if es.is_empty() {
                continue;
            }
            let labels: Vec<Label> = es
                .iter()
                .enumerate()
                .map(|(k, &(_, l))| match l {
                    "" => Label::Index(k as u32),
                    l => Label::Name(b.intern_label(l)),
                })
                .collect();
            b.begin_node(NodeIdx(i as u32));
            for (&(to, _), &label) in es.iter().zip(&labels) {
                b.edge_to_idx(NodeIdx(to), false, label);
            }
        }
        let a = Analysis::run(b.finish(heapscope_graph::Policy::MAT));
        (a, Names(names), map, table)
    }

    /// The stack holders of [`grown_heap`], as a parser states them: the `Java frame` root
    /// kind, the `(Handle scope)` node, the `local in …` label.
    fn stack_facts(a: &Analysis, names: &Names) -> DumpFacts {
        let g = &a.graph;
        let mut facts = DumpFacts::object_graph("test", Runtime::Jvm);
        facts.stack = heapscope_graph::facts::StackHolders {
            root_kinds: g.root_kinds.lookup("Java frame").into_iter().collect(),
            nodes: (0..names.0.len() as u32)
                .filter(|&n| names.0[n as usize] == Some("(Handle scope)"))
                .map(NodeIdx)
                .collect(),
            labels: g
                .labels
                .lookup("local in java.util.HashMap.resize(HashMap.java:702)")
                .into_iter()
                .collect(),
        };
        facts
    }

    /// The table is lifted to its map exactly when the map would dominate it if the stack
    /// holders were not there (the oracle: the same heap without them, analysed again) and at
    /// least one stack holder is there; every mix of holders, the map on the stack or not.
    #[test]
    fn a_table_is_lifted_to_its_map_when_only_the_stack_holds_it_besides() {
        use Extra::*;
        let all = [
            HandleScope,
            FrameRoot,
            ThreadLocal,
            GlobalHandle,
            OtherCollection,
            Static,
        ];
        let mut lifted = 0;
        for mask in 0u32..(1 << all.len()) {
            for map_on_stack in [false, true] {
                let extras: Vec<Extra> = (0..all.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| all[i])
                    .collect();
                let any_stack = extras.iter().any(|e| e.on_stack());
                let (without, _, map, table) = grown_heap(&extras, map_on_stack, false);
                let expected = any_stack && without.idom(NodeIdx(table)) == Some(NodeIdx(map));
                let (a, names, map, table) = grown_heap(&extras, map_on_stack, true);
                let facts = stack_facts(&a, &names);
                let ctx = Ctx {
                    a: &a,
                    info: &facts,
                    insp: &names,
                };
                let acc = accumulation_point(&ctx, NodeIdx(table));
                assert_eq!(acc.raw, NodeIdx(table), "{extras:?}");
                assert_eq!(acc.growing.is_some(), expected, "{extras:?} {map_on_stack}");
                if expected {
                    lifted += 1;
                    assert_eq!(acc.holder, NodeIdx(map), "{extras:?}");
                    let w = acc.growing.expect("growing");
                    assert_eq!(w.field, "table");
                    assert!(!w.stack.is_empty());
                }
            }
        }
        assert!(lifted >= 8, "only {lifted} heaps lifted");
    }

    /// Counting the chain's nodes instead of keeping them gives the same point and length, for
    /// chains of every period the walk recognises, short and long, and walks with no chain.
    #[test]
    fn chain_counted_not_kept_equals_the_kept_walk() {
        let facts = DumpFacts::object_graph("test", Runtime::Jvm);
        let mut r = Rng(0x5851_f42d_4c95_7f2d);
        let mut chains = 0;
        for case in 0..48u64 {
            let period = 1 + (case % 4) as u32;
            let len = [0, 1, 2, 5, 9, 40, 300, 2000][(case / 4 % 8) as usize] + r.below(7) as usize;
            let a = heap(&mut r, len, period);
            let ctx = Ctx {
                a: &a,
                info: &facts,
                insp: &NoInspector,
            };
            let got = accumulation_point(&ctx, NodeIdx(0));
            let (raw, chain) = naive(&ctx, NodeIdx(0));
            assert_eq!(got.raw, raw, "case {case}");
            let got_chain = got.chain.map(|c| (c.period, c.len));
            chains += usize::from(got_chain.is_some());
            assert_eq!(got_chain, chain, "case {case}");
        }
        assert!(chains >= 12, "only {chains} walks entered a chain");
    }

    /// [`named_path_in`] and [`apart_from_stack`] as first written: every referrer's path built
    /// and compared.
    fn named_path_naive(ctx: &Ctx, steps: Vec<PathStep>) -> Vec<PathStep> {
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
                let rank = crate::findings::holder::holder_rank_in(g, r, &mut None);
                if rank == 2 || steps[k..].iter().any(|s| s.node == r) {
                    continue;
                }
                let key = (rank, a.path_to(r).len(), r, label);
                if best.is_none_or(|b| (key.0, key.1, key.2) < (b.0, b.1, b.2)) {
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

    fn apart_from_stack_naive(ctx: &Ctx, steps: Vec<PathStep>) -> Vec<PathStep> {
        let a = ctx.a;
        let g = &a.graph;
        let on_stack = |s: &[PathStep]| {
            s.first()
                .and_then(|f| f.root_kind.as_deref())
                .is_some_and(|k| is_stack_root_kind(ctx, k))
        };
        let Some(c) = steps.last().map(|s| s.node) else {
            return steps;
        };
        if !on_stack(&steps) {
            return steps;
        }
        let mut best: Option<(usize, NodeIdx, Label, Vec<PathStep>)> = None;
        for (r, label, weak) in a.referrers(c) {
            if weak || !matches!(label, Label::Name(_)) || !a.paths.is_reached(r) {
                continue;
            }
            if crate::findings::holder::holder_rank_in(g, r, &mut None) != 0 {
                continue;
            }
            let head = a.path_to(r);
            if head.is_empty() || on_stack(&head) || head.iter().any(|s| s.node == c) {
                continue;
            }
            if best.as_ref().is_none_or(|b| (head.len(), r) < (b.0, b.1)) {
                best = Some((head.len(), r, label, head));
            }
        }
        let Some((_, _, label, mut head)) = best else {
            return steps;
        };
        head.push(PathStep {
            node: c,
            via: g.label_text(label),
            weak: false,
            root_kind: None,
        });
        head
    }

    /// The paths through a named referrer and away from the stack, found by walking the
    /// referrers' paths up together, are the ones building every referrer's path finds: random
    /// heaps of synthetic nodes, classes, scope objects and plain objects, held by stack and
    /// other roots (a node may be a root of several kinds), named and indexed, weak and strong
    /// references.
    #[test]
    fn named_paths_equal_building_every_referrers_path() {
        let types = [
            ("(synthetic)", NodeKind::Synthetic),
            ("class com.acme.App", NodeKind::Class),
            ("system / Context", NodeKind::Object),
            ("Item", NodeKind::Object),
            ("Item", NodeKind::Object),
        ];
        let kinds = ["Java frame", "sticky class", "(Handle scope)"];
        let names = ["a", "b", "local", "static HELD"];
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut moved, mut apart) = (0, 0);
        for case in 0..600u64 {
            let n = 2 + r.below(if case % 3 == 0 { 60 } else { 14 }) as u32;
            let mut b = GraphBuilder::new();
            let nodes: Vec<(u32, NodeKind)> = (0..n)
                .map(|i| {
                    let (t, kind) = types[r.below(types.len() as u64) as usize];
                    let ty = b.intern_type(t);
                    b.add_node(0x1000 + 16 * i as u64, ty, kind, 8 + r.below(64));
                    (i, kind)
                })
                .collect();
            for _ in 0..1 + r.below(4) {
                let v = r.below(n as u64) as u32;
                b.add_root_idx(NodeIdx(v), kinds[r.below(3) as usize], None);
            }
            b.finish_nodes();
            let labels: Vec<heapscope_graph::LabelId> =
                names.iter().map(|l| b.intern_label(l)).collect();
            for &(u, _) in &nodes {
                b.begin_node(NodeIdx(u));
                for k in 0..r.below(4) {
                    let t = r.below(n as u64) as u32;
                    let label = if r.below(3) == 0 {
                        Label::Index(k as u32)
                    } else {
                        Label::Name(labels[r.below(labels.len() as u64) as usize])
                    };
                    b.edge_to_idx(NodeIdx(t), r.below(6) == 0, label);
                }
            }
            let a = Analysis::run(b.finish(heapscope_graph::Policy::MAT));
            let g = &a.graph;
            let mut facts = DumpFacts::object_graph("test", Runtime::Jvm);
            facts.stack.root_kinds = g.root_kinds.lookup("Java frame").into_iter().collect();
            let ctx = Ctx {
                a: &a,
                info: &facts,
                insp: &NoInspector,
            };
            let known = Referrers::default();
            for v in 0..n {
                let steps = a.path_to(NodeIdx(v));
                let want = named_path_naive(&ctx, steps.clone());
                let got = crate::findings::holder::named_path_in(&ctx, steps.clone(), &known);
                assert_eq!(got, want, "named path to {v}, case {case}");
                moved += usize::from(got != steps);
                let want = apart_from_stack_naive(&ctx, steps.clone());
                let got = apart_from_stack(&ctx, steps.clone(), &known);
                assert_eq!(got, want, "apart from the stack to {v}, case {case}");
                apart += usize::from(got != steps);
            }
        }
        assert!(moved >= 50 && apart >= 50, "moved {moved}, apart {apart}");
    }
}
