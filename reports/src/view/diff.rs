//! A diff of two dumps as a document.

use crate::doc::{Bar, Bars, Block, Cell, Document};
use crate::fmt::{human_bytes, thousands};
use crate::overtime::{Delta, DiffReport};
use crate::overtime::{GrowthSuspect, LikelyLeak};
use crate::render::{signed_bytes, signed_count};

use super::{
    auto_columns, dump_is_call_tree, list, more_rows, overtime_doc, overtime_warnings, table,
    verdicts,
};

/// What a diff with no verdict says (its only verdict is fragmentation; the leak is named above).
const NO_DIFF_VERDICT: &str = "No fragmentation finding.";

/// The next step after a named leak: two dumps cannot tell whether the growth stops.
const NEXT_STEP: &str = "Next: two dumps show what grew, not whether it stops growing; run \
`heapscope trend` on three or more dumps (with stable ids, memlab's baseline/target/final) to \
tell a leak from a cache that fills up.";

/// A change's count, shallow and retained bytes.
fn change(d: &Delta) -> [Cell; 3] {
    [
        Cell::SignedCount(d.count),
        Cell::SignedBytes(d.shallow_bytes),
        Cell::SignedBytes(d.retained_bytes),
    ]
}

/// The diff; `rows` caps the rows of each table.
pub fn document(r: &DiffReport, rows: usize) -> Document {
    let mut b = Vec::new();
    let (sh, re) = if dump_is_call_tree(&r.target) {
        ("flat", "cum")
    } else {
        ("shallow", "retained")
    };
    b.push(Block::text(format!(
        "Compared by {}; {}.",
        r.semantics.compared_by.join(", "),
        r.semantics.reference
    )));
    for (which, x) in [("base", &r.base), ("target", &r.target)] {
        b.push(Block::text(format!(
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
        )));
    }
    let t = &r.totals;
    b.push(Block::text(format!(
        "Change: {} objects, {} in total, {} reachable.",
        signed_count(t.change.count),
        signed_bytes(t.change.shallow_bytes),
        signed_bytes(t.change.retained_bytes)
    )));
    likely_leak(&mut b, &r.likely_leak, sh);
    verdicts(&mut b, &r.verdicts, NO_DIFF_VERDICT);
    b.push(Block::heading(
        2,
        format!("By {} (order: {})", r.semantics.type_key, r.semantics.order),
    ));
    let head = [
        "count Δ".to_string(),
        format!("{sh} Δ"),
        format!("{re} Δ"),
        format!("{sh} (target)"),
        format!("{re} (target)"),
        r.semantics.type_key.clone(),
    ];
    let body: Vec<Vec<Cell>> = r
        .types
        .iter()
        .take(rows)
        .map(|x| {
            let cells = vec![
                Cell::Text(human_bytes(x.target.shallow_bytes)),
                Cell::Text(human_bytes(x.target.retained_bytes)),
                Cell::Text(x.type_name.clone()),
            ];
            [change(&x.change).to_vec(), cells].concat()
        })
        .collect();
    if body.is_empty() {
        b.push(Block::text("No change."));
    } else {
        let cols: Vec<(&str, bool)> = head
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i < 5))
            .collect();
        b.push(Block::Table(table(auto_columns(&cols), body)));
        b.push(Block::Bars(Bars {
            title: format!("{sh} change by {}", r.semantics.type_key),
            unit: heapscope_graph::Unit::Bytes,
            bars: r
                .types
                .iter()
                .take(rows)
                .map(|x| Bar {
                    label: x.type_name.clone(),
                    value: x.change.shallow_bytes,
                })
                .collect(),
            id: Some("growth-bars".into()),
        }));
    }
    more_rows(&mut b, r.types.len(), rows);
    if !r.paths.is_empty() {
        b.push(Block::heading(
            2,
            "By path to GC root (retained = minimum retained size of the group)",
        ));
        let body = r
            .paths
            .iter()
            .take(rows)
            .map(|x| {
                let cells = vec![
                    Cell::Text(human_bytes(x.target.retained_bytes)),
                    Cell::Text(x.path.clone().unwrap_or_default()),
                ];
                [change(&x.change).to_vec(), cells].concat()
            })
            .collect();
        let cols = [
            ("count Δ", true),
            ("shallow Δ", true),
            ("retained Δ", true),
            ("retained (target)", true),
            ("path", false),
        ];
        b.push(Block::Table(table(auto_columns(&cols), body)));
    }
    if let Some(n) = &r.new_objects {
        b.push(Block::heading(
            2,
            format!("New in target (matched by {})", n.matched_by),
        ));
        b.push(Block::text(format!(
            "{} objects ({}) are new in the target; {} objects of the base are gone.",
            thousands(n.count),
            human_bytes(n.shallow_bytes),
            thousands(n.gone_count)
        )));
        let body = n
            .by_type
            .iter()
            .take(rows)
            .map(|x| {
                vec![
                    Cell::Text(thousands(x.count)),
                    Cell::Text(human_bytes(x.shallow_bytes)),
                    Cell::Text(human_bytes(x.retained_bytes)),
                    Cell::Text(x.type_name.clone()),
                    Cell::Text(x.example_ids.join(", ")),
                ]
            })
            .collect();
        let cols = [
            ("new", true),
            ("shallow", true),
            ("retained", true),
            ("type", false),
            ("e.g. ids", false),
        ];
        b.push(Block::Table(table(auto_columns(&cols), body)));
    }
    overtime_warnings(&mut b, &r.warnings);
    overtime_doc(
        format!("heapscope diff — {}", r.target.path),
        format!(
            "heapscope diff — {} → {} ({})",
            r.base.path, r.target.path, r.target.format
        ),
        b,
    )
}

