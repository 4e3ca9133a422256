//! `heapscope trend S1 S2 S3 …`: per type / allocation site (and, for object heaps, per
//! path-to-root signature) the series over three or more dumps, its slope, fit and growth shape;
//! when the heap would reach a limit; memlab's method for V8; the verdicts.
//!
//! Time axis: the dumps' own timestamps (HPROF header, pprof `time_nanos`) when every input has
//! one and they differ; else the `--at` times; else the inputs' order at equal spacing (one
//! step each). File modification times are never used: every copy changes them.

use std::collections::{BTreeMap, HashMap, HashSet};

use heapscope_graph::walks::{DomWalk, Step, NO_GROUP};
use heapscope_graph::{top_members, Analysis, NodeIdx, Start};

use super::diff::total_stat;
use super::groups::{Dump, DumpSummary, PathGroups, Rows};
use super::model::*;
use super::shape::{classify, noise_bytes, round3, round6};
use super::units::format_rfc3339;
use super::verdict::{trend_verdicts, withheld_note};
use crate::build::generator;

/// Trend settings.
#[derive(Clone, Debug, Default)]
pub struct TrendOptions {
    /// One time per input (ms since the epoch), from `--at`.
    pub at: Option<Vec<i64>>,
    /// The memory limit to project against, bytes.
    pub limit_bytes: Option<u64>,
    /// Most type rows and most path rows kept (0 = all); growers are kept first.
    pub rows: usize,
}

const MS_PER_HOUR: f64 = 3_600_000.0;

/// The time axis, and the input order it implies (indices into the inputs).
fn time_axis(
    summaries: &[DumpSummary],
    at: Option<&[i64]>,
    warnings: &mut Vec<String>,
) -> (TimeAxis, Vec<usize>, Option<Vec<i64>>) {
    let n = summaries.len();
    let from_dumps: Option<Vec<i64>> = summaries.iter().map(|s| s.timestamp_ms).collect();
    let distinct = |t: &[i64]| t.iter().collect::<HashSet<_>>().len() == t.len();
    let (source, times, note) = match (from_dumps, at) {
        (Some(t), given) if distinct(&t) => {
            if given.is_some() {
                warnings.push("--at was ignored: every dump records when it was taken".into());
            }
            (
                AxisSource::Dump,
                Some(t),
                "times are the timestamps recorded in the dumps (each input's `timestamp`)"
                    .to_string(),
            )
        }
        (dump_times, Some(t)) if t.len() == n && distinct(t) => {
            if dump_times.is_some() {
                warnings.push(
                    "the dumps' own timestamps are not distinct; the --at times are used".into(),
                );
            }
            (
                AxisSource::At,
                Some(t.to_vec()),
                "times were given with --at".to_string(),
            )
        }
        (dump_times, given) => {
            if given.is_some() {
                warnings.push(
                    "--at needs one distinct time per input; the inputs' order is used".into(),
                );
            }
            let partial = summaries
                .iter()
                .filter(|s| s.timestamp_ms.is_some())
                .count();
            if dump_times.is_some() {
                warnings.push(
                    "the dumps' timestamps are not distinct; the inputs' order is used".into(),
                );
            } else if partial > 0 {
                warnings.push(format!("only {partial} of {n} dumps record when they were taken; the inputs' order is used"));
            }
            (
                AxisSource::Steps,
                None,
                "the dumps record no usable time and none was given with --at: the inputs are taken in the order given, \
                 one step apart (file modification times are not used, since copying a file changes them)"
                    .to_string(),
            )
        }
    };
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(t) = &times {
        order.sort_by_key(|&i| (t[i], i));
        if order.iter().enumerate().any(|(k, &i)| k != i) {
            warnings.push("the inputs were not in time order; they are listed oldest first".into());
        }
    }
    let (unit, points) = match &times {
        Some(t) => {
            let t0 = t[order[0]];
            (
                AxisUnit::Hour,
                order
                    .iter()
                    .map(|&i| round6((t[i] - t0) as f64 / MS_PER_HOUR))
                    .collect(),
            )
        }
        None => (AxisUnit::Step, (0..n).map(|i| i as f64).collect()),
    };
    let sorted_times = times.map(|t| order.iter().map(|&i| t[i]).collect());
    (
        TimeAxis {
            source,
            unit,
            points,
            note,
        },
        order,
        sorted_times,
    )
}

