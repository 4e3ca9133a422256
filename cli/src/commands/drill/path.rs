//! `heapscope path DUMP ID`: shortest paths from GC roots to one object (the shortest one, then
//! the shortest through each other object that references it).

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use heapscope_graph::paths::edge_between;
use heapscope_graph::{Analysis, NodeIdx};
use heapscope_reports::render::text::write_path;
use heapscope_reports::PathElem;
use serde_json::json;

use super::{find, node_line, open, referrers, write_json, Common};
use crate::format::Format;
use crate::{output, CliError, EXIT_OK};

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

/// `heapscope path`: the report goes to `out`.
pub fn run(args: PathArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    let l = open(&args.dump, &args.common)?;
    let c = l.ctx();
    let n = find(&l.analysis, &args.id)?;
    let paths: Vec<Vec<PathElem>> = paths_to(&l.analysis, n, args.max.max(1))
        .iter()
        .map(|p| c.path(p))
        .collect();
    let target = c.node(n);
    match args.common.format {
        Format::Json => {
            let v = json!({ "object": target, "paths": paths });
            write_json(out, &v)?;
        }
        _ => {
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
            output::write(out, &o)?;
        }
    }
    Ok(EXIT_OK)
}
