//! Random small heap graphs and naive oracles that recompute every answer from its definition.
//!
//! A [`Spec`] is a graph written down plainly (adjacency lists of `(target, weak)`); it is turned
//! into a [`HeapGraph`] through the real [`GraphBuilder`], and the oracles below work on the
//! `Spec` alone, so they share no code with the passes under test.

use heapscope_graph::{GraphBuilder, HeapGraph, Label, NodeKind, Orphans, Policy};

/// Number of random cases per property; `HEAPSCOPE_PROP_CASES` overrides it.
pub fn cases(default: usize) -> usize {
    std::env::var("HEAPSCOPE_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Base seed; `HEAPSCOPE_PROP_SEED` overrides it to explore other graphs.
pub fn seed() -> u64 {
    std::env::var("HEAPSCOPE_PROP_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_d0d0)
}

/// The policies every property runs under: Eclipse MAT (weak retains) and V8-like ones.
pub const POLICIES: [Policy; 4] = [
    Policy::MAT,
    Policy {
        weak_retains: false,
        orphans: Orphans::Unreachable,
    },
    Policy {
        weak_retains: false,
        orphans: Orphans::AttachWeaklyHeld,
    },
    Policy {
        weak_retains: false,
        orphans: Orphans::AttachAll,
    },
];

/// Run `f` on `cases` random graphs under each policy, with a message naming the case.
pub fn for_random_graphs(
    cases: usize,
    max_nodes: usize,
    mut f: impl FnMut(&Spec, &HeapGraph, &str),
) {
    let base = seed();
    for (pi, &policy) in POLICIES.iter().enumerate() {
        for case in 0..cases {
            let s = base ^ ((pi as u64) << 40) ^ case as u64;
            let mut rng = fastrand::Rng::with_seed(s);
            let spec = Spec::random(&mut rng, max_nodes, policy);
            let g = spec.build(&mut rng);
            let ctx = format!(
                "seed {s} (policy {policy:?}, HEAPSCOPE_PROP_SEED={base}, case {case}): {spec:?}"
            );
            f(&spec, &g, &ctx);
        }
    }
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub ids: Vec<u64>,
    pub types: Vec<u32>,
    pub shallow: Vec<u64>,
    /// Out-edges of each node: (target, weak).
    pub edges: Vec<Vec<(usize, bool)>>,
    /// Root records in order (a node may be a root several times).
    pub roots: Vec<usize>,
    pub type_count: u32,
    pub policy: Policy,
}

impl Spec {
    /// A random graph: unreachable parts, self loops, parallel edges, many or no roots, weak edges.
    pub fn random(rng: &mut fastrand::Rng, max_nodes: usize, policy: Policy) -> Spec {
        let n = rng.usize(1..=max_nodes);
        let type_count = rng.u32(1..=4);
        // Distinct non-zero ids in no particular order.
        let mut ids: Vec<u64> = Vec::with_capacity(n);
        while ids.len() < n {
            let id = match rng.u8(0..3) {
                0 => rng.u64(1..64),
                1 => rng.u64(1..u64::MAX),
                _ => 0x1000 + 8 * rng.u64(0..4096),
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let types = (0..n).map(|_| rng.u32(0..type_count)).collect();
        let shallow = (0..n)
            .map(|_| {
                if rng.u8(0..10) == 0 {
                    0
                } else {
                    rng.u64(1..1000)
                }
            })
            .collect();
        // Density varies from sparse forests to dense tangles.
        let avg = [0.5f64, 1.0, 1.5, 2.5, 4.0][rng.usize(0..5)];
        let weak_share = [0u8, 10, 30, 70][rng.usize(0..4)];
        let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
        for (u, out) in edges.iter_mut().enumerate() {
            let k = (avg * 2.0 * rng.f64()).round() as usize;
            for _ in 0..k {
                let t = match rng.u8(0..10) {
                    0 => u,                                                 // self loop
                    1 if !out.is_empty() => out[rng.usize(0..out.len())].0, // parallel edge
                    2 | 3 => (u + 1).min(n - 1),                            // chains
                    _ => rng.usize(0..n),
                };
                out.push((t, rng.u8(0..100) < weak_share));
            }
        }
        let root_count = match rng.u8(0..6) {
            0 => 0,
            1 => n.min(rng.usize(1..=n.max(1))),
            _ => rng.usize(1..=3.min(n)),
        };
        let mut roots: Vec<usize> = (0..root_count).map(|_| rng.usize(0..n)).collect();
        if rng.bool() && !roots.is_empty() {
            roots.push(roots[0]); // the same node held by two roots
        }
        Spec {
            ids,
            types,
            shallow,
            edges,
            roots,
            type_count,
            policy,
        }
    }

    pub fn n(&self) -> usize {
        self.ids.len()
    }

    /// Build through the real builder, choosing at random between ids and dense indices.
    pub fn build(&self, rng: &mut fastrand::Rng) -> HeapGraph {
        let mut b = GraphBuilder::new();
        let tys: Vec<_> = (0..self.type_count)
            .map(|t| b.intern_type(&format!("T{t}")))
            .collect();
        let nodes: Vec<_> = (0..self.n())
            .map(|i| {
                b.add_node(
                    self.ids[i],
                    tys[self.types[i] as usize],
                    NodeKind::Object,
                    self.shallow[i],
                )
            })
            .collect();
        for &r in &self.roots {
            if rng.bool() {
                b.add_root_id(self.ids[r], "root", None);
            } else {
                b.add_root_idx(nodes[r], "root", Some("held"));
            }
        }
        b.finish_nodes();
        let field = b.intern_label("field");
        for (u, out) in self.edges.iter().enumerate() {
            if out.is_empty() && rng.bool() {
                continue; // nodes without edges may be skipped
            }
            b.begin_node(nodes[u]);
            for (i, &(t, weak)) in out.iter().enumerate() {
                let label = match i % 3 {
                    0 => Label::Name(field),
                    1 => Label::Index(i as u32),
                    _ => Label::None,
                };
                let ok = if rng.bool() {
                    b.edge_to_id(self.ids[t], weak, label)
                } else {
                    b.edge_to_idx(nodes[t], weak, label)
                };
                assert!(ok, "a known target was refused");
            }
        }
        b.finish(self.policy)
    }

    fn retains(&self, weak: bool) -> bool {
        !weak || self.policy.weak_retains
    }

    /// Retaining successors of `u`.
    pub fn retaining(&self, u: usize) -> impl Iterator<Item = usize> + '_ {
        self.edges[u]
            .iter()
            .filter(|e| self.retains(e.1))
            .map(|e| e.0)
    }

    /// Nodes reachable from `sources` over retaining edges, never entering `removed` nodes.
    pub fn reach(&self, sources: &[usize], removed: &dyn Fn(usize) -> bool) -> Vec<bool> {
        let mut seen = vec![false; self.n()];
        let mut stack: Vec<usize> = Vec::new();
        for &s in sources {
            if !removed(s) && !seen[s] {
                seen[s] = true;
                stack.push(s);
            }
        }
        while let Some(u) = stack.pop() {
            for t in self.retaining(u) {
                if !removed(t) && !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        seen
    }

    /// The super-root's successors, straight from the definition of each [`Orphans`] policy:
    /// the GC roots; then (AttachWeaklyHeld) every node not reached that has a weak in-edge, or
    /// (AttachAll) every node not reached that no other node retains, then in index order each
    /// node still not reached.
    pub fn super_successors(&self) -> Vec<usize> {
        let mut succ: Vec<usize> = Vec::new();
        for &r in &self.roots {
            if !succ.contains(&r) {
                succ.push(r);
            }
        }
        let reached = self.reach(&succ, &|_| false);
        match self.policy.orphans {
            Orphans::Unreachable => {}
            Orphans::AttachWeaklyHeld => {
                for v in 0..self.n() {
                    let weakly_held = self.edges.iter().flatten().any(|&(t, weak)| t == v && weak);
                    if !reached[v] && weakly_held {
                        succ.push(v);
                    }
                }
            }
            Orphans::AttachAll => {
                for v in 0..self.n() {
                    let retained_by_other =
                        (0..self.n()).any(|u| u != v && self.retaining(u).any(|t| t == v));
                    if !reached[v] && !retained_by_other {
                        succ.push(v);
                    }
                }
                for v in 0..self.n() {
                    if !self.reach(&succ, &|_| false)[v] {
                        succ.push(v);
                    }
                }
            }
        }
        succ
    }

    /// Sum of shallow sizes reachable from the super-root with `removed` nodes deleted.
    pub fn reachable_bytes(&self, succ: &[usize], removed: &dyn Fn(usize) -> bool) -> u64 {
        let seen = self.reach(succ, removed);
        (0..self.n())
            .filter(|&v| seen[v])
            .map(|v| self.shallow[v])
            .sum()
    }
}
