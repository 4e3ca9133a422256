//! `heapscope export DUMP --parquet DIR`: the saved analysis as four Parquet tables for DuckDB,
//! Polars, pandas or Spark (docs/export.md): `objects.parquet`, `refs.parquet`,
//! `types.parquet` and `roots.parquet`, with the columns `heapscope query` (SQL) shows
//! (`/work/status/tables.md`, the same names and meanings):
//!
//! - objects(id, type, kind, shallow, retained, idom NULL, reachable, node)
//! - refs(src, dst, label NULL, weak)
//! - types(type, count, shallow, retained)
//! - roots(id, kind, via NULL)
//!
//! The dump is read through its saved index when a valid one exists (as the drill-downs do;
//! `--no-index` parses). Rows are written straight from the analysis' columns (mapped from
//! the index) in row groups of `--row-group-rows` rows, each column in batches of [`BATCH`]
//! rows: memory stays a few batches whatever the dump's size, never a copy of a table. Each
//! file is written under a temporary name in DIR (mode 0600: a dump's contents are often
//! secret) and renamed once all four are complete, so DIR never holds a half-written table:
//! an error while writing (a full disk, a failing dump) leaves the previous files, if any, and
//! removes the temporary ones.
//!
//! Written with arrow-rs' `parquet` crate, column writers only (no Arrow arrays), Snappy
//! compression, dictionary encoding where it pays (types, kinds, labels). Integers are
//! unsigned where the value is (ids are u64: call-tree ids are hashes past 2^63).

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use bytes::Bytes;
use clap::Args;
use heapscope_graph::{Analysis, Label, NodeKind, SUPER, UNREACHED, WEAK_BIT};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::commands::index::{IndexUse, LoadArgs};
use crate::progress::Progress;
use crate::remote::DumpRef;
use crate::session::Session;
use crate::CliError;

/// Rows handed to a column writer at once: the batch buffers are this many values (~1 MiB
/// for 8-byte integers), whatever the table's size.
pub const BATCH: usize = 1 << 16;
/// Rows per row group by default: DuckDB and Polars read row groups in parallel, and 2^20 rows
/// keep a group's column chunks in the few-MiB range readers prefer.
pub const ROW_GROUP: u32 = 1 << 20;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The dump: a file or a URL (s3://, gs://, az://, https://).
    pub dump: DumpRef,
    /// Write objects.parquet, refs.parquet, types.parquet and roots.parquet into DIR (created
    /// when missing; files of those names there are replaced).
    #[arg(long, value_name = "DIR", required = true)]
    pub parquet: PathBuf,
    /// Rows per Parquet row group.
    #[arg(long = "row-group-rows", default_value_t = ROW_GROUP, value_parser = clap::value_parser!(u32).range(1..))]
    pub row_group_rows: u32,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Parse the dump even when a saved index of it (`heapscope index`) is valid.
    #[arg(long = "no-index")]
    pub no_index: bool,
}

/// `heapscope export`: writes the tables, then one line per file on `out`.
pub fn run(args: ExportArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let opts = args.load.options();
    let mode = if args.no_index {
        IndexUse::Off
    } else {
        IndexUse::Use
    };
    let session = Progress::with(args.load.quiet, |p| {
        Session::open(&args.dump, &opts, p, mode)
    })?;
    let written = export_parquet(
        &session.analysis,
        &args.parquet,
        args.row_group_rows as usize,
    )?;
    let mut said = String::new();
    for (path, rows, bytes) in written {
        said.push_str(&format!("{}: {rows} rows, {bytes} bytes\n", path.display()));
    }
    crate::output::write(out, &said)?;
    Ok(crate::EXIT_OK)
}

/// The file names, in the order they are written.
pub const FILES: [&str; 4] = [
    "objects.parquet",
    "refs.parquet",
    "types.parquet",
    "roots.parquet",
];

