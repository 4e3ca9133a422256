//! Prometheus query results: the JSON of the HTTP API's `/api/v1/query_range` (and
//! `/api/v1/query`), read into typed [`MetricSeries`].
//!
//! This is not a heap dump, so it is not in [`crate::READERS`]: `heapscope metrics` calls
//! [`detect`] and [`read`] itself, and `heapscope analyze` given such a file says to use
//! `heapscope metrics` ([`crate::detect::unknown`]).
//!
//! What a file may hold (detected by content, never by name):
//! - one response: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},
//!   "values":[[1700000000,"1.5e6"],…]}]}}`, or `"resultType":"vector"` with one `"value"` per
//!   series;
//! - several responses: a JSON array of them, or one after the other (JSON lines).
//!
//! A response may carry `"query": "rate(http_requests_total[1m])"` beside `status` (heapscope's
//! recorder and `heapscope metrics --prometheus` write it): a series without `__name__` — what a
//! function like `rate` returns — is then named by that query. Sample values are strings as
//! Prometheus writes them: decimal numbers, `NaN`, `+Inf`, `-Inf`. Series with the same name and
//! labels in several responses are merged. Responses with `"status":"error"` are errors naming
//! what the server said.
//!
//! Bad input is a [`Fail`] with the byte offset (from serde_json's line and column) and what was
//! expected there; JSON nesting is bounded by serde_json's recursion limit and no allocation is
//! sized by a number read from the input.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use heapscope_graph::series::{MetricSeries, Samples, SeriesKey};
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use crate::detect::{head, trim_start};
use crate::error::{quote, span};
use crate::{Expected, Fail, Input, ParseError};

/// Does `data` look like Prometheus query results? A JSON object or array whose first 4 KiB
/// name `resultType`, or `status` with `data` or `error`.
pub fn detect(data: &[u8]) -> bool {
    let t = trim_start(data);
    if !matches!(t.first(), Some(b'{' | b'[')) {
        return false;
    }
    let h = head(t);
    let has = |n: &[u8]| memchr::memmem::find(h, n).is_some();
    has(b"\"resultType\"") || (has(b"\"status\"") && (has(b"\"data\"") || has(b"\"error\"")))
}

/// Read the series of one file: its path names it in the error.
pub fn read_file(path: &Path) -> Result<Vec<MetricSeries>, ParseError> {
    let input = Input::open(path)?;
    let bytes = input.bytes();
    if !detect(bytes) {
        return Err(ParseError::new(
            path,
            0,
            "Prometheus query results: the JSON of /api/v1/query_range \
             ({\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",…}})",
        ));
    }
    read(bytes).map_err(|f| f.in_file(path, bytes))
}

/// Read every response in `data` (one, an array of them, or one after another) into series,
/// merged by name and labels, sorted by name then labels.
pub fn read(data: &[u8]) -> Result<Vec<MetricSeries>, Fail> {
    let mut merged: BTreeMap<SeriesKey, Samples> = BTreeMap::new();
    let mut add = |resp: Response, start: usize, end: usize, data: &[u8]| -> Result<(), Fail> {
        let Response {
            status,
            data: body,
            query,
            ..
        } = resp;
        if status == Status::Error {
            return Err(error_response(data, start, end));
        }
        let body = body.ok_or(Fail::at(
            start,
            "a \"data\" member in a successful response",
        ))?;
        for item in body.result {
            let mut labels: Vec<(String, String)> = Vec::new();
            let mut name = None;
            for (k, v) in item.metric {
                if k == "__name__" {
                    name = Some(v);
                } else {
                    labels.push((k, v));
                }
            }
            let name = name.or_else(|| query.clone()).unwrap_or_default();
            let mut samples = item.values;
            samples.extend(item.value);
            merged
                .entry((name, labels))
                .or_default()
                .extend(samples.into_iter().map(|s| (s.0, s.1)));
        }
        Ok(())
    };
    let t = trim_start(data);
    let lead = data.len() - t.len();
    if t.first() == Some(&b'[') {
        // An array of responses: read as a whole, offsets of errors from serde_json.
        let all: Vec<Response> = serde_json::from_slice(data).map_err(|e| fail(data, &e))?;
        if all.is_empty() {
            return Err(Fail::at(lead, "at least one response in the array"));
        }
        for r in all {
            add(r, lead, data.len(), data)?;
        }
    } else {
        let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<Response>();
        let mut start = lead;
        let mut any = false;
        while let Some(r) = stream.next() {
            let r = r.map_err(|e| fail(data, &e))?;
            let end = stream.byte_offset();
            add(r, start, end, data)?;
            any = true;
            start = end + (data.len() - end - trim_start(&data[end..]).len());
        }
        if !any {
            return Err(Fail::at(lead, "a Prometheus query response"));
        }
    }
    Ok(merged
        .into_iter()
        .map(|((name, labels), samples)| MetricSeries::new(name, labels, samples))
        .collect())
}

