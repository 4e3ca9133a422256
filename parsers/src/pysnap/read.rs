//! The file's sections, indexed in one pass without copying (see docs/dev/python-snapshot.md):
//! every length is checked against the bytes that remain before anything is sized by it.

use crate::error::{Expected, Fail};

/// `HSPYSNAP`: the first eight bytes.
pub const MAGIC: &[u8; 8] = b"HSPYSNAP";
/// The newest format version this reader knows.
pub const VERSION: u16 = 1;
/// Bytes before the first section: magic, version (u16), flags (u16).
pub const PREAMBLE: usize = 12;

/// A panic-free little-endian cursor over one section's payload.
#[derive(Clone, Copy)]
pub struct Cur<'a> {
    pub data: &'a [u8],
    pub pos: usize,
    pub end: usize,
}

impl<'a> Cur<'a> {
    pub fn new(data: &'a [u8], pos: usize, end: usize) -> Self {
        Cur { data, pos, end }
    }
    pub fn left(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Fail> {
        if n > self.left() {
            return Err(Fail::at(self.pos, what));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self, what: &'static str) -> Result<u8, Fail> {
        Ok(self.bytes(1, what)?[0])
    }
    pub fn u16(&mut self, what: &'static str) -> Result<u16, Fail> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self, what: &'static str) -> Result<u32, Fail> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self, what: &'static str) -> Result<u64, Fail> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub fn f64(&mut self, what: &'static str) -> Result<f64, Fail> {
        Ok(f64::from_bits(self.u64(what)?))
    }
    /// A string: u32 length, UTF-8 bytes. Returns its byte range.
    pub fn str(&mut self, what: &'static str) -> Result<(usize, usize), Fail> {
        let n = self.u32(what)? as usize;
        let start = self.pos;
        self.bytes(n, what)?;
        Ok((start, start + n))
    }
    /// A count of records of at least `min` bytes each, checked against what remains.
    pub fn count(&mut self, min: usize, what: &'static str) -> Result<usize, Fail> {
        let at = self.pos;
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min) > self.left() {
            return Err(Fail::at(
                at,
                Expected::fmt(
                    "a {s} count that the section's remaining {} bytes can hold (found {})",
                    what,
                    &[self.left() as u64, n as u64],
                ),
            ));
        }
        Ok(n)
    }
}

/// The header section (`H`).
#[derive(Clone, Debug, Default)]
pub struct Header {
    pub unix_time: f64,
    pub pid: u64,
    pub rss: u64,
    pub tracing: bool,
    pub version: [u8; 3],
    pub version_text: (usize, usize),
    pub implementation: (usize, usize),
}

/// The end section (`E`).
#[derive(Clone, Debug, Default)]
pub struct End {
    pub nodes: u64,
    pub edges: u64,
    pub roots: u64,
    pub seconds: f64,
    pub excluded: u64,
    pub overhead_rss: u64,
    pub types: u64,
}

/// A table section continuing a table (`T` types, `S` labels, `F` frames, `K` tracebacks):
/// the entries' first index and count, and where they start.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub first: u32,
    pub count: usize,
    pub at: usize,
    pub end: usize,
}

/// A node section (`N`): where its columns start.
#[derive(Clone, Copy, Debug)]
pub struct Nodes {
    pub n: usize,
    pub ids: usize,
    pub types: usize,
    pub sizes: usize,
    pub nedges: usize,
    pub e: usize,
    pub targets: usize,
    pub labels: usize,
}

/// A section holding records (`R`, `V`, `A`, `C`): its count and where the records start.
#[derive(Clone, Copy, Debug)]
pub struct Records {
    pub count: usize,
    pub at: usize,
    pub end: usize,
}

/// Every section of the file, in file order per kind.
#[derive(Default, Debug)]
pub struct Index {
    pub version: u16,
    pub header: Header,
    pub end: End,
    pub types: Vec<Table>,
    pub labels: Vec<Table>,
    pub frames: Vec<Table>,
    pub tracebacks: Vec<Table>,
    pub nodes: Vec<Nodes>,
    pub roots: Vec<Records>,
    pub previews: Vec<Records>,
    pub allocs: Vec<Records>,
    pub caches: Vec<Records>,
    pub node_total: usize,
    pub edge_total: usize,
}

fn table(c: &mut Cur, entries: &mut u32, min: usize, what: &'static str) -> Result<Table, Fail> {
    let at = c.pos;
    let first = c.u32(what)?;
    if first != *entries {
        return Err(Fail::at(
            at,
            Expected::fmt(
                "the {s} table to continue at index {} (found {})",
                what,
                &[*entries as u64, first as u64],
            ),
        ));
    }
    let count = c.count(min, what)?;
    *entries = entries.saturating_add(count as u32);
    Ok(Table {
        first,
        count,
        at: c.pos,
        end: c.end,
    })
}

