//! Dominators against petgraph's `simple_fast` on an explicit super-root graph.

use heapscope_graph::dominators::dominators;
use heapscope_graph::{GraphBuilder, NodeKind, Policy, SUPER, UNREACHED};
use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::support::{cases, for_random_graphs, Spec};

/// Immediate dominators by petgraph: `SUPER`, `UNREACHED` or a node index.
fn oracle_idom(spec: &Spec) -> (Vec<u32>, usize) {
    let n = spec.n();
    let mut pg: DiGraph<(), ()> = DiGraph::with_capacity(n + 1, 0);
    for _ in 0..=n {
        pg.add_node(());
    }
    let sup = NodeIndex::new(n);
    for s in spec.super_successors() {
        pg.add_edge(sup, NodeIndex::new(s), ());
    }
    for u in 0..n {
        for t in spec.retaining(u) {
            pg.add_edge(NodeIndex::new(u), NodeIndex::new(t), ());
        }
    }
    let d = simple_fast(&pg, sup);
    let mut reached = 0;
    let idom = (0..n)
        .map(|v| match d.immediate_dominator(NodeIndex::new(v)) {
            None => UNREACHED,
            Some(x) if x == sup => {
                reached += 1;
                SUPER
            }
            Some(x) => {
                reached += 1;
                x.index() as u32
            }
        })
        .collect();
    (idom, reached)
}

#[test]
fn dominators_equal_petgraph_simple_fast() {
    let mut checked = 0;
    for_random_graphs(cases(1500), 14, |spec, g, ctx| {
        let dom = dominators(g);
        let (want, reached) = oracle_idom(spec);
        assert_eq!(dom.idom, want, "{ctx}");
        // `order` lists exactly the reachable nodes, each after its immediate dominator.
        assert_eq!(dom.order.len(), reached, "{ctx}");
        let mut pos = vec![usize::MAX; spec.n()];
        for (i, &v) in dom.order.iter().enumerate() {
            assert_eq!(
                pos[v as usize],
                usize::MAX,
                "node {v} twice in order; {ctx}"
            );
            pos[v as usize] = i;
        }
        for &v in &dom.order {
            let d = dom.idom[v as usize];
            assert_ne!(d, UNREACHED, "{ctx}");
            if d != SUPER {
                assert!(pos[d as usize] < pos[v as usize], "idom after node; {ctx}");
            }
        }
        // Nodes attached by the orphan policy = reachable from the super-root but not from the roots.
        let roots: Vec<usize> = spec.roots.clone();
        let from_roots = spec
            .reach(&roots, &|_| false)
            .iter()
            .filter(|&&r| r)
            .count();
        assert_eq!(dom.orphans_attached as usize, reached - from_roots, "{ctx}");
        checked += 1;
    });
    assert!(checked >= 4);
}

#[test]
fn dominators_equal_petgraph_on_larger_graphs() {
    for_random_graphs(cases(1500) / 50, 600, |spec, g, ctx| {
        let dom = dominators(g);
        assert_eq!(
            dom.idom,
            oracle_idom(spec).0,
            "{}",
            &ctx[..ctx.find(':').unwrap_or(0)]
        );
    });
}

/// A chain far deeper than any thread stack: every pass must be iterative.
#[test]
fn deep_chain_needs_no_recursion() {
    let n = 300_000u32;
    let mut b = GraphBuilder::new().without_labels();
    let t = b.intern_type("Link");
    for i in 0..n {
        b.add_node(u64::from(i) + 1, t, NodeKind::Object, 16);
    }
    b.add_root_id(1, "root", None);
    b.finish_nodes();
    for i in 0..n - 1 {
        b.begin_node(heapscope_graph::NodeIdx(i));
        b.edge_to_id(u64::from(i) + 2, false, heapscope_graph::Label::None);
    }
    let a = heapscope_graph::Analysis::run(b.finish(Policy::MAT));
    assert_eq!(a.dom.idom[0], SUPER);
    assert!((1..n as usize).all(|i| a.dom.idom[i] == i as u32 - 1));
    assert_eq!(a.retained[0], 16 * u64::from(n));
    assert_eq!(a.retained[n as usize - 1], 16);
    assert_eq!(a.path_to(heapscope_graph::NodeIdx(n - 1)).len(), n as usize);
    assert_eq!(a.histogram[0].retained, 16 * u64::from(n));
    assert_eq!(a.preorder(), (0..n).collect::<Vec<u32>>());
}