/// Write the four tables of `a` into `dir` (see the module docs); returns each file with its
/// row count and size. Nothing is renamed into place unless all four were written.
pub fn export_parquet(
    a: &Analysis,
    dir: &Path,
    row_group_rows: usize,
) -> Result<Vec<(PathBuf, usize, u64)>, CliError> {
    let writing = |what: &Path| format!("writing {}", what.display());
    std::fs::create_dir_all(dir)
        .with_context(|| writing(dir))
        .map_err(CliError::BadInput)?;
    // A target that cannot be replaced is named before anything is written.
    for name in FILES {
        let target = dir.join(name);
        if target.is_dir() {
            return Err(CliError::BadInput(anyhow!(
                "cannot write {}: a directory is in its place",
                target.display()
            )));
        }
    }
    let tables = [objects(a), refs(a), types(a), roots(a)];
    let mut done = Vec::with_capacity(tables.len());
    for (t, name) in tables.iter().zip(FILES) {
        let target = dir.join(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}-"))
            .tempfile_in(dir)
            .with_context(|| writing(&target))
            .map_err(CliError::BadInput)?;
        write_table(t, tmp.as_file_mut(), row_group_rows)
            .and_then(|()| Ok(tmp.as_file().sync_all()?))
            .with_context(|| writing(&target))
            .map_err(CliError::BadInput)?;
        let bytes = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
        done.push((tmp, target, t.rows, bytes));
    }
    let mut out = Vec::with_capacity(done.len());
    for (tmp, target, rows, bytes) in done {
        tmp.persist(&target)
            .map_err(|e| e.error)
            .with_context(|| writing(&target))
            .map_err(CliError::BadInput)?;
        out.push((target, rows, bytes));
    }
    Ok(out)
}

/// One batch of a text column: the texts back to back and each row's span (`None`: NULL).
#[derive(Default)]
struct Text {
    bytes: Vec<u8>,
    spans: Vec<Option<(usize, usize)>>,
}

impl Text {
    fn push(&mut self, s: &str) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.spans.push(Some((at, self.bytes.len())));
    }
    fn push_fmt(&mut self, args: std::fmt::Arguments) {
        let at = self.bytes.len();
        let _ = self.bytes.write_fmt(args);
        self.spans.push(Some((at, self.bytes.len())));
    }
    fn null(&mut self) {
        self.spans.push(None);
    }
}

type Ints<'a> = Box<dyn Fn(Range<usize>, &mut Vec<Option<i64>>) + 'a>;
type Texts<'a> = Box<dyn Fn(Range<usize>, &mut Text) + 'a>;

/// How a column's values are made, a batch of rows at a time.
enum Fill<'a> {
    /// Physical INT64 (u64 values as their bit pattern, the type says unsigned).
    Int64(Ints<'a>),
    /// Physical INT32 (values that fit).
    Int32(Ints<'a>),
    Text(Texts<'a>),
}

struct Col<'a> {
    /// The Parquet schema line, e.g. `required int64 id (INTEGER(64,false))`.
    decl: &'static str,
    fill: Fill<'a>,
}

struct Table<'a> {
    name: &'static str,
    rows: usize,
    cols: Vec<Col<'a>>,
}

fn int64<'a>(decl: &'static str, f: impl Fn(Range<usize>, &mut Vec<Option<i64>>) + 'a) -> Col<'a> {
    Col {
        decl,
        fill: Fill::Int64(Box::new(f)),
    }
}
fn int32<'a>(decl: &'static str, f: impl Fn(Range<usize>, &mut Vec<Option<i64>>) + 'a) -> Col<'a> {
    Col {
        decl,
        fill: Fill::Int32(Box::new(f)),
    }
}
fn text<'a>(decl: &'static str, f: impl Fn(Range<usize>, &mut Text) + 'a) -> Col<'a> {
    Col {
        decl,
        fill: Fill::Text(Box::new(f)),
    }
}

