//! Retained sizes against deletion: a node retains what stops being reachable without it.

use heapscope_graph::dominators::{dominators, retained_sizes};

use crate::support::{cases, for_random_graphs};

#[test]
fn retained_equals_naive_deletion() {
    for_random_graphs(cases(1500), 14, |spec, g, ctx| {
        let dom = dominators(g);
        let retained = retained_sizes(g, &dom);
        let succ = spec.super_successors();
        let reachable = spec.reach(&succ, &|_| false);
        let total = spec.reachable_bytes(&succ, &|_| false);
        for v in 0..spec.n() {
            let want = if reachable[v] { total - spec.reachable_bytes(&succ, &|x| x == v) } else { 0 };
            assert_eq!(retained[v], want, "node {v}; {ctx}");
        }
    });
}
