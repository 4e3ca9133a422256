//! Fuzz target: the tracemalloc reader, then the analysis of what it parsed.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        heapscope_parsers_fuzz::run(heapscope_parsers_fuzz::Target::Format("tracemalloc"), data);
    });
}
