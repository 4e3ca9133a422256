//! Root paths: shortest, strong whenever a strong path exists, and consistent with the edges.

use heapscope_graph::paths::RootPaths;
use heapscope_graph::NodeIdx;

use crate::support::{cases, for_random_graphs, Spec};

const INF: usize = usize::MAX;

/// Path lengths (edges) by definition: over strong references, the BFS distance from the GC
/// roots; a node no strong path reaches takes the shortest way through any reference from a
/// node that is reached, whose own path is fixed (Bellman–Ford until nothing changes).
fn oracle_lengths(spec: &Spec) -> (Vec<usize>, Vec<bool>) {
    let n = spec.n();
    let mut d = vec![INF; n];
    let mut queue: std::collections::VecDeque<usize> = Default::default();
    for &r in &spec.roots {
        if d[r] == INF {
            d[r] = 0;
            queue.push_back(r);
        }
    }
    while let Some(u) = queue.pop_front() {
        for &(t, weak) in &spec.edges[u] {
            if !weak && d[t] == INF {
                d[t] = d[u] + 1;
                queue.push_back(t);
            }
        }
    }
    let strong: Vec<bool> = d.iter().map(|&x| x != INF).collect();
    loop {
        let mut changed = false;
        for u in 0..n {
            if d[u] == INF {
                continue;
            }
            for &(t, _) in &spec.edges[u] {
                if !strong[t] && d[u] + 1 < d[t] {
                    d[t] = d[u] + 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    (d, strong)
}

#[test]
fn paths_are_shortest_and_prefer_strong_references() {
    let mut weak_paths = 0;
    for_random_graphs(cases(1500), 14, |spec, g, ctx| {
        let paths = RootPaths::compute(g);
        let (len, strong) = oracle_lengths(spec);
        for v in 0..spec.n() {
            let path = paths.path_to(g, NodeIdx(v as u32));
            if len[v] == INF {
                assert!(
                    path.is_empty() && !paths.is_reached(NodeIdx(v as u32)),
                    "node {v}; {ctx}"
                );
                continue;
            }
            assert_eq!(path.len(), len[v] + 1, "length of the path to {v}; {ctx}");
            assert_eq!(path.last().unwrap().node.ix(), v, "{ctx}");
            assert!(
                spec.roots.contains(&path[0].node.ix()),
                "path starts at a non-root; {ctx}"
            );
            assert_eq!(path[0].root_kind.as_deref(), Some("root"), "{ctx}");
            for w in path.windows(2) {
                let (u, t) = (w[0].node.ix(), w[1].node.ix());
                let kinds: Vec<bool> = spec.edges[u]
                    .iter()
                    .filter(|e| e.0 == t)
                    .map(|e| e.1)
                    .collect();
                assert!(!kinds.is_empty(), "no edge {u}->{t}; {ctx}");
                // A step is weak only if every parallel edge is weak.
                assert_eq!(w[1].weak, kinds.iter().all(|&k| k), "{ctx}");
            }
            let any_weak = path.iter().any(|s| s.weak);
            assert_eq!(any_weak, !strong[v], "node {v}; {ctx}");
            assert_eq!(paths.via_weak.get(v), !strong[v], "node {v}; {ctx}");
            if any_weak {
                weak_paths += 1;
            }
        }
    });
    assert!(weak_paths > 0, "the draw never needed a weak reference");
}
