//! The over-time report model: [`DiffReport`] (two dumps) and [`TrendReport`] (three or more).
//! Every renderer reads these types; the JSON renderer prints them as they are, and
//! `docs/overtime.schema.json` is the contract for that JSON.

use serde::Serialize;

pub use super::shape::Shape;

/// Define a closed set of names that serialise as the strings of the JSON contract.
macro_rules! names {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }
        impl $name {
            /// The name as the JSON report writes it.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

names! {
    /// The column a trend row's shape and slope are computed on.
    Metric {
        /// Type rows.
        ShallowBytes => "shallow_bytes",
        /// Path rows (and the whole reachable heap).
        RetainedBytes => "retained_bytes",
    }
}

names! {
    /// The verdicts of the over-time reports.
    VerdictKind {
        TrueLeak => "true-leak",
        UnboundedCache => "unbounded-cache",
        Fragmentation => "fragmentation",
    }
}

names! {
    /// Where a trend's times came from.
    AxisSource {
        /// Timestamps recorded in the dumps.
        Dump => "dump",
        /// Given with `--at`.
        At => "at",
        /// The inputs' order at equal spacing.
        Steps => "steps",
    }
}

names! {
    /// The unit of a trend's time axis.
    AxisUnit {
        Hour => "hour",
        Step => "step",
    }
}

/// One input as the over-time reports describe it.
#[derive(Clone, Debug, Serialize)]
pub struct DumpRef {
    pub path: String,
    pub format: String,
    /// Object graph or call tree: how views word sizes. Not serialised.
    #[serde(skip)]
    pub model: heapscope_graph::Model,
    pub size_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_type: Option<String>,
    /// When the dump was taken (RFC 3339), if the dump records it.
    pub timestamp: Option<String>,
    /// Sum of shallow sizes (profiles: everything in use).
    pub total_bytes: u64,
    /// Bytes reachable from GC roots (profiles: equal to `total_bytes`).
    pub reachable_bytes: u64,
    /// Objects: nodes; profiles: allocated objects (blocks) behind the samples.
    pub objects: u64,
}

/// Count and bytes of one group (a type, or a path-to-root signature) in one dump.
///
/// For allocation profiles `shallow_bytes` is pprof's `flat` / tracemalloc's `size` and
/// `retained_bytes` is pprof's `cum` (the call tree's cumulative bytes, counted once per sample).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stat {
    pub count: u64,
    pub shallow_bytes: u64,
    pub retained_bytes: u64,
}

/// `target − base` of a [`Stat`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    pub count: i64,
    pub shallow_bytes: i64,
    pub retained_bytes: i64,
}

impl Delta {
    pub fn between(base: &Stat, target: &Stat) -> Delta {
        Delta {
            count: target.count as i64 - base.count as i64,
            shallow_bytes: target.shallow_bytes as i64 - base.shallow_bytes as i64,
            retained_bytes: target.retained_bytes as i64 - base.retained_bytes as i64,
        }
    }
    pub fn is_zero(&self) -> bool {
        self.count == 0 && self.shallow_bytes == 0 && self.retained_bytes == 0
    }
}

/// One row of a diff: a type (class, constructor, function, `file:line`, traceback) or a
/// path-to-root signature.
#[derive(Clone, Debug, Serialize)]
pub struct DiffRow {
    /// The type; for a path row, the type at the end of the path.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Path rows only: the path-to-root signature, e.g.
    /// `class com.acme.Cache > map > java.util.HashMap > table > java.util.HashMap$Node[]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub base: Stat,
    pub target: Stat,
    pub change: Delta,
}

/// Objects present in TARGET whose id is not in BASE (V8: node ids are stable within a process).
#[derive(Clone, Debug, Serialize)]
pub struct NewObjects {
    /// How objects were matched: `node id`.
    pub matched_by: String,
    pub count: u64,
    pub shallow_bytes: u64,
    /// Objects of BASE whose id is gone from TARGET (freed, or moved by the GC and renumbered).
    pub gone_count: u64,
    pub by_type: Vec<NewTypeRow>,
}

