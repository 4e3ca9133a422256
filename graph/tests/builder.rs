//! The builder: the CSR it produces, unknown ids, nodes out of order, duplicate ids.

use heapscope_graph::{GraphBuilder, Label, NodeIdx, NodeKind, Policy, WEAK_BIT};

use crate::support::{cases, for_random_graphs};

#[test]
fn csr_matches_the_edges_given() {
    for_random_graphs(cases(1500) / 4, 30, |spec, g, ctx| {
        assert_eq!(g.node_count(), spec.n(), "{ctx}");
        assert_eq!(&g.ids[..], &spec.ids[..], "{ctx}");
        for u in 0..spec.n() {
            let got: Vec<(usize, bool)> = g
                .edges(NodeIdx(u as u32))
                .map(|e| (e.target.ix(), e.weak))
                .collect();
            assert_eq!(got, spec.edges[u], "edges of {u}; {ctx}");
        }
        let roots: Vec<usize> = g.roots.iter().map(|r| r.node.ix()).collect();
        assert_eq!(roots, spec.roots, "{ctx}");
        assert!(g.warnings.is_empty(), "{:?}; {ctx}", g.warnings);
    });
}

#[test]
fn unknown_ids_are_counted_as_a_warning() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..cases(1500) / 10 {
        let n = rng.usize(1..50);
        let mut b = GraphBuilder::new();
        let t = b.intern_type("T");
        let ids: Vec<u64> = (0..n as u64).map(|i| 2 * i + 2).collect(); // even ids only
        for &id in &ids {
            b.add_node(id, t, NodeKind::Object, 8);
        }
        b.add_root_id(ids[0], "root", None);
        b.add_root_id(1, "root", None); // odd: unknown
        b.finish_nodes();
        let (mut known, mut unknown) = (0u64, 0u64);
        for u in 0..n {
            b.begin_node(NodeIdx(u as u32));
            for _ in 0..rng.usize(0..4) {
                let id = rng.u64(0..2 * n as u64 + 8);
                let accepted = b.edge_to_id(id, rng.bool(), Label::None);
                match id {
                    0 => assert!(accepted, "null must be ignored, not refused"),
                    id if id % 2 == 0 && id <= 2 * n as u64 => {
                        assert!(accepted);
                        known += 1;
                    }
                    _ => {
                        assert!(!accepted);
                        unknown += 1;
                    }
                }
            }
            if rng.u8(0..4) == 0 {
                assert!(!b.edge_to_idx(NodeIdx(n as u32 + 3), false, Label::None));
                unknown += 1;
            }
        }
        let g = b.finish(Policy::MAT);
        assert_eq!(g.edge_count() as u64, known);
        assert_eq!(g.roots.len(), 1);
        assert!(
            g.warnings.iter().any(|w| w.starts_with("1 GC roots")),
            "{:?}",
            g.warnings
        );
        if unknown > 0 {
            let w = format!("{unknown} references point to ids that are not in the dump");
            assert!(
                g.warnings.iter().any(|x| x.starts_with(&w)),
                "{:?} vs {w}",
                g.warnings
            );
        } else {
            assert!(
                !g.warnings.iter().any(|x| x.contains("references point")),
                "{:?}",
                g.warnings
            );
        }
        // The passes run on what was kept.
        let a = heapscope_graph::Analysis::run(g);
        assert_eq!(a.summary.edges, known);
    }
}

#[test]
fn out_of_order_nodes_drop_their_edges_with_a_warning() {
    let mut rng = fastrand::Rng::with_seed(11);
    for _ in 0..cases(1500) / 10 {
        let n = rng.usize(2..40);
        let mut b = GraphBuilder::new();
        let t = b.intern_type("T");
        for i in 0..n as u64 {
            b.add_node(100 + i, t, NodeKind::Object, 8);
        }
        b.finish_nodes();
        let mut want: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut closed = 0usize; // nodes below this can no longer be opened
        let mut dropped = 0;
        for _ in 0..rng.usize(1..2 * n) {
            let u = rng.usize(0..n + 2); // sometimes past the end
            b.begin_node(NodeIdx(u as u32));
            let ok = u >= closed && u < n;
            if ok {
                closed = u;
            } else {
                dropped += 1;
            }
            for _ in 0..rng.usize(0..3) {
                let v = rng.usize(0..n);
                b.edge_to_id(100 + v as u64, false, Label::None);
                if ok {
                    want[u].push(v);
                }
            }
        }
        let g = b.finish(Policy::MAT);
        for u in 0..n {
            let got: Vec<usize> = g.targets[g.edge_range(NodeIdx(u as u32))]
                .iter()
                .map(|&x| (x & !WEAK_BIT) as usize)
                .collect();
            assert_eq!(got, want[u], "node {u}");
        }
        let warned = g
            .warnings
            .iter()
            .any(|w| w.starts_with(&format!("{dropped} nodes had")));
        assert_eq!(warned, dropped > 0, "{:?}", g.warnings);
    }
}

#[test]
fn duplicate_ids_resolve_to_the_first_node() {
    let mut b = GraphBuilder::new();
    let t = b.intern_type("T");
    let a = b.add_node(5, t, NodeKind::Object, 1);
    let _dup = b.add_node(5, t, NodeKind::Object, 2);
    let c = b.add_node(6, t, NodeKind::Object, 4);
    b.finish_nodes();
    assert_eq!(b.lookup(5), Some(a));
    b.begin_node(c);
    assert!(b.edge_to_id(5, false, Label::None));
    let g = b.finish(Policy::MAT);
    assert_eq!(g.targets, vec![a.0]);
    assert!(
        g.warnings
            .iter()
            .any(|w| w.starts_with("1 nodes share an id")),
        "{:?}",
        g.warnings
    );
}
