//! Python `tracemalloc` snapshots (`Snapshot.dump`), as written by CPython 3.8 to 3.13.
//!
//! - [`pickle`]: a safe reader for the pickle opcodes these files use. It never imports or calls
//!   anything: a GLOBAL other than `tracemalloc.Snapshot` / `tracemalloc._Traces` is an error.
//! - [`tree`]: the traceback tree ([`TraceTree`]) and CPython's `Snapshot.statistics`
//!   ([`statistics`]) computed from it, row for row as CPython orders them.
//! - [`parse`]: the graph. Each node is one call path (outermost frame on top, roots hang from the
//!   super-root); node kind [`NodeKind::Frame`]; shallow = bytes allocated with exactly that
//!   traceback; count = blocks; id = a stable hash of the frame sequence. The type is `file:line`
//!   (`--group-by lineno`, the default), `file` (`filename`) or the whole traceback, outermost
//!   frame first, frames joined by `;` (`traceback`; a node where no trace ends is named
//!   `…;file:line;…`). So the histogram's shallow and count columns are CPython's
//!   `statistics(key)`, and retained sizes are the call tree's cumulative sizes. Nodes are
//!   numbered in depth-first preorder, siblings by source location (file name bytes, then
//!   line): the report's ties between nodes of equal retained size follow that order.
//!
//! ```no_run
//! use heapscope_parsers::{tracemalloc, Input, ParseOptions};
//! let input = Input::open("heap-1.tracemalloc".as_ref()).unwrap();
//! let snap = tracemalloc::read_snapshot(input.bytes()).unwrap();
//! let tree = tracemalloc::TraceTree::build(&snap);
//! for row in tracemalloc::statistics(&snap, &tree, tracemalloc::GroupBy::Lineno, false).iter().take(10) {
//!     println!("{} bytes in {} blocks", row.size, row.count);
//! }
//! let parsed = tracemalloc::parse(&input, &ParseOptions::default()).unwrap();
//! println!("{} call paths", parsed.graph.node_count());
//! ```

pub mod pickle;
pub mod tree;

pub use pickle::{read as read_snapshot, DomainTotal, Frame, Snapshot};
pub use tree::{compare_to, statistics, GroupBy, Statistic, StatisticDiff, TraceTree, NO_PARENT};

use heapscope_graph::calltree::{edge_offsets, NodeTypes, Totals};
use heapscope_graph::facts::{DomainDetails, FormatDetails, TracemallocDetails};
use heapscope_graph::{
    Comparison, DumpFacts, GraphBuilder, HeapGraph, Inspector, Label, NodeIdx, Policy, ProfileKind,
    Runtime, TypeId,
};

use crate::{Input, ParseError, ParseOptions, Parsed};

/// The root kind of the outermost frames.
pub use heapscope_graph::calltree::ROOT_KIND;

/// The label of every caller → callee edge.
pub const CALL_LABEL: &str = "calls";

/// Frames of a traceback type (`--group-by traceback`) are joined by this, outermost first, as in
/// the "folded stacks" of flame graph tools.
pub const TRACEBACK_SEPARATOR: &str = ";";

/// NumPy registers its data buffers in this tracemalloc domain (`NPY_TRACE_DOMAIN`).
const NUMPY_DOMAIN: u64 = 389047;

/// How an input is recognised as tracemalloc, and parsed.
pub const READER: crate::Reader = crate::Reader {
    name: "tracemalloc",
    looks_like: "a Python tracemalloc Snapshot.dump pickle",
    sniff: |data| {
        data.first() == Some(&0x80)
            && crate::detect::contains(crate::detect::head(data), b"tracemalloc")
    },
    parse,
};

pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let group_by = match opts.group_by.as_deref() {
        None => GroupBy::Lineno,
        Some(g) => GroupBy::parse(g).ok_or_else(|| {
            ParseError::new(
                input.path(),
                0,
                format!("--group-by lineno, filename or traceback, not {g:?}"),
            )
        })?,
    };
    let mut snap =
        read_snapshot(input.bytes()).map_err(|e| e.in_file(input.path(), input.bytes()))?;
    let mut steps = crate::timing::Steps::of(crate::timing::Reader::Tracemalloc);
    // The tracebacks' frames in 2 bytes each where the ids fit (in place, each array's
    // buffer then shrunk to half): the tree's passes read half the bytes.
    if snap.narrow_frames() {
        steps.step("frames narrowed to 2 B");
    }
    // The reader's tables (the memo, the second core's tables) are freed: their pages back.
    release_free_memory();
    steps.step("reader's pages released");
    // The tree's paths first; the tracebacks' frames (2 or 4 B per frame of every distinct
    // traceback) are freed before its ids are made, its blocks and bytes go into the graph
    // from the tracebacks' totals (its own size and count columns stay zero pages), and its
    // columns are freed as they go into the graph.
    // Its own steps: the frames interned and ranked, the radix, the paths.
    let (mut tree, ends) = TraceTree::paths_timed(&snap, &mut steps);
    let mut info = dump_info(&snap, &tree, group_by);
    snap.drop_traceback_frames();
    let totals = TraceTree::totals(&snap, ends);
    snap.drop_tracebacks();
    steps.step("tree: totals");
    // The tree's ids are made on the other core while this one makes the node types and the
    // inspector, which do not need them (the tree's own counts are zero here: where traces
    // end is in the totals).
    let mut b = builder(&opts.spill);
    // Root paths read "main.py:12 ─calls→ app.py:40 ─calls→ …".
    let calls = Label::Name(b.intern_label(CALL_LABEL));
    // The file names decoded once, for the types and then the inspector.
    let names = FileNames::of(&snap);
    // Beside the ids also the edges' CSR offsets (from the parent column alone).
    let ((types, locations), offsets) = tree.tree.finish_new_beside(true, |parent, frame| {
        let types = node_types(&snap, &names, parent, frame, &[], &totals, group_by, &mut b);
        (types, edge_offsets(parent))
    });
    steps.step("tree: ids beside types");
    // The tree's frame column comes back from the graph: the inspector keeps it (4 B per node)
    // instead of a copy.
    let node_frame = tree
        .tree
        .into_graph(&mut b, types, Some(offsets), calls, true, &totals);
    let inspector = SourceInspector::of_names(&snap, node_frame, names);
    steps.step("tree: into the graph");
    let graph = b.finish(Policy::TREE);
    drop(totals);
    info.rows.locations = locations;
    release_free_memory();
    steps.step("graph: finish");
    Ok(Parsed {
        graph,
        info,
        inspector: Box::new(inspector),
    })
}

/// Give the pages of the parse's freed tables back to the system: the pickle's tables and
/// the tree's columns are tens of MiB each, and once glibc has raised its mmap threshold past
/// such sizes they come from the heap, where a freed chunk below a live one stays resident
/// (~100 MiB of RssAnon for the rest of the run on real-deep350). `malloc_trim` releases free
/// pages anywhere in the heap (glibc ≥ 2.8).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn frame_text(s: &Snapshot, names: &FileNames, f: u32) -> String {
    let fr = s.frames[f as usize];
    format!("{}:{}", names.get(fr.file), fr.lineno)
}

/// The source locations a type is made of, as CPython's keys compare them: `(file, line)` per
/// frame, oldest first; line 0 for a file, and `…` for the elided rest of a passing call path.
type Locations = Vec<Vec<(Box<str>, u32)>>;

/// The graph of the traceback tree (see the module docs), and each type's source locations.
/// Its display columns grow in spill files when large, as `spill` allows; the tree's columns
/// are freed as they go into the graph ([`heapscope_graph::CallTree::into_graph`]).
pub fn build_graph(
    s: &Snapshot,
    t: TraceTree,
    totals: &[Totals],
    group_by: GroupBy,
    spill: &heapscope_graph::Spill,
) -> (HeapGraph, Locations) {
    let mut b = builder(spill);
    // Root paths read "main.py:12 ─calls→ app.py:40 ─calls→ …".
    let calls = Label::Name(b.intern_label(CALL_LABEL));
    let (types, locations) = node_types(
        s,
        &FileNames::of(s),
        t.parent(),
        t.frame(),
        t.count(),
        totals,
        group_by,
        &mut b,
    );
    t.tree.into_graph(&mut b, types, None, calls, true, totals);
    (b.finish(Policy::TREE), locations)
}

