//! Allocation profiles (pprof, tracemalloc): in-use bytes grouped by the first user frame of
//! each allocation stack ("allocated at"), runtime allocator frames skipped; the pattern from
//! the frames' names, then the runtime's own heuristics ([`super::go`], [`super::python`]).

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{HeapGraph, NodeIdx, Runtime, TypeId};

use super::{first_user_frame, stack_of, threshold_bytes, Finding, Site, Subject};
use crate::build::{Ctx, ReportOptions};
use crate::patterns::{self, Pattern};

/// The source text of a frame when the inspector has it (`file:line: text` → `text`).
pub(crate) fn source_text(ctx: &Ctx, n: NodeIdx) -> Option<String> {
    let s = ctx.insp.source_line(&ctx.a.graph, n)?;
    let t = ctx.a.graph.type_name(n);
    s.strip_prefix(t)
        .and_then(|r| r.strip_prefix(": "))
        .map(|r| r.trim().to_string())
}

/// The pattern of an allocation stack (outermost first) whose first user frame is `user`.
fn site_pattern(ctx: &Ctx, stack: &[NodeIdx], user: Option<usize>, src: Option<&str>) -> Pattern {
    let g = &ctx.a.graph;
    let Some(u) = user else {
        return Pattern::Unknown;
    };
    // Names of the user frames (function names for pprof; file:line for tracemalloc), and the
    // site's source text.
    let user_func = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
    let named_cache = stack[..=u]
        .iter()
        .map(|&f| g.type_name(f))
        .filter(|s| !patterns::is_runtime_frame(s))
        .any(|s| patterns::names_cache(&user_func(s)));
    if named_cache || src.map(patterns::names_cache).unwrap_or(false) {
        return Pattern::CacheWithoutEviction;
    }
    if ctx.info.runtime == Runtime::Go {
        if let Some(p) = super::go::site_pattern(ctx, stack) {
            return p;
        }
    }
    if let Some(p) = stack[u + 1..]
        .iter()
        .find_map(|&f| patterns::growth_frame(g.type_name(f)))
    {
        return p;
    }
    if ctx.info.runtime == Runtime::CPython {
        if let Some(p) = src.and_then(super::python::line_pattern) {
            return p;
        }
    }
    Pattern::Unknown
}

/// One finding per first user frame whose allocations still in use pass the threshold.
pub(crate) fn findings(ctx: &Ctx, opts: &ReportOptions) -> Vec<Finding> {
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
    // Whether each type's frame is the runtime's, decided once per type (types are far fewer
    // than nodes), and the rows by type id: the order a map by type id would give.
    let runtime = runtime_types(g);
    let is_runtime = |f: NodeIdx| runtime.get(g.type_of[f.ix()] as usize);
    let mut rows: Vec<Option<Row>> = Vec::new();
    for v in 0..g.node_count() as u32 {
        let n = NodeIdx(v);
        if g.shallow[v as usize] == 0 || !a.dom.is_reachable(v) {
            continue;
        }
        // Only the frames below the first user frame matter; walk up at most while runtime.
        let u = std::iter::once(n)
            .chain(a.dominator_chain(n))
            .find(|&f| !is_runtime(f))
            .unwrap_or(n);
        let t = g.type_of[u.ix()] as usize;
        if rows.len() <= t {
            rows.resize_with(t + 1, || None);
        }
        let e = rows[t].get_or_insert(Row {
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
    let rows = rows
        .into_iter()
        .enumerate()
        .filter_map(|(t, row)| Some((t as u32, row?)));
    let mut out = Vec::new();
    for (t, row) in rows {
        if row.bytes < thr {
            continue;
        }
        let stack = stack_of(ctx, row.rep);
        let user = first_user_frame(ctx, &stack);
        let source = user.and_then(|u| source_text(ctx, stack[u]));
        let pattern = site_pattern(ctx, &stack, user, source.as_deref());
        let callers: Vec<NodeIdx> = match user {
            Some(u) => stack[..u]
                .iter()
                .rev()
                .copied()
                .filter(|&f| !patterns::is_runtime_frame(g.type_name(f)))
                .take(2)
                .collect(),
            None => Vec::new(),
        };
        let runtime_frame = match user {
            Some(u) if u + 1 < stack.len() => Some(*stack.last().unwrap_or(&row.rep)),
            _ => None,
        };
        out.push(Finding {
            pattern,
            bytes: row.bytes,
            share: ctx.share(row.bytes),
            subject: Subject::Site(Site {
                site: TypeId(t),
                rep: row.rep,
                objects: row.objects,
                callers,
                runtime_frame,
                source,
            }),
        });
    }
    out
}

/// The types whose name is a runtime frame ([`patterns::is_runtime_frame`]), one bit per type.
fn runtime_types(g: &HeapGraph) -> BitSet {
    let mut set = BitSet::new(g.types.len());
    for t in 0..g.types.len() {
        if patterns::is_runtime_frame(g.types.get(t as u32)) {
            set.set(t);
        }
    }
    set
}
