//! `heapscope index DUMP`: parse and analyse a dump once and save the analysis
//! (`heapscope_graph::saved`, docs/dev/index-format.md), so that `path`, `retainers`,
//! `instances` and `analyze` map it instead of parsing the dump again.
//!
//! Where the index lives:
//! - read: `DUMP.hsidx` beside the dump, then the cache directory;
//! - written: the cache directory when `$HEAPSCOPE_CACHE` is set (an explicit choice wins),
//!   else beside the dump, else — when the dump's directory is not writable — the cache
//!   directory. The cache directory is `$HEAPSCOPE_CACHE`, else `$XDG_CACHE_HOME/heapscope`,
//!   else `~/.cache/heapscope`; a dump's file there is `NAME-HASH.hsidx`, HASH a CRC-32 of the
//!   dump's canonical path.
//!
//! An index is used only when it checks out against the dump (size and sampled content), the
//! parse options and this heapscope; a stale or corrupt one is reported on stderr, never used,
//! and rebuilt after the parse.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use heapscope_graph::saved::{self, OpenError, SaveInput, Seals, Stamp};
use heapscope_parsers::{Input, ParseOptions};

use crate::progress::{Hooks, Progress};
use crate::session::{ParseFlags, Session};
use crate::CliError;

#[derive(Args, Debug)]
pub struct IndexArgs {
    pub dump: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// How to read a dump: the options `index` and the drill-down commands share.
#[derive(Args, Debug)]
pub struct LoadArgs {
    #[command(flatten)]
    pub parse: ParseFlags,
    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How a command uses a saved index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexUse {
    /// Parse the dump; touch no index (`--no-index`).
    Off,
    /// Use a valid index; parse otherwise, rebuilding an index that was there but stale or
    /// corrupt.
    Use,
    /// As `Use`, and write one after a parse (`heapscope index`, `analyze --save-index`).
    Keep,
}

/// `heapscope index`: always parses and writes a fresh index; says where and how big.
pub fn run(args: IndexArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    let opts = args.load.options();
    let t = Instant::now();
    let session = Progress::with(args.load.quiet, |p| Session::load(&args.dump, &opts, p))?;
    let (path, bytes) = save(&session, &args.dump, &opts)?;
    let n = session.analysis.graph.node_count().max(1);
    crate::output::write(
        out,
        &format!(
            "{}: {} bytes, {:.1} bytes per node, {} nodes, {:.2} s\n",
            path.display(),
            bytes,
            bytes as f64 / n as f64,
            session.analysis.graph.node_count(),
            t.elapsed().as_secs_f64()
        ),
    )?;
    Ok(crate::EXIT_OK)
}

impl LoadArgs {
    pub fn options(&self) -> ParseOptions {
        self.parse.options()
    }
}

/// The parse options that shape the graph, as the index records them.
pub fn options_key(opts: &ParseOptions) -> String {
    format!(
        "sample-index={};group-by={};binary={}",
        opts.sample_index.as_deref().unwrap_or(""),
        opts.group_by.as_deref().unwrap_or(""),
        opts.binary
            .as_deref()
            .map(|b| b.display().to_string())
            .unwrap_or_default()
    )
}

/// The cache directory (see the module docs), if one can be named.
pub fn cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("HEAPSCOPE_CACHE")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("heapscope")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("heapscope")))
}

/// The seals of indexes this user's heapscope wrote or checked in full (`seals/` in the cache
/// directory; `heapscope_graph::saved::seal`), when a cache directory can be named.
pub fn seals() -> Option<Seals> {
    cache_dir().map(|d| Seals::under(&d))
}

/// `DUMP.hsidx` beside the dump.
pub fn beside(dump: &Path) -> PathBuf {
    let mut s = dump.as_os_str().to_owned();
    s.push(".hsidx");
    PathBuf::from(s)
}

/// The dump's index file in the cache directory.
pub fn in_cache(dump: &Path) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let canon = std::fs::canonicalize(dump).unwrap_or_else(|_| dump.to_path_buf());
    let name = dump.file_name()?.to_string_lossy().into_owned();
    let hash = crc32fast::hash(canon.as_os_str().as_bytes());
    Some(cache_dir()?.join(format!("{name}-{hash:08x}.hsidx")))
}

