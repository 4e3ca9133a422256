//! `heapscope batch DUMP… --out-dir DIR`: one report per dump, written whole into a local
//! directory or an object-store prefix, and `summary.jsonl` with one line per dump.
//!
//! - Inputs: files, URLs, URL prefixes and globs (expanded in key order), or `--manifest
//!   FILE_OR_URL` (one dump per line; blank lines and `#` comments skipped) with `--index I`
//!   taking entry I alone (0-based; `$JOB_COMPLETION_INDEX`, as a Kubernetes Indexed Job sets
//!   it, is the default when no index is given).
//! - Per dump: `<file name>.json` and one `<file name>.<ext>` per `--format` (names made unique
//!   as `analyze -o DIR` makes them); a dump that fails is recorded and the batch goes on.
//! - `summary.jsonl`, in input order: `input`, `size_bytes`, `status` (`ok`, `suspect`,
//!   `error`), `exit` (what `analyze` would exit with for that dump alone), `reports`,
//!   `top_suspect` (rank, title, type, pattern, retained bytes and share, holder) and `reason`
//!   (the error, for `error`).
//! - Exit: 3 if any dump hit an internal error, else 2 if any input was bad (missing,
//!   unreadable, corrupt, a failed upload of its report), else 1 if a suspect was found and
//!   `--fail-on-suspect` was given, else 0.
//! - `--jobs N`: N dumps at once, but never more at once than the memory the estimates allow
//!   ([`Gate`]): each dump reserves [`memory_estimate`] of the memory available when the batch
//!   starts (`heapscope_parsers::budget::available`) and waits until its reservation fits; one
//!   that alone exceeds it runs by itself, and the parser's own up-front check then decides.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use anyhow::anyhow;
use clap::Args;
use heapscope_parsers::budget;
use serde::Serialize;

use super::analyze::{self, AnalyzeArgs, Color, ReportFlags};
use crate::format::{self, Format};
use crate::progress::Progress;
use crate::remote::outdir::OutDir;
use crate::remote::{self, DumpRef};
use crate::session::Session;
use crate::{CliError, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_SUSPECT};

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Dumps: files, URLs (s3://, gs://, az://, https://), URL prefixes ending in / or globs.
    pub dumps: Vec<DumpRef>,
    /// A file or URL listing one dump per line (blank lines and # comments skipped).
    #[arg(long)]
    pub manifest: Option<OsString>,
    /// With --manifest: take entry I alone (0-based). Default: $JOB_COMPLETION_INDEX when set
    /// (a Kubernetes Indexed Job's pod index), else every entry.
    #[arg(long)]
    pub index: Option<usize>,
    /// Where the reports and summary.jsonl go: a local directory or an object-store prefix.
    #[arg(long = "out-dir")]
    pub out_dir: OsString,
    /// Report forms besides JSON (repeatable): text, markdown, html.
    #[arg(long = "format", value_parser = format::parser(&format::ALL))]
    pub formats: Vec<Format>,
    /// Dumps analysed at once (bounded by the memory estimates).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    #[command(flatten)]
    pub report: ReportFlags,
    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Peak memory assumed per byte of a dump: the measured peaks are 0.70× the dump for HPROF
/// (2.18 GB JDK 17 dump) and 0.70× for V8 (1.05 GB snapshot); see `heapscope_parsers::budget`.
pub const PEAK_PER_BYTE: f64 = 1.0;
/// For a gzip'd dump the inflated size is not known before it is inflated; heap dumps
/// compress 4–8× (JDK `-gz`), so 8× the compressed size is reserved.
pub const GZIP_RATIO: f64 = 8.0;

/// The memory one dump of `size` bytes (gzip'd or not) is assumed to need at its peak.
pub fn memory_estimate(size: u64, gzipped: bool) -> u64 {
    let f = if gzipped {
        PEAK_PER_BYTE * GZIP_RATIO
    } else {
        PEAK_PER_BYTE
    };
    (size as f64 * f) as u64
}

/// Admits dumps while the sum of their estimates fits in `total` (one at a time when one alone
/// exceeds it).
pub struct Gate {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

impl Gate {
    pub fn new(total: u64) -> Gate {
        Gate {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Wait until `need` fits beside the dumps running, then reserve it until the permit drops.
    pub fn acquire(&self, need: u64) -> Permit<'_> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while !fits(*used, need, self.total) {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used = used.saturating_add(need);
        Permit { gate: self, need }
    }
}

/// May a dump needing `need` start beside dumps holding `used` of `total`? Yes when it fits,
/// and always when nothing else runs (a dump bigger than the budget runs alone).
pub fn fits(used: u64, need: u64, total: u64) -> bool {
    used == 0 || used.saturating_add(need) <= total
}

/// A reservation of memory; returned on drop.
pub struct Permit<'a> {
    gate: &'a Gate,
    need: u64,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut used = self.gate.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.need);
        self.gate.freed.notify_all();
    }
}

