//! heapscope as a library: what the `heapscope` binary runs, for tests and other front ends.
//!
//! - [`session`]: load one dump (detect the format by content, parse, run every graph pass),
//!   with progress hooks;
//! - [`commands`]: one module per command (`analyze`, `path`, `retainers`, `instances`, `diff`,
//!   `trend`), each with its clap arguments and a `run` that writes to any [`std::io::Write`];
//! - [`error`]: [`CliError`] and the exit codes it maps to;
//! - [`format`]: the one output-format enum the commands accept;
//! - [`output`]: writing a rendered report to the caller's writer or a file (a closed pipe
//!   ends the command quietly);
//! - [`progress`]: the spinner on stderr and the [`progress::Hooks`] a load reports to;
//! - [`remote`]: dumps and reports in object storage (`s3://`, `gs://`, `az://`, `https://`).

pub mod commands;
pub mod error;
pub mod format;
pub mod mcp;
pub mod output;
pub mod progress;
pub mod remote;
pub mod serve;
pub mod session;
mod stats;

pub use error::{CliError, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_SUSPECT};
pub use session::Session;
