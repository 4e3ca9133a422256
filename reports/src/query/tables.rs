//! The analysis as SQLite virtual tables (eponymous: `SELECT … FROM objects` needs no
//! `CREATE`). Cursors read the analysis' columns in place: a row is a position in them, a
//! cell is set straight from the column (text by reference; SQLite copies it), so nothing is
//! allocated per row. `xBestIndex` turns `id = ?`, `node = ?`, `type = ?` (objects) and
//! `src = ?`, `dst = ?` (refs) into lookups instead of scans.

use std::os::raw::c_int;
use std::sync::Arc;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::walks::{edge_source, path_between, Hop};
use heapscope_graph::{Label, NodeIdx, WEAK_BIT};
use rusqlite::types::Value;
use rusqlite::vtab::{
    eponymous_only_module, Context, IndexConstraintOp, IndexFlags, IndexInfo, VTab, VTabConfig,
    VTabConnection, VTabCursor, Values,
};
use rusqlite::{ffi, Connection, Error, Result};

use super::env::{kind_name, Env};
use crate::drill::parse_id;

pub fn register(conn: &Connection, env: &Arc<Env>) -> Result<()> {
    conn.create_module(
        "objects",
        eponymous_only_module::<ObjectsTab>(),
        Some(env.clone()),
    )?;
    conn.create_module(
        "refs",
        eponymous_only_module::<RefsTab>(),
        Some(env.clone()),
    )?;
    conn.create_module(
        "types",
        eponymous_only_module::<TypesTab>(),
        Some(env.clone()),
    )?;
    conn.create_module(
        "roots",
        eponymous_only_module::<RootsTab>(),
        Some(env.clone()),
    )?;
    conn.create_module(
        "paths",
        eponymous_only_module::<PathsTab>(),
        Some(env.clone()),
    )?;
    Ok(())
}

/// Most paths `paths(from, to)` gives: the shortest, then each next shortest that avoids the
/// objects inside the paths before it.
pub const MAX_PATHS: usize = 5;

/// An id as a query may give it: an integer, or text in `0x…` hex or decimal.
fn id_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Text(t) => parse_id(t).map(|x| x as i64),
        Value::Real(x) if x.fract() == 0.0 => Some(*x as i64),
        _ => None,
    }
}

/// The constraints `best_index` can use: `(constraint index, plan)` of the best usable
/// equality on one of `columns` (earlier entries are better plans).
fn pick_eq(info: &IndexInfo, columns: &[(c_int, c_int)]) -> Option<(usize, c_int)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, c) in info.constraints().enumerate() {
        if !c.is_usable() || c.operator() != IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ {
            continue;
        }
        if let Some(rank) = columns.iter().position(|&(col, _)| col == c.column()) {
            if best.is_none_or(|(_, r)| rank < r) {
                best = Some((i, rank));
            }
        }
    }
    best.map(|(i, rank)| (i, columns[rank].1))
}

/// Use constraint `i` as the filter's first argument (SQLite does not check it again).
fn use_constraint(info: &mut IndexInfo, i: usize) {
    let mut u = info.constraint_usage(i);
    u.set_argv_index(1);
    u.set_omit(true);
}

