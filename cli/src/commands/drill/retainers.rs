//! `heapscope retainers DUMP ID`: the objects that reference one object, and its dominator chain.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use heapscope_reports::fmt::thousands;
use serde_json::json;

use super::{find, node_line, open, referrers, write_json, Common};
use crate::format::Format;
use crate::{output, CliError, EXIT_OK};

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

/// `heapscope retainers`: the report goes to `out`.
pub fn run(args: RetainersArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    let l = open(&args.dump, &args.common)?;
    let a = &l.analysis;
    let c = l.ctx();
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
    let chain: Vec<_> = a.dominator_chain(n).collect();
    let target = c.node(n);
    match args.common.format {
        Format::Json => {
            let rs: Vec<_> = refs
                .iter()
                .map(|(r, via, weak)| json!({ "via": via, "weak": weak, "object": c.node(*r) }))
                .collect();
            let ds: Vec<_> = chain.iter().map(|&d| c.node(d)).collect();
            let v = json!({ "object": target, "referrers_total": total, "referrers": rs, "dominators": ds });
            write_json(out, &v)?;
        }
        _ => {
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
            output::write(out, &o)?;
        }
    }
    Ok(EXIT_OK)
}
