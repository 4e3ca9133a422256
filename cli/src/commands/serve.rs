//! `heapscope serve DUMP [DUMP…]`: a local web UI over one or more dumps, on 127.0.0.1 only.
//!
//! Each dump is opened once ([`Session::open`], from its saved index when a valid one exists)
//! and kept for the server's life; the pages ask the reports crate's answers of it
//! ([`heapscope_reports::drill`]): the report of `analyze`, a dominator tree expanded node by
//! node, the histogram and a type's instances (sorted and filtered on the server, paged), an
//! object page, a SQL query box, and with several dumps the diff (two) or trend (three or
//! more) report. The pages and their JSON are in [`crate::serve`].
//!
//! The URL (`http://127.0.0.1:PORT/`) is the first line on stdout, printed once every dump is
//! loaded and the port is listening; `--port 0` (the default) takes a free port.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use anyhow::anyhow;
use clap::Args;

use crate::commands::index::{IndexUse, LoadArgs};
use crate::progress::Progress;
use crate::remote::DumpRef;
use crate::serve::App;
use crate::session::Session;
use crate::CliError;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// One or more dumps (files or URLs): two give a diff page, three or more a trend page.
    #[arg(required = true, num_args = 1..)]
    pub dumps: Vec<DumpRef>,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Parse the dumps even when a saved index of them (`heapscope index`) is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

/// `heapscope serve`: serves until the process is stopped. Only an error returns.
pub fn run(args: ServeArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    // Bind first: a port in use is an error before minutes of parsing.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = TcpListener::bind(addr)
        .map_err(|e| CliError::BadInput(anyhow!(e).context(format!("listening on {addr}"))))?;
    let dumps = crate::remote::expand(&args.dumps)?;
    let opts = args.load.options();
    let mode = if args.no_index {
        IndexUse::Off
    } else {
        IndexUse::Use
    };
    let sessions = Progress::with(args.load.quiet, |p| {
        dumps
            .iter()
            .map(|d| Session::open(d, &opts, p, mode).map(Session::keep_open))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Internal(anyhow!(e)))?;
    let app = App::new(sessions);
    writeln!(out, "http://{local}/")
        .and_then(|_| out.flush())
        .map_err(CliError::writing_output)?;
    crate::serve::http::serve(app, listener).map_err(|e| CliError::Internal(anyhow!(e)))?;
    Ok(crate::EXIT_OK)
}
