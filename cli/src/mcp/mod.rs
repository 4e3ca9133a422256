//! `heapscope mcp`: a Model Context Protocol server over stdio (on `rmcp`, the official Rust
//! SDK) whose tools answer a coding agent's questions about heap dumps in bounded JSON.
//!
//! - [`tools`]: each tool's name, description and input schema, and its answer;
//! - [`bound`]: one page per list, a byte cap per answer, and the `left_out` notes;
//! - [`dumps`]: the open dumps (the command line's, and any a call names), each opened once
//!   through [`crate::session::Session::open`] with its saved index, at most `max_open` at a time;
//! - [`args`]: reading a call's arguments with messages that name them.
//!
//! The protocol runs on a small tokio runtime; the dumps live on one worker thread that runs
//! the calls one after another (a load or a report is CPU work; a caught panic there is a tool
//! error, never the end of the server). Nothing but the protocol is written to stdout; what
//! the server says otherwise goes to stderr.

pub mod args;
pub mod bound;
pub mod dumps;
pub mod tools;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use anyhow::anyhow;
use heapscope_parsers::ParseOptions;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use crate::commands::index::IndexUse;
use crate::remote::DumpRef;
use crate::CliError;
use dumps::Dumps;

/// How the server runs.
pub struct Config {
    /// Dumps to open at start (the default of calls that name none, when there is one).
    pub dumps: Vec<DumpRef>,
    pub opts: ParseOptions,
    pub mode: IndexUse,
    /// Most dumps open at once (at least 2).
    pub max_open: usize,
    /// Most bytes of JSON in one answer.
    pub max_bytes: usize,
}

/// What the server tells the agent at `initialize`.
const INSTRUCTIONS: &str = "heapscope analyses heap dumps offline (Java HPROF, V8 \
.heapsnapshot, pprof, Go heap dumps, Python snapshots, tracemalloc). Start with `summary`, then \
`suspects`; follow the ids they print with `inspect_object`, `paths_to_roots` and \
`dominator_children`; list a type's objects with `instances`; compare two dumps with `diff`. \
Every answer is bounded; its `left_out` array says what was not shown and how to ask for it.";

type Job = Box<dyn FnOnce(&mut Dumps) + Send>;

/// The thread that owns the dumps and runs the calls one after another.
struct Worker {
    tx: mpsc::Sender<Job>,
}

impl Worker {
    fn start(mut dumps: Dumps) -> std::io::Result<Worker> {
        let (tx, rx) = mpsc::channel::<Job>();
        let preload = dumps.named().to_vec();
        std::thread::Builder::new()
            .name("heapscope-mcp-dumps".into())
            .spawn(move || {
                // The command line's dumps first, so the first calls find them open; a dump
                // that fails here says why on stderr now, and again when a call names it.
                for d in preload {
                    match catch_unwind(AssertUnwindSafe(|| dumps.get(&d).map(|_| ()))) {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => eprintln!("heapscope mcp: {e}"),
                        Err(_) => eprintln!("heapscope mcp: internal error opening {d}"),
                    }
                }
                for job in rx {
                    job(&mut dumps);
                }
            })?;
        Ok(Worker { tx })
    }

    /// Run `f` on the dumps; a panic in it is an internal error's message.
    async fn ask<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Dumps) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |d| {
            let r = catch_unwind(AssertUnwindSafe(|| f(d))).unwrap_or_else(|_| {
                Err(
                    "internal error: heapscope panicked answering this call (a bug in \
                     heapscope; its message is on the server's stderr)"
                        .to_string(),
                )
            });
            let _ = tx.send(r);
        });
        self.tx
            .send(job)
            .map_err(|_| "internal error: the dump worker has stopped".to_string())?;
        rx.await
            .map_err(|_| "internal error: the dump worker has stopped".to_string())?
    }
}

/// The MCP server: its tools, answered by the worker.
struct Server {
    worker: Worker,
    tools: Vec<Tool>,
    max_bytes: usize,
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("heapscope", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let args = request.arguments.unwrap_or_default();
        let max_bytes = self.max_bytes;
        let r = self
            .worker
            .ask(move |d| tools::call(d, &name, args, max_bytes))
            .await;
        Ok(match r {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e)]),
        }
        .into())
    }
}

/// Serve MCP on stdin/stdout until the client closes stdin.
pub fn serve(cfg: Config) -> Result<u8, CliError> {
    let dumps = Dumps::new(cfg.dumps, cfg.opts, cfg.mode, cfg.max_open);
    let worker = Worker::start(dumps).map_err(|e| CliError::Internal(anyhow!(e)))?;
    let server = Server {
        worker,
        tools: tools::list(),
        max_bytes: cfg.max_bytes,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(anyhow!(e).context("starting the MCP runtime")))?;
    let r = rt.block_on(async move {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        running.waiting().await.map_err(|e| anyhow!("{e}"))
    });
    // Stdin's blocking read cannot be cancelled: do not wait for it.
    rt.shutdown_background();
    match r {
        Ok(_) => Ok(crate::EXIT_OK),
        Err(e) => Err(CliError::Internal(e.context("serving MCP on stdio"))),
    }
}
