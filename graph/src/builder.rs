//! The two-phase [`GraphBuilder`]: nodes first (ids mapped to dense indices by sorting), then each
//! node's references, resolved to dense indices as they arrive.

use rayon::prelude::*;

use crate::column::{Column, Spill};
use crate::graph::{EdgePos, HeapGraph, Policy, Root, MAX_EDGES, WEAK_BIT};
use crate::types::{Interner, Label, LabelId, NodeIdx, NodeKind, TypeId};

/// Sorted id → dense index map with a bucket table over the high bits, so a lookup is a short
/// binary search inside one bucket; freed by `finish`.
///
/// When the ids, less their minimum and their common trailing zero bits (heap addresses are
/// 8-byte aligned), fit beside a node index in 64 bits — every real heap dump — each entry is one
/// `u64` key `(id - min) >> tz << idx_bits | idx`, sorted in place: 8 bytes per node while sorting
/// and after (plus ~0.5 for buckets). Otherwise (ids spread over the whole u64 range) it falls
/// back to sorted `(id, idx)` pairs: 16 bytes per node while sorting, 12 after.
struct IdIndex {
    keys: Keys,
    min: u64,
    /// bucket `b` holds the entries whose key prefix `>> shift == b`
    shift: u32,
    /// `buckets[b]..buckets[b+1]` is the range of entries of bucket `b`
    buckets: Vec<u32>,
}

enum Keys {
    Packed {
        keys: Vec<u64>,
        tz: u32,
        idx_bits: u32,
    },
    Pairs {
        ids: Vec<u64>,
        idx: Vec<u32>,
    },
}

impl IdIndex {
    fn build(node_ids: &[u64]) -> (IdIndex, u64) {
        let n = node_ids.len();
        let (min, max) = node_ids
            .par_iter()
            .fold(|| (u64::MAX, 0u64), |(a, b), &x| (a.min(x), b.max(x)))
            .reduce(|| (u64::MAX, 0u64), |(a, b), (c, d)| (a.min(c), b.max(d)));
        let min = if n == 0 { 0 } else { min };
        let ors = node_ids
            .par_iter()
            .map(|&x| x - min)
            .reduce(|| 0, |a, b| a | b);
        let tz = if ors == 0 { 0 } else { ors.trailing_zeros() };
        let span = (max.saturating_sub(min)) >> tz;
        let span_bits = 64 - span.leading_zeros();
        let idx_bits = (64 - (n.max(2) as u64 - 1).leading_zeros()).max(1);
        if span_bits + idx_bits <= 64 {
            // Counting sort by bucket (ids of real dumps are nearly in address order, so the
            // scatter is almost sequential), then a short sort inside each bucket: O(n), and no
            // second array of keys.
            let want_buckets = (n / 8).max(1) as u64;
            let mut shift = 0u32;
            while shift < 63 && (span >> shift) >= want_buckets {
                shift += 1;
            }
            let nb = ((span >> shift) + 2) as usize;
            let mut buckets = vec![0u32; nb];
            for &id in node_ids {
                buckets[((((id - min) >> tz) >> shift) + 1) as usize] += 1;
            }
            for b in 1..nb {
                buckets[b] += buckets[b - 1];
            }
            let mut keys = vec![0u64; n];
            {
                let mut cursor: Vec<u32> = buckets[..nb - 1].to_vec();
                for (i, &id) in node_ids.iter().enumerate() {
                    let p = (id - min) >> tz;
                    let c = &mut cursor[(p >> shift) as usize];
                    keys[*c as usize] = (p << idx_bits) | i as u64;
                    *c += 1;
                }
            }
            // Sort each bucket, drop repeated ids (equal ids are adjacent, lowest index first:
            // the first node keeps the id) and close up, moving the bucket starts along.
            let mut dups = 0u64;
            let mut w = 0usize;
            for b in 0..nb - 1 {
                let (lo, hi) = (buckets[b] as usize, buckets[b + 1] as usize);
                keys[lo..hi].sort_unstable();
                buckets[b] = w as u32;
                for r in lo..hi {
                    let k = keys[r];
                    if w > buckets[b] as usize && keys[w - 1] >> idx_bits == k >> idx_bits {
                        dups += 1;
                        continue;
                    }
                    keys[w] = k;
                    w += 1;
                }
            }
            buckets[nb - 1] = w as u32;
            keys.truncate(w);
            let keys = Keys::Packed { keys, tz, idx_bits };
            return (
                IdIndex {
                    keys,
                    min,
                    shift,
                    buckets,
                },
                dups,
            );
        }
        let mut pairs: Vec<(u64, u32)> = node_ids
            .par_iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        pairs.par_sort_unstable();
        let mut dups = 0u64;
        let mut ids = Vec::with_capacity(pairs.len());
        let mut idx = Vec::with_capacity(pairs.len());
        for (i, &(id, ix)) in pairs.iter().enumerate() {
            if i > 0 && pairs[i - 1].0 == id {
                dups += 1;
                continue;
            }
            ids.push(id);
            idx.push(ix);
        }
        drop(pairs);
        let (shift, buckets) = Self::buckets(ids.iter().map(|&id| id - min), ids.len(), max - min);
        (
            IdIndex {
                keys: Keys::Pairs { ids, idx },
                min,
                shift,
                buckets,
            },
            dups,
        )
    }

