//! heapscope's findings and renderers.
//!
//! [`build_report`] turns an [`heapscope_graph::Analysis`] with its [`heapscope_graph::DumpFacts`]
//! into one [`Report`] model: summary, type histogram, biggest dominators and leak suspects.
//! Suspects are found as typed [`findings::Finding`]s (no prose), their pattern named by the
//! one table of [`patterns::PATTERNS`], and turned into the model's [`Suspect`] by [`words`],
//! the only place that writes their English. Every renderer in [`render`] reads that one
//! model, so text, JSON, HTML and Markdown always agree.
//!
//! Architecture invariant: reports never import the parsers crate; they recognise patterns
//! by type and reference names only.

/// `Display` and comparison with `&str` through `as_str()`, for the enums the JSON model
/// serialises as the schema's names (a suspect's kind and pattern).
macro_rules! schema_name {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    };
}

pub mod build;
pub mod doc;
pub mod domtree;
pub mod drill;
pub mod findings;
pub mod fmt;
pub mod fragmentation;
pub mod metrics;
pub mod model;
pub mod overtime;
pub mod patterns;
pub mod query;
pub mod render;
pub mod view;
pub mod words;

pub use build::{build_report, generator, Ctx, InputMeta, ReportOptions};
pub use model::*;
