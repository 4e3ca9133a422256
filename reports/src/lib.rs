//! heapscope's findings and renderers.
//!
//! [`build_report`] turns an [`heapscope_graph::Analysis`] with its [`heapscope_graph::DumpFacts`]
//! into one [`Report`] model: summary, type histogram, biggest dominators and leak
//! suspects ([`findings`], worded by [`words`]). Every renderer in [`render`] reads that one model, so text, JSON, HTML and
//! Markdown always agree.
//!
//! Architecture invariant: reports never import the parsers crate; they recognise patterns
//! by type and reference names only.

pub mod build;
pub mod domtree;
pub mod findings;
pub mod fmt;
pub mod fragmentation;
pub mod model;
pub mod overtime;
pub mod patterns;
pub mod render;
pub mod words;

pub use build::{build_report, generator, Ctx, InputMeta, ReportOptions};
pub use model::*;
