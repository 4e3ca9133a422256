//! The snapshot as V8 wrote it, in columns: `snapshot.meta` first, then the `nodes` and `edges`
//! integer arrays parsed straight into per-field vectors, `strings` kept as byte ranges of the
//! mapped input, `locations` as quads. Everything else (`trace_tree`, `samples`, …) is skipped.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{GraphBuilder, Label, LabelId, NodeIdx, NodeKind, TypeId};

use super::names::{self, type_rule, Naming, TypeRule};
use super::par;
use super::scan::{decode, Cursor, Scan};
use super::Compat;
use crate::{Expected, Fail};

/// `snapshot.meta`, resolved to field positions. Only this small object goes through serde_json.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub node_fields: Vec<String>,
    pub node_types: Vec<String>,
    pub edge_fields: Vec<String>,
    pub edge_types: Vec<String>,
    pub location_fields: Vec<String>,
    pub node_count: Option<u64>,
    pub edge_count: Option<u64>,
    pub trace_function_count: Option<u64>,
    // positions in a node / edge record
    pub nf: usize,
    pub n_type: usize,
    pub n_name: usize,
    pub n_id: usize,
    pub n_size: usize,
    pub n_edges: usize,
    pub n_detached: Option<usize>,
    pub ef: usize,
    pub e_type: usize,
    pub e_name: usize,
    pub e_to: usize,
    /// Edge types whose `name_or_index` is an index, not a string (DevTools: element, hidden).
    pub edge_type_is_index: Vec<bool>,
}

/// Limits that keep a hostile meta from making us do silly things.
const MAX_FIELDS: usize = 64;
const MAX_TYPES: usize = 250;

fn string_list(v: &serde_json::Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_owned))
        .collect()
}

impl Meta {
    /// Parse the `snapshot` object found at `bytes[start..end]`.
    pub fn parse(bytes: &[u8], start: usize) -> Scan<Meta> {
        let bad = |what: &'static str| Fail::at(start, what);
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| {
            Fail::at(
                start,
                Expected::Quote(snapshot_error, [start as u64, bytes.len() as u64, 0]),
            )
        })?;
        let meta = v
            .get("meta")
            .ok_or_else(|| bad("a \"meta\" object in \"snapshot\""))?;
        let node_fields = meta
            .get("node_fields")
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.node_fields: an array of field names"))?;
        let edge_fields = meta
            .get("edge_fields")
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.edge_fields: an array of field names"))?;
        let node_types = meta
            .get("node_types")
            .and_then(|t| t.get(0))
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.node_types[0]: an array of node type names"))?;
        let edge_types = meta
            .get("edge_types")
            .and_then(|t| t.get(0))
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.edge_types[0]: an array of edge type names"))?;
        let location_fields = meta
            .get("location_fields")
            .and_then(string_list)
            .unwrap_or_default();
        if node_fields.is_empty()
            || node_fields.len() > MAX_FIELDS
            || edge_fields.is_empty()
            || edge_fields.len() > MAX_FIELDS
        {
            return Err(bad("between 1 and 64 node_fields and edge_fields"));
        }
        if node_types.len() > MAX_TYPES || edge_types.len() > MAX_TYPES {
            return Err(bad("at most 250 node_types and edge_types"));
        }
        let pos = |list: &[String], name: &str| list.iter().position(|f| f == name);
        let need = |list: &[String], name: &'static str, what: &'static str| {
            pos(list, name).ok_or_else(|| Fail::at(start, what))
        };
        let count = |k: &str| v.get(k).and_then(|x| x.as_u64());
        let edge_type_is_index = edge_types
            .iter()
            .map(|t| t == "element" || t == "hidden")
            .collect();
        Ok(Meta {
            nf: node_fields.len(),
            n_type: need(
                &node_fields,
                "type",
                "snapshot.meta.node_fields with \"type\"",
            )?,
            n_name: need(
                &node_fields,
                "name",
                "snapshot.meta.node_fields with \"name\"",
            )?,
            n_id: need(&node_fields, "id", "snapshot.meta.node_fields with \"id\"")?,
            n_size: need(
                &node_fields,
                "self_size",
                "snapshot.meta.node_fields with \"self_size\"",
            )?,
            n_edges: need(
                &node_fields,
                "edge_count",
                "snapshot.meta.node_fields with \"edge_count\"",
            )?,
            n_detached: pos(&node_fields, "detachedness"),
            ef: edge_fields.len(),
            e_type: need(
                &edge_fields,
                "type",
                "snapshot.meta.edge_fields with \"type\"",
            )?,
            e_name: need(
                &edge_fields,
                "name_or_index",
                "snapshot.meta.edge_fields with \"name_or_index\"",
            )?,
            e_to: need(
                &edge_fields,
                "to_node",
                "snapshot.meta.edge_fields with \"to_node\"",
            )?,
            node_count: count("node_count"),
            edge_count: count("edge_count"),
            trace_function_count: count("trace_function_count"),
            node_fields,
            node_types,
            edge_fields,
            edge_types,
            location_fields,
            edge_type_is_index,
        })
    }
}

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
/// (never a listed type: there are at most [`MAX_TYPES`]).
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

