//! `heapscope`: what is growing in a heap dump, and who is holding it.
//!
//! Exit codes (kept by every command): 0 ok; 1 a suspect was found and `--fail-on-suspect`
//! was given; 2 bad input or usage; 3 internal error.

mod analyze;
mod drill;
mod over_time;
mod progress;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub const EXIT_OK: u8 = 0;
pub const EXIT_SUSPECT: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_INTERNAL: u8 = 3;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// The input or the usage is wrong (exit 2).
    BadInput(anyhow::Error),
    /// Something failed that is not the input's fault (exit 3).
    Internal(anyhow::Error),
}

impl From<heapscope_parsers::ParseError> for CliError {
    fn from(e: heapscope_parsers::ParseError) -> Self {
        CliError::BadInput(e.into())
    }
}

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
}

#[derive(Subcommand)]
enum Command {
    /// Analyze one or more dumps: histogram, dominators, leak suspects.
    Analyze(analyze::AnalyzeArgs),
    /// Shortest paths from GC roots to one object (by the dump's id).
    Path(drill::PathArgs),
    /// The objects that reference one object, and its dominator chain.
    Retainers(drill::RetainersArgs),
    /// The largest instances of a type by retained size.
    Instances(drill::InstancesArgs),
    /// Compare two dumps: per type, the change in count, shallow and retained bytes.
    Diff(over_time::DiffArgs),
    /// Three or more dumps over time: per type, the series, slope and growth shape.
    Trend(over_time::TrendArgs),
}

fn main() -> ExitCode {
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
    let result = std::panic::catch_unwind(|| match cli.cmd {
        Command::Analyze(args) => analyze::run(args),
        Command::Path(args) => drill::run_path(args),
        Command::Retainers(args) => drill::run_retainers(args),
        Command::Instances(args) => drill::run_instances(args),
        Command::Diff(args) => over_time::run_diff(args),
        Command::Trend(args) => over_time::run_trend(args),
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(CliError::BadInput(e))) => {
            eprintln!("heapscope: error: {e:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Ok(Err(CliError::Internal(e))) => {
            eprintln!("heapscope: internal error: {e:#}");
            ExitCode::from(EXIT_INTERNAL)
        }
        Err(_) => ExitCode::from(EXIT_INTERNAL),
    }
}
