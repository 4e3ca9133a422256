//! The `nodes` array: each record checked, added to the graph builder with its kind, size and
//! (provisional) type, and kept in the raw columns; nodes whose type the meta does not list are
//! counted and named as DevTools names them.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{GraphBuilder, NodeKind, TypeId};

use super::records::{read_records, Field, Records};
use super::{
    provisional_type, u32_or, MaxRef, Meta, Mode, RawSnapshot, MARK_EVERY, MAX_STRING_INDEX,
    UNLISTED, UNLISTED_CLASS,
};
use crate::v8::names::{type_rule, Naming, TypeRule};
use crate::v8::par::IntArray;
use crate::v8::scan::{Cursor, Scan};
use crate::Fail;

/// Nodes: checked, added to the builder with kind and (provisional) type, and kept in the
/// raw columns.
struct NodeRecords<'a> {
    b: &'a mut GraphBuilder,
    r: &'a mut RawSnapshot,
    name_refs: &'a mut MaxRef,
    classes: Classes,
    ntypes: u64,
    fields: (usize, usize, usize, usize, usize),
    det: Option<usize>,
    edge_total: u64,
    /// Nodes whose type the meta does not list.
    unlisted: u64,
}

impl Records for NodeRecords<'_> {
    #[inline]
    fn take<F: Field>(&mut self, rec: &[F]) -> Scan<()> {
        self.note(rec)?;
        let (ty, kind) = self.classes.class(rec);
        let (i_at, s_at) = (self.fields.2, self.fields.3);
        self.b.add_node(rec[i_at].v(), ty, kind, rec[s_at].v());
        Ok(())
    }
}

/// What gives a node record its graph type and kind (read-only while the chunks are written).
struct Classes {
    rules: Vec<TypeRule>,
    fixed: Vec<TypeId>,
    /// The class of nodes whose type the meta does not list.
    unlisted: TypeId,
    /// Positions of `type` and `name` in a record.
    t_at: usize,
    n_at: usize,
}

impl Classes {
    /// The graph's type and kind of a node record.
    #[inline]
    fn class<F: Field>(&self, rec: &[F]) -> (TypeId, NodeKind) {
        let ty = rec[self.t_at].v();
        match usize::try_from(ty).ok().and_then(|t| self.rules.get(t)) {
            Some(rule) => {
                let t = match rule.naming {
                    Naming::Fixed => self.fixed[ty as usize],
                    // Below 2^31: checked by `NodeRecords::note`.
                    Naming::OwnName => provisional_type(rec[self.n_at].v() as u32),
                };
                (t, rule.kind)
            }
            // Older V8s write type indices their meta does not list (Node 8: `symbol`, 12,
            // with 12 types listed); DevTools opens such snapshots and names the nodes
            // `(undefined)`.
            None => (self.unlisted, NodeKind::Other),
        }
    }
}

impl NodeRecords<'_> {
    /// A node record checked and counted, and its raw columns (everything but the graph's).
    #[inline]
    fn note<F: Field>(&mut self, rec: &[F]) -> Scan<()> {
        let (t_at, n_at, _, _, e_at) = self.fields;
        let ty = rec[t_at].v();
        let name = rec[n_at].v();
        if name > MAX_STRING_INDEX {
            return Err(Fail::at(rec[n_at].at(), "a node name index below 2^31"));
        }
        self.name_refs.note(name, rec[n_at].at());
        let edges = rec[e_at].v();
        self.edge_total += edges;
        let raw_type = if ty < self.ntypes {
            ty as u8
        } else {
            self.unlisted += 1;
            UNLISTED
        };
        let r = &mut *self.r;
        if (r.node_type.len() as u64).is_multiple_of(MARK_EVERY) {
            r.node_marks.push(rec[0].at() as u64);
        }
        r.node_type.push(raw_type);
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

/// One chunk's share of the parallel node fill: its slots of the raw columns and what it noted.
struct NodeChunk<'s> {
    /// Node index of `types[0]`.
    first: u64,
    types: &'s mut [u8],
    edges: &'s mut [u32],
    detached: &'s mut [u8],
    /// The largest name string index + 1 (0: no node), a running max without a branch.
    max_name1: u64,
    edge_total: u64,
    unlisted: u64,
    marks: Vec<u64>,
}