/// Parse the whole document, streaming nodes and edges into `b`. Node types and edge labels
/// that name a string are given provisionally ([`provisional_type`], [`provisional_label`])
/// because V8 writes `strings` last; the caller resolves them once the graph is finished.
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

/// After an array of records of `width` values, `left` values of an unfinished record remain.
/// The serde_json error of the `snapshot` object at `input[start..start + len]` (`nums`: start,
/// len), rendered at the edge: it is parsed again there, so hot code carries no text.
fn snapshot_error(input: &[u8], nums: [u64; 3], out: &mut String) {
    let (start, len) = (nums[0] as usize, nums[1] as usize);
    let bytes = input.get(start..start.saturating_add(len)).unwrap_or(&[]);
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(e) => out.push_str(&format!("a valid \"snapshot\" object ({e})")),
        Ok(_) => out.push_str("a valid \"snapshot\" object"),
    }
}

fn whole_records(c: &Cursor<'_>, left: usize, width: usize, array: &'static str) -> Scan<()> {
    if left == 0 {
        return Ok(());
    }
    Err(Fail::at(
        c.pos().saturating_sub(1),
        Expected::fmt(
            "a multiple of {} values in \"{s}\" (one record per field of the meta); {} left over",
            array,
            &[width as u64, left as u64],
        ),
    ))
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
    /// On all cores ([`par`]); a failure carries no useful offset, so the caller reruns
    /// [`Mode::Exact`] to report it.
    Parallel,
    /// The sequential cursor: every error at its exact byte offset.
    Exact,
}

/// One value of a record: the exact parser knows its byte offset, the parallel one does not
/// (its errors are reported by an exact rerun).
trait Field: Copy {
    fn v(self) -> u64;
    fn at(self) -> usize;
}

impl Field for (u64, usize) {
    #[inline]
    fn v(self) -> u64 {
        self.0
    }
    #[inline]
    fn at(self) -> usize {
        self.1
    }
}

impl Field for u64 {
    #[inline]
    fn v(self) -> u64 {
        self
    }
    #[inline]
    fn at(self) -> usize {
        0
    }
}

/// Read the integer array at the cursor as records of `width` values, each through
/// `record.take(...)`. The exact mode reports an unfinished last record; the parallel mode
/// declines it.
fn read_records<R: Records>(
    c: &mut Cursor<'_>,
    width: usize,
    mode: Mode,
    array: &'static str,
    record: &mut R,
) -> Scan<()> {
    match mode {
        Mode::Exact => {
            let left = c.uint_records(width, |rec| record.take(rec))?;
            whole_records(c, left, width, array)
        }
        Mode::Parallel => parallel_array(
            c,
            width,
            record,
            |r, n| r.reserve(n),
            |r, block| {
                block
                    .chunks_exact(width.max(1))
                    .try_for_each(|rec| r.take(rec))
            },
        ),
    }
}

