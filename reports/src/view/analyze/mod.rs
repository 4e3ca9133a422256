//! The analysis report as a document, one per output: the terminal's is terse (aligned columns,
//! both paths, the unreachable histogram), the Markdown one fits a ticket ([`Budget`]), the HTML
//! page has the dominator tree and every detail of a suspect.

mod page;

pub use page::html;

use crate::doc::{Block, Cell, Column, Document, Span, Table, Tone};
use crate::fmt::{human_bytes, pct, thousands};
use crate::model::{HistRow, NodeOut, Report, Suspect, SuspectKind, ThreadOut};
use heapscope_graph::Unit;

use super::{auto_columns, heading_id, is_call_tree, measure, path, table, Measure};

const NO_SUSPECT: &str =
    "No leak suspect: nothing retains more than the threshold share of the heap.";

/// How much of each part the Markdown report shows; shrunk until the output fits.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub histogram: usize,
    pub dominators: usize,
    pub path_steps: usize,
    pub suspects: usize,
}

fn dominator_rows<'a>(ds: impl Iterator<Item = &'a NodeOut>, m: Measure) -> Vec<Vec<Cell>> {
    ds.map(|d| {
        vec![
            m.cell(d.retained_bytes),
            Cell::Share(d.retained_share),
            m.cell(d.shallow_bytes),
            Cell::Id(d.id.clone()),
            Cell::Type {
                name: d.type_name.clone(),
                value: d.value.clone(),
            },
        ]
    })
    .collect()
}

/// Type, count, shallow, retained: the histogram and the accumulated items (Markdown, HTML).
fn type_rows<'a>(hs: impl Iterator<Item = &'a HistRow>, m: Measure) -> Vec<Vec<Cell>> {
    hs.map(|h| {
        vec![
            type_cell(&h.type_name),
            Cell::Count(h.count),
            m.cell(h.shallow_bytes),
            m.cell(h.retained_bytes),
        ]
    })
    .collect()
}

fn type_cell(name: &str) -> Cell {
    Cell::Type {
        name: name.to_string(),
        value: None,
    }
}

fn type_columns(first: &str) -> Vec<Column> {
    auto_columns(&[
        (first, false),
        ("count", true),
        ("shallow", true),
        ("retained", true),
    ])
}

const DOMINATOR_COLUMNS: [(&str, bool); 5] = [
    ("retained", true),
    ("share", true),
    ("shallow", true),
    ("id", false),
    ("type", false),
];

