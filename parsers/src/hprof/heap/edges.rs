//! Pass 3 over the heap dump's segments, in parallel: each node's references in node order —
//! a class object's statics, superclass and loader; an instance's reference fields (the weak
//! `referent` included) and, for thread objects, their stack-local roots; object array elements.

use heapscope_graph::builder::EdgeSlots;
use heapscope_graph::{GraphBuilder, Label, LabelId, NodeIdx};

use super::{
    walk, Classes, CLASS_DUMP, INSTANCE_DUMP, OBJ_ARRAY_DUMP, PRIM_ARRAY_DUMP, PRIM_ARRAY_NODATA,
};
use crate::hprof::bytes::{id_at, Bytes};
use crate::Fail;

/// Extra references of thread objects: their stack-local roots, labelled with the frame.
pub struct ThreadLocals {
    /// (thread object id, end of its locals in `locals`), sorted by thread object id
    threads: Vec<(u64, usize)>,
    /// (local object id, label), grouped by thread object: 16 B per local (24 with the thread
    /// object's id beside each)
    locals: Vec<(u64, LabelId)>,
    /// A 4096-bit filter of the thread object ids (bit `(id >> 3) % 4096`): pass 3 asks it for
    /// every instance and searches `threads` only on a hit (a few dozen threads: ~1% of
    /// instances), rather than bisecting for each of tens of millions of instances.
    filter: Box<[u64; 64]>,
}

impl ThreadLocals {
    /// From `entries` sorted by their thread object id (`thread`), each made into a (local
    /// object id, label) by `local`, in the entries' room when they are 16 B as well.
    pub fn new<T>(
        entries: Vec<T>,
        thread: impl Fn(&T) -> u64,
        local: impl FnMut(T) -> (u64, LabelId),
    ) -> ThreadLocals {
        let mut filter = Box::new([0u64; 64]);
        let mut threads: Vec<(u64, usize)> = Vec::new();
        for (k, e) in entries.iter().enumerate() {
            let t = thread(e);
            match threads.last_mut() {
                Some(last) if last.0 == t => last.1 = k + 1,
                _ => {
                    let b = Self::bit(t);
                    filter[b / 64] |= 1 << (b % 64);
                    threads.push((t, k + 1));
                }
            }
        }
        let locals = entries.into_iter().map(local).collect();
        ThreadLocals {
            threads,
            locals,
            filter,
        }
    }

    #[inline]
    fn bit(id: u64) -> usize {
        ((id >> 3) % 4096) as usize
    }

    /// Each thread object with locals, and how many.
    pub fn counts(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.threads
            .iter()
            .enumerate()
            .map(|(k, &(t, end))| (t, end - self.start(k)))
    }

    fn start(&self, k: usize) -> usize {
        if k == 0 {
            0
        } else {
            self.threads[k - 1].1
        }
    }

    /// The (local object id, label) edges of the thread object `id`, in order.
    #[inline]
    fn of(&self, id: u64) -> &[(u64, LabelId)] {
        let b = Self::bit(id);
        if self.filter[b / 64] & (1 << (b % 64)) == 0 {
            return &[];
        }
        match self.threads.binary_search_by_key(&id, |t| t.0) {
            Ok(k) => &self.locals[self.start(k)..self.threads[k].1],
            Err(_) => &[],
        }
    }
}

/// Pass 3, in parallel over the segments: each node's references, in node order (the order of
/// pass 2). `runs[k]` is segment `k`'s node end and bound of references (thread locals included).
pub fn add_edges(
    b: &Bytes,
    segs: &[(usize, usize)],
    runs: &[(u32, usize)],
    classes: &Classes,
    builder: &mut GraphBuilder,
    locals: &ThreadLocals,
) -> Result<(), Fail> {
    let labels = (
        builder.intern_label("<super>"),
        builder.intern_label("<classloader>"),
        // interned only for dumps with hidden classes: the others' label tables stay as they were
        if classes.defs.iter().any(|c| c.hidden()) {
            builder.intern_label("<class>")
        } else {
            LabelId(0)
        },
    );
    let first_node = |k: usize| if k == 0 { 0 } else { runs[k - 1].0 };
    let done = builder.fill_edges_parallel(runs, |k, e: &mut EdgeSlots<'_>| -> Result<(), Fail> {
        let pass = Pass {
            b,
            classes,
            locals,
            labels,
        };
        if b.id == 8 {
            pass.segment::<8>(segs[k], first_node(k), e)
        } else {
            pass.segment::<4>(segs[k], first_node(k), e)
        }
    });
    done.into_iter().collect()
}

