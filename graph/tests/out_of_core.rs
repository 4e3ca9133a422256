//! The out-of-core analysis (graph arrays and working arrays in spill files) gives exactly the
//! in-memory analysis' results, on random graphs under every policy.

use heapscope_graph::{Analysis, Spill};

use crate::support::{cases, seed, Spec, POLICIES};

/// `f(in_memory_graph, another_copy, ctx)` on `cases` random graphs under each policy: the
/// same spec built twice from the same seed gives two equal graphs.
pub(crate) fn for_graph_pairs(
    cases: usize,
    max_nodes: usize,
    mut f: impl FnMut(heapscope_graph::HeapGraph, heapscope_graph::HeapGraph, &str),
) {
    let base = seed() ^ (0x00c << 44);
    for &policy in &POLICIES {
        for case in 0..cases as u64 {
            let s = base ^ case;
            let spec = Spec::random(&mut fastrand::Rng::with_seed(s), max_nodes, policy);
            let build = || spec.build(&mut fastrand::Rng::with_seed(s));
            f(
                build(),
                build(),
                &format!("seed {s} (policy {policy:?}): {spec:?}"),
            );
        }
    }
}

/// Every result the reports read, compared field by field.
pub(crate) fn same(a: &Analysis, b: &Analysis, ctx: &str) {
    assert_eq!(a.dom.idom, b.dom.idom, "idom; {ctx}");
    assert_eq!(a.dom.orphans_attached, b.dom.orphans_attached, "{ctx}");
    assert_eq!(a.retained, b.retained, "retained; {ctx}");
    assert_eq!(a.children.offsets, b.children.offsets, "{ctx}");
    assert_eq!(a.children.children, b.children.children, "{ctx}");
    for v in 0..a.graph.node_count() as u32 {
        let n = heapscope_graph::NodeIdx(v);
        assert_eq!(a.path_to(n), b.path_to(n), "path to {v}; {ctx}");
        assert_eq!(a.path_is_weak(n), b.path_is_weak(n), "{ctx}");
    }
    assert_eq!(a.histogram, b.histogram, "histogram; {ctx}");
    assert_eq!(a.summary, b.summary, "summary; {ctx}");
    assert_eq!(a.preorder(), b.preorder(), "{ctx}");
    assert_eq!(a.graph.offsets, b.graph.offsets, "{ctx}");
    assert_eq!(a.graph.targets, b.graph.targets, "{ctx}");
    assert_eq!(a.graph.warnings, b.graph.warnings, "{ctx}");
}

#[test]
fn out_of_core_equals_in_memory() {
    let spill = Spill::temp().out_of_core(true);
    let mut spilled = 0usize;
    for_graph_pairs(cases(150), 30, |g, copy, ctx| {
        let mem = Analysis::run(g);
        let ooc = Analysis::run_spilled(copy, &spill, &mut |_| {});
        if spill.is_usable() {
            // Everything went to files, whatever its size.
            assert!(ooc.graph.offsets.is_spilled(), "{ctx}");
            assert!(
                ooc.dom.idom.is_spilled() && ooc.retained.is_spilled(),
                "{ctx}"
            );
            assert!(ooc.children.offsets.is_spilled(), "{ctx}");
            assert_eq!(ooc.retained.heap_bytes(), 0, "{ctx}");
            spilled += 1;
        }
        same(&mem, &ooc, ctx);
    });
    if spill.is_usable() {
        assert!(spilled > 0);
    }
}

/// A graph a parser spilled out of core (its estimate exceeded the memory available) is
/// analysed out of core even when the caller asked for nothing: the graph says so
/// (`HeapGraph::out_of_core`), not its CSR's being in a spill file, which the bulk builders'
/// in memory is too (graph/src/builder/tests.rs, `parallel`).
#[test]
fn a_graph_spilled_out_of_core_is_analysed_out_of_core() {
    let spill = Spill::temp().out_of_core(true);
    if !spill.is_usable() {
        return;
    }
    for_graph_pairs(cases(40), 20, |g, mut parsed, ctx| {
        let mem = Analysis::run(g);
        parsed.spill_columns(&spill);
        assert!(parsed.offsets.is_spilled() && parsed.out_of_core, "{ctx}");
        let ooc = Analysis::run(parsed);
        assert!(ooc.dom.idom.is_spilled(), "{ctx}");
        same(&mem, &ooc, ctx);
    });
}