/// New objects of one type (or, in a trend's memlab section, one retainer-path cluster).
#[derive(Clone, Debug, Serialize)]
pub struct NewTypeRow {
    #[serde(rename = "type")]
    pub type_name: String,
    /// memlab clusters only: the retainer path (signature) the objects share in the final dump.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retainer_path: Option<String>,
    pub count: u64,
    pub shallow_bytes: u64,
    /// Bytes the new objects of this row keep alive (each counted once: objects below another
    /// new object of the same row are not added again).
    pub retained_bytes: u64,
    /// The dump's ids of up to five of them, lowest first.
    pub example_ids: Vec<String>,
    /// memlab clusters only: the main type of the survivors in this cluster (its outermost
    /// objects and what they dominate): the most numerous whose objects survive in the largest
    /// share, see `allocated` and `survived`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survivor_type: Option<String>,
    /// memlab clusters only: objects of `survivor_type` allocated between baseline and target
    /// (ids in target, not in baseline), counted in target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated: Option<u64>,
    /// memlab clusters only: how many of those are still alive in final (any retainer path).
    /// Near `allocated` for a leak; far below it for a cache that evicts its old entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survived: Option<u64>,
}

names! {
    /// What a diff's leak suspects are groups of.
    SuspectBasis {
        /// Object graphs: objects with one path-to-root signature (their holder named).
        Path => "path",
        /// Allocation profiles: an allocation site (function or line) with its callers.
        Site => "site",
    }
}

/// The noise rule of a diff: growth at or below `threshold_bytes` is not named.
#[derive(Clone, Debug, Serialize)]
pub struct DiffNoise {
    /// Never less than this many bytes.
    pub floor_bytes: u64,
    /// Nor less than this share of the larger of the two reachable heaps.
    pub share_of_heap: f64,
    /// `max(floor_bytes, share_of_heap × heap)`.
    pub threshold_bytes: u64,
}

/// One thing that grew above noise between BASE and TARGET.
#[derive(Clone, Debug, Serialize)]
pub struct GrowthSuspect {
    pub rank: u32,
    pub basis: SuspectBasis,
    /// The grown type (object graphs: the objects at the end of the path) or allocation site.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Object graphs: the path-to-root signature of the grown objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Object graphs: the holder a developer edits on the shortest strong path from a GC root to
    /// one of them in TARGET (`class com.acme.Cache › static MAP › java.util.HashMap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// Profiles: the call stack that grew most at this site in TARGET, outermost frame first,
    /// ending at the site.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<String>,
    /// Objects: the change of the group's minimum retained size; sites: the change of flat bytes.
    pub growth_bytes: i64,
    pub count_change: i64,
    /// `growth_bytes` over the whole growth (the sum of every suspect's growth when the
    /// reachable heap did not grow by more).
    pub share_of_growth: f64,
    /// The group or site is absent from BASE.
    pub new_in_target: bool,
}

/// The diff's first answer: what most likely leaks.
#[derive(Clone, Debug, Serialize)]
pub struct LikelyLeak {
    pub noise: DiffNoise,
    /// The growth the shares are of: the reachable heap's change, or the suspects' sum if larger.
    pub growth_bytes: i64,
    /// Largest growth first; empty when nothing grew above noise.
    pub suspects: Vec<GrowthSuspect>,
    /// Where ids are stable (V8): the objects new in TARGET that no other new object dominates,
    /// grouped by their retainer path in TARGET (memlab's clustering), largest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_by_path: Option<Vec<NewTypeRow>>,
}

/// How two dumps were compared for this format.
#[derive(Clone, Debug, Serialize)]
pub struct Semantics {
    /// `type` always; object heaps also `path`.
    pub compared_by: Vec<String>,
    /// The group key of the type rows: `class`, `constructor`, `function`, `lineno`, `filename`,
    /// `traceback`.
    pub type_key: String,
    /// How the reference tool users know does the same comparison.
    pub reference: String,
    /// The sort order of `types` and `paths`.
    pub order: String,
}

/// `heapscope diff BASE TARGET`.
#[derive(Clone, Debug, Serialize)]
pub struct DiffReport {
    /// Always `diff`.
    pub kind: String,
    pub schema_version: u32,
    pub generator: String,
    pub base: DumpRef,
    pub target: DumpRef,
    pub semantics: Semantics,
    /// Whole-dump change (objects, total shallow bytes, reachable bytes).
    pub totals: DiffRow,
    pub types: Vec<DiffRow>,
    /// Object heaps: groups of objects with the same path-to-root signature (the most changed).
    pub paths: Vec<DiffRow>,
    /// V8 only: objects new in TARGET, by type.
    pub new_objects: Option<NewObjects>,
    /// What most likely leaks: the grown groups above noise, largest first.
    pub likely_leak: LikelyLeak,
    pub verdicts: Vec<Verdict>,
    pub warnings: Vec<String>,
}

