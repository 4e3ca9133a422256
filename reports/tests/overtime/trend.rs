//! Trend over synthetic growth series: the Java scenario of the fixtures (a linear audit log
//! beside a cache that fills to its capacity, the cache the larger grower overall), a healthy
//! series, V8 ids with memlab's method, and the time axis.

use crate::facts::Format;
use heapscope_reports::overtime::model::{AxisSource, AxisUnit, Shape, VerdictKind};
use heapscope_reports::overtime::{
    build_trend, memlab, parse_rfc3339, DumpSummary, MemlabOut, TrendOptions, TrendReport,
};

use super::heaps::*;
use heapscope_graph::{Analysis, NodeKind};

/// (orders, cached) per step, as testdata/java/src/com/acme/scenario/Growth.java: +2,000 orders per
/// step; +1,500 cache entries per step up to 3,000.
const GROWTH: [(u64, u64); 3] = [(2000, 1500), (4000, 3000), (6000, 3000)];

fn java_series(steps: &[(u64, u64, u64)], times: Option<&[i64]>) -> TrendReport {
    let dumps: Vec<Analysed> = steps
        .iter()
        .enumerate()
        .map(|(i, &(orders, cached, cfg))| {
            Analysed::new(
                java_heap(
                    &JavaStep {
                        orders,
                        cached,
                        config_bytes: cfg,
                    },
                    0x1000_0000 * (i as u64 + 1),
                ),
                Format::Hprof,
                &format!("growth_{}.hprof", i + 1),
                times.map(|t| t[i]),
            )
        })
        .collect();
    let summaries: Vec<_> = dumps.iter().map(|d| d.summary()).collect();
    build_trend(
        &summaries,
        None,
        &TrendOptions {
            limit_bytes: Some(64 << 20),
            ..Default::default()
        },
    )
}

fn growth(times: Option<&[i64]>) -> TrendReport {
    let steps: Vec<(u64, u64, u64)> = GROWTH.iter().map(|&(o, c)| (o, c, 0)).collect();
    java_series(&steps, times)
}

#[test]
fn the_linear_leak_ranks_first_though_the_cache_grew_more() {
    let r = growth(None);
    let first = &r.types[0];
    assert_eq!(first.type_name, "com.acme.Order");
    assert_eq!(first.fit.shape, Shape::Linear);
    assert_eq!(
        first.fit.slope,
        (2000 * ORDER_BYTES) as f64,
        "bytes per step"
    );
    let counts: Vec<u64> = first.series.iter().map(|s| s.count).collect();
    assert_eq!(counts, GROWTH.iter().map(|g| g.0).collect::<Vec<_>>());
    // By path, the audit log's holder ranks first and is linear too.
    assert_eq!(r.paths[0].fit.shape, Shape::Linear);
    assert!(
        r.paths[0]
            .path
            .as_deref()
            .unwrap()
            .contains("class com.acme.OrderService"),
        "{:?}",
        r.paths[0].path
    );
    // The cache map levels off — and grew more than the log from first to last.
    let map = r
        .paths
        .iter()
        .find(|p| {
            p.path
                .as_deref()
                .is_some_and(|s| s.ends_with("CustomerCache > PROFILES > java.util.HashMap"))
        })
        .unwrap();
    assert_eq!(map.fit.shape, Shape::LevellingOff);
    let log = r
        .paths
        .iter()
        .find(|p| {
            p.path
                .as_deref()
                .is_some_and(|s| s.ends_with("AUDIT_LOG > java.util.ArrayList"))
        })
        .unwrap();
    assert!(
        map.fit.net_change > log.fit.net_change,
        "the cache is the larger grower overall"
    );
    assert!(map.rank > log.rank);
    assert_eq!(r.time_axis.source, AxisSource::Steps);
    assert_eq!(r.time_axis.unit, AxisUnit::Step);
}

