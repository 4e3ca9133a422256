//! Unit tests of the reader: errors rendered at the edge, and the memo table against a plain
//! vector.

use super::memo::{Memo, MemoTable};
use super::*;

fn message(data: &[u8]) -> String {
    let e = read(data).expect_err("an error");
    e.in_file(std::path::Path::new("x"), data).expected
}

/// Errors written at the edge read as they did when the inner code formatted them.
#[test]
fn edge_rendered_messages() {
    // PROTO 2, GLOBAL copy_reg _reconstructor
    assert_eq!(
        message(b"\x80\x02ccopy_reg\n_reconstructor\n"),
        "a tracemalloc class (tracemalloc.Snapshot or tracemalloc._Traces), not \
         copy_reg._reconstructor; heapscope never imports or calls what a pickle names"
    );
    // PROTO 4, MARK, None, an int, an empty tuple, TUPLE
    assert_eq!(
        message(b"\x80\x04(NK\x01)t"),
        "a frame (filename, lineno), a traceback (frames…) or a trace (domain, size, \
         frames[, total_nframe]); found a tuple of 3 items (None, an int, an empty tuple)"
    );
    assert_eq!(message(b"\x80\x07"), "pickle protocol 2 to 5, not 7");
    assert_eq!(
        message(b"\x80\x04R"),
        "an opcode a tracemalloc snapshot uses, not REDUCE (0x52); heapscope reads data and \
         never runs pickled code"
    );
}

/// The rank-indexed memo answers every index as a plain vector would, with traces interleaved.
#[test]
fn memo_table_matches_a_plain_vector() {
    let mut table = MemoTable::default();
    let mut plain: Vec<Memo> = Vec::new();
    let mut x: u64 = 12345;
    for i in 0..1000u32 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let m = match x >> 61 {
            0 => Memo::Str(i),
            1 | 2 => Memo::Frame(i / 3),
            _ => Memo::Trace,
        };
        table.memoize(m);
        plain.push(m);
    }
    for (i, m) in plain.iter().enumerate() {
        let got = table.get(i as u64);
        assert_eq!(format!("{got:?}"), format!("{m:?}"), "entry {i}");
        // Through the cache, twice (a miss, then a hit).
        for _ in 0..2 {
            let hot = table.get_hot(i as u64);
            assert_eq!(format!("{hot:?}"), format!("{m:?}"), "cached entry {i}");
        }
    }
    // An index not yet set is not cached: once set, the cache answers the new entry.
    assert!(matches!(table.get_hot(1000), Memo::Unset));
    // An out-of-order BINPUT counts in the memo's size: the next MEMOIZE lands after it.
    table.put(5000, Memo::Tb(7));
    table.memoize(Memo::Frame(9));
    assert!(matches!(table.get(5000), Memo::Tb(7)));
    assert!(matches!(table.get(1001), Memo::Frame(9)));
    // Overwriting an existing index keeps the size; the cache (which held entry 3) is not
    // consulted once an entry was put out of order.
    table.put(3, Memo::Tb(1));
    table.memoize(Memo::Frame(10));
    assert!(matches!(table.get(3), Memo::Tb(1)));
    assert!(matches!(table.get_hot(3), Memo::Tb(1)));
    assert!(matches!(table.get_hot(1001), Memo::Frame(9)));
    assert!(matches!(table.get_hot(1000), Memo::Unset));
    assert!(matches!(table.get(1002), Memo::Frame(10)));
}

/// Two memo tables of the same size hold the same entries, and agree `past` entries beyond.
fn same_entries(got: &MemoTable, want: &MemoTable, past: u64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for i in 0..want.len() + past {
        let (g, w) = (got.get(i), want.get(i));
        assert_eq!(format!("{g:?}"), format!("{w:?}"), "{what}: {i}");
    }
}

/// Appending the first `n` entries of one table to another (as the reader takes over what the
/// second core read) gives what memoizing them one by one would, at every offset within a block.
#[test]
fn memo_append_matches_memoizing_one_by_one() {
    let mut x: u64 = 99;
    let mut entries = |count: usize, tag: u32| -> Vec<Memo> {
        (0..count as u32)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match x >> 61 {
                    0 => Memo::Str(tag + i),
                    1 => Memo::Tb(tag + i),
                    2 | 3 => Memo::Frame(tag + i),
                    _ => Memo::Trace,
                }
            })
            .collect()
    };
    let map = |m: Memo| match m {
        Memo::Str(s) => Memo::Str(s + 7),
        Memo::Tb(t) => Memo::Tb(t + 11),
        Memo::Frame(f) => Memo::Frame(f * 2),
        other => other,
    };
    for before in [0usize, 1, 5, 63, 64, 65, 130] {
        for (len, n) in [
            (0usize, 0u64),
            (1, 1),
            (70, 64),
            (70, 65),
            (200, 63),
            (200, 200),
        ] {
            let (head, tail) = (entries(before, 0), entries(len, 1000));
            let mut other = MemoTable::default();
            for &m in &tail {
                other.memoize(m);
            }
            let mut got = MemoTable::default();
            let mut want = MemoTable::default();
            for &m in &head {
                got.memoize(m);
                want.memoize(m);
            }
            got.append(&other, n, map, |f| f * 2);
            for &m in &tail[..n as usize] {
                want.memoize(map(m));
            }
            same_entries(&got, &want, 2, &format!("{before} {len} {n}"));
            // Memoizing goes on after the appended entries.
            got.memoize(Memo::Frame(5));
            assert!(matches!(got.get(want.len()), Memo::Frame(5)));
        }
    }
}

