//! The analysis of a graph that is a forest (a call tree: pprof, tracemalloc), without the
//! dominator and root-path searches.
//!
//! In a forest each node is reached by exactly one edge, so its immediate dominator is its
//! parent, its retained size is its subtree's total, and its only path from a root is the chain
//! of parents. [`run`] recognises such a graph in one pass over the edges and builds exactly what
//! the general passes of [`Analysis`] would: `idom` = parent ([`SUPER`] for roots), the
//! dominator children = the CSR itself (children in edge order, which is the DFS's sibling order)
//! with the roots in [`HeapGraph::root_nodes`] order as the super-root's list, the root paths =
//! the edge into each node, retained sizes = subtree sums, made with the histogram's minimum
//! retained size of each type by sequential passes over flat arrays, its counts on the other
//! core meanwhile. A forest numbered in its depth-first preorder (tracemalloc's call tree) takes
//! one forward pass (`in_preorder`, `preorder`: a stack of the open nodes, each closed — its
//! total final — when a node that is not its descendant comes; `idom`, the edges in, the totals
//! and the minimums at once); any other forest (pprof's numbering) the check from the last node
//! back (`placed`, `parents`: sums and subtree node counts) and then `forest_totals`, a
//! depth-first preorder placed forward, the first node of its type on each path found along it.
//! The result is the same [`Analysis`], bit for bit, at a fraction of the cost (no DFS
//! numbering, no semidominators, no BFS queue, no walk of children lists).
//!
//! The graph qualifies when every edge is strong and goes from a lower node index to a higher
//! one, every node but the GC roots has exactly one incoming edge and the roots none. Parents
//! before children is how [`CallTree`](crate::CallTree) numbers nodes; a graph that fails any
//! condition (or whose CSR is spilled: the out-of-core path; targets alone in a spill file, as
//! a builder grows them, are read through their mapping) goes through the general passes
//! unchanged.
//!
//! Memory beside the graph: `idom` 4 B/node and the retained sizes 8 B/node (in the parse's
//! dead `Spare` where it fits; dropped if the check fails), the children lists 8 B/node
//! (offsets copied from the CSR, children = the targets plus the roots), root paths 4 B/node +
//! 1 bit: the same 24 B/node + 1 bit end state as the general passes. Transient: for a forest
//! numbered in its preorder, 1 bit per node, 12 B per type and 16 B per level of the pass's
//! stack (the root paths' parents and the children's lists are made beside the pass, not
//! after it: no arrays of the placing's); otherwise the check's subtree node counts and the
//! places, 8 B/node + 1 bit (+ 8 B/node of ends and types for the placing passes; the places
//! become the root paths' parents once dead, the node counts are freed after the placing and
//! the children's lists are a fresh array). The
//! retained sizes go to their spill file (where the spill takes them) as soon as they are
//! final, and the children's offsets are made last (F1, 7.8 M nodes: the analysis' peak
//! RssAnon 321 → 278 MiB in tm19c, below the parse's 301).

use crate::analysis::{keep_warning, Analysis, HistogramParts};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use crate::bitset::BitSet;
use crate::column::{Column, Spill};
use crate::dominators::{DomChildren, DomTree, SUPER};
use crate::graph::{HeapGraph, Spare, WEAK_BIT};
use crate::histogram::type_counts_all;
use crate::paths::RootPaths;

/// The [`Analysis`] of `graph` if it is a forest (see the module docs), else the graph back
/// (boxed: the struct, not its columns).
/// `after` is called with the same pass names as the general passes.
pub(crate) fn run(
    mut graph: HeapGraph,
    spill: &Spill,
    after: &mut dyn FnMut(&str),
) -> Result<Analysis, Box<HeapGraph>> {
    // Out of core (or a CSR spilled for it), the general passes. Targets in a spill file
    // alone are a builder's that grows its columns there (`GraphBuilder::grow_in_files`, as
    // tracemalloc's does): read through the mapping like memory, and checked only when there
    // are fewer edges than nodes (a forest's), so a large object graph is not scanned.
    let targets_apart = graph.targets.is_spilled() && graph.edge_count() >= graph.node_count();
    // The parse's dead memory for this analysis (`Spare`), taken once: the check's arrays
    // where it fits, else freed here, before the general passes (or fresh arrays) allocate.
    let spare = std::mem::take(&mut graph.spare);
    if spill.is_out_of_core() || graph.out_of_core || targets_apart {
        return Err(Box::new(graph));
    }
    let n = graph.node_count();
    // A forest numbered parents first has a root (node 0 at least) and one edge into each
    // other node: fewer edges than nodes. An object graph has more, and is not scanned.
    if n > 0 && graph.edge_count() >= n {
        return Err(Box::new(graph));
    }
    // The check's arrays are allocated, not filled (a calloc of memory the parse freed is
    // a memset that faults every page in here); the other core maps their pages while this
    // one checks the edges (see [`Check`]).
    let check = Check::in_spare(n, spare);
    // A forest numbered in its depth-first preorder (tracemalloc's call tree): one forward
    // pass; any other forest (pprof's numbering), the check from the last node back and the
    // placing passes.
    let check = match in_preorder(graph, check, spill, after) {
        Ok(a) => return Ok(a),
        Err(Left::NotForest(g)) => return Err(g),
        Err(Left::NotPreorder(g, check)) => {
            graph = *g;
            check
        }
    };
    placed(graph, check.sized(), spill, after)
}

/// [`run`] of a forest not numbered in its preorder (or not a forest: the graph back): the
/// check from the last node back ([`parents`]), then [`forest_totals`]' placing passes.
fn placed(
    mut graph: HeapGraph,
    check: Check,
    spill: &Spill,
    after: &mut dyn FnMut(&str),
) -> Result<Analysis, Box<HeapGraph>> {
    let n = graph.node_count();
    let stop = AtomicBool::new(false);
    // The node the check has come down to (a multiple of PAGES_RUN).
    let at = AtomicUsize::new(n);
    let (found, scratch) = std::thread::scope(|sc| {
        let helper = (n >= HELPER_NODES)
            .then(|| {
                let pages = check.pages();
                let (stop, at) = (&stop, &at);
                // Allocated here, filled there: a block allocated on another thread comes
                // from an arena of its own, which the root paths and the children could not
                // reuse once the scratch is freed (peak 174 → 186 MiB on real-deep350).
                let room = Scratch::room(n);
                std::thread::Builder::new()
                    .name("forest pages".into())
                    .spawn_scoped(sc, move || {
                        // The scratch first (not needed before the check ends), then the
                        // check's runs from the first node up while they lie below the node
                        // the check (from the last node down) has come to.
                        let scratch = room.fill(n, stop);
                        map_pages(&pages, |i| {
                            !stop.load(Relaxed) && (i / 3 + 1) * PAGES_RUN < at.load(Relaxed)
                        });
                        scratch
                    })
                    .ok()
            })
            .flatten();
        let found = parents(&graph, check, &at);
        if found.is_err() {
            stop.store(true, Relaxed);
        }
        // Joined before the arrays of a failed check are freed (`found` holds them).
        let scratch = helper.and_then(|h| h.join().ok()).flatten();
        (found.ok(), scratch)
    });
    let Some(Parents {
        idom,
        roots,
        retained,
        size,
    }) = found
    else {
        return Err(Box::new(graph));
    };
    let Scratch { place } = scratch.unwrap_or_else(|| Scratch::filled(n));
    after("dominators");
    // The retained sizes are final: to their spill file (where it takes them) before the
    // minimums and the counts are made (they only read them, through the mapping), so that
    // the counts' rows (40 B per type) do not come on top of their anonymous copy (8 B/node;
    // F1: peak 321 MiB in this stage before, with the offsets below).
    let mut retained = Column::from(retained);
    let r = retained.spill(spill);
    keep_warning(&mut graph, r);
    // First (before the root paths and the dominator children take their memory), the
    // subtrees' totals and the histogram's minimum retained size of each type (the totals of
    // the nodes with no ancestor of their type), in sequential passes over flat arrays; beside
    // them, on the other core, the histogram's counts: every node of a forest is reachable, so
    // they need no `idom`.
    let g = &graph;
    let (totals, counts) = std::thread::scope(|sc| {
        let thread = std::thread::Builder::new()
            .name("type counts".into())
            .spawn_scoped(sc, move || type_counts_all(g));
        let totals = forest_totals(&idom, &retained, size, place, &g.type_of, g.types.len());
        let counts = thread
            .ok()
            .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (totals, counts)
    });
    // Never for a forest `parents` accepts; the general passes otherwise.
    let Some(Totals { min, place: spare }) = totals else {
        return Err(Box::new(graph));
    };
    after("retained sizes");
    // The edge into each node is its only path step; roots start their paths. (In a dead
    // array of the totals, the places, whose pages are resident: faulted in by [`Scratch`],
    // on the other core from [`HELPER_NODES`] nodes, on this one below; none faulted in
    // again.)
    let mut parent = spare;
    parent.clear();
    parent.resize(idom.len(), SUPER);
    for (e, &t) in graph.targets.iter().enumerate() {
        parent[t as usize] = e as u32;
    }
    let paths = RootPaths::from_parts(parent.into(), false, BitSet::new(idom.len()));
    after("root paths");
    let children = children(&graph, &roots);
    let parts = HistogramParts {
        min: Some(min),
        counts,
    };
    Ok(finish(
        graph, idom, children, retained, parts, paths, spill, after,
    ))
}

