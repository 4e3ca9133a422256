//! Renderers: each turns a [`crate::Report`] into one output form. They read nothing but the
//! model, so the four forms always agree, and they are deterministic: the same report renders
//! to the same bytes (no clocks, no hash-map order).
//!
//! [`html::page`], [`html::Table`], [`html::escape`] and the [`markdown`] table helpers are
//! public so that other reports (diff, trend) render with the same look.

pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

use crate::model::Report;

/// Output forms of `heapscope analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
    Html,
    Markdown,
}

impl OutputFormat {
    /// File extension for reports written into a directory.
    pub fn ext(self) -> &'static str {
        match self {
            OutputFormat::Text => "txt",
            OutputFormat::Json => "json",
            OutputFormat::Html => "html",
            OutputFormat::Markdown => "md",
        }
    }
}

/// Settings shared by the renderers.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Histogram rows shown (text, HTML, Markdown; JSON has them all).
    pub rows: usize,
    /// ANSI colour in the text view (only when writing to a terminal).
    pub color: bool,
    /// Markdown: the output stays under this many bytes.
    pub markdown_max_bytes: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            rows: 25,
            color: false,
            markdown_max_bytes: markdown::DEFAULT_MAX_BYTES,
        }
    }
}

/// Render a report in the given form.
pub fn render(r: &Report, format: OutputFormat, opts: &RenderOptions) -> String {
    match format {
        OutputFormat::Text => text::render_with(r, opts),
        OutputFormat::Json => json::render(r),
        OutputFormat::Html => html::render(r, opts),
        OutputFormat::Markdown => markdown::render(r, opts),
    }
}
