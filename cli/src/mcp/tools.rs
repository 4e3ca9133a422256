//! The tools: what each is called, says about itself and takes (the `tools/list` answer), and
//! what each answers (a bounded JSON text built from the reports crate's typed answers).

use std::sync::Arc;

use heapscope_graph::Model;
use heapscope_reports::drill::{self, ChildOrder, Finder, ObjectLimits, PathsAnswer};
use heapscope_reports::fmt::{pct, thousands};
use heapscope_reports::overtime::{build_diff, DiffOptions};
use heapscope_reports::query;
use heapscope_reports::{HistRow, SummaryOut, Suspect};
use rmcp::model::{Tool, ToolAnnotations};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::args::Args;
use super::bound::{finish, page, List, Rows};
use super::dumps::Dumps;
use crate::serve::lookup::Lookup;

/// `summary`: histogram rows.
const HISTOGRAM: Rows = Rows::new(20, 200);
/// `suspects`.
const SUSPECTS: Rows = Rows::new(5, 50);
/// `paths_to_roots`.
const PATHS: Rows = Rows::new(3, 20);
/// `instances`.
const INSTANCES: Rows = Rows::new(20, 200);
/// `dominator_children`.
const CHILDREN: Rows = Rows::new(20, 200);
/// `inspect_object`: rows of each of its lists.
const OBJECT: Rows = Rows::new(20, 100);
/// `run_query`.
const QUERY: Rows = Rows::new(50, 500);
/// `diff`: rows of each of its lists.
const DIFF: Rows = Rows::new(10, 100);
/// A path longer than this shows its first `PATH_HEAD` and last `PATH_TAIL` steps.
const PATH_HEAD: usize = 10;
const PATH_TAIL: usize = 30;
/// Rows of what accumulated below a suspect's accumulation point.
const ACCUMULATED: usize = 10;

const DUMP: &str = "The heap dump: a file path (absolute, or relative to the directory the server \
was started in) or an s3:// gs:// az:// https:// URL. Any format heapscope reads: Java HPROF \
(.hprof, .hprof.gz), V8/Node .heapsnapshot, pprof heap profiles, Go heap dumps, Python heap \
snapshots and tracemalloc snapshots (detected by content). Opened once, from its saved index \
(`heapscope index DUMP`) when a valid one exists, and kept open for later calls. May be omitted \
when the server was started with exactly one dump.";

const ID: &str = "The object's id exactly as heapscope prints it in the `id` fields of other \
answers: \"0x…\" hex (Java HPROF, Go, Python snapshots, call-tree nodes) or decimal (V8 \
.heapsnapshot; DevTools' \"@123\" is accepted).";

/// The `dump` property of a schema.
fn dump_prop() -> Value {
    json!({"type": "string", "description": DUMP})
}

fn limit_prop(rows: Rows, what: &str) -> Value {
    json!({
        "type": "integer", "minimum": 1, "maximum": rows.cap, "default": rows.default,
        "description": format!("Most {what} in this answer (default {}, at most {}; a larger \
            value is lowered to {}). The answer is also capped in bytes: its `left_out` notes say \
            what was not shown and how to get it.", rows.default, rows.cap, rows.cap)
    })
}

fn offset_prop(what: &str) -> Value {
    json!({
        "type": "integer", "minimum": 0, "default": 0,
        "description": format!("How many {what} to skip (paging: use the offset a `left_out` \
            note gives).")
    })
}

fn schema(props: Value, required: &[&str]) -> Arc<Map<String, Value>> {
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": false});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    match s {
        Value::Object(m) => Arc::new(m),
        _ => unreachable!("a schema is an object"),
    }
}

const BOUNDS: &str = "Every answer is one JSON object, at most the server's byte cap (16 KiB \
unless started with --max-bytes); its `left_out` array says in words what was not shown and how \
to ask for it (empty: nothing was left out).";