/// The manifest's entries (blank lines and `#` comments skipped).
pub fn manifest_entries(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The dumps this run takes: the arguments, or the manifest (entry `index` alone when given).
fn inputs(args: &BatchArgs) -> Result<Vec<DumpRef>, CliError> {
    let bad = |m: String| CliError::BadInput(anyhow!(m));
    let Some(m) = &args.manifest else {
        if args.index.is_some() {
            return Err(bad("--index needs --manifest".into()));
        }
        if args.dumps.is_empty() {
            return Err(bad("batch needs dumps or --manifest".into()));
        }
        return remote::expand(&args.dumps);
    };
    if !args.dumps.is_empty() {
        return Err(bad("give dumps or --manifest, not both".into()));
    }
    let src = DumpRef::parse(m).map_err(bad)?;
    let text = match &src {
        DumpRef::Local(p) => std::fs::read_to_string(p)
            .map_err(|e| bad(format!("reading the manifest {}: {e}", p.display())))?,
        DumpRef::Remote(u) => {
            let f = remote::fetch::fetch(u, &crate::progress::Silent)?;
            let mut s = String::new();
            std::fs::File::open(f.path())
                .and_then(|mut h| h.read_to_string(&mut s))
                .map_err(|e| remote::bad(u, format!("reading the manifest: {e}")))?;
            s
        }
    };
    let entries = manifest_entries(&text);
    let index = match args.index {
        Some(i) => Some(i),
        None => match std::env::var("JOB_COMPLETION_INDEX") {
            Ok(v) => Some(v.trim().parse::<usize>().map_err(|_| {
                bad(format!(
                    "JOB_COMPLETION_INDEX={v}: expected a non-negative integer"
                ))
            })?),
            Err(_) => None,
        },
    };
    let chosen: Vec<&str> = match index {
        None => entries,
        Some(i) => vec![*entries.get(i).ok_or_else(|| {
            bad(format!(
                "--index {i}: the manifest {src} has {} entries (0..{})",
                entries.len(),
                entries.len()
            ))
        })?],
    };
    let refs = chosen
        .iter()
        .map(|e| DumpRef::parse(e.as_ref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    remote::expand(&refs)
}

/// What became of one dump.
struct Outcome {
    line: Line,
    exit: u8,
}

/// One line of `summary.jsonl` (fields in this order).
#[derive(Serialize)]
struct Line {
    input: String,
    size_bytes: Option<u64>,
    /// `ok`, `suspect` or `error`.
    status: &'static str,
    exit: u8,
    reports: Vec<String>,
    top_suspect: Option<Top>,
    reason: Option<String>,
}

/// The first suspect that is not the runtime's own data.
#[derive(Serialize)]
struct Top {
    rank: u32,
    title: String,
    #[serde(rename = "type")]
    type_name: String,
    pattern: heapscope_reports::model::Pattern,
    retained_bytes: u64,
    retained_share: f64,
    holder: Option<String>,
}

/// `heapscope batch`.
pub fn run(args: BatchArgs) -> Result<u8, CliError> {
    args.report.check()?;
    let out = OutDir::parse(&args.out_dir)?;
    let dumps = inputs(&args)?;
    let jobs = args.jobs.clamp(1, dumps.len().max(1));
    let total = if std::env::var_os(budget::SKIP_ENV).is_some() {
        u64::MAX
    } else {
        budget::available().unwrap_or(u64::MAX)
    };
    let gate = Gate::new(total);
    let aargs = AnalyzeArgs {
        dumps: Vec::new(),
        format: Format::Json,
        output: None,
        report: args.report.clone(),
        color: Color::Never,
        quiet: true,
    };
    let mut exts: Vec<Format> = vec![Format::Json];
    for f in &args.formats {
        if !exts.contains(f) {
            exts.push(*f);
        }
    }
    let names: Vec<Vec<String>> = exts
        .iter()
        .map(|f| analyze::batch_names(&dumps, f.extension()))
        .collect();
    // One spinner is only readable when one dump runs at a time.
    let progress = Progress::new(args.quiet || jobs > 1);
    let next = AtomicUsize::new(0);
    let outcomes: Vec<Mutex<Option<Outcome>>> = dumps.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(dump) = dumps.get(i) else { break };
                let files: Vec<(Format, &str)> = exts
                    .iter()
                    .zip(&names)
                    .map(|(f, n)| (*f, n[i].as_str()))
                    .collect();
                let o = one(dump, &files, &aargs, &out, &gate, &progress);
                if let Some(m) = &o.line.reason {
                    progress.finish();
                    eprintln!("heapscope: error: {m}");
                }
                *outcomes[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(o);
            });
        }
    });
    progress.finish();
    let mut summary = String::new();
    let (mut bad, mut internal, mut suspect) = (false, false, false);
    for o in outcomes {
        let Some(o) = o.into_inner().unwrap_or_else(|e| e.into_inner()) else {
            internal = true;
            continue;
        };
        let text = serde_json::to_string(&o.line)
            .map_err(|e| CliError::Internal(anyhow!("writing the summary: {e}")))?;
        summary.push_str(&text);
        summary.push('\n');
        bad |= o.exit == EXIT_BAD_INPUT;
        internal |= o.exit == EXIT_INTERNAL;
        suspect |= o.exit == EXIT_SUSPECT || o.line.status == "suspect";
    }
    out.put("summary.jsonl", summary.into_bytes())?;
    Ok(if internal {
        EXIT_INTERNAL
    } else if bad {
        EXIT_BAD_INPUT
    } else if suspect && args.report.fail_on_suspect {
        EXIT_SUSPECT
    } else {
        EXIT_OK
    })
}

