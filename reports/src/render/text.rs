//! The terminal view: aligned columns, human sizes, colour only when asked (the CLI asks when
//! stdout is a terminal).

use std::fmt::Write;

use crate::fmt::{human_bytes, pct, thousands};
use crate::model::{PathElem, Report};
use crate::render::RenderOptions;

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

/// Render for a terminal without colour; `rows` caps the histogram.
pub fn render(r: &Report, rows: usize) -> String {
    render_with(
        r,
        &RenderOptions {
            rows,
            ..RenderOptions::default()
        },
    )
}

/// Render for a terminal.
pub fn render_with(r: &Report, opts: &RenderOptions) -> String {
    let st = Style::new(opts.color);
    let rows = opts.rows;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} — {} ({}, {}{})",
        st.bold("heapscope"),
        r.input.path,
        r.input.format,
        human_bytes(r.input.size_bytes),
        if r.input.compressed { ", gzip" } else { "" }
    );
    if let Some(s) = &r.input.sample_type {
        let _ = writeln!(o, "sample type: {s}");
    }
    if let Some(ts) = &r.input.timestamp {
        let _ = writeln!(o, "taken: {ts}");
    }
    let s = &r.summary;
    let _ = writeln!(
        o,
        "{} nodes, {} edges, {} GC roots; {} in total, {} reachable, {} unreachable ({} nodes)",
        thousands(s.nodes),
        thousands(s.edges),
        thousands(s.gc_roots),
        human_bytes(s.total_bytes),
        human_bytes(s.reachable_bytes),
        human_bytes(s.unreachable_bytes),
        thousands(s.unreachable_nodes)
    );
    let _ = writeln!(o);
    if r.suspects.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            st.green("No leak suspect: nothing retains more than the threshold share of the heap.")
        );
    } else {
        let _ = writeln!(o, "{}", st.bold("LEAK SUSPECTS"));
        for sp in &r.suspects {
            let tag = format!("[{} / {}]", sp.kind, sp.pattern);
            let tag = if sp.pattern == "unknown" {
                st.dim(&tag)
            } else {
                st.yellow(&tag)
            };
            let _ = writeln!(o, "#{} {} {}", sp.rank, tag, st.red(&sp.title));
            if !sp.explanation.is_empty() {
                let _ = writeln!(o, "   {}", sp.explanation);
            }
            if let Some(fix) = &sp.fix {
                let _ = writeln!(o, "   {} {fix}", st.bold("fix:"));
            }
            if !sp.path_to_root.is_empty() {
                let what = if r.input.format == "pprof" || r.input.format == "tracemalloc" {
                    "stack, outermost frame first:"
                } else {
                    "shortest path from a GC root:"
                };
                let _ = writeln!(o, "   {what}");
                write_path(&mut o, &sp.path_to_root, "     ");
            }
            if !sp.stack.is_empty() {
                let _ = writeln!(o, "   stack, outermost frame first:");
                write_path(&mut o, &sp.stack, "     ");
            }
            if !sp.accumulated.is_empty() {
                let _ = writeln!(o, "   accumulated below it:");
                for it in &sp.accumulated {
                    let _ = writeln!(
                        o,
                        "     {:>10} × {:<40} {:>11} retained",
                        thousands(it.count),
                        it.type_name,
                        human_bytes(it.retained_bytes)
                    );
                }
            }
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", st.bold("BIGGEST OBJECTS BY RETAINED SIZE"));
    let _ = writeln!(
        o,
        "{:>12} {:>7} {:>12}  {:<20} type",
        "retained", "share", "shallow", "id"
    );
    for d in &r.dominators {
        let _ = writeln!(
            o,
            "{:>12} {:>7} {:>12}  {:<20} {}{}",
            human_bytes(d.retained_bytes),
            pct(d.retained_share),
            human_bytes(d.shallow_bytes),
            d.id,
            d.type_name,
            d.value
                .as_ref()
                .map(|v| format!(" \"{v}\""))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{}",
        st.bold("HISTOGRAM (retained = minimum retained size of all instances, a lower bound)")
    );
    let cumulative = r.histogram.iter().any(|h| h.cumulative_bytes.is_some());
    if cumulative {
        let _ = writeln!(
            o,
            "{:>12} {:>12} {:>12} {:>12} {:>12}  type",
            "count", "shallow", "retained", "cumulative", "cum. count"
        );
    } else {
        let _ = writeln!(
            o,
            "{:>12} {:>12} {:>12}  type",
            "count", "shallow", "retained"
        );
    }
    for h in r.histogram.iter().take(rows) {
        let cum = match (h.cumulative_bytes, h.cumulative_count) {
            (Some(b), Some(c)) => format!(" {:>12} {:>12}", human_bytes(b), thousands(c)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "{:>12} {:>12} {:>12}{cum}  {}",
            thousands(h.count),
            human_bytes(h.shallow_bytes),
            human_bytes(h.retained_bytes),
            h.type_name
        );
    }
    if r.histogram.len() > rows {
        let _ = writeln!(
            o,
            "… {} more types (use --format json for all)",
            r.histogram.len() - rows
        );
    }
    if !r.unreachable_histogram.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{}",
            st.bold(&format!(
                "UNREACHABLE OBJECTS ({} objects, {}: garbage no GC root holds; not in the dominator tree)",
                thousands(r.summary.unreachable_nodes),
                human_bytes(r.summary.unreachable_bytes)
            ))
        );
        let _ = writeln!(o, "{:>12} {:>12}  type", "count", "shallow");
        for h in r.unreachable_histogram.iter().take(rows.min(10)) {
            let _ = writeln!(
                o,
                "{:>12} {:>12}  {}",
                thousands(h.count),
                human_bytes(h.shallow_bytes),
                h.type_name
            );
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "{}", st.bold("WARNINGS"));
        for w in &r.warnings {
            let _ = writeln!(o, "  - {w}");
        }
    }
    o
}

/// A path, one element per line, root first.
pub fn write_path(o: &mut String, path: &[PathElem], indent: &str) {
    for (i, p) in path.iter().enumerate() {
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
        let _ = writeln!(o, "{indent}{} {} {}{size}", lead, p.type_name, p.id);
    }
}
