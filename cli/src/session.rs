//! One dump, parsed and analysed: what every command starts from.

use std::path::{Path, PathBuf};

use heapscope_graph::{Analysis, DumpFacts, Inspector, Spill};
use heapscope_parsers::{Input, ParseOptions};
use heapscope_reports::overtime::Dump;
use heapscope_reports::{Ctx, InputMeta};

use crate::commands::index::IndexUse;
use crate::progress::Hooks;
use crate::remote::DumpRef;
use crate::CliError;

/// One dump, parsed and analysed.
pub struct Session {
    pub analysis: Analysis,
    pub info: DumpFacts,
    pub inspector: Box<dyn Inspector>,
    pub meta: InputMeta,
}

/// How to read a dump: the flags every command that loads one shares (flattened into each
/// command's arguments).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ParseFlags {
    /// pprof: the sample type used as bytes (inuse_space, inuse_objects, alloc_space, alloc_objects or an index).
    #[arg(long = "sample-index")]
    pub sample_index: Option<String>,
    /// tracemalloc: group by lineno (default), filename or traceback (as compare_to's key_type).
    #[arg(long = "group-by")]
    pub group_by: Option<String>,
    /// Go heap dumps: the program's binary (ELF with its symbol table), to name globals.
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// Analyse out of core (graph and analysis arrays in spill files in $TMPDIR, which must be
    /// on disk) even when the dump fits in memory; also HEAPSCOPE_OUT_OF_CORE=1. Without it, a
    /// dump whose memory estimate exceeds what is available is analysed out of core anyway.
    #[arg(long = "out-of-core")]
    pub out_of_core: bool,
}

impl ParseFlags {
    /// The parse options these flags give.
    pub fn options(&self) -> ParseOptions {
        let mut o = parse_options(
            self.sample_index.as_deref(),
            self.group_by.as_deref(),
            self.binary.as_deref(),
        );
        o.spill.out_of_core = self.out_of_core;
        o
    }
}

/// The parse options the commands' `--sample-index`, `--group-by` and `--binary` give.
pub fn parse_options(
    sample_index: Option<&str>,
    group_by: Option<&str>,
    binary: Option<&Path>,
) -> ParseOptions {
    ParseOptions {
        sample_index: sample_index.map(str::to_string),
        group_by: group_by.map(str::to_string),
        binary: binary.map(Path::to_path_buf),
        ..ParseOptions::default()
    }
}

impl Session {
    /// Parse a dump (format detected by content) and run every graph pass, telling `hooks`
    /// each stage. Large display columns of the graph go to spill files in `$TMPDIR` (see
    /// `heapscope_graph::column`).
    pub fn load(path: &Path, opts: &ParseOptions, hooks: &dyn Hooks) -> Result<Session, CliError> {
        Session::load_as(path, &path.display().to_string(), opts, hooks)
    }

    /// [`Session::load`] of a local file or of an object in a store (`s3://…`, `https://…`):
    /// an object is downloaded to `$TMPDIR` first ([`crate::remote::fetch`]), and the report
    /// and every error name its URL, never the temporary file. A local dump is read from its
    /// saved index as `mode` allows ([`Session::load_indexed`]); a downloaded copy never is.
    pub fn open(
        dump: &DumpRef,
        opts: &ParseOptions,
        hooks: &dyn Hooks,
        mode: IndexUse,
    ) -> Result<Session, CliError> {
        match dump {
            DumpRef::Local(p) => Session::load_indexed(p, opts, hooks, mode),
            DumpRef::Remote(u) => {
                let local = crate::remote::fetch::fetch(u, hooks)?;
                let loaded = Session::load_as(local.path(), &u.text, opts, hooks);
                if crate::remote::keep() {
                    local.keep();
                }
                loaded
            }
        }
    }

