//! Spilled graph columns (`Spill`, heapscope_graph::column) give the same graph and the same
//! analysis as columns in memory, on real dumps of the two formats that spill.

use std::path::{Path, PathBuf};

use heapscope_graph::{Analysis, HeapGraph, Spill};
use heapscope_parsers::{open, ParseOptions};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

fn parse(path: &Path, spill: Spill) -> HeapGraph {
    let opts = ParseOptions {
        spill,
        ..ParseOptions::default()
    };
    open(path, &opts)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .graph
}

/// Is the temporary directory one the columns may spill to (not tmpfs)?
fn temp_dir_spills() -> bool {
    let mut probe = heapscope_graph::Column::from(vec![1u8]);
    probe.spill(&Spill::temp().min_bytes(0)) == Ok(true)
}

#[test]
fn spilled_columns_give_the_same_graph_and_analysis() {
    for rel in [
        "java/dumps/static_map.hprof.gz",
        "java/dumps/finalizer_backlog_jdk25.hprof.gz",
        "node/snapshots/emitter-listeners.heapsnapshot",
    ] {
        let path = testdata(rel);
        let mem = parse(&path, Spill::never());
        let file = parse(&path, Spill::temp().min_bytes(0));
        assert!(!mem.ids.is_spilled(), "{rel}");
        if temp_dir_spills() {
            for (name, spilled) in [
                ("ids", file.ids.is_spilled()),
                ("type_of", file.type_of.is_spilled()),
                ("shallow", file.shallow.is_spilled()),
                ("kind", file.kind.is_spilled()),
                ("edge_labels", file.edge_labels.is_spilled()),
            ] {
                assert!(spilled, "{rel}: {name} not spilled");
            }
        }
        assert!(mem.node_count() > 1000, "{rel}");
        assert_eq!(&mem.ids[..], &file.ids[..], "{rel}");
        assert_eq!(&mem.type_of[..], &file.type_of[..], "{rel}");
        assert_eq!(&mem.shallow[..], &file.shallow[..], "{rel}");
        assert_eq!(&mem.kind[..], &file.kind[..], "{rel}");
        assert_eq!(&mem.edge_labels[..], &file.edge_labels[..], "{rel}");
        assert_eq!(mem.offsets, file.offsets, "{rel}");
        assert_eq!(mem.targets, file.targets, "{rel}");
        assert_eq!(mem.warnings, file.warnings, "{rel}");
        let (a, b) = (Analysis::run(mem), Analysis::run(file));
        assert_eq!(a.dom.idom, b.dom.idom, "{rel}");
        assert_eq!(a.retained, b.retained, "{rel}");
        assert_eq!(a.summary, b.summary, "{rel}");
        assert_eq!(a.top_retained(20), b.top_retained(20), "{rel}");
    }
}
