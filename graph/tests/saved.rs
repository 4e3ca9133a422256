//! The saved index (`heapscope_graph::saved`): every array and fact comes back as written, and a
//! truncated, corrupt, forged or stale file is refused with the byte offset — never a panic.
//!
//! The byte layout used to forge files below is docs/dev/index-format.md's: a 128-byte header
//! (section count at 64, table CRC at 68, header CRC at 72), then 32-byte table entries (tag,
//! element size, offset at +8, length at +16, CRC at +24).

use std::path::Path;

use heapscope_graph::facts::{
    FormatDetails, Frame, FrameLine, HprofDetails, StackHolders, Supertypes, Thread, ThreadRoot,
};
use heapscope_graph::saved::{self, header_crc, OpenError, SaveInput, Stamp};
use heapscope_graph::{
    Analysis, DumpFacts, GraphBuilder, Label, NodeIdx, NodeKind, Policy, Runtime, TypeId,
};

use crate::support::{cases, for_random_graphs};

const OPTS: &str = "sample-index=;group-by=";

fn facts() -> DumpFacts {
    let mut f = DumpFacts::object_graph("hprof", Runtime::Jvm);
    f.rows.locations = vec![vec![("a.py".into(), 3), ("b.py".into(), 0)], vec![]];
    f.details.format = FormatDetails::Hprof(HprofDetails {
        hprof_version: "1.0.2".into(),
        id_size: 8,
        layout_votes: [1, 2, 3, 4, 5, 6],
        android_heaps: vec!["app".into()],
        ..HprofDetails::default()
    });
    let frame = |function: &str, file: Option<&str>, line| Frame {
        function: function.into(),
        file: file.map(str::to_string),
        line,
    };
    f.details.threads = Some(vec![Thread {
        name: "worker-1".into(),
        serial: 7,
        object: 0xfeed,
        frames: vec![
            frame("a.B.c", Some("B.java"), FrameLine::Line(42)),
            frame("a.B.n", None, FrameLine::Native),
            frame("a.B.d", Some("B.java"), FrameLine::Compiled),
            frame("a.B.e", Some("B.java"), FrameLine::Unknown),
            frame("<frame 0x1>", None, FrameLine::Missing),
        ]
        .into_iter()
        .collect(),
    }]);
    f.thread_roots = vec![
        ThreadRoot::new(0xbeef, 0, Some(3)),
        ThreadRoot::new(0xfeed, 0, None),
    ]
    .into();
    f.stack = StackHolders {
        root_kinds: vec![1, 4],
        nodes: vec![NodeIdx(2), NodeIdx(9)],
        labels: vec![3],
    };
    f.supertypes = Supertypes::new([(TypeId(4), TypeId(1)), (TypeId(2), TypeId(1))]);
    f.warnings.push("a warning".into());
    f.timestamp_ms = Some(-5);
    f
}

fn stamp() -> Stamp {
    Stamp::of(b"the dump's bytes")
}

fn write(dir: &Path, a: &Analysis, f: &DumpFacts, insp: &[u8]) -> std::path::PathBuf {
    let p = dir.join("x.hsidx");
    saved::write(
        &p,
        &SaveInput {
            analysis: a,
            facts: f,
            stamp: stamp(),
            options: OPTS,
            inspector: insp,
        },
    )
    .unwrap();
    p
}