macro_rules! table {
    ($tab:ident, $cursor:ident, $schema:expr) => {
        #[repr(C)]
        struct $tab {
            base: ffi::sqlite3_vtab,
            env: Arc<Env>,
        }
        unsafe impl<'vtab> VTab<'vtab> for $tab {
            type Aux = Arc<Env>;
            type Cursor = $cursor<'vtab>;
            fn connect(
                db: &mut VTabConnection,
                aux: Option<&Arc<Env>>,
                _args: &[&[u8]],
            ) -> Result<(String, Self)> {
                let env = aux
                    .cloned()
                    .ok_or_else(|| Error::ModuleError("no analysis".into()))?;
                db.config(VTabConfig::Innocuous)?;
                Ok((
                    $schema.to_owned(),
                    $tab {
                        base: ffi::sqlite3_vtab::default(),
                        env,
                    },
                ))
            }
            fn best_index(&self, info: &mut IndexInfo) -> Result<()> {
                self.plan(info)
            }
            fn open(&'vtab mut self) -> Result<$cursor<'vtab>> {
                Ok($cursor::new(&self.env))
            }
        }
    };
}

// ---- objects ---------------------------------------------------------------------------

const OBJ_SCAN: c_int = 0;
const OBJ_ID: c_int = 1;
const OBJ_NODE: c_int = 2;
const OBJ_TYPE: c_int = 3;
/// Every node, in ascending (`OBJ_BY_TYPE`) or descending order of its type's name.
const OBJ_BY_TYPE: c_int = 4;
const OBJ_BY_TYPE_DESC: c_int = 5;

table!(
    ObjectsTab,
    ObjectsCursor,
    "CREATE TABLE x(id INTEGER, type TEXT, kind TEXT, shallow INTEGER, retained INTEGER, idom INTEGER, reachable INTEGER, node INTEGER)"
);

impl ObjectsTab {
    fn plan(&self, info: &mut IndexInfo) -> Result<()> {
        let n = self.env.node_count() as f64;
        // ORDER BY type (or GROUP BY type, which SQLite asks as an order): one term on `type`.
        let by_type = {
            let mut o = info.order_bys();
            match (o.next(), o.next()) {
                (Some(t), None) if t.column() == 1 => Some(t.is_order_by_desc()),
                _ => None,
            }
        };
        match pick_eq(info, &[(0, OBJ_ID), (7, OBJ_NODE), (1, OBJ_TYPE)]) {
            Some((i, plan)) => {
                use_constraint(info, i);
                info.set_idx_num(plan);
                if plan == OBJ_TYPE {
                    // A scan of the 4-byte type column, no row made for the others; every
                    // row has the one type, so any order by type holds.
                    let types = self.env.ctx.a.graph.types.len().max(1) as f64;
                    info.set_estimated_cost(n / 8.0 + n / types);
                    info.set_estimated_rows((n / types).ceil() as i64);
                    info.set_order_by_consumed(by_type.is_some());
                } else {
                    info.set_estimated_cost(1.0);
                    info.set_estimated_rows(1);
                    info.set_idx_flags(IndexFlags::SQLITE_INDEX_SCAN_UNIQUE);
                }
            }
            None => {
                // In type order when asked (`Env::by_type`), so SQLite neither sorts nor
                // groups every row through a sorter.
                info.set_idx_num(match by_type {
                    Some(false) => OBJ_BY_TYPE,
                    Some(true) => OBJ_BY_TYPE_DESC,
                    None => OBJ_SCAN,
                });
                info.set_order_by_consumed(by_type.is_some());
                info.set_estimated_cost(n);
                info.set_estimated_rows(n as i64);
            }
        }
        Ok(())
    }
}

#[repr(C)]
struct ObjectsCursor<'vtab> {
    base: ffi::sqlite3_vtab_cursor,
    env: &'vtab Env,
    cur: u32,
    end: u32,
    /// Only nodes of this type (`u32::MAX`: any).
    ty: u32,
    /// In type order: `cur` is a position in `Env::by_type` (from its end when descending)
    /// rather than a node.
    by_type: Option<(&'vtab [u32], bool)>,
}

impl<'vtab> ObjectsCursor<'vtab> {
    fn new(env: &'vtab Env) -> Self {
        ObjectsCursor {
            base: ffi::sqlite3_vtab_cursor::default(),
            env,
            cur: 0,
            end: 0,
            ty: u32::MAX,
            by_type: None,
        }
    }
    /// The node of the current row.
    #[inline]
    fn node(&self) -> u32 {
        match self.by_type {
            None => self.cur,
            Some((order, false)) => order[self.cur as usize],
            Some((order, true)) => order[order.len() - 1 - self.cur as usize],
        }
    }
    fn settle(&mut self) {
        if self.ty == u32::MAX {
            return;
        }
        let types = &self.env.ctx.a.graph.type_of;
        while self.cur < self.end && types[self.cur as usize] != self.ty {
            self.cur += 1;
        }
    }
}

unsafe impl VTabCursor for ObjectsCursor<'_> {
    fn filter(&mut self, plan: c_int, _: Option<&str>, args: &Values<'_>) -> Result<()> {
        let n = self.env.node_count() as u32;
        self.ty = u32::MAX;
        self.by_type = None;
        (self.cur, self.end) = (0, 0);
        match plan {
            OBJ_ID | OBJ_NODE => {
                let v: Value = args.get(0)?;
                let node = if plan == OBJ_ID {
                    id_arg(&v).and_then(|id| self.env.node_of(id)).map(|x| x.0)
                } else {
                    match v {
                        Value::Integer(i) if (0..n as i64).contains(&i) => Some(i as u32),
                        _ => None,
                    }
                };
                if let Some(x) = node {
                    (self.cur, self.end) = (x, x + 1);
                }
            }
            OBJ_TYPE => {
                let v: Value = args.get(0)?;
                let t = match &v {
                    Value::Text(t) => self.env.ctx.a.graph.types.lookup(t),
                    _ => None,
                };
                if let Some(t) = t {
                    (self.ty, self.end) = (t, n);
                    self.settle();
                }
            }
            OBJ_BY_TYPE | OBJ_BY_TYPE_DESC => {
                let order = self.env.by_type();
                self.by_type = Some((order, plan == OBJ_BY_TYPE_DESC));
                self.end = order.len() as u32;
            }
            _ => self.end = n,
        }
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        self.cur += 1;
        self.settle();
        Ok(())
    }
    fn eof(&self) -> bool {
        self.cur >= self.end
    }
    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let a = self.env.ctx.a;
        let g = &a.graph;
        let v = self.node();
        let n = NodeIdx(v);
        match i {
            0 => ctx.set_result(&self.env.sql_id(v)),
            1 => ctx.set_result(&g.type_name(n)),
            2 => ctx.set_result(&kind_name(g.kind(n))),
            3 => ctx.set_result(&(g.shallow[v as usize] as i64)),
            4 => ctx.set_result(&(a.retained[v as usize] as i64)),
            5 => ctx.set_result(&a.idom(n).map(|d| self.env.sql_id(d.0))),
            6 => ctx.set_result(&(a.dom.is_reachable(v) as i64)),
            _ => ctx.set_result(&(v as i64)),
        }
    }
    fn rowid(&self) -> Result<i64> {
        Ok(self.node() as i64)
    }
}

