//! heapscope's format parsers. Each module turns one dump format into the common
//! [`heapscope_graph::HeapGraph`] through a [`heapscope_graph::GraphBuilder`], plus the format's
//! own facts in a [`heapscope_graph::DumpFacts`]:
//!
//! - [`hprof`]: Java HPROF (`jcmd GC.heap_dump`, `jmap`, `-XX:+HeapDumpOnOutOfMemoryError`), plain or gzip'd
//! - [`v8`]: V8 `.heapsnapshot` (Node, Chrome)
//! - [`pprof`]: Go heap and goroutine profiles (gzip'd protobuf, legacy text with MemStats)
//! - [`tracemalloc`]: Python `tracemalloc.Snapshot.dump` pickles
//!
//! [`open`] maps a file, detects its format by content ([`detect`]) and runs the parser.
//!
//! ```no_run
//! let parsed = heapscope_parsers::open("heap.hprof".as_ref(), &Default::default()).unwrap();
//! println!("{} nodes", parsed.graph.node_count());
//! ```
//!
//! Architecture invariant: parsers never import the reports crate, and nothing outside this
//! crate knows a file format.

pub mod budget;
pub mod detect;
pub mod error;
pub mod goheapdump;
pub mod gunzip;
pub mod hprof;
pub mod input;
pub mod inspect_state;
pub mod pprof;
pub mod prometheus;
pub mod pysnap;
pub(crate) mod timing;
pub mod tracemalloc;
pub mod v8;

pub use detect::{detect, Detected, Reader};
pub use error::{Expected, Fail, ParseError};
pub use input::Input;

use heapscope_graph::{DumpFacts, HeapGraph, Inspector, Spill};
use std::path::Path;

/// Options that some formats honour.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// pprof: the sample type to use as bytes (name like `inuse_space`, or its index), as
    /// `go tool pprof -sample_index`. Default: the profile's default sample type.
    pub sample_index: Option<String>,
    /// tracemalloc: `lineno` (default), `filename` or `traceback`.
    pub group_by: Option<String>,
    /// Keep edge labels (field names); on by default.
    pub drop_labels: bool,
    /// Where the graph's large display columns may go ([`Spill`]); default: memory only.
    pub spill: Spill,
    /// Go heap dumps: the program's ELF binary, whose symbol table names the globals.
    pub binary: Option<std::path::PathBuf>,
}

/// A parsed dump: the graph, the format's facts, and lazy access to details.
pub struct Parsed {
    pub graph: HeapGraph,
    pub info: DumpFacts,
    pub inspector: Box<dyn Inspector>,
}

/// Map the file at `path`, detect its format by content and parse it.
pub fn open(path: &Path, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let input = Input::open(path)?;
    parse_input(&input, opts)
}

/// Every format heapscope reads, in the order detection asks them (the most specific signature
/// first: pprof's protobuf check accepts the most). Adding a format is a module with its
/// `READER` and one line here.
pub const READERS: &[Reader] = &[
    hprof::READER,
    pysnap::READER,
    tracemalloc::READER,
    v8::READER,
    goheapdump::READER,
    pprof::READER,
];

/// [`parse_input`], a V8 snapshot's edge labels handed over unresolved when its graph is
/// analysed in memory ([`heapscope_graph::LabelsLater`]: resolve them, beside the analysis if
/// you like, and put them in the graph before anything reads a label); `None` when the labels
/// are in the graph already (every other format).
pub fn parse_input_labels_later(
    input: &Input,
    opts: &ParseOptions,
) -> Result<(Parsed, Option<heapscope_graph::LabelsLater>), ParseError> {
    match detect(input.bytes()) {
        Detected::Gzip => {
            let inner = input.gunzip()?;
            let (mut parsed, later) = parse_input_labels_later(&inner, opts)?;
            parsed.info.compressed = true;
            Ok((parsed, later))
        }
        Detected::Format(reader) if reader.name == v8::READER.name => {
            v8::parse_labels_later(input, opts)
        }
        Detected::Format(reader) => (reader.parse)(input, opts).map(|p| (p, None)),
        Detected::Unknown => Err(detect::unknown(input)),
    }
}

/// Parse an already opened input (gzip is unwrapped here).
pub fn parse_input(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    match detect(input.bytes()) {
        Detected::Gzip => {
            let inner = input.gunzip()?;
            let mut parsed = parse_input(&inner, opts)?;
            parsed.info.compressed = true;
            Ok(parsed)
        }
        Detected::Format(reader) => (reader.parse)(input, opts),
        Detected::Unknown => Err(detect::unknown(input)),
    }
}
