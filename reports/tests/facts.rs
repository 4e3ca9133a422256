//! The facts the four parsers start from, for the synthetic heaps of these tests (the reports
//! crate never sees a format; its tests name one only to get that format's facts).

use heapscope_graph::{Comparison, DumpFacts, IdDisplay, ProfileKind, Rows, Runtime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Hprof,
    V8,
    /// A Go pprof heap profile.
    Pprof,
    Tracemalloc,
}

impl Format {
    pub fn facts(self) -> DumpFacts {
        match self {
            Format::Hprof => DumpFacts::object_graph("hprof", Runtime::Jvm),
            Format::V8 => DumpFacts {
                id_display: IdDisplay::Decimal,
                ids_stable: true,
                rows: Rows::new("constructor"),
                comparison: Comparison::DevTools,
                ..DumpFacts::object_graph("v8-heapsnapshot", Runtime::V8)
            },
            Format::Pprof => DumpFacts::call_tree(
                "pprof",
                Runtime::Go,
                ProfileKind::Heap,
                Comparison::PprofBase,
                "function",
            ),
            Format::Tracemalloc => DumpFacts::call_tree(
                "tracemalloc",
                Runtime::CPython,
                ProfileKind::Heap,
                Comparison::CompareTo,
                "lineno",
            ),
        }
    }
}
