//! `heapscope metrics`: the guide's first questions, answered from monitoring series before any
//! dump — is memory growing linearly or levelling off, does it follow the request rate, is GC
//! time rising, when does it reach the limit — per service, with a verdict and what to capture
//! next.
//!
//! [`analyze`] takes typed [`MetricSeries`] (a reader fills them; this module does not know the
//! file format or the HTTP API) and returns a [`MetricsReport`]: typed findings, no prose.
//! [`words`] is the only place they become English, [`crate::view::metrics`] lays them out.
//!
//! Targets: series are grouped by the labels that identify a scrape target or container,
//! [`IDENTITY`]. Each memory series (`container_memory_working_set_bytes`, else
//! `process_resident_memory_bytes`) is a target; another series belongs to a target when the
//! first identity label (in [`IDENTITY`] order) that both have agrees — so cAdvisor's series
//! (instance = the node) and the application's (instance = the pod) meet on `pod`.

pub mod fit;
pub mod model;
pub mod words;

use std::collections::BTreeMap;

use heapscope_graph::series::{Labels, MetricSeries, Samples};
use heapscope_graph::MemStats;

pub use fit::{Fit, Shape};
pub use model::*;

use crate::fragmentation;

/// The labels that identify a target, most specific first.
pub const IDENTITY: [&str; 5] = ["pod", "container", "service", "job", "instance"];
/// GC is rising when its linear fit grows by this share of its mean over the window.
pub const GC_RISING: f64 = 0.2;
/// Rising GC time counts as pressure only from this share of wall time (a warm-up from 0.05% to
/// 0.2% is not pressure).
pub const GC_RISING_FLOOR: f64 = 0.01;
/// GC time at or above this share of wall time is pressure (the guide's 0.05).
pub const GC_PRESSURE: f64 = 0.05;
/// Memory that changes by less than this share of its mean over the window is flat, whatever
/// wins the fit (a slope AICc finds in noise is not growth anyone acts on).
pub const FLAT_SHARE: f64 = 0.05;
/// Captures are spaced so that the growth between them is this many times the noise…
pub const NOISE_MULTIPLE: f64 = 10.0;
/// … and at least this many bytes…
pub const MIN_GROWTH_BYTES: f64 = (1u64 << 20) as f64;
/// … within these bounds, seconds (a minute; a day).
pub const MIN_INTERVAL: f64 = 60.0;
pub const MAX_INTERVAL: f64 = 86_400.0;

/// What the command line adds.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Files read, or the server's URL.
    pub inputs: Vec<String>,
    /// `--limit`, bytes (wins over `container_spec_memory_limit_bytes`).
    pub limit_bytes: Option<f64>,
    /// `--requests QUERY`: series named by this query are the request rate.
    pub requests_query: Option<String>,
}

/// What a series measures, by its metric name (or the query that made it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ContainerMemory,
    ProcessMemory,
    Limit,
    GcTime(Runtime),
    GcCount(Runtime),
    Requests,
    GoHeapInuse,
    GoHeapAlloc,
    Other,
}

fn kind_of(name: &str, opts: &Options) -> Kind {
    if opts.requests_query.as_deref() == Some(name) {
        return Kind::Requests;
    }
    let has = |m: &str| name.contains(m);
    if has("container_memory_working_set_bytes") {
        Kind::ContainerMemory
    } else if has("process_resident_memory_bytes") {
        Kind::ProcessMemory
    } else if has("container_spec_memory_limit_bytes") {
        Kind::Limit
    } else if has("jvm_gc_pause_seconds_sum") {
        Kind::GcTime(Runtime::Jvm)
    } else if has("go_gc_duration_seconds_sum") {
        Kind::GcTime(Runtime::Go)
    } else if has("nodejs_gc_duration_seconds_sum") {
        Kind::GcTime(Runtime::Node)
    } else if has("python_gc_collections_total") {
        Kind::GcCount(Runtime::Python)
    } else if has("http_requests_total") && opts.requests_query.is_none() {
        Kind::Requests
    } else if has("go_memstats_heap_inuse_bytes") {
        Kind::GoHeapInuse
    } else if has("go_memstats_heap_alloc_bytes") {
        Kind::GoHeapAlloc
    } else {
        Kind::Other
    }
}