/// The forest's [`Analysis`] from its parts: the dominator children to their spill files
/// (where the spill takes them), then [`Analysis::finish`].
#[allow(clippy::too_many_arguments)]
fn finish(
    mut graph: HeapGraph,
    idom: Vec<u32>,
    mut children: DomChildren,
    retained: Column<u64>,
    parts: HistogramParts,
    paths: RootPaths,
    spill: &Spill,
    after: &mut dyn FnMut(&str),
) -> Analysis {
    for r in [
        children.offsets.spill(spill),
        children.children.spill(spill),
    ] {
        keep_warning(&mut graph, r);
    }
    after("dominator children");
    let dom = DomTree {
        idom: idom.into(),
        order: Vec::new(),
        orphans_attached: 0,
    };
    Analysis::finish(graph, dom, children, retained, parts, paths, after)
}

/// Why [`in_preorder`] did not take a graph.
enum Left {
    /// Not a forest numbered parents first (the general passes): the graph back.
    NotForest(Box<HeapGraph>),
    /// Maybe a forest, not numbered in its depth-first preorder: the graph and the check's
    /// arrays back, for [`placed`].
    NotPreorder(Box<HeapGraph>, Check),
}

/// [`run`] of a forest numbered in its depth-first preorder with siblings in index order
/// (tracemalloc's call tree, numbered so since tm16): one forward pass ([`preorder`]) checks
/// it and makes `idom`, the retained sizes, the root paths' parents (the edge into each node)
/// and the histogram's minimum retained sizes, in `check`'s arrays and one more of 4 B per
/// node (the paths' parents, allocated unfilled). From [`HELPER_NODES`] nodes the other core
/// meanwhile maps those three arrays' pages ([`map_pages`], from the first node up, ahead of
/// the pass), then makes the histogram's counts (every node of a forest is reachable) and the
/// dominator children's lists (a copy of the targets and the roots, 4 B per node, in room
/// allocated here). Memory: no subtree node counts and no places (8 B per node fewer than
/// [`placed`]'s check and totals), the children's lists instead (4 B per node), and 16 B per
/// level of the pass's stack and 12 B per type.
fn in_preorder(
    mut graph: HeapGraph,
    check: Check,
    spill: &Spill,
    after: &mut dyn FnMut(&str),
) -> Result<Analysis, Left> {
    let n = graph.node_count();
    let roots = graph.root_nodes();
    let (mut check, mut into) = (check, uninit::<u32>(n));
    let stop = AtomicBool::new(false);
    // Allocated here, filled there (see `placed`'s scratch): this thread's malloc arena.
    let mut room = Some(Vec::<u32>::with_capacity(graph.edge_count() + roots.len()));
    let g = &graph;
    let (found, beside) = std::thread::scope(|sc| {
        let helper = if n >= HELPER_NODES {
            let pages = pages_of(&[span(&check.idom), span(&check.retained), span(&into)], n);
            let (stop, roots, room) = (&stop, &roots, room.take());
            std::thread::Builder::new()
                .name("forest pages".into())
                .spawn_scoped(sc, move || {
                    map_pages(&pages, |_| !stop.load(Relaxed));
                    let counts = (!stop.load(Relaxed)).then(|| type_counts_all(g));
                    let lists = (!stop.load(Relaxed)).then(|| lists_in(room, g, roots));
                    counts.zip(lists)
                })
                .ok()
        } else {
            None
        };
        let found = preorder(g, &mut check, &mut into, &roots);
        if found.is_err() {
            stop.store(true, Relaxed);
        }
        // Joined while this function still owns the arrays whose pages the helper maps:
        // they are freed (a failed pass) or handed on only after it.
        let beside = helper.and_then(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (found, beside)
    });
    // SAFETY: `found` is `preorder`'s answer on these very arrays.
    let found = match unsafe { taken(found, check, into) } {
        Ok(found) => found,
        Err(None) => return Err(Left::NotForest(Box::new(graph))),
        Err(Some(check)) => return Err(Left::NotPreorder(Box::new(graph), check)),
    };
    after("dominators");
    let Preorder {
        idom,
        retained,
        into,
        min,
    } = found;
    let mut retained = Column::from(retained);
    let r = retained.spill(spill);
    keep_warning(&mut graph, r);
    let (counts, lists) =
        beside.unwrap_or_else(|| (type_counts_all(&graph), lists_in(room, &graph, &roots)));
    after("retained sizes");
    let paths = RootPaths::from_parts(into.into(), false, BitSet::new(n));
    after("root paths");
    let children = DomChildren {
        offsets: children_offsets(&graph, &roots).into(),
        children: lists.into(),
    };
    let parts = HistogramParts {
        min: Some(min),
        counts: Some(counts),
    };
    Ok(finish(
        graph, idom, children, retained, parts, paths, spill, after,
    ))
}

/// What [`preorder`] makes of a forest numbered in its depth-first preorder.
struct Preorder {
    /// Each node's parent ([`SUPER`] for a root).
    idom: Vec<u32>,
    /// Each node's subtree total (its retained size).
    retained: Vec<u64>,
    /// The edge into each node ([`SUPER`] for a root): its root path's step.
    into: Vec<u32>,
    /// The minimum retained size of each type.
    min: Vec<u64>,
}

/// A node on [`preorder`]'s stack (16 B): its subtree's total so far.
struct Open {
    node: u32,
    ty: u32,
    total: u64,
}

/// One forward pass over a forest numbered in its depth-first preorder with siblings (and
/// roots) in index order: `idom`, the retained sizes and each node's edge in, in `a`'s arrays
/// and `into` (every element written: `idom` and `into` of a node when the edge into it is
/// met, or the roots' at the end, its total when it is closed), and the histogram's minimum
/// retained sizes. `roots` are `g`'s in [`HeapGraph::root_nodes`] order.
///
/// Along the nodes a stack of the open ones: a node's parent (set when its edge was met, at
/// the parent) must be on it, and the nodes above it are closed — their totals final, each
/// added to the node below it — before the node is pushed; a node nothing points to (a
/// root) closes them all. So the stack is each node's ancestors, and the numbering is that
/// preorder exactly when every node finds its parent there (each subtree a run of nodes: a
/// closed node is never a parent again). A node closed while it is its type's only one on
/// the stack has no ancestor of its type: its total goes to its type's minimum (the general
/// passes' walk). `Err(None)` when `g` is no forest numbered parents first (the conditions of
/// [`check`]: every edge strong and to a higher node, one into each node but the roots, none
/// into a root); `Err(Some(()))` at the first node whose parent is not on the stack (what the
/// arrays hold is then meaningless), which may also be a graph that is no forest (a node with
/// no parent and no root entry closes the stack early): [`placed`]'s check says which.
/// `Ok(min)`: every element of `a.idom`, `a.retained` and `into` written ([`taken`]). Memory:
/// 1 bit per node (which have their parent's edge), 12 B per type, 16 B per level of the
/// stack.
fn preorder(
    g: &HeapGraph,
    a: &mut Check,
    into: &mut [MaybeUninit<u32>],
    roots: &[u32],
) -> Result<Vec<u64>, Option<()>> {
    let n = g.node_count();
    if n > 0 && g.edge_count() >= n {
        return Err(None);
    }
    let (Some(shallow), Some(type_of)) = (g.shallow.get(..n), g.type_of.get(..n)) else {
        return Err(None);
    };
    if a.idom.len() != n || a.retained.len() != n || into.len() != n {
        return Err(None);
    }
    let groups = g.types.len();
    let mut min = vec![0u64; groups];
    let mut on_stack = vec![0u32; groups];
    let mut stack: Vec<Open> = Vec::new();
    let mut reached = BitSet::new(n);
    let (idom, retained) = (&mut a.idom, &mut a.retained);
    // The top's total is final: written, added to its type's minimum if it is the only one
    // of its type on the stack, and to the node below it.
    #[inline(always)]
    fn close(
        stack: &mut Vec<Open>,
        retained: &mut [MaybeUninit<u64>],
        on_stack: &mut [u32],
        min: &mut [u64],
    ) {
        if let Some(top) = stack.pop() {
            retained[top.node as usize] = MaybeUninit::new(top.total);
            if let Some(c) = on_stack.get_mut(top.ty as usize) {
                if *c == 1 {
                    min[top.ty as usize] += top.total;
                }
                *c -= 1;
            }
            if let Some(below) = stack.last_mut() {
                below.total += top.total;
            }
        }
    }
    for v in 0..n {
        let parent = if reached.get(v) {
            // SAFETY: its bit is set where its `idom` is written.
            unsafe { idom[v].assume_init() }
        } else {
            SUPER
        };
        while stack.last().is_some_and(|top| top.node != parent) {
            close(&mut stack, retained, &mut on_stack, &mut min);
        }
        if parent != SUPER && stack.is_empty() {
            return Err(Some(()));
        }
        let range = g.offsets[v] as usize..g.offsets[v + 1] as usize;
        for (e, &t) in range.clone().zip(&g.targets[range]) {
            let t = t as usize;
            // A weak edge, an edge back or to itself, a second edge into a node: not a forest
            // numbered parents first.
            if t & WEAK_BIT as usize != 0 || t <= v || t >= n || reached.get(t) {
                return Err(None);
            }
            reached.set(t);
            idom[t] = MaybeUninit::new(v as u32);
            into[t] = MaybeUninit::new(e as u32);
        }
        let ty = type_of[v];
        if let Some(c) = on_stack.get_mut(ty as usize) {
            *c += 1;
        }
        stack.push(Open {
            node: v as u32,
            ty,
            total: shallow[v],
        });
    }
    while !stack.is_empty() {
        close(&mut stack, retained, &mut on_stack, &mut min);
    }
    for &r in roots {
        let r = r as usize;
        if r >= n || reached.get(r) {
            return Err(None);
        }
        reached.set(r);
        idom[r] = MaybeUninit::new(SUPER);
        into[r] = MaybeUninit::new(SUPER);
    }
    // A node with neither a parent nor a root entry is unreached: the general passes say so.
    if reached.count() != n {
        return Err(None);
    }
    // Every node's bit is set, and its `idom` and `into` were written when it was; every
    // node was pushed once and closed once, its total written then.
    Ok(min)
}

/// [`preorder`]'s answer with the arrays it filled: [`Preorder`] when it took the graph, else
/// `None` (not a forest) or the check's arrays back (`Some`, for [`placed`]).
///
/// # Safety
/// `found` is what [`preorder`] returned on `a` and `into`, unchanged since.
unsafe fn taken(
    found: Result<Vec<u64>, Option<()>>,
    a: Check,
    into: Vec<MaybeUninit<u32>>,
) -> Result<Preorder, Option<Check>> {
    match found {
        Err(None) => Err(None),
        Err(Some(())) => Err(Some(a)),
        Ok(min) => {
            let Check { idom, retained, .. } = a;
            // SAFETY: `preorder` answers `Ok` only once every element of these is written.
            unsafe {
                Ok(Preorder {
                    idom: assume_init(idom),
                    retained: assume_init(retained),
                    into: assume_init(into),
                    min,
                })
            }
        }
    }
}

/// The dominator children's lists of a forest: its targets, then the super-root's list, the
/// roots; in `room` if it is given and large enough.
fn lists_in(room: Option<Vec<u32>>, g: &HeapGraph, roots: &[u32]) -> Vec<u32> {
    let len = g.edge_count() + roots.len();
    let mut lists = room.filter(|r| r.capacity() >= len).unwrap_or_default();
    lists.clear();
    lists.reserve_exact(len);
    lists.extend_from_slice(&g.targets);
    lists.extend_from_slice(roots);
    lists
}

/// The dominator children's offsets of a forest (4 B per node): a copy of the CSR's, with the
/// super-root's end.
fn children_offsets(g: &HeapGraph, roots: &[u32]) -> Vec<u32> {
    let n = g.node_count();
    let mut offsets = Vec::with_capacity(n + 2);
    offsets.extend_from_slice(&g.offsets[..=n]);
    offsets.push((g.edge_count() + roots.len()) as u32);
    offsets
}

/// Below this many nodes the forest's arrays are left to fault in on the calling thread (a
/// thread costs more than the faults of 2 MiB of arrays).
const HELPER_NODES: usize = 1 << 18;

/// The arrays [`parents`] fills (`idom` 4 and the retained sizes 8 B per node, kept; subtree
/// node counts 4, transient), allocated but not filled: each element is written before it is
/// read (a node's totals are made before its parent's, and every `idom` is written once the
/// check passes), so no pass zeroes them (a calloc of memory the parse freed is a memset,
/// which faults every page in on the calling thread). While this core checks the edges
/// (from the last node down), the other fills the totals' [`Scratch`] (allocated here),
/// then maps these arrays' pages ([`map_pages`]) from the first node up until it
/// meets the check: real-deep350's 4.06 M nodes took 29.6 K page faults on the calling
/// thread (16.7 K in the check, 12.8 K in the totals), ~40 % of the two stages' time. Same
/// peak: the totals held all five arrays before too.
struct Check {
    idom: Vec<MaybeUninit<u32>>,
    retained: Vec<MaybeUninit<u64>>,
    size: Vec<MaybeUninit<u32>>,
}

/// `n` elements, none written yet.
fn uninit<T>(n: usize) -> Vec<MaybeUninit<T>> {
    let mut v = Vec::with_capacity(n);
    // SAFETY: the capacity is at least `n`, and a `MaybeUninit` needs no initialisation.
    unsafe { v.set_len(n) };
    v
}

/// `v`, every element of which has been written.
///
/// # Safety
/// Every element of `v` is initialised.
unsafe fn assume_init<T>(v: Vec<MaybeUninit<T>>) -> Vec<T> {
    let mut v = std::mem::ManuallyDrop::new(v);
    let (ptr, len, cap) = (v.as_mut_ptr(), v.len(), v.capacity());
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, the allocation is `v`'s own (not
    // dropped), and the caller says every element is initialised.
    unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, cap) }
}

