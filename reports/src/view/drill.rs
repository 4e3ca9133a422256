//! The drill-down answers ([`crate::drill`]) as documents: the object asked about on the first
//! line, then its paths from GC roots, its referrers and dominator chain, or a type's largest
//! instances.

use heapscope_graph::Unit;

use crate::doc::{Block, Cell, Column, Document, Path, Span, Table};
use crate::drill::{InstancesAnswer, PathsAnswer, RetainersAnswer};
use crate::fmt::{human_bytes, pct, thousands};
use crate::model::NodeOut;

/// One object on one line: `type id — retained (share), shallow "value"`.
pub fn node_line(n: &NodeOut) -> String {
    format!(
        "{} {} — {} retained ({}), {} shallow{}",
        n.type_name,
        n.id,
        human_bytes(n.retained_bytes),
        pct(n.retained_share),
        human_bytes(n.shallow_bytes),
        n.value
            .as_ref()
            .map(|v| format!(" \"{v}\""))
            .unwrap_or_default()
    )
}

fn indented(text: String, indent: usize) -> Block {
    Block::Para {
        spans: vec![Span::Text(text)],
        class: None,
        id: None,
        indent,
    }
}

/// `heapscope path`: the object, then each path from a GC root.
pub fn paths(a: &PathsAnswer) -> Document {
    let mut blocks = vec![Block::text(node_line(&a.object))];
    if a.paths.is_empty() {
        blocks.push(Block::text(
            "no path from a GC root: the object is unreachable",
        ));
    }
    for (i, p) in a.paths.iter().enumerate() {
        let label = format!(
            "{} ({} steps{})",
            if i == 0 {
                "shortest path from a GC root".to_string()
            } else {
                format!("path {}", i + 1)
            },
            p.len(),
            if p.iter().any(|s| s.weak) {
                ", through a weak reference"
            } else {
                ""
            }
        );
        blocks.push(Block::Spacer);
        blocks.push(Block::Path(Path {
            label,
            steps: p.clone(),
            open: i == 0,
            max_steps: None,
            indent: 0,
            unit: Unit::Bytes,
        }));
    }
    Document {
        title: format!("Paths to {} {}", a.object.type_name, a.object.id),
        blocks,
        closing_blank_line: false,
    }
}

/// `heapscope retainers`: the object, its referrers (largest first), its dominator chain.
pub fn retainers(a: &RetainersAnswer) -> Document {
    let total = a.referrers_total;
    let shown = a.referrers.len();
    let mut blocks = vec![
        Block::text(node_line(&a.object)),
        Block::Spacer,
        Block::text(format!(
            "referenced by {} object{}{}:",
            thousands(total as u64),
            if total == 1 { "" } else { "s" },
            if total > shown {
                format!(" ({shown} largest shown)")
            } else {
                String::new()
            }
        )),
    ];
    if !a.referrers.is_empty() {
        blocks.push(Block::Table(Table {
            columns: vec![
                Column::fixed("via", false, 24, ""),
                Column::fixed("object", false, 0, " "),
            ],
            rows: a
                .referrers
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.via.clone().unwrap_or_else(|| "·".to_string())),
                        Cell::Text(format!(
                            "{}{}",
                            node_line(&r.object),
                            if r.weak { " (weak)" } else { "" }
                        )),
                    ]
                })
                .collect(),
            header: false,
            indent: 2,
            ..Table::default()
        }));
    }
    blocks.push(Block::Spacer);
    blocks.push(Block::text(
        "dominator chain (what keeps it alive), nearest first:",
    ));
    if a.dominators.is_empty() {
        blocks.push(indented(
            "(none: a GC root itself, or unreachable)".to_string(),
            2,
        ));
    }
    for d in &a.dominators {
        blocks.push(indented(node_line(d), 2));
    }
    Document {
        title: format!("Retainers of {} {}", a.object.type_name, a.object.id),
        blocks,
        closing_blank_line: false,
    }
}

/// `heapscope instances`: the type's count and shallow size, then its largest instances.
pub fn instances(a: &InstancesAnswer) -> Document {
    let blocks = vec![
        Block::text(format!(
            "{}: {} instances, {} shallow; largest by retained size:",
            a.type_name,
            thousands(a.count as u64),
            human_bytes(a.shallow_bytes)
        )),
        Block::Table(Table {
            columns: vec![
                Column::fixed("retained", true, 12, ""),
                Column::fixed("share", true, 7, " "),
                Column::fixed("shallow", true, 12, " "),
                Column::fixed("id", false, 0, "  "),
            ],
            rows: a
                .instances
                .iter()
                .map(|r| {
                    vec![
                        Cell::Bytes(r.retained_bytes),
                        Cell::Share(r.retained_share),
                        Cell::Bytes(r.shallow_bytes),
                        Cell::Text(format!(
                            "{}{}",
                            r.id,
                            r.value
                                .as_ref()
                                .map(|v| format!(" \"{v}\""))
                                .unwrap_or_default()
                        )),
                    ]
                })
                .collect(),
            header: true,
            ..Table::default()
        }),
    ];
    Document {
        title: format!("Instances of {}", a.type_name),
        blocks,
        closing_blank_line: false,
    }
}
