//! The parsers crate's single integration-test binary; one module per format.

mod detect;
mod fuzz_regressions;
mod goheapdump;
mod hprof;
mod pprof;
mod prometheus;
mod pysnap;
mod spill;
mod tracemalloc;
mod v8;
