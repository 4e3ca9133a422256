//! `profile.proto` (github.com/google/pprof/proto/profile.proto) as hand-written prost
//! messages, so no `protoc` is needed, and the decoder for gzip-less protobuf input.
//!
//! The decoder walks the top-level fields itself, so every error carries the byte offset of the
//! field it was reading, and decodes each sub-message with prost. Samples are only located in
//! the first pass (offset and length) and decoded one at a time in the second, after the
//! tables they refer to are complete: writers emit samples before locations and functions.

use prost::Message;

use super::tree::{CallTree, Frame, Seen};
use super::SampleChoice;

/// `Profile` (field numbers as published). Only used to encode profiles (tests, tools); the
/// parser reads the top level field by field ([`Decoded::read`]).
#[derive(Clone, PartialEq, Message)]
pub struct Profile {
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    #[prost(int64, tag = "7")]
    pub drop_frames: i64,
    #[prost(int64, tag = "8")]
    pub keep_frames: i64,
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    pub period: i64,
    #[prost(int64, repeated, tag = "13")]
    pub comment: Vec<i64>,
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct ValueType {
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// Leaf (innermost) first.
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Label {
    #[prost(int64, tag = "1")]
    pub key: i64,
    #[prost(int64, tag = "2")]
    pub str: i64,
    #[prost(int64, tag = "3")]
    pub num: i64,
    #[prost(int64, tag = "4")]
    pub num_unit: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Mapping {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub memory_start: u64,
    #[prost(uint64, tag = "3")]
    pub memory_limit: u64,
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    #[prost(int64, tag = "5")]
    pub filename: i64,
    #[prost(int64, tag = "6")]
    pub build_id: i64,
    #[prost(bool, tag = "7")]
    pub has_functions: bool,
    #[prost(bool, tag = "8")]
    pub has_filenames: bool,
    #[prost(bool, tag = "9")]
    pub has_line_numbers: bool,
    #[prost(bool, tag = "10")]
    pub has_inline_frames: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct Location {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    #[prost(uint64, tag = "3")]
    pub address: u64,
    /// Innermost first: `line[0]` is the inlined callee, the last is the physical function.
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
    #[prost(bool, tag = "5")]
    pub is_folded: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct Line {
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    #[prost(int64, tag = "2")]
    pub line: i64,
    #[prost(int64, tag = "3")]
    pub column: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Function {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int64, tag = "2")]
    pub name: i64,
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    #[prost(int64, tag = "4")]
    pub filename: i64,
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}

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

struct Func {
    id: u64,
    /// Frame name key in the call tree's name table.
    name: u32,
    file: u32,
}

struct Loc {
    id: u64,
    address: u64,
    mapping: u64,
    /// `lines[first..first+count]`, innermost first.
    first: u32,
    count: u32,
    at: u32,
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

    pub fn mappings(&self) -> Result<Vec<serde_json::Value>, Fail> {
        self.mappings
            .iter()
            .map(|(m, at)| {
                Ok(serde_json::json!({
                    "id": m.id,
                    "memory_start": m.memory_start,
                    "memory_limit": m.memory_limit,
                    "file_offset": m.file_offset,
                    "filename": self.str(m.filename, *at)?,
                    "build_id": self.str(m.build_id, *at)?,
                    "has_functions": m.has_functions,
                    "has_inline_frames": m.has_inline_frames,
                }))
            })
            .collect()
    }

    /// Second pass: resolve the tables, then feed every sample into `tree`.
    pub fn build(
        &self,
        choice: &SampleChoice,
        tree: &mut CallTree,
        seen: &mut Seen,
    ) -> Result<(), Fail> {
        let data = self.data;
        // Functions: id → (frame name, file), sorted by id for lookup.
        let mut funcs: Vec<Func> = Vec::with_capacity(self.functions.len());
        for (f, at) in &self.functions {
            let name = self.str(f.name, *at)?;
            let name = if name.is_empty() {
                self.str(f.system_name, *at)?
            } else {
                name
            };
            let name = if name.is_empty() {
                std::borrow::Cow::Borrowed("?")
            } else {
                name
            };
            let file = self.str(f.filename, *at)?;
            funcs.push(Func {
                id: f.id,
                name: tree.intern_name(&name),
                file: tree.intern_file(&file),
            });
        }
        funcs.sort_unstable_by_key(|f| f.id);
        if let Some(w) = funcs.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Fail::at(
                0,
                Expected::fmt("unique Function ids (id {} appears twice)", "", &[w[0].id]),
            ));
        }
        let mut mapping_ids: Vec<(u64, usize)> = self
            .mappings
            .iter()
            .enumerate()
            .map(|(i, (m, _))| (m.id, i))
            .collect();
        mapping_ids.sort_unstable();
        let mapping = |id: u64| -> Option<&(Mapping, u32)> {
            let i = mapping_ids.binary_search_by_key(&id, |&(id, _)| id).ok()?;
            self.mappings.get(mapping_ids[i].1)
        };
        let mapping_file = |id: u64| -> Option<String> {
            let (m, at) = mapping(id)?;
            let f = self.str(m.filename, *at).ok()?;
            let base = f.rsplit('/').next().unwrap_or(&f).to_string();
            (!base.is_empty()).then_some(base)
        };
        // Locations: flattened lines (function index, line number), innermost first.
        let mut lines: Vec<(u32, u32)> = Vec::new();
        let mut locs: Vec<Loc> = Vec::with_capacity(self.locations.len());
        for (l, at) in &self.locations {
            if l.mapping_id != 0 && mapping(l.mapping_id).is_none() {
                return Err(Fail::at_u64(
                    u64::from(*at),
                    Expected::fmt(
                        "a Mapping with id {} (Location {})",
                        "",
                        &[l.mapping_id, l.id],
                    ),
                ));
            }
            let first = lines.len() as u32;
            for ln in &l.line {
                let Ok(fi) = funcs.binary_search_by_key(&ln.function_id, |f| f.id) else {
                    return Err(Fail::at_u64(
                        u64::from(*at),
                        Expected::fmt(
                            "a Function with id {} (Location {})",
                            "",
                            &[ln.function_id, l.id],
                        ),
                    ));
                };
                lines.push((fi as u32, ln.line.clamp(0, u32::MAX as i64) as u32));
            }
            let count = lines.len() as u32 - first;
            locs.push(Loc {
                id: l.id,
                address: l.address,
                mapping: l.mapping_id,
                first,
                count,
                at: *at,
            });
        }
        locs.sort_unstable_by_key(|l| l.id);
        if let Some(w) = locs.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Fail::at_u64(
                u64::from(w[1].at),
                Expected::fmt("unique Location ids (id {} appears twice)", "", &[w[0].id]),
            ));
        }
        // Frame name of a location without lines, as pprof prints it.
        let mut addr_names: Vec<u32> = vec![u32::MAX; locs.len()];
        for (i, l) in locs.iter().enumerate() {
            if l.count == 0 {
                let name = match mapping_file(l.mapping) {
                    Some(f) => format!("{:016x} [{f}]", l.address),
                    None => format!("{:016x}", l.address),
                };
                addr_names[i] = tree.intern_name(&name);
            }
        }
        let nvals = self.sample_types.len();
        let mut frames: Vec<Frame> = Vec::new();
        for span in &self.samples {
            let s: Sample = sub(data, *span, 5)?;
            if s.value.len() != nvals {
                return Err(Fail::at_u64(
                    u64::from(span.at),
                    Expected::fmt(
                        "{} values in the Sample, one per sample_type (found {})",
                        "",
                        &[nvals as u64, s.value.len() as u64],
                    ),
                ));
            }
            frames.clear();
            // Root (outermost) first: locations from the last, lines from the last.
            for &id in s.location_id.iter().rev() {
                let Ok(li) = locs.binary_search_by_key(&id, |l| l.id) else {
                    return Err(Fail::at_u64(
                        u64::from(span.at),
                        Expected::fmt("a Location with id {} (referenced by a Sample)", "", &[id]),
                    ));
                };
                let l = &locs[li];
                if l.count == 0 {
                    frames.push(Frame {
                        name: addr_names[li],
                        file: 0,
                        line: 0,
                    });
                    continue;
                }
                for &(fi, line) in lines[l.first as usize..(l.first + l.count) as usize]
                    .iter()
                    .rev()
                {
                    let f = &funcs[fi as usize];
                    frames.push(Frame {
                        name: f.name,
                        file: f.file,
                        line,
                    });
                }
            }
            for lb in &s.label {
                let key = self.str(lb.key, span.at)?;
                if lb.str != 0 {
                    let v = self.str(lb.str, span.at)?;
                    seen.label(&key, &v, s.value[choice.index]);
                } else {
                    let unit = self.str(lb.num_unit, span.at)?;
                    seen.num_label(&key, &unit);
                }
            }
            let value = s.value[choice.index];
            let objects = choice.objects.map(|i| s.value[i]);
            seen.totals(&s.value);
            tree.add_sample(&frames, value, objects, seen);
        }
        Ok(())
    }
}
