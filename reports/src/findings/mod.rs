//! Leak suspects in the spirit of Eclipse MAT, found as typed [`Finding`]s; [`crate::words`]
//! turns each into the report's [`Suspect`] (title, explanation, fix), and nothing here writes
//! prose.
//!
//! Object graphs (HPROF, V8), [`objects`] and [`groups`]:
//! 1. **Candidates**: the top of the dominator tree, looking *through* what only the runtime
//!    owns — synthetic roots, class loaders and their class lists — so that a leak below the app
//!    class loader or V8's `(GC roots)` is found as itself. Every candidate retaining at least
//!    the threshold share of the reachable heap is a single-object suspect.
//! 2. **Accumulation point**: walk down the dominator tree while the biggest child keeps ≥ 70%
//!    of its parent (MAT's rule). A walk that enters a repeating chain (a linked list, a chain
//!    of closure contexts) stops at the chain's head; an internal array or hash entry is lifted
//!    to the collection that owns it (`HashMap$Node[]` → `HashMap`), which is what the developer
//!    declared.
//! 3. **Holder** ([`holder`]): the shortest strong path from a GC root to that point, and on it
//!    the nearest holder a developer edits — a static field, thread's `threadLocals`, a JS scope
//!    variable, a `global` property.
//! 4. **Groups**: per type, the instances no other instance of the type dominates and no single
//!    suspect already covers, partitioned by the shape of their holder path; a partition over the
//!    threshold is a group suspect (e.g. one ThreadLocal's buffers in four pool threads).
//! 5. **Detached DOM** ([`detached`]): a browser's DOM trees removed from the document but still
//!    held from JavaScript, together, from a lower share than the threshold.
//! 6. **Pattern** by type and reference names ([`crate::patterns`]).
//!
//! Allocation profiles (pprof, tracemalloc), [`sites`]: in-use bytes grouped by the first user
//! frame of each allocation stack ("allocated at"), runtime allocator frames skipped; the stack
//! is the path. The runtime's own heuristics are chosen by [`heapscope_graph::Runtime`]:
//! [`python`] (source lines that fill module constants or containers), [`go`] (goroutines).
//! [`runtime`]: Go goroutine leaks (goroutine profiles) and fragmentation (MemStats).
//!
//! Suspects are ranked by retained bytes, a recognised pattern's counted twice ([`PATTERN_WEIGHT`]):
//! a pattern comes first unless an unknown finding retains at least twice as much. Nothing here
//! recurses.

use heapscope_graph::{MemStats, NodeIdx, TypeId};

use crate::build::{Ctx, ReportOptions};
use crate::fragmentation::Fragmentation;
use crate::model::{HistRow, PathElem, Suspect, SuspectKind};
use crate::patterns::Pattern;

pub mod detached;
pub mod go;
pub mod groups;
pub mod holder;
pub mod objects;
pub mod python;
pub mod runtime;
pub mod sites;
mod subtree;

pub use holder::{
    display_name, display_path, holder_of, named_path, AnchorKind, Holder, ThreadLocalRef,
};
pub use objects::{accumulated_items, accumulation_point, Accumulation, Chain};

/// MAT's "big drop" ratio: descend the dominator tree while the biggest child keeps at least
/// this share of its parent's retained size.
pub const ACCUMULATION_RATIO: f64 = 0.70;

/// Below this many bytes nothing is a suspect, whatever its share: in a heap of a few KiB a
/// 90% share is a settings table, not a leak. 64 KiB is far below any leak worth a ticket.
pub const MIN_SUSPECT_BYTES: u64 = 64 * 1024;

/// Goroutine profiles: fewer goroutines than this parked at one place are a pool, not a leak.
pub const MIN_LEAKED_GOROUTINES: u64 = 100;

/// One finding, as data: what was found, where, how big and which pattern it fits.
#[derive(Clone, Debug)]
pub struct Finding {
    pub pattern: Pattern,
    /// Bytes it is about: retained (objects), in use (sites), wasted (fragmentation); 0 for
    /// goroutines.
    pub bytes: u64,
    /// Share of the reachable heap (of all goroutines, for goroutine leaks).
    pub share: f64,
    pub subject: Subject,
}

/// What a finding is about.
#[derive(Clone, Debug)]
pub enum Subject {
    /// One object's dominator subtree, or several alike ([`Objects::group`]).
    Objects(Box<Objects>),
    /// Memory in use, allocated with one frame as the first user frame.
    Site(Site),
    /// Goroutines waiting at one place.
    Goroutines(Goroutines),
    /// Go heap fragmentation from runtime.MemStats.
    Fragmentation {
        memstats: MemStats,
        judged: Fragmentation,
    },
    /// The process's RSS far above the bytes the dump's objects account for.
    Unaccounted { rss: u64, accounted: u64 },
}

