//! Detached DOM (a browser's heap): DOM trees removed from the document but still reachable
//! from JavaScript — the leak DevTools' "Detached elements" and memlab look for first. The V8
//! parser names a detached native node, and what its detachedness reaches, `Detached …`
//! (DevTools' names); the trees are those nodes no other detached node dominates, and together
//! they are one finding when they retain [`DETACHED_SHARE`] of the reachable heap (or the
//! threshold, if that is lower): a detached tree is garbage the page can no longer show, so a
//! small share is already a leak.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::walks::{top_members, NO_GROUP};
use heapscope_graph::{NodeIdx, Runtime, Start, TypeId};

use super::groups::within_collection;
use super::holder::Referrers;
use super::objects::{analyse_at, finding};
use super::{Accumulation, Finding, Group};
use crate::build::Ctx;
use crate::model::HistRow;

/// Share of the reachable heap detached trees are reported from, whatever the threshold.
pub const DETACHED_SHARE: f64 = 0.01;

/// Detached-tree types listed as what accumulates (largest first).
const ITEMS: usize = 5;

/// The detached DOM finding, if the heap has one: the trees outside what the findings before it
/// report (`reported(v)`: `v`'s subtree is skipped; `above`: nodes above one of them), all of
/// them together, represented by the largest.
pub(crate) fn findings(
    ctx: &Ctx,
    thr: u64,
    reported: impl Fn(u32) -> bool,
    above: &BitSet,
    known: &Referrers,
) -> Option<Finding> {
    let a = ctx.a;
    let g = &a.graph;
    if ctx.info.runtime != Runtime::V8 {
        return None;
    }
    let detached: Vec<bool> = (0..g.types.len() as u32)
        .map(|t| crate::patterns::is_detached_dom(g.types.get(t)))
        .collect();
    if !detached.contains(&true) {
        return None;
    }
    let type_of: &[u32] = &g.type_of;
    let mut trees: Vec<u32> = Vec::new();
    top_members(
        &a.children,
        Start::SuperRoot,
        1,
        |v| {
            if detached[type_of[v as usize] as usize] {
                0
            } else {
                NO_GROUP
            }
        },
        reported,
        |_, v| {
            if !above.get(v as usize) {
                trees.push(v)
            }
        },
    );
    let bytes: u64 = trees.iter().map(|&t| a.retained[t as usize]).sum();
    let share = ((a.summary.reachable_bytes as f64) * DETACHED_SHARE).ceil() as u64;
    if trees.is_empty() || bytes < thr.min(share.max(1)) {
        return None;
    }
    let rep = super::largest_first(&a.retained, &trees, 1)[0];
    let mut o = analyse_at(ctx, NodeIdx(rep), Accumulation::member(NodeIdx(rep)), known);
    o.detached = true;
    // What accumulates: the trees by the type of their top, largest first (ties by name).
    let mut by_type: std::collections::BTreeMap<u32, HistRow> = Default::default();
    for &t in &trees {
        let ty = g.type_of[t as usize];
        let row = by_type.entry(ty).or_insert_with(|| HistRow {
            type_name: g.types.get(ty).to_string(),
            count: 0,
            shallow_bytes: 0,
            retained_bytes: 0,
            cumulative_bytes: None,
            cumulative_count: None,
        });
        row.count += 1;
        row.shallow_bytes += g.shallow[t as usize];
        row.retained_bytes += a.retained[t as usize];
    }
    let mut items: Vec<HistRow> = by_type.into_values().collect();
    items.sort_by(|x, y| {
        y.retained_bytes
            .cmp(&x.retained_bytes)
            .then_with(|| x.type_name.cmp(&y.type_name))
    });
    // Held in one collection: all the trees, or those of the largest kind when it is most of
    // the bytes (a stray internal tree elsewhere does not hide the array of dialogs).
    o.within = within_collection(ctx, &trees, known).or_else(|| {
        let top = items.first()?;
        let ty = g.type_of[rep as usize];
        (top.retained_bytes * 2 > bytes && g.types.get(ty) == top.type_name).then(|| {
            let kind: Vec<u32> = trees
                .iter()
                .copied()
                .filter(|&t| g.type_of[t as usize] == ty)
                .collect();
            within_collection(ctx, &kind, known)
        })?
    });
    items.truncate(ITEMS);
    o.items = items;
    o.group = Some(Group {
        members: trees.len() as u64,
        type_id: TypeId(g.type_of[rep as usize]),
    });
    Some(finding(ctx, o, bytes))
}
