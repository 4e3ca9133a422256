//! `profile.proto` (github.com/google/pprof/proto/profile.proto) as hand-written prost
//! messages, so no `protoc` is needed, and the decoder for gzip-less protobuf input.
//!
//! The decoder walks the top-level fields itself, so every error carries the byte offset of the
//! field it was reading, and decodes each sub-message with prost. Samples are only located in
//! the first pass (offset and length) and decoded one at a time in the second, after the
//! tables they refer to are complete: writers emit samples before locations and functions.
//!
//! The message types are in `messages`; here is the first pass (the top-level walk, the tables
//! and the string table), and the second pass, which resolves the tables and feeds the samples
//! into the call tree, is in `samples`.

mod messages;
mod samples;

pub use messages::{Function, Label, Line, Location, Mapping, Profile, Sample, ValueType};

use prost::Message;

/// A decode failure: byte offset and what was expected there.
use crate::{Expected, Fail};

/// Byte range of one field's payload in the input.
#[derive(Clone, Copy)]
struct Span {
    at: u32,
    len: u32,
}

impl Span {
    fn of<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        &data[self.at as usize..(self.at + self.len) as usize]
    }
}

/// The tables of a profile, decoded; samples still as byte ranges.
pub(crate) struct Decoded<'a> {
    data: &'a [u8],
    strings: Vec<Span>,
    samples: Vec<Span>,
    sample_types: Vec<(i64, i64)>,
    sample_types_at: u32,
    mappings: Vec<(Mapping, u32)>,
    locations: Vec<(Location, u32)>,
    functions: Vec<(Function, u32)>,
    pub drop_frames: i64,
    pub keep_frames: i64,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub period_type: Option<(i64, i64)>,
    pub period: i64,
    pub comments: Vec<i64>,
    pub default_sample_type: i64,
}

fn varint(data: &[u8], pos: &mut usize) -> Result<u64, Fail> {
    let start = *pos;
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let Some(&b) = data.get(*pos) else {
            return Err(Fail::at(
                start,
                "a complete varint (the input ends inside it)",
            ));
        };
        *pos += 1;
        if shift == 63 && b > 1 {
            break;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Fail::at(start, "a varint of at most 10 bytes"))
}

const FIELD_NAMES: [&str; 15] = [
    "?",
    "sample_type",
    "sample",
    "mapping",
    "location",
    "function",
    "string_table",
    "drop_frames",
    "keep_frames",
    "time_nanos",
    "duration_nanos",
    "period_type",
    "period",
    "comment",
    "default_sample_type",
];

/// The messages [`sub`] decodes, by the index it passes to [`bad_message`].
const MESSAGES: [&str; 6] = [
    "sample_type ValueType",
    "period_type ValueType",
    "Mapping",
    "Location",
    "Function",
    "Sample",
];

fn sub<M: Message + Default>(data: &[u8], span: Span, what: usize) -> Result<M, Fail> {
    M::decode(span.of(data)).map_err(|_| {
        Fail::at_u64(
            u64::from(span.at),
            Expected::Quote(
                bad_message::<M>,
                [u64::from(span.at), u64::from(span.len), what as u64],
            ),
        )
    })
}

/// `[at, len, index into MESSAGES]`: the message is decoded again at the edge for prost's text.
fn bad_message<M: Message + Default>(input: &[u8], n: [u64; 3], out: &mut String) {
    let what = MESSAGES.get(n[2] as usize).copied().unwrap_or("?");
    let body = usize::try_from(n[0])
        .ok()
        .and_then(|at| input.get(at..at.saturating_add(n[1] as usize)));
    match body.map(M::decode) {
        Some(Err(e)) => out.push_str(&format!("a valid {what} message ({e})")),
        _ => out.push_str(&format!("a valid {what} message")),
    }
}