#[test]
fn verdicts_name_the_leak_and_the_cache_with_evidence() {
    let r = growth(None);
    let kinds: Vec<VerdictKind> = r.verdicts.iter().map(|v| v.kind).collect();
    assert_eq!(kinds, [VerdictKind::TrueLeak, VerdictKind::UnboundedCache]);
    let leak = &r.verdicts[0];
    assert_eq!(leak.subject, "com.acme.Order");
    assert!(
        leak.evidence
            .iter()
            .any(|e| e.contains("held at") && e.contains("OrderService")),
        "{:#?}",
        leak.evidence
    );
    assert!(
        leak.evidence
            .iter()
            .any(|e| e.contains("reaches the limit")),
        "a limit was given: {:#?}",
        leak.evidence
    );
    let cache = &r.verdicts[1];
    assert!(
        cache
            .subject
            .ends_with("CustomerCache > PROFILES > java.util.HashMap"),
        "{}",
        cache.subject
    );
    assert!(cache
        .evidence
        .iter()
        .any(|e| e.starts_with("accumulation point")));
}

#[test]
fn a_healthy_series_has_nothing_growing_above_noise() {
    // Same state every time, with a config blob wobbling by a few hundred bytes.
    let steps = [
        (2000, 1500, 0),
        (2000, 1500, 300),
        (2000, 1500, 120),
        (2000, 1500, 260),
    ];
    let r = java_series(&steps, None);
    let growing: Vec<String> = r
        .types
        .iter()
        .chain(&r.paths)
        .filter(|x| x.fit.shape != Shape::Stable)
        .map(|x| {
            format!(
                "{} {}",
                x.fit.shape,
                x.path.as_deref().unwrap_or(&x.type_name)
            )
        })
        .collect();
    assert!(growing.is_empty(), "{growing:#?}");
    assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
    assert_eq!(r.total.fit.shape, Shape::Stable);
    assert!(r.total.limit_reached.is_none());
}

#[test]
fn dump_timestamps_make_the_axis_hours_and_the_projection_an_instant() {
    let t0 = parse_rfc3339("2026-11-24T02:00:00Z").unwrap();
    let times = [t0, t0 + 3_600_000, t0 + 2 * 3_600_000];
    let r = growth(Some(&times));
    assert_eq!(r.time_axis.source, AxisSource::Dump);
    assert_eq!(r.time_axis.points, [0.0, 1.0, 2.0]);
    assert_eq!(
        r.types[0].fit.slope,
        (2000 * ORDER_BYTES) as f64,
        "bytes per hour, one hour per step"
    );
    let total = &r.total;
    let p = total
        .limit_reached
        .as_ref()
        .expect("the heap grows towards the limit");
    // The projection divides the room left by the rate of the total's shape.
    let rate = if total.fit.shape == Shape::Linear {
        total.fit.slope
    } else {
        total.fit.late_slope
    };
    let last = total.series.last().unwrap().retained_bytes;
    let expect_h = ((64u64 << 20) - last) as f64 / rate;
    assert!(
        (p.after - expect_h).abs() < 1e-3,
        "{} vs {expect_h}",
        p.after
    );
    let at = parse_rfc3339(p.at.as_deref().unwrap()).unwrap();
    assert!((at - (times[2] + (expect_h * 3_600_000.0) as i64)).abs() <= 1000);
}

#[test]
fn at_times_are_used_when_dumps_have_none_and_out_of_order_inputs_are_sorted() {
    let dumps: Vec<Analysed> = [(4000u64, 3000u64), (2000, 1500), (6000, 3000)]
        .iter()
        .enumerate()
        .map(|(i, &(o, c))| {
            Analysed::new(
                java_heap(
                    &JavaStep {
                        orders: o,
                        cached: c,
                        config_bytes: 0,
                    },
                    (0x1000 * (i as u64 + 1)) << 20,
                ),
                Format::Hprof,
                &format!("d{i}"),
                None,
            )
        })
        .collect();
    let s: Vec<_> = dumps.iter().map(|d| d.summary()).collect();
    let at: Vec<i64> = [
        "2026-01-01T01:00:00Z",
        "2026-01-01T00:00:00Z",
        "2026-01-01T03:00:00+01:00",
    ]
    .iter()
    .map(|t| parse_rfc3339(t).unwrap())
    .collect();
    let r = build_trend(
        &s,
        None,
        &TrendOptions {
            at: Some(at),
            ..Default::default()
        },
    );
    assert_eq!(r.time_axis.source, AxisSource::At);
    let order: Vec<&str> = r.inputs.iter().map(|i| i.dump.path.as_str()).collect();
    assert_eq!(order, ["d1", "d0", "d2"]);
    assert_eq!(r.time_axis.points, [0.0, 1.0, 2.0]);
    assert!(r.warnings.iter().any(|w| w.contains("not in time order")));
    assert_eq!(r.types[0].type_name, "com.acme.Order");
    assert_eq!(r.types[0].fit.shape, Shape::Linear);
}

