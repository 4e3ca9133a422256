//! One module per command. Each has its clap arguments and a `run` that writes the report to
//! the writer it is given (or the `-o` file) and returns the exit code, or a [`crate::CliError`].

pub mod analyze;
pub mod batch;
pub mod diff;
pub mod drill;
pub mod export;
pub mod index;
pub mod mcp;
pub mod metrics;
pub mod over_time;
pub mod python_helper;
pub mod query;
pub mod serve;
pub mod trend;
