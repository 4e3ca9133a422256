//! [`Analysis`]: every pass run once over a [`HeapGraph`], the results side by side.

use crate::column::{Column, Spill};
use crate::dominators::{
    dominators_with, Busy, DomChildren, DomTree, Dominators, Leaves, Parallel, SUPER, UNREACHED,
};
use crate::graph::HeapGraph;
use crate::histogram::{histogram_with, type_counts, type_counts_all, TypeCounts, TypeRow};
use crate::paths::{PathStep, RootPaths};
use crate::spill::{Arr, Files, Heap, Large, Store};
use crate::types::NodeIdx;
use crate::walks::{self, min_retained_by, Start};

/// Whole-graph numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub nodes: u64,
    pub edges: u64,
    pub gc_roots: u64,
    pub total_bytes: u64,
    pub reachable_bytes: u64,
    pub reachable_nodes: u64,
    pub unreachable_bytes: u64,
    pub unreachable_nodes: u64,
}

/// The graph with its dominator tree, retained sizes, histogram and root paths.
///
/// Held beside the graph, per node: `dom.idom` 4 B, `retained` 8 B, `children` 8 B (4 B offsets
/// per node + 4 B per reachable node), `paths` 4 B + 1 bit; 24 B in all, of which `children`
/// and the paths' parents are in spill files after [`run_spilled`](Self::run_spilled) (past its
/// threshold), and `retained` too out of core or after [`spill_results`](Self::spill_results).
/// `dom.order` is empty (see [`run_observed`](Self::run_observed)); [`preorder`](Self::preorder)
/// rebuilds a parent-before-child order on demand.
pub struct Analysis {
    pub graph: HeapGraph,
    /// The dominator tree; its `order` is empty here (taken by [`run`](Self::run)).
    pub dom: DomTree,
    pub retained: Column<u64>,
    pub children: DomChildren,
    pub paths: RootPaths,
    pub histogram: Vec<TypeRow>,
    pub summary: Summary,
}

impl Analysis {
    /// Move the results that [`run_spilled`](Self::run_spilled) leaves in anonymous memory for
    /// the report that follows — the retained sizes, 8 B per node — to a spill file where
    /// `spill` says so (a usable directory, past its threshold): for an analysis kept open (a
    /// server's), whose anonymous memory is then `idom` and the paths' bits. Nothing changes
    /// out of core (already in a file), for an analysis from a saved index (a mapping of it)
    /// or below the threshold; a column that cannot spill stays, with a warning in the graph's.
    pub fn spill_results(&mut self, spill: &Spill) {
        if spill.is_usable() {
            let r = self.retained.spill(spill);
            keep_warning(&mut self.graph, r);
        }
    }