    /// Bucket table over sorted prefixes (`0..=span`): about 8 entries per bucket on uniform ids.
    fn buckets(prefixes: impl Iterator<Item = u64>, len: usize, span: u64) -> (u32, Vec<u32>) {
        let want_buckets = (len / 8).max(1) as u64;
        let mut shift = 0u32;
        while shift < 63 && (span >> shift) >= want_buckets {
            shift += 1;
        }
        let nb = ((span >> shift) + 2) as usize;
        let mut buckets = vec![0u32; nb];
        for p in prefixes {
            buckets[((p >> shift) + 1) as usize] += 1;
        }
        for b in 1..nb {
            buckets[b] += buckets[b - 1];
        }
        (shift, buckets)
    }

    #[inline]
    fn get(&self, id: u64) -> Option<u32> {
        if id < self.min {
            return None;
        }
        let d = id - self.min;
        match &self.keys {
            Keys::Packed { keys, tz, idx_bits } => {
                if d & ((1u64 << tz) - 1) != 0 {
                    return None;
                }
                let p = d >> tz;
                let b = (p >> self.shift) as usize;
                if b + 1 >= self.buckets.len() {
                    return None;
                }
                let slice = &keys[self.buckets[b] as usize..self.buckets[b + 1] as usize];
                let at = slice.partition_point(|&k| k >> idx_bits < p);
                let k = *slice.get(at)?;
                (k >> idx_bits == p).then_some((k & ((1u64 << idx_bits) - 1)) as u32)
            }
            Keys::Pairs { ids, idx } => {
                let b = (d >> self.shift) as usize;
                if b + 1 >= self.buckets.len() {
                    return None;
                }
                let lo = self.buckets[b] as usize;
                let hi = self.buckets[b + 1] as usize;
                ids[lo..hi].binary_search(&id).ok().map(|p| idx[lo + p])
            }
        }
    }
}

/// The dense index of an edge's target id, or `None` after counting it as missing (the first
/// one is kept for the warning, with the node `current` it came from).
#[inline]
fn resolve(
    index: &IdIndex,
    id: u64,
    current: Option<u32>,
    missing: &mut u64,
    first_missing: &mut Option<(u64, u32)>,
) -> Option<u32> {
    let t = index.get(id);
    if t.is_none() {
        *missing += 1;
        if first_missing.is_none() {
            *first_missing = current.map(|c| (id, c));
        }
    }
    t
}

enum RootTarget {
    Id(u64),
    Idx(u32),
}

struct PendingRoot {
    target: RootTarget,
    kind: u32,
    via: u32,
}

