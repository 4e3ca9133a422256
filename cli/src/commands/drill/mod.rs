//! Drill-down commands, as Eclipse MAT's and DevTools' views allow:
//!
//! - `heapscope path DUMP ID`: shortest paths from GC roots to one object (the shortest one,
//!   then the shortest through each other object that references it);
//! - `heapscope retainers DUMP ID`: the objects that reference it, and its dominator chain;
//! - `heapscope instances DUMP TYPE`: the largest instances of a type by retained size.
//!
//! IDs are the dump's own, as reports print them: `0x…` hex (HPROF, call-tree nodes) or decimal
//! (V8). Every command accepts `--format json`. The answers, their views and their JSON are
//! the reports crate's ([`heapscope_reports::drill`]); the commands load, ask and write.
//!
//! Each loads the dump from its saved index when a valid one exists (`heapscope index`,
//! [`crate::commands::index`]): the answers are the same bytes either way; `--no-index` parses.

use anyhow::anyhow;
use clap::Args;
use heapscope_reports::drill::{self, Answer, DrillError};

use crate::commands::index::{IndexUse, LoadArgs};
use crate::format::{self, Format};
use crate::progress::Progress;
use crate::remote::DumpRef;
use crate::session::Session;
use crate::{output, CliError};

pub mod instances;
pub mod path;
pub mod retainers;

pub use heapscope_reports::drill::parse_id;

/// Options every drill-down command shares.
#[derive(Args, Debug)]
pub struct Common {
    /// Output form.
    #[arg(long, default_value = "text", value_parser = format::parser(&format::TEXT_OR_JSON))]
    pub format: Format,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Parse the dump even when a saved index of it (`heapscope index`) is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

fn open(dump: &DumpRef, c: &Common) -> Result<Session, CliError> {
    let opts = c.load.options();
    let mode = if c.no_index {
        IndexUse::Off
    } else {
        IndexUse::Use
    };
    Progress::with(c.load.quiet, |p| Session::open(dump, &opts, p, mode))
}

/// Load the dump, ask `ask` of it, and write the answer in the chosen form to `out`. A question
/// that names nothing in the dump is bad input (exit 2).
fn answer<A: Answer>(
    dump: &DumpRef,
    common: &Common,
    out: &mut dyn std::io::Write,
    ask: impl FnOnce(&heapscope_reports::Ctx) -> Result<A, DrillError>,
) -> Result<u8, CliError> {
    let session = open(dump, common)?;
    let a = ask(&session.ctx()).map_err(|e| CliError::BadInput(anyhow!(e)))?;
    crate::stats::stage("answer");
    output::write(out, &drill::render(&a, common.format))?;
    Ok(crate::EXIT_OK)
}
