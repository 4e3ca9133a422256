//! The two-phase [`GraphBuilder`]: nodes first (ids mapped to dense indices by sorting), then each
//! node's references, resolved to dense indices as they arrive.

use rayon::prelude::*;

use crate::graph::{HeapGraph, Policy, Root, WEAK_BIT};
use crate::types::{Interner, Label, LabelId, NodeIdx, NodeKind, TypeId};

/// Sorted id → dense index map with a bucket table over the high bits, so a lookup is a short
/// binary search inside one bucket. 12 bytes per node plus 4 bytes per bucket; freed by `finish`.
struct IdIndex {
    /// ids in ascending order
    ids: Vec<u64>,
    /// dense index of `ids[i]`
    idx: Vec<u32>,
    min: u64,
    shift: u32,
    /// `buckets[b]..buckets[b+1]` is the range of `ids` whose `(id - min) >> shift == b`
    buckets: Vec<u32>,
}

impl IdIndex {
    fn build(node_ids: &[u64]) -> (IdIndex, u64) {
        let mut pairs: Vec<(u64, u32)> =
            node_ids.par_iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
        // Stable order among equal ids (the first node keeps the id).
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
        let (min, max) = match (ids.first(), ids.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (0, 0),
        };
        let span = max - min;
        // About 8 ids per bucket on uniform ids.
        let want_buckets = (ids.len() / 8).max(1) as u64;
        let mut shift = 0u32;
        while shift < 63 && (span >> shift) >= want_buckets {
            shift += 1;
        }
        let nb = ((span >> shift) + 2) as usize;
        let mut buckets = vec![0u32; nb];
        for &id in &ids {
            buckets[(((id - min) >> shift) + 1) as usize] += 1;
        }
        for b in 1..nb {
            buckets[b] += buckets[b - 1];
        }
        (IdIndex { ids, idx, min, shift, buckets }, dups)
    }

    #[inline]
    fn get(&self, id: u64) -> Option<u32> {
        if id < self.min {
            return None;
        }
        let b = ((id - self.min) >> self.shift) as usize;
        if b + 1 >= self.buckets.len() {
            return None;
        }
        let lo = self.buckets[b] as usize;
        let hi = self.buckets[b + 1] as usize;
        let slice = &self.ids[lo..hi];
        slice.binary_search(&id).ok().map(|p| self.idx[lo + p])
    }
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
/// Memory while building: 8 (id) + 4 (type) + 8 (shallow) + 1 (kind) bytes per node, 12 more per
/// node for the id index during phase 2, 8 per node of CSR offsets, and 4 per edge (+4 with labels).
pub struct GraphBuilder {
    ids: Vec<u64>,
    type_of: Vec<u32>,
    shallow: Vec<u64>,
    kind: Vec<u8>,
    counts: Vec<u64>,
    types: Interner,
    labels: Interner,
    root_kinds: Interner,
    roots: Vec<PendingRoot>,
    index: Option<IdIndex>,
    offsets: Vec<u64>,
    targets: Vec<u32>,
    edge_labels: Vec<u32>,
    keep_labels: bool,
    current: Option<u32>,
    missing_refs: u64,
    first_missing: Option<(u64, u32)>,
    out_of_order: u64,
    warnings: Vec<String>,
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
            ids: Vec::new(),
            type_of: Vec::new(),
            shallow: Vec::new(),
            kind: Vec::new(),
            counts: Vec::new(),
            types: Interner::new(),
            labels,
            root_kinds,
            roots: Vec::new(),
            index: None,
            offsets: Vec::new(),
            targets: Vec::new(),
            edge_labels: Vec::new(),
            keep_labels: true,
            current: None,
            missing_refs: 0,
            first_missing: None,
            out_of_order: 0,
            warnings: Vec::new(),
        }
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
        self.roots.push(PendingRoot { target: RootTarget::Id(id), kind, via });
    }

    /// A GC root given by dense index.
    pub fn add_root_idx(&mut self, node: NodeIdx, kind: &str, via: Option<&str>) {
        let kind = self.root_kinds.intern(kind);
        let via = via.map(|v| self.labels.intern(v)).unwrap_or(0);
        self.roots.push(PendingRoot { target: RootTarget::Idx(node.0), kind, via });
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
            self.offsets.push(self.targets.len() as u64);
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
        match self.lookup(id) {
            Some(t) => {
                self.push_edge(t.0, weak, label);
                true
            }
            None => {
                self.missing_refs += 1;
                if self.first_missing.is_none() {
                    self.first_missing = self.current.map(|c| (id, c));
                }
                false
            }
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
        self.targets.push(if weak { t | WEAK_BIT } else { t });
        if self.keep_labels {
            self.edge_labels.push(label.encode());
        }
    }

    /// Add a warning that will travel with the graph into the report.
    pub fn warn(&mut self, w: impl Into<String>) {
        self.warnings.push(w.into());
    }

    /// Close phase 2 and produce the graph.
    pub fn finish(mut self, policy: Policy) -> HeapGraph {
        self.start_edges();
        if self.index.is_none() && self.roots.iter().any(|r| matches!(r.target, RootTarget::Id(_))) {
            self.ensure_index();
        }
        let n = self.ids.len();
        while self.offsets.len() < n + 1 {
            self.offsets.push(self.targets.len() as u64);
        }
        if !self.counts.is_empty() {
            self.counts.resize(n, 1);
        }
        if n > (WEAK_BIT as usize) {
            self.warnings.push(format!("{n} nodes exceed the graph's limit of 2^31"));
        }
        let mut roots = Vec::with_capacity(self.roots.len());
        let mut missing_roots = 0u64;
        for r in &self.roots {
            let node = match r.target {
                RootTarget::Id(id) => self.index.as_ref().and_then(|ix| ix.get(id)),
                RootTarget::Idx(i) => ((i as usize) < n).then_some(i),
            };
            match node {
                Some(node) => roots.push(Root { node: NodeIdx(node), kind: r.kind, via: r.via }),
                None => missing_roots += 1,
            }
        }
        if self.missing_refs > 0 {
            let ex = self
                .first_missing
                .map(|(id, from)| {
                    format!(" (first: 0x{id:x} from node 0x{:x})", self.ids[from as usize])
                })
                .unwrap_or_default();
            self.warnings.push(format!(
                "{} references point to ids that are not in the dump; they were skipped{ex}",
                self.missing_refs
            ));
        }
        if missing_roots > 0 {
            self.warnings
                .push(format!("{missing_roots} GC roots point to ids that are not in the dump"));
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
