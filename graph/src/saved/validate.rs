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

/// `at(k)`: the file offset of section `k` (the numbering of `SECTIONS`), for the messages.
pub(super) fn analysis(a: &Analysis, at: &dyn Fn(usize) -> u64) -> Result<(), OpenError> {
    let g = &a.graph;
    let n = g.node_count();
    let m = g.edge_count();
    if n >= WEAK_BIT as usize || n >= SUPER as usize {
        return Err(bad(at(8), "fewer than 2^31 nodes"));
    }
    // CSR offsets: from 0, ascending, ending at the edge count.
    let off = &g.offsets;
    if off[0] != 0 || off[n] as usize != m || off.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad(
            at(14),
            "edge offsets ascending from 0 to the edge count",
        ));
    }
    if g.targets.par_iter().any(|&t| (t & !WEAK_BIT) as usize >= n) {
        return Err(bad(at(15), "edge targets below the node count"));
    }
    if g.type_of.par_iter().any(|&t| t as usize >= g.types.len()) {
        return Err(bad(at(9), "type ids below the number of types"));
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
    let mut total = 0u64;
    for &s in g.shallow.iter() {
        total = total
            .checked_add(s)
            .ok_or_else(|| bad(at(10), "shallow sizes whose sum fits 64 bits"))?;
    }
    // Dominator tree: idom in range; the children lists agree with idom, and a walk from the
    // super-root meets every reachable node exactly once (so idom has no cycle).
    let idom = &a.dom.idom;
    if idom
        .iter()
        .any(|&d| d != SUPER && d != UNREACHED && d as usize >= n)
    {
        return Err(bad(at(16), "immediate dominators below the node count"));
    }
    let c = &a.children;
    let co = &c.offsets;
    if co[0] != 0 || co[n + 1] as usize != c.children.len() || co.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad(
            at(17),
            "dominator-children offsets ascending to the list's end",
        ));
    }
    let listed_wrong = (0..=n).into_par_iter().any(|s| {
        let want = if s == n { SUPER } else { s as u32 };
        c.of(s)
            .iter()
            .any(|&v| v as usize >= n || idom[v as usize] != want)
    });
    if listed_wrong {
        return Err(bad(
            at(18),
            "dominator children whose immediate dominator lists them",
        ));
    }
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
    let reachable = idom.iter().filter(|&&d| d != UNREACHED).count();
    if reached != reachable {
        return Err(bad(
            at(16),
            "a dominator tree from the super-root over every reachable node",
        ));
    }
    // Retained sizes: own size plus the children's, zero when unreachable.
    let sums_wrong = (0..n).into_par_iter().any(|v| {
        let want = if idom[v] == UNREACHED {
            Some(0)
        } else {
            c.of(v).iter().try_fold(g.shallow[v], |acc, &ch| {
                acc.checked_add(a.retained[ch as usize])
            })
        };
        want != Some(a.retained[v])
    });
    if sums_wrong {
        return Err(bad(
            at(21),
            "retained sizes that add up over the dominator tree",
        ));
    }
    // Root paths: each parent a root marker, a node (by-node mode) or an edge into this node;
    // following parents always ends (no cycle).
    let by_node = a.paths.by_node();
    let parent = a.paths.parent_column();
    // The owner of an edge by a binary search within a block of nodes: `first[b]` is the owner
    // of edge `b << BLOCK` (one pass over the offsets), so the search spans the few nodes whose
    // edges share that block instead of all of them (a search over all nodes per node cost
    // most of the reopening time).
    const BLOCK: u32 = 10;
    let blocks = (m >> BLOCK) + 2;
    let mut first = Vec::with_capacity(blocks);
    for u in 0..n {
        while first.len() <= (off[u + 1] as usize) >> BLOCK && first.len() < blocks {
            if ((first.len() as u64) << BLOCK) < u64::from(off[u + 1]) {
                first.push(u as u32);
            } else {
                break;
            }
        }
    }
    while first.len() < blocks {
        first.push(n.saturating_sub(1) as u32);
    }
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