/// One dump: fetch (if remote), reserve memory, analyse, write every report, and its summary line.
fn one(
    dump: &DumpRef,
    files: &[(Format, &str)],
    args: &AnalyzeArgs,
    out: &OutDir,
    gate: &Gate,
    progress: &Progress,
) -> Outcome {
    let mut size = None;
    let result = (|| -> Result<(Vec<String>, heapscope_reports::Report), CliError> {
        let fetched = match dump {
            DumpRef::Local(_) => None,
            DumpRef::Remote(u) => Some(remote::fetch::fetch(u, progress)?),
        };
        let local: &Path = match (&fetched, dump) {
            (Some(f), _) => f.path(),
            (None, DumpRef::Local(p)) => p,
            (None, DumpRef::Remote(_)) => unreachable!("a remote dump is fetched above"),
        };
        let (bytes, gz) =
            head_of(local).map_err(|e| CliError::BadInput(anyhow!("{dump}: cannot read: {e}")))?;
        size = Some(bytes);
        let permit = gate.acquire(memory_estimate(bytes, gz));
        let r = &args.report;
        let opts = r.parse.options();
        let loaded = Session::load_as(local, &dump.to_string(), &opts, progress);
        if let Some(f) = fetched.filter(|_| remote::keep()) {
            f.keep();
        }
        let (report, _freed) = analyze::report_of(loaded?, args, progress, analyze::Teardown::Free);
        drop(permit);
        let mut written = Vec::new();
        for (f, name) in files {
            let a = AnalyzeArgs {
                format: *f,
                ..args.clone()
            };
            let text = analyze::render(&report, &a, false);
            out.put(name, text.into_bytes())?;
            written.push(out.show(name));
        }
        Ok((written, report))
    })();
    match result {
        Ok((written, report)) => {
            let top = report.suspects.iter().find(|s| !s.runtime_owned);
            let exit = if top.is_some() && args.report.fail_on_suspect {
                EXIT_SUSPECT
            } else {
                EXIT_OK
            };
            Outcome {
                line: Line {
                    input: dump.to_string(),
                    size_bytes: size,
                    status: if top.is_some() { "suspect" } else { "ok" },
                    exit,
                    reports: written,
                    top_suspect: top.map(|s| Top {
                        rank: s.rank,
                        title: s.title.clone(),
                        type_name: s.type_name.clone(),
                        pattern: s.pattern,
                        retained_bytes: s.retained_bytes,
                        retained_share: s.retained_share,
                        holder: s.holder.clone(),
                    }),
                    reason: None,
                },
                exit,
            }
        }
        Err(e) => {
            let exit = e.exit_code();
            let reason = match &e {
                CliError::BadInput(m) | CliError::Internal(m) => format!("{m:#}"),
                CliError::Closed => "output closed".into(),
            };
            Outcome {
                line: Line {
                    input: dump.to_string(),
                    size_bytes: size,
                    status: "error",
                    exit,
                    reports: Vec::new(),
                    top_suspect: None,
                    reason: Some(reason),
                },
                exit,
            }
        }
    }
}

/// The file's size, and whether it is gzip'd (by its first bytes, as the parsers detect it).
fn head_of(p: &Path) -> std::io::Result<(u64, bool)> {
    let mut f = std::fs::File::open(p)?;
    let size = f.metadata()?.len();
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    let gz = n == 2
        && matches!(
            heapscope_parsers::detect(&magic),
            heapscope_parsers::Detected::Gzip
        );
    Ok((size, gz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_admits_what_fits_and_a_big_dump_alone() {
        assert!(fits(0, 50, 100) && fits(50, 50, 100));
        assert!(
            !fits(60, 50, 100),
            "two dumps never exceed the budget together"
        );
        assert!(
            fits(0, 500, 100),
            "one dump bigger than the budget runs alone"
        );
        assert!(!fits(1, 500, 100));
        // Reservations are returned when the permits drop.
        let g = Gate::new(100);
        let a = g.acquire(60);
        assert_eq!(*g.used.lock().unwrap(), 60);
        drop(a);
        let b = g.acquire(100);
        assert_eq!(*g.used.lock().unwrap(), 100);
        drop(b);
        assert_eq!(*g.used.lock().unwrap(), 0);
    }

    #[test]
    fn a_manifest_skips_blanks_and_comments() {
        assert_eq!(
            manifest_entries("# run 7\ns3://b/a.hprof\n\n  s3://b/c.hprof  \n#x\n"),
            ["s3://b/a.hprof", "s3://b/c.hprof"]
        );
    }
}
