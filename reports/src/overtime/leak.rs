//! The diff's first answer: what most likely leaks between BASE and TARGET.
//!
//! Two dumps show what grew, not whether it will stop; the guide's "take a second profile,
//! diff — what shows up as new is almost certainly your leak" is exactly this, so the diff names
//! the grown groups above noise, largest first, with who holds them:
//!
//! - **Object graphs**: the path-to-root signatures whose minimum retained size grew above noise.
//!   A container's growth is told by the group of its elements when they hold most of it
//!   ([`DESCEND_SHARE`]) and are more numerous (the `ArrayList` grew because its `Order`s did:
//!   the `Order`s are named, at their path); a group inside a named group is not named again.
//!   Groups whose object count did not grow are left out when some that did are named (a class
//!   loader, a root: they grew because what they hold did, and their signatures stop at class
//!   objects, so no path says so). Each names its holder on the shortest strong path from a GC root to one of its objects in
//!   TARGET, by the analyze report's rule ([`crate::findings::holder`]).
//! - **Allocation profiles**: the sites (function, line) whose flat bytes grew above noise, each
//!   with the call stack that grew most there (call-tree node ids are stacks, the same in both).
//! - **Stable ids** (V8): also the objects new in TARGET that no other new object dominates,
//!   grouped by retainer path (memlab's clustering, [`super::trend::clusters`]).
//!
//! Noise: `max(NOISE_FLOOR_BYTES, NOISE_SHARE_OF_HEAP × the larger reachable heap)`
//! (docs/overtime.md says why these numbers).

use heapscope_graph::hash::FxHashMap;
use heapscope_graph::{Analysis, NoInspector, NodeIdx, SUPER, UNREACHED};

use super::groups::{Dump, PathGroups, SIGNATURE_SEPARATOR};
use super::model::*;
use crate::build::Ctx;
use crate::findings::holder::{display_path, holder_of, named_path, up_to_collection};

/// Growth at or below this many bytes is never named: a few objects moved by GC timing.
pub const NOISE_FLOOR_BYTES: u64 = 8 * 1024;
/// Nor growth at or below this share of the larger reachable heap: the healthy series move by
/// up to 0.3% between dumps (an LRU's churn, pools, compiled code); the smallest leak of the
/// growth fixtures grows by 1.4% of its heap (Node's `PendingJob`s between target and final).
pub const NOISE_SHARE_OF_HEAP: f64 = 0.005;
/// A group's growth is told by a group further down its path when that one holds at least this
/// share of it (and has more new objects): the elements rather than their collection.
pub const DESCEND_SHARE: f64 = 0.7;
/// Suspects listed at most.
pub const MAX_SUSPECTS: usize = 10;

/// The noise rule for two dumps.
pub fn noise(base: &DumpRef, target: &DumpRef) -> DiffNoise {
    let heap = base.reachable_bytes.max(target.reachable_bytes);
    DiffNoise {
        floor_bytes: NOISE_FLOOR_BYTES,
        share_of_heap: NOISE_SHARE_OF_HEAP,
        threshold_bytes: NOISE_FLOOR_BYTES.max((NOISE_SHARE_OF_HEAP * heap as f64).ceil() as u64),
    }
}

/// Does path `e` extend path `r` (a group further from the root, below `r`)?
fn extends(e: &DiffRow, r: &DiffRow) -> bool {
    match (&e.path, &r.path) {
        (Some(e), Some(r)) => {
            e.len() > r.len() + SIGNATURE_SEPARATOR.len()
                && e.starts_with(r.as_str())
                && e[r.len()..].starts_with(SIGNATURE_SEPARATOR)
        }
        _ => false,
    }
}