/// Where an index of `dump` is looked for, in order.
pub fn candidates(dump: &Path) -> Vec<PathBuf> {
    let mut v = vec![beside(dump)];
    v.extend(in_cache(dump));
    v
}

/// Save `session`'s analysis as `dump`'s index (see the module docs for where); returns the
/// file and its size.
pub fn save(
    session: &Session,
    dump: &Path,
    opts: &ParseOptions,
) -> Result<(PathBuf, u64), CliError> {
    if !heapscope_parsers::inspect_state::restorable(&session.info) {
        return Err(CliError::BadInput(anyhow::anyhow!(
            "{}: {} dumps are not indexed yet (their details would be lost); commands parse them",
            dump.display(),
            session.info.format_name
        )));
    }
    let input = Input::open(dump)?;
    let stamp = Stamp::of(input.bytes());
    let state = session.inspector.saved_state();
    let key = options_key(opts);
    let what = SaveInput {
        analysis: &session.analysis,
        facts: &session.info,
        stamp,
        options: &key,
        inspector: &state,
    };
    let cache = in_cache(dump);
    let first = match (std::env::var_os("HEAPSCOPE_CACHE").is_some(), &cache) {
        (true, Some(c)) => c.clone(),
        _ => beside(dump),
    };
    let write_to = |p: &Path| -> std::io::Result<u64> {
        if let Some(d) = p.parent() {
            if !d.as_os_str().is_empty() {
                std::fs::create_dir_all(d)?;
            }
        }
        saved::write_with(p, &what, seals().as_ref())
    };
    match write_to(&first) {
        Ok(n) => Ok((first, n)),
        Err(e) if first == beside(dump) && cache.is_some() => {
            let c = cache.expect("checked above");
            match write_to(&c) {
                Ok(n) => Ok((c, n)),
                Err(e2) => Err(CliError::Internal(anyhow::anyhow!(
                    "cannot write the index {} ({e}) nor {} ({e2})",
                    first.display(),
                    c.display()
                ))),
            }
        }
        Err(e) => Err(CliError::Internal(anyhow::anyhow!(
            "cannot write the index {}: {e}",
            first.display()
        ))),
    }
}

/// Load `dump` for a command: from a valid saved index when `mode` allows, else by parsing (and
/// then, as `mode` says, saving the index). Stale or corrupt indexes are reported on stderr.
pub fn load(
    dump: &Path,
    opts: &ParseOptions,
    hooks: &dyn Hooks,
    mode: IndexUse,
) -> Result<Session, CliError> {
    if mode == IndexUse::Off {
        return Session::load(dump, opts, hooks);
    }
    crate::stats::start();
    let input = Input::open(dump)?;
    let stamp = Stamp::of(input.bytes());
    let key = options_key(opts);
    let seals = seals();
    let mut rebuild = false;
    for p in candidates(dump) {
        hooks.on_stage(&format!("opening {}", p.display()));
        let why = match saved::open_with(&p, &stamp, &key, seals.as_ref()) {
            Ok(o) => {
                let (base, state) = (o.inspector_offset, &o.inspector);
                match heapscope_parsers::inspect_state::restore(&o.facts, state, base, &input) {
                    Ok(inspector) => {
                        crate::stats::stage("index");
                        return Ok(Session {
                            meta: heapscope_reports::InputMeta {
                                path: dump.display().to_string(),
                                size_bytes: stamp.size,
                            },
                            analysis: o.analysis,
                            info: o.facts,
                            inspector,
                        });
                    }
                    Err(e) => e.to_string(),
                }
            }
            Err(OpenError::Missing) => continue,
            Err(e) => e.to_string(),
        };
        eprintln!(
            "heapscope: warning: not using the index {}: {why}; parsing the dump and rebuilding the index",
            p.display(),
        );
        rebuild = true;
    }
    drop(input);
    let session = Session::load(dump, opts, hooks)?;
    if rebuild || mode == IndexUse::Keep {
        hooks.on_stage("saving the index");
        if let Err(CliError::Internal(e) | CliError::BadInput(e)) = save(&session, dump, opts) {
            eprintln!("heapscope: warning: {e:#}")
        }
    }
    Ok(session)
}
