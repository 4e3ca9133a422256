//! The legacy text form of Go profiles (`/debug/pprof/heap?debug=1`, `goroutine?debug=1`), as
//! `runtime/pprof` writes it and pprof reads it:
//!
//! ```text
//! (cells of the `#` lines are tab-separated)
//! heap profile: 8203: 8464024 [65572: 67894448] @ heap/2
//! 8192: 8388608 [65536: 67108864] @ 0x4b5fbc 0x4b5f69 0x437512 0x4612a1
//! #    0x4b5fbb    main.loadBatch+0xbb    fragmentation/main.go:25
//! …
//! # runtime.MemStats
//! # Alloc = 9841088
//! ```
//!
//! Frames are named by the `#` lines under each record (inlined frames expanded, innermost
//! first). The writer leaves out the leading `runtime.*` frames (allocation internals) and
//! `runtime.goexit`; frames it does not name are not invented here. For heap profiles the values
//! are unsampled as pprof does (`heap/N`: rate N/2, scaled by 1/(1−e^(−avg/rate))), and pprof's
//! legacy-heap rule that cuts a stack at the first `runtime.*` frame below a user frame is
//! applied, so the numbers are pprof's.

use serde_json::{json, Map, Value};

use super::tree::{CallTree, Frame, Seen};
use super::{choose, finish, rfc3339};
use crate::{Input, ParseError, ParseOptions, Parsed};
use heapscope_graph::MemStats;

/// Does the input start like a text profile (after leading whitespace)?
pub(crate) fn is_text(b: &[u8]) -> bool {
    if b.starts_with(b"heap profile:")
        || b.starts_with(b"--- contention:")
        || b.starts_with(b"--- mutex:")
        || b.starts_with(b"--- contentionz ")
        || is_jemalloc(b)
    {
        return true;
    }
    let line = &b[..b
        .iter()
        .position(|&c| c == b'\n')
        .unwrap_or(b.len())
        .min(256)];
    let word = line.iter().position(|&c| c == b' ').unwrap_or(0);
    word > 0 && line[word..].starts_with(b" profile: total ")
}

/// jemalloc's `prof.dump` form (`heap_v2/N` then per-thread `t*:` lines), which jeprof reads.
pub(crate) fn is_jemalloc(b: &[u8]) -> bool {
    b.strip_prefix(b"heap_v2/")
        .is_some_and(|r| r.first().is_some_and(u8::is_ascii_digit))
}

/// A cursor over one line, for error positions.
struct Cur<'a> {
    s: &'a str,
    pos: usize,
    at: u64,
}

use crate::{Expected, Fail};