/// `v`'s memory as `n` elements not yet written, if it holds at least `n` and was written
/// (made resident) no further than a quarter past them; else `None` (and `v` freed).
fn reused<T: Copy>(v: Vec<T>, n: usize) -> Option<Vec<MaybeUninit<T>>> {
    if n == 0 || v.capacity() < n || v.len() > n + n / 4 {
        return None;
    }
    let mut v = std::mem::ManuallyDrop::new(v);
    let (ptr, cap) = (v.as_mut_ptr(), v.capacity());
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, the allocation is `v`'s own (not
    // dropped), `n` is within its capacity, and a `MaybeUninit` needs no initialisation.
    unsafe {
        let mut out = Vec::from_raw_parts(ptr.cast::<MaybeUninit<T>>(), 0, cap);
        out.set_len(n);
        Some(out)
    }
}

impl Check {
    #[cfg(test)]
    fn new(n: usize) -> Check {
        Check::in_spare(n, Spare::default()).sized()
    }

    /// The check's arrays for `n` nodes, `idom` in the spare's parents' memory and the
    /// retained sizes in its ids', where they fit ([`reused`]; a spare the graph's call tree
    /// left: resident pages), else fresh.
    fn in_spare(n: usize, spare: Spare) -> Check {
        let Spare { ids, parents } = spare;
        Check {
            idom: reused(parents, n).unwrap_or_else(|| uninit(n)),
            retained: reused(ids, n).unwrap_or_else(|| uninit(n)),
            // Only the placing passes' check ([`parents`]) needs them: [`Check::sized`].
            size: Vec::new(),
        }
    }

