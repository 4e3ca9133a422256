//! Pictures in a document: a chart of series over time or over dumps, with fitted curves, a
//! limit line and marks. HTML draws it as inline SVG (no script, no font files); the terminal and
//! Markdown draw each observed series as a sparkline. A view fills it from its model; the
//! renderers know nothing of what the series mean.

use heapscope_graph::Unit;

/// A line chart: every series on one y axis.
#[derive(Clone, Debug)]
pub struct Chart {
    /// What the chart shows (`MyCache — retained size per dump`).
    pub title: String,
    /// What the x axis is.
    pub x: XAxis,
    /// How y values print (bytes, counts, durations).
    pub y_unit: Unit,
    pub series: Vec<Series>,
    /// A horizontal line: a container limit, a threshold.
    pub limit: Option<Level>,
    /// Vertical marks: a projected crossing, a deploy.
    pub marks: Vec<Mark>,
    /// HTML: the figure's id.
    pub id: Option<String>,
}

/// The x axis.
#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// Unix seconds: ticks print as UTC date-times.
    Time,
    /// One position per input (dump 1, 2, 3 …), labelled with these names in order; x values
    /// are indices into the labels.
    Inputs(Vec<String>),
}

/// One series: points sorted by x.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub role: Role,
}

/// What a series is, which decides how it is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Measured values: a solid line with a dot per point.
    Observed,
    /// A curve fitted to the observed values: dashed.
    Fitted,
    /// The fit carried past the last point: dotted.
    Projected,
}

/// A horizontal level with its label.
#[derive(Clone, Debug)]
pub struct Level {
    pub label: String,
    pub y: f64,
}

/// A vertical mark at `x` with its label.
#[derive(Clone, Debug)]
pub struct Mark {
    pub label: String,
    pub x: f64,
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of values: one bar per value, scaled between their minimum and maximum
/// (all the same height when they are equal). Non-finite values draw as a space.
pub fn sparkline(values: &[f64]) -> String {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                ' '
            } else if hi > lo {
                let i = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[i.min(7)]
            } else {
                BARS[3]
            }
        })
        .collect()
}

/// The most bars a sparkline draws: a longer series is drawn as the means of equal runs.
pub const SPARK_WIDTH: usize = 60;

/// At most `width` values: the means of `width` runs of nearly equal length, in order (the
/// values themselves when there are few enough). Non-finite values are left out of a run's
/// mean; a run of only non-finite values gives NaN.
pub fn resample(values: &[f64], width: usize) -> Vec<f64> {
    if values.len() <= width || width == 0 {
        return values.to_vec();
    }
    (0..width)
        .map(|i| {
            let run = &values[i * values.len() / width..(i + 1) * values.len() / width];
            let finite: Vec<f64> = run.iter().copied().filter(|v| v.is_finite()).collect();
            if finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().sum::<f64>() / finite.len() as f64
            }
        })
        .collect()
}

impl Chart {
    /// The observed series, each as `name  ▁▂▄█  first → last`, for the terminal and Markdown.
    pub fn sparklines(&self, fmt: impl Fn(f64) -> String) -> Vec<String> {
        self.series
            .iter()
            .filter(|s| s.role == Role::Observed && !s.points.is_empty())
            .map(|s| {
                let ys: Vec<f64> = s.points.iter().map(|p| p.1).collect();
                let first = ys[0];
                let last = ys[ys.len() - 1];
                format!(
                    "{}  {}  {} → {}",
                    s.name,
                    sparkline(&resample(&ys, SPARK_WIDTH)),
                    fmt(first),
                    fmt(last)
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_between_min_and_max() {
        assert_eq!(sparkline(&[0.0, 7.0, 3.5]), "▁█▅");
        assert_eq!(sparkline(&[2.0, 2.0]), "▄▄");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0]), "▁ █");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn resample_keeps_short_series_and_averages_long_ones() {
        assert_eq!(resample(&[1.0, 2.0], 4), vec![1.0, 2.0]);
        let v: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(resample(&v, 5), vec![0.5, 2.5, 4.5, 6.5, 8.5]);
        let r = resample(&[1.0, f64::NAN, f64::NAN, 3.0], 2);
        assert_eq!(r[0], 1.0);
        assert_eq!(r[1], 3.0);
        assert_eq!(
            resample(&(0..1000).map(f64::from).collect::<Vec<_>>(), SPARK_WIDTH).len(),
            SPARK_WIDTH
        );
    }
}