impl<'a> Cur<'a> {
    fn new(s: &'a str, at: u64) -> Self {
        Cur { s, pos: 0, at }
    }
    fn here(&self) -> u64 {
        self.at + self.pos as u64
    }
    fn fail<T>(&self, what: impl Into<Expected>) -> Result<T, Fail> {
        Err(Fail::at_u64(self.here(), what))
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn spaces(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start_matches([' ', '\t']).len();
    }
    fn lit(&mut self, lit: &'static str) -> Result<(), Fail> {
        self.spaces();
        if self.rest().starts_with(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            // (The literals hold no quote or backslash: this is their Debug form.)
            self.fail(Expected::fmt("\"{s}\"", lit, &[]))
        }
    }
    /// A decimal integer (optionally negative) as its text and value.
    fn int(&mut self, what: &'static str) -> Result<(&'a str, i64), Fail> {
        self.spaces();
        let r = self.rest();
        let neg = usize::from(r.starts_with('-'));
        let digits = r[neg..].bytes().take_while(u8::is_ascii_digit).count();
        let text = &r[..neg + digits];
        match text.parse::<i64>() {
            Ok(v) if digits > 0 => {
                self.pos += text.len();
                Ok((text, v))
            }
            _ => self.fail(Expected::fmt("a decimal integer ({s})", what, &[])),
        }
    }
    /// `A: B [C: D]` (objects and bytes in use, then allocated): each as its text and value,
    /// and the offset of `C`.
    fn counts(&mut self) -> Result<([(&'a str, i64); 4], u64), Fail> {
        let a = self.int("in-use objects")?;
        self.lit(":")?;
        let b = self.int("in-use bytes")?;
        self.lit("[")?;
        self.spaces();
        let c_at = self.here();
        let c = self.int("allocated objects")?;
        self.lit(":")?;
        let d = self.int("allocated bytes")?;
        self.lit("]")?;
        Ok(([a, b, c, d], c_at))
    }

    /// The rest must be hexadecimal addresses separated by spaces; they are added to `out`,
    /// innermost first (as written).
    fn addresses(&mut self, out: &mut Vec<u64>) -> Result<(), Fail> {
        loop {
            self.spaces();
            if self.rest().is_empty() {
                return Ok(());
            }
            let r = self.rest();
            let word = r.split([' ', '\t']).next().unwrap_or("");
            let addr = word
                .strip_prefix("0x")
                .or_else(|| word.strip_prefix("0X"))
                .and_then(|h| u64::from_str_radix(h, 16).ok());
            match addr {
                Some(a) => out.push(a),
                None => return self.fail("a hexadecimal stack address like 0x4b5fbc"),
            }
            self.pos += word.len();
        }
    }
}

/// Lines with their byte offsets, the line break removed.
fn lines(data: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let start = pos;
        let end = data[pos..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(data.len(), |p| pos + p);
        pos = end + 1;
        let line = &data[start..end];
        Some((start as u64, line.strip_suffix(b"\r").unwrap_or(line)))
    })
}

/// pprof's unsampling of a heap record: divide by the probability 1−e^(−avg/rate) that an
/// allocation of the average size was sampled (truncated to integers as pprof does).
fn scale_heap(count: i64, size: i64, rate: i64) -> (i64, i64) {
    if count == 0 || size == 0 {
        return (0, 0);
    }
    if rate <= 1 {
        return (count, size);
    }
    let avg = size as f64 / count as f64;
    let scale = 1.0 / (1.0 - (-avg / rate as f64).exp());
    ((count as f64 * scale) as i64, (size as f64 * scale) as i64)
}

/// pprof's drop-frames rule for legacy heap profiles (`runtime\..*`, keeping `runtime.panic`,
/// `runtime.reflectcall`, `runtime.call[0-9]*`), on the name up to its first `(`.
fn prunable(name: &str) -> bool {
    let simple = name.trim_start_matches('.');
    let simple = simple.split('(').next().unwrap_or(simple);
    if !simple.starts_with("runtime.") {
        return false;
    }
    let keep = simple == "runtime.panic"
        || simple == "runtime.reflectcall"
        || simple
            .strip_prefix("runtime.call")
            .is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit()));
    !keep
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Heap {
        rate: i64,
        v2: bool,
        has_alloc: bool,
    },
    Count,
    /// `--- contention:` / `--- mutex:` (Go's block and mutex profiles), `--- contentionz`
    /// (C++): records `cycles count @ addrs`; pprof scales the count by the sampling period and
    /// the cycles to nanoseconds by `cycles/second`.
    Contention {
        period: i64,
        cpu_hz: i64,
    },
}

struct Record {
    values: Vec<i64>,
    /// Frames leaf first, as the `#` lines list them.
    frames: Vec<Frame>,
    /// The record's stack addresses, innermost first: the frames when no `#` line names them
    /// (gperftools, C++ and stripped profiles), named `0x…` as pprof shows an unsymbolized
    /// location.
    addrs: Vec<u64>,
    labels: Option<String>,
}

pub(crate) fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let data = input.bytes();
    let mut st = State {
        seen: Seen::default(),
        memstats: Map::new(),
        warnings: Vec::new(),
        choice_error: None,
    };
    st.run(data, opts)
        .map_err(|e| match st.choice_error.take() {
            Some(text) => ParseError::new(input.path(), e.offset, text),
            None => e.in_file(input.path(), data),
        })
}

struct State {
    seen: Seen,
    memstats: Map<String, Value>,
    warnings: Vec<String>,
    /// Why `--sample_index` chose nothing: names from the profile, added at the edge.
    choice_error: Option<String>,
}

