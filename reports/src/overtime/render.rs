//! Renderers of the over-time reports: text (terminal), JSON (`docs/overtime.schema.json`),
//! Markdown (to paste into a ticket) and self-contained HTML (to attach to one). All four read
//! the same model, so they always agree.

use std::fmt::Write;

use super::model::*;
use super::units::human_hours;
use crate::fmt::{human_bytes, thousands};

/// Output forms of `heapscope diff` and `heapscope trend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Text,
    Json,
    Markdown,
    Html,
}

impl Form {
    pub fn parse(s: &str) -> Option<Form> {
        match s {
            "text" => Some(Form::Text),
            "json" => Some(Form::Json),
            "markdown" | "md" => Some(Form::Markdown),
            "html" => Some(Form::Html),
            _ => None,
        }
    }
}

/// Render a diff; `rows` caps the rows of each table in text, Markdown and HTML (JSON has all).
pub fn render_diff(r: &DiffReport, form: Form, rows: usize) -> String {
    match form {
        Form::Json => json(r),
        Form::Text => diff_doc(r, rows).text(),
        Form::Markdown => diff_doc(r, rows).markdown(),
        Form::Html => diff_doc(r, rows).html(&format!("heapscope diff — {}", r.target.path)),
    }
}

/// Render a trend; `rows` caps the rows of each table in text, Markdown and HTML (JSON has all).
pub fn render_trend(r: &TrendReport, form: Form, rows: usize) -> String {
    match form {
        Form::Json => json(r),
        Form::Text => trend_doc(r, rows).text(),
        Form::Markdown => trend_doc(r, rows).markdown(),
        Form::Html => trend_doc(r, rows).html("heapscope trend"),
    }
}

