//! [`HeapGraph`]: nodes as columns, references in CSR form, GC roots, interned names.

use crate::column::Column;
use crate::types::{Interner, Label, NodeIdx, NodeKind, TypeId};

/// Bit 31 of an edge target marks a weak edge (the node limit is therefore 2^31).
pub const WEAK_BIT: u32 = 1 << 31;

/// A position in the edge arrays. 4 bytes: a graph holds at most [`MAX_EDGES`] references (a
/// 30 GB Java heap has about 10^9); the builder drops what is beyond, with a warning.
pub type EdgePos = u32;

/// The most references a graph holds.
pub const MAX_EDGES: usize = (u32::MAX - 1) as usize;

/// What happens to nodes that no retaining path from a GC root reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orphans {
    /// They are unreachable: left out of the dominator tree (Eclipse MAT, HPROF).
    Unreachable,
    /// Every unreached node with a weak in-edge hangs directly below the super-root (and what
    /// it retains below it); the rest stay unreachable.
    AttachWeaklyHeld,
    /// Every node not reached from the roots hangs below the super-root (Chrome DevTools,
    /// memlab): first the unreached nodes that no other node retains, then — for what is left,
    /// in cycles — the remaining ones in index order.
    AttachAll,
}

/// The format's reference semantics, after its reference tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Do weak edges keep their target alive? HPROF (Eclipse MAT): yes, a `Reference.referent`
    /// counts for reachability and retained size but root paths avoid it. V8 (DevTools): no.
    pub weak_retains: bool,
    pub orphans: Orphans,
}

impl Policy {
    /// Eclipse MAT's rules for Java heaps.
    pub const MAT: Policy = Policy {
        weak_retains: true,
        orphans: Orphans::Unreachable,
    };
    /// Call trees of allocation profiles: every edge strong, nothing orphaned.
    pub const TREE: Policy = Policy {
        weak_retains: true,
        orphans: Orphans::Unreachable,
    };
}

/// A GC root: the node, its kind (index into [`HeapGraph::root_kinds`]) and an optional
/// description of how it is held (index into [`HeapGraph::labels`], 0 = none). 12 B, valid
/// for every bit pattern: a [`Column`] element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Root {
    pub node: NodeIdx,
    pub kind: u32,
    pub via: u32,
}

impl Default for Root {
    fn default() -> Root {
        Root {
            node: NodeIdx(0),
            kind: 0,
            via: 0,
        }
    }
}

/// One edge as seen by a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub target: NodeIdx,
    pub weak: bool,
    pub label: Label,
}

/// The common heap graph. Bytes per node: 8 id + 4 type + 8 shallow + 1 kind + 4 offset = 25;
/// per edge: 4 target (+4 label when kept). The [`Column`]s (all but offsets and targets) may
/// live in spill files rather than anonymous memory (see [`crate::column`]).
pub struct HeapGraph {
    /// The dump's own id of each node (display only).
    pub ids: Column<u64>,
    pub type_of: Column<u32>,
    pub shallow: Column<u64>,
    pub kind: Column<u8>,
    /// Objects each node stands for (allocation profiles: objects allocated with exactly
    /// that stack); empty means one per node.
    pub counts: Column<u64>,
    /// CSR: edges of node `i` are `targets[offsets[i]..offsets[i+1]]`.
    pub offsets: Column<EdgePos>,
    /// Target node index; bit 31 set = weak edge.
    pub targets: Column<u32>,
    /// Encoded [`Label`] per edge; empty when the builder dropped labels.
    pub edge_labels: Column<u32>,
    /// In the order the parser added them; a spill file's pages once large (see
    /// [`HeapGraph::spill_columns`]; HPROF's grow in one from the start), as the display columns.
    pub roots: Column<Root>,
    pub types: Interner,
    pub labels: Interner,
    pub root_kinds: Interner,
    pub policy: Policy,
    /// Warnings gathered while building (unknown ids, duplicates, …).
    pub warnings: Vec<String>,
    /// Dead memory the parse leaves for this graph's analysis (not graph data; empty but for
    /// a graph made by [`CallTree::into_graph`](crate::CallTree::into_graph)): see [`Spare`].
    pub spare: Spare,
    /// The parse ran out of core (its builder's [`Spill`](crate::Spill) said so, or
    /// [`spill_columns`](Self::spill_columns) was given an out-of-core one): the analysis must
    /// run out of core too. (A column in a spill file says nothing of that: in memory too, the
    /// bulk builders grow their CSR in spill files, `GraphBuilder::fill_edges_parallel`.)
    pub out_of_core: bool,
}

