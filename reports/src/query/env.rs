//! What the tables and functions of one query read: the [`Ctx`] and the lookup structures
//! built on demand for it (an id index, a reverse reference index), shared by all of them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use heapscope_graph::{NodeIdx, NodeKind, WEAK_BIT};

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

/// Referrers of each node: reverse CSR of edge positions (4 B per node + 4 B per edge).
pub struct Reverse {
    pub offsets: Vec<u32>,
    pub edges: Vec<u32>,
}

/// `dst = ?` lookups answered by a scan of the targets before the reverse index is built.
const SCANS_BEFORE_REVERSE: u32 = 2;

pub struct Env {
    pub ctx: Ctx<'static>,
    ids: OnceLock<IdIndex>,
    by_type: OnceLock<Vec<u32>>,
    reverse: OnceLock<Reverse>,
    dst_lookups: AtomicU32,
}

impl Env {
    /// # Safety
    /// The `Env` must not outlive what `ctx` borrows: [`super::run_with`] creates it, and
    /// the connection that holds it, inside one call that borrows `ctx`.
    pub unsafe fn new(ctx: &Ctx) -> Env {
        let ctx: Ctx<'static> = Ctx {
            a: &*(ctx.a as *const _),
            info: &*(ctx.info as *const _),
            insp: std::mem::transmute::<
                &dyn heapscope_graph::Inspector,
                &'static dyn heapscope_graph::Inspector,
            >(ctx.insp),
        };
        Env {
            ctx,
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
    /// needs no sorter over every row. A counting sort: 4 B per node, built once per query.
    pub fn by_type(&self) -> &[u32] {
        self.by_type.get_or_init(|| {
            let g = &self.ctx.a.graph;
            let types = g.types.len();
            let mut names: Vec<u32> = (0..types as u32).collect();
            names.sort_unstable_by(|&x, &y| {
                g.types.get(x).as_bytes().cmp(g.types.get(y).as_bytes())
            });
            let mut rank = vec![0u32; types];
            for (r, &t) in names.iter().enumerate() {
                rank[t as usize] = r as u32;
            }
            let mut start = vec![0u32; types + 1];
            for &t in g.type_of.iter() {
                if let Some(r) = rank.get(t as usize) {
                    start[*r as usize + 1] += 1;
                }
            }
            for r in 0..types {
                start[r + 1] += start[r];
            }
            let mut out = vec![0u32; start[types] as usize];
            for (v, &t) in g.type_of.iter().enumerate() {
                if let Some(&r) = rank.get(t as usize) {
                    out[start[r as usize] as usize] = v as u32;
                    start[r as usize] += 1;
                }
            }
            out
        })
    }

    /// The reverse index, once enough `dst = ?` lookups were asked to pay for it; `None`
    /// means: scan the targets this time.
    pub fn reverse(&self) -> Option<&Reverse> {
        if let Some(r) = self.reverse.get() {
            return Some(r);
        }
        if self.dst_lookups.fetch_add(1, Ordering::Relaxed) < SCANS_BEFORE_REVERSE {
            return None;
        }
        Some(self.reverse.get_or_init(|| {
            let g = &self.ctx.a.graph;
            let n = g.node_count();
            let mut offsets = vec![0u32; n + 1];
            for &t in g.targets.iter() {
                let v = (t & !WEAK_BIT) as usize;
                if v < n {
                    offsets[v + 1] += 1;
                }
            }
            for i in 0..n {
                offsets[i + 1] += offsets[i];
            }
            let mut fill = offsets.clone();
            let mut edges = vec![0u32; offsets[n] as usize];
            for (e, &t) in g.targets.iter().enumerate() {
                let v = (t & !WEAK_BIT) as usize;
                if v < n {
                    edges[fill[v] as usize] = e as u32;
                    fill[v] += 1;
                }
            }
            Reverse { offsets, edges }
        }))
    }
}
