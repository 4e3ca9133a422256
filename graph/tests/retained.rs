//! Retained sizes against deletion: a node retains what stops being reachable without it.

use heapscope_graph::dominators::{dominators, retained_sizes, DomChildren};

use crate::support::{cases, for_random_graphs};

#[test]
fn retained_equals_naive_deletion() {
    for_random_graphs(cases(1500), 14, |spec, g, ctx| {
        let dom = dominators(g);
        let retained = retained_sizes(g, &dom);
        // The analysis computes them from the children lists, after freeing `order`.
        let from_children = DomChildren::build(&dom).retained_sizes(g);
        assert_eq!(from_children, retained, "{ctx}");
        let succ = spec.super_successors();
        let reachable = spec.reach(&succ, &|_| false);
        let total = spec.reachable_bytes(&succ, &|_| false);
        for v in 0..spec.n() {
            let want = if reachable[v] {
                total - spec.reachable_bytes(&succ, &|x| x == v)
            } else {
                0
            };
            assert_eq!(retained[v], want, "node {v}; {ctx}");
        }
    });
}

#[test]
fn top_retained_equals_a_full_sort() {
    use heapscope_graph::Analysis;
    let base = crate::support::seed();
    for case in 0..300u64 {
        let s = base ^ (7 << 40) ^ case;
        let mut rng = fastrand::Rng::with_seed(s);
        // Small graphs, and some of thousands of nodes: `top_retained` skips blocks of 64
        // sizes none of which can enter once its heap is full.
        let most = if case % 4 == 0 { 4000 } else { 40 };
        let spec = crate::support::Spec::random(&mut rng, most, heapscope_graph::Policy::MAT);
        let a = Analysis::run(spec.build(&mut rng));
        let mut all: Vec<u32> = (0..a.graph.node_count() as u32)
            .filter(|&v| a.dom.is_reachable(v))
            .collect();
        all.sort_by(|&x, &y| {
            a.retained[y as usize]
                .cmp(&a.retained[x as usize])
                .then(x.cmp(&y))
        });
        for k in [0usize, 1, 3, 10, 1000] {
            let want: Vec<u32> = all.iter().copied().take(k).collect();
            let got: Vec<u32> = a.top_retained(k).into_iter().map(|n| n.0).collect();
            assert_eq!(got, want, "k {k}, seed {s}");
        }
    }
}

/// `Analysis::run` hands `order` on to the root paths; `preorder()` rebuilds one: every
/// reachable node exactly once, each after its immediate dominator, and (reversed) it gives the
/// retained sizes again.
#[test]
fn preorder_lists_reachable_nodes_after_their_dominator() {
    use crate::support::{seed, Spec, POLICIES};
    use heapscope_graph::Analysis;
    let base = seed();
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..cases(1500) as u64 {
            let s = base ^ (9 << 40) ^ ((pi as u64) << 32) ^ case;
            let mut rng = fastrand::Rng::with_seed(s);
            let spec = Spec::random(&mut rng, 30, policy);
            let g = spec.build(&mut rng);
            let reachable = dominators(&g).order.len();
            let a = Analysis::run(g);
            let ctx = format!("seed {s} (policy {policy:?}): {spec:?}");
            preorder_is_valid(&a, reachable, &ctx);
        }
    }
}

fn preorder_is_valid(a: &heapscope_graph::Analysis, reachable: usize, ctx: &str) {
    use heapscope_graph::NodeIdx;
    assert!(a.dom.order.is_empty(), "order taken; {ctx}");
    let pre = a.preorder();
    let n = a.graph.node_count();
    let mut pos = vec![usize::MAX; n];
    for (i, &v) in pre.iter().enumerate() {
        assert!(a.dom.is_reachable(v), "unreachable node {v} listed; {ctx}");
        assert_eq!(pos[v as usize], usize::MAX, "node {v} twice; {ctx}");
        pos[v as usize] = i;
    }
    for v in 0..n as u32 {
        if !a.dom.is_reachable(v) {
            continue;
        }
        assert_ne!(pos[v as usize], usize::MAX, "node {v} missing; {ctx}");
        if let Some(d) = a.idom(NodeIdx(v)) {
            assert!(
                pos[d.ix()] < pos[v as usize],
                "node {v} before its idom; {ctx}"
            );
        }
    }
    assert_eq!(pre.len(), reachable, "{ctx}");
    assert_eq!(pre.len() as u64, a.summary.reachable_nodes, "{ctx}");
    let mut r: Vec<u64> = (0..n)
        .map(|v| {
            if a.dom.is_reachable(v as u32) {
                a.graph.shallow[v]
            } else {
                0
            }
        })
        .collect();
    for &v in pre.iter().rev() {
        if let Some(d) = a.idom(NodeIdx(v)) {
            r[d.ix()] += r[v as usize];
        }
    }
    assert_eq!(r, a.retained, "{ctx}");
}

/// The children lists keep `order`'s sibling order (the reports' tie-breaks rely on it), and the
/// in-place build gives the same CSR as counting with a separate cursor array.
#[test]
fn dominator_children_follow_the_dfs_preorder() {
    use heapscope_graph::dominators::DomChildren;
    use heapscope_graph::SUPER;
    for_random_graphs(cases(500), 30, |_spec, g, ctx| {
        let dom = dominators(g);
        let c = DomChildren::build(&dom);
        let n = g.node_count();
        let mut want: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
        for &v in &dom.order {
            let d = dom.idom[v as usize];
            want[if d == SUPER { n } else { d as usize }].push(v);
        }
        for (s, w) in want.iter().enumerate() {
            assert_eq!(c.of(s), &w[..], "children of {s}; {ctx}");
        }
        assert_eq!(c.offsets.len(), n + 2, "{ctx}");
        assert_eq!(c.offsets[0], 0, "{ctx}");
        assert_eq!(
            *c.offsets.last().unwrap() as usize,
            dom.order.len(),
            "{ctx}"
        );
    });
}
