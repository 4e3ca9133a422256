//! The parsers crate's single integration-test binary; one module per format.

mod detect;
mod facts_details;
mod fuzz_regressions;
mod goheapdump;
mod hprof;
mod pprof;
mod prometheus;
mod pysnap;
mod spill;
mod tracemalloc;
mod v8;

/// A dump's typed details as the report prints them (`input.details`), for tests that check
/// them against a reference by key.
pub fn details(info: &heapscope_graph::DumpFacts) -> serde_json::Value {
    serde_json::to_value(&info.details).expect("details serialise")
}