/// Every tool, as `tools/list` answers.
pub fn list() -> Vec<Tool> {
    let ro = ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    let tool = |name: &'static str, title: &str, desc: String, schema| {
        Tool::new(name, format!("{desc} {BOUNDS}"), schema)
            .with_title(title)
            .with_annotations(ro.clone())
    };
    vec![
        tool(
            "summary",
            "Heap dump summary",
            "Start here. Totals of one heap dump (objects, references, GC roots, total, reachable \
             and unreachable bytes), the type histogram sorted by retained size (a page of \
             `limit` rows from `offset`; each row: type, count, shallow_bytes, retained_bytes = \
             Eclipse MAT's minimum retained size of all its instances) and the verdict: how many \
             leak suspects the analysis found, a sentence, and the largest few (rank, title, \
             holder, retained bytes and share, accumulation point id). Same numbers as \
             `heapscope analyze --format json`."
                .into(),
            schema(
                json!({"dump": dump_prop(), "limit": limit_prop(HISTOGRAM, "histogram rows"),
                       "offset": offset_prop("histogram rows")}),
                &[],
            ),
        ),
        tool(
            "suspects",
            "Leak suspects",
            "The leak suspects of `heapscope analyze` (Eclipse MAT's method: what alone keeps \
             more than 10% of the reachable heap alive), largest first, each in full: rank, \
             title, kind, pattern, type, retained bytes and share, object count, accumulation \
             point (the object to inspect), holder (the field, variable or allocation site a \
             developer edits), path_to_root (from the GC root down to the accumulation point; \
             a path over 40 steps shows its first 10 and last 30 with an `{\"elided_steps\": N}` \
             element between), explanation, usual fix, and what accumulated below it (at most \
             10 rows). Suspects with `runtime_owned: true` are the runtime's own data, never an \
             application leak. Then use inspect_object, paths_to_roots or dominator_children \
             on the ids it gives."
                .into(),
            schema(
                json!({"dump": dump_prop(), "limit": limit_prop(SUSPECTS, "suspects"),
                       "offset": offset_prop("suspects")}),
                &[],
            ),
        ),
        tool(
            "dominator_children",
            "Dominator tree: what an object alone keeps alive",
            "One level of the dominator tree: the objects that `id` alone keeps alive (its \
             dominator children: freeing it frees each of them and everything below them), \
             largest retained size first, each with its own number of children (`children`: 0 \
             is a leaf) so you know which to expand next. Omit `id` for the top of the tree \
             (the children of the virtual root above all GC roots). `parent` is the object \
             asked about (null for the top), `total` its children in all."
                .into(),
            schema(
                json!({"dump": dump_prop(),
                       "id": {"type": "string", "description": format!("{ID} Omit it for the \
                           top of the tree.")},
                       "limit": limit_prop(CHILDREN, "children"),
                       "offset": offset_prop("children")}),
                &[],
            ),
        ),
        tool(
            "inspect_object",
            "Everything about one object",
            "One object in full: its id, type, shallow and retained bytes, retained share and \
             value preview; its kind (object, object_array, primitive_array, class, string, \
             closure, …); whether a GC root reaches it and the GC roots that are the object \
             itself; its fields with their values where the dump's format records them \
             (`fields` is null otherwise); the references it holds (`references`: via, weak, \
             target object); the objects that reference it (`referrers`, largest retained \
             first); its dominator chain (`dominators`, nearest first: what keeps it alive); \
             its shortest path from a GC root (`paths`); and its largest dominator children \
             (`children`, as dominator_children). Each list holds at most `limit` rows; the \
             `*_total` fields count them all."
                .into(),
            schema(
                json!({"dump": dump_prop(), "id": {"type": "string", "description": ID},
                       "limit": limit_prop(OBJECT, "rows of each list")}),
                &["id"],
            ),
        ),
        tool(
            "paths_to_roots",
            "Paths from GC roots to an object",
            format!(
                "Why an object is alive: paths from GC roots down to it, the shortest first, then \
                 the shortest through each other object that references it (as `heapscope path`). \
                 Each path is a list of steps from the root ({{id, type, via: the reference \
                 followed, root_kind on the first step, weak: true when a weak reference had to \
                 be used}}); a path over {} steps shows its first {PATH_HEAD} and last \
                 {PATH_TAIL} with an {{\"elided_steps\": N}} element between. `paths` is empty \
                 when no GC root reaches the object (garbage the dump still held). `total_paths` \
                 says how many paths there are.",
                PATH_HEAD + PATH_TAIL
            ),
            schema(
                json!({"dump": dump_prop(), "id": {"type": "string", "description": ID},
                       "limit": limit_prop(PATHS, "paths"), "offset": offset_prop("paths")}),
                &["id"],
            ),
        ),
        tool(
            "instances",
            "Instances of a type",
            "The instances of one type, largest retained size first (as `heapscope instances`): \
             the type's instance count and shallow bytes, then a page of instances (id, type, \
             shallow_bytes, retained_bytes, retained_share, value preview when the format has \
             one, e.g. a Java String's text). A type name that does not exist is an error that \
             lists the types whose names contain it."
                .into(),
            schema(
                json!({"dump": dump_prop(),
                       "type": {"type": "string", "description": "The type exactly as the \
                           histogram names it: a Java class (`java.util.HashMap`, `byte[]`), a \
                           JavaScript constructor, a Python `module.QualName`, a call-tree \
                           function or `file:line`."},
                       "limit": limit_prop(INSTANCES, "instances"),
                       "offset": offset_prop("instances")}),
                &["type"],
            ),
        ),
        tool(
            "run_query",
            "SQL over the heap",
            "Run one read-only SQL statement (SQLite dialect) over the dump's analysis, in the \
             spirit of Eclipse MAT's OQL. Tables: objects(id, type, kind, shallow, retained, \
             idom, reachable, node) one row per object (`idom`: id of its immediate dominator); \
             refs(src, dst, label, weak) one row per reference (`label`: field name, \"[i]\" for \
             an array element); types(type, count, shallow, retained) the histogram; roots(id, \
             kind, via) the GC roots; paths(from_id, to_id) shortest reference paths between \
             two objects. Functions: field(id, name), value(id), path(id), holder(id), and the \
             aggregates retained_set(id) (exact retained size of a set) and \
             min_retained_set(id). WHERE id = …, type = …, src = … or dst = … avoid scanning \
             every row. Ids are integers here (0x… hex ids as SQL hex literals, e.g. \
             0xfc08f0b8). Example: SELECT type, count, retained FROM types ORDER BY retained \
             DESC. Answers columns, rows (at most `limit`), total_rows (a lower bound when \
             total_exact is false). Page with LIMIT … OFFSET … in the SQL."
                .into(),
            schema(
                json!({"dump": dump_prop(),
                       "sql": {"type": "string", "description": "One read-only SQL statement \
                           (SELECT or WITH); writes, ATTACH and PRAGMA are refused."},
                       "limit": limit_prop(QUERY, "rows")}),
                &["sql"],
            ),
        ),
        tool(
            "diff",
            "What grew between two dumps",
            "Compare two dumps of the same program taken some time apart (as `heapscope diff \
             BASE TARGET`): `likely_leak` first (the grown groups above the noise floor, \
             largest growth first, each with its type, path signature, holder or callers, \
             growth_bytes, count_change and share_of_growth; for V8, new objects clustered by \
             retainer path), then verdicts, whole-dump totals, the per-type changes (`types`), \
             the most changed path groups (`paths`) and, where object ids are stable (V8), the \
             objects new in TARGET by type. Each list holds at most `limit` rows."
                .into(),
            schema(
                json!({"base": {"type": "string", "description": format!("The earlier dump. {DUMP}")},
                       "target": {"type": "string", "description": format!("The later dump. {DUMP}")},
                       "limit": limit_prop(DIFF, "rows of each list")}),
                &["base", "target"],
            ),
        ),
    ]
}

