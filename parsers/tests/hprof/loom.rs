//! What Project Loom and hidden classes put in a JDK 21+ heap (testdata/java/versions/loom21 and
//! loom25, `src/Loom.java`: 300 parked virtual threads whose frames hold `long[]` locals, 50
//! classes made by `Lookup.defineHiddenClass` with one instance each, 100 capturing lambdas).
//! StackChunk sizes are checked against jcmd by the histogram differential test (versions.rs).

use std::collections::HashSet;

use heapscope_graph::{Analysis, HeapGraph, Label, NodeIdx, NodeKind};
use heapscope_parsers::hprof::heap::is_hidden_class_name;

use super::parse;

fn loom(name: &str) -> heapscope_parsers::Parsed {
    parse(
        &super::java_dir()
            .join("versions")
            .join(format!("{name}.hprof.gz")),
    )
}

/// The nodes reachable from the roots along every edge but those `skip` refuses: a plain
/// breadth-first walk, the oracle the analysis's reachability is checked against.
fn reachable(g: &HeapGraph, skip: impl Fn(Label) -> bool) -> Vec<bool> {
    let mut seen = vec![false; g.node_count()];
    let mut queue: Vec<u32> = g.root_nodes();
    for &r in &queue {
        seen[r as usize] = true;
    }
    while let Some(n) = queue.pop() {
        for e in g.edges(NodeIdx(n)) {
            if !skip(e.label) && !seen[e.target.ix()] {
                seen[e.target.ix()] = true;
                queue.push(e.target.0);
            }
        }
    }
    seen
}

fn is_class_label(g: &HeapGraph, l: Label) -> bool {
    matches!(l, Label::Name(id) if g.labels.get(id.0) == "<class>")
}

/// A hidden class is in no loader's table: it lives as long as an instance does. Each instance
/// of one has a `<class>` edge to its class object (and no other instance has one), so the 50
/// `Loom$Gen+0x…` classes are reachable, and the analysis's unreachable count is what a walk
/// without those edges finds, less what only they reach.
#[test]
fn hprof_hidden_classes_are_held_by_their_instances() {
    for name in ["loom21", "loom25"] {
        let p = loom(name);
        let g = &p.graph;
        let mut gen_classes = HashSet::new();
        for n in 0..g.node_count() {
            let n = NodeIdx(n as u32);
            let hidden = is_hidden_class_name(g.type_name(n));
            let to_class: Vec<NodeIdx> = g
                .edges(n)
                .filter(|e| is_class_label(g, e.label))
                .map(|e| e.target)
                .collect();
            if g.kind(n) != NodeKind::Object || !hidden {
                assert!(
                    to_class.is_empty(),
                    "{name}: {} has a <class> edge",
                    g.type_name(n)
                );
                continue;
            }
            assert_eq!(to_class.len(), 1, "{name}: {}", g.type_name(n));
            assert_eq!(g.kind(to_class[0]), NodeKind::Class, "{name}");
            if g.type_name(n).starts_with("Loom$Gen+0x") {
                gen_classes.insert(to_class[0]);
            }
        }
        assert_eq!(
            gen_classes.len(),
            50,
            "{name}: one class per Loom$Gen instance"
        );
        let all = reachable(g, |_| false);
        let without = reachable(g, |l| is_class_label(g, l));
        for c in &gen_classes {
            assert!(
                all[c.ix()] && !without[c.ix()],
                "{name}: held by its instance only"
            );
        }
        let count = |r: &[bool]| r.iter().filter(|&&x| !x).count() as u64;
        let a = Analysis::run(p.graph);
        assert_eq!(a.summary.unreachable_nodes, count(&all), "{name}");
        assert!(
            count(&without) - count(&all) >= 50,
            "{name}: unreachable {} without the <class> edges, {} with",
            count(&without),
            count(&all)
        );
    }
}

/// JDK 21 writes a parked virtual thread's stack chunks with their fields only and no stack for
/// the thread: the frames' locals (one `long[1]` per frame) have no root and look unreachable,
/// and the parser says why. JDK 25 writes each parked virtual thread with its stack, its locals
/// as Java frame roots: they are reachable, and no warning is given.
#[test]
fn hprof_parked_virtual_threads_frames_warning() {
    for (name, warned) in [("loom21", true), ("loom25", false)] {
        let p = loom(name);
        let w: Vec<&String> = p
            .info
            .warnings
            .iter()
            .filter(|w| w.contains("StackChunk"))
            .collect();
        if warned {
            assert_eq!(w.len(), 1, "{name}: {:?}", p.info.warnings);
            assert!(
                w[0].starts_with("300 jdk.internal.vm.StackChunk objects (1.0 MiB) hold the stacks of parked virtual threads"),
                "{}",
                w[0]
            );
        } else {
            assert!(w.is_empty(), "{name}: {w:?}");
        }
        let g = &p.graph;
        let all = reachable(g, |_| false);
        // the locals: `long[]`s that a frame of Loom.depth holds (Loom's only `long[]`s)
        let longs = (0..g.node_count())
            .filter(|&n| g.type_name(NodeIdx(n as u32)) == "long[]" && !all[n])
            .count();
        if warned {
            assert!(longs >= 300 * 4, "{name}: {longs} unreachable long[]");
        } else {
            assert_eq!(longs, 0, "{name}");
        }
    }
}
