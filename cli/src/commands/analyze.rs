//! `heapscope analyze DUMP…`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};
use heapscope_reports::render::RenderOptions;
use heapscope_reports::{build_report, render, Report, ReportOptions};

use crate::commands::index::IndexUse;
use crate::format::{self, Format};
use crate::output;
use crate::progress::Progress;
use crate::remote::DumpRef;
use crate::session::{ParseFlags, Session};
use crate::{CliError, EXIT_OK, EXIT_SUSPECT};

#[derive(Args, Clone, Debug)]
pub struct AnalyzeArgs {
    /// Dump files (HPROF, .heapsnapshot, pprof, tracemalloc; gzip'd or not), detected by content;
    /// or URLs (s3://, gs://, az://, https://), a URL prefix ending in / or a glob naming many.
    #[arg(required = true)]
    pub dumps: Vec<DumpRef>,
    /// Output form.
    #[arg(long, default_value = "text", value_parser = format::parser_with_help(&format::ALL))]
    pub format: Format,
    /// Write the report here instead of stdout (a directory when several dumps are given).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportFlags,
    /// Colour in the text view: auto (only when stdout is a terminal), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,
}

/// What goes into a report: the options `analyze` and `batch` share.
#[derive(Args, Clone, Debug)]
pub struct ReportFlags {
    /// How many of the biggest objects (by retained size) to list.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Suspect threshold, in percent of the reachable heap (Eclipse MAT uses 10).
    #[arg(long, default_value_t = 10.0)]
    pub threshold: f64,
    /// Histogram rows shown in the text, HTML and Markdown views (JSON has all).
    #[arg(long, default_value_t = 25)]
    pub rows: usize,
    #[command(flatten)]
    pub parse: ParseFlags,
    /// Profiles: add cumulative statistics to the histogram and sort by them, as CPython's
    /// `Snapshot.statistics(key, cumulative=True)` (a frame recurring in one stack counts each time).
    #[arg(long)]
    pub cumulative: bool,
    /// Exit with status 1 when any leak suspect is found.
    #[arg(long)]
    pub fail_on_suspect: bool,
    /// Save the analysis beside the dump (DUMP.hsidx, see `heapscope index`) for later commands.
    #[arg(long = "save-index", conflicts_with = "no_index")]
    pub save_index: bool,
    /// Parse the dump even when a saved index of it is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

impl ReportFlags {
    /// `--threshold` is a percentage.
    pub fn check(&self) -> Result<(), CliError> {
        if (0.0..=100.0).contains(&self.threshold) {
            Ok(())
        } else {
            Err(CliError::BadInput(anyhow!(
                "--threshold must be a percentage between 0 and 100"
            )))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// What [`report_of`] does with a dump's graph and analysis once its report is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Teardown {
    /// Free them now, on this thread: more work follows in this process (a batch, `serve`,
    /// `diff`, a library user).
    Free,
    /// Free them behind the output: a single-dump `analyze`, whose report is all that is left
    /// to render and write. A thread frees the analysis on two threads
    /// ([`Analysis::free_on_two_threads`]: the kernel's share, unmapping arrays and dropping
    /// spill files' page cache, is most of it) while this one renders and writes the report;
    /// the returned [`Freeing`] waits for it, so the process still ends only once everything
    /// is freed. Leaving it all to the exit instead did the same work on one thread: on the
    /// 44.8 M-object JDK dump of benches/ the process ended ~0.3 s later
    /// (benches/scripts/hprof/RESULTS.md, "teardown"). The spill files and an inflated gzip
    /// dump are unnamed, so no exit, not even a killed process, leaves a file behind.
    ///
    /// [`Analysis::free_on_two_threads`]: heapscope_graph::Analysis::free_on_two_threads
    Behind,
}

/// A teardown running behind the output ([`Teardown::Behind`]); dropping it waits for the
/// teardown to finish (and records `HEAPSCOPE_STATS`'s "free graph" stage then).
#[must_use = "dropping it waits for the teardown"]
pub struct Freeing(Option<std::thread::JoinHandle<()>>);

impl Drop for Freeing {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            let joined = h.join();
            crate::stats::stage("free graph");
            if let Err(e) = joined {
                if !std::thread::panicking() {
                    std::panic::resume_unwind(e);
                }
            }
        }
    }
}

/// Parse and analyse one dump into its report.
pub fn analyze_one(
    path: &DumpRef,
    args: &AnalyzeArgs,
    progress: &Progress,
    teardown: Teardown,
) -> Result<(Report, Freeing), CliError> {
    let r = &args.report;
    let opts = r.parse.options();
    let mode = match (r.no_index, r.save_index) {
        (true, _) => IndexUse::Off,
        (_, true) => IndexUse::Keep,
        _ => IndexUse::Use,
    };
    let l = Session::open(path, &opts, progress, mode)?;
    Ok(report_of(l, args, progress, teardown))
}

/// The report of a loaded dump; the graph and analysis are then freed now or behind the
/// output, as `teardown` says.
pub fn report_of(
    l: Session,
    args: &AnalyzeArgs,
    progress: &Progress,
    teardown: Teardown,
) -> (Report, Freeing) {
    progress.stage("report");
    // The analysis' passes ran on threads of their own, whose malloc arenas keep what they
    // freed (glibc raises its mmap threshold after the first large block is freed, so blocks
    // of up to 32 MiB come from the arenas): return it before the report allocates in other
    // arenas (t10k.hprof, 10,000 threads: the report stage's peak RssAnon, see
    // benches/scripts/hprof/RESULTS.md, "hmem12").
    // From here on (the report's findings, on rayon's threads, then the output) a block of
    // 1 MiB or more is mapped on its own and unmapped when freed, never kept in an arena:
    // the dynamic threshold kept ~45 MiB of the findings' freed blocks resident to the end.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator to the system; mallopt
    // only sets a threshold of the allocator.
    unsafe {
        libc::malloc_trim(0);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    let ropts = ReportOptions {
        top: args.report.top,
        threshold: args.report.threshold / 100.0,
        cumulative: args.report.cumulative,
        ..ReportOptions::default()
    };
    let report = build_report(&l.analysis, &l.info, l.inspector.as_ref(), &l.meta, &ropts);
    crate::stats::stage("report");
    let Session {
        analysis,
        info,
        inspector,
        meta,
    } = l;
    // An inflated gzip dump, held by the inspector, is a file as large as the dump: the largest
    // part of the teardown, so it goes first ([`Analysis::free_on_two_threads`]).
    let rest_bytes = if info.compressed { usize::MAX } else { 0 };
    let rest = (info, inspector, meta);
    let freeing = match teardown {
        Teardown::Free => {
            drop((analysis, rest));
            crate::stats::stage("free graph");
            None
        }
        Teardown::Behind => {
            let spawned = std::thread::Builder::new()
                .name("teardown".into())
                .spawn(move || analysis.free_on_two_threads(rest, rest_bytes));
            // No thread: the closure, and the analysis with it, has been dropped (freed) here.
            let h = spawned.ok();
            if h.is_none() {
                crate::stats::stage("free graph");
            }
            h
        }
    };
    (report, Freeing(freeing))
}

/// Render one report as the arguments ask; `tty` says whether it goes to a terminal.
pub fn render(r: &Report, args: &AnalyzeArgs, tty: bool) -> String {
    render::render(r, args.format, &render_options(args, tty))
}

/// [`render`], written to `out` (JSON as it is made: the same bytes, never whole in memory).
pub fn render_to(
    r: &Report,
    args: &AnalyzeArgs,
    tty: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    render::render_to(r, args.format, &render_options(args, tty), out)
}

fn render_options(args: &AnalyzeArgs, tty: bool) -> RenderOptions {
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => tty && std::env::var_os("NO_COLOR").is_none(),
    };
    RenderOptions {
        rows: args.report.rows,
        color,
        ..RenderOptions::default()
    }
}

/// Output file names for a batch: `<dump file name>.<ext>`, made unique (`-2`, `-3`, …) when
/// two inputs share a file name, in the order the inputs were given.
pub fn batch_names(dumps: &[DumpRef], ext: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    dumps
        .iter()
        .map(|d| {
            let base = Some(d.file_name())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "dump".into());
            let k = seen.entry(base.clone()).or_insert(0);
            *k += 1;
            if *k == 1 {
                format!("{base}.{ext}")
            } else {
                format!("{base}-{k}.{ext}")
            }
        })
        .collect()
}

