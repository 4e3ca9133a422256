//! `heapscope diff BASE TARGET`: per type (and, for object heaps, per path-to-root signature)
//! the change in count, shallow and retained bytes; for V8 also the objects new in TARGET.
//!
//! Semantics per [`Comparison`] (the dump's facts say which reference tool its users know):
//! - **pprof**: `go tool pprof -base BASE TARGET`: per function, flat and cum of TARGET minus
//!   BASE (both are sums over samples, so the difference of the per-function numbers equals the
//!   numbers of the subtracted profile). Rows whose flat and cum do not change are left out, as
//!   pprof leaves out what no non-zero sample touches. Order: |flat| descending, then name, then
//!   |cum|; the order text says so in those words and names no pprof flag (heapscope's rows are
//!   its own comparison, not a pprof listing).
//! - **tracemalloc**: `Snapshot.compare_to(old, key_type)`: per group key, `size`, `size_diff`,
//!   `count`, `count_diff`; every key of either snapshot, CPython's order
//!   (|size_diff|, size, |count_diff|, count, key; descending).
//! - **V8**: per constructor, plus the objects new in TARGET matched by node id.
//! - **HPROF**: ids are addresses that move with GC, so objects are matched by type and by
//!   path-to-root signature only.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use heapscope_graph::{Analysis, Comparison, IdDisplay};

use super::groups::{summarize, summarize_in, Dump, DumpSummary, Rows};
use super::leak::{finish, fold_nested, likely_leak, name_callers, name_holders, noise};
use super::model::*;
use super::verdict::fragmentation;
use crate::build::generator;

/// Diff settings.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// Most path rows kept (the most changed).
    pub path_rows: usize,
    /// Most rows of new objects (by type) kept.
    pub new_rows: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            path_rows: 100,
            new_rows: 50,
        }
    }
}

fn semantics(comparison: Comparison, row_key: &str) -> Semantics {
    let (compared_by, reference, order): (&[&str], &str, &str) = match comparison {
        Comparison::PprofBase => (
            &["type"],
            "go tool pprof -base BASE TARGET: per function, flat (shallow_bytes) and cum (retained_bytes) of TARGET \
             minus BASE",
            "|flat change| descending, then function name, then |cum change|",
        ),
        Comparison::CompareTo => (
            &["type"],
            "TARGET.compare_to(BASE, key_type): per key, size (shallow_bytes), size_diff, count, count_diff",
            "|size_diff|, size, |count_diff|, count, key; descending (CPython's compare_to)",
        ),
        Comparison::DevTools => (
            &["type", "path", "id"],
            "DevTools Comparison view: per constructor, objects and shallow size added and removed; node ids are \
             stable within one process, so new objects are matched by id",
            "types: |shallow change| descending; paths: |retained change| descending",
        ),
        Comparison::ClassHistogram => (
            &["type", "path"],
            "class histogram diff (jmap -histo, Eclipse MAT's compare basket); object ids are addresses that move \
             with GC, so objects are compared by class and by path-to-root signature, never by id",
            "types: |shallow change| descending; paths: |retained change| descending",
        ),
    };
    Semantics {
        compared_by: compared_by.iter().map(|s| s.to_string()).collect(),
        type_key: row_key.to_string(),
        reference: reference.to_string(),
        order: order.to_string(),
    }
}

/// Diff two analysed dumps.
pub fn build_diff(base: Dump, target: Dump, opts: &DiffOptions) -> DiffReport {
    build_diff_from(&summarize(base), Some(base.a), target, opts)
}

/// [`build_diff`] from BASE's summary: an object graph's BASE analysis can be dropped once
/// summarised, before TARGET is loaded (the peak is then one analysis, not two). Allocation
/// profiles (call trees) still need BASE's graph (`base_graph`) to name the callers of a grown
/// site; without it they are left out.
pub fn build_diff_from(
    sb: &DumpSummary,
    base_graph: Option<&Analysis>,
    target: Dump,
    opts: &DiffOptions,
) -> DiffReport {
    build_diff_in(
        sb,
        base_graph,
        target,
        opts,
        &heapscope_graph::Spill::never(),
    )
}

