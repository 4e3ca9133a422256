//! The dominator pass as first written (commit cf2d3c7): full predecessor lists in CSR with u64
//! offsets, identity-initialised semidominators. Kept only so that `graph-scale --baseline`
//! can measure the current pass against it on the same input; not used by heapscope.

#![allow(clippy::needless_range_loop)] // kept as first written

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{DomTree, HeapGraph, Orphans, SUPER, UNREACHED, WEAK_BIT};

const NONE: u32 = u32::MAX;

/// Semi-NCA with every retaining edge stored as a predecessor (the first version).
pub fn dominators(g: &HeapGraph) -> DomTree {
    let n = g.node_count();
    let retains_weak = g.policy.weak_retains;
    let mut pre = vec![NONE; n];
    // Index 0 is the super-root.
    let mut node_of: Vec<u32> = vec![SUPER];
    let mut parent: Vec<u32> = vec![0];
    let mut super_succ: Vec<u32> = Vec::new();
    let mut stack: Vec<(u32, u32)> = Vec::new();

    let dfs_from = |start: u32,
                    pre: &mut Vec<u32>,
                    node_of: &mut Vec<u32>,
                    parent: &mut Vec<u32>,
                    stack: &mut Vec<(u32, u32)>| {
        pre[start as usize] = node_of.len() as u32;
        node_of.push(start);
        parent.push(0);
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let v = top.0;
            let base = g.offsets[v as usize] as usize;
            let end = g.offsets[v as usize + 1] as usize;
            let at = base + top.1 as usize;
            if at >= end {
                stack.pop();
                continue;
            }
            top.1 += 1;
            let raw = g.targets[at];
            if raw & WEAK_BIT != 0 && !retains_weak {
                continue;
            }
            let t = raw & !WEAK_BIT;
            if pre[t as usize] == NONE {
                let pv = pre[v as usize];
                pre[t as usize] = node_of.len() as u32;
                node_of.push(t);
                parent.push(pv);
                stack.push((t, 0));
            }
        }
    };

    for r in g.root_nodes() {
        super_succ.push(r);
        if pre[r as usize] == NONE {
            dfs_from(r, &mut pre, &mut node_of, &mut parent, &mut stack);
        }
    }
    let before_orphans = node_of.len();
    match g.policy.orphans {
        Orphans::Unreachable => {}
        Orphans::AttachAll => {
            for v in 0..n as u32 {
                if pre[v as usize] == NONE {
                    super_succ.push(v);
                    dfs_from(v, &mut pre, &mut node_of, &mut parent, &mut stack);
                }
            }
        }
        Orphans::AttachWeaklyHeld => {
            let mut weak_in = BitSet::new(n);
            for &raw in g.targets.iter() {
                if raw & WEAK_BIT != 0 {
                    weak_in.set((raw & !WEAK_BIT) as usize);
                }
            }
            for v in 0..n as u32 {
                if pre[v as usize] == NONE && weak_in.get(v as usize) {
                    super_succ.push(v);
                    dfs_from(v, &mut pre, &mut node_of, &mut parent, &mut stack);
                }
            }
        }
    }
    let orphans_attached = (node_of.len() - before_orphans) as u64;
    drop(stack);
    let big_n = node_of.len();

    // Predecessors in preorder space, CSR.
    let mut pred_off: Vec<u64> = vec![0; big_n + 1];
    for &s in &super_succ {
        pred_off[pre[s as usize] as usize + 1] += 1;
    }
    for p in 1..big_n {
        let v = node_of[p] as usize;
        for &raw in &g.targets[g.offsets[v] as usize..g.offsets[v + 1] as usize] {
            if raw & WEAK_BIT != 0 && !retains_weak {
                continue;
            }
            let t = pre[(raw & !WEAK_BIT) as usize];
            if t != NONE {
                pred_off[t as usize + 1] += 1;
            }
        }
    }
    for i in 1..=big_n {
        pred_off[i] += pred_off[i - 1];
    }
    let mut fill: Vec<u64> = pred_off[..big_n].to_vec();
    let mut preds: Vec<u32> = vec![0; pred_off[big_n] as usize];
    for &s in &super_succ {
        let w = pre[s as usize] as usize;
        preds[fill[w] as usize] = 0;
        fill[w] += 1;
    }
    for p in 1..big_n {
        let v = node_of[p] as usize;
        for &raw in &g.targets[g.offsets[v] as usize..g.offsets[v + 1] as usize] {
            if raw & WEAK_BIT != 0 && !retains_weak {
                continue;
            }
            let t = pre[(raw & !WEAK_BIT) as usize];
            if t != NONE {
                preds[fill[t as usize] as usize] = p as u32;
                fill[t as usize] += 1;
            }
        }
    }
    drop(fill);

    // Semi-dominators (Lengauer–Tarjan's simple eval/link with iterative path compression).
    let mut semi: Vec<u32> = (0..big_n as u32).collect();
    let mut label: Vec<u32> = (0..big_n as u32).collect();
    let mut ancestor: Vec<u32> = vec![NONE; big_n];
    let mut path: Vec<u32> = Vec::new();
    for w in (1..big_n).rev() {
        let mut sw = semi[w];
        for &v in &preds[pred_off[w] as usize..pred_off[w + 1] as usize] {
            let u = eval(v, &mut ancestor, &mut label, &semi, &mut path);
            if semi[u as usize] < sw {
                sw = semi[u as usize];
            }
        }
        semi[w] = sw;
        ancestor[w] = parent[w];
    }
    drop(preds);
    drop(pred_off);
    drop(ancestor);
    drop(label);

    // NCA step: idom(w) is the nearest ancestor of parent(w) at or above semi(w).
    let mut idom = parent;
    for w in 1..big_n {
        let mut d = idom[w];
        while d > semi[w] {
            d = idom[d as usize];
        }
        idom[w] = d;
    }
    drop(semi);

    // Back to node space, reusing `pre`.
    let mut out = pre;
    for v in out.iter_mut() {
        *v = UNREACHED;
    }
    for p in 1..big_n {
        let d = idom[p];
        out[node_of[p] as usize] = if d == 0 { SUPER } else { node_of[d as usize] };
    }
    node_of.remove(0);
    DomTree {
        idom: out.into(),
        order: node_of,
        orphans_attached,
    }
}

#[inline]
fn eval(v: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32], path: &mut Vec<u32>) -> u32 {
    if ancestor[v as usize] == NONE {
        return v;
    }
    // Compress the path from v to just below its forest root.
    path.clear();
    let mut x = v;
    while ancestor[ancestor[x as usize] as usize] != NONE {
        path.push(x);
        x = ancestor[x as usize];
    }
    while let Some(y) = path.pop() {
        let a = ancestor[y as usize] as usize;
        if semi[label[a] as usize] < semi[label[y as usize] as usize] {
            label[y as usize] = label[a];
        }
        ancestor[y as usize] = ancestor[a];
    }
    label[v as usize]
}