/// A frame tuple the fast path declines (a negative line) is read by the generic path, which
/// reports it at its TUPLE2 as before.
#[test]
fn frame_with_negative_line_is_an_error_at_its_tuple() {
    // PROTO 4, "a" MEMOIZE, BINGET 0, BININT -1, TUPLE2, STOP
    let data = b"\x80\x04\x8c\x01a\x94h\x00J\xff\xff\xff\xff\x86.";
    let e = read(data).expect_err("an error");
    assert_eq!(e.offset, 13);
    let text = e.in_file(std::path::Path::new("x"), data).expected;
    assert!(text.starts_with("a line number from 0 to 2^32-1"), "{text}");
}

/// A snapshot pickle laid out as CPython's pickler writes `Snapshot.dump` (protocol 5, frames
/// of about `frame_size` bytes cut where an object's save begins, traces in batches of
/// `batch`), from synthetic traces (labelled: not from CPython): `(domain, size, traceback)`,
/// tracebacks as lists of `(file, line)`, most recent call first. With `share_frames`, a frame
/// tuple written before is fetched from the memo (BINGET) instead of written again, which
/// CPython never does but a pickle may.
fn synthetic_pickle(
    tracebacks: &[Vec<(usize, u32)>],
    files: &[&str],
    traces: &[(u8, u32, usize)],
    batch: usize,
    frame_size: usize,
    share_frames: bool,
) -> Vec<u8> {
    struct W {
        body: Vec<u8>,
        cuts: Vec<usize>,
        memo: u32,
    }
    impl W {
        fn op(&mut self, b: &[u8]) {
            self.body.extend_from_slice(b);
        }
        fn save(&mut self) {
            self.cuts.push(self.body.len());
        }
        fn memoize(&mut self) -> u32 {
            self.op(&[MEMOIZE_OP]);
            self.memo += 1;
            self.memo - 1
        }
        fn str(&mut self, s: &str) -> u32 {
            self.save();
            self.op(&[0x8c, s.len() as u8]);
            self.op(s.as_bytes());
            self.memoize()
        }
        fn get(&mut self, idx: u32) {
            self.save();
            if idx < 256 {
                self.op(&[b'h', idx as u8]);
            } else {
                self.op(b"j");
                self.op(&idx.to_le_bytes());
            }
        }
        fn int(&mut self, v: u32) {
            self.save();
            if v < 256 {
                self.op(&[b'K', v as u8]);
            } else if v < 65536 {
                self.op(b"M");
                self.op(&(v as u16).to_le_bytes());
            } else {
                self.op(b"J");
                self.op(&v.to_le_bytes());
            }
        }
    }
    const MEMOIZE_OP: u8 = 0x94;
    let mut w = W {
        body: Vec::new(),
        cuts: Vec::new(),
        memo: 0,
    };
    // `tracemalloc.<class>` (STACK_GLOBAL), NEWOBJ with no arguments, its state dict.
    let object = |w: &mut W, class: &str| {
        w.str(class);
        for op in [&b"\x93"[..], b")\x81", b"}"] {
            w.op(op);
            w.memoize();
        }
    };
    let tm = w.str("tracemalloc");
    object(&mut w, "Snapshot");
    w.op(b"(");
    w.str("traces");
    w.get(tm);
    object(&mut w, "_Traces");
    w.str("_traces");
    w.op(b"]");
    w.memoize();
    let mut file_memo: Vec<Option<u32>> = vec![None; files.len()];
    let mut tb_memo: Vec<Option<u32>> = vec![None; tracebacks.len()];
    let mut frame_memo: std::collections::HashMap<(usize, u32), u32> = Default::default();
    for chunk in traces.chunks(batch) {
        w.op(b"(");
        for &(domain, size, tb) in chunk {
            w.save();
            w.op(b"(");
            w.int(domain as u32);
            w.int(size);
            match tb_memo[tb] {
                Some(m) => w.get(m),
                None => {
                    let frames = &tracebacks[tb];
                    w.save();
                    if frames.len() > 3 {
                        w.op(b"(");
                    }
                    for &(file, line) in frames {
                        if let Some(&m) = frame_memo.get(&(file, line)).filter(|_| share_frames) {
                            w.get(m);
                            continue;
                        }
                        w.save();
                        match file_memo[file] {
                            Some(m) => w.get(m),
                            None => file_memo[file] = Some(w.str(files[file])),
                        }
                        w.int(line);
                        w.op(b"\x86");
                        frame_memo.insert((file, line), w.memoize());
                    }
                    w.op(match frames.len() {
                        1 => b"\x85",
                        2 => b"\x86",
                        3 => b"\x87",
                        _ => b"t",
                    });
                    tb_memo[tb] = Some(w.memoize());
                }
            }
            w.int(tracebacks[tb].len() as u32 + (tb % 3 == 0) as u32);
            w.op(b"t");
            w.memoize();
        }
        w.op(b"e");
    }
    w.op(b"sb");
    w.str("traceback_limit");
    w.int(25);
    w.op(b"ub.");
    // Frames: a new one at the first save boundary past `frame_size` bytes.
    let mut out = vec![0x80, 5];
    let mut begin = 0;
    let mut cuts = w.cuts.clone();
    cuts.push(w.body.len());
    for &c in &cuts {
        if c - begin >= frame_size || c == w.body.len() {
            out.push(0x95);
            out.extend_from_slice(&((c - begin) as u64).to_le_bytes());
            out.extend_from_slice(&w.body[begin..c]);
            begin = c;
        }
    }
    out
}

