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
    let p = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    &b[p..]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A raw profile.proto starts with a field the profile writers emit first: sample_type (1),
/// sample (2), mapping (3), location (4), function (5) or string_table (6), all length-delimited.
fn looks_like_profile_proto(data: &[u8]) -> bool {
    match data.first() {
        Some(&tag) if tag & 7 == 2 && (1..=6).contains(&(tag >> 3)) => {}
        _ => return false,
    }
    // The first field's length must fit in the input.
    let mut len: u64 = 0;
    let mut shift = 0;
    for (i, &b) in data.iter().enumerate().skip(1).take(10) {
        len |= ((b & 0x7f) as u64) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return (i as u64 + 1).saturating_add(len) <= data.len() as u64;
        }
    }
    false
}
