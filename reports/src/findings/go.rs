//! Go's heuristics (chosen when the dump's runtime is Go): an allocation stack that does not
//! start at `runtime.main` belongs to a goroutine, and a goroutine profile's stacks say where
//! goroutines wait.

use std::collections::BTreeMap;

use heapscope_graph::{NodeIdx, TypeId};

use super::{first_user_frame, stack_of, Goroutines, MIN_LEAKED_GOROUTINES};
use crate::build::{Ctx, ReportOptions};
use crate::patterns::{self, Pattern};

/// The main goroutine's stacks start at runtime.main; any other stack with user code is a
/// goroutine's (its body is the outermost user frame; `go` statements hide runtime.goexit and
/// label wrappers such as runtime/pprof.Do sit above it).
/// Only memory is held by a goroutine: block, mutex or CPU profiles of the same stacks say
/// where time went, not what leaks.
pub(crate) fn site_pattern(ctx: &Ctx, stack: &[NodeIdx]) -> Option<Pattern> {
    let heap =
        ctx.info.profile.as_ref().map(|p| p.kind) == Some(heapscope_graph::ProfileKind::Heap);
    if !heap {
        return None;
    }
    let g = &ctx.a.graph;
    let from_main = stack.iter().any(|&f| {
        let t = g.type_name(f);
        t == "runtime.main" || t == "main.main"
    });
    (!from_main).then_some(Pattern::GoroutineLeak)
}

/// Goroutine profiles: per first user frame where goroutines wait, the places holding at least
/// the threshold share of all goroutines (and [`MIN_LEAKED_GOROUTINES`]).
pub(crate) fn goroutine_leaks(ctx: &Ctx, opts: &ReportOptions) -> Vec<Goroutines> {
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
        let func = g.types.get(t);
        let started_under = stack_of(ctx, rep).into_iter().find(|&f| {
            let s = g.type_name(f);
            !patterns::is_runtime_frame(s) && s != func
        });
        out.push(Goroutines {
            func: TypeId(t),
            rep,
            count,
            total,
            blocked,
            started_under,
        });
    }
    out
}