    /// [`Session::load`] of `path`, shown as `name` (a downloaded copy shown as its URL).
    pub fn load_as(
        path: &Path,
        name: &str,
        opts: &ParseOptions,
        hooks: &dyn Hooks,
    ) -> Result<Session, CliError> {
        hooks.on_stage(&format!("reading {name}"));
        let named = |mut e: heapscope_parsers::ParseError| {
            e.path = name.into();
            e
        };
        let input = Input::open(path).map_err(named)?;
        let size = input.file_size();
        crate::stats::start();
        let forced = opts.spill.out_of_core || out_of_core_env();
        let opts = ParseOptions {
            spill: Spill::temp().out_of_core(forced),
            ..opts.clone()
        };
        if forced && !opts.spill.is_usable() {
            return Err(CliError::BadInput(anyhow::anyhow!(
                "--out-of-core needs spill files on disk, but {} is missing or a memory file system; set TMPDIR",
                std::env::temp_dir().display()
            )));
        }
        let (parsed, later) =
            heapscope_parsers::parse_input_labels_later(&input, &opts).map_err(named)?;
        crate::stats::stage("parse");
        // The dump's page tables are dropped beside the analysis: see [`DROP_PAGES_MIN`].
        let drop_pages = later.is_none()
            && !parsed.info.compressed
            && input.bytes().len() as u64 >= DROP_PAGES_MIN;
        if opts.spill.out_of_core || parsed.graph.out_of_core {
            hooks.on_stage("out of core: graph and analysis arrays in spill files");
        }
        hooks.on_stage("dominators, retained sizes, histogram, paths");
        let graph = parsed.graph;
        let analysis = std::thread::scope(|sc| {
            if drop_pages {
                // No thread: the teardown unmaps them, as before.
                let _ = std::thread::Builder::new()
                    .name("dump pages".into())
                    .spawn_scoped(sc, || input.drop_page_tables());
            }
            analyse(graph, later, &opts.spill, &mut |pass| {
                crate::stats::stage(pass);
                hooks.on_stage(&format!("{pass} done"));
            })
        });
        let meta = InputMeta {
            path: name.to_string(),
            size_bytes: size,
        };
        Ok(Session {
            analysis,
            info: parsed.info,
            inspector: parsed.inspector,
            meta,
        })
    }

    /// [`load`](Self::load), or a saved index of the dump when `mode` allows and one checks
    /// out (see [`crate::commands::index`]).
    pub fn load_indexed(
        path: &Path,
        opts: &ParseOptions,
        hooks: &dyn Hooks,
        mode: IndexUse,
    ) -> Result<Session, CliError> {
        crate::commands::index::load(path, opts, hooks, mode)
    }

    /// The session, for keeping open (a server's): the results its analysis left in anonymous
    /// memory for a report that follows go to spill files ([`Analysis::spill_results`]).
    pub fn keep_open(mut self) -> Session {
        self.analysis.spill_results(&Spill::temp());
        self
    }

    /// The dump as the over-time reports take it.
    pub fn dump(&self) -> Dump<'_> {
        Dump {
            a: &self.analysis,
            info: &self.info,
            meta: &self.meta,
            insp: Some(self.inspector.as_ref()),
        }
    }

    /// The dump as the report builders take it.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            a: &self.analysis,
            info: &self.info,
            insp: self.inspector.as_ref(),
        }
    }
}