/// Memory a parser's last step no longer needs, handed to the analysis of the same graph
/// instead of freed: a call tree's dead ids (8 B per node) and parents (4 B), whose pages are
/// resident ([`CallTree::into_graph`](crate::CallTree::into_graph) leaves them). The forest
/// analysis takes them as its retained sizes and `idom` (their pages resident, where fresh
/// arrays are faulted in: the parse has given its freed memory back to the system); any other
/// analysis frees them before it allocates (and a builder out of core frees them at once). Held by the graph alone, from the parse to its
/// analysis (at most 12 B per node; a graph that is never analysed holds them until it is
/// dropped or [`Spare::clear`]ed): nothing process-wide, nothing across graphs.
#[derive(Default)]
pub struct Spare {
    pub(crate) ids: Vec<u64>,
    pub(crate) parents: Vec<u32>,
}

impl Spare {
    /// Bytes held (capacity).
    pub fn bytes(&self) -> usize {
        self.ids.capacity() * 8 + self.parents.capacity() * 4
    }

    /// Free what is held.
    pub fn clear(&mut self) {
        *self = Spare::default();
    }
}

impl HeapGraph {
    #[inline]
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }
    #[inline]
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }
    #[inline]
    pub fn type_of(&self, n: NodeIdx) -> TypeId {
        TypeId(self.type_of[n.ix()])
    }
    #[inline]
    pub fn type_name(&self, n: NodeIdx) -> &str {
        self.types.get(self.type_of[n.ix()])
    }
    #[inline]
    pub fn kind(&self, n: NodeIdx) -> NodeKind {
        NodeKind::from_u8(self.kind[n.ix()])
    }
    #[inline]
    pub fn id(&self, n: NodeIdx) -> u64 {
        self.ids[n.ix()]
    }
    #[inline]
    pub fn edge_range(&self, n: NodeIdx) -> std::ops::Range<usize> {
        self.offsets[n.ix()] as usize..self.offsets[n.ix() + 1] as usize
    }
    /// The edges of a node, in the order the parser gave them.
    pub fn edges(&self, n: NodeIdx) -> impl Iterator<Item = Edge> + '_ {
        self.edge_range(n).map(move |e| self.edge(e))
    }
    #[inline]
    pub fn edge(&self, e: usize) -> Edge {
        let t = self.targets[e];
        Edge {
            target: NodeIdx(t & !WEAK_BIT),
            weak: t & WEAK_BIT != 0,
            label: self
                .edge_labels
                .get(e)
                .map(|&l| Label::decode(l))
                .unwrap_or(Label::None),
        }
    }
    /// Does this edge keep its target alive under the graph's policy?
    #[inline]
    pub fn retains(&self, raw_target: u32) -> bool {
        raw_target & WEAK_BIT == 0 || self.policy.weak_retains
    }
    /// The label as text: a field/property name, or `[i]` for an index.
    pub fn label_text(&self, l: Label) -> Option<String> {
        match l {
            Label::None => None,
            Label::Name(id) => Some(self.labels.get(id.0).to_string()),
            Label::Index(i) => Some(format!("[{i}]")),
        }
    }
    pub fn root_kind_name(&self, r: &Root) -> &str {
        self.root_kinds.get(r.kind)
    }
    /// Linear search for a node by the dump's id (drill-down commands only).
    pub fn find_id(&self, id: u64) -> Option<NodeIdx> {
        self.ids
            .iter()
            .position(|&x| x == id)
            .map(|p| NodeIdx(p as u32))
    }
    /// Objects this node stands for (1 for object graphs).
    #[inline]
    pub fn count(&self, n: NodeIdx) -> u64 {
        self.counts.get(n.ix()).copied().unwrap_or(1)
    }
    pub fn total_shallow(&self) -> u64 {
        self.shallow.iter().sum()
    }
    /// Move the display columns (ids, types, shallow sizes, kinds, counts, edge labels) into
    /// spill files where `spill` says so (see [`crate::column`]); those already spilled stay.
    /// A column that cannot spill stays in memory and the graph gets one warning saying why.
    pub fn spill_columns(&mut self, spill: &crate::column::Spill) {
        // Out of core: every column, and the CSR too, whatever its size (the analysis reads
        // the CSR through the mapping and runs out of core: `out_of_core`).
        let ooc = spill.clone().min_bytes(0);
        let spill = if spill.out_of_core { &ooc } else { spill };
        self.out_of_core |= spill.out_of_core;
        let csr = if spill.out_of_core {
            [self.offsets.spill(spill), self.targets.spill(spill)]
        } else {
            [Ok(false), Ok(false)]
        };
        for r in csr.into_iter().chain([
            self.ids.spill(spill),
            self.type_of.spill(spill),
            self.shallow.spill(spill),
            self.kind.spill(spill),
            self.counts.spill(spill),
            self.edge_labels.spill(spill),
            self.roots.spill(spill),
        ]) {
            if let Err(why) = r {
                crate::builder::spill_warning(&mut self.warnings, &why);
            }
        }
    }

    /// The one warning that columns could not spill (the first reason), for a parser's own
    /// columns beside the graph's.
    pub fn spill_warning(&mut self, why: &str) {
        crate::builder::spill_warning(&mut self.warnings, why);
    }

    /// Take the edge labels out (their column and names), leaving none: a parser that hands
    /// them over unresolved ([`LabelsLater`]) does so, and the caller puts them back resolved
    /// with [`put_labels`](Self::put_labels).
    pub fn take_labels(&mut self) -> (Column<u32>, Interner) {
        (
            std::mem::take(&mut self.edge_labels),
            std::mem::take(&mut self.labels),
        )
    }

    /// Put back labels resolved by [`LabelsLater::resolve`] (their column, names and what
    /// became of the column's spill, as [`spill_columns`](Self::spill_columns) tells it).
    pub fn put_labels(&mut self, resolved: ResolvedLabels) {
        let ResolvedLabels {
            column,
            names,
            spilled,
        } = resolved;
        self.edge_labels = column;
        self.labels = names;
        if let Err(why) = spilled {
            crate::builder::spill_warning(&mut self.warnings, &why);
        }
    }

    /// Distinct root nodes, in the order their first root record appears.
    pub fn root_nodes(&self) -> Vec<u32> {
        let mut seen = crate::bitset::BitSet::new(self.node_count());
        let mut out = Vec::new();
        for r in self.roots.iter() {
            if !seen.get(r.node.ix()) {
                seen.set(r.node.ix());
                out.push(r.node.0);
            }
        }
        out
    }
}