/// A xorshift generator from `seed` (not 0): each call a number below its argument.
fn xorshift(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    }
}

/// Tracebacks (frames as `(file, line)`), file names, traces `(domain, size, traceback)`.
type Synthetic = (
    Vec<Vec<(usize, u32)>>,
    Vec<&'static str>,
    Vec<(u8, u32, usize)>,
);

/// Synthetic traces: `n` traces over `tbs` tracebacks of 1–30 frames in a few files.
fn synthetic_traces(seed: u64, n: usize, tbs: usize) -> Synthetic {
    let mut rand = xorshift(seed | 1);
    let files = vec![
        "/srv/app/main.py",
        "/srv/app/models.py",
        "/usr/lib/python3.11/json/decoder.py",
        "<frozen importlib._bootstrap>",
    ];
    let tracebacks: Vec<Vec<(usize, u32)>> = (0..tbs)
        .map(|_| {
            (0..1 + rand(30))
                .map(|_| (rand(files.len() as u64) as usize, rand(70000) as u32))
                .collect()
        })
        .collect();
    let traces = (0..n)
        .map(|i| {
            // Mostly a few hot tracebacks, all of them used in order of first use.
            let tb = if i < tbs {
                i
            } else {
                let (a, b) = (rand(tbs as u64), rand(tbs as u64));
                (a * b / tbs as u64) as usize
            };
            let domain = if rand(50) == 0 { 7 } else { 0 };
            let bits = 1 + rand(20);
            (domain, rand(1 << bits) as u32, tb)
        })
        .collect();
    (tracebacks, files, traces)
}

fn same_snapshot(a: &Snapshot, b: &Snapshot) {
    assert_eq!(a.strings, b.strings);
    assert_eq!(a.frames, b.frames);
    assert_eq!(a.tb_offsets, b.tb_offsets);
    let frames = |s: &Snapshot| [&s.tb_frames_head[..], &s.tb_frames[..]].concat();
    assert_eq!(frames(a), frames(b));
    assert_eq!(a.tb_size, b.tb_size);
    assert_eq!(a.tb_count, b.tb_count);
    assert_eq!(a.domains, b.domains);
    assert_eq!(
        (
            a.traces,
            a.traces_with_total,
            a.traces_without_total,
            a.truncated,
            a.max_total_nframe
        ),
        (
            b.traces,
            b.traces_with_total,
            b.traces_without_total,
            b.truncated,
            b.max_total_nframe
        )
    );
    assert_eq!(
        (a.empty_tracebacks, a.traceback_limit, a.protocol),
        (b.empty_tracebacks, b.traceback_limit, b.protocol)
    );
}

/// The second core's tail, taken over, gives the snapshot of one pass, on pickles framed and
/// batched in several ways (frames cut inside trace tuples and tracebacks included).
#[test]
fn split_read_equals_one_pass() {
    for (seed, n, tbs, batch, frame) in [
        (1, 5000, 40, 1000, 65536),
        (2, 20000, 700, 1000, 4096),
        (3, 3000, 300, 7, 300),
        (4, 2500, 2000, 100, 1000),
    ] {
        let (tracebacks, files, traces) = synthetic_traces(seed, n, tbs);
        let data = synthetic_pickle(&tracebacks, &files, &traces, batch, frame, false);
        let (one, none) = read_split(&data, usize::MAX).expect("one pass");
        assert_eq!(none, 0);
        assert_eq!(one.traces, n as u64);
        let (two, tail) = read_split(&data, 0).expect("split");
        assert!(
            tail > 0 && tail < n as u64,
            "seed {seed}: the tail read {tail} traces"
        );
        same_snapshot(&one, &two);
    }
}

/// The second core's tail frees its reading indexes once read (they are the largest tables
/// alive beside both halves' lists when the reader takes it over), and is still taken over.
#[test]
fn tail_frees_its_indexes_once_read() {
    let (tracebacks, files, traces) = synthetic_traces(5, 20000, 700);
    let data = synthetic_pickle(&tracebacks, &files, &traces, 1000, 4096, false);
    let (at, frame_end) = split::plan_start(&data, 0).expect("a start");
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let t = split::Tail::read(&data, at, frame_end, &cancel, true, true);
    assert!(t.traces() > 1000, "the tail read {} traces", t.traces());
    assert_eq!(t.index_room(), 0);
    let (two, tail) = read_split(&data, 0).expect("split");
    assert!(tail > 0);
    same_snapshot(&read_split(&data, usize::MAX).expect("one pass").0, &two);
}

/// The memo's frame tuples forgotten (the first read) or kept give the same snapshot, in one
/// pass and split; a pickle that fetches a frame tuple from the memo is read again with them
/// kept, and only then.
#[test]
fn frames_forgotten_or_kept_give_the_same_snapshot() {
    for (seed, share) in [(11, false), (12, true), (13, true)] {
        let (tracebacks, files, traces) = synthetic_traces(seed, 6000, 300);
        let data = synthetic_pickle(&tracebacks, &files, &traces, 1000, 4096, share);
        for min_split in [usize::MAX, 0] {
            let (forgot, needed) = read_once(&data, min_split, true);
            assert_eq!(needed, share, "seed {seed}");
            let (kept, needed) = read_once(&data, min_split, false);
            assert!(!needed);
            let (kept, _) = kept.expect("frames kept");
            if !share {
                same_snapshot(&forgot.expect("frames forgotten").0, &kept);
            }
            same_snapshot(&read_split(&data, min_split).expect("read").0, &kept);
            assert_eq!(kept.traces, 6000);
        }
    }
}

