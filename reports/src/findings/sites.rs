//! Allocation profiles (pprof, tracemalloc): in-use bytes grouped by the first user frame of
//! each allocation stack ("allocated at"), runtime allocator frames skipped; the pattern from
//! the frames' names, then the runtime's own heuristics ([`super::go`], [`super::python`]).

use heapscope_graph::bitset::BitSet;
use heapscope_graph::dominators::{SUPER, UNREACHED};
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
    // Whether each type's frame is the runtime's, decided once per type (types are far fewer
    // than nodes), and the rows by type id: the order a map by type id would give. From
    // [`HALVES_FROM`] nodes the two halves of the nodes on two threads, their rows merged.
    let runtime = runtime_types(g);
    let n = g.node_count().min(g.shallow.len());
    let rows = if n >= HALVES_FROM {
        let (a, b) = rayon::join(
            || site_rows(ctx, &runtime, 0..n / 2),
            || site_rows(ctx, &runtime, n / 2..n),
        );
        merged(a, b)
    } else {
        site_rows(ctx, &runtime, 0..n)
    };
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
                own_code: user.is_some(),
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

/// From this many nodes [`findings`] sums its rows in two halves on two threads (one more
/// table of rows, 40 B per type, while they are merged).
const HALVES_FROM: usize = 1 << 20;

/// In-use bytes per first user frame's function (or site, when the whole stack is runtime).
#[derive(Debug, PartialEq)]
struct Row {
    bytes: u64,
    objects: u64,
    /// The node with the most bytes, the first of them in index order.
    rep: NodeIdx,
    rep_bytes: u64,
}

/// The rows of the nodes of `nodes`, by type id (`None`: no node's bytes go to that type).
fn site_rows(ctx: &Ctx, runtime: &BitSet, nodes: std::ops::Range<usize>) -> Vec<Option<Row>> {
    let a = ctx.a;
    let g = &a.graph;
    let mut rows: Vec<Option<Row>> = Vec::new();
    // The columns as slices once (a column's deref asks whether it is mapped), the nodes
    // with no bytes skipped first: a call tree's inner frames, most of its nodes.
    let (type_of, idom, counts): (&[u32], &[u32], &[u64]) = (&g.type_of, &a.dom.idom, &g.counts);
    let is_runtime = |f: usize| type_of.get(f).is_some_and(|&t| runtime.get(t as usize));
    let first = nodes.start;
    for (v, &bytes) in g.shallow[nodes].iter().enumerate() {
        let v = first + v;
        if bytes == 0 || idom.get(v).is_none_or(|&d| d == UNREACHED) {
            continue;
        }
        // Only the frames below the first user frame matter; walk up at most while runtime
        // (`Analysis::dominator_chain`'s steps, bound and all), else the node itself.
        let mut u = v;
        let mut left = idom.len();
        while is_runtime(u) {
            match idom.get(u) {
                Some(&d) if d != SUPER && d != UNREACHED && left > 0 => {
                    left -= 1;
                    u = d as usize;
                }
                _ => {
                    u = v;
                    break;
                }
            }
        }
        let objects = counts.get(v).copied().unwrap_or(1);
        add_to(
            &mut rows,
            type_of[u] as usize,
            NodeIdx(v as u32),
            bytes,
            objects,
        );
    }
    rows
}

impl Row {
    /// `later` (rows of nodes after this one's) folded in: sums added, the representative
    /// this one's unless `later`'s has more bytes (so the first node with the most).
    fn fold(&mut self, later: Row) {
        self.bytes += later.bytes;
        self.objects += later.objects;
        if later.rep_bytes > self.rep_bytes {
            self.rep_bytes = later.rep_bytes;
            self.rep = later.rep;
        }
    }
}

/// `row` folded into type `t`'s (rows of later nodes or runs after those already there).
fn fold_into(rows: &mut Vec<Option<Row>>, t: usize, row: Row) {
    if rows.len() <= t {
        rows.resize_with(t + 1, || None);
    }
    match &mut rows[t] {
        Some(e) => e.fold(row),
        e => *e = Some(row),
    }
}

/// Node `n`'s bytes and objects added to type `t`'s row (nodes in index order).
fn add_to(rows: &mut Vec<Option<Row>>, t: usize, n: NodeIdx, bytes: u64, objects: u64) {
    let row = Row {
        bytes,
        objects,
        rep: n,
        rep_bytes: bytes,
    };
    fold_into(rows, t, row);
}

/// The rows of two runs of nodes, `a`'s before `b`'s, as one run's ([`Row::fold`]).
fn merged(mut a: Vec<Option<Row>>, b: Vec<Option<Row>>) -> Vec<Option<Row>> {
    for (t, y) in b.into_iter().enumerate() {
        if let Some(y) = y {
            fold_into(&mut a, t, y);
        }
    }
    a
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows summed over two runs of nodes and merged equal the rows of one run over all of
    /// them, wherever the cut: sums, and the first node with the most bytes as representative
    /// (ties of bytes on both sides of the cut included).
    #[test]
    fn rows_of_two_halves_merged_equal_one_run() {
        let mut x = 0x517e_u64;
        let mut next = move |below: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % below
        };
        for case in 0..300 {
            let n = next(400) as usize;
            let types = 1 + next(19) as usize;
            let nodes: Vec<(usize, u64, u64)> = (0..n)
                .map(|_| (next(types as u64) as usize, 1 + next(5), next(4)))
                .collect();
            let rows_of = |from: usize, to: usize| {
                let mut rows = Vec::new();
                for (v, &(t, bytes, objects)) in nodes.iter().enumerate().take(to).skip(from) {
                    add_to(&mut rows, t, NodeIdx(v as u32), bytes, objects);
                }
                rows
            };
            let cut = next(n as u64 + 1) as usize;
            assert_eq!(
                merged(rows_of(0, cut), rows_of(cut, n)),
                rows_of(0, n),
                "case {case}"
            );
        }
    }
}
