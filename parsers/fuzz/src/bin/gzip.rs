//! Fuzz target: gzip input (detect → gunzip to a temp file → the inner reader), then the analysis.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        heapscope_parsers_fuzz::run(heapscope_parsers_fuzz::Target::Gzip, data);
    });
}