/// Exact axis positions (the rounded ones are for display).
fn exact_points(times: &Option<Vec<i64>>, n: usize) -> Vec<f64> {
    match times {
        Some(t) => t.iter().map(|&x| (x - t[0]) as f64 / MS_PER_HOUR).collect(),
        None => (0..n).map(|i| i as f64).collect(),
    }
}

fn row_for(
    type_name: String,
    path: Option<String>,
    series: Vec<Stat>,
    x: &[f64],
    mean_heap: f64,
    retained: bool,
) -> (Shape, TrendRow) {
    let y: Vec<f64> = series
        .iter()
        .map(|s| {
            if retained {
                s.retained_bytes as f64
            } else {
                s.shallow_bytes as f64
            }
        })
        .collect();
    let (shape, fit) = classify(x, &y, noise_bytes(&y, mean_heap));
    let metric = if retained {
        Metric::RetainedBytes
    } else {
        Metric::ShallowBytes
    };
    (
        shape,
        TrendRow {
            rank: 0,
            type_name,
            path,
            metric,
            series,
            fit,
            limit_reached: None,
        },
    )
}

/// The rows of every name in `ordered`'s summaries (`pick`: their type or path rows), ranked
/// ([`rank_order`]), the first `keep` of them (0 = all), and how many there were. The summaries'
/// rows are sorted by name, so they are merged in one pass, and a bounded heap keeps the best
/// `keep` candidates (their names are set once they are kept): the memory is that of `keep`
/// rows, not one row and one name per signature of every dump (143,701 on the Node service
/// trend: ~60 MiB). The same rows as ranking every row and cutting the list (the order is
/// total: names are unique).
fn ranked_rows(
    ordered: &[&DumpSummary],
    pick: impl Fn(&DumpSummary) -> &Rows,
    is_path: bool,
    x: &[f64],
    mean_heap: f64,
    keep: usize,
) -> (Vec<TrendRow>, usize) {
    let n = ordered.len();
    let rows: Vec<&Rows> = ordered.iter().map(|s| pick(s)).collect();
    let mut at = vec![0usize; n];
    let mut heap: std::collections::BinaryHeap<Candidate> = std::collections::BinaryHeap::new();
    let mut total = 0;
    // The least name not yet taken (each summary's rows are sorted by name).
    let least = |at: &[usize]| {
        (0..n)
            .filter(|&i| at[i] < rows[i].len())
            .map(|i| rows[i].name(at[i]))
            .min()
    };
    while let Some(key) = least(&at) {
        let mut series = vec![Stat::default(); n];
        for i in 0..n {
            if at[i] < rows[i].len() && rows[i].name(at[i]) == key {
                series[i] = rows[i].stat(at[i]);
                at[i] += 1;
            }
        }
        // A function that is never a leaf, or a group with no bytes at all, has no series.
        let has_bytes = series.iter().any(|s| {
            if is_path {
                s.retained_bytes > 0
            } else {
                s.shallow_bytes > 0
            }
        });
        if !has_bytes {
            continue;
        }
        total += 1;
        let (shape, row) = row_for(String::new(), None, series, x, mean_heap, is_path);
        heap.push(Candidate {
            shape,
            row,
            key: key.to_string(),
        });
        if keep > 0 && heap.len() > keep {
            heap.pop();
        }
    }
    let mut out: Vec<TrendRow> = heap
        .into_sorted_vec()
        .into_iter()
        .map(|c| {
            let mut r = c.row;
            if is_path {
                r.type_name = c
                    .key
                    .rsplit(super::groups::SIGNATURE_SEPARATOR)
                    .next()
                    .unwrap_or(&c.key)
                    .to_string();
                r.path = Some(c.key);
            } else {
                r.type_name = c.key;
            }
            r
        })
        .collect();
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    (out, total)
}

/// A trend row while ranked: its name (`key`, the path for path rows) apart.
struct Candidate {
    shape: Shape,
    row: TrendRow,
    key: String,
}

/// Rank: linear growers by slope, then levelling-off by growth, then shrinking by loss, then
/// stable by size; ties by name (the path of a path row, the type of a type row).
fn rank_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    let size = |r: &TrendRow| r.last();
    let (ra, rb) = (&a.row, &b.row);
    a.shape
        .cmp(&b.shape)
        .then_with(|| match a.shape {
            Shape::Linear => rb.fit.slope.total_cmp(&ra.fit.slope),
            Shape::LevellingOff => rb.fit.net_change.cmp(&ra.fit.net_change),
            Shape::Shrinking => ra.fit.net_change.cmp(&rb.fit.net_change),
            Shape::Stable => size(rb).cmp(&size(ra)),
        })
        .then_with(|| a.key.cmp(&b.key))
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        rank_order(self, other).is_eq()
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        rank_order(self, other)
    }
}

