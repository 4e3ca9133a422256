//! A retention flame graph (icicle) of the dominator tree, as Perfetto's "Dominated Object Size"
//! view draws it: the heap on top, each node below its dominator, width = retained size. HTML
//! draws it as inline SVG (one `<rect>` per node with a `<title>` tooltip, labels clipped to
//! their width); the terminal and Markdown leave it out (their dominator tree says the same).
//! [`Icicle::from_preorder`] builds it from the preorder items a view already has.

use heapscope_graph::Unit;

/// An icicle: nodes laid out on `[0, total)`, one row per depth.
#[derive(Clone, Debug)]
pub struct Icicle {
    pub title: String,
    pub unit: Unit,
    /// The width of the whole (the reachable heap): nodes are placed on `[0, total)`.
    pub total: u64,
    pub nodes: Vec<IcicleNode>,
    /// HTML: the figure's id.
    pub id: Option<String>,
}

/// One node: its row, where it starts and how wide it is.
#[derive(Clone, Debug)]
pub struct IcicleNode {
    pub label: String,
    /// 0 = the top row.
    pub depth: u32,
    pub start: u64,
    pub size: u64,
    /// The tooltip: the full name, id and size.
    pub tip: String,
}

/// Most nodes an icicle draws; the rest are left out (their parents' width still shows them).
pub const MAX_NODES: usize = 400;

impl Icicle {
    /// Lay out preorder items `(depth, size, label, tip)`: each node starts where its previous
    /// sibling ended (the first child where its parent starts). Items deeper than one below the
    /// previous item, or past [`MAX_NODES`], are left out.
    pub fn from_preorder(
        title: String,
        unit: Unit,
        total: u64,
        items: impl IntoIterator<Item = (u32, u64, String, String)>,
    ) -> Icicle {
        // next[d]: where the next node at depth d starts.
        let mut next: Vec<u64> = vec![0];
        let mut nodes = Vec::new();
        for (depth, size, label, tip) in items {
            if nodes.len() >= MAX_NODES || depth as usize >= next.len() {
                continue;
            }
            let d = depth as usize;
            let start = next[d];
            next.truncate(d + 1);
            next[d] = start + size;
            next.push(start);
            nodes.push(IcicleNode {
                label,
                depth,
                start,
                size,
                tip,
            });
        }
        let total = total.max(nodes.iter().map(|n| n.start + n.size).max().unwrap_or(0));
        Icicle {
            title,
            unit,
            total,
            nodes,
            id: None,
        }
    }

    /// Rows drawn (the deepest depth + 1).
    pub fn rows(&self) -> u32 {
        self.nodes.iter().map(|n| n.depth + 1).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_start_at_their_parent_and_siblings_follow() {
        let items = vec![
            (0, 60, "a".to_string(), String::new()),
            (1, 40, "a1".to_string(), String::new()),
            (2, 10, "a1x".to_string(), String::new()),
            (1, 15, "a2".to_string(), String::new()),
            (0, 30, "b".to_string(), String::new()),
            (3, 5, "orphan".to_string(), String::new()),
        ];
        let i = Icicle::from_preorder("t".into(), Unit::Bytes, 100, items);
        let at: Vec<(&str, u32, u64)> = i
            .nodes
            .iter()
            .map(|n| (&n.label[..], n.depth, n.start))
            .collect();
        assert_eq!(
            at,
            [
                ("a", 0, 0),
                ("a1", 1, 0),
                ("a1x", 2, 0),
                ("a2", 1, 40),
                ("b", 0, 60)
            ]
        );
        assert_eq!(i.total, 100);
        assert_eq!(i.rows(), 3);
    }
}
