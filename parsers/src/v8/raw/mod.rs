//! The snapshot as V8 wrote it, in columns: `snapshot.meta` first, then the `nodes` and `edges`
//! integer arrays parsed straight into per-field vectors, `strings` kept as byte ranges of the
//! mapped input, `locations` as quads. Everything else (`trace_tree`, `samples`, …) is skipped.
//!
//! The document walk and the columns live here; `snapshot.meta` is read in `meta`, the exact
//! (sequential) reading of the integer arrays, the per-record trait and the `locations` quads
//! in `records` (the parallel reading is `v8::par`), and the `nodes` and `edges` arrays in
//! `nodes` and `edges`.

mod edges;
mod meta;
mod nodes;
mod records;

pub(crate) use meta::Meta;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{GraphBuilder, Label, LabelId, TypeId};

use super::scan::{decode, Cursor, Scan};
use super::Compat;
use crate::{Expected, Fail};
use edges::parse_edges;
use nodes::parse_nodes;
pub(crate) use records::{location_columns, ReadLocations};
use records::{parallel_locations, resolve_locations};

/// What the parser keeps besides the graph: per-node type and edge count columns, the offset of
/// every [`MARK_EVERY`]-th node record (a node's other fields, such as its name, are read again
/// from there on demand), per-edge bits the post-passes need, string offsets and locations.
/// Node `i` is the `i`-th record of `nodes` and the graph's `NodeIdx(i)`; edge `e` is the `e`-th
/// record of `edges` and the graph's edge `e`.
pub(crate) struct RawSnapshot {
    pub meta: Meta,
    pub node_type: Vec<u8>,
    /// Emptied once the edges are read (they are what finds each edge's source; the parallel
    /// reader turns them into the graph's CSR offsets in place).
    pub node_edges: Vec<u32>,
    /// Empty when the snapshot has no `detachedness` field.
    pub node_detached: Vec<u8>,
    /// Byte offset of the first value of node records 0, 64, 128, …
    pub node_marks: Vec<u64>,
    pub edge_total: u64,
    /// Edges of type `shortcut` (the graph marks those not from the root as weak).
    pub shortcut: BitSet,
    /// Edges detachedness does not propagate over (per [`Compat`]).
    pub no_propagation: BitSet,
    /// The synthetic root's edges: (edge type, target ordinal).
    pub root_edges: Vec<(u8, u32)>,
    /// Where each string's content starts (its end is found again by scanning: 8 bytes per
    /// string instead of 12).
    pub str_start: Vec<u64>,
    /// (node ordinal, script id, line, column) in the file's order, and where every
    /// [`MARK_EVERY`]-th record starts (`v8::build` keeps them as
    /// [`Locations`](crate::v8::locations::Locations)).
    pub locations: ReadLocations,
    /// What was read as DevTools reads it although it is off the format (see [`parse`]).
    pub warnings: Vec<String>,
}

pub(crate) use super::par::MARK_EVERY;

/// Field `field` of record `record` of an integer array of records of `width` values whose
/// every [`MARK_EVERY`]-th record starts at `marks[k]`: read again from the text (at most 63
/// records are passed over). `None` for a record or offset the input does not have.
pub(crate) fn record_value(
    input: &[u8],
    marks: &[u64],
    width: usize,
    record: usize,
    field: usize,
) -> Option<u64> {
    let at = *marks.get(record / MARK_EVERY as usize)?;
    let mut c = Cursor::new(input);
    c.seek(usize::try_from(at).ok()?);
    for _ in 0..(record % MARK_EVERY as usize) * width + field {
        c.uint().ok()?;
        c.expect(b',', "").ok()?;
    }
    c.uint().ok()
}

/// The raw bytes of the string whose content starts at `start` (escapes not decoded): the
/// string is scanned again from its opening quote.
pub(crate) fn string_at(input: &[u8], start: u64) -> &[u8] {
    let mut c = Cursor::new(input);
    let Some(quote) = usize::try_from(start).ok().and_then(|s| s.checked_sub(1)) else {
        return &[];
    };
    c.seek(quote);
    match c.string() {
        Ok((s, e)) if s as u64 == start => c.slice(s, e),
        _ => &[],
    }
}

