//! The only place a metrics finding becomes English (as [`crate::words`] is for suspects).

use super::fit::Shape;
use super::model::*;
use crate::fmt::{human_bytes, pct};

pub const NO_MEMORY: &str = "no memory series (container_memory_working_set_bytes or \
process_resident_memory_bytes): nothing to judge";

/// A target's labels: `job="api", instance="10.0.0.1:8080"`.
pub fn labels(l: &[(String, String)]) -> String {
    if l.is_empty() {
        return "(no identifying labels)".to_string();
    }
    l.iter()
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A verdict's tag, as in `diff` and `trend`.
pub fn verdict_tag(k: VerdictKind) -> &'static str {
    match k {
        VerdictKind::TrueLeak => "true-leak",
        VerdictKind::UnboundedCache => "unbounded-cache",
        VerdictKind::Fragmentation => "fragmentation",
        VerdictKind::NormalLoad => "normal-load",
        VerdictKind::Healthy => "healthy",
        VerdictKind::Unknown => "unknown",
    }
}

pub fn shape(s: Shape) -> &'static str {
    match s {
        Shape::Flat => "flat",
        Shape::Linear => "linear",
        Shape::Levelling => "levelling off",
        Shape::Load => "follows the request rate",
    }
}

/// Bytes that may be fractional or negative: `+1.5 MiB`, `-16 B`.
pub fn signed_bytes(v: f64) -> String {
    let m = human_bytes(v.abs().round() as u64);
    if v < 0.0 {
        format!("-{m}")
    } else {
        format!("+{m}")
    }
}

