//! A saved analysis: the graph, its dominator tree, retained sizes, dominator children, root
//! paths, histogram, summary and [`DumpFacts`] in one versioned file that a later run maps
//! instead of parsing the dump again (docs/dev/index-format.md describes the layout).
//!
//! - [`write`] lays the [`Analysis`] out as sections (8-byte aligned, each with a CRC-32
//!   checksum) behind a header and a section table, into a temporary file beside the
//!   target that is renamed over it: a reader sees the old index or the new one, never half.
//! - [`open`] maps the file and checks, before trusting anything: the header (magic, layout
//!   version, heapscope version, byte order), the section table (every section inside the file,
//!   aligned, of a whole number of elements, present once), the dump it was made from
//!   ([`Stamp`]: size, the first 64 KiB and 64 pages spread over the file), the parse options,
//!   every section's checksum, and then the structure (CSR offsets ascending, every node index
//!   in range, the dominator children agreeing with `idom` and forming one tree, root-path
//!   parents acyclic, retained sizes adding up). Array sections become [`Column`]s viewing the
//!   mapping — nothing is copied; small sections are decoded by [`codec::Dec`], which never
//!   allocates by a count the section cannot hold.
//!
//! An index that fails is never used: [`OpenError::Stale`] (another dump, other options,
//! another heapscope) or [`OpenError::Corrupt`] (with the byte offset and what was expected).

pub mod codec;
mod facts;
pub mod seal;
mod validate;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::analysis::{Analysis, Summary};
use crate::bitset::BitSet;
use crate::column::{Column, Plain};
use crate::dominators::{DomChildren, DomTree};
use crate::facts::DumpFacts;
use crate::graph::{HeapGraph, Orphans, Policy, Root};
use crate::histogram::TypeRow;
use crate::paths::RootPaths;
use crate::types::{Interner, NodeIdx};
pub use codec::{Bad, Dec, Enc};
use seal::FileFacts;
pub use seal::Seals;

/// First bytes of every index file.
pub const MAGIC: [u8; 8] = *b"HSIDX\0\r\n";
/// The layout's version: bump it whenever a section's meaning or encoding changes, or a pass's
/// results change (an index of another version is rebuilt, never read).
pub const FORMAT_VERSION: u32 = 5;
/// The heapscope version written into the header (an index from another version is rebuilt).
pub const HEAPSCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Written in native order; a reader on a machine of the other byte order refuses the file.
const ENDIAN_MARK: u32 = 0x0102_0304;
const HEADER_LEN: usize = 128;
const ENTRY_LEN: usize = 32;
/// More than every section there is, so a table count beyond it is corruption.
const MAX_SECTIONS: usize = 64;

/// Sections: tag, element size (1 for encoded sections).
const SECTIONS: &[([u8; 4], u32)] = &[
    (*b"META", 1), // options, policy, summary, graph warnings, flags
    (*b"FACT", 1), // DumpFacts
    (*b"TYPE", 1), // interners
    (*b"LABL", 1),
    (*b"RKND", 1),
    (*b"HIST", 1), // histogram rows
    (*b"INSP", 1), // the parser's inspector state (opaque here)
    (*b"ROOT", 4), // (node, kind, via) per GC root
    (*b"IDS_", 8),
    (*b"TYPO", 4),
    (*b"SHAL", 8),
    (*b"KIND", 1),
    (*b"CNTS", 8),
    (*b"ELAB", 4),
    (*b"OFFS", 4),
    (*b"TGTS", 4),
    (*b"IDOM", 4),
    (*b"COFF", 4),
    (*b"CHLD", 4),
    (*b"PPAR", 4),
    (*b"PWEK", 8),
    (*b"RETN", 8),
];

fn section_no(tag: &[u8; 4]) -> Option<usize> {
    SECTIONS.iter().position(|(t, _)| t == tag)
}

fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// What identifies the dump an index was made from: its size, a checksum of its first 64 KiB
/// and one of 64 pages of 4 KiB spread evenly over the rest (the last page included). A
/// modification time is not used: copies and restores change it, and a rewrite within the same
/// second keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub head: u32,
    pub pages: u32,
}

impl Stamp {
    pub const HEAD: usize = 64 << 10;
    pub const PAGES: usize = 64;
    pub const PAGE: usize = 4096;

