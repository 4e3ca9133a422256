//! The dumps an MCP server has open: those named on the command line, and any a tool call names
//! by its `dump` argument, each opened once through the session (from its saved index when a
//! valid one exists) and kept until more than `max_open` are open (least recently used first).

use std::ffi::OsStr;

use heapscope_parsers::ParseOptions;
use heapscope_reports::{build_report, Report, ReportOptions};

use crate::commands::index::IndexUse;
use crate::progress::Silent;
use crate::remote::DumpRef;
use crate::serve::lookup::Lookup;
use crate::session::Session;
use crate::CliError;

/// One open dump, with its report and lookup indexes once a tool has asked for them.
pub struct Open {
    /// The canonical path (or the URL): two spellings of one file share it.
    key: String,
    pub session: Session,
    report: Option<Report>,
    lookup: std::sync::OnceLock<Lookup>,
}

impl Open {
    /// Objects by id, referrers and instances by type ([`Lookup`]), built when a tool first
    /// asks about an object, so later questions do not scan the dump.
    pub fn lookup(&self) -> &Lookup {
        self.lookup
            .get_or_init(|| Lookup::build(&self.session.analysis))
    }

    /// The lookup indexes if a tool already had them built.
    pub fn built_lookup(&self) -> Option<&Lookup> {
        self.lookup.get()
    }

    /// The dump's analysis report (as `heapscope analyze` builds it with its defaults), built
    /// on first use.
    pub fn report(&mut self) -> &Report {
        let s = &self.session;
        self.report.get_or_insert_with(|| {
            build_report(
                &s.analysis,
                &s.info,
                s.inspector.as_ref(),
                &s.meta,
                &ReportOptions::default(),
            )
        })
    }
}

/// The open dumps, least recently used first.
pub struct Dumps {
    open: Vec<Open>,
    max_open: usize,
    opts: ParseOptions,
    mode: IndexUse,
    /// The dumps named on the command line (the default when a call names none and there is one).
    named: Vec<DumpRef>,
}

impl Dumps {
    pub fn new(named: Vec<DumpRef>, opts: ParseOptions, mode: IndexUse, max_open: usize) -> Dumps {
        Dumps {
            open: Vec::new(),
            // A diff needs two at once.
            max_open: max_open.max(2),
            opts,
            mode,
            named,
        }
    }

    /// The dumps named on the command line.
    pub fn named(&self) -> &[DumpRef] {
        &self.named
    }

    /// The dump a call means: its `dump` argument, else the one dump of the command line.
    pub fn resolve(&self, arg: Option<&str>) -> Result<DumpRef, String> {
        match arg {
            Some(s) if !s.trim().is_empty() => DumpRef::parse(OsStr::new(s.trim())),
            _ => match self.named.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err("no dump given: pass `dump`, the path of a heap dump file \
                           (this server was started without one)"
                    .to_string()),
                many => Err(format!(
                    "this server was started with {} dumps ({}): pass `dump` to say which",
                    many.len(),
                    many.iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        }
    }

    /// The open dump `d`, opening it first when it is not (closing the least recently used
    /// when `max_open` are).
    pub fn get(&mut self, d: &DumpRef) -> Result<&mut Open, String> {
        let i = self.index(d)?;
        Ok(&mut self.open[i])
    }

    /// Two open dumps at once (a diff); they may be the same.
    pub fn pair(&mut self, a: &DumpRef, b: &DumpRef) -> Result<(&Open, &Open), String> {
        let (ka, kb) = (key(a)?, key(b)?);
        self.index(a)?;
        // Opening `b` never closes `a`: it is the most recent, and at least two stay open.
        self.index(b)?;
        let ia = self.find(&ka).ok_or("the first dump was closed")?;
        let ib = self.find(&kb).ok_or("the second dump was closed")?;
        Ok((&self.open[ia], &self.open[ib]))
    }

    fn find(&self, k: &str) -> Option<usize> {
        self.open.iter().position(|o| o.key == k)
    }

    /// The index of `d` among the open dumps after opening it (it becomes the most recent).
    fn index(&mut self, d: &DumpRef) -> Result<usize, String> {
        let k = key(d)?;
        if let Some(i) = self.find(&k) {
            let o = self.open.remove(i);
            self.open.push(o);
            return Ok(self.open.len() - 1);
        }
        while self.open.len() >= self.max_open {
            let gone = self.open.remove(0);
            eprintln!(
                "heapscope mcp: closing {} (more than {} dumps open)",
                gone.key, self.max_open
            );
        }
        eprintln!("heapscope mcp: opening {d}");
        let session = Session::open(d, &self.opts, &Silent, self.mode)
            .map_err(|e| message(&e))?
            .keep_open();
        self.open.push(Open {
            key: k,
            session,
            report: None,
            lookup: std::sync::OnceLock::new(),
        });
        Ok(self.open.len() - 1)
    }
}

/// What identifies a dump: its canonical path, or its URL.
fn key(d: &DumpRef) -> Result<String, String> {
    match d {
        DumpRef::Local(p) => std::fs::canonicalize(p)
            .map(|c| c.display().to_string())
            .map_err(|e| {
                let cwd = std::env::current_dir()
                    .map(|c| format!(" (a relative path is taken from {})", c.display()))
                    .unwrap_or_default();
                format!(
                    "cannot open the dump {}: {e}{}",
                    p.display(),
                    if p.is_relative() { cwd } else { String::new() }
                )
            }),
        DumpRef::Remote(u) => Ok(u.text.clone()),
    }
}

/// A command error as a tool error's text.
pub fn message(e: &CliError) -> String {
    match e {
        CliError::BadInput(e) => format!("{e:#}"),
        CliError::Internal(e) => format!("internal error: {e:#}"),
        CliError::Closed => "closed".to_string(),
    }
}