fn assert_same(a: &Analysis, b: &Analysis, ctx: &str) {
    let (g, h) = (&a.graph, &b.graph);
    assert_eq!(g.ids, h.ids, "{ctx}");
    assert_eq!(g.type_of, h.type_of, "{ctx}");
    assert_eq!(g.shallow, h.shallow, "{ctx}");
    assert_eq!(g.kind, h.kind, "{ctx}");
    assert_eq!(g.counts, h.counts, "{ctx}");
    assert_eq!(g.offsets, h.offsets, "{ctx}");
    assert_eq!(g.targets, h.targets, "{ctx}");
    assert_eq!(g.edge_labels, h.edge_labels, "{ctx}");
    assert_eq!(g.roots, h.roots, "{ctx}");
    assert_eq!(g.policy, h.policy, "{ctx}");
    assert_eq!(g.warnings, h.warnings, "{ctx}");
    for (x, y) in [
        (&g.types, &h.types),
        (&g.labels, &h.labels),
        (&g.root_kinds, &h.root_kinds),
    ] {
        assert_eq!(
            x.iter().collect::<Vec<_>>(),
            y.iter().collect::<Vec<_>>(),
            "{ctx}"
        );
    }
    assert_eq!(a.dom.idom, b.dom.idom, "{ctx}");
    assert_eq!(a.dom.orphans_attached, b.dom.orphans_attached, "{ctx}");
    assert_eq!(a.children.offsets, b.children.offsets, "{ctx}");
    assert_eq!(a.children.children, b.children.children, "{ctx}");
    assert_eq!(a.retained, b.retained, "{ctx}");
    assert_eq!(a.paths.parent_column(), b.paths.parent_column(), "{ctx}");
    assert_eq!(a.paths.by_node(), b.paths.by_node(), "{ctx}");
    assert_eq!(a.paths.via_weak.words(), b.paths.via_weak.words(), "{ctx}");
    assert_eq!(a.histogram, b.histogram, "{ctx}");
    assert_eq!(a.summary, b.summary, "{ctx}");
}

#[test]
fn random_analyses_come_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let f = facts();
    for_random_graphs(cases(60), 30, |_, g, ctx| {
        let a = Analysis::run(clone_graph(g));
        let p = write(dir.path(), &a, &f, b"state");
        let o = saved::open(&p, &stamp(), OPTS).unwrap_or_else(|e| panic!("{e}; {ctx}"));
        assert_same(&a, &o.analysis, ctx);
        assert_eq!(&o.inspector[..], b"state");
        let g2 = &o.analysis.graph;
        if g2.node_count() * 8 >= 4096 {
            assert!(g2.ids.is_mapped(), "large columns are views of the mapping");
        }
        let o2 = &o.facts;
        assert_eq!(
            (
                o2.format_name,
                o2.rows.key,
                &o2.rows.locations,
                &o2.details,
                &o2.thread_roots,
                &o2.stack,
                &o2.supertypes,
                &o2.warnings
            ),
            (
                f.format_name,
                f.rows.key,
                &f.rows.locations,
                &f.details,
                &f.thread_roots,
                &f.stack,
                &f.supertypes,
                &f.warnings
            ),
            "{ctx}"
        );
        assert_eq!(
            (o2.timestamp_ms, o2.model, o2.runtime),
            (f.timestamp_ms, f.model, f.runtime)
        );
    });
}

fn clone_graph(g: &heapscope_graph::HeapGraph) -> heapscope_graph::HeapGraph {
    heapscope_graph::HeapGraph {
        ids: g.ids.clone(),
        type_of: g.type_of.clone(),
        shallow: g.shallow.clone(),
        kind: g.kind.clone(),
        counts: g.counts.clone(),
        offsets: g.offsets.clone(),
        targets: g.targets.clone(),
        edge_labels: g.edge_labels.clone(),
        roots: g.roots.clone(),
        types: g.types.clone(),
        labels: g.labels.clone(),
        root_kinds: g.root_kinds.clone(),
        policy: g.policy,
        warnings: g.warnings.clone(),
        spare: Default::default(),
        out_of_core: g.out_of_core,
    }
}

