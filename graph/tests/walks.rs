//! The dominator-tree and reference walks against naive recomputations from their definitions.

use heapscope_graph::dominators::{dominators, retained_sizes, DomChildren};
use heapscope_graph::walks::{
    dominator_chain, min_retained_by, referrers, top_members, DomWalk, Start, Step, NO_GROUP,
};
use heapscope_graph::{Label, NodeIdx, SUPER, UNREACHED};

use crate::support::{cases, for_random_graphs};

/// Does `d` dominate `v` (d ≠ v)? By definition: deleting `d` leaves `v` unreachable.
fn dominates(spec: &crate::support::Spec, succ: &[usize], d: usize, v: usize) -> bool {
    d != v && !spec.reach(succ, &|x| x == d)[v]
}

#[test]
fn dominator_chain_is_every_dominator_nearest_first() {
    for_random_graphs(cases(600), 12, |spec, g, ctx| {
        let dom = dominators(g);
        let succ = spec.super_successors();
        let reached = spec.reach(&succ, &|_| false);
        for v in 0..spec.n() {
            let got: Vec<usize> = dominator_chain(&dom, NodeIdx(v as u32))
                .map(|d| d.ix())
                .collect();
            if !reached[v] {
                assert!(got.is_empty(), "unreached {v}; {ctx}");
                continue;
            }
            let mut want: Vec<usize> = (0..spec.n())
                .filter(|&d| dominates(spec, &succ, d, v))
                .collect();
            // Nearest first: the nearest dominator is dominated by all the others.
            let depth = |d: usize| {
                (0..spec.n())
                    .filter(|&e| dominates(spec, &succ, e, d))
                    .count()
            };
            want.sort_by_key(|&d| std::cmp::Reverse(depth(d)));
            assert_eq!(got, want, "chain of {v}; {ctx}");
        }
    });
}

#[test]
fn referrers_are_every_node_with_an_edge() {
    for_random_graphs(cases(600), 14, |spec, g, ctx| {
        for n in 0..spec.n() {
            let got = referrers(g, NodeIdx(n as u32));
            let mut want: Vec<(NodeIdx, Label, bool)> = Vec::new();
            for (u, out) in spec.edges.iter().enumerate() {
                let to_n: Vec<(usize, bool)> = out
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.0 == n)
                    .map(|(i, e)| (i, e.1))
                    .collect();
                let Some(&(i, weak)) = to_n.iter().find(|e| !e.1).or(to_n.first()) else {
                    continue;
                };
                let label = match i % 3 {
                    0 => g.edge(g.edge_range(NodeIdx(u as u32)).start).label,
                    1 => Label::Index(i as u32),
                    _ => Label::None,
                };
                want.push((NodeIdx(u as u32), label, weak));
            }
            assert_eq!(got, want, "referrers of {n}; {ctx}");
        }
    });
}

#[test]
fn min_retained_by_matches_definition_from_any_start() {
    let mut rng = fastrand::Rng::with_seed(7);
    for_random_graphs(cases(800), 14, |spec, g, ctx| {
        let dom = dominators(g);
        let retained = retained_sizes(g, &dom);
        let children = DomChildren::build(&dom);
        let groups = 3usize;
        let group: Vec<u32> = (0..spec.n())
            .map(|_| match rng.u32(0..4) {
                3 => NO_GROUP,
                x => x,
            })
            .collect();
        // Strict dominators of v by the idom chain (the dominator pass is tested on its own).
        let above = |v: usize| {
            let mut out = Vec::new();
            let mut d = dom.idom[v];
            while d != SUPER && d != UNREACHED {
                out.push(d as usize);
                d = dom.idom[d as usize];
            }
            out
        };
        let starts: Vec<Option<usize>> = std::iter::once(None)
            .chain(
                (0..spec.n())
                    .filter(|&v| dom.idom[v] != UNREACHED)
                    .map(Some),
            )
            .collect();
        for start in starts {
            let from = start
                .map(|s| Start::Node(NodeIdx(s as u32)))
                .unwrap_or(Start::SuperRoot);
            let got = min_retained_by(&children, &retained, from, groups, |v| group[v as usize]);
            let mut want = vec![0u64; groups];
            let mut tops = Vec::new();
            for v in 0..spec.n() {
                let gr = group[v];
                if dom.idom[v] == UNREACHED || gr == NO_GROUP {
                    continue;
                }
                let anc = above(v);
                let below_start = start.map(|s| anc.contains(&s)).unwrap_or(true);
                let covered = anc
                    .iter()
                    .take_while(|&&d| Some(d) != start)
                    .any(|&d| group[d] == gr);
                if below_start && !covered {
                    want[gr as usize] += retained[v];
                    tops.push((gr, v as u32));
                }
            }
            assert_eq!(got, want, "start {start:?}, groups {group:?}; {ctx}");
            let mut found = Vec::new();
            top_members(
                &children,
                from,
                groups,
                |v| group[v as usize],
                |_| false,
                |gr, v| found.push((gr, v)),
            );
            found.sort_unstable_by_key(|&(_, v)| v);
            assert_eq!(found, tops, "start {start:?}; {ctx}");
        }
    });
}

