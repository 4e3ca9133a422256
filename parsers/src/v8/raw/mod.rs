//! The snapshot as V8 wrote it, in columns: `snapshot.meta` first, then the `nodes` and `edges`
//! integer arrays parsed straight into per-field vectors, `strings` kept as byte ranges of the
//! mapped input, `locations` as quads. Everything else (`trace_tree`, `samples`, …) is skipped.
//!
//! The document walk and the columns live here; `snapshot.meta` is read in `meta`, the machinery
//! shared by the integer arrays (the exact and parallel reading modes, the per-record trait, the
//! `locations` quads) in `records`, and the `nodes` and `edges` arrays in `nodes` and `edges`.

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
use records::{parallel_array, resolve_locations};

/// What the parser keeps besides the graph: per-node type, name and edge count columns,
/// per-edge bits the post-passes need, string ranges and locations. Node `i` is the `i`-th
/// record of `nodes` and the graph's `NodeIdx(i)`; edge `e` is the `e`-th record of `edges`
/// and the graph's edge `e`.
pub(crate) struct RawSnapshot {
    pub meta: Meta,
    pub node_type: Vec<u8>,
    pub node_name: Vec<u32>,
    pub node_edges: Vec<u32>,
    /// Empty when the snapshot has no `detachedness` field.
    pub node_detached: Vec<u8>,
    pub edge_total: u64,
    /// Edges of type `shortcut` (the graph marks those not from the root as weak).
    pub shortcut: BitSet,
    /// Edges detachedness does not propagate over (per [`Compat`]).
    pub no_propagation: BitSet,
    /// The synthetic root's edges: (edge type, target ordinal).
    pub root_edges: Vec<(u8, u32)>,
    pub str_start: Vec<u64>,
    pub str_len: Vec<u32>,
    /// (node ordinal, script id, line, column), sorted by ordinal.
    pub locations: Vec<[u32; 4]>,
    /// What was read as DevTools reads it although it is off the format (see [`parse`]).
    pub warnings: Vec<String>,
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
        let i = i as usize;
        match (self.str_start.get(i), self.str_len.get(i)) {
            (Some(&s), Some(&l)) => input
                .get(s as usize..s as usize + l as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
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
    let mut strings: (Vec<u64>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut locations_raw: Vec<(u64, usize)> = Vec::new(); // exact mode: values with offsets
    let mut locations_fast: Vec<u64> = Vec::new(); // parallel mode
    let mut name_refs = MaxRef::default();
    let mut edge_name_refs = MaxRef::default();
    if c.peek() == Some(b'}') {
        return Err(c.error("\"snapshot\", \"nodes\", \"edges\" and \"strings\""));
    }
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
            }
            b"nodes" => {
                let m = meta.clone().ok_or_else(|| {
                    Fail::at(key_at, "\"snapshot\" (with its meta) before \"nodes\"")
                })?;
                let r = parse_nodes(&mut c, m, b, &mut name_refs, mode)?;
                raw = Some(r);
                have_nodes = true;
            }
            b"edges" => {
                let r = raw
                    .as_mut()
                    .ok_or_else(|| Fail::at(key_at, "\"nodes\" before \"edges\""))?;
                parse_edges(&mut c, r, b, compat, &mut edge_name_refs, mode)?;
                have_edges = true;
            }
            b"strings" => {
                // A string takes at least 3 bytes ("",), which caps the reservation.
                let cap = c.remaining() / 3;
                strings.0.reserve(cap.min(1 << 20));
                strings.1.reserve(cap.min(1 << 20));
                let mut too_long = None;
                c.string_array(|s, e| {
                    strings.0.push(s as u64);
                    match u32::try_from(e - s) {
                        Ok(l) => strings.1.push(l),
                        Err(_) => {
                            too_long.get_or_insert(s);
                            strings.1.push(0);
                        }
                    }
                })?;
                if let Some(at) = too_long {
                    return Err(Fail::at(at, "strings shorter than 4 GiB"));
                }
                // Grown by doubling; kept for the whole run by the inspector.
                strings.0.shrink_to_fit();
                strings.1.shrink_to_fit();
                have_strings = true;
            }
            b"locations" if mode == Mode::Exact => {
                let cap = c.remaining() / 2;
                locations_raw.reserve(cap.min(1 << 16));
                c.uint_array(|v, at| {
                    locations_raw.push((v, at));
                    Ok(())
                })?;
            }
            b"locations" => {
                parallel_array(
                    &mut c,
                    1,
                    &mut locations_fast,
                    |l, n| l.reserve_exact(n),
                    |l, block| {
                        l.extend_from_slice(block);
                        Ok(())
                    },
                )?;
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
    let nstr = strings.0.len() as u64;
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
    r.str_start = strings.0;
    r.str_len = strings.1;
    r.locations = match mode {
        Mode::Exact => resolve_locations(&r, &locations_raw)?,
        Mode::Parallel => resolve_locations(&r, &locations_fast)?,
    };
    Ok(r)
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
