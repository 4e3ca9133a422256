//! `heapscope query DUMP "SQL"`: one read-only SQL query over the dump's analysis (the tables
//! `objects`, `refs`, `types`, `roots`, the functions `field`, `value`, `path`, `holder`,
//! `retained_set`, `min_retained_set` and `paths(from, to)`; docs/query.md). The dump is read
//! from its saved index when a valid one exists (`heapscope index`), else parsed. A query
//! SQLite refuses, or one that would write, is bad input (exit 2) naming the query.

use anyhow::anyhow;
use clap::Args;
use heapscope_reports::query;

use crate::commands::index::{IndexUse, LoadArgs};
use crate::format::{self, Format};
use crate::progress::Progress;
use crate::remote::DumpRef;
use crate::session::Session;
use crate::{output, CliError};

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The dump: a file or a URL (s3://, gs://, az://, https://).
    pub dump: DumpRef,
    /// One SQL statement (SQLite's dialect), e.g.
    /// "SELECT type, count(*) n FROM objects GROUP BY type ORDER BY n DESC".
    #[arg(name = "SQL")]
    pub sql: String,
    /// Most rows printed (the answer says how many there were in all).
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Output form.
    #[arg(long, default_value = "text", value_parser = format::parser(&format::ALL))]
    pub format: Format,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Parse the dump even when a saved index of it (`heapscope index`) is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

/// `heapscope query`: the answer goes to `out`.
pub fn run(args: QueryArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    let opts = args.load.options();
    let mode = if args.no_index {
        IndexUse::Off
    } else {
        IndexUse::Use
    };
    let session = Progress::with(args.load.quiet, |p| {
        Session::open(&args.dump, &opts, p, mode)
    })?;
    let answer = query::run(&session.ctx(), &args.sql, args.limit)
        .map_err(|e| CliError::BadInput(anyhow!(e)))?;
    crate::stats::stage("answer");
    output::write(out, &query::render(&answer, args.format))?;
    Ok(crate::EXIT_OK)
}