// ---- refs ------------------------------------------------------------------------------

const REF_SCAN: c_int = 0;
const REF_SRC: c_int = 1;
const REF_DST: c_int = 2;

table!(
    RefsTab,
    RefsCursor,
    "CREATE TABLE x(src INTEGER, dst INTEGER, label TEXT, weak INTEGER)"
);

impl RefsTab {
    fn plan(&self, info: &mut IndexInfo) -> Result<()> {
        let g = &self.env.ctx.a.graph;
        let (n, m) = (g.node_count().max(1) as f64, g.edge_count() as f64);
        match pick_eq(info, &[(0, REF_SRC), (1, REF_DST)]) {
            Some((i, plan)) => {
                use_constraint(info, i);
                info.set_idx_num(plan);
                // A referrer lookup scans the targets until the reverse index exists.
                info.set_estimated_cost(if plan == REF_SRC { 2.0 } else { 10.0 });
                info.set_estimated_rows((m / n).ceil() as i64 + 1);
            }
            None => {
                info.set_idx_num(REF_SCAN);
                info.set_estimated_cost(m.max(1.0) * 2.0);
                info.set_estimated_rows(m as i64);
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RefMode {
    /// Every edge in order (`src` tracked along).
    Scan,
    /// Edges whose target is `dst`, found by scanning the targets.
    DstScan(u32),
    /// Edges into this node listed in the reverse index, `pos..end` of its list.
    DstIndex(u32),
}

#[repr(C)]
struct RefsCursor<'vtab> {
    base: ffi::sqlite3_vtab_cursor,
    env: &'vtab Env,
    mode: RefMode,
    /// Current edge position (Scan, DstScan) or position in the reverse index (DstIndex).
    pos: usize,
    end: usize,
    /// Source node of the current edge.
    src: u32,
    /// `[i]` of an index label, written here (no allocation per row).
    buf: [u8; 16],
}

impl<'vtab> RefsCursor<'vtab> {
    fn new(env: &'vtab Env) -> Self {
        RefsCursor {
            base: ffi::sqlite3_vtab_cursor::default(),
            env,
            mode: RefMode::Scan,
            pos: 0,
            end: 0,
            src: 0,
            buf: [0; 16],
        }
    }
    fn edge(&self) -> usize {
        match self.mode {
            RefMode::DstIndex(n) => self
                .env
                .reverse()
                .and_then(|r| r.edges_into(NodeIdx(n)).get(self.pos))
                .map_or(0, |&e| e as usize),
            _ => self.pos,
        }
    }
    /// Move to the first edge at or after `pos` this cursor shows, and find its source.
    fn settle(&mut self) {
        let g = &self.env.ctx.a.graph;
        if let RefMode::DstScan(dst) = self.mode {
            while self.pos < self.end && g.targets[self.pos] & !WEAK_BIT != dst {
                self.pos += 1;
            }
        }
        if self.pos >= self.end {
            return;
        }
        match self.mode {
            RefMode::DstIndex(_) => self.src = edge_source(g, self.edge()).0,
            _ => {
                // Edges come in source order: move the source along.
                let e = self.pos as u32;
                while g.offsets[self.src as usize + 1] <= e {
                    self.src += 1;
                }
            }
        }
    }
}

unsafe impl VTabCursor for RefsCursor<'_> {
    fn filter(&mut self, plan: c_int, _: Option<&str>, args: &Values<'_>) -> Result<()> {
        let env = self.env;
        let g = &env.ctx.a.graph;
        (self.mode, self.pos, self.end, self.src) = (RefMode::Scan, 0, 0, 0);
        match plan {
            REF_SRC => {
                let v: Value = args.get(0)?;
                if let Some(n) = id_arg(&v).and_then(|id| env.node_of(id)) {
                    let r = g.edge_range(n);
                    (self.pos, self.end, self.src) = (r.start, r.end, n.0);
                }
            }
            REF_DST => {
                let v: Value = args.get(0)?;
                if let Some(n) = id_arg(&v).and_then(|id| env.node_of(id)) {
                    match env.reverse() {
                        Some(r) => {
                            self.mode = RefMode::DstIndex(n.0);
                            self.end = r.edges_into(n).len();
                        }
                        None => {
                            self.mode = RefMode::DstScan(n.0);
                            self.end = g.edge_count();
                        }
                    }
                }
            }
            _ => self.end = g.edge_count(),
        }
        self.settle();
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        self.pos += 1;
        self.settle();
        Ok(())
    }
    fn eof(&self) -> bool {
        self.pos >= self.end
    }
    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let g = &self.env.ctx.a.graph;
        let e = self.edge();
        match i {
            0 => ctx.set_result(&self.env.sql_id(self.src)),
            1 => ctx.set_result(&self.env.sql_id(g.targets[e] & !WEAK_BIT)),
            2 => match g.edge(e).label {
                Label::None => ctx.set_result(&Option::<i64>::None),
                Label::Name(l) => ctx.set_result(&g.labels.get(l.0)),
                Label::Index(k) => {
                    let mut buf = self.buf;
                    let len = {
                        use std::io::Write;
                        let mut w = &mut buf[..];
                        let _ = write!(w, "[{k}]");
                        16 - w.len()
                    };
                    ctx.set_result(&std::str::from_utf8(&buf[..len]).unwrap_or("[?]"))
                }
            },
            _ => ctx.set_result(&((g.targets[e] & WEAK_BIT != 0) as i64)),
        }
    }
    fn rowid(&self) -> Result<i64> {
        Ok(self.edge() as i64)
    }
}

// ---- types -----------------------------------------------------------------------------

table!(
    TypesTab,
    TypesCursor,
    "CREATE TABLE x(type TEXT, count INTEGER, shallow INTEGER, retained INTEGER)"
);

impl TypesTab {
    fn plan(&self, info: &mut IndexInfo) -> Result<()> {
        let rows = self.env.ctx.a.histogram.len() as f64;
        info.set_estimated_cost(rows.max(1.0));
        info.set_estimated_rows(rows as i64);
        Ok(())
    }
}

/// A cursor over a table of `len(env)` rows, a cell made by `column(env, row, ctx, i)`.
macro_rules! list_cursor {
    ($cursor:ident, $len:expr, $column:expr) => {
        #[repr(C)]
        struct $cursor<'vtab> {
            base: ffi::sqlite3_vtab_cursor,
            env: &'vtab Env,
            cur: usize,
        }

        impl<'vtab> $cursor<'vtab> {
            fn new(env: &'vtab Env) -> Self {
                $cursor {
                    base: ffi::sqlite3_vtab_cursor::default(),
                    env,
                    cur: 0,
                }
            }
        }

        unsafe impl VTabCursor for $cursor<'_> {
            fn filter(&mut self, _: c_int, _: Option<&str>, _: &Values<'_>) -> Result<()> {
                self.cur = 0;
                Ok(())
            }
            fn next(&mut self) -> Result<()> {
                self.cur += 1;
                Ok(())
            }
            fn eof(&self) -> bool {
                self.cur >= $len(self.env)
            }
            fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
                $column(self.env, self.cur, ctx, i)
            }
            fn rowid(&self) -> Result<i64> {
                Ok(self.cur as i64)
            }
        }
    };
}