/// Columns of the graph from this size on grow in spill files (`GraphBuilder::grow_in_files`),
/// when `spill` allows files at all: 1 M nodes. A tree of deep tracebacks has millions of nodes
/// (4.06 M in real-deep350, 32 MB per 8-byte column: just under the default threshold), and its
/// display columns (ids, types, sizes, kinds, counts: 29 B per node, labels 4 per edge) are
/// read only by the histogram and the report, as in HPROF and V8.
const SPILL_MIN_BYTES: usize = 4 << 20;

fn builder(spill: &heapscope_graph::Spill) -> GraphBuilder {
    let spill = spill
        .clone()
        .min_bytes(spill.min_bytes.min(SPILL_MIN_BYTES));
    GraphBuilder::new().with_spill(&spill).grow_in_files()
}

/// Each node's type, interned in node order, and each type's source locations: of the tree
/// whose columns are `parent`, `frame` and `count` (empty: no blocks in the tree's own counts).
/// `lineno` and `filename` types are one per frame ([`NodeTypes::PerFrame`]: a frame's type is
/// its line's or its file's, interned where the frame first appears in node order); `traceback`
/// types, one per node.
#[allow(clippy::too_many_arguments)]
fn node_types(
    s: &Snapshot,
    names: &FileNames,
    parent: &[u32],
    frame: &[u32],
    count: &[u64],
    totals: &[Totals],
    group_by: GroupBy,
    b: &mut GraphBuilder,
) -> (NodeTypes, Locations) {
    let mut locations: Locations = Vec::new();
    let loc = |f: u32| -> (Box<str>, u32) {
        let fr = s.frames[f as usize];
        (names.get(fr.file).into(), fr.lineno)
    };
    let is_new = |ty: TypeId, locations: &Locations| ty.0 as usize == locations.len();
    if group_by != GroupBy::Traceback {
        // A frame's type once, where it first appears in node order (as a type per node would
        // intern it); a file's type once, for its first frame to appear.
        const UNSET: TypeId = TypeId(u32::MAX);
        let mut frame_type = vec![UNSET; s.frames.len()];
        let mut file_type = vec![UNSET; s.strings.len()];
        let mut text = String::new();
        for &f in frame {
            let Some(slot) = frame_type.get_mut(f as usize) else {
                continue;
            };
            if *slot != UNSET {
                continue;
            }
            let Frame { file, lineno } = s.frames[f as usize];
            let name = names.get(file);
            let ty = if group_by == GroupBy::Lineno {
                use std::fmt::Write;
                text.clear();
                let _ = write!(text, "{name}:{lineno}");
                b.intern_type(&text)
            } else if file_type[file as usize] != UNSET {
                file_type[file as usize]
            } else {
                let ty = b.intern_type(name);
                file_type[file as usize] = ty;
                ty
            };
            if is_new(ty, &locations) {
                let line = if group_by == GroupBy::Lineno {
                    lineno
                } else {
                    0
                };
                locations.push(vec![(name.into(), line)]);
            }
            *slot = ty;
        }
        return (NodeTypes::PerFrame(frame_type), locations);
    }
    // Where traces end: blocks in the tree's own count, or in `totals`.
    let ends_here = |n: usize| {
        count.get(n).is_some_and(|&c| c > 0)
            || totals
                .binary_search_by_key(&(n as u32), |e| e.0)
                .is_ok_and(|k| totals[k].2 > 0)
    };
    let elided = || -> (Box<str>, u32) { ("…".into(), 0) };
    // A type's locations are made only when the type is new (types are interned in order).
    // Frames from the root down to `n`.
    let path = |mut n: u32| -> Vec<u32> {
        let mut out = Vec::new();
        while let Some(&f) = frame.get(n as usize) {
            out.push(f);
            n = parent[n as usize];
        }
        out.reverse();
        out
    };
    let mut type_of = |b: &mut GraphBuilder, n: usize| {
        let f = frame[n];
        // Only where traces end is there a CPython row; a call path that merely passes through
        // is named by its frame with "…" for the missing rest, so the type table does not hold
        // every prefix of every traceback (that is quadratic in the depth).
        if ends_here(n) {
            let path = path(n as u32);
            let frames: Vec<String> = path.iter().map(|&f| frame_text(s, names, f)).collect();
            let ty = b.intern_type(&frames.join(TRACEBACK_SEPARATOR));
            if is_new(ty, &locations) {
                locations.push(path.into_iter().map(loc).collect());
            }
            return ty;
        }
        let inner = parent[n] != NO_PARENT;
        let lead = if inner { "…;" } else { "" };
        let ty = b.intern_type(&format!(
            "{lead}{}{TRACEBACK_SEPARATOR}…",
            frame_text(s, names, f)
        ));
        if is_new(ty, &locations) {
            let mut here = Vec::with_capacity(3);
            if inner {
                here.push(elided());
            }
            here.extend([loc(f), elided()]);
            locations.push(here);
        }
        ty
    };
    let types = (0..frame.len()).map(|n| type_of(b, n)).collect();
    (NodeTypes::PerNode(types), locations)
}