fn project(r: &mut TrendRow, limit: u64, last_heap: u64, unit_is_hour: bool, last_ms: Option<i64>) {
    let rate = match r.fit.shape {
        Shape::Linear => r.fit.slope,
        Shape::LevellingOff => r.fit.late_slope,
        _ => return,
    };
    if rate <= 0.0 {
        return;
    }
    let after = if limit <= last_heap {
        0.0
    } else {
        (limit - last_heap) as f64 / rate
    };
    let at = match (unit_is_hour, last_ms) {
        (true, Some(ms)) if after * MS_PER_HOUR < 1e15 => {
            Some(format_rfc3339(ms + (after * MS_PER_HOUR).round() as i64))
        }
        _ => None,
    };
    r.limit_reached = Some(Projection {
        after: round3(after),
        at,
    });
}

/// Build the trend from per-dump summaries (inputs in the order given) and, for V8, memlab's
/// clusters (see [`memlab`]).
pub fn build_trend(
    summaries: &[DumpSummary],
    memlab: Option<MemlabOut>,
    opts: &TrendOptions,
) -> TrendReport {
    let mut warnings = Vec::new();
    let (axis, order, times) = time_axis(summaries, opts.at.as_deref(), &mut warnings);
    let ordered: Vec<&DumpSummary> = order.iter().map(|&i| &summaries[i]).collect();
    let n = ordered.len();
    let x = exact_points(&times, n);
    // Dumps of different formats compare differently (their facts say how).
    let conventions: HashSet<_> = ordered.iter().map(|s| (s.comparison, s.row_key)).collect();
    if conventions.len() > 1 {
        warnings.push(
            "the inputs are of different formats; only names common to them can match".into(),
        );
    }
    for s in &ordered {
        warnings.extend(s.warnings.iter().map(|w| format!("{}: {w}", s.dump.path)));
    }
    let heaps: Vec<u64> = ordered.iter().map(|s| s.dump.reachable_bytes).collect();
    let mean_heap = heaps.iter().sum::<u64>() as f64 / n.max(1) as f64;
    let (_, mut total) = row_for(
        "(reachable heap)".into(),
        None,
        ordered.iter().map(|s| total_stat(&s.dump)).collect(),
        &x,
        mean_heap,
        true,
    );
    let (mut types, nt) = ranked_rows(&ordered, |s| &s.types, false, &x, mean_heap, opts.rows);
    let (mut paths, np) = ranked_rows(&ordered, |s| &s.paths, true, &x, mean_heap, opts.rows);
    if types.len() < nt || paths.len() < np {
        warnings.push(format!(
            "{} type rows and {} path rows are listed, of {nt} and {np} (--max-rows)",
            types.len(),
            paths.len()
        ));
    }
    let last_heap = heaps.last().copied().unwrap_or(0);
    let last_ms = times.as_ref().and_then(|t| t.last().copied());
    if let Some(limit) = opts.limit_bytes {
        let hour = axis.unit == AxisUnit::Hour;
        project(&mut total, limit, last_heap, hour, last_ms);
        for r in types.iter_mut().chain(paths.iter_mut()) {
            project(r, limit, last_heap, hour, last_ms);
        }
    }
    let inputs = ordered
        .iter()
        .enumerate()
        .map(|(i, s)| TrendInput {
            dump: s.dump.clone(),
            at: times.as_ref().map(|t| format_rfc3339(t[i])),
        })
        .collect();
    let mut report = TrendReport {
        kind: "trend".into(),
        schema_version: 1,
        generator: generator(),
        inputs,
        time_axis: axis,
        limit_bytes: opts.limit_bytes,
        total,
        types,
        paths,
        memlab,
        verdicts: Vec::new(),
        warnings,
    };
    report.verdicts = trend_verdicts(&report, &ordered);
    if let Some(note) = withheld_note(&report) {
        report.warnings.push(note);
    }
    report
}

