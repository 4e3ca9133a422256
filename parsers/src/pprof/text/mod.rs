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
//!
//! Here: recognising the form, the line splitting, the line cursor and the parse's outline; the
//! header line forms are read in `header`, the lines after it by `walk` (on a large input two
//! walkers, each over half the records) into batches that `batch` folds into the call tree in
//! file order (on its own thread), record and frame lines in `record`, the MemStats trailer in
//! `memstats`, and jemalloc's `prof.dump` form in `jemalloc`. Read on one thread or three, the
//! result and the first error are the same.

mod batch;
mod header;
mod jemalloc;
mod memstats;
mod record;
mod walk;

use batch::{pipeline, Sink, PARALLEL_FROM};
use header::{contention_attributes, header};
use memstats::typed_memstats;
use walk::{split_point, walk_all, Walker};

use heapscope_graph::facts::{MemStat, PprofDetails};
use std::collections::BTreeMap;

use super::tree::{CallTree, Seen};
use super::{choose, finish, rfc3339};
use crate::{Expected, Fail};
use crate::{Input, ParseError, ParseOptions, Parsed};

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

/// `A: B [C: D]` as [`Cur::counts`] reads it: each count as its text and value, and the offset
/// of `C`.
type Counts<'a> = ([(&'a str, i64); 4], u64);

/// A cursor over one line, for error positions.
struct Cur<'a> {
    s: &'a str,
    pos: usize,
    at: u64,
}

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
    fn counts(&mut self) -> Result<Counts<'a>, Fail> {
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
        let b = self.s.as_bytes();
        loop {
            // (Positions stop only after ASCII bytes, so they stay on char boundaries.)
            let mut p = self.pos;
            while p < b.len() && matches!(b[p], b' ' | b'\t') {
                p += 1;
            }
            self.pos = p;
            if p == b.len() {
                return Ok(());
            }
            // The usual word, `0x` and 1 to 16 hex digits, read in one pass (up to 7 digits
            // followed by a space or tab: eight bytes at once); anything else by the general
            // rule below.
            if b[p] == b'0' && b.get(p + 1) == Some(&b'x') {
                if let Some((v, q)) = short_hex(b, p + 2) {
                    out.push(v);
                    self.pos = q;
                    continue;
                }
                let (mut q, mut v) = (p + 2, 0u64);
                while q < b.len() && q < p + 19 {
                    let d = HEX[b[q] as usize];
                    if d == NOT_HEX {
                        break;
                    }
                    v = v << 4 | u64::from(d);
                    q += 1;
                }
                if q > p + 2 && q <= p + 18 && matches!(b.get(q), None | Some(b' ' | b'\t')) {
                    out.push(v);
                    self.pos = q;
                    continue;
                }
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

/// The hexadecimal number of 1 to 7 digits at `b[at..]` if a space or tab follows it (read
/// from 8 bytes at once), and the offset of that space or tab.
#[inline]
fn short_hex(b: &[u8], at: usize) -> Option<(u64, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
    if w & HIGH != 0 {
        return None;
    }
    // High bit of each byte: set where the byte is in `lo..=hi` (all bytes below 0x80).
    let within = |lo: u64, hi: u64| (w + (0x80 - lo) * ONES) & !(w + (0x7f - hi) * ONES) & HIGH;
    let hex = within(0x30, 0x39) | within(0x61, 0x66) | within(0x41, 0x46);
    let n = ((!hex & HIGH).trailing_zeros() / 8) as usize;
    if n == 0 || n == 8 || !matches!(b[at + n], b' ' | b'\t') {
        return None;
    }
    // Each digit's value (`c & 15`, + 9 for a letter), the first digit moved to the top byte,
    // then the bytes reversed (the last digit lowest) and their nibbles packed together.
    let digits = (w & 0x0f0f_0f0f_0f0f_0f0f) + ((w >> 6) & ONES) * 9;
    let mut x = (digits << (8 * (8 - n))).swap_bytes();
    x = (x | x >> 4) & 0x00ff_00ff_00ff_00ff;
    x = (x | x >> 8) & 0x0000_ffff_0000_ffff;
    x = (x | x >> 16) & 0xffff_ffff;
    Some((x, at + n))
}

/// Not a hexadecimal digit, in [`HEX`].
const NOT_HEX: u8 = 0xff;

/// The value of each byte as a hexadecimal digit ([`NOT_HEX`] if it is none).
const HEX: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// A `#` frame line's text as a table key, hashed by its length, first 16 and last 8 bytes
/// (the PC, the start of the function name, the line number) instead of every byte, folded into
/// one word: lines that agree there only share a bucket; equality still compares the whole
/// text.
#[derive(PartialEq, Eq, Clone, Copy)]
struct FrameLine<'a>(&'a str);

impl std::hash::Hash for FrameLine<'_> {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let b = self.0.as_bytes();
        // Three words (bytes 0..8, 8..16 and the last 8, each zero-padded if the line is
        // shorter) and the length, folded into one word: one step of the table's hasher.
        let at = |from: usize| -> u64 {
            match b.get(from..from + 8) {
                Some(w) => u64::from_le_bytes(w.try_into().unwrap_or_default()),
                None => {
                    let mut w = [0u8; 8];
                    let part = b.get(from..).unwrap_or(&[]);
                    w[..part.len().min(8)].copy_from_slice(&part[..part.len().min(8)]);
                    u64::from_le_bytes(w)
                }
            }
        };
        let (a, m, z) = (at(0), at(8), at(b.len().saturating_sub(8)));
        let folded = a.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29) ^ m;
        let folded = folded.wrapping_mul(0xc2b2_ae3d_27d4_eb4f).rotate_left(31) ^ z;
        h.write_u64(folded ^ (b.len() as u64).rotate_left(48));
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
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |p| pos + p);
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