/// The document the terminal shows; `rows` caps the histogram.
pub fn text(r: &Report, rows: usize) -> Document {
    let m = measure(r);
    let mut b = Vec::new();
    b.push(Block::Heading {
        level: 1,
        spans: vec![
            Span::styled(Tone::Strong, "heapscope"),
            Span::text(format!(
                " — {} ({}, {}{})",
                r.input.path,
                r.input.format,
                human_bytes(r.input.size_bytes),
                if r.input.compressed { ", gzip" } else { "" }
            )),
        ],
        aside: None,
        id: None,
    });
    if let Some(s) = &r.input.sample_type {
        b.push(Block::text(format!("sample type: {s}")));
    }
    if let Some(ts) = &r.input.timestamp {
        b.push(Block::text(format!("taken: {ts}")));
    }
    let s = &r.summary;
    b.push(Block::text(format!(
        "{} nodes, {} edges, {} GC roots; {} in total, {} reachable, {} unreachable ({} nodes)",
        thousands(s.nodes),
        thousands(s.edges),
        thousands(s.gc_roots),
        m.text(s.total_bytes),
        m.text(s.reachable_bytes),
        m.text(s.unreachable_bytes),
        thousands(s.unreachable_nodes)
    )));
    if r.suspects.is_empty() {
        b.push(Block::Spacer);
        b.push(Block::para(vec![Span::styled(Tone::Good, NO_SUSPECT)]));
    } else {
        b.push(Block::heading(2, "Leak suspects"));
        for sp in &r.suspects {
            text_suspect(&mut b, sp, is_call_tree(r), m);
        }
    }
    b.push(Block::heading(2, "Biggest objects by retained size"));
    let seps = ["", " ", " ", "  ", " "];
    let widths = [12, 7, 12, 20, 0];
    let columns = DOMINATOR_COLUMNS
        .iter()
        .zip(seps.iter().zip(widths))
        .map(|(&(h, n), (&sep, w))| Column::fixed(h, n, w, sep))
        .collect();
    b.push(Block::Table(table(
        columns,
        dominator_rows(r.dominators.iter(), m),
    )));
    b.extend(held_by_threads(&r.dominators));
    b.push(Block::Heading {
        level: 2,
        spans: vec![Span::text("Histogram")],
        aside: Some("(retained = minimum retained size of all instances, a lower bound)".into()),
        id: None,
    });
    let cumulative = r.histogram.iter().any(|h| h.cumulative_bytes.is_some());
    let mut heads = vec!["count", "shallow", "retained"];
    if cumulative {
        heads.extend(["cumulative", "cum. count"]);
    }
    let mut columns: Vec<Column> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| Column::fixed(h, true, 12, if i == 0 { "" } else { " " }))
        .collect();
    columns.push(Column::fixed("type", false, 0, "  "));
    let body = r
        .histogram
        .iter()
        .take(rows)
        .map(|h| {
            let mut row = vec![
                Cell::Count(h.count),
                m.cell(h.shallow_bytes),
                m.cell(h.retained_bytes),
            ];
            if let (Some(bytes), Some(count)) = (h.cumulative_bytes, h.cumulative_count) {
                row.extend([m.cell(bytes), Cell::Count(count)]);
            }
            row.push(type_cell(&h.type_name));
            row
        })
        .collect();
    b.push(Block::Table(table(columns, body)));
    if r.histogram.len() > rows {
        b.push(Block::text(format!(
            "… {} more types (use --format json for all)",
            r.histogram.len() - rows
        )));
    }
    if !r.unreachable_histogram.is_empty() {
        b.push(Block::Heading {
            level: 2,
            spans: vec![Span::text("Unreachable objects")],
            aside: Some(format!(
                "({} objects, {}: {}; not in the dominator tree)",
                thousands(r.summary.unreachable_nodes),
                human_bytes(r.summary.unreachable_bytes),
                unreachable_meaning(r.input.runtime)
            )),
            id: None,
        });
        let columns = vec![
            Column::fixed("count", true, 12, ""),
            Column::fixed("shallow", true, 12, " "),
            Column::fixed("type", false, 0, "  "),
        ];
        let body = r
            .unreachable_histogram
            .iter()
            .take(rows.min(10))
            .map(|h| {
                vec![
                    Cell::Count(h.count),
                    Cell::Bytes(h.shallow_bytes),
                    type_cell(&h.type_name),
                ]
            })
            .collect();
        b.push(Block::Table(table(columns, body)));
    }
    warnings(&mut b, r, 2, None);
    Document {
        title: String::new(),
        blocks: b,
        closing_blank_line: true,
    }
}

