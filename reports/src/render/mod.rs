//! Renderers. JSON is the serde serialisation of the typed model (the schemas in `docs/` are its
//! contract); text, Markdown and HTML each draw any [`crate::doc::Document`], which the views in
//! [`crate::view`] make from the models. They are deterministic: the same report renders to the
//! same bytes (no clocks, no hash-map order).

pub mod html;
pub mod json;
pub mod markdown;
pub mod svg;
pub mod text;

use std::fmt;
use std::str::FromStr;

use crate::fmt::{human_bytes, thousands};
use crate::model::Report;

/// The output forms of every report (`analyze`, `diff`, `trend`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Text,
    Json,
    Html,
    Markdown,
}

impl OutputFormat {
    /// Every form, in the order a CLI lists them.
    pub const ALL: [OutputFormat; 4] = [
        OutputFormat::Text,
        OutputFormat::Json,
        OutputFormat::Html,
        OutputFormat::Markdown,
    ];
    /// Their names, as [`OutputFormat::name`] gives them and [`FromStr`] reads them (for clap's
    /// `PossibleValuesParser`).
    pub const NAMES: [&'static str; 4] = ["text", "json", "html", "markdown"];

    /// The form's name: `text`, `json`, `html`, `markdown`.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Json => "json",
            OutputFormat::Html => "html",
            OutputFormat::Markdown => "markdown",
        }
    }

    /// File extension for reports written into a directory.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Text => "txt",
            OutputFormat::Json => "json",
            OutputFormat::Html => "html",
            OutputFormat::Markdown => "md",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = String;
    /// A name from [`OutputFormat::NAMES`], or `md` for Markdown.
    fn from_str(s: &str) -> Result<OutputFormat, String> {
        match s {
            "md" => Ok(OutputFormat::Markdown),
            _ => OutputFormat::ALL
                .into_iter()
                .find(|f| f.name() == s)
                .ok_or_else(|| {
                    format!(
                        "unknown output format {s:?} (one of {})",
                        OutputFormat::NAMES.join(", ")
                    )
                }),
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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

/// Render an analysis report in the given form.
pub fn render(r: &Report, format: OutputFormat, opts: &RenderOptions) -> String {
    match format {
        OutputFormat::Text => text::render_with(r, opts),
        OutputFormat::Json => json::render(r),
        OutputFormat::Html => html::render(r, opts),
        OutputFormat::Markdown => markdown::render(r, opts),
    }
}

/// [`render`], written to `out`: JSON as it is made (the same bytes, never whole in memory),
/// the other forms, which are small, made first.
pub fn render_to(
    r: &Report,
    format: OutputFormat,
    opts: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => json::render_to(r, out),
        _ => out.write_all(render(r, format, opts).as_bytes()),
    }
}

/// A signed size: `+1.5 MiB`, `-16 B`, `0 B`.
pub fn signed_bytes(v: i64) -> String {
    match v {
        0 => "0 B".into(),
        v if v > 0 => format!("+{}", human_bytes(v as u64)),
        v => format!("-{}", human_bytes(v.unsigned_abs())),
    }
}

/// A signed count: `+1,200`, `-3`, `0`.
pub fn signed_count(v: i64) -> String {
    match v {
        0 => "0".into(),
        v if v > 0 => format!("+{}", thousands(v as u64)),
        v => format!("-{}", thousands(v.unsigned_abs())),
    }
}