    /// The stamp of a dump's bytes (the file as it is on disk, compressed or not).
    pub fn of(bytes: &[u8]) -> Stamp {
        let head = crc(&bytes[..bytes.len().min(Self::HEAD)]);
        let mut h = crc32fast::Hasher::new();
        if bytes.len() > Self::HEAD {
            let span = bytes.len() - Self::PAGE.min(bytes.len());
            for i in 0..Self::PAGES {
                let at = (span as u128 * i as u128 / (Self::PAGES as u128 - 1)) as usize;
                h.update(&bytes[at..(at + Self::PAGE).min(bytes.len())]);
            }
        }
        Stamp {
            size: bytes.len() as u64,
            head,
            pages: h.finalize(),
        }
    }
}

/// Why an index was not used.
#[derive(Debug)]
pub enum OpenError {
    /// No index there.
    Missing,
    /// It could not be read (permissions, I/O).
    Io(std::io::Error),
    /// Well-formed, but for another dump, other parse options or another heapscope: rebuild it.
    Stale(String),
    /// Not a valid index: the byte offset and what was expected there.
    Corrupt(Bad),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Missing => f.write_str("no index"),
            OpenError::Io(e) => write!(f, "cannot read it: {e}"),
            OpenError::Stale(why) => write!(f, "out of date: {why}"),
            OpenError::Corrupt(b) => write!(f, "corrupt {b}"),
        }
    }
}

impl From<Bad> for OpenError {
    fn from(b: Bad) -> Self {
        OpenError::Corrupt(b)
    }
}

fn bad(offset: u64, expected: &'static str) -> OpenError {
    OpenError::Corrupt(Bad { offset, expected })
}

/// Everything [`write`] saves besides the analysis itself.
pub struct SaveInput<'a> {
    pub analysis: &'a Analysis,
    pub facts: &'a DumpFacts,
    /// The dump's [`Stamp`].
    pub stamp: Stamp,
    /// The parse options that shaped the graph, as one string (an index made with others is stale).
    pub options: &'a str,
    /// The parser's inspector state (empty when it has none).
    pub inspector: &'a [u8],
}

/// A reopened index: the analysis with its arrays viewing the mapping, the facts, and the
/// inspector state for the parser to restore.
pub struct Opened {
    pub analysis: Analysis,
    pub facts: DumpFacts,
    pub inspector: Column<u8>,
    /// Where `inspector` starts in the index file (for error offsets).
    pub inspector_offset: u64,
    /// The index file's size.
    pub file_bytes: u64,
    /// Whether a seal spared the checks that read the whole file ([`seal`]); else every check
    /// was made.
    pub sealed: bool,
}

fn bytes_of<T: Plain>(s: &[T]) -> &[u8] {
    // SAFETY: Plain types are integers without padding; every byte is initialised.
    unsafe { std::slice::from_raw_parts(s.as_ptr() as *const u8, std::mem::size_of_val(s)) }
}

fn encode_meta(s: &SaveInput) -> Vec<u8> {
    let a = s.analysis;
    let g = &a.graph;
    let mut e = Enc::new();
    e.str(s.options);
    e.u64(g.node_count() as u64);
    e.u64(g.edge_count() as u64);
    e.bool(g.policy.weak_retains);
    e.u8(match g.policy.orphans {
        Orphans::Unreachable => 0,
        Orphans::AttachWeaklyHeld => 1,
        Orphans::AttachAll => 2,
    });
    e.u64(a.dom.orphans_attached);
    e.bool(a.paths.by_node());
    let m = &a.summary;
    for v in [
        m.nodes,
        m.edges,
        m.gc_roots,
        m.total_bytes,
        m.reachable_bytes,
        m.reachable_nodes,
        m.unreachable_bytes,
        m.unreachable_nodes,
    ] {
        e.u64(v);
    }
    e.len(g.warnings.len());
    for w in &g.warnings {
        e.str(w);
    }
    e.buf
}

fn encode_interner(i: &Interner) -> Vec<u8> {
    let mut e = Enc::new();
    e.len(i.len());
    for (_, s) in i.iter() {
        e.str(s);
    }
    e.buf
}

fn encode_histogram(rows: &[TypeRow]) -> Vec<u8> {
    let mut e = Enc::new();
    e.len(rows.len());
    for r in rows {
        e.u32(r.type_id);
        e.u64(r.count);
        e.u64(r.shallow);
        e.u64(r.retained);
        e.u64(r.reachable_count);
    }
    e.buf
}