fn json<T: serde::Serialize>(r: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// A signed size: `+1.5 MiB`, `-16 B`, `0 B`.
pub fn signed_bytes(v: i64) -> String {
    match v {
        0 => "0 B".into(),
        v if v > 0 => format!("+{}", human_bytes(v as u64)),
        v => format!("-{}", human_bytes(v.unsigned_abs())),
    }
}

/// A signed count: `+1,200`, `-3`, `0`.
pub fn signed_count(v: i64) -> String {
    match v {
        0 => "0".into(),
        v if v > 0 => format!("+{}", thousands(v as u64)),
        v => format!("-{}", thousands(v.unsigned_abs())),
    }
}

fn rate(v: f64, unit: &str) -> String {
    let b = human_bytes(v.abs().round() as u64);
    if v < 0.0 {
        format!("-{b}/{unit}")
    } else {
        format!("{b}/{unit}")
    }
}

/// A format-neutral document: headings, paragraphs, tables, lists. Each renderer lays it out.
struct Doc {
    title: String,
    blocks: Vec<Block>,
}

enum Block {
    Heading(String),
    Para(String),
    /// Header, right-aligned columns, rows.
    Table(Vec<String>, Vec<bool>, Vec<Vec<String>>),
    List(Vec<String>),
}

impl Doc {
    fn new(title: String) -> Doc {
        Doc {
            title,
            blocks: Vec::new(),
        }
    }
    fn h(&mut self, s: impl Into<String>) {
        self.blocks.push(Block::Heading(s.into()));
    }
    fn p(&mut self, s: impl Into<String>) {
        self.blocks.push(Block::Para(s.into()));
    }
    fn table(&mut self, head: &[&str], right: &[bool], rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(
            head.iter().map(|s| s.to_string()).collect(),
            right.to_vec(),
            rows,
        ));
    }
    fn list(&mut self, items: Vec<String>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }

    fn text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", self.title);
        for b in &self.blocks {
            match b {
                Block::Heading(h) => {
                    let _ = writeln!(o, "\n{}", h.to_uppercase());
                }
                Block::Para(p) => {
                    let _ = writeln!(o, "{p}");
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(o, "  - {i}");
                    }
                }
                Block::Table(head, right, rows) => {
                    let cols = head.len();
                    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
                    for r in rows {
                        for (c, cell) in r.iter().enumerate().take(cols) {
                            w[c] = w[c].max(cell.chars().count());
                        }
                    }
                    let line = |cells: &[String]| -> String {
                        let mut s = String::new();
                        for (c, cell) in cells.iter().enumerate().take(cols) {
                            let last = c + 1 == cols;
                            let pad = w[c].saturating_sub(cell.chars().count());
                            if c > 0 {
                                s.push_str("  ");
                            }
                            if right[c] {
                                s.push_str(&" ".repeat(pad));
                                s.push_str(cell);
                            } else {
                                s.push_str(cell);
                                if !last {
                                    s.push_str(&" ".repeat(pad));
                                }
                            }
                        }
                        s
                    };
                    let _ = writeln!(o, "{}", line(head));
                    for r in rows {
                        let _ = writeln!(o, "{}", line(r));
                    }
                }
            }
        }
        o
    }

    fn markdown(&self) -> String {
        use crate::render::markdown::{escape, table, Align};
        let mut o = String::new();
        let _ = writeln!(o, "# {}\n", escape(&self.title));
        for b in &self.blocks {
            match b {
                Block::Heading(h) => {
                    let _ = writeln!(o, "## {}\n", escape(h));
                }
                Block::Para(p) => {
                    let _ = writeln!(o, "{}\n", escape(p));
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(o, "- {}", escape(i));
                    }
                    o.push('\n');
                }
                Block::Table(head, right, rows) => {
                    let h: Vec<(&str, Align)> = head
                        .iter()
                        .zip(right)
                        .map(|(h, &r)| (h.as_str(), if r { Align::Right } else { Align::Left }))
                        .collect();
                    let body: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| r.iter().map(|c| escape(c)).collect())
                        .collect();
                    o.push_str(&table(&h, &body));
                    o.push('\n');
                }
            }
        }
        o
    }

    fn html(&self, page_title: &str) -> String {
        use crate::render::html::{escape, page, Cell, Table};
        let mut o = String::new();
        let _ = writeln!(o, "<h1>{}</h1>", escape(&self.title));
        for b in &self.blocks {
            match b {
                Block::Heading(h) => {
                    let _ = writeln!(o, "<h2>{}</h2>", escape(h));
                }
                Block::Para(p) => {
                    let _ = writeln!(o, "<p>{}</p>", escape(p));
                }
                Block::List(items) => {
                    o.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(o, "<li>{}</li>", escape(i));
                    }
                    o.push_str("</ul>\n");
                }
                Block::Table(head, right, rows) => {
                    // `Table` takes static header labels; ours are built per report, so the
                    // header row is written here and the body through `Table`'s cells.
                    let mut t = Table::new(&[]);
                    for r in rows {
                        t.push(
                            r.iter()
                                .zip(right)
                                .map(|(c, &num)| Cell {
                                    html: escape(c),
                                    sort: None,
                                    class: if num { "num" } else { "" },
                                })
                                .collect(),
                        );
                    }
                    let body = t.to_html();
                    let mut head_html = String::from("<tr>");
                    for (h, &num) in head.iter().zip(right) {
                        let _ = write!(
                            head_html,
                            "<th{}>{}</th>",
                            if num { " class=\"num\"" } else { "" },
                            escape(h)
                        );
                    }
                    head_html.push_str("</tr>");
                    o.push_str(&body.replacen("<tr></tr>", &head_html, 1));
                }
            }
        }
        page(page_title, &o)
    }
}

/// What a report with no verdict says: a trend has judged every row; a diff of two dumps cannot
/// tell a leak from a cache, only fragmentation.
const NO_TREND_VERDICT: &str =
    "No leak, no levelling cache, no fragmentation: nothing grows above noise.";
const NO_DIFF_VERDICT: &str =
    "No fragmentation finding. Two dumps show what grew (below), not the shape of the growth: \
run `heapscope trend` on three or more dumps to tell a leak from a cache.";

fn verdict_blocks(d: &mut Doc, verdicts: &[Verdict], empty: &str) {
    d.h("Verdicts");
    if verdicts.is_empty() {
        d.p(empty);
    }
    for v in verdicts {
        d.p(format!("[{}] {}", v.kind, v.summary));
        d.list(v.evidence.clone());
    }
}