/// The integer array at the cursor read on all cores ([`par::IntArray`]): `reserve(state,
/// records)` with the exact record count, then `consume(state, block)` for block after block of
/// whole records.
fn parallel_array<S: Send + ?Sized>(
    c: &mut Cursor<'_>,
    width: usize,
    state: &mut S,
    reserve: impl FnOnce(&mut S, usize),
    mut consume: impl FnMut(&mut S, &[u64]) -> Scan<()> + Send,
) -> Scan<()> {
    let arr = par::IntArray::locate(c.input(), c.pos())?;
    reserve(state, (arr.values() / width.max(1) as u64) as usize);
    arr.records(width, |block| consume(state, block))?;
    c.seek(arr.end());
    Ok(())
}

/// The per-record work of an array, the same for both modes.
trait Records: Send {
    /// Room for exactly `records` more (a count made from the array's own text).
    fn reserve(&mut self, records: usize);
    fn take<F: Field>(&mut self, rec: &[F]) -> Scan<()>;
}

/// Nodes: checked, added to the builder with kind and (provisional) type, and kept in the
/// raw columns.
struct NodeRecords<'a> {
    b: &'a mut GraphBuilder,
    r: &'a mut RawSnapshot,
    name_refs: &'a mut MaxRef,
    rules: Vec<TypeRule>,
    fixed: Vec<TypeId>,
    ntypes: u64,
    fields: (usize, usize, usize, usize, usize),
    det: Option<usize>,
    edge_total: u64,
    /// The class and count of nodes whose type the meta does not list.
    unlisted_type: TypeId,
    unlisted: u64,
}

impl Records for NodeRecords<'_> {
    fn reserve(&mut self, records: usize) {
        self.b.reserve_nodes(records);
        let r = &mut *self.r;
        r.node_type.reserve_exact(records);
        r.node_name.reserve_exact(records);
        r.node_edges.reserve_exact(records);
        if self.det.is_some() {
            r.node_detached.reserve_exact(records);
        }
    }

    #[inline]
    fn take<F: Field>(&mut self, rec: &[F]) -> Scan<()> {
        let (t_at, n_at, i_at, s_at, e_at) = self.fields;
        let ntypes = self.ntypes;
        let ty = rec[t_at].v();
        let name = rec[n_at].v();
        if name > MAX_STRING_INDEX {
            return Err(Fail::at(rec[n_at].at(), "a node name index below 2^31"));
        }
        self.name_refs.note(name, rec[n_at].at());
        let edges = rec[e_at].v();
        self.edge_total += edges;
        let raw_type = if ty < ntypes {
            let rule = &self.rules[ty as usize];
            let t = match rule.naming {
                Naming::Fixed => self.fixed[ty as usize],
                Naming::OwnName => provisional_type(name as u32),
            };
            self.b.add_node(rec[i_at].v(), t, rule.kind, rec[s_at].v());
            ty as u8
        } else {
            // Older V8s write type indices their meta does not list (Node 8: `symbol`, 12, with
            // 12 types listed); DevTools opens such snapshots and names the nodes
            // `(undefined)`.
            self.unlisted += 1;
            let t = self.unlisted_type;
            self.b
                .add_node(rec[i_at].v(), t, NodeKind::Other, rec[s_at].v());
            UNLISTED
        };
        let r = &mut *self.r;
        r.node_type.push(raw_type);
        r.node_name.push(name as u32);
        r.node_edges.push(u32_or(
            edges,
            rec[e_at].at(),
            "a node edge_count below 2^32",
        )?);
        if let Some(d) = self.det {
            r.node_detached.push(rec[d].v().min(255) as u8);
        }
        Ok(())
    }
}

