//! The terminal view of any [`Document`]: aligned columns, human sizes, colour only when asked
//! (the CLI asks when stdout is a terminal).

use std::fmt::Write;

use crate::doc::{path_lines, Block, Cell, Document, Path, PathLine, Span, Table, Tone, Width};
use crate::fmt::{amount, human_bytes, pct, thousands};
use crate::model::{PathElem, Report, TreeItem};
use crate::render::{signed_bytes, signed_count, RenderOptions};
use heapscope_graph::Unit;

/// ANSI styling that is a no-op when colour is off.
#[derive(Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    pub fn new(on: bool) -> Style {
        Style { on }
    }
    fn wrap(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
}

/// Render an analysis report for a terminal without colour; `rows` caps the histogram.
pub fn render(r: &Report, rows: usize) -> String {
    render_with(
        r,
        &RenderOptions {
            rows,
            ..RenderOptions::default()
        },
    )
}

/// Render an analysis report for a terminal.
pub fn render_with(r: &Report, opts: &RenderOptions) -> String {
    draw(&crate::view::analyze::text(r, opts.rows), opts.color)
}

/// Draw a document for a terminal.
pub fn draw(d: &Document, color: bool) -> String {
    let st = Style::new(color);
    let mut o = String::new();
    blocks(&mut o, &d.blocks, st);
    o
}

fn blocks(o: &mut String, bs: &[Block], st: Style) {
    for b in bs {
        match b {
            Block::Heading {
                level,
                spans,
                aside,
                ..
            } => {
                if *level <= 1 {
                    let _ = writeln!(o, "{}", spans_text(spans, st));
                } else {
                    let mut h = Span::plain(spans).to_uppercase();
                    if let Some(a) = aside {
                        h.push(' ');
                        h.push_str(a);
                    }
                    let _ = writeln!(o, "\n{}", st.bold(&h));
                }
            }
            Block::Para { spans, indent, .. } => {
                let _ = writeln!(o, "{}{}", " ".repeat(*indent), spans_text(spans, st));
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(o, "  - {}", spans_text(i, st));
                }
            }
            Block::Table(t) => table(o, t),
            Block::Path(p) => path(o, p),
            Block::Tree(items, unit) => tree_lines_in(o, items, *unit),
            Block::Group { blocks: inner, .. } => blocks(o, inner, st),
            Block::Chart(c) => {
                let lines = c.sparklines(|v| crate::render::svg::value(v, c.y_unit));
                // One series: its line (named by the view) says it all.
                if lines.len() != 1 {
                    let _ = writeln!(o, "  {}", c.title);
                }
                for line in lines {
                    let _ = writeln!(o, "    {line}");
                }
            }
            Block::Bars(bars) => {
                let _ = writeln!(o, "  {}", bars.title);
                for line in bars.text_lines(|v| crate::render::svg::signed(v, bars.unit)) {
                    let _ = writeln!(o, "    {line}");
                }
            }
            Block::Icicle(_) => {}
            Block::Spacer => o.push('\n'),
        }
    }
}

fn spans_text(spans: &[Span], st: Style) -> String {
    let mut o = String::new();
    for s in spans {
        match s {
            Span::Text(t) | Span::Figure(t) | Span::Code { text: t, .. } => o.push_str(t),
            Span::Styled(tone, inner) => {
                let t = spans_text(inner, st);
                o.push_str(&match tone {
                    Tone::Strong => st.bold(&t),
                    Tone::Alert => st.red(&t),
                    Tone::Caution => st.yellow(&t),
                    Tone::Muted => st.dim(&t),
                    Tone::Good => st.green(&t),
                    Tone::Emphasis | Tone::Class(_) => t,
                });
            }
        }
    }
    o
}

/// The dominator tree, a node a line, indented by depth (sizes in bytes).
pub fn tree_lines(o: &mut String, items: &[TreeItem]) {
    tree_lines_in(o, items, Unit::Bytes)
}

/// The dominator tree with its sizes in `unit`.
pub fn tree_lines_in(o: &mut String, items: &[TreeItem], unit: Unit) {
    for it in items {
        let via = it
            .via
            .as_deref()
            .map(|v| format!("{v} → "))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{}{via}{} {} {} ({})",
            "  ".repeat(it.depth as usize),
            it.node.type_name,
            it.node.id,
            amount(it.node.retained_bytes, unit),
            pct(it.node.retained_share)
        );
    }
}