/// [`build_diff_from`] with TARGET summarised out of core where `spill` says so
/// ([`summarize_in`]); the same report.
pub fn build_diff_in(
    sb: &DumpSummary,
    base_graph: Option<&Analysis>,
    target: Dump,
    opts: &DiffOptions,
    spill: &heapscope_graph::Spill,
) -> DiffReport {
    let (st, groups) = summarize_in(target, spill);
    let new_objects = match (&sb.ids, &st.ids) {
        (Some(ids), Some(target_ids)) => Some(new_objects_among(
            target.a,
            ids,
            target_ids,
            opts.new_rows,
            target.info.id_display,
        )),
        _ => None,
    };
    let mut r = diff_unfinished(sb, &st, new_objects, opts);
    if let Some(groups) = &groups {
        fold_nested(&mut r.likely_leak, target, groups);
    }
    finish(&mut r.likely_leak);
    if let Some(groups) = &groups {
        name_holders(&mut r.likely_leak, target, groups);
        if let Some(ids) = &sb.ids {
            let g = &target.a.graph;
            let is_new: Vec<bool> = g
                .ids
                .iter()
                .map(|id| ids.binary_search(id).is_err())
                .collect();
            let thr = r.likely_leak.noise.threshold_bytes;
            let (_, _, found) = super::trend::clusters(target, &is_new, groups, 0);
            let mut rows: Vec<NewTypeRow> = found.into_iter().map(|(_, r)| r).collect();
            rows.retain(|c| c.retained_bytes > thr);
            rows.truncate(opts.new_rows);
            r.likely_leak.new_by_path = Some(rows);
        }
    } else if let Some(base) = base_graph {
        name_callers(&mut r.likely_leak, base, target.a);
    }
    r
}

/// Diff two summaries (the part of [`build_diff`] that needs no graph: suspects nested in
/// another are folded only where the inner path's text extends the outer one's).
pub fn diff_summaries(
    sb: &DumpSummary,
    st: &DumpSummary,
    new_objects: Option<NewObjects>,
    opts: &DiffOptions,
) -> DiffReport {
    let mut r = diff_unfinished(sb, st, new_objects, opts);
    finish(&mut r.likely_leak);
    r
}

/// [`diff_summaries`] with the suspects not yet cut, ranked or shared ([`finish`]).
fn diff_unfinished(
    sb: &DumpSummary,
    st: &DumpSummary,
    new_objects: Option<NewObjects>,
    opts: &DiffOptions,
) -> DiffReport {
    let mut warnings = Vec::new();
    if (sb.comparison, sb.row_key) != (st.comparison, st.row_key) {
        warnings.push(format!(
            "BASE is {} and TARGET is {}: only type names common to both can match",
            sb.dump.format, st.dump.format
        ));
    }
    if sb.dump.sample_type != st.dump.sample_type {
        warnings.push(format!(
            "BASE and TARGET use different sample types ({:?} and {:?})",
            sb.dump.sample_type, st.dump.sample_type
        ));
    }
    for (which, s) in [("BASE", sb), ("TARGET", st)] {
        warnings.extend(s.warnings.iter().map(|w| format!("{which}: {w}")));
    }
    let mut types = join_rows(&sb.types, &st.types, false);
    match st.comparison {
        Comparison::CompareTo => {
            // CPython's keys are those with traces in either snapshot.
            types.retain(|r| {
                r.base.count + r.target.count > 0
                    || r.base.shallow_bytes + r.target.shallow_bytes > 0
            });
            let key = |name: &str| location_key(name, st, sb);
            types.sort_by(|a, b| compare_to_order(b, a, key));
        }
        Comparison::PprofBase => {
            types.retain(|r| r.change.shallow_bytes != 0 || r.change.retained_bytes != 0);
            types.sort_by(pprof_order);
        }
        _ => {
            types.retain(|r| !r.change.is_zero());
            types.sort_by(object_type_order);
        }
    }
    let mut paths = join_rows(&sb.paths, &st.paths, true);
    paths.retain(|r| !r.change.is_zero());
    paths.sort_by(path_order);
    let totals = DiffRow {
        type_name: "(all)".into(),
        path: None,
        base: total_stat(&sb.dump),
        target: total_stat(&st.dump),
        change: Delta::between(&total_stat(&sb.dump), &total_stat(&st.dump)),
    };
    let likely_leak = likely_leak(
        &types,
        &paths,
        &totals,
        st.model == heapscope_graph::Model::CallTree,
        noise(&sb.dump, &st.dump),
    );
    if paths.len() > opts.path_rows {
        warnings.push(format!(
            "{} more changed path signatures are not listed (the {} most changed are)",
            paths.len() - opts.path_rows,
            opts.path_rows
        ));
        paths.truncate(opts.path_rows);
    }
    let verdicts = fragmentation(st).into_iter().collect();
    DiffReport {
        kind: "diff".into(),
        schema_version: 1,
        generator: generator(),
        base: sb.dump.clone(),
        target: st.dump.clone(),
        semantics: semantics(st.comparison, st.row_key),
        totals,
        types,
        paths,
        new_objects,
        likely_leak,
        verdicts,
        warnings,
    }
}