fn parse_nodes(
    c: &mut Cursor<'_>,
    meta: Meta,
    b: &mut GraphBuilder,
    name_refs: &mut MaxRef,
    mode: Mode,
) -> Scan<RawSnapshot> {
    let nf = meta.nf;
    let det = meta.n_detached;
    // Each field takes at least two bytes ("0,"), so the file bounds the node count. (The
    // parallel mode reserves the exact count it has counted instead.)
    let cap = if mode == Mode::Exact {
        (c.remaining() / (2 * nf)).min(meta.node_count.unwrap_or(0) as usize)
    } else {
        0
    };
    b.reserve_nodes(cap);
    let rules: Vec<TypeRule> = meta.node_types.iter().map(|t| type_rule(t)).collect();
    let fixed: Vec<TypeId> = rules.iter().map(|r| b.intern_type(&r.class)).collect();
    let unlisted_type = b.intern_type(UNLISTED_CLASS);
    let mut r = RawSnapshot {
        node_type: Vec::with_capacity(cap),
        node_name: Vec::with_capacity(cap),
        node_edges: Vec::with_capacity(cap),
        node_detached: if det.is_some() {
            Vec::with_capacity(cap)
        } else {
            Vec::new()
        },
        edge_total: 0,
        shortcut: BitSet::new(0),
        no_propagation: BitSet::new(0),
        root_edges: Vec::new(),
        str_start: Vec::new(),
        str_len: Vec::new(),
        locations: Vec::new(),
        warnings: Vec::new(),
        meta,
    };
    let m = &r.meta;
    let ntypes = m.node_types.len() as u64;
    let fields = (m.n_type, m.n_name, m.n_id, m.n_size, m.n_edges);
    let array_at = c.pos();
    let mut nodes = NodeRecords {
        b,
        r: &mut r,
        name_refs,
        rules,
        fixed,
        ntypes,
        fields,
        det,
        edge_total: 0,
        unlisted_type,
        unlisted: 0,
    };
    read_records(c, nf, mode, "nodes", &mut nodes)?;
    let (edge_total, unlisted) = (nodes.edge_total, nodes.unlisted);
    let n = r.node_type.len() as u64;
    if unlisted > 0 {
        r.warnings.push(format!(
            "{unlisted} nodes have a type index beyond the {ntypes} of snapshot.meta.node_types \
             (an older V8); shown as {UNLISTED_CLASS}, as DevTools does"
        ));
    }
    // The nodes are those of the array, whatever `node_count` says, as DevTools' snapshot model
    // counts them (V8 always agrees; other writers of the format need not; see `parse_edges`).
    if let Some(want) = r.meta.node_count {
        if want != n {
            r.warnings.push(format!(
                "snapshot.node_count says {want} nodes, the nodes array holds {n}; \
                 read as the array says, as DevTools does"
            ));
        }
    }
    if n >= u64::from(u32::MAX) / nf as u64 {
        return Err(Fail::at(array_at, "fewer than 2^32 node fields"));
    }
    if edge_total >= u64::from(u32::MAX) {
        return Err(Fail::at(array_at, "fewer than 2^32 edges"));
    }
    r.edge_total = edge_total;
    Ok(r)
}

/// Edges: checked, given to the builder under their source node (found from the nodes'
/// edge counts), with the bits and root edges the post-passes need.
struct EdgeRecords<'a> {
    b: &'a mut GraphBuilder,
    name_refs: &'a mut MaxRef,
    node_edges: &'a [u32],
    shortcut_bits: &'a mut BitSet,
    no_prop_bits: &'a mut BitSet,
    root_edges: &'a mut Vec<(u8, u32)>,
    is_index: &'a [bool],
    no_prop: Vec<bool>,
    weak: Option<u64>,
    shortcut: Option<u64>,
    ntypes: u64,
    nf: u64,
    node_fields_total: u64,
    fields: (usize, usize, usize),
    declared: u64,
    /// edges done
    e: u64,
    /// the current source node
    src: usize,
    /// its edges not yet read
    src_left: u64,
    started: bool,
    /// edges past the sum of the nodes' edge counts (given to the last node, as DevTools does)
    extra: u64,
    /// edges whose type the meta does not list
    unlisted: u64,
}

