//! The over-time commands' values: RFC 3339 instants (`--at`) and sizes (`--limit 4GiB`).

/// RFC 3339 instants (`--at`, projected times) are the graph crate's, shared with the parsers'
/// dump timestamps: milliseconds since the Unix epoch.
pub use heapscope_graph::time::{format_rfc3339_ms as format_rfc3339, parse_rfc3339};

/// A size in bytes: `4GiB`, `512MiB`, `4g`, `1.5G` (binary: K, M, G, T, KiB, MiB, GiB, TiB),
/// `4GB` (decimal: KB, MB, GB, TB), `1000000` or `1000000B` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("a size like 4GiB, 512MiB, 4g or 1000000, not {s:?}");
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return Err(bad()),
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes.round() as u64)
}

/// A duration in hours as people read it: `45 min`, `3.2 h`, `4.1 days`.
pub fn human_hours(h: f64) -> String {
    if h < 1.0 / 60.0 {
        format!("{:.0} s", h * 3600.0)
    } else if h < 1.0 {
        format!("{:.0} min", h * 60.0)
    } else if h < 48.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.1} days", h / 24.0)
    }
}
