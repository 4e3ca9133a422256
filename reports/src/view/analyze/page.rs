//! The analysis report as the HTML page's document: every detail of a suspect, the dominator
//! tree, sortable tables.

use crate::doc::{Block, Document, GroupKind, Span, Table, Tone};
use crate::fmt::{pct, thousands};
use crate::model::{Report, Suspect};
use crate::render::html::MAX_HISTOGRAM_ROWS;
use crate::view::{auto_columns, heading_id, is_call_tree, measure, para_class, table, Measure};

use super::{
    both_paths, dominator_rows, facts, fix_spans, type_columns, type_rows, warnings,
    DOMINATOR_COLUMNS, NO_SUSPECT,
};

/// The HTML page's document.
pub fn html(r: &Report) -> Document {
    let m = measure(r);
    let s = &r.summary;
    let header = vec![
        Block::Heading {
            level: 1,
            spans: vec![Span::text("heapscope report: "), Span::text(&r.input.path)],
            aside: None,
            id: None,
        },
        para_class(
            vec![Span::text(facts(
                r,
                &[format!(
                    "{} nodes, {} edges, {} GC roots",
                    thousands(s.nodes),
                    thousands(s.edges),
                    thousands(s.gc_roots)
                )],
            ))],
            "meta",
            None,
        ),
        Block::para(vec![
            Span::text(format!("{} in total, ", m.text(s.total_bytes))),
            Span::styled(
                Tone::Strong,
                format!("{} reachable", m.text(s.reachable_bytes)),
            ),
            Span::text(format!(
                ", {} unreachable ({} nodes).",
                m.text(s.unreachable_bytes),
                thousands(s.unreachable_nodes)
            )),
        ]),
    ];
    let mut b = vec![Block::Group {
        kind: GroupKind::Header,
        class: None,
        id: None,
        blocks: header,
    }];
    b.push(heading_id(2, "Leak suspects", Some("suspects")));
    if r.suspects.is_empty() {
        b.push(para_class(
            vec![Span::text(NO_SUSPECT)],
            "ok",
            Some("no-suspects"),
        ));
    }
    for sp in &r.suspects {
        b.push(html_suspect(sp, is_call_tree(r), m));
    }
    if !r.dominator_tree.is_empty() {
        b.push(heading_id(2, "Dominator tree", Some("dominator-tree")));
        b.push(para_class(
            vec![Span::text(
                "Nodes retaining at least 1% of the reachable heap, largest first; click to expand.",
            )],
            "note",
            None,
        ));
        b.push(Block::Group {
            kind: GroupKind::Div,
            class: Some("tree".into()),
            id: None,
            blocks: vec![Block::Tree(
                r.dominator_tree.clone(),
                super::super::measure(r).unit,
            )],
        });
        b.push(retention_icicle(r, m));
    }
    b.push(heading_id(
        2,
        "Biggest objects by retained size",
        Some("dominators"),
    ));
    b.push(Block::Table(Table {
        sortable: true,
        id: Some("dominators-table"),
        ..table(
            auto_columns(&DOMINATOR_COLUMNS),
            dominator_rows(r.dominators.iter(), m),
        )
    }));
    b.extend(super::held_by_threads(&r.dominators));
    b.push(heading_id(2, "Histogram", Some("histogram")));
    b.push(para_class(
        vec![Span::text("Retained = minimum retained size of all instances of the type (a lower bound). Click a header to sort.")],
        "note",
        None,
    ));
    b.push(Block::Table(Table {
        sortable: true,
        cap: Some(MAX_HISTOGRAM_ROWS),
        id: Some("histogram-table"),
        ..table(type_columns("type"), type_rows(r.histogram.iter(), m))
    }));
    warnings(&mut b, r, 2, Some("warnings"));
    let first = r
        .suspects
        .first()
        .map(|s| s.title.as_str())
        .unwrap_or("no leak suspect");
    Document {
        title: format!("heapscope: {} — {first}", r.input.path),
        blocks: b,
        closing_blank_line: true,
    }
}

fn html_suspect(sp: &Suspect, call_tree: bool, m: Measure) -> Block {
    let unknown = sp.pattern == "unknown";
    let mut b = vec![Block::heading(3, format!("#{} {}", sp.rank, sp.title))];
    b.push(Block::para(vec![
        Span::styled(Tone::Class("badge"), sp.kind.as_str()),
        Span::styled(
            Tone::Class(if unknown {
                "badge unknown"
            } else {
                "badge pattern"
            }),
            sp.pattern.as_str(),
        ),
        Span::styled(
            Tone::Class("meta"),
            format!(
                "{} retained, {} of the reachable heap, {}",
                m.text(sp.retained_bytes),
                pct(sp.retained_share),
                super::count_text(sp)
            ),
        ),
    ]));
    if let Some(h) = &sp.holder {
        b.push(Block::para(vec![
            Span::text("Held by: "),
            Span::Code {
                text: h.clone(),
                class: Some("holder"),
            },
        ]));
    }
    if !sp.explanation.is_empty() {
        b.push(Block::text(&sp.explanation));
    }
    if let Some(fix) = &sp.fix {
        b.push(para_class(fix_spans("Fix:", fix), "fix", None));
    }
    if let Some(t) = &sp.thread {
        b.extend(super::thread_blocks(t, 0, "Held by "));
    }
    if let Some(ap) = &sp.accumulation_point {
        b.push(para_class(
            vec![
                Span::text("Accumulation point: "),
                Span::code(&ap.type_name),
                Span::text(format!(
                    " {} — {} retained",
                    ap.id,
                    m.text(ap.retained_bytes)
                )),
            ],
            "meta",
            None,
        ));
    }
    let labels = [
        super::site_stack_label(sp, "Allocation stack, outermost frame first"),
        "Shortest path from a GC root",
        "Stack, outermost frame first",
    ];
    both_paths(&mut b, sp, call_tree, labels, 0, m.unit);
    if !sp.accumulated.is_empty() {
        b.push(Block::Table(table(
            type_columns("accumulated type"),
            type_rows(sp.accumulated.iter(), m),
        )));
    }
    Block::Group {
        kind: GroupKind::Section,
        class: Some(format!("suspect{}", if unknown { " unknown" } else { "" })),
        id: Some(format!("suspect-{}", sp.rank)),
        blocks: b,
    }
}

/// The dominator tree as a retention flame graph (Perfetto's "Dominated Object Size"): width =
/// retained size, each node under its dominator, from the tree items the page already has.
fn retention_icicle(r: &Report, m: Measure) -> Block {
    let what = if is_call_tree(r) { "cum" } else { "retained" };
    let items = r.dominator_tree.iter().map(|t| {
        let ty = match &t.node.value {
            Some(v) => format!("{} \u{201c}{v}\u{201d}", t.node.type_name),
            None => t.node.type_name.clone(),
        };
        let name = match &t.via {
            Some(v) if !v.is_empty() => format!("{v} › {ty}"),
            _ => ty.clone(),
        };
        let tip = format!(
            "{ty} {} — {what} {} ({})",
            t.node.id,
            m.text(t.node.retained_bytes),
            pct(t.node.retained_share)
        );
        (t.depth, t.node.retained_bytes, name, tip)
    });
    let mut ic = crate::doc::Icicle::from_preorder(
        format!("Retention flame graph: width = {what} size, each node below its dominator (hover for sizes)"),
        m.unit,
        r.summary.reachable_bytes,
        items,
    );
    ic.id = Some("icicle".into());
    Block::Icicle(ic)
}
