//! Dominators against petgraph's `simple_fast` on an explicit super-root graph.

use heapscope_graph::dominators::{dominators, dominators_on, PARALLEL_MIN};
use heapscope_graph::{
    Analysis, GraphBuilder, HeapGraph, NodeKind, Policy, Spill, SUPER, UNREACHED,
};
use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::support::{cases, for_random_graphs, Spec};

/// Immediate dominators by petgraph: `SUPER`, `UNREACHED` or a node index.
pub(crate) fn oracle_idom(spec: &Spec) -> (Vec<u32>, usize) {
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

/// A chain of `n` nodes of `shallow` bytes from one root (ids 1..=n), each node with an edge
/// to the next and, if given, one to the node of id `back_to`.
fn chain(n: u32, shallow: u64, back_to: Option<u64>) -> HeapGraph {
    let mut b = GraphBuilder::new().without_labels();
    let t = b.intern_type("Link");
    for i in 0..n {
        b.add_node(u64::from(i) + 1, t, NodeKind::Object, shallow);
    }
    b.add_root_id(1, "root", None);
    b.finish_nodes();
    for i in 0..n {
        let next = (i + 1 < n).then_some(u64::from(i) + 2);
        if next.is_none() && back_to.is_none() {
            continue;
        }
        b.begin_node(heapscope_graph::NodeIdx(i));
        for id in next.into_iter().chain(back_to) {
            b.edge_to_id(id, false, heapscope_graph::Label::None);
        }
    }
    b.finish(Policy::MAT)
}

/// A chain far deeper than any thread stack: every pass must be iterative.
#[test]
fn deep_chain_needs_no_recursion() {
    let n = 300_000u32;
    let a = heapscope_graph::Analysis::run(chain(n, 16, None));
    assert_eq!(a.dom.idom[0], SUPER);
    assert!((1..n as usize).all(|i| a.dom.idom[i] == i as u32 - 1));
    assert_eq!(a.retained[0], 16 * u64::from(n));
    assert_eq!(a.retained[n as usize - 1], 16);
    assert_eq!(a.path_to(heapscope_graph::NodeIdx(n - 1)).len(), n as usize);
    assert_eq!(a.histogram[0].retained, 16 * u64::from(n));
    assert_eq!(a.preorder(), (0..n).collect::<Vec<u32>>());
}

/// A V8-like linked list far deeper than any stack should hold: each element's link to the
/// next is not its last edge (`[leaf, string, next, map]`), its `leaf` is a simple leaf whose
/// one edge leads to a GC root the DFS has not met yet, and that root holds a node that links
/// to the next element too, so the DFS goes down through leaf, root and node at every level
/// (the simple leaves on its path nest as deep as the list); then a cycle of elements no root
/// reaches (attached or left out by the orphan policy). The DFS keeps no stack per level: its
/// tree and preorder, on one thread and two, equal petgraph's and the definition's.
#[test]
fn deep_lists_whose_next_is_not_the_last_edge() {
    use crate::support::POLICIES;
    let m = 6_000usize;
    let island = 3_000usize;
    // Per element i: E = 5i, L = 5i + 1, Z = 5i + 2, R = 5i + 3, X = 5i + 4; the map last
    // but one node, then the island.
    let map = 5 * m;
    let first_island = map + 1;
    let n = first_island + island;
    let e = |i: usize| 5 * i;
    let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
    let mut roots = vec![e(0), map];
    for i in 0..m {
        let next: Vec<(usize, bool)> = (i + 1 < m).then(|| (e(i + 1), false)).into_iter().collect();
        edges[e(i)] = [(e(i) + 1, false), (e(i) + 2, false)]
            .into_iter()
            .chain(next.iter().copied())
            .chain([(map, i % 7 == 0)])
            .collect();
        edges[e(i) + 1] = vec![(e(i) + 3, false)];
        edges[e(i) + 3] = vec![(e(i) + 4, false)];
        edges[e(i) + 4] = next.into_iter().chain([(map, false)]).collect();
        roots.push(e(i) + 3);
    }
    for j in 0..island {
        let u = first_island + j;
        let next = first_island + (j + 1) % island;
        edges[u] = vec![(next, false), (map, false), (e(j % m), j % 3 == 0)];
    }
    for (pi, &policy) in POLICIES.iter().enumerate() {
        let spec = Spec {
            ids: (1..=n as u64).collect(),
            types: (0..n as u32).map(|v| v % 3).collect(),
            shallow: (0..n as u64).map(|v| 8 + v % 5).collect(),
            edges: edges.clone(),
            roots: roots.clone(),
            type_count: 3,
            policy,
        };
        let g = spec.build(&mut fastrand::Rng::with_seed(pi as u64));
        let ctx = format!("policy {policy:?}");
        let (idom, order) = same_on_two_threads(&g, &pools(), &ctx);
        assert_eq!(idom, oracle_idom(&spec).0, "{ctx}");
        assert_eq!(order, oracle_preorder(&spec), "{ctx}");
        // The leaves were left out of the numbering: each is dominated by its element.
        assert!((0..m).all(|i| idom[e(i) + 1] == e(i) as u32), "{ctx}");
    }
}

/// A Java `LinkedHashMap` LRU at random addresses (scout finding 3): a table array (a root)
/// holds the entries in hash order; each entry is `[class, before, after, key, value, next]`
/// with `before`/`after` a doubly linked list in another random order, a key String whose
/// bytes are a simple leaf, a value with a small subtree of its own (some shared with the
/// next entry, some held weakly), and `next` a short bucket chain. The DFS goes down the list
/// thousands of levels and comes back up it into each entry's key and value subtrees, with
/// deeper side paths (a value's own chain) between: the walk up the path and its run-ahead
/// (`UpAhead`: pops, resets, refills) on every kind of return. Tree and preorder equal
/// petgraph's and the definition's, on one thread and two.
#[test]
fn linked_hash_map_lists_equal_petgraph() {
    use crate::support::{seed, POLICIES};
    for (pi, &policy) in POLICIES.iter().enumerate() {
        let s = seed() ^ 0x11a5 ^ ((pi as u64) << 32);
        let mut rng = fastrand::Rng::with_seed(s);
        let m = 4_000 + rng.usize(0..2_000);
        // Per entry 6 nodes: entry, key, bytes, value, inner, extra; then the class and the
        // table; all at shuffled indices.
        let n = 6 * m + 2;
        let mut at: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut at);
        let (class, table) = (at[6 * m], at[6 * m + 1]);
        let node = |i: usize, k: usize| at[6 * i + k];
        let mut list: Vec<usize> = (0..m).collect();
        rng.shuffle(&mut list);
        let mut pos = vec![0usize; m];
        for (p, &i) in list.iter().enumerate() {
            pos[i] = p;
        }
        let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
        let mut hash: Vec<usize> = (0..m).collect();
        rng.shuffle(&mut hash);
        edges[table] = std::iter::once((class, false))
            .chain(hash.iter().map(|&i| (node(i, 0), false)))
            .collect();
        for i in 0..m {
            let p = pos[i];
            let mut e = vec![(class, false)];
            if p > 0 {
                e.push((node(list[p - 1], 0), false));
            }
            if p + 1 < m {
                e.push((node(list[p + 1], 0), false));
            }
            e.push((node(i, 1), false));
            e.push((node(i, 3), rng.u8(..) < 40));
            if rng.u8(..) < 60 {
                e.push((node(rng.usize(0..m), 0), false));
            }
            edges[node(i, 0)] = e;
            edges[node(i, 1)] = vec![(class, false), (node(i, 2), false)];
            edges[node(i, 2)] = vec![(class, false)];
            // The value: its inner part, and now and then the next entry's value or a chain
            // of extras through other entries' values (deeper side paths).
            let mut v = vec![(class, false), (node(i, 4), rng.u8(..) < 30)];
            if rng.u8(..) < 50 {
                v.push((node((i + 1) % m, 3), false));
            }
            edges[node(i, 3)] = v;
            edges[node(i, 4)] = vec![(class, false), (node(i, 5), false)];
            edges[node(i, 5)] = if rng.u8(..) < 80 {
                vec![(node(rng.usize(0..m), 3), false)]
            } else {
                Vec::new()
            };
        }
        let spec = Spec {
            ids: (1..=n as u64).collect(),
            types: (0..n as u32).map(|v| v % 4).collect(),
            shallow: (0..n as u64).map(|v| 16 + v % 7).collect(),
            edges,
            roots: vec![class, table],
            type_count: 4,
            policy,
        };
        let g = spec.build(&mut rng);
        let ctx = format!("seed {s} (policy {policy:?}, {m} entries)");
        let (idom, order) = same_on_two_threads(&g, &pools(), &ctx);
        assert_eq!(idom, oracle_idom(&spec).0, "{ctx}");
        assert_eq!(order, oracle_preorder(&spec), "{ctx}");
    }
}