/// An analysed point of an object graph.
#[derive(Clone, Debug)]
pub struct Objects {
    /// The candidate (top of its dominator subtree).
    pub top: NodeIdx,
    pub acc: Accumulation,
    /// The path from a GC root to the accumulation point, as reports show it.
    pub path: Vec<PathElem>,
    pub holder: Holder,
    /// What is accumulated below the point, largest first.
    pub items: Vec<HistRow>,
    /// What the accumulation point holds, as the title names it: its type's objects nearest
    /// below the point.
    pub headline: Option<HistRow>,
    /// The headline type's objects anywhere below the point (≥ the headline's count: 2 linked
    /// lists' heads, and their 20,000 nodes).
    pub headline_in_all: u64,
    /// Objects accumulated at the point (dominated directly, or the chain's length).
    pub accumulated: u64,
    /// Several objects alike, together: how many, and their type.
    pub group: Option<Group>,
    /// A group whose members are all in one collection: that collection, its path and holder
    /// (what the group is reported as held by, instead of one member's path).
    pub within: Option<Within>,
    /// A group no one way of holding passes the threshold for: its largest ways.
    pub spread: Option<Spread>,
    /// The group is a browser's detached DOM trees ([`detached`]).
    pub detached: bool,
}

/// How a group held in several ways is held ([`groups`]): 236,901 AST nodes each reachable from
/// its parent node, its symbol and the checker's links, none of those ways over the threshold.
#[derive(Clone, Debug)]
pub struct Spread {
    /// The largest ways, largest first.
    pub ways: Vec<Shape>,
}

/// One way a group's members are held: the types on the last steps of their paths from a GC
/// root (root side first, the member's type last), and the members held so with their bytes.
#[derive(Clone, Debug)]
pub struct Shape {
    pub types: Vec<TypeId>,
    pub members: u64,
    pub bytes: u64,
}

/// The one collection every member of a group is in ([`groups`]): a Map of 180,000 sessions
/// that something else refers to as well, so that no one object dominates them.
#[derive(Clone, Debug)]
pub struct Within {
    pub node: NodeIdx,
    /// The path from a GC root to the collection, as reports show it.
    pub path: Vec<PathElem>,
    pub holder: Holder,
    /// What else holds the members, outside the collection, when a sample of them shows it.
    pub also: Option<Also>,
}

/// Another holder of a group's members, besides their collection ([`groups`]): the shortest
/// path from a GC root to a member's other referrer that passes neither through the collection
/// nor through the member (a go/parser dump keeps every AST in `main.asts` and in `main.byPath`:
/// emptying one frees nothing).
#[derive(Clone, Debug)]
pub struct Also {
    /// The path from a GC root to the other referrer, as reports show it.
    pub path: Vec<PathElem>,
    pub holder: Holder,
    /// Every sampled member has its other holder at the same anchor (else: some of them).
    pub every_sampled: bool,
}

/// Several tops or instances reported as one.
#[derive(Clone, Copy, Debug)]
pub struct Group {
    pub members: u64,
    pub type_id: TypeId,
}

/// An allocation site of a call tree.
#[derive(Clone, Debug)]
pub struct Site {
    /// The first user frame's type (function or `file:line`); the innermost frame's when no
    /// recorded frame is the program's own code (`own_code` false).
    pub site: TypeId,
    /// Whether `site` is a frame of the program's own code ([`first_user_frame`] found one);
    /// false when every recorded frame is, by its name, the runtime's, its standard library's
    /// or an installed package's (a traceback cut at the profiler's frame limit above them, a
    /// thread the runtime started, or an application installed as a package).
    pub own_code: bool,
    /// The call-tree node with the most bytes at this site.
    pub rep: NodeIdx,
    pub objects: u64,
    /// Up to two user frames that called the site, nearest first.
    pub callers: Vec<NodeIdx>,
    /// The innermost (runtime) frame, when the allocation happened below the user frame.
    pub runtime_frame: Option<NodeIdx>,
    /// The site's source line, when the dump has it.
    pub source: Option<String>,
}

/// Goroutines parked at one place.
#[derive(Clone, Debug)]
pub struct Goroutines {
    /// The function they wait in (first user frame).
    pub func: TypeId,
    pub rep: NodeIdx,
    pub count: u64,
    pub total: u64,
    /// A blocking frame (channel, lock, select) is on the stack.
    pub blocked: bool,
    /// The outer user frame that started them, if any.
    pub started_under: Option<NodeIdx>,
}

impl Finding {
    pub fn kind(&self) -> SuspectKind {
        match &self.subject {
            Subject::Objects(o) if o.group.is_some() => SuspectKind::GroupOfObjects,
            Subject::Objects(_) => SuspectKind::SingleObject,
            Subject::Site(_) => SuspectKind::AllocationSite,
            Subject::Goroutines(_)
            | Subject::Fragmentation { .. }
            | Subject::Unaccounted { .. } => SuspectKind::Runtime,
        }
    }
}

