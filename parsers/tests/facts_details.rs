//! The typed dump details (`graph::facts::Details`) of every format: what a parser fills
//! serialises to one JSON object (the report's `input.details`), and comes back equal, with the
//! same JSON, from the saved index's encoding (`FormatDetails::to_saved` / `from_saved`).
//! Every committed fixture of every format under testdata/ that parses is checked (files
//! under 4 MiB, to keep the test short).

use std::path::{Path, PathBuf};

use heapscope_graph::facts::{Details, FormatDetails};
use heapscope_parsers::ParseOptions;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            // The big inputs are not committed fixtures.
            if p.file_name().is_some_and(|n| n != "big") {
                files(&p, out);
            }
        } else if e.metadata().is_ok_and(|m| m.len() < 4 << 20) {
            out.push(p);
        }
    }
}

#[test]
fn every_format_s_details_round_trip_to_the_same_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    let mut all = Vec::new();
    for d in ["java", "node", "go", "python"] {
        files(&root.join(d), &mut all);
    }
    all.sort();
    let mut tags = std::collections::BTreeSet::new();
    let mut checked = 0;
    for path in &all {
        let Ok(p) = heapscope_parsers::open(path, &ParseOptions::default()) else {
            continue;
        };
        let d = &p.info.details;
        let json = serde_json::to_value(d).expect("details serialise");
        assert!(json.is_object(), "{}: one JSON object", path.display());
        let (tag, text) = d.format.to_saved();
        let back = FormatDetails::from_saved(tag, &text)
            .unwrap_or_else(|| panic!("{}: details read back", path.display()));
        assert_eq!(back, d.format, "{}", path.display());
        let again = Details {
            threads: d.threads.clone(),
            format: back,
        };
        assert_eq!(
            serde_json::to_value(&again).expect("serialise"),
            json,
            "{}",
            path.display()
        );
        // Threads only where the format records them; then every thread root names one.
        for r in &p.info.thread_roots {
            let t = p.info.threads().get(r.thread as usize);
            assert!(t.is_some(), "{}: thread root {r:?}", path.display());
            if let (Some(f), Some(t)) = (r.frame(), t) {
                assert!((f as usize) < t.frames.len(), "{}", path.display());
            }
        }
        tags.insert(tag);
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} fixtures parsed");
    // HPROF, V8, pprof, tracemalloc, Go heap dumps, Python snapshots.
    assert_eq!(
        tags.into_iter().collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6],
        "every format's details"
    );
}

/// What a stack holds while a frame runs is a typed fact the parsers set
/// (`DumpFacts::stack`); reports once recognised it by the runtimes' names. On every fixture
/// the fact and the old vocabulary agree: GC root kinds `Java frame` / `JNI local` / `native
/// stack`, V8's synthetic `(Handle scope)` / `(Stack roots)` nodes, and `local in <frame>`
/// edge labels (each from one of the dump's thread objects).
#[test]
fn stack_holder_facts_agree_with_the_runtime_names_on_every_fixture() {
    use heapscope_graph::{Label, NodeIdx, NodeKind};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    let mut all = Vec::new();
    for d in ["java", "node", "go", "python"] {
        files(&root.join(d), &mut all);
    }
    all.sort();
    let (mut kinds, mut nodes, mut labels) = (0, 0, 0);
    for path in &all {
        let Ok(p) = heapscope_parsers::open(path, &ParseOptions::default()) else {
            continue;
        };
        let (g, stack, name) = (&p.graph, &p.info.stack, path.display());
        for r in &g.roots {
            let old = matches!(
                g.root_kind_name(r),
                "Java frame" | "JNI local" | "native stack"
            );
            assert_eq!(stack.is_root_kind(r.kind), old, "{name}: root {r:?}");
            kinds += usize::from(old);
        }
        let threads: std::collections::HashSet<u64> =
            p.info.threads().iter().map(|t| t.object).collect();
        for n in 0..g.node_count() as u32 {
            let n = NodeIdx(n);
            let old = g.kind(n) == NodeKind::Synthetic
                && matches!(
                    p.inspector.value_preview(g, n).as_deref(),
                    Some("(Handle scope)" | "(Stack roots)")
                );
            assert_eq!(stack.is_node(n), old, "{name}: node {n:?}");
            nodes += usize::from(old);
            if g.edge_labels.is_empty() {
                continue;
            }
            for e in g.edges(n) {
                let old = matches!(e.label, Label::Name(_))
                    && g.label_text(e.label)
                        .is_some_and(|t| t.starts_with("local in "));
                assert_eq!(stack.is_local_label(e.label), old, "{name}: edge {e:?}");
                if old {
                    assert!(threads.contains(&g.id(n)), "{name}: from {n:?}");
                    labels += 1;
                }
            }
        }
    }
    // Fixtures of both runtimes have each kind.
    assert!(
        kinds > 0 && nodes > 0 && labels > 0,
        "{kinds} {nodes} {labels}"
    );
}
