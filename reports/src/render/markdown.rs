//! Markdown to paste into a ticket: GitHub tables, `<details>` for paths. An analysis report
//! stays under [`DEFAULT_MAX_BYTES`] so that an issue tracker takes it (GitHub's comment limit is
//! 65,536 characters): when it does not fit, the histogram and dominator tables shrink first,
//! then long paths are shortened, then the suspect list; a note says what was left out.
//!
//! [`table`], [`escape`] and [`code`] are public for other Markdown writers.

use std::fmt::Write;

use crate::doc::{path_lines, Block, Cell, Document, PathLine, Span, Table, Tone};
use crate::model::Report;
use crate::render::text::{cell_text, path_line_text, tree_lines_in};
use crate::render::RenderOptions;
use crate::view::analyze::Budget;

/// Under GitHub's 65,536-character limit for an issue body or comment, with room for a line
/// or two the user adds.
pub const DEFAULT_MAX_BYTES: usize = 60 * 1024;

/// Column alignment of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Escape text for a table cell or inline text: pipes, backslashes, markup characters, newlines.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => o.push_str("\\|"),
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Inline code that survives backticks in the text and is safe inside a table cell.
pub fn code(s: &str) -> String {
    let s = s.replace('\n', " ").replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// A GitHub table. Cells are used as given (escape them with [`escape`] or [`code`]).
pub fn table(headers: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut o = String::new();
    o.push('|');
    for (h, _) in headers {
        let _ = write!(o, " {} |", escape(h));
    }
    o.push_str("\n|");
    for (_, a) in headers {
        o.push_str(match a {
            Align::Left => " --- |",
            Align::Right => " ---: |",
        });
    }
    o.push('\n');
    for r in rows {
        o.push('|');
        for c in r {
            let _ = write!(o, " {c} |");
        }
        o.push('\n');
    }
    o
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The analysis report as Markdown under `opts.markdown_max_bytes`.
pub fn render(r: &Report, opts: &RenderOptions) -> String {
    let max = opts.markdown_max_bytes.max(1024);
    let mut b = Budget {
        histogram: opts.rows,
        dominators: r.dominators.len(),
        path_steps: 40,
        suspects: r.suspects.len(),
    };
    loop {
        let out = draw(&crate::view::analyze::markdown(r, b, opts.rows));
        if out.len() <= max {
            return out;
        }
        // Shrink the least important part first.
        if b.histogram > 5 {
            b.histogram /= 2;
        } else if b.dominators > 5 {
            b.dominators /= 2;
        } else if b.path_steps > 8 {
            b.path_steps /= 2;
        } else if b.suspects > 1 {
            b.suspects -= 1;
        } else {
            // Still too long (e.g. enormous type names): cut at a line boundary.
            let mut cut = max.saturating_sub(120);
            while cut > 0 && !out.is_char_boundary(cut) {
                cut -= 1;
            }
            let end = out[..cut].rfind('\n').unwrap_or(cut);
            let mut s = out[..end].to_string();
            s.push_str("\n\n_Report cut to fit; see the JSON or HTML report for the rest._\n");
            return s;
        }
    }
}

/// Draw a document as Markdown: a blank line after each block.
pub fn draw(d: &Document) -> String {
    let mut o = String::new();
    blocks(&mut o, &d.blocks);
    if !d.closing_blank_line && matches!(d.blocks.last(), Some(Block::List(_))) {
        o.pop();
    }
    o
}

fn blocks(o: &mut String, bs: &[Block]) {
    for b in bs {
        match b {
            Block::Heading { level, spans, .. } => {
                let _ = writeln!(o, "{} {}\n", "#".repeat(*level as usize), inline(spans));
            }
            Block::Para { spans, .. } => {
                let _ = writeln!(o, "{}\n", inline(spans));
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(o, "- {}", inline(i));
                }
                o.push('\n');
            }
            Block::Table(t) => {
                draw_table(o, t);
                o.push('\n');
            }
            Block::Path(p) => {
                let _ = writeln!(
                    o,
                    "<details><summary>{} ({} step{})</summary>\n\n```text",
                    p.label,
                    p.steps.len(),
                    if p.steps.len() == 1 { "" } else { "s" }
                );
                for line in path_lines(&p.steps, p.max_steps) {
                    let lead = match line {
                        PathLine::Step(0) => "",
                        PathLine::LeftOut { .. } => "     ",
                        _ => "  ",
                    };
                    let _ = writeln!(o, "{lead}{}", path_line_text(&p.steps, line, p.unit));
                }
                o.push_str("```\n\n</details>\n\n");
            }
            Block::Tree(items, unit) => {
                o.push_str("```text\n");
                tree_lines_in(o, items, *unit);
                o.push_str("```\n\n");
            }
            Block::Group { blocks: inner, .. } => blocks(o, inner),
            Block::Chart(c) => {
                let _ = writeln!(o, "{}\n\n```text", c.title);
                for line in c.sparklines(|v| crate::render::svg::value(v, c.y_unit)) {
                    let _ = writeln!(o, "{line}");
                }
                o.push_str("```\n\n");
            }
            Block::Bars(bars) => {
                let _ = writeln!(o, "{}\n\n```text", bars.title);
                for line in bars.text_lines(|v| crate::render::svg::signed(v, bars.unit)) {
                    let _ = writeln!(o, "{line}");
                }
                o.push_str("```\n\n");
            }
            Block::Icicle(_) => {}
            Block::Spacer => {}
        }
    }
}

fn inline(spans: &[Span]) -> String {
    let mut o = String::new();
    for s in spans {
        match s {
            Span::Text(t) => o.push_str(&escape(t)),
            Span::Figure(t) => o.push_str(t),
            Span::Code { text, .. } => o.push_str(&code(text)),
            Span::Styled(tone, inner) => {
                let t = inline(inner);
                match tone {
                    Tone::Strong => {
                        let _ = write!(o, "**{t}**");
                    }
                    Tone::Emphasis => {
                        let _ = write!(o, "_{t}_");
                    }
                    _ => o.push_str(&t),
                }
            }
        }
    }
    o
}

fn draw_table(o: &mut String, t: &Table) {
    let head: Vec<(&str, Align)> = t
        .columns
        .iter()
        .map(|c| {
            let a = if c.numeric { Align::Right } else { Align::Left };
            (c.header.as_str(), a)
        })
        .collect();
    let shown = t.rows.len().min(t.cap.unwrap_or(usize::MAX));
    let rows: Vec<Vec<String>> = t.rows[..shown]
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    o.push_str(&table(&head, &rows));
    if t.rows.len() > shown {
        let _ = writeln!(o, "\n_{} more rows left out._", t.rows.len() - shown);
    }
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Id(s) => code(s),
        Cell::Type { name, value } => match value {
            Some(v) => format!("{} “{}”", code(name), escape(&truncate(v, 60))),
            None => code(name),
        },
        c => escape(&cell_text(c)),
    }
}