list_cursor!(
    TypesCursor,
    |env: &Env| env.ctx.a.histogram.len(),
    |env: &Env, cur: usize, ctx: &mut Context, i: c_int| {
        let a = env.ctx.a;
        let r = &a.histogram[cur];
        match i {
            0 => ctx.set_result(&a.graph.types.get(r.type_id)),
            1 => ctx.set_result(&(r.count as i64)),
            2 => ctx.set_result(&(r.shallow as i64)),
            _ => ctx.set_result(&(r.retained as i64)),
        }
    }
);

// ---- roots -----------------------------------------------------------------------------

table!(
    RootsTab,
    RootsCursor,
    "CREATE TABLE x(id INTEGER, kind TEXT, via TEXT)"
);

impl RootsTab {
    fn plan(&self, info: &mut IndexInfo) -> Result<()> {
        let rows = self.env.ctx.a.graph.roots.len() as f64;
        info.set_estimated_cost(rows.max(1.0));
        info.set_estimated_rows(rows as i64);
        Ok(())
    }
}

list_cursor!(
    RootsCursor,
    |env: &Env| env.ctx.a.graph.roots.len(),
    |env: &Env, cur: usize, ctx: &mut Context, i: c_int| {
        let g = &env.ctx.a.graph;
        let r = &g.roots[cur];
        match i {
            0 => ctx.set_result(&env.sql_id(r.node.0)),
            1 => ctx.set_result(&g.root_kind_name(r)),
            _ => ctx.set_result(&(r.via != 0).then(|| g.labels.get(r.via))),
        }
    }
);

