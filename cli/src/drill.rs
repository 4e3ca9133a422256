//! Drill-down commands, as Eclipse MAT's and DevTools' views allow:
//!
//! - `heapscope path DUMP ID`: shortest paths from GC roots to one object (the shortest one,
//!   then the shortest through each other object that references it);
//! - `heapscope retainers DUMP ID`: the objects that reference it, and its dominator chain;
//! - `heapscope instances DUMP TYPE`: the largest instances of a type by retained size.
//!
//! IDs are the dump's own, as reports print them: `0x…` hex (HPROF, call-tree nodes) or decimal
//! (V8). Every command accepts `--format json`.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use heapscope_graph::paths::edge_between;
use heapscope_graph::{Analysis, NodeIdx};
use heapscope_parsers::ParseOptions;
use heapscope_reports::fmt::{human_bytes, pct, thousands};
use heapscope_reports::render::text::write_path;
use heapscope_reports::{Ctx, NodeOut, PathElem};
use serde_json::json;

use crate::analyze::{load, Loaded};
use crate::progress::Progress;
use crate::{CliError, EXIT_OK};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DrillFmt {
    Text,
    Json,
}

/// Options every drill-down command shares.
#[derive(Args, Debug)]
pub struct Common {
    /// Output form.
    #[arg(long, value_enum, default_value_t = DrillFmt::Text)]
    pub format: DrillFmt,
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

#[derive(Args, Debug)]
pub struct PathArgs {
    pub dump: PathBuf,
    /// The object's id as the dump spells it (`0x1a2b` or decimal).
    pub id: String,
    /// Most paths shown.
    #[arg(long, default_value_t = 5)]
    pub max: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct RetainersArgs {
    pub dump: PathBuf,
    /// The object's id as the dump spells it (`0x1a2b` or decimal).
    pub id: String,
    /// Most referrers listed (largest retained first).
    #[arg(long, default_value_t = 50)]
    pub max: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct InstancesArgs {
    pub dump: PathBuf,
    /// The type (class, constructor, function, `file:line`) exactly as the histogram names it.
    #[arg(name = "TYPE")]
    pub type_name: String,
    /// Most instances listed.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[command(flatten)]
    pub common: Common,
}

fn open(dump: &PathBuf, c: &Common) -> Result<Loaded, CliError> {
    let progress = Progress::new(c.quiet);
    let opts = ParseOptions {
        sample_index: c.sample_index.clone(),
        group_by: c.group_by.clone(),
        ..ParseOptions::default()
    };
    let l = load(dump, &opts, &progress);
    progress.finish();
    l
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

fn find(a: &Analysis, id: &str) -> Result<NodeIdx, CliError> {
    let v = parse_id(id).ok_or_else(|| {
        CliError::BadInput(anyhow!(
            "{id:?} is not an object id (use 0x… hex or decimal)"
        ))
    })?;
    a.graph
        .find_id(v)
        .ok_or_else(|| CliError::BadInput(anyhow!("no object with id {id} in the dump")))
}

fn ctx(l: &Loaded) -> Ctx<'_> {
    Ctx {
        a: &l.analysis,
        info: &l.info,
        insp: l.inspector.as_ref(),
    }
}

fn print(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|_| out.flush());
}

fn node_line(n: &NodeOut) -> String {
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
fn referrers(a: &Analysis, n: NodeIdx) -> Vec<(NodeIdx, Option<String>, bool)> {
    let g = &a.graph;
    heapscope_reports::suspects::referrers(g, n)
        .into_iter()
        .map(|(r, l, w)| (r, g.label_text(l), w))
        .collect()
}

/// The shortest path, then the shortest through each other referrer, shortest first.
pub fn paths_to(a: &Analysis, n: NodeIdx, max: usize) -> Vec<Vec<heapscope_graph::PathStep>> {
    let g = &a.graph;
    let mut out = Vec::new();
    let best = a.path_to(n);
    if best.is_empty() {
        return out;
    }
    let best_parent = best.len().checked_sub(2).map(|i| best[i].node);
    out.push(best);
    let mut alts: Vec<Vec<heapscope_graph::PathStep>> = Vec::new();
    for (r, _, _) in referrers(a, n) {
        if Some(r) == best_parent || r == n {
            continue;
        }
        let mut p = a.path_to(r);
        if p.is_empty() || p.iter().any(|s| s.node == n) {
            continue;
        }
        let (label, weak) = edge_between(g, r, n);
        p.push(heapscope_graph::PathStep {
            node: n,
            via: g.label_text(label),
            weak,
            root_kind: None,
        });
        alts.push(p);
    }
    alts.sort_by(|x, y| {
        x.len()
            .cmp(&y.len())
            .then(x[x.len() - 2].node.cmp(&y[y.len() - 2].node))
    });
    out.extend(alts.into_iter().take(max.saturating_sub(1)));
    out
}

pub fn run_path(args: PathArgs) -> Result<u8, CliError> {
    let l = open(&args.dump, &args.common)?;
    let c = ctx(&l);
    let n = find(&l.analysis, &args.id)?;
    let paths: Vec<Vec<PathElem>> = paths_to(&l.analysis, n, args.max.max(1))
        .iter()
        .map(|p| c.path(p))
        .collect();
    let target = c.node(n);
    match args.common.format {
        DrillFmt::Json => {
            let v = json!({ "object": target, "paths": paths });
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
        DrillFmt::Text => {
            let mut o = String::new();
            let _ = writeln!(o, "{}", node_line(&target));
            if paths.is_empty() {
                let _ = writeln!(o, "no path from a GC root: the object is unreachable");
            }
            for (i, p) in paths.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "\n{} ({} steps{}):",
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
                write_path(&mut o, p, "  ");
            }
            print(&o);
        }
    }
    Ok(EXIT_OK)
}

pub fn run_retainers(args: RetainersArgs) -> Result<u8, CliError> {
    let l = open(&args.dump, &args.common)?;
    let a = &l.analysis;
    let c = ctx(&l);
    let n = find(a, &args.id)?;
    let mut refs = referrers(a, n);
    refs.sort_by(|x, y| {
        a.retained[y.0.ix()]
            .cmp(&a.retained[x.0.ix()])
            .then(x.0.cmp(&y.0))
    });
    let total = refs.len();
    refs.truncate(args.max);
    // The dominator chain: who keeps it alive, nearest first.
    let mut chain = Vec::new();
    let mut cur = n;
    while let Some(d) = a.idom(cur) {
        chain.push(d);
        cur = d;
        if chain.len() > a.graph.node_count() {
            break;
        }
    }
    let target = c.node(n);
    match args.common.format {
        DrillFmt::Json => {
            let rs: Vec<_> = refs
                .iter()
                .map(|(r, via, weak)| json!({ "via": via, "weak": weak, "object": c.node(*r) }))
                .collect();
            let ds: Vec<_> = chain.iter().map(|&d| c.node(d)).collect();
            let v = json!({ "object": target, "referrers_total": total, "referrers": rs, "dominators": ds });
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
        DrillFmt::Text => {
            let mut o = String::new();
            let _ = writeln!(o, "{}", node_line(&target));
            let _ = writeln!(
                o,
                "\nreferenced by {} object{}{}:",
                thousands(total as u64),
                if total == 1 { "" } else { "s" },
                if total > refs.len() {
                    format!(" ({} largest shown)", refs.len())
                } else {
                    String::new()
                }
            );
            for (r, via, weak) in &refs {
                let _ = writeln!(
                    o,
                    "  {:<24} {}{}",
                    via.as_deref().unwrap_or("·"),
                    node_line(&c.node(*r)),
                    if *weak { " (weak)" } else { "" }
                );
            }
            let _ = writeln!(o, "\ndominator chain (what keeps it alive), nearest first:");
            if chain.is_empty() {
                let _ = writeln!(o, "  (none: a GC root itself, or unreachable)");
            }
            for d in &chain {
                let _ = writeln!(o, "  {}", node_line(&c.node(*d)));
            }
            print(&o);
        }
    }
    Ok(EXIT_OK)
}

pub fn run_instances(args: InstancesArgs) -> Result<u8, CliError> {
    let l = open(&args.dump, &args.common)?;
    let a = &l.analysis;
    let g = &a.graph;
    let c = ctx(&l);
    let Some(t) = g.types.lookup(&args.type_name) else {
        // Say what is close, so a typo is quick to fix.
        let needle = args.type_name.to_ascii_lowercase();
        let mut near: Vec<&str> = g
            .types
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.to_ascii_lowercase().contains(&needle))
            .collect();
        near.sort_unstable();
        near.truncate(10);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!("; types containing it: {}", near.join(", "))
        };
        return Err(CliError::BadInput(anyhow!(
            "no type named {:?} in the dump{hint}",
            args.type_name
        )));
    };
    let mut inst: Vec<u32> = (0..g.node_count() as u32)
        .filter(|&v| g.type_of[v as usize] == t)
        .collect();
    let count = inst.len();
    let shallow: u64 = inst.iter().map(|&v| g.shallow[v as usize]).sum();
    inst.sort_by(|&x, &y| {
        a.retained[y as usize]
            .cmp(&a.retained[x as usize])
            .then(x.cmp(&y))
    });
    inst.truncate(args.top);
    let rows: Vec<NodeOut> = inst.iter().map(|&v| c.node(NodeIdx(v))).collect();
    match args.common.format {
        DrillFmt::Json => {
            let v = json!({ "type": args.type_name, "count": count, "shallow_bytes": shallow, "instances": rows });
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
        DrillFmt::Text => {
            let mut o = String::new();
            let _ = writeln!(
                o,
                "{}: {} instances, {} shallow; largest by retained size:",
                args.type_name,
                thousands(count as u64),
                human_bytes(shallow)
            );
            let _ = writeln!(o, "{:>12} {:>7} {:>12}  id", "retained", "share", "shallow");
            for r in &rows {
                let _ = writeln!(
                    o,
                    "{:>12} {:>7} {:>12}  {}{}",
                    human_bytes(r.retained_bytes),
                    pct(r.retained_share),
                    human_bytes(r.shallow_bytes),
                    r.id,
                    r.value
                        .as_ref()
                        .map(|v| format!(" \"{v}\""))
                        .unwrap_or_default()
                );
            }
            print(&o);
        }
    }
    Ok(EXIT_OK)
}
