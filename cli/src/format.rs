//! The output formats a command accepts, as clap parsers over the renderers' one
//! [`OutputFormat`] (no enum of the CLI's own).

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
pub use heapscope_reports::render::OutputFormat as Format;

/// Every format (`analyze`, `diff`, `trend`).
pub const ALL: [&str; 4] = Format::NAMES;
/// The drill-down commands print text or JSON.
pub const TEXT_OR_JSON: [&str; 2] = ["text", "json"];

/// What a format is for, as `--help` lists it.
fn help(name: &str) -> Option<&'static str> {
    match name {
        "html" => Some("One self-contained HTML page (no network), to attach to a ticket"),
        "markdown" => Some("GitHub Markdown, under 64 KB, to paste into a ticket"),
        _ => None,
    }
}

/// A clap parser accepting only `names` (each an [`OutputFormat`](Format) name).
pub fn parser(names: &'static [&'static str]) -> impl TypedValueParser<Value = Format> {
    values(names, false)
}

/// [`parser`], with what each format is for in `--help` (`analyze`).
pub fn parser_with_help(names: &'static [&'static str]) -> impl TypedValueParser<Value = Format> {
    values(names, true)
}

fn values(names: &'static [&'static str], helped: bool) -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(names.iter().map(move |&n| {
        let v = PossibleValue::new(n);
        match help(n).filter(|_| helped) {
            Some(h) => v.help(h),
            None => v,
        }
    }))
    .map(|s| {
        // The names are the enum's own, so this always succeeds.
        s.parse().unwrap_or(Format::Text)
    })
}