impl Records for EdgeRecords<'_> {
    fn reserve(&mut self, records: usize) {
        self.b.reserve_edges(records);
        // The exact count, from the array's own text: room for every edge's bits.
        if records as u64 > self.declared {
            *self.shortcut_bits = BitSet::new(records);
            *self.no_prop_bits = BitSet::new(records);
        }
    }

    #[inline]
    fn take<F: Field>(&mut self, rec: &[F]) -> Scan<()> {
        let (t_at, n_at, to_at) = self.fields;
        let (declared, ntypes, nf, node_fields_total) =
            (self.declared, self.ntypes, self.nf, self.node_fields_total);
        let ty = rec[t_at].v();
        // An edge type the meta does not list is `undefined` to DevTools: neither weak nor
        // shortcut, named by a string (only element and hidden edges carry an index).
        if ty >= ntypes {
            self.unlisted += 1;
        }
        let to = rec[to_at].v();
        if to % nf != 0 || to >= node_fields_total {
            return Err(Fail::at(
                rec[to_at].at(),
                Expected::fmt(
                    "an edge to_node that is a multiple of {} below {} (found {})",
                    "",
                    &[nf as u64, node_fields_total as u64, to as u64],
                ),
            ));
        }
        let name = rec[n_at].v();
        let label = if self.is_index.get(ty as usize).copied().unwrap_or(false) {
            Label::Index(u32::try_from(name).unwrap_or(u32::MAX))
        } else {
            if name > MAX_STRING_INDEX {
                return Err(Fail::at(rec[n_at].at(), "an edge name index below 2^31"));
            }
            self.name_refs.note(name, rec[n_at].at());
            provisional_label(name as u32)
        };
        if self.e >= declared {
            // More edges than the nodes' edge counts add up to: DevTools' edge index ends the
            // last node's edges at the end of the array, so they are the last node's.
            let last = self.node_edges.len();
            if last == 0 {
                return Err(Fail::at(
                    rec[0].at(),
                    "no edges in a snapshot without nodes",
                ));
            }
            if !self.started || self.src != last - 1 {
                self.src = last - 1;
                self.started = true;
                self.b.begin_node(NodeIdx(self.src as u32));
            }
            self.src_left = 1;
            self.extra += 1;
        }
        // Find the source: the next node that still has edges to give.
        while self.src_left == 0 {
            if self.started {
                self.src += 1;
            }
            self.started = true;
            self.src_left = u64::from(self.node_edges.get(self.src).copied().unwrap_or(u32::MAX));
            if self.src_left > 0 {
                self.b.begin_node(NodeIdx(self.src as u32));
            }
        }
        self.src_left -= 1;
        let src = self.src;
        let e = self.e as usize;
        let to = (to / nf) as u32;
        let is_shortcut = Some(ty) == self.shortcut;
        let dropped = Some(ty) == self.weak || (is_shortcut && src != 0);
        self.b.edge_to_idx(NodeIdx(to), dropped, label);
        if is_shortcut {
            self.shortcut_bits.set(e);
        }
        if self.no_prop.get(ty as usize).copied().unwrap_or(false) {
            self.no_prop_bits.set(e);
        }
        if src == 0 {
            self.root_edges
                .push((if ty < ntypes { ty as u8 } else { UNLISTED }, to));
        }
        self.e += 1;
        Ok(())
    }
}