#[test]
fn memlab_keeps_objects_allocated_between_baseline_and_target_still_alive_in_final() {
    // Jobs 0..100 at baseline; 100..200 added by target; by final, jobs 150..170 finished and
    // 200..260 were added. memlab's leak set: 100..200 minus 150..170 = 80 jobs.
    let baseline: Vec<u64> = (0..100).collect();
    let target: Vec<u64> = (0..200).collect();
    let fin: Vec<u64> = (0..150).chain(170..260).collect();
    let (s, m) = memlab_of_three([&baseline, &target, &fin], v8_heap);
    let expected_jobs = fin.iter().filter(|&&k| (100..200).contains(&k)).count() as u64;
    assert_eq!(m.count, expected_jobs);
    assert_eq!(m.clusters.len(), 1, "{:#?}", m.clusters);
    let c = &m.clusters[0];
    assert_eq!(c.type_name, "PendingJob");
    assert_eq!(
        c.retained_bytes,
        expected_jobs * (40 + 24),
        "each job with its name, once"
    );
    assert_eq!(
        c.retainer_path.as_deref(),
        Some("[(GC roots)] > (GC roots) > global > global > pending > Array > elements > (object elements) > [] > PendingJob")
    );
    // The cluster's survivor type: of the 100 jobs allocated between baseline and target, 80
    // survive.
    assert_eq!(c.survivor_type.as_deref(), Some("PendingJob"));
    assert_eq!(
        c.allocated,
        Some(target.len() as u64 - baseline.len() as u64)
    );
    assert_eq!(c.survived, Some(expected_jobs));
    let r = build_trend(&s, Some(m), &TrendOptions::default());
    assert_eq!(r.memlab.as_ref().unwrap().count, expected_jobs);
    assert_eq!(r.types[0].type_name, "PendingJob");
}

/// Bytes one order adds to the Java scenario's heap: the `Order`, its payload, its list slot.
const ORDER_HEAP_BYTES: u64 = ORDER_BYTES + PAYLOAD_BYTES + 4;

#[test]
fn growth_within_a_stable_heaps_noise_gets_no_verdict_and_a_note() {
    // A full cache and an audit log growing by 100 orders a step: the `Order` row grows above
    // its own noise (linear), but the whole heap moves less than its noise (stable).
    let steps = [(1000, 3000, 0), (1100, 3000, 0), (1200, 3000, 0)];
    let r = java_series(&steps, None);
    assert_eq!(r.total.fit.shape, Shape::Stable, "{:?}", r.total.series);
    let order = r
        .types
        .iter()
        .find(|t| t.type_name == "com.acme.Order")
        .unwrap();
    assert_eq!(order.fit.shape, Shape::Linear, "the row keeps its shape");
    assert_eq!(order.fit.net_change, (200 * ORDER_BYTES) as i64);
    assert!(order.fit.net_change <= r.total.fit.noise_bytes as i64);
    assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
    let note = r
        .warnings
        .iter()
        .find(|w| w.contains("reachable heap is stable"))
        .expect("a note on the withheld rows");
    assert!(note.contains("got no leak or cache verdict"), "{note}");
}

