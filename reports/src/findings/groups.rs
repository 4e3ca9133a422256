//! Group findings: per type over the threshold, its instances no other instance of the type
//! dominates and no single finding covers, partitioned by the shape of their holder path; the
//! biggest partition over the threshold is one finding of several objects alike (the partition
//! is of a sample of the largest instances; when the sample's biggest falls short, the biggest
//! over all instances is tried). When no partition passes the threshold but the instances
//! together do, the type is one finding held in several ways ("spread"), with its largest ways
//! listed.

use std::collections::BTreeMap;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::dominators::prefetch;
use heapscope_graph::hash::FxHashMap;
use heapscope_graph::walks::{referrers_of_set, top_members_ahead, BfsParents, NO_GROUP};
use heapscope_graph::{Analysis, NodeIdx, Start, TypeId, SUPER, UNREACHED};

use super::holder::{display_path, holder_of, named_path_in, up_to_collection, Referrers};
use super::objects::{analyse_at, finding, lift_to_collection, mark_ancestors, mark_subtree};
use super::Accumulation;
use super::{Also, Finding, Group, Shape, Spread, Within};
use crate::build::Ctx;
use crate::model::HistRow;
use crate::patterns;

/// Instances of one type examined for a group suspect (largest first).
const GROUP_SAMPLE: usize = 10_000;
/// Members of a group in one collection whose other referrers are looked up ([`other_holder`]):
/// each lookup scans every edge once.
const OTHER_SAMPLE: usize = 4;
/// Referrers of one member whose paths are compared ([`other_holder`]).
const OTHER_REFERRERS: usize = 64;
/// Steps at the end of a path that make an instance's holder "shape" for grouping.
const SHAPE_STEPS: usize = 4;
/// The ways of holding a spread group that its finding lists (largest first).
const SPREAD_SHAPES: usize = 3;

/// The types a group finding may be of, and per type its top-level instances outside the
/// single findings: the input of [`findings`].
pub(crate) struct Instances {
    /// Types over the threshold, in histogram order.
    targets: Vec<u32>,
    /// Per type id, its instances no other instance of the type dominates, in walk order.
    inst: Vec<Vec<u32>>,
}

/// [`Instances`] outside the dominator subtrees of `tops` (sorted; the single findings'
/// candidates): one walk of the dominator tree, none when no type is over the threshold `thr`.
pub(crate) fn instances(a: &Analysis, thr: u64, tops: &[u32]) -> Instances {
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
    top_members_ahead(
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
        |v| tops.binary_search(&v).is_ok(),
        |t, v| inst[t as usize].push(v),
        |v| prefetch(type_of, v as usize),
    );
    Instances { targets, inst }
}

/// The group findings among `found`'s instances: `covered` and `above` hold what the single
/// findings cover (see `objects::findings`) and grow with each group accepted. Types held one
/// way come first, in histogram order; then the types held in several ways, largest first (what
/// is left of each once the groups before it are taken).
pub(crate) fn findings(
    ctx: &Ctx,
    thr: u64,
    found: Instances,
    covered: &mut BitSet,
    above: &mut BitSet,
    known: &Referrers,
) -> Vec<Finding> {
    let a = ctx.a;
    let Instances { targets, mut inst } = found;
    let mut out = Vec::new();
    let mut spread_types: Vec<u32> = Vec::new();
    for &t in &targets {
        let v = &mut inst[t as usize];
        let Some(total) = uncovered(a, v, covered, above).filter(|&b| b >= thr) else {
            continue;
        };
        let (sample, parts) = partition(a, v);
        let Some((key, part)) = parts.first() else {
            continue;
        };
        // The group is every instance of that shape, not only the sample's: thousands of
        // sessions alike, each small, are the leak even when the largest 10,000 are not.
        // The representative stays the sample's largest member of that shape.
        let rep = part.members[0];
        let outside: u64 = total - sample.iter().map(|&x| a.retained[x as usize]).sum::<u64>();
        // The BFS parents of all of `v`, once looked up: the first level of both searches.
        let mut first: Option<Vec<u32>> = None;
        let (bytes, members, up) = if v.len() == sample.len() {
            (part.bytes, part.members.clone(), part.up.clone())
        } else if part.bytes + outside < thr {
            // Not even every instance outside the sample would bring the shape to the
            // threshold: no need to find which have it.
            (part.bytes + outside, Vec::new(), Vec::new())
        } else {
            let parents = first.insert(BfsParents::new(&a.paths, &a.graph, &a.dom).of_all(v));
            let (all, up) = of_shape(a, v, parents, key);
            (all.iter().map(|&x| a.retained[x as usize]).sum(), all, up)
        };
        // The sample's largest way falls short, but the instances of other ways could pass
        // (a sample of 10,000 among 750,000 records held alike, its largest members held
        // another way): the largest way over all instances.
        let (rep, bytes, members, up) = if (bytes >= thr && members.len() >= 2)
            || v.len() == sample.len()
            || members.is_empty()
            || total - bytes < thr
        {
            (rep, bytes, members, up)
        } else {
            largest_way(a, v, first.as_deref(), thr)
        };
        if bytes >= thr && members.len() >= 2 {
            let c = common_collection_of(ctx, &up);
            out.push(accept(
                ctx, t, rep, members, bytes, None, c, covered, above, known,
            ));
        } else if parts.len() >= 2
            && !patterns::is_builtin_type(ctx.info.runtime, ctx.a.graph.types.get(t))
        {
            spread_types.push(t);
        }
    }
    // No one way of holding them passes the threshold, but together they do: the type is the
    // finding (as MAT's "N instances of T"), with its largest ways listed and the largest
    // member of the largest way as its representative.
    loop {
        let mut best: Option<(u64, u32)> = None;
        for &t in &spread_types {
            let v = &mut inst[t as usize];
            let total = uncovered(a, v, covered, above).unwrap_or(0);
            if total >= thr
                && v.len() >= patterns::MIN_COLLECTION_ENTRIES as usize
                && best.is_none_or(|(b, _)| total > b)
            {
                best = Some((total, t));
            }
        }
        let Some((total, t)) = best else {
            break;
        };
        spread_types.retain(|&x| x != t);
        let v = std::mem::take(&mut inst[t as usize]);
        let (rep, spread, up) = ways(a, &v);
        if spread.ways.len() < 2 {
            continue;
        }
        let c = common_collection_of(ctx, &up);
        out.push(accept(
            ctx,
            t,
            rep,
            v,
            total,
            Some(spread),
            c,
            covered,
            above,
            known,
        ));
    }
    out
}

