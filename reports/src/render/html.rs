//! One self-contained HTML page of any [`Document`], to attach to a ticket: inline CSS and a few
//! lines of inline JS (table sorting), no network, no external fonts. Paths and the dominator
//! tree collapse with native `<details>`, so they work even with scripts off. Long tables are
//! capped.
//!
//! [`page`] and [`escape`] are public for other pages.

use std::fmt::Write;

use crate::doc::{path_lines, Block, Cell, Document, GroupKind, Path, PathLine, Span, Table, Tone};
use crate::fmt::{amount, human_bytes, pct, thousands};
use crate::model::{Report, TreeItem};
use crate::render::text::cell_text;
use crate::render::RenderOptions;
use heapscope_graph::Unit;

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
figure.chart{margin:10px 0;max-width:680px}figure.chart figcaption{font-size:12.5px;color:var(--muted)}
.chart svg{width:100%;height:auto}.chart .axis{fill:none;stroke:#9aa3b2}.chart .tick{font-size:10px;fill:var(--muted)}
.chart .series{fill:none;stroke-width:2}.chart .fitted{stroke-dasharray:6 4;stroke-width:1.5}.chart .projected{stroke-dasharray:2 3;stroke-width:1.5}
.chart .limit{stroke:var(--bad);stroke-dasharray:4 2}.chart .mark{stroke:var(--warn);stroke-dasharray:3 3}.chart .limit-label{fill:var(--bad)}
.chart .s0{stroke:#0b5cad;fill:#0b5cad}.chart .s1{stroke:#b42318;fill:#b42318}.chart .s2{stroke:#1a7f37;fill:#1a7f37}
.chart .s3{stroke:#9a6700;fill:#9a6700}.chart .s4{stroke:#6e40c9;fill:#6e40c9}.chart .s5{stroke:#5b6475;fill:#5b6475}
.chart path.series{fill:none}
.bars .pos{fill:#b42318}.bars .neg{fill:#1a7f37}.bars .zero{stroke:#9aa3b2}.bars .label{font-size:11px;fill:var(--fg,#1f2328)}.bars .val{font-size:10px;fill:var(--muted)}
figure.icicle{max-width:100%}.icicle rect{stroke:#fff;stroke-width:.5}.icicle .d0{fill:#f4b183}.icicle .d1{fill:#f8cbad}.icicle .d2{fill:#ffe699}.icicle .d3{fill:#c5e0b4}.icicle .d4{fill:#bdd7ee}.icicle .d5{fill:#d9c3e9}
.icicle text{font-size:10.5px;fill:#1f2328;pointer-events:none}
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

/// The analysis report as a page.
pub fn render(r: &Report, opts: &RenderOptions) -> String {
    let _ = opts;
    draw(&crate::view::analyze::html(r))
}

/// Draw a document as a page.
pub fn draw(d: &Document) -> String {
    let mut o = String::new();
    blocks(&mut o, &d.blocks);
    page(&d.title, &o)
}

fn blocks(o: &mut String, bs: &[Block]) {
    for b in bs {
        match b {
            Block::Heading {
                level, spans, id, ..
            } => {
                let _ = writeln!(
                    o,
                    "<h{level}{}>{}</h{level}>",
                    attr("id", *id),
                    inline(spans)
                );
            }
            Block::Para {
                spans, class, id, ..
            } => {
                let _ = writeln!(
                    o,
                    "<p{}{}>{}</p>",
                    attr("class", *class),
                    attr("id", *id),
                    inline(spans)
                );
            }
            Block::List(items) => {
                o.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(o, "<li>{}</li>", inline(i));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(t) => table(o, t),
            Block::Path(p) => path(o, p),
            Block::Tree(items, unit) => tree(o, items, *unit),
            Block::Group {
                kind,
                class,
                id,
                blocks: inner,
            } => {
                let tag = match kind {
                    GroupKind::Header => "header",
                    GroupKind::Section => "section",
                    GroupKind::Div => "div",
                };
                let mut body = String::new();
                blocks(&mut body, inner);
                let _ = write!(
                    o,
                    "<{tag}{}{}>",
                    attr("class", class.as_deref()),
                    attr("id", id.as_deref())
                );
                if *kind == GroupKind::Header {
                    // The header's last line closes on the same line.
                    if body.ends_with('\n') {
                        body.pop();
                    }
                } else {
                    o.push('\n');
                }
                let _ = writeln!(o, "{body}</{tag}>");
            }
            Block::Chart(c) => crate::render::svg::chart(o, c),
            Block::Bars(b) => crate::render::svg::bars(o, b),
            Block::Icicle(i) => crate::render::svg::icicle(o, i),
            Block::Spacer => {}
        }
    }
}

fn attr(name: &str, value: Option<&str>) -> String {
    value
        .map(|v| format!(" {name}=\"{}\"", escape(v)))
        .unwrap_or_default()
}

fn inline(spans: &[Span]) -> String {
    let mut o = String::new();
    for s in spans {
        match s {
            Span::Text(t) | Span::Figure(t) => o.push_str(&escape(t)),
            Span::Code { text, class } => {
                let _ = write!(o, "<code{}>{}</code>", attr("class", *class), escape(text));
            }
            Span::Styled(tone, inner) => {
                let t = inline(inner);
                let _ = match tone {
                    Tone::Strong | Tone::Alert => write!(o, "<b>{t}</b>"),
                    Tone::Emphasis => write!(o, "<i>{t}</i>"),
                    Tone::Class(c) => write!(o, "<span class=\"{c}\">{t}</span>"),
                    Tone::Good => write!(o, "<span class=\"ok\">{t}</span>"),
                    Tone::Caution | Tone::Muted => write!(o, "<span class=\"meta\">{t}</span>"),
                };
            }
        }
    }
    o
}

fn table(o: &mut String, t: &Table) {
    o.push_str("<table");
    o.push_str(&attr("id", t.id));
    if t.sortable {
        o.push_str(" class=\"sortable\"");
    }
    o.push_str("><thead><tr>");
    for c in &t.columns {
        let _ = write!(
            o,
            "<th{}>{}</th>",
            if c.numeric { " class=\"num\"" } else { "" },
            escape(&c.header)
        );
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    let cap = t.cap.unwrap_or(usize::MAX);
    for row in t.rows.iter().take(cap) {
        o.push_str("<tr>");
        for (c, col) in row.iter().zip(&t.columns) {
            cell(o, c, col.numeric);
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
    if t.rows.len() > cap {
        let _ = writeln!(
            o,
            "<p class=\"note\">{} more rows not shown (the JSON report has all of them).</p>",
            thousands((t.rows.len() - cap) as u64)
        );
    }
}

/// A cell: its class, its numeric sort key for the sortable tables, its text.
fn cell(o: &mut String, c: &Cell, numeric: bool) {
    let (class, sort, html) = match c {
        Cell::Bytes(b) => (
            "num",
            Some(*b as f64),
            format!(
                "<span title=\"{} bytes\">{}</span>",
                thousands(*b),
                human_bytes(*b)
            ),
        ),
        Cell::Count(n) => ("num", Some(*n as f64), thousands(*n)),
        Cell::Share(x) => ("num", Some(*x), pct(*x)),
        Cell::Id(s) => ("id", None, escape(s)),
        Cell::Type { name, value } => (
            "type",
            None,
            match value {
                Some(v) => format!(
                    "{} <span class=\"meta\">“{}”</span>",
                    escape(name),
                    escape(v)
                ),
                None => escape(name),
            },
        ),
        c => (
            if numeric { "num" } else { "" },
            None,
            escape(&cell_text(c)),
        ),
    };
    o.push_str("<td");
    if !class.is_empty() {
        let _ = write!(o, " class=\"{class}\"");
    }
    if let Some(v) = sort {
        let _ = write!(o, " data-v=\"{v}\"");
    }
    let _ = write!(o, ">{html}</td>");
}

/// A path as a collapsible ordered list, root first.
fn path(o: &mut String, p: &Path) {
    let _ = write!(
        o,
        "<details class=\"path\"{}><summary>{} ({} step{})</summary><ol class=\"path\">",
        if p.open { " open" } else { "" },
        escape(&p.label),
        p.steps.len(),
        if p.steps.len() == 1 { "" } else { "s" }
    );
    let mut after_gap = false;
    for line in path_lines(&p.steps, p.max_steps) {
        let i = match line {
            PathLine::Step(i) => i,
            PathLine::LeftOut { steps } => {
                let _ = write!(
                    o,
                    "<li class=\"note\" style=\"list-style:none\">… {} steps left out …</li>",
                    thousands(steps as u64)
                );
                after_gap = true;
                continue;
            }
            PathLine::Same { like, times } => {
                let s = &p.steps[like];
                let _ =
                    write!(
                    o,
                    "<li class=\"note\" style=\"list-style:none\">… the same step {} more times: \
                     <span class=\"via\">{}</span>{} → <code>{}</code> …</li>",
                    thousands(times as u64),
                    escape(s.via.as_deref().unwrap_or("·")),
                    if s.weak { " <span class=\"weak\">(weak)</span>" } else { "" },
                    escape(&s.type_name)
                );
                after_gap = true;
                continue;
            }
        };
        let s = &p.steps[i];
        if after_gap {
            // Numbered as the step it is, not as the list's next item.
            let _ = write!(o, "<li value=\"{}\">", i + 1);
            after_gap = false;
        } else {
            o.push_str("<li>");
        }
        if i == 0 {
            let _ = write!(
                o,
                "<span class=\"badge\">{}</span>",
                escape(s.root_kind.as_deref().unwrap_or("root"))
            );
            if let Some(v) = &s.via {
                let _ = write!(o, "<span class=\"via\">{}</span> ", escape(v));
            }
        } else {
            let _ = write!(
                o,
                "<span class=\"via\">{}</span>",
                escape(s.via.as_deref().unwrap_or("·"))
            );
            if s.weak {
                o.push_str(" <span class=\"weak\">(weak)</span>");
            }
            o.push_str(" → ");
        }
        let _ = write!(
            o,
            "<code>{}</code> <span class=\"meta mono\">{}</span>",
            escape(&s.type_name),
            escape(&s.id)
        );
        if let Some(b) = s.retained_bytes {
            let _ = write!(o, " <span class=\"meta\">{}</span>", amount(b, p.unit));
        }
        o.push_str("</li>");
    }
    o.push_str("</ol></details>\n");
}

/// Nested `<details>` from the preorder list, with an explicit stack of open elements.
fn tree(o: &mut String, items: &[TreeItem], unit: Unit) {
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
            amount(it.node.retained_bytes, unit),
            pct(it.node.retained_share),
            thousands(it.children)
        );
        if has_kids {
            let _ = writeln!(
                o,
                "<details{}><summary>{label}</summary>",
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
