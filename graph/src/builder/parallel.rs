//! The bulk, parallel forms of both phases: [`GraphBuilder::add_nodes_parallel`] hands rayon
//! disjoint [`NodeSlots`] of the node columns, and [`GraphBuilder::fill_edges_parallel`] hands it
//! [`EdgeSlots`], each a run of consecutive nodes with room for a bounded number of edges, then
//! closes up the gaps the runs left and merges what they counted.

use rayon::prelude::*;

use super::index::{resolve, IdIndex};
use super::GraphBuilder;
use crate::column::{Column, Staged, STAGE_BYTES};
use crate::graph::{EdgePos, WEAK_BIT};
use crate::types::{Label, NodeIdx, NodeKind, TypeId};

impl GraphBuilder {
    /// Phase 1 in bulk: append `counts.iter().sum()` nodes as consecutive runs, the `k`-th run of
    /// `counts[k]` nodes filled by `fill(k, slots)`, in parallel (rayon). Each run's nodes get
    /// dense indices from `slots.first` on, in run order, exactly as if they were added one by one
    /// in that order. Callers pass counts bounded by the input's size (e.g. counted records).
    pub fn add_nodes_parallel<R, F>(&mut self, counts: &[usize], fill: F) -> Vec<R>
    where
        R: Send,
        F: Fn(usize, NodeSlots<'_>) -> R + Sync,
    {
        self.add_nodes_parallel_with(counts, false, fill)
    }

    /// [`add_nodes_parallel`](Self::add_nodes_parallel) into a fresh builder (no node yet),
    /// with each node's count (objects per call-tree node) set in the same runs
    /// ([`NodeSlots::fill_counts`]; a count left unset is 1, as
    /// [`set_counts`](GraphBuilder::set_counts) never omits one): the count column is made
    /// beside the other node columns, in a spill file from the start where they are
    /// ([`grow_in_files`](GraphBuilder::grow_in_files)), not collected in anonymous memory
    /// and written to its file at `finish`. `None`, and nothing added, if the builder has
    /// nodes already.
    pub fn add_nodes_parallel_counted<R, F>(&mut self, counts: &[usize], fill: F) -> Option<Vec<R>>
    where
        R: Send,
        F: Fn(usize, NodeSlots<'_>) -> R + Sync,
    {
        if !self.ids.is_empty() || !self.counts.is_empty() {
            return None;
        }
        Some(self.add_nodes_parallel_with(counts, true, fill))
    }

    fn add_nodes_parallel_with<R, F>(&mut self, counts: &[usize], counted: bool, fill: F) -> Vec<R>
    where
        R: Send,
        F: Fn(usize, NodeSlots<'_>) -> R + Sync,
    {
        let n0 = self.ids.len();
        let total: usize = counts.iter().sum();
        if n0 == 0 {
            self.in_file(|b| &mut b.ids, total);
            self.in_file(|b| &mut b.type_of, total);
            self.in_file(|b| &mut b.shallow, total);
            self.in_file(|b| &mut b.kind, total);
            if counted {
                self.in_file(|b| &mut b.counts, total);
            }
        }
        self.ids.resize(n0 + total, 0);
        self.type_of.resize(n0 + total, 0);
        self.shallow.resize(n0 + total, 0);
        self.kind.resize(n0 + total, 0);
        if counted {
            // Zeroed (fresh pages, or the file's unwritten blocks): each run sets every count.
            self.counts.resize(n0 + total, 0);
        }
        // Columns growing in spill files are written by each run through a small buffer and
        // `pwrite` (`Staged`: no zero-filled page faults of the fresh file).
        let files = (
            self.ids.stage_file(),
            self.type_of.stage_file(),
            self.shallow.stage_file(),
            self.kind.stage_file(),
            self.counts.stage_file(),
        );
        let mut runs = Vec::with_capacity(counts.len());
        let (mut ids, mut tys, mut sh, mut kd) = (
            &mut self.ids[n0..],
            &mut self.type_of[n0..],
            &mut self.shallow[n0..],
            &mut self.kind[n0..],
        );
        let mut cn: &mut [u64] = if counted {
            &mut self.counts[n0..]
        } else {
            &mut []
        };
        let mut first = n0;
        for &c in counts {
            let (a, r1) = ids.split_at_mut(c);
            let (b, r2) = tys.split_at_mut(c);
            let (d, r3) = sh.split_at_mut(c);
            let (e, r4) = kd.split_at_mut(c);
            let (g, r5) = if counted {
                cn.split_at_mut(c)
            } else {
                (&mut [][..], cn)
            };
            runs.push(NodeSlots {
                first: NodeIdx(first as u32),
                ids: Staged::new(a, first, files.0.as_ref()),
                types: Staged::new(b, first, files.1.as_ref()),
                shallow: Staged::new(d, first, files.2.as_ref()),
                kind: Staged::new(e, first, files.3.as_ref()),
                counts: counted.then(|| Staged::new(g, first, files.4.as_ref())),
            });
            (ids, tys, sh, kd, cn) = (r1, r2, r3, r4, r5);
            first += c;
        }
        runs.into_par_iter()
            .enumerate()
            .map(|(k, slots)| fill(k, slots))
            .collect()
    }

    /// Phase 2 in bulk, in parallel: the nodes from the next one without edges on are split into
    /// consecutive runs; run `k` ends before node `runs[k].0` and has at most `runs[k].1` edges
    /// (bounded by the input's size). `fill(k, edges)` gives that run's edges through `edges`
    /// exactly as through [`begin_node`](Self::begin_node) / [`edge_to_id`](Self::edge_to_id);
    /// edges past a run's bound are dropped and counted. The edge arrays are sized once (no
    /// growth by doubling) and closed up afterwards where ids were unknown. Closes the node
    /// opened by `begin_node`, if any.
    pub fn fill_edges_parallel<R, F>(&mut self, runs: &[(u32, usize)], fill: F) -> Vec<R>
    where
        R: Send,
        F: Fn(usize, &mut EdgeSlots<'_>) -> R + Sync,
    {
        if self.index.is_none() {
            self.finish_nodes();
        }
        if self.current.take().is_some() {
            self.offsets.push(self.targets.len() as EdgePos);
        }
        let n = self.ids.len() as u32;
        let start_node = self.offsets.len() as u32 - 1;
        // Runs, clamped to the node range and made monotonic (a run past the end is empty).
        let mut bounds = Vec::with_capacity(runs.len());
        let mut a = start_node;
        for &(end, max) in runs {
            let e = end.clamp(a, n);
            bounds.push((a, e, max));
            a = e;
        }
        let end_node = a;
        let e0 = self.targets.len();
        // The graph holds at most MAX_EDGES references: runs past that get no room (their edges
        // are dropped and counted, like edges beyond a run's announced bound).
        let mut room = self.max_edges.saturating_sub(e0);
        for b in bounds.iter_mut() {
            let take = b.2.min(room);
            if take < b.2 {
                self.over_limit += (b.2 - take) as u64;
            }
            b.2 = take;
            room -= take;
        }
        let total: usize = bounds.iter().map(|r| r.2).sum();
        let keep_labels = self.keep_labels;
        if e0 == 0 {
            self.in_file(|b| &mut b.targets, total);
            if keep_labels {
                self.in_file(|b| &mut b.edge_labels, total);
            }
            // The CSR offsets too, in memory as out of core, where they would spill (written
            // through the runs' `Staged` writers): the analysis would copy them to a spill file
            // anyway (`Analysis::run_spilled`), and growing there they never take anonymous
            // memory (4 B per node: 171 MiB on the 2.18 GB JDK 17 dump, until that copy).
            if start_node == 0 && !self.offsets.is_spilled() {
                let first = std::mem::take(&mut self.offsets);
                if self.in_file(|b| &mut b.offsets, n as usize + 1) {
                    self.offsets.push(first[0]);
                } else {
                    self.offsets = first;
                }
            }
        }
        self.targets.resize(e0 + total, 0);
        if keep_labels {
            self.edge_labels.resize(e0 + total, 0);
        }
        self.offsets.resize(end_node as usize + 1, 0);
        let Some(index) = self.index.as_ref() else {
            return Vec::new();
        };
        let node_count = self.ids.len();
        // as the node columns in `add_nodes_parallel`: buffered writes to the spill files
        let files = (
            self.targets.stage_file(),
            self.edge_labels.stage_file(),
            self.offsets.stage_file(),
        );
        let mut slots = Vec::with_capacity(bounds.len());
        {
            let mut offs = &mut self.offsets[start_node as usize..end_node as usize];
            let mut tg = &mut self.targets[e0..];
            let mut lb: &mut [u32] = if keep_labels {
                &mut self.edge_labels[e0..]
            } else {
                &mut []
            };
            let mut base = e0 as u64;
            for &(a, e, max) in &bounds {
                let (o, ro) = offs.split_at_mut((e - a) as usize);
                let (t, rt) = tg.split_at_mut(max);
                let (l, rl) = if keep_labels {
                    lb.split_at_mut(max)
                } else {
                    (&mut [][..], lb)
                };
                slots.push(EdgeSlots {
                    index,
                    node_count,
                    first: a,
                    next: a,
                    offsets: Staged::new(o, a as usize, files.2.as_ref()),
                    targets: Staged::new(t, base as usize, files.0.as_ref()),
                    labels: Staged::new(l, base as usize, files.1.as_ref()),
                    keep_labels,
                    base,
                    len: 0,
                    current: None,
                    missing: 0,
                    first_missing: None,
                    dropped: 0,
                    out_of_order: 0,
                });
                (offs, tg, lb) = (ro, rt, rl);
                base += max as u64;
            }
        }
        // Largest runs handed out first (by their bound of references; ties in run order:
        // rayon splits the list in halves and the other threads steal the larger halves, so
        // the largest run starts first, the order after it is rayon's), so that a run
        // many times the others' size (a HotSpot segment holding one huge array: the 2.18 GB
        // JDK 17 dump has two of 33.6 MB among 2,022 of ~1 MB, one of them at run 1,641) does
        // not start last and leave the other threads idle while it runs (~0.06 s of one
        // thread alone there); the results are put back in run order.
        let mut slots: Vec<(usize, EdgeSlots<'_>)> = slots.into_iter().enumerate().collect();
        slots.sort_by_key(|(k, _)| (std::cmp::Reverse(bounds[*k].2), *k));
        let mut results: Vec<(usize, R, EdgeRun)> = slots
            .into_par_iter()
            .with_max_len(1)
            .map(|(k, mut s)| {
                let r = fill(k, &mut s);
                (k, r, s.close())
            })
            .collect();
        results.sort_unstable_by_key(|r| r.0);
        let results = results.into_iter().map(|(_, r, run)| (r, run));
        // Close the gaps each run left below its bound, in order: the moves (from, len, to)
        // listed here, then made in each column in that order, the targets' and the labels'
        // on two threads (a run that came out short early moves most of both columns: on the
        // 2.18 GB JDK 17 dump, 827 references to missing ids, ~0.1 s of one core alone).
        let mut write = e0;
        let mut read = e0;
        let mut out = Vec::with_capacity(results.len());
        let mut moves: Vec<(usize, usize, usize)> = Vec::new();
        // The runs' offsets to lower, (first node, end, by how much), lowered below on all
        // threads (a run that came out short early shifts most of them: 4 B per node).
        let mut shifts: Vec<(u32, u32, EdgePos)> = Vec::new();
        for ((r, run), &(a, e, max)) in results.zip(&bounds) {
            if read != write {
                if run.len > 0 {
                    moves.push((read, run.len, write));
                }
                shifts.push((a, e, (read - write) as EdgePos));
            }
            write += run.len;
            read += max;
            self.missing_refs += run.missing;
            if self.first_missing.is_none() {
                self.first_missing = run.first_missing;
            }
            self.out_of_order += run.out_of_order;
            if run.dropped > 0 {
                self.warnings.push(format!(
                    "{} references were more than the parser announced for their nodes and were dropped",
                    run.dropped
                ));
            }
            out.push(r);
        }
        if let Some(file) = &files.2 {
            // In a spill file: read, lowered and written back a window at a time with
            // `pread`/`pwrite` (its pages are cached, written by the runs: no fault per page,
            // as stores through the mapping would take), through the mapping should that fail.
            let rest: Vec<(usize, usize, EdgePos, Vec<EdgePos>)> = shifts
                .par_iter()
                .filter_map(|&(a, e, shift)| {
                    let (done, lowered) = lower_in_file(file, a as usize, e as usize, shift);
                    (done < e as usize).then_some((done, e as usize, shift, lowered))
                })
                .collect();
            for (done, e, shift, lowered) in rest {
                // the window whose write failed, lowered already (part of it may be written)
                let from = done + lowered.len();
                self.offsets[done..from].copy_from_slice(&lowered);
                for o in &mut self.offsets[from..e] {
                    *o -= shift;
                }
            }
        } else {
            let mut parts: Vec<(&mut [EdgePos], EdgePos)> = Vec::with_capacity(shifts.len());
            let mut rest = &mut self.offsets[..];
            let mut at = 0usize;
            for &(a, e, shift) in &shifts {
                let (_, from_a) = rest.split_at_mut(a as usize - at);
                let (part, tail) = from_a.split_at_mut((e - a) as usize);
                parts.push((part, shift));
                rest = tail;
                at = e as usize;
            }
            parts.into_par_iter().for_each(|(part, shift)| {
                for o in part {
                    *o -= shift;
                }
            });
        }
        let move_all = |c: &mut Column<u32>| {
            for &(from, len, to) in &moves {
                c.move_down(from, len, to);
            }
        };
        let (targets, labels) = (&mut self.targets, &mut self.edge_labels);
        match (keep_labels, moves.len()) {
            (_, 0) => {}
            (true, _) => {
                rayon::join(|| move_all(targets), || move_all(labels));
            }
            (false, _) => move_all(targets),
        }
        self.targets.truncate(write);
        if keep_labels {
            self.edge_labels.truncate(write);
        }
        self.offsets[end_node as usize] = write as EdgePos;
        out
    }
}

impl GraphBuilder {
    /// Phase 2 at once, for formats whose references are dense indices already grouped by
    /// source node in node order (V8): `offsets` are the CSR offsets (`node_count() + 1` of
    /// them, from 0, non-decreasing); no id index is built. Returns the target and label slots,
    /// `offsets[node_count()]` of each and zeroed, for the caller to fill on any number of
    /// threads: a target below `node_count()` (with [`WEAK_BIT`] for a weak reference) and an
    /// encoded [`Label`] each (no label slots [`without_labels`](Self::without_labels)). `None`,
    /// and nothing changed, when edges were given already or the offsets do not fit (their
    /// count, order, or more references than the graph's limit).
    pub fn edges_by_offsets(&mut self, offsets: Vec<EdgePos>) -> Option<(&mut [u32], &mut [u32])> {
        let n = self.ids.len();
        let fits = offsets.len() == n + 1
            && offsets[0] == 0
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets[n] as usize <= self.max_edges;
        if !fits || self.offsets.len() > 1 || !self.targets.is_empty() || self.current.is_some() {
            return None;
        }
        self.start_edges();
        let total = offsets[n] as usize;
        if self.offsets.is_spilled() {
            // Out of core: the offsets go to the file `start_edges` made for them.
            self.offsets.resize(n + 1, 0);
            self.offsets.copy_from_slice(&offsets);
        } else {
            self.offsets = Column::from(offsets);
        }
        // Zeroed pages (fresh from the system in memory, a new spill file out of core; no
        // memset): the caller's writes fault them in.
        self.in_file(|b| &mut b.targets, total);
        self.targets.resize(total, 0);
        if self.keep_labels {
            self.in_file(|b| &mut b.edge_labels, total);
            self.edge_labels.resize(total, 0);
            Some((&mut self.targets, &mut self.edge_labels))
        } else {
            Some((&mut self.targets, &mut []))
        }
    }

    /// [`edges_by_offsets`](Self::edges_by_offsets), with the spill files behind the target
    /// and label slots when they grow in files ([`Column::stage_file`]; `None` otherwise), for
    /// the caller's threads to write their parts through [`Staged`] writers: no zero-filled
    /// page faults of the fresh files (as the node columns of
    /// [`add_nodes_parallel`](Self::add_nodes_parallel)).
    pub fn edges_by_offsets_staged(&mut self, offsets: Vec<EdgePos>) -> Option<StagedEdges<'_>> {
        self.edges_by_offsets(offsets)?;
        let files = [self.targets.stage_file(), self.edge_labels.stage_file()];
        let labels: &mut [u32] = if self.keep_labels {
            &mut self.edge_labels
        } else {
            &mut []
        };
        Some((&mut self.targets, labels, files))
    }
}

/// What [`GraphBuilder::edges_by_offsets_staged`] lends: the target and label slots and their
/// spill files.
pub type StagedEdges<'a> = (&'a mut [u32], &'a mut [u32], [Option<std::fs::File>; 2]);

/// The columns of a run of consecutive new nodes (see [`GraphBuilder::add_nodes_parallel`]).
/// Columns in spill files are written through a small buffer per column ([`Staged`]); what is
/// left in it goes to the file when the slots are dropped.
pub struct NodeSlots<'a> {
    /// Dense index of the run's first node.
    pub first: NodeIdx,
    ids: Staged<'a, u64>,
    types: Staged<'a, u32>,
    shallow: Staged<'a, u64>,
    kind: Staged<'a, u8>,
    /// (only from [`GraphBuilder::add_nodes_parallel_counted`])
    counts: Option<Staged<'a, u64>>,
}

impl NodeSlots<'_> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Set the `i`-th node of the run (dense index `first + i`); out of range is ignored.
    /// From [`add_nodes_parallel_counted`](GraphBuilder::add_nodes_parallel_counted), its
    /// count is 1.
    #[inline]
    pub fn set(&mut self, i: usize, id: u64, ty: TypeId, kind: NodeKind, shallow: u64) {
        if i < self.ids.len() {
            self.ids.set(i, id);
            self.types.set(i, ty.0);
            self.shallow.set(i, shallow);
            self.kind.set(i, kind as u8);
            if let Some(c) = &mut self.counts {
                c.set(i, 1);
            }
        }
    }

    /// Every node of the run at once, a column at a time (as [`set`](Self::set) for each `i`
    /// would, with the same arguments): the ids copied from `ids` (at least `len()` of them;
    /// in a spill file, one `pwrite` of that slice), the types, sizes and counts made by
    /// `ty(i)`, `shallow(i)` and `count(i)` for `i` ascending (a count only from
    /// [`add_nodes_parallel_counted`](GraphBuilder::add_nodes_parallel_counted)), every kind
    /// `kind`. A few instructions per node and column instead of a window check per column
    /// in each `set` (~79 instructions per node).
    pub fn fill(
        &mut self,
        ids: &[u64],
        ty: impl FnMut(usize) -> TypeId,
        kind: NodeKind,
        shallow: impl FnMut(usize) -> u64,
        count: impl FnMut(usize) -> u64,
    ) {
        let n = self.len().min(ids.len());
        self.ids.put_slice(0, &ids[..n]);
        let mut ty = ty;
        self.types.fill_with(0, n, |i| ty(i).0);
        self.shallow.fill_with(0, n, shallow);
        self.kind.fill_with(0, n, |_| kind as u8);
        if let Some(c) = &mut self.counts {
            c.fill_with(0, n, count);
        }
    }
}

/// What a run of [`EdgeSlots`] wrote, for the builder to merge.
struct EdgeRun {
    len: usize,
    missing: u64,
    first_missing: Option<(u64, u32)>,
    dropped: u64,
    out_of_order: u64,
}

/// The edges of a run of consecutive nodes, written in parallel with other runs (see
/// [`GraphBuilder::fill_edges_parallel`]); the same calls as the builder's phase 2.
pub struct EdgeSlots<'a> {
    index: &'a IdIndex,
    node_count: usize,
    first: u32,
    /// the first node whose start offset is not written yet
    next: u32,
    /// start offsets of the run's nodes (global edge positions; buffered when in a spill file)
    offsets: Staged<'a, EdgePos>,
    /// (buffered when in a spill file, see [`Staged`]; flushed by `close`)
    targets: Staged<'a, u32>,
    labels: Staged<'a, u32>,
    keep_labels: bool,
    /// global position of `targets[0]`
    base: u64,
    len: usize,
    current: Option<u32>,
    missing: u64,
    first_missing: Option<(u64, u32)>,
    dropped: u64,
    out_of_order: u64,
}

impl EdgeSlots<'_> {
    /// The following edges belong to `node` (increasing order within the run).
    #[inline]
    pub fn begin_node(&mut self, node: NodeIdx) {
        let end = self.first + self.offsets.len() as u32;
        if node.0 < self.next || node.0 >= end {
            self.out_of_order += 1;
            self.current = None;
            return;
        }
        // Fits: `fill_edges_parallel` keeps every run's edges below MAX_EDGES.
        let at = (self.base + self.len as u64) as EdgePos;
        // (`set` one by one: a few elements per node, into the window sized to its end)
        for i in self.next - self.first..=node.0 - self.first {
            self.offsets.set(i as usize, at);
        }
        self.next = node.0 + 1;
        self.current = Some(node.0);
    }

