//! The top of the dominator tree as a flat preorder list (depth per item), for the HTML view's
//! collapsible tree. Capped so that a report stays small: only nodes retaining at least
//! [`MIN_SHARE`] of the reachable heap, at most [`MAX_CHILDREN`] per node and [`MAX_NODES`] in all.

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
        let mut v: Vec<u32> = kids
            .iter()
            .copied()
            .filter(|&c| a.retained[c as usize] >= min)
            .collect();
        v.sort_by(|&x, &y| {
            a.retained[y as usize]
                .cmp(&a.retained[x as usize])
                .then(x.cmp(&y))
        });
        v.truncate(MAX_CHILDREN);
        v
    };
    let mut out = Vec::new();
    // (node, depth, reference from its dominator)
    let mut stack: Vec<(u32, u32, Option<String>)> = pick(a.dominated(None))
        .into_iter()
        .rev()
        .map(|c| (c, 0, None))
        .collect();
    while let Some((v, depth, via)) = stack.pop() {
        if out.len() >= MAX_NODES {
            break;
        }
        let n = NodeIdx(v);
        let kids = a.dominated(Some(n));
        let shown = if depth + 1 < MAX_DEPTH {
            pick(kids)
        } else {
            Vec::new()
        };
        out.push(TreeItem {
            depth,
            via,
            children: kids.len() as u64,
            node: ctx.node(n),
        });
        // The shown children's labels in one scan of this node's edges (it may have millions).
        let mut labels: Vec<Option<String>> = vec![None; shown.len()];
        let mut missing = shown.len();
        for e in g.edge_range(n) {
            if missing == 0 {
                break;
            }
            let edge = g.edge(e);
            if let Some(i) = shown.iter().position(|&c| c == edge.target.0) {
                if labels[i].is_none() {
                    labels[i] = Some(g.label_text(edge.label).unwrap_or_default());
                    missing -= 1;
                }
            }
        }
        let labels = labels.into_iter().map(|l| l.filter(|s| !s.is_empty()));
        let items: Vec<(u32, u32, Option<String>)> = shown
            .iter()
            .zip(labels)
            .map(|(&c, l)| (c, depth + 1, l))
            .collect();
        stack.extend(items.into_iter().rev());
    }
    out
}
