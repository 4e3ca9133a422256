//! Least-squares fits of memory against time or load, compared by the corrected Akaike
//! information criterion (AICc): `n·ln(SSE/n) + 2k + 2k(k+1)/(n−k−1)` for `k` parameters with
//! Gaussian residuals. The lowest AICc wins; a difference of 10 or more is, by Burnham and
//! Anderson's rule of thumb, decisive, 2–10 is support, under 2 a tie.

use serde::Serialize;

/// The shapes a memory series is fitted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// `y = a`: no growth.
    Flat,
    /// `y = a + b·t`: growth at a constant rate (t in seconds since the first sample).
    Linear,
    /// `y = a + b·(1 − e^(−t/τ))`: growth that levels off, τ at most the window ÷ ln 3 (so the
    /// curve's slope at the end is at most a third of its slope at the start).
    Levelling,
    /// `y = a + b·r(t)`: memory follows the request rate `r`.
    Load,
}

impl Shape {
    /// Parameters fitted (τ counts for the levelling curve).
    pub fn k(self) -> usize {
        match self {
            Shape::Flat => 1,
            Shape::Linear | Shape::Load => 2,
            Shape::Levelling => 3,
        }
    }
}

/// One fitted shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub shape: Shape,
    pub a: f64,
    pub b: f64,
    /// The levelling curve's time constant, seconds (0 for the others).
    pub tau: f64,
    /// Sum of squared residuals.
    pub sse: f64,
    pub r2: f64,
    pub aicc: f64,
}

impl Fit {
    /// The curve's value at `t` seconds since the first sample (`r`: the request rate then).
    pub fn at(&self, t: f64, r: f64) -> f64 {
        match self.shape {
            Shape::Flat => self.a,
            Shape::Linear => self.a + self.b * t,
            Shape::Levelling => self.a + self.b * (1.0 - (-t / self.tau).exp()),
            Shape::Load => self.a + self.b * r,
        }
    }

    /// The slope at `t`, per second (load: 0, it follows the rate, not the clock).
    pub fn slope(&self, t: f64) -> f64 {
        match self.shape {
            Shape::Linear => self.b,
            Shape::Levelling => self.b / self.tau * (-t / self.tau).exp(),
            Shape::Flat | Shape::Load => 0.0,
        }
    }

    /// Seconds since the first sample at which the curve reaches `y` going up, if it does
    /// (load: never by itself).
    pub fn reaches(&self, y: f64) -> Option<f64> {
        match self.shape {
            Shape::Linear if self.b > 0.0 => Some((y - self.a) / self.b),
            Shape::Levelling if self.b > 0.0 => {
                let f = (y - self.a) / self.b;
                (f < 1.0).then(|| -self.tau * (1.0 - f.max(0.0)).ln())
            }
            _ => None,
        }
    }
}

/// `y = a + b·x` by least squares: (a, b), or None when x does not vary.
fn line(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    Some((my - b * mx, b))
}

fn finish(shape: Shape, a: f64, b: f64, tau: f64, t: &[f64], r: &[f64], y: &[f64]) -> Fit {
    let mut f = Fit {
        shape,
        a,
        b,
        tau,
        sse: 0.0,
        r2: 0.0,
        aicc: 0.0,
    };
    let n = y.len() as f64;
    let my = y.iter().sum::<f64>() / n;
    let sst: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    f.sse = (0..y.len())
        .map(|i| {
            let e = y[i] - f.at(t[i], r.get(i).copied().unwrap_or(0.0));
            e * e
        })
        .sum();
    f.r2 = if sst > 0.0 { 1.0 - f.sse / sst } else { 1.0 };
    let k = shape.k() as f64;
    // A perfect fit has SSE 0: floor it so that ln stays finite (and such fits still rank).
    let sse = f.sse.max(sst * 1e-12).max(f64::MIN_POSITIVE);
    f.aicc = n * (sse / n).ln() + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0).max(1.0);
    f
}

/// Steps of the levelling curve's τ grid between window/200 and window/ln 3 (geometric).
const TAU_STEPS: usize = 120;

/// Every shape that can be fitted to memory `y` at times `t` (seconds since the first sample),
/// with the request rate `r` at the same instants when known (empty otherwise). Needs at least
/// five points.
pub fn fit_all(t: &[f64], y: &[f64], r: &[f64]) -> Vec<Fit> {
    let n = y.len();
    if n < 5 || t.len() != n {
        return Vec::new();
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let mut fits = vec![finish(Shape::Flat, mean, 0.0, 0.0, t, r, y)];
    if let Some((a, b)) = line(t, y) {
        fits.push(finish(Shape::Linear, a, b, 0.0, t, r, y));
    }
    let span = t[n - 1] - t[0];
    if span > 0.0 {
        let (lo, hi) = (span / 200.0, span / 3f64.ln());
        let mut best: Option<Fit> = None;
        for i in 0..=TAU_STEPS {
            let tau = lo * (hi / lo).powf(i as f64 / TAU_STEPS as f64);
            let x: Vec<f64> = t.iter().map(|&v| 1.0 - (-v / tau).exp()).collect();
            if let Some((a, b)) = line(&x, y) {
                let f = finish(Shape::Levelling, a, b, tau, t, r, y);
                if best.as_ref().is_none_or(|g| f.sse < g.sse) {
                    best = Some(f);
                }
            }
        }
        fits.extend(best);
    }
    if r.len() == n {
        if let Some((a, b)) = line(r, y) {
            fits.push(finish(Shape::Load, a, b, 0.0, t, r, y));
        }
    }
    fits.sort_by(|a, b| a.aicc.total_cmp(&b.aicc).then(a.shape.cmp(&b.shape)));
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_wins_on_its_own_curve() {
        let t: Vec<f64> = (0..100).map(|i| i as f64 * 10.0).collect();
        let r: Vec<f64> = (0..100)
            .map(|i| 5.0 + ((i as f64) / 7.0).sin() * 4.0)
            .collect();
        let wiggle = |i: usize| ((i * 7919) % 13) as f64 - 6.0;
        let lin: Vec<f64> = (0..100)
            .map(|i| 1e6 + 5e3 * t[i] + wiggle(i) * 1e3)
            .collect();
        let lev: Vec<f64> = (0..100)
            .map(|i| 1e6 + 5e6 * (1.0 - (-t[i] / 150.0).exp()) + wiggle(i) * 1e3)
            .collect();
        let load: Vec<f64> = (0..100)
            .map(|i| 1e6 + 1e6 * r[i] + wiggle(i) * 1e3)
            .collect();
        let flat: Vec<f64> = (0..100).map(|i| 1e6 + wiggle(i) * 1e3).collect();
        assert_eq!(fit_all(&t, &lin, &r)[0].shape, Shape::Linear);
        assert_eq!(fit_all(&t, &lev, &r)[0].shape, Shape::Levelling);
        assert_eq!(fit_all(&t, &load, &r)[0].shape, Shape::Load);
        let f = &fit_all(&t, &lin, &r)[0];
        assert!((f.b - 5e3).abs() < 50.0, "{f:?}");
        assert!((f.reaches(f.a + f.b * 100.0).unwrap() - 100.0).abs() < 1e-6);
        // Noise around a level: the line through it moves less than 1% over the window.
        let flat_fits = fit_all(&t, &flat, &[]);
        let line = flat_fits.iter().find(|f| f.shape == Shape::Linear).unwrap();
        assert!((line.b * 990.0).abs() < 1e4, "{line:?}");
    }
}
