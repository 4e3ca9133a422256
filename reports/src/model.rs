//! The report model: one set of serde types that every renderer reads. The JSON renderer
//! prints it as is; its field names are the contract of `../shared/report.schema.json`.

use serde::Serialize;

pub use crate::patterns::Pattern;

/// A whole analysis report for one dump (schema version 1).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub generator: String,
    pub input: InputOut,
    pub summary: SummaryOut,
    pub histogram: Vec<HistRow>,
    pub dominators: Vec<NodeOut>,
    pub suspects: Vec<Suspect>,
    pub warnings: Vec<String>,
    /// The top of the dominator tree in preorder (capped; see [`crate::domtree`]), for views
    /// that show the tree. Not part of schema version 1's required fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dominator_tree: Vec<TreeItem>,
    /// Objects no GC root reaches (garbage the dump still held), by type, largest first
    /// (capped), as Eclipse MAT's "unreachable objects" histogram. Their totals are
    /// `summary.unreachable_*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreachable_histogram: Vec<HistRow>,
}

/// One node of the capped dominator tree, in preorder: its depth says where it hangs.
#[derive(Clone, Debug, Serialize)]
pub struct TreeItem {
    pub depth: u32,
    /// The reference from the dominator to this node, when it is a direct one.
    pub via: Option<String>,
    /// How many nodes it dominates directly (all of them, not only those shown).
    pub children: u64,
    #[serde(flatten)]
    pub node: NodeOut,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputOut {
    pub path: String,
    pub format: String,
    /// Object graph or call tree: how views word sizes (`retained` or `cum`). Not serialised.
    #[serde(skip)]
    pub model: heapscope_graph::Model,
    /// Allocation profiles: what the values measure (unit, in use or allocated). Not serialised.
    #[serde(skip)]
    pub profile: Option<heapscope_graph::ProfileFacts>,
    /// The runtime that wrote the dump: how views word what it means (an object no root reaches
    /// is garbage on a JVM, but may be held by C code in CPython). Not serialised.
    #[serde(skip)]
    pub runtime: heapscope_graph::Runtime,
    pub size_bytes: u64,
    pub compressed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_type: Option<String>,
    /// The format's typed facts; printed as one object with its keys in order
    /// ([`crate::build::sorted_details`]).
    #[serde(serialize_with = "crate::build::sorted_details")]
    pub details: heapscope_graph::facts::Details,
    pub timestamp: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SummaryOut {
    pub nodes: u64,
    pub edges: u64,
    pub gc_roots: u64,
    pub total_bytes: u64,
    pub reachable_bytes: u64,
    pub unreachable_bytes: u64,
    pub unreachable_nodes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct HistRow {
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: u64,
    pub shallow_bytes: u64,
    pub retained_bytes: u64,
    /// Call trees with `--cumulative` only: the bytes below every occurrence of the type summed
    /// (CPython's `statistics(key, cumulative=True)`: a frame that recurs in one traceback
    /// counts each time, so this can exceed `retained_bytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative_bytes: Option<u64>,
    /// Blocks (objects) counted the same way as `cumulative_bytes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative_count: Option<u64>,
}

/// One node as reports show it.
#[derive(Clone, Debug, Serialize)]
pub struct NodeOut {
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub shallow_bytes: u64,
    pub retained_bytes: u64,
    pub retained_share: f64,
    /// A value preview (e.g. a String's text), when the format has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The biggest objects (`dominators`) only: the thread that holds it, when its path from a
    /// GC root starts at a thread (a local variable of one of its frames, or the thread object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadOut>,
}

/// The thread that holds an object, as Eclipse MAT names it ("the thread X keeps local
/// variables …"): the thread and its stack, with the frame whose local variable holds it.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadOut {
    pub name: String,
    /// The dump's id of the thread object.
    pub object_id: String,
    /// Index into `stack` of the frame whose local variable is the GC root that holds the
    /// object; absent when the thread holds it otherwise (its thread object, a native stack).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u32>,
    /// The thread's stack when the dump was taken, innermost frame first.
    pub stack: Vec<FrameOut>,
}

/// One frame of a thread's stack.
#[derive(Clone, Debug, Serialize)]
pub struct FrameOut {
    /// The class and method: `com.acme.Importer.importBatch`.
    pub function: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// As a Java stack trace prints it: `com.acme.Importer.importBatch(Importer.java:34)`.
    pub text: String,
}

/// One element of a path from a GC root (or the outermost frame).
#[derive(Clone, Debug, Serialize)]
pub struct PathElem {
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_kind: Option<String>,
    /// The reference from the previous element is weak (the path had to use one).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub weak: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained_bytes: Option<u64>,
}

/// What a suspect is about, serialised as the schema's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuspectKind {
    /// One object's dominator subtree.
    SingleObject,
    /// Several objects alike, together.
    GroupOfObjects,
    /// Memory in use, by where a profile says it was allocated.
    AllocationSite,
    /// The process itself (goroutines, fragmentation).
    Runtime,
}

impl SuspectKind {
    /// The schema's name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            SuspectKind::SingleObject => "single-object",
            SuspectKind::GroupOfObjects => "group-of-objects",
            SuspectKind::AllocationSite => "allocation-site",
            SuspectKind::Runtime => "runtime",
        }
    }
}

schema_name!(SuspectKind);

/// A leak suspect.
#[derive(Clone, Debug, Serialize)]
pub struct Suspect {
    pub rank: u32,
    pub title: String,
    pub kind: SuspectKind,
    /// One of the schema's pattern names.
    pub pattern: Pattern,
    #[serde(rename = "type")]
    pub type_name: String,
    pub retained_bytes: u64,
    pub retained_share: f64,
    pub object_count: u64,
    pub accumulation_point: Option<NodeOut>,
    pub path_to_root: Vec<PathElem>,
    pub explanation: String,
    /// What the items accumulated below the accumulation point are (type, count, bytes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accumulated: Vec<HistRow>,
    /// The usual fix for the pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The holder a developer edits, as one line: `class com.acme.Registry › static SESSIONS ›
    /// java.util.HashMap`, `variable renderCache › Map`, `allocated at main.newSession`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// A group in one collection whose members something else holds too: that other holder, as
    /// one line like `holder` (emptying one of them frees nothing while the other keeps them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also_held_by: Option<String>,
    /// Kind `runtime`: a representative stack (e.g. where the goroutines wait), outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<PathElem>,
    /// The runtime's own data (on a JVM: JDK types from the GC root down to what accumulates),
    /// listed because it passes the threshold, never an application leak: its pattern is
    /// `unknown`, it ranks after application suspects, and `--fail-on-suspect` ignores it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub runtime_owned: bool,
    /// The thread that holds it, when its path from a GC root starts at a thread (a local
    /// variable of one of its frames, or the thread object), with the thread's stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadOut>,
    /// The collection was growing when the dump was written: a stack frame held its inside
    /// too, so the collection does not dominate it (the suspect's bytes are the inside's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_while_growing: Option<GrowingOut>,
}

/// A collection caught growing ([`Suspect::held_while_growing`]): its inside (the table, the
/// backing array), the collection's field that refers to it, and the stack holders that held it
/// too (V8's `(Handle scope)`, a JVM's `Java frame` roots).
#[derive(Clone, Debug, Serialize)]
pub struct GrowingOut {
    pub internal: NodeOut,
    pub field: String,
    pub stack_holders: Vec<String>,
}