/// The first answer: what most likely leaks, each suspect with its share of the growth and who
/// holds it (or its callers), then the next step; or that nothing grew above noise.
fn likely_leak(b: &mut Vec<Block>, l: &LikelyLeak, sh: &str) {
    b.push(Block::heading(2, "What most likely leaks"));
    let n = &l.noise;
    let noise = format!(
        "noise: growth up to {}, the larger of {} and {} of the reachable heap",
        human_bytes(n.threshold_bytes),
        human_bytes(n.floor_bytes),
        crate::fmt::pct(n.share_of_heap)
    );
    if l.suspects.is_empty() {
        b.push(Block::text(format!("Nothing grew above noise ({noise}).")));
        return;
    }
    b.push(Block::text(format!(
        "{} grew above noise ({noise}); of {} of growth:",
        if l.suspects.len() == 1 {
            "One group".to_string()
        } else {
            format!("{} groups", l.suspects.len())
        },
        human_bytes(l.growth_bytes.max(0) as u64)
    )));
    for s in &l.suspects {
        b.push(Block::text(crate::words::growth_suspect(s, sh)));
        list(b, &suspect_details(s));
    }
    b.push(Block::Bars(Bars {
        title: "Growth of each suspect".into(),
        unit: heapscope_graph::Unit::Bytes,
        bars: l
            .suspects
            .iter()
            .map(|s| Bar {
                label: format!("#{} {}", s.rank, s.type_name),
                value: s.growth_bytes,
            })
            .collect(),
        id: Some("suspect-bars".into()),
    }));
    if let Some(rows) = l.new_by_path.as_ref().filter(|r| !r.is_empty()) {
        b.push(Block::text(
            "New in target (ids absent from base), outermost objects by retainer path:",
        ));
        let body = rows
            .iter()
            .take(10)
            .map(super::trend::cluster_cells)
            .collect();
        let cols = [("new", true), ("retained", true), ("retainer path", false)];
        b.push(Block::Table(table(auto_columns(&cols), body)));
    }
    b.push(Block::text(NEXT_STEP));
}

fn suspect_details(s: &GrowthSuspect) -> Vec<String> {
    let mut d = Vec::new();
    // Entries of a collection are already named by their holder in the suspect's line.
    if let Some(h) = s
        .holder
        .as_ref()
        .filter(|_| crate::words::entries_holder(s).is_none())
    {
        d.push(format!("held by {h}"));
    }
    if let Some(p) = &s.path {
        d.push(format!("path: {p}"));
    }
    if !s.callers.is_empty() {
        d.push(format!("allocated from {}", s.callers.join(" › ")));
    }
    d
}
