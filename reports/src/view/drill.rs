//! The drill-down answers ([`crate::drill`]) as documents: the object asked about on the first
//! line, then its paths from GC roots, its referrers and dominator chain, a type's largest
//! instances, a page of dominator children, or the whole object page.

use heapscope_graph::Unit;

use crate::doc::{Block, Cell, Column, Document, Path, Span, Table};
use crate::drill::{ChildrenAnswer, InstancesAnswer, ObjectAnswer, PathsAnswer, RetainersAnswer};
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

/// How many more a capped list left out, as a line (nothing when none).
fn more(left_out: usize, what: &str) -> Option<Block> {
    (left_out > 0).then(|| indented(format!("… {} more {what}", thousands(left_out as u64)), 2))
}

fn children_table(a: &ChildrenAnswer) -> Block {
    Block::Table(Table {
        columns: vec![
            Column::fixed("retained", true, 12, ""),
            Column::fixed("share", true, 7, " "),
            Column::fixed("shallow", true, 12, " "),
            Column::fixed("children", true, 8, " "),
            Column::fixed("object", false, 0, "  "),
        ],
        rows: a
            .children
            .iter()
            .map(|ch| {
                let r = &ch.object;
                vec![
                    Cell::Bytes(r.retained_bytes),
                    Cell::Share(r.retained_share),
                    Cell::Bytes(r.shallow_bytes),
                    Cell::Count(ch.children as u64),
                    Cell::Text(format!(
                        "{} {}{}",
                        r.type_name,
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
        indent: 2,
        ..Table::default()
    })
}

/// One page of dominator children: the parent, then the children largest first.
pub fn children(a: &ChildrenAnswer) -> Document {
    let who = match &a.parent {
        Some(p) => node_line(p),
        None => "the GC roots (the top of the dominator tree)".to_string(),
    };
    let mut blocks = vec![
        Block::text(who),
        Block::Spacer,
        Block::text(format!(
            "dominates {} object{} directly{}:",
            thousands(a.total as u64),
            if a.total == 1 { "" } else { "s" },
            if a.offset > 0 || a.left_out > 0 {
                format!(
                    " ({} to {} shown)",
                    a.offset + 1.min(a.children.len()),
                    a.offset + a.children.len()
                )
            } else {
                String::new()
            }
        )),
    ];
    if !a.children.is_empty() {
        blocks.push(children_table(a));
    }
    blocks.extend(more(a.left_out, "children"));
    Document {
        title: match &a.parent {
            Some(p) => format!("Dominator children of {} {}", p.type_name, p.id),
            None => "Dominator tree".to_string(),
        },
        blocks,
        closing_blank_line: false,
    }
}

/// The object page: the object, its roots, fields, references, referrers, dominator chain,
/// paths from GC roots and dominator children.
pub fn object(a: &ObjectAnswer) -> Document {
    let o = &a.object;
    let mut blocks = vec![
        Block::text(node_line(o)),
        Block::text(format!(
            "kind {}{}",
            a.kind,
            if a.reachable {
                ""
            } else {
                ", unreachable (garbage the next collection frees)"
            }
        )),
    ];
    if !a.gc_roots.is_empty() {
        blocks.push(Block::text(format!("GC root: {}", a.gc_roots.join(", "))));
    }
    if let Some(fields) = &a.fields {
        blocks.push(Block::heading(2, format!("Fields ({})", a.fields_total)));
        if !fields.is_empty() {
            blocks.push(Block::Table(Table {
                columns: vec![
                    Column::fixed("name", false, 20, ""),
                    Column::fixed("type", false, 16, " "),
                    Column::fixed("value", false, 0, " "),
                ],
                rows: fields
                    .iter()
                    .map(|f| {
                        vec![
                            Cell::Text(f.name.clone()),
                            Cell::Text(f.type_name.clone().unwrap_or_default()),
                            Cell::Text(match (&f.object, &f.value) {
                                (Some(n), _) => node_line(n),
                                (None, Some(v)) => v.clone(),
                                (None, None) => "null".to_string(),
                            }),
                        ]
                    })
                    .collect(),
                header: true,
                indent: 2,
                ..Table::default()
            }));
        }
        blocks.extend(more(a.fields_total - fields.len(), "fields"));
    }
    blocks.push(Block::heading(
        2,
        format!("References ({})", thousands(a.references_total as u64)),
    ));
    blocks.push(ref_table(
        a.references
            .iter()
            .map(|r| (r.via.as_deref(), r.weak, &r.object)),
    ));
    blocks.extend(more(a.references_total - a.references.len(), "references"));
    blocks.push(Block::heading(
        2,
        format!("Referrers ({})", thousands(a.referrers_total as u64)),
    ));
    blocks.push(ref_table(
        a.referrers
            .iter()
            .map(|r| (r.via.as_deref(), r.weak, &r.object)),
    ));
    blocks.extend(more(a.referrers_total - a.referrers.len(), "referrers"));
    blocks.push(Block::heading(2, "Dominator chain (what keeps it alive)"));
    if a.dominators.is_empty() {
        blocks.push(indented(
            "(none: a GC root itself, or unreachable)".to_string(),
            2,
        ));
    }
    for d in &a.dominators {
        blocks.push(indented(node_line(d), 2));
    }
    blocks.extend(more(a.dominators_total - a.dominators.len(), "dominators"));
    blocks.push(Block::heading(2, "Paths from GC roots"));
    blocks.extend(
        paths(&PathsAnswer {
            object: a.object.clone(),
            paths: a.paths.clone(),
        })
        .blocks
        .into_iter()
        .skip(1),
    );
    blocks.push(Block::heading(
        2,
        format!(
            "Dominator children ({})",
            thousands(a.children.total as u64)
        ),
    ));
    if !a.children.children.is_empty() {
        blocks.push(children_table(&a.children));
    }
    blocks.extend(more(a.children.left_out, "children"));
    Document {
        title: format!("{} {}", o.type_name, o.id),
        blocks,
        closing_blank_line: false,
    }
}

/// References or referrers: `via` and the object on each row.
fn ref_table<'a>(rows: impl Iterator<Item = (Option<&'a str>, bool, &'a NodeOut)>) -> Block {
    Block::Table(Table {
        columns: vec![
            Column::fixed("via", false, 24, ""),
            Column::fixed("object", false, 0, " "),
        ],
        rows: rows
            .map(|(via, weak, n)| {
                vec![
                    Cell::Text(via.unwrap_or("·").to_string()),
                    Cell::Text(format!(
                        "{}{}",
                        node_line(n),
                        if weak { " (weak)" } else { "" }
                    )),
                ]
            })
            .collect(),
        header: false,
        indent: 2,
        ..Table::default()
    })
}
