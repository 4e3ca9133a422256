//! Trends and diffs on the growth series of each runtime: the leak is linear, the cache levels
//! off, and the verdicts say so.

use super::*;
use heapscope_reports::overtime::model::{AxisSource, Shape, VerdictKind};

#[test]
fn tracemalloc_trend_calls_the_leak_linear_and_the_cache_levelling_off() {
    let leak = format!(
        "series.py:{}",
        line_of("python/src/series.py", "LEAK.append")
    );
    let cache = format!(
        "series.py:{}",
        line_of("python/src/series.py", "CACHE[key] =")
    );
    for py in PYTHONS {
        let files: Vec<String> = (1..=3)
            .map(|i| format!("python/snapshots/series-{py}-{i}.tracemalloc"))
            .collect();
        let (r, _) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
        assert!(
            r.types[0].type_name.ends_with(&leak),
            "{py}: first is {}",
            r.types[0].type_name
        );
        assert_eq!(r.types[0].fit.shape, Shape::Linear, "{py}");
        let c = r
            .types
            .iter()
            .find(|t| t.type_name.ends_with(&cache))
            .unwrap();
        assert_eq!(c.fit.shape, Shape::LevellingOff, "{py}");
        assert!(
            c.fit.net_change > r.types[0].fit.net_change,
            "{py}: the cache grew more overall"
        );
        let kinds: Vec<VerdictKind> = r.verdicts.iter().map(|v| v.kind).collect();
        assert_eq!(
            kinds,
            [VerdictKind::TrueLeak, VerdictKind::UnboundedCache],
            "{py}"
        );
        assert!(r.verdicts[1].subject.ends_with(&cache));
        assert_eq!(
            r.time_axis.source,
            AxisSource::Steps,
            "tracemalloc snapshots record no time"
        );
    }
}

#[test]
fn a_snapshot_repeated_has_nothing_growing() {
    // The healthy controls repeated are the floor of the noise rule: nothing may grow,
    // nothing may be called a leak. The real healthy series are checked further below.
    for f in [
        "python/snapshots/healthy-py312.tracemalloc",
        "node/snapshots/healthy.heapsnapshot",
        "go/healthy/heap.txt",
    ] {
        let (r, _) = trend(&[f, f, f], None);
        let growing: Vec<&str> = r
            .types
            .iter()
            .chain(&r.paths)
            .filter(|x| x.fit.shape != Shape::Stable)
            .map(|x| x.type_name.as_str())
            .collect();
        assert!(growing.is_empty(), "{f}: {growing:?}");
        assert!(r.verdicts.is_empty(), "{f}: {:?}", r.verdicts);
    }
}

#[test]
fn pprof_trend_calls_the_audit_log_linear_and_the_cache_levelling_off() {
    let (r, _) = trend(
        &[
            "go/growth/heap.1.txt",
            "go/growth/heap.2.txt",
            "go/growth/heap.3.txt",
        ],
        None,
    );
    assert_eq!(r.types[0].type_name, "main.appendAudit");
    assert_eq!(r.types[0].fit.shape, Shape::Linear);
    let cache = r
        .types
        .iter()
        .find(|t| t.type_name == "main.fetchEntry")
        .unwrap();
    assert_eq!(cache.fit.shape, Shape::LevellingOff);
    assert!(
        cache.fit.net_change > r.types[0].fit.net_change,
        "the cache grew more overall"
    );
    assert_eq!(
        r.time_axis.source,
        AxisSource::Dump,
        "pprof records time_nanos"
    );
    let cv = r
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::UnboundedCache)
        .unwrap();
    assert_eq!(cv.subject, "main.fetchEntry");
    assert!(!r
        .verdicts
        .iter()
        .any(|v| v.kind == VerdictKind::Fragmentation));
}

#[test]
fn go_fragmentation_is_told_from_memstats() {
    let frag = open("go/fragmentation/heap.txt", None, None);
    let d = diff(&frag, &frag);
    let v = d
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::Fragmentation)
        .expect("fragmentation verdict");
    let m = frag.info.memstats.as_ref().unwrap();
    let (alloc, inuse) = (m.heap_alloc.unwrap(), m.heap_inuse.unwrap());
    assert!(
        v.evidence[0].contains(&format!("{:.1}×", inuse as f64 / alloc as f64)),
        "{:?}",
        v.evidence
    );
    for healthy in [
        "go/healthy/heap.txt",
        "go/global_map/heap.txt",
        "go/growth/heap.3.txt",
    ] {
        let h = open(healthy, None, None);
        assert!(diff(&h, &h).verdicts.is_empty(), "{healthy}");
    }
}