/// The DFS preorder the dominator pass must keep (the dominator children's sibling order comes
/// from it): from each successor of the super-root in turn, edges in CSR order, retaining edges
/// only, straight from the definition with an explicit stack.
fn oracle_preorder(spec: &Spec) -> Vec<u32> {
    let mut seen = vec![false; spec.n()];
    let mut out = Vec::new();
    for s in spec.super_successors() {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        out.push(s as u32);
        let mut stack: Vec<(usize, usize)> = vec![(s, 0)];
        while let Some(top) = stack.last_mut() {
            let (u, i) = *top;
            let Some(&(t, weak)) = spec.edges[u].get(i) else {
                stack.pop();
                continue;
            };
            top.1 += 1;
            if (weak && !spec.policy.weak_retains) || seen[t] {
                continue;
            }
            seen[t] = true;
            out.push(t as u32);
            stack.push((t, 0));
        }
    }
    out
}

/// A heap shaped like a Java or V8 one: most nodes are leaves (no edges, or edges only to GC
/// roots, as a primitive array's reference to its class), many with one referrer, some shared;
/// holders whose edges lead to leaves (a String and its bytes; now and then to another node);
/// single-predecessor chains; weak edges; unreachable islands for the orphan policies.
fn leafy(rng: &mut fastrand::Rng, max_nodes: usize, policy: Policy) -> Spec {
    let mut spec = Spec::random(rng, max_nodes, policy);
    let n = spec.n();
    let leaf_share = [30u8, 60, 90][rng.usize(0..3)];
    let weak_share = [0u8, 10, 40][rng.usize(0..3)];
    let leaf: Vec<bool> = (0..n).map(|_| rng.u8(0..100) < leaf_share).collect();
    let holder_share = [0u8, 20, 50][rng.usize(0..3)];
    let holder: Vec<bool> = (0..n).map(|_| rng.u8(0..100) < holder_share).collect();
    let roots = spec.roots.clone();
    let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
    for (u, out) in edges.iter_mut().enumerate() {
        let weak = |rng: &mut fastrand::Rng| rng.u8(0..100) < weak_share;
        if leaf[u] {
            // A class reference (to a root), sometimes none, rarely a self loop.
            if !roots.is_empty() && rng.u8(0..3) > 0 {
                out.push((roots[rng.usize(0..roots.len())], weak(rng)));
            }
            if rng.u8(0..20) == 0 {
                out.push((u, weak(rng)));
            }
            continue;
        }
        if holder[u] {
            // A String and its bytes: edges to leaves only (and a class reference), so that a
            // holder with one referrer is a simple leaf whose own leaves hang below it.
            if !roots.is_empty() && rng.u8(0..2) == 0 {
                out.push((roots[rng.usize(0..roots.len())], weak(rng)));
            }
            for _ in 0..rng.usize(1..4) {
                let t = rng.usize(0..n);
                if leaf[t] || rng.u8(0..8) == 0 {
                    out.push((t, weak(rng)));
                }
            }
            continue;
        }
        for _ in 0..rng.usize(0..5) {
            let t = match rng.u8(0..10) {
                0 if !roots.is_empty() => roots[rng.usize(0..roots.len())],
                1 | 2 => (u + 1).min(n - 1), // chains
                3 if !out.is_empty() => out[rng.usize(0..out.len())].0, // parallel edge
                _ => rng.usize(0..n),
            };
            out.push((t, weak(rng)));
        }
    }
    spec.edges = edges;
    spec
}