/// A cell as a terminal shows it (and as Markdown does, before escaping).
pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) | Cell::Id(s) => s.clone(),
        Cell::Type { name, value } => match value {
            Some(v) => format!("{name} \"{v}\""),
            None => name.clone(),
        },
        Cell::Count(n) => thousands(*n),
        Cell::Bytes(b) => human_bytes(*b),
        Cell::Share(x) => pct(*x),
        Cell::SignedCount(n) => signed_count(*n),
        Cell::SignedBytes(b) => signed_bytes(*b),
    }
}

fn table(o: &mut String, t: &Table) {
    let cols = t.columns.len();
    let shown = t.rows.len().min(t.cap.unwrap_or(usize::MAX));
    let rows: Vec<Vec<String>> = t.rows[..shown]
        .iter()
        .map(|r| r.iter().take(cols).map(cell_text).collect())
        .collect();
    let w: Vec<usize> = t
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| match col.width {
            Width::Min(n) => n,
            Width::Auto => rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .chain([col.header.chars().count()])
                .max()
                .unwrap_or(0),
        })
        .collect();
    let line = |cells: &[String]| -> String {
        let mut s = " ".repeat(t.indent);
        for (c, cell) in cells.iter().enumerate().take(cols) {
            let col = &t.columns[c];
            let pad = w[c].saturating_sub(cell.chars().count());
            if c > 0 {
                s.push_str(col.sep);
            }
            if col.numeric {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if c + 1 != cols {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        s
    };
    if t.header {
        let head: Vec<String> = t.columns.iter().map(|c| c.header.clone()).collect();
        let _ = writeln!(o, "{}", line(&head));
    }
    for r in &rows {
        let _ = writeln!(o, "{}", line(r));
    }
    if t.rows.len() > shown {
        let _ = writeln!(
            o,
            "… {} more rows",
            thousands((t.rows.len() - shown) as u64)
        );
    }
}

fn path(o: &mut String, p: &Path) {
    let _ = writeln!(o, "{}{}:", " ".repeat(p.indent), p.label);
    let indent = " ".repeat(p.indent + 2);
    for line in path_lines(&p.steps, p.max_steps) {
        let _ = writeln!(o, "{indent}{}", path_line_text(&p.steps, line, p.unit));
    }
}

/// A drawn path line as text (the terminal and Markdown views): a step as [`step_line_in`] has
/// it, or what was left out.
pub fn path_line_text(path: &[PathElem], line: PathLine, unit: Unit) -> String {
    match line {
        PathLine::Step(i) => step_line_in(path, i, unit),
        PathLine::Same { like, times } => {
            let p = &path[like];
            format!(
                "  … the same step {} more times: └ {}{} {} …",
                thousands(times as u64),
                p.via.as_deref().unwrap_or("·"),
                if p.weak { " (weak)" } else { "" },
                p.type_name
            )
        }
        PathLine::LeftOut { steps } => format!("… {} steps left out …", thousands(steps as u64)),
    }
}

/// Step `i` of a path as one line: `[root kind] type id`, then `└ via type id`, with the retained
/// size when the step has one.
pub fn step_line(path: &[PathElem], i: usize) -> String {
    step_line_in(path, i, Unit::Bytes)
}

/// [`step_line`] with the retained size in `unit`.
pub fn step_line_in(path: &[PathElem], i: usize, unit: Unit) -> String {
    let p = &path[i];
    let lead = if i == 0 {
        // The root's own name (a global's symbol, a module variable, a thread frame) follows
        // its kind, as the HTML page shows it.
        match &p.via {
            Some(v) => format!("[{}] {v} →", p.root_kind.as_deref().unwrap_or("root")),
            None => format!("[{}]", p.root_kind.as_deref().unwrap_or("root")),
        }
    } else {
        format!(
            "└ {}{}",
            p.via.as_deref().unwrap_or("·"),
            if p.weak { " (weak)" } else { "" }
        )
    };
    let size = p
        .retained_bytes
        .map(|b| format!("  ({})", amount(b, unit)))
        .unwrap_or_default();
    format!("{lead} {} {}{size}", p.type_name, p.id)
}

/// A path, one element per line, root first.
pub fn write_path(o: &mut String, path: &[PathElem], indent: &str) {
    for i in 0..path.len() {
        let _ = writeln!(o, "{indent}{}", step_line(path, i));
    }
}
