//! Questions as queries: SQL over the analysis, in the spirit of Eclipse MAT's OQL.
//!
//! [`run`] answers one read-only SQL statement over a [`Ctx`] with SQLite (through
//! `rusqlite`): the analysis is exposed as virtual tables that read its columns in place
//! (memory-mapped from a saved index, or in memory after a parse), never copied into SQLite:
//!
//! - `objects(id, type, kind, shallow, retained, idom, reachable, node)`: one row per node;
//!   `WHERE id = ?`, `node = ?` and `type = ?` do not scan every row;
//! - `refs(src, dst, label, weak)`: one row per reference; `WHERE src = ?` reads one node's
//!   references, `WHERE dst = ?` its referrers (a scan of the reference targets for the first
//!   two lookups, then a reverse index built once for the query);
//! - `types(type, count, shallow, retained)`: the histogram (`retained`: MAT's minimum);
//! - `roots(id, kind, via)`: the GC roots;
//! - `paths(from_id, to_id)`: shortest reference paths between two objects, as rows.
//!
//! Functions: `field(id, name)`, `value(id)`, `path(id)`, `holder(id)`, the aggregates
//! `retained_set(id)` (exact) and `min_retained_set(id)` (MAT's minimum). `docs/query.md` is
//! the user's guide. Ids are the dump's own (a 64-bit id above 2^63, a call-tree hash, reads
//! as a negative integer with the same bits).
//!
//! A query cannot change anything: an authorizer allows reading and functions only (no
//! writes, `ATTACH`, `PRAGMA`, `load_extension`), the connection is `query_only`, and a
//! statement that is not read-only is refused before it runs. It is bounded: at most `limit`
//! rows are kept, a work budget (SQLite VM steps) stops a runaway query, and strings and blobs
//! are capped in length.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::build::Ctx;

mod env;
mod functions;
mod tables;

pub use env::{kind_name, Prebuilt};

/// One cell of an answer, as SQLite typed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// A blob (a primitive array's `value(id)`): its length and its first
    /// [`BLOB_SHOWN`] bytes in hex.
    Blob {
        bytes: u64,
        hex: String,
    },
}

/// Bytes of a blob shown in an answer.
pub const BLOB_SHOWN: usize = 64;
/// Characters of a text cell kept in an answer (longer ones end with `…`).
pub const TEXT_SHOWN: usize = 4096;

/// The answer to a query: its columns, the first rows, and how many rows it gave.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueryAnswer {
    /// The query as asked.
    pub query: String,
    pub columns: Vec<String>,
    /// At most `limit` rows, in the query's order.
    pub rows: Vec<Vec<Cell>>,
    /// Rows the query gave in all (a lower bound when `total_exact` is false).
    pub total_rows: u64,
    /// Rows were left out (`total_rows` > `rows.len()`).
    pub truncated: bool,
    /// `total_rows` is the full count (false when the work budget ran out while counting the
    /// rows past `limit`).
    pub total_exact: bool,
}

/// Why a query has no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// SQLite refused or failed the query: its message.
    Sql { query: String, message: String },
    /// The query would change something, or uses what a query may not (ATTACH, PRAGMA,
    /// load_extension).
    NotReadOnly { query: String, what: String },
    /// The query needed more work than the budget allows.
    TooMuchWork { query: String, budget: u64 },
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Sql { query, message } => write!(f, "query {query:?}: {message}"),
            QueryError::NotReadOnly { query, what } => write!(
                f,
                "query {query:?} is refused: a query may only read ({what} is not allowed)"
            ),
            QueryError::TooMuchWork { query, budget } => write!(
                f,
                "query {query:?} stopped: it needed more than {budget} SQLite steps (narrow it with WHERE on id, type, src or dst)"
            ),
        }
    }
}

impl std::error::Error for QueryError {}

/// Bounds on one query.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Rows kept in the answer.
    pub rows: usize,
    /// SQLite virtual-machine steps before the query is stopped (counted in blocks of
    /// [`STEP_BLOCK`]). Functions such as `retained_set` do their own walks beside it.
    pub steps: u64,
    /// Longest string or blob a query may build (SQLite's `SQLITE_LIMIT_LENGTH`).
    pub max_length: i32,
}

/// SQLite VM steps between two checks of the work budget.
pub const STEP_BLOCK: i32 = 10_000;

impl Limits {
    /// `rows` rows; a budget of 2·10^10 steps — about a minute of SQLite on one core, some
    /// hundreds of steps per object of a 45-million-object dump; strings up to 64 MiB.
    pub fn rows(rows: usize) -> Limits {
        Limits {
            rows,
            steps: 20_000_000_000,
            max_length: 64 << 20,
        }
    }
}

/// Answer one read-only SQL statement over the analysis, keeping at most `limit` rows.
pub fn run(ctx: &Ctx, sql: &str, limit: usize) -> Result<QueryAnswer, QueryError> {
    run_with(ctx, sql, &Limits::rows(limit))
}

/// [`run`] with every bound given.
pub fn run_with(ctx: &Ctx, sql: &str, limits: &Limits) -> Result<QueryAnswer, QueryError> {
    run_prebuilt(ctx, sql, limits, Prebuilt::default())
}