/// The whole dump as one [`Stat`]: objects, total shallow bytes, reachable bytes.
pub fn total_stat(d: &DumpRef) -> Stat {
    Stat {
        count: d.objects,
        shallow_bytes: d.total_bytes,
        retained_bytes: d.reachable_bytes,
    }
}

fn join_rows(base: &Rows, target: &Rows, is_path: bool) -> Vec<DiffRow> {
    let mut m: BTreeMap<&str, (Stat, Stat)> = BTreeMap::new();
    for (k, s) in base.iter() {
        m.entry(k).or_default().0 = s;
    }
    for (k, s) in target.iter() {
        m.entry(k).or_default().1 = s;
    }
    m.into_iter()
        .map(|(k, (b, t))| {
            let (type_name, path) = if is_path {
                let last = k
                    .rsplit(super::groups::SIGNATURE_SEPARATOR)
                    .next()
                    .unwrap_or(k);
                (last.to_string(), Some(k.to_string()))
            } else {
                (k.to_string(), None)
            };
            DiffRow {
                type_name,
                path,
                base: b,
                target: t,
                change: Delta::between(&b, &t),
            }
        })
        .collect()
}

fn pprof_order(a: &DiffRow, b: &DiffRow) -> Ordering {
    b.change
        .shallow_bytes
        .unsigned_abs()
        .cmp(&a.change.shallow_bytes.unsigned_abs())
        .then_with(|| a.type_name.cmp(&b.type_name))
        .then(
            b.change
                .retained_bytes
                .unsigned_abs()
                .cmp(&a.change.retained_bytes.unsigned_abs()),
        )
}

fn object_type_order(a: &DiffRow, b: &DiffRow) -> Ordering {
    b.change
        .shallow_bytes
        .unsigned_abs()
        .cmp(&a.change.shallow_bytes.unsigned_abs())
        .then(
            b.change
                .retained_bytes
                .unsigned_abs()
                .cmp(&a.change.retained_bytes.unsigned_abs()),
        )
        .then(
            b.change
                .count
                .unsigned_abs()
                .cmp(&a.change.count.unsigned_abs()),
        )
        .then_with(|| a.type_name.cmp(&b.type_name))
}

fn path_order(a: &DiffRow, b: &DiffRow) -> Ordering {
    b.change
        .retained_bytes
        .unsigned_abs()
        .cmp(&a.change.retained_bytes.unsigned_abs())
        .then(
            b.change
                .shallow_bytes
                .unsigned_abs()
                .cmp(&a.change.shallow_bytes.unsigned_abs()),
        )
        .then_with(|| a.path.cmp(&b.path))
}

