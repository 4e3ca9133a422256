//! A trend over three or more dumps as a document.

use crate::doc::chart::{Level, Mark, Role, Series, XAxis};
use crate::doc::{Block, Cell, Chart, Column, Document};
use crate::fmt::{human_bytes, thousands};
use crate::overtime::shape::least_squares;
use crate::overtime::units::human_hours;
use crate::overtime::units::parse_rfc3339;
use crate::overtime::AxisUnit;
use crate::overtime::{Projection, TrendReport, TrendRow};

use super::{
    auto_columns, dump_is_call_tree, list, more_rows, overtime_doc, overtime_warnings, table,
    verdicts,
};

/// What a trend with no verdict says: it has judged every row.
const NO_TREND_VERDICT: &str =
    "No leak, no levelling cache, no fragmentation: nothing grows above noise.";

/// The trend; `rows` caps the rows of each table.
pub fn document(r: &TrendReport, rows: usize) -> Document {
    let unit = r.time_axis.unit.name();
    let mut b = Vec::new();
    b.push(Block::text(format!(
        "Time axis: {} ({}).",
        r.time_axis.note, unit
    )));
    let inputs: Vec<String> = r
        .inputs
        .iter()
        .zip(&r.time_axis.points)
        .map(|(i, p)| {
            format!(
                "{}: {} ({}), {} reachable{}",
                fmt_point(*p, unit),
                i.dump.path,
                i.dump.format,
                human_bytes(i.dump.reachable_bytes),
                i.at.as_ref()
                    .map(|a| format!(", at {a}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    list(&mut b, &inputs);
    let t = &r.total;
    b.push(Block::text(format!(
        "Reachable heap: {} — {}, {} (R² {:.3}).",
        series(t, 6),
        t.fit.shape,
        rate(t.fit.slope, unit),
        t.fit.r2
    )));
    b.push(Block::Chart(row_chart(r, t, "Reachable heap", true)));
    if let (Some(limit), Some(p)) = (r.limit_bytes, &t.limit_reached) {
        b.push(Block::text(format!(
            "At its current rate the heap reaches {} {}.",
            human_bytes(limit),
            when(p, unit)
        )));
    } else if let Some(limit) = r.limit_bytes {
        b.push(Block::text(format!(
            "The heap is not growing towards {}.",
            human_bytes(limit)
        )));
    }
    verdicts(&mut b, &r.verdicts, NO_TREND_VERDICT);
    let key = if r.inputs.iter().all(|i| dump_is_call_tree(&i.dump)) {
        "By allocation site (flat bytes)"
    } else {
        "By type (shallow bytes)"
    };
    b.push(Block::heading(2, key));
    let limit = r.limit_bytes.is_some();
    trend_table(&mut b, &r.types, rows, unit, limit);
    top_charts(&mut b, r, &r.types, rows);
    if !r.paths.is_empty() {
        b.push(Block::heading(2, "By path to GC root (retained bytes)"));
        trend_table(&mut b, &r.paths, rows, unit, limit);
        top_charts(&mut b, r, &r.paths, rows);
    }
    if let Some(m) = &r.memlab {
        b.push(Block::heading(
            2,
            "memlab: allocated between baseline and target, still alive in final",
        ));
        b.push(Block::text(format!(
            "baseline {}, target {}, final {}: {} objects retaining {}.",
            m.baseline,
            m.target,
            m.final_,
            thousands(m.count),
            human_bytes(m.retained_bytes)
        )));
        let body = m
            .clusters
            .iter()
            .take(rows)
            .map(|c| {
                let mut cells = cluster_cells(c);
                cells.insert(
                    2,
                    Cell::Text(match (&c.survivor_type, c.allocated, c.survived) {
                        (Some(t), Some(a), Some(s)) => {
                            format!("{} of {} {t}", thousands(s), thousands(a))
                        }
                        _ => "—".into(),
                    }),
                );
                cells.push(Cell::Text(c.example_ids.join(", ")));
                cells
            })
            .collect();
        let cols = [
            ("objects", true),
            ("retained", true),
            ("survived of allocated", false),
            ("retainer path", false),
            ("e.g. ids", false),
        ];
        b.push(Block::Table(table(auto_columns(&cols), body)));
    }
    overtime_warnings(&mut b, &r.warnings);
    overtime_doc(
        "heapscope trend".into(),
        format!("heapscope trend — {} inputs", r.inputs.len()),
        b,
    )
}

/// A rate: `1.5 MiB/hour`, `-16 B/step`.
fn rate(v: f64, unit: &str) -> String {
    let b = human_bytes(v.abs().round() as u64);
    if v < 0.0 {
        format!("-{b}/{unit}")
    } else {
        format!("{b}/{unit}")
    }
}

fn fmt_point(p: f64, unit: &str) -> String {
    if unit == "hour" {
        format!("+{}", human_hours(p))
    } else {
        format!("step {}", p as u64 + 1)
    }
}

fn when(p: &Projection, unit: &str) -> String {
    match (&p.at, unit) {
        (Some(at), _) => format!("at {at} (in {})", human_hours(p.after)),
        (None, "hour") => format!("in {}", human_hours(p.after)),
        _ => format!("in {:.1} steps", p.after),
    }
}

/// A series of sizes, its middle left out past `max`: `1 MiB → 2 MiB → … → 9 MiB`.
fn series(r: &TrendRow, max: usize) -> String {
    let vals: Vec<u64> = r.series.iter().map(|s| r.value(s)).collect();
    let mut parts: Vec<String> = Vec::new();
    if vals.len() > max {
        parts.extend(vals[..max / 2].iter().map(|&v| human_bytes(v)));
        parts.push("…".into());
        parts.extend(vals[vals.len() - max / 2..].iter().map(|&v| human_bytes(v)));
    } else {
        parts.extend(vals.iter().map(|&v| human_bytes(v)));
    }
    parts.join(" → ")
}

fn trend_table(b: &mut Vec<Block>, rows_in: &[TrendRow], rows: usize, unit: &str, limit: bool) {
    let mut columns: Vec<Column> = auto_columns(&[
        ("#", true),
        ("shape", false),
        ("slope", true),
        ("R²", true),
        ("net", true),
        ("series", false),
        ("name", false),
    ]);
    if limit {
        columns.insert(5, Column::auto("limit reached", false));
    }
    let body = rows_in
        .iter()
        .take(rows)
        .map(|x| {
            let mut r = vec![
                Cell::Text(x.rank.to_string()),
                Cell::Text(x.fit.shape.to_string()),
                Cell::Text(rate(x.fit.slope, unit)),
                Cell::Text(format!("{:.3}", x.fit.r2)),
                Cell::SignedBytes(x.fit.net_change),
                Cell::Text(series(x, 6)),
                Cell::Text(x.path.clone().unwrap_or_else(|| x.type_name.clone())),
            ];
            if limit {
                let reached = x
                    .limit_reached
                    .as_ref()
                    .map(|p| when(p, unit))
                    .unwrap_or_else(|| "—".into());
                r.insert(5, Cell::Text(reached));
            }
            r
        })
        .collect();
    b.push(Block::Table(table(columns, body)));
    more_rows(b, rows_in.len(), rows);
}

/// Rows charted below each table at most.
pub const CHARTED_ROWS: usize = 3;

/// A chart for each of the first growing rows of a table (at most [`CHARTED_ROWS`], and no more
/// than the table shows).
fn top_charts(b: &mut Vec<Block>, r: &TrendReport, rows_in: &[TrendRow], rows: usize) {
    for x in rows_in
        .iter()
        .take(rows.min(CHARTED_ROWS))
        .filter(|x| x.fit.shape.is_growing())
    {
        let name = x.path.clone().unwrap_or_else(|| x.type_name.clone());
        b.push(Block::Chart(row_chart(
            r,
            x,
            &format!("#{} {name}", x.rank),
            false,
        )));
    }
}

/// The x position of each input: Unix seconds when the inputs have times, else their index.
fn xs(r: &TrendReport) -> (XAxis, Vec<f64>) {
    let secs: Option<Vec<f64>> = r
        .inputs
        .iter()
        .map(|i| {
            i.at.as_deref()
                .and_then(|a| parse_rfc3339(a).ok())
                .map(|ms| ms as f64 / 1000.0)
        })
        .collect();
    match secs {
        Some(s) if r.time_axis.unit == AxisUnit::Hour => (XAxis::Time, s),
        _ => {
            let names = r
                .inputs
                .iter()
                .map(|i| {
                    let p = &i.dump.path;
                    p.rsplit(['/', '\\']).next().unwrap_or(p).to_string()
                })
                .collect();
            (
                XAxis::Inputs(names),
                (0..r.inputs.len()).map(|i| i as f64).collect(),
            )
        }
    }
}

/// One row's chart: its series (one point per input), the fitted line (linear: the
/// least-squares line; levelling-off: the lines of the two halves, whose slopes the shape
/// compares), and, for the whole heap with `--limit`, the limit and the projected crossing.
fn row_chart(r: &TrendReport, x: &TrendRow, title: &str, whole_heap: bool) -> Chart {
    let (axis, px) = xs(r);
    let ys: Vec<f64> = x.series.iter().map(|s| x.value(s) as f64).collect();
    let n = ys.len().min(px.len());
    let mut series = vec![Series {
        name: title.to_string(),
        points: px.iter().copied().zip(ys.iter().copied()).take(n).collect(),
        role: Role::Observed,
    }];
    let line = |from: usize, to: usize| {
        let (slope, icpt, _) = least_squares(&px[from..=to], &ys[from..=to]);
        vec![
            (px[from], icpt + slope * px[from]),
            (px[to], icpt + slope * px[to]),
        ]
    };
    if n >= 2 {
        let fitted = match x.fit.shape {
            crate::overtime::Shape::LevellingOff if n >= 3 => {
                let m = (n - 1) / 2;
                let mut p = line(0, m);
                p.extend(line(m, n - 1));
                p
            }
            _ => line(0, n - 1),
        };
        series.push(Series {
            name: format!("fitted: {}", x.fit.shape),
            points: fitted,
            role: Role::Fitted,
        });
    }
    let mut limit = None;
    let mut marks = Vec::new();
    if let (true, Some(lb)) = (whole_heap, r.limit_bytes) {
        limit = Some(Level {
            label: format!("limit {}", human_bytes(lb)),
            y: lb as f64,
        });
        if let (Some(p), Some(&last_x)) = (&x.limit_reached, px.get(n.wrapping_sub(1))) {
            let per_unit = if matches!(axis, XAxis::Time) {
                3600.0
            } else {
                1.0
            };
            let cross = last_x + p.after * per_unit;
            // Draw the projection only when it lands within ten times the observed span.
            let span = (last_x - px[0]).max(per_unit);
            if cross - last_x <= 10.0 * span {
                series.push(Series {
                    name: "projected".into(),
                    points: vec![(last_x, ys[n - 1]), (cross, lb as f64)],
                    role: Role::Projected,
                });
                marks.push(Mark {
                    label: "reaches the limit".into(),
                    x: cross,
                });
            }
        }
    }
    Chart {
        title: format!("{title}: {} per input", x.metric.name().replace('_', " ")),
        x: axis,
        y_unit: heapscope_graph::Unit::Bytes,
        series,
        limit,
        marks,
        id: None,
    }
}

/// A cluster of objects by retainer path (memlab's, or a diff's new objects) as table cells:
/// outermost objects, their retained bytes, the path.
pub(crate) fn cluster_cells(c: &crate::overtime::NewTypeRow) -> Vec<Cell> {
    vec![
        Cell::Text(thousands(c.count)),
        Cell::Text(human_bytes(c.retained_bytes)),
        Cell::Text(
            c.retainer_path
                .clone()
                .unwrap_or_else(|| c.type_name.clone()),
        ),
    ]
}