/// Damage anywhere (a byte changed, or the input cut short), in either half: the split read
/// reports exactly what one pass reports, or reads exactly what it reads.
#[test]
fn split_read_fails_as_one_pass_does() {
    let (tracebacks, files, traces) = synthetic_traces(9, 6000, 200);
    let data = synthetic_pickle(&tracebacks, &files, &traces, 500, 2048, false);
    let mut tried_split = 0;
    for (_, at, bad) in damaged(&data, 77) {
        let one = read_split(&bad, usize::MAX);
        let two = read_split(&bad, 0);
        if matches!(two, Ok((_, t)) if t > 0) {
            tried_split += 1;
        }
        same_outcome(one, two, at, &bad);
    }
    assert!(tried_split > 0, "no damaged input was read in two halves");
}

/// 300 damaged copies of `data` (`seed` picks the damage): every third cut short at a place,
/// the others with a byte changed there; `(k, place, copy)`.
fn damaged(data: &[u8], seed: u64) -> impl Iterator<Item = (usize, usize, Vec<u8>)> + '_ {
    let mut x = seed;
    (0..300).map(move |k| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut bad = data.to_vec();
        let at = (x >> 20) as usize % data.len();
        if k % 3 == 0 {
            bad.truncate(at);
        } else {
            bad[at] = (x >> 8) as u8;
        }
        (k, at, bad)
    })
}

/// Two reads of the damaged copy `bad` (damage at `at`) give the same snapshot, or the same
/// error at the same offset.
fn same_outcome(
    one: Result<(Snapshot, u64), Fail>,
    two: Result<(Snapshot, u64), Fail>,
    at: usize,
    bad: &[u8],
) {
    match (one, two) {
        (Ok((a, _)), Ok((b, _))) => same_snapshot(&a, &b),
        (Err(a), Err(b)) => {
            assert_eq!(a.offset, b.offset, "damage at {at}");
            let p = std::path::Path::new("x");
            assert_eq!(a.in_file(p, bad).expected, b.in_file(p, bad).expected);
        }
        (a, b) => panic!("damage at {at}: {:?} against {:?}", a.is_ok(), b.is_ok()),
    }
}

/// Frames interned through the hot cache get the ids a plain first-seen numbering gives, with
/// far more distinct frames than cache slots (so entries are evicted and looked up again).
#[test]
fn frame_ids_through_the_hot_cache_are_first_seen_order() {
    let mut r = reader(b"");
    let mut plain: std::collections::HashMap<Frame, u32> = std::collections::HashMap::new();
    let mut x: u64 = 77;
    for _ in 0..20 * Hot::<Frame>::SLOTS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Skewed: most frames from a few hundred, the rest from tens of thousands.
        let f = if x & 3 == 0 {
            Frame {
                file: (x >> 8) as u32 % 50,
                lineno: (x >> 20) as u32 % 1000,
            }
        } else {
            Frame {
                file: (x >> 8) as u32 % 3,
                lineno: (x >> 20) as u32 % 100,
            }
        };
        let next = plain.len() as u32;
        let want = *plain.entry(f).or_insert(next);
        assert_eq!(r.intern_frame(f), want);
    }
    assert_eq!(r.snap.frames.len(), plain.len());
    assert!(plain.len() > 2 * Hot::<Frame>::SLOTS);
}

/// Frame tuples memoized together (`MemoTable::memoize_frames`, after a traceback read in one
/// loop) give the table memoizing them one by one gives, from every offset within a block,
/// frames kept or not, and after an entry put out of order.
#[test]
fn memoize_frames_matches_memoizing_one_by_one() {
    for forget in [true, false] {
        for out_of_order in [false, true] {
            for before in [0usize, 1, 30, 63, 64, 65, 127] {
                for n in [0usize, 1, 2, 25, 63, 64, 65, 200] {
                    let frames: Vec<u32> = (0..n as u32).map(|i| i * 7 + 3).collect();
                    let mut got = MemoTable::default();
                    let mut want = MemoTable::default();
                    for t in [&mut got, &mut want] {
                        t.forget_frames = forget;
                        for i in 0..before {
                            t.memoize(match i % 3 {
                                0 => Memo::Str(i as u32),
                                1 => Memo::Frame(i as u32),
                                _ => Memo::Trace,
                            });
                        }
                        if out_of_order {
                            t.put(before as u64 + 1000, Memo::Tb(5));
                        }
                    }
                    got.memoize_frames(&frames);
                    for &f in &frames {
                        want.memoize(Memo::Frame(f));
                    }
                    got.memoize(Memo::Tb(9));
                    want.memoize(Memo::Tb(9));
                    let what = format!("{forget} {out_of_order} {before} {n}");
                    same_entries(&got, &want, 1002, &what);
                }
            }
        }
    }
}

