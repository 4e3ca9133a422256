//! `heapscope`: what is growing in a heap dump, and who is holding it.
//!
//! The binary parses the arguments and runs the library's commands (`heapscope::commands`) on
//! stdout. Exit codes (kept by every command): 0 ok; 1 a suspect was found and
//! `--fail-on-suspect` was given; 2 bad input or usage; 3 internal error.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use heapscope::commands::{
    analyze, batch, diff, drill, export, index, mcp, metrics, python_helper, query, serve, trend,
};
use heapscope::{error, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK};

#[derive(Parser)]
#[command(
    name = "heapscope",
    version,
    about = "Offline heap-dump analyzer: what is growing, and who is holding it.",
    long_about = "Offline heap-dump analyzer for Java HPROF, V8 .heapsnapshot, Go pprof heap profiles and Python \
tracemalloc snapshots (detected by content).\n\nExit codes: 0 ok; 1 suspect found with --fail-on-suspect; \
2 bad input or usage; 3 internal error."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
    /// Keep the local copy of every dump downloaded from a URL (in $TMPDIR; its path is printed).
    #[arg(long, global = true)]
    keep: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze one or more dumps: histogram, dominators, leak suspects.
    Analyze(analyze::AnalyzeArgs),
    /// Shortest paths from GC roots to one object (by the dump's id).
    Path(drill::path::PathArgs),
    /// The objects that reference one object, and its dominator chain.
    Retainers(drill::retainers::RetainersArgs),
    /// The largest instances of a type by retained size.
    Instances(drill::instances::InstancesArgs),
    /// One read-only SQL query over the analysis (objects, refs, types, roots; docs/query.md).
    Query(query::QueryArgs),
    /// Parse and analyse a dump once and save the analysis (DUMP.hsidx) for later commands.
    Index(index::IndexArgs),
    /// The analysis as Parquet tables (objects, refs, types, roots) for DuckDB, Polars, pandas.
    Export(export::ExportArgs),
    /// Compare two dumps: per type, the change in count, shallow and retained bytes.
    Diff(diff::DiffArgs),
    /// Three or more dumps over time: per type, the series, slope and growth shape.
    Trend(trend::TrendArgs),
    /// Prometheus series of running services: growth shape, GC, requests, time to the limit.
    Metrics(metrics::MetricsArgs),
    /// Many dumps (files, URLs, globs or a manifest) into --out-dir: one report each, summary.jsonl.
    Batch(batch::BatchArgs),
    /// A Model Context Protocol server on stdio: bounded answers about dumps for coding agents.
    Mcp(mcp::McpArgs),
    /// Print heapscope_snapshot.py, the stdlib-only dumper of Python heap snapshots
    /// (`heapscope python-helper > heapscope_snapshot.py`).
    PythonHelper(python_helper::PythonHelperArgs),
    /// A local web UI on 127.0.0.1: report, dominator tree, histogram, objects, queries, diff/trend.
    Serve(serve::ServeArgs),
}

/// Bytes from which glibc's malloc maps a block of its own (and unmaps it when freed).
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Fix glibc's mmap threshold for the whole run. Left to itself, glibc raises the threshold to
/// the size of each mapped block freed (up to 32 MiB), so after a parse frees its big read
/// buffers, later blocks of up to that size are carved from the heap instead: they stay
/// resident after they are freed (RssAnon 80 MiB instead of ~10 after a tracemalloc analysis,
/// for the next dump in `serve`, `batch` or `trend`) and raised real-deep350's peak by 3–7 MiB,
/// depending on the order of the frees. A fixed threshold turns the adjustment off (glibc
/// `mallopt`); CPU the same within noise on the 2.18 GB HPROF, the 1.05 GB V8 and
/// real-deep350 inputs (benches/scripts/tracemalloc/RESULTS.md, session 18).
fn allocator_policy() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

fn main() -> ExitCode {
    allocator_policy();
    // A panic is a bug of ours, never the input's: report it and exit 3.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("heapscope: internal error: {info}");
        eprintln!("this is a bug in heapscope; please report it with the command line you ran");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    heapscope::remote::set_keep(cli.keep);
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    // Not held locked: `mcp` writes the protocol to stdout from its runtime's threads.
    let out = &mut &stdout;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| match cli.cmd {
        Command::Analyze(args) => analyze::run(args, out, tty),
        Command::Path(args) => drill::path::run(args, out),
        Command::Retainers(args) => drill::retainers::run(args, out),
        Command::Instances(args) => drill::instances::run(args, out),
        Command::Query(args) => query::run(args, out),
        Command::Index(args) => index::run(args, out),
        Command::Export(args) => export::run(args, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Trend(args) => trend::run(args, out),
        Command::Metrics(args) => metrics::run(args, out),
        Command::Batch(args) => batch::run(args),
        Command::PythonHelper(args) => python_helper::run(args, out),
        Command::Serve(args) => serve::run(args, out),
        Command::Mcp(args) => mcp::run(args, out),
    }));
    ExitCode::from(match result {
        Ok(r) => error::exit_code(r),
        Err(_) => EXIT_INTERNAL,
    })
}