fn parse_edges(
    c: &mut Cursor<'_>,
    r: &mut RawSnapshot,
    b: &mut GraphBuilder,
    compat: Compat,
    name_refs: &mut MaxRef,
    mode: Mode,
) -> Scan<()> {
    let ef = r.meta.ef;
    let declared = r.edge_total;
    b.finish_nodes_without_index();
    if mode == Mode::Exact {
        b.reserve_edges((c.remaining() / (2 * ef)).min(declared as usize));
    }
    // The nodes' edge counts are untrusted: an edge takes at least 2 bytes per field, so the
    // bytes left bound the bits worth having. The parallel reader counts the edges first and
    // makes room for more if there are (`EdgeRecords::reserve`); the exact one, which runs
    // only when that one declined, makes room for as many as the bytes could hold.
    let bits = match mode {
        Mode::Parallel => (declared as usize).min(c.remaining() / (2 * ef)),
        Mode::Exact => c.remaining() / (2 * ef),
    };
    r.shortcut = BitSet::new(bits);
    r.no_propagation = BitSet::new(bits);
    let types = &r.meta.edge_types;
    let type_is = |name: &str| types.iter().position(|t| t == name).map(|p| p as u64);
    let mut edges = EdgeRecords {
        weak: type_is("weak"),
        shortcut: type_is("shortcut"),
        ntypes: types.len() as u64,
        no_prop: names::no_propagation_types(&r.meta, compat),
        nf: r.meta.nf as u64,
        node_fields_total: r.node_type.len() as u64 * r.meta.nf as u64,
        fields: (r.meta.e_type, r.meta.e_name, r.meta.e_to),
        is_index: &r.meta.edge_type_is_index,
        declared,
        b,
        name_refs,
        node_edges: &r.node_edges,
        shortcut_bits: &mut r.shortcut,
        no_prop_bits: &mut r.no_propagation,
        root_edges: &mut r.root_edges,
        e: 0,
        src: 0,
        src_left: 0,
        started: false,
        extra: 0,
        unlisted: 0,
    };
    read_records(c, ef, mode, "edges", &mut edges)?;
    let (e, extra, unlisted) = (edges.e, edges.extra, edges.unlisted);
    let ntypes = r.meta.edge_types.len();
    if unlisted > 0 {
        r.warnings.push(format!(
            "{unlisted} edges have a type index beyond the {ntypes} of snapshot.meta.edge_types; \
             read as strong, string-named edges, as DevTools does"
        ));
    }
    // The arrays are trusted, as DevTools' snapshot model does (`HeapSnapshot.ts`: `nodeCount`
    // and `edgeCount` are the arrays' lengths over the field counts, `firstEdgeIndexes` steps by
    // each node's edge_count and the last node's edges end at the array's end). (Its newest
    // loader sizes the arrays it parses into from `node_count` / `edge_count` and would pad or
    // cut a disagreeing array before the model sees it.)
    if e != declared {
        let how = if extra > 0 {
            format!("the last node has {extra} more")
        } else {
            "the nodes whose edges would lie past its end have fewer".to_owned()
        };
        r.warnings.push(format!(
            "the nodes' edge_count fields add up to {declared} edges, the edges array holds {e}; \
             {how}, as DevTools reads it"
        ));
    }
    if let Some(want) = r.meta.edge_count {
        if want != e {
            r.warnings.push(format!(
                "snapshot.edge_count says {want} edges, the edges array holds {e}; \
                 read as the array says, as DevTools does"
            ));
        }
    }
    Ok(())
}

fn resolve_locations<F: Field>(r: &RawSnapshot, raw: &[F]) -> Scan<Vec<[u32; 4]>> {
    let lf = &r.meta.location_fields;
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let pos = |n: &str| lf.iter().position(|f| f == n);
    let (Some(obj), Some(script), Some(line), Some(col)) = (
        pos("object_index"),
        pos("script_id"),
        pos("line"),
        pos("column"),
    ) else {
        return Err(Fail::at(
            raw[0].at(),
            "snapshot.meta.location_fields with object_index, script_id, line, column",
        ));
    };
    let w = lf.len();
    if raw.len() % w != 0 {
        return Err(Fail::at(
            raw[raw.len() - 1].at(),
            Expected::fmt("a multiple of {} values in \"locations\"", "", &[w as u64]),
        ));
    }
    let nf = r.meta.nf as u64;
    let total = r.node_count() as u64 * nf;
    let mut out = Vec::with_capacity(raw.len() / w);
    for rec in raw.chunks_exact(w) {
        let (o, at) = (rec[obj].v(), rec[obj].at());
        if o % nf != 0 || o >= total {
            return Err(Fail::at(
                at,
                Expected::fmt(
                    "a location object_index that is a multiple of {} below {}",
                    "",
                    &[nf as u64, total as u64],
                ),
            ));
        }
        let f = |i: usize| u32::try_from(rec[i].v()).unwrap_or(u32::MAX);
        out.push([(o / nf) as u32, f(script), f(line), f(col)]);
    }
    out.sort_unstable_by_key(|l| l[0]);
    Ok(out)
}
