//! Group findings: per type over the threshold, its instances no other instance of the type
//! dominates and no single finding covers, partitioned by the shape of their holder path; the
//! biggest partition over the threshold is one finding of several objects alike.

use std::collections::BTreeMap;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::walks::{top_members, NO_GROUP};
use heapscope_graph::{Analysis, NodeIdx, Start, TypeId, SUPER, UNREACHED};

use super::holder::{display_path, holder_of, named_path};
use super::objects::{analyse_at, finding, lift_to_collection, mark_ancestors, mark_subtree};
use super::Accumulation;
use super::{Finding, Group, Within};
use crate::build::Ctx;
use crate::model::HistRow;
use crate::patterns;

/// Instances of one type examined for a group suspect (largest first).
const GROUP_SAMPLE: usize = 10_000;
/// Steps at the end of a path that make an instance's holder "shape" for grouping.
const SHAPE_STEPS: usize = 4;

/// The types a group finding may be of, and per type its top-level instances outside the
/// single findings: the input of [`findings`].
pub(crate) struct Instances {
    /// Types over the threshold, in histogram order.
    targets: Vec<u32>,
    /// Per type id, its instances no other instance of the type dominates, in walk order.
    inst: Vec<Vec<u32>>,
}

/// [`Instances`] below the nodes not in `covered` (a covered node's subtree is skipped):
/// one walk of the dominator tree, none when no type is over the threshold `thr`.
pub(crate) fn instances(a: &Analysis, thr: u64, covered: &BitSet) -> Instances {
    let g = &a.graph;
    let targets: Vec<u32> = a
        .histogram
        .iter()
        .filter(|r| {
            r.retained >= thr
                && r.reachable_count >= 2
                && !patterns::is_runtime_type(g.types.get(r.type_id))
        })
        .map(|r| r.type_id)
        .collect();
    if targets.is_empty() {
        return Instances {
            targets,
            inst: Vec::new(),
        };
    }
    let nt = g.types.len();
    let mut is_target = vec![false; nt];
    for &t in &targets {
        is_target[t as usize] = true;
    }
    let type_of: &[u32] = &g.type_of;
    let mut inst: Vec<Vec<u32>> = vec![Vec::new(); nt];
    top_members(
        &a.children,
        Start::SuperRoot,
        nt,
        |v| {
            let t = type_of[v as usize];
            if is_target[t as usize] {
                t
            } else {
                NO_GROUP
            }
        },
        |v| covered.get(v as usize),
        |t, v| inst[t as usize].push(v),
    );
    Instances { targets, inst }
}

/// The group findings among `found`'s instances: `covered` and `above` hold what the single
/// findings cover (see `objects::findings`) and grow with each group accepted.
pub(crate) fn findings(
    ctx: &Ctx,
    thr: u64,
    found: Instances,
    covered: &mut BitSet,
    above: &mut BitSet,
) -> Vec<Finding> {
    let a = ctx.a;
    let g = &a.graph;
    let Instances { targets, mut inst } = found;
    let mut out = Vec::new();
    for &t in &targets {
        let mut v = std::mem::take(&mut inst[t as usize]);
        // Groups accepted before this one cover some instances, or sit below them.
        v.retain(|&x| !covered.get(x as usize) && !above.get(x as usize));
        let total: u64 = v.iter().map(|&x| a.retained[x as usize]).sum();
        if total < thr {
            continue;
        }
        // Largest first, ties by index; a type may have millions of instances: the shapes are
        // told apart on the largest `GROUP_SAMPLE`.
        let sample = super::largest_first(&a.retained, &v, GROUP_SAMPLE);
        // Partition by the shape of the holder path's last steps: the types on the BFS parent
        // chain (no edge labels: finding one scans the parent's edges, and a parent may be an
        // array of millions).
        let mut parts: BTreeMap<Vec<u32>, (u64, Vec<u32>)> = BTreeMap::new();
        for &x in &sample {
            let mut key: Vec<u32> = Vec::with_capacity(SHAPE_STEPS);
            let mut cur = x;
            while key.len() < SHAPE_STEPS {
                key.push(g.type_of[cur as usize]);
                match a.paths.parent(g, cur) {
                    p if p == SUPER || p == UNREACHED => break,
                    p => cur = p,
                }
            }
            let e = parts.entry(key).or_default();
            e.0 += a.retained[x as usize];
            e.1.push(x);
        }
        let Some((key, (bytes, members))) = parts
            .into_iter()
            .max_by(|x, y| x.1 .0.cmp(&y.1 .0).then(y.0.cmp(&x.0)))
        else {
            continue;
        };
        // The group is every instance of that shape, not only the sample's: thousands of
        // sessions alike, each small, are the leak even when the largest 10,000 are not.
        // The representative stays the sample's largest member of that shape.
        let rep = members[0];
        let (bytes, members) = if v.len() > sample.len() {
            let all = of_shape(a, &v, &key);
            (all.iter().map(|&x| a.retained[x as usize]).sum(), all)
        } else {
            (bytes, members)
        };
        if bytes < thr || members.len() < 2 {
            continue;
        }
        let point = Accumulation {
            raw: NodeIdx(rep),
            holder: NodeIdx(rep),
            chain: None,
        };
        let mut o = analyse_at(ctx, NodeIdx(rep), point);
        o.within = common_collection(ctx, &members).map(|c| {
            let steps = named_path(ctx, a.path_to(c));
            let path = display_path(ctx, &steps);
            let holder = holder_of(ctx, &path, &steps);
            Within {
                node: c,
                path,
                holder,
            }
        });
        // What accumulates is the group itself: its members, their count and bytes (one
        // member's own items would read as the group's).
        o.items = vec![HistRow {
            type_name: g.types.get(t).to_string(),
            count: members.len() as u64,
            shallow_bytes: members.iter().map(|&m| g.shallow[m as usize]).sum(),
            retained_bytes: bytes,
            cumulative_bytes: None,
            cumulative_count: None,
        }];
        for &m in &members {
            mark_subtree(ctx, NodeIdx(m), covered);
            mark_ancestors(ctx, NodeIdx(m), above);
        }
        o.group = Some(Group {
            members: members.len() as u64,
            type_id: TypeId(t),
        });
        out.push(finding(ctx, o, bytes));
    }
    out
}

