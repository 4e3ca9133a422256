//! The `heapscope` binary on the real fixtures of testdata/: the check (culprit first,
//! right pattern, path from a real root; healthy controls quiet), the JSON contract, renderers,
//! batch output, exit codes, drill-down.
//!
//! Fixtures whose parser has not landed yet (the dump is rejected as unreadable, exit 2) are
//! skipped with a message; every other failure fails.

mod util;

mod batch;
mod drill;
mod exit_codes;
mod fixtures;
mod golden;