    /// Free the analysis and `with` (e.g. the mapped dump) on two threads. Most of the cost of
    /// freeing a big dump's analysis is the kernel's: unmapping the arrays and, for the spill
    /// files, dropping their page cache when the last descriptor closes (~0.4 s for the
    /// 44.8 M-object JDK dump of benches/, ~2.4 GB of pages). The exit does the same work on one
    /// thread; here the arrays are freed one by one, largest first, each by whichever of two
    /// threads is free ([`free_largest_first`]), so that both end together (a fixed split, the
    /// graph on one thread and the analysis' arrays with `with` on the other, left one
    /// thread with ~60 % of the work). `with` is `with_bytes` large for that order: the
    /// caller knows (an inflated gzip dump held by the inspector is a file as large as the
    /// dump, freed with its page cache; a mapped dump whose page tables were dropped beside
    /// the analysis is next to nothing).
    pub fn free_on_two_threads<T: Send + 'static>(self, with: T, with_bytes: usize) {
        let Analysis {
            graph,
            dom,
            retained,
            children,
            paths,
            histogram,
            summary,
        } = self;
        let HeapGraph {
            ids,
            type_of,
            shallow,
            kind,
            counts,
            offsets,
            targets,
            edge_labels,
            roots,
            types,
            labels,
            root_kinds,
            policy: _,
            warnings,
            spare,
            out_of_core: _,
        } = graph;
        let DomChildren {
            offsets: child_offsets,
            children: lists,
        } = children;
        let mut parts: Vec<Part> = Vec::with_capacity(16);
        fn col<C: Send + 'static + std::ops::Deref>(parts: &mut Vec<Part>, c: C)
        where
            C::Target: AsBytes,
        {
            parts.push((c.deref().byte_len(), Box::new(move || drop(c))));
        }
        col(&mut parts, ids);
        col(&mut parts, type_of);
        col(&mut parts, shallow);
        col(&mut parts, kind);
        col(&mut parts, counts);
        col(&mut parts, offsets);
        col(&mut parts, targets);
        col(&mut parts, edge_labels);
        col(&mut parts, retained);
        col(&mut parts, child_offsets);
        col(&mut parts, lists);
        let idom_bytes = dom.idom.byte_len();
        let path_bytes = paths.parent_column().byte_len();
        parts.push((idom_bytes, Box::new(move || drop(dom))));
        parts.push((path_bytes, Box::new(move || drop(paths))));
        parts.push((
            std::mem::size_of_val(&roots[..]) + spare.bytes(),
            Box::new(move || drop((roots, types, labels, root_kinds, warnings, spare))),
        ));
        parts.push((0, Box::new(move || drop((histogram, summary)))));
        parts.push((with_bytes, Box::new(move || drop(with))));
        free_largest_first(parts);
    }

    /// Run every pass: dominators, dominator children, root paths, retained sizes, histogram.
    pub fn run(graph: HeapGraph) -> Analysis {
        Self::run_observed(graph, &mut |_| {})
    }

    /// [`run`](Self::run), calling `after` with each pass's name when it is done (for progress
    /// displays and per-pass measurements).
    ///
    /// The passes run in the order that keeps the peak lowest (per node, beside the graph):
    /// dominators (about 20 B transient; result `idom` 4 + `order` 4); dominator children
    /// (+8, and 4 B of cursors while a second thread places half of them, not out of core —
    /// in the dominators' dead `semi`, whose pages are touched already, with its room;
    /// the last pass that needs `order`, for the sibling order, which is then freed: 12 B); root paths (+4 parents, +2 bits, +4 per node with a weak reference
    /// to a node not reached yet, and a 4 B/node queue freed at the end: 20 B + 2 bits at its
    /// highest); retained sizes from the children lists, which also give the histogram's
    /// minimum retained size per type in the same walk (+8, a counter per type, and a stack of
    /// 8 B per level of the dominator tree being walked: small for a bushy tree, 8 B per node of
    /// a long chain; on two threads but out of core, the subtrees below a small cut-off top
    /// shared out between them, each with a stack and a counter per type); histogram (one pass over the nodes for the counts, which also sums the
    /// summary's reachable bytes). Apart from that stack the end state is 24 B/node + 2 bits.
    /// With [`run_spilled`](Self::run_spilled) and a usable directory, `order`, the children and
    /// the parents are in spill files (past the threshold), and the root
    /// paths run on a second thread *during* the dominators, their parents and queue in spill
    /// files of their own: beside the dominators' working set they hold 2 bits/node (+4 B per
    /// weak source) of anonymous memory, and the wall time of the pass is hidden behind the
    /// dominators' on a machine with a second core; after them that thread writes the
    /// dominator children's lists and offsets to their spill files (page cache, ahead
    /// of the passes that fill them), and the histogram's counts of every node (a counter set
    /// per type, one pass over the types and sizes); beside the dominator children the nodes
    /// the dominators did not reach are taken out of them (one read of `idom`), and beside the
    /// retained sizes' walk the DFS preorder's spill file and the dead arrays' files kept for
    /// reuse are freed.
    pub fn run_observed(graph: HeapGraph, after: &mut dyn FnMut(&str)) -> Analysis {
        Self::run_spilled(graph, &Spill::never(), after)
    }

    /// [`run_observed`](Self::run_observed) with the large arrays in spill files where `spill`
    /// says so (a directory on disk, arrays past its size): the CSR ([`Column::spill`], before
    /// the passes: it is only read from then on), and, allocated in files from the start
    /// ([`Large`]), the DFS preorder, the dominator children and the root-path parents. Their
    /// pages are page cache, not anonymous memory; what stays anonymous is the dominators'
    /// working set (graph residue + ~16 B/node + back edges, the peak), then `idom` (4 B/node)
    /// with the root paths' queue and bits, then `idom` and the retained sizes (8 B/node: read
    /// by every report; [`spill_results`](Self::spill_results) moves them to a file for an
    /// analysis kept open); the end state is 12 B/node + 1 bit.
    /// The numbers are the same either way; a column that cannot spill stays in memory with
    /// a warning in the graph's.
    pub fn run_spilled(graph: HeapGraph, spill: &Spill, after: &mut dyn FnMut(&str)) -> Analysis {
        // A call tree needs no dominator or path search: the same results from its parents.
        let graph = match crate::forest::run(graph, spill, after) {
            Ok(a) => return a,
            Err(graph) => *graph,
        };
        // A parser whose estimate exceeded the memory available ran out of core, its CSR in
        // spill files already (`HeapGraph::out_of_core`).
        if spill.is_out_of_core() || graph.out_of_core {
            let dir = spill.dir.clone().unwrap_or_else(std::env::temp_dir);
            let files = Files::new(dir);
            let spill = spill.clone().out_of_core(true);
            // One pass at a time: memory is short, and the page cache is the working set.
            let mut a = Self::run_in(graph, &files, &files, no_beside(), None, &spill, after);
            keep_warning(&mut a.graph, files.take_warning().map_or(Ok(false), Err));
            a
        } else if let (true, Some(dir)) = (spill.is_usable(), &spill.dir) {
            // The analysis' arrays spill from `ANALYSIS_SPILL_BYTES` on (its CSR copy, kept
            // arrays and results), whatever larger threshold the columns have.
            let spill = &spill
                .clone()
                .min_bytes(spill.min_bytes.min(ANALYSIS_SPILL_BYTES));
            // The CSR is only read from here on: in a spill file (from `min_bytes` on) its pages
            // are clean page cache, not anonymous memory, while the dominators' working arrays
            // are at their largest. (A column the builder grew in a spill file is not copied:
            // HPROF's whole CSR, `fill_edges_parallel`.)
            // Written to their files (`Column::spilled_copy`, which only reads them) while the
            // dominators' first pass, which only reads the CSR too, finds the simple leaves
            // (`Leaves`), on two threads from `PARALLEL_MIN` nodes on; then the anonymous
            // copies are freed, before the dominators' working arrays grow. (The leaves were
            // found beside the fill of the DFS's `pre`, which then followed alone: the CSR
            // offsets' write, 4 B per node of fresh page cache, costs more than that fill.)
            // The DFS's `pre` (4 B per node of fresh pages, filled) is made there too, by
            // whichever of the two threads is done first, rather than alone after them; and the
            // DFS preorder's spill file is written on the leaves' side (in a store of its own:
            // `Large` stays on one thread), so that the DFS's pushes find it written, first:
            // the leaves' pass counts the marks of its second thread in it
            // (`Leaves::find_in`), which joins it once done with the copy and `pre`.
            let mut graph = graph;
            let copies =
                |g: &HeapGraph| (g.offsets.spilled_copy(spill), g.targets.spilled_copy(spill));
            let n = graph.node_count();
            let order_ahead = || {
                let own = Large::new(dir, spill.min_bytes);
                let order = own.filled(n, 0u32);
                (order, own.take_warning())
            };
            let ((offsets, targets), leaves, order) = if n >= crate::dominators::PARALLEL_MIN {
                let ((copied, pre), (leaves, order)) = rayon::join(
                    || rayon::join(|| copies(&graph), || Leaves::fresh_pre(n)),
                    || {
                        // The preorder's array first: the leaves' pass counts its second
                        // thread's marks in it (the DFS overwrites it from the start).
                        let (mut order, warning) = order_ahead();
                        let leaves = Leaves::find_in(&graph, &mut order);
                        (leaves, (order, warning))
                    },
                );
                (copied, leaves.with_pre(pre), Some(order))
            } else {
                (copies(&graph), Leaves::find(&graph), None)
            };
            let r = offsets.map(|c| graph.offsets.replace_with(c));
            keep_warning(&mut graph, r);
            let r = targets.map(|c| graph.targets.replace_with(c));
            keep_warning(&mut graph, r);
            let large = Large::new(dir, spill.min_bytes);
            let order = order.map(|(order, warning)| {
                keep_warning(&mut graph, warning.map_or(Ok(false), Err));
                order
            });
            // The root paths on a second thread while the dominators run, in spill files of
            // their own (parents and queue): beside the dominators' working set they add only
            // their bits and the weak sources to anonymous memory. Then, on the same thread,
            // the dominator children's lists, in the file the paths' queue left (`Spares`), as
            // the build would have taken it: its zeros are written here. Each job after the
            // paths waits while the dominators place their back edges on two threads (`Busy`):
            // it then runs beside their last, one-thread steps instead.
            let busy = Busy::default();
            let beside = |g: &HeapGraph| {
                let own = Large::new(dir, spill.min_bytes);
                let paths = RootPaths::compute_in(g, &own, &own);
                busy.wait();
                let lists = own.filled(g.node_count(), 0u32);
                // And their offsets' zeros (n + 2): 4 B per node of fresh page cache written
                // here, where the second core has time while the dominators' last steps run
                // on the first, rather than on the first core alone before the children
                // build can start (~0.2 s of one core on the 44.8 M-object JDK dump).
                busy.wait();
                let offsets = own.filled(g.node_count() + 2, 0u32);
                // And the histogram's counts per type of every node (type and size columns
                // read in order), which need no dominator tree: after the dominators only the
                // nodes they did not reach are taken out, beside the dominator children.
                busy.wait();
                let counts = type_counts_all(g);
                Beside {
                    paths,
                    warning: own.take_warning(),
                    lists: Some(lists),
                    offsets: Some(offsets),
                    counts: Some(counts),
                }
            };
            let mut a = Self::run_in(
                graph,
                &Heap,
                &large,
                Some((beside, &busy)),
                Some((leaves, order)),
                spill,
                after,
            );
            keep_warning(&mut a.graph, large.take_warning().map_or(Ok(false), Err));
            a
        } else {
            // Every array anonymous: the root paths' 8 B/node would add to the dominators' peak
            // if they ran beside them.
            Self::run_in(graph, &Heap, &Heap, no_beside(), None, spill, after)
        }
    }

    /// Out of core: the graph's columns and CSR go to spill files first (a private mapping,
    /// only read); every working array and result is allocated in spill files by [`Files`]
    /// (`work` and `keep` both; see [`crate::spill`]). In memory: the working arrays are plain
    /// vectors ([`Heap`]); the results kept for the rest of the run (the DFS preorder while it
    /// waits for the children, the children, the root-path parents, the retained sizes) come
    /// from `keep`: spill files from the start for the large ones where `spill` allows
    /// ([`Large`]), else vectors, spilled once complete as `spill` says. All instantiate the
    /// same code.
    ///
    /// `beside`, if given, computes the root paths (and says why an array could not spill) on
    /// a second thread while this one runs the dominators: the search does not depend on the
    /// dominator tree; then it makes the dominator children's lists and offsets' zeros, which
    /// their pass fills instead of making its own. Without it (or if no thread
    /// can be started) the paths run after the dominator children, on this thread, with `work`
    /// and `keep`. `leaves`, if given, are the dominators' simple leaves, found beforehand, and
    /// maybe the DFS preorder's array, made ahead (`dominators::dominators_with`).
    fn run_in<S: Store, K: Store, B>(
        mut graph: HeapGraph,
        work: &S,
        keep: &K,
        beside: Option<(B, &Busy)>,
        leaves: Option<(Leaves, Option<K::Arr<u32>>)>,
        spill: &Spill,
        after: &mut dyn FnMut(&str),
    ) -> Analysis
    where
        B: Fn(&HeapGraph) -> Beside<K> + Sync,
        S::Arr<u32>: Send,
        K::Arr<u32>: Send,
    {
        if spill.out_of_core {
            graph.spill_columns(spill);
        }
        // The dominator children and the retained sizes on two threads but out of core (one
        // pass at a time there: the page cache is the working set); so are the dominators'
        // passes that split, on a graph large enough to pay for it.
        let threads = if spill.out_of_core { 1 } else { 2 };
        let two = threads >= 2 && graph.node_count() >= crate::dominators::PARALLEL_MIN;
        let (leaves, order) = leaves.map_or((None, None), |(l, o)| (Some(l), o));
        let (mut d, side) = match &beside {
            Some((paths_of, busy)) => std::thread::scope(|sc| {
                let g = &graph;
                let thread = std::thread::Builder::new()
                    .name("root paths".into())
                    .spawn_scoped(sc, move || paths_of(g));
                // No thread: nothing waits on `busy`.
                let busy = thread.is_ok().then_some(*busy);
                let d = dominators_with(g, work, keep, two, leaves, order, busy);
                let side = thread
                    .ok()
                    .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                (d, side)
            }),
            None => (
                dominators_with(&graph, work, keep, two, leaves, order, None),
                None,
            ),
        };
        after("dominators");
        let (side, made, all) = match side {
            Some(Beside {
                paths,
                warning,
                lists,
                offsets,
                counts,
            }) => {
                keep_warning(&mut graph, warning.map_or(Ok(false), Err));
                after("root paths");
                (Some(paths), (lists, offsets), counts)
            }
            None => (None, (None, None), None),
        };
        // The two-thread children build counts in the dominators' dead `semi` (its pages
        // touched already) rather than in fresh memory.
        let spare = d.spare.take().and_then(Arr::into_vec);
        // Beside the dominator children (when a second thread is wanted): the histogram's
        // counts, which need only `idom`: the counts of every node made beside the dominators
        // less the nodes they did not reach (one read of `idom`), else one pass over the nodes.
        let (mut children, counts) = if beside.is_some() {
            std::thread::scope(|sc| {
                let (g, idom): (&HeapGraph, &[u32]) = (&graph, &d.idom);
                let thread = std::thread::Builder::new()
                    .name("type counts".into())
                    .spawn_scoped(sc, move || match all {
                        Some(all) => all.without_unreached(g, idom),
                        None => type_counts(g, idom),
                    });
                let children = DomChildren::build_on(&d.idom, &d.order, keep, threads, made, spare);
                let counts = thread
                    .ok()
                    .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                (children, counts)
            })
        } else {
            let children = DomChildren::build_on(&d.idom, &d.order, keep, threads, made, spare);
            (children, None)
        };
        for r in [
            children.offsets.spill(spill),
            children.children.spill(spill),
        ] {
            keep_warning(&mut graph, r);
        }
        after("dominator children");
        let paths = side.unwrap_or_else(|| {
            let paths = RootPaths::compute_in(&graph, work, keep);
            after("root paths");
            paths
        });
        let Dominators {
            idom,
            order,
            orphans_attached,
            ..
        } = d;
        let dom = DomTree {
            idom: idom.into_column(),
            order: Vec::new(),
            orphans_attached,
        };
        // The histogram's minimum retained sizes (one group per type) come from the same walk.
        let type_of: &[u32] = &graph.type_of;
        // The retained sizes come from the working store, not the kept arrays': every report
        // reads them, and in memory an array of fresh anonymous pages, faulted in by the walk
        // on both threads, costs less than a spill file's: on the 2.18 GB JDK 17 dump its
        // 358 MB of zeros, written beside the dominators, took the run's spill-file writes
        // (3.5 GB) past the kernel's dirty threshold, where a write waits for writeback:
        // 10-15 % of the run's wall time at the same CPU time, and the same peak
        // (benches/scripts/hprof/RESULTS.md, session 28). A server that keeps the analysis
        // moves them to a file afterwards ([`Analysis::spill_results`]). Out of core the
        // working store is spill files too.
        let walk = || {
            let (r, min) = children.retained_and_min_on(
                &graph,
                work,
                graph.types.len(),
                |v| type_of[v as usize],
                type_of,
                Parallel::threads(threads),
            );
            (r.into_column(), min)
        };
        // Nothing below needs the DFS preorder (Analysis::preorder rebuilds one on demand).
        // With spilling (the second thread wanted): its spill file, and those of the other
        // dead arrays kept for reuse (`spill::Spares`; no pass below takes one), freed on a
        // thread of their own beside the retained sizes' walk rather than on this thread
        // after it (most of it is the kernel's: unmapping, dropping the page cache).
        let (retained, min) = if beside.is_some() {
            std::thread::scope(|sc| {
                let freeing = std::thread::Builder::new()
                    .name("free order".into())
                    .spawn_scoped(sc, move || {
                        drop(order);
                        crate::spill::release_spares();
                    });
                let r = walk();
                if let Ok(h) = freeing {
                    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                }
                r
            })
        } else {
            drop(order);
            walk()
        };
        after("retained sizes");
        let parts = HistogramParts {
            min: Some(min),
            counts,
        };
        Self::finish(graph, dom, children, retained, parts, paths, after)
    }

    /// The histogram and the summary, from the dominator tree, children, retained sizes and
    /// root paths (computed by [`run_in`](Self::run_in) or, for a call tree, `forest::run`).
    /// What `parts` lacks is computed here.
    pub(crate) fn finish(
        graph: HeapGraph,
        dom: DomTree,
        children: DomChildren,
        retained: Column<u64>,
        parts: HistogramParts,
        paths: RootPaths,
        after: &mut dyn FnMut(&str),
    ) -> Analysis {
        let HistogramParts { min, counts } = parts;
        let min = min.unwrap_or_else(|| {
            min_retained_by(
                &children,
                &retained,
                Start::SuperRoot,
                graph.types.len(),
                |v| graph.type_of[v as usize],
            )
        });
        let counts = counts.unwrap_or_else(|| type_counts(&graph, &dom.idom));
        let (reachable_bytes, reachable_nodes) = (counts.reachable_bytes, counts.reachable_nodes);
        // Every node's size is in its type's row: no pass over the sizes here.
        let total_bytes = counts.total_shallow();
        let histogram = histogram_with(&graph, counts, min);
        after("histogram");
        let summary = Summary {
            nodes: graph.node_count() as u64,
            edges: graph.edge_count() as u64,
            gc_roots: graph.root_nodes().len() as u64,
            total_bytes,
            reachable_bytes,
            reachable_nodes,
            unreachable_bytes: total_bytes - reachable_bytes,
            unreachable_nodes: graph.node_count() as u64 - reachable_nodes,
        };
        Analysis {
            graph,
            dom,
            retained,
            children,
            paths,
            histogram,
            summary,
        }
    }

    /// The reachable nodes in a preorder of the dominator tree: each after its immediate
    /// dominator, siblings in the order [`dominated`](Self::dominated) lists them (see
    /// [`DomChildren::preorder`]). Built on each call from the children lists, without
    /// touching the graph: 4 B per reachable node for the result plus a stack of 8 B per
    /// ancestor with children left to visit. Use it where a parent-before-child (or, reversed,
    /// child-before-parent) order is needed; where any order does, loop over the nodes with
    /// [`DomTree::is_reachable`] instead.
    pub fn preorder(&self) -> Vec<u32> {
        self.children.preorder()
    }

    /// The `k` nodes with the largest retained size, largest first (ties: lower index first).
    /// A bounded min-heap over the reachable nodes: O(n log k) time, O(k) memory.
    ///
    /// The nodes are offered in index order, so once the heap is full a node enters only if
    /// its retained size exceeds the weakest entry's (on a tie the lower index, already in,
    /// wins): the retained sizes are scanned alone, in blocks of [`TOP_BLOCK`] whose largest
    /// value is compared first, and only a node that can enter has its reachability read
    /// (one sequential pass over 8 B per node, not 12 with `idom`, and no heap key per node).
    pub fn top_retained(&self, k: usize) -> Vec<NodeIdx> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        if k == 0 {
            return Vec::new();
        }
        // Heap key: (retained, Reverse(index)); the heap's top is the weakest kept entry.
        let mut heap: BinaryHeap<Reverse<(u64, Reverse<u32>)>> = BinaryHeap::with_capacity(k + 1);
        // Once the heap is full: the weakest entry's retained size, which a node must exceed.
        let mut floor: Option<u64> = None;
        let retained = &self.retained[..self.graph.node_count()];
        for (b, block) in retained.chunks(TOP_BLOCK).enumerate() {
            if let Some(f) = floor {
                if block.iter().fold(0u64, |m, &r| m.max(r)) <= f {
                    continue;
                }
            }
            for (i, &r) in block.iter().enumerate() {
                if floor.is_some_and(|f| r <= f) {
                    continue;
                }
                let v = (b * TOP_BLOCK + i) as u32;
                if !self.dom.is_reachable(v) {
                    continue;
                }
                if heap.len() == k {
                    heap.pop();
                }
                heap.push(Reverse((r, Reverse(v))));
                if heap.len() == k {
                    floor = heap.peek().map(|Reverse((w, _))| *w);
                }
            }
        }
        let mut v: Vec<(u64, Reverse<u32>)> = heap.into_iter().map(|Reverse(k)| k).collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.into_iter().map(|(_, Reverse(i))| NodeIdx(i)).collect()
    }

    /// Immediate dominator of a node: `None` for the super-root's children and unreached nodes.
    pub fn idom(&self, n: NodeIdx) -> Option<NodeIdx> {
        match self.dom.idom[n.ix()] {
            SUPER | UNREACHED => None,
            d => Some(NodeIdx(d)),
        }
    }

    /// Children of a node in the dominator tree (`None` = the super-root's children).
    pub fn dominated(&self, n: Option<NodeIdx>) -> &[u32] {
        self.children
            .of(n.map(|n| n.ix()).unwrap_or(self.graph.node_count()))
    }

    /// The dominators of `n`, nearest first, up to the super-root ([`walks::dominator_chain`]).
    pub fn dominator_chain(&self, n: NodeIdx) -> impl Iterator<Item = NodeIdx> + '_ {
        walks::dominator_chain(&self.dom, n)
    }

    /// MAT's minimum retained size per group of nodes below `from` ([`walks::min_retained_by`]).
    pub fn min_retained_by(
        &self,
        from: walks::Start,
        groups: usize,
        group_of: impl Fn(u32) -> u32,
    ) -> Vec<u64> {
        walks::min_retained_by(&self.children, &self.retained, from, groups, group_of)
    }

    /// The nodes with an edge to `n`, each once ([`walks::referrers`]).
    pub fn referrers(&self, n: NodeIdx) -> Vec<(NodeIdx, crate::types::Label, bool)> {
        walks::referrers(&self.graph, n)
    }

    /// Shortest path from a GC root to `n` (root first), preferring strong references.
    pub fn path_to(&self, n: NodeIdx) -> Vec<PathStep> {
        self.paths.path_to(&self.graph, n)
    }

    /// Does the shortest path to `n` need a weak reference (no strong path exists)?
    pub fn path_is_weak(&self, n: NodeIdx) -> bool {
        self.paths.via_weak.get(n.ix())
    }
}

