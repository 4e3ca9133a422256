//! The three verdicts of the over-time reports, each with its evidence:
//! - `true-leak`: a row that grows linearly (the top-ranked one);
//! - `unbounded-cache`: growth that levels off at a large size, held by a collection;
//! - `fragmentation`: Go's process heap far above the live heap (runtime.MemStats).
//!
//! The first two need growth the whole heap shows: see [`above_heap_noise`].

use super::groups::DumpSummary;
use super::model::{
    NewTypeRow, Shape, Strength, TrendReport, TrendRow, Verdict, VerdictBasis, VerdictKind,
};
use super::units::human_hours;
use crate::fmt::{human_bytes, pct, thousands};

/// A levelling-off row is an "unbounded cache" when it ends holding at least this share of the
/// heap (smaller caches are what caches are for).
pub const CACHE_MIN_SHARE: f64 = 0.05;
/// A levelling row whose late slope is at least this share of the top linear row's late slope
/// is taken to contain the leak (the Java fixtures' app class loader: 100%; the V8 fixture's
/// cache `Map`, which churns while full: 55%).
pub const CONTAINS_LEAK_RATIO: f64 = 0.8;
/// A fitted shape over fewer inputs than this is weak evidence: three points fit a line and a
/// curve that levels off alike well, so a cache cannot be told from a leak that slowed.
pub const FEW_POINTS: usize = 5;
/// A survivor cluster is a leak when at least this share of its type's objects allocated between
/// baseline and target are still alive in final. A cache that evicts keeps few of them (the V8
/// series' `sessionCache`: 100 of 800, 12.5%); a store nobody prunes keeps them all.
pub const SURVIVOR_SHARE: f64 = 0.9;

/// The survivor cluster that is a leak, if any: the largest cluster above the diff's noise
/// ([`super::leak::noise`] between the first and last inputs) whose type's objects allocated
/// between baseline and target survived to final (at least [`SURVIVOR_SHARE`] of them).
pub fn survivor_leak(r: &TrendReport) -> Option<&NewTypeRow> {
    let m = r.memlab.as_ref()?;
    let (first, last) = (&r.inputs.first()?.dump, &r.inputs.last()?.dump);
    let thr = super::leak::noise(first, last).threshold_bytes;
    m.clusters.iter().find(|c| {
        c.retained_bytes > thr
            && matches!((c.allocated, c.survived), (Some(a), Some(s))
                if a > 0 && s as f64 >= SURVIVOR_SHARE * a as f64)
    })
}

/// The true-leak verdict from memlab's survivors: named by their retainer path.
fn survivors_verdict(r: &TrendReport, c: &NewTypeRow) -> Verdict {
    let m = r.memlab.as_ref().expect("survivors come from memlab");
    let path = c
        .retainer_path
        .clone()
        .unwrap_or_else(|| c.type_name.clone());
    let mut evidence = vec![
        format!(
            "objects allocated between {} and {} and still alive in {} retain {} under {path} ({} outermost object{})",
            m.baseline,
            m.target,
            m.final_,
            human_bytes(c.retained_bytes),
            thousands(c.count),
            if c.count == 1 { "" } else { "s" }
        ),
        format!(
            "of the {} {} objects allocated between {} and {}, {} survive in {}: nothing removes them (a cache would have evicted its old entries)",
            thousands(c.allocated.unwrap_or(0)),
            c.survivor_type.as_deref().unwrap_or(&c.type_name),
            m.baseline,
            m.target,
            thousands(c.survived.unwrap_or(0)),
            m.final_
        ),
    ];
    if let Some(row) = r
        .paths
        .iter()
        .filter(|p| p.path.as_deref().is_some_and(|p| path.starts_with(p)))
        .max_by_key(|p| p.path.as_ref().map(|s| s.len()))
    {
        evidence.push(format!(
            "the holding group's {}: {} ({} by shape over {} points: the survivors decide, not the shape)",
            row.metric.name().replace('_', " "),
            series_text(row),
            row.fit.shape,
            row.series.len()
        ));
    }
    Verdict {
        kind: VerdictKind::TrueLeak,
        basis: VerdictBasis::Survivors,
        strength: Strength::Strong,
        subject: path.clone(),
        summary: format!(
            "True leak: {} {} objects allocated between {} and {} are never released; they accumulate under {path}",
            thousands(c.survived.unwrap_or(c.count)),
            c.survivor_type.as_deref().unwrap_or(&c.type_name),
            m.baseline,
            m.target
        ),
        evidence,
    }
}