// ---- paths(from_id, to_id) -------------------------------------------------------------

table!(
    PathsTab,
    PathsCursor,
    "CREATE TABLE x(path INTEGER, step INTEGER, id INTEGER, type TEXT, via TEXT, weak INTEGER, from_id HIDDEN, to_id HIDDEN)"
);

const PATHS_FROM: c_int = 6;
const PATHS_TO: c_int = 7;

impl PathsTab {
    fn plan(&self, info: &mut IndexInfo) -> Result<()> {
        let (mut from, mut to) = (None, None);
        for (i, c) in info.constraints().enumerate() {
            if c.operator() != IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ {
                continue;
            }
            match (c.column(), c.is_usable()) {
                (PATHS_FROM, true) => from = Some(i),
                (PATHS_TO, true) => to = Some(i),
                _ => {}
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            // Both arguments are needed: `paths(from_id, to_id)`.
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_CONSTRAINT),
                None,
            ));
        };
        for (i, argv) in [(from, 1), (to, 2)] {
            let mut u = info.constraint_usage(i);
            u.set_argv_index(argv);
            u.set_omit(true);
        }
        info.set_estimated_cost(1000.0);
        info.set_estimated_rows(20);
        Ok(())
    }
}

#[repr(C)]
struct PathsCursor<'vtab> {
    base: ffi::sqlite3_vtab_cursor,
    env: &'vtab Env,
    /// (path number, hop)
    rows: Vec<(u32, Hop)>,
    /// Position of each row in its path.
    steps: Vec<u32>,
    cur: usize,
}

