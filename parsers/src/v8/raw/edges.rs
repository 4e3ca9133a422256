//! The `edges` array: each record checked and given to the graph builder under its source
//! node (found from the nodes' edge counts), with the `shortcut` and detachedness bits and the
//! synthetic root's edges the post-passes need.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::column::Staged;
use heapscope_graph::{GraphBuilder, Label, NodeIdx, WEAK_BIT};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

use super::records::{read_records, Field, Records};
use super::{provisional_label, MaxRef, Meta, Mode, RawSnapshot, MAX_STRING_INDEX, UNLISTED};
use crate::v8::names;
use crate::v8::par::IntArray;
use crate::v8::scan::{Cursor, Scan};
use crate::v8::Compat;
use crate::{Expected, Fail};

/// Edges: checked, given to the builder under their source node (found from the nodes'
/// edge counts), with the bits and root edges the post-passes need.
struct EdgeRecords<'a> {
    b: &'a mut GraphBuilder,
    name_refs: &'a mut MaxRef,
    node_edges: &'a [u32],
    shortcut_bits: &'a mut BitSet,
    no_prop_bits: &'a mut BitSet,
    root_edges: &'a mut Vec<(u8, u32)>,
    /// What each edge type index means ([`TypeBits`]); every index at or past the meta's
    /// types reads slot 255 ([`UNLISTED`]).
    type_bits: [u8; 256],
    ntypes: u64,
    /// `to_node / node_fields`, without a division instruction per edge.
    nf: ExactDiv,
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
    #[inline]
    fn take<F: Field>(&mut self, rec: &[F]) -> Scan<()> {
        let (t_at, n_at, to_at) = self.fields;
        let (declared, ntypes, node_fields_total) =
            (self.declared, self.ntypes, self.node_fields_total);
        let ty = rec[t_at].v();
        let bits = self.type_bits[ty.min(u64::from(UNLISTED)) as usize];
        // An edge type the meta does not list is `undefined` to DevTools: neither weak nor
        // shortcut, named by a string (only element and hidden edges carry an index).
        if ty >= ntypes {
            self.unlisted += 1;
        }
        let to = rec[to_at].v();
        let node = if to < node_fields_total {
            self.nf.exact(to)
        } else {
            None
        };
        let Some(to) = node else {
            return Err(Fail::at(
                rec[to_at].at(),
                Expected::fmt(
                    "an edge to_node that is a multiple of {} below {} (found {})",
                    "",
                    &[self.nf.d, node_fields_total, to],
                ),
            ));
        };
        let name = rec[n_at].v();
        let label = if bits & TypeBits::INDEX != 0 {
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
        // Below 2^32 node fields (checked when the nodes were read): below 2^32 nodes.
        let to = to as u32;
        let is_shortcut = bits & TypeBits::SHORTCUT != 0;
        let dropped = bits & TypeBits::WEAK != 0 || (is_shortcut && src != 0);
        self.b.edge_to_idx(NodeIdx(to), dropped, label);
        if is_shortcut {
            self.shortcut_bits.set(e);
        }
        if bits & TypeBits::NO_PROPAGATION != 0 {
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

/// Flags of an edge type, one byte per type index for the per-edge work.
struct TypeBits;

impl TypeBits {
    const INDEX: u8 = 1;
    const WEAK: u8 = 2;
    const SHORTCUT: u8 = 4;
    const NO_PROPAGATION: u8 = 8;
    /// The meta does not list this type index (every slot from the meta's type count on).
    const UNLISTED: u8 = 16;

    /// Slot `t` for edge type `t` of the meta; slot [`UNLISTED`] (and every slot past the
    /// meta's types) is only [`Self::UNLISTED`]: strong, string-named, propagating.
    fn table(meta: &Meta, compat: Compat) -> [u8; 256] {
        let no_prop = names::no_propagation_types(meta, compat);
        let mut table = [Self::UNLISTED; 256];
        for (t, name) in meta
            .edge_types
            .iter()
            .enumerate()
            .take(usize::from(UNLISTED))
        {
            let flag = |on: bool, bit: u8| if on { bit } else { 0 };
            table[t] = flag(meta.edge_type_is_index[t], Self::INDEX)
                | flag(name == "weak", Self::WEAK)
                | flag(name == "shortcut", Self::SHORTCUT)
                | flag(
                    no_prop.get(t).copied().unwrap_or(false),
                    Self::NO_PROPAGATION,
                );
        }
        table
    }
}

/// Exact division by a constant `d` of numbers below 2^32 with one multiplication (Lemire,
/// Kaser and Kurz, "Faster remainder by direct computation", 2019): `m = ⌊(2^64 - 1) / d⌋ + 1`;
/// `n / d` is the high word of `m · n`, and `d` divides `n` exactly when the low word is below
/// `m`. (A 64-bit `div` per edge cost more than the rest of the record's checks.)
#[derive(Clone, Copy)]
struct ExactDiv {
    d: u64,
    m: u64,
}

impl ExactDiv {
    fn new(d: u64) -> Self {
        // d = 1 (m would wrap to 0) and d = 0 take the plain path in `exact`.
        let m = if d > 1 { u64::MAX / d + 1 } else { 0 };
        ExactDiv { d, m }
    }

    /// `n / d` when `d` divides `n` (`n` below 2^32), else `None`.
    #[inline]
    fn exact(self, n: u64) -> Option<u64> {
        if self.m == 0 || n > u64::from(u32::MAX) {
            return n
                .checked_rem(self.d)
                .filter(|&r| r == 0)
                .map(|_| n / self.d);
        }
        let low = self.m.wrapping_mul(n);
        (low < self.m).then(|| ((u128::from(self.m) * u128::from(n)) >> 64) as u64)
    }
}

/// Read the `edges` array at the cursor. The parallel reader runs `tail(end)` beside its fill,
/// `end` being the position just after the array, and returns what it gave; the exact reader
/// never runs it (`None`).
pub(super) fn parse_edges<T: Send>(
    c: &mut Cursor<'_>,
    r: &mut RawSnapshot,
    b: &mut GraphBuilder,
    compat: Compat,
    name_refs: &mut MaxRef,
    mode: Mode,
    tail: impl FnOnce(usize) -> Scan<T> + Send,
) -> Scan<Option<T>> {
    let ef = r.meta.ef;
    let declared = r.edge_total;
    if mode == Mode::Parallel {
        return parse_edges_parallel(c, r, b, compat, name_refs, tail).map(Some);
    }
    b.finish_nodes_without_index();
    b.reserve_edges((c.remaining() / (2 * ef)).min(declared as usize));
    // The nodes' edge counts are untrusted: an edge takes at least 2 bytes per field, so the
    // bytes left bound the bits worth having. This reader runs only when the parallel one
    // declined: room for as many as the bytes could hold.
    let bits = c.remaining() / (2 * ef);
    r.shortcut = BitSet::new(bits);
    r.no_propagation = BitSet::new(bits);
    let mut edges = EdgeRecords {
        type_bits: TypeBits::table(&r.meta, compat),
        ntypes: r.meta.edge_types.len() as u64,
        nf: ExactDiv::new(r.meta.nf as u64),
        node_fields_total: r.node_type.len() as u64 * r.meta.nf as u64,
        fields: (r.meta.e_type, r.meta.e_name, r.meta.e_to),
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
    read_records(c, ef, "edges", &mut edges)?;
    let (e, extra, unlisted) = (edges.e, edges.extra, edges.unlisted);
    // Only the edges needed the nodes' edge counts.
    r.node_edges = Vec::new();
    warn_counts(r, e, extra, unlisted);
    Ok(None)
}

/// The warnings about counts that disagree (read as DevTools reads them).
fn warn_counts(r: &mut RawSnapshot, e: u64, extra: u64, unlisted: u64) {
    let declared = r.edge_total;
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
}

/// One chunk's share of the parallel edge fill: its slots of the CSR (written through
/// [`Staged`] buffers when they are in spill files) and what it noted.
struct EdgeChunk<'s> {
    /// Edge index of `targets[0]`.
    first: u64,
    targets: Staged<'s, u32>,
    labels: Staged<'s, u32>,
    keep_labels: bool,
    /// The largest string index of a label + 1 (0: none), a running max without a branch.
    max_name1: u64,
    unlisted: u64,
    root_edges: Vec<(u8, u32)>,
}

/// What an [`EdgeChunk`] noted, once its slots are written.
struct EdgeNotes {
    max_name: Option<u64>,
    unlisted: u64,
    root_edges: Vec<(u8, u32)>,
}

/// The `edges` array on all cores, straight into the graph's CSR: V8 groups a node's edges
/// in node order, so the nodes' edge counts are the CSR offsets (turned into them in place)
/// and each chunk of the array writes its edges' targets and labels where they belong, with
/// no buffer and no per-edge search for the source. Reads what [`EdgeRecords`] reads,
/// including counts that disagree with the array; declines (for the exact rerun) whatever
/// that would report as an error.
fn parse_edges_parallel<T: Send>(
    c: &mut Cursor<'_>,
    r: &mut RawSnapshot,
    b: &mut GraphBuilder,
    compat: Compat,
    name_refs: &mut MaxRef,
    tail: impl FnOnce(usize) -> Scan<T> + Send,
) -> Scan<T> {
    let decline = || Fail::at(0, "edges the parallel reader fills");
    let mut steps = crate::timing::Steps::start();
    let m = &r.meta;
    let (ef, declared) = (m.ef, r.edge_total);
    let arr = IntArray::locate(c.input(), c.pos())?;
    steps.step("    edges: locate");
    let ranges = arr.record_ranges(ef)?;
    let total = arr.values() / ef.max(1) as u64;
    let n = r.node_edges.len();
    if total >= u64::from(u32::MAX) || (n == 0 && total > 0) {
        return Err(decline());
    }
    // Offsets, as DevTools reads the counts: node i's edges start at the sum of the counts
    // before it (capped at the array's end); the last node's end at the array's end.
    let mut offsets = std::mem::take(&mut r.node_edges);
    let mut sum = 0u64;
    for o in offsets.iter_mut() {
        let count = u64::from(*o);
        *o = sum.min(total) as u32;
        sum += count;
    }
    offsets.push(total as u32);
    // The synthetic root's edges end here (with every edge when it is the only node).
    let root_end = u64::from(offsets.get(1).copied().unwrap_or(0));
    let type_bits = TypeBits::table(m, compat);
    let ntypes = m.edge_types.len() as u64;
    let nf = ExactDiv::new(m.nf as u64);
    let node_fields_total = n as u64 * m.nf as u64;
    let (t_at, n_at, to_at) = (m.e_type, m.e_name, m.e_to);
    let words = (total as usize).div_ceil(64);
    let shortcut: Vec<AtomicU64> = (0..words).map(|_| AtomicU64::new(0)).collect();
    let no_prop: Vec<AtomicU64> = (0..words).map(|_| AtomicU64::new(0)).collect();
    steps.step("    edges: offsets, bits");
    let (targets, labels, files) = b.edges_by_offsets_staged(offsets).ok_or_else(decline)?;
    steps.step("    edges: edges_by_offsets_staged");
    let keep_labels = !labels.is_empty() || total == 0;
    let mut chunks = Vec::with_capacity(ranges.len());
    let (mut tg, mut lb) = (targets, labels);
    for range in &ranges {
        let len = (range.end - range.start) as usize;
        let (t, rt) = std::mem::take(&mut tg).split_at_mut(len);
        let (l, rl) = if keep_labels {
            std::mem::take(&mut lb).split_at_mut(len)
        } else {
            (&mut [][..], std::mem::take(&mut lb))
        };
        let first = range.start as usize;
        chunks.push(EdgeChunk {
            first: range.start,
            targets: Staged::new(t, first, files[0].as_ref()),
            labels: Staged::new(l, first, files[1].as_ref()),
            keep_labels,
            max_name1: 0,
            unlisted: 0,
            root_edges: Vec::new(),
        });
        (tg, lb) = (rt, rl);
    }
    let set = |bits: &[AtomicU64], e: u64| {
        bits[(e / 64) as usize].fetch_or(1 << (e % 64), Ordering::Relaxed);
    };
    let bounds = arr.record_bounds(ef)?;
    let each = |ch: &mut EdgeChunk<'_>, e: u64, rec: &[u64]| -> Scan<()> {
        let ty = rec[t_at];
        let bits = type_bits[ty.min(u64::from(UNLISTED)) as usize];
        ch.unlisted += u64::from(bits & TypeBits::UNLISTED != 0);
        let to = rec[to_at];
        let to = if to < node_fields_total {
            nf.exact(to).ok_or_else(decline)?
        } else {
            return Err(decline());
        };
        let name = rec[n_at];
        let label = if bits & TypeBits::INDEX != 0 {
            Label::Index(u32::try_from(name).unwrap_or(u32::MAX))
        } else {
            if name > MAX_STRING_INDEX {
                return Err(decline());
            }
            ch.max_name1 = ch.max_name1.max(name + 1);
            provisional_label(name as u32)
        };
        let from_root = e < root_end;
        let is_shortcut = bits & TypeBits::SHORTCUT != 0;
        // Weak edges, and shortcut edges but the root's, do not retain.
        let not_retaining = if from_root {
            TypeBits::WEAK
        } else {
            TypeBits::WEAK | TypeBits::SHORTCUT
        };
        let dropped = bits & not_retaining != 0;
        // Below 2^32 node fields (checked when the nodes were read): below 2^32 nodes.
        let to = to as u32;
        let i = (e - ch.first) as usize;
        ch.targets.set(i, if dropped { to | WEAK_BIT } else { to });
        if ch.keep_labels {
            ch.labels.set(i, label.encode());
        }
        if is_shortcut {
            set(&shortcut, e);
        }
        if bits & TypeBits::NO_PROPAGATION != 0 {
            set(&no_prop, e);
        }
        if from_root {
            ch.root_edges
                .push((if ty < ntypes { ty as u8 } else { UNLISTED }, to));
        }
        Ok(())
    };
    // Each chunk's windows go to the files on its own thread (when its writers are dropped).
    let fill = || {
        chunks
            .into_par_iter()
            .enumerate()
            .map(|(k, mut ch)| {
                arr.chunk_records(&bounds, k, ef, |e, rec, _| each(&mut ch, e, rec))?;
                Ok(EdgeNotes {
                    max_name: ch.max_name1.checked_sub(1),
                    unlisted: ch.unlisted,
                    root_edges: ch.root_edges,
                })
            })
            .collect::<Scan<Vec<EdgeNotes>>>()
    };
    let fill = || {
        let mut t = crate::timing::Steps::start();
        let f = fill();
        t.step("    (beside the tail) edges fill");
        f
    };
    let end = arr.end();
    let (chunks, tail) = rayon::join(fill, || tail(end));
    let (chunks, tail) = (chunks?, tail?);
    steps.step("    edges: fill || tail");
    c.seek(arr.end());
    let mut unlisted = 0;
    for ch in chunks {
        if let Some(v) = ch.max_name {
            name_refs.note(v, 0);
        }
        unlisted += ch.unlisted;
        r.root_edges.extend(ch.root_edges);
    }
    let bits =
        |v: Vec<AtomicU64>| BitSet::from_words(v.into_iter().map(AtomicU64::into_inner).collect());
    r.shortcut = bits(shortcut);
    r.no_propagation = bits(no_prop);
    warn_counts(r, total, total.saturating_sub(declared), unlisted);
    steps.step("    edges: notes, bit sets");
    Ok(tail)
}

#[cfg(test)]
mod tests {
    use super::{ExactDiv, Meta, TypeBits, UNLISTED};
    use crate::v8::Compat;

    /// The table's [`TypeBits::UNLISTED`] flag, which the parallel reader counts, is set exactly
    /// where the exact reader counts an unlisted type (`type >= edge_types.len()`, looked up at
    /// `min(type, 255)`), and the other flags are those of the listed names.
    #[test]
    fn unlisted_flag_marks_the_types_the_meta_does_not_list() {
        let meta = br#"{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
            "node_types":[["hidden","object"],"string","number","number","number"],
            "edge_fields":["type","name_or_index","to_node"],
            "edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]}}"#;
        let meta = Meta::parse(meta, 0).unwrap();
        let ntypes = meta.edge_types.len() as u64;
        for compat in [Compat::DevTools, Compat::Memlab] {
            let table = TypeBits::table(&meta, compat);
            for ty in (0..300u64).chain([u64::from(u32::MAX), u64::MAX]) {
                let bits = table[ty.min(u64::from(UNLISTED)) as usize];
                assert_eq!(bits & TypeBits::UNLISTED != 0, ty >= ntypes, "type {ty}");
                if ty >= ntypes {
                    assert_eq!(bits, TypeBits::UNLISTED, "type {ty}: only the flag");
                }
            }
            let named = |name: &str| table[meta.edge_types.iter().position(|t| t == name).unwrap()];
            assert_eq!(
                named("weak") & (TypeBits::WEAK | TypeBits::SHORTCUT),
                TypeBits::WEAK
            );
            assert_eq!(
                named("shortcut") & (TypeBits::WEAK | TypeBits::SHORTCUT),
                TypeBits::SHORTCUT
            );
            assert_eq!(named("element") & TypeBits::INDEX, TypeBits::INDEX);
            assert_eq!(named("property") & (TypeBits::INDEX | TypeBits::WEAK), 0);
        }
    }

    #[test]
    fn exact_division_agrees_with_div_and_rem() {
        for d in 0..=70u64 {
            let div = ExactDiv::new(d);
            let near = |k: u64| [k.saturating_sub(1), k, k.saturating_add(1)];
            let mut ns: Vec<u64> = (0..1000).collect();
            for k in [
                1u64 << 31,
                u64::from(u32::MAX) / d.max(1) * d.max(1),
                1 << 32,
                u64::MAX,
            ] {
                ns.extend(near(k));
            }
            for n in ns {
                let want = (d != 0 && n % d == 0).then(|| n / d);
                assert_eq!(div.exact(n), want, "{n} / {d}");
            }
        }
    }
}