/// The tracebacks' frames read in one loop each (reader and second core) give exactly what
/// reading them opcode by opcode gives: the same snapshot, or the same error at the same
/// offset, on CPython-shaped pickles (frames cut anywhere, frame tuples fetched from the memo)
/// and on 300 damaged copies.
#[test]
fn tracebacks_in_one_loop_read_as_opcode_by_opcode() {
    fn slow(data: &[u8], min_split: usize) -> Result<(Snapshot<'_>, u64), Fail> {
        match read_once_with(data, min_split, true, false) {
            (_, true) => read_once_with(data, min_split, false, false).0,
            (r, false) => r,
        }
    }
    for (seed, batch, frame, share) in [
        (21, 1000, 65536, false),
        (22, 50, 700, false),
        (23, 300, 4096, true),
    ] {
        let (tracebacks, files, traces) = synthetic_traces(seed, 4000, 400);
        let data = synthetic_pickle(&tracebacks, &files, &traces, batch, frame, share);
        for min_split in [usize::MAX, 0] {
            let (want, _) = slow(&data, min_split).expect("opcode by opcode");
            let (got, _) = read_split(&data, min_split).expect("one loop per traceback");
            same_snapshot(&got, &want);
        }
    }
    let (tracebacks, files, traces) = synthetic_traces(24, 5000, 300);
    let data = synthetic_pickle(&tracebacks, &files, &traces, 500, 2048, false);
    for (k, at, bad) in damaged(&data, 91) {
        let min_split = if k % 2 == 0 { usize::MAX } else { 0 };
        same_outcome(read_split(&bad, min_split), slow(&bad, min_split), at, &bad);
    }
}

/// Frames by file and line (`Lines`): the ids are first-seen order, as a plain hash table
/// numbers them, with files whose lines exhaust the dense tables' budget (later files and
/// lines then go to the hash table) and lines past `Lines::MAX_LINE`; and a snapshot of such
/// frames read in one pass and split alike.
#[test]
fn frame_ids_through_the_dense_tables_are_first_seen_order() {
    let mut r = reader(b"");
    let mut plain: std::collections::HashMap<Frame, u32> = std::collections::HashMap::new();
    let mut x: u64 = 5;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let file = (x >> 8) as u32 % 24;
        // A few lines per file far out (up to past MAX_LINE), most of them short.
        let lineno = if x & 15 == 0 {
            (x >> 20) as u32 % (Lines::MAX_LINE + 5000)
        } else {
            (x >> 20) as u32 % 500
        };
        let f = Frame { file, lineno };
        let next = plain.len() as u32;
        let want = *plain.entry(f).or_insert(next);
        assert_eq!(r.intern_frame(f), want, "{f:?}");
    }
    assert_eq!(r.snap.frames.len(), plain.len());
    assert!(
        r.frame_lines.files.iter().any(|f| f.1),
        "no file was frozen"
    );
    assert!(r.frame_lines.used <= Lines::BUDGET);

    let mut y = 8u64;
    let mut rand = |m: u64| {
        y = y
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (y >> 24) % m
    };
    let files: Vec<&str> = [
        "a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "g.py", "h.py", "i.py", "j.py", "k.py",
        "l.py", "m.py", "n.py", "o.py", "p.py",
    ]
    .to_vec();
    let tracebacks: Vec<Vec<(usize, u32)>> = (0..600)
        .map(|_| {
            (0..1 + rand(25))
                .map(|_| {
                    let line = if rand(8) == 0 {
                        rand(Lines::MAX_LINE as u64 + 5000)
                    } else {
                        rand(300)
                    };
                    (rand(files.len() as u64) as usize, line as u32)
                })
                .collect()
        })
        .collect();
    let traces: Vec<(u8, u32, usize)> = (0..6000)
        .map(|i| (0, 16 + i as u32 % 100, i % 600))
        .collect();
    let data = synthetic_pickle(&tracebacks, &files, &traces, 1000, 4096, false);
    let (one, _) = read_split(&data, usize::MAX).expect("one pass");
    let (two, tail) = read_split(&data, 0).expect("split");
    assert!(tail > 0);
    same_snapshot(&one, &two);
    // The frames in the order the pickle first names them.
    let mut want: Vec<(&str, u32)> = Vec::new();
    let mut seen_tb = vec![false; tracebacks.len()];
    for &(_, _, tb) in &traces {
        if !std::mem::replace(&mut seen_tb[tb], true) {
            for &(file, line) in &tracebacks[tb] {
                if !want.contains(&(files[file], line)) {
                    want.push((files[file], line));
                }
            }
        }
    }
    let got: Vec<(&str, u32)> = one
        .frames
        .iter()
        .map(|f| {
            (
                std::str::from_utf8(one.strings[f.file as usize]).unwrap(),
                f.lineno,
            )
        })
        .collect();
    assert_eq!(got, want);
}