impl State {
    fn run(&mut self, data: &[u8], opts: &ParseOptions) -> Result<Parsed, Fail> {
        let mut it = lines(data).skip_while(|(_, l)| l.iter().all(u8::is_ascii_whitespace));
        let Some((hat, hline)) = it.next() else {
            return Err(Fail::at(
                0,
                "a \"heap profile:\" or \"goroutine profile: total N\" header",
            ));
        };
        let hline = utf8(hline, hat)?;
        let mut details = Map::new();
        if is_jemalloc(hline.trim_start().as_bytes()) {
            return self.jemalloc(hline, hat, it, opts);
        }
        let (mut kind, types) = header(hline, hat, &mut details)?;
        let mut it = it.peekable();
        if let Kind::Contention { .. } = kind {
            kind = contention_attributes(&mut it, &mut details)?;
        }
        let choice = self.choose(&types, hat, opts)?;
        let mut tree = CallTree::new(choice.objects.is_some());
        let mut rec: Option<Record> = None;
        let mut in_memstats = false;
        let mut leaf_first: Vec<Frame> = Vec::new();
        for (at, raw) in it {
            let line = utf8(raw, at)?;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.contains("MAPPED_LIBRARIES:") || t.contains("--- Memory map:") {
                break;
            }
            if let Kind::Contention { .. } = kind {
                if t.starts_with("---") {
                    break;
                }
            }
            if let Some(c) = t.strip_prefix('#') {
                let c = c.trim_start_matches([' ', '\t']);
                if in_memstats {
                    self.memstat(c, at);
                } else if c.starts_with("runtime.MemStats") {
                    in_memstats = true;
                    self.emit(&mut rec, kind, &choice, &mut tree, &mut leaf_first);
                } else if let Some(l) = c.strip_prefix("labels:") {
                    if let Some(r) = rec.as_mut() {
                        r.labels = Some(l.trim().to_string());
                    }
                } else if let Some(r) = rec.as_mut() {
                    let lead = line.len() - line.trim_start().len();
                    r.frames.push(frame(c, at + lead as u64, &mut tree)?);
                }
                continue;
            }
            if in_memstats {
                return Err(Fail::at_u64(
                    at,
                    "a \"# Name = value\" line of the runtime.MemStats trailer",
                ));
            }
            self.emit(&mut rec, kind, &choice, &mut tree, &mut leaf_first);
            let lead = line.len() - line.trim_start().len();
            rec = Some(record(t, at + lead as u64, kind)?);
        }
        self.emit(&mut rec, kind, &choice, &mut tree, &mut leaf_first);

        let mut info = super::facts();
        details.insert("form".into(), json!("text"));
        if !self.memstats.is_empty() {
            info.memstats = Some(typed_memstats(&self.memstats));
            if let Some(last_gc) = self
                .memstats
                .get("LastGC")
                .and_then(Value::as_i64)
                .filter(|&t| t > 0)
            {
                // The heap profile describes the heap as of the last completed GC.
                info.timestamp = Some(rfc3339(last_gc));
                info.timestamp_ms = Some(last_gc / 1_000_000);
                details.insert("timestamp_source".into(), json!("memstats.LastGC"));
            }
            details.insert(
                "memstats".into(),
                Value::Object(std::mem::take(&mut self.memstats)),
            );
        }
        Ok(self.done(info, details, &types, &choice, tree))
    }