impl<'a> Decoded<'a> {
    /// First pass: walk the top-level fields.
    pub fn read(data: &'a [u8]) -> Result<Decoded<'a>, Fail> {
        if data.len() > u32::MAX as usize {
            return Err(Fail::at(0, "a protobuf profile smaller than 4 GiB"));
        }
        let mut d = Decoded {
            data,
            strings: Vec::new(),
            samples: Vec::new(),
            sample_types: Vec::new(),
            sample_types_at: 0,
            mappings: Vec::new(),
            locations: Vec::new(),
            functions: Vec::new(),
            drop_frames: 0,
            keep_frames: 0,
            time_nanos: 0,
            duration_nanos: 0,
            period_type: None,
            period: 0,
            comments: Vec::new(),
            default_sample_type: 0,
        };
        let mut pos = 0usize;
        while pos < data.len() {
            let field_at = pos;
            let key = varint(data, &mut pos)?;
            let (field, wire) = (key >> 3, key & 7);
            let name = FIELD_NAMES
                .get(field as usize)
                .copied()
                .unwrap_or("an unknown field");
            match wire {
                0 => {
                    let v = varint(data, &mut pos)?;
                    let v = v as i64;
                    match field {
                        7 => d.drop_frames = v,
                        8 => d.keep_frames = v,
                        9 => d.time_nanos = v,
                        10 => d.duration_nanos = v,
                        12 => d.period = v,
                        13 => d.comments.push(v),
                        14 => d.default_sample_type = v,
                        1..=6 | 11 => {
                            return Err(Fail::at(
                                field_at,
                                Expected::fmt("field {} ({s}) as length-delimited", name, &[field]),
                            ))
                        }
                        _ => {}
                    }
                }
                1 | 5 => {
                    let n = if wire == 1 { 8 } else { 4 };
                    if data.len() - pos < n {
                        return Err(Fail::at(
                            pos,
                            Expected::fmt("{} bytes of field {} ({s})", name, &[n as u64, field]),
                        ));
                    }
                    pos += n;
                }
                2 => {
                    let len = varint(data, &mut pos)?;
                    if len > (data.len() - pos) as u64 {
                        return Err(Fail::at(
                            pos,
                            Expected::fmt(
                                "{} bytes of field {} ({s}); only {} remain (truncated profile?)",
                                name,
                                &[len, field, (data.len() - pos) as u64],
                            ),
                        ));
                    }
                    let span = Span {
                        at: pos as u32,
                        len: len as u32,
                    };
                    pos += len as usize;
                    match field {
                        1 => {
                            let v: ValueType = sub(data, span, 0)?;
                            if d.sample_types.is_empty() {
                                d.sample_types_at = span.at;
                            }
                            d.sample_types.push((v.r#type, v.unit));
                        }
                        2 => d.samples.push(span),
                        3 => d.mappings.push((sub(data, span, 2)?, span.at)),
                        4 => d.locations.push((sub(data, span, 3)?, span.at)),
                        5 => d.functions.push((sub(data, span, 4)?, span.at)),
                        6 => d.strings.push(span),
                        11 => {
                            let v: ValueType = sub(data, span, 1)?;
                            d.period_type = Some((v.r#type, v.unit));
                        }
                        13 => {
                            // packed repeated int64
                            let body = span.of(data);
                            let mut p = 0;
                            while p < body.len() {
                                let v = varint(body, &mut p).map_err(|e| Fail {
                                    offset: e.offset + u64::from(span.at),
                                    ..e
                                })?;
                                d.comments.push(v as i64);
                            }
                        }
                        7..=10 | 12 | 14 => {
                            return Err(Fail::at(
                                field_at,
                                Expected::fmt("field {} ({s}) as a varint", name, &[field]),
                            ))
                        }
                        _ => {}
                    }
                }
                _ => {
                    return Err(Fail::at(
                        field_at,
                        Expected::fmt(
                            "a protobuf field key (wire type 0, 1, 2 or 5; found {} for field {})",
                            "",
                            &[wire, field],
                        ),
                    ))
                }
            }
        }
        match d.strings.first() {
            Some(s) if s.len == 0 => {}
            Some(s) => {
                return Err(Fail::at_u64(
                    u64::from(s.at),
                    "an empty first string_table entry",
                ))
            }
            None => {
                return Err(Fail::at(
                    data.len(),
                    "a string_table (profile.proto field 6)",
                ))
            }
        }
        Ok(d)
    }

    /// String `i` of the string table; `at` is the offset of the field that refers to it.
    pub fn str(&self, i: i64, at: u32) -> Result<std::borrow::Cow<'a, str>, Fail> {
        match usize::try_from(i).ok().and_then(|i| self.strings.get(i)) {
            Some(s) => Ok(String::from_utf8_lossy(s.of(self.data))),
            None => Err(Fail::at_u64(
                u64::from(at),
                Expected::fmt(
                    "a string_table index below {} (found {i})",
                    "",
                    &[self.strings.len() as u64, i as u64],
                ),
            )),
        }
    }

    /// Sample types as (type, unit) names.
    pub fn sample_types(&self) -> Result<Vec<(String, String)>, Fail> {
        let at = self.sample_types_at;
        self.sample_types
            .iter()
            .map(|&(t, u)| Ok((self.str(t, at)?.into_owned(), self.str(u, at)?.into_owned())))
            .collect()
    }

    pub fn mappings(&self) -> Result<Vec<heapscope_graph::facts::Mapping>, Fail> {
        self.mappings
            .iter()
            .map(|(m, at)| {
                Ok(heapscope_graph::facts::Mapping {
                    id: m.id,
                    memory_start: m.memory_start,
                    memory_limit: m.memory_limit,
                    file_offset: m.file_offset,
                    filename: self.str(m.filename, *at)?.into_owned(),
                    build_id: self.str(m.build_id, *at)?.into_owned(),
                    has_functions: m.has_functions,
                    has_inline_frames: m.has_inline_frames,
                })
            })
            .collect()
    }
}
