//! `--at` and `--limit` values.

use heapscope_reports::overtime::{format_rfc3339, parse_rfc3339, parse_size};

#[test]
fn rfc3339_round_trips_and_honours_offsets() {
    // 2000-02-29T12:34:56Z is 951,827,696 s after the epoch (leap day of a century year).
    assert_eq!(parse_rfc3339("2000-02-29T12:34:56Z"), Ok(951_827_696_000));
    assert_eq!(
        parse_rfc3339("2000-02-29T13:34:56.250+01:00"),
        Ok(951_827_696_250)
    );
    assert_eq!(
        parse_rfc3339("2000-02-29 07:04:56-05:30"),
        Ok(951_827_696_000)
    );
    assert_eq!(format_rfc3339(951_827_696_250), "2000-02-29T12:34:56.250Z");
    for ms in [0i64, -1, 1_700_000_000_123, 4_102_444_800_000] {
        assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Ok(ms));
    }
    for bad in [
        "2001-02-29T00:00:00Z",
        "2026-11-24",
        "2026-11-24T02:39:00",
        "yesterday",
        "2026-13-01T00:00:00Z",
    ] {
        assert!(parse_rfc3339(bad).is_err(), "{bad}");
    }
}

#[test]
fn sizes_in_binary_and_decimal_units() {
    assert_eq!(parse_size("4GiB"), Ok(4 << 30));
    assert_eq!(parse_size("4g"), Ok(4 << 30));
    assert_eq!(parse_size("1.5G"), Ok(3 << 29));
    assert_eq!(parse_size("512MiB"), Ok(512 << 20));
    assert_eq!(parse_size("4GB"), Ok(4_000_000_000));
    assert_eq!(parse_size("1000000"), Ok(1_000_000));
    for bad in ["", "GiB", "4 parsecs", "-1G", "0"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}
