//! Deep dominator trees: the NCA step's bounded climb (jump pointers past a few steps) gives
//! the plain climb's tree and petgraph's, and the plain climb is quadratic where it is not.

use heapscope_graph::dominators::{dominators_counting, PARALLEL_MIN};
use heapscope_graph::{Analysis, HeapGraph, Policy, Spill, SUPER};

use crate::dominators::oracle_idom;
use crate::support::{cases, for_random_graphs, seed, Spec, POLICIES};

/// Climb bounds to compare: jump at once, after one or three steps, the analysis' own, never.
const CLIMBS: [u32; 5] = [0, 1, 3, 16, u32::MAX];

/// The tree of every climb bound on one and two threads equals the unbounded climb's; returns
/// that idom and the unbounded climb's steps.
fn same_for_every_climb(g: &HeapGraph, ctx: &str) -> (Vec<u32>, u64) {
    let (want, steps) = dominators_counting(g, 1, u32::MAX);
    for climb in CLIMBS {
        for threads in [1, 2] {
            let (got, _) = dominators_counting(g, threads, climb);
            assert_eq!(
                got.idom, want.idom,
                "climb {climb}, {threads} threads; {ctx}"
            );
            assert_eq!(got.order, want.order, "climb {climb}; {ctx}");
            assert_eq!(got.orphans_attached, want.orphans_attached, "{ctx}");
        }
    }
    (want.idom.to_vec(), steps)
}

#[test]
fn every_climb_bound_equals_petgraph_on_random_graphs() {
    for_random_graphs(cases(1500) / 5, 40, |spec, g, ctx| {
        let (idom, _) = same_for_every_climb(g, ctx);
        assert_eq!(idom, oracle_idom(spec).0, "{ctx}");
    });
}

/// A heap with a deep dominator tree: a spine of `len` cells (each with an edge to the next
/// first, so the DFS goes down the whole spine before anything else) and a value per cell.
/// The head (a root) or a cell far above also points at some values, and some cells at values
/// far below them (met after the spine: a far semidominator, the climb's bad case); cells
/// point back up the spine, skip ahead, or at random nodes; some values point at a root
/// only (simple leaves, when nothing else points at them); a share of the edges is weak; a
/// second root now and then sits on the spine; node indices are shuffled.
fn deep(rng: &mut fastrand::Rng, len: usize, policy: Policy) -> Spec {
    let extra = rng.usize(0..len / 4 + 1);
    let mut spec = Spec::random(rng, 1, policy);
    let n = 2 * len + 1 + extra;
    let mut idx: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut idx);
    let head = idx[0];
    let cell = |i: usize| idx[1 + i];
    let value = |i: usize| idx[1 + len + i];
    let far_share = [10u8, 50, 100][rng.usize(0..3)];
    let weak_share = [0u8, 5, 20][rng.usize(0..3)];
    // One cell in `tangle / 4` points back, one ahead past the next (which cuts the
    // dominator tree's depth), one at random, one at a value below.
    let tangle = [12u16, 400, 4000][rng.usize(0..3)];
    let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
    let mut roots = vec![head];
    if rng.u8(0..4) == 0 {
        roots.push(cell(rng.usize(0..len)));
    }
    edges[head].push((cell(0), false));
    for i in 0..len {
        let weak = |rng: &mut fastrand::Rng| rng.u8(0..100) < weak_share;
        if i + 1 < len {
            edges[cell(i)].push((cell(i + 1), false));
        }
        edges[cell(i)].push((value(i), weak(rng)));
        if rng.u8(0..100) < far_share {
            // The value's far semidominator: the head or a cell far up the spine.
            let from = if rng.bool() {
                head
            } else {
                cell(rng.usize(0..=i))
            };
            edges[from].push((value(i), weak(rng)));
        }
        match rng.u16(0..tangle) {
            0 => edges[cell(i)].push((cell(rng.usize(0..=i)), weak(rng))), // back up the spine
            1 if i + 2 < len => {
                // A skip ahead: the cells between lose their dominance over the ones below.
                let to = rng.usize(i + 2..len.min(i + 50));
                edges[cell(i)].push((cell(to), weak(rng)));
            }
            2 => edges[cell(i)].push((rng.usize(0..n), weak(rng))),
            3 if i + 1 < len => {
                // A value far below: entered from its own cell first.
                edges[cell(i)].push((value(rng.usize(i + 1..len)), weak(rng)));
            }
            _ => {}
        }
        match rng.u8(0..4) {
            0 => edges[value(i)].push((head, false)),
            1 if extra > 0 => {
                let e = idx[1 + 2 * len + rng.usize(0..extra)];
                edges[value(i)].push((e, weak(rng)));
            }
            _ => {}
        }
    }
    for k in 0..extra {
        let e = idx[1 + 2 * len + k];
        if rng.bool() {
            edges[e].push((rng.usize(0..n), rng.u8(0..100) < weak_share));
        }
    }
    let mut ids: Vec<u64> = (1..=n as u64).collect();
    rng.shuffle(&mut ids);
    spec.ids = ids;
    spec.types = (0..n).map(|_| rng.u32(0..spec.type_count)).collect();
    spec.shallow = (0..n).map(|_| rng.u64(1..100)).collect();
    spec.edges = edges;
    spec.roots = roots;
    spec
}

