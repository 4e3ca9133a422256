//! Healthy series: one healthy process, three dumps (testdata/<runtime>/healthy_series/).
//! Each service does real work (allocates and frees per request) beside a bounded LRU cache
//! that is full before the first dump; issue 8: "the healthy series has nothing growing above
//! noise". The noise is the trend's own rule (reports/src/overtime/shape.rs), applied to the
//! diff's two points the same way.

use super::*;
use heapscope_reports::overtime::model::{AxisSource, Shape, VerdictKind};

fn trend_grouped(files: &[String], group_by: Option<&str>) -> (TrendReport, Vec<Session>) {
    let loaded: Vec<Session> = files.iter().map(|f| open(f, None, group_by)).collect();
    let s: Vec<_> = loaded.iter().map(|l| summarize(l.dump())).collect();
    (
        build_trend(
            &s,
            None,
            &TrendOptions {
                rows: 0,
                ..Default::default()
            },
        ),
        loaded,
    )
}

/// Rows the trend calls growing (`linear` or `levelling-off`: above the noise by the rule).
fn growing(rows: &[heapscope_reports::overtime::TrendRow]) -> Vec<String> {
    rows.iter()
        .filter(|x| x.fit.shape.is_growing())
        .map(|x| {
            let s: Vec<String> = x.series.iter().map(|v| x.value(v).to_string()).collect();
            format!(
                "{} {} (+{} B, noise {} B, {}): {}",
                x.fit.shape,
                x.metric,
                x.fit.net_change,
                x.fit.noise_bytes,
                s.join(" → "),
                x.path.as_deref().unwrap_or(&x.type_name)
            )
        })
        .collect()
}

/// Diff rows whose metric grew by more than the trend's noise rule allows for those two points.
fn diff_growing(
    d: &DiffReport,
    rows: &[heapscope_reports::overtime::DiffRow],
    retained: bool,
) -> Vec<String> {
    let mean_heap = (d.base.reachable_bytes + d.target.reachable_bytes) as f64 / 2.0;
    rows.iter()
        .filter_map(|r| {
            let (b, t) = if retained {
                (r.base.retained_bytes, r.target.retained_bytes)
            } else {
                (r.base.shallow_bytes, r.target.shallow_bytes)
            };
            let noise =
                heapscope_reports::overtime::shape::noise_bytes(&[b as f64, t as f64], mean_heap);
            (t as i64 - b as i64 > noise as i64).then(|| {
                format!(
                    "{} +{} B (noise {noise} B)",
                    r.path.as_deref().unwrap_or(&r.type_name),
                    t as i64 - b as i64
                )
            })
        })
        .collect()
}

/// By type: no type row grows above noise, the reachable heap is stable, and the diff 1 → 3
/// has no type that grew above noise. Returns the trend for the callers' own checks.
fn assert_no_type_grows(
    what: &str,
    r: &TrendReport,
    first: &Session,
    last: &Session,
) -> DiffReport {
    assert!(r.types.len() > 5, "{what}: {} type rows", r.types.len());
    assert_eq!(
        r.total.fit.shape,
        Shape::Stable,
        "{what}: reachable heap {:?}",
        r.total.series
    );
    let g = growing(&r.types);
    assert!(
        g.is_empty(),
        "{what}: type rows growing in a healthy process:\n{}",
        g.join("\n")
    );
    let d = diff(first, last);
    assert!(!d.types.is_empty(), "{what}: the diff compared nothing");
    let g = diff_growing(&d, &d.types, false);
    assert!(
        g.is_empty(),
        "{what}: diff 1 → 3, types grown above noise:\n{}",
        g.join("\n")
    );
    d
}

/// By path to a GC root (object heaps): no path row grows above noise, and no verdict.
fn assert_no_path_grows(what: &str, r: &TrendReport, d: &DiffReport) {
    assert!(r.paths.len() > 5, "{what}: {} path rows", r.paths.len());
    let g = growing(&r.paths);
    assert!(
        g.is_empty(),
        "{what}: path rows growing in a healthy process:\n{}",
        g.join("\n")
    );
    let g = diff_growing(d, &d.paths, true);
    assert!(
        g.is_empty(),
        "{what}: diff 1 → 3, paths grown above noise:\n{}",
        g.join("\n")
    );
}

fn assert_no_verdict(what: &str, r: &TrendReport) {
    let v: Vec<String> = r
        .verdicts
        .iter()
        .map(|v| format!("{}: {}", v.kind, v.summary))
        .collect();
    assert!(
        v.is_empty(),
        "{what}: verdicts on a healthy process:\n{}",
        v.join("\n")
    );
}