/// How the instances `v` are held, over all of them: the largest [`SPREAD_SHAPES`] ways (by the
/// shape [`partition`] tells apart), and the largest instance of the largest way, with each
/// instance's [`Lineage`] ([`Shapes::of`]).
fn ways(a: &Analysis, v: &[u32]) -> (u32, Spread, Vec<Lineage>) {
    let s = Shapes::of(a, v, None, 0);
    let rep = s
        .order
        .first()
        .map_or(u32::MAX, |&(_, i)| s.per[i as usize].2);
    let ways = s
        .order
        .iter()
        .take(SPREAD_SHAPES)
        .map(|&(bytes, i)| Shape {
            types: s.key(i).into_iter().rev().map(TypeId).collect(),
            members: s.per[i as usize].0,
            bytes,
        })
        .collect();
    (rep, Spread { ways }, s.up)
}

/// The largest way of holding `v` over all of it ([`Shapes::of`]): its largest member, bytes,
/// members (in `v`'s order) and their lineages.
fn largest_way(
    a: &Analysis,
    v: &[u32],
    first: Option<&[u32]>,
    thr: u64,
) -> (u32, u64, Vec<u32>, Vec<Lineage>) {
    let s = Shapes::of(a, v, first, thr);
    let Some(&(bytes, i)) = s.order.first() else {
        return (Shapes::NONE, 0, Vec::new(), Vec::new());
    };
    let (members, up) = s.members(v, i);
    (s.per[i as usize].2, bytes, members, up)
}

/// The shape of every instance of `v` (as [`partition`] tells them apart, over all of `v`, not
/// a sample), and per shape its members, bytes and largest member.
struct Shapes {
    /// Shape i is shapes[i] = (its shape one step shorter or [`Shapes::NONE`], the type added).
    shapes: Vec<(u32, u32)>,
    /// Per instance of `v`, its shape; [`Shapes::NONE`] for an instance a floor dropped.
    shape: Vec<u32>,
    /// Per instance of `v`, its [`Lineage`] (a dropped instance's only as far as it was
    /// looked up: cut short like a path that ended).
    up: Vec<Lineage>,
    /// Per shape: members, bytes, its largest member (ties: the lower index).
    per: Vec<(u64, u64, u32)>,
    /// The shapes with members as (bytes, shape), largest first, ties by key. With a floor,
    /// every way that reaches it, and those below it whose members all went on to their end
    /// (the ones of a shorter path, say), each exactly as without a floor.
    order: Vec<(u64, u32)>,
}

impl Shapes {
    const NONE: u32 = u32::MAX;

