//! Statistical timings (divan) of each graph pass on a 10^6-node / 3·10^6-edge synthetic heap:
//! `cargo bench -p heapscope-benches --bench passes`. Memory and the 10^7 scale: `graph-scale`.

use std::sync::OnceLock;

use heapscope_benches::synth::Shape;
use heapscope_graph::dominators::{dominators, DomChildren, DomTree};
use heapscope_graph::histogram::histogram;
use heapscope_graph::paths::RootPaths;
use heapscope_graph::HeapGraph;

const NODES: usize = 1_000_000;

fn shape() -> Shape {
    Shape::new(NODES, 3 * NODES)
}

fn graph() -> &'static (HeapGraph, DomTree, Vec<u64>) {
    static G: OnceLock<(HeapGraph, DomTree, Vec<u64>)> = OnceLock::new();
    G.get_or_init(|| {
        let g = shape().build();
        let dom = dominators(&g);
        let retained = DomChildren::build(&dom).retained_sizes(&g);
        (g, dom, retained)
    })
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 10)]
fn build() -> HeapGraph {
    shape().build()
}

#[divan::bench(sample_count = 10)]
fn dominator_tree() -> DomTree {
    dominators(&graph().0)
}

#[divan::bench(sample_count = 10)]
fn dominator_tree_baseline() -> DomTree {
    heapscope_benches::baseline::dominators(&graph().0)
}

/// Children lists, then retained sizes summed over them, as `Analysis::run` does.
#[divan::bench(sample_count = 10)]
fn children_and_retained() -> Vec<u64> {
    let (g, dom, _) = graph();
    DomChildren::build(dom).retained_sizes(g)
}

#[divan::bench(sample_count = 10)]
fn children_and_histogram() -> usize {
    let (g, dom, retained) = graph();
    let children = DomChildren::build(dom);
    histogram(g, dom, &children, retained).len()
}

#[divan::bench(sample_count = 10)]
fn root_paths() -> RootPaths {
    RootPaths::compute(&graph().0)
}