/// memlab's method: the objects of `final_` whose id is in `target`'s ids but not in
/// `baseline`'s (allocated between baseline and target, still alive in final), clustered by
/// their retainer path in `final_`. Only the outermost such objects are counted (those no other
/// such object dominates), so each cluster's retained size counts every byte once.
///
/// Each cluster also names its main survivor type (`survivor_type`, `allocated`, `survived`):
/// of the types of the survivors inside it (outermost or below), the one whose objects allocated
/// between baseline and target survive to final in the largest share — at least
/// [`super::verdict::SURVIVOR_SHARE`] of them, the most numerous such — else simply the most
/// numerous. A store nobody prunes keeps all of its entries; a cache that evicts keeps few.
pub fn memlab(
    final_: Dump,
    baseline: &DumpSummary,
    target: &DumpSummary,
    names: [&str; 3],
    rows: usize,
) -> MemlabOut {
    let groups = PathGroups::compute(final_.a, final_.insp);
    memlab_with(final_, &groups, baseline, target, names, rows)
}

/// [`memlab`] with the final dump's path groups already computed ([`super::summarize_with_groups`]).
pub fn memlab_with(
    final_: Dump,
    groups: &PathGroups,
    baseline: &DumpSummary,
    target: &DumpSummary,
    names: [&str; 3],
    rows: usize,
) -> MemlabOut {
    memlab_summarised(final_, groups, baseline, target, None, names, rows)
}

/// [`memlab_with`] given the final dump's summary too: its sorted ids are used rather than
/// sorted again (8 B per object less at the trend's peak).
pub fn memlab_summarised(
    final_: Dump,
    groups: &PathGroups,
    baseline: &DumpSummary,
    target: &DumpSummary,
    final_summary: Option<&DumpSummary>,
    names: [&str; 3],
    rows: usize,
) -> MemlabOut {
    let a: &Analysis = final_.a;
    let g = &a.graph;
    let baseline_ids = baseline.ids.as_deref().unwrap_or(&[]);
    let target_ids = target.ids.as_deref().unwrap_or(&[]);
    let leaked: Vec<bool> = g
        .ids
        .iter()
        .map(|id| target_ids.binary_search(id).is_ok() && baseline_ids.binary_search(id).is_err())
        .collect();
    let (count, retained, found) = clusters(final_, &leaked, groups, 0);
    // Per type name: the objects allocated between baseline and target (ids in target, not in
    // baseline), and how many of those same objects (by id) are still in final: memlab's rule,
    // so survivors never outnumber allocations. Named by their type in target.
    let sorted;
    let final_ids: &[u64] = match final_summary.and_then(|s| s.ids.as_deref()) {
        Some(ids) => ids,
        None => {
            sorted = super::groups::sorted_ids(a);
            &sorted
        }
    };
    let counts = allocated_by_name(baseline, target, final_ids);
    let nt = g.types.len();
    let (allocated, survived): (Vec<u64>, Vec<u64>) = (0..nt as u32)
        .map(|t| counts.get(g.types.get(t)).copied().unwrap_or((0, 0)))
        .unzip();
    // Per (cluster group, type): survivors inside the cluster's outermost objects' subtrees, and
    // the least dominator-tree depth below the outermost object at which the type occurs.
    let mut inside: HashMap<(u32, u32), (u64, u32)> = HashMap::new();
    let mut outer: Option<(u32, u32, u32)> = None; // (outermost node, its group, its depth)
    let mut depth = 0u32;
    let walk = DomWalk::new(&a.children, Start::SuperRoot);
    for step in walk {
        match step {
            Step::Enter(v) => {
                depth += 1;
                if !leaked[v as usize] {
                    continue;
                }
                let (_, gr, d0) = *outer.get_or_insert((v, groups.group_of[v as usize], depth));
                if gr != u32::MAX {
                    let e = inside
                        .entry((gr, g.type_of[v as usize]))
                        .or_insert((0, u32::MAX));
                    e.0 += 1;
                    e.1 = e.1.min(depth - d0);
                }
            }
            Step::Leave(v) => {
                depth -= 1;
                if outer.is_some_and(|(o, _, _)| o == v) {
                    outer = None;
                }
            }
        }
    }
    let mut per_group: HashMap<u32, Vec<(u32, u64, u32)>> = HashMap::new();
    for (&(gr, t), &(c, d)) in &inside {
        per_group.entry(gr).or_default().push((t, c, d));
    }
    let share = super::verdict::SURVIVOR_SHARE;
    let mut out: Vec<NewTypeRow> = found
        .into_iter()
        .map(|(gr, mut row)| {
            let kinds = per_group.get(&gr).map(|v| &v[..]).unwrap_or(&[]);
            let kept = |t: u32| {
                let a = allocated[t as usize];
                a > 0 && survived[t as usize] as f64 >= share * a as f64
            };
            // Nearest the cluster's top first (the entry, not its fields), then most numerous.
            let key = |&&(t, c, d): &&(u32, u64, u32)| {
                (std::cmp::Reverse(d), c, std::cmp::Reverse(g.types.get(t)))
            };
            let best = kinds
                .iter()
                .filter(|&&(t, _, _)| kept(t))
                .max_by_key(key)
                .or_else(|| kinds.iter().max_by_key(key))
                .map(|&(t, _, _)| t);
            if let Some(t) = best {
                row.survivor_type = Some(g.types.get(t).to_string());
                row.allocated = Some(allocated[t as usize]);
                row.survived = Some(survived[t as usize]);
            }
            row
        })
        .collect();
    if rows > 0 {
        out.truncate(rows);
    }
    MemlabOut {
        baseline: names[0].to_string(),
        target: names[1].to_string(),
        final_: names[2].to_string(),
        count,
        retained_bytes: retained,
        clusters: out,
    }
}