/// Save the analysis to `path`: written to a temporary file in the same directory, synced, and
/// renamed over `path` (so a reader never sees a half-written index, and a process that has the
/// old one mapped keeps reading it intact). Returns the file's size.
pub fn write(path: &Path, s: &SaveInput) -> std::io::Result<u64> {
    write_with(path, s, None)
}

/// As [`write`], then sealed in `seals` ([`Seals::seal_written`]) so that later opens skip the
/// checks that read the whole file.
pub fn write_with(path: &Path, s: &SaveInput, seals: Option<&Seals>) -> std::io::Result<u64> {
    let a = s.analysis;
    let g = &a.graph;
    let meta = encode_meta(s);
    let fact = facts::encode(s.facts);
    let (types, labels, rkinds) = (
        encode_interner(&g.types),
        encode_interner(&g.labels),
        encode_interner(&g.root_kinds),
    );
    let hist = encode_histogram(&a.histogram);
    let roots: Vec<u32> = g
        .roots
        .iter()
        .flat_map(|r| [r.node.0, r.kind, r.via])
        .collect();
    let pweak = a.paths.via_weak.words();
    let data: Vec<&[u8]> = vec![
        &meta,
        &fact,
        &types,
        &labels,
        &rkinds,
        &hist,
        s.inspector,
        bytes_of(&roots),
        bytes_of(&g.ids),
        bytes_of(&g.type_of),
        bytes_of(&g.shallow),
        bytes_of(&g.kind),
        bytes_of(&g.counts),
        bytes_of(&g.edge_labels),
        bytes_of(&g.offsets),
        bytes_of(&g.targets),
        bytes_of(&a.dom.idom),
        bytes_of(&a.children.offsets),
        bytes_of(&a.children.children),
        bytes_of(a.paths.parent_column()),
        bytes_of(pweak),
        bytes_of(&a.retained),
    ];
    debug_assert_eq!(data.len(), SECTIONS.len());
    let align = |x: u64| x.div_ceil(8) * 8;
    let mut table = Vec::with_capacity(SECTIONS.len() * ENTRY_LEN);
    let mut at = align((HEADER_LEN + SECTIONS.len() * ENTRY_LEN) as u64);
    let sums: Vec<u32> = {
        use rayon::prelude::*;
        data.par_iter().map(|d| crc(d)).collect()
    };
    for ((&(tag, elem), d), &sum) in SECTIONS.iter().zip(&data).zip(&sums) {
        table.extend_from_slice(&tag);
        table.extend_from_slice(&elem.to_le_bytes());
        table.extend_from_slice(&at.to_le_bytes());
        table.extend_from_slice(&(d.len() as u64).to_le_bytes());
        table.extend_from_slice(&sum.to_le_bytes());
        table.extend_from_slice(&0u32.to_le_bytes());
        at = align(at + d.len() as u64);
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&ENDIAN_MARK.to_ne_bytes());
    let mut version = [0u8; 32];
    let v = HEAPSCOPE_VERSION.as_bytes();
    version[..v.len().min(32)].copy_from_slice(&v[..v.len().min(32)]);
    header.extend_from_slice(&version);
    header.extend_from_slice(&s.stamp.size.to_le_bytes());
    header.extend_from_slice(&s.stamp.head.to_le_bytes());
    header.extend_from_slice(&s.stamp.pages.to_le_bytes());
    header.extend_from_slice(&(SECTIONS.len() as u32).to_le_bytes());
    header.extend_from_slice(&crc(&table).to_le_bytes());
    header.resize(HEADER_LEN, 0);
    let hsum = header_crc(&header);
    header[72..76].copy_from_slice(&hsum.to_le_bytes());

    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".hsidx-")
        .tempfile_in(dir)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        w.write_all(&header)?;
        w.write_all(&table)?;
        let mut pos = (HEADER_LEN + table.len()) as u64;
        for d in &data {
            let pad = (align(pos) - pos) as usize;
            w.write_all(&[0u8; 8][..pad])?;
            w.write_all(d)?;
            pos = align(pos) + d.len() as u64;
        }
        let pad = (align(pos) - pos) as usize;
        w.write_all(&[0u8; 8][..pad])?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    let size = tmp.as_file().metadata()?.len();
    tmp.persist(path).map_err(|e| e.error)?;
    if let Some(seals) = seals {
        seals.seal_written(path, hsum);
    }
    Ok(size)
}

