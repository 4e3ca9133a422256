//! What `heapscope diff` and `heapscope trend` share: their options and their output (the
//! reports themselves live in `heapscope_reports::overtime`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use heapscope_graph::Spill;
use heapscope_parsers::{budget, ParseOptions};

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
/// nowhere (they stay in memory); from [`SUMMARY_SPILL_BYTES`] on, or every array when out of
/// core by request (as the out-of-core analysis puts all its arrays in files).
pub fn summary_spill(forced: bool) -> Spill {
    let min = if forced { 0 } else { SUMMARY_SPILL_BYTES };
    let s = Spill::temp().min_bytes(min);
    if s.is_usable() {
        s
    } else {
        Spill::never()
    }
}

/// Bytes per object a dump's summary needs while its analysis is alive, in memory: the path
/// groups (17 B while computed, 12 kept for the rest of the report), the ids' sort and their
/// types (12 B, V8), the new objects' marks (1 B). Measured: 29 B per node on the Node 22
/// tscleak snapshots (2.78 M nodes: 80 MiB over the retained sizes' stage).
pub const SUMMARY_PER_NODE: u64 = 32;

/// Where a dump's summary makes its per-node arrays ([`heapscope_reports::overtime::summarize_in`]):
/// in spill files when the dumps are analysed out of core by request (`--out-of-core`,
/// `HEAPSCOPE_OUT_OF_CORE=1`) or when [`SUMMARY_PER_NODE`] per object (+ the budget's headroom)
/// exceeds the memory available now (the analysis' and the held summaries' memory are in
/// what [`budget::available`] reads); else on the heap.
pub fn summary_work(nodes: usize, forced: bool) -> Spill {
    let spill = Spill::temp().out_of_core(true);
    if !spill.is_usable() || std::env::var_os(budget::SKIP_ENV).is_some() && !forced {
        return Spill::never();
    }
    let nodes = nodes as u64;
    let need = nodes.saturating_mul(SUMMARY_PER_NODE);
    if forced || budget::check(nodes, need, budget::available()).is_some() {
        spill
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

    /// Out of core by request: `--out-of-core` or `HEAPSCOPE_OUT_OF_CORE=1`.
    pub fn out_of_core(&self) -> bool {
        self.parse.out_of_core
            || std::env::var_os(crate::session::OUT_OF_CORE_ENV)
                .is_some_and(|v| !v.is_empty() && v != "0")
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