/// What pass 3 reads besides the segment: the class table, the thread locals and the labels of
/// a class object's `<super>` and `<classloader>` edges and of a hidden class's instance's
/// `<class>` edge.
struct Pass<'a> {
    b: &'a Bytes<'a>,
    classes: &'a Classes,
    locals: &'a ThreadLocals,
    labels: (LabelId, LabelId, LabelId),
}

impl Pass<'_> {
    /// The references of one segment's nodes, the first of which is `node`; ids of `ID` bytes.
    fn segment<const ID: usize>(
        &self,
        seg: (usize, usize),
        mut node: u32,
        e: &mut EdgeSlots<'_>,
    ) -> Result<(), Fail> {
        let (b, classes) = (self.b, self.classes);
        let d = b.data;
        let mut last: (u64, u32) = (0, u32::MAX);
        walk::<ID>(b, &[seg], |tag, at, end| {
            let body = at + 1;
            match tag {
                INSTANCE_DUMP => {
                    e.begin_node(NodeIdx(node));
                    node += 1;
                    let cid = id_at::<ID>(d, body + ID + 4).unwrap_or(0);
                    // `last` starts as (0, u32::MAX): a class id of 0 must not hit that placeholder (fuzz).
                    let ci = if cid == last.0 && last.1 != u32::MAX {
                        Some(last.1)
                    } else {
                        classes.by_id.get(cid)
                    };
                    if let Some(ci) = ci {
                        last = (cid, ci);
                        // the instance data: its stated length is `end - data`, so a slot read
                        // past it (a short INSTANCE DUMP) is `None`
                        let data = d.get(body + 2 * ID + 8..end).unwrap_or_default();
                        let c = &classes.defs[ci as usize];
                        for s in classes.slots_of(ci as usize) {
                            if let Some(target) = id_at::<ID>(data, s.off as usize) {
                                e.edge_to_id(target, s.weak, Label::Name(s.label));
                            }
                        }
                        // a hidden class lives as long as an instance does (no loader lists it)
                        if c.hidden() {
                            e.edge_to_id(c.id, false, Label::Name(self.labels.2));
                        }
                    }
                    let oid = id_at::<ID>(d, body).unwrap_or(0);
                    for l in self.locals.of(oid) {
                        e.edge_to_id(l.0, false, Label::Name(l.1));
                    }
                }
                OBJ_ARRAY_DUMP => {
                    e.begin_node(NodeIdx(node));
                    node += 1;
                    if let Some(s) = d.get(body + 2 * ID + 8..end) {
                        for (k, c) in s.chunks_exact(ID).enumerate() {
                            let target = id_at::<ID>(c, 0).unwrap_or(0);
                            if target != 0 {
                                e.edge_to_id(target, false, Label::Index(k as u32));
                            }
                        }
                    }
                }
                PRIM_ARRAY_DUMP | PRIM_ARRAY_NODATA => node += 1,
                CLASS_DUMP => {
                    e.begin_node(NodeIdx(node));
                    node += 1;
                    if let Some(ci) = classes.index(id_at::<ID>(d, body).unwrap_or(0)) {
                        for (off, label) in classes.statics_of(ci) {
                            e.edge_to_id(b.id(off).unwrap_or(0), false, Label::Name(label));
                        }
                        let c = &classes.defs[ci];
                        e.edge_to_id(c.super_id, false, Label::Name(self.labels.0));
                        e.edge_to_id(c.loader(b), false, Label::Name(self.labels.1));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(())
    }
}