/// An allocation site's stack is one of its call paths, the one with the most bytes; its label
/// says so (the site's total is in the title). Other suspects keep `plain`.
pub(super) fn site_stack_label(sp: &Suspect, plain: &'static str) -> &'static str {
    match (sp.kind, plain.starts_with(char::is_uppercase)) {
        (SuspectKind::AllocationSite, true) => {
            "Largest call path to this site (one of its stacks), outermost frame first"
        }
        (SuspectKind::AllocationSite, false) => {
            "largest call path to this site (one of its stacks), outermost frame first"
        }
        _ => plain,
    }
}

/// A suspect's object count as its meta line says it: a single object's count is what sits at
/// its accumulation point (the entries directly below it, or a chain's length), not a total
/// of its subtree.
pub(super) fn count_text(sp: &Suspect) -> String {
    match sp.kind {
        SuspectKind::SingleObject => format!(
            "{} objects at the accumulation point",
            thousands(sp.object_count)
        ),
        _ => format!("{} objects", thousands(sp.object_count)),
    }
}

fn text_suspect(b: &mut Vec<Block>, sp: &Suspect, call_tree: bool, m: Measure) {
    let indented = |spans: Vec<Span>| Block::Para {
        spans,
        class: None,
        id: None,
        indent: 3,
    };
    let tone = if sp.pattern == "unknown" {
        Tone::Muted
    } else {
        Tone::Caution
    };
    b.push(Block::para(vec![
        Span::figure(format!("#{}", sp.rank)),
        Span::text(" "),
        Span::styled(tone, format!("[{} / {}]", sp.kind, sp.pattern)),
        Span::text(" "),
        Span::styled(Tone::Alert, sp.title.clone()),
    ]));
    if !sp.explanation.is_empty() {
        b.push(indented(vec![Span::text(sp.explanation.clone())]));
    }
    if let Some(fix) = &sp.fix {
        b.push(indented(fix_spans("fix:", fix)));
    }
    if let Some(t) = &sp.thread {
        b.extend(thread_blocks(t, 3, "held by "));
    }
    let labels = [
        site_stack_label(sp, "stack, outermost frame first"),
        "shortest path from a GC root",
        "stack, outermost frame first",
    ];
    both_paths(b, sp, call_tree, labels, 3, m.unit);
    if !sp.accumulated.is_empty() {
        b.push(indented(vec![Span::text("accumulated below it:")]));
        let rows = sp
            .accumulated
            .iter()
            .map(|it| {
                vec![
                    Cell::Count(it.count),
                    type_cell(&it.type_name),
                    m.cell(it.retained_bytes),
                    Cell::Text("retained".into()),
                ]
            })
            .collect();
        b.push(Block::Table(Table {
            columns: vec![
                Column::fixed("count", true, 10, ""),
                Column::fixed("type", false, 40, " × "),
                Column::fixed("retained", true, 11, " "),
                Column::fixed("", false, 0, " "),
            ],
            rows,
            header: false,
            indent: 5,
            ..Table::default()
        }));
    }
}

/// The most steps of a suspect's path or stack a view draws: the head and the tail, the middle
/// left out with its count (a recursion thousands of frames deep, a linked list; the JSON has
/// every step).
const PATH_STEPS: usize = 48;

/// A suspect's path from a GC root (labelled `labels[0]` in a call tree, else `labels[1]`) and
/// its stack (`labels[2]`), those it has.
fn both_paths(
    b: &mut Vec<Block>,
    sp: &Suspect,
    call_tree: bool,
    labels: [&str; 3],
    indent: usize,
    unit: Unit,
) {
    if !sp.path_to_root.is_empty() {
        let label = labels[if call_tree { 0 } else { 1 }];
        b.push(path(
            label,
            &sp.path_to_root,
            Some(PATH_STEPS),
            indent,
            unit,
        ));
    }
    if !sp.stack.is_empty() {
        b.push(path(labels[2], &sp.stack, Some(PATH_STEPS), indent, unit));
    }
}

/// The most frames of a holding thread's stack a view lists (the JSON has them all); more
/// when the holding frame lies deeper, to show it and the two frames that called it.
const STACK_FRAMES: usize = 12;

/// Who holds it, in words: `thread "importer-1", a local variable of
/// com.acme.Importer.importBatch(Importer.java:34)` or `thread "worker-1" (its thread object)`.
pub(super) fn thread_spans(t: &ThreadOut) -> Vec<Span> {
    let mut s = vec![Span::text("thread "), Span::code(format!("\"{}\"", t.name))];
    match t.frame.and_then(|f| t.stack.get(f as usize)) {
        Some(f) => {
            s.push(Span::text(", a local variable of "));
            s.push(Span::code(&f.text));
        }
        None => s.push(Span::text(format!(
            " ({}, the thread object or its stack)",
            t.object_id
        ))),
    }
    s
}

/// A suspect's holding thread: who holds it (after `lead`, `held by `), then the thread's
/// stack, innermost frame first, the holding frame marked.
pub(super) fn thread_blocks(t: &ThreadOut, indent: usize, lead: &str) -> Vec<Block> {
    let mut head = vec![Span::text(lead)];
    head.extend(thread_spans(t));
    head.push(Span::text(format!(
        "; its stack ({} frames), innermost first:",
        t.stack.len()
    )));
    let shown = match t.frame {
        Some(f) => STACK_FRAMES.max(f as usize + 3),
        None => STACK_FRAMES,
    }
    .min(t.stack.len());
    let mut rows: Vec<Vec<Cell>> = t.stack[..shown]
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let holds = t.frame == Some(i as u32);
            vec![
                Cell::Text(if holds { "→".into() } else { String::new() }),
                Cell::Text(if holds {
                    format!("at {}  ← its local variable holds it", f.text)
                } else {
                    format!("at {}", f.text)
                }),
            ]
        })
        .collect();
    if shown < t.stack.len() {
        rows.push(vec![
            Cell::Text(String::new()),
            Cell::Text(format!("… {} more frames", t.stack.len() - shown)),
        ]);
    }
    vec![
        Block::Para {
            spans: head,
            class: Some("thread"),
            id: None,
            indent,
        },
        Block::Table(Table {
            columns: vec![
                Column::fixed("", false, 1, ""),
                Column::fixed("stack", false, 0, " "),
            ],
            rows,
            header: false,
            indent: indent + 2,
            ..Table::default()
        }),
    ]
}

