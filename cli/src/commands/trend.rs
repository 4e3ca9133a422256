//! `heapscope trend S1 S2 S3 …`: three or more dumps over time, per type and per path, with
//! memlab's method on V8 series (objects allocated between baseline and target, alive in final).

use std::io::Write;

use anyhow::anyhow;
use clap::Args;
use heapscope_reports::overtime::model::VerdictKind;
use heapscope_reports::overtime::{
    build_trend, memlab, memlab_summarised, parse_rfc3339, parse_size, render_trend, summarize_in,
    DumpSummary, MemlabOut, PathGroups, TrendOptions, TrendReport,
};

use super::over_time::Common;
use crate::progress::{Hooks, Progress};
use crate::remote::DumpRef;
use crate::session::Session;
use crate::{CliError, EXIT_OK, EXIT_SUSPECT};

#[derive(Args, Debug)]
pub struct TrendArgs {
    /// Three or more dumps of one process, oldest first (reordered if their timestamps say otherwise);
    /// files or URLs (a URL prefix or glob expands in key order).
    #[arg(required = true, num_args = 1..)]
    pub dumps: Vec<DumpRef>,
    /// When each dump was taken (RFC 3339, one per dump, repeated or comma-separated), for dumps
    /// that do not record it. Without times, the dumps are taken as equally spaced steps.
    #[arg(long = "at", value_delimiter = ',')]
    pub at: Vec<String>,
    /// Memory limit to project against, e.g. 4GiB (the container limit).
    #[arg(long)]
    pub limit: Option<String>,
    /// Most type rows and path rows kept in the report (0 = all); growers are kept first.
    #[arg(long = "max-rows", default_value_t = 500)]
    pub max_rows: usize,
    /// Exit with status 1 when a verdict is a true leak (by survivors, or by linear growth).
    #[arg(long)]
    pub fail_on_leak: bool,
    #[command(flatten)]
    pub common: Common,
}

fn bad(msg: String) -> CliError {
    CliError::BadInput(anyhow!(msg))
}

/// memlab's method on the last dump (`last`, memlab's "final"): it needs stable ids (V8), from
/// the first summary (the baseline) and the one before the last (the target). The dumps are
/// taken in the order given; trend reorders by time only when times say so, and memlab then
/// uses the same order the summaries are given in. None when the dumps have no stable ids.
pub fn memlab_of(
    summaries: &[DumpSummary],
    last: &Session,
    groups: Option<&PathGroups>,
    hooks: &dyn Hooks,
    max_clusters: usize,
) -> Option<MemlabOut> {
    let n = summaries.len();
    let baseline = summaries.first()?;
    let target = summaries.get(n.checked_sub(2)?)?;
    baseline.ids.as_ref()?;
    target.ids.as_ref()?;
    hooks.on_stage("memlab: objects allocated between baseline and target, alive in final");
    let names = [
        summaries[0].dump.path.as_str(),
        summaries[n - 2].dump.path.as_str(),
        summaries[n - 1].dump.path.as_str(),
    ];
    let final_summary = summaries.last().filter(|s| s.dump.path == last.meta.path);
    Some(match groups {
        Some(g) => memlab_summarised(
            last.dump(),
            g,
            baseline,
            target,
            final_summary,
            names,
            max_clusters,
        ),
        None => memlab(last.dump(), baseline, target, names, max_clusters),
    })
}

/// Build the trend report of three or more dump files.
pub fn report(args: &TrendArgs, hooks: &dyn Hooks) -> Result<TrendReport, CliError> {
    let dumps = crate::remote::expand(&args.dumps)?;
    if dumps.len() < 3 {
        return Err(bad(
            "trend needs three or more dumps (use diff for two)".into()
        ));
    }
    let at = if args.at.is_empty() {
        None
    } else {
        if args.at.len() != dumps.len() {
            return Err(bad(format!(
                "--at needs one time per dump: {} times for {} dumps",
                args.at.len(),
                dumps.len()
            )));
        }
        Some(
            args.at
                .iter()
                .map(|s| parse_rfc3339(s).map_err(|e| bad(format!("--at: expected {e}"))))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let limit_bytes = match &args.limit {
        None => None,
        Some(s) => Some(parse_size(s).map_err(|e| bad(format!("--limit: expected {e}")))?),
    };
    let opts = args.common.parse_options();
    let n = dumps.len();
    let mut summaries: Vec<DumpSummary> = Vec::with_capacity(n);
    // Each summary's large arrays in spill files: what the trend holds in anonymous memory
    // while the next dump is analysed is then a few KiB per dump, not 12 B per object and the
    // path signatures' names.
    let forced = args.common.out_of_core();
    let spill = super::over_time::summary_spill(forced);
    // Each dump's estimate counts its summary too (made while its analysis is alive).
    let _reserve =
        heapscope_parsers::budget::reserve_after_analysis(super::over_time::SUMMARY_PER_NODE);
    let mut last: Option<(Session, Option<PathGroups>)> = None;
    for (i, p) in dumps.iter().enumerate() {
        let l = Session::open(p, &opts, hooks, args.common.index_use())?;
        hooks.on_stage(&format!("summarising {p}"));
        let work = super::over_time::summary_work(l.analysis.graph.node_count(), forced);
        let (mut summary, groups) = summarize_in(l.dump(), &work);
        summary.spill(&spill);
        summaries.push(summary);
        crate::stats::stage("summarise");
        // Only the last graph is kept (memlab's "final", with its path groups); the others are
        // reduced to summaries.
        if i + 1 == n {
            last = Some((l, groups));
        }
    }
    let memlab_out = last
        .as_ref()
        .and_then(|(l, g)| memlab_of(&summaries, l, g.as_ref(), hooks, 50));
    crate::stats::stage("memlab");
    drop(last);
    crate::stats::stage("free last dump");
    hooks.on_stage("trend");
    let report = build_trend(
        &summaries,
        memlab_out,
        &TrendOptions {
            at,
            limit_bytes,
            rows: args.max_rows,
        },
    );
    crate::stats::stage("trend");
    Ok(report)
}

/// `heapscope trend`: the report goes to `-o` or `out`; exit 1 on a true leak with
/// `--fail-on-leak`.
pub fn run(args: TrendArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let c = &args.common;
    let report = Progress::with(c.quiet, |p| report(&args, p))?;
    c.write(
        out,
        &report.warnings,
        &render_trend(&report, c.format, c.rows),
    )?;
    let leak = report
        .verdicts
        .iter()
        .any(|v| v.kind == VerdictKind::TrueLeak);
    Ok(if leak && args.fail_on_leak {
        EXIT_SUSPECT
    } else {
        EXIT_OK
    })
}