/// `node_type` / root edge type of a node or edge whose type index is beyond the meta's list
/// (never a listed type: there are at most [`MAX_TYPES`](meta::MAX_TYPES)).
pub(crate) const UNLISTED: u8 = 255;

/// The class of a node whose type index the meta does not list. DevTools' `type()` is
/// `nodeTypes[rawType]`, `undefined` there, and `className()` gives `(${type})` for any type
/// but object, native, hidden and code: `(undefined)`; memlab 2.0.5 names it the same.
pub(crate) const UNLISTED_CLASS: &str = "(undefined)";

impl RawSnapshot {
    pub fn node_count(&self) -> usize {
        self.node_type.len()
    }
    /// The raw bytes of string `i` (escapes not decoded).
    pub fn raw_str<'a>(&self, input: &'a [u8], i: u32) -> &'a [u8] {
        match self.str_start.get(i as usize) {
            Some(&s) => string_at(input, s),
            None => &[],
        }
    }
    /// The name string index of node `i`, read again from its record.
    pub fn node_name(&self, input: &[u8], i: usize) -> Option<u32> {
        let v = record_value(input, &self.node_marks, self.meta.nf, i, self.meta.n_name)?;
        u32::try_from(v).ok()
    }
    pub fn str<'a>(&self, input: &'a [u8], i: u32) -> std::borrow::Cow<'a, str> {
        decode(self.raw_str(input, i))
    }
}

/// Largest string index seen where a string is referenced, with the offset of that number,
/// so that an out-of-range reference is reported where it stands once `strings` is known.
#[derive(Default)]
struct MaxRef {
    value: u64,
    offset: usize,
    seen: bool,
}

impl MaxRef {
    #[inline]
    fn note(&mut self, v: u64, at: usize) {
        if !self.seen || v > self.value {
            self.value = v;
            self.offset = at;
            self.seen = true;
        }
    }
}

fn u32_or(v: u64, at: usize, what: &'static str) -> Scan<u32> {
    u32::try_from(v).map_err(|_| Fail::at(at, what))
}

/// The node and edge counts `snapshot.meta` declares, when the snapshot starts with it (V8
/// writes it first), each capped by what the file's bytes could hold (a record takes at least
/// two bytes per field): for the up-front memory check only. `None` when anything is amiss; the
/// parse then says what.
pub(crate) fn declared_counts(input: &[u8]) -> Option<(u64, u64)> {
    let mut c = Cursor::new(input);
    c.expect(b'{', "").ok()?;
    let (ks, ke) = c.string().ok()?;
    if c.slice(ks, ke) != b"snapshot" {
        return None;
    }
    c.expect(b':', "").ok()?;
    c.ws();
    let start = c.pos();
    c.skip_value().ok()?;
    let m = Meta::parse(c.slice(start, c.pos()), start).ok()?;
    let len = input.len() as u64;
    let nodes = m.node_count?.min(len / (2 * m.nf.max(1) as u64));
    let edges = m.edge_count?.min(len / (2 * m.ef.max(1) as u64));
    Some((nodes, edges))
}