    /// The shapes of `v` (instances of one type), grown a level at a time for the instances
    /// whose path goes on ([`BfsParents::of_all`]; the first level is `first` when the
    /// caller has it), each instance's shape so far interned as (shape one step shorter,
    /// type): 8 B per instance and 12 B per distinct shape, and each instance's [`Lineage`]
    /// (12 B).
    ///
    /// With a `floor`, only the ways that hold at least `floor` bytes are told apart: after
    /// each level, the instances whose shape so far holds less (among those whose path goes
    /// on) are dropped, in no shape, for no way that extends it can hold more. The ways that
    /// reach the floor come out as without one (members, bytes, largest member, lineages).
    /// javac's 1.6 M `List`s, none of whose ways reached the threshold: 0.44 s → 0.18 s.
    // Each level's parents are written into every instance's lineage at that level.
    #[allow(clippy::needless_range_loop)]
    fn of(a: &Analysis, v: &[u32], first: Option<&[u32]>, floor: u64) -> Shapes {
        const NONE: u32 = Shapes::NONE;
        let g = &a.graph;
        let mut shapes: Vec<(u32, u32)> = Vec::new();
        // Only looked up (the ids follow the interning order), so an unkeyed hasher: SipHash
        // was a tenth of the report stage on javac's dump (1.98 M instances, 3 levels).
        let mut ids: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        // The last pair interned: the instances of one holder come one after another.
        let mut last = ((NONE, NONE), NONE);
        let mut intern = |prev: u32, t: u32| {
            if last.0 != (prev, t) {
                let id = *ids.entry((prev, t)).or_insert_with(|| {
                    shapes.push((prev, t));
                    shapes.len() as u32 - 1
                });
                last = ((prev, t), id);
            }
            last.1
        };
        debug_assert!(first.is_none_or(|f| f.len() == v.len()));
        // `v` is of one type: one shape so far.
        debug_assert!(v
            .iter()
            .all(|&x| g.type_of[x as usize] == g.type_of[v[0] as usize]));
        let mut shape: Vec<u32> = match v.first() {
            Some(&x) => vec![intern(NONE, g.type_of[x as usize]); v.len()],
            None => Vec::new(),
        };
        let mut up: Vec<Lineage> = vec![[UNREACHED; LEVELS]; v.len()];
        // (position in `v`, the ancestor reached so far)
        let mut alive: Vec<(u32, u32)> =
            v.iter().enumerate().map(|(i, &x)| (i as u32, x)).collect();
        let bfs = BfsParents::new(&a.paths, g, &a.dom);
        let type_of: &[u32] = &g.type_of;
        // Per shape id, the bytes of the instances whose path goes on past it (`floor` only).
        let mut going_on: Vec<u64> = Vec::new();
        for level in 0..LEVELS {
            let looked_up;
            let parents: &[u32] = match first {
                Some(p) if level == 0 => p,
                _ => {
                    looked_up = bfs.of_all(&alive.iter().map(|&(_, n)| n).collect::<Vec<u32>>());
                    &looked_up
                }
            };
            let mut next = Vec::with_capacity(alive.len());
            for (j, (&(i, _), &p)) in alive.iter().zip(parents).enumerate() {
                if let Some(&q) = parents.get(j + SHAPE_AHEAD) {
                    prefetch(type_of, q as usize);
                }
                up[i as usize][level] = p;
                if p != SUPER && p != UNREACHED {
                    shape[i as usize] = intern(shape[i as usize], type_of[p as usize]);
                    next.push((i, p));
                }
            }
            if floor > 0 && level + 1 < LEVELS {
                // A shape's instances are among those of each shorter shape it extends, so
                // the instances whose shape so far holds less than `floor` (counting only
                // those whose path goes on) are in no way that reaches it: not looked up
                // further, and in no way.
                going_on.clear();
                for (j, &(i, _)) in next.iter().enumerate() {
                    if let Some(&(k, _)) = next.get(j + SHAPE_AHEAD) {
                        prefetch(&a.retained, v[k as usize] as usize);
                    }
                    let s = shape[i as usize] as usize;
                    if s >= going_on.len() {
                        going_on.resize(s + 1, 0);
                    }
                    going_on[s] += a.retained[v[i as usize] as usize];
                }
                next.retain(|&(i, _)| {
                    let s = &mut shape[i as usize];
                    let keep = going_on[*s as usize] >= floor;
                    if !keep {
                        *s = NONE;
                    }
                    keep
                });
            }
            alive = next;
        }
        let mut per: Vec<(u64, u64, u32)> = vec![(0, 0, NONE); shapes.len()];
        for (i, &x) in v.iter().enumerate() {
            let Some(e) = per.get_mut(shape[i] as usize) else {
                continue;
            };
            e.0 += 1;
            e.1 += a.retained[x as usize];
            let r = a.retained[x as usize];
            if e.2 == NONE
                || (r, std::cmp::Reverse(x)) > (a.retained[e.2 as usize], std::cmp::Reverse(e.2))
            {
                e.2 = x;
            }
        }
        let mut s = Shapes {
            shapes,
            shape,
            up,
            per,
            order: Vec::new(),
        };
        let mut order: Vec<(u64, Vec<u32>, u32)> = s
            .per
            .iter()
            .enumerate()
            .filter(|(_, e)| e.0 > 0)
            .map(|(i, e)| (e.1, s.key(i as u32), i as u32))
            .collect();
        order.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        s.order = order.into_iter().map(|(b, _, i)| (b, i)).collect();
        s
    }

    /// Shape `i`'s types, the member's type first (as [`partition`]'s keys).
    fn key(&self, mut i: u32) -> Vec<u32> {
        let mut k = Vec::with_capacity(SHAPE_STEPS);
        while i != Self::NONE {
            k.push(self.shapes[i as usize].1);
            i = self.shapes[i as usize].0;
        }
        k.reverse();
        k
    }

    /// The members of `v` (this was made of) of shape `i`, in `v`'s order, with their lineages.
    fn members(&self, v: &[u32], i: u32) -> (Vec<u32>, Vec<Lineage>) {
        v.iter()
            .zip(&self.shape)
            .zip(&self.up)
            .filter(|((_, &s), _)| s == i)
            .map(|((&x, _), up)| (x, *up))
            .unzip()
    }
}

/// Drops from `v` the instances a finding taken before covers, or that sit above one; the
/// retained bytes of those left, none when none is.
fn uncovered(a: &Analysis, v: &mut Vec<u32>, covered: &BitSet, above: &BitSet) -> Option<u64> {
    v.retain(|&x| !covered.get(x as usize) && !above.get(x as usize));
    (!v.is_empty()).then(|| v.iter().map(|&x| a.retained[x as usize]).sum())
}

/// How many instances ahead the shapes' sweeps ask for a parent's type.
const SHAPE_AHEAD: usize = 16;

/// Levels of BFS ancestors above an instance that its shape looks at.
const LEVELS: usize = SHAPE_STEPS - 1;

/// An instance's BFS ancestors as far as its shape looks, nearest first: [`SUPER`] or
/// [`UNREACHED`] where its path from a root starts, and [`UNREACHED`] above that.
type Lineage = [u32; LEVELS];

/// The instances of a sample held one way ([`partition`]).
#[derive(Clone, Debug, Default)]
struct Part {
    /// Their retained bytes.
    bytes: u64,
    members: Vec<u32>,
    /// Each member's [`Lineage`].
    up: Vec<Lineage>,
}

