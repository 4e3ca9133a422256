//! The output formats the commands accept: one enum, mapped onto the renderers' own. (When
//! `heapscope_reports::render::OutputFormat` parses itself, this module goes in one edit.)

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::ValueEnum;
use heapscope_reports::overtime::Form;
use heapscope_reports::render::OutputFormat;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// One self-contained HTML page (no network), to attach to a ticket.
    Html,
    /// GitHub Markdown, under 64 KB, to paste into a ticket.
    Markdown,
}

/// Every format (`diff`, `trend`).
pub const ALL: [&str; 4] = ["text", "json", "html", "markdown"];
/// The drill-down commands print text or JSON.
pub const TEXT_OR_JSON: [&str; 2] = ["text", "json"];

/// A clap parser accepting only `names` (each a [`Format`] name).
pub fn parser(names: &'static [&'static str]) -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(names.iter().copied()).map(|s| {
        // The names are the enum's own, so this always succeeds.
        Format::from_str(&s, false).unwrap_or(Format::Text)
    })
}

impl Format {
    /// File extension for reports written into a directory.
    pub fn ext(self) -> &'static str {
        OutputFormat::from(self).ext()
    }
}

impl From<Format> for OutputFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => OutputFormat::Text,
            Format::Json => OutputFormat::Json,
            Format::Html => OutputFormat::Html,
            Format::Markdown => OutputFormat::Markdown,
        }
    }
}

impl From<Format> for Form {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => Form::Text,
            Format::Json => Form::Json,
            Format::Html => Form::Html,
            Format::Markdown => Form::Markdown,
        }
    }
}
