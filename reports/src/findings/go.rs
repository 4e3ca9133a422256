//! Go's heuristics (chosen when the dump's runtime is Go): a goroutine profile's stacks say
//! where goroutines wait; a heap profile's allocation stacks say where memory was allocated,
//! not whether the goroutine that allocated it waits ([`site_pattern`]). In an object graph of a Go heap (roots are the data and bss segments'
//! pointers, kind `global`, and goroutine stack frames, kind `goroutine stack (<wait reason>)`):
//! a global that dominates a structure of many objects is a package-level container that only
//! grows ([`global_grows`]); many goroutines parked on a channel, select, lock or sleep, each
//! holding memory from its stack, are goroutines that leak what they hold
//! ([`blocked_goroutines_hold`]).

use std::collections::BTreeMap;

use heapscope_graph::{NodeIdx, TypeId};

use super::{first_user_frame, stack_of, Goroutines, MIN_LEAKED_GOROUTINES};
use crate::build::{Ctx, ReportOptions};
use crate::patterns::{self, Evidence, Pattern};

/// A Go global's accumulation point with at least this many objects directly below it is a
/// container (a map's buckets, a slice's backing array) rather than one big value: the
/// fixtures' map holds 3,000 entries, their slice 30,000; a struct of a few fields is far below.
pub const MIN_GLOBAL_ENTRIES: u64 = 100;

/// A Go heap's objects carry no types (the dump names them by allocation site or size class):
/// one block holding every member of a group is, by layout, the container they are in — a
/// slice's backing array or a map's buckets — whatever it is named.
pub(crate) fn blocks_are_containers(ctx: &Ctx) -> bool {
    ctx.info.runtime == heapscope_graph::Runtime::Go && !ctx.info.is_call_tree()
}

/// Goroutines holding memory alike from their stacks: fewer than this is a worker pool's
/// normal state (a pool per CPU), not a leak.
pub const MIN_BLOCKED_GOROUTINE_HOLDERS: u64 = 16;

/// The root kind of a Go global (a data or bss pointer).
const GLOBAL_ROOT: &str = "global";
/// The root kind of a user goroutine's stack frame, before its wait reason in parentheses.
const GOROUTINE_ROOT: &str = "goroutine stack (";

/// The wait reasons (`runtime.waitReason` strings) of a goroutine parked until some other
/// goroutine acts: channel operations, select, locks, condition variables, I/O, sleep.
pub fn is_blocking_wait(reason: &str) -> bool {
    const WAITS: &[&str] = &[
        "chan receive",
        "chan send",
        "chan receive (nil chan)",
        "chan send (nil chan)",
        "select",
        "select (no cases)",
        "semacquire",
        "sync.Cond.Wait",
        "sync.Mutex.Lock",
        "sync.RWMutex.Lock",
        "sync.RWMutex.RLock",
        "IO wait",
        "sleep",
    ];
    WAITS.contains(&reason)
}

/// A package-level variable of a Go program (root kind `global`) holds the accumulation point
/// directly, and the point holds many objects: a global map or slice that only grows.
pub fn global_grows(e: &Evidence) -> bool {
    e.runtime == heapscope_graph::Runtime::Go
        && e.root_kind == Some(GLOBAL_ROOT)
        && *e.holder_kind == crate::findings::AnchorKind::Root
        && e.accumulated >= MIN_GLOBAL_ENTRIES
}

/// Many user goroutines, each parked in a blocking wait, hold alike objects from their stack
/// frames: goroutines that never finish keep what they hold.
pub fn blocked_goroutines_hold(e: &Evidence) -> bool {
    let parked = e
        .root_kind
        .and_then(|k| k.strip_prefix(GOROUTINE_ROOT))
        .and_then(|k| k.strip_suffix(')'))
        .is_some_and(is_blocking_wait);
    e.runtime == heapscope_graph::Runtime::Go
        && parked
        && e.members >= MIN_BLOCKED_GOROUTINE_HOLDERS
}

/// Frames of a stack the Go runtime records at most before Go 1.23 (`runtime.MemProfile`'s
/// `maxStack`; 128 by default since, `GODEBUG=profstackdepth`).
pub const GO_STACK_CAP: usize = 32;

/// Leading runtime frames (the allocator's: `runtime.mapassign` → `runtime.newobject` …) that
/// are among the recorded frames but that Go's writers leave out of the profile (up to 3 in a
/// Go 1.19 profile of 521 K stacks): a stack this much shorter than the cap may still have been
/// cut at it.
const HIDDEN_RUNTIME_FRAMES: usize = 3;

/// Could this allocation stack (outermost first) have been cut at the runtime's frame cap? Then
/// its outermost callers are missing: whether it ran under `runtime.main` or in a goroutine is
/// not known (the parser warns how many stacks are at the cap).
pub(crate) fn may_be_cut(stack: &[NodeIdx]) -> bool {
    stack.len() + HIDDEN_RUNTIME_FRAMES >= GO_STACK_CAP
}