#[test]
fn tracemalloc_healthy_series_has_nothing_growing() {
    let src = "python/healthy_series/src/healthy_series.py";
    let (capacity, value_bytes) = (
        source_const(src, "CAPACITY"),
        source_const(src, "VALUE_BYTES"),
    );
    let value_line = format!("healthy_series.py:{}", line_of(src, ".encode(\"ascii\")"));
    for py in ["py38", "py311", "py313"] {
        for group_by in ["lineno", "traceback"] {
            let what = format!("{py} by {group_by}");
            let files: Vec<String> = (1..=3)
                .map(|i| format!("python/healthy_series/healthy_series-{py}-{i}.tracemalloc"))
                .collect();
            let (r, loaded) = trend_grouped(&files, Some(group_by));
            assert_no_type_grows(&what, &r, &loaded[0], &loaded[2]);
            assert_no_verdict(&what, &r);
            if group_by == "lineno" {
                // The full cache is in every snapshot, and stable: the test sees the work.
                let row = r
                    .types
                    .iter()
                    .find(|t| t.type_name.ends_with(&value_line))
                    .unwrap_or_else(|| panic!("{what}: {value_line}"));
                assert!(
                    row.series
                        .iter()
                        .all(|s| s.count == capacity && s.shallow_bytes >= capacity * value_bytes),
                    "{what}: {:?}",
                    row.series
                );
                assert_eq!(row.fit.shape, Shape::Stable);
            }
        }
    }
}

#[test]
fn v8_healthy_series_has_nothing_growing() {
    let files: Vec<String> = (1..=3)
        .map(|i| format!("node/healthy_series/healthy_series_{i}.heapsnapshot"))
        .collect();
    let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
    let d = assert_no_type_grows("v8", &r, &loaded[0], &loaded[2]);
    assert_no_path_grows("v8", &r, &d);
    assert_no_verdict("v8", &r);
    let cap = source_const("node/healthy_series/src/healthy-series.js", "CACHE_CAP");
    let products = r.types.iter().find(|t| t.type_name == "Product").unwrap();
    assert!(
        products.series.iter().all(|s| s.count == cap),
        "the LRU is full in every snapshot: {:?}",
        products.series
    );
    assert_eq!(products.fit.shape, Shape::Stable);
    // Node ids are stable: the LRU churned between the dumps (evicted entries are gone by id,
    // new ones took their place), yet nothing grew.
    let n = d.new_objects.as_ref().unwrap();
    assert!(
        n.gone_count >= products.series[0].count / 10 && n.count > 0,
        "{} gone, {} new",
        n.gone_count,
        n.count
    );
}

#[test]
fn hprof_healthy_series_by_class_has_nothing_growing() {
    let files: Vec<String> = (1..=3)
        .map(|i| format!("java/healthy_series/healthy_series_{i}.hprof.gz"))
        .collect();
    let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert_no_type_grows("hprof", &r, &loaded[0], &loaded[2]);
    assert_eq!(r.time_axis.source, AxisSource::Dump);
    // The per-class numbers are the JVM's own (jcmd GC.class_histogram beside each dump).
    for (i, l) in ["1", "2", "3"].iter().enumerate() {
        let (count, bytes) = histo(
            &format!("java/healthy_series/healthy_series_{l}.histo.txt"),
            "java.util.LinkedHashMap$Entry",
        );
        let row = r
            .types
            .iter()
            .find(|t| t.type_name == "java.util.LinkedHashMap$Entry")
            .unwrap();
        assert_eq!(
            (
                row.series[i].count as i64,
                row.series[i].shallow_bytes as i64
            ),
            (count, bytes),
            "dump {l}"
        );
    }
    // The full cache, stable as a whole (its holder's path row).
    let src = "java/healthy_series/src/com/acme/healthy/HealthyService.java";
    let (capacity, value_bytes) = (
        source_const(src, "CAPACITY"),
        source_const(src, "VALUE_BYTES"),
    );
    let cache = r
        .paths
        .iter()
        .find(|p| {
            p.path.as_deref().is_some_and(|s| {
                s.ends_with("static CACHE > com.acme.healthy.HealthyService$ProductCache")
            })
        })
        .unwrap();
    assert!(
        cache
            .series
            .iter()
            .all(|s| s.retained_bytes >= capacity * value_bytes),
        "{:?}",
        cache.series
    );
    assert_eq!(cache.fit.shape, Shape::Stable);
}

/// The entries of the one full LinkedHashMap are reached through whichever link the shortest
/// path happens to use (`[] > Entry`, `> next > Entry`, `> before > Entry`, `> after >
/// Entry`), which changes as the LRU churns. Signatures collapse same-type chains, so all
/// the entries stay in the rows of the ways into the map (the table, `head`, `tail`); before
/// that, bytes moved between sibling rows and one was called linear (a true-leak verdict).
/// See testdata/java/healthy_series/README.md.
#[test]
fn hprof_healthy_series_by_path_has_nothing_growing() {
    let files: Vec<String> = (1..=3)
        .map(|i| format!("java/healthy_series/healthy_series_{i}.hprof.gz"))
        .collect();
    let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
    let d = diff(&loaded[0], &loaded[2]);
    assert_no_path_grows("hprof", &r, &d);
    assert_no_verdict("hprof", &r);
    // Every entry of the cache is in a path row (the JVM's histogram count), and no row
    // steps from an entry to an entry.
    let entry = "java.util.LinkedHashMap$Entry";
    let rows: Vec<_> = r.paths.iter().filter(|p| p.type_name == entry).collect();
    for (i, l) in ["1", "2", "3"].iter().enumerate() {
        let (count, _) = histo(
            &format!("java/healthy_series/healthy_series_{l}.histo.txt"),
            entry,
        );
        assert_eq!(
            rows.iter().map(|p| p.series[i].count as i64).sum::<i64>(),
            count,
            "dump {l}"
        );
    }
    let linked = format!("{entry} > ");
    for p in &rows {
        let path = p.path.as_deref().unwrap();
        assert!(!path.contains(&linked), "{path}");
        assert!(path.contains("static CACHE"), "{path}");
    }
    assert!(
        rows.len() <= 3,
        "the table, head and tail: {:#?}",
        rows.iter().map(|p| &p.path).collect::<Vec<_>>()
    );
}

