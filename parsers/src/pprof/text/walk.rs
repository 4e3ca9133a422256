//! The line walk: the lines after the header, checked and read into [`Batch`]es of records for
//! the sink, until the MemStats trailer (read here) or the end of the records.
//!
//! On a large input ([`walk_all`] with a split point) the walk runs as two walkers at once: the
//! first over the lines before a record line near the middle, the second from there. The second
//! one's batches are kept (~300 B per record of the second half) and handed over after the
//! first's, so the sink folds every record in file order. Its work counts only if the first
//! walker ends at the split still reading records, as one walk would have been there: if the
//! first one stopped at an end marker or an error, the second one's output is dropped; if it
//! reached the MemStats trailer, the first one goes on alone from the split.

use std::collections::hash_map::Entry;

use heapscope_graph::facts::MemStat;
use heapscope_graph::hash::FxHashMap;
use std::collections::BTreeMap;

use super::batch::Batch;
use super::record::{frame, record};
use super::{lines, utf8, FrameLine, Kind};
use crate::Fail;

/// How a walk ended without error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// Every line given was read.
    Lines,
    /// A marker that ends the records (`MAPPED_LIBRARIES:`, a contention profile's next `---`).
    Marker,
}

/// One walker's state: the records' form, its table of distinct frame lines (batches name frame
/// lines by their ids in it), and the MemStats trailer as read so far.
pub(super) struct Walker<'a> {
    kind: Kind,
    /// Which walker this is (its batches' frame-line ids are in its own table).
    table: u8,
    frame_lines: FxHashMap<FrameLine<'a>, u32>,
    in_memstats: bool,
    pub memstats: BTreeMap<String, MemStat>,
    pub warnings: Vec<String>,
}