    /// jemalloc's `prof.dump` (jeprof's format): `heap_v2/RATE`, the process total `t*: c: b
    /// [ac: ab]` and one `tN:` line per thread, then per stack `@ 0xADDR …` followed by its own
    /// `t*:` and `tN:` lines, then `MAPPED_LIBRARIES:`. The counts are live sampled objects,
    /// unscaled; jeprof scales them by the rate as pprof does heap_v2 (1/(1−e^(−avg/rate))).
    /// Frames are the addresses (the dump names none).
    fn jemalloc<'a>(
        &mut self,
        hline: &str,
        hat: u64,
        it: impl Iterator<Item = (u64, &'a [u8])>,
        opts: &ParseOptions,
    ) -> Result<Parsed, Fail> {
        let t = hline.trim();
        let rate: i64 = t["heap_v2/".len()..]
            .trim()
            .parse()
            .map_err(|_| Fail::at_u64(hat + 8, "the sampling rate after \"heap_v2/\""))?;
        let types: Vec<(String, String)> = vec![
            ("inuse_objects".into(), "count".into()),
            ("inuse_space".into(), "bytes".into()),
        ];
        let choice = self.choose(&types, hat, opts)?;
        let kind = Kind::Heap {
            rate,
            v2: true,
            has_alloc: false,
        };
        let mut tree = CallTree::new(choice.objects.is_some());
        let mut leaf_first = Vec::new();
        let mut stack: Option<Vec<u64>> = None;
        let mut details = Map::new();
        for (at, raw) in it {
            let line = utf8(raw, at)?;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.contains("MAPPED_LIBRARIES:") {
                break;
            }
            let lead = (line.len() - line.trim_start().len()) as u64;
            if let Some(rest) = t.strip_prefix('@') {
                let mut c = Cur::new(rest, at + lead + 1);
                let mut addrs = Vec::new();
                c.addresses(&mut addrs)?;
                stack = Some(addrs);
                continue;
            }
            let Some((thread, counts)) = t.split_once(':') else {
                return Err(Fail::at_u64(
                    at,
                    "a jemalloc heap_v2 line: \"@ 0x…\", \"t*: N: B [N: B]\" or \"tK: …\"",
                ));
            };
            let per_thread = thread
                .strip_prefix('t')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if thread != "t*" && !per_thread {
                return Err(Fail::at_u64(at, "a \"t*:\" or \"tK:\" thread line"));
            }
            let mut c = Cur::new(counts, at + lead + thread.len() as u64 + 1);
            let ([(_, n), (_, b), (_, an), (_, ab)], _) = c.counts()?;
            if per_thread {
                continue;
            }
            match stack.take() {
                None => {
                    details.insert(
                        "header".into(),
                        json!({"inuse_objects": n, "inuse_space": b,
                               "alloc_objects": an, "alloc_space": ab}),
                    );
                }
                Some(addrs) => {
                    if n == 0 && b != 0 {
                        return Err(Fail::at_u64(at, "a nonzero object count for nonzero bytes"));
                    }
                    let (n, b) = scale_heap(n, b, rate);
                    let mut rec = Some(Record {
                        values: vec![n, b],
                        frames: Vec::new(),
                        addrs,
                        labels: None,
                    });
                    self.emit(&mut rec, kind, &choice, &mut tree, &mut leaf_first);
                }
            }
        }
        let info = super::facts();
        details.insert("form".into(), json!("jemalloc heap_v2"));
        details.insert("sampling_rate".into(), json!(rate));
        details.insert("period".into(), json!(rate));
        details.insert(
            "period_type".into(),
            json!({"type": "space", "unit": "bytes"}),
        );
        Ok(self.done(info, details, &types, &choice, tree))
    }

    /// The sample type `--sample_index` names (pprof's default: the last).
    fn choose(
        &mut self,
        types: &[(String, String)],
        hat: u64,
        opts: &ParseOptions,
    ) -> Result<super::SampleChoice, Fail> {
        choose(types, None, opts.sample_index.as_deref()).map_err(|e| {
            // Names from the profile and the option: text for the edge.
            self.choice_error = Some(e);
            Fail::at_u64(hat, "a sample type the profile has")
        })
    }

    /// The parsed profile, with this parse's warnings.
    fn done(
        &mut self,
        mut info: heapscope_graph::DumpFacts,
        details: Map<String, Value>,
        types: &[(String, String)],
        choice: &super::SampleChoice,
        tree: CallTree,
    ) -> Parsed {
        info.warnings.append(&mut self.warnings);
        finish(
            info,
            details,
            types,
            choice,
            tree,
            std::mem::take(&mut self.seen),
        )
    }