/// The biggest objects a thread holds, one line each (their stacks are in the JSON, and with
/// the suspect when one is).
pub(super) fn held_by_threads(ds: &[NodeOut]) -> Option<Block> {
    let items: Vec<Vec<Span>> = ds
        .iter()
        .filter_map(|d| {
            let t = d.thread.as_ref()?;
            let mut s = vec![
                Span::code(&d.type_name),
                Span::text(format!(" {} is held by ", d.id)),
            ];
            s.extend(thread_spans(t));
            Some(s)
        })
        .collect();
    (!items.is_empty()).then_some(Block::List(items))
}

fn fix_spans(label: &str, fix: &str) -> Vec<Span> {
    vec![
        Span::styled(Tone::Strong, label),
        Span::text(" "),
        Span::text(fix),
    ]
}

fn warnings(b: &mut Vec<Block>, r: &Report, level: u8, id: Option<&'static str>) {
    if !r.warnings.is_empty() {
        b.push(heading_id(level, "Warnings", id));
        b.push(Block::List(
            r.warnings.iter().map(|w| vec![Span::text(w)]).collect(),
        ));
    }
}

fn more(n: String, what: &str) -> Block {
    Block::para(vec![Span::Styled(
        Tone::Emphasis,
        vec![Span::figure(n), Span::text(what)],
    )])
}

/// The input's facts in one line, `counts` before the generator: `hprof · 1.5 MiB (gzip) ·
/// sample type … · taken … · counts… · heapscope 0.1`.
fn facts(r: &Report, counts: &[String]) -> String {
    let i = &r.input;
    let mut parts = vec![
        i.format.clone(),
        format!(
            "{}{}",
            human_bytes(i.size_bytes),
            if i.compressed { " (gzip)" } else { "" }
        ),
    ];
    parts.extend(i.sample_type.iter().map(|x| format!("sample type {x}")));
    parts.extend(i.timestamp.iter().map(|x| format!("taken {x}")));
    parts.extend(counts.iter().cloned());
    parts.push(r.generator.clone());
    parts.join(" · ")
}