fn diff_doc(r: &DiffReport, rows: usize) -> Doc {
    let mut d = Doc::new(format!(
        "heapscope diff — {} → {} ({})",
        r.base.path, r.target.path, r.target.format
    ));
    let profile = matches!(r.target.format.as_str(), "pprof" | "tracemalloc");
    let (sh, re) = if profile {
        ("flat", "cum")
    } else {
        ("shallow", "retained")
    };
    d.p(format!(
        "Compared by {}; {}.",
        r.semantics.compared_by.join(", "),
        r.semantics.reference
    ));
    for (which, x) in [("base", &r.base), ("target", &r.target)] {
        d.p(format!(
            "{which}: {} — {}{}, {} objects, {} in total, {} reachable",
            x.path,
            x.format,
            x.sample_type
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            thousands(x.objects),
            human_bytes(x.total_bytes),
            human_bytes(x.reachable_bytes)
        ));
    }
    let t = &r.totals;
    d.p(format!(
        "Change: {} objects, {} in total, {} reachable.",
        signed_count(t.change.count),
        signed_bytes(t.change.shallow_bytes),
        signed_bytes(t.change.retained_bytes)
    ));
    verdict_blocks(&mut d, &r.verdicts, NO_DIFF_VERDICT);
    d.h(format!(
        "By {} (order: {})",
        r.semantics.type_key, r.semantics.order
    ));
    let head = [
        "count Δ",
        &format!("{sh} Δ"),
        &format!("{re} Δ"),
        &format!("{sh} (target)"),
        &format!("{re} (target)"),
        r.semantics.type_key.as_str(),
    ];
    let body: Vec<Vec<String>> = r
        .types
        .iter()
        .take(rows)
        .map(|x| {
            vec![
                signed_count(x.change.count),
                signed_bytes(x.change.shallow_bytes),
                signed_bytes(x.change.retained_bytes),
                human_bytes(x.target.shallow_bytes),
                human_bytes(x.target.retained_bytes),
                x.type_name.clone(),
            ]
        })
        .collect();
    if body.is_empty() {
        d.p("No change.");
    } else {
        d.table(&head, &[true, true, true, true, true, false], body);
    }
    if r.types.len() > rows {
        d.p(format!(
            "… {} more rows (--format json lists all)",
            r.types.len() - rows
        ));
    }
    if !r.paths.is_empty() {
        d.h("By path to GC root (retained = minimum retained size of the group)");
        let body = r
            .paths
            .iter()
            .take(rows)
            .map(|x| {
                vec![
                    signed_count(x.change.count),
                    signed_bytes(x.change.shallow_bytes),
                    signed_bytes(x.change.retained_bytes),
                    human_bytes(x.target.retained_bytes),
                    x.path.clone().unwrap_or_default(),
                ]
            })
            .collect();
        d.table(
            &[
                "count Δ",
                "shallow Δ",
                "retained Δ",
                "retained (target)",
                "path",
            ],
            &[true, true, true, true, false],
            body,
        );
    }
    if let Some(n) = &r.new_objects {
        d.h(format!("New in target (matched by {})", n.matched_by));
        d.p(format!(
            "{} objects ({}) are new in the target; {} objects of the base are gone.",
            thousands(n.count),
            human_bytes(n.shallow_bytes),
            thousands(n.gone_count)
        ));
        let body = n
            .by_type
            .iter()
            .take(rows)
            .map(|x| {
                vec![
                    thousands(x.count),
                    human_bytes(x.shallow_bytes),
                    human_bytes(x.retained_bytes),
                    x.type_name.clone(),
                    x.example_ids.join(", "),
                ]
            })
            .collect();
        d.table(
            &["new", "shallow", "retained", "type", "e.g. ids"],
            &[true, true, true, false, false],
            body,
        );
    }
    if !r.warnings.is_empty() {
        d.h("Warnings");
        d.list(r.warnings.clone());
    }
    d
}