    /// Put the finished record into the tree.
    fn emit(
        &mut self,
        rec: &mut Option<Record>,
        kind: Kind,
        choice: &super::SampleChoice,
        tree: &mut CallTree,
        frames: &mut Vec<Frame>,
    ) {
        let Some(r) = rec.take() else { return };
        frames.clear();
        if r.frames.is_empty() {
            for &a in r.addrs.iter().rev() {
                let name = tree.intern_name(&format!("0x{a:x}"));
                frames.push(Frame {
                    name,
                    file: 0,
                    line: 0,
                });
            }
        } else {
            frames.extend(r.frames.iter().rev());
        }
        if let Kind::Heap { .. } = kind {
            let mut user = false;
            for (i, f) in frames.iter().enumerate() {
                if !prunable(&tree.name(f.name)) {
                    user = true;
                } else if user {
                    frames.truncate(i);
                    break;
                }
            }
        }
        if let Some(l) = &r.labels {
            match serde_json::from_str::<Map<String, Value>>(l) {
                Ok(m) => {
                    for (k, v) in m {
                        self.seen
                            .label(&k, v.as_str().unwrap_or_default(), r.values[choice.index]);
                    }
                }
                Err(_) => self.seen.label("(unparsed)", l, r.values[choice.index]),
            }
        }
        self.seen.totals(&r.values);
        tree.add_sample(
            frames,
            r.values[choice.index],
            choice.objects.map(|i| r.values[i]),
            &mut self.seen,
        );
    }

    /// One `Name = value` line of the MemStats trailer; unreadable ones become warnings (pprof
    /// ignores the trailer altogether).
    fn memstat(&mut self, c: &str, at: u64) {
        let Some((k, v)) = c.split_once(" = ") else {
            self.warnings
                .push(format!("byte {at}: MemStats line without \" = \": {c:?}"));
            return;
        };
        let (k, v) = (k.trim(), v.trim());
        let num = |s: &str| -> Option<Value> {
            if let Ok(u) = s.parse::<u64>() {
                Some(json!(u))
            } else if let Ok(i) = s.parse::<i64>() {
                Some(json!(i))
            } else {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| json!(f))
            }
        };
        let parsed: Option<Vec<(String, Value)>> = if let Some(list) = v.strip_prefix('[') {
            let list = list.strip_suffix(']').unwrap_or(list);
            list.split_whitespace()
                .map(num)
                .collect::<Option<Vec<_>>>()
                .map(|a| vec![(k.to_string(), json!(a))])
        } else if let Some((inuse, sys)) = v.split_once(" / ") {
            match (num(inuse.trim()), num(sys.trim())) {
                (Some(a), Some(b)) => Some(vec![(format!("{k}Inuse"), a), (format!("{k}Sys"), b)]),
                _ => None,
            }
        } else if v == "true" || v == "false" {
            Some(vec![(k.to_string(), json!(v == "true"))])
        } else {
            num(v).map(|n| vec![(k.to_string(), n)])
        };
        match parsed {
            Some(kv) => self.memstats.extend(kv),
            None => self.warnings.push(format!(
                "byte {at}: MemStats value of {k} is not a number: {v:?}"
            )),
        }
    }
}

fn utf8(line: &[u8], at: u64) -> Result<&str, Fail> {
    std::str::from_utf8(line).map_err(|e| Fail::at_u64(at + e.valid_up_to() as u64, "UTF-8 text"))
}