/// A small labelled graph: a map holding an array of values, a weak reference, an orphan.
fn sample() -> Analysis {
    let mut b = GraphBuilder::new();
    let map = b.intern_type("java.util.HashMap");
    let arr = b.intern_type("java.lang.Object[]");
    let val = b.intern_type("Value");
    let m = b.add_node(0x10, map, NodeKind::Object, 48);
    let t = b.add_node(0x20, arr, NodeKind::ObjectArray, 80);
    let mut vs = Vec::new();
    for i in 0..600u64 {
        vs.push(b.add_node(0x100 + i, val, NodeKind::Object, 16 + i % 7));
    }
    b.add_root_id(0x10, "system-class", Some("static CACHE"));
    b.finish_nodes();
    b.begin_node(m);
    let table = b.intern_label("table");
    b.edge_to_id(0x20, false, Label::Name(table));
    b.begin_node(t);
    for (i, _) in vs.iter().enumerate().take(500) {
        b.edge_to_id(0x100 + i as u64, i % 50 == 0, Label::Index(i as u32));
    }
    b.begin_node(vs[3]);
    b.edge_to_id(0x100 + 550, true, Label::None);
    Analysis::run(b.finish(Policy::MAT))
}

fn fresh(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let a = sample();
    let p = write(dir, &a, &facts(), &[7u8; 100]);
    let bytes = std::fs::read(&p).unwrap();
    (p, bytes)
}

fn open_bytes(dir: &Path, bytes: &[u8]) -> Result<saved::Opened, OpenError> {
    let p = dir.join("forged.hsidx");
    std::fs::write(&p, bytes).unwrap();
    saved::open(&p, &stamp(), OPTS)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The table entry of section `tag`.
fn entry(b: &[u8], tag: &[u8; 4]) -> usize {
    let count = u32_at(b, 64) as usize;
    (0..count)
        .map(|i| 128 + 32 * i)
        .find(|&e| &b[e..e + 4] == tag)
        .unwrap()
}

/// Recompute every checksum, as a forger would: sections, table, header.
fn fix_checksums(b: &mut [u8]) {
    let count = u32_at(b, 64) as usize;
    for i in 0..count {
        let e = 128 + 32 * i;
        let (off, len) = (u64_at(b, e + 8) as usize, u64_at(b, e + 16) as usize);
        if off.checked_add(len).is_some_and(|end| end <= b.len()) {
            let c = crc32fast::hash(&b[off..off + len]);
            b[e + 24..e + 28].copy_from_slice(&c.to_le_bytes());
        }
    }
    let t = crc32fast::hash(&b[128..128 + 32 * count]);
    b[68..72].copy_from_slice(&t.to_le_bytes());
    let h = header_crc(b);
    b[72..76].copy_from_slice(&h.to_le_bytes());
}

fn corrupt_at(r: Result<saved::Opened, OpenError>) -> (u64, String) {
    match r {
        Err(OpenError::Corrupt(b)) => (b.offset, b.expected.to_string()),
        Err(e) => panic!("expected a corrupt index, got: {e}"),
        Ok(_) => panic!("a forged index was accepted"),
    }
}

#[test]
fn the_sample_comes_back_and_its_file_is_laid_out_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let (p, b) = fresh(dir.path());
    let o = saved::open(&p, &stamp(), OPTS).unwrap();
    assert_same(&sample(), &o.analysis, "sample");
    assert!(o.analysis.graph.targets.is_mapped() && o.analysis.retained.is_mapped());
    assert_eq!(&b[..8], b"HSIDX\0\r\n");
    assert_eq!(u32_at(&b, 8), saved::FORMAT_VERSION);
    let count = u32_at(&b, 64) as usize;
    let mut end = 128 + 32 * count;
    for i in 0..count {
        let e = 128 + 32 * i;
        let (off, len) = (u64_at(&b, e + 8) as usize, u64_at(&b, e + 16) as usize);
        assert_eq!(off % 8, 0, "sections are 8-byte aligned");
        assert!(off >= end, "sections follow the table in order");
        assert_eq!(u32_at(&b, e + 24), crc32fast::hash(&b[off..off + len]));
        end = off + len;
    }
    assert_eq!(end, b.len());
}

#[test]
fn every_truncation_is_refused_with_an_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fresh(dir.path());
    let step = (b.len() / 300).max(1);
    let cuts: Vec<usize> = (0..b.len().min(1200))
        .chain((0..b.len()).step_by(step))
        .collect();
    for cut in cuts {
        let (off, what) = corrupt_at(open_bytes(dir.path(), &b[..cut]));
        assert!(off <= b.len() as u64, "cut {cut}: offset {off} ({what})");
    }
}