/// The suspects from the joined rows (before any is cut for display): path rows for object
/// graphs, type (site) rows for profiles. Holders and callers are filled by [`name_holders`]
/// and [`name_callers`].
pub fn likely_leak(
    types: &[DiffRow],
    paths: &[DiffRow],
    totals: &DiffRow,
    call_tree: bool,
    noise: DiffNoise,
) -> LikelyLeak {
    let thr = noise.threshold_bytes as i64;
    let mut named: Vec<(&DiffRow, i64, SuspectBasis)> = if call_tree {
        types
            .iter()
            .filter(|r| r.change.shallow_bytes > thr)
            .map(|r| (r, r.change.shallow_bytes, SuspectBasis::Site))
            .collect()
    } else {
        let above: Vec<&DiffRow> = paths
            .iter()
            .filter(|r| r.change.retained_bytes > thr)
            .collect();
        let told_below = |r: &DiffRow| {
            above.iter().any(|e| {
                extends(e, r)
                    && e.change.count > r.change.count
                    && e.change.retained_bytes as f64
                        >= DESCEND_SHARE * r.change.retained_bytes as f64
            })
        };
        let mut kept: Vec<&DiffRow> = above.iter().copied().filter(|r| !told_below(r)).collect();
        // A group with no more objects than before grew because what it holds did (a class
        // loader over its classes' statics, a root over everything): when groups with new
        // objects grew too, they are the answer.
        if kept.iter().any(|r| r.change.count > 0) {
            kept.retain(|r| r.change.count > 0);
        }
        kept.iter()
            .copied()
            .filter(|r| !kept.iter().any(|n| extends(r, n)))
            .map(|r| (r, r.change.retained_bytes, SuspectBasis::Path))
            .collect()
    };
    named.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.0.change.count.cmp(&a.0.change.count))
            .then_with(|| a.0.path.cmp(&b.0.path))
            .then_with(|| a.0.type_name.cmp(&b.0.type_name))
    });
    let suspects = named
        .into_iter()
        .enumerate()
        .map(|(i, (r, g, basis))| GrowthSuspect {
            rank: i as u32 + 1,
            basis,
            type_name: r.type_name.clone(),
            path: r.path.clone(),
            holder: None,
            callers: Vec::new(),
            growth_bytes: g,
            count_change: r.change.count,
            share_of_growth: 0.0,
            new_in_target: r.base == Stat::default(),
        })
        .collect();
    LikelyLeak {
        noise,
        growth_bytes: totals.change.retained_bytes,
        suspects,
        new_by_path: None,
    }
}

/// Cut the suspects of [`likely_leak`] (after [`fold_nested`], if any) to [`MAX_SUSPECTS`],
/// rank them, and take their shares of the growth: the reachable heap's change, or the sum of
/// every listed suspect's growth if that is larger (suspects are disjoint groups: a group inside
/// another was folded into it, so the sum counts no byte twice).
pub fn finish(l: &mut LikelyLeak) {
    let sum: i64 = l.suspects.iter().map(|s| s.growth_bytes).sum();
    let growth = l.growth_bytes.max(sum);
    l.growth_bytes = growth;
    l.suspects.truncate(MAX_SUSPECTS);
    for (i, s) in l.suspects.iter_mut().enumerate() {
        s.rank = i as u32 + 1;
        s.share_of_growth = super::shape::round6(if growth > 0 {
            (s.growth_bytes as f64 / growth as f64).min(1.0)
        } else {
            0.0
        });
    }
}