/// Analyse every dump of `args`; reports go to `out` unless `-o` is given. `out_is_terminal`
/// says whether `out` is a terminal (colour with `--color auto`).
pub fn run(args: AnalyzeArgs, out: &mut dyn Write, out_is_terminal: bool) -> Result<u8, CliError> {
    // `-o -` is standard output.
    let args = AnalyzeArgs {
        output: args.output.filter(|p| !output::is_stdout(p)),
        ..args
    };
    args.report.check()?;
    let dumps = crate::remote::expand(&args.dumps)?;
    let progress = Progress::new(args.quiet);
    let many = dumps.len() > 1;
    if many {
        if let Some(dir) = &args.output {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating output directory {}", dir.display()))
                .map_err(CliError::BadInput)?;
        }
    }
    let mut any_suspect = false;
    let mut first_err = None;
    let names = batch_names(&dumps, args.format.extension());
    // One dump: nothing runs after its report but the output.
    let teardown = if many {
        Teardown::Free
    } else {
        Teardown::Behind
    };
    for (i, dump) in dumps.iter().enumerate() {
        let (report, freeing) = match analyze_one(dump, &args, &progress, teardown) {
            Ok(r) => r,
            Err(e) if many => {
                // Batch: report the failure, go on with the others, exit non-zero at the end.
                progress.finish();
                if let CliError::BadInput(m) | CliError::Internal(m) = &e {
                    eprintln!("heapscope: error: {m:#}")
                }
                first_err.get_or_insert(e);
                continue;
            }
            Err(e) => {
                progress.finish();
                return Err(e);
            }
        };
        for w in &report.warnings {
            progress.finish();
            eprintln!("heapscope: warning: {dump}: {w}");
        }
        // The runtime's own data is listed, never an application leak.
        any_suspect |= report.suspects.iter().any(|s| !s.runtime_owned);
        let tty = args.output.is_none() && out_is_terminal;
        let fill = |w: &mut dyn Write| render_to(&report, &args, tty, w);
        let written = match (&args.output, many) {
            (None, _) => output::stream(out, fill),
            (Some(p), false) => output::stream_file(p, fill),
            (Some(dir), true) => output::stream_file(&dir.join(&names[i]), fill),
        };
        crate::stats::stage("render");
        drop(freeing);
        if let Err(e) = written {
            progress.finish();
            return Err(e);
        }
    }
    progress.finish();
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(if any_suspect && args.report.fail_on_suspect {
        EXIT_SUSPECT
    } else {
        EXIT_OK
    })
}
