//! The `heapscope` binary on the real fixtures of testdata/: the check (culprit first,
//! right pattern, path from a real root; healthy controls quiet), the JSON contract, renderers,
//! batch output, exit codes, drill-down.
//!
//! A fixture that is rejected (exit 2) fails: every format's parser has landed.

mod util;

/// Pages in headless Chromium, shared with the reports crate's tests.
#[path = "../../../reports/tests/analysis/chromium.rs"]
mod chromium;

mod batch;
mod closed_pipe;
mod cumulative;
mod drill;
mod exit_codes;
mod export;
mod fixtures;
mod fragmentation;
mod goheapdump;
mod golden;
mod grown_collections;
mod index;
mod java_collections;
mod long_paths;
mod mcp;
mod metrics;
mod objectstore;
mod out_of_core;
mod over_time;
mod producers;
mod python_heapsnap;
mod query;
mod serve;
mod thread_held;
mod unreachable;
mod v8_producers;