#[test]
fn every_climb_bound_equals_petgraph_on_deep_trees() {
    let mut long_climbs = 0;
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..cases(40) {
            let s = seed() ^ 0xdee9 ^ ((pi as u64) << 40) ^ case as u64;
            let mut rng = fastrand::Rng::with_seed(s);
            let len = [10, 200, 1500][case % 3];
            let spec = deep(&mut rng, len, policy);
            let g = spec.build(&mut rng);
            let ctx = format!("seed {s} (policy {policy:?}, case {case}, spine {len})");
            let (idom, steps) = same_for_every_climb(&g, &ctx);
            assert_eq!(idom, oracle_idom(&spec).0, "{ctx}");
            // The plain climb took many steps per node (long climbs, past the bound).
            long_climbs += usize::from(steps > 8 * spec.n() as u64);
        }
    }
    assert!(long_climbs > 20, "{long_climbs}");
}

/// The plain climb's worst case: a head (a root) pointing at the first of `len` cells, each
/// cell at the next and at its own value, and the head at every value after the first cell.
/// The DFS goes down the cells first, so each value is entered from its cell but its
/// semidominator is the head: the climb from cell `i` to the head takes `i + 1` steps.
fn worst(len: u32) -> HeapGraph {
    use heapscope_graph::{GraphBuilder, Label, NodeIdx, NodeKind};
    let mut b = GraphBuilder::new().without_labels();
    let t = b.intern_type("Cell");
    // Node 0 the head, 1..=len the cells, len + 1..=2 len the values.
    for i in 0..=2 * len {
        b.add_node(u64::from(i) + 1, t, NodeKind::Object, 8);
    }
    b.add_root_idx(NodeIdx(0), "root", None);
    b.finish_nodes();
    b.begin_node(NodeIdx(0));
    for to in std::iter::once(1).chain(len + 1..=2 * len) {
        assert!(b.edge_to_idx(NodeIdx(to), false, Label::None));
    }
    for i in 1..=len {
        b.begin_node(NodeIdx(i));
        if i < len {
            assert!(b.edge_to_idx(NodeIdx(i + 1), false, Label::None));
        }
        assert!(b.edge_to_idx(NodeIdx(len + i), false, Label::None));
    }
    b.finish(Policy::MAT)
}

/// The worst case's dominator tree by construction: the head under the super-root, each cell
/// under the one before (the first under the head), every value under the head.
fn worst_idom(len: u32) -> Vec<u32> {
    let mut want = vec![SUPER];
    want.extend(0..len);
    want.extend(std::iter::repeat_n(0, len as usize));
    want
}

/// The unbounded climb takes about len²/2 steps on the worst case; the bounded one a constant
/// number per node (the climb's bound, one pointer made, a logarithmic search): counted, not
/// timed.
#[test]
fn the_worst_case_climb_is_quadratic_and_the_bounded_one_is_not() {
    for len in [500u32, 1000, 2000, 4000] {
        let g = worst(len);
        let (plain, plain_steps) = dominators_counting(&g, 1, u32::MAX);
        let (bounded, bounded_steps) = dominators_counting(&g, 1, 16);
        assert_eq!(plain.idom.to_vec(), worst_idom(len), "len {len}");
        assert_eq!(bounded.idom, plain.idom, "len {len}");
        let nodes = u64::from(2 * len + 1);
        let len = u64::from(len);
        assert!(
            plain_steps >= len * (len + 1) / 2,
            "len {len}: {plain_steps}"
        );
        // 16 climbed, one pointer made, ≤ 2 log2(len) jumps and climbs per value.
        assert!(bounded_steps <= 32 * nodes, "len {len}: {bounded_steps}");
    }
}

/// The worst case past [`PARALLEL_MIN`] nodes through the analysis in memory (results on the
/// heap and in spill files) and out of core, on pools of one thread and of several: the same
/// tree, the one of its construction.
#[test]
fn the_worst_case_in_the_analysis_every_way() {
    let len = PARALLEL_MIN as u32 / 2 + 100;
    let want = worst_idom(len);
    let ooc = Analysis::run_spilled(worst(len), &Spill::temp().out_of_core(true), &mut |_| {});
    assert_eq!(ooc.dom.idom.to_vec(), want);
    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let runs = [
            pool.install(|| Analysis::run(worst(len))),
            pool.install(|| {
                Analysis::run_spilled(worst(len), &Spill::temp().min_bytes(0), &mut |_| {})
            }),
        ];
        for a in &runs {
            // Not every root path: the cells' are as long as the spine.
            assert_eq!(a.dom.idom, ooc.dom.idom, "{threads} threads");
            assert_eq!(a.retained, ooc.retained, "{threads} threads");
            assert_eq!(
                a.children.offsets, ooc.children.offsets,
                "{threads} threads"
            );
            assert_eq!(
                a.children.children, ooc.children.children,
                "{threads} threads"
            );
            assert_eq!(a.histogram, ooc.histogram, "{threads} threads");
            assert_eq!(a.summary, ooc.summary, "{threads} threads");
        }
    }
}
