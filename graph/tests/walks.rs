//! The dominator-tree and reference walks against naive recomputations from their definitions.

use heapscope_graph::dominators::{dominators, retained_sizes, DomChildren};
use heapscope_graph::paths::RootPaths;
use heapscope_graph::walks::{
    dominator_chain, min_retained_by, referrers, referrers_in_chunks, referrers_of_set,
    referrers_of_set_in, top_members, top_members_ahead, walk_below, BfsParents, DomWalk, Parallel,
    Run, Split, Start, Step, NO_GROUP, NO_TOP,
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
            // Scanned in chunks of a few edges (a node's edges split between chunks).
            for chunk in [1, 2, 3, 7] {
                let chunked = referrers_in_chunks(g, NodeIdx(n as u32), chunk);
                assert_eq!(chunked, want, "chunks of {chunk}, referrers of {n}; {ctx}");
            }
        }
    });
}

/// Every edge into a set of nodes, in edge order, from one scan: on small graphs and on graphs
/// of up to 200 nodes, where nodes outside the set share its 64-bit mask bits.
#[test]
fn referrers_of_set_is_every_edge_into_the_set() {
    let mut rng = fastrand::Rng::with_seed(11);
    for max in [14, 200] {
        for_random_graphs(cases(300), max, |spec, g, ctx| {
            let n = spec.n();
            for _ in 0..4 {
                let set: Vec<NodeIdx> = (0..rng.usize(0..6))
                    .map(|_| NodeIdx(rng.usize(0..n.max(1)) as u32))
                    .filter(|v| v.ix() < n)
                    .collect();
                let got = referrers_of_set(g, &set);
                let mut want: Vec<(NodeIdx, NodeIdx, bool)> = Vec::new();
                for (u, out) in spec.edges.iter().enumerate() {
                    for e in out {
                        if set.iter().any(|v| v.ix() == e.0) {
                            want.push((NodeIdx(e.0 as u32), NodeIdx(u as u32), e.1));
                        }
                    }
                }
                assert_eq!(got, want, "set {set:?}; {ctx}");
            }
        });
    }
}

