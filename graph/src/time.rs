//! RFC 3339 instants without a date library: the dumps' timestamps (HPROF header milliseconds,
//! pprof `time_nanos`) and the `--at` option of `heapscope trend` share these two functions.

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of days since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// RFC 3339 in UTC (`Z`) of nanoseconds since the Unix epoch. The fraction is printed with
/// as few of 3, 6 or 9 digits as represent it exactly, and omitted when zero.
pub fn format_rfc3339_nanos(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let base = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if frac == 0 {
        format!("{base}Z")
    } else if frac % 1_000_000 == 0 {
        format!("{base}.{:03}Z", frac / 1_000_000)
    } else if frac % 1_000 == 0 {
        format!("{base}.{:06}Z", frac / 1_000)
    } else {
        format!("{base}.{frac:09}Z")
    }
}

/// RFC 3339 in UTC of milliseconds since the Unix epoch.
pub fn format_rfc3339_ms(ms: i64) -> String {
    format_rfc3339_nanos(ms.saturating_mul(1_000_000))
}

/// Milliseconds since the Unix epoch of an RFC 3339 instant: `2026-11-24T02:39:00Z`,
/// `2026-11-24T03:39:00.250+01:00`, `2026-11-24 02:39:00z`.
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let bad = || format!("an RFC 3339 time like 2026-11-24T02:39:00Z, not {s:?}");
    let b = s.trim().as_bytes();
    if b.len() < 20 {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let t = std::str::from_utf8(&b[r]).map_err(|_| bad())?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse::<i64>().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let (y, mo, d, h, mi, sec) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return Err(bad());
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        let digits = &b[start..i];
        for k in 0..3 {
            millis = millis * 10 + digits.get(k).map(|c| (c - b'0') as i64).unwrap_or(0);
        }
    }
    let offset_min = match b.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            if sign == b'-' {
                -(oh * 60 + om)
            } else {
                oh * 60 + om
            }
        }
        _ => return Err(bad()),
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec.min(59) - offset_min * 60;
    Ok(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_round_trip() {
        // 2000-02-29T12:34:56Z is 951827696 s after the epoch (a leap day in a century year).
        assert_eq!(
            format_rfc3339_nanos(951_827_696_000_000_000),
            "2000-02-29T12:34:56Z"
        );
        assert_eq!(
            format_rfc3339_ms(951_827_696_250),
            "2000-02-29T12:34:56.250Z"
        );
        assert_eq!(format_rfc3339_nanos(1), "1970-01-01T00:00:00.000000001Z");
        assert_eq!(format_rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            format_rfc3339_nanos(1_700_000_000_123_000_000),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            parse_rfc3339("2000-02-29T12:34:56.250Z"),
            Ok(951_827_696_250)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29T13:34:56.250+01:00"),
            Ok(951_827_696_250)
        );
        for ms in [-86_400_001i64, 0, 1_700_000_000_123, 4_102_444_800_000] {
            assert_eq!(parse_rfc3339(&format_rfc3339_ms(ms)), Ok(ms), "{ms}");
        }
        assert!(
            parse_rfc3339("2001-02-29T00:00:00Z").is_err(),
            "not a leap year"
        );
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