/// [`run_with`], reading the structures `lent` holds instead of building them for the query.
pub fn run_prebuilt(
    ctx: &Ctx,
    sql: &str,
    limits: &Limits,
    lent: Prebuilt,
) -> Result<QueryAnswer, QueryError> {
    let sql_err = |e: rusqlite::Error| QueryError::Sql {
        query: sql.to_string(),
        message: message(&e),
    };
    // The connection, every module and function registered on it, and every statement live
    // only inside this call, which borrows `ctx` and `lent`: what `Env` points to outlives
    // them all.
    let env = Arc::new(unsafe { env::Env::new(ctx, lent) });
    let conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_err)?;
    tables::register(&conn, &env).map_err(sql_err)?;
    functions::register(&conn, &env).map_err(sql_err)?;
    conn.execute_batch("PRAGMA query_only = 1")
        .map_err(sql_err)?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0);
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, limits.max_length);
    let refused: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let seen = refused.clone();
    conn.authorizer(Some(move |a: AuthContext<'_>| {
        let what = match a.action {
            AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => None,
            AuthAction::Function { function_name } => {
                let f = function_name.to_ascii_lowercase();
                (f == "load_extension").then(|| format!("the function {function_name}"))
            }
            AuthAction::Pragma { pragma_name, .. } => Some(format!("PRAGMA {pragma_name}")),
            AuthAction::Attach { .. } => Some("ATTACH".into()),
            AuthAction::Detach { .. } => Some("DETACH".into()),
            AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
                Some("a transaction".into())
            }
            AuthAction::Insert { .. } | AuthAction::Update { .. } | AuthAction::Delete { .. } => {
                Some("writing".into())
            }
            _ => Some("changing the schema".into()),
        };
        match what {
            None => Authorization::Allow,
            Some(w) => {
                if let Ok(mut r) = seen.lock() {
                    r.get_or_insert(w);
                }
                Authorization::Deny
            }
        }
    }));
    let steps = Arc::new(AtomicU64::new(0));
    let counted = steps.clone();
    let blocks = limits.steps / STEP_BLOCK as u64;
    conn.progress_handler(
        STEP_BLOCK,
        Some(move || counted.fetch_add(1, Ordering::Relaxed) >= blocks),
    );
    let refusal = |e: rusqlite::Error| -> QueryError {
        if let Ok(Some(what)) = refused.lock().map(|r| r.clone()) {
            return QueryError::NotReadOnly {
                query: sql.to_string(),
                what,
            };
        }
        if steps.load(Ordering::Relaxed) > blocks {
            return QueryError::TooMuchWork {
                query: sql.to_string(),
                budget: limits.steps,
            };
        }
        sql_err(e)
    };
    let mut batch = rusqlite::Batch::new(&conn, sql);
    let Some(mut stmt) = batch.next().map_err(refusal)? else {
        return Err(QueryError::Sql {
            query: sql.to_string(),
            message: "no statement".into(),
        });
    };
    if batch.next().map_err(refusal)?.is_some() {
        return Err(QueryError::Sql {
            query: sql.to_string(),
            message: "one statement at a time".into(),
        });
    }
    if !stmt.readonly() {
        return Err(QueryError::NotReadOnly {
            query: sql.to_string(),
            what: "a statement that writes".into(),
        });
    }
    let columns: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let n = columns.len();
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut total_exact = true;
    {
        let mut rows = stmt.query([]).map_err(refusal)?;
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    total += 1;
                    if out.len() < limits.rows {
                        out.push((0..n).map(|i| cell(row.get_ref(i).ok())).collect());
                    }
                }
                Ok(None) => break,
                // Out of budget while only counting what is left out: say so, keep the rows.
                Err(_) if out.len() >= limits.rows && steps.load(Ordering::Relaxed) > blocks => {
                    total_exact = false;
                    break;
                }
                Err(e) => return Err(refusal(e)),
            }
        }
    }
    drop(stmt);
    drop(conn);
    Ok(QueryAnswer {
        query: sql.to_string(),
        columns,
        truncated: total > out.len() as u64,
        rows: out,
        total_rows: total,
        total_exact,
    })
}

/// SQLite's message for an error (without rusqlite's wrapping).
fn message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

fn cell(v: Option<ValueRef<'_>>) -> Cell {
    match v {
        None | Some(ValueRef::Null) => Cell::Null,
        Some(ValueRef::Integer(i)) => Cell::Int(i),
        Some(ValueRef::Real(x)) => Cell::Real(x),
        Some(ValueRef::Text(t)) => {
            let s = String::from_utf8_lossy(t);
            match s.char_indices().nth(TEXT_SHOWN) {
                Some((at, _)) => Cell::Text(format!("{}…", &s[..at])),
                None => Cell::Text(s.into_owned()),
            }
        }
        Some(ValueRef::Blob(b)) => Cell::Blob {
            bytes: b.len() as u64,
            hex: b
                .iter()
                .take(BLOB_SHOWN)
                .map(|x| format!("{x:02x}"))
                .collect(),
        },
    }
}

/// The answer in a form: JSON (the model), or its document ([`crate::view::query`]) as text,
/// Markdown or an HTML page.
pub fn render(a: &QueryAnswer, format: crate::render::OutputFormat) -> String {
    use crate::render::{self, OutputFormat};
    match format {
        OutputFormat::Json => render::json::to_json(a),
        OutputFormat::Text => render::text::draw(&crate::view::query::query(a), false),
        OutputFormat::Markdown => render::markdown::draw(&crate::view::query::query(a)),
        OutputFormat::Html => render::html::draw(&crate::view::query::query(a)),
    }
}
