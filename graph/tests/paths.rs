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

/// The nearest of several origins, as first written: every origin's path built, the ones
/// through `avoid` or from a root `accept` refuses left out, the least (length, node).
fn nearest_naive(
    paths: &RootPaths,
    g: &heapscope_graph::HeapGraph,
    origins: &[u32],
    avoid: Option<u32>,
    accept: impl Fn(u32) -> bool,
) -> Option<(u32, usize)> {
    let mut best: Option<(usize, u32)> = None;
    for &o in origins {
        let head = paths.path_to(g, NodeIdx(o));
        if head.is_empty()
            || !accept(head[0].node.0)
            || head.iter().any(|s| Some(s.node.0) == avoid)
        {
            continue;
        }
        if best.is_none_or(|b| (head.len(), o) < b) {
            best = Some((head.len(), o));
        }
    }
    best.map(|(len, o)| (o, len))
}

/// `nearest_of` walks the origins' paths up together; the same answer as building each path,
/// for random origin sets (repeats, unreached nodes, roots among them), with and without a
/// node to avoid and roots refused; and `FirstRoots` names the same record as a scan.
#[test]
fn nearest_of_equals_building_every_path() {
    use heapscope_graph::paths::FirstRoots;
    let mut found = 0;
    for max in [14, 60] {
        for_random_graphs(cases(400), max, |spec, g, ctx| {
            let paths = RootPaths::compute(g);
            // The same parents as parent nodes (the mode of graphs with 2^32 edges or more).
            let by_node = RootPaths::from_parts(
                paths.parents(g).into(),
                true,
                heapscope_graph::bitset::BitSet::from_words(paths.via_weak.words().to_vec()),
            );
            let n = spec.n() as u32;
            let mut rng = fastrand::Rng::with_seed(n as u64 ^ (spec.edges.len() as u64 * 77));
            let mut first = FirstRoots::default();
            for v in 0..n {
                let scan = g.roots.iter().find(|r| r.node.0 == v);
                assert_eq!(first.get(g, v), scan, "first root of {v}; {ctx}");
            }
            for _ in 0..8 {
                let k = rng.usize(0..=(n as usize).min(12));
                let origins: Vec<u32> = (0..k).map(|_| rng.u32(0..n)).collect();
                let avoid = rng.bool().then(|| rng.u32(0..n));
                let refuse = rng.u32(0..4);
                let accept = |v: u32| refuse == 0 || v % 4 != refuse;
                let want = nearest_naive(&paths, g, &origins, avoid, accept);
                let got = paths.nearest_of(g, &origins, avoid, accept);
                assert_eq!(
                    got, want,
                    "{origins:?} avoid {avoid:?} refuse {refuse}; {ctx}"
                );
                let by_node = by_node.nearest_of(g, &origins, avoid, accept);
                assert_eq!(by_node, want, "by node: {origins:?} avoid {avoid:?}; {ctx}");
                found += usize::from(got.is_some());
            }
        });
    }
    assert!(found > 1000, "only {found} draws found a nearest origin");
}

/// A hostile shape: R origins on one chain below a chain D long (origin i at depth D + i, each
/// path the one before it and a step), and R more at the end of R chains of their own. The
/// walks step through each node once: work within the nodes on the paths, not R × D.
#[test]
fn nearest_of_steps_through_each_node_once() {
    use heapscope_graph::{GraphBuilder, NodeKind};
    let (d, r) = (3000usize, 3000usize);
    let mut b = GraphBuilder::new();
    let ty = b.intern_type("T");
    let mut count = 0u64;
    let mut add = |b: &mut GraphBuilder| {
        count += 1;
        b.add_node(count * 16, ty, NodeKind::Object, 8).0
    };
    let root = add(&mut b);
    let stem: Vec<u32> = (0..d).map(|_| add(&mut b)).collect();
    let on_stem: Vec<u32> = (0..r).map(|_| add(&mut b)).collect();
    let alone: Vec<Vec<u32>> = (0..r)
        .map(|_| (0..4).map(|_| add(&mut b)).collect())
        .collect();
    b.add_root_idx(NodeIdx(root), "root", None);
    b.finish_nodes();
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); count as usize];
    let mut prev = root;
    for &v in stem.iter().chain(&on_stem) {
        out[prev as usize].push(v);
        prev = v;
    }
    for chain in &alone {
        let mut prev = stem[d / 2];
        for &v in chain {
            out[prev as usize].push(v);
            prev = v;
        }
    }
    let label = heapscope_graph::Label::Name(b.intern_label("next"));
    for (u, ts) in out.iter().enumerate() {
        b.begin_node(NodeIdx(u as u32));
        for &t in ts {
            b.edge_to_idx(NodeIdx(t), false, label);
        }
    }
    let g = b.finish(heapscope_graph::Policy::MAT);
    let paths = RootPaths::compute(&g);
    let mut origins: Vec<u32> = on_stem.iter().rev().copied().collect();
    origins.extend(alone.iter().map(|c| c[3]));
    let want = nearest_naive(&paths, &g, &origins, None, |_| true);
    let (got, work) = paths.nearest_counted(&g, &origins, None, |_| true);
    assert_eq!(got, want);
    assert_eq!(got, Some((alone[0][3], d / 2 + 2 + 4)));
    assert!(work <= 2 * (d + 5 * r), "{work} steps");
    // The stem's origins alone: the shallowest is the first below the stem.
    let (got, work) = paths.nearest_counted(&g, &origins[..r], None, |_| true);
    assert_eq!(got, Some((on_stem[0], d + 2)));
    assert!(work <= 2 * (d + r), "{work} steps");
    // The same with the parents given as parent nodes.
    let by_node = RootPaths::from_parts(
        paths.parents(&g).into(),
        true,
        heapscope_graph::bitset::BitSet::from_words(paths.via_weak.words().to_vec()),
    );
    let (got, work) = by_node.nearest_counted(&g, &origins, None, |_| true);
    assert_eq!(got, want);
    assert!(work <= 2 * (d + 5 * r), "by node: {work} steps");
    // Avoiding the stem's middle leaves nothing.
    let (got, work) = paths.nearest_counted(&g, &origins, Some(stem[d / 4]), |_| true);
    assert_eq!(got, None);
    assert!(work <= 2 * (d + 5 * r), "{work} steps");
}