    /// With the subtrees' node counts allocated (not filled), for [`parents`].
    fn sized(mut self) -> Check {
        let n = self.idom.len();
        if self.size.len() != n {
            self.size = uninit(n);
        }
        self
    }

    /// The arrays' memory as (address, bytes), in the order [`map_pages`] maps it: a run of
    /// [`PAGES_RUN`] nodes of each at a time from the first node on (span `i` is of run
    /// `i / 3`).
    fn pages(&self) -> Vec<(usize, usize)> {
        pages_of(
            &[span(&self.idom), span(&self.retained), span(&self.size)],
            self.idom.len(),
        )
    }
}

/// An array's start and element size, for [`pages_of`].
fn span<T>(v: &[T]) -> (usize, usize) {
    (v.as_ptr() as usize, std::mem::size_of::<T>())
}

/// The memory of `n` elements of each of `arrays` (start, element size) as (address,
/// bytes), in the order [`map_pages`] maps it: a run of [`PAGES_RUN`] nodes of each array at a
/// time from the first node on (span `i` is of run `i / arrays.len()`).
fn pages_of(arrays: &[(usize, usize)], n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(n.div_ceil(PAGES_RUN) * arrays.len());
    let mut a = 0;
    while a < n {
        let b = n.min(a + PAGES_RUN);
        for &(start, size) in arrays {
            out.push((start + a * size, (b - a) * size));
        }
        a = b;
    }
    out
}

/// [`forest_totals`]' scratch array: each node's place in the preorder, 4 B, filled with
/// [`SUPER`] (a place is read only where written, but a forest the check passed is trusted
/// no further than that; the fill faults its pages in, on the other core from
/// [`HELPER_NODES`] nodes); the root paths take it once it is dead. The placing passes' other
/// array (the end of each place's subtree and its type, 8 B per node) is allocated by them
/// (a forest numbered in its preorder, tracemalloc's, takes [`in_preorder`] and none of
/// these arrays: until tm20c the one-pass totals took it after the check). (The dominator children's offsets
/// were made here too, beside the check, but then held 4 B per node through the stages' peak:
/// [`children`] makes them once the retained sizes have gone to their file.)
struct Scratch {
    place: Vec<u32>,
}

impl Scratch {
    /// Filled on the calling thread (its pages resident, as [`Scratch::fill`]'s).
    fn filled(n: usize) -> Scratch {
        Scratch::room(n)
            .fill(n, &AtomicBool::new(false))
            .unwrap_or_else(|| Scratch::room(0))
    }

    /// An empty array with room for `n` nodes, for [`Scratch::fill`].
    fn room(n: usize) -> Scratch {
        Scratch {
            place: Vec::with_capacity(n),
        }
    }

    /// [`Scratch::filled`] in the room of `self` (filled on the thread that calls it, its
    /// pages faulted in there), unless `stop` (the graph is no forest) comes first.
    fn fill(mut self, n: usize, stop: &AtomicBool) -> Option<Scratch> {
        if stop.load(Relaxed) {
            return None;
        }
        self.place.resize(n, SUPER);
        (!stop.load(Relaxed)).then_some(self)
    }
}

/// Nodes per run of [`Check::pages`] (1 MiB of retained sizes).
const PAGES_RUN: usize = 1 << 17;