/// Windows of 12 bytes near a frame tuple, for the fast decoders' differential tests: each
/// opcode slot (the memo get, the line's integer, TUPLE2, MEMOIZE) holds the opcode it should
/// (`right` of `of` times), another opcode of the set (once in `of`), or any byte; the other
/// bytes are one of `fixed` or, `randoms` times in `fixed.len() + randoms`, any byte. `ints`:
/// the integer opcodes a line is given with.
fn frame_tuple_windows(
    seed: u64,
    fixed: &'static [u8],
    randoms: u64,
    (right, of): (u64, u64),
    ints: &'static [u8],
) -> impl Iterator<Item = [u8; 12]> {
    use super::opcodes::*;
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    const OPS: [u8; 7] = [
        BINGET,
        LONG_BINGET,
        BININT1,
        BININT2,
        BININT,
        TUPLE2,
        MEMOIZE,
    ];
    let pick = move |r: u64, good: u8| -> u8 {
        match r % of {
            k if k < right => good,
            k if k == right => OPS[(r / of % OPS.len() as u64) as usize],
            _ => (r >> 8) as u8,
        }
    };
    std::iter::repeat(()).map(move |()| {
        let mut w = [0u8; 12];
        for b in w.iter_mut() {
            let k = (next() % (fixed.len() as u64 + randoms)) as usize;
            *b = match fixed.get(k) {
                Some(&v) => v,
                None => next() as u8,
            };
        }
        let r = next();
        w[0] = pick(
            r,
            if r & 1 << 40 != 0 {
                LONG_BINGET
            } else {
                BINGET
            },
        );
        let q = if w[0] == LONG_BINGET { 5 } else { 2 };
        let r = next();
        w[q] = pick(r, ints[(r >> 40) as usize % ints.len()]);
        let n = match w[q] {
            BININT1 => 1,
            BININT2 => 2,
            BININT => 4,
            _ => (next() % 4 + 1) as usize,
        };
        w[q + 1 + n] = pick(next(), TUPLE2);
        w[q + 2 + n] = pick(next(), MEMOIZE);
        w
    })
}

/// The frame-tuple decoder's masked words (`machine::frame_tuple`) read what the opcode-by-opcode
/// decoder (`machine::frame_tuple_slow`) reads, on windows of every shape near a frame tuple:
/// each opcode slot holding the opcode it should, another opcode of the set, or any byte.
#[test]
fn frame_tuple_reads_as_opcode_by_opcode() {
    use super::machine::{frame_tuple, frame_tuple_slow};
    use super::opcodes::*;
    let (mut some, mut checked) = (0, 0);
    // Small values often (lines and memo indexes of 0, 0x80, 0xff are edges).
    let windows = frame_tuple_windows(17, &[0, 0xff], 2, (5, 8), &[BININT1, BININT2, BININT]);
    for w in windows.take(400_000) {
        let want = frame_tuple_slow(&w);
        assert_eq!(frame_tuple(&w), want, "{w:02x?}");
        some += want.is_some() as u32;
        checked += 1;
    }
    // Both kinds of answer were tested, plenty of each.
    assert!(
        some > checked / 10 && some < checked * 9 / 10,
        "{some} of {checked}"
    );
}

/// The table of frames by frame-tuple bytes (`words::Words`) finds a frame only where the
/// opcode-by-opcode decoder (`machine::frame_tuple_slow`) reads a frame tuple, of the same
/// length and naming the (memo index, line) of the frame put in for it, on windows of every
/// shape near a frame tuple (each opcode slot holding the opcode it should, another opcode of
/// the set, or any byte; a few indexes and lines, so that tuples come back); a tuple put in is
/// found at once.
#[test]
fn frames_by_tuple_bytes_are_the_decoded_frames() {
    use super::machine::frame_tuple_slow;
    use super::opcodes::*;
    use super::words::Words;
    // The frame the test puts in for a (memo index, line): any fixed function of both.
    let frame_of = |idx: u64, line: u32| (idx.wrapping_mul(1_000_003) as u32) ^ line;
    let mut words = Words::default();
    let (mut hits, mut misses, mut put) = (0u32, 0u32, 0u32);
    let windows = frame_tuple_windows(29, &[0, 1, 0xff], 1, (8, 10), &[BININT1, BININT2]);
    for w in windows.take(400_000) {
        let want = frame_tuple_slow(&w);
        match words.get(&w) {
            Some((f, len)) => {
                let (idx, line, l) = want.unwrap_or_else(|| panic!("{w:02x?}: not a frame"));
                assert_eq!((f, len), (frame_of(idx, line), l), "{w:02x?}");
                hits += 1;
            }
            None => {
                misses += 1;
                if let Some((idx, line, len)) = want {
                    words.put(&w, len, frame_of(idx, line));
                    // The four usual shapes go in, and are found.
                    let usual = len <= if w[0] == BINGET { 7 } else { 10 };
                    if usual {
                        assert_eq!(words.get(&w), Some((frame_of(idx, line), len)));
                        put += 1;
                    } else {
                        assert_eq!(words.get(&w), None, "{w:02x?}");
                    }
                }
            }
        }
    }
    assert!(
        hits > 10_000 && misses > 10_000 && put > 1_000,
        "{hits} {misses} {put}"
    );
}