/// Parse the whole document, streaming nodes and edges into `b`. Node types and edge labels
/// that name a string are given provisionally ([`provisional_type`], [`provisional_label`])
/// because V8 writes `strings` last; the caller resolves them once the graph is finished.
pub(crate) fn parse(
    input: &[u8],
    b: &mut GraphBuilder,
    compat: Compat,
    mode: Mode,
) -> Scan<RawSnapshot> {
    let mut c = Cursor::new(input);
    c.expect(b'{', "'{' opening a heap snapshot")?;
    let mut meta: Option<Meta> = None;
    let mut raw: Option<RawSnapshot> = None;
    let mut have_nodes = false;
    let mut have_edges = false;
    let mut have_strings = false;
    let mut strings: Vec<u64> = Vec::new();
    let mut locations_raw: Vec<(u64, usize)> = Vec::new(); // exact mode: values with offsets
    let mut locations_fast: Option<ReadLocations> = None; // parallel mode, resolved
    let (mut locations_seen, mut locations_split) = (false, false);
    let mut name_refs = MaxRef::default();
    let mut edge_name_refs = MaxRef::default();
    if c.peek() == Some(b'}') {
        return Err(c.error("\"snapshot\", \"nodes\", \"edges\" and \"strings\""));
    }
    let mut steps = crate::timing::Steps::start();
    loop {
        let (ks, ke) = c.string()?;
        let key_at = ks.saturating_sub(1);
        let key = c.slice(ks, ke);
        c.expect(b':', "':' after a key")?;
        c.ws();
        match key {
            b"snapshot" => {
                let start = c.pos();
                c.skip_value()?;
                meta = Some(Meta::parse(c.slice(start, c.pos()), start)?);
                steps.step("  meta");
            }
            b"nodes" => {
                let m = meta.clone().ok_or_else(|| {
                    Fail::at(key_at, "\"snapshot\" (with its meta) before \"nodes\"")
                })?;
                let r = parse_nodes(&mut c, m, b, &mut name_refs, mode)?;
                raw = Some(r);
                have_nodes = true;
                steps.step("  nodes");
            }
            b"edges" => {
                let r = raw
                    .as_mut()
                    .ok_or_else(|| Fail::at(key_at, "\"nodes\" before \"edges\""))?;
                // The parallel reader reads what follows the edges (V8: `locations` and
                // `strings`) on the side while it fills them: see `read_tail`.
                let (want_strings, want_locations) = (!have_strings, locations_fast.is_none());
                let (meta, nodes) = (r.meta.clone(), r.node_count());
                let tail = move |end: usize| {
                    let mut steps = crate::timing::Steps::start();
                    let t = read_tail(input, end, &meta, nodes, want_strings, want_locations);
                    steps.step("    (beside the edges) tail");
                    t
                };
                let tail = parse_edges(&mut c, r, b, compat, &mut edge_name_refs, mode, tail)?;
                if let Some(t) = tail {
                    if let Some(s) = t.strings {
                        strings = s;
                        have_strings = true;
                    }
                    if t.locations.is_some() {
                        locations_fast = t.locations;
                    }
                    c.seek(t.resume);
                }
                // The targets are complete (4 bytes per edge): in a spill file, as the analysis
                // would put them, they are not anonymous memory while the strings are read
                // and the types and labels resolved. (The parallel reader grew them in one
                // from the start: nothing to do then.)
                b.spill_targets();
                have_edges = true;
                steps.step("  edges (with the tail)");
            }
            b"strings" => {
                read_strings(&mut c, &mut strings)?;
                have_strings = true;
                steps.step("  strings");
            }
            b"locations" if mode == Mode::Exact => {
                // A second array's records are not one run of the text: no marks then.
                locations_split |= locations_seen;
                locations_seen = true;
                let cap = c.remaining() / 2;
                locations_raw.reserve(cap.min(1 << 16));
                c.uint_array(|v, at| {
                    locations_raw.push((v, at));
                    Ok(())
                })?;
            }
            b"locations" => {
                // (Once, after the nodes, as V8 writes it; else the exact reader reads it.)
                let (Some(r), None) = (raw.as_ref(), locations_fast.as_ref()) else {
                    return Err(Fail::at(key_at, "\"locations\" once, after \"nodes\""));
                };
                locations_fast = Some(parallel_locations(&mut c, &r.meta, r.node_count())?);
            }
            _ => c.skip_value()?,
        }
        match c.peek() {
            Some(b',') => {
                c.expect(b',', "','")?;
            }
            Some(b'}') => break,
            _ => return Err(c.error("',' or '}' after a top-level value")),
        }
    }
    let end = c.pos();
    let mut r = match raw {
        Some(r) if have_nodes => r,
        _ => return Err(Fail::at(end, "a \"nodes\" array")),
    };
    if !have_edges {
        return Err(Fail::at(end, "an \"edges\" array"));
    }
    if !have_strings {
        return Err(Fail::at(end, "a \"strings\" array"));
    }
    let nstr = strings.len() as u64;
    if name_refs.seen && name_refs.value >= nstr {
        return Err(Fail::at(
            name_refs.offset,
            Expected::fmt(
                "a node name index below the {} strings (found {})",
                "",
                &[nstr, name_refs.value],
            ),
        ));
    }
    if edge_name_refs.seen && edge_name_refs.value >= nstr {
        return Err(Fail::at(
            edge_name_refs.offset,
            Expected::fmt(
                "an edge name index below the {} strings (found {})",
                "",
                &[nstr, edge_name_refs.value],
            ),
        ));
    }
    r.str_start = strings;
    r.locations = match mode {
        Mode::Exact => {
            let mut l = resolve_locations(&r, &locations_raw)?;
            if locations_split {
                l.marks = Vec::new();
            }
            l
        }
        Mode::Parallel => locations_fast.unwrap_or_default(),
    };
    Ok(r)
}