/// Builds a [`HeapGraph`] in two phases. See the crate docs for an example.
///
/// Memory while building: 8 (id) + 4 (type) + 8 (shallow) + 1 (kind) bytes per node, 8.5 more
/// per node for the id index during phase 2, 4 per node of CSR offsets, and 4 per edge (+4 with
/// labels). With [`with_spill`](Self::with_spill) the id, type, shallow, kind, count and label
/// columns go to spill files once large ([`Column`]): only the index, offsets and targets stay
/// in anonymous memory.
pub struct GraphBuilder {
    ids: Column<u64>,
    type_of: Column<u32>,
    shallow: Column<u64>,
    kind: Column<u8>,
    counts: Column<u64>,
    types: Interner,
    labels: Interner,
    root_kinds: Interner,
    roots: Vec<PendingRoot>,
    index: Option<IdIndex>,
    offsets: Vec<EdgePos>,
    targets: Vec<u32>,
    edge_labels: Column<u32>,
    keep_labels: bool,
    current: Option<u32>,
    missing_refs: u64,
    first_missing: Option<(u64, u32)>,
    out_of_order: u64,
    /// References beyond `max_edges`, dropped.
    over_limit: u64,
    /// The most references kept ([`MAX_EDGES`] unless a test lowers it).
    max_edges: usize,
    warnings: Vec<String>,
    spill: Spill,
}

impl Default for GraphBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GraphBuilder {
    pub fn new() -> Self {
        let mut labels = Interner::new();
        labels.intern(""); // LabelId(0) is "no label"
        let mut root_kinds = Interner::new();
        root_kinds.intern("");
        GraphBuilder {
            ids: Column::default(),
            type_of: Column::default(),
            shallow: Column::default(),
            kind: Column::default(),
            counts: Column::default(),
            types: Interner::new(),
            labels,
            root_kinds,
            roots: Vec::new(),
            index: None,
            offsets: Vec::new(),
            targets: Vec::new(),
            edge_labels: Column::default(),
            keep_labels: true,
            current: None,
            missing_refs: 0,
            first_missing: None,
            out_of_order: 0,
            over_limit: 0,
            max_edges: MAX_EDGES,
            warnings: Vec::new(),
            spill: Spill::never(),
        }
    }

    /// Move the display columns (ids, shallow sizes, kinds once phase 1 ends; types, counts and
    /// edge labels in [`finish`](Self::finish)) into spill files when large (see [`Column`]).
    /// Formats that rewrite types or labels after `finish` use
    /// [`finish_in_memory`](Self::finish_in_memory) and [`HeapGraph::spill_columns`].
    pub fn with_spill(mut self, spill: &Spill) -> Self {
        self.spill = spill.clone();
        self
    }

    /// Reserve room for `nodes` nodes. Callers pass a count bounded by the input's size.
    pub fn reserve_nodes(&mut self, nodes: usize) {
        self.ids.reserve(nodes);
        self.type_of.reserve(nodes);
        self.shallow.reserve(nodes);
        self.kind.reserve(nodes);
    }

    /// Reserve room for `edges` edges. Callers pass a count bounded by the input's size.
    pub fn reserve_edges(&mut self, edges: usize) {
        self.targets.reserve(edges);
        if self.keep_labels {
            self.edge_labels.reserve(edges);
        }
    }

    /// Keep at most `n` references (never more than [`MAX_EDGES`], what 4-byte CSR offsets
    /// address); the rest are dropped with a warning. For tests of that limit.
    pub fn with_max_edges(mut self, n: usize) -> Self {
        self.max_edges = n.min(MAX_EDGES);
        self
    }

    /// Do not store edge labels (saves 4 bytes per edge; paths then show no field names).
    pub fn without_labels(mut self) -> Self {
        self.keep_labels = false;
        self
    }

    pub fn intern_type(&mut self, name: &str) -> TypeId {
        TypeId(self.types.intern(name))
    }

    pub fn type_name(&self, t: TypeId) -> &str {
        self.types.get(t.0)
    }

    pub fn intern_label(&mut self, name: &str) -> LabelId {
        if name.is_empty() {
            return LabelId(0);
        }
        LabelId(self.labels.intern(name))
    }

    /// Phase 1: add a node; returns its dense index (nodes are numbered in call order).
    #[inline]
    pub fn add_node(&mut self, id: u64, ty: TypeId, kind: NodeKind, shallow: u64) -> NodeIdx {
        let i = self.ids.len() as u32;
        self.ids.push(id);
        self.type_of.push(ty.0);
        self.shallow.push(shallow);
        self.kind.push(kind as u8);
        NodeIdx(i)
    }

    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Change the shallow size of a node already added (e.g. when a later record tells it).
    pub fn set_shallow(&mut self, node: NodeIdx, shallow: u64) {
        if let Some(s) = self.shallow.get_mut(node.ix()) {
            *s = shallow;
        }
    }