fn domain_name(d: u64) -> String {
    match d {
        0 => "Python heap".to_string(),
        NUMPY_DOMAIN => "NumPy data buffers".to_string(),
        d => format!("domain {d}"),
    }
}

/// The snapshot's facts (`details`) and honest warnings about what the snapshot leaves out.
pub fn dump_info(s: &Snapshot, t: &TraceTree, group_by: GroupBy) -> DumpFacts {
    let mut info = DumpFacts::call_tree(
        "tracemalloc",
        Runtime::CPython,
        ProfileKind::Heap,
        Comparison::CompareTo,
        group_by.name(),
    );
    info.sample_type = Some("size".to_string());
    let layout = match (s.traces_without_total, s.traces_with_total) {
        (0, 0) => None,
        (_, 0) => Some("(domain, size, frames) (CPython 3.8)"),
        (0, _) => Some("(domain, size, frames, total_nframe) (CPython 3.9+)"),
        _ => Some("mixed: with and without total_nframe"),
    };
    let mut domains: Vec<DomainTotal> = s.domains.clone();
    domains.sort_by_key(|d| d.domain);
    let truncated = s.traces_with_total > 0;
    info.details.format = FormatDetails::Tracemalloc(TracemallocDetails {
        pickle_protocol: s.protocol,
        trace_layout: layout.map(str::to_string),
        traceback_limit: s.traceback_limit,
        traces: s.traces,
        tracebacks: t.tracebacks,
        frames: s.frames.len() as u64,
        call_tree_nodes: t.len() as u64,
        group_by: group_by.name().to_string(),
        domains: domains
            .iter()
            .map(|x| DomainDetails {
                domain: x.domain,
                name: domain_name(x.domain),
                size: x.size,
                count: x.count,
            })
            .collect(),
        truncated_traces: truncated.then_some(s.truncated),
        max_total_nframe: truncated.then_some(s.max_total_nframe),
    });
    let limit = s.traceback_limit.unwrap_or(0);
    if limit == 1 {
        // Every trace is cut at its allocating line: one warning says it (and how to see more),
        // not a truncation count besides.
        let deeper = if s.truncated > 0 {
            format!(
                " ({} of {} traces were allocated deeper, up to {} frames)",
                s.truncated, s.traces, s.max_total_nframe
            )
        } else {
            String::new()
        };
        info.warnings.push(format!(
            "traceback_limit is 1 (what tracemalloc.start() keeps by default): each trace names only its \
             allocating line{deeper}, so the call tree has no callers; start tracemalloc with more frames \
             (tracemalloc.start(25), or PYTHONTRACEMALLOC=25) to see who allocated"
        ));
    } else if s.truncated > 0 {
        info.warnings.push(format!(
            "traceback truncated at {limit} frames: {} of {} traces were allocated deeper (up to {} frames); \
             their outermost callers are missing, so those call paths start below the real top of the stack \
             (tracemalloc.start({limit}) keeps {limit} frames)",
            s.truncated, s.traces, s.max_total_nframe
        ));
    } else if s.traces_with_total == 0 && s.traces > 0 && limit > 0 {
        // 3.8 does not record total_nframe: a traceback as long as the limit may have been cut.
        let at_limit: u64 = (0..s.traceback_count() as u32)
            .filter(|&tb| s.traceback_len(tb) as i64 >= limit)
            .map(|tb| s.tb_count[tb as usize])
            .sum();
        if at_limit > 0 {
            info.warnings.push(format!(
                "traceback truncated at {limit} frames, possibly: {at_limit} of {} traces have exactly {limit} frames \
                 and this snapshot (CPython 3.8) does not record how deep their stacks were",
                s.traces
            ));
        }
    }
    if s.empty_tracebacks > 0 {
        info.warnings.push(format!(
            "{} traces have an empty traceback; they are shown as <unknown>:0",
            s.empty_tracebacks
        ));
    }
    let foreign: Vec<String> = domains
        .iter()
        .filter(|x| x.domain != 0)
        .map(|x| {
            format!(
                "{} ({} bytes in {} blocks)",
                domain_name(x.domain),
                x.size,
                x.count
            )
        })
        .collect();
    if !foreign.is_empty() {
        info.warnings.push(format!(
            "memory outside the Python heap is included, as tracemalloc's statistics include it: {}",
            foreign.join(", ")
        ));
    }
    info
}

