//! The shape classifier on synthetic series: each shape from its generating function, with and
//! without noise, on even and uneven time axes.

use heapscope_reports::overtime::shape::{
    classify, least_squares, noise_bytes, LEVELLING_RATIO, NOISE_MIN_BYTES, NOISE_SHARE_OF_HEAP,
    NOISE_SHARE_OF_SERIES,
};
use heapscope_reports::overtime::Shape;

/// A deterministic jitter in [-1, 1] (no randomness in tests: the same series every run).
fn jitter(i: usize) -> f64 {
    (((i as u64 * 2_654_435_761) % 1000) as f64 / 500.0) - 1.0
}

fn shape(x: &[f64], y: &[f64], heap: f64) -> Shape {
    let (s, fit) = classify(x, y, noise_bytes(y, heap));
    assert_eq!(fit.shape, s, "the fit names the shape it returns");
    s
}

fn steps(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

#[test]
fn a_line_is_linear_with_its_slope_and_r2_one() {
    for n in [3, 4, 5, 10] {
        let x = steps(n);
        let y: Vec<f64> = x.iter().map(|t| 5e6 + 250_000.0 * t).collect();
        let (s, fit) = classify(&x, &y, noise_bytes(&y, 1e8));
        assert_eq!(s, Shape::Linear, "n = {n}");
        assert!((fit.slope - 250_000.0).abs() < 1e-6, "slope {}", fit.slope);
        assert!((fit.r2 - 1.0).abs() < 1e-9);
        assert_eq!(fit.net_change, (250_000.0 * (n - 1) as f64) as i64);
    }
}

#[test]
fn a_noisy_line_stays_linear() {
    let x = steps(12);
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, t)| 1e6 + 100_000.0 * t + 20_000.0 * jitter(i))
        .collect();
    let (s, fit) = classify(&x, &y, noise_bytes(&y, 1e7));
    assert_eq!(s, Shape::Linear);
    assert!(fit.r2 > 0.95 && fit.r2 < 1.0, "r2 {}", fit.r2);
    assert!((fit.slope - 100_000.0).abs() < 10_000.0);
}

#[test]
fn a_saturating_curve_is_levelling_off() {
    // y = A (1 − e^(−t/τ)): a cache warming up to its capacity.
    for (n, tau) in [(3usize, 0.7f64), (5, 1.5), (10, 3.0)] {
        let x = steps(n);
        let y: Vec<f64> = x
            .iter()
            .map(|t| 1e6 + 3e6 * (1.0 - (-t / tau).exp()))
            .collect();
        let (s, fit) = classify(&x, &y, noise_bytes(&y, 1e7));
        assert_eq!(s, Shape::LevellingOff, "n {n} tau {tau}: {fit:?}");
        assert!(fit.late_slope <= LEVELLING_RATIO * fit.early_slope);
    }
}

#[test]
fn fill_then_flat_is_levelling_off_and_the_three_point_java_case() {
    // The fixtures' cache: fills in the first step, flat after (1,500 → 3,000 → 3,000 entries).
    let x = steps(3);
    let y = [1500.0 * 1096.0, 3000.0 * 1096.0, 3000.0 * 1096.0];
    assert_eq!(shape(&x, &y, 1e7), Shape::LevellingOff);
    // The leak beside it: +2,000 orders each step.
    let y = [2000.0 * 348.0, 4000.0 * 348.0, 6000.0 * 348.0];
    assert_eq!(shape(&x, &y, 1e7), Shape::Linear);
}

#[test]
fn accelerating_growth_is_called_linear() {
    let x = steps(4);
    let y: Vec<f64> = x.iter().map(|t| 1e6 + 1e5 * t * t).collect();
    assert_eq!(shape(&x, &y, 1e7), Shape::Linear);
}

#[test]
fn jitter_within_the_noise_is_stable() {
    let x = steps(8);
    let base = 4e6;
    let amp = 0.5 * NOISE_SHARE_OF_SERIES * base;
    let y: Vec<f64> = (0..8).map(|i| base + amp * jitter(i)).collect();
    let (s, fit) = classify(&x, &y, noise_bytes(&y, 1e8));
    assert_eq!(s, Shape::Stable, "{fit:?}");
    // Same jitter on a series 100× larger relative to its noise floor is still stable.
    let y: Vec<f64> = (0..8).map(|i| 100.0 + 50.0 * jitter(i)).collect();
    assert_eq!(shape(&x, &y, 0.0), Shape::Stable, "within NOISE_MIN_BYTES");
}

#[test]
fn a_small_row_in_a_big_heap_is_noise() {
    // +3 KiB per step in a 100 MB heap is below NOISE_SHARE_OF_HEAP (0.1% = 100 kB).
    let x = steps(3);
    let y = [10_000.0, 13_000.0, 16_000.0];
    assert_eq!(shape(&x, &y, 1e8), Shape::Stable);
    assert!(noise_bytes(&y, 1e8) as f64 >= NOISE_SHARE_OF_HEAP * 1e8);
    // The same row in a 1 MB heap grows above noise.
    assert_eq!(shape(&x, &y, 1e6), Shape::Linear);
    assert!(noise_bytes(&[0.0], 0.0) == NOISE_MIN_BYTES);
}

#[test]
fn falling_series_are_shrinking() {
    let x = steps(4);
    let y = [8e6, 6e6, 4e6, 2e6];
    let (s, fit) = classify(&x, &y, noise_bytes(&y, 1e7));
    assert_eq!(s, Shape::Shrinking);
    assert!(fit.slope < 0.0 && fit.net_change == -6_000_000);
}

#[test]
fn uneven_times_use_the_times_not_the_positions() {
    // Linear in time, sampled at 0, 1 and 10 hours: by position the steps would be 1 and 9 times
    // the rate (accelerating), by time it is one line.
    let x = [0.0, 1.0, 10.0];
    let y: Vec<f64> = x.iter().map(|t| 1e6 + 5e5 * t).collect();
    let (s, fit) = classify(&x, &y, noise_bytes(&y, 1e7));
    assert_eq!(s, Shape::Linear);
    assert!((fit.slope - 5e5).abs() < 1e-6 && (fit.r2 - 1.0).abs() < 1e-9);
    // A cache filled at hour 1 and flat until hour 10 is levelling off on the same axis.
    let y = [1e6, 4e6, 4e6];
    assert_eq!(shape(&x, &y, 1e7), Shape::LevellingOff);
}

#[test]
fn least_squares_matches_the_textbook_formula() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let y = [2.0, 4.0, 5.0, 4.0, 5.0];
    let (slope, intercept, r2) = least_squares(&x, &y);
    // Σ(x−x̄)(y−ȳ) = 6, Σ(x−x̄)² = 10, so slope 0.6, intercept 4 − 0.6·3 = 2.2;
    // SS_res = 2.4, SS_tot = 6, R² = 0.6.
    assert!(
        (slope - 0.6).abs() < 1e-12 && (intercept - 2.2).abs() < 1e-12 && (r2 - 0.6).abs() < 1e-12
    );
}