pub(crate) fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let data = input.bytes();
    let mut st = State {
        seen: Seen::default(),
        memstats: BTreeMap::new(),
        warnings: Vec::new(),
        choice_error: None,
    };
    // Large inputs are read on two threads (unless only one is allowed): same result.
    let parallel = data.len() >= PARALLEL_FROM && rayon::current_num_threads() > 1;
    st.run(data, opts, parallel)
        .map_err(|e| match st.choice_error.take() {
            Some(text) => ParseError::new(input.path(), e.offset, text),
            None => e.in_file(input.path(), data),
        })
}

struct State {
    seen: Seen,
    memstats: BTreeMap<String, MemStat>,
    warnings: Vec<String>,
    /// Why `--sample_index` chose nothing: names from the profile, added at the edge.
    choice_error: Option<String>,
}

impl State {
    fn run(&mut self, data: &[u8], opts: &ParseOptions, parallel: bool) -> Result<Parsed, Fail> {
        let mut it = lines(data).skip_while(|(_, l)| l.iter().all(u8::is_ascii_whitespace));
        let Some((hat, hline)) = it.next() else {
            return Err(Fail::at(
                0,
                "a \"heap profile:\" or \"goroutine profile: total N\" header",
            ));
        };
        let hline = utf8(hline, hat)?;
        let mut details = PprofDetails::default();
        if is_jemalloc(hline.trim_start().as_bytes()) {
            return self.jemalloc(hline, hat, it, opts);
        }
        let (mut kind, types) = header(hline, hat, &mut details)?;
        let mut it = it.peekable();
        if let Kind::Contention { .. } = kind {
            kind = contention_attributes(&mut it, &mut details)?;
        }
        let choice = self.choose(&types, hat, opts)?;
        let tree = CallTree::new(choice.objects.is_some());
        let sink = Sink::new(std::mem::take(&mut self.seen), tree, kind, &choice);
        // With two threads: two walkers, each over half the records, and the sink.
        let split = parallel.then(|| split_point(data)).flatten();
        let mut walker = Walker::new(kind, 0);
        let (walked, sink) = pipeline(sink, parallel, |hand_over| {
            walk_all(&mut walker, data, it, split, hand_over)
        });
        self.seen = sink.seen;
        self.memstats = walker.memstats;
        self.warnings.append(&mut walker.warnings);
        let tree = sink.tree;
        walked?;

        let mut info = super::facts();
        details.form = "text".into();
        if !self.memstats.is_empty() {
            info.memstats = Some(typed_memstats(&self.memstats));
            if let Some(last_gc) = self
                .memstats
                .get("LastGC")
                .and_then(MemStat::as_i64)
                .filter(|&t| t > 0)
            {
                // The heap profile describes the heap as of the last completed GC.
                info.timestamp = Some(rfc3339(last_gc));
                info.timestamp_ms = Some(last_gc / 1_000_000);
                details.timestamp_source = Some("memstats.LastGC".into());
            }
            details.memstats = Some(std::mem::take(&mut self.memstats));
        }
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
        details: PprofDetails,
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
}

fn utf8(line: &[u8], at: u64) -> Result<&str, Fail> {
    std::str::from_utf8(line).map_err(|e| Fail::at_u64(at + e.valid_up_to() as u64, "UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::{Cur, Seen, State};
    use crate::{Fail, ParseOptions, Parsed};
    use std::collections::BTreeMap;

    /// A synthetic heap profile in Go's text form (made here, not by Go): `records` records over
    /// a few dozen functions, some runtime frames (pruned), inlined frames, stacks without `#`
    /// lines, labels, repeated stacks, then a MemStats trailer. Deterministic.
    fn synthetic(records: usize) -> String {
        let mut out = String::from("heap profile: 10: 20 [30: 40] @ heap/524288\n");
        let mut x: u64 = 17;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for r in 0..records {
            let depth = 1 + next(12) as usize;
            let pcs: Vec<u64> = (0..depth).map(|_| 0x401000 + 0x10 * next(40)).collect();
            let (objs, bytes) = (1 + next(5), 16 * (1 + next(100)));
            let addrs: Vec<String> = pcs.iter().map(|p| format!("{:#x}", p + 1)).collect();
            out += &format!(
                "{objs}: {bytes} [{}: {}] @ {}\n",
                objs * 2,
                bytes * 2,
                addrs.join(" ")
            );
            if r % 7 == 3 {
                continue; // named by its addresses only
            }
            for (i, p) in pcs.iter().enumerate() {
                let f = p / 0x10 % 40;
                let name = if f < 4 && i == 0 {
                    format!("runtime.mallocgc{f}")
                } else {
                    format!("main.f{f}")
                };
                out += &format!("#\t{p:#x}\t{name}+0x{:x}\tapp/f{f}.go:{}\n", f + 5, 10 + f);
                if f % 9 == 1 {
                    out += &format!("#\t{p:#x}\tmain.inl{f}+0x1\tapp/inl.go:{f}\n");
                }
            }
            if r % 11 == 5 {
                out += &format!("# labels: {{\"worker\":\"w{}\"}}\n", next(3));
            }
            out.push('\n');
        }
        out += "\n# runtime.MemStats\n# Alloc = 12345\n# HeapSys = 67890\n# LastGC = 1700000000000000000\n";
        out
    }

    fn run(data: &[u8], parallel: bool) -> Result<Parsed, Fail> {
        let mut st = State {
            seen: Seen::default(),
            memstats: BTreeMap::new(),
            warnings: Vec::new(),
            choice_error: None,
        };
        st.run(data, &ParseOptions::default(), parallel)
    }

    /// A byte that is not UTF-8 fails at that byte (lines are checked a chunk at a time, the
    /// first bad line as alone), wherever it is: the first line, across a chunk's end, in the
    /// second walker's half, the trailer; text that is UTF-8 but not ASCII reads as before.
    #[test]
    fn a_byte_not_utf8_fails_where_it_is() {
        let text = synthetic(12_000).replace("main.f7+", "main.f\u{e9}7+");
        assert!(
            text.len() > 2 << 20,
            "{} bytes: more than two chunks",
            text.len()
        );
        let good = run(text.as_bytes(), false).expect("UTF-8 text reads");
        assert!(good.graph.types.iter().any(|(_, t)| t.contains('\u{e9}')));
        let trailer = text.find("# Alloc").expect("the trailer");
        for at in [60, 1 << 20, (1 << 20) + 1, text.len() / 2 + 7, trailer + 3] {
            let mut bad = text.as_bytes().to_vec();
            // (Never in the middle of a two-byte character: the byte before is ASCII.)
            let at = (at..)
                .find(|&i| bad[i - 1].is_ascii())
                .expect("an ASCII byte");
            bad[at] = 0xff;
            for parallel in [false, true] {
                let e = run(&bad, parallel).err().expect("an error");
                assert_eq!(e.offset as usize, at, "byte {at}, parallel {parallel}");
            }
        }
    }

    /// Read on two threads, a profile gives the very graph, facts and source lines it gives read
    /// in one pass (several batches, so the hand-over and the frame-line tables across batches
    /// and walkers are exercised).
    #[test]
    fn two_threads_read_what_one_reads() {
        let text = synthetic(9000);
        same_both_ways(&text);
        // The records end at a marker before the middle: what follows (junk that the second
        // walker reads from a line starting with a digit) is ignored both ways.
        let mut marked = synthetic(3000);
        marked += "MAPPED_LIBRARIES:\n";
        for i in 0..200_000 {
            marked += &format!(
                "{:08x}-{:08x} r-xp 00000000 08:01 {i} /lib/x.so\n",
                i * 4096,
                i * 4096 + 4096
            );
        }
        same_both_ways(&marked);
    }

    fn same_both_ways(text: &str) {
        let (a, b) = (run(text.as_bytes(), false), run(text.as_bytes(), true));
        let (a, b) = (a.expect("one thread"), b.expect("two threads"));
        let (ga, gb) = (&a.graph, &b.graph);
        assert!(ga.node_count() > 100, "{} nodes", ga.node_count());
        assert!(ga.ids == gb.ids && ga.type_of == gb.type_of && ga.shallow == gb.shallow);
        assert!(ga.counts == gb.counts && ga.offsets == gb.offsets && ga.targets == gb.targets);
        let names = |g: &heapscope_graph::HeapGraph| -> Vec<String> {
            g.types.iter().map(|(_, s)| s.to_string()).collect()
        };
        assert_eq!(names(ga), names(gb));
        assert_eq!(format!("{:?}", a.info), format!("{:?}", b.info));
        assert!(
            format!("{:?}", a.info).contains("worker"),
            "labels were read"
        );
        assert_eq!(a.inspector.saved_state(), b.inspector.saved_state());
    }

    /// A bad line anywhere (in the first batch, a later one, the trailer) fails at the same byte
    /// with the same words on two threads as on one.
    #[test]
    fn two_threads_fail_where_one_fails() {
        let text = synthetic(6000);
        let lines: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < text.len())
            .collect();
        let frame_line = |from: usize| {
            lines
                .iter()
                .copied()
                .find(|&i| i > from && text[i..].starts_with("#\t0x"))
                .expect("a frame line")
        };
        let record_line = |from: usize| {
            lines
                .iter()
                .copied()
                .find(|&i| i > from && text[i..].starts_with(|c: char| c.is_ascii_digit()))
                .expect("a record line")
        };
        let trailer = text.find("# Alloc").expect("the trailer");
        // A MemStats trailer past the middle, with a record line in it after the middle: the
        // first walker reaches the trailer before the split and goes on alone.
        let mut long_trailer = synthetic(2000);
        for i in 0..100_000 {
            long_trailer += &format!("# Field{i} = {i}\n");
        }
        long_trailer += "5: 5 [5: 5] @ 0x1\n# More = 1\n";
        let one = run(long_trailer.as_bytes(), false).err().expect("an error");
        let two = run(long_trailer.as_bytes(), true).err().expect("an error");
        assert_eq!(format!("{one:?}"), format!("{two:?}"));
        assert_eq!(
            one.offset as usize,
            long_trailer.find("5: 5 [").expect("the line")
        );
        let damage = [
            (frame_line(100), "#\tnot-a-pc"),
            (frame_line(text.len() / 2), "#\tzz"),
            (record_line(text.len() * 3 / 4), "7: x"),
            (record_line(text.len() / 3), "1: 2 [3: 4] @ 0xfg"),
            (trailer, "not memstats"),
        ];
        for (at, bad) in damage {
            let mut broken = text.clone();
            broken.insert_str(at, &format!("{bad}\n"));
            let one = run(broken.as_bytes(), false).err().expect("an error");
            let two = run(broken.as_bytes(), true).err().expect("an error");
            assert_eq!(format!("{one:?}"), format!("{two:?}"), "damage at {at}");
            assert!(one.offset >= at as u64 && one.offset <= (at + bad.len()) as u64);
        }
    }

    /// Stack addresses read by the one-pass rule agree with the general one (`0x`/`0X`, then
    /// what `u64::from_str_radix` accepts), words it declines included.
    #[test]
    fn addresses_agree_with_the_general_rule() {
        let words = [
            "0x1f",
            "0X1F",
            "0x+1f",
            "0x",
            "0x0000000000000001",
            "0x00000000000000001",
            "0xffffffffffffffff",
            "0x1ffffffffffffffff",
            "0x1fg",
            "1f",
            "0x1",
            "0xaBcDeF1",
            "0x4b5fbc",
            "0x4B5FBC",
            "0x9",
            "0xf",
            "0xF0",
            "0x0a",
            "0x12345678",
            "0x123456789",
            "0x@",
            "0x1@2",
            "0x1`2",
            "0x1G",
            "0x:",
            "0x/1",
            "0x1\u{e9}",
        ];
        // And random words of hex digits and their neighbours in ASCII, `0x` first.
        let mut x = 7u64;
        let alphabet = b"0123456789abcdefABCDEFgG@`/:x";
        let random: Vec<String> = (0..3000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let len = (x >> 59) as usize + 1;
                let tail: String = (0..len)
                    .map(|i| {
                        let pick = (x >> (i * 3 % 50)) as usize;
                        // Mostly digits: a bad byte in one word of eight.
                        let k = if pick.is_multiple_of(8) {
                            pick % 29
                        } else {
                            pick % 22
                        };
                        alphabet[k] as char
                    })
                    .collect();
                format!("0x{tail}")
            })
            .collect();
        for w in words
            .iter()
            .copied()
            .chain(random.iter().map(String::as_str))
        {
            let general = w
                .strip_prefix("0x")
                .or_else(|| w.strip_prefix("0X"))
                .and_then(|h| u64::from_str_radix(h, 16).ok());
            let lines = [
                (w.to_string(), 0, vec![]),
                (format!("0x10 {w}\t0x20"), 5, vec![0x10]),
                (format!(" {w} "), 1, vec![]),
                (format!("{w}\t0xabcdef12 0x1"), 0, vec![]),
            ];
            for (line, word_at, before) in lines {
                let mut out = Vec::new();
                let got = Cur::new(&line, 100).addresses(&mut out);
                match general {
                    Some(v) => {
                        assert!(got.is_ok(), "{line:?}");
                        let mut want = before;
                        want.push(v);
                        want.extend(line.strip_prefix(w).map_or(
                            &[][..],
                            |rest| match rest.trim() {
                                "0x20" => &[0x20][..],
                                "0xabcdef12 0x1" => &[0xabcdef12, 1][..],
                                _ => &[][..],
                            },
                        ));
                        if line.starts_with("0x10 ") {
                            want.push(0x20);
                        }
                        assert_eq!(out, want, "{line:?}");
                    }
                    None => {
                        let e = got.expect_err(&line);
                        assert_eq!(e.offset, 100 + word_at, "{line:?}");
                    }
                }
            }
        }
    }
}
