//! `heapscope instances DUMP TYPE`: the largest instances of a type by retained size.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;
use heapscope_graph::NodeIdx;
use heapscope_reports::fmt::{human_bytes, pct, thousands};
use heapscope_reports::NodeOut;
use serde_json::json;

use super::{open, write_json, Common};
use crate::format::Format;
use crate::{output, CliError, EXIT_OK};

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

/// `heapscope instances`: the report goes to `out`.
pub fn run(args: InstancesArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    let l = open(&args.dump, &args.common)?;
    let a = &l.analysis;
    let g = &a.graph;
    let c = l.ctx();
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
        Format::Json => {
            let v = json!({ "type": args.type_name, "count": count, "shallow_bytes": shallow, "instances": rows });
            write_json(out, &v)?;
        }
        _ => {
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
            output::write(out, &o)?;
        }
    }
    Ok(EXIT_OK)
}
