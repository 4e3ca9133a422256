//! `heapscope metrics`' analysis on series built here from documented curves (the recorded
//! exports and a real Prometheus are the cli suite's): target grouping across cAdvisor and
//! application labels, bare counters, Go fragmentation by the shared rule, too few samples, and
//! a document every renderer draws.

use heapscope_graph::series::MetricSeries;
use heapscope_reports::fragmentation;
use heapscope_reports::metrics::{analyze, render, GcMeasure, Options, Runtime, VerdictKind};
use heapscope_reports::render::OutputFormat;

const MIB: f64 = 1048576.0;
const T0: f64 = 1_700_000_000.0;

fn series(name: &str, labels: &[(&str, &str)], f: impl Fn(usize) -> f64, n: usize) -> MetricSeries {
    MetricSeries::new(
        name.to_string(),
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        (0..n).map(|i| (T0 + 60.0 * i as f64, f(i))).collect(),
    )
}

fn wiggle(i: usize) -> f64 {
    ((i * 7919 % 11) as f64 - 5.0) * 0.1 * MIB
}

#[test]
fn cadvisor_and_application_series_meet_on_pod() {
    let cadvisor = [
        ("pod", "api-0"),
        ("container", "app"),
        ("instance", "node-1"),
    ];
    let app = [
        ("pod", "api-0"),
        ("job", "api"),
        ("instance", "10.0.0.7:8080"),
    ];
    let s = vec![
        // The leak: 10 MiB an hour, in the container's working set.
        series(
            "container_memory_working_set_bytes",
            &cadvisor,
            |i| 300.0 * MIB + 10.0 * MIB * i as f64 / 60.0 + wiggle(i),
            240,
        ),
        // cAdvisor's pod-level and pause series are not targets.
        series(
            "container_memory_working_set_bytes",
            &[("pod", "api-0"), ("container", ""), ("instance", "node-1")],
            |_| 1.0,
            240,
        ),
        series(
            "container_memory_working_set_bytes",
            &[
                ("pod", "api-0"),
                ("container", "POD"),
                ("instance", "node-1"),
            ],
            |_| 1.0,
            240,
        ),
        // The application's own RSS is the same target, not a second one.
        series("process_resident_memory_bytes", &app, |_| 200.0 * MIB, 240),
        // A bare counter: 5 requests a second; a bare GC-time sum: 2% of the time.
        series("http_requests_total", &app, |i| 300.0 * i as f64, 240),
        series(
            "jvm_gc_pause_seconds_sum",
            &app,
            |i| 0.02 * 60.0 * i as f64,
            240,
        ),
        // NaN samples are left out.
        series(
            "container_spec_memory_limit_bytes",
            &cadvisor,
            |i| if i % 2 == 0 { f64::NAN } else { 512.0 * MIB },
            240,
        ),
    ];
    let r = analyze(&s, &Options::default());
    assert_eq!(r.targets.len(), 1, "{:?}", r.warnings);
    let t = &r.targets[0];
    assert_eq!(t.verdict.kind, VerdictKind::TrueLeak);
    assert_eq!(t.runtime, Runtime::Jvm);
    assert!((t.growth_per_day / (240.0 * MIB) - 1.0).abs() < 0.01);
    let req = t.requests.as_ref().expect("requests");
    assert!((req.mean - 5.0).abs() < 1e-9, "{}", req.mean);
    let gc = t.gc.as_ref().expect("gc");
    assert_eq!(gc.measure, GcMeasure::TimeFraction);
    assert!((gc.mean - 0.02).abs() < 1e-9);
    assert!(!gc.pressure && !gc.rising);
    // 512 MiB at 10 MiB an hour from 300 MiB: 21.2 hours after the first sample.
    let crossing = t.crossing_at.unwrap();
    assert!(((crossing - T0) / 3600.0 - 21.2).abs() < 0.3, "{crossing}");
    // Every form draws it; JSON twice is the same bytes.
    for f in OutputFormat::ALL {
        assert!(!render(&r, f).is_empty());
    }
    assert_eq!(
        render(&r, OutputFormat::Json),
        render(&r, OutputFormat::Json)
    );
}

#[test]
fn go_fragmentation_by_the_shared_rule() {
    let l = [("job", "svc"), ("instance", "a:1")];
    let inuse = 40.0 * MIB;
    let mk = |alloc: f64| {
        vec![
            series(
                "process_resident_memory_bytes",
                &l,
                |i| 60.0 * MIB + wiggle(i),
                60,
            ),
            series("go_memstats_heap_inuse_bytes", &l, |_| inuse, 60),
            series("go_memstats_heap_alloc_bytes", &l, |_| alloc, 60),
        ]
    };
    // Just past and just short of fragmentation::RATIO.
    let frag = analyze(
        &mk(inuse / (fragmentation::RATIO + 0.1)),
        &Options::default(),
    );
    let t = &frag.targets[0];
    assert_eq!(t.verdict.kind, VerdictKind::Fragmentation);
    assert_eq!(t.runtime, Runtime::Go);
    assert!(t.fragmentation.as_ref().unwrap().ratio >= fragmentation::RATIO);
    let fine = analyze(
        &mk(inuse / (fragmentation::RATIO - 0.1)),
        &Options::default(),
    );
    assert_eq!(fine.targets[0].verdict.kind, VerdictKind::Healthy);
}

#[test]
fn too_few_samples_and_no_memory() {
    let l = [("job", "svc")];
    let r = analyze(
        &[series("process_resident_memory_bytes", &l, |i| i as f64, 3)],
        &Options::default(),
    );
    assert_eq!(r.targets[0].verdict.kind, VerdictKind::Unknown);
    let none = analyze(
        &[series("http_requests_total", &l, |i| i as f64, 30)],
        &Options::default(),
    );
    assert!(none.targets.is_empty());
    assert_eq!(none.warnings.len(), 1);
    assert!(!render(&none, OutputFormat::Text).is_empty());
}
