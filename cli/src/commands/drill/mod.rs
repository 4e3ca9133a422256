//! Drill-down commands, as Eclipse MAT's and DevTools' views allow:
//!
//! - `heapscope path DUMP ID`: shortest paths from GC roots to one object (the shortest one,
//!   then the shortest through each other object that references it);
//! - `heapscope retainers DUMP ID`: the objects that reference it, and its dominator chain;
//! - `heapscope instances DUMP TYPE`: the largest instances of a type by retained size.
//!
//! IDs are the dump's own, as reports print them: `0x…` hex (HPROF, call-tree nodes) or decimal
//! (V8). Every command accepts `--format json`.

use std::io::Write;
use std::path::Path;

use anyhow::anyhow;
use clap::Args;
use heapscope_graph::{Analysis, NodeIdx};
use heapscope_reports::fmt::{human_bytes, pct};
use heapscope_reports::NodeOut;

use crate::format::{self, Format};
use crate::progress::Progress;
use crate::session::{parse_options, Session};
use crate::{output, CliError};

pub mod instances;
pub mod path;
pub mod retainers;

/// Options every drill-down command shares.
#[derive(Args, Debug)]
pub struct Common {
    /// Output form.
    #[arg(long, default_value = "text", value_parser = format::parser(&format::TEXT_OR_JSON))]
    pub format: Format,
    /// pprof: the sample type used as bytes (as for analyze).
    #[arg(long = "sample-index")]
    pub sample_index: Option<String>,
    /// tracemalloc: group by lineno (default), filename or traceback.
    #[arg(long = "group-by")]
    pub group_by: Option<String>,
    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,
}

fn open(dump: &Path, c: &Common) -> Result<Session, CliError> {
    let opts = parse_options(c.sample_index.as_deref(), c.group_by.as_deref());
    Progress::with(c.quiet, |p| Session::load(dump, &opts, p))
}

/// Parse `0x…` as hex, anything else as decimal (an `@` prefix, as DevTools shows ids, is allowed).
pub fn parse_id(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches('@');
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

pub fn find(a: &Analysis, id: &str) -> Result<NodeIdx, CliError> {
    let v = parse_id(id).ok_or_else(|| {
        CliError::BadInput(anyhow!(
            "{id:?} is not an object id (use 0x… hex or decimal)"
        ))
    })?;
    a.graph
        .find_id(v)
        .ok_or_else(|| CliError::BadInput(anyhow!("no object with id {id} in the dump")))
}

/// Pretty JSON and a newline.
fn write_json(out: &mut dyn Write, v: &serde_json::Value) -> Result<(), CliError> {
    output::write(
        out,
        &format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default()),
    )
}

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

/// Distinct objects that reference `n`: (referrer, label text, weak).
pub fn referrers(a: &Analysis, n: NodeIdx) -> Vec<(NodeIdx, Option<String>, bool)> {
    let g = &a.graph;
    a.referrers(n)
        .into_iter()
        .map(|(r, l, w)| (r, g.label_text(l), w))
        .collect()
}