/// Every finding of the dump, in no particular order.
pub fn find(ctx: &Ctx, opts: &ReportOptions) -> Vec<Finding> {
    if ctx.info.is_call_tree() {
        let mut v = runtime::findings(ctx, opts);
        if !ctx.info.is_goroutine_profile() {
            v.extend(sites::findings(ctx, opts));
        }
        v
    } else if ctx.info.runtime == heapscope_graph::Runtime::CPython {
        let mut v = objects::findings(ctx, opts);
        v.retain(|f| !python::is_program_structure(ctx, f));
        v.extend(python::findings(ctx));
        v
    } else {
        objects::findings(ctx, opts)
    }
}

/// Find the suspects, most likely first.
pub fn find_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let mut out: Vec<Suspect> = find(ctx, opts)
        .into_iter()
        .map(|f| crate::words::suspect(ctx, f))
        .collect();
    out.sort_by(|a, b| rank_key(a).cmp(&rank_key(b)).then(a.title.cmp(&b.title)));
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i as u32 + 1;
    }
    out
}

/// How much more a recognised pattern weighs than an unknown finding of the same size: a leak
/// pattern (an unbounded collection, a listener list) is the likelier answer, but not against an
/// unknown subtree that retains at least this many times as much (MAT and DevTools list the
/// biggest first; a 5% map must not be read before a 16% one).
pub const PATTERN_WEIGHT: u64 = 2;

/// The order of suspects, smallest first: the JVM's own data last; recognised runtime findings
/// (goroutines, fragmentation, unaccounted memory) first; then objects and sites by retained
/// bytes, a recognised pattern's counted [`PATTERN_WEIGHT`] times; unrecognised runtime findings
/// after them.
fn rank_key(s: &Suspect) -> (bool, u8, std::cmp::Reverse<u128>) {
    let known = s.pattern != Pattern::Unknown;
    let tier = match (s.kind == SuspectKind::Runtime, known) {
        (true, true) => 0,
        (false, _) => 1,
        (true, false) => 2,
    };
    let weight = if known { PATTERN_WEIGHT } else { 1 };
    let weighted = s.retained_bytes as u128 * weight as u128;
    (s.runtime_owned, tier, std::cmp::Reverse(weighted))
}

/// The bytes a finding needs: the threshold share of the reachable heap, and at least
/// [`ReportOptions::min_suspect_bytes`].
pub(crate) fn threshold_bytes(ctx: &Ctx, opts: &ReportOptions) -> u64 {
    let by_share = ((ctx.a.summary.reachable_bytes as f64) * opts.threshold)
        .ceil()
        .max(1.0) as u64;
    by_share.max(opts.min_suspect_bytes)
}

/// The `k` nodes of `v` with the largest retained sizes, largest first (ties: lower index first,
/// a total order, so the result is that of sorting all of `v` and truncating). One pass that
/// keeps at most `k + max(k, 64)` candidates: an element weaker than the bar (the `k`-th
/// strongest of the candidates last cut) is rejected by one comparison, and whenever the
/// candidates are full, the `k` strongest are kept (`select_nth_unstable`, linear in the
/// candidates) and the bar raised. At least `max(k, 64)` elements are taken between two cuts,
/// so every element costs O(1) amortised whatever the order of `v` (`v` may hold millions;
/// for k = 1, a cut per 64 elements): a bounded heap cost a sift per element that beat its
/// weakest, O(|v| log k) when every element does, as in a dump whose collector slid a big
/// array's equal-sized elements into descending node order (benches/scripts/breadth17/RESULTS.md,
/// F4). Memory: 16 B per candidate.
pub(crate) fn largest_first(retained: &[u64], v: &[u32], k: usize) -> Vec<u32> {
    largest_first_cuts(retained, v, k).0
}