impl<'a> Walker<'a> {
    pub fn new(kind: Kind, table: u8) -> Self {
        Walker {
            kind,
            table,
            frame_lines: FxHashMap::default(),
            in_memstats: false,
            memstats: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Read `lines` into batches handed to `hand_over` in file order (it returns an empty batch
    /// to fill next). The first error stops the walk.
    /// (`lines` are lines of `data`, each at its offset in it.)
    pub fn walk(
        &mut self,
        data: &'a [u8],
        lines: impl Iterator<Item = (u64, &'a [u8])>,
        hand_over: &mut dyn FnMut(Batch<'a>) -> Batch<'a>,
    ) -> Result<End, Fail> {
        let mut batch = Batch::new(self.table);
        let mut text = Checked::new(data);
        for (at, raw) in lines {
            let line = text.line(at, raw)?;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            // (Both markers hold an 'M': most lines are passed by one vectorised byte search.)
            if memchr::memchr(b'M', t.as_bytes()).is_some()
                && (t.contains("MAPPED_LIBRARIES:") || t.contains("--- Memory map:"))
            {
                return Ok(self.end(batch, hand_over, End::Marker));
            }
            if let Kind::Contention { .. } = self.kind {
                if t.starts_with("---") {
                    return Ok(self.end(batch, hand_over, End::Marker));
                }
            }
            if let Some(c) = t.strip_prefix('#') {
                let c = c.trim_start_matches([' ', '\t']);
                if self.in_memstats {
                    self.memstat(c, at);
                } else if c.starts_with("runtime.MemStats") {
                    // The open record ends here: `#` lines from now on are MemStats.
                    self.in_memstats = true;
                } else if let Some(l) = c.strip_prefix("labels:") {
                    batch.labels(l.trim());
                } else if batch.is_open() {
                    // Each distinct frame line is parsed once: its id, in the order first seen.
                    let next = self.frame_lines.len() as u32;
                    let id = *match self.frame_lines.entry(FrameLine(c)) {
                        Entry::Occupied(e) => e.into_mut(),
                        Entry::Vacant(v) => {
                            let lead = line.len() - line.trim_start().len();
                            batch.new_frame(frame(c, at + lead as u64)?);
                            v.insert(next)
                        }
                    };
                    batch.frame(id);
                }
                continue;
            }
            if self.in_memstats {
                return Err(Fail::at_u64(
                    at,
                    "a \"# Name = value\" line of the runtime.MemStats trailer",
                ));
            }
            if batch.is_full() {
                batch = hand_over(batch);
                batch.set_table(self.table);
            }
            let lead = line.len() - line.trim_start().len();
            batch.open();
            record(
                t,
                at + lead as u64,
                self.kind,
                &mut batch.values,
                &mut batch.addrs,
            )?;
            batch.read();
        }
        Ok(self.end(batch, hand_over, End::Lines))
    }

    fn end(
        &self,
        batch: Batch<'a>,
        hand_over: &mut dyn FnMut(Batch<'a>) -> Batch<'a>,
        end: End,
    ) -> End {
        if batch.is_open() {
            hand_over(batch);
        }
        end
    }
}

/// Walk `first` (the lines after the header) into `hand_over`. With `split` (the offset of a
/// line in `data`), a second walker reads from there on another thread at the same time (see
/// the module docs); `a`'s trailer and warnings then include the second walker's.
pub(super) fn walk_all<'a>(
    a: &mut Walker<'a>,
    data: &'a [u8],
    mut first: std::iter::Peekable<impl Iterator<Item = (u64, &'a [u8])>>,
    split: Option<usize>,
    hand_over: &mut dyn FnMut(Batch<'a>) -> Batch<'a>,
) -> Result<(), Fail> {
    // The split must lie past the lines the header took.
    let split = split.filter(|&s| first.peek().is_some_and(|&(at, _)| (at as usize) < s));
    let Some(split) = split else {
        a.walk(data, first, hand_over)?;
        return Ok(());
    };
    let kind = a.kind;
    let rest = || lines(&data[split..]).map(move |(at, l)| (at + split as u64, l));
    let (ended, second) = std::thread::scope(|s| {
        let second = s.spawn(move || {
            let mut b = Walker::new(kind, 1);
            let mut kept = Vec::new();
            let r = b.walk(data, rest(), &mut |batch| {
                kept.push(batch);
                Batch::default()
            });
            (b, kept, r)
        });
        let ended = a.walk(
            data,
            first.take_while(|&(at, _)| (at as usize) < split),
            hand_over,
        );
        match second.join() {
            Ok(second) => (ended, second),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    match ended? {
        End::Marker => Ok(()),
        End::Lines if a.in_memstats => a.walk(data, rest(), hand_over).map(|_| ()),
        End::Lines => {
            let (b, kept, r) = second;
            for batch in kept {
                hand_over(batch);
            }
            a.memstats.extend(b.memstats);
            a.warnings.extend(b.warnings);
            r.map(|_| ())
        }
    }
}

/// A record line near the middle of `data`: the start of the first line after the middle that
/// begins with a digit, if any ([`walk_all`] checks that it is a record line).
pub(super) fn split_point(data: &[u8]) -> Option<usize> {
    let mut p = data.len() / 2;
    while let Some(nl) = memchr::memchr(b'\n', data.get(p..)?) {
        p += nl + 1;
        if data.get(p).is_some_and(u8::is_ascii_digit) {
            return Some(p);
        }
    }
    None
}

/// Lines of the input as text, checked as UTF-8 a chunk at a time (the check of a short line
/// costs more per byte than that of a long run): a line inside the last chunk checked is cut
/// from it; else a chunk is checked from the line's start, up to [`CHUNK`] bytes ending at a
/// line break (or the line's end). A line with a byte that is not UTF-8 fails as checking it
/// alone fails: the chunk is then its valid part, and the first line reaching past it is checked
/// on its own.
struct Checked<'a> {
    data: &'a [u8],
    /// The chunk last checked, and its offset in `data`.
    text: &'a str,
    from: usize,
}

/// The bytes checked as UTF-8 at a time (unless one line is longer).
const CHUNK: usize = 1 << 20;

impl<'a> Checked<'a> {
    fn new(data: &'a [u8]) -> Self {
        Checked {
            data,
            text: "",
            from: 0,
        }
    }

    /// The line `raw` of `data`, at offset `at`, as text.
    fn line(&mut self, at: u64, raw: &'a [u8]) -> Result<&'a str, Fail> {
        let (s, e) = (at as usize, at as usize + raw.len());
        if s < self.from || e > self.from + self.text.len() {
            let data = self.data;
            let window = data.get(s..(s + CHUNK).min(data.len())).unwrap_or(&[]);
            let end = match memchr::memrchr(b'\n', window) {
                Some(p) if s + window.len() < data.len() => s + p,
                _ => s + window.len(),
            };
            let chunk = data.get(s..end.max(e)).unwrap_or(&[]);
            (self.text, self.from) = match std::str::from_utf8(chunk) {
                Ok(t) => (t, s),
                Err(bad) => (
                    std::str::from_utf8(&chunk[..bad.valid_up_to()]).unwrap_or_default(),
                    s,
                ),
            };
        }
        match self
            .text
            .get(s.wrapping_sub(self.from)..e.wrapping_sub(self.from))
        {
            Some(line) if s >= self.from => Ok(line),
            _ => utf8(raw, at),
        }
    }
}