#[test]
fn a_flipped_byte_in_the_header_or_table_is_never_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fresh(dir.path());
    let table_end = 128 + 32 * u32_at(&b, 64) as usize;
    for at in 0..table_end {
        let mut x = b.clone();
        x[at] ^= 0x5a;
        match open_bytes(dir.path(), &x) {
            Err(OpenError::Corrupt(_) | OpenError::Stale(_)) => {}
            Err(e) => panic!("byte {at}: {e}"),
            Ok(_) => panic!("byte {at} flipped and the index was accepted"),
        }
    }
}

#[test]
fn a_flipped_byte_in_any_section_fails_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fresh(dir.path());
    let table_end = 128 + 32 * u32_at(&b, 64) as usize;
    let step = ((b.len() - table_end) / 500).max(1);
    for at in (table_end..b.len()).step_by(step) {
        let mut x = b.clone();
        x[at] ^= 0x01;
        // Padding between sections is covered by no checksum; every other byte is.
        if let Err(e) = open_bytes(dir.path(), &x) {
            let OpenError::Corrupt(bad) = e else {
                panic!("byte {at}: {e}")
            };
            assert!(bad.expected.contains("checksum"), "byte {at}: {bad}");
        }
    }
}

#[test]
fn a_section_past_the_end_is_refused_naming_its_table_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fresh(dir.path());
    let e = entry(&b, b"TGTS");
    for (field, value) in [
        (8, b.len() as u64 + 8),
        (16, 1 << 40),
        (8, u64::MAX - 7),
        (16, u64::MAX),
    ] {
        let mut x = b.clone();
        x[e + field..e + field + 8].copy_from_slice(&value.to_le_bytes());
        fix_checksums(&mut x);
        let (off, what) = corrupt_at(open_bytes(dir.path(), &x));
        assert!(off == e as u64 + 8 || off == e as u64 + 16, "{off}: {what}");
    }
    // A misaligned section.
    let mut x = b.clone();
    let off = u64_at(&b, e + 8) + 4;
    x[e + 8..e + 16].copy_from_slice(&off.to_le_bytes());
    fix_checksums(&mut x);
    assert_eq!(corrupt_at(open_bytes(dir.path(), &x)).0, e as u64 + 8);
    // An absurd section count.
    let mut x = b.clone();
    x[64..68].copy_from_slice(&u32::MAX.to_le_bytes());
    let h = header_crc(&x);
    x[72..76].copy_from_slice(&h.to_le_bytes());
    assert_eq!(corrupt_at(open_bytes(dir.path(), &x)).0, 64);
}

/// Files whose checksums are all right but whose content is not: the structural checks refuse
/// them before any pass could index out of range or loop.
#[test]
fn forged_content_with_valid_checksums_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = fresh(dir.path());
    let a = sample();
    let n = a.graph.node_count() as u32;
    let sec = |tag: &[u8; 4]| u64_at(&b, entry(&b, tag) + 8) as usize;
    let forge = |tag: &[u8; 4], index: usize, value: u32| {
        let mut x = b.clone();
        let at = sec(tag) + 4 * index;
        x[at..at + 4].copy_from_slice(&value.to_le_bytes());
        fix_checksums(&mut x);
        corrupt_at(open_bytes(dir.path(), &x))
    };
    let (_, w) = forge(b"TGTS", 3, n);
    assert!(w.contains("edge targets"), "{w}");
    let (_, w) = forge(b"OFFS", 1, u32::MAX);
    assert!(w.contains("offsets"), "{w}");
    let (_, w) = forge(b"TYPO", 0, 1000);
    assert!(w.contains("type ids"), "{w}");
    // The map's immediate dominator made the array (a cycle the children lists do not show).
    let (_, w) = forge(b"IDOM", 0, 1);
    assert!(w.contains("dominat"), "{w}");
    let (_, w) = forge(b"CHLD", 0, 2);
    assert!(w.contains("dominat"), "{w}");
    // A root-path parent pointing at an edge that does not lead to its node.
    let (_, w) = forge(b"PPAR", 1, 7);
    assert!(w.contains("root-path"), "{w}");
    let (_, w) = forge(b"RETN", 2, 1);
    assert!(w.contains("retained"), "{w}");
    let (_, w) = forge(b"ROOT", 0, n + 5);
    assert!(w.contains("GC roots"), "{w}");
    // A count in an encoded section far beyond what it holds: refused, nothing allocated.
    let (_, w) = forge(b"TYPE", 0, u32::MAX);
    assert!(w.contains("count"), "{w}");
    let (_, w) = forge(b"HIST", 0, u32::MAX);
    assert!(w.contains("count"), "{w}");
    let (_, w) = forge(b"FACT", 0, u32::MAX);
    assert!(w.contains("count"), "{w}");
}

