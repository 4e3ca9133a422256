//! The two-phase [`GraphBuilder`]: nodes first (ids mapped to dense indices by sorting), then each
//! node's references, resolved to dense indices as they arrive.
//!
//! This module owns the public builder API and its phase bookkeeping: configuration, phase 1
//! (nodes, roots), the end of phase 1, sequential phase 2 (`begin_node` / `edge_to_*`) and
//! `finish`, which resolves roots and turns the counts of what was dropped into warnings. The id
//! index lives in `index`; the bulk, parallel forms of both phases in `parallel`.

use crate::column::{Column, Plain, Spill};
use crate::graph::{EdgePos, HeapGraph, Policy, Root, Spare, MAX_EDGES, WEAK_BIT};
use crate::types::{Interner, Label, LabelId, NodeIdx, NodeKind, TypeId};

mod index;
mod parallel;
#[cfg(test)]
mod tests;

use index::{resolve, IdIndex};
pub use parallel::{EdgeSlots, NodeSlots};

enum RootTarget {
    Id(u64),
    Idx(u32),
}

struct PendingRoot {
    target: RootTarget,
    kind: u32,
    via: u32,
}

/// The GC roots as they are added: those added before the id index exists wait (24 B each)
/// until `finish` resolves them; from the index on (phase 2, where HPROF adds its roots) each
/// is resolved as it comes, straight into the graph's column (12 B, in a spill file from the
/// start when [`GraphBuilder::grow_in_files`] and [`GraphBuilder::reserve_roots`] say it is
/// large): 3 M roots took 72 MiB of pending roots and then a 36 MiB copy. The graph's order is
/// the order they were added in: the waiting ones all came first.
#[derive(Default)]
struct Roots {
    pending: Vec<PendingRoot>,
    resolved: Column<Root>,
    /// Roots of `resolved` whose target is not in the dump.
    missing: u64,
    /// The first of them: its id (as the dump gives it) and kind.
    first_missing: Option<(String, u32)>,
}

impl Roots {
    /// A root's node, or `None` (counted, the first named) when its target is not in the
    /// dump.
    fn resolve(
        r: &PendingRoot,
        index: Option<&IdIndex>,
        n: usize,
        missing: &mut u64,
        first: &mut Option<(String, u32)>,
    ) -> Option<Root> {
        let node = match r.target {
            RootTarget::Id(id) => index.and_then(|ix| ix.get(id)),
            RootTarget::Idx(i) => ((i as usize) < n).then_some(i),
        };
        if node.is_none() {
            *missing += 1;
            first.get_or_insert_with(|| {
                let at = match r.target {
                    RootTarget::Id(id) => format!("0x{id:x}"),
                    RootTarget::Idx(i) => format!("node {i}"),
                };
                (at, r.kind)
            });
        }
        node.map(|node| Root {
            node: NodeIdx(node),
            kind: r.kind,
            via: r.via,
        })
    }
}

/// Builds a [`HeapGraph`] in two phases. See the crate docs for an example.
///
/// Memory while building: 8 (id) + 4 (type) + 8 (shallow) + 1 (kind) bytes per node, at most 8
/// more per node for the id index during phase 2, 4 per node of CSR offsets, and 4 per edge (+4
/// with labels). With [`with_spill`](Self::with_spill) the id, type, shallow, kind, count and
/// label columns go to spill files once large ([`Column`]): only the index, offsets and targets
/// stay in anonymous memory. Out of core ([`Spill::out_of_core`]) the arrays the bulk phases
/// size up front (node columns, offsets, targets, labels) grow in spill files from the start
/// ([`Column::in_file`]): only the id index is anonymous.
pub struct GraphBuilder {
    ids: Column<u64>,
    type_of: Column<u32>,
    shallow: Column<u64>,
    kind: Column<u8>,
    counts: Column<u64>,
    types: Interner,
    labels: Interner,
    root_kinds: Interner,
    roots: Roots,
    index: Option<IdIndex>,
    offsets: Column<EdgePos>,
    targets: Column<u32>,
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
    /// The large columns grow in spill files from the start, in memory too
    /// ([`grow_in_files`](Self::grow_in_files)).
    grow_in_files: bool,
    /// Dead memory for the graph's analysis ([`Spare`]), moved into the graph by `finish`.
    spare: Spare,
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
            roots: Roots::default(),
            index: None,
            offsets: Column::default(),
            targets: Column::default(),
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
            grow_in_files: false,
            spare: Spare::default(),
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

