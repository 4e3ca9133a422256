//! The structural checks of a reopened index: after them every index the passes and reports
//! follow is in range and every walk ends, whatever the file held (its checksums only catch
//! accidents; a file made to pass them must still not crash or hang heapscope).
//!
//! One pass over each array (edges once), a bit per node for the dominator-tree walk and a byte
//! per node for the root-path cycle check.

use rayon::prelude::*;

use super::codec::Bad;
use super::OpenError;
use crate::analysis::Analysis;
use crate::bitset::BitSet;
use crate::dominators::{SUPER, UNREACHED};
use crate::graph::WEAK_BIT;

fn bad(offset: u64, expected: &'static str) -> OpenError {
    OpenError::Corrupt(Bad { offset, expected })
}

/// Nodes per parallel chunk of the fused passes: big enough that a chunk's setup is noise,
/// small enough that two cores share the work evenly (2^16 nodes ≈ 1.7 MB of the columns).
const CHUNK: usize = 1 << 16;

/// `f` over the chunks of `0..len` in parallel; the first error in chunk order (so the same
/// file always gives the same message), else the chunks' results in order.
fn chunks<T: Send>(
    len: usize,
    f: impl Fn(std::ops::Range<usize>) -> Result<T, OpenError> + Sync + Send,
) -> Result<Vec<T>, OpenError> {
    (0..len.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| f(k * CHUNK..((k + 1) * CHUNK).min(len)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// The checks made on every open, sealed or not: each costs a few reads (the node count, the
/// ends of both offset arrays) or a pass over the GC roots and the histogram rows.
pub(super) fn endpoints(a: &Analysis, at: &(dyn Fn(usize) -> u64 + Sync)) -> Result<(), OpenError> {
    let g = &a.graph;
    let n = g.node_count();
    if n >= WEAK_BIT as usize || n >= SUPER as usize {
        return Err(bad(at(8), "fewer than 2^31 nodes"));
    }
    let (off, c) = (&g.offsets, &a.children);
    let co = &c.offsets;
    if off[0] != 0 || off[n] as usize != g.edge_count() {
        return Err(offsets_wrong(at));
    }
    if co[0] != 0 || co[n + 1] as usize != c.children.len() || co[n] > co[n + 1] {
        return Err(children_offsets_wrong(at));
    }
    if g.roots.iter().any(|r| r.node.ix() >= n) {
        return Err(bad(at(7), "GC roots below the node count"));
    }
    if a.histogram
        .iter()
        .any(|r| r.type_id as usize >= g.types.len())
    {
        return Err(bad(at(5), "histogram rows of known types"));
    }
    Ok(())
}

fn offsets_wrong(at: &(dyn Fn(usize) -> u64 + Sync)) -> OpenError {
    bad(at(14), "edge offsets ascending from 0 to the edge count")
}

fn children_offsets_wrong(at: &(dyn Fn(usize) -> u64 + Sync)) -> OpenError {
    bad(
        at(17),
        "dominator-children offsets ascending to the list's end",
    )
}

/// `at(k)`: the file offset of section `k` (the numbering of `SECTIONS`), for the messages.
///
/// The checks share their passes: one parallel pass over the node columns (CSR and
/// dominator-children offsets ascending, type ids, immediate dominators in range, shallow sum,
/// reachable count), one over the edges (targets), one over the dominator-children lists
/// (each child's `idom` names its parent, and retained sizes add up — the lists are read
/// once for both); then the two walks that need a whole-graph view, the dominator tree from
/// the super-root and the root-path cycle check, run side by side.
///
/// [`endpoints`] must have passed first.
pub(super) fn analysis(a: &Analysis, at: &(dyn Fn(usize) -> u64 + Sync)) -> Result<(), OpenError> {
    let g = &a.graph;
    let n = g.node_count();
    let off = &g.offsets;
    let idom = &a.dom.idom;
    let c = &a.children;
    let co = &c.offsets;
    let offsets_wrong = || offsets_wrong(at);
    let children_offsets_wrong = || children_offsets_wrong(at);
    // The node columns, once.
    let types = g.types.len();
    let per_chunk = chunks(n, |r| {
        let (mut total, mut reachable) = (0u64, 0usize);
        for v in r {
            if off[v] > off[v + 1] {
                return Err(offsets_wrong());
            }
            if co[v] > co[v + 1] {
                return Err(children_offsets_wrong());
            }
            if g.type_of[v] as usize >= types {
                return Err(bad(at(9), "type ids below the number of types"));
            }
            let d = idom[v];
            if d != SUPER && d != UNREACHED && d as usize >= n {
                return Err(bad(at(16), "immediate dominators below the node count"));
            }
            reachable += usize::from(d != UNREACHED);
            total = total
                .checked_add(g.shallow[v])
                .ok_or_else(|| bad(at(10), "shallow sizes whose sum fits 64 bits"))?;
        }
        Ok((total, reachable))
    })?;
    let mut total = 0u64;
    let mut reachable = 0usize;
    for (t, r) in per_chunk {
        total = total
            .checked_add(t)
            .ok_or_else(|| bad(at(10), "shallow sizes whose sum fits 64 bits"))?;
        reachable += r;
    }
    if g.targets.par_iter().any(|&t| (t & !WEAK_BIT) as usize >= n) {
        return Err(bad(at(15), "edge targets below the node count"));
    }
    // The dominator-children lists, once: every child's immediate dominator lists it, and
    // retained sizes are own size plus the children's (zero when unreachable).
    chunks(n + 1, |r| {
        for s in r {
            let want = if s == n { SUPER } else { s as u32 };
            let mut sum = if s < n { Some(g.shallow[s]) } else { None };
            for &v in c.of(s) {
                if v as usize >= n || idom[v as usize] != want {
                    return Err(bad(
                        at(18),
                        "dominator children whose immediate dominator lists them",
                    ));
                }
                sum = sum.and_then(|x| x.checked_add(a.retained[v as usize]));
            }
            if s < n {
                let want = if idom[s] == UNREACHED { Some(0) } else { sum };
                if want != Some(a.retained[s]) {
                    return Err(bad(
                        at(21),
                        "retained sizes that add up over the dominator tree",
                    ));
                }
            }
        }
        Ok(())
    })?;
    let (tree, paths) = rayon::join(|| dominator_tree(a, reachable, at), || root_paths(a, at));
    tree?;
    paths
}

/// A walk from the super-root over the dominator children meets every reachable node exactly
/// once (so `idom` has no cycle). The lists were checked against `idom` before.
fn dominator_tree(
    a: &Analysis,
    reachable: usize,
    at: &(dyn Fn(usize) -> u64 + Sync),
) -> Result<(), OpenError> {
    let n = a.graph.node_count();
    let c = &a.children;
    let mut seen = BitSet::new(n);
    let mut reached = 0usize;
    let mut stack: Vec<u32> = c.of(n).to_vec();
    while let Some(v) = stack.pop() {
        if seen.get(v as usize) {
            return Err(bad(at(18), "each node once in the dominator tree"));
        }
        seen.set(v as usize);
        reached += 1;
        stack.extend_from_slice(c.of(v as usize));
    }
    if reached != reachable {
        return Err(bad(
            at(16),
            "a dominator tree from the super-root over every reachable node",
        ));
    }
    Ok(())
}

/// Root paths: each parent a root marker, a node (by-node mode) or an edge into this node;
/// following parents always ends (no cycle). The CSR offsets were checked before.
fn root_paths(a: &Analysis, at: &(dyn Fn(usize) -> u64 + Sync)) -> Result<(), OpenError> {
    let g = &a.graph;
    let n = g.node_count();
    let m = g.edge_count();
    let off = &g.offsets;
    let by_node = a.paths.by_node();
    let parent = a.paths.parent_column();
    // The owner of an edge by a binary search within a block of nodes: `first[b]` is the owner
    // of edge `b << BLOCK` (one pass over the offsets), so the search spans the few nodes whose
    // edges share that block instead of all of them (a search over all nodes per node cost
    // most of the reopening time).
    const BLOCK: u32 = 10;
    let blocks = (m >> BLOCK) + 2;
    // `first[b]`: the owner of edge `b << BLOCK` by a search over all offsets, one per block
    // (m / 1024 searches instead of a pass over every node); past the last edge, the last node.
    let first: Vec<u32> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let e = b << BLOCK;
            if e < m {
                (off.partition_point(|&o| o as usize <= e) - 1) as u32
            } else {
                n.saturating_sub(1) as u32
            }
        })
        .collect();
    let owner = |e: usize| -> usize {
        let b = e >> BLOCK;
        let lo = first[b] as usize;
        let hi = (first[b + 1] as usize + 1).min(n);
        lo + off[lo + 1..=hi].partition_point(|&o| o as usize <= e)
    };
    let parent_of = |v: usize| -> Result<Option<usize>, OpenError> {
        match parent[v] {
            SUPER | UNREACHED => Ok(None),
            p if by_node => {
                if (p as usize) < n {
                    Ok(Some(p as usize))
                } else {
                    Err(bad(at(19), "root-path parents below the node count"))
                }
            }
            e => {
                let e = e as usize;
                if e >= m || (g.targets[e] & !WEAK_BIT) as usize != v {
                    return Err(bad(at(19), "root-path edges into their node"));
                }
                Ok(Some(owner(e)))
            }
        }
    };
    // 0 = not yet, 1 = on the current chain, 2 = ends at a root.
    let mut state = vec![0u8; n];
    let mut chain: Vec<usize> = Vec::new();
    for start in 0..n {
        let mut v = start;
        while state[v] == 0 {
            state[v] = 1;
            chain.push(v);
            match parent_of(v)? {
                Some(p) => v = p,
                None => break,
            }
        }
        if state[v] == 1 && chain.last() != Some(&v) {
            return Err(bad(at(19), "root paths without cycles"));
        }
        if state[v] == 1 && parent_of(v)?.is_some() {
            return Err(bad(at(19), "root paths without cycles"));
        }
        for &u in &chain {
            state[u] = 2;
        }
        chain.clear();
    }
    Ok(())
}
