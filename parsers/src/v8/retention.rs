//! Which edges retain, after memlab's port of Chrome DevTools' heap snapshot worker
//! (`computeIsEssentialEdge`):
//!
//! - `weak` edges never retain;
//! - `shortcut` edges retain only from the synthetic root (node 0), where they mark user roots
//!   such as `global`; elsewhere they are shorthands V8 adds (bound functions, …);
//! - an edge from a node that is not "page-owned" into a page-owned node does not retain, so
//!   that garbage and debugger-held objects do not perturb the dominators of live objects.
//!   Page-owned, as memlab computes it: reachable from the root's non-shortcut edges (skipping
//!   an element edge to `(Document DOM trees)`) through non-weak edges.
//!
//! Nodes that no retaining path reaches hang below the super-root (`Orphans::AttachAll`);
//! memlab attaches them below the synthetic root instead, see the module docs of `v8`.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{EdgePos, WEAK_BIT};

use super::raw::RawSnapshot;

/// Mark (with [`WEAK_BIT`]) the edges from non-page-owned into page-owned nodes. The parser has
/// already marked weak edges and shortcut edges not from the root. `offsets` and `targets` are
/// the finished graph's CSR. Returns how many it marked.
pub(crate) fn drop_unowned_into_owned(
    raw: &RawSnapshot,
    offsets: &[EdgePos],
    targets: &mut [u32],
    input: &[u8],
) -> u64 {
    let edge_range = |v: usize| offsets[v] as usize..offsets[v + 1] as usize;
    let m = &raw.meta;
    let ty = |name: &str| m.edge_types.iter().position(|t| t == name).map(|p| p as u8);
    let (shortcut, element) = (ty("shortcut"), ty("element"));
    let synthetic = m
        .node_types
        .iter()
        .position(|t| t == "synthetic")
        .map(|p| p as u8);
    let n = offsets.len().saturating_sub(1);
    let mut page = BitSet::new(n);
    let mut stack: Vec<u32> = Vec::new();
    for &(t, to) in &raw.root_edges {
        if Some(t) == shortcut {
            continue;
        }
        if Some(t) == element
            && Some(raw.node_type[to as usize]) == synthetic
            && raw
                .node_name(input, to as usize)
                .is_some_and(|name| raw.raw_str(input, name) == b"(Document DOM trees)")
        {
            continue;
        }
        if !page.get(to as usize) {
            page.set(to as usize);
            stack.push(to);
        }
    }
    // Everything reachable over non-weak edges; shortcut edges count here (their weak bit only
    // says they do not retain).
    while let Some(v) = stack.pop() {
        for e in edge_range(v as usize) {
            let raw_t = targets[e];
            if raw_t & WEAK_BIT != 0 && !raw.shortcut.get(e) {
                continue;
            }
            let to = (raw_t & !WEAK_BIT) as usize;
            if !page.get(to) {
                page.set(to);
                stack.push(to as u32);
            }
        }
    }
    let mut marked = 0;
    for v in 1..n {
        if page.get(v) {
            continue;
        }
        for e in edge_range(v) {
            let t = targets[e];
            if t & WEAK_BIT == 0 && page.get(t as usize) {
                targets[e] = t | WEAK_BIT;
                marked += 1;
            }
        }
    }
    marked
}
