//! The web UI of `heapscope serve` ([`crate::commands::serve`]): the dumps, opened once, and
//! one function from a request to a reply ([`App::handle`]), which the HTTP server
//! ([`http`]) calls for every request and tests can call directly.
//!
//! Pages are HTML rendered on the server ([`pages`]): the report, diff and trend pages are the
//! reports crate's own HTML (the `analyze`, `diff` and `trend` documents) with a navigation
//! bar; the object page is drawn from [`heapscope_reports::drill::ObjectAnswer`]. The dominator
//! tree, histogram, instances and query pages are small shells whose inline script asks the
//! JSON endpoints below and builds rows with `textContent` (never `innerHTML`), so nothing
//! from a dump is ever parsed as HTML; everything the server writes into HTML is escaped.
//!
//! | path | answer |
//! |---|---|
//! | `/api/children?d=&id=&sort=&order=&offset=&limit=` | [`heapscope_reports::drill::ChildrenAnswer`] (no `id`: the top of the tree; `sort`: `retained`, `shallow`, `children`) |
//! | `/api/object?d=&id=` | [`heapscope_reports::drill::ObjectAnswer`] |
//! | `/api/dumps` | [`DumpInfo`] of each dump |
//! | `/api/histogram?d=&filter=&sort=&order=&offset=&limit=` | [`HistogramPage`] |
//! | `/api/instances?d=&type=&filter=&sort=&order=&offset=&limit=` | [`InstancesPage`] |
//! | `POST /api/query?d=&limit=` (body: SQL) | the query engine's answer |
//!
//! `d` is the dump's position on the command line (0 first, the default). Every list is
//! capped ([`MAX_LIMIT`] rows a page) and says how many it left out; a bad parameter is a 400,
//! an unknown dump, object or type a 404, each with a message, never a panic.
//!
//! Objects are found by id, referrers listed and a type's instances gathered through the
//! dump's [`Lookup`] (built once, in the background), so no request scans the whole dump; a
//! filter by value reads at most [`MAX_FILTER_SCAN`] value previews and says so.

pub mod http;
pub mod lookup;
mod pages;

use std::sync::OnceLock;

use heapscope_graph::NodeIdx;
use heapscope_reports::drill::{self, ChildKey, ChildOrder, DrillError, ObjectLimits};
use heapscope_reports::model::NodeOut;
use heapscope_reports::Ctx;
use serde::Serialize;

use crate::session::Session;
use heapscope_reports::query::Prebuilt;
use lookup::Lookup;

/// Most rows in one page of any list.
pub const MAX_LIMIT: usize = 500;
/// Rows a page has when the request does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Most bytes of a request body (a query's SQL).
pub const MAX_BODY: usize = 64 * 1024;

/// Most instances whose value preview a filter reads in one request: a filter by value on a
/// type with millions of instances reads the first this many in the page's order and says so.
pub const MAX_FILTER_SCAN: usize = 100_000;

/// One loaded dump and what is built of it on first use.
struct Loaded {
    session: Session,
    report_html: OnceLock<String>,
    /// Objects by id, referrers, instances by type ([`Lookup`]): built in the background
    /// when the server starts ([`App::warm`]); a request that needs them first waits.
    lookup: OnceLock<Lookup>,
}

/// The dumps of one `heapscope serve`, kept for the server's life.
pub struct App {
    dumps: Vec<Loaded>,
    /// The diff (two dumps) or trend (three or more) page, built on first use.
    over_time: OnceLock<String>,
}

/// A reply: status, content type and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

const JSON: &str = "application/json";
const HTML: &str = "text/html; charset=utf-8";

impl Reply {
    fn json<T: Serialize>(v: &T) -> Reply {
        let body = match serde_json::to_value(v) {
            Ok(v) => heapscope_reports::render::json::to_json(&v),
            Err(e) => return Reply::error(true, 500, &format!("serialising the answer: {e}")),
        };
        Reply {
            status: 200,
            content_type: JSON,
            body,
        }
    }