/// The header line: the profile kind, and the sample types pprof gives it.
fn header(
    line: &str,
    at: u64,
    details: &mut Map<String, Value>,
) -> Result<(Kind, Vec<(String, String)>), Fail> {
    let t = line.trim_start();
    let mut c = Cur::new(t, at + (line.len() - t.len()) as u64);
    if t.starts_with("heap profile:") {
        c.lit("heap profile:")?;
        let ([(a, inuse_objects), (b, inuse_space), (cc, alloc_objects), (d, alloc_space)], _) =
            c.counts()?;
        c.lit("@")?;
        c.spaces();
        let word_at = c.here();
        let r = c.rest();
        let word_len = r
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let word = &r[..word_len];
        let n = r[word_len..]
            .strip_prefix('/')
            .unwrap_or(&r[word_len..])
            .trim();
        let period: i64 = if n.is_empty() {
            0
        } else {
            let at = word_at + word_len as u64 + 1;
            n.parse()
                .map_err(|_| Fail::at_u64(at, "the sampling period after \"heap/\""))?
        };
        let (rate, v2) = match word {
            "heapz_v2" | "heap_v2" => (period, true),
            "heapprofile" => (1, false),
            "heap" => (period / 2, true),
            // Google's growthz and fragmentationz (pprof: period 1, the in-use pair only).
            "growthz" | "growth" | "fragmentationz" | "fragmentation" => (1, false),
            _ => {
                return Err(Fail::at_u64(
                    word_at,
                    "a sampling mode after '@': heap, heap_v2, heapz_v2, heapprofile, growthz or fragmentationz",
                ))
            }
        };
        // pprof: the alloc columns count only when they differ from the in-use ones.
        let has_alloc = !word.starts_with("growth")
            && !word.starts_with("fragmentation")
            && ((cc != a && cc != "0") || (d != b && d != "0"));
        details.insert("sampling_rate".into(), json!(rate));
        details.insert("period".into(), json!(rate));
        details.insert(
            "period_type".into(),
            json!({"type": "space", "unit": "bytes"}),
        );
        details.insert(
            "header".into(),
            json!({"inuse_objects": inuse_objects, "inuse_space": inuse_space,
                   "alloc_objects": alloc_objects, "alloc_space": alloc_space}),
        );
        let names: &[&str] = if has_alloc {
            &[
                "alloc_objects",
                "alloc_space",
                "inuse_objects",
                "inuse_space",
            ]
        } else {
            &["objects", "space"]
        };
        let types = names
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    if n.ends_with("space") {
                        "bytes"
                    } else {
                        "count"
                    }
                    .to_string(),
                )
            })
            .collect();
        return Ok((
            Kind::Heap {
                rate,
                v2,
                has_alloc,
            },
            types,
        ));
    }
    if t.starts_with("--- contention:")
        || t.starts_with("--- mutex:")
        || t.starts_with("--- contentionz ")
    {
        details.insert(
            "period_type".into(),
            json!({"type": "contentions", "unit": "count"}),
        );
        return Ok((
            Kind::Contention {
                period: 1,
                cpu_hz: 0,
            },
            vec![
                ("contentions".to_string(), "count".to_string()),
                ("delay".to_string(), "nanoseconds".to_string()),
            ],
        ));
    }
    let Some((name, _)) = t.split_once(" profile: total ") else {
        return c.fail("a \"heap profile:\" or \"<name> profile: total N\" header");
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return c.fail("a profile name before \" profile: total\"");
    }
    c.pos = name.len() + " profile: total ".len();
    let (_, total) = c.int("the number of samples")?;
    if !c.rest().trim().is_empty() {
        return c.fail("the end of the header line");
    }
    details.insert("header".into(), json!({"total": total}));
    details.insert("period".into(), json!(1));
    details.insert("period_type".into(), json!({"type": name, "unit": "count"}));
    Ok((Kind::Count, vec![(name.to_string(), "count".to_string())]))
}

/// The `name = value` lines after a contention header (pprof's: `cycles/second`, `sampling
/// period`, `ms since reset`, `discarded samples`); the kind with its period and clock rate.
fn contention_attributes<'a>(
    it: &mut std::iter::Peekable<impl Iterator<Item = (u64, &'a [u8])>>,
    details: &mut Map<String, Value>,
) -> Result<Kind, Fail> {
    let (mut period, mut cpu_hz) = (1i64, 0i64);
    while let Some(&(at, raw)) = it.peek() {
        let line = utf8(raw, at)?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            it.next();
            continue;
        }
        let Some((k, v)) = t.split_once('=') else {
            break;
        };
        let (k, v) = (k.trim(), v.trim());
        let num = || {
            v.parse::<i64>().map_err(|_| {
                Fail::at_u64(
                    at,
                    Expected::fmt("an integer value of \"{s}\"", "attribute", &[]),
                )
            })
        };
        match k {
            "cycles/second" => cpu_hz = num()?,
            "sampling period" => period = num()?,
            "ms since reset" => {
                details.insert(
                    "duration_nanos".into(),
                    json!(num()?.saturating_mul(1_000_000)),
                );
            }
            "discarded samples" => {}
            _ => {
                return Err(Fail::at_u64(
                    at,
                    "a contention profile attribute (cycles/second, sampling period, \
                     ms since reset, discarded samples); C++ contentionz with format= or \
                     resolution= is not read",
                ))
            }
        }
        it.next();
    }
    details.insert("period".into(), json!(period));
    details.insert("cycles_per_second".into(), json!(cpu_hz));
    Ok(Kind::Contention { period, cpu_hz })
}