/// May a growing row be given a `true-leak` or `unbounded-cache` verdict? Only when the whole
/// reachable heap is not `stable`, or the row grew by more than the heap's own noise (by the same
/// rule as rows, [`super::shape::noise_bytes`]). A heap that does not grow cannot hold a leak
/// smaller than its noise apart from churn: the Go healthy series' `main.(*lru).get` (map
/// overflow buckets, a bounded sawtooth) grows 6,864 B in a heap stable within 25,996 B, while
/// the smallest leak of the growth fixtures (Node's `PendingJob`, +33.6 KB, 0.9% of its heap)
/// sits in a heap that grows by 25% — every growth fixture's heap grows by 25–63%.
pub fn above_heap_noise(r: &TrendReport, x: &TrendRow) -> bool {
    r.total.fit.shape != Shape::Stable || x.fit.net_change > r.total.fit.noise_bytes as i64
}

/// When rows grow but [`above_heap_noise`] keeps them from a verdict, the note the report
/// carries (in `warnings`) saying so: how many, and the largest.
pub fn withheld_note(r: &TrendReport) -> Option<String> {
    let withheld: Vec<&TrendRow> = r
        .types
        .iter()
        .chain(&r.paths)
        .filter(|x| x.fit.shape.is_growing() && !above_heap_noise(r, x))
        .collect();
    let largest = withheld.iter().max_by(|a, b| {
        a.fit
            .net_change
            .cmp(&b.fit.net_change)
            .then(b.rank.cmp(&a.rank))
    })?;
    let t = &r.total;
    Some(format!(
        "the reachable heap is stable ({}, net {}{}, noise {}): {} growing row{} moved by no more than that and got no leak or cache verdict (largest: {} {}, +{}: {})",
        series_text(t),
        if t.fit.net_change < 0 { "-" } else { "+" },
        human_bytes(t.fit.net_change.unsigned_abs()),
        human_bytes(t.fit.noise_bytes),
        withheld.len(),
        if withheld.len() == 1 { "" } else { "s" },
        largest.path.as_deref().unwrap_or(&largest.type_name),
        largest.fit.shape,
        human_bytes(largest.fit.net_change.max(0) as u64),
        series_text(largest),
    ))
}

/// Go: the process heap (HeapInuse) far above the live heap (HeapAlloc), from the dump's
/// runtime.MemStats, by the rule `analyze` uses too ([`crate::fragmentation::judge`]).
pub fn fragmentation(s: &DumpSummary) -> Option<Verdict> {
    let m = s.memstats.as_ref()?;
    let f = crate::fragmentation::judge(m)?;
    let (alloc, inuse) = (f.alloc, f.inuse);
    let mut evidence = vec![
        format!(
            "HeapInuse {} is {:.1}× HeapAlloc {} (live objects): {} of spans in use hold no live object",
            human_bytes(inuse),
            inuse as f64 / alloc as f64,
            human_bytes(alloc),
            human_bytes(inuse - alloc)
        ),
    ];
    if let (Some(sys), Some(idle), Some(rel)) = (m.heap_sys, m.heap_idle, m.heap_released) {
        evidence.push(format!(
            "HeapSys {}, HeapIdle {}, HeapReleased {}: the gap is in spans still in use, not idle memory the runtime could return",
            human_bytes(sys),
            human_bytes(idle),
            human_bytes(rel)
        ));
    }
    if let Some(objs) = m.heap_objects {
        evidence.push(format!(
            "{objs} live objects, {} on average",
            human_bytes(alloc / objs.max(1))
        ));
    }
    evidence.push(format!("from the runtime.MemStats of {}", s.dump.path));
    Some(Verdict {
        kind: VerdictKind::Fragmentation,
        basis: VerdictBasis::Runtime,
        strength: Strength::Strong,
        subject: "process".into(),
        summary: format!(
            "Fragmentation: the Go heap holds {} in spans for {} of live objects; a few survivors pin mostly empty spans",
            human_bytes(inuse),
            human_bytes(alloc)
        ),
        evidence,
    })
}

fn series_text(r: &TrendRow) -> String {
    r.series
        .iter()
        .map(|s| human_bytes(r.value(s)))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn slope_text(v: f64, unit: &str) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{}/{unit}", human_bytes(v.abs().round() as u64))
}