/// Seconds as `45 s`, `12 min`, `3.5 h`, `2.1 days`.
pub fn duration(s: f64) -> String {
    if s < 90.0 {
        format!("{:.0} s", s)
    } else if s < 90.0 * 60.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 48.0 * 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// The verdict in one sentence.
pub fn summary(t: &Target) -> String {
    let gc = if t.verdict.gc_pressure {
        "; GC pressure backs it"
    } else {
        ""
    };
    let s = match t.verdict.kind {
        VerdictKind::TrueLeak => format!(
            "True leak: memory grows linearly, {} a day, whatever the load{gc}",
            signed_bytes(t.growth_per_day)
        ),
        VerdictKind::UnboundedCache => format!(
            "Unbounded cache, not a leak yet: memory grew and is levelling off (now {} a day){gc}",
            signed_bytes(t.growth_per_day_now)
        ),
        VerdictKind::Fragmentation => {
            let f = t.fragmentation.as_ref();
            format!(
                "Fragmentation: the heap's spans in use hold {:.1}× the live bytes ({} in use for {} allocated){gc}",
                f.map_or(0.0, |f| f.ratio),
                human_bytes(f.map_or(0, |f| f.inuse)),
                human_bytes(f.map_or(0, |f| f.alloc)),
            )
        }
        VerdictKind::NormalLoad => format!(
            "Normal growth from load: memory follows the request rate{}",
            t.requests
                .as_ref()
                .and_then(|r| r.bytes_per_request_rate)
                .map_or(String::new(), |b| format!(
                    ", {} per request/s",
                    human_bytes(b.max(0.0).round() as u64)
                ))
        ),
        VerdictKind::Healthy => format!(
            "Healthy: memory is flat ({} over the window){gc}",
            pct(t.growth_share.abs())
        ),
        VerdictKind::Unknown => "Too few samples to judge (five or more are needed)".to_string(),
    };
    let limit = match t.time_to_limit_seconds {
        Some(s) if s <= 0.0 => " — at the limit already".to_string(),
        Some(s) => format!(" — reaches the limit in {}", duration(s)),
        None => String::new(),
    };
    format!("{s}{limit}.")
}

/// The evidence, one line each.
pub fn evidence(t: &Target) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(best) = t.fits.first() {
        let runner = t.fits.get(1);
        v.push(format!(
            "Shape: {} wins (R² {:.3}){}; read as {}.",
            shape(best.shape),
            best.r2,
            runner.map_or(String::new(), |r| format!(
                ", ahead of {} (R² {:.3}) by {:.1} in AICc ({})",
                shape(r.shape),
                r.r2,
                r.delta_aicc,
                strength(r.delta_aicc)
            )),
            shape(t.shape),
        ));
    }
    v.push(format!(
        "Growth: {} a day by the linear fit ({} over the window), {} a day now by the {} fit; noise {}.",
        signed_bytes(t.growth_per_day),
        pct(t.growth_share),
        signed_bytes(t.growth_per_day_now),
        shape(t.shape),
        human_bytes(t.noise_bytes.round() as u64),
    ));
    if let Some(g) = &t.gc {
        let what = match g.measure {
            GcMeasure::TimeFraction => format!("{} of the time recently", pct(g.recent)),
            GcMeasure::Collections => format!("{:.2} collections/s recently", g.recent),
        };
        v.push(format!(
            "GC: {what}, {} over the window{}{}.",
            if g.change_share >= 0.0 {
                format!("+{}", pct(g.change_share))
            } else {
                format!("-{}", pct(-g.change_share))
            },
            if g.rising { ", rising" } else { ", not rising" },
            if g.pressure {
                ", above the 5% pressure line"
            } else {
                ""
            },
        ));
    } else {
        v.push("GC: no GC series for this target.".to_string());
    }
    match &t.requests {
        Some(r) => v.push(format!(
            "Requests: {:.2}/s on average{}{}.",
            r.mean,
            r.correlation.map_or(String::new(), |c| format!(
                "; memory correlates {c:.2} with them"
            )),
            r.bytes_per_request_rate.map_or(String::new(), |b| format!(
                "; {} per request/s by the load fit",
                signed_bytes(b)
            )),
        )),
        None => v.push("Requests: no request-rate series for this target.".to_string()),
    }
    match (&t.limit, t.time_to_limit_seconds) {
        (Some(l), Some(s)) => v.push(format!(
            "Limit {} ({}): reached in {}.",
            human_bytes(l.bytes as u64),
            limit_source(l.source),
            duration(s)
        )),
        (Some(l), None) => v.push(format!(
            "Limit {} ({}): the {} fit does not reach it.",
            human_bytes(l.bytes as u64),
            limit_source(l.source),
            shape(t.shape)
        )),
        (None, _) => {
            v.push("Limit: none known (container_spec_memory_limit_bytes or --limit).".to_string())
        }
    }
    v
}

fn limit_source(s: LimitSource) -> &'static str {
    match s {
        LimitSource::Option => "--limit",
        LimitSource::Series => "container_spec_memory_limit_bytes",
    }
}

/// Burnham and Anderson's reading of an AICc difference.
pub fn strength(delta: f64) -> &'static str {
    if delta >= 10.0 {
        "decisive"
    } else if delta >= 2.0 {
        "supported"
    } else {
        "a tie"
    }
}

/// What to capture next, and when.
pub fn next(t: &Target) -> String {
    let every = t.next.interval_seconds.map(duration).unwrap_or_default();
    match t.next.capture {
        Capture::TwoDumps => format!(
            "Next: take a heap dump now and another {every} later, then `heapscope diff FIRST SECOND`: \
             what is new in the second is the leak (the interval lets the growth clear the noise)."
        ),
        Capture::ThreeSnapshots => format!(
            "Next: take three heap snapshots {every} apart (baseline, target, final), then \
             `heapscope trend BASELINE TARGET FINAL`: objects allocated between the first two and \
             still alive in the last are the leak."
        ),
        Capture::OneProfile => "Next: take one heap profile with its runtime statistics and run \
             `heapscope analyze` on it: it names the fragmentation and its remedy."
            .to_string(),
        Capture::Nothing => match t.verdict.kind {
            VerdictKind::NormalLoad => "Next: nothing to capture; size the limit for the peak \
                 request rate, not the average."
                .to_string(),
            _ => "Next: nothing to capture; keep watching.".to_string(),
        },
    }
}