/// `Words::get_in` reads a tuple's length from bits of its first word (bit 1 of the first byte,
/// bit 2 of the line's opcode), not from the opcodes themselves: with the four usual shapes put
/// in, every first byte and every byte in the line opcode's place (at 2 and at 5), each
/// followed by every one of those shapes' tails, is found only where the opcode-by-opcode
/// decoder reads the tuple put in, of the same length.
#[test]
fn frame_tuple_lengths_from_bits_are_the_decoded_lengths() {
    use super::machine::frame_tuple_slow;
    use super::opcodes::*;
    use super::words::Words;
    let usual: [[u8; 12]; 4] = [
        [BINGET, 5, BININT1, 7, TUPLE2, MEMOIZE, 0, 0, 0, 0, 0, 0],
        [BINGET, 5, BININT2, 0x2c, 1, TUPLE2, MEMOIZE, 0, 0, 0, 0, 0],
        [
            LONG_BINGET,
            5,
            1,
            0,
            0,
            BININT1,
            7,
            TUPLE2,
            MEMOIZE,
            0,
            0,
            0,
        ],
        [
            LONG_BINGET,
            5,
            1,
            0,
            0,
            BININT2,
            0x2c,
            1,
            TUPLE2,
            MEMOIZE,
            0,
            0,
        ],
    ];
    let mut words = Words::default();
    for (k, w) in usual.iter().enumerate() {
        let (_, _, len) = frame_tuple_slow(w).expect("a frame tuple");
        words.put(w, len, k as u32);
    }
    for (k, w) in usual.iter().enumerate() {
        let (_, _, len) = frame_tuple_slow(w).expect("a frame tuple");
        assert_eq!(words.get(w), Some((k as u32, len)), "{w:02x?}");
    }
    let mut hits = 0;
    for base in &usual {
        for b0 in 0..=255u8 {
            for at in [2, 5] {
                for b in 0..=255u8 {
                    let mut w = *base;
                    w[0] = b0;
                    w[at] = b;
                    if let Some((f, len)) = words.get(&w) {
                        let put = &usual[f as usize];
                        let (_, _, want) = frame_tuple_slow(put).expect("a frame tuple");
                        assert_eq!(len, want, "{w:02x?}");
                        assert_eq!(w[..len], put[..len], "{w:02x?}");
                        assert_eq!(frame_tuple_slow(&w), frame_tuple_slow(put), "{w:02x?}");
                        hits += 1;
                    }
                }
            }
        }
    }
    // Each usual tuple comes back as itself (its own first byte and the byte at 2 and at 5).
    assert!(hits >= 8, "{hits}");
}

/// The read's memo reservation follows the input's real length: a tiny or hostile input
/// (lengths declared past its end, random bytes) reserves at most its own length, on either
/// core, whatever it declares; from `MIN_SPLIT` bytes on, at most the floor besides.
#[test]
fn reservations_are_bounded_by_the_input_length() {
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0x80],
        vec![0x80, 4, 0x95],
        // PROTO 4, FRAME of u64::MAX bytes, BINUNICODE8 of 2^62 bytes.
        [
            &[0x80, 4, 0x95][..],
            &[0xff; 8],
            &[0x8d],
            &(1u64 << 62).to_le_bytes(),
        ]
        .concat(),
        // PROTO 4, LONG_BINGET 2^32 - 1, MARKs.
        [&[0x80, 4, 0x6a][..], &[0xff; 4], &[0x28; 64]].concat(),
    ];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for len in [5usize, 100, 4096, 70_000] {
        inputs.push(
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect(),
        );
    }
    let cancel = std::sync::atomic::AtomicBool::new(true);
    for data in &inputs {
        let len = data.len();
        let mut r = reader(data);
        r.reserve();
        let bytes = r.memo.blocks_capacity() * 32;
        assert!(bytes <= len / 8 + 32, "{len} bytes reserve {bytes}");
        for start in [0, len / 2, len] {
            let t = split::Tail::read(data, start, len, &cancel, true, true);
            let bytes = t.reserved_bytes();
            assert!(
                bytes <= (len - start) / 8 + 32,
                "{len} bytes from {start}: {bytes}"
            );
        }
        // And the whole read, whatever it says of the input.
        let _ = read_split(data, 0);
    }
    // A big input: its share, never more.
    for len in [split::MIN_SPLIT - 1, split::MIN_SPLIT, 1 << 30] {
        let n = memo_bound(len);
        assert!(n <= len / 6, "{len}");
        assert!(n / 64 * 32 <= len / 12, "{len}");
    }
}

/// A pickle as CPython writes it fits the memo's reservation (its blocks never grow past it:
/// no copy), in one pass or split.
#[test]
fn cpython_shaped_pickles_fit_the_reservations() {
    for (seed, n, tbs, batch, frame) in [(21, 5000, 40, 1000, 65536), (22, 20000, 700, 1000, 4096)]
    {
        let (tracebacks, files, traces) = synthetic_traces(seed, n, tbs);
        let data = synthetic_pickle(&tracebacks, &files, &traces, batch, frame, false);
        for min_split in [usize::MAX, 0] {
            let start = split::plan_start(&data, min_split).map_or(data.len(), |s| s.0);
            let mut r = reader(&data);
            r.reserve();
            let reserved = r.memo.blocks_capacity();
            r.split_at = start;
            let top = r.run().expect("read");
            assert_eq!(r.memo.blocks_capacity(), reserved, "seed {seed}");
            let tail = r.tail_traces;
            let snap = r.finish(top).expect("finish");
            assert_eq!(snap.traces, n as u64);
            assert_eq!(tail, 0);
        }
        // The second core's part, in its own.
        let (at, frame_end) = split::plan_start(&data, 0).expect("a start");
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let t = split::Tail::read(&data, at, frame_end, &cancel, true, true);
        assert!(t.traces() > 0);
        let blocks = (data.len() - at) / ENTRY_BYTES / 64 + 1;
        assert_eq!(t.reserved_bytes(), blocks * 32, "seed {seed}");
    }
}