/// The snapshot's file names, each decoded once (lossily where not UTF-8, as
/// [`Snapshot::file_name`]) into one buffer: 8 B per file plus its decoded name's bytes (lossy
/// decoding can make a name longer than its bytes in the pickle: the buffer is shrunk to fit), no
/// allocation per file.
#[derive(Default)]
struct FileNames {
    text: String,
    /// File `k` is `text[ends[k - 1]..ends[k]]` (from 0 for the first).
    ends: Vec<usize>,
}

impl FileNames {
    fn of(s: &Snapshot) -> FileNames {
        let mut names = FileNames {
            text: String::with_capacity(s.strings.iter().map(|n| n.len()).sum()),
            ends: Vec::with_capacity(s.strings.len()),
        };
        for name in &s.strings {
            names.push(&String::from_utf8_lossy(name));
        }
        names.text.shrink_to_fit();
        names
    }

    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len());
    }

    /// File `k`'s name; empty for a file past the table (none in a snapshot).
    fn get(&self, k: u32) -> &str {
        let k = k as usize;
        let Some(&end) = self.ends.get(k) else {
            return "";
        };
        let start = k.checked_sub(1).map_or(0, |j| self.ends[j]);
        &self.text[start..end]
    }
}

/// Shows the source line of a node's frame when the file exists on disk, as tracemalloc's
/// documentation does with `linecache`. 4 B per node (its frame), 8 B per distinct frame (file,
/// line) and the file names ([`FileNames`]: 8 B per distinct file and its name; an inspector restored
/// from a saved state holds a name per frame).
pub struct SourceInspector {
    node_frame: Vec<u32>,
    frames: Vec<Frame>,
    names: FileNames,
}

impl SourceInspector {
    pub fn new(s: &Snapshot, t: &TraceTree) -> SourceInspector {
        SourceInspector::from_frames(s, t.frame())
    }

    /// The inspector of a tree whose frame column is `node_frame`.
    pub fn from_frames(s: &Snapshot, node_frame: &[u32]) -> SourceInspector {
        SourceInspector::of_node_frames(s, node_frame.to_vec())
    }

    /// [`SourceInspector::from_frames`], keeping the frame column given.
    pub fn of_node_frames(s: &Snapshot, node_frame: Vec<u32>) -> SourceInspector {
        SourceInspector::of_names(s, node_frame, FileNames::of(s))
    }