#[test]
fn dominators_on_leafy_heaps_equal_petgraph_and_keep_the_dfs_preorder() {
    use crate::support::{seed, POLICIES};
    let mut leaves_seen = 0usize;
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..cases(800) {
            let s = seed() ^ 0x1eaf ^ ((pi as u64) << 40) ^ case as u64;
            let mut rng = fastrand::Rng::with_seed(s);
            let max = if case % 10 == 0 { 400 } else { 24 };
            let spec = leafy(&mut rng, max, policy);
            let g = spec.build(&mut rng);
            let ctx = format!("seed {s} (policy {policy:?}, case {case}): {spec:?}");
            let dom = dominators(&g);
            assert_eq!(dom.idom, oracle_idom(&spec).0, "{ctx}");
            assert_eq!(dom.order, oracle_preorder(&spec), "{ctx}");
            leaves_seen += (0..spec.n())
                .filter(|&v| dom.idom[v] != UNREACHED && spec.retaining(v).next().is_none())
                .count();
        }
    }
    assert!(leaves_seen > 1000, "{leaves_seen}");
}

#[test]
fn dominators_keep_the_dfs_preorder_on_random_graphs() {
    for_random_graphs(cases(1500), 14, |spec, g, ctx| {
        assert_eq!(dominators(g).order, oracle_preorder(spec), "{ctx}");
    });
}