fn trend_doc(r: &TrendReport, rows: usize) -> Doc {
    let unit = r.time_axis.unit.as_str();
    let mut d = Doc::new(format!("heapscope trend — {} inputs", r.inputs.len()));
    d.p(format!("Time axis: {} ({}).", r.time_axis.note, unit));
    let inputs = r
        .inputs
        .iter()
        .zip(&r.time_axis.points)
        .map(|(i, p)| {
            format!(
                "{}: {} ({}), {} reachable{}",
                fmt_point(*p, unit),
                i.dump.path,
                i.dump.format,
                human_bytes(i.dump.reachable_bytes),
                i.at.as_ref()
                    .map(|a| format!(", at {a}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    d.list(inputs);
    let t = &r.total;
    d.p(format!(
        "Reachable heap: {} — {}, {} (R² {:.3}).",
        series(t, 6),
        t.fit.shape,
        rate(t.fit.slope, unit),
        t.fit.r2
    ));
    if let (Some(limit), Some(p)) = (r.limit_bytes, &t.limit_reached) {
        d.p(format!(
            "At its current rate the heap reaches {} {}.",
            human_bytes(limit),
            when(p, unit)
        ));
    } else if let Some(limit) = r.limit_bytes {
        d.p(format!(
            "The heap is not growing towards {}.",
            human_bytes(limit)
        ));
    }
    verdict_blocks(&mut d, &r.verdicts, NO_TREND_VERDICT);
    let key = if r
        .inputs
        .iter()
        .all(|i| matches!(i.dump.format.as_str(), "pprof" | "tracemalloc"))
    {
        "By allocation site (flat bytes)"
    } else {
        "By type (shallow bytes)"
    };
    d.h(key);
    trend_table(&mut d, &r.types, rows, unit, r.limit_bytes.is_some());
    if !r.paths.is_empty() {
        d.h("By path to GC root (retained bytes)");
        trend_table(&mut d, &r.paths, rows, unit, r.limit_bytes.is_some());
    }
    if let Some(m) = &r.memlab {
        d.h("memlab: allocated between baseline and target, still alive in final");
        d.p(format!(
            "baseline {}, target {}, final {}: {} objects retaining {}.",
            m.baseline,
            m.target,
            m.final_,
            thousands(m.count),
            human_bytes(m.retained_bytes)
        ));
        let body = m
            .clusters
            .iter()
            .take(rows)
            .map(|c| {
                vec![
                    thousands(c.count),
                    human_bytes(c.retained_bytes),
                    c.retainer_path
                        .clone()
                        .unwrap_or_else(|| c.type_name.clone()),
                    c.example_ids.join(", "),
                ]
            })
            .collect();
        d.table(
            &["objects", "retained", "retainer path", "e.g. ids"],
            &[true, true, false, false],
            body,
        );
    }
    if !r.warnings.is_empty() {
        d.h("Warnings");
        d.list(r.warnings.clone());
    }
    d
}

fn fmt_point(p: f64, unit: &str) -> String {
    if unit == "hour" {
        format!("+{}", human_hours(p))
    } else {
        format!("step {}", p as u64 + 1)
    }
}

fn when(p: &Projection, unit: &str) -> String {
    match (&p.at, unit) {
        (Some(at), _) => format!("at {at} (in {})", human_hours(p.after)),
        (None, "hour") => format!("in {}", human_hours(p.after)),
        _ => format!("in {:.1} steps", p.after),
    }
}

fn series(r: &TrendRow, max: usize) -> String {
    let vals: Vec<u64> = r.series.iter().map(|s| r.value(s)).collect();
    let mut parts: Vec<String> = Vec::new();
    if vals.len() > max {
        parts.extend(vals[..max / 2].iter().map(|&v| human_bytes(v)));
        parts.push("…".into());
        parts.extend(vals[vals.len() - max / 2..].iter().map(|&v| human_bytes(v)));
    } else {
        parts.extend(vals.iter().map(|&v| human_bytes(v)));
    }
    parts.join(" → ")
}

fn trend_table(d: &mut Doc, rows_in: &[TrendRow], rows: usize, unit: &str, limit: bool) {
    let mut head = vec!["#", "shape", "slope", "R²", "net", "series", "name"];
    let mut right = vec![true, false, true, true, true, false, false];
    if limit {
        head.insert(5, "limit reached");
        right.insert(5, false);
    }
    let body = rows_in
        .iter()
        .take(rows)
        .map(|x| {
            let mut r = vec![
                x.rank.to_string(),
                x.fit.shape.clone(),
                rate(x.fit.slope, unit),
                format!("{:.3}", x.fit.r2),
                signed_bytes(x.fit.net_change),
                series(x, 6),
                x.path.clone().unwrap_or_else(|| x.type_name.clone()),
            ];
            if limit {
                r.insert(
                    5,
                    x.limit_reached
                        .as_ref()
                        .map(|p| when(p, unit))
                        .unwrap_or_else(|| "—".into()),
                );
            }
            r
        })
        .collect();
    d.table(&head, &right, body);
    if rows_in.len() > rows {
        d.p(format!(
            "… {} more rows (--format json lists all)",
            rows_in.len() - rows
        ));
    }
}