#[test]
fn another_dump_other_options_or_another_version_make_it_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (p, b) = fresh(dir.path());
    let stale = |r: Result<saved::Opened, OpenError>| match r {
        Err(OpenError::Stale(why)) => why,
        Err(e) => panic!("expected stale, got {e}"),
        Ok(_) => panic!("a stale index was accepted"),
    };
    stale(saved::open(&p, &Stamp::of(b"another dump's bytes"), OPTS));
    let mut same_size = stamp();
    same_size.pages ^= 1;
    assert!(stale(saved::open(&p, &same_size, OPTS)).contains("content"));
    assert!(stale(saved::open(&p, &stamp(), "sample-index=1;group-by=")).contains("options"));
    let mut x = b.clone();
    x[8..12].copy_from_slice(&(saved::FORMAT_VERSION + 1).to_le_bytes());
    assert!(stale(open_bytes(dir.path(), &x)).contains("layout version"));
    let mut x = b.clone();
    x[16..48].fill(0);
    x[16..22].copy_from_slice(b"0.0.0-");
    fix_checksums(&mut x);
    assert!(stale(open_bytes(dir.path(), &x)).contains("written by heapscope 0.0.0-"));
    assert!(matches!(
        saved::open(&dir.path().join("none.hsidx"), &stamp(), OPTS),
        Err(OpenError::Missing)
    ));
}

#[test]
fn the_stamp_samples_the_whole_dump() {
    let mut d = vec![0u8; 3 << 20];
    let s = Stamp::of(&d);
    for at in [0, 65535, (3 << 20) - 1] {
        d[at] = 1;
        assert_ne!(Stamp::of(&d), s, "a change at {at}");
        d[at] = 0;
    }
    assert_eq!(Stamp::of(&d), s);
    assert_eq!(Stamp::of(&[]).size, 0);
}

#[test]
fn rewriting_replaces_the_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = fresh(dir.path());
    let first = saved::open(&p, &stamp(), OPTS).unwrap();
    // Rewriting while the first is mapped: the mapping keeps the old file intact.
    write(dir.path(), &sample(), &facts(), b"new");
    assert_eq!(&first.inspector[..], &[7u8; 100][..]);
    assert_same(&sample(), &first.analysis, "still mapped");
    let second = saved::open(&p, &stamp(), OPTS).unwrap();
    assert_eq!(&second.inspector[..], b"new");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
}