/// Something to free ([`free_largest_first`]).
type Free = Box<dyn FnOnce() + Send>;

/// One thing to free and its size in bytes ([`free_largest_first`]).
type Part = (usize, Free);

/// Free `parts` on two threads (rayon's), largest first, each taken by whichever thread is
/// free (longest-processing-time-first list scheduling: the two end within about the last
/// part's time of each other). Parts of equal size keep their order.
fn free_largest_first(mut parts: Vec<Part>) {
    parts.sort_by_key(|p| std::cmp::Reverse(p.0));
    let slots: Vec<std::sync::Mutex<Option<Free>>> = parts
        .into_iter()
        .map(|(_, f)| std::sync::Mutex::new(Some(f)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        while let Some(slot) = slots.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            let f = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(f) = f {
                f();
            }
        }
    };
    rayon::join(work, work);
}

/// The bytes a column or array holds, to order [`free_largest_first`]'s parts.
trait AsBytes {
    fn byte_len(&self) -> usize;
}

impl<T: crate::column::Plain> AsBytes for [T] {
    fn byte_len(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// How many retained sizes [`Analysis::top_retained`] compares at once against the weakest
/// entry it keeps (a block none of whose sizes exceeds it is skipped whole).
const TOP_BLOCK: usize = 64;

/// What the passes before the histogram already computed for it ([`Analysis::finish`]).
#[derive(Default)]
pub(crate) struct HistogramParts {
    /// The minimum retained size of each type, from the retained sizes' walk
    /// ([`DomChildren::retained_and_min_on`]); else one more walk of the children lists.
    pub min: Option<Vec<u64>>,
    /// The histogram's counts, if a second thread made them (beside the dominators and the
    /// dominator children).
    pub counts: Option<TypeCounts>,
}

/// From this many bytes on, the in-memory analysis' CSR copy, kept arrays and results go to
/// spill files when spilling is allowed (see [`Analysis::run_spilled`]), as the V8 and HPROF
/// builders' columns do from 4 MiB: at the columns' 32 MiB a graph of up to 8 M nodes kept its
/// CSR offsets, DFS preorder, root-path parents and queue and the dominator children's lists
/// anonymous (4 B/node each: 123 MiB of an 8 M-element V8 linked list's 350 MiB peak).
pub(crate) const ANALYSIS_SPILL_BYTES: usize = 4 << 20;

/// No second thread for the root paths (see [`Analysis::run_in`]).
fn no_beside<'a, K: Store>() -> Option<NoBeside<'a, K>> {
    None
}

/// [`no_beside`]'s type.
type NoBeside<'a, K> = (fn(&HeapGraph) -> Beside<K>, &'a Busy);

/// What the second thread computes beside the dominators ([`Analysis::run_in`]), in arrays
/// from the store of kept arrays `K`.
struct Beside<K: Store> {
    /// The root paths.
    paths: RootPaths,
    /// Why an array could not spill.
    warning: Option<String>,
    /// The dominator children's lists, one entry per node, made ahead of their build.
    lists: Option<K::Arr<u32>>,
    /// The dominator children's offsets, `n + 2` zeros, made ahead of their build.
    offsets: Option<K::Arr<u32>>,
    /// The histogram's counts with every node counted as reachable ([`type_counts_all`]).
    counts: Option<TypeCounts>,
}

/// A column that could not spill: one warning in the graph's (see `builder::spill_warning`).
pub(crate) fn keep_warning(graph: &mut HeapGraph, r: Result<bool, String>) {
    if let Err(why) = r {
        crate::builder::spill_warning(&mut graph.warnings, &why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Every part is run exactly once, for no parts, one, and many with ties and zero sizes;
    /// on one thread they are taken largest first, equal sizes in their order.
    #[test]
    fn parts_are_freed_once_largest_first() {
        let mut rng = fastrand::Rng::with_seed(0xf7ee);
        for case in 0..200 {
            let count = [0, 1, 2, rng.usize(3..40)][case % 4];
            let seen = Arc::new(Mutex::new(Vec::new()));
            let parts = |rng: &mut fastrand::Rng| -> Vec<Part> {
                (0..count)
                    .map(|i| {
                        let size = [0, rng.usize(0..4), rng.usize(0..1 << 30)][rng.usize(0..3)];
                        let seen = seen.clone();
                        let f: Box<dyn FnOnce() + Send> =
                            Box::new(move || seen.lock().unwrap().push((size, i)));
                        (size, f)
                    })
                    .collect()
            };
            let given = parts(&mut rng);
            let mut want: Vec<(usize, usize)> =
                given.iter().enumerate().map(|(i, p)| (p.0, i)).collect();
            want.sort_by_key(|&(size, i)| (std::cmp::Reverse(size), i));
            let one = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            one.install(|| free_largest_first(given));
            assert_eq!(*seen.lock().unwrap(), want, "case {case}");
            seen.lock().unwrap().clear();
            free_largest_first(parts(&mut rng));
            let mut got: Vec<usize> = seen.lock().unwrap().iter().map(|p| p.1).collect();
            got.sort_unstable();
            assert_eq!(got, (0..count).collect::<Vec<_>>(), "case {case}");
        }
    }
}
