//! `heapscope mcp [DUMP...]`: a Model Context Protocol server on stdin/stdout for coding agents
//! (docs/mcp.md). Its tools answer about the dumps named here and any a call names, in bounded
//! JSON ([`crate::mcp`]).

use clap::Args;

use crate::commands::index::IndexUse;
use crate::mcp::{self, Config};
use crate::remote::DumpRef;
use crate::session::ParseFlags;
use crate::CliError;

#[derive(Args, Debug)]
pub struct McpArgs {
    /// Dumps to open at start (files or URLs); a tool call may name others by its `dump`
    /// argument. With exactly one, calls may omit `dump`.
    pub dumps: Vec<DumpRef>,
    #[command(flatten)]
    pub parse: ParseFlags,
    /// Most dumps kept open at once (the least recently used is closed first; at least 2).
    #[arg(long = "max-open", default_value_t = 4)]
    pub max_open: usize,
    /// Most bytes of JSON in one tool answer (what is left out is said in the answer).
    #[arg(long = "max-bytes", default_value_t = 16 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=16 * 1024 * 1024))]
    pub max_bytes: u64,
    /// Save each dump's analysis after parsing it (DUMP.hsidx, see `heapscope index`), so the
    /// next server opens it in milliseconds.
    #[arg(long = "save-index", conflicts_with = "no_index")]
    pub save_index: bool,
    /// Parse every dump even when a saved index of it is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

/// `heapscope mcp`: serve until the client closes stdin. Nothing but the protocol is written to
/// stdout (`_out` is unused: the transport owns stdout).
pub fn run(args: McpArgs, _out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    // A dump named at start that is not there is a usage error now, not a surprise later.
    for d in &args.dumps {
        if let Some(p) = d.local() {
            if let Err(e) = std::fs::metadata(p) {
                return Err(CliError::BadInput(anyhow::anyhow!("{}: {e}", p.display())));
            }
        }
    }
    let mode = match (args.no_index, args.save_index) {
        (true, _) => IndexUse::Off,
        (_, true) => IndexUse::Keep,
        _ => IndexUse::Use,
    };
    mcp::serve(Config {
        dumps: args.dumps,
        opts: args.parse.options(),
        mode,
        max_open: args.max_open,
        max_bytes: args.max_bytes as usize,
    })
}