/// The `strings` array at the cursor: where each string's content starts, into `strings`.
fn read_strings(c: &mut Cursor<'_>, strings: &mut Vec<u64>) -> Scan<()> {
    // A string takes at least 3 bytes ("",) and two of the quotes left in the input: room for
    // exactly that many (no growth by doubling, whose transient copy was the parse's peak).
    let rest = c.slice(c.pos(), c.pos() + c.remaining());
    let quotes = memchr::memchr_iter(b'"', rest).count();
    strings.reserve_exact((quotes / 2).min(c.remaining() / 3));
    let mut too_long = None;
    c.string_array(|s, e| {
        strings.push(s as u64);
        if u32::try_from(e - s).is_err() {
            too_long.get_or_insert(s);
        }
    })?;
    if let Some(at) = too_long {
        return Err(Fail::at(at, "strings shorter than 4 GiB"));
    }
    // Grown by doubling.
    strings.shrink_to_fit();
    Ok(())
}

/// What [`read_tail`] read after the `edges` array.
pub(super) struct Tail {
    /// Where the document walk goes on: just after the last value read.
    resume: usize,
    strings: Option<Vec<u64>>,
    locations: Option<ReadLocations>,
}

/// The parallel reader's walk of the top-level values after the `edges` array (whose `]` is at
/// `end - 1`), run beside the edges' fill: the `strings` (a sequential scan, which would
/// otherwise leave a core idle) and `locations` when `want` them, anything else but the
/// arrays the main walk reads skipped. Stops before the first key it leaves to the main walk
/// (`snapshot`, `nodes`, `edges`, or one it does not want) or at the document's `}`; any
/// error fails the parallel reader, whose exact rerun reads the document in order.
fn read_tail(
    input: &[u8],
    end: usize,
    meta: &Meta,
    nodes: usize,
    want_strings: bool,
    want_locations: bool,
) -> Scan<Tail> {
    let mut c = Cursor::new(input);
    c.seek(end);
    let mut t = Tail {
        resume: end,
        strings: None,
        locations: None,
    };
    loop {
        t.resume = c.pos();
        if c.peek() != Some(b',') {
            return Ok(t);
        }
        c.expect(b',', "','")?;
        let (ks, ke) = c.string()?;
        c.expect(b':', "':' after a key")?;
        c.ws();
        match c.slice(ks, ke) {
            b"strings" if want_strings && t.strings.is_none() => {
                let mut s = Vec::new();
                read_strings(&mut c, &mut s)?;
                t.strings = Some(s);
            }
            b"locations" if want_locations && t.locations.is_none() => {
                t.locations = Some(parallel_locations(&mut c, meta, nodes)?);
            }
            b"snapshot" | b"nodes" | b"edges" | b"strings" | b"locations" => return Ok(t),
            _ => c.skip_value()?,
        }
    }
}

/// Bit set on a provisional type id: the low bits are the node's name string index.
pub(crate) const OWN_NAME: u32 = 1 << 31;

/// A provisional type for a node named by its string `name`.
pub(crate) fn provisional_type(name: u32) -> TypeId {
    TypeId(OWN_NAME | name)
}

/// A provisional label for an edge named by string `name` (0 stays "no label").
pub(crate) fn provisional_label(name: u32) -> Label {
    Label::Name(LabelId(name + 1))
}

/// Limit for string indices that provisional ids can carry.
const MAX_STRING_INDEX: u64 = (1 << 31) - 2;

/// How the `nodes` and `edges` arrays are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// On all cores ([`par`](super::par)); a failure carries no useful offset, so the caller reruns
    /// [`Mode::Exact`] to report it.
    Parallel,
    /// The sequential cursor: every error at its exact byte offset.
    Exact,
}
