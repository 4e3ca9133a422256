//! Format detection by content (magic bytes), never by file name.

/// What the first bytes say the input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    Gzip,
    Hprof,
    V8,
    /// Protobuf-encoded `profile.proto` (not gzip'd).
    Pprof,
    /// The legacy text form: `heap profile: …` or `goroutine profile: …`.
    PprofText,
    Tracemalloc,
    Unknown,
}

/// Detect the format of `data` from its first bytes.
pub fn detect(data: &[u8]) -> Detected {
    if data.starts_with(&[0x1f, 0x8b]) {
        return Detected::Gzip;
    }
    if data.starts_with(b"JAVA PROFILE 1.0.") {
        return Detected::Hprof;
    }
    let head = &data[..data.len().min(4096)];
    if data.first() == Some(&0x80) && contains(head, b"tracemalloc") {
        return Detected::Tracemalloc;
    }
    let trimmed = trim_start(head);
    if trimmed.starts_with(b"{") && contains(head, b"\"snapshot\"") {
        return Detected::V8;
    }
    if trimmed.starts_with(b"heap profile:") || trimmed.starts_with(b"goroutine profile:") {
        return Detected::PprofText;
    }
    if looks_like_profile_proto(data) {
        return Detected::Pprof;
    }
    Detected::Unknown
}

fn trim_start(b: &[u8]) -> &[u8] {
    let p = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[p..]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A raw `profile.proto` message: the first fields (up to 8) must be fields of `Profile` with the
/// wire type the schema gives them, and every length must fit in the input. Go's writer starts
/// with `period_type` (11), others with `sample_type` (1).
fn looks_like_profile_proto(data: &[u8]) -> bool {
    let mut at = 0usize;
    let mut fields = 0;
    while at < data.len() && fields < 8 {
        let Some((tag, n)) = varint(&data[at..]) else {
            return false;
        };
        at += n;
        let (field, wire) = (tag >> 3, tag & 7);
        let ok = match field {
            1..=6 | 11 => wire == 2,
            7..=10 | 12 | 14 => wire == 0,
            13 => wire == 0 || wire == 2,
            _ => false,
        };
        if !ok {
            return false;
        }
        let Some((v, n)) = varint(&data[at..]) else {
            return false;
        };
        at += n;
        if wire == 2 {
            match at.checked_add(v as usize) {
                Some(end) if v <= data.len() as u64 && end <= data.len() => at = end,
                _ => return false,
            }
        }
        fields += 1;
    }
    fields > 0
}

/// A protobuf varint: (value, bytes used).
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= ((byte & 0x7f) as u64) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_proto_in_go_field_order_is_detected() {
        // period_type {type:1 unit:2}, period 1, sample_type {type:3 unit:4}
        let go = [
            0x5a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x60, 0x01, 0x0a, 0x04, 0x08, 0x03, 0x10, 0x04,
        ];
        assert_eq!(detect(&go), Detected::Pprof);
        // a length running past the end, or an unknown field, is not a profile
        assert_eq!(detect(&[0x0a, 0x40, 0x08]), Detected::Unknown);
        assert_eq!(detect(&[0x7a, 0x01, 0x00]), Detected::Unknown);
        assert_eq!(detect(b"hello world"), Detected::Unknown);
    }
}
