//! A diff of two dumps as a document.

use crate::doc::{Block, Cell, Document};
use crate::fmt::{human_bytes, thousands};
use crate::overtime::{Delta, DiffReport};
use crate::render::{signed_bytes, signed_count};

use super::{
    auto_columns, dump_is_call_tree, more_rows, overtime_doc, overtime_warnings, table, verdicts,
};

/// What a diff with no verdict says: two dumps cannot tell a leak from a cache, only
/// fragmentation.
const NO_DIFF_VERDICT: &str =
    "No fragmentation finding. Two dumps show what grew (below), not the shape of the growth: \
run `heapscope trend` on three or more dumps to tell a leak from a cache.";

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
