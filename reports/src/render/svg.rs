//! Inline SVG for [`Chart`]s: self-contained (no script, no external font), deterministic (fixed
//! precision, no clocks), readable in a ticket attachment. Colours come from the page's CSS
//! classes (`.chart .s0` …) so the page stays in one style.

use std::fmt::Write as _;

use heapscope_graph::Unit;

use crate::doc::chart::{Chart, Role, XAxis};
use crate::doc::{Bars, Icicle};
use crate::fmt::amount;
use crate::render::html::escape;

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// A y value as the chart's unit prints it (negative values with a minus sign).
pub fn value(v: f64, unit: Unit) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let mag = amount(v.abs().round() as u64, unit);
    if v < 0.0 {
        format!("-{mag}")
    } else {
        mag
    }
}

/// A signed value in a unit: `+1.5 MiB`, `-3`, `0 B`.
pub fn signed(v: i64, unit: Unit) -> String {
    let mag = amount(v.unsigned_abs(), unit);
    match v {
        0 => mag,
        v if v > 0 => format!("+{mag}"),
        _ => format!("-{mag}"),
    }
}

/// Text clipped to about `px` pixels of 10–11 px sans-serif (6 px a character), with `…`.
fn clip(text: &str, px: f64) -> Option<String> {
    let fit = (px / 6.2).floor() as usize;
    let n = text.chars().count();
    if fit < 3 {
        None
    } else if n <= fit {
        Some(text.to_string())
    } else {
        // Keep the end: a path's or type's last part says most.
        let tail: String = text.chars().skip(n - (fit - 1)).collect();
        Some(format!("…{tail}"))
    }
}

const BAR_ROW: f64 = 20.0;
const BAR_LABEL: f64 = 300.0;

/// Draw signed bars as a `<figure>` holding an `<svg>`: one `<rect>` per bar (class `bar pos`
/// or `bar neg`, with a `<title>`), the label on the left, clipped, the value after the bar.
pub fn bars(o: &mut String, b: &Bars) {
    if b.bars.is_empty() {
        return;
    }
    let scale = b.scale() as f64;
    let has_neg = b.bars.iter().any(|x| x.value < 0);
    let area = W - BAR_LABEL - 80.0;
    let zero = if has_neg {
        BAR_LABEL + area / 2.0
    } else {
        BAR_LABEL
    };
    let span = if has_neg { area / 2.0 } else { area };
    let h = BAR_ROW * b.bars.len() as f64 + 8.0;
    let _ = write!(
        o,
        "<figure class=\"chart bars\"{}><figcaption>{}</figcaption>\n<svg viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{}\">\n",
        b.id.as_deref().map(|i| format!(" id=\"{}\"", escape(i))).unwrap_or_default(),
        escape(&b.title),
        escape(&b.title)
    );
    for (i, x) in b.bars.iter().enumerate() {
        let y = 4.0 + BAR_ROW * i as f64;
        let w = (x.value.unsigned_abs() as f64 / scale * span).max(if x.value != 0 {
            1.0
        } else {
            0.0
        });
        let left = if x.value < 0 { zero - w } else { zero };
        let val = signed(x.value, b.unit);
        let tip = format!("{}: {val}", x.label);
        if let Some(l) = clip(&x.label, BAR_LABEL - 10.0) {
            let _ = writeln!(
                o,
                "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}<title>{}</title></text>",
                BAR_LABEL - 6.0,
                y + 13.0,
                escape(&l),
                escape(&tip)
            );
        }
        let _ = writeln!(
            o,
            "<rect class=\"bar {}\" x=\"{left:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
            if x.value < 0 { "neg" } else { "pos" },
            y + 2.0,
            BAR_ROW - 6.0,
            escape(&tip)
        );
        let (vx, anchor) = if x.value < 0 {
            (left - 4.0, "end")
        } else {
            (left + w + 4.0, "start")
        };
        let _ = writeln!(
            o,
            "<text class=\"val\" x=\"{vx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            y + 13.0,
            escape(&val)
        );
    }
    let _ = writeln!(
        o,
        "<path class=\"zero\" d=\"M{zero:.1},2 V{:.1}\"/>",
        h - 2.0
    );
    o.push_str("</svg></figure>\n");
}

const ICICLE_W: f64 = 960.0;
const ICICLE_ROW: f64 = 18.0;

/// Draw an icicle as a `<figure>` holding an `<svg>`: one `<rect>` per node (x and width by its
/// share of the total, one row per depth) with a `<title>` tooltip, its label clipped to its
/// width (left out when under three characters fit).
pub fn icicle(o: &mut String, ic: &Icicle) {
    if ic.nodes.is_empty() || ic.total == 0 {
        return;
    }
    let h = ICICLE_ROW * ic.rows() as f64 + 2.0;
    let _ = write!(
        o,
        "<figure class=\"chart icicle\"{}><figcaption>{}</figcaption>\n<svg viewBox=\"0 0 {ICICLE_W} {h}\" role=\"img\" aria-label=\"{}\">\n",
        ic.id.as_deref().map(|i| format!(" id=\"{}\"", escape(i))).unwrap_or_default(),
        escape(&ic.title),
        escape(&ic.title)
    );
    let k = ICICLE_W / ic.total as f64;
    for n in &ic.nodes {
        let x = n.start as f64 * k;
        let w = (n.size as f64 * k).max(0.5);
        let y = n.depth as f64 * ICICLE_ROW;
        let _ = writeln!(
            o,
            "<g><rect class=\"d{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
            n.depth % 6,
            ICICLE_ROW - 1.0,
            escape(&n.tip)
        );
        if let Some(l) = clip(&n.label, w - 6.0) {
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 3.0,
                y + 12.5,
                escape(&l)
            );
        }
        o.push_str("</g>\n");
    }
    o.push_str("</svg></figure>\n");
}