/// Run every graph pass ([`Analysis::run_spilled`]) and resolve the edge labels the parser
/// left (`later`) on a thread of their own meanwhile: no pass reads a label, and the
/// dominators leave the second core idle much of their time (V8: the labels' pass over every
/// edge, ~0.2 CPU s on a 1 GB snapshot, came after the strings, ahead of the dominators).
/// The same graph and analysis as resolving them first (`later_labels_are_the_parsed_ones`).
pub fn analyse(
    graph: heapscope_graph::HeapGraph,
    later: Option<heapscope_graph::LabelsLater>,
    spill: &heapscope_graph::Spill,
    after: &mut dyn FnMut(&str),
) -> Analysis {
    let Some(later) = later else {
        return Analysis::run_spilled(graph, spill, after);
    };
    // Taken by the thread; left here should it not start.
    let slot = std::sync::Mutex::new(Some(later));
    let take = || slot.lock().ok().and_then(|mut s| s.take());
    let (mut analysis, resolved) = std::thread::scope(|sc| {
        let thread = std::thread::Builder::new()
            .name("edge labels".into())
            .spawn_scoped(sc, || take().map(|l| l.resolve()));
        let analysis = Analysis::run_spilled(graph, spill, after);
        let resolved = thread
            .ok()
            .and_then(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (analysis, resolved)
    });
    match resolved {
        Some(r) => analysis.graph.put_labels(r),
        None => {
            if let Some(l) = take() {
                l.resolve_into(&mut analysis.graph);
            }
        }
    }
    analysis
}

/// From this many bytes of a dump on, its page tables are dropped beside the analysis
/// ([`Input::drop_page_tables`], on a thread of its own at normal priority, joined before the
/// analysis returns): the parse maps every page of the dump, and unmapping that many entries
/// would otherwise be part of the teardown, after the output is written (~0.06 s of kernel
/// time for the 2.18 GB JDK dump of benches/). Nothing reads the dump between the parse and
/// the report; a page the report reads is mapped again from the page cache. Not for a parser
/// that resolves labels after the parse (`later`: its thread reads the dump meanwhile), and
/// not for a gzip dump, whose inflated copy the inspector holds, not this input. Not a
/// thread of the idle scheduling class: one preempted inside `madvise` would hold the
/// process's memory-map lock, and every `mmap`/`munmap` of the analysis would wait on it.
const DROP_PAGES_MIN: u64 = 64 << 20;

/// The environment variable that forces out-of-core analysis (as `--out-of-core`).
pub const OUT_OF_CORE_ENV: &str = "HEAPSCOPE_OUT_OF_CORE";

/// Is [`OUT_OF_CORE_ENV`] set to something other than empty or `0`?
fn out_of_core_env() -> bool {
    std::env::var_os(OUT_OF_CORE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use heapscope_graph::Spill;
    use heapscope_reports::{build_report, ReportOptions};

    /// The report as JSON, and every edge label with its text.
    fn seen(a: &Analysis, info: &DumpFacts, insp: &dyn Inspector) -> (String, Vec<Option<String>>) {
        let meta = InputMeta {
            path: "x".into(),
            size_bytes: 1,
        };
        let opts = ReportOptions::default();
        let report = build_report(a, info, insp, &meta, &opts);
        let g = &a.graph;
        let labels = (0..g.edge_count())
            .map(|e| g.label_text(g.edge(e).label))
            .collect();
        (serde_json::to_string(&report).unwrap(), labels)
    }

    /// Labels resolved beside the analysis ([`analyse`]) give the analysis, labels and report
    /// that resolving them before it gives, on every committed Node snapshot, in memory and
    /// with spill files (the root paths then run beside the dominators too).
    #[test]
    fn later_labels_are_the_parsed_ones() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/node/snapshots");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("heapsnapshot") {
                continue;
            }
            for spill in [Spill::never(), Spill::temp().min_bytes(0)] {
                let opts = ParseOptions {
                    spill: spill.clone(),
                    ..ParseOptions::default()
                };
                let input = Input::open(&path).unwrap();
                let serial = heapscope_parsers::parse_input(&input, &opts).unwrap();
                let (parsed, later) =
                    heapscope_parsers::parse_input_labels_later(&input, &opts).unwrap();
                assert!(later.is_some(), "{}", path.display());
                let a = Analysis::run_spilled(serial.graph, &spill, &mut |_| {});
                let b = analyse(parsed.graph, later, &spill, &mut |_| {});
                assert_eq!(a.retained, b.retained);
                assert_eq!(a.dom.idom, b.dom.idom);
                let want = seen(&a, &serial.info, serial.inspector.as_ref());
                let got = seen(&b, &parsed.info, parsed.inspector.as_ref());
                assert!(want.1.iter().any(Option::is_some), "{}", path.display());
                assert_eq!(want, got, "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 10);
    }
}
