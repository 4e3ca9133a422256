//! The typed model of `heapscope metrics`: its JSON is this, serialised (contract
//! `docs/metrics.schema.json`, explained in `docs/metrics.md`). No prose here: `words` turns it
//! into English.

use serde::Serialize;

use super::fit::Shape;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct MetricsReport {
    pub kind: &'static str,
    pub schema_version: u32,
    /// Files read, or the Prometheus server's URL.
    pub inputs: Vec<String>,
    /// One per service/container, sorted by their labels.
    pub targets: Vec<Target>,
    pub warnings: Vec<String>,
}

/// The runtime a target's series show (by their metric names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Jvm,
    Go,
    Node,
    Python,
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// The labels that identify it (`service`, `container`, `pod`, `job`, `instance`: those
    /// its memory series has), sorted by name; an object in JSON.
    #[serde(serialize_with = "as_object")]
    pub labels: Vec<(String, String)>,
    pub runtime: Runtime,
    /// The memory series: its metric name and `(unix seconds, bytes)` points.
    pub memory: SeriesOut,
    /// First and last sample, unix seconds.
    pub start: f64,
    pub end: f64,
    /// Every shape fitted, best (lowest AICc) first; empty when there are fewer than five points.
    pub fits: Vec<FitOut>,
    /// The winning shape's lead over the runner-up, in AICc (0 when only one was fitted).
    pub lead_aicc: f64,
    /// The shape the verdict reads: the winner, or `flat` when the growth is below noise.
    pub shape: Shape,
    /// The linear fit's slope, bytes per day.
    pub growth_per_day: f64,
    /// The shape's own slope at the last sample, bytes per day.
    pub growth_per_day_now: f64,
    /// The linear fit's growth over the window as a share of the mean memory.
    pub growth_share: f64,
    /// The winning fit's residual standard deviation, bytes.
    pub noise_bytes: f64,
    pub gc: Option<Gc>,
    pub requests: Option<Requests>,
    pub limit: Option<Limit>,
    /// Unix seconds when the shape reaches the limit (none: no limit, or it does not reach it).
    pub crossing_at: Option<f64>,
    /// Seconds from the last sample to the crossing (0: at or above the limit already).
    pub time_to_limit_seconds: Option<f64>,
    pub fragmentation: Option<Fragmentation>,
    pub verdict: Verdict,
    pub next: Next,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeriesOut {
    pub metric: String,
    pub points: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FitOut {
    pub shape: Shape,
    pub a: f64,
    pub b: f64,
    pub tau: f64,
    pub r2: f64,
    pub aicc: f64,
    /// AICc above the winner's (0 for the winner).
    pub delta_aicc: f64,
}

/// What a GC series measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GcMeasure {
    /// Seconds of GC per second (the rate of a `…_seconds_sum`): a share of time.
    TimeFraction,
    /// Collections per second.
    Collections,
}

#[derive(Clone, Debug, Serialize)]
pub struct Gc {
    pub series: SeriesOut,
    pub measure: GcMeasure,
    pub mean: f64,
    /// Mean over the last quarter of the window.
    pub recent: f64,
    /// Linear slope, per day.
    pub slope_per_day: f64,
    /// The linear fit's change over the window as a share of the mean (0 when the mean is 0).
    pub change_share: f64,
    /// Rising by at least [`super::GC_RISING`] over the window.
    pub rising: bool,
    /// Time fraction at or above [`super::GC_PRESSURE`] recently (the guide's
    /// `rate(jvm_gc_pause_seconds_sum[1h]) > 0.05`).
    pub pressure: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Requests {
    /// Requests per second.
    pub series: SeriesOut,
    pub mean: f64,
    /// The load fit's slope: bytes per request/s of rate (memory per request in flight).
    pub bytes_per_request_rate: Option<f64>,
    /// Mean memory ÷ mean request rate, bytes per request/s.
    pub bytes_per_request_rate_mean: Option<f64>,
    /// Pearson correlation of memory and request rate.
    pub correlation: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    Option,
    Series,
}

#[derive(Clone, Debug, Serialize)]
pub struct Limit {
    pub bytes: f64,
    pub source: LimitSource,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fragmentation {
    pub inuse: u64,
    pub alloc: u64,
    pub ratio: f64,
}

/// The guide's flavours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    TrueLeak,
    UnboundedCache,
    Fragmentation,
    NormalLoad,
    Healthy,
    /// Too few points to fit.
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub kind: VerdictKind,
    /// GC pressure backs it (rising GC, or a time fraction above the threshold).
    pub gc_pressure: bool,
}

/// What to capture next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capture {
    /// Two heap dumps (or profiles) `interval` apart, then `heapscope diff`.
    TwoDumps,
    /// Three heap snapshots `interval` apart (baseline, target, final), then `heapscope trend`.
    ThreeSnapshots,
    /// One heap profile with the runtime's memory statistics, then `heapscope analyze`.
    OneProfile,
    /// Nothing: keep watching.
    Nothing,
}

#[derive(Clone, Debug, Serialize)]
pub struct Next {
    pub capture: Capture,
    /// Seconds between captures: long enough that the growth is at least
    /// [`super::NOISE_MULTIPLE`] × the noise (and [`super::MIN_INTERVAL`]..[`super::MAX_INTERVAL`]).
    pub interval_seconds: Option<f64>,
}

fn as_object<S: serde::Serializer>(l: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(l.len()))?;
    for (k, v) in l {
        m.serialize_entry(k, v)?;
    }
    m.end()
}