fn objects(a: &Analysis) -> Table<'_> {
    let g = &a.graph;
    let idom = &a.dom.idom;
    Table {
        name: "objects",
        rows: g.node_count(),
        cols: vec![
            int64("required int64 id (INTEGER(64,false))", |r, v| {
                v.extend(g.ids[r].iter().map(|&x| Some(x as i64)))
            }),
            text("required binary type (STRING)", |r, t| {
                for &ty in &g.type_of[r] {
                    t.push(g.types.get(ty));
                }
            }),
            text("required binary kind (STRING)", |r, t| {
                for &k in &g.kind[r] {
                    t.push(heapscope_reports::query::kind_name(NodeKind::from_u8(k)));
                }
            }),
            int64("required int64 shallow (INTEGER(64,false))", |r, v| {
                v.extend(g.shallow[r].iter().map(|&x| Some(x as i64)))
            }),
            int64("required int64 retained (INTEGER(64,false))", |r, v| {
                v.extend(a.retained[r].iter().map(|&x| Some(x as i64)))
            }),
            int64("optional int64 idom (INTEGER(64,false))", |r, v| {
                v.extend(
                    idom[r]
                        .iter()
                        .map(|&d| (d != SUPER && d != UNREACHED).then(|| g.ids[d as usize] as i64)),
                )
            }),
            int32("required int32 reachable (INTEGER(8,false))", |r, v| {
                v.extend(idom[r].iter().map(|&d| Some(i64::from(d != UNREACHED))))
            }),
            int32("required int32 node (INTEGER(32,false))", |r, v| {
                v.extend(r.map(|i| Some(i as u32 as i32 as i64)))
            }),
        ],
    }
}

/// The node that owns edge `e` (the last node whose edges start at or before it).
fn owner(offsets: &[u32], e: usize) -> usize {
    offsets
        .partition_point(|&o| o as usize <= e)
        .saturating_sub(1)
}

fn refs(a: &Analysis) -> Table<'_> {
    let g = &a.graph;
    let off = &g.offsets;
    Table {
        name: "refs",
        rows: g.edge_count(),
        cols: vec![
            int64("required int64 src (INTEGER(64,false))", move |r, v| {
                // Owners ascend with the edges: one search per batch, then a walk.
                let mut u = owner(off, r.start);
                for e in r {
                    while off[u + 1] as usize <= e {
                        u += 1;
                    }
                    v.push(Some(g.ids[u] as i64));
                }
            }),
            int64("required int64 dst (INTEGER(64,false))", |r, v| {
                v.extend(
                    g.targets[r]
                        .iter()
                        .map(|&t| Some(g.ids[(t & !WEAK_BIT) as usize] as i64)),
                )
            }),
            text("optional binary label (STRING)", |r, t| {
                if g.edge_labels.is_empty() {
                    r.for_each(|_| t.null());
                    return;
                }
                for &l in &g.edge_labels[r] {
                    match Label::decode(l) {
                        Label::None => t.null(),
                        Label::Name(id) => t.push(g.labels.get(id.0)),
                        Label::Index(i) => t.push_fmt(format_args!("[{i}]")),
                    }
                }
            }),
            int32("required int32 weak (INTEGER(8,false))", |r, v| {
                v.extend(
                    g.targets[r]
                        .iter()
                        .map(|&t| Some(i64::from(t & WEAK_BIT != 0))),
                )
            }),
        ],
    }
}

fn types(a: &Analysis) -> Table<'_> {
    let g = &a.graph;
    let h = &a.histogram;
    Table {
        name: "types",
        rows: h.len(),
        cols: vec![
            text("required binary type (STRING)", |r, t| {
                h[r].iter().for_each(|row| t.push(g.types.get(row.type_id)))
            }),
            int64("required int64 count (INTEGER(64,false))", |r, v| {
                v.extend(h[r].iter().map(|row| Some(row.count as i64)))
            }),
            int64("required int64 shallow (INTEGER(64,false))", |r, v| {
                v.extend(h[r].iter().map(|row| Some(row.shallow as i64)))
            }),
            int64("required int64 retained (INTEGER(64,false))", |r, v| {
                v.extend(h[r].iter().map(|row| Some(row.retained as i64)))
            }),
        ],
    }
}