    fn html(body: String) -> Reply {
        Reply {
            status: 200,
            content_type: HTML,
            body,
        }
    }

    /// An error as JSON (`{"error": "…"}`) for the API, as a page elsewhere.
    fn error(api: bool, status: u16, msg: &str) -> Reply {
        if api {
            Reply {
                status,
                content_type: JSON,
                body: format!(
                    "{}\n",
                    serde_json::json!({ "error": msg, "status": status })
                ),
            }
        } else {
            Reply {
                status,
                content_type: HTML,
                body: pages::error_page(status, msg),
            }
        }
    }
}

/// The query string's parameters.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Params {
        Params(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-negative integer parameter, `default` when absent, at most `max`.
    fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, (u16, String)> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n <= max => Ok(n),
                Ok(_) => Err((400, format!("{name}={v}: at most {max}"))),
                Err(_) => Err((
                    400,
                    format!("{name}={v:?}: expected a non-negative integer"),
                )),
            },
        }
    }

    /// One of `allowed` (the first when absent).
    fn choice(&self, name: &str, allowed: &[&'static str]) -> Result<&'static str, (u16, String)> {
        match self.get(name) {
            None | Some("") => Ok(allowed[0]),
            Some(v) => allowed.iter().find(|a| **a == v).copied().ok_or_else(|| {
                (
                    400,
                    format!("{name}={v:?}: expected one of {}", allowed.join(", ")),
                )
            }),
        }
    }
}

fn drill_error(e: DrillError) -> (u16, String) {
    let status = match e {
        DrillError::NotAnId(_) => 400,
        DrillError::NoObject(_) | DrillError::NoType { .. } => 404,
    };
    (status, e.to_string())
}

/// One histogram row (one type).
#[derive(Debug, Serialize)]
pub struct HistogramRow {
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: u64,
    pub shallow_bytes: u64,
    /// MAT's minimum retained size of all the type's instances.
    pub retained_bytes: u64,
    pub retained_share: f64,
}

/// One page of the type histogram, filtered and sorted on the server.
#[derive(Debug, Serialize)]
pub struct HistogramPage {
    /// Types in the dump.
    pub types: usize,
    /// Types whose name contains the filter (case-insensitive).
    pub matched: usize,
    pub sort: &'static str,
    pub order: &'static str,
    pub offset: usize,
    pub rows: Vec<HistogramRow>,
    pub left_out: usize,
}

/// One page of a type's instances, filtered and sorted on the server.
#[derive(Debug, Serialize)]
pub struct InstancesPage {
    #[serde(rename = "type")]
    pub type_name: String,
    /// Instances of the type.
    pub count: usize,
    /// Instances the filter looked at: all of them, or the first [`MAX_FILTER_SCAN`] in the
    /// page's order (then `matched` counts only among those).
    pub scanned: usize,
    /// Instances whose id or value preview contains the filter (case-insensitive).
    pub matched: usize,
    pub sort: &'static str,
    pub order: &'static str,
    pub offset: usize,
    pub instances: Vec<NodeOut>,
    pub left_out: usize,
}

/// One dump as the pages name it.
#[derive(Debug, Serialize)]
pub struct DumpInfo {
    pub index: usize,
    pub path: String,
    pub nodes: u64,
    pub reachable_bytes: u64,
    /// Its ids print as `0x…` hex (HPROF, Go, Python, call trees), else in decimal (V8).
    pub hex_ids: bool,
}

type Answer = Result<Reply, (u16, String)>;

impl App {
    pub fn new(sessions: Vec<Session>) -> App {
        App {
            dumps: sessions
                .into_iter()
                .map(|session| Loaded {
                    session,
                    report_html: OnceLock::new(),
                    lookup: OnceLock::new(),
                })
                .collect(),
            over_time: OnceLock::new(),
        }
    }

    /// Build every dump's [`Lookup`] now (the server calls this on a thread of its own once
    /// it listens, so the first object page does not wait for it).
    pub fn warm(&self) {
        crate::stats::stage("serve: listening");
        for d in 0..self.dumps.len() {
            self.lookup(d);
        }
        // HEAPSCOPE_STATS=1: the indexes' build time and memory.
        crate::stats::stage("serve: lookup indexes");
    }

    fn lookup(&self, d: usize) -> &Lookup {
        let l = &self.dumps[d];
        l.lookup.get_or_init(|| Lookup::build(&l.session.analysis))
    }

    fn infos(&self) -> Vec<DumpInfo> {
        self.dumps
            .iter()
            .enumerate()
            .map(|(index, l)| DumpInfo {
                index,
                path: l.session.meta.path.clone(),
                nodes: l.session.analysis.summary.nodes,
                reachable_bytes: l.session.analysis.summary.reachable_bytes,
                hex_ids: l.session.info.id_display == heapscope_graph::IdDisplay::Hex,
            })
            .collect()
    }

    /// Answer one request. `query` is the raw query string (without `?`).
    pub fn handle(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
        let api = path.starts_with("/api/");
        let p = Params::parse(query);
        let post = path == "/api/query";
        if (post && method != "POST") || (!post && method != "GET" && method != "HEAD") {
            return Reply::error(api, 405, &format!("{method} is not allowed on {path}"));
        }
        match self.route(path, &p, body) {
            Ok(r) => r,
            Err((status, msg)) => Reply::error(api, status, &msg),
        }
    }

    /// The dump the `d` parameter names.
    fn dump(&self, p: &Params) -> Result<(usize, &Session), (u16, String)> {
        let d = p.number("d", 0, usize::MAX)?;
        match self.dumps.get(d) {
            Some(l) => Ok((d, &l.session)),
            None => Err((
                404,
                format!(
                    "no dump {d}: this server has {} (0 to {})",
                    self.dumps.len(),
                    self.dumps.len() - 1
                ),
            )),
        }
    }

    fn route(&self, path: &str, p: &Params, body: &[u8]) -> Answer {
        let nav = |d: usize, active: &'static str| pages::Nav {
            dumps: self.infos(),
            current: d,
            active,
        };
        match path {
            "/" | "/report" => {
                let (d, s) = self.dump(p)?;
                let html = self.dumps[d]
                    .report_html
                    .get_or_init(|| pages::report_html(s, d));
                Ok(Reply::html(pages::with_nav(html, &nav(d, "report"))))
            }
            "/tree" => {
                let (d, _) = self.dump(p)?;
                Ok(Reply::html(pages::tree(&nav(d, "tree"))))
            }
            "/histogram" => {
                let (d, _) = self.dump(p)?;
                Ok(Reply::html(pages::histogram(&nav(d, "histogram"))))
            }
            "/instances" => {
                let (d, s) = self.dump(p)?;
                let t = p.get("type").unwrap_or_default();
                // The type must exist: a 404 with the names that are close, as the CLI says.
                type_of(&s.ctx(), t)?;
                Ok(Reply::html(pages::instances(&nav(d, "histogram"), t)))
            }
            "/object" => {
                let (d, s) = self.dump(p)?;
                let id = p.get("id").unwrap_or_default();
                let a = drill::object_with(&s.ctx(), self.lookup(d), id, &ObjectLimits::default())
                    .map_err(drill_error)?;
                Ok(Reply::html(pages::object(&nav(d, ""), &a)))
            }
            "/query" => {
                let (d, s) = self.dump(p)?;
                Ok(Reply::html(pages::query(
                    &nav(d, "query"),
                    p.get("q").unwrap_or_default(),
                    &query_examples(s),
                )))
            }
            "/diff" | "/trend" => {
                let want = if self.dumps.len() == 2 {
                    "/diff"
                } else {
                    "/trend"
                };
                if self.dumps.len() < 2 || path != want {
                    return Err((
                        404,
                        format!(
                            "{path} needs {} dumps; this server has {}",
                            if path == "/diff" {
                                "two"
                            } else {
                                "three or more"
                            },
                            self.dumps.len()
                        ),
                    ));
                }
                let html = self.over_time.get_or_init(|| self.over_time_html());
                Ok(Reply::html(pages::with_nav(html, &nav(0, "over-time"))))
            }
            "/api/dumps" => Ok(Reply::json(&self.infos())),
            "/api/children" => {
                let (d, s) = self.dump(p)?;
                let offset = p.number("offset", 0, usize::MAX)?;
                let limit = p.number("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
                let id = p.get("id").filter(|s| !s.is_empty());
                let key = match p.choice("sort", &["retained", "shallow", "children"])? {
                    "shallow" => ChildKey::Shallow,
                    "children" => ChildKey::Children,
                    _ => ChildKey::Retained,
                };
                let order = ChildOrder {
                    key,
                    descending: p.choice("order", &["desc", "asc"])? == "desc",
                };
                let a = drill::children_with(&s.ctx(), self.lookup(d), id, offset, limit, order)
                    .map_err(drill_error)?;
                Ok(Reply::json(&a))
            }
            "/api/object" => {
                let (d, s) = self.dump(p)?;
                let id = p.get("id").unwrap_or_default();
                let a = drill::object_with(&s.ctx(), self.lookup(d), id, &ObjectLimits::default())
                    .map_err(drill_error)?;
                Ok(Reply::json(&a))
            }
            "/api/histogram" => {
                let (_, s) = self.dump(p)?;
                Ok(Reply::json(&histogram_page(s, p)?))
            }
            "/api/instances" => {
                let (d, s) = self.dump(p)?;
                Ok(Reply::json(&instances_page(&s.ctx(), self.lookup(d), p)?))
            }
            "/api/query" => {
                let (d, s) = self.dump(p)?;
                let limit = p.number("limit", 200, 1000)?;
                let sql = std::str::from_utf8(body)
                    .map_err(|_| (400, "the query is not UTF-8 text".to_string()))?;
                // The dump's indexes, once built, serve the query too; before that the query
                // builds what it needs rather than wait for them.
                let lent = self.dumps[d]
                    .lookup
                    .get()
                    .map(Lookup::prebuilt)
                    .unwrap_or_default();
                query(s, sql, limit, lent)
            }
            _ => Err((404, format!("no page {path}"))),
        }
    }

    /// The diff (two dumps) or trend (three or more) report as a page.
    fn over_time_html(&self) -> String {
        use heapscope_reports::overtime::{
            build_diff, build_trend, render_diff, render_trend, summarize, DiffOptions,
            TrendOptions,
        };
        use heapscope_reports::render::OutputFormat;
        const ROWS: usize = 25;
        // A type name links to its instances in the last dump that has the type.
        let dump_of = |name: &str| {
            (0..self.dumps.len()).rev().find(|&d| {
                self.dumps[d]
                    .session
                    .analysis
                    .graph
                    .types
                    .lookup(name)
                    .is_some()
            })
        };
        if let [a, b] = &self.dumps[..] {
            let r = build_diff(a.session.dump(), b.session.dump(), &DiffOptions::default());
            return pages::link_types(&render_diff(&r, OutputFormat::Html, ROWS), dump_of);
        }
        let summaries: Vec<_> = self
            .dumps
            .iter()
            .map(|l| summarize(l.session.dump()))
            .collect();
        let last = &self.dumps[self.dumps.len() - 1].session;
        let memlab =
            crate::commands::trend::memlab_of(&summaries, last, None, &crate::progress::Silent, 50);
        let r = build_trend(
            &summaries,
            memlab,
            &TrendOptions {
                at: None,
                limit_bytes: None,
                rows: 500,
            },
        );
        pages::link_types(&render_trend(&r, OutputFormat::Html, ROWS), dump_of)
    }
}

/// The query page's examples: questions any dump answers, the object ones about the dump's
/// largest object.
fn query_examples(s: &Session) -> Vec<(&'static str, String)> {
    let mut ex = vec![
        (
            "Largest types",
            "SELECT type, count, shallow, retained FROM types ORDER BY retained DESC LIMIT 20"
                .to_string(),
        ),
        (
            "Largest objects",
            "SELECT id, type, retained FROM objects ORDER BY retained DESC LIMIT 20".to_string(),
        ),
        (
            "GC roots by kind",
            "SELECT kind, count(*) AS roots FROM roots GROUP BY kind ORDER BY roots DESC"
                .to_string(),
        ),
    ];
    // Java strings are objects of type java.lang.String; V8's have a kind of their own.
    let strings = if s.analysis.graph.types.lookup("java.lang.String").is_some() {
        "type = 'java.lang.String'"
    } else {
        "kind = 'string'"
    };
    ex.push((
        "Duplicate strings",
        format!(
            "SELECT value(id) AS text, count(*) AS copies, sum(shallow) AS bytes FROM objects \
WHERE {strings} GROUP BY text HAVING copies > 1 ORDER BY bytes DESC LIMIT 20"
        ),
    ));
    // The largest object is at the tree's top (a dominator retains at least its children).
    let a = &s.analysis;
    let top = a.dominated(None).iter().copied().max_by(|x, y| {
        a.retained[*x as usize]
            .cmp(&a.retained[*y as usize])
            .then(y.cmp(x))
    });
    if let Some(top) = top {
        let id = s.ctx().id_text(NodeIdx(top));
        ex.push((
            "Who references the largest object",
            format!("SELECT src, label, weak FROM refs WHERE dst = '{id}'"),
        ));
        ex.push((
            "Its path from a GC root",
            format!("SELECT path('{id}') AS path, holder('{id}') AS holder"),
        ));
    }
    ex
}

/// A query's answer ([`heapscope_reports::query::run_prebuilt`]); SQL it refuses is a 400
/// with its message.
fn query(s: &Session, sql: &str, limit: usize, lent: Prebuilt) -> Answer {
    let limits = heapscope_reports::query::Limits::rows(limit);
    match heapscope_reports::query::run_prebuilt(&s.ctx(), sql, &limits, lent) {
        Ok(a) => Ok(Reply::json(&a)),
        Err(e) => Err((400, e.to_string())),
    }
}

/// Order two rows by a key, descending or ascending.
fn ordered<K: Ord>(desc: bool, x: K, y: K) -> std::cmp::Ordering {
    if desc {
        y.cmp(&x)
    } else {
        x.cmp(&y)
    }
}

fn histogram_page(s: &Session, p: &Params) -> Result<HistogramPage, (u16, String)> {
    let sort = p.choice("sort", &["retained", "shallow", "count", "type"])?;
    let order = p.choice("order", &["desc", "asc"])?;
    let offset = p.number("offset", 0, usize::MAX)?;
    let limit = p.number("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let filter = p.get("filter").unwrap_or_default().to_lowercase();
    let a = &s.analysis;
    let g = &a.graph;
    let ctx = s.ctx();
    let name = |t: u32| g.types.get(t);
    let mut rows: Vec<&heapscope_graph::TypeRow> = a
        .histogram
        .iter()
        .filter(|r| filter.is_empty() || name(r.type_id).to_lowercase().contains(&filter))
        .collect();
    let desc = order == "desc";
    rows.sort_by(|x, y| {
        let by = match sort {
            "shallow" => ordered(desc, x.shallow, y.shallow),
            "count" => ordered(desc, x.count, y.count),
            "type" => ordered(desc, name(x.type_id), name(y.type_id)),
            _ => ordered(desc, x.retained, y.retained),
        };
        by.then(name(x.type_id).cmp(name(y.type_id)))
            .then(x.type_id.cmp(&y.type_id))
    });
    let matched = rows.len();
    let offset = offset.min(matched);
    let end = offset.saturating_add(limit).min(matched);
    Ok(HistogramPage {
        types: a.histogram.len(),
        matched,
        sort,
        order,
        offset,
        rows: rows[offset..end]
            .iter()
            .map(|r| HistogramRow {
                type_name: name(r.type_id).to_string(),
                count: r.count,
                shallow_bytes: r.shallow,
                retained_bytes: r.retained,
                retained_share: heapscope_reports::build::round6(ctx.share(r.retained)),
            })
            .collect(),
        left_out: matched - end,
    })
}

/// The type named `name` exactly as the histogram names it; else a 404 with the names that
/// are close (the message of `heapscope instances`).
fn type_of(c: &Ctx, name: &str) -> Result<u32, (u16, String)> {
    match c.a.graph.types.lookup(name) {
        Some(t) => Ok(t),
        None => Err(drill::instances(c, name, 0)
            .err()
            .map(drill_error)
            .unwrap_or((404, format!("no type {name:?}")))),
    }
}

fn instances_page(c: &Ctx, lk: &Lookup, p: &Params) -> Result<InstancesPage, (u16, String)> {
    let sort = p.choice("sort", &["retained", "shallow", "id"])?;
    let order = p.choice("order", &["desc", "asc"])?;
    let offset = p.number("offset", 0, usize::MAX)?;
    let limit = p.number("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let filter = p.get("filter").unwrap_or_default().to_lowercase();
    let type_name = p.get("type").unwrap_or_default();
    let a = c.a;
    let g = &a.graph;
    let t = type_of(c, type_name)?;
    let all = lk.instances_of(t);
    let count = all.len();
    // (key, node) pairs, read once in node order (the sort then touches no column): 16 B per
    // instance while the request runs. Descending keys are complemented, so every order is
    // ascending (key, node) and ties go by node index.
    let desc = order == "desc";
    let mut keyed: Vec<(u64, u32)> = all
        .iter()
        .map(|&v| {
            let k = match sort {
                "shallow" => g.shallow[v as usize],
                "id" => g.ids[v as usize],
                _ => a.retained[v as usize],
            };
            (if desc { u64::MAX - k } else { k }, v)
        })
        .collect();
    // Only the rows a page can show need to be in order: those up to its end, or with a
    // filter the first MAX_FILTER_SCAN it reads.
    let scanned = if filter.is_empty() {
        count
    } else {
        count.min(MAX_FILTER_SCAN)
    };
    let need = if filter.is_empty() {
        offset.saturating_add(limit).min(count)
    } else {
        scanned
    };
    if need > 0 && need < keyed.len() {
        keyed.select_nth_unstable(need - 1);
        keyed.truncate(need);
    }
    keyed.sort_unstable();
    let mut inst: Vec<u32> = keyed.into_iter().map(|(_, v)| v).collect();
    if !filter.is_empty() {
        // A value preview is one inspector read: read at most MAX_FILTER_SCAN of them, the
        // first in the page's order, and say how many were looked at.
        inst.retain(|&v| {
            let n = NodeIdx(v);
            c.id_text(n).to_lowercase().contains(&filter)
                || c.insp
                    .value_preview(g, n)
                    .is_some_and(|s| s.to_lowercase().contains(&filter))
        });
    }
    let matched = if filter.is_empty() { count } else { inst.len() };
    let offset = offset.min(matched);
    let end = offset.saturating_add(limit).min(matched);
    Ok(InstancesPage {
        type_name: type_name.to_string(),
        count,
        scanned,
        matched,
        sort,
        order,
        offset,
        instances: inst[offset..end]
            .iter()
            .map(|&v| c.node(NodeIdx(v)))
            .collect(),
        left_out: matched - end,
    })
}
