//! Format detection by content (magic bytes), never by file name.

use crate::{Input, ParseError, ParseOptions, Parsed};

/// One input format: how it is recognised by its first bytes, and how it is parsed. Each format
/// module has one (`hprof::READER` …) and [`crate::READERS`] lists them all.
pub struct Reader {
    /// The format's name as reports print it (`input.format`).
    pub name: &'static str,
    /// What a file of this format looks like, for the error that lists the supported formats.
    pub looks_like: &'static str,
    /// Does `data` start like this format? Asked in [`crate::READERS`] order.
    pub sniff: fn(&[u8]) -> bool,
    pub parse: fn(&Input, &ParseOptions) -> Result<Parsed, ParseError>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Reader {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// What the first bytes say the input is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Detected {
    Gzip,
    Format(&'static Reader),
    Unknown,
}

impl Detected {
    /// The detected format's name, if a format was recognised.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Detected::Format(r) => Some(r.name),
            _ => None,
        }
    }
}

/// Detect the format of `data` from its first bytes.
pub fn detect(data: &[u8]) -> Detected {
    if data.starts_with(&[0x1f, 0x8b]) {
        return Detected::Gzip;
    }
    crate::READERS
        .iter()
        .find(|r| (r.sniff)(data))
        .map_or(Detected::Unknown, Detected::Format)
}

/// The error for an input no reader recognises: it lists what each format looks like.
pub fn unknown(input: &Input) -> ParseError {
    if crate::prometheus::detect(input.bytes()) {
        return ParseError::new(
            input.path(),
            0,
            "a heap dump, not Prometheus query results: read those with `heapscope metrics`",
        );
    }
    let all: Vec<&str> = crate::READERS.iter().map(|r| r.looks_like).collect();
    let list = match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
        _ => all.join(""),
    };
    ParseError::new(input.path(), 0, format!("a supported dump: {list}"))
}

/// The first 4 KiB, where the formats' signatures are looked for.
pub(crate) fn head(data: &[u8]) -> &[u8] {
    &data[..data.len().min(4096)]
}

pub(crate) fn trim_start(b: &[u8]) -> &[u8] {
    let p = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[p..]
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A raw `profile.proto` message: the first fields (up to 8) must be fields of `Profile` with the
/// wire type the schema gives them, and every length must fit in the input. Go's writer starts
/// with `period_type` (11), others with `sample_type` (1).
pub(crate) fn looks_like_profile_proto(data: &[u8]) -> bool {
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
        assert_eq!(detect(&go).name(), Some("pprof"));
        // a length running past the end, or an unknown field, is not a profile
        assert_eq!(detect(&[0x0a, 0x40, 0x08]), Detected::Unknown);
        assert_eq!(detect(&[0x7a, 0x01, 0x00]), Detected::Unknown);
        assert_eq!(detect(b"hello world"), Detected::Unknown);
    }
}
