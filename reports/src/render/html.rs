//! One self-contained HTML file to attach to a ticket: inline CSS and a few lines of inline JS
//! (table sorting), no network, no external fonts. Paths and the dominator tree collapse with
//! native `<details>`, so they work even with scripts off. Long tables are capped.
//!
//! [`page`], [`Table`], [`escape`] and [`size_cell`] are the building blocks other reports
//! (diff, trend) reuse so that all of heapscope's pages look alike.

use std::fmt::Write;

use crate::fmt::{human_bytes, pct, thousands};
use crate::model::{PathElem, Report, Suspect};
use crate::render::RenderOptions;

/// Most histogram rows in the page (the JSON report has all).
pub const MAX_HISTOGRAM_ROWS: usize = 200;

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#fff;--soft:#f4f6f9;--bad:#b42318;--warn:#9a6700;--ok:#1a7f37;--accent:#0b5cad}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,.mono,td.num,td.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.meta{color:var(--muted)}
.suspect{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:6px;padding:10px 14px;margin:12px 0;background:var(--soft)}
.suspect.unknown{border-left-color:var(--warn)}
.suspect h3{font-size:15px;margin:0 0 6px;word-break:break-word}
.badge{display:inline-block;font-size:11.5px;border-radius:10px;padding:1px 8px;margin-right:6px;background:#e7ebf2;color:var(--fg)}
.badge.pattern{background:#fde7e4;color:var(--bad)}.badge.unknown{background:#fff4d6;color:var(--warn)}
.fix{color:var(--ok)}
ol.path{margin:6px 0 6px 8px;padding-left:18px}ol.path li{margin:1px 0}
.via{color:var(--accent)}.weak{color:var(--warn)}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:" \2195";color:#9aa3b2;font-size:11px}
td.num,th.num{text-align:right;white-space:nowrap}
td.type{word-break:break-all}
details{margin:2px 0}summary{cursor:pointer}
.tree details{margin-left:18px}.tree>details{margin-left:0}
.tree .leaf{margin-left:34px}
.note{color:var(--muted);font-size:12.5px}
.ok{color:var(--ok)}
"#;

const JS: &str = r#"
(function(){
  function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent.trim().toLowerCase():parseFloat(v);}
  function sortBy(table,col,th){
    var body=table.tBodies[0];if(!body)return;
    var rows=Array.prototype.slice.call(body.rows);
    var asc=th.getAttribute('data-dir')!=='asc';
    rows.sort(function(a,b){
      var x=key(a.cells[col]),y=key(b.cells[col]);
      if(x<y)return asc?-1:1;if(x>y)return asc?1:-1;return 0;});
    for(var i=0;i<rows.length;i++)body.appendChild(rows[i]);
    var ths=table.tHead.rows[0].cells;for(var j=0;j<ths.length;j++)ths[j].removeAttribute('data-dir');
    th.setAttribute('data-dir',asc?'asc':'desc');
  }
  var tables=document.querySelectorAll('table.sortable');
  for(var t=0;t<tables.length;t++){(function(table){
    if(!table.tHead)return;var ths=table.tHead.rows[0].cells;
    for(var c=0;c<ths.length;c++){(function(col){ths[col].addEventListener('click',function(){sortBy(table,col,ths[col]);});})(c);}
  })(tables[t]);}
  document.documentElement.setAttribute('data-ready','1');
})();
"#;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A whole page around `body` (already HTML): title, inline style and script.
pub fn page(title: &str, body: &str) -> String {
    let mut o = String::with_capacity(body.len() + CSS.len() + JS.len() + 512);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<meta name=\"generator\" content=\"heapscope\">\n");
    let _ = writeln!(o, "<title>{}</title>", escape(title));
    let _ = writeln!(o, "<style>{CSS}</style>\n</head>\n<body>");
    o.push_str(body);
    let _ = writeln!(o, "<script>{JS}</script>\n</body>\n</html>");
    o
}

/// A table cell: text shown, optional numeric sort key, class.
pub struct Cell {
    pub html: String,
    pub sort: Option<f64>,
    pub class: &'static str,
}

