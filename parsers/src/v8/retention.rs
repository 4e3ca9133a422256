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

use super::raw::RawSnapshot;

/// Per-edge "does not retain" as a bit set over edge indices.
pub(crate) fn non_retaining_edges(raw: &RawSnapshot, input: &[u8], first_edge: &[u32]) -> BitSet {
    let m = &raw.meta;
    let ty = |name: &str| m.edge_types.iter().position(|t| t == name).map(|p| p as u8);
    let (weak, shortcut, element) = (ty("weak"), ty("shortcut"), ty("element"));
    let synthetic = m.node_types.iter().position(|t| t == "synthetic").map(|p| p as u8);
    let n = raw.node_count();
    let mut page = BitSet::new(n);
    let mut stack: Vec<u32> = Vec::new();
    if n > 0 {
        for e in first_edge[0] as usize..first_edge[1] as usize {
            let t = Some(raw.edge_type[e]);
            let to = raw.edge_to[e];
            if t == shortcut {
                continue;
            }
            if t == element
                && Some(raw.node_type[to as usize]) == synthetic
                && raw.raw_str(input, raw.node_name[to as usize]) == b"(Document DOM trees)"
            {
                continue;
            }
            if !page.get(to as usize) {
                page.set(to as usize);
                stack.push(to);
            }
        }
    }
    while let Some(v) = stack.pop() {
        for e in first_edge[v as usize] as usize..first_edge[v as usize + 1] as usize {
            let to = raw.edge_to[e];
            if Some(raw.edge_type[e]) == weak || page.get(to as usize) {
                continue;
            }
            page.set(to as usize);
            stack.push(to);
        }
    }
    let mut out = BitSet::new(raw.edge_count());
    for v in 0..n {
        let from_page = page.get(v);
        for e in first_edge[v] as usize..first_edge[v + 1] as usize {
            let t = Some(raw.edge_type[e]);
            let to = raw.edge_to[e] as usize;
            let dropped = t == weak
                || (v != 0 && t == shortcut)
                || (v != 0 && !from_page && page.get(to));
            if dropped {
                out.set(e);
            }
        }
    }
    out
}