/// [`referrers_of_set`]'s filter and block-wise scan against a naive scan of every edge: sets
/// of up to 40 nodes, filters of 64 to 256 bytes (most nodes of a 300-node graph share a byte
/// with one of the set, so blocks are looked into for targets not in it), chunks cutting
/// blocks and nodes' edges anywhere.
#[test]
fn referrers_of_set_filtered_is_a_naive_scan() {
    let mut rng = fastrand::Rng::with_seed(23);
    for max in [14, 300] {
        for_random_graphs(cases(200), max, |spec, g, ctx| {
            let n = spec.n();
            for _ in 0..4 {
                let set: Vec<NodeIdx> = (0..rng.usize(0..41))
                    .map(|_| NodeIdx(rng.usize(0..n.max(1)) as u32))
                    .filter(|v| v.ix() < n)
                    .collect();
                let mut want: Vec<(NodeIdx, NodeIdx, bool)> = Vec::new();
                for (u, out) in spec.edges.iter().enumerate() {
                    for e in out {
                        if set.iter().any(|v| v.ix() == e.0) {
                            want.push((NodeIdx(e.0 as u32), NodeIdx(u as u32), e.1));
                        }
                    }
                }
                for (bytes, chunk) in [(64, 1), (64, 5), (128, 33), (256, 64), (1 << 15, 7)] {
                    let got = match bytes {
                        64 => referrers_of_set_in::<64>(g, &set, chunk),
                        128 => referrers_of_set_in::<128>(g, &set, chunk),
                        256 => referrers_of_set_in::<256>(g, &set, chunk),
                        _ => referrers_of_set_in::<{ 1 << 15 }>(g, &set, chunk),
                    };
                    assert_eq!(
                        got, want,
                        "{bytes} bytes, chunks of {chunk}, set {set:?}; {ctx}"
                    );
                }
            }
        });
    }
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

/// Dominator children lists from a parent per node (`n` for a child of the super-root,
/// `u32::MAX` for an unreached node), each list in node order.
fn tree(parent: &[u32]) -> DomChildren {
    let n = parent.len();
    let mut offsets = vec![0u32; n + 2];
    for &p in parent.iter().filter(|&&p| p as usize <= n) {
        offsets[p as usize + 1] += 1;
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    let mut fill = offsets.clone();
    let mut children = vec![0u32; offsets[n + 1] as usize];
    for (v, &p) in parent.iter().enumerate() {
        if p as usize <= n {
            children[fill[p as usize] as usize] = v as u32;
            fill[p as usize] += 1;
        }
    }
    DomChildren {
        offsets: offsets.into(),
        children: children.into(),
    }
}

/// The trees the splitter is tried on: empty, one node, deep chains, wide fans (past the top's
/// limit too), a linked list with an item per link, random trees with unreached nodes.
fn shapes() -> Vec<(&'static str, Vec<u32>)> {
    let mut out: Vec<(&'static str, Vec<u32>)> = vec![("empty", vec![]), ("single", vec![1])];
    let chain = |n: u32| -> Vec<u32> { (0..n).map(|v| if v == 0 { n } else { v - 1 }).collect() };
    out.push(("chain", chain(5000)));
    let fan = |n: u32| -> Vec<u32> { (0..n).map(|v| if v == 0 { n } else { 0 }).collect() };
    out.push(("fan", fan(3000)));
    out.push(("fan past the top's limit", fan(70_000)));
    // Links at even indices, each link's item right after it.
    let n = 20_000u32;
    let list = (0..n)
        .map(|v| match v {
            0 => n,
            v if v % 2 == 1 => v - 1,
            v => v - 2,
        })
        .collect();
    out.push(("list with items", list));
    let mut rng = fastrand::Rng::with_seed(crate::support::seed());
    for _ in 0..cases(40) {
        let n = rng.u32(1..3000);
        let parent = (0..n)
            .map(|v| match rng.u8(0..20) {
                0 => u32::MAX,
                1 | 2 => n,
                _ if v == 0 => n,
                _ => {
                    let back = rng.u32(1..50);
                    rng.u32(v.saturating_sub(back)..v)
                }
            })
            .collect();
        out.push(("random", parent));
    }
    out
}

/// The parent of each node as the splitter must see it: unreached nodes, and nodes below one,
/// have none (`u32::MAX`).
fn reached_parents(parent: &[u32]) -> Vec<u32> {
    let n = parent.len() as u32;
    let mut reached = parent.to_vec();
    for v in 0..parent.len() {
        // Parents come before children in these trees.
        let p = parent[v];
        if p != n && (p == u32::MAX || reached[p as usize] == u32::MAX) {
            reached[v] = u32::MAX;
        }
    }
    reached
}

/// The top and the runs of a split hold every node below the start exactly once (and nothing
/// else); each top node's and run's parent is its real one; a run's path is its real chain of
/// ancestors below the start; no run holds more siblings than allowed.
#[test]
fn split_covers_every_node_below_the_start_once() {
    let mut pool_runs = 0;
    for (name, parent) in shapes() {
        let n = parent.len();
        let parent = reached_parents(&parent);
        let children = tree(&parent);
        let below = |v: usize, start: Option<usize>| {
            let mut p = parent[v];
            if p == u32::MAX {
                return false;
            }
            loop {
                if Some(p as usize) == start || (start.is_none() && p as usize == n) {
                    return true;
                }
                if p as usize == n {
                    return false;
                }
                p = parent[p as usize];
            }
        };
        let mut starts = vec![None];
        starts.extend((0..n).step_by(n / 4 + 1).map(Some));
        for start in starts {
            let from = start.map_or(Start::SuperRoot, |s| Start::Node(NodeIdx(s as u32)));
            let slot = start.unwrap_or(n) as u32;
            for par in [
                Parallel::threads(1),
                Parallel::threads(2),
                Parallel {
                    threads: 3,
                    levels: 30,
                    top_max: 100,
                    run_max: 1,
                },
                Parallel {
                    threads: 2,
                    levels: usize::MAX,
                    top_max: usize::MAX,
                    run_max: 7,
                },
            ] {
                let ctx = format!("{name}, start {start:?}, {par:?}");
                let split = Split::new(&children, from, par);
                let mut seen = vec![0u32; n];
                for (i, t) in split.top().iter().enumerate() {
                    seen[t.node as usize] += 1;
                    let real = parent[t.node as usize];
                    if t.parent == NO_TOP {
                        assert_eq!(real, slot, "top node {}; {ctx}", t.node);
                    } else {
                        assert!((t.parent as usize) < i, "{ctx}");
                        assert_eq!(split.top()[t.parent as usize].node, real, "{ctx}");
                    }
                }
                if par.levels == 0 {
                    assert!(split.top().is_empty(), "{ctx}");
                }
                for run in split.runs() {
                    let want_parent = if run.top == NO_TOP {
                        slot
                    } else {
                        split.top()[run.top as usize].node
                    };
                    assert_eq!(run.parent, want_parent, "{ctx}");
                    let (a, b) = (
                        children.offsets[run.parent as usize],
                        children.offsets[run.parent as usize + 1],
                    );
                    assert!(a <= run.from && run.from < run.to && run.to <= b, "{ctx}");
                    assert!(run.to - run.from <= par.run_max.max(1), "{ctx}");
                    // The path: the parent and its ancestors up to (not including) the start.
                    let mut want_path = Vec::new();
                    let mut p = run.parent;
                    while p != slot {
                        want_path.push(p);
                        p = parent[p as usize];
                    }
                    assert_eq!(split.path(run.top).collect::<Vec<_>>(), want_path, "{ctx}");
                    for pos in run.from..run.to {
                        let c = children.children[pos as usize];
                        seen[c as usize] += 1;
                        for step in DomWalk::new(&children, Start::Node(NodeIdx(c))) {
                            if let Step::Enter(v) = step {
                                seen[v as usize] += 1;
                            }
                        }
                    }
                }
                for v in 0..n {
                    let want = u32::from(below(v, start));
                    assert_eq!(seen[v], want, "node {v}; {ctx}");
                }
                assert_eq!(split.runs().count(), split.run_count(), "{ctx}");
                assert_eq!(split.run(split.run_count()), None, "{ctx}");
                pool_runs += split.run_count();
            }
        }
    }
    assert!(pool_runs > 1000, "{pool_runs}");
}

/// `Split::walk` hands each run to exactly one thread, once, with one state per thread
/// that walked, on one thread and on several.
#[test]
fn split_walk_hands_out_each_run_once() {
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        for (name, parent) in shapes() {
            let children = tree(&reached_parents(&parent));
            let split = Split::new(&children, Start::SuperRoot, Parallel::threads(threads));
            let runs: Vec<Run> = split.runs().collect();
            let states = pool.install(|| {
                split.walk(Vec::new, |seen: &mut Vec<usize>, run| {
                    let i = runs.iter().position(|r| *r == run);
                    seen.push(i.expect("a run of the split"));
                })
            });
            let ctx = format!("{name}, {threads} threads");
            assert!(!states.is_empty() && states.len() <= threads, "{ctx}");
            let mut walked: Vec<usize> = states.into_iter().flatten().collect();
            walked.sort_unstable();
            let all: Vec<usize> = (0..runs.len()).collect();
            assert_eq!(walked, all, "{ctx}");
        }
    }
}

/// The walk of `top_members` as a [`DomWalk`] of enter/leave events does it (groups 0..3): a counter per
/// group of its members on the path, a skipped node's subtree and counts left out.
fn top_members_by_events(
    children: &DomChildren,
    from: Start,
    group: &[u32],
    skip: &dyn Fn(u32) -> bool,
) -> Vec<(u32, u32)> {
    let mut on_path = [0u32; 3];
    let mut found = Vec::new();
    let mut walk = DomWalk::new(children, from);
    while let Some(step) = walk.next() {
        match step {
            Step::Enter(c) => {
                if skip(c) {
                    walk.skip_subtree();
                    continue;
                }
                let gr = group[c as usize];
                if gr != NO_GROUP {
                    on_path[gr as usize] += 1;
                    if on_path[gr as usize] == 1 {
                        found.push((gr, c));
                    }
                }
            }
            Step::Leave(v) => {
                let gr = group[v as usize];
                if !skip(v) && gr != NO_GROUP {
                    on_path[gr as usize] -= 1;
                }
            }
        }
    }
    found
}

/// `top_members` (its own stack; a leaf entered and left at once; siblings asked for ahead)
/// reports the same members in the same order as the event walk, from every start, with
/// random subtrees skipped.
#[test]
fn top_members_match_the_event_walk_in_order() {
    let mut rng = fastrand::Rng::with_seed(23);
    for_random_graphs(cases(600), 40, |spec, g, ctx| {
        let dom = dominators(g);
        let children = DomChildren::build(&dom);
        let group: Vec<u32> = (0..spec.n())
            .map(|_| match rng.u32(0..5) {
                4 => NO_GROUP,
                x => x % 3,
            })
            .collect();
        let skipped: Vec<bool> = (0..spec.n()).map(|_| rng.u32(0..6) == 0).collect();
        let skip = |v: u32| skipped[v as usize];
        let starts = std::iter::once(Start::SuperRoot).chain(
            (0..spec.n() as u32)
                .filter(|&v| dom.idom[v as usize] != UNREACHED)
                .map(|v| Start::Node(NodeIdx(v))),
        );
        for from in starts {
            let want = top_members_by_events(&children, from, &group, &skip);
            let mut got = Vec::new();
            let told = std::cell::RefCell::new(Vec::new());
            top_members_ahead(
                &children,
                from,
                3,
                |v| group[v as usize],
                skip,
                |gr, v| got.push((gr, v)),
                |v| told.borrow_mut().push(v),
            );
            assert_eq!(got, want, "from {from:?}; {ctx}");
            // What it asks for ahead is a node it walks past.
            for v in told.into_inner() {
                assert_ne!(dom.idom[v as usize], UNREACHED, "ahead {v}; {ctx}");
            }
            let mut plain = Vec::new();
            top_members(
                &children,
                from,
                3,
                |v| group[v as usize],
                skip,
                |gr, v| plain.push((gr, v)),
            );
            assert_eq!(plain, want, "from {from:?}; {ctx}");
        }
    });
}

/// `walk_below` enters what a [`DomWalk`] enters, in its order, leaving out the subtrees of
/// the nodes `enter` refuses; one stack serves every walk.
#[test]
fn walk_below_enters_in_dom_walk_order() {
    let mut rng = fastrand::Rng::with_seed(29);
    let mut stack = Vec::new();
    for_random_graphs(cases(600), 40, |spec, g, ctx| {
        let dom = dominators(g);
        let children = DomChildren::build(&dom);
        let refused: Vec<bool> = (0..spec.n()).map(|_| rng.u32(0..5) == 0).collect();
        let starts = std::iter::once(Start::SuperRoot).chain(
            (0..spec.n() as u32)
                .filter(|&v| dom.idom[v as usize] != UNREACHED)
                .map(|v| Start::Node(NodeIdx(v))),
        );
        for from in starts {
            let mut want = Vec::new();
            let mut walk = DomWalk::new(&children, from);
            while let Some(step) = walk.next() {
                if let Step::Enter(c) = step {
                    want.push(c);
                    if refused[c as usize] {
                        walk.skip_subtree();
                    }
                }
            }
            let mut got = Vec::new();
            walk_below(&children, from, &mut stack, |c| {
                got.push(c);
                !refused[c as usize]
            });
            assert_eq!(got, want, "from {from:?}; {ctx}");
        }
    });
}

/// `BfsParents` (the dominator checked first, then the last parent found, then a search)
/// gives each node's BFS parent as `RootPaths::parent` finds it by searching the offsets, one
/// at a time and for many nodes at once, in any order and with repeats.
#[test]
fn bfs_parents_equal_the_searched_parents() {
    let mut rng = fastrand::Rng::with_seed(31);
    let mut big = 0;
    for_random_graphs(cases(600), 60, |spec, g, ctx| {
        let dom = dominators(g);
        let paths = RootPaths::compute(g);
        let parents = BfsParents::new(&paths, g, &dom);
        let n = spec.n() as u32;
        let want: Vec<u32> = (0..n).map(|v| paths.parent(g, v)).collect();
        for v in 0..n {
            assert_eq!(parents.of(v), want[v as usize], "parent of {v}; {ctx}");
        }
        let mut nodes: Vec<u32> = (0..n).collect();
        // By parent (runs of siblings, as a collection's members), then shuffled with repeats.
        nodes.sort_by_key(|&v| (want[v as usize], v));
        let got = parents.of_all(&nodes);
        let by_node: Vec<u32> = nodes.iter().map(|&v| want[v as usize]).collect();
        assert_eq!(got, by_node, "nodes {nodes:?}; {ctx}");
        let mixed: Vec<u32> = (0..2 * n).map(|_| rng.u32(0..n.max(1))).collect();
        let mixed: Vec<u32> = mixed.into_iter().filter(|&v| v < n).collect();
        let got = parents.of_all(&mixed);
        let by_node: Vec<u32> = mixed.iter().map(|&v| want[v as usize]).collect();
        assert_eq!(got, by_node, "nodes {mixed:?}; {ctx}");
        // Asked for more nodes than two of the pieces answered on the rayon pool (2^18 each).
        if big < 3 && n > 0 {
            big += 1;
            let many: Vec<u32> = (0..600_000).map(|_| rng.u32(0..n)).collect();
            let got = parents.of_all(&many);
            let by_node: Vec<u32> = many.iter().map(|&v| want[v as usize]).collect();
            assert!(got == by_node, "600,000 nodes; {ctx}");
        }
    });
}

/// The scan of `referrers` tests blocks of targets before it looks into them: on graphs of
/// hundreds of edges, whatever the chunk (blocks cut short at a chunk's end), it finds the
/// referrers a plain look at every node's edges finds.
#[test]
fn referrers_scan_by_blocks_finds_every_referrer() {
    for_random_graphs(cases(100), 300, |spec, g, ctx| {
        let n = spec.n();
        for t in (0..n).step_by(7) {
            let mut want: Vec<(NodeIdx, Label, bool)> = Vec::new();
            for u in 0..n {
                let u = NodeIdx(u as u32);
                let to_t: Vec<_> = g.edges(u).filter(|e| e.target.ix() == t).collect();
                let Some(e) = to_t.iter().find(|e| !e.weak).or(to_t.first()) else {
                    continue;
                };
                want.push((u, e.label, e.weak));
            }
            for chunk in [1, 31, 32, 33, 100, 1 << 18] {
                let got = referrers_in_chunks(g, NodeIdx(t as u32), chunk);
                assert_eq!(got, want, "chunks of {chunk}, referrers of {t}; {ctx}");
            }
        }
    });
}