/// The heap as a whole and the cache's values are stable in both forms of the profile.
#[test]
fn pprof_healthy_series_heap_and_cache_are_stable() {
    let src = "go/healthy_series/src/main.go";
    let (capacity, value_bytes) = (
        source_const(src, "capacity"),
        source_const(src, "valueBytes"),
    );
    for form in ["pb.gz", "txt"] {
        let files: Vec<String> = (1..=3)
            .map(|i| format!("go/healthy_series/heap.{i}.{form}"))
            .collect();
        let (r, _) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
        assert_eq!(
            r.total.fit.shape,
            Shape::Stable,
            "{form}: in-use heap {:?}",
            r.total.series
        );
        let values = r
            .types
            .iter()
            .find(|t| t.type_name == "main.loadProduct")
            .unwrap();
        assert!(
            values
                .series
                .iter()
                .all(|s| (s.count, s.shallow_bytes) == (capacity, capacity * value_bytes)),
            "{form}: {:?}",
            values.series
        );
        assert_eq!(values.fit.shape, Shape::Stable);
        assert!(
            !r.verdicts
                .iter()
                .any(|v| v.kind == VerdictKind::Fragmentation || v.kind == VerdictKind::TrueLeak),
            "{form}: {:?}",
            r.verdicts
        );
    }
}

/// The LRU's Go map gains overflow buckets (208-byte objects at `c.items[key] = …`) as keys
/// churn, until a same-size grow clears them: the site `main.(*lru).get` grows 5 % between
/// the profiles (a bounded sawtooth) and is called levelling-off, rightly so for that row.
/// But the in-use heap is stable, and the row moved by less than the heap's own noise, so it
/// gets no verdict (reports/src/overtime/verdict.rs, `above_heap_noise`) and the report says
/// why. Every row that grows here grows by less than that noise, in the trend and in the
/// diff 1 → 3. See testdata/go/healthy_series/README.md.
#[test]
fn pprof_healthy_series_grows_only_within_the_heaps_noise_and_gets_no_verdict() {
    // The function of main.go that inserts into the map (`c.items[key] = …`).
    let churned = "main.(*lru).get";
    for form in ["pb.gz", "txt"] {
        let files: Vec<String> = (1..=3)
            .map(|i| format!("go/healthy_series/heap.{i}.{form}"))
            .collect();
        let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
        assert_eq!(
            r.total.fit.shape,
            Shape::Stable,
            "{form}: in-use heap {:?}",
            r.total.series
        );
        let heap_noise = r.total.fit.noise_bytes as i64;
        assert_no_verdict(form, &r);
        let growing: Vec<_> = r
            .types
            .iter()
            .filter(|x| x.fit.shape.is_growing())
            .collect();
        for x in &growing {
            assert!(
                x.fit.net_change <= heap_noise,
                "{form}: {} +{} B above the heap's noise {heap_noise} B",
                x.type_name,
                x.fit.net_change
            );
        }
        // The one grower is the map's insertion site, and the report says why it has no verdict.
        let names: Vec<&str> = growing.iter().map(|x| x.type_name.as_str()).collect();
        assert_eq!(names, [churned], "{form}");
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("reachable heap is stable") && w.contains(churned)),
            "{form}: {:?}",
            r.warnings
        );
        // The diff 1 → 3 agrees: nothing grew by more than the heap's noise.
        let d = diff(&loaded[0], &loaded[2]);
        assert!(!d.types.is_empty(), "{form}: the diff compared nothing");
        let mean_heap = (d.base.reachable_bytes + d.target.reachable_bytes) as f64 / 2.0;
        let heap = heapscope_reports::overtime::shape::noise_bytes(
            &[
                d.base.reachable_bytes as f64,
                d.target.reachable_bytes as f64,
            ],
            mean_heap,
        ) as i64;
        let above: Vec<String> = d
            .types
            .iter()
            .filter(|t| t.change.shallow_bytes > heap)
            .map(|t| format!("{} +{} B", t.type_name, t.change.shallow_bytes))
            .collect();
        assert!(
            above.is_empty(),
            "{form}: diff 1 → 3 above the heap's noise {heap} B: {above:?}"
        );
    }
}