/// The Markdown document within a budget; `rows` caps the histogram.
pub fn markdown(r: &Report, budget: Budget, rows: usize) -> Document {
    let m = measure(r);
    let mut b = Vec::new();
    b.push(Block::Heading {
        level: 2,
        spans: vec![Span::text("heapscope: "), Span::text(&r.input.path)],
        aside: None,
        id: None,
    });
    let s = &r.summary;
    b.push(Block::text(facts(
        r,
        &[
            format!("{} nodes", thousands(s.nodes)),
            format!(
                "{} reachable of {}",
                m.text(s.reachable_bytes),
                m.text(s.total_bytes)
            ),
        ],
    )));
    b.push(Block::heading(3, "Leak suspects"));
    if r.suspects.is_empty() {
        b.push(Block::text(NO_SUSPECT));
    }
    for sp in r.suspects.iter().take(budget.suspects) {
        markdown_suspect(&mut b, sp, is_call_tree(r), budget.path_steps, m);
    }
    if r.suspects.len() > budget.suspects {
        b.push(more(
            (r.suspects.len() - budget.suspects).to_string(),
            " more suspects left out to fit; see the JSON or HTML report.",
        ));
    }
    if budget.dominators > 0 && !r.dominators.is_empty() {
        b.push(Block::heading(3, "Biggest objects by retained size"));
        b.push(Block::Table(table(
            auto_columns(&DOMINATOR_COLUMNS),
            dominator_rows(r.dominators.iter().take(budget.dominators), m),
        )));
        b.extend(held_by_threads(
            &r.dominators[..budget.dominators.min(r.dominators.len())],
        ));
        if r.dominators.len() > budget.dominators {
            let n = r.dominators.len() - budget.dominators;
            b.push(more(n.to_string(), " more left out."));
        }
    }
    let hist = budget.histogram.min(rows);
    if hist > 0 && !r.histogram.is_empty() {
        b.push(Block::heading(3, "Histogram"));
        b.push(Block::text(
            "Retained is the minimum retained size of all instances of the type (a lower bound).",
        ));
        b.push(Block::Table(table(
            type_columns("type"),
            type_rows(r.histogram.iter().take(hist), m),
        )));
        if r.histogram.len() > hist {
            let n = thousands((r.histogram.len() - hist) as u64);
            b.push(more(n, " more types; see the JSON report."));
        }
    }
    warnings(&mut b, r, 3, None);
    Document {
        title: String::new(),
        blocks: b,
        closing_blank_line: false,
    }
}

fn markdown_suspect(b: &mut Vec<Block>, sp: &Suspect, call_tree: bool, steps: usize, m: Measure) {
    b.push(Block::para(vec![Span::Styled(
        Tone::Strong,
        vec![
            Span::figure(format!("#{} ", sp.rank)),
            Span::text(&sp.title),
        ],
    )]));
    let mut items = vec![vec![
        Span::text("kind "),
        Span::code(sp.kind.as_str()),
        Span::text(", pattern "),
        Span::code(sp.pattern.as_str()),
        Span::text(format!(
            "; {} retained ({}), {}",
            m.text(sp.retained_bytes),
            pct(sp.retained_share),
            count_text(sp)
        )),
    ]];
    if let Some(h) = &sp.holder {
        items.push(vec![Span::text("held by: "), Span::code(h)]);
    }
    if !sp.explanation.is_empty() {
        items.push(vec![Span::text(&sp.explanation)]);
    }
    if let Some(fix) = &sp.fix {
        items.push(fix_spans("fix:", fix));
    }
    b.push(Block::List(items));
    if let Some(t) = &sp.thread {
        b.extend(thread_blocks(t, 0, "held by "));
    }
    let (steps_of, label) = if !sp.path_to_root.is_empty() {
        (
            &sp.path_to_root,
            if call_tree {
                site_stack_label(sp, "allocation stack, outermost frame first")
            } else {
                "shortest path from a GC root"
            },
        )
    } else {
        (&sp.stack, "stack, outermost frame first")
    };
    if !steps_of.is_empty() {
        b.push(path(label, steps_of, Some(steps), 0, m.unit));
    }
    if !sp.accumulated.is_empty() {
        b.push(Block::Table(table(
            type_columns("accumulated type"),
            type_rows(sp.accumulated.iter(), m),
        )));
    }
}

/// What objects no GC root reaches are, in the runtime's terms. CPython's snapshot records the
/// references `gc.get_referents` reports; built-in (static) types are not tracked by the
/// collector, so their descriptors and dicts are reached only from C code, and are not garbage.
fn unreachable_meaning(runtime: heapscope_graph::Runtime) -> &'static str {
    match runtime {
        heapscope_graph::Runtime::CPython => {
            "no root reaches them through the references the snapshot records: objects only C code holds (built-in types' descriptors and dicts) and cycles the collector had not freed yet"
        }
        _ => "garbage no GC root holds",
    }
}
