//! `heapscope diff BASE TARGET`: per type and per path, the change between two dumps.

use std::io::Write;

use clap::Args;
use heapscope_reports::overtime::{
    build_diff_in, render_diff, summarize_in, DiffOptions, DiffReport,
};

use super::over_time::Common;
use crate::progress::{Hooks, Progress};
use crate::remote::DumpRef;
use crate::session::Session;
use crate::{CliError, EXIT_OK};

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier dump (a file or a URL).
    pub base: DumpRef,
    /// The later dump (a file or a URL).
    pub target: DumpRef,
    #[command(flatten)]
    pub common: Common,
}

/// Build the diff report of two dump files.
pub fn report(args: &DiffArgs, hooks: &dyn Hooks) -> Result<DiffReport, CliError> {
    let opts = args.common.parse_options();
    let mode = args.common.index_use();
    // Each dump's estimate counts its summary too (made while its analysis is alive).
    let _reserve =
        heapscope_parsers::budget::reserve_after_analysis(super::over_time::SUMMARY_PER_NODE);
    let forced = args.common.out_of_core();
    let work = |s: &Session| super::over_time::summary_work(s.analysis.graph.node_count(), forced);
    let base = Session::open(&args.base, &opts, hooks, mode)?;
    hooks.on_stage("summarising BASE");
    let (mut sb, _) = summarize_in(base.dump(), &work(&base));
    sb.spill(&super::over_time::summary_spill(forced));
    crate::stats::stage("summarise BASE");
    // An object graph's BASE is compared through its summary only: free its analysis before
    // TARGET is loaded. Allocation profiles keep it (their callers are named from both graphs).
    let base = base.info.is_call_tree().then_some(base);
    let target = Session::open(&args.target, &opts, hooks, mode)?;
    hooks.on_stage("diff");
    let report = build_diff_in(
        &sb,
        base.as_ref().map(|b| &b.analysis),
        target.dump(),
        &DiffOptions::default(),
        &work(&target),
    );
    crate::stats::stage("diff");
    Ok(report)
}

/// `heapscope diff`: the report goes to `-o` or `out`.
pub fn run(args: DiffArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let c = &args.common;
    let report = Progress::with(c.quiet, |p| report(&args, p))?;
    c.write(
        out,
        &report.warnings,
        &render_diff(&report, c.format, c.rows),
    )?;
    Ok(EXIT_OK)
}
