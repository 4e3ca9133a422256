//! Views: each turns a model into a [`crate::doc::Document`] that the renderers draw —
//! [`analyze`] for the analysis [`crate::Report`], [`diff`] and [`trend`] for the over-time
//! reports, [`drill`] for the drill-down answers. A view decides what each output shows; the
//! renderer decides how it looks.

pub mod analyze;
pub mod diff;
pub mod drill;
pub mod metrics;
pub mod query;
pub mod trend;

use crate::doc::{Block, Column, Document, Path, Span, Table};
use crate::model::{PathElem, Report};
use crate::overtime::DumpRef;
use heapscope_graph::{Model, ProfileFacts, Unit};

/// What a report's sizes measure: their unit, and whether they are in use now. Object graphs and
/// heap profiles of what is in use are bytes in use; an allocation profile's `alloc_space` is
/// bytes allocated since the start, a goroutine profile counts goroutines, a block profile's
/// `delay` is nanoseconds ([`ProfileFacts::unit`], [`ProfileFacts::in_use`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measure {
    pub unit: Unit,
    pub in_use: bool,
}

impl Measure {
    /// Bytes in use: object graphs, and the heap profiles of what is live.
    pub const BYTES_IN_USE: Measure = Measure {
        unit: Unit::Bytes,
        in_use: true,
    };

    /// From a profile's facts (none: an object graph, bytes in use).
    pub fn of(profile: Option<&ProfileFacts>) -> Measure {
        profile.map_or(Measure::BYTES_IN_USE, |p| Measure {
            unit: p.unit,
            in_use: p.in_use,
        })
    }

    /// A value as text in its unit (`1.5 MiB`, `1,234`, `2.74 s`).
    pub fn text(self, v: u64) -> String {
        crate::fmt::amount(v, self.unit)
    }

    /// A value as a table cell in its unit.
    pub fn cell(self, v: u64) -> crate::doc::Cell {
        use crate::doc::Cell;
        match self.unit {
            Unit::Bytes => Cell::Bytes(v),
            Unit::Count | Unit::Other => Cell::Count(v),
            Unit::Nanoseconds => Cell::Text(crate::fmt::duration_ns(v)),
        }
    }

    /// How the values are described: `in use` or `allocated` (a total since the start).
    pub fn state(self) -> &'static str {
        if self.in_use {
            "in use"
        } else {
            "allocated"
        }
    }
}

/// What the report's sizes measure, from the profile's facts (object graphs: bytes in use).
pub fn measure(r: &Report) -> Measure {
    Measure::of(r.input.profile.as_ref())
}

/// The report is of an allocation profile (a call tree: pprof, tracemalloc), not of an object
/// graph: its paths are stacks and its sizes flat and cumulative.
pub fn is_call_tree(r: &Report) -> bool {
    r.input.model == Model::CallTree
}

/// The same for one dump of a diff or trend.
pub fn dump_is_call_tree(d: &DumpRef) -> bool {
    d.model == Model::CallTree
}

/// A table with the given columns and rows, drawn with its header.
pub(crate) fn table(columns: Vec<Column>, rows: Vec<Vec<crate::doc::Cell>>) -> Table {
    Table {
        columns,
        rows,
        header: true,
        ..Table::default()
    }
}

/// Columns as wide as their content: (header, numeric).
pub(crate) fn auto_columns(cols: &[(&str, bool)]) -> Vec<Column> {
    cols.iter().map(|&(h, n)| Column::auto(h, n)).collect()
}

/// A path block, expanded.
pub(crate) fn path(
    label: &str,
    steps: &[PathElem],
    max_steps: Option<usize>,
    indent: usize,
    unit: Unit,
) -> Block {
    Block::Path(Path {
        label: label.to_string(),
        steps: steps.to_vec(),
        open: true,
        max_steps,
        indent,
        unit,
    })
}

/// A heading of the given level with an HTML anchor.
pub(crate) fn heading_id(level: u8, text: &str, id: Option<&'static str>) -> Block {
    Block::Heading {
        level,
        spans: vec![Span::text(text)],
        aside: None,
        id,
    }
}

/// A paragraph with an HTML class (and id).
pub(crate) fn para_class(spans: Vec<Span>, class: &'static str, id: Option<&'static str>) -> Block {
    Block::Para {
        spans,
        class: Some(class),
        id,
        indent: 0,
    }
}

/// A diff's or trend's verdicts under their heading; `empty` says what none means.
pub(crate) fn verdicts(b: &mut Vec<Block>, verdicts: &[crate::overtime::Verdict], empty: &str) {
    b.push(Block::heading(2, "Verdicts"));
    if verdicts.is_empty() {
        b.push(Block::text(empty));
    }
    for v in verdicts {
        b.push(Block::text(format!("[{}] {}", v.kind, v.summary)));
        list(b, &v.evidence);
    }
}

/// A list of plain items, left out when there are none.
pub(crate) fn list(b: &mut Vec<Block>, items: &[String]) {
    if !items.is_empty() {
        b.push(Block::List(
            items.iter().map(|i| vec![Span::text(i)]).collect(),
        ));
    }
}

/// What an over-time table left out (`rows` caps it).
pub(crate) fn more_rows(b: &mut Vec<Block>, total: usize, rows: usize) {
    if total > rows {
        b.push(Block::text(format!(
            "… {} more rows (--format json lists all)",
            total - rows
        )));
    }
}

/// An over-time report's warnings.
pub(crate) fn overtime_warnings(b: &mut Vec<Block>, warnings: &[String]) {
    if !warnings.is_empty() {
        b.push(Block::heading(2, "Warnings"));
        list(b, warnings);
    }
}

/// An over-time document: its heading, then the blocks.
pub(crate) fn overtime_doc(page_title: String, heading: String, blocks: Vec<Block>) -> Document {
    let mut all = vec![Block::heading(1, heading)];
    all.extend(blocks);
    Document {
        title: page_title,
        blocks: all,
        closing_blank_line: true,
    }
}