/// Per type name (in `target`): the objects of `target` whose id is not in `baseline`, and how
/// many of them have their id in `final_ids` (sorted) too (stable ids only).
fn allocated_by_name<'s>(
    baseline: &DumpSummary,
    target: &'s DumpSummary,
    final_ids: &[u64],
) -> HashMap<&'s str, (u64, u64)> {
    let mut out: HashMap<&str, (u64, u64)> = HashMap::new();
    let (Some(b), Some(t), Some(tt)) = (&baseline.ids, &target.ids, &target.id_types) else {
        return out;
    };
    for (id, &row) in t.iter().zip(tt.iter()) {
        if row != u32::MAX && b.binary_search(id).is_err() {
            let e = out.entry(target.types.name(row as usize)).or_default();
            e.0 += 1;
            e.1 += u64::from(final_ids.binary_search(id).is_ok());
        }
    }
    out
}

/// The outermost nodes of `set` (no other node of the set dominates them), grouped by retainer
/// path: (objects, their retained bytes, one row per path with its group, largest first, at most
/// `rows`; 0 = all).
pub fn clusters(
    d: Dump,
    set: &[bool],
    groups: &PathGroups,
    rows: usize,
) -> (u64, u64, Vec<(u32, NewTypeRow)>) {
    let a = d.a;
    let g = &a.graph;
    let top = outermost(a, set);
    let mut by_group: BTreeMap<u32, (u64, u64, u64, Vec<u64>)> = BTreeMap::new();
    for &v in &top {
        let gr = groups.group_of[v as usize];
        if gr == u32::MAX {
            continue;
        }
        let e = by_group.entry(gr).or_default();
        e.0 += g.count(NodeIdx(v));
        e.1 += g.shallow[v as usize];
        e.2 += a.retained[v as usize];
        e.3.push(g.ids[v as usize]);
    }
    let (mut count, mut retained) = (0, 0);
    let mut out: Vec<(u32, NewTypeRow)> = by_group
        .into_iter()
        .map(|(gr, (c, s, r, mut ids))| {
            count += c;
            retained += r;
            ids.sort_unstable();
            ids.truncate(5);
            let path = groups.signature_text(a, groups.example[gr as usize]);
            let row = NewTypeRow {
                type_name: path
                    .rsplit(super::groups::SIGNATURE_SEPARATOR)
                    .next()
                    .unwrap_or("")
                    .to_string(),
                retainer_path: Some(path),
                count: c,
                shallow_bytes: s,
                retained_bytes: r,
                example_ids: ids.into_iter().map(|id| d.info.id_text(id)).collect(),
                survivor_type: None,
                allocated: None,
                survived: None,
            };
            (gr, row)
        })
        .collect();
    out.sort_by(|(_, a), (_, b)| {
        b.retained_bytes
            .cmp(&a.retained_bytes)
            .then(b.count.cmp(&a.count))
            .then(a.retainer_path.cmp(&b.retainer_path))
    });
    if rows > 0 {
        out.truncate(rows);
    }
    (count, retained, out)
}

/// Reachable nodes in `set` with no ancestor in `set` in the dominator tree (explicit stack).
pub fn outermost(a: &Analysis, set: &[bool]) -> Vec<u32> {
    let mut out = Vec::new();
    let group_of = |v: u32| if set[v as usize] { 0 } else { NO_GROUP };
    top_members(
        &a.children,
        Start::SuperRoot,
        1,
        group_of,
        |_| false,
        |_, v| out.push(v),
    );
    out.sort_unstable();
    out
}