/// Rayon pools of one thread (the two halves run one after the other) and of several.
fn pools() -> Vec<rayon::ThreadPool> {
    [1, 4]
        .iter()
        .map(|&k| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .expect("a thread pool")
        })
        .collect()
}

/// The two-thread passes (simple leaves found by two halves, back edges placed by two threads)
/// give the one-thread pass' tree, preorder and orphan count, whatever the pool.
fn same_on_two_threads(g: &HeapGraph, pools: &[rayon::ThreadPool], ctx: &str) -> DomTreeParts {
    let one = dominators_on(g, 1);
    for pool in pools {
        let two = pool.install(|| dominators_on(g, 2));
        assert_eq!(two.idom, one.idom, "idom; {ctx}");
        assert_eq!(two.order, one.order, "order; {ctx}");
        assert_eq!(two.orphans_attached, one.orphans_attached, "{ctx}");
    }
    (one.idom.to_vec(), one.order)
}

type DomTreeParts = (Vec<u32>, Vec<u32>);

#[test]
fn two_thread_dominators_equal_petgraph_and_the_one_thread_pass() {
    use crate::support::{seed, POLICIES};
    let pools = pools();
    for_random_graphs(cases(1500) / 5, 40, |spec, g, ctx| {
        let (idom, _) = same_on_two_threads(g, &pools, ctx);
        assert_eq!(idom, oracle_idom(spec).0, "{ctx}");
    });
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..cases(800) / 4 {
            let s = seed() ^ 0x2ea2 ^ ((pi as u64) << 40) ^ case as u64;
            let mut rng = fastrand::Rng::with_seed(s);
            let max = if case % 10 == 0 { 400 } else { 24 };
            let spec = leafy(&mut rng, max, policy);
            let g = spec.build(&mut rng);
            let ctx = format!("seed {s} (policy {policy:?}, case {case}): {spec:?}");
            let (idom, order) = same_on_two_threads(&g, &pools, &ctx);
            assert_eq!(idom, oracle_idom(&spec).0, "{ctx}");
            assert_eq!(order, oracle_preorder(&spec), "{ctx}");
        }
    }
}

