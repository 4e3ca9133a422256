//! The growth-shape classifier: one series of byte values over time → `linear`,
//! `levelling-off`, `stable` or `shrinking`, with the least-squares slope and its R².
//!
//! The rule (also in docs/overtime.md):
//! 1. **Noise.** A change of at most `noise` bytes is noise, where
//!    `noise = max(NOISE_SHARE_OF_SERIES × the series' largest value,
//!    NOISE_SHARE_OF_HEAP × the mean heap, NOISE_MIN_BYTES)`.
//! 2. **Stable** when the net change (last − first) and the fitted change (slope × time span)
//!    are both within the noise.
//! 3. **Shrinking** when the net change is below −noise.
//! 4. Otherwise the series grows. Fit a line to the first half of the points and one to the
//!    second half (they share the middle point). If the late slope is at most
//!    `LEVELLING_RATIO` × the early slope, the growth is slowing: **levelling-off** (a cache
//!    warming up, or anything bounded). Otherwise **linear** (a leak; a series that accelerates
//!    is called linear too — it is at least that bad).
//!
//! Why halves instead of fitting a saturating curve: with three dumps — the usual case — a
//! three-parameter saturating curve fits any concave series exactly, so its R² cannot tell
//! anything; comparing the slopes of the two halves is the discrete second difference and needs
//! no parameters beyond the ratio.

use super::model::Fit;

/// The late slope must fall to this share of the early slope for "levelling-off". With three
/// evenly spaced points it says: the second step added at most half of what the first did.
pub const LEVELLING_RATIO: f64 = 0.5;
/// Changes within 2% of a series' own size are noise (GC timing, allocation sampling).
pub const NOISE_SHARE_OF_SERIES: f64 = 0.02;
/// Changes within 0.1% of the whole heap are noise, however large relative to the row.
pub const NOISE_SHARE_OF_HEAP: f64 = 0.001;
/// And never less than 1 KiB.
pub const NOISE_MIN_BYTES: u64 = 1024;

/// The four shapes, in the order a trend lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    Linear,
    LevellingOff,
    Shrinking,
    Stable,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::LevellingOff => "levelling-off",
            Shape::Stable => "stable",
            Shape::Shrinking => "shrinking",
        }
    }
    pub fn parse(s: &str) -> Option<Shape> {
        [
            Shape::Linear,
            Shape::LevellingOff,
            Shape::Stable,
            Shape::Shrinking,
        ]
        .into_iter()
        .find(|x| x.name() == s)
    }
    pub fn is_growing(self) -> bool {
        matches!(self, Shape::Linear | Shape::LevellingOff)
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The noise threshold of a series, given the mean size of the whole heap.
pub fn noise_bytes(y: &[f64], mean_heap: f64) -> u64 {
    let top = y.iter().fold(0f64, |m, v| m.max(v.abs()));
    (NOISE_SHARE_OF_SERIES * top)
        .max(NOISE_SHARE_OF_HEAP * mean_heap)
        .max(NOISE_MIN_BYTES as f64)
        .ceil() as u64
}

/// Least-squares line through the points: (slope, intercept, R²). R² is 1 for a flat series
/// (the line goes through every point) and for two points.
pub fn least_squares(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len().min(y.len());
    if n == 0 {
        return (0.0, 0.0, 1.0);
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let dx = x[i] - mx;
        let dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 {
        return (0.0, my, 1.0);
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    if syy == 0.0 {
        return (slope, intercept, 1.0);
    }
    let ss_res: f64 = (0..n)
        .map(|i| (y[i] - (intercept + slope * x[i])).powi(2))
        .sum();
    (slope, intercept, (1.0 - ss_res / syy).clamp(0.0, 1.0))
}

/// Classify one series (`x` strictly increasing, at least two points).
pub fn classify(x: &[f64], y: &[f64], noise: u64) -> (Shape, Fit) {
    let n = x.len().min(y.len());
    let (slope, _, r2) = least_squares(&x[..n], &y[..n]);
    let m = (n.saturating_sub(1)) / 2;
    let (early, _, _) = least_squares(
        &x[..=m.min(n.saturating_sub(1))],
        &y[..=m.min(n.saturating_sub(1))],
    );
    let (late, _, _) = if n >= 2 {
        least_squares(&x[m..n], &y[m..n])
    } else {
        (0.0, 0.0, 1.0)
    };
    let net = if n > 0 { y[n - 1] - y[0] } else { 0.0 };
    let span = if n > 0 { x[n - 1] - x[0] } else { 0.0 };
    let nz = noise as f64;
    let shape = if net.abs() <= nz && (slope * span).abs() <= nz {
        Shape::Stable
    } else if net < -nz {
        Shape::Shrinking
    } else if net <= nz {
        // The fitted line moves, the end points do not: an excursion in between.
        Shape::Stable
    } else if early > 0.0 && late <= LEVELLING_RATIO * early {
        Shape::LevellingOff
    } else {
        Shape::Linear
    };
    let fit = Fit {
        shape,
        slope: round3(slope),
        r2: round6(r2),
        early_slope: round3(early),
        late_slope: round3(late),
        net_change: net.round() as i64,
        noise_bytes: noise,
    };
    (shape, fit)
}

pub fn round3(v: f64) -> f64 {
    let r = (v * 1e3).round() / 1e3;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

pub fn round6(v: f64) -> f64 {
    let r = (v * 1e6).round() / 1e6;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}