impl<'vtab> PathsCursor<'vtab> {
    fn new(env: &'vtab Env) -> Self {
        PathsCursor {
            base: ffi::sqlite3_vtab_cursor::default(),
            env,
            rows: Vec::new(),
            steps: Vec::new(),
            cur: 0,
        }
    }
}

unsafe impl VTabCursor for PathsCursor<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, args: &Values<'_>) -> Result<()> {
        self.rows.clear();
        self.steps.clear();
        self.cur = 0;
        let env = self.env;
        let node = |i: usize| -> Result<Option<NodeIdx>> {
            let v: Value = args.get(i)?;
            Ok(id_arg(&v).and_then(|id| env.node_of(id)))
        };
        let (Some(from), Some(to)) = (node(0)?, node(1)?) else {
            return Ok(());
        };
        let g = &env.ctx.a.graph;
        let mut avoid = BitSet::new(g.node_count());
        for p in 0..MAX_PATHS as u32 {
            let Some(hops) = path_between(g, from, to, &avoid) else {
                break;
            };
            let inner = hops.len().saturating_sub(1);
            for (k, h) in hops.iter().enumerate() {
                if k > 0 && k < inner {
                    avoid.set(h.node.ix());
                }
                self.rows.push((p, *h));
                self.steps.push(k as u32);
            }
            // A direct reference (or from = to) has no inside to avoid: no other path differs.
            if hops.len() <= 2 {
                break;
            }
        }
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        self.cur += 1;
        Ok(())
    }
    fn eof(&self) -> bool {
        self.cur >= self.rows.len()
    }
    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let g = &self.env.ctx.a.graph;
        let (p, h) = self.rows[self.cur];
        match i {
            0 => ctx.set_result(&(p as i64)),
            1 => ctx.set_result(&(self.steps[self.cur] as i64)),
            2 => ctx.set_result(&self.env.sql_id(h.node.0)),
            3 => ctx.set_result(&g.type_name(h.node)),
            4 => ctx.set_result(&h.edge.and_then(|e| g.label_text(g.edge(e).label))),
            5 => ctx.set_result(&h.edge.map(|e| g.edge(e).weak as i64)),
            _ => ctx.set_result(&Option::<i64>::None),
        }
    }
    fn rowid(&self) -> Result<i64> {
        Ok(self.cur as i64)
    }
}