/// A Java-like heap past [`PARALLEL_MIN`] nodes, with dense ids (the builder's id lookup stays
/// cheap): class nodes that are roots, leaves pointing only at their class (some held by one
/// object, some by several, some by none), objects with a few references (chains, shared
/// targets, weak ones), an unreachable part for the orphan policies.
fn big_leafy(rng: &mut fastrand::Rng, policy: Policy) -> HeapGraph {
    let n = PARALLEL_MIN + rng.usize(0..PARALLEL_MIN / 2);
    let classes = 1 + rng.usize(0..200);
    let weak_share = [0u8, 10, 40][rng.usize(0..3)];
    let mut b = GraphBuilder::new().without_labels();
    let types: Vec<_> = (0..3).map(|t| b.intern_type(&format!("T{t}"))).collect();
    for i in 0..n {
        let size = rng.u64(0..500);
        b.add_node(i as u64 + 1, types[i % 3], NodeKind::Object, size);
    }
    for c in 0..classes {
        b.add_root_id(c as u64 + 1, "class", None);
    }
    // A few more roots among the objects.
    for _ in 0..rng.usize(1..50) {
        b.add_root_id(rng.u64(1..=n as u64), "local", None);
    }
    b.finish_nodes();
    // The last tenth is reached from nothing but itself (orphans).
    let island = n - n / 10;
    for u in classes..n {
        b.begin_node(heapscope_graph::NodeIdx(u as u32));
        let weak = |rng: &mut fastrand::Rng| rng.u8(0..100) < weak_share;
        let class = rng.usize(0..classes) as u64 + 1;
        if rng.u8(0..10) < 6 {
            // A leaf: its class only, or nothing.
            if rng.bool() {
                b.edge_to_id(class, false, heapscope_graph::Label::None);
            }
            continue;
        }
        b.edge_to_id(class, false, heapscope_graph::Label::None);
        let (lo, hi) = if u >= island {
            (island, n)
        } else {
            (classes, island)
        };
        for _ in 0..rng.usize(0..5) {
            let t = match rng.u8(0..10) {
                0..=2 => (u + 1).min(hi - 1),
                _ => rng.usize(lo..hi),
            };
            let w = weak(rng);
            b.edge_to_id(t as u64 + 1, w, heapscope_graph::Label::None);
        }
    }
    b.finish(policy)
}

/// Past [`PARALLEL_MIN`] nodes the analysis runs the dominators' split passes on two threads
/// (in memory, with or without its results in spill files) and on one out of core: the same
/// results every way, on a pool of one thread and of several.
#[test]
fn analysis_on_two_threads_equals_one_thread_and_out_of_core() {
    use crate::support::{seed, POLICIES};
    let pools = pools();
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..2u64 {
            let s = seed() ^ 0xb16 ^ ((pi as u64) << 40) ^ case;
            let graph = || big_leafy(&mut fastrand::Rng::with_seed(s), policy);
            let ctx = format!("seed {s} (policy {policy:?})");
            let g = graph();
            assert!(g.node_count() >= PARALLEL_MIN);
            same_on_two_threads(&g, &pools, &ctx);
            let ooc = Analysis::run_spilled(graph(), &Spill::temp().out_of_core(true), &mut |_| {});
            for pool in &pools {
                let runs = [
                    pool.install(|| Analysis::run(graph())),
                    pool.install(|| {
                        Analysis::run_spilled(graph(), &Spill::temp().min_bytes(0), &mut |_| {})
                    }),
                ];
                for a in &runs {
                    assert_eq!(a.dom.idom, ooc.dom.idom, "idom; {ctx}");
                    assert_eq!(a.dom.orphans_attached, ooc.dom.orphans_attached, "{ctx}");
                    assert_eq!(a.retained, ooc.retained, "retained; {ctx}");
                    assert_eq!(a.children.offsets, ooc.children.offsets, "{ctx}");
                    assert_eq!(a.children.children, ooc.children.children, "{ctx}");
                    assert_eq!(a.histogram, ooc.histogram, "{ctx}");
                    assert_eq!(a.summary, ooc.summary, "{ctx}");
                }
            }
        }
    }
}