impl NodeRecords<'_> {
    /// The `nodes` array on all cores, straight into the graph's node columns and the raw ones:
    /// the array's chunks are the runs of one [`GraphBuilder::add_nodes_parallel`] (so the
    /// columns are sized once, in spill files from the start when the builder grows them
    /// there), each chunk parsed where its run is written, with no block buffer. Reads and
    /// checks what [`take`](Records::take) does; declines (for the exact rerun) whatever that
    /// would report as an error. Returns the sum of the edge counts and the nodes of unlisted
    /// types.
    fn fill_parallel(&mut self, c: &mut Cursor<'_>) -> Scan<(u64, u64)> {
        let decline = || Fail::at(0, "nodes the parallel reader fills");
        let mut steps = crate::timing::Steps::start();
        let nf = self.r.meta.nf;
        let arr = IntArray::locate(c.input(), c.pos())?;
        steps.step("    nodes: locate");
        let bounds = arr.record_bounds(nf)?;
        let total = bounds[bounds.len() - 1] as usize;
        let r = &mut *self.r;
        r.node_type = vec![0; total];
        // One more: the parallel edge reader turns the column into CSR offsets in place. Made
        // zeroed (fresh pages from the allocator, no zeroing pass on this thread: the chunks'
        // writers fault them in on both cores) and cut to its length; the capacity stays.
        r.node_edges = vec![0; total + 1];
        r.node_edges.truncate(total);
        if self.det.is_some() {
            r.node_detached = vec![0; total];
        }
        let mut chunks = Vec::with_capacity(bounds.len());
        let (mut ty, mut ed, mut de) = (
            &mut r.node_type[..],
            &mut r.node_edges[..],
            &mut r.node_detached[..],
        );
        for w in bounds.windows(2) {
            let len = (w[1] - w[0]) as usize;
            let (t, rt) = std::mem::take(&mut ty).split_at_mut(len);
            let (e, re) = std::mem::take(&mut ed).split_at_mut(len);
            let (d, rd) = if self.det.is_some() {
                std::mem::take(&mut de).split_at_mut(len)
            } else {
                (&mut [][..], std::mem::take(&mut de))
            };
            chunks.push(std::sync::Mutex::new(NodeChunk {
                first: w[0],
                types: t,
                edges: e,
                detached: d,
                max_name1: 0,
                edge_total: 0,
                unlisted: 0,
                marks: Vec::new(),
            }));
            (ty, ed, de) = (rt, re, rd);
        }
        let counts: Vec<usize> = bounds.windows(2).map(|w| (w[1] - w[0]) as usize).collect();
        steps.step("    nodes: columns");
        let (classes, ntypes, det) = (&self.classes, self.ntypes, self.det);
        let (t_at, n_at, i_at, s_at, e_at) = self.fields;
        let done = self
            .b
            .add_nodes_parallel(&counts, |k, mut slots| -> Scan<()> {
                let mut guard = chunks[k].lock().map_err(|_| decline())?;
                let ch = &mut *guard;
                arr.chunk_records(&bounds, k, nf, |node, rec, at| {
                    let i = (node - ch.first) as usize;
                    let name = rec[n_at];
                    if name > MAX_STRING_INDEX {
                        return Err(decline());
                    }
                    ch.max_name1 = ch.max_name1.max(name + 1);
                    let edges = u32::try_from(rec[e_at]).map_err(|_| decline())?;
                    ch.edge_total += u64::from(edges);
                    let t = rec[t_at];
                    ch.types[i] = if t < ntypes {
                        t as u8
                    } else {
                        ch.unlisted += 1;
                        UNLISTED
                    };
                    ch.edges[i] = edges;
                    if let Some(d) = det {
                        ch.detached[i] = rec[d].min(255) as u8;
                    }
                    if node.is_multiple_of(MARK_EVERY) {
                        ch.marks.push(at as u64);
                    }
                    let (ty, kind) = classes.class(rec);
                    slots.set(i, rec[i_at], ty, kind, rec[s_at]);
                    Ok(())
                })
            });
        done.into_iter().collect::<Scan<()>>()?;
        steps.step("    nodes: fill");
        c.seek(arr.end());
        let (mut edge_total, mut unlisted) = (0u64, 0u64);
        let mut marks = Vec::new();
        for ch in chunks {
            let ch = ch.into_inner().map_err(|_| decline())?;
            if let Some(v) = ch.max_name1.checked_sub(1) {
                self.name_refs.note(v, 0);
            }
            edge_total += ch.edge_total;
            unlisted += ch.unlisted;
            marks.extend(ch.marks);
        }
        self.r.node_marks = marks;
        Ok((edge_total, unlisted))
    }
}

pub(super) fn parse_nodes(
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
        node_edges: Vec::with_capacity(cap),
        node_marks: Vec::new(),
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
        locations: Default::default(),
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
        classes: Classes {
            rules,
            fixed,
            unlisted: unlisted_type,
            t_at: fields.0,
            n_at: fields.1,
        },
        ntypes,
        fields,
        det,
        edge_total: 0,
        unlisted: 0,
    };
    let (edge_total, unlisted) = match mode {
        Mode::Exact => {
            read_records(c, nf, "nodes", &mut nodes)?;
            (nodes.edge_total, nodes.unlisted)
        }
        Mode::Parallel => nodes.fill_parallel(c)?,
    };
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