    /// Set how many objects a node stands for (allocation profiles). Nodes never set count 1.
    pub fn set_count(&mut self, node: NodeIdx, count: u64) {
        if node.ix() >= self.ids.len() {
            return;
        }
        if self.counts.len() < self.ids.len() {
            self.counts.resize(self.ids.len(), 1);
        }
        self.counts[node.ix()] = count;
    }

    /// A GC root given by the dump's id; resolved in [`finish`](Self::finish). `via` describes
    /// how the root holds it, e.g. `local in com.x.Foo.run(Foo.java:42)`.
    pub fn add_root_id(&mut self, id: u64, kind: &str, via: Option<&str>) {
        let kind = self.root_kinds.intern(kind);
        let via = via.map(|v| self.labels.intern(v)).unwrap_or(0);
        self.roots.push(PendingRoot {
            target: RootTarget::Id(id),
            kind,
            via,
        });
    }

    /// A GC root given by dense index.
    pub fn add_root_idx(&mut self, node: NodeIdx, kind: &str, via: Option<&str>) {
        let kind = self.root_kinds.intern(kind);
        let via = via.map(|v| self.labels.intern(v)).unwrap_or(0);
        self.roots.push(PendingRoot {
            target: RootTarget::Idx(node.0),
            kind,
            via,
        });
    }

    /// End of phase 1: sort the ids into the lookup index.
    pub fn finish_nodes(&mut self) {
        self.start_edges();
        self.ensure_index();
    }

    /// End of phase 1 for formats whose references are dense indices already (V8): no id
    /// index is built up front (it costs 12 bytes per node). Should a reference or root by id
    /// come after all, the index is built then.
    pub fn finish_nodes_without_index(&mut self) {
        self.start_edges();
    }

    fn start_edges(&mut self) {
        if self.offsets.is_empty() {
            // Phase 1 is over: the columns no later step rewrites go to spill files now, before
            // the id index and the edges take their memory.
            for r in [
                self.ids.spill(&self.spill),
                self.shallow.spill(&self.spill),
                self.kind.spill(&self.spill),
            ] {
                if let Err(why) = r {
                    spill_warning(&mut self.warnings, &why);
                }
            }
            self.offsets.reserve_exact(self.ids.len() + 1);
            self.offsets.push(0);
        }
    }

    fn ensure_index(&mut self) {
        if self.index.is_some() {
            return;
        }
        let (index, dups) = IdIndex::build(&self.ids);
        if dups > 0 {
            self.warnings.push(format!(
                "{dups} nodes share an id with an earlier node; references resolve to the first"
            ));
        }
        self.index = Some(index);
    }

    /// Dense index of the node with this dump id (after `finish_nodes`).
    #[inline]
    pub fn lookup(&self, id: u64) -> Option<NodeIdx> {
        self.index.as_ref().and_then(|ix| ix.get(id)).map(NodeIdx)
    }