/// A bare counter (`http_requests_total`, not `rate(…)`): its per-second rate is computed here.
fn is_raw_counter(name: &str) -> bool {
    !name.contains('(') && (name.ends_with("_total") || name.ends_with("_sum"))
}

/// Per-second rate of a counter's samples, restarting at resets (as Prometheus's `rate`).
fn counter_rate(s: &[(f64, f64)]) -> Vec<(f64, f64)> {
    s.windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| {
            let d = if w[1].1 >= w[0].1 {
                w[1].1 - w[0].1
            } else {
                w[1].1
            };
            (w[1].0, d / (w[1].0 - w[0].0))
        })
        .collect()
}

/// Sum series sample by sample (same instants; one missing at an instant counts as absent).
fn sum_aligned(parts: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut by: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for p in parts {
        for &(t, v) in p {
            // Unix seconds are positive: their bit patterns sort as the numbers do.
            by.entry(t.to_bits()).or_insert((t, 0.0)).1 += v;
        }
    }
    by.into_values().collect()
}

fn identity(s: &MetricSeries) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = IDENTITY
        .iter()
        .filter_map(|&k| s.label(k).map(|v| (k.to_string(), v.to_string())))
        .collect();
    v.sort();
    v
}

/// Does a series with identity `b` belong to the target with identity `a`? The first identity
/// label both have decides; a series with none of the target's labels belongs when there is
/// only one target.
fn belongs(a: &[(String, String)], b: &[(String, String)], single: bool) -> bool {
    for k in IDENTITY {
        let va = a.iter().find(|p| p.0 == k);
        let vb = b.iter().find(|p| p.0 == k);
        if let (Some(x), Some(y)) = (va, vb) {
            return x.1 == y.1;
        }
    }
    single
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Analyse every target the series show.
pub fn analyze(series: &[MetricSeries], opts: &Options) -> MetricsReport {
    let mut warnings = Vec::new();
    let classified: Vec<(Kind, &MetricSeries, Samples)> = series
        .iter()
        .map(|s| {
            let k = kind_of(&s.name, opts);
            let pts: Samples = s.finite().collect();
            let pts = match k {
                Kind::GcTime(_) | Kind::GcCount(_) | Kind::Requests if is_raw_counter(&s.name) => {
                    counter_rate(&pts)
                }
                _ => pts,
            };
            (k, s, pts)
        })
        .collect();
    // Targets: container memory first (cAdvisor's pod-level and pause series left out), then
    // process memory that belongs to none of them.
    let mut targets: Vec<(Labels, &MetricSeries, Samples)> = Vec::new();
    for want in [Kind::ContainerMemory, Kind::ProcessMemory] {
        for (k, s, pts) in &classified {
            if *k != want || pts.is_empty() {
                continue;
            }
            if want == Kind::ContainerMemory && matches!(s.label("container"), Some("" | "POD")) {
                continue;
            }
            let id = identity(s);
            if want == Kind::ProcessMemory && targets.iter().any(|t| belongs(&t.0, &id, false)) {
                continue;
            }
            if targets.iter().any(|t| t.0 == id) {
                warnings.push(format!(
                    "two memory series for one target ({}): the first is used",
                    words::labels(&id)
                ));
                continue;
            }
            targets.push((id, s, pts.clone()));
        }
    }
    if targets.is_empty() {
        warnings.push(words::NO_MEMORY.to_string());
    }
    let single = targets.len() == 1;
    let mut out: Vec<Target> = targets
        .iter()
        .map(|(id, mem, pts)| {
            let mine = |want: &dyn Fn(Kind) -> bool| -> Vec<(Kind, &MetricSeries, &Samples)> {
                classified
                    .iter()
                    .filter(|(k, s, p)| {
                        want(*k) && !p.is_empty() && belongs(id, &identity(s), single)
                    })
                    .map(|(k, s, p)| (*k, *s, p))
                    .collect()
            };
            target(id.clone(), mem, pts.clone(), &mine, opts)
        })
        .collect();
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    MetricsReport {
        kind: "metrics",
        schema_version: SCHEMA_VERSION,
        inputs: opts.inputs.clone(),
        targets: out,
        warnings,
    }
}

type Mine<'a> = dyn Fn(&dyn Fn(Kind) -> bool) -> Vec<(Kind, &'a MetricSeries, &'a Samples)> + 'a;

fn series_out(name: &str, pts: Vec<(f64, f64)>) -> SeriesOut {
    SeriesOut {
        metric: name.to_string(),
        points: pts,
    }
}

/// The values of `other` at the instants of `base` (nearest within half the median step).
fn align(base: &[(f64, f64)], other: &[(f64, f64)]) -> Vec<Option<f64>> {
    let mut steps: Vec<f64> = base.windows(2).map(|w| w[1].0 - w[0].0).collect();
    steps.sort_by(f64::total_cmp);
    let tol = steps.get(steps.len() / 2).copied().unwrap_or(1.0) / 2.0;
    base.iter()
        .map(|&(t, _)| {
            let i = other.partition_point(|p| p.0 < t);
            [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .filter_map(|j| other.get(j))
                .filter(|p| (p.0 - t).abs() <= tol)
                .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
                .map(|p| p.1)
        })
        .collect()
}

fn target<'a>(
    labels: Vec<(String, String)>,
    mem: &MetricSeries,
    pts: Vec<(f64, f64)>,
    mine: &Mine<'a>,
    opts: &Options,
) -> Target {
    let kinds = mine(&|_| true);
    let runtime = kinds
        .iter()
        .find_map(|(k, _, _)| match k {
            Kind::GcTime(r) | Kind::GcCount(r) => Some(*r),
            Kind::GoHeapInuse | Kind::GoHeapAlloc => Some(Runtime::Go),
            _ => None,
        })
        .unwrap_or(Runtime::Unknown);
    let (t0, t1) = (pts[0].0, pts[pts.len() - 1].0);

    // Requests: summed over the target's series.
    let req_parts: Vec<Vec<(f64, f64)>> = mine(&|k| k == Kind::Requests)
        .into_iter()
        .map(|(_, _, p)| p.clone())
        .collect();
    let req = (!req_parts.is_empty()).then(|| sum_aligned(&req_parts));
    let req_name = mine(&|k| k == Kind::Requests)
        .first()
        .map(|(_, s, _)| s.name.clone());

    // Fits on the instants where memory (and the rate, when there is one) are known.
    let aligned = req.as_ref().map(|r| align(&pts, r));
    let (mut t, mut y, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &(ts, v)) in pts.iter().enumerate() {
        match &aligned {
            Some(a) => {
                if let Some(rv) = a[i] {
                    t.push(ts - t0);
                    y.push(v);
                    r.push(rv);
                }
            }
            None => {
                t.push(ts - t0);
                y.push(v);
            }
        }
    }
    // Too few joint points: fit memory alone.
    if t.len() < 5 {
        t = pts.iter().map(|p| p.0 - t0).collect();
        y = pts.iter().map(|p| p.1).collect();
        r.clear();
    }
    let fits = fit::fit_all(&t, &y, &r);
    let linear = fits.iter().find(|f| f.shape == Shape::Linear);
    let mem_mean = mean(y.iter().copied());
    let span = t.last().copied().unwrap_or(0.0);
    let growth_per_sec = linear.map_or(0.0, |f| f.b);
    let growth_share = if mem_mean > 0.0 {
        growth_per_sec * span / mem_mean
    } else {
        0.0
    };
    let best = fits.first();
    let shape = match best {
        None => Shape::Flat,
        Some(f) => {
            let range = f.b.abs()
                * match f.shape {
                    Shape::Levelling => 1.0 - (-span / f.tau).exp(),
                    Shape::Linear => span,
                    Shape::Load => {
                        let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        hi - lo
                    }
                    Shape::Flat => 0.0,
                };
            if f.shape == Shape::Flat || (mem_mean > 0.0 && range / mem_mean < FLAT_SHARE) {
                Shape::Flat
            } else {
                f.shape
            }
        }
    };
    let lead_aicc = if fits.len() > 1 {
        fits[1].aicc - fits[0].aicc
    } else {
        0.0
    };
    let noise = best.map_or(0.0, |f| (f.sse / (y.len().max(1) as f64)).sqrt());
    let chosen = fits.iter().find(|f| f.shape == shape);
    let growth_now = chosen.map_or(0.0, |f| f.slope(t1 - t0));

    // GC.
    let gc_series = mine(&|k| matches!(k, Kind::GcTime(_) | Kind::GcCount(_)));
    let gc = (!gc_series.is_empty()).then(|| {
        let measure = if matches!(gc_series[0].0, Kind::GcTime(_)) {
            GcMeasure::TimeFraction
        } else {
            GcMeasure::Collections
        };
        let parts: Vec<Vec<(f64, f64)>> = gc_series
            .iter()
            .filter(|(k, _, _)| {
                matches!(k, Kind::GcTime(_)) == (measure == GcMeasure::TimeFraction)
            })
            .map(|(_, _, p)| (*p).clone())
            .collect();
        let pts = sum_aligned(&parts);
        gc_of(series_out(&gc_series[0].1.name, pts), measure)
    });

    // Requests.
    let requests = req.map(|rp| {
        let m = mean(rp.iter().map(|p| p.1));
        let load = fits.iter().find(|f| f.shape == Shape::Load);
        Requests {
            mean: m,
            bytes_per_request_rate: load.map(|f| f.b),
            bytes_per_request_rate_mean: (m > 0.0).then(|| mem_mean / m),
            correlation: correlation(&y, &r),
            series: series_out(req_name.as_deref().unwrap_or(""), rp),
        }
    });

    // Limit: the option, else the last positive limit series value.
    let limit = opts
        .limit_bytes
        .map(|b| Limit {
            bytes: b,
            source: LimitSource::Option,
        })
        .or_else(|| {
            mine(&|k| k == Kind::Limit).iter().find_map(|(_, _, p)| {
                p.iter()
                    .rev()
                    .map(|q| q.1)
                    .find(|v| *v > 0.0 && *v < 1e18)
                    .map(|b| Limit {
                        bytes: b,
                        source: LimitSource::Series,
                    })
            })
        });
    let last = pts[pts.len() - 1].1;
    let (crossing_at, time_to_limit) = match (&limit, chosen) {
        (Some(l), _) if last >= l.bytes => (Some(t1), Some(0.0)),
        (Some(l), Some(f)) => match f.reaches(l.bytes) {
            Some(s) => {
                let at = t0 + s;
                (Some(at.max(t1)), Some((at - t1).max(0.0)))
            }
            None => (None, None),
        },
        _ => (None, None),
    };

    // Go fragmentation, by the rule analyze/diff/trend use.
    let last_of = |k: Kind| {
        mine(&|x| x == k)
            .first()
            .and_then(|(_, _, p)| p.last().map(|q| q.1))
    };
    let fragmentation = match (last_of(Kind::GoHeapInuse), last_of(Kind::GoHeapAlloc)) {
        (Some(i), Some(a)) if i >= 0.0 && a >= 0.0 => {
            let ms = MemStats {
                heap_inuse: Some(i as u64),
                heap_alloc: Some(a as u64),
                ..MemStats::default()
            };
            fragmentation::judge(&ms).map(|f| Fragmentation {
                inuse: f.inuse,
                alloc: f.alloc,
                ratio: f.ratio(),
            })
        }
        _ => None,
    };

    let kind = if fits.is_empty() {
        VerdictKind::Unknown
    } else if fragmentation.is_some() {
        VerdictKind::Fragmentation
    } else {
        match shape {
            Shape::Linear => VerdictKind::TrueLeak,
            Shape::Levelling => VerdictKind::UnboundedCache,
            Shape::Load => VerdictKind::NormalLoad,
            Shape::Flat => VerdictKind::Healthy,
        }
    };
    let gc_pressure = gc.as_ref().is_some_and(|g| {
        g.pressure
            || (g.rising && (g.measure == GcMeasure::Collections || g.recent >= GC_RISING_FLOOR))
    });
    // A levelling cache grows at its current slope now, not at its early pace.
    let pace = if shape == Shape::Levelling {
        growth_now
    } else {
        growth_per_sec.max(growth_now)
    };
    let next = next_capture(kind, runtime, pace, noise);
    let best_aicc = best.map_or(0.0, |f| f.aicc);
    Target {
        labels,
        runtime,
        memory: series_out(&mem.name, pts.clone()),
        start: t0,
        end: t1,
        fits: fits
            .iter()
            .map(|f| FitOut {
                shape: f.shape,
                a: f.a,
                b: f.b,
                tau: f.tau,
                r2: f.r2,
                aicc: f.aicc,
                delta_aicc: f.aicc - best_aicc,
            })
            .collect(),
        lead_aicc,
        shape,
        growth_per_day: growth_per_sec * 86_400.0,
        growth_per_day_now: growth_now * 86_400.0,
        growth_share,
        noise_bytes: noise,
        gc,
        requests,
        limit,
        crossing_at,
        time_to_limit_seconds: time_to_limit,
        fragmentation,
        verdict: Verdict { kind, gc_pressure },
        next,
    }
}

fn correlation(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (mx, my) = (mean(x.iter().copied()), mean(y.iter().copied()));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn gc_of(series: SeriesOut, measure: GcMeasure) -> Gc {
    let p = &series.points;
    let m = mean(p.iter().map(|q| q.1));
    let q = p.len() - p.len() / 4;
    let recent = mean(p[q.min(p.len().saturating_sub(1))..].iter().map(|q| q.1));
    let slope = if p.len() >= 2 {
        let t: Vec<f64> = p.iter().map(|q| q.0 - p[0].0).collect();
        let y: Vec<f64> = p.iter().map(|q| q.1).collect();
        fit::fit_all(&t, &y, &[])
            .iter()
            .find(|f| f.shape == Shape::Linear)
            .map_or(0.0, |f| f.b)
    } else {
        0.0
    };
    let span = p.last().map_or(0.0, |l| l.0 - p[0].0);
    let change_share = if m > 0.0 { slope * span / m } else { 0.0 };
    Gc {
        measure,
        mean: m,
        recent,
        slope_per_day: slope * 86_400.0,
        change_share,
        rising: change_share >= GC_RISING,
        pressure: measure == GcMeasure::TimeFraction && recent >= GC_PRESSURE,
        series,
    }
}

/// What to capture next, and how far apart: the growth between captures is at least
/// [`NOISE_MULTIPLE`] × the noise and [`MIN_GROWTH_BYTES`], within [`MIN_INTERVAL`]..[`MAX_INTERVAL`].
fn next_capture(kind: VerdictKind, runtime: Runtime, growth_per_sec: f64, noise: f64) -> Next {
    let capture = match kind {
        VerdictKind::TrueLeak | VerdictKind::UnboundedCache if runtime == Runtime::Node => {
            Capture::ThreeSnapshots
        }
        VerdictKind::TrueLeak | VerdictKind::UnboundedCache => Capture::TwoDumps,
        VerdictKind::Fragmentation => Capture::OneProfile,
        VerdictKind::NormalLoad | VerdictKind::Healthy | VerdictKind::Unknown => Capture::Nothing,
    };
    let interval = (capture != Capture::Nothing && capture != Capture::OneProfile).then(|| {
        let need = (NOISE_MULTIPLE * noise).max(MIN_GROWTH_BYTES);
        if growth_per_sec > 0.0 {
            (need / growth_per_sec).clamp(MIN_INTERVAL, MAX_INTERVAL)
        } else {
            MAX_INTERVAL
        }
    });
    Next {
        capture,
        interval_seconds: interval,
    }
}

/// Render a metrics report in a form: JSON is the model serialised; the others draw
/// [`crate::view::metrics::document`].
pub fn render(r: &MetricsReport, format: crate::render::OutputFormat) -> String {
    use crate::render::{html, markdown, text, OutputFormat};
    match format {
        OutputFormat::Json => crate::render::json::to_json(r),
        OutputFormat::Text => text::draw(&crate::view::metrics::document(r), false),
        OutputFormat::Markdown => markdown::draw(&crate::view::metrics::document(r)),
        OutputFormat::Html => html::draw(&crate::view::metrics::document(r)),
    }
}