/// A record line: `ic: is [ac: as] @ addrs` (heap) or `n @ addrs` (count profiles).
fn record(t: &str, at: u64, kind: Kind) -> Result<Record, Fail> {
    let mut c = Cur::new(t, at);
    let values = match kind {
        Kind::Heap {
            rate,
            v2,
            has_alloc,
        } => {
            let ([(_, ic), (_, is), (_, ac), (_, asz)], ac_at) = c.counts()?;
            c.lit("@")?;
            let mut values = Vec::with_capacity(4);
            let pairs: &[(i64, i64, &'static str)] = if has_alloc {
                &[(ac, asz, "allocation"), (ic, is, "inuse")]
            } else {
                &[(ic, is, "inuse")]
            };
            for &(n, size, what) in pairs {
                if n == 0 && size != 0 {
                    return Err(Fail::at_u64(
                        ac_at,
                        Expected::fmt(
                            "a nonzero {s} count (the {s} bytes are {i})",
                            what,
                            &[size as u64],
                        ),
                    ));
                }
                let (n, size) = if v2 {
                    scale_heap(n, size, rate)
                } else {
                    (n, size)
                };
                values.push(n);
                values.push(size);
            }
            values
        }
        Kind::Count => {
            let (_, n) = c.int("the number of samples with this stack")?;
            c.lit("@")?;
            vec![n]
        }
        Kind::Contention { period, cpu_hz } => {
            let (_, cycles) = c.int("the delay in cycles")?;
            let (_, count) = c.int("the number of contentions")?;
            c.lit("@")?;
            let (mut delay, mut count) = (cycles, count);
            if period > 0 {
                if cpu_hz > 0 {
                    let ghz = cpu_hz as f64 / 1e9;
                    delay = (cycles as f64 * period as f64 / ghz) as i64;
                }
                count = count.saturating_mul(period);
            }
            vec![count, delay]
        }
    };
    let mut addrs = Vec::new();
    c.addresses(&mut addrs)?;
    Ok(Record {
        values,
        frames: Vec::new(),
        addrs,
        labels: None,
    })
}

/// A frame line after `#`: `0xPC<tab>function+0xOFF<tab>file:line`, or just `0xPC` when the
/// runtime could not name the frame.
fn frame(c: &str, at: u64, tree: &mut CallTree) -> Result<Frame, Fail> {
    let mut cells = c.split('\t').map(str::trim).filter(|s| !s.is_empty());
    let pc = cells.next().unwrap_or("");
    if !pc.starts_with("0x") {
        return Err(Fail::at_u64(
            at,
            "a frame line \"#\\t0xPC\\tfunction+0xOFFSET\\tfile:line\"",
        ));
    }
    let Some(func) = cells.next() else {
        let name = tree.intern_name(pc);
        return Ok(Frame {
            name,
            file: 0,
            line: 0,
        });
    };
    let name = func.rsplit_once("+0x").map_or(func, |(n, _)| n);
    let (file, line) = match cells.next() {
        Some(fl) => match fl.rsplit_once(':') {
            Some((f, l)) => (f, l.parse::<u32>().unwrap_or(0)),
            None => (fl, 0),
        },
        None => ("", 0),
    };
    let name = tree.intern_name(name);
    let file = tree.intern_file(file);
    Ok(Frame { name, file, line })
}

/// The MemStats fields heapscope reads, typed (the trailer's `# Name = value` lines).
fn typed_memstats(m: &Map<String, Value>) -> MemStats {
    let int = |k: &str| {
        m.get(k)
            .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
    };
    MemStats {
        heap_alloc: int("HeapAlloc"),
        heap_inuse: int("HeapInuse"),
        heap_sys: int("HeapSys"),
        heap_idle: int("HeapIdle"),
        heap_released: int("HeapReleased"),
        heap_objects: int("HeapObjects"),
        next_gc: int("NextGC"),
        sys: int("Sys"),
        num_gc: int("NumGC"),
        gc_cpu_fraction: m.get("GCCPUFraction").and_then(Value::as_f64),
    }
}