/// Writes `bytes` over the file at `p` in place (same inode), as an editor or a forger with
/// write access would.
fn overwrite_in_place(p: &Path, bytes: &[u8]) {
    use std::io::{Seek, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    f.seek(std::io::SeekFrom::Start(0)).unwrap();
    f.write_all(bytes).unwrap();
    f.set_len(bytes.len() as u64).unwrap();
}

fn write_sealed(dir: &Path, seals: &saved::Seals) -> std::path::PathBuf {
    let p = dir.join("sealed.hsidx");
    saved::write_with(
        &p,
        &SaveInput {
            analysis: &sample(),
            facts: &facts(),
            stamp: stamp(),
            options: OPTS,
            inspector: &[7u8; 100],
        },
        Some(seals),
    )
    .unwrap();
    p
}

/// An index this process wrote is sealed: reopening it skips the whole-file checks and gives
/// back the same analysis.
#[test]
fn a_written_index_is_sealed_and_reopens_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let seals = saved::Seals::under(&dir.path().join("cache"));
    let p = write_sealed(dir.path(), &seals);
    let o = saved::open_with(&p, &stamp(), OPTS, Some(&seals)).unwrap();
    assert!(o.sealed);
    assert_same(&sample(), &o.analysis, "sealed");
    // Without the seals every check is made, and the file passes them.
    let o = saved::open(&p, &stamp(), OPTS).unwrap();
    assert!(!o.sealed);
    // A stale stamp is still stale under a seal (the header is always checked).
    assert!(matches!(
        saved::open_with(&p, &Stamp::of(b"another dump's bytes"), OPTS, Some(&seals)),
        Err(OpenError::Stale(_))
    ));
}

/// A sealed index changed afterwards in any way — forged in place with valid checksums,
/// truncated, replaced by another file — is no longer sealed: every check is made and the
/// forgery is refused with its offset.
#[test]
fn a_sealed_index_changed_afterwards_gets_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let seals = saved::Seals::under(&dir.path().join("cache"));
    let n = sample().graph.node_count() as u32;
    for (tag, index, value, what) in [
        (b"TGTS", 3, n, "edge targets"),
        (b"IDOM", 0, 1, "dominat"),
        (b"PPAR", 1, 7, "root-path"),
        (b"RETN", 2, 1, "retained"),
    ] {
        let p = write_sealed(dir.path(), &seals);
        let mut x = std::fs::read(&p).unwrap();
        let at = u64_at(&x, entry(&x, tag) + 8) as usize + 4 * index;
        x[at..at + 4].copy_from_slice(&value.to_le_bytes());
        fix_checksums(&mut x);
        overwrite_in_place(&p, &x);
        let (_, w) = corrupt_at(saved::open_with(&p, &stamp(), OPTS, Some(&seals)));
        assert!(w.contains(what), "{w}");
    }
    let p = write_sealed(dir.path(), &seals);
    let x = std::fs::read(&p).unwrap();
    overwrite_in_place(&p, &x[..x.len() - 8]);
    corrupt_at(saved::open_with(&p, &stamp(), OPTS, Some(&seals)));
    // Replaced by a copy (another inode): checked in full, and valid.
    let p = write_sealed(dir.path(), &seals);
    let copy = dir.path().join("copy");
    std::fs::copy(&p, &copy).unwrap();
    std::fs::rename(&copy, &p).unwrap();
    let o = saved::open_with(&p, &stamp(), OPTS, Some(&seals)).unwrap();
    assert!(!o.sealed);
}

/// Seals are neither trusted nor written where someone else could write them: a seal
/// directory others may write, or an index file others may write.
#[test]
fn seals_need_files_nobody_else_may_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let seals = saved::Seals::under(&cache);
    let p = write_sealed(dir.path(), &seals);
    assert!(
        saved::open_with(&p, &stamp(), OPTS, Some(&seals))
            .unwrap()
            .sealed
    );
    // The seal directory made writable by others: its seals are no longer trusted.
    let mode = |m: u32| std::fs::Permissions::from_mode(m);
    std::fs::set_permissions(cache.join("seals"), mode(0o777)).unwrap();
    assert!(
        !saved::open_with(&p, &stamp(), OPTS, Some(&seals))
            .unwrap()
            .sealed
    );
    std::fs::set_permissions(cache.join("seals"), mode(0o700)).unwrap();
    // The index file made writable by others: checked in full every time.
    let p = write_sealed(dir.path(), &seals);
    std::fs::set_permissions(&p, mode(0o666)).unwrap();
    for _ in 0..2 {
        assert!(
            !saved::open_with(&p, &stamp(), OPTS, Some(&seals))
                .unwrap()
                .sealed
        );
    }
}