/// CPython's `StatisticDiff._sort_key` order, ascending (callers reverse it):
/// (|size_diff|, size, |count_diff|, count, key), where `key` gives a row's frames.
pub fn compare_to_order<'k>(
    a: &DiffRow,
    b: &DiffRow,
    key: impl Fn(&str) -> &'k [(Box<str>, u32)],
) -> Ordering {
    (
        a.change.shallow_bytes.unsigned_abs(),
        a.target.shallow_bytes,
        a.change.count.unsigned_abs(),
        a.target.count,
    )
        .cmp(&(
            b.change.shallow_bytes.unsigned_abs(),
            b.target.shallow_bytes,
            b.change.count.unsigned_abs(),
            b.target.count,
        ))
        .then_with(|| key(&a.type_name).cmp(key(&b.type_name)))
}

/// A row's source locations as the dumps' facts give them (TARGET's, else BASE's).
fn location_key<'s>(name: &str, st: &'s DumpSummary, sb: &'s DumpSummary) -> &'s [(Box<str>, u32)] {
    st.locations
        .get(name)
        .or_else(|| sb.locations.get(name))
        .map(|v| &v[..])
        .unwrap_or(&[])
}

/// Objects of `target` whose id is not among `base_ids` (sorted), grouped by type.
pub fn new_objects(
    target: &Analysis,
    base_ids: &[u64],
    rows: usize,
    ids_shown: IdDisplay,
) -> NewObjects {
    let target_ids = super::groups::sorted_ids(target);
    new_objects_among(target, base_ids, &target_ids, rows, ids_shown)
}

/// [`new_objects`] with `target`'s ids sorted already (its summary's).
fn new_objects_among(
    target: &Analysis,
    base_ids: &[u64],
    target_ids: &[u64],
    rows: usize,
    ids_shown: IdDisplay,
) -> NewObjects {
    let g = &target.graph;
    let n = g.node_count();
    let is_new: Vec<bool> = g
        .ids
        .iter()
        .map(|id| base_ids.binary_search(id).is_err())
        .collect();
    let gone_count = base_ids
        .iter()
        .filter(|id| target_ids.binary_search(id).is_err())
        .count() as u64;
    let nt = g.types.len();
    let retained = super::groups::min_retained_by(
        target,
        |v| {
            if is_new[v as usize] {
                g.type_of[v as usize]
            } else {
                u32::MAX
            }
        },
        nt,
    );
    let mut by_type: HashMap<u32, (u64, u64, Vec<u64>)> = HashMap::new();
    let (mut count, mut shallow) = (0u64, 0u64);
    for v in (0..n).filter(|&v| is_new[v]) {
        count += 1;
        shallow += g.shallow[v];
        let e = by_type.entry(g.type_of[v]).or_default();
        e.0 += 1;
        e.1 += g.shallow[v];
        e.2.push(g.ids[v]);
    }
    let mut out: Vec<NewTypeRow> = by_type
        .into_iter()
        .map(|(t, (c, s, mut ids))| {
            ids.sort_unstable();
            ids.truncate(5);
            NewTypeRow {
                type_name: g.types.get(t).to_string(),
                retainer_path: None,
                count: c,
                shallow_bytes: s,
                retained_bytes: retained[t as usize],
                example_ids: ids.into_iter().map(|id| ids_shown.text(id)).collect(),
                survivor_type: None,
                allocated: None,
                survived: None,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.retained_bytes
            .cmp(&a.retained_bytes)
            .then(b.shallow_bytes.cmp(&a.shallow_bytes))
            .then(a.type_name.cmp(&b.type_name))
    });
    out.truncate(rows);
    NewObjects {
        matched_by: "node id".into(),
        count,
        shallow_bytes: shallow,
        gone_count,
        by_type: out,
    }
}
