//! The top of the dominator tree as a flat preorder list (depth per item), for the HTML view's
//! collapsible tree. Capped so that a report stays small: only nodes retaining at least
//! [`MIN_SHARE`] of the reachable heap, at most [`MAX_CHILDREN`] per node and [`MAX_NODES`] in all.

use heapscope_graph::paths::edge_between;
use heapscope_graph::NodeIdx;

use crate::build::Ctx;
use crate::model::TreeItem;

/// Nodes below 1% of the reachable heap are left out of the tree.
pub const MIN_SHARE: f64 = 0.01;
pub const MAX_CHILDREN: usize = 12;
pub const MAX_DEPTH: u32 = 16;
pub const MAX_NODES: usize = 300;

/// Build the capped dominator tree, largest children first.
pub fn dominator_tree(ctx: &Ctx) -> Vec<TreeItem> {
    let a = ctx.a;
    let g = &a.graph;
    let min = ((a.summary.reachable_bytes as f64 * MIN_SHARE).ceil() as u64).max(1);
    let pick = |kids: &[u32]| -> Vec<u32> {
        let mut v: Vec<u32> = kids.iter().copied().filter(|&c| a.retained[c as usize] >= min).collect();
        v.sort_by(|&x, &y| a.retained[y as usize].cmp(&a.retained[x as usize]).then(x.cmp(&y)));
        v.truncate(MAX_CHILDREN);
        v
    };
    let mut out = Vec::new();
    // (node, depth, parent)
    let mut stack: Vec<(u32, u32, Option<u32>)> = pick(a.dominated(None)).into_iter().rev().map(|c| (c, 0, None)).collect();
    while let Some((v, depth, parent)) = stack.pop() {
        if out.len() >= MAX_NODES {
            break;
        }
        let n = NodeIdx(v);
        let via = parent.and_then(|p| {
            let (l, _) = edge_between(g, NodeIdx(p), n);
            g.label_text(l)
        });
        let kids = a.dominated(Some(n));
        let shown = if depth + 1 < MAX_DEPTH { pick(kids) } else { Vec::new() };
        out.push(TreeItem { depth, via, children: kids.len() as u64, node: ctx.node(n) });
        stack.extend(shown.into_iter().rev().map(|c| (c, depth + 1, Some(v))));
    }
    out
}