/// The largest `GROUP_SAMPLE` of `v` (largest first, ties by index: a type may have millions of
/// instances), partitioned by the shape of their holder path's last steps: the types on the BFS
/// parent chain (no edge labels: finding one scans the parent's edges, and a parent may be an
/// array of millions). The parts are largest first, ties by shape.
fn partition(a: &Analysis, v: &[u32]) -> (Vec<u32>, Vec<(Vec<u32>, Part)>) {
    let g = &a.graph;
    let sample = super::largest_first(&a.retained, v, GROUP_SAMPLE);
    let parents = BfsParents::new(&a.paths, g, &a.dom);
    let mut parts: BTreeMap<Vec<u32>, Part> = BTreeMap::new();
    for &x in &sample {
        let mut key: Vec<u32> = Vec::with_capacity(SHAPE_STEPS);
        let mut up = [UNREACHED; LEVELS];
        let mut cur = x;
        loop {
            key.push(g.type_of[cur as usize]);
            if key.len() == SHAPE_STEPS {
                break;
            }
            let p = parents.of(cur);
            up[key.len() - 1] = p;
            if p == SUPER || p == UNREACHED {
                break;
            }
            cur = p;
        }
        let e = parts.entry(key).or_default();
        e.bytes += a.retained[x as usize];
        e.members.push(x);
        e.up.push(up);
    }
    let mut parts: Vec<(Vec<u32>, Part)> = parts.into_iter().collect();
    parts.sort_by(|x, y| y.1.bytes.cmp(&x.1.bytes).then(x.0.cmp(&y.0)));
    (sample, parts)
}

/// The finding of the group `members` of type `t` (`bytes` retained together), represented by
/// `rep`, all in `collection` if one holds them ([`common_collection`]); its members' subtrees
/// join `covered`, their ancestors `above`.
#[allow(clippy::too_many_arguments)]
fn accept(
    ctx: &Ctx,
    t: u32,
    rep: u32,
    members: Vec<u32>,
    bytes: u64,
    spread: Option<Spread>,
    collection: Option<NodeIdx>,
    covered: &mut BitSet,
    above: &mut BitSet,
    known: &Referrers,
) -> Finding {
    let a = ctx.a;
    let g = &a.graph;
    let mut o = analyse_at(ctx, NodeIdx(rep), Accumulation::member(NodeIdx(rep)), known);
    o.spread = spread;
    // The members' marks (a walk of each one's subtree, and of its dominator chain: two sets,
    // marked side by side) beside the look-up of the collection's path and other holders,
    // which reads neither mark set.
    let (within, ((), ())) = rayon::join(
        || within_at(ctx, &members, collection, known),
        || {
            rayon::join(
                || {
                    let mut stack = Vec::new();
                    for &m in &members {
                        mark_subtree(ctx, NodeIdx(m), covered, &mut stack);
                    }
                },
                || {
                    for &m in &members {
                        mark_ancestors(ctx, NodeIdx(m), above);
                    }
                },
            )
        },
    );
    o.within = within;
    // What accumulates is the group itself: its members, their count and bytes (one member's
    // own items would read as the group's).
    o.items = vec![HistRow {
        type_name: g.types.get(t).to_string(),
        count: members.len() as u64,
        shallow_bytes: members.iter().map(|&m| g.shallow[m as usize]).sum(),
        retained_bytes: bytes,
        cumulative_bytes: None,
        cumulative_count: None,
    }];
    o.group = Some(Group {
        members: members.len() as u64,
        type_id: TypeId(t),
    });
    finding(ctx, o, bytes)
}

/// The members of `v` whose holder path has the shape `key` (as the partition in [`findings`]
/// computes it: the types of a node and its BFS ancestors, at most [`SHAPE_STEPS`], shorter
/// where a root is reached), in `v`'s order, with their [`Lineage`]s. `v` holds instances of
/// one type, as a type's instances do (none has the shape unless it is `key`'s first type);
/// `first` holds their BFS parents, looked up by the caller (who may need them again for
/// [`largest_way`]). The further ancestors are looked up a level at a time for the members
/// still matching ([`BfsParents::of_all`]), so a type of millions of instances costs a few
/// sweeps, not a search per instance and step: 16 B per instance still matching after the
/// first level.
///
/// Each instance's shape is its own, so from [`SHAPE_PART`] instances on `v` is cut in halves
/// looked up on two threads (recursively, down to parts of that size), their answers joined
/// in order: the same answer as one sweep.
fn of_shape(a: &Analysis, v: &[u32], first: &[u32], key: &[u32]) -> (Vec<u32>, Vec<Lineage>) {
    debug_assert_eq!(first.len(), v.len());
    of_shape_in_parts(a, v, first, key, SHAPE_PART)
}

/// Instances of one part of [`of_shape`]'s split (on the 1 GB Node 20 snapshot of benches/,
/// 650,000 instances of one type took 0.09 s on one thread, at load ~8).
const SHAPE_PART: usize = 1 << 16;

/// [`of_shape`] with `v` split into parts of at least `part` instances.
fn of_shape_in_parts(
    a: &Analysis,
    v: &[u32],
    first: &[u32],
    key: &[u32],
    part: usize,
) -> (Vec<u32>, Vec<Lineage>) {
    if v.first().map(|&x| a.graph.type_of[x as usize]) != key.first().copied() {
        return (Vec::new(), Vec::new());
    }
    if v.len() < 2 * part.max(1) {
        return of_shape_sweep(a, v, first, key);
    }
    let (lo, hi) = v.split_at(v.len() / 2);
    let (first_lo, first_hi) = first.split_at(v.len() / 2);
    let ((mut members, mut up), (more, more_up)) = rayon::join(
        || of_shape_in_parts(a, lo, first_lo, key, part),
        || of_shape_in_parts(a, hi, first_hi, key, part),
    );
    members.extend(more);
    up.extend(more_up);
    (members, up)
}

