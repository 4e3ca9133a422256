//! The dominator-tree and reference walks every report and command uses, each written once:
//!
//! - [`DomWalk`]: a depth-first walk of a dominator subtree as enter/leave events, with
//!   [`DomWalk::skip_subtree`] to leave a subtree out;
//! - [`top_members`] and [`min_retained_by`]: per group of nodes, the members no other member
//!   of the group dominates, and Eclipse MAT's *minimum retained size* of the group (the sum of
//!   those members' retained sizes);
//! - [`dominator_chain`]: the immediate dominators of a node up to (not including) the
//!   super-root, nearest first;
//! - [`referrers`]: the nodes with an edge to a node, each once, with the edge's label.
//!
//! All iterative (an explicit stack of one entry per tree level being walked), and nothing is
//! allocated per node beyond flat arrays of one entry per group.

use crate::dominators::{DomChildren, DomTree, SUPER, UNREACHED};
use crate::graph::HeapGraph;
use crate::types::{Label, NodeIdx};

/// Where a dominator walk starts: the super-root (every reachable node) or one node (its
/// dominator subtree, the node itself not visited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    SuperRoot,
    Node(NodeIdx),
}

impl Start {
    fn slot(self, children: &DomChildren) -> u32 {
        match self {
            Start::SuperRoot => (children.offsets.len() - 2) as u32,
            Start::Node(n) => n.0,
        }
    }
}

/// One event of a [`DomWalk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A node is entered; its parent's `Enter` came before (unless the parent is the start).
    Enter(u32),
    /// All of a node's subtree has been walked (or skipped).
    Leave(u32),
}

/// A depth-first walk of a dominator subtree: `Enter(v)` before and `Leave(v)` after `v`'s
/// subtree, children in list order, the start node itself not reported. 8 B of stack per tree
/// level being walked.
pub struct DomWalk<'a> {
    children: &'a DomChildren,
    /// (node, next position in `children.children`)
    stack: Vec<(u32, u32)>,
    /// The node last entered, whose subtree `skip` would leave out.
    entered: bool,
}

impl<'a> DomWalk<'a> {
    pub fn new(children: &'a DomChildren, from: Start) -> Self {
        let s = from.slot(children);
        DomWalk {
            children,
            stack: vec![(s, children.offsets[s as usize])],
            entered: false,
        }
    }

    /// Do not walk below the node just entered (its `Leave` comes next).
    pub fn skip_subtree(&mut self) {
        if self.entered {
            if let Some(top) = self.stack.last_mut() {
                top.1 = self.children.offsets[top.0 as usize + 1];
            }
        }
    }
}

impl Iterator for DomWalk<'_> {
    type Item = Step;
    fn next(&mut self) -> Option<Step> {
        self.entered = false;
        let depth = self.stack.len();
        let top = self.stack.last_mut()?;
        if top.1 < self.children.offsets[top.0 as usize + 1] {
            let c = self.children.children[top.1 as usize];
            top.1 += 1;
            self.stack.push((c, self.children.offsets[c as usize]));
            self.entered = true;
            return Some(Step::Enter(c));
        }
        let (v, _) = self.stack.pop()?;
        // The start is not reported.
        (depth > 1).then_some(Step::Leave(v))
    }
}

/// No group: a node `group_of` maps here belongs to none.
pub const NO_GROUP: u32 = u32::MAX;

/// Per group, its *top members* below `from`: the nodes of the group that no other node of the
/// group dominates, each reported once as `found(group, node)` in walk order. `group_of` maps a
/// node to its group below `groups`, or [`NO_GROUP`]; `skip(node)` leaves a node's whole subtree
/// out. One walk with a counter per group of its members on the stack.
pub fn top_members(
    children: &DomChildren,
    from: Start,
    groups: usize,
    group_of: impl Fn(u32) -> u32,
    skip: impl Fn(u32) -> bool,
    mut found: impl FnMut(u32, u32),
) {
    let mut on_stack = vec![0u32; groups];
    let mut walk = DomWalk::new(children, from);
    while let Some(step) = walk.next() {
        match step {
            Step::Enter(c) => {
                if skip(c) {
                    walk.skip_subtree();
                    continue; // its Leave still comes: count it as entered
                }
                let gr = group_of(c);
                if gr != NO_GROUP {
                    if on_stack[gr as usize] == 0 {
                        found(gr, c);
                    }
                    on_stack[gr as usize] += 1;
                }
            }
            Step::Leave(v) => {
                let gr = group_of(v);
                if gr != NO_GROUP && !skip(v) {
                    on_stack[gr as usize] -= 1;
                }
            }
        }
    }
}

/// Eclipse MAT's minimum retained size of node sets, per group: the sum of the retained sizes
/// of the group's [`top_members`] below `from`. A lower bound of the exact retained size of the
/// set (exact unless some node is kept alive only by several members together).
pub fn min_retained_by(
    children: &DomChildren,
    retained: &[u64],
    from: Start,
    groups: usize,
    group_of: impl Fn(u32) -> u32,
) -> Vec<u64> {
    let mut out = vec![0u64; groups];
    top_members(
        children,
        from,
        groups,
        group_of,
        |_| false,
        |gr, v| out[gr as usize] += retained[v as usize],
    );
    out
}

/// The dominators of `n`, nearest first, up to (not including) the super-root; empty for a
/// child of the super-root and for an unreached node.
pub fn dominator_chain(dom: &DomTree, n: NodeIdx) -> impl Iterator<Item = NodeIdx> + '_ {
    let mut cur = n.0;
    // A dominator tree has no cycle; the bound only guards a malformed `idom`.
    let mut left = dom.idom.len();
    std::iter::from_fn(move || {
        let d = *dom.idom.get(cur as usize)?;
        if d == SUPER || d == UNREACHED || left == 0 {
            return None;
        }
        left -= 1;
        cur = d;
        Some(NodeIdx(d))
    })
}

/// The nodes with an edge to `n`, each once, in index order: (referrer, label, weak), the
/// label of its first strong edge to `n`, else of its first weak one. One scan of all edges:
/// for a few suspects and drill-down commands only.
pub fn referrers(g: &HeapGraph, n: NodeIdx) -> Vec<(NodeIdx, Label, bool)> {
    let mut out = Vec::new();
    for u in 0..g.node_count() as u32 {
        let u = NodeIdx(u);
        let mut hit: Option<(Label, bool)> = None;
        for e in g.edge_range(u) {
            let edge = g.edge(e);
            if edge.target == n && hit.map(|(_, w)| w && !edge.weak).unwrap_or(true) {
                hit = Some((edge.label, edge.weak));
            }
        }
        if let Some((l, w)) = hit {
            out.push((u, l, w));
        }
    }
    out
}