/// Index the sections of `data` (a whole file).
pub fn index(data: &[u8]) -> Result<Index, Fail> {
    if !data.starts_with(MAGIC) {
        return Err(Fail::at(0, "the magic bytes \"HSPYSNAP\""));
    }
    let mut c = Cur::new(data, MAGIC.len(), data.len());
    let version = c.u16("the format version")?;
    if version == 0 || version > VERSION {
        return Err(Fail::at(
            8,
            Expected::fmt(
                "format version {} or older (this snapshot is version {}: a newer heapscope_snapshot.py wrote it; read it with a newer heapscope)",
                "",
                &[VERSION as u64, version as u64],
            ),
        ));
    }
    c.u16("the flags")?;
    let mut ix = Index {
        version,
        ..Index::default()
    };
    let (mut ntypes, mut nlabels, mut nframes, mut ntbs) = (0u32, 1u32, 0u32, 0u32);
    let mut seen_header = false;
    loop {
        if c.left() == 0 {
            return Err(Fail::at(
                c.pos,
                "an end section (E): the snapshot is incomplete",
            ));
        }
        let at = c.pos;
        let tag = c.u8("a section tag")?;
        let len = c.u32("a section length")? as usize;
        if len > c.left() {
            return Err(Fail::at(
                at + 1,
                Expected::fmt(
                    "a section length within the {} bytes left (found {})",
                    "",
                    &[c.left() as u64, len as u64],
                ),
            ));
        }
        let mut s = Cur::new(data, c.pos, c.pos + len);
        c.pos += len;
        if !seen_header && tag != b'H' {
            return Err(Fail::at(at, "the header section (H) first"));
        }
        match tag {
            b'H' if !seen_header => {
                seen_header = true;
                let h = &mut ix.header;
                h.unix_time = s.f64("the dump time")?;
                h.pid = s.u64("the process id")?;
                h.rss = s.u64("the process RSS")?;
                h.tracing = s.u8("the tracemalloc flag")? != 0;
                let v = s.bytes(3, "the Python version")?;
                h.version = [v[0], v[1], v[2]];
                h.version_text = s.str("sys.version")?;
                h.implementation = s.str("sys.implementation.name")?;
            }
            b'T' => ix.types.push(table(&mut s, &mut ntypes, 5, "type")?),
            b'S' => ix.labels.push(table(&mut s, &mut nlabels, 4, "label")?),
            b'F' => ix.frames.push(table(&mut s, &mut nframes, 8, "frame")?),
            b'K' => ix
                .tracebacks
                .push(table(&mut s, &mut ntbs, 4, "traceback")?),
            b'N' => {
                let n = s.count(24, "node")?;
                let ids = s.pos;
                let types = ids + 8 * n;
                let sizes = types + 4 * n;
                let nedges = sizes + 8 * n;
                s.pos = nedges + 4 * n;
                let e = s.count(12, "edge")?;
                let targets = s.pos;
                let labels = targets + 8 * e;
                if labels + 4 * e != s.end {
                    return Err(Fail::at(
                        labels + 4 * e,
                        "the end of the node section after its edges",
                    ));
                }
                ix.node_total += n;
                ix.edge_total += e;
                ix.nodes.push(Nodes {
                    n,
                    ids,
                    types,
                    sizes,
                    nedges,
                    e,
                    targets,
                    labels,
                });
            }
            b'R' | b'V' | b'A' | b'C' => {
                let min = match tag {
                    b'R' => 13,
                    b'V' => 12,
                    b'A' => 12,
                    _ => 48,
                };
                let count = s.count(min, "record")?;
                let r = Records {
                    count,
                    at: s.pos,
                    end: s.end,
                };
                match tag {
                    b'R' => ix.roots.push(r),
                    b'V' => ix.previews.push(r),
                    b'A' => ix.allocs.push(r),
                    _ => ix.caches.push(r),
                }
            }
            b'E' => {
                let e = &mut ix.end;
                e.nodes = s.u64("the node count")?;
                e.edges = s.u64("the edge count")?;
                e.roots = s.u64("the root count")?;
                e.seconds = s.f64("the dump's duration")?;
                e.excluded = s.u64("the excluded count")?;
                e.overhead_rss = s.u64("the dumper's RSS overhead")?;
                e.types = s.u64("the type count")?;
                if c.left() != 0 {
                    return Err(Fail::at(c.pos, "the end of the file after the end section"));
                }
                if e.nodes != ix.node_total as u64 || e.edges != ix.edge_total as u64 {
                    return Err(Fail::at(
                        at,
                        Expected::fmt(
                            "an end section counting the {} nodes the node sections hold (it says {})",
                            "",
                            &[ix.node_total as u64, e.nodes],
                        ),
                    ));
                }
                return Ok(ix);
            }
            _ => {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "a section tag H, T, S, F, K, N, R, V, A, C or E (found 0x{x})",
                        "",
                        &[tag as u64],
                    ),
                ))
            }
        }
    }
}
