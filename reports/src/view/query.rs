//! A query's answer ([`crate::query::QueryAnswer`]) as a document: the query, a table of its
//! rows (numbers right-aligned, as SQLite typed them), and how many rows were left out.

use crate::doc::{Block, Cell, Column, Document, Span, Table};
use crate::fmt::thousands;
use crate::query::{Cell as QCell, QueryAnswer};

/// The text a cell prints: NULL as `NULL`, a blob as `x'…'` with its length.
pub fn cell_text(c: &QCell) -> String {
    match c {
        QCell::Null => "NULL".into(),
        QCell::Int(i) => i.to_string(),
        QCell::Real(x) => x.to_string(),
        QCell::Text(s) => s.clone(),
        QCell::Blob { bytes, hex } => {
            let more = if (*bytes as usize) * 2 > hex.len() {
                "…"
            } else {
                ""
            };
            format!("x'{hex}'{more} ({} B)", thousands(*bytes))
        }
    }
}

pub fn query(a: &QueryAnswer) -> Document {
    let numeric: Vec<bool> = (0..a.columns.len())
        .map(|i| {
            a.rows
                .iter()
                .any(|r| matches!(r[i], QCell::Int(_) | QCell::Real(_)))
                && a.rows
                    .iter()
                    .all(|r| matches!(r[i], QCell::Int(_) | QCell::Real(_) | QCell::Null))
        })
        .collect();
    let mut blocks = vec![Block::para(vec![Span::code(a.query.clone())])];
    blocks.push(Block::Spacer);
    if a.rows.is_empty() {
        blocks.push(Block::text("no rows"));
    } else {
        blocks.push(Block::Table(Table {
            columns: a
                .columns
                .iter()
                .zip(&numeric)
                .map(|(c, &n)| Column::auto(c, n))
                .collect(),
            rows: a
                .rows
                .iter()
                .map(|r| r.iter().map(|c| Cell::Text(cell_text(c))).collect())
                .collect(),
            header: true,
            sortable: true,
            ..Table::default()
        }));
    }
    blocks.push(Block::Spacer);
    let total = if a.total_exact {
        thousands(a.total_rows)
    } else {
        format!("at least {}", thousands(a.total_rows))
    };
    blocks.push(Block::text(if a.truncated {
        format!(
            "{} of {total} rows shown (raise --limit for more)",
            thousands(a.rows.len() as u64)
        )
    } else {
        format!("{total} row{}", if a.total_rows == 1 { "" } else { "s" })
    }));
    Document {
        title: "Query".into(),
        blocks,
        closing_blank_line: false,
    }
}
