//! Renderers of the over-time reports: text (terminal), JSON (`docs/overtime.schema.json`),
//! Markdown (to paste into a ticket) and self-contained HTML (to attach to one). JSON is the
//! model as is; the others draw the document of [`crate::view::diff`] or
//! [`crate::view::trend`], so they always agree.

use super::model::{DiffReport, TrendReport};
use crate::doc::Document;
use crate::render::json::to_json;
use crate::render::{html, markdown, text, OutputFormat};

pub use crate::render::{signed_bytes, signed_count};

/// Render a diff; `rows` caps the rows of each table in text, Markdown and HTML (JSON has all).
pub fn render_diff(r: &DiffReport, format: OutputFormat, rows: usize) -> String {
    match format {
        OutputFormat::Json => to_json(r),
        _ => draw(&crate::view::diff::document(r, rows), format),
    }
}

/// Render a trend; `rows` caps the rows of each table in text, Markdown and HTML (JSON has all).
pub fn render_trend(r: &TrendReport, format: OutputFormat, rows: usize) -> String {
    match format {
        OutputFormat::Json => to_json(r),
        _ => draw(&crate::view::trend::document(r, rows), format),
    }
}

fn draw(d: &Document, format: OutputFormat) -> String {
    match format {
        OutputFormat::Text | OutputFormat::Json => text::draw(d, false),
        OutputFormat::Markdown => markdown::draw(d),
        OutputFormat::Html => html::draw(d),
    }
}
