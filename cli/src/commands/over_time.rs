//! What `heapscope diff` and `heapscope trend` share: their options and their output (the
//! reports themselves live in `heapscope_reports::overtime`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use heapscope_graph::Spill;
use heapscope_parsers::ParseOptions;

use crate::commands::index::IndexUse;
use crate::format::{self, Format};
use crate::session::ParseFlags;
use crate::{output, CliError};

/// A summary's arrays from this size on go to spill files while later dumps are analysed
/// ([`heapscope_reports::overtime::DumpSummary::spill`]): V8 ids (12 B per object with their
/// types) and the path signatures' names (~170 B each on a Node service) would otherwise stay in
/// anonymous memory beside every later dump's analysis.
pub const SUMMARY_SPILL_BYTES: usize = 1 << 20;

/// Where held summaries go: `$TMPDIR` when it is on disk (never a memory file system), else
/// nowhere (they stay in memory).
pub fn summary_spill() -> Spill {
    let s = Spill::temp().min_bytes(SUMMARY_SPILL_BYTES);
    if s.is_usable() {
        s
    } else {
        Spill::never()
    }
}

/// Options both commands share.
#[derive(Args, Debug)]
pub struct Common {
    /// Output form.
    #[arg(long, default_value = "text", value_parser = format::parser(&format::ALL))]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub parse: ParseFlags,
    /// Rows per table in the text, Markdown and HTML views (JSON lists all).
    #[arg(long, default_value_t = 25)]
    pub rows: usize,
    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,
    /// Parse every dump even when a saved index of it (`heapscope index`) is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

impl Common {
    pub fn parse_options(&self) -> ParseOptions {
        self.parse.options()
    }

    /// How each dump's saved index is used: read when valid (a stale or corrupt one is named
    /// and rebuilt, as the drill-downs do), none written otherwise; `--no-index` parses. The
    /// reports are the same bytes either way.
    pub fn index_use(&self) -> IndexUse {
        if self.no_index {
            IndexUse::Off
        } else {
            IndexUse::Use
        }
    }

    /// The report's warnings on stderr, then the report to `-o` or `out`.
    pub fn write(
        &self,
        out: &mut dyn Write,
        warnings: &[String],
        text: &str,
    ) -> Result<(), CliError> {
        for w in warnings {
            eprintln!("heapscope: warning: {w}");
        }
        output::write_to(out, self.output.as_deref(), text)
    }
}