/// Fold each path suspect that lies inside a larger one into it: when most of a group's objects
/// in TARGET have an object of a larger suspect's group above them in the dominator tree (the
/// outermost such suspect counts, so a group nested two deep folds into the top one), the
/// larger one already retains them (`… > HashMap$Node > value > Document > … > Element`: a path
/// signature covers [`super::groups::SIGNATURE_STEPS`] steps, so the inner group's text need not
/// start with the outer one's). The inner suspect is dropped; its bytes are the outer one's.
/// One pass over the dominator tree in preorder, 4 B per node.
pub fn fold_nested(l: &mut LikelyLeak, target: Dump, groups: &PathGroups) {
    const NONE: u32 = u32::MAX;
    let paths: Vec<(usize, &str)> = l
        .suspects
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.path.as_deref().map(|p| (i, p)))
        .collect();
    if paths.len() < 2 {
        return;
    }
    let a = target.a;
    let k = groups.example.len();
    // Suspect index of each group (NONE: no suspect).
    let mut suspect_of = vec![NONE; k];
    let mut found = 0;
    for (gr, slot) in suspect_of.iter_mut().enumerate() {
        let text = groups.signature_text(a, groups.example[gr]);
        if let Some(&(i, _)) = paths.iter().find(|p| p.1 == text) {
            *slot = i as u32;
            found += 1;
            if found == paths.len() {
                break;
            }
        }
    }
    let of = |v: u32| match groups.group_of[v as usize] {
        NONE => NONE,
        gr => suspect_of[gr as usize],
    };
    let n = a.graph.node_count();
    let ns = l.suspects.len();
    // The outermost suspect strictly above each node in the dominator tree.
    let mut above = vec![NONE; n];
    // Per suspect: its objects, and per outer suspect how many of them it holds (sparse).
    let mut members = vec![0u64; ns];
    let mut inside: FxHashMap<(u32, u32), u64> = FxHashMap::default();
    for v in a.preorder() {
        let p = a.dom.idom[v as usize];
        if p != SUPER && p != UNREACHED {
            let sp = of(p);
            above[v as usize] = if above[p as usize] != NONE {
                above[p as usize]
            } else {
                sp
            };
        }
        let s = of(v);
        if s != NONE {
            members[s as usize] += 1;
            let o = above[v as usize];
            if o != NONE && o != s {
                *inside.entry((s, o)).or_default() += 1;
            }
        }
    }
    drop(above);
    // Each suspect's outer suspect: the outermost one above most of its objects (more than
    // half), if ranked before it (larger growth), so folding never goes round in a circle.
    let mut outer = vec![NONE; ns];
    let mut pairs: Vec<((u32, u32), u64)> = inside.into_iter().collect();
    pairs.sort_unstable();
    for ((s, o), c) in pairs {
        let (s, o) = (s as usize, o as usize);
        if o < s && 2 * c > members[s] {
            outer[s] = o as u32;
        }
    }
    let mut i = 0;
    l.suspects.retain(|_| {
        let keep = outer[i] == NONE;
        i += 1;
        keep
    });
}

/// Name the holder of each path suspect in TARGET: the analyze report's holder on the shortest
/// strong path from a GC root to the group's example object, or to the collection it is the
/// inside of (a `HashMap$Node` is held by its `HashMap`).
pub fn name_holders(l: &mut LikelyLeak, target: Dump, groups: &PathGroups) {
    if l.suspects.iter().all(|s| s.path.is_none()) {
        return;
    }
    let a = target.a;
    let no = NoInspector;
    let ctx = Ctx {
        a,
        info: target.info,
        insp: target.insp.unwrap_or(&no),
    };
    for gr in 0..groups.example.len() {
        let ex = groups.example[gr];
        let wanted = l
            .suspects
            .iter()
            .any(|s| s.holder.is_none() && s.path.is_some());
        if !wanted {
            break;
        }
        let text = groups.signature_text(a, ex);
        for s in l.suspects.iter_mut() {
            if s.holder.is_none() && s.path.as_deref() == Some(text.as_str()) {
                // Held by the collection, not by its inside, as the analyze report names it.
                let steps = up_to_collection(&ctx, named_path(&ctx, a.path_to(NodeIdx(ex))));
                let path = display_path(&ctx, &steps);
                let h = holder_of(&ctx, &path, &steps);
                s.holder = Some(crate::words::holder_text(&h, &path));
            }
        }
    }
}

/// Name the callers of each site suspect: in TARGET, the stack of the site whose flat bytes grew
/// most since BASE (the same stack has the same node id in both), outermost frame first.
pub fn name_callers(l: &mut LikelyLeak, base: &Analysis, target: &Analysis) {
    let (gb, gt) = (&base.graph, &target.graph);
    for s in l
        .suspects
        .iter_mut()
        .filter(|s| s.basis == SuspectBasis::Site)
    {
        let mut before: Vec<(u64, u64)> = (0..gb.node_count())
            .filter(|&v| gb.type_name(NodeIdx(v as u32)) == s.type_name)
            .map(|v| (gb.ids[v], gb.shallow[v]))
            .collect();
        before.sort_unstable();
        let best = (0..gt.node_count())
            .filter(|&v| gt.type_name(NodeIdx(v as u32)) == s.type_name)
            .map(|v| {
                let was = before
                    .binary_search_by_key(&gt.ids[v], |p| p.0)
                    .map(|i| before[i].1)
                    .unwrap_or(0);
                (gt.shallow[v] as i64 - was as i64, v)
            })
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        if let Some((_, v)) = best {
            s.callers = target
                .path_to(NodeIdx(v as u32))
                .iter()
                .map(|p| gt.type_name(p.node).to_string())
                .collect();
        }
    }
}
