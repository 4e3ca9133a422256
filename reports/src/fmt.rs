//! Number formatting shared by the renderers.

use heapscope_graph::Unit;

/// Bytes in binary units with one decimal: `1.5 MiB`, `512 B`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// An integer with thousands separators: `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share as a percentage with one decimal.
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A profile's value in its unit: bytes in binary units, counts with thousands separators,
/// nanoseconds as a duration. Never bytes for what is not bytes.
pub fn amount(v: u64, unit: Unit) -> String {
    match unit {
        Unit::Bytes => human_bytes(v),
        Unit::Nanoseconds => duration_ns(v),
        Unit::Count | Unit::Other => thousands(v),
    }
}

/// Nanoseconds as a duration: `850 ns`, `12.5 µs`, `3.2 ms`, `2.74 s`.
pub fn duration_ns(ns: u64) -> String {
    let f = ns as f64;
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", f / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1} ms", f / 1e6)
    } else {
        format!("{:.2} s", f / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_unit() {
        assert_eq!(amount(2 << 40, Unit::Bytes), "2.0 TiB");
        assert_eq!(amount(2 << 40, Unit::Count), "2,199,023,255,552");
        assert_eq!(amount(362, Unit::Count), "362");
        assert_eq!(amount(2_739_825_431, Unit::Nanoseconds), "2.74 s");
        assert_eq!(amount(922_034, Unit::Nanoseconds), "922.0 µs");
        assert_eq!(amount(7, Unit::Other), "7");
    }
}