#[test]
fn v8_trend_memlab_and_diff_on_the_series() {
    let files = [
        "node/snapshots/series-baseline.heapsnapshot",
        "node/snapshots/series-target.heapsnapshot",
        "node/snapshots/series-final.heapsnapshot",
    ];
    let (r, loaded) = trend(&files, None);
    assert_eq!(r.types[0].type_name, "PendingJob");
    assert_eq!(r.types[0].fit.shape, Shape::Linear);
    let linear_path = r
        .paths
        .iter()
        .find(|p| p.fit.shape == Shape::Linear)
        .unwrap();
    assert!(
        linear_path.path.as_deref().unwrap().contains("pending"),
        "{:?}",
        linear_path.path
    );
    let map = r
        .paths
        .iter()
        .find(|p| {
            p.type_name == "Map"
                && p.path
                    .as_deref()
                    .is_some_and(|s| s.contains("sessionCache"))
        })
        .unwrap();
    assert_eq!(map.fit.shape, Shape::LevellingOff);
    let pending = r
        .paths
        .iter()
        .find(|p| {
            p.path
                .as_deref()
                .is_some_and(|s| s.ends_with("pending > Array"))
        })
        .unwrap();
    assert!(
        map.fit.net_change > pending.fit.net_change,
        "the cache grew more overall"
    );
    let cache = r
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::UnboundedCache)
        .unwrap();
    assert!(cache.subject.contains("sessionCache"), "{}", cache.subject);
    // memlab: the jobs added between baseline and target are all still pending in final.
    let jobs = &r.types[0].series;
    let added = jobs[1].count - jobs[0].count;
    let m = r.memlab.as_ref().unwrap();
    let c = m
        .clusters
        .iter()
        .find(|c| c.type_name == "PendingJob")
        .unwrap();
    assert_eq!(c.count, added);
    assert!(c.retainer_path.as_deref().unwrap().contains("pending"));
    // Diff target → final: the new PendingJobs are exactly the count change (none finish).
    let d = diff(&loaded[1], &loaded[2]);
    let n = d.new_objects.as_ref().unwrap();
    let new_jobs = n
        .by_type
        .iter()
        .find(|t| t.type_name == "PendingJob")
        .unwrap();
    assert_eq!(
        new_jobs.count as i64,
        d.types
            .iter()
            .find(|t| t.type_name == "PendingJob")
            .unwrap()
            .change
            .count
    );
}

#[test]
fn hprof_trend_and_diff_on_the_growth_series() {
    let files = [
        "java/dumps/growth_1.hprof.gz",
        "java/dumps/growth_2.hprof.gz",
        "java/dumps/growth_3.hprof.gz",
    ];
    let (r, loaded) = trend(&files, None);
    assert_eq!(r.types[0].type_name, "com.acme.Order");
    assert_eq!(r.types[0].fit.shape, Shape::Linear);
    let leak_path = r
        .paths
        .iter()
        .find(|p| p.fit.shape == Shape::Linear)
        .unwrap();
    assert!(
        leak_path
            .path
            .as_deref()
            .unwrap()
            .contains("class com.acme.OrderService"),
        "{:?}",
        leak_path.path
    );
    let map = r
        .paths
        .iter()
        .find(|p| {
            p.path.as_deref().is_some_and(|s| {
                s.ends_with("class com.acme.CustomerCache > static PROFILES > java.util.HashMap")
            })
        })
        .unwrap();
    assert_eq!(map.fit.shape, Shape::LevellingOff);
    let log = r
        .paths
        .iter()
        .find(|p| {
            p.path
                .as_deref()
                .is_some_and(|s| s.ends_with("static AUDIT_LOG > java.util.ArrayList"))
        })
        .unwrap();
    assert!(
        map.fit.net_change > log.fit.net_change,
        "the cache grew more overall"
    );
    let leak = r
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::TrueLeak)
        .unwrap();
    assert_eq!(leak.subject, "com.acme.Order");
    let cache = r
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::UnboundedCache)
        .unwrap();
    assert!(cache.subject.contains("CustomerCache"), "{}", cache.subject);
    assert_eq!(
        r.time_axis.source,
        AxisSource::Dump,
        "HPROF headers record the time"
    );
    // Diff 1 → 3 by class equals the JVM's own class histograms.
    let d = diff(&loaded[0], &loaded[2]);
    let (c1, b1) = histo("java/dumps/growth_1.histo.txt", "com.acme.Order");
    let (c3, b3) = histo("java/dumps/growth_3.histo.txt", "com.acme.Order");
    let row = d
        .types
        .iter()
        .find(|t| t.type_name == "com.acme.Order")
        .unwrap();
    assert_eq!(
        (row.change.count, row.change.shallow_bytes),
        (c3 - c1, b3 - b1)
    );
    let by_path = d.paths.iter().find(|p| p.path.as_deref().is_some_and(|s| s.ends_with("static AUDIT_LOG > java.util.ArrayList > elementData > java.lang.Object[] > [] > com.acme.Order"))).unwrap();
    assert_eq!(by_path.change.count, c3 - c1);
}