/// [`largest_first`], and how many times it cut its candidates down to `k`.
fn largest_first_cuts(retained: &[u64], v: &[u32], k: usize) -> (Vec<u32>, usize) {
    use std::cmp::Reverse;
    // Key: (retained, Reverse(index)), larger is stronger.
    let key = |x: u32| (retained[x as usize], Reverse(x));
    let strongest_first = |a: &(u64, Reverse<u32>), b: &(u64, Reverse<u32>)| b.cmp(a);
    let cap = k.saturating_add(k.max(64)).min(v.len());
    let mut kept: Vec<(u64, Reverse<u32>)> = Vec::with_capacity(cap);
    let mut bar: Option<(u64, Reverse<u32>)> = None;
    let mut cuts = 0;
    if k > 0 {
        for (i, &x) in v.iter().enumerate() {
            // `v` is in walk order: its retained sizes lie all over memory.
            if let Some(&ahead) = v.get(i + 16) {
                heapscope_graph::dominators::prefetch(retained, ahead as usize);
            }
            let kx = key(x);
            if bar.is_some_and(|b| kx <= b) {
                continue;
            }
            kept.push(kx);
            if kept.len() == cap && cap > k {
                kept.select_nth_unstable_by(k - 1, strongest_first);
                kept.truncate(k);
                bar = Some(kept[k - 1]);
                cuts += 1;
            }
        }
    }
    kept.sort_unstable_by(strongest_first);
    kept.truncate(k);
    (kept.into_iter().map(|(_, Reverse(x))| x).collect(), cuts)
}

/// The call stack down to `n`, outermost frame first (the dominator chain, reversed).
pub(crate) fn stack_of(ctx: &Ctx, n: NodeIdx) -> Vec<NodeIdx> {
    let mut v: Vec<NodeIdx> = std::iter::once(n).chain(ctx.a.dominator_chain(n)).collect();
    v.reverse();
    v
}

/// The innermost frame of `stack` that is user code (not the runtime's allocator or library).
pub(crate) fn first_user_frame(ctx: &Ctx, stack: &[NodeIdx]) -> Option<usize> {
    let g = &ctx.a.graph;
    stack
        .iter()
        .rposition(|&f| !crate::patterns::is_runtime_frame(g.type_name(f)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{largest_first, largest_first_cuts};

    /// The analysis of the nodes added to `b`, with `edges[i]` the nodes node `i` refers to
    /// (unlabelled, strong), under MAT's policy.
    pub(crate) fn analyse(
        mut b: heapscope_graph::GraphBuilder,
        edges: &[Vec<u32>],
    ) -> heapscope_graph::Analysis {
        use heapscope_graph::{Label, NodeIdx, Policy};
        b.finish_nodes();
        for (i, es) in edges.iter().enumerate() {
            if es.is_empty() {
                continue;
            }
            b.begin_node(NodeIdx(i as u32));
            for &to in es {
                b.edge_to_idx(NodeIdx(to), false, Label::None);
            }
        }
        heapscope_graph::Analysis::run(b.finish(Policy::MAT))
    }

    /// A deterministic generator (xorshift64*), for the findings' tests on generated heaps.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % n.max(1)
        }
    }

    /// The candidates' selection equals sorting everything and truncating, with many ties, in
    /// every order; and it cuts its candidates at most once per `max(k, 64)` elements (a linear
    /// pass), also when every element is stronger than all before it.
    #[test]
    fn largest_first_equals_sort_and_truncate() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let retained: Vec<u64> = (0..5000).map(|_| rng.below(50)).collect();
        let all: Vec<u32> = (0..5000u32).rev().filter(|v| v % 3 != 0).collect();
        let same = vec![32u64; 5000];
        let ascending: Vec<u32> = (0..5000u32).filter(|v| v % 3 != 0).collect();
        let mut shuffled = ascending.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let few: Vec<u64> = (0..5000).map(|_| rng.below(4)).collect();
        let want = |retained: &[u64], order: &[u32], k: usize| {
            let mut want = order.to_vec();
            want.sort_by(|&a, &b| {
                retained[b as usize]
                    .cmp(&retained[a as usize])
                    .then(a.cmp(&b))
            });
            want.truncate(k);
            want
        };
        // Random sizes in descending, ascending and shuffled index order; every size equal in
        // descending index order (each element stronger than all before it: a collector's
        // slid array) and ascending (each weaker); four sizes, shuffled.
        for (retained, order) in [
            (&retained, &all),
            (&retained, &ascending),
            (&retained, &shuffled),
            (&same, &all),
            (&same, &ascending),
            (&few, &shuffled),
        ] {
            for k in [
                0, 1, 2, 7, 63, 64, 65, 100, 1666, 1667, 3333, 3334, 4000, 10_000,
            ] {
                let (got, cuts) = largest_first_cuts(retained, order, k);
                assert_eq!(got, want(retained, order, k), "k = {k}");
                assert!(cuts <= order.len() / k.max(64), "k = {k}: {cuts} cuts");
            }
        }
        // Random cases just past one cut (candidates: k + 64 for k up to 64), every k (an
        // off-by-one at the cut shows here).
        for case in 0..200 {
            let n = 1 + rng.below(200) as usize;
            let retained: Vec<u64> = (0..n).map(|_| rng.below(10)).collect();
            let mut order: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
            for k in 0..=n + 1 {
                assert_eq!(
                    largest_first(&retained, &order, k),
                    want(&retained, &order, k),
                    "case {case}, k = {k}"
                );
            }
        }
    }
}