/// [`of_shape`] of `v` (whose first instance has `key`'s first type) in one sweep per level.
fn of_shape_sweep(a: &Analysis, v: &[u32], first: &[u32], key: &[u32]) -> (Vec<u32>, Vec<Lineage>) {
    let g = &a.graph;
    let type_of: &[u32] = &g.type_of;
    let bfs = BfsParents::new(&a.paths, g, &a.dom);
    let ends = |p: u32| p == SUPER || p == UNREACHED;
    // A full-length key ends with no condition on the next parent.
    let levels = key.len().min(LEVELS);
    // (position in `v`, the ancestors looked up so far)
    let mut alive: Vec<(u32, Lineage)> = Vec::new();
    for level in 0..levels {
        let looked_up;
        let parents: &[u32] = if level == 0 {
            first
        } else {
            let nodes: Vec<u32> = alive.iter().map(|(_, up)| up[level - 1]).collect();
            looked_up = bfs.of_all(&nodes);
            &looked_up
        };
        // A shorter key: the path reached a root here.
        let last = level + 1 == key.len();
        let mut next = Vec::new();
        for (j, &p) in parents.iter().enumerate() {
            if !last {
                if let Some(&q) = parents.get(j + SHAPE_AHEAD) {
                    prefetch(type_of, q as usize);
                }
            }
            let keep = if last {
                ends(p)
            } else {
                !ends(p) && type_of[p as usize] == key[level + 1]
            };
            if keep {
                let (i, mut up) = if level == 0 {
                    (j as u32, [UNREACHED; LEVELS])
                } else {
                    alive[j]
                };
                up[level] = p;
                next.push((i, up));
            }
        }
        alive = next;
    }
    alive.into_iter().map(|(i, up)| (v[i as usize], up)).unzip()
}

/// The one collection all `members` are in ([`common_collection`]), with its path and holder.
pub(crate) fn within_collection(ctx: &Ctx, members: &[u32], known: &Referrers) -> Option<Within> {
    within_at(ctx, members, common_collection(ctx, members), known)
}

/// [`within_collection`] of `members` all in `collection`, found already.
fn within_at(
    ctx: &Ctx,
    members: &[u32],
    collection: Option<NodeIdx>,
    known: &Referrers,
) -> Option<Within> {
    collection.map(|c| {
        let steps = named_path_in(ctx, ctx.a.path_to(c), known);
        let path = display_path(ctx, &steps);
        let holder = holder_of(ctx, &path, &steps);
        Within {
            node: c,
            path,
            holder,
            also: other_holder(ctx, members, c, known),
        }
    })
}

/// What else holds the group `members` that are all in collection `c`. For the first
/// [`OTHER_SAMPLE`] members, their chain below `c` (the member and its BFS ancestors up to the
/// collection's inside: a byte[] → its Session → the map's entry) is looked up in one scan of
/// the edges ([`referrers_of_set`]); a strong referrer of a chain node other than its BFS parent,
/// whose shortest path from a GC root passes neither through `c` nor through the chain (a
/// reference back from the member's own subtree, or another route into the same collection, is
/// no other holder), is another holder; the shortest such path (then the lowest index), up to the
/// collection it ends in, names it.
/// `None` when no sampled member has one.
fn other_holder(ctx: &Ctx, members: &[u32], c: NodeIdx, known: &Referrers) -> Option<Also> {
    let a = ctx.a;
    let g = &a.graph;
    let sample = &members[..members.len().min(OTHER_SAMPLE)];
    // Each member's chain: (node, its BFS parent), the member first.
    let mut chains: Vec<Vec<(u32, u32)>> = Vec::with_capacity(sample.len());
    for &m in sample {
        let mut chain = Vec::new();
        let mut x = m;
        for _ in 0..SHAPE_STEPS {
            let p = BfsParents::new(&a.paths, g, &a.dom).of(x);
            chain.push((x, p));
            if p == SUPER || p == UNREACHED || lift_to_collection(ctx, NodeIdx(p)) == c {
                break;
            }
            x = p;
        }
        chains.push(chain);
    }
    let set: Vec<NodeIdx> = chains.iter().flatten().map(|&(x, _)| NodeIdx(x)).collect();
    let hits = referrers_of_set(g, &set);
    let mut found: Option<(Also, NodeIdx)> = None;
    let mut every = true;
    for chain in &chains {
        let on_chain = |n: NodeIdx| chain.iter().any(|&(x, _)| x == n.0);
        let mut best: Option<(usize, NodeIdx, Vec<heapscope_graph::PathStep>)> = None;
        let candidates = hits.iter().filter(|&&(t, r, weak)| {
            !weak
                && chain.iter().any(|&(x, p)| x == t.0 && p != r.0)
                && !on_chain(r)
                && a.paths.is_reached(r)
        });
        for &(_, r, _) in candidates.take(OTHER_REFERRERS) {
            let steps = a.path_to(r);
            if steps.iter().any(|s| s.node == c || on_chain(s.node)) {
                continue;
            }
            if best.as_ref().is_none_or(|b| (steps.len(), r) < (b.0, b.1)) {
                best = Some((steps.len(), r, steps));
            }
        }
        let Some((_, r, steps)) = best else {
            every = false;
            continue;
        };
        let steps = up_to_collection(ctx, named_path_in(ctx, steps, known));
        let path = display_path(ctx, &steps);
        let holder = holder_of(ctx, &path, &steps);
        let anchor = steps.get(holder.at).map_or(r, |s| s.node);
        match &found {
            None => {
                found = Some((
                    Also {
                        path,
                        holder,
                        every_sampled: true,
                    },
                    anchor,
                ))
            }
            Some((_, first)) => every &= *first == anchor,
        }
    }
    found.map(|(mut also, _)| {
        also.every_sampled = every;
        also
    })
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
        let mut parents = BfsParents::new(&a.paths, g, &a.dom).of_all(&nodes);
        if parents.iter().any(|&p| p == SUPER || p == UNREACHED) {
            return None;
        }
        parents.sort_unstable();
        parents.dedup();
        if let [p] = parents[..] {
            return collection_at(ctx, p);
        }
        nodes = parents;
    }
    None
}

