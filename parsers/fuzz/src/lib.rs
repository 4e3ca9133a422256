//! The one harness every target runs: the bytes become an in-memory [`Input`], the target's reader
//! parses them (gzip input: `detect` → gunzip → the inner reader, as `parse_input` does), and a
//! graph that parsed is analysed (`Analysis::run`: dominators, retained sizes, root paths) — bugs
//! hide there too. Any `Err` is fine; a panic, abort, hang or runaway allocation is a finding.

use std::path::Path;

use heapscope_graph::Analysis;
use heapscope_parsers::{detect, parse_input, Detected, Input, ParseOptions};

/// Which reader a target drives.
#[derive(Clone, Copy)]
pub enum Target {
    /// Only input detected as this reader (by name); other input is skipped, so the corpus stays
    /// on the format.
    Format(&'static str),
    /// gzip input through `parse_input` (inflated to a temp file, then any reader).
    Gzip,
}

pub fn run(target: Target, data: &[u8]) {
    let wanted = match (target, detect(data)) {
        (Target::Format(name), Detected::Format(r)) => r.name == name,
        (Target::Gzip, Detected::Gzip) => true,
        _ => false,
    };
    if !wanted {
        return;
    }
    let input = Input::from_bytes(Path::new("fuzz-input"), data.to_vec());
    // The byte after the signature picks options some readers honour, so both paths get fuzzed.
    let opts = options(data);
    if let Ok(parsed) = parse_input(&input, &opts) {
        let analysis = Analysis::run(parsed.graph);
        std::hint::black_box(analysis.top_retained(10));
    }
}

fn options(data: &[u8]) -> ParseOptions {
    let mut opts = ParseOptions::default();
    let pick = data.len() % 3;
    opts.group_by = Some(["lineno", "filename", "traceback"][pick].to_string());
    opts.drop_labels = data.len() % 2 == 1;
    opts
}