/// Map the pages of `spans` (address, bytes) writable, in order, each with one
/// `MADV_POPULATE_WRITE` (Linux 5.14+) of the whole pages it holds, while `go_on(its index)`. The kernel
/// maps a missing page zero-filled, as the first write's fault would, and leaves a present
/// one as it is: it never changes what the array holds, so the calling thread may be
/// writing the same arrays meanwhile. Advice only: where the call fails (an older kernel,
/// another system) the pages fault in on first touch as before.
fn map_pages(spans: &[(usize, usize)], go_on: impl Fn(usize) -> bool) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = usize::try_from(page).unwrap_or(4096).max(1);
        for (i, &(addr, bytes)) in spans.iter().enumerate() {
            if !go_on(i) {
                return;
            }
            let start = addr.next_multiple_of(page);
            let end = (addr + bytes) / page * page;
            if end <= start {
                continue;
            }
            // SAFETY: [start, end) lies inside a live allocation (the caller joins this
            // thread before freeing the arrays); MADV_POPULATE_WRITE only maps its pages and
            // never changes their contents.
            let done = unsafe {
                libc::madvise(
                    start as *mut libc::c_void,
                    end - start,
                    libc::MADV_POPULATE_WRITE,
                )
            };
            if done != 0 {
                return;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (spans, go_on);
}

/// What [`parents`] finds of a forest numbered parents first.
struct Parents {
    /// Each node's parent ([`SUPER`] for a root).
    idom: Vec<u32>,
    /// The roots in [`HeapGraph::root_nodes`] order.
    roots: Vec<u32>,
    /// Each node's subtree total (its retained size).
    retained: Vec<u64>,
    /// Each node's subtree node count.
    size: Vec<u32>,
}

/// Each node's parent, the roots, and each subtree's total and node count (see [`Parents`]),
/// in the arrays of `a` ([`Check`]), if the graph is a forest numbered parents first; else
/// the arrays back (what they hold is meaningless). One pass over the edges from the last node back: a node's children come after
/// it, so their totals are final when it is reached and its own are made at once (the check
/// and the totals were two passes, the shallow sizes copied first: real-deep350's retained
/// stage 0.12–0.13 CPU s before). Which nodes have a parent is a bit each (no pass setting
/// every `idom` to a mark first and none looking for it after).
fn parents(g: &HeapGraph, a: Check, at: &AtomicUsize) -> Result<Parents, Check> {
    let mut a = a.sized();
    let Some(roots) = check(g, &mut a, at) else {
        return Err(a);
    };
    let Check {
        idom,
        retained,
        size,
    } = a;
    // SAFETY: `check` wrote every node's totals, and every node's `idom` (see there).
    unsafe {
        Ok(Parents {
            idom: assume_init(idom),
            roots,
            retained: assume_init(retained),
            size: assume_init(size),
        })
    }
}

/// [`parents`]' pass: the roots if `g` is a forest numbered parents first, and then every
/// element of `a`'s arrays written. `at`: the node it has come down to, at each multiple of
/// [`PAGES_RUN`] (for [`map_pages`] on the other core).
fn check(g: &HeapGraph, a: &mut Check, at: &AtomicUsize) -> Option<Vec<u32>> {
    let n = g.node_count();
    if n > 0 && g.edge_count() >= n {
        return None;
    }
    let shallow = g.shallow.get(..n)?;
    let Check {
        idom,
        retained,
        size,
    } = a;
    if idom.len() != n || retained.len() != n || size.len() != n {
        return None;
    }
    let mut reached = BitSet::new(n);
    for u in (0..n).rev() {
        if u % PAGES_RUN == 0 {
            at.store(u, Relaxed);
        }
        let range = g.offsets[u] as usize..g.offsets[u + 1] as usize;
        let (mut r, mut c) = (shallow[u], 1u32);
        for &t in &g.targets[range] {
            let t = t as usize;
            // A weak edge, an edge back or to itself, a second edge into a node: not a forest
            // numbered parents first.
            if t & WEAK_BIT as usize != 0 || t <= u || t >= n || reached.get(t) {
                return None;
            }
            reached.set(t);
            idom[t] = MaybeUninit::new(u as u32);
            // SAFETY: u < t < n, and every node above u had its totals written when the loop
            // passed it.
            unsafe {
                r += retained[t].assume_init();
                c += size[t].assume_init();
            }
        }
        retained[u] = MaybeUninit::new(r);
        size[u] = MaybeUninit::new(c);
    }
    let roots = g.root_nodes();
    for &r in &roots {
        let r = r as usize;
        if r >= n || reached.get(r) {
            return None;
        }
        reached.set(r);
        idom[r] = MaybeUninit::new(SUPER);
    }
    // A node with neither a parent nor a root entry is unreached: the general passes say so.
    if reached.count() != n {
        return None;
    }
    // The loop wrote every node's totals, and every node's `idom` was written when its bit
    // was set: all n bits are.
    Some(roots)
}

/// The minimum retained size of each of `groups` types of a forest numbered parents first
/// (`idom` its parents, [`SUPER`] for a root; `size` its subtree node counts, `retained` its
/// subtree totals, both from [`parents`]): the sum of the totals of the nodes with no ancestor
/// of their type (as the general passes' walk makes them). Sequential passes over flat
/// arrays, no walk of children lists:
///
/// 1. (in [`parents`]) backward: each node's total and node count;
/// 2. forward: each node's place in a depth-first preorder (siblings in index order): a
///    root's is the next free one, a child's its parent's cursor, which then moves past the
///    child's subtree (one array: a node's count becomes its own cursor once it is placed);
///    each node's place is kept, and at that place the end of its subtree and its type;
/// 3. along the preorder (sequential): a stack of the current node's ancestors (popped past
///    their subtree's end) and a count per type of those of that type mark the places of the
///    nodes with no ancestor of their type (1 bit per node);
/// 4. by node: a marked node adds its total to its type's minimum.
///
/// The random accesses are writes (the scatter of pass 2) and reads of the bits (cache
/// resident); the parent's entry in passes 1 and 2 is often the node just before. `None` if
/// the arrays disagree (a parent not before its child): never for the forests `parents`
/// accepts. Returns the minimums and the places, a dead array of `u32` whose resident pages
/// the root paths take. (A forest numbered in that preorder already takes [`preorder`]
/// instead, before any of this.) Memory: while the minimums are made, 12 B/node (places 4,
/// ends and types 8; `size` is freed after pass 2), 1 bit per node, 4 B per type and 8 B per
/// level of the stack.
fn forest_totals(
    idom: &[u32],
    retained: &[u64],
    mut size: Vec<u32>,
    mut place: Vec<u32>,
    type_of: &[u32],
    groups: usize,
) -> Option<Totals> {
    let n = idom.len();
    let (retained, type_of) = (retained.get(..n)?, type_of.get(..n)?);
    if size.len() != n || place.len() != n {
        return None;
    }
    // (end of the subtree, type) at each place: every place is written once in a forest
    // the check passed, zeroed all the same.
    let mut at_place: Vec<(u32, u32)> = vec![(0, 0); n];
    // 2. The preorder: `size[v]`, once v is placed, is the place of its next child.
    let mut next_root = 0u32;
    for v in 0..n {
        let p = idom[v];
        let s = size[v];
        let cursor = if p == SUPER {
            &mut next_root
        } else {
            &mut size[p as usize]
        };
        let k = *cursor;
        *cursor += s;
        *at_place.get_mut(k as usize)? = (k + s, type_of[v]);
        place[v] = k;
        size[v] = k + 1;
    }
    drop(size);
    // 3. The first node of its type on each path, marked at its place.
    let mut first = BitSet::new(n);
    let mut on_stack = vec![0u32; groups];
    // (end of the subtree, type)
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for (k, &(end, t)) in at_place.iter().enumerate() {
        while let Some(&(e, a)) = stack.last() {
            if e as usize > k {
                break;
            }
            stack.pop();
            if let Some(c) = on_stack.get_mut(a as usize) {
                *c -= 1;
            }
        }
        if let Some(c) = on_stack.get_mut(t as usize) {
            if *c == 0 {
                first.set(k);
            }
            *c += 1;
        }
        stack.push((end, t));
    }
    drop((at_place, stack, on_stack));
    // 4. Their totals, by node.
    let mut min = vec![0u64; groups];
    for (v, &k) in place.iter().enumerate() {
        if first.get(k as usize) {
            min[type_of[v] as usize] += retained[v];
        }
    }
    Some(Totals { min, place })
}

/// What [`forest_totals`] gives back.
struct Totals {
    /// The minimum retained size of each type.
    min: Vec<u64>,
    /// The places, dead: the root paths' parents take their room.
    place: Vec<u32>,
}

/// The dominator children of a forest: each node's list is its CSR edge list, the super-root's
/// (index `n`) the roots.
/// The offsets (4 B per node: a copy of the CSR's, with the super-root's end) and the lists
/// are made here, after the retained sizes' stage: made beside the check (no page faults on
/// this thread) the offsets held their 4 B per node through that stage's peak (F1, 7.8 M
/// nodes: 30 MiB).
fn children(g: &HeapGraph, roots: &[u32]) -> DomChildren {
    DomChildren {
        offsets: children_offsets(g, roots).into(),
        children: lists_in(None, g, roots).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spill::Heap;
    use crate::{GraphBuilder, Label, NodeIdx, NodeKind, Policy};

    /// What the general passes make of `g`, as `Analysis::run_spilled` runs them in memory.
    struct General {
        idom: Vec<u32>,
        children: DomChildren,
        retained: Vec<u64>,
        paths: RootPaths,
        /// Per type, its minimum retained size by one walk of the children lists.
        min: Vec<u64>,
    }

    fn general(g: &HeapGraph) -> General {
        let d = crate::dominators::dominators_in(g, &Heap, &Heap, false, None);
        let paths = RootPaths::compute(g);
        let children = DomChildren::build_in(&d.idom, &d.order, &Heap);
        let retained = children.retained_sizes(g);
        let min = crate::walks::min_retained_by(
            &children,
            &retained,
            crate::walks::Start::SuperRoot,
            g.types.len(),
            |v| g.type_of[v as usize],
        );
        General {
            idom: d.idom.to_vec(),
            children,
            retained,
            paths,
            min,
        }
    }

    fn same(a: &Analysis, b: &General) {
        let g = &a.graph;
        assert_eq!(a.dom.idom, b.idom);
        assert_eq!(a.dom.orphans_attached, 0);
        assert_eq!(a.children.offsets, b.children.offsets);
        assert_eq!(a.children.children, b.children.children);
        assert_eq!(a.retained, b.retained);
        assert_eq!(a.paths.parent_column(), b.paths.parent_column());
        assert_eq!(a.paths.by_node(), b.paths.by_node());
        for v in 0..g.node_count() as u32 {
            assert_eq!(
                a.paths.via_weak.get(v as usize),
                b.paths.via_weak.get(v as usize)
            );
            assert_eq!(a.path_to(NodeIdx(v)), b.paths.path_to(g, NodeIdx(v)));
        }
        assert_eq!(a.preorder(), b.children.preorder());
        // The histogram's minimum retained sizes: a type without a row has none.
        let mut min = vec![0u64; b.min.len()];
        for r in &a.histogram {
            min[r.type_id as usize] = r.retained;
        }
        assert_eq!(min, b.min);
    }

    fn is_forest(g: &HeapGraph) -> bool {
        parents(g, Check::new(g.node_count()), &AtomicUsize::new(0)).is_ok()
    }

    /// A random forest numbered parents first, with its roots listed in a shuffled order (and
    /// one listed twice), sizes from a fixed-seed generator.
    fn random_forest(seed: u64, n: usize) -> HeapGraph {
        random_forest_of(seed, n, Shape::Any)
    }

    /// How [`random_forest_of`] picks each node's parent among the nodes before it.
    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Shape {
        /// Any node before it.
        Any,
        /// One a few nodes before it: long chains, so that the walks split the tree below a
        /// cut-off top into runs.
        Deep,
        /// One on the chain the nodes before it leave open: a depth-first preorder (as
        /// tracemalloc numbers its tree), with chains `depth` long at most.
        Preorder { depth: usize },
    }

    /// [`random_forest`] of the given shape.
    fn random_forest_of(seed: u64, n: usize, shape: Shape) -> HeapGraph {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut open: Vec<usize> = Vec::new();
        let parent: Vec<Option<usize>> = (0..n)
            .map(|v| match shape {
                Shape::Any => (v > 0 && next() % 5 != 0).then(|| (next() % v as u64) as usize),
                Shape::Deep => (v > 0 && next() % 500 != 0)
                    .then(|| v.saturating_sub(1 + (next() % 3) as usize)),
                Shape::Preorder { depth } => {
                    // Mostly one level deeper or a sibling; now and then back up anywhere.
                    let keep = match next() % 8 {
                        0..=3 => open.len(),
                        4 | 5 => open.len().saturating_sub(1),
                        _ => (next() % (open.len() as u64 + 1)) as usize,
                    };
                    open.truncate(keep.min(depth.saturating_sub(1)));
                    let p = open.last().copied();
                    open.push(v);
                    p
                }
            })
            .collect();
        forest_from(&parent, next)
    }

    /// The forest whose node `v` has parent `parent[v]` (`None`: a root), numbered as given,
    /// types and sizes from `next`; its roots listed in reverse order (and the first listed
    /// twice), each node's children edges in a scrambled but fixed order.
    fn forest_from(parent: &[Option<usize>], mut next: impl FnMut() -> u64) -> HeapGraph {
        let n = parent.len();
        let mut kids_of: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (c, p) in parent.iter().enumerate() {
            if let Some(p) = *p {
                kids_of[p].push(c);
            }
        }
        let mut b = GraphBuilder::new();
        let call = Label::Name(b.intern_label("calls"));
        let types: Vec<_> = (0..7).map(|i| b.intern_type(&format!("t{i}"))).collect();
        for v in 0..n {
            let ty = types[(next() % 7) as usize];
            b.add_node(v as u64 + 1, ty, NodeKind::Frame, next() % 1000);
        }
        let mut roots: Vec<usize> = (0..n).filter(|&v| parent[v].is_none()).collect();
        roots.reverse();
        if let Some(&r) = roots.first() {
            roots.push(r);
        }
        for r in roots {
            b.add_root_idx(NodeIdx(r as u32), "outermost frame", None);
        }
        b.finish_nodes();
        for (u, kids) in kids_of.into_iter().enumerate() {
            // Children in a scrambled but fixed order: the sibling order is the edge order.
            let mut kids = kids;
            kids.sort_by_key(|&c| (c * 7919) % 13);
            if kids.is_empty() {
                continue;
            }
            b.begin_node(NodeIdx(u as u32));
            for c in kids {
                b.edge_to_idx(NodeIdx(c as u32), false, call);
            }
        }
        b.finish(Policy::TREE)
    }

    #[test]
    fn a_forest_gives_what_the_general_passes_give() {
        for seed in 1..40u64 {
            let n = 1 + (seed as usize * 37) % 300;
            let g = random_forest(seed, n);
            assert!(is_forest(&g), "seed {seed}: not taken as a forest");
            let expected = general(&g);
            same(&Analysis::run(g), &expected);
        }
        // Deep and wide enough that the retained walk splits it into runs on two threads.
        for seed in 1..4u64 {
            let shape = if seed != 2 { Shape::Deep } else { Shape::Any };
            let g = random_forest_of(seed, 20_000, shape);
            assert!(is_forest(&g), "seed {seed}: not taken as a forest");
            let expected = general(&g);
            same(&Analysis::run(g), &expected);
        }
    }

    /// Forests large enough that their arrays' pages are mapped on another thread while the
    /// edges are checked ([`HELPER_NODES`]): the general passes' result all the same.
    #[test]
    fn a_forest_whose_pages_are_mapped_beside_gives_the_same() {
        for (seed, shape) in [
            (7u64, Shape::Any),
            (8, Shape::Deep),
            (9, Shape::Preorder { depth: 25 }),
        ] {
            let g = random_forest_of(seed, HELPER_NODES + 1 + seed as usize * 1000, shape);
            assert!(is_forest(&g), "seed {seed}: not taken as a forest");
            let expected = general(&g);
            same(&Analysis::run(g), &expected);
        }
    }

    /// Mapping the pages of arrays that hold data, while they do and once again, changes
    /// nothing in them; the spans of [`Check::pages`] cover its arrays, in runs.
    #[test]
    fn mapping_pages_keeps_what_the_arrays_hold() {
        let n = 3 * PAGES_RUN + 12_345;
        let mut a = Check::new(n);
        for v in 0..n {
            a.idom[v] = MaybeUninit::new(v as u32 ^ 0x5a5a);
            a.retained[v] = MaybeUninit::new((v as u64) << 20 | 7);
            a.size[v] = MaybeUninit::new(!(v as u32));
        }
        let stop = AtomicBool::new(false);
        map_pages(&a.pages(), |_| true);
        map_pages(&a.pages(), |i| i % 2 == 0);
        let spans = a.pages();
        assert_eq!(spans.len(), 3 * n.div_ceil(PAGES_RUN));
        assert_eq!(spans.iter().map(|s| s.1).sum::<usize>(), n * 16);
        // SAFETY: every element was written above.
        let (idom, retained, size) = unsafe {
            (
                assume_init(a.idom),
                assume_init(a.retained),
                assume_init(a.size),
            )
        };
        for v in 0..n {
            assert_eq!(idom[v], v as u32 ^ 0x5a5a);
            assert_eq!(retained[v], (v as u64) << 20 | 7);
            assert_eq!(size[v], !(v as u32));
        }
        let s = Scratch::room(n).fill(n, &stop).expect("not stopped");
        assert!(s.place.iter().all(|&p| p == SUPER));
        assert_eq!(s.place.len(), n);
        stop.store(true, Relaxed);
        assert!(Scratch::room(n).fill(n, &stop).is_none());
    }

    /// [`forest_totals`] of forest `g` (its [`Parents`]' `idom`, `retained` and `size`), with a
    /// scratch filled as the analysis fills it.
    fn filled_totals(g: &HeapGraph, idom: &[u32], retained: &[u64], size: Vec<u32>) -> Totals {
        let s = Scratch::filled(g.node_count());
        forest_totals(idom, retained, size, s.place, &g.type_of, g.types.len()).expect("taken")
    }

    /// The retained sizes of [`parents`] and minimum retained sizes of [`forest_totals`]
    /// against the general passes, on forests numbered in a depth-first preorder (shallow
    /// chains repeat a type along a path often, deep ones rarely) and in any other order
    /// parents first.
    #[test]
    fn forest_totals_equal_the_general_passes() {
        for seed in 1..80u64 {
            let n = 1 + (seed as usize * 53) % 700;
            let shape = match seed % 7 {
                5 => Shape::Any,
                6 => Shape::Deep,
                k => Shape::Preorder {
                    depth: [1, 2, 5, 30, n][k as usize % 5],
                },
            };
            let g = random_forest_of(seed, n, shape);
            let Ok(f) = parents(&g, Check::new(g.node_count()), &AtomicUsize::new(0)) else {
                panic!("seed {seed}: not a forest");
            };
            let min = filled_totals(&g, &f.idom, &f.retained, f.size).min;
            let expected = general(&g);
            assert_eq!(f.retained, expected.retained, "seed {seed} {shape:?}");
            assert_eq!(min, expected.min, "seed {seed} {shape:?}");
            same(&Analysis::run(g), &expected);
        }
    }

    /// [`preorder`] on `g` with fresh arrays, as [`in_preorder`] runs it.
    fn forward_pass(g: &HeapGraph) -> Result<Preorder, Option<Check>> {
        let n = g.node_count();
        let (mut a, mut into) = (Check::in_spare(n, Spare::default()), uninit(n));
        let found = preorder(g, &mut a, &mut into, &g.root_nodes());
        // SAFETY: `found` is `preorder`'s answer on these arrays.
        unsafe { taken(found, a, into) }
    }

    /// Whether node `v` is at place `v` of the depth-first preorder with siblings (and roots)
    /// in index order, for every node: by an explicit walk of children lists.
    fn numbered_in_preorder(idom: &[u32]) -> bool {
        let n = idom.len();
        let mut kids: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut stack: Vec<u32> = Vec::new();
        for (v, &p) in idom.iter().enumerate() {
            if p == SUPER {
                stack.push(v as u32);
            } else {
                kids[p as usize].push(v as u32);
            }
        }
        stack.reverse();
        let mut place = 0;
        while let Some(v) = stack.pop() {
            if v != place {
                return false;
            }
            place += 1;
            stack.extend(kids[v as usize].iter().rev());
        }
        true
    }

    /// The one forward pass takes a forest exactly when it is numbered in its preorder
    /// (checked by a walk of children lists), and then gives the general passes' `idom`,
    /// retained sizes, root paths' parents and minimums; forests numbered otherwise (random
    /// parents, long chains) are left to the check and the placing passes, whose minimums are
    /// the same, on every forest.
    #[test]
    fn the_forward_pass_takes_exactly_the_forests_numbered_in_preorder() {
        let (mut taken, mut left) = (0, 0);
        for seed in 1..120u64 {
            let n = 1 + (seed as usize * 37) % 500;
            let shape = match seed % 4 {
                0 => Shape::Any,
                1 => Shape::Deep,
                k => Shape::Preorder {
                    depth: [3, n][k as usize % 2],
                },
            };
            let g = random_forest_of(seed, n, shape);
            let Ok(f) = parents(&g, Check::new(n), &AtomicUsize::new(0)) else {
                panic!("seed {seed}: not a forest");
            };
            let expected = general(&g);
            // The one forward pass: taken exactly then, with the general passes' `idom`,
            // retained sizes, root paths' parents and minimums.
            let pass = forward_pass(&g);
            assert_eq!(pass.is_ok(), numbered_in_preorder(&f.idom), "seed {seed}");
            match pass {
                Ok(p) => {
                    taken += 1;
                    assert_eq!(p.idom, expected.idom, "seed {seed} {shape:?}");
                    assert_eq!(p.retained, expected.retained, "seed {seed} {shape:?}");
                    assert_eq!(
                        p.into[..],
                        expected.paths.parent_column()[..],
                        "seed {seed}"
                    );
                    assert_eq!(p.min, expected.min, "seed {seed} {shape:?}");
                }
                // A forest, so never "not a forest".
                Err(not) => {
                    assert!(not.is_some(), "seed {seed}");
                    left += 1;
                }
            }
            let t = filled_totals(&g, &f.idom, &f.retained, f.size);
            assert_eq!(t.min, expected.min, "seed {seed} {shape:?}");
        }
        assert!(taken > 20 && left > 20, "taken {taken}, left {left}");
    }

    /// Targets in a spill file because the builder grew them there (not out of core, a call
    /// tree through `CallTree::into_graph`): still taken as a forest, with the general passes'
    /// result.
    #[test]
    fn a_forest_with_its_targets_in_a_file_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::to_dir(dir.path()).min_bytes(1);
        for seed in 1..8u64 {
            let mut x = seed;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut t = crate::CallTree::new();
            let frames: Vec<u32> = (0..9).map(|k| t.intern_frame(&[k as u8])).collect();
            for v in 0..200 + seed as usize * 50 {
                let p = if v == 0 || next() % 5 == 0 {
                    crate::calltree::NO_PARENT
                } else {
                    (next() % v as u64) as u32
                };
                let node = t.push_new(p, frames[(next() % 9) as usize]);
                t.add(node, next() % 1000, 1 + next() % 3);
            }
            t.finish_new();
            let mut b = GraphBuilder::new().with_spill(&spill).grow_in_files();
            let call = Label::Name(b.intern_label("calls"));
            let types = (0..t.len())
                .map(|i| b.intern_type(&format!("t{}", t.frame()[i])))
                .collect();
            let types = crate::calltree::NodeTypes::PerNode(types);
            t.into_graph(&mut b, types, None, call, true, &[]);
            let g = b.finish(Policy::TREE);
            assert_eq!(g.targets.is_spilled(), spill.is_usable());
            assert!(!g.offsets.is_spilled());
            let expected = general(&g);
            let Ok(a) = run(g, &spill, &mut |_| {}) else {
                panic!("seed {seed}: not taken as a forest");
            };
            // The retained sizes went to their file before the minimums were made from them
            // (read through the mapping): the same histogram all the same.
            assert_eq!(a.retained.is_spilled(), spill.is_usable());
            same(&a, &expected);
        }
    }

    /// Arrays holding other values (a dead column's), `len` long with room for `cap`.
    fn garbage(len: usize, cap: usize) -> Spare {
        let mut ids: Vec<u64> = Vec::with_capacity(cap);
        ids.extend((0..len as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1));
        let mut parents: Vec<u32> = Vec::with_capacity(cap);
        parents.extend((0..len as u32).map(|i| i.wrapping_mul(2_654_435_761)));
        Spare { ids, parents }
    }

    /// A forest checked in a spare (a call tree's dead columns: arrays that hold other values,
    /// as long as the forest or a little longer) makes what the general passes make, in the
    /// spare's memory; spares too short, or written far past the forest's length, are not
    /// taken (fresh arrays instead).
    #[test]
    fn a_forest_checked_in_a_spare_gives_the_same() {
        for (seed, shape) in [
            (21u64, Shape::Any),
            (22, Shape::Deep),
            (23, Shape::Preorder { depth: 25 }),
        ] {
            let n = 5_000 + seed as usize * 100;
            let g = random_forest_of(seed, n, shape);
            let expected = general(&g);
            // As long, longer (capacity), and a little longer (written).
            for (len, cap) in [(n, n), (n, 2 * n), (n + n / 8, n + n / 8)] {
                let spare = garbage(len, cap);
                let (ip, pp) = (spare.ids.as_ptr() as usize, spare.parents.as_ptr() as usize);
                let check = Check::in_spare(n, spare);
                assert_eq!(check.retained.as_ptr() as usize, ip, "{seed} {len} {cap}");
                assert_eq!(check.idom.as_ptr() as usize, pp, "{seed} {len} {cap}");
                let Ok(found) = parents(&g, check, &AtomicUsize::new(n)) else {
                    panic!("seed {seed}: not taken as a forest");
                };
                assert_eq!(found.idom, expected.idom, "{seed} {len} {cap}");
                assert_eq!(found.retained, expected.retained, "{seed} {len} {cap}");
            }
            // The cut: written up to a quarter past the forest is taken, one element more is not.
            for (len, taken) in [(n + n / 4, true), (n + n / 4 + 1, false)] {
                let Spare { ids, parents: up } = garbage(len, len);
                assert_eq!(reused(ids, n).is_some(), taken, "{seed} {len}");
                assert_eq!(reused(up, n).is_some(), taken, "{seed} {len}");
            }
            // Too short, or written far past the forest: fresh arrays.
            for (len, cap) in [(n - 1, n - 1), (2 * n, 2 * n)] {
                let Spare { ids, parents: up } = garbage(len, cap);
                assert!(reused(ids, n).is_none(), "{seed} {len}");
                assert!(reused(up, n).is_none(), "{seed} {len}");
                let check = Check::in_spare(n, garbage(len, cap));
                assert_eq!((check.idom.len(), check.retained.len()), (n, n));
                let Ok(found) = parents(&g, check, &AtomicUsize::new(n)) else {
                    panic!("seed {seed}: not taken as a forest");
                };
                assert_eq!(found.idom, expected.idom, "{seed} {len} {cap}");
                assert_eq!(found.retained, expected.retained, "{seed} {len} {cap}");
            }
        }
        // Whole analyses with a spare in the graph, above and below the helper thread's
        // size: the general passes' result.
        for (seed, n) in [(24u64, HELPER_NODES + 1000), (25, 3000)] {
            let mut g = random_forest_of(seed, n, Shape::Preorder { depth: 25 });
            let expected = general(&g);
            g.spare = garbage(n, n);
            let (ip, pp) = (
                g.spare.ids.as_ptr() as usize,
                g.spare.parents.as_ptr() as usize,
            );
            let a = Analysis::run(g);
            // The one forward pass of a forest numbered in its preorder checks it in the
            // spare's memory too.
            assert_eq!(a.retained.as_ptr() as usize, ip, "{seed}");
            assert_eq!(a.dom.idom.as_ptr() as usize, pp, "{seed}");
            same(&a, &expected);
        }
        // Out of core the general passes run: the spare is freed before they start, not
        // carried through them.
        let mut g = random_forest_of(26, 3000, Shape::Preorder { depth: 25 });
        g.spare = garbage(3000, 3000);
        let Err(g) = run(g, &Spill::temp().out_of_core(true), &mut |_| {}) else {
            panic!("out of core: the general passes");
        };
        assert_eq!(g.spare.bytes(), 0);
    }

    /// A call tree's graph carries the tree's dead ids and parents to its analysis
    /// (`CallTree::into_graph` → `Spare`): the forest analysis takes them as its retained
    /// sizes and `idom` (the same memory), with the general passes' result.
    #[test]
    fn a_call_trees_dead_columns_travel_in_its_graph() {
        for seed in 1..6u64 {
            let mut x = seed;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut t = crate::CallTree::new();
            let frames: Vec<u32> = (0..9).map(|k| t.intern_frame(&[k as u8])).collect();
            for v in 0..300 + seed as usize * 70 {
                let p = if v == 0 || next() % 5 == 0 {
                    crate::calltree::NO_PARENT
                } else {
                    (next() % v as u64) as u32
                };
                let node = t.push_new(p, frames[(next() % 9) as usize]);
                t.add(node, next() % 1000, 1 + next() % 3);
            }
            t.finish_new();
            let n = t.len();
            let mut b = GraphBuilder::new();
            let call = Label::Name(b.intern_label("calls"));
            let types = (0..n)
                .map(|i| b.intern_type(&format!("t{}", t.frame()[i])))
                .collect();
            let types = crate::calltree::NodeTypes::PerNode(types);
            t.into_graph(&mut b, types, None, call, true, &[]);
            let g = b.finish(Policy::TREE);
            assert!(
                g.spare.ids.len() >= n && g.spare.parents.len() == n,
                "{seed}"
            );
            // Out of core (the general passes' way) the columns are freed at once.
            let mut chain = crate::CallTree::new();
            let f = chain.intern_frame(b"f");
            for v in 0..n {
                let p = v
                    .checked_sub(1)
                    .map_or(crate::calltree::NO_PARENT, |p| p as u32);
                chain.push_new(p, f);
            }
            chain.finish_new();
            let mut ooc = GraphBuilder::new().with_spill(&Spill::temp().out_of_core(true));
            let call = Label::Name(ooc.intern_label("calls"));
            let types = crate::calltree::NodeTypes::PerNode(vec![ooc.intern_type("t"); n]);
            chain.into_graph(&mut ooc, types, None, call, true, &[]);
            assert_eq!(ooc.finish(Policy::TREE).spare.bytes(), 0, "{seed}");
            let (ip, pp) = (
                g.spare.ids.as_ptr() as usize,
                g.spare.parents.as_ptr() as usize,
            );
            let expected = general(&g);
            let Ok(a) = run(g, &Spill::never(), &mut |_| {}) else {
                panic!("seed {seed}: not taken as a forest");
            };
            assert_eq!(a.retained.as_ptr() as usize, ip, "{seed}");
            assert_eq!(a.dom.idom.as_ptr() as usize, pp, "{seed}");
            assert_eq!(a.graph.spare.bytes(), 0, "{seed}");
            same(&a, &expected);
        }
    }

    #[test]
    fn what_is_not_a_forest_goes_the_general_way() {
        // Two parents; an edge to a lower index; a weak edge; a node nothing reaches; a root
        // with a parent.
        // (edges (from, to, weak), roots)
        type Case<'a> = (&'a [(u32, u32, bool)], &'a [u32]);
        let cases: [Case; 5] = [
            (&[(0, 2, false), (1, 2, false)], &[0, 1]),
            (&[(1, 0, false)], &[1]),
            (&[(0, 1, true), (0, 2, false)], &[0]),
            (&[(0, 1, false)], &[0]),
            (&[(0, 1, false), (0, 2, false)], &[0, 2]),
        ];
        for (edges, roots) in cases {
            let build = || {
                let mut b = GraphBuilder::new();
                let ty = b.intern_type("t");
                for v in 0..3u64 {
                    b.add_node(v + 1, ty, NodeKind::Frame, 10 * (v + 1));
                }
                for &r in roots {
                    b.add_root_idx(NodeIdx(r), "outermost frame", None);
                }
                b.finish_nodes();
                for u in 0..3 {
                    let out: Vec<_> = edges.iter().filter(|e| e.0 == u).collect();
                    if !out.is_empty() {
                        b.begin_node(NodeIdx(u));
                        for e in out {
                            b.edge_to_idx(NodeIdx(e.1), e.2, Label::None);
                        }
                    }
                }
                b.finish(Policy::TREE)
            };
            let g = build();
            assert!(!is_forest(&g), "{edges:?} {roots:?}");
            // The forward pass says so too for these (not "maybe a forest in another order",
            // which it may say of a graph whose parentless non-root closes the stack early).
            let pass = forward_pass(&g);
            assert!(matches!(pass, Err(None)), "{edges:?} {roots:?}");
            let expected = general(&g);
            same(&Analysis::run(g), &expected);
            // A spare in such a graph is freed before the general passes run.
            let mut g = build();
            g.spare = garbage(3, 3);
            let Err(g) = run(g, &Spill::never(), &mut |_| {}) else {
                panic!("{edges:?} {roots:?}: taken as a forest");
            };
            assert_eq!(g.spare.bytes(), 0);
        }
    }

    /// The forward pass at its edges: one node, only roots, a forest whose roots have
    /// children with a pop of several levels before the next root (all taken, equal to the
    /// general passes), and a node placed after its parent's sibling's subtree began
    /// (left to the check and the placing: "maybe a forest").
    #[test]
    fn the_forward_pass_at_its_edges() {
        let mut x = 7u64;
        let next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let taken: [&[Option<usize>]; 3] = [
            &[None],
            &[None, None, None, None],
            &[
                None,
                Some(0),
                Some(1),
                Some(2),
                Some(0),
                None,
                Some(5),
                Some(6),
                Some(7),
                None,
            ],
        ];
        for parent in taken {
            let g = forest_from(parent, next);
            let expected = general(&g);
            let Ok(p) = forward_pass(&g) else {
                panic!("{parent:?}: not taken");
            };
            assert_eq!(p.idom, expected.idom, "{parent:?}");
            assert_eq!(p.retained, expected.retained, "{parent:?}");
            assert_eq!(p.into[..], expected.paths.parent_column()[..], "{parent:?}");
            assert_eq!(p.min, expected.min, "{parent:?}");
            same(&Analysis::run(g), &expected);
        }
        // Node 3's parent is 1, but node 2 (a child of 0) came between: not this preorder.
        let g = forest_from(&[None, Some(0), Some(0), Some(1)], next);
        assert!(matches!(forward_pass(&g), Err(Some(_))));
        let expected = general(&g);
        same(&Analysis::run(g), &expected);
    }
}