    /// For a format that rewrites no column after [`finish`](Self::finish) (HPROF): the
    /// columns the bulk phases size up front (node columns, CSR targets, labels; not the CSR
    /// offsets, see `start_edges`) grow in spill files from the start when they would spill anyway ([`Spill::min_bytes`]
    /// or more, a usable directory), as out of core ([`Column::in_file`]), rather than in
    /// anonymous memory first and then copied into their files: no copy through `write`, no
    /// anonymous pages to zero and free, and the parse's peak is the id index.
    pub fn grow_in_files(mut self) -> Self {
        self.grow_in_files = true;
        self
    }

    /// Reserve room for `nodes` nodes. Callers pass a count bounded by the input's size.
    pub fn reserve_nodes(&mut self, nodes: usize) {
        self.ids.reserve(nodes);
        self.type_of.reserve(nodes);
        self.shallow.reserve(nodes);
        self.kind.reserve(nodes);
    }

    /// Reserve room for `roots` more GC roots (24 B each until `finish` when added before the
    /// id index, else 12 B: see `Roots`). Callers pass a count bounded by the input's size.
    /// Once the index exists, with [`grow_in_files`](Self::grow_in_files), roots that would
    /// spill grow in a spill file from the start.
    pub fn reserve_roots(&mut self, roots: usize) {
        if self.index.is_none() {
            self.roots.pending.reserve_exact(roots);
        } else if !self.in_file(|b| &mut b.roots.resolved, roots) {
            self.roots.resolved.reserve(roots);
        }
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

    /// The type names interned so far (the graph's `types` once finished).
    pub fn types(&self) -> &Interner {
        &self.types
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

    /// Every node's count at once, `count(i)` for node `i` of those added so far, in one pass
    /// (8 B per node, written once): for a builder that knows them all after its nodes are in
    /// (a call tree's blocks), instead of [`set_count`](Self::set_count) per node, which first
    /// fills the column with 1s.
    pub fn set_counts(&mut self, count: impl FnMut(usize) -> u64) {
        let n = self.ids.len();
        self.counts = Column::from((0..n).map(count).collect::<Vec<u64>>());
    }

    /// A GC root given by the dump's id; resolved in [`finish`](Self::finish). `via` describes
    /// how the root holds it, e.g. `local in com.x.Foo.run(Foo.java:42)`.
    pub fn add_root_id(&mut self, id: u64, kind: &str, via: Option<&str>) {
        let kind = self.root_kinds.intern(kind);
        let via = via.map(|v| self.labels.intern(v)).unwrap_or(0);
        self.add_root(PendingRoot {
            target: RootTarget::Id(id),
            kind,
            via,
        });
    }

    /// [`Self::add_root_id`] with its `via` label already interned ([`Self::intern_label`]).
    pub fn add_root_id_via(&mut self, id: u64, kind: &str, via: LabelId) {
        let kind = self.root_kinds.intern(kind);
        self.add_root(PendingRoot {
            target: RootTarget::Id(id),
            kind,
            via: via.0,
        });
    }

    /// A GC root given by dense index.
    pub fn add_root_idx(&mut self, node: NodeIdx, kind: &str, via: Option<&str>) {
        let kind = self.root_kinds.intern(kind);
        let via = via.map(|v| self.labels.intern(v)).unwrap_or(0);
        self.add_root(PendingRoot {
            target: RootTarget::Idx(node.0),
            kind,
            via,
        });
    }

    /// A root waits for `finish` until the id index exists; from then on it is resolved now.
    fn add_root(&mut self, r: PendingRoot) {
        let Some(index) = self.index.as_ref() else {
            self.roots.pending.push(r);
            return;
        };
        let rs = &mut self.roots;
        let n = self.ids.len();
        if let Some(root) =
            Roots::resolve(&r, Some(index), n, &mut rs.missing, &mut rs.first_missing)
        {
            rs.resolved.push(root);
        }
    }

    /// End of phase 1: sort the ids into the lookup index. The ids are copied to their spill
    /// file while the index is built from them (both only read the column, on two threads),
    /// once the shallow sizes and kinds have gone to theirs (so the index's memory comes on top
    /// of the ids alone).
    pub fn finish_nodes(&mut self) {
        if !self.offsets.is_empty() || self.index.is_some() {
            self.start_edges();
            self.ensure_index();
            return;
        }
        let shallow = self.shallow.spill(&self.spill);
        let kind = self.kind.spill(&self.spill);
        let (built, ids) = rayon::join(
            || IdIndex::build(&self.ids),
            || self.ids.spilled_copy(&self.spill),
        );
        let ids = ids.map(|c| self.ids.replace_with(c));
        // the warnings in the order of `start_edges`, then the index's
        for r in [ids, shallow, kind] {
            if let Err(why) = r {
                spill_warning(&mut self.warnings, &why);
            }
        }
        self.start_edges();
        self.set_index(built);
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
            let n = self.ids.len() + 1;
            // In memory the CSR offsets stay anonymous here even with `grow_in_files` (a format
            // that fills them itself, V8, hands over a vector): `fill_edges_parallel` moves them
            // to a spill file of their own when its runs start at the first node.
            if !(self.spill.is_out_of_core() && self.in_file(|b| &mut b.offsets, n)) {
                self.offsets.reserve(n);
            }
            self.offsets.push(0);
        }
    }

    /// Out of core, or [`grow_in_files`](Self::grow_in_files) and past the spill threshold,
    /// make the empty column `col` a file-backed one with room for `cap` elements (see
    /// [`Column::in_file`]). False when in memory (neither, already filled, or the file could
    /// not be made: then one warning says why).
    fn in_file<T: Plain>(&mut self, col: impl Fn(&mut Self) -> &mut Column<T>, cap: usize) -> bool {
        if !col(self).is_empty() {
            return false;
        }
        let large = self.grow_in_files
            && cap.saturating_mul(std::mem::size_of::<T>()) >= self.spill.min_bytes
            && self.spill.is_usable();
        if !large && !self.spill.is_out_of_core() {
            return false;
        }
        let Some(dir) = self.spill.dir.clone() else {
            return false;
        };
        match Column::in_file(&dir, cap) {
            Ok(c) => {
                *col(self) = c;
                true
            }
            Err(why) => {
                spill_warning(&mut self.warnings, &why);
                false
            }
        }
    }

    fn ensure_index(&mut self) {
        if self.index.is_some() {
            return;
        }
        let built = IdIndex::build(&self.ids);
        self.set_index(built);
    }

    fn set_index(&mut self, (index, dups): (IdIndex, u64)) {
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

    /// Move the edge targets to a spill file now, when the builder's [`Spill`] allows (a
    /// directory, past its `min_bytes`), instead of before the analysis' passes
    /// (`Analysis::run_spilled` does the same then; an already spilled column stays): for a
    /// parser that has all its edges but more to read before [`finish`](Self::finish) and
    /// wants the memory meanwhile (V8's strings come after its edges). The targets stay
    /// readable and writable (a written page becomes a private copy). Out of core they are in
    /// a file already. A column that cannot spill stays in memory with a warning.
    pub fn spill_targets(&mut self) {
        if let Err(why) = self.targets.spill(&self.spill) {
            spill_warning(&mut self.warnings, &why);
        }
    }

    /// Hand a call tree's dead ids and parents to the graph's analysis ([`Spare`]) instead of
    /// freeing them (replacing any held before). Out of core they are freed: that analysis
    /// takes the general passes, which would only free them, and memory is short until then.
    pub(crate) fn keep_spare(&mut self, ids: Vec<u64>, parents: Vec<u32>) {
        self.spare = if self.spill.is_out_of_core() {
            Spare::default()
        } else {
            Spare { ids, parents }
        };
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
                .pending
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
        // The roots that waited for the index, resolved, then those resolved as they came.
        let Roots {
            pending,
            resolved,
            missing: mut missing_roots,
            first_missing,
        } = std::mem::take(&mut self.roots);
        let mut first_missing_root = None;
        let roots = if pending.is_empty() {
            resolved
        } else {
            let mut roots = Vec::with_capacity(pending.len() + resolved.len());
            for r in &pending {
                let (ix, missing, first) = (
                    self.index.as_ref(),
                    &mut missing_roots,
                    &mut first_missing_root,
                );
                roots.extend(Roots::resolve(r, ix, n, missing, first));
            }
            drop(pending);
            roots.extend_from_slice(&resolved);
            Column::from(roots)
        };
        let first_missing_root = first_missing_root.or(first_missing);
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
            let ex = first_missing_root
                .map(|(at, kind)| match self.root_kinds.get(kind) {
                    "" => format!(" (first: {at})"),
                    k => format!(" (first: {at}, a {k} root)"),
                })
                .unwrap_or_default();
            self.warnings.push(format!(
                "{missing_roots} GC roots point to ids that are not in the dump; they were skipped{ex}"
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
            spare: self.spare,
            out_of_core: self.spill.is_out_of_core(),
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