/// A heap profile's allocation stack is a goroutine leak only when it shows the goroutine parked
/// (a blocking frame: a channel operation, select, lock, sleep) and is a goroutine's: not under
/// `runtime.main` / `main.main`, and not possibly cut at the runtime's frame cap
/// ([`may_be_cut`]: then its outermost callers are missing). An allocation stack ends where the
/// goroutine allocated, not where it waits, so a heap profile practically never shows this: a
/// goroutine body seen allocating is just where memory was allocated (in a goroutine), whether
/// that goroutine still runs, waits forever or finished long ago (what it built may be held by a
/// global); its goroutine profile says where goroutines wait ([`goroutine_leaks`]).
/// Only memory is held by a goroutine: block, mutex or CPU profiles of the same stacks say
/// where time went, not what leaks.
pub(crate) fn site_pattern(ctx: &Ctx, stack: &[NodeIdx]) -> Option<Pattern> {
    let heap =
        ctx.info.profile.as_ref().map(|p| p.kind) == Some(heapscope_graph::ProfileKind::Heap);
    if !heap || may_be_cut(stack) {
        return None;
    }
    let g = &ctx.a.graph;
    let from_main = stack.iter().any(|&f| {
        let t = g.type_name(f);
        t == "runtime.main" || t == "main.main"
    });
    let parked = stack
        .iter()
        .any(|&f| patterns::is_blocking_frame(g.type_name(f)));
    (!from_main && parked).then_some(Pattern::GoroutineLeak)
}

/// The function a heap profile's allocation stack (outermost first) says its goroutine started
/// in, when the stack is a goroutine's: complete (not [`may_be_cut`]) and not under
/// `runtime.main` / `main.main`. The outermost frame that is not the runtime's (below
/// `runtime.goexit`). A heap profile cannot tell whether that goroutine still runs.
pub(crate) fn goroutine_start(ctx: &Ctx, stack: &[NodeIdx]) -> Option<NodeIdx> {
    let heap =
        ctx.info.profile.as_ref().map(|p| p.kind) == Some(heapscope_graph::ProfileKind::Heap);
    if ctx.info.runtime != heapscope_graph::Runtime::Go || !heap || may_be_cut(stack) {
        return None;
    }
    let g = &ctx.a.graph;
    let from_main = stack.iter().any(|&f| {
        let t = g.type_name(f);
        t == "runtime.main" || t == "main.main"
    });
    if from_main {
        return None;
    }
    stack
        .iter()
        .copied()
        .find(|&f| !patterns::is_runtime_frame(g.type_name(f)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::AnchorKind;
    use heapscope_graph::Runtime;

    fn evidence<'e>(
        anchor: &'e AnchorKind,
        runtime: Runtime,
        root_kind: &'e str,
        accumulated: u64,
        members: u64,
    ) -> Evidence<'e> {
        Evidence {
            holder_kind: anchor,
            chain_types: vec![],
            chain_vias: vec![],
            holder_type: "main.lookupUser",
            holder_ancestor: None,
            raw_type: "main.lookupUser",
            held_directly: false,
            chain_period: vec![],
            item_types: vec![],
            runtime,
            root_kind: Some(root_kind),
            accumulated,
            members,
        }
    }

    #[test]
    fn a_global_holding_many_objects_grows_only_in_go() {
        let root = AnchorKind::Root;
        let e = |rt, kind, acc| global_grows(&evidence(&root, rt, kind, acc, 1));
        assert!(e(Runtime::Go, "global", MIN_GLOBAL_ENTRIES));
        assert!(!e(Runtime::Go, "global", MIN_GLOBAL_ENTRIES - 1));
        assert!(!e(Runtime::Go, "goroutine stack (chan receive)", 10_000));
        assert!(!e(Runtime::Jvm, "global", 10_000));
        let stat = AnchorKind::Static;
        assert!(!global_grows(&evidence(
            &stat,
            Runtime::Go,
            "global",
            10_000,
            1
        )));
    }

    #[test]
    fn many_parked_goroutines_leak_few_or_busy_ones_do_not() {
        let root = AnchorKind::Root;
        let e = |kind, members| {
            blocked_goroutines_hold(&evidence(&root, Runtime::Go, kind, 1, members))
        };
        let many = MIN_BLOCKED_GOROUTINE_HOLDERS;
        assert!(e("goroutine stack (chan receive)", many));
        assert!(e("goroutine stack (select)", many));
        assert!(e("goroutine stack (sync.Cond.Wait)", many));
        // A pool per CPU is normal.
        assert!(!e("goroutine stack (chan receive)", many - 1));
        // Running, runnable or in the runtime's own waits: not parked by the program.
        assert!(!e("goroutine stack (runnable)", many));
        assert!(!e("goroutine stack (GC worker (idle))", many));
        assert!(!e("runtime goroutine stack (chan receive)", many));
        assert!(!e("global", many));
    }
}