fn roots(a: &Analysis) -> Table<'_> {
    let g = &a.graph;
    let roots = &g.roots;
    Table {
        name: "roots",
        rows: roots.len(),
        cols: vec![
            int64("required int64 id (INTEGER(64,false))", |r, v| {
                v.extend(roots[r].iter().map(|x| Some(g.ids[x.node.ix()] as i64)))
            }),
            text("required binary kind (STRING)", |r, t| {
                roots[r].iter().for_each(|x| t.push(g.root_kind_name(x)))
            }),
            text("optional binary via (STRING)", |r, t| {
                for x in &roots[r] {
                    match x.via {
                        0 => t.null(),
                        l => t.push(g.labels.get(l)),
                    }
                }
            }),
        ],
    }
}

impl Table<'_> {
    fn schema(&self) -> String {
        let mut s = format!("message {} {{\n", self.name);
        for c in &self.cols {
            s.push_str(&format!("  {};\n", c.decl));
        }
        s.push('}');
        s
    }
}

/// Write `t` to `file` as Parquet: row groups of `group` rows, each column in batches.
fn write_table(t: &Table, file: &mut std::fs::File, group: usize) -> anyhow::Result<()> {
    let schema = Arc::new(parse_message_type(&t.schema())?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("heapscope {}", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    // The writer buffers its output itself (`TrackedWrite`).
    let mut w = SerializedFileWriter::new(file, schema, props)?;
    let mut ints: Vec<Option<i64>> = Vec::with_capacity(BATCH);
    let mut vals64: Vec<i64> = Vec::with_capacity(BATCH);
    let mut vals32: Vec<i32> = Vec::with_capacity(BATCH);
    let mut defs: Vec<i16> = Vec::with_capacity(BATCH);
    let mut txt = Text::default();
    let mut arrays: Vec<ByteArray> = Vec::with_capacity(BATCH);
    let mut start = 0;
    while start < t.rows {
        let end = (start + group).min(t.rows);
        let mut rg = w.next_row_group()?;
        for c in &t.cols {
            let nullable = c.decl.starts_with("optional");
            let mut cw = rg
                .next_column()?
                .ok_or_else(|| anyhow!("the {} table's schema lacks a column", t.name))?;
            let mut at = start;
            while at < end {
                let b = (at + BATCH).min(end);
                defs.clear();
                match &c.fill {
                    Fill::Int64(f) | Fill::Int32(f) => {
                        ints.clear();
                        f(at..b, &mut ints);
                        debug_assert_eq!(ints.len(), b - at);
                        defs.extend(ints.iter().map(|x| i16::from(x.is_some())));
                        let defs = nullable.then_some(&defs[..]);
                        if let Fill::Int64(_) = c.fill {
                            vals64.clear();
                            vals64.extend(ints.iter().flatten());
                            cw.typed::<Int64Type>().write_batch(&vals64, defs, None)?;
                        } else {
                            vals32.clear();
                            vals32.extend(ints.iter().flatten().map(|&x| x as i32));
                            cw.typed::<Int32Type>().write_batch(&vals32, defs, None)?;
                        }
                    }
                    Fill::Text(f) => {
                        txt.bytes.clear();
                        txt.spans.clear();
                        f(at..b, &mut txt);
                        debug_assert_eq!(txt.spans.len(), b - at);
                        // One buffer per batch, each value a slice of it (no copy per row).
                        let buf = Bytes::from(std::mem::take(&mut txt.bytes));
                        arrays.clear();
                        arrays.extend(
                            txt.spans
                                .iter()
                                .flatten()
                                .map(|&(s, e)| ByteArray::from(buf.slice(s..e))),
                        );
                        defs.extend(txt.spans.iter().map(|x| i16::from(x.is_some())));
                        let defs = nullable.then_some(&defs[..]);
                        cw.typed::<ByteArrayType>()
                            .write_batch(&arrays, defs, None)?;
                        arrays.clear();
                    }
                }
                at = b;
            }
            cw.close()?;
        }
        rg.close()?;
        start = end;
    }
    // The footer, then the buffer flushed (an error here is the disk's, not lost in a drop).
    w.into_inner()?.flush()?;
    Ok(())
}