/// An x value as a tick label: a UTC time, or the input's name.
fn x_label(x: &XAxis, v: f64) -> String {
    match x {
        XAxis::Time => crate::render::svg::utc(v as i64),
        XAxis::Inputs(names) => names
            .get(v.round().max(0.0) as usize)
            .cloned()
            .unwrap_or_default(),
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC), by the civil-from-days algorithm.
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Draw a chart as a `<figure>` holding an `<svg>`.
pub fn chart(o: &mut String, c: &Chart) {
    let pts = c.series.iter().flat_map(|s| s.points.iter().copied());
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, f64::NEG_INFINITY);
    for (x, y) in pts.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if let Some(l) = &c.limit {
        y1 = y1.max(l.y);
    }
    for m in &c.marks {
        x0 = x0.min(m.x);
        x1 = x1.max(m.x);
    }
    if !x0.is_finite() {
        return;
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let y1 = y1 * 1.05;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    let sy = |y: f64| H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);
    let _ = write!(
        o,
        "<figure class=\"chart\"{}><figcaption>{}</figcaption>\n<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">\n",
        c.id.as_deref().map(|i| format!(" id=\"{}\"", escape(i))).unwrap_or_default(),
        escape(&c.title),
        escape(&c.title)
    );
    // Axes and ticks: four y ticks, the x extremes (and every input on an inputs axis).
    let _ = writeln!(
        o,
        "<path class=\"axis\" d=\"M{LEFT},{TOP} V{:.1} H{:.1}\"/>",
        H - BOTTOM,
        W - RIGHT
    );
    for i in 0..=4 {
        let v = y0 + (y1 - y0) * f64::from(i) / 4.0;
        let _ = writeln!(
            o,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            sy(v) + 4.0,
            escape(&value(v, c.y_unit))
        );
    }
    let xs: Vec<f64> = match &c.x {
        XAxis::Inputs(names) => (0..names.len()).map(|i| i as f64).collect(),
        XAxis::Time => vec![x0, x1],
    };
    for (i, &x) in xs.iter().enumerate() {
        let anchor = if xs.len() > 1 && i == xs.len() - 1 {
            "end"
        } else if i == 0 {
            "start"
        } else {
            "middle"
        };
        let _ = writeln!(
            o,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            sx(x),
            H - BOTTOM + 16.0,
            escape(&x_label(&c.x, x))
        );
    }
    if let Some(l) = &c.limit {
        let _ = writeln!(
            o,
            "<path class=\"limit\" d=\"M{LEFT},{:.1} H{:.1}\"/><text class=\"tick limit-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            sy(l.y),
            W - RIGHT,
            W - RIGHT,
            sy(l.y) - 4.0,
            escape(&l.label)
        );
    }
    for m in &c.marks {
        let _ = writeln!(
            o,
            "<path class=\"mark\" d=\"M{:.1},{TOP} V{:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            sx(m.x),
            H - BOTTOM,
            sx(m.x) - 4.0,
            // Above the x axis: the top right corner is the limit's label.
            H - BOTTOM - 6.0,
            escape(&m.label)
        );
    }
    for (i, s) in c.series.iter().enumerate() {
        let class = match s.role {
            Role::Observed => "observed",
            Role::Fitted => "fitted",
            Role::Projected => "projected",
        };
        let mut d = String::new();
        for (k, &(x, y)) in s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .enumerate()
        {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if k == 0 { "M" } else { " L" },
                sx(x),
                sy(y)
            );
        }
        let _ = writeln!(
            o,
            "<path class=\"series {class} s{}\" d=\"{d}\"><title>{}</title></path>",
            i % 6,
            escape(&s.name)
        );
        if s.role == Role::Observed {
            // A dot per point, small when there are many (a scrape every few seconds), so the
            // line and the fit stay visible; each keeps its tooltip.
            let r = if s.points.len() > 40 { 1.2 } else { 3.0 };
            for &(x, y) in s
                .points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
            {
                let _ = writeln!(
                    o,
                    "<circle class=\"point s{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\"><title>{}: {}</title></circle>",
                    i % 6,
                    sx(x),
                    sy(y),
                    escape(&x_label(&c.x, x)),
                    escape(&value(y, c.y_unit))
                );
            }
        }
    }
    o.push_str("</svg></figure>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::chart::{Level, Series};

    #[test]
    fn utc_matches_known_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00");
        assert_eq!(utc(1_796_337_000), "2026-12-03 22:30");
    }

    #[test]
    fn one_dot_per_observed_point_and_the_limit_drawn() {
        let c = Chart {
            title: "a <b>".into(),
            x: XAxis::Inputs(vec!["d1".into(), "d2".into(), "d3".into()]),
            y_unit: Unit::Bytes,
            series: vec![
                Series {
                    name: "obs".into(),
                    points: vec![(0.0, 1024.0), (1.0, 2048.0), (2.0, 4096.0)],
                    role: Role::Observed,
                },
                Series {
                    name: "fit".into(),
                    points: vec![(0.0, 900.0), (2.0, 4000.0)],
                    role: Role::Fitted,
                },
            ],
            limit: Some(Level {
                label: "limit".into(),
                y: 8192.0,
            }),
            marks: vec![],
            id: None,
        };
        let mut o = String::new();
        chart(&mut o, &c);
        assert_eq!(o.matches("<circle").count(), 3);
        assert_eq!(o.matches("class=\"limit\"").count(), 1);
        assert!(o.contains("a &lt;b&gt;"));
    }
}
