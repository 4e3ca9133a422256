//! [`DumpInfo`]: the format's own facts that travel beside the graph, and the [`Inspector`]
//! through which reports read details lazily from the dump.

use crate::graph::HeapGraph;
use crate::types::NodeIdx;

/// The input formats heapscope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Hprof,
    V8,
    Pprof,
    Tracemalloc,
}

impl Format {
    /// The name used in reports (`input.format` of the JSON report).
    pub fn name(self) -> &'static str {
        match self {
            Format::Hprof => "hprof",
            Format::V8 => "v8-heapsnapshot",
            Format::Pprof => "pprof",
            Format::Tracemalloc => "tracemalloc",
        }
    }
    /// Allocation profiles record where memory was allocated, not who holds it.
    pub fn is_profile(self) -> bool {
        matches!(self, Format::Pprof | Format::Tracemalloc)
    }
}

/// Facts about the dump as the format records them.
#[derive(Clone, Debug)]
pub struct DumpInfo {
    pub format: Format,
    /// The input was gzip-compressed.
    pub compressed: bool,
    /// Profiles: the sample type used as bytes (e.g. `inuse_space`).
    pub sample_type: Option<String>,
    /// When the dump was taken, RFC 3339, if the dump records it.
    pub timestamp: Option<String>,
    /// The same instant as milliseconds since the Unix epoch (for trends).
    pub timestamp_ms: Option<i64>,
    /// Format-specific facts (versions, id size, MemStats, domains …), a JSON object.
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Warnings from parsing (skipped records, truncation …).
    pub warnings: Vec<String>,
}

impl DumpInfo {
    pub fn new(format: Format) -> Self {
        DumpInfo {
            format,
            compressed: false,
            sample_type: None,
            timestamp: None,
            timestamp_ms: None,
            details: serde_json::Map::new(),
            warnings: Vec::new(),
        }
    }
}

/// Lazy access to details only a report shows, read from the dump on demand.
pub trait Inspector: Send + Sync {
    /// A short preview of the node's value, e.g. a `java.lang.String`'s text, if the format has one.
    fn value_preview(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<String> {
        None
    }
    /// A source location for a node's type (function or file:line), if known.
    fn source_line(&self, _g: &HeapGraph, _node: NodeIdx) -> Option<String> {
        None
    }
}

/// An inspector that knows nothing beyond the graph.
pub struct NoInspector;
impl Inspector for NoInspector {}