/// The header's checksum: CRC-32 of its 128 bytes with the checksum field (72..76) zeroed.
pub fn header_crc(header: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&header[..72]);
    h.update(&[0; 4]);
    h.update(&header[76..HEADER_LEN]);
    h.finalize()
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// One section as the table says: where it is in the mapping.
#[derive(Clone, Copy, Default)]
struct Place {
    offset: usize,
    len: usize,
}

/// Map the index at `path` and check it against the dump's `stamp` and the parse `options`
/// (see the module docs for every check). Nothing in the file is trusted before it is checked.
pub fn open(path: &Path, stamp: &Stamp, options: &str) -> Result<Opened, OpenError> {
    open_with(path, stamp, options, None)
}

/// Sections at most this long have their checksum checked even under a seal (the encoded
/// sections, the roots; cheap next to the node and edge arrays).
const ALWAYS_SUMMED: usize = 16 << 20;

/// As [`open`], with the seals of `seals`: when one holds for the file ([`Seals::holds`]), the
/// checksums of the big array sections and the structural checks are skipped (everything
/// else — header, table, stamp, options, small sections — is checked as always); when none
/// holds, every check is made and a file that passes is sealed.
pub fn open_with(
    path: &Path,
    stamp: &Stamp,
    options: &str,
    seals: Option<&Seals>,
) -> Result<Opened, OpenError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(OpenError::Missing),
        Err(e) => return Err(OpenError::Io(e)),
    };
    let file_facts = FileFacts::of(&file.metadata().map_err(OpenError::Io)?);
    let len = file_facts.size();
    if len < HEADER_LEN as u64 {
        return Err(bad(len, "a 128-byte header (the file is shorter)"));
    }
    // SAFETY: a read-only mapping of a file heapscope replaces only by rename (never truncated
    // or written in place); every byte read from it is checked before it is used.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(OpenError::Io)?;
    let map = Arc::new(map);
    let b: &[u8] = &map;
    if b[..8] != MAGIC {
        return Err(bad(
            0,
            "the magic bytes HSIDX\\0\\r\\n of a heapscope index",
        ));
    }
    let version = le_u32(b, 8);
    if version != FORMAT_VERSION {
        return Err(OpenError::Stale(format!(
            "layout version {version}, this heapscope reads version {FORMAT_VERSION}"
        )));
    }
    if le_u32(b, 72) != header_crc(b) {
        return Err(bad(72, "the header's checksum"));
    }
    if u32::from_ne_bytes([b[12], b[13], b[14], b[15]]) != ENDIAN_MARK {
        return Err(OpenError::Stale(
            "written on a machine of the other byte order".into(),
        ));
    }
    let written_by = String::from_utf8_lossy(&b[16..48]);
    let written_by = written_by.trim_end_matches('\0');
    if written_by != HEAPSCOPE_VERSION {
        return Err(OpenError::Stale(format!(
            "written by heapscope {written_by}, this is {HEAPSCOPE_VERSION}"
        )));
    }
    let saved = Stamp {
        size: le_u64(b, 48),
        head: le_u32(b, 56),
        pages: le_u32(b, 60),
    };
    if saved.size != stamp.size {
        return Err(OpenError::Stale(format!(
            "made from a dump of {} bytes, the dump has {}",
            saved.size, stamp.size
        )));
    }
    if saved != *stamp {
        return Err(OpenError::Stale(
            "the dump's content differs from the one the index was made from".into(),
        ));
    }
    let header_sum = le_u32(b, 72);
    let sealed = seals.is_some_and(|s| s.holds(path, &file_facts, header_sum));
    let count = le_u32(b, 64) as usize;
    if count > MAX_SECTIONS {
        return Err(bad(64, "a section count of at most 64"));
    }
    let table_end = HEADER_LEN + count * ENTRY_LEN;
    if table_end as u64 > len {
        return Err(bad(len, "the whole section table (the file is shorter)"));
    }
    if le_u32(b, 68) != crc(&b[HEADER_LEN..table_end]) {
        return Err(bad(68, "the section table's checksum"));
    }
    let mut places = [Place::default(); SECTIONS.len()];
    let mut seen = [false; SECTIONS.len()];
    let mut sums = [0u32; SECTIONS.len()];
    for i in 0..count {
        let e = HEADER_LEN + i * ENTRY_LEN;
        let mut tag = [0u8; 4];
        tag.copy_from_slice(&b[e..e + 4]);
        let Some(k) = section_no(&tag) else {
            return Err(bad(e as u64, "a known section tag"));
        };
        if seen[k] {
            return Err(bad(e as u64, "each section once"));
        }
        seen[k] = true;
        let elem = le_u32(b, e + 4);
        if elem != SECTIONS[k].1 {
            return Err(bad(e as u64 + 4, "the section's element size"));
        }
        let (off, size) = (le_u64(b, e + 8), le_u64(b, e + 16));
        if off % 8 != 0 || off < table_end as u64 {
            return Err(bad(
                e as u64 + 8,
                "a section offset past the table, 8-byte aligned",
            ));
        }
        if off.checked_add(size).is_none_or(|end| end > len) {
            return Err(bad(e as u64 + 16, "a section that ends inside the file"));
        }
        if size % u64::from(elem) != 0 {
            return Err(bad(
                e as u64 + 16,
                "a section length that is a whole number of elements",
            ));
        }
        places[k] = Place {
            offset: off as usize,
            len: size as usize,
        };
        sums[k] = le_u32(b, e + 24);
    }
    if let Some(k) = seen.iter().position(|s| !s) {
        let _ = k;
        return Err(bad(64, "every section heapscope writes"));
    }
    // Checksums of every section, in parallel (the big arrays dominate); under a seal, of the
    // small ones only.
    {
        use rayon::prelude::*;
        let wrong = (0..SECTIONS.len()).into_par_iter().find_first(|&k| {
            let p = places[k];
            (!sealed || p.len <= ALWAYS_SUMMED) && crc(&b[p.offset..][..p.len]) != sums[k]
        });
        if let Some(k) = wrong {
            let entry = (0..count)
                .map(|i| HEADER_LEN + i * ENTRY_LEN)
                .find(|&e| b[e..e + 4] == SECTIONS[k].0)
                .unwrap_or(HEADER_LEN);
            return Err(bad(entry as u64 + 24, "the section's checksum"));
        }
    }
    let sec = |k: usize| -> (&[u8], u64) {
        let p = places[k];
        (&b[p.offset..p.offset + p.len], p.offset as u64)
    };
    let dec = |k: usize| {
        let (d, at) = sec(k);
        Dec::new(d, at)
    };

    // META
    let mut m = dec(0);
    let saved_options = m.str()?;
    if saved_options != options {
        return Err(OpenError::Stale(format!(
            "made with the options `{saved_options}`, asked for `{options}`"
        )));
    }
    let n64 = m.u64()?;
    let e64 = m.u64()?;
    let weak_retains = m.bool()?;
    let orphans = match m.tag(3, "an orphans policy (0-2)")? {
        0 => Orphans::Unreachable,
        1 => Orphans::AttachWeaklyHeld,
        _ => Orphans::AttachAll,
    };
    let orphans_attached = m.u64()?;
    let by_node = m.bool()?;
    let mut sm = [0u64; 8];
    for v in &mut sm {
        *v = m.u64()?;
    }
    let summary = Summary {
        nodes: sm[0],
        edges: sm[1],
        gc_roots: sm[2],
        total_bytes: sm[3],
        reachable_bytes: sm[4],
        reachable_nodes: sm[5],
        unreachable_bytes: sm[6],
        unreachable_nodes: sm[7],
    };
    let nw = m.count(4)?;
    let mut warnings = Vec::with_capacity(nw);
    for _ in 0..nw {
        warnings.push(m.string()?);
    }
    m.end()?;
    let facts = facts::decode(dec(1))?;
    let types = decode_interner(dec(2))?;
    let labels = decode_interner(dec(3))?;
    let root_kinds = decode_interner(dec(4))?;
    let histogram = decode_histogram(dec(5))?;

    // Array sections: lengths first, so every later check may index by them.
    let n = usize::try_from(n64).map_err(|_| bad(places[0].offset as u64, "a node count"))?;
    let e = usize::try_from(e64).map_err(|_| bad(places[0].offset as u64, "an edge count"))?;
    let col = |k: usize, want: Option<usize>| -> Result<(Place, usize), OpenError> {
        let p = places[k];
        let count = p.len / SECTIONS[k].1 as usize;
        if want.is_some_and(|w| w != count) {
            return Err(bad(
                table_entry(b, count_of(b), k) + 16,
                "a section length that agrees with the node and edge counts",
            ));
        }
        Ok((p, count))
    };
    macro_rules! column {
        ($k:expr, $want:expr) => {{
            let (p, count) = col($k, $want)?;
            Column::from_mapping(map.clone(), p.offset, count)
                .ok_or_else(|| bad(p.offset as u64, "an aligned section"))?
        }};
    }
    let roots_raw: Column<u32> = column!(7, None);
    if !roots_raw.len().is_multiple_of(3) {
        return Err(bad(
            places[7].offset as u64,
            "GC roots as (node, kind, via) triples",
        ));
    }
    let ids: Column<u64> = column!(8, Some(n));
    let type_of: Column<u32> = column!(9, Some(n));
    let shallow: Column<u64> = column!(10, Some(n));
    let kind: Column<u8> = column!(11, Some(n));
    let counts: Column<u64> = {
        let c = col(12, None)?.1;
        column!(12, Some(if c == 0 { 0 } else { n }))
    };
    let edge_labels: Column<u32> = {
        let c = col(13, None)?.1;
        column!(13, Some(if c == 0 { 0 } else { e }))
    };
    let offsets: Column<u32> = column!(14, Some(n + 1));
    let targets: Column<u32> = column!(15, Some(e));
    let idom: Column<u32> = column!(16, Some(n));
    let coff: Column<u32> = column!(17, Some(n + 2));
    let children: Column<u32> = column!(18, None);
    let parent: Column<u32> = column!(19, Some(n));
    let pweak: Column<u64> = column!(20, Some(n.div_ceil(64)));
    let retained: Column<u64> = column!(21, Some(n));

    let mut roots = Vec::with_capacity(roots_raw.len() / 3);
    for t in roots_raw.chunks_exact(3) {
        roots.push(Root {
            node: NodeIdx(t[0]),
            kind: t[1],
            via: t[2],
        });
    }
    let graph = HeapGraph {
        out_of_core: false,
        ids,
        type_of,
        shallow,
        kind,
        counts,
        offsets,
        targets,
        edge_labels,
        roots: roots.into(),
        types,
        labels,
        root_kinds,
        policy: Policy {
            weak_retains,
            orphans,
        },
        warnings,
        spare: Default::default(),
    };
    let dom = DomTree {
        idom,
        order: Vec::new(),
        orphans_attached,
    };
    let children = DomChildren {
        offsets: coff,
        children,
    };
    let paths = RootPaths::from_parts(parent, by_node, BitSet::from_words(pweak.to_vec()));
    let analysis = Analysis {
        graph,
        dom,
        retained,
        children,
        paths,
        histogram,
        summary,
    };
    let at = |k: usize| places[k].offset as u64;
    validate::endpoints(&analysis, &at)?;
    if !sealed {
        validate::analysis(&analysis, &at)?;
        if let Some(s) = seals {
            s.seal_checked(path, &file_facts, header_sum);
        }
    }
    let inspector = Column::from_mapping(map.clone(), places[6].offset, places[6].len)
        .ok_or_else(|| bad(at(6), "an inspector section inside the file"))?;
    Ok(Opened {
        analysis,
        facts,
        inspector,
        inspector_offset: at(6),
        file_bytes: len,
        sealed,
    })
}

fn count_of(b: &[u8]) -> usize {
    (le_u32(b, 64) as usize).min(MAX_SECTIONS)
}

/// The table entry's file offset for section `k` (after the table was checked).
fn table_entry(b: &[u8], count: usize, k: usize) -> u64 {
    (0..count)
        .map(|i| HEADER_LEN + i * ENTRY_LEN)
        .find(|&e| b[e..e + 4] == SECTIONS[k].0)
        .unwrap_or(HEADER_LEN) as u64
}

fn decode_interner(mut d: Dec) -> Result<Interner, Bad> {
    let n = d.count(4)?;
    let mut i = Interner::new();
    for k in 0..n {
        let at = d.bad("distinct interned names");
        let s = d.str()?;
        if i.intern(s) as usize != k {
            return Err(at);
        }
    }
    d.end()?;
    Ok(i)
}

fn decode_histogram(mut d: Dec) -> Result<Vec<TypeRow>, Bad> {
    let n = d.count(36)?;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        rows.push(TypeRow {
            type_id: d.u32()?,
            count: d.u64()?,
            shallow: d.u64()?,
            retained: d.u64()?,
            reachable_count: d.u64()?,
        });
    }
    d.end()?;
    Ok(rows)
}
