//! The terminal view: aligned columns, human sizes.

use std::fmt::Write;

use crate::fmt::{human_bytes, pct, thousands};
use crate::model::{PathElem, Report};

/// Render for a terminal; `rows` caps the histogram.
pub fn render(r: &Report, rows: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "heapscope — {} ({}, {})", r.input.path, r.input.format, human_bytes(r.input.size_bytes));
    if let Some(st) = &r.input.sample_type {
        let _ = writeln!(o, "sample type: {st}");
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
        let _ = writeln!(o, "No leak suspect: nothing retains more than the threshold share of the heap.");
    } else {
        let _ = writeln!(o, "LEAK SUSPECTS");
        for sp in &r.suspects {
            let _ = writeln!(o, "#{} [{} / {}] {}", sp.rank, sp.kind, sp.pattern, sp.title);
            if !sp.explanation.is_empty() {
                let _ = writeln!(o, "   {}", sp.explanation);
            }
            if let Some(fix) = &sp.fix {
                let _ = writeln!(o, "   fix: {fix}");
            }
            if !sp.path_to_root.is_empty() {
                let _ = writeln!(o, "   path from GC root:");
                write_path(&mut o, &sp.path_to_root, "     ");
            }
            for it in &sp.accumulated {
                let _ = writeln!(
                    o,
                    "     holds {} × {} ({})",
                    thousands(it.count),
                    it.type_name,
                    human_bytes(it.retained_bytes)
                );
            }
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "BIGGEST OBJECTS BY RETAINED SIZE");
    let _ = writeln!(o, "{:>12} {:>7} {:>12}  {:<20} type", "retained", "share", "shallow", "id");
    for d in &r.dominators {
        let _ = writeln!(
            o,
            "{:>12} {:>7} {:>12}  {:<20} {}{}",
            human_bytes(d.retained_bytes),
            pct(d.retained_share),
            human_bytes(d.shallow_bytes),
            d.id,
            d.type_name,
            d.value.as_ref().map(|v| format!(" \"{v}\"")).unwrap_or_default()
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "HISTOGRAM (retained = minimum retained size of all instances, a lower bound)");
    let _ = writeln!(o, "{:>12} {:>12} {:>12}  type", "count", "shallow", "retained");
    for h in r.histogram.iter().take(rows) {
        let _ = writeln!(
            o,
            "{:>12} {:>12} {:>12}  {}",
            thousands(h.count),
            human_bytes(h.shallow_bytes),
            human_bytes(h.retained_bytes),
            h.type_name
        );
    }
    if r.histogram.len() > rows {
        let _ = writeln!(o, "… {} more types (use --format json for all)", r.histogram.len() - rows);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "WARNINGS");
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
            format!("└ {}{}", p.via.as_deref().unwrap_or("?"), if p.weak { " (weak)" } else { "" })
        };
        let _ = writeln!(o, "{indent}{} {} {}", lead, p.type_name, p.id);
    }
}