impl Cell {
    pub fn text(s: &str) -> Cell {
        Cell {
            html: escape(s),
            sort: None,
            class: "",
        }
    }
    pub fn type_name(s: &str) -> Cell {
        Cell {
            html: escape(s),
            sort: None,
            class: "type",
        }
    }
    pub fn id(s: &str) -> Cell {
        Cell {
            html: escape(s),
            sort: None,
            class: "id",
        }
    }
    pub fn count(n: u64) -> Cell {
        Cell {
            html: thousands(n),
            sort: Some(n as f64),
            class: "num",
        }
    }
    pub fn signed_count(n: i64) -> Cell {
        let s = if n > 0 {
            format!("+{}", thousands(n as u64))
        } else if n < 0 {
            format!("−{}", thousands(n.unsigned_abs()))
        } else {
            "0".into()
        };
        Cell {
            html: s,
            sort: Some(n as f64),
            class: "num",
        }
    }
    pub fn share(x: f64) -> Cell {
        Cell {
            html: pct(x),
            sort: Some(x),
            class: "num",
        }
    }
    /// Raw HTML (caller escapes).
    pub fn html(html: String) -> Cell {
        Cell {
            html,
            sort: None,
            class: "",
        }
    }
}

/// Bytes, shown human-readable, sorted by the exact value.
pub fn size_cell(b: u64) -> Cell {
    Cell {
        html: format!(
            "<span title=\"{} bytes\">{}</span>",
            thousands(b),
            human_bytes(b)
        ),
        sort: Some(b as f64),
        class: "num",
    }
}

/// Signed bytes (diffs): `+1.2 MiB`, `−300 B`.
pub fn signed_size_cell(b: i64) -> Cell {
    let h = human_bytes(b.unsigned_abs());
    let s = if b > 0 {
        format!("+{h}")
    } else if b < 0 {
        format!("−{h}")
    } else {
        "0 B".into()
    };
    Cell {
        html: s,
        sort: Some(b as f64),
        class: "num",
    }
}

