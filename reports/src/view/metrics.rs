//! The document of `heapscope metrics`: the verdicts first, then per target the evidence, what
//! to capture next, the fits, and charts of memory (observed, the fitted shape, its projection
//! to the limit, the limit line, a mark at the crossing), GC and requests.

use heapscope_graph::Unit;

use crate::doc::chart::{Level, Mark, Role, Series, XAxis};
use crate::doc::{Block, Cell, Chart, Document, Span, Tone};
use crate::metrics::model::{GcMeasure, MetricsReport, Target, VerdictKind};
use crate::metrics::words;
use crate::metrics::Shape;
use crate::view::{auto_columns, list, table};

/// A limit without a crossing is drawn when it is at most this many times the highest sample.
const LIMIT_NEAR: f64 = 3.0;
/// Points of a projection from the last sample to the crossing.
const PROJECTED_POINTS: usize = 40;

pub fn document(r: &MetricsReport) -> Document {
    let mut b = vec![Block::heading(
        1,
        format!(
            "heapscope metrics — {} target{}",
            r.targets.len(),
            if r.targets.len() == 1 { "" } else { "s" }
        ),
    )];
    b.push(Block::para(vec![Span::styled(
        Tone::Muted,
        format!("From {}", r.inputs.join(", ")),
    )]));
    b.push(Block::heading(2, "Verdicts"));
    if r.targets.is_empty() {
        b.push(Block::text(words::NO_MEMORY));
    }
    for t in &r.targets {
        b.push(Block::para(vec![
            Span::styled(
                tone(t.verdict.kind),
                format!("[{}]", words::verdict_tag(t.verdict.kind)),
            ),
            Span::text(" "),
            Span::code(words::labels(&t.labels)),
            Span::text(": "),
            Span::text(words::summary(t)),
        ]));
    }
    for (i, t) in r.targets.iter().enumerate() {
        target(&mut b, i, t);
    }
    if !r.warnings.is_empty() {
        b.push(Block::heading(2, "Warnings"));
        list(&mut b, &r.warnings);
    }
    Document {
        title: "heapscope metrics".to_string(),
        blocks: b,
        closing_blank_line: true,
    }
}

fn tone(k: VerdictKind) -> Tone {
    match k {
        VerdictKind::TrueLeak | VerdictKind::Fragmentation => Tone::Alert,
        VerdictKind::UnboundedCache => Tone::Caution,
        VerdictKind::Healthy | VerdictKind::NormalLoad => Tone::Good,
        VerdictKind::Unknown => Tone::Muted,
    }
}

fn target(b: &mut Vec<Block>, i: usize, t: &Target) {
    b.push(Block::heading(2, words::labels(&t.labels)));
    b.push(Block::text(words::summary(t)));
    list(b, &words::evidence(t));
    b.push(Block::para(vec![Span::styled(
        Tone::Strong,
        words::next(t),
    )]));
    b.push(Block::Chart(memory_chart(i, t)));
    if !t.fits.is_empty() {
        let rows = t
            .fits
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(words::shape(f.shape).to_string()),
                    Cell::Text(format!("{:.3}", f.r2)),
                    Cell::Text(format!("{:.1}", f.delta_aicc)),
                    Cell::Text(if f.delta_aicc == 0.0 && std::ptr::eq(f, &t.fits[0]) {
                        "(the winner)".to_string()
                    } else {
                        words::strength(f.delta_aicc).to_string()
                    }),
                ]
            })
            .collect();
        b.push(Block::Table(table(
            auto_columns(&[
                ("shape", false),
                ("R²", true),
                ("ΔAICc", true),
                ("behind the winner", false),
            ]),
            rows,
        )));
    }
    if let Some(g) = &t.gc {
        let (scale, unit_name) = match g.measure {
            GcMeasure::TimeFraction => (1000.0, "ms of GC per second"),
            GcMeasure::Collections => (60.0, "collections per minute"),
        };
        b.push(Block::Chart(simple_chart(
            format!("{} — {unit_name}", g.series.metric),
            unit_name,
            format!("gc-{i}"),
            &g.series.points,
            scale,
        )));
    }
    if let Some(r) = &t.requests {
        b.push(Block::Chart(simple_chart(
            format!("{} — requests per minute", r.series.metric),
            "requests per minute",
            format!("requests-{i}"),
            &r.series.points,
            60.0,
        )));
    }
}

fn simple_chart(title: String, name: &str, id: String, pts: &[(f64, f64)], scale: f64) -> Chart {
    Chart {
        title,
        x: XAxis::Time,
        y_unit: Unit::Other,
        series: vec![Series {
            name: name.to_string(),
            points: pts.iter().map(|&(x, y)| (x, y * scale)).collect(),
            role: Role::Observed,
        }],
        limit: None,
        marks: Vec::new(),
        id: Some(id),
    }
}

fn memory_chart(i: usize, t: &Target) -> Chart {
    let mut series = vec![Series {
        name: t.memory.metric.clone(),
        points: t.memory.points.clone(),
        role: Role::Observed,
    }];
    let fit = t.fits.iter().find(|f| f.shape == t.shape);
    if let Some(f) = fit {
        let curve = |x: f64, r: f64| {
            let dt = x - t.start;
            match f.shape {
                Shape::Flat => f.a,
                Shape::Linear => f.a + f.b * dt,
                Shape::Levelling => f.a + f.b * (1.0 - (-dt / f.tau).exp()),
                Shape::Load => f.a + f.b * r,
            }
        };
        let fitted: Vec<(f64, f64)> = match (f.shape, &t.requests) {
            (Shape::Load, Some(r)) => r
                .series
                .points
                .iter()
                .filter(|p| p.0 >= t.start && p.0 <= t.end)
                .map(|&(x, rv)| (x, curve(x, rv)))
                .collect(),
            _ => t
                .memory
                .points
                .iter()
                .map(|&(x, _)| (x, curve(x, 0.0)))
                .collect(),
        };
        series.push(Series {
            name: format!("fitted: {}", words::shape(f.shape)),
            points: fitted,
            role: Role::Fitted,
        });
        if let Some(c) = t.crossing_at.filter(|&c| c > t.end) {
            let pts = (0..=PROJECTED_POINTS)
                .map(|k| {
                    let x = t.end + (c - t.end) * k as f64 / PROJECTED_POINTS as f64;
                    (x, curve(x, 0.0))
                })
                .collect();
            series.push(Series {
                name: "projected to the limit".to_string(),
                points: pts,
                role: Role::Projected,
            });
        }
    }
    let max = t.memory.points.iter().map(|p| p.1).fold(0.0, f64::max);
    Chart {
        title: format!("{} — {}", words::labels(&t.labels), t.memory.metric),
        x: XAxis::Time,
        y_unit: Unit::Bytes,
        series,
        // The limit line when the projection reaches it or it is near the observed memory (a far
        // limit would flatten the series to a line along the bottom; the evidence names it).
        limit: t
            .limit
            .as_ref()
            .filter(|l| t.crossing_at.is_some() || l.bytes <= LIMIT_NEAR * max)
            .map(|l| Level {
                label: format!("limit {}", crate::fmt::human_bytes(l.bytes as u64)),
                y: l.bytes,
            }),
        marks: t
            .crossing_at
            .map(|c| Mark {
                label: format!("limit reached {}", crate::render::svg::utc(c as i64)),
                x: c,
            })
            .into_iter()
            .collect(),
        id: Some(format!("memory-{i}")),
    }
}
