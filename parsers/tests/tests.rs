//! The parsers crate's single integration-test binary; one module per format.

mod detect;
mod fuzz_regressions;
mod hprof;
mod pprof;
mod pysnap;
mod spill;
mod tracemalloc;
mod v8;