#[test]
fn dom_walk_enters_and_leaves_each_node_once_and_skips_subtrees() {
    for_random_graphs(cases(400), 14, |spec, g, ctx| {
        let dom = dominators(g);
        let children = DomChildren::build(&dom);
        let mut depth = 0usize;
        let (mut entered, mut left) = (vec![0u32; spec.n()], vec![0u32; spec.n()]);
        let mut path: Vec<u32> = Vec::new();
        let mut walk = DomWalk::new(&children, Start::SuperRoot);
        while let Some(s) = walk.next() {
            match s {
                Step::Enter(v) => {
                    let parent = path.last().copied().unwrap_or(SUPER);
                    assert_eq!(dom.idom[v as usize], parent, "{ctx}");
                    entered[v as usize] += 1;
                    path.push(v);
                    depth += 1;
                    if v % 2 == 1 {
                        walk.skip_subtree(); // odd nodes' subtrees are left out
                    }
                }
                Step::Leave(v) => {
                    assert_eq!(path.pop(), Some(v), "{ctx}");
                    left[v as usize] += 1;
                    depth -= 1;
                }
            }
        }
        assert_eq!(depth, 0);
        for v in 0..spec.n() {
            let under_odd =
                std::iter::successors(Some(dom.idom[v]), |&d| dom.idom.get(d as usize).copied())
                    .take_while(|&d| d != SUPER && d != UNREACHED)
                    .any(|d| d % 2 == 1);
            let want = u32::from(dom.idom[v] != UNREACHED && !under_odd);
            assert_eq!((entered[v], left[v]), (want, want), "node {v}; {ctx}");
        }
    });
}

#[test]
fn deep_chain_walks_need_no_recursion() {
    use heapscope_graph::{Analysis, GraphBuilder, NodeKind, Policy};
    let n = 300_000u32;
    let mut b = GraphBuilder::new().without_labels();
    let (even, odd) = (b.intern_type("Even"), b.intern_type("Odd"));
    for i in 0..n {
        let t = if i % 2 == 0 { even } else { odd };
        b.add_node(u64::from(i) + 1, t, NodeKind::Object, 16);
    }
    b.add_root_id(1, "root", None);
    b.finish_nodes();
    for i in 0..n - 1 {
        b.begin_node(NodeIdx(i));
        b.edge_to_id(u64::from(i) + 2, false, Label::Index(0));
    }
    let a = Analysis::run(b.finish(Policy::MAT));
    let last = NodeIdx(n - 1);
    assert_eq!(a.dominator_chain(last).count(), n as usize - 1);
    assert_eq!(a.dominator_chain(last).next(), Some(NodeIdx(n - 2)));
    // Below node 0 the topmost Odd is node 1, and the topmost Even node 2.
    let got = a.min_retained_by(Start::Node(NodeIdx(0)), 2, |v| v % 2);
    assert_eq!(got, vec![16 * u64::from(n - 2), 16 * u64::from(n - 1)]);
    assert_eq!(
        a.referrers(last),
        vec![(NodeIdx(n - 2), Label::None, false)]
    );
}