/// A table with optional click-to-sort headers and a row cap (a note says what was left out).
pub struct Table {
    pub headers: Vec<(&'static str, bool)>,
    pub rows: Vec<Vec<Cell>>,
    pub sortable: bool,
    pub cap: usize,
    pub id: Option<&'static str>,
}

impl Table {
    /// Headers: (label, numeric).
    pub fn new(headers: &[(&'static str, bool)]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
            sortable: false,
            cap: usize::MAX,
            id: None,
        }
    }
    pub fn sortable(mut self) -> Table {
        self.sortable = true;
        self
    }
    pub fn cap(mut self, n: usize) -> Table {
        self.cap = n;
        self
    }
    pub fn id(mut self, id: &'static str) -> Table {
        self.id = Some(id);
        self
    }
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
    pub fn to_html(&self) -> String {
        let mut o = String::new();
        let _ = write!(o, "<table");
        if let Some(id) = self.id {
            let _ = write!(o, " id=\"{id}\"");
        }
        if self.sortable {
            o.push_str(" class=\"sortable\"");
        }
        o.push_str("><thead><tr>");
        for (h, num) in &self.headers {
            let _ = write!(
                o,
                "<th{}>{}</th>",
                if *num { " class=\"num\"" } else { "" },
                escape(h)
            );
        }
        o.push_str("</tr></thead>\n<tbody>\n");
        for row in self.rows.iter().take(self.cap) {
            o.push_str("<tr>");
            for c in row {
                o.push_str("<td");
                if !c.class.is_empty() {
                    let _ = write!(o, " class=\"{}\"", c.class);
                }
                if let Some(v) = c.sort {
                    let _ = write!(o, " data-v=\"{v}\"");
                }
                let _ = write!(o, ">{}</td>", c.html);
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody></table>\n");
        if self.rows.len() > self.cap {
            let _ = writeln!(
                o,
                "<p class=\"note\">{} more rows not shown (the JSON report has all of them).</p>",
                thousands((self.rows.len() - self.cap) as u64)
            );
        }
        o
    }
}

/// A path as a collapsible ordered list, root first.
pub fn path_html(path: &[PathElem], label: &str, open: bool) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<details class=\"path\"{}><summary>{} ({} steps)</summary><ol class=\"path\">",
        if open { " open" } else { "" },
        escape(label),
        path.len()
    );
    for (i, p) in path.iter().enumerate() {
        o.push_str("<li>");
        if i == 0 {
            let _ = write!(
                o,
                "<span class=\"badge\">{}</span>",
                escape(p.root_kind.as_deref().unwrap_or("root"))
            );
            if let Some(v) = &p.via {
                let _ = write!(o, "<span class=\"via\">{}</span> ", escape(v));
            }
        } else {
            let _ = write!(
                o,
                "<span class=\"via\">{}</span>",
                escape(p.via.as_deref().unwrap_or("·"))
            );
            if p.weak {
                o.push_str(" <span class=\"weak\">(weak)</span>");
            }
            o.push_str(" → ");
        }
        let _ = write!(
            o,
            "<code>{}</code> <span class=\"meta mono\">{}</span>",
            escape(&p.type_name),
            escape(&p.id)
        );
        if let Some(b) = p.retained_bytes {
            let _ = write!(o, " <span class=\"meta\">{}</span>", human_bytes(b));
        }
        o.push_str("</li>");
    }
    o.push_str("</ol></details>\n");
    o
}

fn suspect_html(o: &mut String, sp: &Suspect, profile: bool) {
    let unknown = sp.pattern == "unknown";
    let _ = writeln!(
        o,
        "<section class=\"suspect{}\" id=\"suspect-{}\">",
        if unknown { " unknown" } else { "" },
        sp.rank
    );
    let _ = writeln!(o, "<h3>#{} {}</h3>", sp.rank, escape(&sp.title));
    let _ = writeln!(
        o,
        "<p><span class=\"badge\">{}</span><span class=\"badge {}\">{}</span><span class=\"meta\">{} retained, {} of the reachable heap, {} objects</span></p>",
        escape(sp.kind.as_str()),
        if unknown { "unknown" } else { "pattern" },
        escape(sp.pattern.as_str()),
        human_bytes(sp.retained_bytes),
        pct(sp.retained_share),
        thousands(sp.object_count)
    );
    if let Some(h) = &sp.holder {
        let _ = writeln!(
            o,
            "<p>Held by: <code class=\"holder\">{}</code></p>",
            escape(h)
        );
    }
    if !sp.explanation.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", escape(&sp.explanation));
    }
    if let Some(fix) = &sp.fix {
        let _ = writeln!(o, "<p class=\"fix\"><b>Fix:</b> {}</p>", escape(fix));
    }
    if let Some(ap) = &sp.accumulation_point {
        let _ = writeln!(
            o,
            "<p class=\"meta\">Accumulation point: <code>{}</code> {} — {} retained</p>",
            escape(&ap.type_name),
            escape(&ap.id),
            human_bytes(ap.retained_bytes)
        );
    }
    if !sp.path_to_root.is_empty() {
        let label = if profile {
            "Allocation stack, outermost frame first"
        } else {
            "Shortest path from a GC root"
        };
        o.push_str(&path_html(&sp.path_to_root, label, true));
    }
    if !sp.stack.is_empty() {
        o.push_str(&path_html(&sp.stack, "Stack, outermost frame first", true));
    }
    if !sp.accumulated.is_empty() {
        let mut t = Table::new(&[
            ("accumulated type", false),
            ("count", true),
            ("shallow", true),
            ("retained", true),
        ]);
        for it in &sp.accumulated {
            t.push(vec![
                Cell::type_name(&it.type_name),
                Cell::count(it.count),
                size_cell(it.shallow_bytes),
                size_cell(it.retained_bytes),
            ]);
        }
        o.push_str(&t.to_html());
    }
    o.push_str("</section>\n");
}

/// The analysis report as a page.
pub fn render(r: &Report, opts: &RenderOptions) -> String {
    let _ = opts;
    let profile = r.input.format == "pprof" || r.input.format == "tracemalloc";
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header><h1>heapscope report: {}</h1>",
        escape(&r.input.path)
    );
    let s = &r.summary;
    let _ = writeln!(
        b,
        "<p class=\"meta\">{} · {}{} · {}{}{} · {}</p>",
        escape(&r.input.format),
        human_bytes(r.input.size_bytes),
        if r.input.compressed { " (gzip)" } else { "" },
        r.input
            .sample_type
            .as_deref()
            .map(|x| format!("sample type {} · ", escape(x)))
            .unwrap_or_default(),
        r.input
            .timestamp
            .as_deref()
            .map(|x| format!("taken {} · ", escape(x)))
            .unwrap_or_default(),
        format_args!(
            "{} nodes, {} edges, {} GC roots",
            thousands(s.nodes),
            thousands(s.edges),
            thousands(s.gc_roots)
        ),
        escape(&r.generator)
    );
    let _ = writeln!(
        b,
        "<p>{} in total, <b>{} reachable</b>, {} unreachable ({} nodes).</p></header>",
        human_bytes(s.total_bytes),
        human_bytes(s.reachable_bytes),
        human_bytes(s.unreachable_bytes),
        thousands(s.unreachable_nodes)
    );
    b.push_str("<h2 id=\"suspects\">Leak suspects</h2>\n");
    if r.suspects.is_empty() {
        b.push_str("<p class=\"ok\" id=\"no-suspects\">No leak suspect: nothing retains more than the threshold share of the heap.</p>\n");
    }
    for sp in &r.suspects {
        suspect_html(&mut b, sp, profile);
    }
    if !r.dominator_tree.is_empty() {
        b.push_str("<h2 id=\"dominator-tree\">Dominator tree</h2>\n<p class=\"note\">Nodes retaining at least 1% of the reachable heap, largest first; click to expand.</p>\n<div class=\"tree\">\n");
        tree_html(&mut b, r);
        b.push_str("</div>\n");
    }
    b.push_str("<h2 id=\"dominators\">Biggest objects by retained size</h2>\n");
    let mut t = Table::new(&[
        ("retained", true),
        ("share", true),
        ("shallow", true),
        ("id", false),
        ("type", false),
    ])
    .sortable()
    .id("dominators-table");
    for d in &r.dominators {
        let ty = match &d.value {
            Some(v) => format!(
                "{} <span class=\"meta\">“{}”</span>",
                escape(&d.type_name),
                escape(v)
            ),
            None => escape(&d.type_name),
        };
        t.push(vec![
            size_cell(d.retained_bytes),
            Cell::share(d.retained_share),
            size_cell(d.shallow_bytes),
            Cell::id(&d.id),
            Cell {
                html: ty,
                sort: None,
                class: "type",
            },
        ]);
    }
    b.push_str(&t.to_html());
    b.push_str("<h2 id=\"histogram\">Histogram</h2>\n<p class=\"note\">Retained = minimum retained size of all instances of the type (a lower bound). Click a header to sort.</p>\n");
    let mut t = Table::new(&[
        ("type", false),
        ("count", true),
        ("shallow", true),
        ("retained", true),
    ])
    .sortable()
    .cap(MAX_HISTOGRAM_ROWS)
    .id("histogram-table");
    for h in &r.histogram {
        t.push(vec![
            Cell::type_name(&h.type_name),
            Cell::count(h.count),
            size_cell(h.shallow_bytes),
            size_cell(h.retained_bytes),
        ]);
    }
    b.push_str(&t.to_html());
    if !r.warnings.is_empty() {
        b.push_str("<h2 id=\"warnings\">Warnings</h2>\n<ul>\n");
        for w in &r.warnings {
            let _ = writeln!(b, "<li>{}</li>", escape(w));
        }
        b.push_str("</ul>\n");
    }
    let first = r
        .suspects
        .first()
        .map(|s| s.title.as_str())
        .unwrap_or("no leak suspect");
    page(&format!("heapscope: {} — {first}", r.input.path), &b)
}

