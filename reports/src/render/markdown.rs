//! Markdown to paste into a ticket: GitHub tables, and under [`DEFAULT_MAX_BYTES`] so that an
//! issue tracker takes it (GitHub's comment limit is 65,536 characters). When the report does
//! not fit, the histogram and dominator tables shrink first, then long paths are shortened,
//! then the suspect list; a note says what was left out.
//!
//! [`table`], [`escape`] and [`code`] are public for the diff and trend renderers.

use std::fmt::Write;

use crate::fmt::{human_bytes, pct, thousands};
use crate::model::{PathElem, Report};
use crate::render::RenderOptions;

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

/// How much of each part to show; shrunk until the output fits.
#[derive(Clone, Copy, Debug)]
struct Budget {
    histogram: usize,
    dominators: usize,
    path_steps: usize,
    suspects: usize,
}

fn path_md(o: &mut String, path: &[PathElem], max_steps: usize) {
    let n = path.len();
    let keep_head = max_steps / 2;
    let keep_tail = max_steps - keep_head;
    for (i, p) in path.iter().enumerate() {
        if n > max_steps && i == keep_head {
            let _ = writeln!(o, "{}   … {} steps left out …", "  ", n - max_steps);
        }
        if n > max_steps && i >= keep_head && i < n - keep_tail {
            continue;
        }
        let lead = if i == 0 {
            format!("[{}]", p.root_kind.as_deref().unwrap_or("root"))
        } else {
            format!(
                "└ {}{}",
                p.via.as_deref().unwrap_or("·"),
                if p.weak { " (weak)" } else { "" }
            )
        };
        let size = p
            .retained_bytes
            .map(|b| format!("  ({})", human_bytes(b)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{}{} {} {}{size}",
            "  ".repeat(i.min(1)),
            lead,
            p.type_name,
            p.id
        );
    }
}

fn render_budget(r: &Report, b: Budget, rows: usize) -> String {
    let profile = r.input.format == "pprof" || r.input.format == "tracemalloc";
    let mut o = String::new();
    let _ = writeln!(o, "## heapscope: {}\n", escape(&r.input.path));
    let s = &r.summary;
    let _ = writeln!(
        o,
        "{} · {}{}{}{} · {} nodes · {} reachable of {} · {}\n",
        escape(&r.input.format),
        human_bytes(r.input.size_bytes),
        if r.input.compressed { " (gzip)" } else { "" },
        r.input
            .sample_type
            .as_deref()
            .map(|x| format!(" · sample type {}", escape(x)))
            .unwrap_or_default(),
        r.input
            .timestamp
            .as_deref()
            .map(|x| format!(" · taken {}", escape(x)))
            .unwrap_or_default(),
        thousands(s.nodes),
        human_bytes(s.reachable_bytes),
        human_bytes(s.total_bytes),
        escape(&r.generator)
    );
    o.push_str("### Leak suspects\n\n");
    if r.suspects.is_empty() {
        o.push_str(
            "No leak suspect: nothing retains more than the threshold share of the heap.\n\n",
        );
    }
    for sp in r.suspects.iter().take(b.suspects) {
        let _ = writeln!(o, "**#{} {}**\n", sp.rank, escape(&sp.title));
        let _ = writeln!(
            o,
            "- kind `{}`, pattern `{}`; {} retained ({}), {} objects",
            sp.kind,
            sp.pattern,
            human_bytes(sp.retained_bytes),
            pct(sp.retained_share),
            thousands(sp.object_count)
        );
        if let Some(h) = &sp.holder {
            let _ = writeln!(o, "- held by: {}", code(h));
        }
        if !sp.explanation.is_empty() {
            let _ = writeln!(o, "- {}", escape(&sp.explanation));
        }
        if let Some(fix) = &sp.fix {
            let _ = writeln!(o, "- **fix:** {}", escape(fix));
        }
        let (path, label) = if !sp.path_to_root.is_empty() {
            (
                &sp.path_to_root,
                if profile {
                    "allocation stack, outermost frame first"
                } else {
                    "shortest path from a GC root"
                },
            )
        } else {
            (&sp.stack, "stack, outermost frame first")
        };
        if !path.is_empty() {
            let _ = writeln!(
                o,
                "\n<details><summary>{label} ({} steps)</summary>\n\n```text",
                path.len()
            );
            path_md(&mut o, path, b.path_steps);
            o.push_str("```\n\n</details>\n");
        }
        if !sp.accumulated.is_empty() {
            o.push('\n');
            let rows: Vec<Vec<String>> = sp
                .accumulated
                .iter()
                .map(|it| {
                    vec![
                        code(&it.type_name),
                        thousands(it.count),
                        human_bytes(it.shallow_bytes),
                        human_bytes(it.retained_bytes),
                    ]
                })
                .collect();
            o.push_str(&table(
                &[
                    ("accumulated type", Align::Left),
                    ("count", Align::Right),
                    ("shallow", Align::Right),
                    ("retained", Align::Right),
                ],
                &rows,
            ));
        }
        o.push('\n');
    }
    if r.suspects.len() > b.suspects {
        let _ = writeln!(
            o,
            "_{} more suspects left out to fit; see the JSON or HTML report._\n",
            r.suspects.len() - b.suspects
        );
    }
    if b.dominators > 0 && !r.dominators.is_empty() {
        o.push_str("### Biggest objects by retained size\n\n");
        let rows: Vec<Vec<String>> = r
            .dominators
            .iter()
            .take(b.dominators)
            .map(|d| {
                let ty = match &d.value {
                    Some(v) => format!("{} “{}”", code(&d.type_name), escape(&truncate(v, 60))),
                    None => code(&d.type_name),
                };
                vec![
                    human_bytes(d.retained_bytes),
                    pct(d.retained_share),
                    human_bytes(d.shallow_bytes),
                    code(&d.id),
                    ty,
                ]
            })
            .collect();
        o.push_str(&table(
            &[
                ("retained", Align::Right),
                ("share", Align::Right),
                ("shallow", Align::Right),
                ("id", Align::Left),
                ("type", Align::Left),
            ],
            &rows,
        ));
        if r.dominators.len() > b.dominators {
            let _ = writeln!(
                o,
                "\n_{} more left out._",
                r.dominators.len() - b.dominators
            );
        }
        o.push('\n');
    }
    let hist = b.histogram.min(rows);
    if hist > 0 && !r.histogram.is_empty() {
        o.push_str("### Histogram\n\nRetained is the minimum retained size of all instances of the type (a lower bound).\n\n");
        let rows: Vec<Vec<String>> = r
            .histogram
            .iter()
            .take(hist)
            .map(|h| {
                vec![
                    code(&h.type_name),
                    thousands(h.count),
                    human_bytes(h.shallow_bytes),
                    human_bytes(h.retained_bytes),
                ]
            })
            .collect();
        o.push_str(&table(
            &[
                ("type", Align::Left),
                ("count", Align::Right),
                ("shallow", Align::Right),
                ("retained", Align::Right),
            ],
            &rows,
        ));
        if r.histogram.len() > hist {
            let _ = writeln!(
                o,
                "\n_{} more types; see the JSON report._",
                thousands((r.histogram.len() - hist) as u64)
            );
        }
        o.push('\n');
    }
    if !r.warnings.is_empty() {
        o.push_str("### Warnings\n\n");
        for w in &r.warnings {
            let _ = writeln!(o, "- {}", escape(w));
        }
    }
    o
}

/// The report as Markdown under `opts.markdown_max_bytes`.
pub fn render(r: &Report, opts: &RenderOptions) -> String {
    let max = opts.markdown_max_bytes.max(1024);
    let mut b = Budget {
        histogram: opts.rows,
        dominators: r.dominators.len(),
        path_steps: 40,
        suspects: r.suspects.len(),
    };
    loop {
        let out = render_budget(r, b, opts.rows);
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