/// Does a type or path name a collection (the accumulation point of a cache)?
pub fn names_collection(s: &str) -> bool {
    const WORDS: [&str; 12] = [
        "Map", "map", "List", "Set", "dict", "Cache", "cache", "Array", "[]", "Table", "Queue",
        "Vector",
    ];
    WORDS.iter().any(|w| s.contains(w))
}

/// A collection type (not a class object, not an array of primitives).
pub fn is_collection_type(t: &str) -> bool {
    const PRIMITIVE_ARRAYS: [&str; 8] = [
        "byte[]",
        "char[]",
        "int[]",
        "long[]",
        "short[]",
        "double[]",
        "float[]",
        "boolean[]",
    ];
    !t.starts_with("class ") && !PRIMITIVE_ARRAYS.contains(&t) && names_collection(t)
}

/// The trend's verdicts: the top linear grower, the largest levelling-off collection, and
/// fragmentation seen in any input.
pub fn trend_verdicts(r: &TrendReport, summaries: &[&DumpSummary]) -> Vec<Verdict> {
    let unit = r.time_axis.unit.name();
    let mut out = Vec::new();
    let last_heap = r.total.last();
    // Rows that grow within the noise of a stable heap are churn, not leaks nor caches.
    let linear = |rows: &[TrendRow]| {
        rows.iter()
            .find(|x| x.fit.shape == Shape::Linear && above_heap_noise(r, x))
            .cloned()
    };
    let survivors = survivor_leak(r);
    if let Some(c) = survivors {
        out.push(survivors_verdict(r, c));
    }
    let few = r.inputs.len() < FEW_POINTS;
    let strength = if few {
        Strength::Weak
    } else {
        Strength::Strong
    };
    // With stable ids the survivors decide: the shape of a series adds no leak they do not show.
    let by_shape = r.memlab.is_none();
    if let Some(t) = linear(&r.types)
        .or_else(|| linear(&r.paths))
        .filter(|_| by_shape)
    {
        let mut evidence = vec![
            format!(
                "{} {}: {} (one value per input)",
                t.type_name,
                t.metric.name().replace('_', " "),
                series_text(&t)
            ),
            format!(
                "grows {} (least squares, R² {:.3}); the second half grows at {} against {} in the first, so it is not slowing down",
                slope_text(t.fit.slope, unit),
                t.fit.r2,
                slope_text(t.fit.late_slope, unit),
                slope_text(t.fit.early_slope, unit)
            ),
        ];
        if let Some(c) = t.series.last().map(|s| s.count) {
            let first = t.series.first().map(|s| s.count).unwrap_or(0);
            evidence.push(format!("{first} → {c} objects"));
        }
        // The holder: the first linear path row whose type is a collection (the list the leak
        // accumulates in), else the first linear path row (often the class holding it).
        let held = |p: &&TrendRow| p.fit.shape == Shape::Linear && above_heap_noise(r, p);
        let holder = r
            .paths
            .iter()
            .filter(held)
            .find(|p| is_collection_type(&p.type_name))
            .or_else(|| r.paths.iter().find(held));
        if let Some(p) = holder {
            evidence.push(format!(
                "held at {} (retained {})",
                p.path.as_deref().unwrap_or(&p.type_name),
                series_text(p)
            ));
        }
        if let Some(pr) = &t.limit_reached {
            evidence.push(match &pr.at {
                Some(at) => format!(
                    "at this rate the heap reaches the limit at {at} ({} after the last dump)",
                    human_hours(pr.after)
                ),
                None => format!(
                    "at this rate the heap reaches the limit {:.1} steps after the last dump",
                    pr.after
                ),
            });
        }
        if few {
            evidence.push(format!(
                "only {} dumps: a line through them is weak evidence; more dumps would confirm it does not level off",
                r.inputs.len()
            ));
        }
        out.push(Verdict {
            kind: VerdictKind::TrueLeak,
            basis: VerdictBasis::Shape,
            strength,
            subject: t.path.clone().unwrap_or_else(|| t.type_name.clone()),
            summary: format!(
                "True leak: {} grows linearly, {} ({} in total), with no sign of levelling off",
                t.type_name,
                slope_text(t.fit.slope, unit),
                human_bytes(t.fit.net_change.max(0) as u64)
            ),
            evidence,
        });
    }
    // The cache: object heaps name it by path (the collection), profiles by allocation site.
    let pool: &[TrendRow] = if r.paths.is_empty() {
        &r.types
    } else {
        &r.paths
    };
    let size_of = |x: &TrendRow| x.last();
    // A row that still grows in its second half nearly as fast as the leading leak holds that
    // leak (a class loader, the global object, a class with both statics): not a cache.
    let leak_late = pool
        .iter()
        .find(|x| x.fit.shape == Shape::Linear && above_heap_noise(r, x))
        .map(|x| x.fit.late_slope)
        .unwrap_or(f64::INFINITY);
    // A group that holds the survivors is the leak's, not a cache.
    let holds_survivors = |x: &TrendRow| {
        survivors.is_some_and(|c| {
            matches!((&x.path, &c.retainer_path),
                (Some(p), Some(cp)) if cp.starts_with(p.as_str()) || p.starts_with(cp.as_str()))
        })
    };
    let levelling: Vec<&TrendRow> = pool
        .iter()
        .filter(|x| x.fit.shape == Shape::LevellingOff && above_heap_noise(r, x))
        .filter(|x| !holds_survivors(x))
        .filter(|x| x.fit.late_slope < CONTAINS_LEAK_RATIO * leak_late)
        .filter(|x| last_heap > 0 && size_of(x) as f64 >= CACHE_MIN_SHARE * last_heap as f64)
        .collect();
    // Rows that hold a leak and a cache together (a class loader, a global object) level off
    // too, since the cache dominates their growth; name the collection: the levelling row of a
    // collection type that grew most, else the row that grew most.
    let by_growth = |a: &&TrendRow, b: &&TrendRow| {
        a.fit
            .net_change
            .cmp(&b.fit.net_change)
            .then(b.rank.cmp(&a.rank))
    };
    // Allocation sites are functions or lines: their names say nothing about collections.
    let cache = levelling
        .iter()
        .copied()
        .filter(|x| x.path.is_some() && is_collection_type(&x.type_name))
        .max_by(by_growth)
        .or_else(|| levelling.iter().copied().max_by(by_growth));
    if let Some(c) = cache {
        let last = c.last();
        let name = c.path.clone().unwrap_or_else(|| c.type_name.clone());
        let mut evidence = vec![
            format!("{}: {}", c.metric.name().replace('_', " "), series_text(c)),
            format!(
                "growth slowed from {} to {} (late/early below {}), so it is bounded or warming up",
                slope_text(c.fit.early_slope, unit),
                slope_text(c.fit.late_slope, unit),
                super::shape::LEVELLING_RATIO
            ),
            format!(
                "it holds {} of the last heap ({})",
                pct(last as f64 / last_heap.max(1) as f64),
                human_bytes(last)
            ),
        ];
        if c.path.is_none() {
            evidence.push(format!("allocated at {name} (a profile records where memory was allocated, not who holds it)"));
        } else if is_collection_type(&c.type_name) {
            evidence.push(format!("accumulation point: {name}"));
        } else {
            evidence.push(format!(
                "held at {name} (not recognised as a collection by name)"
            ));
        }
        let summary = if few {
            evidence.push(format!(
                "only {} dumps: a curve that levels off fits them as well as a leak that slowed; take more dumps (or, with stable ids, see which objects survive) before calling it a cache",
                r.inputs.len()
            ));
            format!(
                "Levelling off, weak evidence of a cache: {} grew by {} and slowed to {} over only {} dumps; it may still be a leak that slowed",
                c.type_name,
                human_bytes(c.fit.net_change.max(0) as u64),
                human_bytes(last),
                r.inputs.len()
            )
        } else {
            format!(
                "Cache, not a leak: {} grew by {} and levelled off at {}; it grew the most, but it has stopped. Check its bound (maximum size, eviction) is what you want",
                c.type_name,
                human_bytes(c.fit.net_change.max(0) as u64),
                human_bytes(last)
            )
        };
        out.push(Verdict {
            kind: VerdictKind::UnboundedCache,
            basis: VerdictBasis::Shape,
            strength,
            subject: name.clone(),
            summary,
            evidence,
        });
    }
    if let Some(f) = summaries.iter().rev().find_map(|s| fragmentation(s)) {
        out.push(f);
    }
    out
}