/// A response with `"status":"error"`: the error names what the server said (its `error`).
fn error_response(data: &[u8], start: usize, end: usize) -> Fail {
    let part = &data[start..end.min(data.len())];
    // The key `"error"` (not the value of `"status":"error"`): a colon follows it.
    let at = memchr::memmem::find_iter(part, b"\"error\"")
        .find(|&i| trim_start(&part[i + 7..]).first() == Some(&b':'))
        .and_then(|i| {
            let after = &part[i + 7..];
            let q = after.iter().position(|&c| c == b'"')?;
            let from = i + 7 + q + 1;
            let mut len = 0;
            while from + len < part.len() && part[from + len] != b'"' {
                // An escaped character is part of the message.
                len += if part[from + len] == b'\\' { 2 } else { 1 };
            }
            Some((start + from, len.min(part.len() - from)))
        })
        .unwrap_or((start, 0));
    Fail::at(
        start,
        Expected::Quote(
            |input, n, out| {
                out.push_str("a successful response; the server said: ");
                quote(input, n[0], out);
            },
            [span(at.0, at.1), 0, 0],
        ),
    )
}

/// What a serde_json error means, at its byte offset.
fn fail(data: &[u8], e: &serde_json::Error) -> Fail {
    let offset = offset_of(data, e.line(), e.column());
    let msg = e.to_string();
    let expected: &'static str = match e.classify() {
        serde_json::error::Category::Eof => "more JSON: the input ends inside a value",
        serde_json::error::Category::Syntax => "valid JSON",
        serde_json::error::Category::Io => "readable input",
        serde_json::error::Category::Data => MESSAGES
            .iter()
            .find(|(needle, _)| msg.contains(needle))
            .map_or(RESPONSE, |m| m.1),
    };
    Fail::at(offset, expected)
}

const RESPONSE: &str = "a Prometheus query response: {\"status\":\"success\",\"data\":\
{\"resultType\":\"matrix\",\"result\":[{\"metric\":{…},\"values\":[[<unix seconds>,\"<value>\"],…]}]}}";

/// serde_json's messages for the response's shape, as what was expected.
const MESSAGES: &[(&str, &str)] = &[
    ("`success`", "\"status\": \"success\" or \"error\""),
    ("`matrix`", "\"resultType\": \"matrix\" or \"vector\""),
    ("field `status`", "a \"status\" member in each response"),
    ("field `resultType`", "a \"resultType\" member in \"data\""),
    ("field `result`", "a \"result\" array in \"data\""),
    ("field `metric`", "a \"metric\" object in each result"),
    (SAMPLE, SAMPLE),
    (TIME, TIME),
    (VALUE, VALUE),
    ("map", "an object of label names to string values"),
    ("expected f64", "a number of unix seconds"),
    ("expected a string", "a string (label values are strings)"),
];
const SAMPLE: &str = "a sample: [<unix seconds>, \"<value>\"]";
const TIME: &str = "a finite number of unix seconds";
const VALUE: &str = "a sample value: a decimal number, NaN, +Inf or -Inf, as a string";

/// serde_json's line (1-based) and column (1-based, bytes) as a byte offset.
fn offset_of(data: &[u8], line: usize, column: usize) -> usize {
    let mut at = 0usize;
    for _ in 1..line {
        match memchr::memchr(b'\n', &data[at..]) {
            Some(i) => at += i + 1,
            None => return data.len(),
        }
    }
    (at + column.saturating_sub(1)).min(data.len())
}

#[derive(Deserialize)]
struct Response {
    status: Status,
    #[serde(default)]
    data: Option<Data>,
    /// Not Prometheus's: the query that made the response, written by heapscope's recorder.
    #[serde(default)]
    query: Option<String>,
    #[serde(default, rename = "error")]
    _error: Option<IgnoredAny>,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Status {
    Success,
    Error,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    _result_type: ResultType,
    result: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum ResultType {
    Matrix,
    Vector,
}

#[derive(Deserialize)]
struct Item {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Sample>,
    #[serde(default)]
    value: Option<Sample>,
}

/// `[<unix seconds>, "<value>"]`.
struct Sample(f64, f64);

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SampleVisitor)
    }
}

struct SampleVisitor;

impl<'de> Visitor<'de> for SampleVisitor {
    type Value = Sample;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(SAMPLE)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sample, A::Error> {
        let t: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom(SAMPLE))?;
        if !t.is_finite() {
            return Err(de::Error::custom(TIME));
        }
        let v: std::borrow::Cow<'de, str> = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom(SAMPLE))?;
        let v = value(&v).ok_or_else(|| de::Error::custom(VALUE))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(SAMPLE));
        }
        Ok(Sample(t, v))
    }
}

/// A sample value as Prometheus writes it (Go's `strconv.FormatFloat(v, 'f', -1, 64)`, and
/// `NaN`, `+Inf`, `-Inf`).
fn value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ if s
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}
