//! What the tables and functions of one query read: the [`Ctx`] and the lookup structures
//! built on demand for it (an id index, the nodes grouped by type, the in-edges), shared by
//! all of them. The last two are `heapscope_graph::inverse`'s, and a caller that keeps them
//! (`heapscope serve`) lends its own ([`Prebuilt`]).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use heapscope_graph::{NodeIdx, NodeKind, Predecessors, TypeBuckets};

use crate::build::Ctx;

/// The `kind` column's text of a node kind (the same names in `heapscope export`).
pub fn kind_name(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Object => "object",
        NodeKind::ObjectArray => "object_array",
        NodeKind::PrimitiveArray => "primitive_array",
        NodeKind::Class => "class",
        NodeKind::String => "string",
        NodeKind::Closure => "closure",
        NodeKind::Code => "code",
        NodeKind::Hidden => "hidden",
        NodeKind::Native => "native",
        NodeKind::Synthetic => "synthetic",
        NodeKind::Frame => "frame",
        NodeKind::Other => "other",
    }
}

/// Dump id → node: a binary search of the ids when they are ascending (HPROF and V8 write
/// them so), else of a permutation sorted by id (4 B per node, built once per query).
enum IdIndex {
    Sorted,
    Perm(Vec<u32>),
}

/// `dst = ?` lookups answered by a scan of the targets before the reverse index is built.
const SCANS_BEFORE_REVERSE: u32 = 2;

/// Structures a caller already holds for the dump, lent to a query instead of built for it.
#[derive(Clone, Copy, Default)]
pub struct Prebuilt<'a> {
    pub types: Option<&'a TypeBuckets>,
    pub preds: Option<&'a Predecessors>,
}

pub struct Env {
    pub ctx: Ctx<'static>,
    lent: Prebuilt<'static>,
    ids: OnceLock<IdIndex>,
    by_type: OnceLock<TypeBuckets>,
    reverse: OnceLock<Predecessors>,
    dst_lookups: AtomicU32,
}

impl Env {
    /// # Safety
    /// The `Env` must not outlive what `ctx` and `lent` borrow: [`super::run_prebuilt`]
    /// creates it, and the connection that holds it, inside one call that borrows both.
    pub unsafe fn new(ctx: &Ctx, lent: Prebuilt) -> Env {
        let ctx: Ctx<'static> = Ctx {
            a: &*(ctx.a as *const _),
            info: &*(ctx.info as *const _),
            insp: std::mem::transmute::<
                &dyn heapscope_graph::Inspector,
                &'static dyn heapscope_graph::Inspector,
            >(ctx.insp),
        };
        let lent = Prebuilt {
            types: lent.types.map(|t| &*(t as *const TypeBuckets)),
            preds: lent.preds.map(|p| &*(p as *const Predecessors)),
        };
        Env {
            ctx,
            lent,
            ids: OnceLock::new(),
            by_type: OnceLock::new(),
            reverse: OnceLock::new(),
            dst_lookups: AtomicU32::new(0),
        }
    }

    pub fn node_count(&self) -> usize {
        self.ctx.a.graph.node_count()
    }

    /// The dump's id of a node, as SQLite stores it (the same 64 bits).
    #[inline]
    pub fn sql_id(&self, n: u32) -> i64 {
        self.ctx.a.graph.ids[n as usize] as i64
    }

    /// The node with the dump id `id` (as SQLite gives it).
    pub fn node_of(&self, id: i64) -> Option<NodeIdx> {
        let ids = &self.ctx.a.graph.ids;
        let id = id as u64;
        let index = self.ids.get_or_init(|| {
            if ids.windows(2).all(|w| w[0] < w[1]) {
                IdIndex::Sorted
            } else {
                let mut p: Vec<u32> = (0..ids.len() as u32).collect();
                p.sort_unstable_by_key(|&i| ids[i as usize]);
                IdIndex::Perm(p)
            }
        });
        match index {
            IdIndex::Sorted => ids.binary_search(&id).ok().map(|p| NodeIdx(p as u32)),
            IdIndex::Perm(p) => {
                let at = p.partition_point(|&i| ids[i as usize] < id);
                p.get(at)
                    .filter(|&&i| ids[i as usize] == id)
                    .map(|&i| NodeIdx(i))
            }
        }
    }

    /// Every node, grouped by type, the groups in ascending order of the type's name (SQLite's
    /// binary collation, as `ORDER BY type` sorts), ascending index within a group: what an
    /// `objects` scan in type order walks, so that SQLite's `GROUP BY type` / `ORDER BY type`
    /// needs no sorter over every row. Lent, or built once per query ([`TypeBuckets`]).
    pub fn by_type(&self) -> &[u32] {
        match self.lent.types {
            Some(t) => t.in_name_order(),
            None => self
                .by_type
                .get_or_init(|| TypeBuckets::build(&self.ctx.a.graph))
                .in_name_order(),
        }
    }

    /// The reverse index, once enough `dst = ?` lookups were asked to pay for it; `None`
    /// means: scan the targets this time.
    pub fn reverse(&self) -> Option<&Predecessors> {
        if let Some(p) = self.lent.preds {
            return Some(p);
        }
        if let Some(r) = self.reverse.get() {
            return Some(r);
        }
        if self.dst_lookups.fetch_add(1, Ordering::Relaxed) < SCANS_BEFORE_REVERSE {
            return None;
        }
        Some(
            self.reverse
                .get_or_init(|| Predecessors::build(&self.ctx.a.graph)),
        )
    }
}