#[test]
fn a_leak_offset_by_a_shrinking_cache_is_still_a_leak() {
    // 2,000 orders a step while the cache loses as many bytes: the heap is stable, but the
    // leak grows far more than the heap's noise, so the verdict stands.
    let entry = 32 + 24 + PROFILE_BYTES;
    let evicted = 2000 * ORDER_HEAP_BYTES / entry;
    let steps = [
        (2000, 3000, 0),
        (4000, 3000 - evicted, 0),
        (6000, 3000 - 2 * evicted, 0),
    ];
    let r = java_series(&steps, None);
    assert_eq!(r.total.fit.shape, Shape::Stable, "{:?}", r.total.series);
    let leak = r
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::TrueLeak)
        .expect("the leak's verdict");
    assert_eq!(leak.subject, "com.acme.Order");
    assert_eq!(r.types[0].type_name, "com.acme.Order");
    assert!(r.types[0].fit.net_change > r.total.fit.noise_bytes as i64);
}

/// memlab's method on three V8 snapshots built by `heap` from their job lists, named s0, s1, s2:
/// the summaries and memlab's output.
fn memlab_of_three<J>(
    lists: [&[J]; 3],
    heap: impl Fn(&[J]) -> Analysis,
) -> (Vec<DumpSummary>, MemlabOut) {
    let d: Vec<Analysed> = lists
        .iter()
        .enumerate()
        .map(|(i, jobs)| Analysed::new(heap(jobs), Format::V8, &format!("s{i}.heapsnapshot"), None))
        .collect();
    let s: Vec<DumpSummary> = d.iter().map(|x| x.summary()).collect();
    let m = memlab(d[2].dump(), &s[0], &s[1], ["s0", "s1", "s2"], 10);
    (s, m)
}

/// A V8-like heap of jobs `(id key, constructor)` in one global array (ids as in [`v8_heap`]).
fn v8_typed_jobs(jobs: &[(u64, &str)]) -> Analysis {
    let mut h = Heap::default();
    let (_, elems) = super::heaps::v8_global_array(&mut h, 16);
    for (i, &(k, ty)) in jobs.iter().enumerate() {
        let j = h.node(1000 + 2 * k, ty, NodeKind::Object, 40);
        h.edge(elems, j, &format!("[{i}]"));
    }
    h.analyse(heapscope_graph::Policy {
        weak_retains: false,
        orphans: heapscope_graph::Orphans::AttachAll,
    })
}

#[test]
fn memlab_survivors_are_the_allocated_objects_by_id_never_more() {
    // Baseline: jobs 0..100. Target adds 100..180 as PendingJob and 180..200 as Task. In final,
    // 150..160 are gone and 180..200 show as PendingJob (a constructor name can change between
    // snapshots): counted by type in final, 90 PendingJob would "survive" of 80 allocated.
    let job = |k: u64| (k, "PendingJob");
    let baseline: Vec<(u64, &str)> = (0..100).map(job).collect();
    let target: Vec<(u64, &str)> = (0..180)
        .map(job)
        .chain((180..200).map(|k| (k, "Task")))
        .collect();
    let fin: Vec<(u64, &str)> = (0..150).chain(160..200).map(job).collect();
    let (_, m) = memlab_of_three([&baseline, &target, &fin], v8_typed_jobs);
    // memlab's definition, from the lists: allocated between baseline and target (by id), of a
    // type in target; of those, the ones whose id is still in final.
    let in_list = |l: &[(u64, &str)], k: u64| l.iter().any(|j| j.0 == k);
    let by_definition = |ty: &str| {
        let allocated: Vec<u64> = target
            .iter()
            .filter(|j| j.1 == ty && !in_list(&baseline, j.0))
            .map(|j| j.0)
            .collect();
        let survived = allocated.iter().filter(|&&k| in_list(&fin, k)).count() as u64;
        (allocated.len() as u64, survived)
    };
    assert_eq!(m.clusters.len(), 1, "{:#?}", m.clusters);
    let c = &m.clusters[0];
    let ty = c.survivor_type.as_deref().expect("a survivor type");
    let (allocated, survived) = by_definition(ty);
    assert_eq!((c.allocated, c.survived), (Some(allocated), Some(survived)));
    assert!(survived <= allocated);
    // The leak set itself is by id: every job of final allocated between baseline and target.
    let leaked = fin
        .iter()
        .filter(|j| in_list(&target, j.0) && !in_list(&baseline, j.0))
        .count() as u64;
    assert_eq!(m.count, leaked);
}