/// The members of `v` whose holder path has the shape `key` (as the partition in [`findings`]
/// computes it: the types of a node and its BFS ancestors, at most [`SHAPE_STEPS`], shorter
/// where a root is reached), in `v`'s order. The ancestors are looked up a level at a time for
/// the members still matching ([`RootPaths::parents_of`]), so a type of millions of instances
/// costs a few sorted sweeps, not a binary search per instance and step.
///
/// [`RootPaths::parents_of`]: heapscope_graph::paths::RootPaths::parents_of
fn of_shape(a: &Analysis, v: &[u32], key: &[u32]) -> Vec<u32> {
    let g = &a.graph;
    let ty = |n: u32| g.type_of[n as usize];
    // (position in `v`, the ancestor reached so far)
    let mut alive: Vec<(u32, u32)> = v
        .iter()
        .enumerate()
        .filter(|&(_, &x)| key.first() == Some(&ty(x)))
        .map(|(i, &x)| (i as u32, x))
        .collect();
    // A full-length key ends with no condition on the next parent.
    for step in 1..=key.len().min(SHAPE_STEPS - 1) {
        let nodes: Vec<u32> = alive.iter().map(|&(_, n)| n).collect();
        let parents = a.paths.parents_of(g, &nodes);
        let ends = |p: u32| p == SUPER || p == UNREACHED;
        if step == key.len() {
            // A shorter key: the path reached a root here.
            alive = alive
                .into_iter()
                .zip(parents)
                .filter(|&(_, p)| ends(p))
                .map(|(x, _)| x)
                .collect();
        } else {
            alive = alive
                .into_iter()
                .zip(parents)
                .filter(|&(_, p)| !ends(p) && ty(p) == key[step])
                .map(|((i, _), p)| (i, p))
                .collect();
        }
    }
    alive.into_iter().map(|(i, _)| v[i as usize]).collect()
}

/// The one collection all `members` are in, if there is one: up their BFS parents a level at a
/// time (as far as the shape looks, [`SHAPE_STEPS`] − 1 levels), the first node every member's
/// path meets in, when it is a strong collection or a collection's inside (lifted to the
/// collection, as an accumulation point is: a Map's table to the Map, `HashMap$Node[]` to the
/// `HashMap`). A group spread over many collections (one per thread, per user) has none.
fn common_collection(ctx: &Ctx, members: &[u32]) -> Option<NodeIdx> {
    let a = ctx.a;
    let g = &a.graph;
    let mut nodes: Vec<u32> = members.to_vec();
    for _ in 1..SHAPE_STEPS {
        let mut parents = a.paths.parents_of(g, &nodes);
        if parents.iter().any(|&p| p == SUPER || p == UNREACHED) {
            return None;
        }
        parents.sort_unstable();
        parents.dedup();
        if let [p] = parents[..] {
            let c = lift_to_collection(ctx, NodeIdx(p));
            return patterns::is_strong_collection(g.type_name(c)).then_some(c);
        }
        nodes = parents;
    }
    None
}