    /// Dense index of the node with this dump id.
    #[inline]
    pub fn lookup(&self, id: u64) -> Option<NodeIdx> {
        self.index.get(id).map(NodeIdx)
    }

    /// An edge from the current node to the node with dump id `id` (0 = null, ignored).
    #[inline(always)]
    pub fn edge_to_id(&mut self, id: u64, weak: bool, label: Label) -> bool {
        if id == 0 || self.current.is_none() {
            return id == 0;
        }
        match resolve(
            self.index,
            id,
            self.current,
            &mut self.missing,
            &mut self.first_missing,
        ) {
            Some(t) => {
                self.push(t, weak, label);
                true
            }
            None => false,
        }
    }

    /// An edge from the current node to a dense index.
    #[inline]
    pub fn edge_to_idx(&mut self, target: NodeIdx, weak: bool, label: Label) -> bool {
        if self.current.is_none() {
            return false;
        }
        if target.ix() >= self.node_count {
            self.missing += 1;
            return false;
        }
        self.push(target.0, weak, label);
        true
    }

    #[inline(always)]
    fn push(&mut self, t: u32, weak: bool, label: Label) {
        if self.len >= self.targets.len() {
            self.dropped += 1;
            return;
        }
        self.targets
            .set(self.len, if weak { t | WEAK_BIT } else { t });
        if self.keep_labels {
            self.labels.set(self.len, label.encode());
        }
        self.len += 1;
    }

