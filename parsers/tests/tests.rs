//! The parsers crate's single integration-test binary; one module per format.

mod hprof;
mod pprof;
mod tracemalloc;
mod v8;