    /// [`SourceInspector::of_node_frames`] with the snapshot's file names already decoded.
    fn of_names(s: &Snapshot, node_frame: Vec<u32>, names: FileNames) -> SourceInspector {
        SourceInspector {
            node_frame,
            frames: s.frames.clone(),
            names,
        }
    }

    /// `file:line`, and the line's text when the file can be read.
    pub fn frame_source(&self, node: NodeIdx) -> Option<String> {
        let fr = self.frames.get(*self.node_frame.get(node.ix())? as usize)?;
        let (file, line) = (self.names.get(fr.file), fr.lineno);
        match read_line(file, line) {
            Some(text) => Some(format!("{file}:{line}: {text}")),
            None => Some(format!("{file}:{line}")),
        }
    }
}

fn read_line(file: &str, line: u32) -> Option<String> {
    use std::io::BufRead;
    if line == 0 || file.starts_with('<') {
        return None;
    }
    let f = std::fs::File::open(file).ok()?;
    let text = std::io::BufReader::new(f)
        .lines()
        .nth(line as usize - 1)?
        .ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

impl SourceInspector {
    pub(crate) fn restore(
        d: &mut heapscope_graph::saved::Dec,
    ) -> Result<Self, heapscope_graph::saved::Bad> {
        let node_frame = d.u32s()?;
        let k = d.count(8)?;
        // Saved as (file name, line) per frame: each frame is its own file here.
        let mut frames = Vec::with_capacity(k);
        let mut names = FileNames::default();
        for file in 0..k as u32 {
            names.push(d.str()?);
            frames.push(Frame {
                file,
                lineno: d.u32()?,
            });
        }
        d.end()?;
        Ok(SourceInspector {
            node_frame,
            frames,
            names,
        })
    }
}

impl Inspector for SourceInspector {
    fn saved_state(&self) -> Vec<u8> {
        let mut e = heapscope_graph::saved::Enc::new();
        e.u32s(&self.node_frame);
        e.len(self.frames.len());
        for f in &self.frames {
            e.str(self.names.get(f.file));
            e.u32(f.lineno);
        }
        e.buf
    }
    fn source_line(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        self.frame_source(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic names (labelled: not from CPython), one not UTF-8, one empty, one repeated.
    fn snapshot() -> Snapshot<'static> {
        Snapshot {
            strings: vec![b"/a/b.py", b"", b"<frozen x>", b"caf\xe9.py", b"/a/b.py"],
            frames: [(0, 3), (1, 0), (2, 7), (3, 12), (4, 3), (0, 9)]
                .iter()
                .map(|&(file, lineno)| Frame { file, lineno })
                .collect(),
            ..Snapshot::default()
        }
    }

    /// The names decoded into one buffer read as `Snapshot::file_name` decodes each one.
    #[test]
    fn file_names_read_as_the_snapshot_decodes_them() {
        let s = snapshot();
        let names = FileNames::of(&s);
        for k in 0..s.strings.len() as u32 {
            assert_eq!(names.get(k), s.file_name(k), "file {k}");
        }
        assert_eq!(names.get(s.strings.len() as u32), "");
        assert_eq!(names.get(u32::MAX), "");
    }

    /// Each node's `file:line` is its frame's, and so it stays through the saved state (where
    /// every frame is its own file); a node past the frame column has none.
    #[test]
    fn inspector_names_each_node_frame_and_saves_it() {
        let s = snapshot();
        let node_frame = vec![5, 0, 3, 1, 4, 2, 77];
        let inspector = SourceInspector::from_frames(&s, &node_frame);
        let state = inspector.saved_state();
        let restored =
            SourceInspector::restore(&mut heapscope_graph::saved::Dec::new(&state, 0)).unwrap();
        for n in 0..node_frame.len() as u32 + 1 {
            let want = node_frame.get(n as usize).and_then(|&f| {
                let fr = s.frames.get(f as usize)?;
                Some(format!("{}:{}", s.file_name(fr.file), fr.lineno))
            });
            for i in [&inspector, &restored] {
                assert_eq!(i.frame_source(NodeIdx(n)), want, "node {n}");
            }
        }
        assert_eq!(restored.saved_state(), state);
    }
}