/// Nested `<details>` from the preorder list, with an explicit stack of open elements.
fn tree_html(o: &mut String, r: &Report) {
    let items = &r.dominator_tree;
    let mut open: Vec<u32> = Vec::new(); // depths of open <details>
    for (i, it) in items.iter().enumerate() {
        while let Some(&d) = open.last() {
            if d >= it.depth {
                o.push_str("</details>\n");
                open.pop();
            } else {
                break;
            }
        }
        let has_kids = items
            .get(i + 1)
            .map(|n| n.depth > it.depth)
            .unwrap_or(false);
        let label = format!(
            "{}<code>{}</code> <span class=\"meta mono\">{}</span> — <b>{}</b> ({}), {} dominated",
            it.via
                .as_deref()
                .map(|v| format!("<span class=\"via\">{}</span> → ", escape(v)))
                .unwrap_or_default(),
            escape(&it.node.type_name),
            escape(&it.node.id),
            human_bytes(it.node.retained_bytes),
            pct(it.node.retained_share),
            thousands(it.children)
        );
        if has_kids {
            let _ = write!(
                o,
                "<details{}><summary>{label}</summary>\n",
                if it.depth < 2 { " open" } else { "" }
            );
            open.push(it.depth);
        } else {
            let _ = writeln!(o, "<div class=\"leaf\">{label}</div>");
        }
    }
    for _ in open {
        o.push_str("</details>\n");
    }
}