/// The time axis of a trend.
#[derive(Clone, Debug, Serialize)]
pub struct TimeAxis {
    pub source: AxisSource,
    /// `hour` when times are known, else `step`.
    pub unit: AxisUnit,
    /// Each input's position on the axis, in `unit`s from the first input.
    pub points: Vec<f64>,
    /// One sentence saying where the times came from.
    pub note: String,
}

/// One input of a trend.
#[derive(Clone, Debug, Serialize)]
pub struct TrendInput {
    #[serde(flatten)]
    pub dump: DumpRef,
    /// The time used for this input (RFC 3339), when known.
    pub at: Option<String>,
}

/// The fitted growth of one series.
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    pub shape: Shape,
    /// Least-squares slope over all points, bytes per axis unit (hour or step).
    pub slope: f64,
    /// R² of the least-squares line (1 = every point on it; 0 when the series is flat).
    pub r2: f64,
    /// Slope over the first half of the series and over the second half (they share the middle
    /// point); their ratio tells a line from a curve that flattens.
    pub early_slope: f64,
    pub late_slope: f64,
    /// Last minus first value.
    pub net_change: i64,
    /// Changes at or below this many bytes count as noise.
    pub noise_bytes: u64,
}

/// A projection of when the heap reaches `--limit`.
#[derive(Clone, Debug, Serialize)]
pub struct Projection {
    /// Axis units (hours or steps) after the last input.
    pub after: f64,
    /// The projected instant (RFC 3339), when the axis is real time.
    pub at: Option<String>,
}

/// One row of a trend: a type / allocation site, or a path-to-root signature.
#[derive(Clone, Debug, Serialize)]
pub struct TrendRow {
    pub rank: u32,
    #[serde(rename = "type")]
    pub type_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub metric: Metric,
    /// One value per input, in input order.
    pub series: Vec<Stat>,
    #[serde(flatten)]
    pub fit: Fit,
    /// When the whole heap would reach `--limit` if it kept growing at this row's current rate
    /// (the full-fit slope for `linear`, the late slope for `levelling-off`); growers only.
    pub limit_reached: Option<Projection>,
}

/// memlab's method over baseline, target and final: objects allocated between baseline and target
/// (ids in target, not in baseline) and still alive in final, clustered by retainer path.
#[derive(Clone, Debug, Serialize)]
pub struct MemlabOut {
    pub baseline: String,
    pub target: String,
    #[serde(rename = "final")]
    pub final_: String,
    pub count: u64,
    pub retained_bytes: u64,
    pub clusters: Vec<NewTypeRow>,
}

names! {
    /// What a verdict rests on.
    VerdictBasis {
        /// Objects allocated between baseline and target still alive in final (memlab).
        Survivors => "survivors",
        /// The fitted growth shape of a series.
        Shape => "shape",
        /// The runtime's own statistics (Go's runtime.MemStats).
        Runtime => "runtime",
    }
}

names! {
    /// How far a verdict can be trusted.
    Strength {
        Strong => "strong",
        /// A shape fitted to few points: it cannot tell a cache from a leak that slowed.
        Weak => "weak",
    }
}

/// One of the three verdicts: `true-leak`, `unbounded-cache`, `fragmentation`.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub basis: VerdictBasis,
    pub strength: Strength,
    /// What the verdict is about: a type, a path signature, or `process` for fragmentation.
    pub subject: String,
    pub summary: String,
    pub evidence: Vec<String>,
}

/// `heapscope trend S1 S2 S3 …`.
#[derive(Clone, Debug, Serialize)]
pub struct TrendReport {
    /// Always `trend`.
    pub kind: String,
    pub schema_version: u32,
    pub generator: String,
    pub inputs: Vec<TrendInput>,
    pub time_axis: TimeAxis,
    pub limit_bytes: Option<u64>,
    /// The reachable heap over time.
    pub total: TrendRow,
    pub types: Vec<TrendRow>,
    pub paths: Vec<TrendRow>,
    pub memlab: Option<MemlabOut>,
    pub verdicts: Vec<Verdict>,
    pub warnings: Vec<String>,
}

impl TrendRow {
    /// The value of the row's metric in one point of its series.
    pub fn value(&self, s: &Stat) -> u64 {
        if self.metric == Metric::RetainedBytes {
            s.retained_bytes
        } else {
            s.shallow_bytes
        }
    }
    /// The metric's value in the last input.
    pub fn last(&self) -> u64 {
        self.series.last().map(|s| self.value(s)).unwrap_or(0)
    }
}
