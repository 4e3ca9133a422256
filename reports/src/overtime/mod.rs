//! Heaps over time: [`diff`] two dumps, or follow a [`trend`] over three or more and tell a
//! leak (linear growth) from a cache (growth that levels off) from normal churn.
//!
//! Each dump is first reduced to a [`DumpSummary`] ([`summarize`]): per type — class,
//! constructor, function or `file:line` — its count, shallow and minimum retained bytes, and for
//! object heaps the same per path-to-root signature (`class com.acme.Cache > map >
//! java.util.HashMap > table > java.util.HashMap$Node[]`). [`build_diff`] compares two dumps
//! with the semantics of each format's own tool (pprof `-base`, tracemalloc `compare_to`, V8 node
//! ids); [`build_trend`] fits each series ([`shape::classify`]) and gives the verdicts
//! ([`verdict`]). [`render`] prints either report as text, JSON, Markdown or HTML.
//!
//! ```
//! use heapscope_graph::{Analysis, DumpFacts, GraphBuilder, NodeKind, Policy, Runtime};
//! use heapscope_reports::overtime::{build_diff, render_diff, DiffOptions, Dump};
//! use heapscope_reports::render::OutputFormat;
//! use heapscope_reports::InputMeta;
//!
//! fn dump(leaked: u64) -> Analysis {
//!     let mut b = GraphBuilder::new();
//!     let t = b.intern_type("com.acme.Order");
//!     for i in 0..leaked {
//!         b.add_node(0x100 + i, t, NodeKind::Object, 32);
//!         b.add_root_id(0x100 + i, "static", None);
//!     }
//!     b.finish_nodes();
//!     Analysis::run(b.finish(Policy::MAT))
//! }
//! let (a1, a2) = (dump(10), dump(25));
//! let info = DumpFacts::object_graph("hprof", Runtime::Jvm);
//! let meta = InputMeta { path: "x.hprof".into(), size_bytes: 0 };
//! let d = build_diff(
//!     Dump { a: &a1, info: &info, meta: &meta, insp: None },
//!     Dump { a: &a2, info: &info, meta: &meta, insp: None },
//!     &DiffOptions::default(),
//! );
//! assert_eq!(d.types[0].change.count, 15);
//! assert!(render_diff(&d, OutputFormat::Text, 20).contains("com.acme.Order"));
//! ```

pub mod diff;
pub mod groups;
pub mod leak;
pub mod model;
pub mod render;
pub mod shape;
pub mod trend;
pub mod units;
pub mod verdict;

pub use diff::{
    build_diff, build_diff_from, build_diff_in, diff_summaries, new_objects, DiffOptions,
};
pub use groups::{
    summarize, summarize_in, summarize_with_groups, Dump, DumpSummary, PathGroups, Rows,
};
pub use model::*;
pub use render::{render_diff, render_trend};
pub use shape::{classify, Shape};
pub use trend::{build_trend, clusters, memlab, memlab_summarised, memlab_with, TrendOptions};
pub use units::{format_rfc3339, parse_rfc3339, parse_size};