/// [`common_collection`] of members whose [`Lineage`]s are known: at each level, the one
/// ancestor all of them have there, if they have one (no look-up: what the shapes found).
fn common_collection_of(ctx: &Ctx, up: &[Lineage]) -> Option<NodeIdx> {
    let first = up.first()?;
    for level in 0..LEVELS {
        if up
            .iter()
            .any(|l| l[level] == SUPER || l[level] == UNREACHED)
        {
            return None;
        }
        if up.iter().all(|l| l[level] == first[level]) {
            return collection_at(ctx, first[level]);
        }
    }
    None
}

/// The collection a group's members all meet in at `p`, if it is one: `p` lifted from a
/// collection's inside to the collection, as an accumulation point is.
fn collection_at(ctx: &Ctx, p: u32) -> Option<NodeIdx> {
    let c = lift_to_collection(ctx, NodeIdx(p));
    (super::go::blocks_are_containers(ctx) || ctx.is_strong_collection(c)).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests::{analyse, Rng};
    use crate::findings::Subject;
    use heapscope_graph::{DumpFacts, GraphBuilder, NoInspector, NodeKind, Runtime};

    /// Items held in many ways: in arrays and maps (one or two each), below holders at random
    /// depths from the roots, some a root themselves or one step below one; the containers
    /// are shared now and then, so that the BFS parent is not always the dominator.
    fn heap(seed: u64, items: usize) -> Analysis {
        let mut r = Rng(seed | 1);
        let mut b = GraphBuilder::new();
        let names = ["Item", "Array", "Map", "Holder", "Other"];
        let ts: Vec<_> = names.iter().map(|n| b.intern_type(n)).collect();
        let mut edges: Vec<Vec<u32>> = Vec::new();
        let mut node = |b: &mut GraphBuilder, t: usize| {
            let n = b.add_node(
                0x1000 + 16 * edges.len() as u64,
                ts[t],
                NodeKind::Object,
                64,
            );
            edges.push(Vec::new());
            n.0
        };
        let mut roots = Vec::new();
        let mut containers = Vec::new();
        for _ in 0..1 + r.below(6) {
            let top = node(&mut b, 3);
            roots.push(top);
            let mut at = top;
            for _ in 0..r.below(4) {
                let x = node(&mut b, 3 + r.below(2) as usize);
                containers.push((at, x));
                at = x;
            }
            let c = node(&mut b, 1 + r.below(2) as usize);
            containers.push((at, c));
        }
        let mut all_items = Vec::new();
        for _ in 0..items {
            let it = node(&mut b, 0);
            all_items.push(it);
            match r.below(10) {
                0 => roots.push(it),
                1 => {
                    let h = node(&mut b, 3);
                    roots.push(h);
                    containers.push((h, it));
                }
                _ => {}
            }
        }
        let holders: Vec<u32> = containers.iter().map(|&(_, c)| c).collect();
        let mut links: Vec<(u32, u32)> = containers.clone();
        for &it in &all_items {
            for _ in 0..1 + r.below(2) {
                let c = holders[r.below(holders.len() as u64) as usize];
                links.push((c, it));
            }
            if r.below(4) == 0 {
                let o = all_items[r.below(all_items.len() as u64) as usize];
                if o != it {
                    links.push((it, o));
                }
            }
        }
        for &(from, to) in &links {
            edges[from as usize].push(to);
        }
        for &root in &roots {
            b.add_root_idx(NodeIdx(root), "static", None);
        }
        analyse(b, &edges)
    }

    /// A node's shape key and lineage, one ancestor at a time by `RootPaths::parent` (a search
    /// of the offsets), as the definition reads.
    fn naive_shape(a: &Analysis, x: u32) -> (Vec<u32>, Lineage) {
        let g = &a.graph;
        let (mut key, mut up, mut cur) = (vec![g.type_of[x as usize]], [UNREACHED; LEVELS], x);
        for slot in up.iter_mut() {
            let p = a.paths.parent(g, cur);
            *slot = p;
            if p == SUPER || p == UNREACHED {
                break;
            }
            key.push(g.type_of[p as usize]);
            cur = p;
        }
        (key, up)
    }

    /// The shapes of `partition`, `of_shape` and `ways` (members, their lineages) against the
    /// naive climb, and the common collection from the lineages against the one looked up a
    /// level at a time, for every shape and for sets of members that share a container.
    #[test]
    fn shapes_and_common_collections_equal_the_naive_climb() {
        let facts = DumpFacts::object_graph("test", Runtime::V8);
        let (mut compared, mut met, mut short) = (0, 0, 0);
        for seed in 0..60u64 {
            let a = heap(seed * 7919 + 3, 20 + (seed as usize % 7) * 40);
            let ctx = Ctx {
                a: &a,
                info: &facts,
                insp: &NoInspector,
            };
            let g = &a.graph;
            let item = g
                .types
                .iter()
                .find(|(_, n)| *n == "Item")
                .map(|(t, _)| t)
                .unwrap_or(0);
            let v: Vec<u32> = (0..g.node_count() as u32)
                .filter(|&x| g.type_of[x as usize] == item && a.dom.is_reachable(x))
                .collect();
            let naive: Vec<(Vec<u32>, Lineage)> = v.iter().map(|&x| naive_shape(&a, x)).collect();
            let (_, parts) = partition(&a, &v);
            for (key, part) in &parts {
                for (m, up) in part.members.iter().zip(&part.up) {
                    let i = v.iter().position(|x| x == m).unwrap_or(usize::MAX);
                    assert_eq!((key, up), (&naive[i].0, &naive[i].1), "seed {seed}, {m}");
                }
                let want: Vec<u32> = v
                    .iter()
                    .zip(&naive)
                    .filter(|(_, (k, _))| k == key)
                    .map(|(&x, _)| x)
                    .collect();
                let first = BfsParents::new(&a.paths, g, &a.dom).of_all(&v);
                let (got, up) = of_shape(&a, &v, &first, key);
                assert_eq!(got, want, "seed {seed}, key {key:?}");
                // Split into parts of 1 to 8 instances on two threads: the same answer.
                let parts = of_shape_in_parts(&a, &v, &first, key, 1 + seed as usize % 8);
                assert_eq!(
                    (&parts.0, &parts.1),
                    (&got, &up),
                    "seed {seed}, key {key:?}"
                );
                short += usize::from(key.len() < SHAPE_STEPS);
                let want_up: Vec<Lineage> = got.iter().map(|&x| naive_shape(&a, x).1).collect();
                assert_eq!(up, want_up, "seed {seed}, key {key:?}");
                assert_eq!(
                    common_collection_of(&ctx, &up),
                    common_collection(&ctx, &got),
                    "seed {seed}, key {key:?}"
                );
                compared += 1;
            }
            // Every way of `Shapes::of` (its key, members, bytes) is the naive climb's.
            let mut by_key: BTreeMap<Vec<u32>, (Vec<u32>, u64)> = BTreeMap::new();
            for (&x, (key, _)) in v.iter().zip(&naive) {
                let e = by_key.entry(key.clone()).or_default();
                e.0.push(x);
                e.1 += a.retained[x as usize];
            }
            let s = Shapes::of(&a, &v, None, 0);
            let got: BTreeMap<Vec<u32>, (Vec<u32>, u64)> = s
                .order
                .iter()
                .map(|&(b, i)| (s.key(i), (s.members(&v, i).0, b)))
                .collect();
            assert_eq!(got, by_key, "seed {seed}");
            assert!(s.order.iter().all(|&(b, i)| s.per[i as usize].1 == b));
            let (_, _, up) = ways(&a, &v);
            let want_up: Vec<Lineage> = naive.iter().map(|n| n.1).collect();
            assert_eq!(up, want_up, "seed {seed}");
            assert_eq!(common_collection_of(&ctx, &up), common_collection(&ctx, &v));
            // The members of each parent: they meet in it (or in its collection).
            let mut by_parent: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (i, n) in naive.iter().enumerate() {
                by_parent.entry(n.1[0]).or_default().push(i);
            }
            for is in by_parent.values() {
                let members: Vec<u32> = is.iter().map(|&i| v[i]).collect();
                let up: Vec<Lineage> = is.iter().map(|&i| naive[i].1).collect();
                let got = common_collection_of(&ctx, &up);
                assert_eq!(got, common_collection(&ctx, &members), "seed {seed}");
                met += usize::from(got.is_some());
            }
        }
        // Shorter shapes (near a root) and members meeting in a collection were both met.
        assert!(
            compared > 100 && short > 10 && met > 10,
            "{compared}, {short}, {met}"
        );
    }

    /// With a floor, the ways that reach it come out of [`Shapes::of`] as without one (their
    /// members, bytes, largest member and lineages), and [`largest_way`] finds the largest way
    /// when it reaches the threshold (with the first level given or not); below, nothing that
    /// reaches it. Thresholds at, just over and between the ways' bytes.
    #[test]
    fn a_floor_keeps_the_ways_that_reach_it() {
        let (mut kept, mut dropped) = (0, 0);
        for seed in 0..60u64 {
            let a = heap(seed * 104_729 + 11, 30 + (seed as usize % 5) * 60);
            let g = &a.graph;
            let item = g
                .types
                .iter()
                .find(|(_, n)| *n == "Item")
                .map_or(0, |(t, _)| t);
            let v: Vec<u32> = (0..g.node_count() as u32)
                .filter(|&x| g.type_of[x as usize] == item && a.dom.is_reachable(x))
                .collect();
            let first = BfsParents::new(&a.paths, g, &a.dom).of_all(&v);
            let all = Shapes::of(&a, &v, None, 0);
            let mut floors: Vec<u64> = all.order.iter().map(|&(b, _)| b).collect();
            floors.extend(all.order.iter().map(|&(b, _)| b + 1));
            floors.extend(all.order.windows(2).map(|w| (w[0].0 + w[1].0) / 2));
            for &floor in &floors {
                let some = Shapes::of(&a, &v, Some(&first), floor);
                for &(bytes, i) in &all.order {
                    let key = all.key(i);
                    let found = some.order.iter().find(|&&(_, j)| some.key(j) == key);
                    if bytes >= floor {
                        let Some(&(b, j)) = found else {
                            panic!("seed {seed}, floor {floor}: way {key:?} lost");
                        };
                        assert_eq!(b, bytes, "seed {seed}, floor {floor}");
                        assert_eq!(some.per[j as usize], all.per[i as usize], "seed {seed}");
                        assert_eq!(some.members(&v, j), all.members(&v, i), "seed {seed}");
                        kept += 1;
                    } else if found.is_none() {
                        dropped += 1;
                    }
                }
                // And nothing else: every way found with a floor is one without, exactly.
                assert!(
                    some.order
                        .iter()
                        .all(|&(b, j)| all.order.iter().any(|&(c, i)| c == b
                            && all.key(i) == some.key(j)
                            && all.per[i as usize] == some.per[j as usize])),
                    "seed {seed}, floor {floor}"
                );
                for given in [None, Some(&first[..])] {
                    let (rep, bytes, members, up) = largest_way(&a, &v, given, floor);
                    match all.order.first() {
                        Some(&(b, i)) if b >= floor => {
                            let (m, u) = all.members(&v, i);
                            assert_eq!((rep, bytes), (all.per[i as usize].2, b), "seed {seed}");
                            assert_eq!((members, up), (m, u), "seed {seed}, floor {floor}");
                        }
                        _ => assert!(bytes < floor, "seed {seed}, floor {floor}"),
                    }
                }
            }
        }
        // Ways both kept and dropped by a floor were met.
        assert!(kept > 200 && dropped > 200, "{kept}, {dropped}");
    }

    /// Synthetic, the shape of `make-node.js OUT json 750000` on Node 22 (issue #17): records
    /// (`Object`, V8) all in one Array and one Map, the largest [`GROUP_SAMPLE`] and a few more
    /// also in a lookup object nearer a root, so their BFS path goes through it. The sample's
    /// largest way (the lookup) is under the threshold; the records held by the Array pass it.
    /// The group found is the largest way over all instances, as the naive climb groups them,
    /// in the Array; before, nothing was (no way of the sample passed, and V8's `Object` may not
    /// be a spread finding).
    #[test]
    fn the_largest_way_is_found_when_the_samples_largest_falls_short() {
        let (looked_up, in_doc) = (GROUP_SAMPLE + 500, 3 * GROUP_SAMPLE);
        let mut b = GraphBuilder::new();
        let [obj, arr, map, hold] = ["Object", "Array", "Map", "Holder"].map(|n| b.intern_type(n));
        let mut edges: Vec<Vec<u32>> = Vec::new();
        let mut node = |b: &mut GraphBuilder, t, size| {
            let n = b.add_node(0x1000 + 16 * edges.len() as u64, t, NodeKind::Object, size);
            edges.push(Vec::new());
            n.0
        };
        let holder = node(&mut b, hold, 32);
        let doc = node(&mut b, arr, 32);
        let index = node(&mut b, map, 32);
        let lookup = node(&mut b, obj, 32);
        let records: Vec<u32> = (0..looked_up + in_doc)
            .map(|i| node(&mut b, obj, if i < looked_up { 200 } else { 100 }))
            .collect();
        edges[holder as usize] = vec![doc, index];
        edges[doc as usize] = records.clone();
        edges[index as usize] = records.clone();
        edges[lookup as usize] = records[..looked_up].to_vec();
        b.add_root_idx(NodeIdx(holder), "global", None);
        b.add_root_idx(NodeIdx(lookup), "stack", None);
        let a = analyse(b, &edges);
        let facts = DumpFacts::object_graph("test", Runtime::V8);
        let ctx = Ctx {
            a: &a,
            info: &facts,
            insp: &NoInspector,
        };
        // Between the doc-held records' bytes and the looked-up ones'.
        let thr = 250 * in_doc as u64 / 3;
        assert!(200 * (looked_up as u64) < thr && 100 * (in_doc as u64) >= thr);
        // The oracle: every record's shape by the naive climb, the largest by bytes.
        let mut by_key: BTreeMap<Vec<u32>, (u64, Vec<u32>)> = BTreeMap::new();
        for &x in &records {
            let e = by_key.entry(naive_shape(&a, x).0).or_default();
            e.0 += a.retained[x as usize];
            e.1.push(x);
        }
        let (want_bytes, want) = by_key
            .values()
            .max_by_key(|e| e.0)
            .cloned()
            .unwrap_or_default();
        assert_eq!(want.len(), in_doc);
        let found = instances(&a, thr, &[]);
        let n = a.graph.node_count();
        let (mut covered, mut above) = (BitSet::new(n), BitSet::new(n));
        let out = findings(
            &ctx,
            thr,
            found,
            &mut covered,
            &mut above,
            &Referrers::default(),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bytes, want_bytes);
        let Subject::Objects(o) = &out[0].subject else {
            panic!("not an objects finding");
        };
        let group = o.group.as_ref().map(|g| (g.members, g.type_id));
        assert_eq!(group, Some((want.len() as u64, TypeId(obj.0))));
        assert_eq!(o.within.as_ref().map(|w| w.node), Some(NodeIdx(doc)));
        assert!(want.iter().all(|&x| covered.get(x as usize)));
        assert!(!covered.get(records[0] as usize));
    }
}
