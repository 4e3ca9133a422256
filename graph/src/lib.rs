//! The common heap model of heapscope and every algorithm on it.
//!
//! Every input format — Java HPROF, V8 heap snapshots, Go pprof and Python tracemalloc — is
//! turned by its parser into one [`HeapGraph`] through a [`GraphBuilder`]: nodes in column
//! arrays indexed by a dense [`NodeIdx`], references in CSR form with a weak flag and a label,
//! GC roots with their kind, interned type names. [`Analysis::run`] then computes the
//! [`dominators`](dominators::dominators) (Semi-NCA, iterative), retained sizes, the per-type
//! [`histogram`](histogram::histogram) with Eclipse MAT's minimum retained size, and
//! shortest [`paths`](paths::RootPaths) from GC roots. No I/O, no file formats.
//!
//! ```
//! use heapscope_graph::{Analysis, GraphBuilder, Label, NodeKind, Policy};
//!
//! let mut b = GraphBuilder::new();
//! let map = b.intern_type("java.util.HashMap");
//! let arr = b.intern_type("byte[]");
//! let holder = b.add_node(0x10, map, NodeKind::Object, 48);
//! let blob = b.add_node(0x20, arr, NodeKind::PrimitiveArray, 1000);
//! b.add_root_id(0x10, "system-class", None);
//! b.finish_nodes();
//! b.begin_node(holder);
//! let field = b.intern_label("table");
//! b.edge_to_id(0x20, false, Label::Name(field));
//! let g = b.finish(Policy::MAT);
//!
//! let a = Analysis::run(g);
//! assert_eq!(a.retained[holder.ix()], 1048);
//! assert_eq!(a.idom(blob), Some(holder));
//! let path = a.path_to(blob);
//! assert_eq!(path[1].via.as_deref(), Some("table"));
//! ```
//!
//! Architecture invariant: no recursion over the graph anywhere in this crate — every walk
//! uses an explicit stack or queue, because real graphs have 10^8 nodes.

mod ahead;
pub mod analysis;
pub mod bitset;
pub mod builder;
pub mod calltree;
pub mod column;
pub mod dominators;
pub mod facts;
mod forest;
pub mod graph;
pub mod hash;
pub mod histogram;
pub mod inverse;
pub mod paths;
pub mod saved;
pub mod series;
pub mod spill;
pub mod time;
pub mod types;
pub mod walks;

pub use analysis::{Analysis, Summary};
pub use builder::GraphBuilder;
pub use calltree::{children_from_parents, CallTree};
pub use column::{Column, Spill};
pub use dominators::{DomChildren, DomTree, SUPER, UNREACHED};
pub use facts::{
    CacheLimit, CollectionSize, Comparison, Contents, CountUnit, DumpFacts, Field, FieldValue,
    IdDisplay, Inspector, MemStats, Model, NoInspector, ProfileFacts, ProfileKind, Rows, Runtime,
    Supertypes, Unit, MAX_ARRAY_FIELDS,
};
pub use graph::{
    Edge, EdgePos, HeapGraph, LabelsLater, Orphans, Policy, ResolvedLabels, Root, Spare, MAX_EDGES,
    WEAK_BIT,
};
pub use histogram::TypeRow;
pub use inverse::{Predecessors, TypeBuckets};
pub use paths::{PathStep, RootPaths};
pub use types::{Interner, Label, LabelId, NodeIdx, NodeKind, TypeId};
pub use walks::{dominator_chain, min_retained_by, referrers, top_members, DomWalk, Start, Step};
