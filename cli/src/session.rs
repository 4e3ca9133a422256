//! One dump, parsed and analysed: what every command starts from.

use std::path::Path;

use heapscope_graph::{Analysis, DumpFacts, Inspector, Spill};
use heapscope_parsers::{Input, ParseOptions};
use heapscope_reports::overtime::Dump;
use heapscope_reports::{Ctx, InputMeta};

use crate::progress::Hooks;
use crate::CliError;

/// One dump, parsed and analysed.
pub struct Session {
    pub analysis: Analysis,
    pub info: DumpFacts,
    pub inspector: Box<dyn Inspector>,
    pub meta: InputMeta,
}

/// The parse options the commands' `--sample-index` and `--group-by` give.
pub fn parse_options(sample_index: Option<&str>, group_by: Option<&str>) -> ParseOptions {
    ParseOptions {
        sample_index: sample_index.map(str::to_string),
        group_by: group_by.map(str::to_string),
        ..ParseOptions::default()
    }
}

impl Session {
    /// Parse a dump (format detected by content) and run every graph pass, telling `hooks`
    /// each stage. Large display columns of the graph go to spill files in `$TMPDIR` (see
    /// `heapscope_graph::column`).
    pub fn load(path: &Path, opts: &ParseOptions, hooks: &dyn Hooks) -> Result<Session, CliError> {
        hooks.on_stage(&format!("reading {}", path.display()));
        let input = Input::open(path)?;
        let size = input.file_size();
        crate::stats::start();
        let opts = ParseOptions {
            spill: Spill::temp(),
            ..opts.clone()
        };
        let parsed = heapscope_parsers::parse_input(&input, &opts)?;
        crate::stats::stage("parse");
        hooks.on_stage("dominators, retained sizes, histogram, paths");
        let analysis = Analysis::run_observed(parsed.graph, &mut |pass| {
            crate::stats::stage(pass);
            hooks.on_stage(&format!("{pass} done"));
        });
        let meta = InputMeta {
            path: path.display().to_string(),
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
        mode: crate::commands::index::IndexUse,
    ) -> Result<Session, CliError> {
        crate::commands::index::load(path, opts, hooks, mode)
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