/// `split::balance` against an integration of its own: the reader's work before a byte and the
/// tail's after it, summed byte by byte over each part's density, cross where it says (to a
/// byte of rounding per part), for flat, front-heavy, back-heavy and random profiles; within
/// the floor and 56/64; 35/64 when the windows saw nothing.
#[test]
fn the_start_is_placed_where_both_sides_work_alike() {
    const K: usize = split::SAMPLES;
    let n = 1_000_000usize;
    let density = |c: &[u64; 2], bytes: usize, ns: &[u64; 2]| -> f64 {
        (c[0] * ns[0] + c[1] * ns[1]) as f64 / bytes.max(1) as f64
    };
    let mut rand = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut profiles: Vec<[([u64; 2], usize); K]> = vec![
        [([100, 1000], 65536); K],
        std::array::from_fn(|k| {
            if k < 8 {
                ([50, 20000], 65536)
            } else {
                ([900, 10], 65536)
            }
        }),
        std::array::from_fn(|k| {
            if k > 24 {
                ([50, 20000], 65536)
            } else {
                ([900, 10], 65536)
            }
        }),
    ];
    for _ in 0..20 {
        profiles.push(std::array::from_fn(|_| {
            ([rand(3000), rand(20000)], 1 + rand(65536) as usize)
        }));
    }
    for per in &profiles {
        let got = split::balance(n, per);
        // Byte by byte: the part of byte b, and the work before and after `at`.
        let part = |b: usize| (b / (n / K)).min(K - 1);
        let head = |b: usize| density(&per[part(b)].0, per[part(b)].1, &split::HEAD_NS);
        let tail = |b: usize| density(&per[part(b)].0, per[part(b)].1, &split::TAIL_NS);
        let total_tail: f64 = (0..n).map(tail).sum();
        let (mut before, mut after, mut want) = (0.0, total_tail, n);
        for b in 0..n {
            if before >= after {
                want = b;
                break;
            }
            before += head(b);
            after -= tail(b);
        }
        let want = want.clamp(n / 64 * 16, n / 64 * 56);
        assert!(
            got.abs_diff(want) <= 2 * K,
            "placed at {got}, the work crosses at {want}"
        );
    }
    assert_eq!(split::balance(n, &[([0, 0], 65536); K]), n / 64 * 35);
    assert_eq!(split::balance(n, &[([0, 0], 0); K]), n / 64 * 35);
}

/// Odd inputs: whatever the planner places is just after an `APPENDS MARK`, at or past the
/// floor, and a split read of it is exactly one pass (taken over where the input is what
/// CPython writes); unframed and tiny inputs get no start; hostile FRAME lengths neither panic
/// nor change the outcome.
#[test]
fn the_planned_start_is_a_batch_boundary_on_odd_inputs() {
    let (tracebacks, files, traces) = synthetic_traces(31, 8000, 500);
    let mut taken = 0;
    // Frames of 300 B, 4 KiB, 64 KiB and one giant FRAME holding everything.
    for frame in [300, 4096, 65536, usize::MAX] {
        let data = synthetic_pickle(&tracebacks, &files, &traces, 1000, frame, false);
        let (at, frame_end) = split::plan_start(&data, 0).expect("a start");
        assert_eq!(&data[at - 2..at], b"e(", "frame {frame}: start at {at}");
        assert!(at >= data.len() / 64 * 16 && at <= frame_end && frame_end <= data.len());
        let (one, _) = read_split(&data, usize::MAX).expect("one pass");
        let (two, tail) = read_split(&data, 0).expect("split");
        assert!(tail > 0, "frame {frame}: not taken over");
        taken += 1;
        same_snapshot(&one, &two);
        // Unframed (protocol 2): the frame headers taken out, an independent walk of them.
        let mut flat = vec![0x80, 2];
        let mut f = 2;
        while f < data.len() {
            assert_eq!(data[f], 0x95);
            let len = u64::from_le_bytes(data[f + 1..f + 9].try_into().unwrap()) as usize;
            flat.extend_from_slice(&data[f + 9..f + 9 + len]);
            f += 9 + len;
        }
        assert_eq!(split::plan_start(&flat, 0), None);
        let (mut flat_one, tail) = read_split(&flat, 0).expect("unframed");
        assert_eq!((tail, flat_one.protocol), (0, 2));
        flat_one.protocol = one.protocol;
        same_snapshot(&one, &flat_one);
        // Hostile FRAME lengths: each header in turn made u64::MAX, past the end, 0, or 1.
        let mut headers = vec![];
        let mut f = 2;
        while f < data.len() {
            headers.push(f);
            f += 9 + u64::from_le_bytes(data[f + 1..f + 9].try_into().unwrap()) as usize;
        }
        for (k, &h) in headers.iter().enumerate().step_by(1 + headers.len() / 12) {
            for len in [u64::MAX, data.len() as u64, 0, 1] {
                let mut bad = data.clone();
                bad[h + 1..h + 9].copy_from_slice(&len.to_le_bytes());
                if let Some((at, _)) = split::plan_start(&bad, 0) {
                    assert_eq!(&bad[at - 2..at], b"e(", "header {k}");
                }
                same_outcome(read_split(&bad, usize::MAX), read_split(&bad, 0), h, &bad);
            }
        }
    }
    assert_eq!(taken, 4);
    // Tiny inputs: no start.
    for tiny in [
        &[][..],
        &[0x80, 4],
        &[0x80, 4, 0x95, 1, 0, 0, 0, 0, 0, 0, 0],
    ] {
        assert_eq!(split::plan_start(tiny, 0), None);
        let _ = read_split(tiny, 0);
    }
}