    /// The run's counts; its buffered edges go to their files (the slots are dropped).
    fn close(mut self) -> EdgeRun {
        let at = (self.base + self.len as u64) as EdgePos;
        for i in (self.next - self.first) as usize..self.offsets.len() {
            self.offsets.set(i, at);
        }
        self.next = self.first + self.offsets.len() as u32;
        EdgeRun {
            len: self.len,
            missing: self.missing,
            first_missing: self.first_missing,
            dropped: self.dropped,
            out_of_order: self.out_of_order,
        }
    }
}

/// Lower the CSR offsets `a..e` by `shift` in their spill file `file` (the column's own, from
/// byte 0), a window of [`STAGE_BYTES`] at a time read with `pread` and written
/// back with `pwrite`. Returns the offset index up to which that was done (`e`, or where a read
/// or write failed) and, when a write failed, that window's lowered values, to be stored from
/// there (part of them may be in the file already): the caller does the rest through the
/// mapping.
fn lower_in_file(
    file: &std::fs::File,
    a: usize,
    e: usize,
    shift: EdgePos,
) -> (usize, Vec<EdgePos>) {
    use std::os::unix::fs::FileExt;
    let size = std::mem::size_of::<EdgePos>();
    let window = STAGE_BYTES / size;
    let mut buf = vec![0u8; window.min(e - a) * size];
    let mut at = a;
    while at < e {
        let n = window.min(e - at);
        let bytes = &mut buf[..n * size];
        let pos = (at * size) as u64;
        if file.read_exact_at(bytes, pos).is_err() {
            return (at, Vec::new());
        }
        for w in bytes.chunks_exact_mut(size) {
            let v = EdgePos::from_ne_bytes([w[0], w[1], w[2], w[3]]) - shift;
            w.copy_from_slice(&v.to_ne_bytes());
        }
        if file.write_all_at(bytes, pos).is_err() {
            let lowered = bytes
                .chunks_exact(size)
                .map(|w| EdgePos::from_ne_bytes([w[0], w[1], w[2], w[3]]))
                .collect();
            return (at, lowered);
        }
        at += n;
    }
    (e, Vec::new())
}
