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
        let spec = crate::support::Spec::random(&mut rng, 40, heapscope_graph::Policy::MAT);
        let a = Analysis::run(spec.build(&mut rng));
        let mut all: Vec<u32> = a.dom.order.clone();
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