    /// Phase 1 in bulk: append `counts.iter().sum()` nodes as consecutive runs, the `k`-th run of
    /// `counts[k]` nodes filled by `fill(k, slots)`, in parallel (rayon). Each run's nodes get
    /// dense indices from `slots.first` on, in run order, exactly as if they were added one by one
    /// in that order. Callers pass counts bounded by the input's size (e.g. counted records).
    pub fn add_nodes_parallel<R, F>(&mut self, counts: &[usize], fill: F) -> Vec<R>
    where
        R: Send,
        F: Fn(usize, NodeSlots<'_>) -> R + Sync,
    {
        let n0 = self.ids.len();
        let total: usize = counts.iter().sum();
        self.ids.resize(n0 + total, 0);
        self.type_of.resize(n0 + total, 0);
        self.shallow.resize(n0 + total, 0);
        self.kind.resize(n0 + total, 0);
        let mut runs = Vec::with_capacity(counts.len());
        let (mut ids, mut tys, mut sh, mut kd) = (
            &mut self.ids[n0..],
            &mut self.type_of[n0..],
            &mut self.shallow[n0..],
            &mut self.kind[n0..],
        );
        let mut first = n0;
        for &c in counts {
            let (a, r1) = ids.split_at_mut(c);
            let (b, r2) = tys.split_at_mut(c);
            let (d, r3) = sh.split_at_mut(c);
            let (e, r4) = kd.split_at_mut(c);
            runs.push(NodeSlots {
                first: NodeIdx(first as u32),
                ids: a,
                types: b,
                shallow: d,
                kind: e,
            });
            (ids, tys, sh, kd) = (r1, r2, r3, r4);
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
        self.targets.resize(e0 + total, 0);
        if keep_labels {
            self.edge_labels.resize(e0 + total, 0);
        }
        self.offsets.resize(end_node as usize + 1, 0);
        let Some(index) = self.index.as_ref() else {
            return Vec::new();
        };
        let node_count = self.ids.len();
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
                    offsets: o,
                    targets: t,
                    labels: l,
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
        let results: Vec<(R, EdgeRun)> = slots
            .into_par_iter()
            .enumerate()
            .map(|(k, mut s)| {
                let r = fill(k, &mut s);
                (r, s.close())
            })
            .collect();
        // Close the gaps each run left below its bound, in order.
        let mut write = e0;
        let mut read = e0;
        let mut out = Vec::with_capacity(results.len());
        for ((r, run), &(a, e, max)) in results.into_iter().zip(&bounds) {
            if read != write {
                self.targets.copy_within(read..read + run.len, write);
                if keep_labels {
                    self.edge_labels.copy_within(read..read + run.len, write);
                }
                let shift = (read - write) as EdgePos;
                for o in &mut self.offsets[a as usize..e as usize] {
                    *o -= shift;
                }
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
        self.targets.truncate(write);
        if keep_labels {
            self.edge_labels.truncate(write);
        }
        self.offsets[end_node as usize] = write as EdgePos;
        out
    }

    /// Phase 2: the following edges belong to `node`. Nodes must come in increasing order; nodes
    /// skipped have no edges. A node given out of order is counted and its edges are dropped.
    #[inline]
    pub fn begin_node(&mut self, node: NodeIdx) {
        if self.offsets.is_empty() {
            self.finish_nodes();
        }
        let done = self.offsets.len() as u32 - 1; // nodes whose edge range is closed
        if node.0 < done || node.0 as usize >= self.ids.len() {
            self.out_of_order += 1;
            self.current = None;
            return;
        }
        while (self.offsets.len() as u32 - 1) < node.0 {
            self.offsets.push(self.targets.len() as EdgePos);
        }
        // offsets.len() - 1 == node: the range of `node` is open until the next begin/finish.
        self.current = Some(node.0);
    }

    /// Phase 2: an edge from the current node to the node with dump id `id`. Id 0 (null) is
    /// ignored. Returns false when the id is unknown (counted for the warning).
    #[inline]
    pub fn edge_to_id(&mut self, id: u64, weak: bool, label: Label) -> bool {
        if id == 0 || self.current.is_none() {
            return id == 0;
        }
        if self.index.is_none() {
            self.ensure_index();
        }
        let Some(index) = self.index.as_ref() else {
            return false;
        };
        match resolve(
            index,
            id,
            self.current,
            &mut self.missing_refs,
            &mut self.first_missing,
        ) {
            Some(t) => {
                self.push_edge(t, weak, label);
                true
            }
            None => false,
        }
    }

    /// Phase 2: an edge from the current node to a dense index.
    #[inline]
    pub fn edge_to_idx(&mut self, target: NodeIdx, weak: bool, label: Label) -> bool {
        if self.current.is_none() {
            return false;
        }
        if target.ix() >= self.ids.len() {
            self.missing_refs += 1;
            return false;
        }
        self.push_edge(target.0, weak, label);
        true
    }

    #[inline]
    fn push_edge(&mut self, t: u32, weak: bool, label: Label) {
        if self.targets.len() >= self.max_edges {
            self.over_limit += 1;
            return;
        }
        self.targets.push(if weak { t | WEAK_BIT } else { t });
        if self.keep_labels {
            self.edge_labels.push(label.encode());
        }
    }

    /// Add a warning that will travel with the graph into the report.
    pub fn warn(&mut self, w: impl Into<String>) {
        self.warnings.push(w.into());
    }

    /// Close phase 2 and produce the graph, its display columns spilled as
    /// [`with_spill`](Self::with_spill) says.
    pub fn finish(self, policy: Policy) -> HeapGraph {
        let spill = self.spill.clone();
        let mut g = self.finish_in_memory(policy);
        g.spill_columns(&spill);
        g
    }

    /// [`finish`](Self::finish), leaving the type, count and label columns in memory (for a
    /// format that rewrites them next; it then calls [`HeapGraph::spill_columns`]).
    pub fn finish_in_memory(mut self, policy: Policy) -> HeapGraph {
        self.start_edges();
        if self.index.is_none()
            && self
                .roots
                .iter()
                .any(|r| matches!(r.target, RootTarget::Id(_)))
        {
            self.ensure_index();
        }
        let n = self.ids.len();
        while self.offsets.len() < n + 1 {
            self.offsets.push(self.targets.len() as EdgePos);
        }
        if !self.counts.is_empty() {
            self.counts.resize(n, 1);
        }
        if n > (WEAK_BIT as usize) {
            self.warnings
                .push(format!("{n} nodes exceed the graph's limit of 2^31"));
        }
        let mut roots = Vec::with_capacity(self.roots.len());
        let mut missing_roots = 0u64;
        for r in &self.roots {
            let node = match r.target {
                RootTarget::Id(id) => self.index.as_ref().and_then(|ix| ix.get(id)),
                RootTarget::Idx(i) => ((i as usize) < n).then_some(i),
            };
            match node {
                Some(node) => roots.push(Root {
                    node: NodeIdx(node),
                    kind: r.kind,
                    via: r.via,
                }),
                None => missing_roots += 1,
            }
        }
        if self.missing_refs > 0 {
            let ex = self
                .first_missing
                .map(|(id, from)| {
                    format!(
                        " (first: 0x{id:x} from node 0x{:x})",
                        self.ids[from as usize]
                    )
                })
                .unwrap_or_default();
            self.warnings.push(format!(
                "{} references point to ids that are not in the dump; they were skipped{ex}",
                self.missing_refs
            ));
        }
        if missing_roots > 0 {
            self.warnings.push(format!(
                "{missing_roots} GC roots point to ids that are not in the dump"
            ));
        }
        if self.over_limit > 0 {
            self.warnings.push(format!(
                "{} references beyond the graph's limit of {} were dropped; retained sizes are lower bounds",
                self.over_limit, self.max_edges
            ));
        }
        if self.out_of_order > 0 {
            self.warnings.push(format!(
                "{} nodes had their references given out of order; those references were dropped",
                self.out_of_order
            ));
        }
        self.index = None;
        HeapGraph {
            ids: self.ids,
            type_of: self.type_of,
            shallow: self.shallow,
            kind: self.kind,
            counts: self.counts,
            offsets: self.offsets,
            targets: self.targets,
            edge_labels: self.edge_labels,
            roots,
            types: self.types,
            labels: self.labels,
            root_kinds: self.root_kinds,
            policy,
            warnings: self.warnings,
        }
    }
}

/// One warning for all columns that could not spill (the first reason).
pub(crate) fn spill_warning(warnings: &mut Vec<String>, why: &str) {
    const PREFIX: &str = "graph columns kept in memory: ";
    if !warnings.iter().any(|w| w.starts_with(PREFIX)) {
        warnings.push(format!("{PREFIX}{why}"));
    }
}

/// The columns of a run of consecutive new nodes (see [`GraphBuilder::add_nodes_parallel`]).
pub struct NodeSlots<'a> {
    /// Dense index of the run's first node.
    pub first: NodeIdx,
    ids: &'a mut [u64],
    types: &'a mut [u32],
    shallow: &'a mut [u64],
    kind: &'a mut [u8],
}

impl NodeSlots<'_> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Set the `i`-th node of the run (dense index `first + i`); out of range is ignored.
    #[inline]
    pub fn set(&mut self, i: usize, id: u64, ty: TypeId, kind: NodeKind, shallow: u64) {
        if i < self.ids.len() {
            self.ids[i] = id;
            self.types[i] = ty.0;
            self.shallow[i] = shallow;
            self.kind[i] = kind as u8;
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
    /// start offsets of the run's nodes (global edge positions)
    offsets: &'a mut [EdgePos],
    targets: &'a mut [u32],
    labels: &'a mut [u32],
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
        for o in
            &mut self.offsets[(self.next - self.first) as usize..=(node.0 - self.first) as usize]
        {
            *o = at;
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
    #[inline]
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

    #[inline]
    fn push(&mut self, t: u32, weak: bool, label: Label) {
        if self.len >= self.targets.len() {
            self.dropped += 1;
            return;
        }
        self.targets[self.len] = if weak { t | WEAK_BIT } else { t };
        if self.keep_labels {
            self.labels[self.len] = label.encode();
        }
        self.len += 1;
    }

    fn close(mut self) -> EdgeRun {
        let at = (self.base + self.len as u64) as EdgePos;
        for o in &mut self.offsets[(self.next - self.first) as usize..] {
            *o = at;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Policy;

    /// A small pseudo-random graph: ids (some duplicated, some spread over the whole u64 range
    /// so the pair index is used), and per node a list of target ids (some unknown, some null).
    fn shape(seed: u64, n: usize, wide: bool) -> (Vec<u64>, Vec<Vec<u64>>) {
        let mut x = seed;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let ids: Vec<u64> = (0..n)
            .map(|i| match rnd() % 10 {
                0 if i > 0 => 0x1000 + 8 * (rnd() % i as u64), // duplicate-ish
                1 if wide => rnd() | 1,
                _ => 0x1000 + 8 * i as u64,
            })
            .collect();
        let edges = (0..n)
            .map(|_| {
                (0..rnd() % 5)
                    .map(|_| match rnd() % 8 {
                        0 => 0,
                        1 => 0x9999_9999_9999,
                        _ => ids[(rnd() % n as u64) as usize],
                    })
                    .collect()
            })
            .collect();
        (ids, edges)
    }

    fn sequential(ids: &[u64], edges: &[Vec<u64>]) -> HeapGraph {
        let mut b = GraphBuilder::new();
        let t = b.intern_type("T");
        for &id in ids {
            b.add_node(id, t, NodeKind::Object, 16);
        }
        b.finish_nodes();
        for (v, es) in edges.iter().enumerate() {
            if es.is_empty() {
                continue;
            }
            b.begin_node(NodeIdx(v as u32));
            for (k, &e) in es.iter().enumerate() {
                b.edge_to_id(e, k % 3 == 2, Label::Index(k as u32));
            }
        }
        b.finish(Policy::MAT)
    }

    fn parallel(ids: &[u64], edges: &[Vec<u64>], runs: usize) -> HeapGraph {
        let mut b = GraphBuilder::new();
        let t = b.intern_type("T");
        let n = ids.len();
        let cut: Vec<usize> = (0..=runs).map(|r| r * n / runs).collect();
        let counts: Vec<usize> = cut.windows(2).map(|w| w[1] - w[0]).collect();
        b.add_nodes_parallel(&counts, |k, mut s| {
            for i in 0..s.len() {
                s.set(i, ids[cut[k] + i], t, NodeKind::Object, 16);
            }
        });
        b.finish_nodes();
        let bounds: Vec<(u32, usize)> = cut
            .windows(2)
            .map(|w| (w[1] as u32, edges[w[0]..w[1]].iter().map(|e| e.len()).sum()))
            .collect();
        b.fill_edges_parallel(&bounds, |k, s| {
            for v in cut[k]..cut[k + 1] {
                if edges[v].is_empty() {
                    continue;
                }
                s.begin_node(NodeIdx(v as u32));
                for (j, &e) in edges[v].iter().enumerate() {
                    s.edge_to_id(e, j % 3 == 2, Label::Index(j as u32));
                }
            }
        });
        b.finish(Policy::MAT)
    }

    #[test]
    fn references_beyond_the_edge_limit_are_dropped_with_a_warning() {
        let (ids, edges) = shape(11, 200, false);
        let total: usize = edges.iter().map(|e| e.len()).sum();
        let limit = total / 2;
        // Sequential: the first `limit` references are kept, the rest counted.
        let mut b = GraphBuilder::new().with_max_edges(limit);
        let t = b.intern_type("T");
        for &id in &ids {
            b.add_node(id, t, NodeKind::Object, 16);
        }
        b.finish_nodes();
        for (v, es) in edges.iter().enumerate() {
            b.begin_node(NodeIdx(v as u32));
            for &e in es {
                b.edge_to_id(e, false, Label::None);
            }
        }
        let g = b.finish(Policy::MAT);
        assert_eq!(g.edge_count(), limit);
        assert_eq!(*g.offsets.last().unwrap() as usize, limit);
        assert!(g.offsets.windows(2).all(|w| w[0] <= w[1]));
        // (the shape also has unknown ids, which are not edges: count what resolves)
        let needle = format!("references beyond the graph's limit of {limit} were dropped");
        assert!(
            g.warnings.iter().any(|w| w.contains(&needle)),
            "{:?}",
            g.warnings
        );
        // Parallel: runs past the limit get no room; the CSR stays consistent.
        let mut p = GraphBuilder::new().with_max_edges(limit);
        let t = p.intern_type("T");
        p.add_nodes_parallel(&[ids.len()], |_, mut s| {
            for i in 0..s.len() {
                s.set(i, ids[i], t, NodeKind::Object, 16);
            }
        });
        p.finish_nodes();
        let cut = [0usize, 100, 200];
        let bounds: Vec<(u32, usize)> = cut
            .windows(2)
            .map(|w| (w[1] as u32, edges[w[0]..w[1]].iter().map(|e| e.len()).sum()))
            .collect();
        p.fill_edges_parallel(&bounds, |k, s| {
            for v in cut[k]..cut[k + 1] {
                s.begin_node(NodeIdx(v as u32));
                for &e in &edges[v] {
                    s.edge_to_id(e, false, Label::None);
                }
            }
        });
        let pg = p.finish(Policy::MAT);
        assert!(pg.edge_count() <= limit);
        assert_eq!(*pg.offsets.last().unwrap() as usize, pg.edge_count());
        assert!(pg.offsets.windows(2).all(|w| w[0] <= w[1]));
        assert!(
            pg.warnings
                .iter()
                .any(|w| w.contains("beyond the graph's limit")),
            "{:?}",
            pg.warnings
        );
    }

    #[test]
    fn parallel_build_equals_sequential() {
        for (seed, n, wide) in [
            (1, 1, false),
            (7, 50, false),
            (99, 1000, false),
            (5, 700, true),
            (3, 0, false),
        ] {
            let (ids, edges) = shape(seed + 1, n, wide);
            let a = sequential(&ids, &edges);
            for runs in [1, 3, 16] {
                let b = parallel(&ids, &edges, runs);
                assert_eq!(a.ids, b.ids);
                assert_eq!(a.offsets, b.offsets, "seed {seed} runs {runs}");
                assert_eq!(a.targets, b.targets);
                assert_eq!(a.edge_labels, b.edge_labels);
                assert_eq!(a.warnings, b.warnings);
            }
        }
    }

    #[test]
    fn id_index_finds_every_first_id_and_nothing_else() {
        for wide in [false, true] {
            let (ids, _) = shape(42, 2000, wide);
            let (ix, dups) = IdIndex::build(&ids);
            let mut first = std::collections::HashMap::new();
            for (i, &id) in ids.iter().enumerate() {
                first.entry(id).or_insert(i as u32);
            }
            assert_eq!(dups as usize, ids.len() - first.len());
            for (&id, &i) in &first {
                assert_eq!(ix.get(id), Some(i));
                assert_eq!(
                    ix.get(id.wrapping_add(4)).is_some(),
                    first.contains_key(&id.wrapping_add(4))
                );
            }
            assert_eq!(ix.get(0), first.get(&0).copied());
            assert_eq!(ix.get(u64::MAX), first.get(&u64::MAX).copied());
        }
    }
}