/// A chain of more than [`PARALLEL_MIN`] nodes on two threads: iterative, and one long list
/// of back edges (each node's edge back to the chain's head) placed by both halves.
#[test]
fn deep_chain_with_back_edges_on_two_threads() {
    let n = 3 * PARALLEL_MIN as u32;
    // Back to the second node: a back edge into it from every later one.
    let g = chain(n, 8, Some(2));
    let (idom, order) = same_on_two_threads(&g, &pools(), "chain");
    assert_eq!(idom[0], SUPER);
    assert!((1..n as usize).all(|i| idom[i] == i as u32 - 1));
    assert_eq!(order, (0..n).collect::<Vec<u32>>());
}

/// A heap shaped like a service's hash-ordered tables (the shape the walks' prefetches are
/// for): a few table nodes with up to 300 entries each (longer and shorter than every
/// lookahead distance, ending anywhere in the CSR), the entries in shuffled index order, each
/// with a key (a leaf pointing at a root), a value (sometimes shared, sometimes weak), a next
/// entry, now and then an edge back to its table or to another entry; the rest of the nodes
/// random. Dominators on one and two threads equal petgraph and the DFS preorder, and the
/// analysis' retained sizes (split walk, two-thread children) equal deletion, node by node.
#[test]
fn dominators_and_retained_on_hash_tables_equal_the_oracles() {
    use crate::support::{seed, POLICIES};
    let pools = pools();
    let mut long_lists = 0;
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..cases(200) / 4 {
            let s = seed() ^ 0x7ab1e ^ ((pi as u64) << 40) ^ case as u64;
            let mut rng = fastrand::Rng::with_seed(s);
            let mut spec = Spec::random(&mut rng, 700, policy);
            let n = spec.n();
            let roots = spec.roots.clone();
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            let mut rest = order.into_iter();
            for _ in 0..rng.usize(1..4) {
                let Some(table) = rest.next() else { break };
                let entries: Vec<usize> = rest.by_ref().take(rng.usize(0..300)).collect();
                long_lists += usize::from(entries.len() > 16);
                spec.edges[table] = entries.iter().map(|&e| (e, false)).collect();
                for (i, &e) in entries.iter().enumerate() {
                    let mut out = Vec::new();
                    if let Some(key) = rest.next() {
                        out.push((key, false));
                        spec.edges[key] = roots.iter().take(1).map(|&r| (r, false)).collect();
                    }
                    let value = rng.usize(0..n);
                    out.push((value, rng.u8(0..8) == 0));
                    if let Some(&next) = entries.get(i + 1).filter(|_| rng.bool()) {
                        out.push((next, false));
                    }
                    match rng.u8(0..6) {
                        0 => out.push((table, false)),
                        1 => out.push((entries[rng.usize(0..entries.len())], rng.bool())),
                        _ => {}
                    }
                    spec.edges[e] = out;
                }
            }
            let g = spec.build(&mut rng);
            let ctx = format!("seed {s} (policy {policy:?}, case {case})");
            let (idom, order) = same_on_two_threads(&g, &pools, &ctx);
            assert_eq!(idom, oracle_idom(&spec).0, "{ctx}");
            assert_eq!(order, oracle_preorder(&spec), "{ctx}");
            let a = Analysis::run(g);
            let succ = spec.super_successors();
            let reachable = spec.reach(&succ, &|_| false);
            let total = spec.reachable_bytes(&succ, &|_| false);
            for v in 0..n {
                let want = if reachable[v] {
                    total - spec.reachable_bytes(&succ, &|x| x == v)
                } else {
                    0
                };
                assert_eq!(a.retained[v], want, "node {v}; {ctx}");
            }
        }
    }
    assert!(long_lists > 50, "{long_lists}");
}