/// The work that resolves a graph's edge labels, given to it.
type ResolveLabels = Box<dyn FnOnce(&mut Column<u32>, &mut Interner) + Send>;

/// Edge labels a parser hands over unresolved, with the work that resolves them (V8 writes
/// its strings last, and turning string indices into labels takes a pass over every edge):
/// no pass of [`crate::Analysis`] reads a label, so a caller may resolve them on another
/// thread while the graph is analysed (the dominators leave a core idle much of their time),
/// then [`HeapGraph::put_labels`]. The graph's own labels are empty meanwhile
/// ([`HeapGraph::take_labels`]).
pub struct LabelsLater {
    column: Column<u32>,
    names: Interner,
    resolve: ResolveLabels,
    spill: crate::column::Spill,
}

/// [`LabelsLater`] resolved: what [`HeapGraph::put_labels`] takes.
pub struct ResolvedLabels {
    column: Column<u32>,
    names: Interner,
    /// The column's move to a spill file: as [`Column::spill`] says.
    spilled: Result<bool, String>,
}

impl LabelsLater {
    /// `column` and `names` (taken from the graph) with the work that resolves them in place;
    /// the column then spills as `spill` says, as [`HeapGraph::spill_columns`] would have.
    pub fn new(
        (column, names): (Column<u32>, Interner),
        spill: crate::column::Spill,
        resolve: impl FnOnce(&mut Column<u32>, &mut Interner) + Send + 'static,
    ) -> LabelsLater {
        LabelsLater {
            column,
            names,
            resolve: Box::new(resolve),
            spill,
        }
    }

    /// Do the work (on the calling thread), for [`HeapGraph::put_labels`].
    pub fn resolve(self) -> ResolvedLabels {
        let LabelsLater {
            mut column,
            mut names,
            resolve,
            spill,
        } = self;
        resolve(&mut column, &mut names);
        let spilled = column.spill(&spill);
        ResolvedLabels {
            column,
            names,
            spilled,
        }
    }

    /// Resolve them now, into `g` (whose labels were taken).
    pub fn resolve_into(self, g: &mut HeapGraph) {
        g.put_labels(self.resolve());
    }
}