/// A tool's answer from the open dumps, its arguments and the byte cap.
type Answer = fn(&mut Dumps, &Args, usize) -> Result<String, String>;

/// Each tool's answer, by name.
const ANSWERS: &[(&str, Answer)] = &[
    ("summary", summary),
    ("suspects", suspects),
    ("dominator_children", dominator_children),
    ("inspect_object", inspect_object),
    ("paths_to_roots", paths_to_roots),
    ("instances", instances),
    ("run_query", run_query),
    ("diff", diff),
];

/// Run tool `name` with `args` (the names its input schema lists, no others): the answer's
/// JSON text, or the error's message.
pub fn call(
    d: &mut Dumps,
    name: &str,
    args: Map<String, Value>,
    max_bytes: usize,
) -> Result<String, String> {
    let tools = list();
    let found = tools.iter().find(|t| t.name == name);
    let answer = ANSWERS.iter().find(|(n, _)| *n == name);
    let (Some(tool), Some((_, answer))) = (found, answer) else {
        return Err(format!(
            "no tool named {name:?}; the tools are: {}",
            tools
                .iter()
                .map(|t| t.name.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let known: Vec<&str> = tool.input_schema["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    answer(d, &Args::new(name, args, &known)?, max_bytes)
}

/// The serialisation of a typed answer.
fn value<T: Serialize>(t: &T) -> Result<Value, String> {
    serde_json::to_value(t).map_err(|e| format!("internal error: serialising the answer: {e}"))
}

/// A page's offset argument.
fn offset(a: &Args) -> Result<usize, String> {
    Ok(a.uint("offset")?.unwrap_or(0).min(usize::MAX as u64) as usize)
}

/// `summary`'s answer.
#[derive(Serialize)]
struct SummaryAnswer<'a> {
    dump: &'a str,
    format: &'a str,
    /// `object graph` (who holds what) or `call tree` (where memory was allocated).
    model: &'static str,
    size_bytes: u64,
    summary: &'a SummaryOut,
    verdict: Verdict<'a>,
    histogram_total: usize,
    histogram_offset: usize,
    histogram: &'a [HistRow],
    warnings: &'a [String],
}

#[derive(Serialize)]
struct Verdict<'a> {
    /// Application suspects (not the runtime's own data).
    leak_suspects: usize,
    /// Suspects that are the runtime's own data.
    runtime_owned_suspects: usize,
    says: String,
    /// The largest few suspects, in one line each (`suspects` has them in full).
    largest: Vec<SuspectLine<'a>>,
}

#[derive(Serialize)]
struct SuspectLine<'a> {
    rank: u32,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder: Option<&'a str>,
    retained_bytes: u64,
    retained_share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    accumulation_point: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    runtime_owned: bool,
}

/// Suspects in the verdict.
const VERDICT_SUSPECTS: usize = 3;

fn summary(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let (limit, note) = HISTOGRAM.pick(a.uint("limit")?);
    let off = offset(a)?;
    let dump = d.resolve(a.str("dump")?)?;
    let r = d.get(&dump)?.report();
    let app = r.suspects.iter().filter(|s| !s.runtime_owned).count();
    let runtime = r.suspects.len() - app;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let says = match r.suspects.iter().find(|s| !s.runtime_owned) {
        Some(s) => format!(
            "{app} leak suspect{}; the largest retains {} of the reachable heap: {} \
             (call `suspects` for holders and paths)",
            plural(app),
            pct(s.retained_share),
            s.title
        ),
        None if runtime > 0 => format!(
            "no application leak suspect; {runtime} suspect{} that {} the runtime's own data",
            plural(runtime),
            if runtime == 1 { "is" } else { "are" }
        ),
        None => "no leak suspect: nothing retains more than 10% of the reachable heap".into(),
    };
    let answer = SummaryAnswer {
        dump: &r.input.path,
        format: &r.input.format,
        model: match r.input.model {
            Model::ObjectGraph => "object graph",
            Model::CallTree => "call tree",
        },
        size_bytes: r.input.size_bytes,
        summary: &r.summary,
        verdict: Verdict {
            leak_suspects: app,
            runtime_owned_suspects: runtime,
            says,
            largest: r
                .suspects
                .iter()
                .take(VERDICT_SUSPECTS)
                .map(|s| SuspectLine {
                    rank: s.rank,
                    title: &s.title,
                    holder: s.holder.as_deref(),
                    retained_bytes: s.retained_bytes,
                    retained_share: s.retained_share,
                    accumulation_point: s.accumulation_point.as_ref().map(|n| n.id.as_str()),
                    runtime_owned: s.runtime_owned,
                })
                .collect(),
        },
        histogram_total: r.histogram.len(),
        histogram_offset: off,
        histogram: page(&r.histogram, off, limit),
        warnings: page(&r.warnings, 0, limit),
    };
    let lists = [
        List::paged("/histogram", "types", r.histogram.len(), off),
        List::capped(
            "/warnings",
            "warnings",
            r.warnings.len(),
            HISTOGRAM.cap,
            "run `heapscope analyze` for all of them",
        ),
        List::capped(
            "/verdict/largest",
            "suspects",
            r.suspects.len(),
            VERDICT_SUSPECTS,
            "call `suspects` for all of them",
        ),
    ];
    Ok(finish(
        value(&answer)?,
        &lists,
        note.into_iter().collect(),
        max_bytes,
    ))
}

/// `suspects`' answer.
#[derive(Serialize)]
struct SuspectsAnswer<'a> {
    dump: &'a str,
    total: usize,
    offset: usize,
    suspects: &'a [Suspect],
}

fn suspects(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let (limit, note) = SUSPECTS.pick(a.uint("limit")?);
    let off = offset(a)?;
    let dump = d.resolve(a.str("dump")?)?;
    let r = d.get(&dump)?.report();
    let shown = page(&r.suspects, off, limit);
    let mut v = value(&SuspectsAnswer {
        dump: &r.input.path,
        total: r.suspects.len(),
        offset: off,
        suspects: shown,
    })?;
    let mut lists = vec![List::paged("/suspects", "suspects", r.suspects.len(), off)];
    let mut notes: Vec<String> = note.into_iter().collect();
    for (i, s) in shown.iter().enumerate() {
        let what = format!("suspect #{}", s.rank);
        for key in ["path_to_root", "stack"] {
            if let Some(steps) = v.pointer_mut(&format!("/suspects/{i}/{key}")) {
                notes.extend(elide(steps, &format!("{what}'s {key}")));
            }
        }
        if let Some(acc) = v
            .pointer_mut(&format!("/suspects/{i}/accumulated"))
            .and_then(Value::as_array_mut)
        {
            acc.truncate(ACCUMULATED);
            lists.push(List::capped(
                &format!("/suspects/{i}/accumulated"),
                "accumulated types",
                s.accumulated.len(),
                ACCUMULATED,
                "call `instances` with one of these types, or dominator_children of the accumulation point",
            ));
        }
    }
    Ok(finish(v, &lists, notes, max_bytes))
}

/// Shorten a path (a JSON array of steps) longer than `PATH_HEAD + PATH_TAIL` to its first and
/// last steps around one `{"elided_steps": N}`; the note saying so.
pub fn elide(steps: &mut Value, what: &str) -> Option<String> {
    let arr = steps.as_array_mut()?;
    let n = arr.len();
    if n <= PATH_HEAD + PATH_TAIL {
        return None;
    }
    let gone = n - PATH_HEAD - PATH_TAIL;
    arr.splice(PATH_HEAD..n - PATH_TAIL, [json!({ "elided_steps": gone })]);
    Some(format!(
        "{} steps in the middle of {what} not shown ({} in all; steps {}–{} elided)",
        thousands(gone as u64),
        thousands(n as u64),
        PATH_HEAD + 1,
        n - PATH_TAIL
    ))
}

fn paths_to_roots(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let id = a
        .id("id")?
        .ok_or("paths_to_roots: `id` is required: the object's id (\"0x1a2b\" or decimal)")?;
    let (limit, note) = PATHS.pick(a.uint("limit")?);
    let off = offset(a)?;
    let dump = d.resolve(a.str("dump")?)?;
    let o = d.get(&dump)?;
    let c = o.session.ctx();
    let lk = o.lookup();
    let n = lk.find(c.a, &id).map_err(|e| e.to_string())?;
    let all = drill::paths_to_with(c.a, lk, n, usize::MAX);
    let answer = PathsAnswer {
        object: c.node(n),
        paths: page(&all, off, limit).iter().map(|p| c.path(p)).collect(),
    };
    let mut v = value(&answer)?;
    let mut notes: Vec<String> = note.into_iter().collect();
    if let Some(paths) = v.get_mut("paths").and_then(Value::as_array_mut) {
        for (i, p) in paths.iter_mut().enumerate() {
            notes.extend(elide(p, &format!("path {}", off + i + 1)));
        }
    }
    if let Value::Object(m) = &mut v {
        m.insert("total_paths".into(), json!(all.len()));
        m.insert("offset".into(), json!(off));
    }
    let lists = [List::paged("/paths", "paths", all.len(), off)];
    Ok(finish(v, &lists, notes, max_bytes))
}

fn instances(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let ty = a.required("type", "the type's name exactly as the histogram names it")?;
    let (limit, note) = INSTANCES.pick(a.uint("limit")?);
    let off = offset(a)?;
    let dump = d.resolve(a.str("dump")?)?;
    let o = d.get(&dump)?;
    let mut answer = drill::instances(&o.session.ctx(), ty, off.saturating_add(limit))
        .map_err(|e| e.to_string())?;
    answer.instances.drain(..off.min(answer.instances.len()));
    let mut v = value(&answer)?;
    if let Value::Object(m) = &mut v {
        m.insert("offset".into(), json!(off));
    }
    let lists = [List::paged("/instances", "instances", answer.count, off)];
    Ok(finish(v, &lists, note.into_iter().collect(), max_bytes))
}

fn dominator_children(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let id = a.id("id")?;
    let (limit, note) = CHILDREN.pick(a.uint("limit")?);
    let off = offset(a)?;
    let dump = d.resolve(a.str("dump")?)?;
    let o = d.get(&dump)?;
    let answer = drill::children_with(
        &o.session.ctx(),
        o.lookup(),
        id.as_deref(),
        off,
        limit,
        ChildOrder::default(),
    )
    .map_err(|e| e.to_string())?;
    let mut v = value(&answer)?;
    if let Value::Object(m) = &mut v {
        // Said in words in `left_out` instead.
        m.remove("left_out");
    }
    let lists = [List::paged("/children", "children", answer.total, off)];
    Ok(finish(v, &lists, note.into_iter().collect(), max_bytes))
}

fn inspect_object(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let id = a
        .id("id")?
        .ok_or("inspect_object: `id` is required: the object's id (\"0x1a2b\" or decimal)")?;
    let (limit, note) = OBJECT.pick(a.uint("limit")?);
    let dump = d.resolve(a.str("dump")?)?;
    let o = d.get(&dump)?;
    let lim = ObjectLimits {
        fields: limit,
        references: limit,
        referrers: limit,
        dominators: limit,
        paths: 1,
        children: limit,
    };
    let answer =
        drill::object_with(&o.session.ctx(), o.lookup(), &id, &lim).map_err(|e| e.to_string())?;
    let mut v = value(&answer)?;
    let mut notes: Vec<String> = note.into_iter().collect();
    if let Some(p) = v.pointer_mut("/paths/0") {
        notes.extend(elide(p, "the shortest path"));
    }
    let more = "use run_query on the refs and objects tables for all of them";
    let lists = [
        List::capped("/fields", "fields", answer.fields_total, OBJECT.cap, more),
        List::capped(
            "/references",
            "references",
            answer.references_total,
            OBJECT.cap,
            more,
        ),
        List::capped(
            "/referrers",
            "referrers",
            answer.referrers_total,
            OBJECT.cap,
            more,
        ),
        List::capped(
            "/dominators",
            "dominators (farther from the object)",
            answer.dominators_total,
            OBJECT.cap,
            "follow the chain with inspect_object on the last one shown",
        ),
        List::capped(
            "/children/children",
            "dominator children",
            answer.children.total,
            OBJECT.cap,
            "page through them with dominator_children",
        ),
    ];
    Ok(finish(v, &lists, notes, max_bytes))
}

fn run_query(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let sql = a.required("sql", "one read-only SQL statement")?;
    let (limit, note) = QUERY.pick(a.uint("limit")?);
    let dump = d.resolve(a.str("dump")?)?;
    let o = d.get(&dump)?;
    // The dump's lookup indexes serve the query too once a tool built them; before that the
    // query builds only what it needs.
    let lent = o.built_lookup().map(Lookup::prebuilt).unwrap_or_default();
    let answer = query::run_prebuilt(&o.session.ctx(), sql, &query::Limits::rows(limit), lent)
        .map_err(|e| e.to_string())?;
    let v = value(&answer)?;
    let total = usize::try_from(answer.total_rows).unwrap_or(usize::MAX);
    let mut notes: Vec<String> = note.into_iter().collect();
    if !answer.total_exact {
        notes.push(format!(
            "the query gave at least {} rows (counting the rest ran out of work budget)",
            thousands(answer.total_rows)
        ));
    }
    let lists = [List {
        min: 1,
        ..List::capped(
            "/rows",
            "rows",
            total,
            QUERY.cap,
            "page with LIMIT … OFFSET … in the SQL, or aggregate (GROUP BY)",
        )
    }];
    Ok(finish(v, &lists, notes, max_bytes))
}

fn diff(d: &mut Dumps, a: &Args, max_bytes: usize) -> Result<String, String> {
    let what = "a dump file path or URL";
    let base = d.resolve(Some(a.required("base", what)?))?;
    let target = d.resolve(Some(a.required("target", what)?))?;
    let (limit, note) = DIFF.pick(a.uint("limit")?);
    let (b, t) = d.pair(&base, &target)?;
    let r = build_diff(b.session.dump(), t.session.dump(), &DiffOptions::default());
    let mut v = value(&r)?;
    let beyond = "run `heapscope diff BASE TARGET --format json` for every row";
    let mut lists = Vec::new();
    for (pointer, what) in [
        ("/likely_leak/suspects", "growth suspects"),
        (
            "/likely_leak/new_by_path",
            "retainer-path clusters of new objects",
        ),
        ("/types", "types"),
        ("/paths", "path groups"),
        ("/new_objects/by_type", "types of new objects"),
        ("/warnings", "warnings"),
    ] {
        if let Some(arr) = v.pointer_mut(pointer).and_then(Value::as_array_mut) {
            let total = arr.len();
            arr.truncate(limit);
            lists.push(List::capped(pointer, what, total, DIFF.cap, beyond));
        }
    }
    Ok(finish(v, &lists, note.into_iter().collect(), max_bytes))
}
