//! V8 heap snapshots (`.heapsnapshot`, as written by Node's `v8.writeHeapSnapshot()`,
//! `--heapsnapshot-signal`, `--heapsnapshot-near-heap-limit` and Chrome DevTools).
//!
//! The file is one JSON object; this module never builds a JSON value tree of it. A hand-rolled
//! scanner ([`scan`]) walks the mapped bytes once: `snapshot.meta` (the only part given to
//! serde_json) says which fields a node and an edge record have (`node_fields` has 6 entries
//! in older V8, 7 with `detachedness`); `nodes` and `edges` stream straight into the
//! [`GraphBuilder`] ([`raw`]) — no edge is buffered —, `strings` stay byte ranges of the mapped
//! file (decoded only for names that are shown), and everything else is skipped. Since V8 writes
//! `strings` last, node types and edge labels that name a string enter the builder as
//! provisional ids and are resolved on the finished graph. So the reader has no limit from V8's
//! or a JS engine's maximum string length. Besides the graph it keeps, while parsing, 6 bytes
//! per node (type, edge count until the edges are read, detachedness), 2 bits per edge and 8
//! bytes per string (the graph's node columns, edge targets and labels grow in spill files from
//! the start when the options allow spilling and they are past the spill threshold, as the
//! analysis would put them there before its passes: the strings and their resolution run without
//! those 21 bytes per node and 8 per edge in anonymous memory; the exact reader, which runs only
//! when the parallel one declines, moves the targets there once the edges are read; the parallel
//! one writes them with `pwrite` through small buffers, and the types and labels are rewritten
//! in blocks the same way: no fault per page of the files' shared mappings; the builder's
//! threshold for that is 4 MiB, not the default 32, so the node types and kinds of a few million
//! nodes are not anonymous memory either); for the rest of the run 1 byte per node (the type),
//! ~4.1 per closure location ([`locations`]: 0.5 bit per node besides) and the offset of every
//! 64th node record, location record and string, from which a node's name, a location and a
//! string's text are read again when a report shows them. `HEAPSCOPE_STATS_V8=1` prints the
//! wall and CPU time of each step of the read ([`crate::timing`]).
//!
//! What DevTools opens, this reader opens: a node or edge type index beyond the meta's lists
//! (older V8s: Node 8 writes `symbol` nodes as type 12 of 12 listed) is read, a node named
//! `(undefined)` as DevTools' `className()` names it, an edge as a strong string-named one; and
//! `snapshot.node_count` / `edge_count`, or nodes' edge counts, that disagree with the arrays
//! (other runtimes writing the format) give way to the arrays, as in DevTools' snapshot model.
//! Each is a warning with the numbers. Strings are checked as `JSON.parse` checks them: an
//! invalid escape is an error at its offset; a lone surrogate escape is valid and read.
//!
//! Semantics follow memlab, a port of Chrome DevTools' heap snapshot worker ([`retention`]):
//! weak edges do not retain, shortcut edges retain only from the synthetic root, edges from
//! non-page-owned into page-owned nodes do not retain, and nodes that nothing retains are
//! attached to the top of the dominator tree. The graph has one GC root, V8's synthetic root
//! (node 0). One difference, on purpose: memlab hangs the nodes no retaining path reaches below
//! the synthetic root, heapscope below its virtual super-root, so the synthetic root's retained
//! size here is memlab's minus the self sizes of those nodes (every other node's retained size is
//! the same). Also unlike DevTools' newest UI, we do not fold the sizes of `(object properties)`
//! / `(object elements)` arrays into their owner, and plain `Object`s are not split by property
//! names: the class names are DevTools' classic `className()` ([`names`]).
//!
//! Node names: `object`/`native` nodes by name (constructor name, `system / Context`,
//! `Node / …`, with memlab's and DevTools' `Detached ` prefix for detached DOM/native nodes),
//! `hidden` as `(system)`, `code` as `(compiled code)`, any other type as `(<type>)`:
//! `(closure)`, `(array)`, `(string)`, `(concatenated string)`, … A closure's function name and
//! script location, and a string's text, come from the [`Inspector`] (`value_preview`,
//! `source_line`). Edge labels: property, context-variable and internal names; `[i]` for
//! element and hidden edges, and for internal edges that V8 names by a slot number (`"42"`).
//! Node ids are V8's.

mod fields;
pub(crate) mod locations;
pub(crate) mod names;
pub(crate) mod par;
pub(crate) mod raw;
pub(crate) mod retention;
pub(crate) mod scan;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::facts::{FormatDetails, V8Details};
use heapscope_graph::{
    Column, Comparison, DumpFacts, GraphBuilder, HeapGraph, IdDisplay, Inspector, Interner, Label,
    LabelId, LabelsLater, NodeIdx, NodeKind, Orphans, Policy, Rows, Runtime, Spill,
};
use std::collections::HashMap;

use crate::{Fail, Input, ParseError, ParseOptions, Parsed};
use locations::Locations;
use names::DETACHED;
use raw::{Mode, RawSnapshot, MARK_EVERY};
use scan::decode;

/// The retention rules of Chrome DevTools / memlab (see the module docs).
pub const POLICY: Policy = Policy {
    weak_retains: false,
    orphans: Orphans::AttachAll,
};

/// The GC root kind of the synthetic root, the graph's only root.
pub const ROOT_KIND: &str = "synthetic root";

/// Whose conventions to follow where DevTools and memlab disagree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compat {
    /// Chrome DevTools (the default): detachedness propagates from a native node to the native
    /// nodes it references over any edge but hidden, invisible and weak ones.
    #[default]
    DevTools,
    /// memlab 2.0.5, for differential tests: its detachedness propagation looks edge types up
    /// in the wrong list (`edge_fields`) and so skips `internal` edges instead of hidden and
    /// weak ones, which changes which native nodes are named `Detached …`.
    /// Everything else (retention, sizes, other names) is the same in both.
    Memlab,
}

/// How an input is recognised as v8-heapsnapshot, and parsed.
pub const READER: crate::Reader = crate::Reader {
    name: "v8-heapsnapshot",
    looks_like: "V8 .heapsnapshot (JSON with \"snapshot\")",
    sniff: |data| {
        let head = crate::detect::head(data);
        crate::detect::trim_start(head).starts_with(b"{")
            && crate::detect::contains(head, b"\"snapshot\"")
    },
    parse,
};

pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    parse_with(input, opts, Compat::DevTools)
}

/// [`parse`] with a choice of [`Compat`].
pub fn parse_with(
    input: &Input,
    opts: &ParseOptions,
    compat: Compat,
) -> Result<Parsed, ParseError> {
    let (mut parsed, later) = parse_later_with(input, opts, compat, false)?;
    if let Some(later) = later {
        later.resolve_into(&mut parsed.graph);
    }
    Ok(parsed)
}

/// [`parse`], the edge labels handed over unresolved when the graph is analysed in memory
/// ([`LabelsLater`]: the caller resolves them beside the analysis, which reads none, and puts
/// them in the graph); `None` when they are resolved already (out of core, or dropped).
pub fn parse_labels_later(
    input: &Input,
    opts: &ParseOptions,
) -> Result<(Parsed, Option<LabelsLater>), ParseError> {
    parse_later_with(input, opts, Compat::DevTools, true)
}

/// [`parse_with`], the labels left unresolved when `later` asks it and the graph is analysed
/// in memory.
fn parse_later_with(
    input: &Input,
    opts: &ParseOptions,
    compat: Compat,
    later: bool,
) -> Result<(Parsed, Option<LabelsLater>), ParseError> {
    let bytes = input.bytes();
    let out_of_core;
    let mut opts = opts;
    if std::env::var_os(crate::budget::SKIP_ENV).is_none() {
        if let Some((nodes, edges)) = raw::declared_counts(bytes) {
            use crate::budget::{self, Plan};
            let need = budget::estimate(budget::V8, nodes, edges, opts.spill.is_usable());
            match budget::plan(nodes, need, budget::available(), &opts.spill) {
                Plan::InMemory => {}
                Plan::OutOfCore => {
                    out_of_core = ParseOptions {
                        spill: opts.spill.clone().out_of_core(true),
                        ..opts.clone()
                    };
                    opts = &out_of_core;
                }
                Plan::Refuse(msg) => return Err(ParseError::new(input.path(), 0, msg)),
            }
        }
    }
    // The parallel reader declines any input it does not fully accept; the sequential one then
    // reads it again and reports the error at its byte offset (or, should it accept what the
    // parallel one declined, parses it).
    let built = build_with(bytes, opts, compat, Mode::Parallel, later)
        .or_else(|_| build_with(bytes, opts, compat, Mode::Exact, later));
    let (graph, data, unresolved) = built.map_err(|e| e.in_file(input.path(), bytes))?;
    let mut info = dump_info(&data, &graph);
    let later = unresolved.map(|u| u.later(input.clone()));
    let inspector = V8Inspector::new(input.clone(), data);
    info.stack.nodes = stack_holders(&graph, &inspector);
    let parsed = Parsed {
        graph,
        info,
        inspector: Box::new(inspector),
    };
    Ok((parsed, later))
}

/// Edge labels [`build_with`] left unresolved: their column (string index + 1 per named edge)
/// and names, the spill settings the column would have spilled with, and where each string
/// starts, which their names are read from (8 B per string, held until they are resolved).
struct Unresolved {
    labels: (Column<u32>, Interner),
    spill: Spill,
    str_start: Vec<u64>,
}

impl Unresolved {
    /// The work [`resolve_labels`] does, to run later, on one thread (beside the analysis:
    /// the parts [`relabel`] makes for the cores would take the analysis' pool threads).
    fn later(self, input: Input) -> LabelsLater {
        let Unresolved {
            labels,
            spill,
            str_start,
        } = self;
        LabelsLater::new(labels, spill, move |column, names| {
            let mut t = crate::timing::Steps::start();
            // On a pool of one thread of its own.
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
            let on_one = |f: &mut (dyn FnMut() + Send)| match &one {
                Some(pool) => pool.install(f),
                None => f(),
            };
            let bytes = input.bytes();
            let mut table = Vec::new();
            on_one(&mut || {
                table = label_table(column, names, str_start.len(), |s| {
                    str_start
                        .get(s as usize)
                        .map_or(&[][..], |&at| raw::string_at(bytes, at))
                })
            });
            // The strings' offsets are freed before the rewrite, the table after it: both are
            // held beside the analysis' working arrays.
            drop(str_start);
            on_one(&mut || rewrite_labels(column, &table));
            drop(table);
            drop(one);
            release_free_memory();
            t.step("(beside the analysis) labels");
        })
    }
}

/// The builder's spill threshold for V8 (below the default's 32 MiB when the options allow
/// spilling): the node types (4 bytes per node) and kinds (1) of a snapshot of a few million
/// nodes grow in their spill files too. The dominators never read them (the histogram and the
/// retained walk read the types after them, the report the kinds, through the page cache),
/// yet below 32 MiB they stayed anonymous memory through the dominators, the run's peak (the
/// TypeScript compiler's 6.8 M nodes: 33 MB of 418 MiB).
const COLUMNS_IN_FILES_FROM: usize = 4 << 20;

/// Stream the snapshot into a graph, then resolve what needed the strings (V8 writes them
/// last): node type names, with the `Detached ` prefix where detachedness propagates; edge
/// labels; and the edges that do not retain because they enter page-owned nodes from outside.
#[cfg(test)]
fn build(
    bytes: &[u8],
    opts: &ParseOptions,
    compat: Compat,
    mode: Mode,
) -> Result<(HeapGraph, InspectorData), Fail> {
    build_with(bytes, opts, compat, mode, false).map(|(g, data, _)| (g, data))
}

/// [`build`], the labels left unresolved (taken out of the graph, [`Unresolved`]) when `later`
/// asks it, the labels are kept and the graph is analysed in memory (out of core, every
/// column is spilled before the analysis, as the parse ends).
fn build_with(
    bytes: &[u8],
    opts: &ParseOptions,
    compat: Compat,
    mode: Mode,
    later: bool,
) -> Result<(HeapGraph, InspectorData, Option<Unresolved>), Fail> {
    let later = later && !opts.drop_labels && !opts.spill.is_out_of_core();
    // The edge targets and labels (4 + 4 bytes per edge, sized once from the counted array)
    // grow in spill files from the start when they would spill anyway: no anonymous pages to
    // zero, copy through `write` and free. The passes below rewrite them (labels resolved,
    // weak bits set) in the files' shared mappings, as page cache. (The node columns come
    // block by block, too little at a time for a file of their own.)
    let spill = opts
        .spill
        .clone()
        .min_bytes(opts.spill.min_bytes.min(COLUMNS_IN_FILES_FROM));
    let mut b = GraphBuilder::new().with_spill(&spill).grow_in_files();
    if opts.drop_labels {
        b = b.without_labels();
    }
    let mut steps = crate::timing::Steps::start();
    let mut raw = raw::parse(bytes, &mut b, compat, mode)?;
    steps.step("read (nodes, edges, strings)");
    release_free_memory();
    steps.step("malloc_trim");
    if raw.node_count() > 0 {
        b.add_root_idx(NodeIdx(0), ROOT_KIND, None);
    }
    // Types and labels are rewritten below: spill the columns after that.
    let mut g = b.finish_in_memory(POLICY);
    steps.step("finish graph");
    g.warnings.extend(raw.warnings.iter().cloned());
    let detached = std::mem::take(&mut raw.node_detached);
    let no_propagation = std::mem::replace(&mut raw.no_propagation, BitSet::new(0));
    let locations = std::mem::take(&mut raw.locations);
    let HeapGraph {
        type_of,
        types,
        offsets,
        targets,
        edge_labels,
        labels,
        ..
    } = &mut g;
    let raw_ref = &raw;
    // The detachedness first (a few ms): it reads the targets, whose weak bits the retention
    // pass rewrites. Then four independent tasks, balanced over the cores: the labels (their
    // column and names), the node types (after the detachedness they depend on), the edges
    // that do not retain (weak bits of the targets) and the locations' index by node.
    let states = names::propagate_detachedness(raw_ref, detached, no_propagation, offsets, targets);
    steps.step("detachedness");
    let offsets = &*offsets;

    // The retention is started first, on this thread: with the labels left for later it is
    // the longest of the four (1 GB Node 20: ~0.15 s, the types ~0.1 s, the locations
    // ~0.05 s), so the other thread takes the rest, types first. (Started last, it ran after
    // the locations on one thread while the types' thread idled: the step ended ~0.05 s after
    // the types.) Labels resolved here take whichever thread is free first.
    let (_, (detached_nodes, ((), locations))) = rayon::join(
        || {
            let mut t = crate::timing::Steps::start();
            let r = retention::drop_unowned_into_owned(raw_ref, offsets, targets, bytes);
            t.step("  (task) retention");
            r
        },
        || {
            rayon::join(
                || {
                    let mut t = crate::timing::Steps::start();
                    let r = resolve_types(raw_ref, type_of, types, bytes, &states);
                    t.step("  (task) types");
                    r
                },
                || {
                    rayon::join(
                        || {
                            let mut t = crate::timing::Steps::start();
                            if !opts.drop_labels && !later {
                                resolve_labels(raw_ref, edge_labels, labels, bytes);
                            }
                            t.step("  (task) labels");
                        },
                        || {
                            let mut t = crate::timing::Steps::start();
                            let l = keep_locations(locations, &raw_ref.meta, raw_ref.node_count());
                            t.step("  (task) locations");
                            l
                        },
                    )
                },
            )
        },
    );
    steps.step("labels, types, retention, locations");
    drop(states);
    if detached_nodes > 0 {
        g.warnings
            .push(format!("{detached_nodes} detached native (DOM) nodes"));
    }
    // Unresolved labels leave the graph before its columns spill: theirs spills once they
    // are resolved ([`LabelsLater::resolve`]).
    let labels = later.then(|| g.take_labels());
    g.spill_columns(&spill);
    steps.step("spill columns");
    let (data, str_start) = InspectorData::from_raw(raw, locations);
    let unresolved = labels.map(|labels| Unresolved {
        labels,
        spill,
        str_start,
    });
    release_free_memory();
    steps.step("inspector data, malloc_trim");
    Ok((g, data, unresolved))
}

/// Give the pages of freed heap memory back to the system. The passes above allocate and free
/// buffers of a few MiB to a few tens of MiB (parse blocks, per-string tables, bit sets); once
/// glibc has raised its mmap threshold past their size they come from the heap, and a freed
/// chunk below a live one stays resident: ~45 MiB of RssAnon on a 1 GB snapshot for the whole
/// run. `malloc_trim` releases free pages anywhere in the heap (glibc ≥ 2.8).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The locations as the run keeps them ([`Locations`]): read again from the snapshot when
/// shown, or, should the reader have kept no marks, the quads sorted.
fn keep_locations(read: raw::ReadLocations, meta: &raw::Meta, nodes: usize) -> Locations {
    let raw::ReadLocations { mut quads, marks } = read;
    match raw::location_columns(&meta.location_fields) {
        Some(cols) if !marks.is_empty() => Locations::build(
            quads,
            marks,
            meta.location_fields.len(),
            cols,
            meta.nf as u64,
            nodes,
        ),
        _ => {
            quads.sort_unstable();
            Locations::from_quads(quads)
        }
    }
}

/// Marks a string not interned yet in the per-string tables below.
const UNSEEN: u32 = u32::MAX;

/// Replace provisional types (name string indices) by interned names. A table with a slot per
/// string (4 bytes each; the strings are counted from the file) maps names to types, in the
/// order names first appear, as a hash map did at ~10× the cost per node.
/// Returns how many DOM nodes are named `Detached …` (not Node.js's own `Node / …` objects).
fn resolve_types(
    raw: &RawSnapshot,
    type_of: &mut Column<u32>,
    types: &mut Interner,
    bytes: &[u8],
    states: &[u8],
) -> u64 {
    let mut by_name: Vec<u32> = vec![UNSEEN; raw.str_start.len()];
    // Per name: its `Detached …` type, and whether it is a DOM node (Node.js marks its own
    // embedder objects, `Node / BindingData`, detached too: DevTools names them so, but they
    // are no DOM, and the warning does not count them).
    let mut detached_by_name: HashMap<u32, (u32, bool)> = HashMap::new();
    let mut detached_nodes = 0u64;
    rewrite(type_of, |i, t| {
        if t & raw::OWN_NAME == 0 {
            return t;
        }
        let name = t & !raw::OWN_NAME;
        if states.get(i) == Some(&DETACHED) {
            let (ty, dom) = *detached_by_name.entry(name).or_insert_with(|| {
                let text = raw.str(bytes, name);
                (
                    types.intern(&format!("Detached {text}")),
                    !text.starts_with("Node / "),
                )
            });
            detached_nodes += u64::from(dom);
            ty
        } else {
            match by_name.get_mut(name as usize) {
                Some(slot) if *slot != UNSEEN => *slot,
                Some(slot) => {
                    *slot = types.intern(&raw.str(bytes, name));
                    *slot
                }
                // Checked against the string count by the parser; an empty name otherwise.
                None => types.intern(""),
            }
        }
    });
    detached_nodes
}

/// Elements per block of [`rewrite`] (64 KiB).
const REWRITE_BLOCK: usize = 16 << 10;

/// Replace every element `x` at `i` of `col` by `f(i, x)`, in order. A column growing in its
/// spill file ([`Column::stage_file`], a shared mapping) is read through the mapping and written
/// back a block at a time with `pwrite`, which puts the bytes in the page cache the mapping
/// shows: a store through the mapping would take a write fault and the file system's
/// `page_mkwrite` for every page (~37 K for the labels of a 1 GB snapshot). Blocks `f` leaves
/// as they were are not written. Any other column (or should a write fail) is stored into.
fn rewrite(col: &mut Column<u32>, f: impl FnMut(usize, u32) -> u32) {
    let file = col.stage_file();
    rewrite_part(col, 0, file.as_ref(), f);
}

/// [`rewrite`] of `part`, elements `first..` of a column whose spill file (if it grows in one)
/// is `file`: `f(i, x)` with `i` the index in the column. Disjoint parts of one column may be
/// rewritten at once (each writes only its own bytes of the file).
fn rewrite_part(
    part: &mut [u32],
    first: usize,
    file: Option<&std::fs::File>,
    mut f: impl FnMut(usize, u32) -> u32,
) {
    use std::os::unix::fs::FileExt;
    let Some(file) = file else {
        for (i, x) in part.iter_mut().enumerate() {
            *x = f(first + i, *x);
        }
        return;
    };
    let mut buf: Vec<u8> = Vec::with_capacity(REWRITE_BLOCK * 4);
    let mut start = 0;
    while start < part.len() {
        let end = (start + REWRITE_BLOCK).min(part.len());
        buf.clear();
        let mut changed = false;
        for (k, &x) in part[start..end].iter().enumerate() {
            let v = f(first + start + k, x);
            changed |= v != x;
            buf.extend_from_slice(&v.to_ne_bytes());
        }
        let at = ((first + start) * 4) as u64;
        if changed && file.write_all_at(&buf, at).is_err() {
            for (x, v) in part[start..end].iter_mut().zip(buf.chunks_exact(4)) {
                *x = u32::from_ne_bytes([v[0], v[1], v[2], v[3]]);
            }
        }
        start = end;
    }
}

/// Replace provisional labels (string index + 1) by interned names, through a per-string
/// table as in [`resolve_types`] (a hash map lookup per edge took ~2 s on 38 M edges). On all
/// cores: each part of the column lists the strings it names in the order they first appear
/// in it (one bit per string per part), those lists are interned in order (so the labels get
/// the ids the sequential pass gave them: in the order of first appearance), and the parts are
/// rewritten at once (the pass took 337 ms of one core on the Node 22 service snapshot).
///
/// V8 names the slots of its internal arrays (`(object elements)`, `(object properties)`,
/// descriptor arrays, …) by their index as a decimal string on `internal` edges; they become
/// [`Label::Index`] (shown `[i]`, as element edges are) rather than one interned name per
/// index: a 1 GB snapshot has 2.5 M of them, which as names cost 330 MB and 1.2 s of CPU.
fn resolve_labels(
    raw: &RawSnapshot,
    edge_labels: &mut Column<u32>,
    labels: &mut Interner,
    bytes: &[u8],
) {
    relabel(edge_labels, labels, raw.str_start.len(), |s| {
        raw.raw_str(bytes, s)
    });
}

/// [`resolve_labels`] with `strings` strings whose raw text `text` gives.
fn relabel<'t>(
    edge_labels: &mut Column<u32>,
    labels: &mut Interner,
    strings: usize,
    text: impl Fn(u32) -> &'t [u8],
) {
    let by_string = label_table(edge_labels, labels, strings, text);
    rewrite_labels(edge_labels, &by_string);
}

/// Parts of [`relabel`]'s passes: whole blocks, a few per core.
fn label_parts(len: usize) -> usize {
    let parts = 2 * rayon::current_num_threads().max(1);
    len.div_ceil(parts).div_ceil(REWRITE_BLOCK).max(1) * REWRITE_BLOCK
}

/// The string of a provisional label, if it names one.
fn label_string(l: u32) -> Option<usize> {
    match Label::decode(l) {
        Label::Name(LabelId(p)) => Some((p - 1) as usize),
        _ => None,
    }
}

/// The first half of [`relabel`]: the label of each of `strings` strings ([`UNSEEN`] for one
/// no edge names), those named interned in order of first appearance. The last that reads
/// the strings' texts.
fn label_table<'t>(
    edge_labels: &Column<u32>,
    labels: &mut Interner,
    strings: usize,
    text: impl Fn(u32) -> &'t [u8],
) -> Vec<u32> {
    use rayon::prelude::*;
    let mut t = crate::timing::Steps::start();
    let per = label_parts(edge_labels.len());
    // Each part's strings in the order they first appear in it (a bit per string).
    let firsts: Vec<Vec<u32>> = edge_labels
        .par_chunks(per)
        .map(|part| {
            let mut seen = BitSet::new(strings);
            let mut out = Vec::new();
            for s in part.iter().filter_map(|&l| label_string(l)) {
                if s < strings && !seen.get(s) {
                    seen.set(s);
                    out.push(s as u32);
                }
            }
            out
        })
        .collect();
    t.step("    labels: strings in first-appearance order");
    // Interned in the order of their first appearance among all the edges: the parts in
    // order, each string at its first part's.
    let mut by_string: Vec<u32> = vec![UNSEEN; strings];
    for s in firsts.into_iter().flatten() {
        let slot = &mut by_string[s as usize];
        if *slot != UNSEEN {
            continue;
        }
        let raw_text = text(s);
        *slot = match slot_index(raw_text) {
            Some(i) => Label::Index(i).encode(),
            None => {
                let text = decode(raw_text);
                if text.is_empty() {
                    Label::None.encode()
                } else {
                    Label::Name(LabelId(labels.intern(&text))).encode()
                }
            }
        };
    }
    t.step("    labels: interned");
    by_string
}

/// The second half of [`relabel`]: each provisional label replaced by its string's in
/// `by_string`, the parts at once.
fn rewrite_labels(edge_labels: &mut Column<u32>, by_string: &[u32]) {
    use rayon::prelude::*;
    let mut t = crate::timing::Steps::start();
    let per = label_parts(edge_labels.len());
    let file = edge_labels.stage_file();
    let file = file.as_ref();
    edge_labels
        .par_chunks_mut(per)
        .enumerate()
        .for_each(|(k, part)| {
            rewrite_part(part, k * per, file, |_, l| match label_string(l) {
                Some(s) => by_string.get(s).copied().unwrap_or(Label::None.encode()),
                None => l,
            })
        });
    t.step("    labels: rewritten");
}

/// A canonical decimal (no sign, no leading zero) below 2^31 - 1, whose [`Label::Index`]
/// encoding cannot be mistaken for [`UNSEEN`].
fn slot_index(text: &[u8]) -> Option<u32> {
    if text.is_empty()
        || text.len() > 10
        || (text.len() > 1 && text[0] == b'0')
        || !text.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let v = text.iter().fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
    (v < (1 << 31) - 1).then_some(v as u32)
}

/// What the inspector and `DumpFacts` keep of the raw snapshot (no edges). A node's name and a
/// string's text are read again from the mapped snapshot when a preview asks: from the offset
/// of every [`MARK_EVERY`]-th node record and string, ~0.25 bytes per node and per string
/// instead of 8 per previewed node and 12 per string (~140 MiB less for the whole run at
/// 13 M nodes and 5 M strings), for at most 63 records or strings passed over per lookup.
struct InspectorData {
    node_types: Vec<String>,
    node_fields: Vec<String>,
    edge_fields: Vec<String>,
    edge_types: Vec<String>,
    trace_function_count: Option<u64>,
    has_detachedness: bool,
    node_type: Vec<u8>,
    /// Values per node record, and the position of `name` in one.
    nf: usize,
    n_name: usize,
    node_marks: Vec<u64>,
    /// Where the content of strings 0, 64, 128, … starts.
    str_marks: Vec<u64>,
    str_count: usize,
    locations: Locations,
}

impl InspectorData {
    /// Keeps the per-node type column, the marks and the locations; the rest is freed here,
    /// but where each string starts, which is returned.
    fn from_raw(raw: RawSnapshot, locations: Locations) -> (InspectorData, Vec<u64>) {
        let str_marks = raw
            .str_start
            .iter()
            .step_by(MARK_EVERY as usize)
            .copied()
            .collect();
        let data = InspectorData {
            has_detachedness: raw.meta.n_detached.is_some(),
            trace_function_count: raw.meta.trace_function_count,
            nf: raw.meta.nf,
            n_name: raw.meta.n_name,
            node_types: raw.meta.node_types,
            node_fields: raw.meta.node_fields,
            edge_fields: raw.meta.edge_fields,
            edge_types: raw.meta.edge_types,
            node_type: raw.node_type,
            node_marks: raw.node_marks,
            str_marks,
            str_count: raw.str_start.len(),
            locations,
        };
        (data, raw.str_start)
    }

    /// The raw bytes of string `k`, scanned again from the nearest mark.
    fn string<'a>(&self, input: &'a [u8], k: usize) -> Option<&'a [u8]> {
        if k >= self.str_count {
            return None;
        }
        let at = *self.str_marks.get(k / MARK_EVERY as usize)?;
        let mut c = scan::Cursor::new(input);
        c.seek(usize::try_from(at).ok()?.checked_sub(1)?);
        for _ in 0..k % MARK_EVERY as usize {
            c.string().ok()?;
            c.expect(b',', "").ok()?;
        }
        let (s, e) = c.string().ok()?;
        Some(c.slice(s, e))
    }
}

fn dump_info(d: &InspectorData, g: &HeapGraph) -> DumpFacts {
    let mut info = DumpFacts::object_graph("v8-heapsnapshot", Runtime::V8);
    info.id_display = IdDisplay::Decimal;
    info.ids_stable = true;
    info.rows = Rows::new("constructor");
    info.comparison = Comparison::DevTools;
    info.details.format = FormatDetails::V8(V8Details {
        node_fields: d.node_fields.clone(),
        node_types: d.node_types.clone(),
        edge_fields: d.edge_fields.clone(),
        edge_types: d.edge_types.clone(),
        detachedness: d.has_detachedness,
        nodes: g.node_count() as u64,
        edges: g.edge_count() as u64,
        strings: d.str_count as u64,
        locations: d.locations.len() as u64,
        trace_function_count: d.trace_function_count,
    });
    info.warnings = g.warnings.clone();
    info
}

/// V8's synthetic nodes for what the stack holds while a runtime function runs, `(Handle
/// scope)` and `(Stack roots)`: GC subroots, so the synthetic nodes the synthetic root (node 0)
/// refers to, and theirs (`(GC roots)`'s), are all that is looked at. Sorted.
fn stack_holders(g: &HeapGraph, insp: &V8Inspector) -> Vec<NodeIdx> {
    let synthetic = |n: u32| g.kind(NodeIdx(n)) == NodeKind::Synthetic;
    let targets = |n: u32| g.edges(NodeIdx(n)).map(|e| e.target.0);
    if g.node_count() == 0 {
        return Vec::new();
    }
    // Each node once, whatever the edges repeat.
    let distinct = |mut v: Vec<u32>| {
        v.sort_unstable();
        v.dedup();
        v
    };
    let subroots = distinct(targets(0).filter(|&t| synthetic(t)).collect());
    let below = subroots
        .iter()
        .flat_map(|&s| targets(s).filter(|&t| synthetic(t)))
        .collect();
    let mut seen = distinct([subroots, below].concat());
    seen.retain(|&n| {
        matches!(
            insp.raw_name(n as usize).as_deref(),
            Some("(Handle scope)" | "(Stack roots)")
        )
    });
    seen.into_iter().map(NodeIdx).collect()
}

/// Reads names, string values and closure locations from the mapped snapshot on demand.
pub(crate) struct V8Inspector {
    input: Input,
    data: InspectorData,
}

impl V8Inspector {
    fn new(input: Input, data: InspectorData) -> Self {
        V8Inspector { input, data }
    }

    fn raw_name(&self, node: usize) -> Option<String> {
        let d = &self.data;
        let input = self.input.bytes();
        let s = raw::record_value(input, &d.node_marks, d.nf, node, d.n_name)?;
        let bytes = d.string(input, usize::try_from(s).ok()?)?;
        Some(decode(bytes).into_owned())
    }

    fn type_name(&self, node: usize) -> Option<&str> {
        let t = *self.data.node_type.get(node)? as usize;
        self.data.node_types.get(t).map(String::as_str)
    }

    fn location(&self, node: usize) -> Option<[u32; 4]> {
        self.data.locations.get(self.input.bytes(), node)
    }
}

const PREVIEW_CHARS: usize = 100;

/// Leads the saved inspector state: an index written with another layout (names and string
/// ranges per node) is refused as corrupt and rebuilt.
const STATE_LAYOUT: &str = "v8 inspector: node and string marks";

fn clip(s: &str) -> String {
    match s.char_indices().nth(PREVIEW_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

impl V8Inspector {
    pub(crate) fn restore(
        d: &mut heapscope_graph::saved::Dec,
        input: Input,
    ) -> Result<Self, heapscope_graph::saved::Bad> {
        if d.str()? != STATE_LAYOUT {
            return Err(d.bad("a V8 inspector state of this layout"));
        }
        let node_types = strings(d)?;
        let node_type = d.bytes()?.to_vec();
        let nf = d.u32()? as usize;
        let n_name = d.u32()? as usize;
        let node_marks = d.u64s()?;
        let str_marks = d.u64s()?;
        let str_count = d.u64()? as usize;
        let k = d.count(16)?;
        let mut locations = Vec::with_capacity(k);
        for _ in 0..k {
            locations.push([d.u32()?, d.u32()?, d.u32()?, d.u32()?]);
        }
        d.end()?;
        let data = InspectorData {
            node_types,
            node_fields: Vec::new(),
            edge_fields: Vec::new(),
            edge_types: Vec::new(),
            trace_function_count: None,
            has_detachedness: false,
            node_type,
            nf,
            n_name,
            node_marks,
            str_marks,
            str_count,
            locations: Locations::from_quads(locations),
        };
        Ok(V8Inspector::new(input, data))
    }
}

fn strings(
    d: &mut heapscope_graph::saved::Dec,
) -> Result<Vec<String>, heapscope_graph::saved::Bad> {
    let k = d.count(4)?;
    let mut v = Vec::with_capacity(k);
    for _ in 0..k {
        v.push(d.string()?);
    }
    Ok(v)
}

impl Inspector for V8Inspector {
    /// What previews and locations need (the meta's other fields live in `DumpFacts::details`).
    fn saved_state(&self) -> Vec<u8> {
        let d = &self.data;
        let mut e = heapscope_graph::saved::Enc::new();
        e.str(STATE_LAYOUT);
        e.len(d.node_types.len());
        for s in &d.node_types {
            e.str(s);
        }
        e.bytes(&d.node_type);
        e.u32(d.nf as u32);
        e.u32(d.n_name as u32);
        e.u64s(&d.node_marks);
        e.u64s(&d.str_marks);
        e.u64(d.str_count as u64);
        let locations = d.locations.quads(self.input.bytes());
        e.len(locations.len());
        for l in &locations {
            for &x in l {
                e.u32(x);
            }
        }
        e.buf
    }
    fn value_preview(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        let i = node.ix();
        let name = self.raw_name(i)?;
        match self.type_name(i)? {
            "string" | "sliced string" | "concatenated string" if !name.is_empty() => {
                Some(format!("\"{}\"", clip(&name)))
            }
            "closure" => Some(format!(
                "{}()",
                if name.is_empty() {
                    "(anonymous)"
                } else {
                    &name
                }
            )),
            "regexp" => Some(format!("/{}/", clip(&name))),
            "number" | "bigint" | "symbol" if !name.is_empty() => Some(clip(&name)),
            // `(GC roots)`, `(Global handles)`, `(Handle scope)`: what DevTools' retainer paths
            // show for V8's synthetic nodes (their class name is only `(synthetic)`).
            "synthetic" if !name.is_empty() => Some(clip(&name)),
            _ => None,
        }
    }

    fn fields(&self, g: &HeapGraph, n: NodeIdx) -> Vec<heapscope_graph::Field> {
        fields::fields(self, g, n)
    }
    fn fields_total(&self, g: &HeapGraph, n: NodeIdx) -> Option<usize> {
        fields::fields_total(g, n)
    }
    fn contents(&self, g: &HeapGraph, n: NodeIdx, max: usize) -> Option<heapscope_graph::Contents> {
        fields::contents(self, g, n, max)
    }

    fn source_line(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        let [_, script, line, col] = self.location(node.ix())?;
        // V8 records 0-based lines and columns; DevTools shows them 1-based.
        Some(format!(
            "script {script}, line {}, column {}",
            u64::from(line) + 1,
            u64::from(col) + 1
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The parallel reader against the sequential one: the same graph and inspector data on
    //! every committed Node snapshot, and never a success where the sequential one fails.
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::default()
    }

    /// Everything `build` produces, in comparable form.
    fn digest(r: &Result<(HeapGraph, InspectorData), Fail>, bytes: &[u8]) -> Option<String> {
        let (g, d) = r.as_ref().ok()?;
        let names =
            |i: &heapscope_graph::Interner| i.iter().map(|(_, s)| s.to_owned()).collect::<Vec<_>>();
        Some(format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            g.ids,
            g.type_of,
            g.shallow,
            g.kind,
            g.offsets,
            g.targets,
            g.edge_labels,
            g.roots,
            names(&g.types),
            names(&g.labels),
            g.warnings,
            d.node_type,
            d.node_marks,
            (&d.str_marks, d.str_count),
            (d.locations.len(), d.locations.quads(bytes)),
        ))
    }

    /// The same digest from both readers, and the parallel one does not decline.
    fn agree(path: &std::path::Path, bytes: &[u8]) {
        // (Compat only changes the passes after the arrays.)
        let par = digest(
            &build(bytes, &opts(), Compat::Memlab, Mode::Parallel),
            bytes,
        );
        let exact = digest(&build(bytes, &opts(), Compat::Memlab, Mode::Exact), bytes);
        assert!(
            par.is_some(),
            "{}: the parallel reader declined a real snapshot",
            path.display()
        );
        assert!(par == exact, "{}: the readers disagree", path.display());
    }

    /// Every committed Node snapshot, with its bytes: `testdata/node/snapshots` and, when
    /// present, every Node major of `testdata/node/versions` (gunzipped; Node 8's unlisted
    /// type index included).
    pub(crate) fn node_fixtures() -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let node = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/node");
        let dir = node.join("snapshots");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("heapsnapshot") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            out.push((path, bytes));
        }
        assert!(out.len() >= 5, "fixtures in {}", dir.display());
        for entry in std::fs::read_dir(node.join("versions"))
            .into_iter()
            .flatten()
        {
            let path = entry.unwrap().path();
            if !path.to_string_lossy().ends_with(".heapsnapshot.gz") {
                continue;
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()),
                &mut bytes,
            )
            .unwrap();
            out.push((path, bytes));
        }
        out
    }

    /// Labels handed over unresolved ([`parse_labels_later`]) and resolved on another thread
    /// give the graph the parse gives with them resolved in it: columns, labels, label names
    /// and warnings, in memory and with every column growing in a spill file (the labels then
    /// rewritten through it with `pwrite`, and spilled once resolved).
    #[test]
    fn labels_resolved_later_are_the_parsed_ones() {
        let dir = tempfile::tempdir().unwrap();
        for spill in [Spill::never(), Spill::to_dir(dir.path()).min_bytes(0)] {
            let opts = ParseOptions {
                spill: spill.clone(),
                ..ParseOptions::default()
            };
            for (path, bytes) in node_fixtures() {
                let input = Input::from_bytes(&path, bytes.clone());
                let serial = parse(&input, &opts).unwrap();
                let (mut parsed, later) = parse_labels_later(&input, &opts).unwrap();
                let later = later.expect("labels left unresolved");
                assert!(parsed.graph.edge_labels.is_empty() && parsed.graph.labels.is_empty());
                let resolved = std::thread::spawn(move || later.resolve()).join().unwrap();
                parsed.graph.put_labels(resolved);
                let (g, d) = (serial.graph, parsed.graph);
                assert!(g.edge_count() > 0, "{}", path.display());
                assert_eq!(g.edge_labels, d.edge_labels, "{}", path.display());
                assert_eq!(g.edge_labels.is_spilled(), d.edge_labels.is_spilled());
                let names = |i: &Interner| i.iter().map(|(_, s)| s.to_owned()).collect::<Vec<_>>();
                assert_eq!(names(&g.labels), names(&d.labels), "{}", path.display());
                assert_eq!(g.warnings, d.warnings, "{}", path.display());
                assert_eq!(g.targets, d.targets);
                assert_eq!(g.type_of, d.type_of);
                assert_eq!(serial.info.stack.nodes, parsed.info.stack.nodes);
            }
        }
        // Dropped labels, or out of core: nothing left to resolve.
        let (path, bytes) = node_fixtures().swap_remove(0);
        let input = Input::from_bytes(&path, bytes);
        let dropped = ParseOptions {
            drop_labels: true,
            ..ParseOptions::default()
        };
        assert!(parse_labels_later(&input, &dropped).unwrap().1.is_none());
        let ooc = ParseOptions {
            spill: Spill::to_dir(dir.path()).out_of_core(true),
            ..ParseOptions::default()
        };
        let (parsed, later) = parse_labels_later(&input, &ooc).unwrap();
        assert!(later.is_none() && !parsed.graph.edge_labels.is_empty());
    }

    #[test]
    fn parallel_and_sequential_agree_on_every_fixture() {
        for (path, bytes) in node_fixtures() {
            agree(&path, &bytes);
        }
    }

    /// [`rewrite`] through `pwrite` (a column growing in its spill file) and by stores (in
    /// memory) against a plain map, over several blocks, some left as they were, with a
    /// partial last block.
    #[test]
    fn rewrite_in_blocks_is_a_plain_map() {
        let n = 3 * REWRITE_BLOCK + 123;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let values: Vec<u32> = (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u32
            })
            .collect();
        // Block 1 is left alone; elsewhere every odd value changes, depending on its index.
        let f = |i: usize, x: u32| {
            if i / REWRITE_BLOCK == 1 || x.is_multiple_of(2) {
                x
            } else {
                x.rotate_left(7) ^ i as u32
            }
        };
        let want: Vec<u32> = values.iter().enumerate().map(|(i, &x)| f(i, x)).collect();
        let mut in_memory = Column::from(values.clone());
        rewrite(&mut in_memory, f);
        assert_eq!(&in_memory[..], &want[..]);
        let dir = std::env::temp_dir();
        if let Ok(mut in_file) = Column::<u32>::in_file(&dir, n) {
            in_file.resize(n, 0);
            in_file.copy_from_slice(&values);
            assert!(
                in_file.stage_file().is_some(),
                "a column growing in its file"
            );
            let mut seen = 0;
            rewrite(&mut in_file, |i, x| {
                assert_eq!((i, x), (seen, values[seen]), "in order, the old values");
                seen += 1;
                f(i, x)
            });
            assert_eq!(seen, n);
            assert_eq!(&in_file[..], &want[..]);
        }
    }

    /// The labels rewritten on all cores ([`relabel`], parts of whole blocks) against the
    /// sequential pass it replaced (one table lookup per edge, strings interned as first met),
    /// in memory and in a spill file, on 1 and 3 threads: the same column and the same label
    /// ids. Strings of slot numbers become indices, the empty one no label, out-of-range ones
    /// no label; element edges keep their index.
    #[test]
    fn labels_on_all_cores_are_the_sequential_pass() {
        let texts: Vec<Vec<u8>> = (0..500u32)
            .map(|s| match s % 5 {
                0 => s.to_string().into_bytes(),
                1 if s == 1 => Vec::new(),
                2 => format!("p\\u0041{s}").into_bytes(),
                _ => format!("name{}", s * 7 % 311).into_bytes(),
            })
            .collect();
        let strings = texts.len();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let n = 3 * REWRITE_BLOCK + 77;
        let column: Vec<u32> = (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                match seed % 10 {
                    0 => Label::Index((seed >> 8) as u32 % 1000).encode(),
                    1 => Label::None.encode(),
                    // A few past the strings.
                    2 => raw::provisional_label(strings as u32 + (seed >> 8) as u32 % 3).encode(),
                    // Skewed: most edges name one of a few strings.
                    k => {
                        let among = if k == 3 { strings as u64 } else { 40 };
                        raw::provisional_label(((seed >> 8) % among) as u32).encode()
                    }
                }
            })
            .collect();
        let naive = {
            let mut interner = Interner::new();
            let mut by: Vec<u32> = vec![UNSEEN; strings];
            let col: Vec<u32> = column
                .iter()
                .map(|&l| {
                    let Label::Name(LabelId(p)) = Label::decode(l) else {
                        return l;
                    };
                    let s = (p - 1) as usize;
                    let Some(slot) = by.get_mut(s) else {
                        return Label::None.encode();
                    };
                    if *slot == UNSEEN {
                        *slot = match slot_index(&texts[s]) {
                            Some(i) => Label::Index(i).encode(),
                            None if texts[s].is_empty() => Label::None.encode(),
                            None => {
                                Label::Name(LabelId(interner.intern(&decode(&texts[s])))).encode()
                            }
                        };
                    }
                    *slot
                })
                .collect();
            let names: Vec<String> = interner.iter().map(|(_, s)| s.to_owned()).collect();
            (col, names)
        };
        assert!(naive.1.len() > 100, "names interned: {}", naive.1.len());
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut cols = vec![Column::from(column.clone())];
            if let Ok(mut in_file) = Column::<u32>::in_file(&std::env::temp_dir(), n) {
                in_file.resize(n, 0);
                in_file.copy_from_slice(&column);
                assert!(in_file.stage_file().is_some());
                cols.push(in_file);
            }
            for mut col in cols {
                let mut interner = Interner::new();
                pool.install(|| relabel(&mut col, &mut interner, strings, |s| &texts[s as usize]));
                let names: Vec<String> = interner.iter().map(|(_, s)| s.to_owned()).collect();
                assert!(col[..] == naive.0[..], "{threads} threads");
                assert_eq!(names, naive.1, "{threads} threads");
            }
        }
    }

    #[test]
    fn declared_counts_feed_the_memory_check() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/node/snapshots/emitter-listeners.heapsnapshot");
        let bytes = std::fs::read(&path).unwrap();
        let (g, _) = build(&bytes, &opts(), Compat::DevTools, Mode::Exact).unwrap();
        let (nodes, edges) = raw::declared_counts(&bytes).expect("V8 writes the meta first");
        assert_eq!(nodes as usize, g.node_count());
        // The graph drops nothing here, so the file's edge count is the graph's.
        assert_eq!(edges as usize, g.edge_count());
        // Counts beyond what the bytes could hold are capped, not believed.
        let text = String::from_utf8(bytes[..4096.min(bytes.len())].to_vec()).unwrap_or_default();
        let at = text
            .find("\"node_count\":")
            .expect("node_count in the first 4 KiB");
        let mut forged = bytes.clone();
        let digits = at + "\"node_count\":".len();
        let end = digits
            + forged[digits..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap();
        forged.splice(digits..end, b"99999999999999".iter().copied());
        let (n2, _) = raw::declared_counts(&forged).unwrap();
        assert!(n2 < forged.len() as u64 / 2, "{n2}");
        // Not a snapshot that starts with its meta: no estimate (the parse says what is wrong).
        assert_eq!(raw::declared_counts(b"{\"nodes\":[]}"), None);
        assert_eq!(raw::declared_counts(b""), None);
    }

    /// A small snapshot in V8's layout: 300 nodes over several of the test build's 64-byte
    /// chunks, each with edges of every type to the following nodes.
    fn small() -> Vec<u8> {
        let n = 300usize;
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for i in 0..n {
            let k = if i == 0 { 0 } else { 1 + i % 3 };
            nodes.push(format!(
                "{},{},{},{},{},0,{}",
                [9, 3, 5, 1][i % 4],
                1 + i % 5,
                2 * i + 1,
                16 + i,
                k,
                i % 3
            ));
            for j in 0..k {
                let to = (i + 1 + j) % n;
                let ty = (i + j) % 7;
                let name = if ty == 1 || ty == 4 {
                    j
                } else {
                    1 + (i + j) % 7
                };
                edges.push(format!("{ty},{name},{}", to * 7));
            }
        }
        let edge_count = edges.len();
        format!(
            concat!(
                r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"#,
                r#""node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number","number"],"#,
                r#""edge_fields":["type","name_or_index","to_node"],"#,
                r#""edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]}},"#,
                r#""node_count":{},"edge_count":{}}},"#,
                "\n\"nodes\":[{}],\n\"edges\":[{}],\n",
                r#""strings":["","A","b","17","c\"d","0","Map","x"]}}"#
            ),
            n,
            edge_count,
            nodes.join(",\n"),
            edges.join(",\n")
        )
        .into_bytes()
    }

    /// The same snapshot with the separators other producers write (Chrome DevTools: a newline
    /// after every node row; pretty-printers: spaces, tabs, CRLF) reads the same in both modes,
    /// the parallel one not declining, and gives the same graph as V8's own layout. The test
    /// build's 64-byte chunks cut numbers and records at every position over 300 nodes.
    #[test]
    fn separators_of_other_producers_read_the_same() {
        let text = small();
        let want = digest(&build(&text, &opts(), Compat::DevTools, Mode::Exact), &text);
        assert!(want.is_some());
        let arrays = |t: &[u8]| -> (usize, usize) {
            let find = |needle: &[u8]| t.windows(needle.len()).position(|w| w == needle).unwrap();
            (find(b"\"nodes\":["), find(b"\"strings\":["))
        };
        let (from, to) = arrays(&text);
        for (comma, sep) in [
            (",", ",\n"),
            (",\n", ",\n"),
            (", ", ",\r\n"),
            (" ,\t", "\n,"),
            (",", ",  \n  "),
        ] {
            // Every comma inside a record becomes `comma`, every one between records `sep`
            // (the fixture writes records separated by ",\n").
            let body = String::from_utf8(text[from..to].to_vec()).unwrap();
            let body = body
                .replace(",\n", "\u{1}")
                .replace(',', comma)
                .replace('\u{1}', sep);
            let mut v = text[..from].to_vec();
            v.extend_from_slice(body.as_bytes());
            v.extend_from_slice(&text[to..]);
            let par = build(&v, &opts(), Compat::DevTools, Mode::Parallel);
            assert!(par.is_ok(), "declined {comma:?} {sep:?}");
            let exact = build(&v, &opts(), Compat::DevTools, Mode::Exact);
            let (dp, de) = (digest(&par, &v), digest(&exact, &v));
            // Node and string marks are byte offsets, which move with the separators: compare
            // the rest.
            let strip = |d: Option<String>| {
                d.map(|d| {
                    d.split('|')
                        .enumerate()
                        .filter(|(i, _)| *i != 12 && *i != 13)
                        .map(|(_, p)| p.to_owned())
                        .collect::<Vec<_>>()
                })
            };
            assert!(dp == de, "modes disagree on {comma:?} {sep:?}");
            assert!(
                strip(dp) == strip(want.clone()),
                "graph differs on {comma:?} {sep:?}"
            );
        }
    }

    /// [`small`] with `locations` and the other top-level values V8 writes, its arrays in the
    /// order given by `order` (keys of `parts`), as the text of each.
    fn reordered(order: &[&str]) -> Vec<u8> {
        let text = String::from_utf8(small()).unwrap();
        let text = text.replacen(
            "\"meta\":{",
            "\"meta\":{\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"],",
            1,
        );
        let at = |k: &str| text.find(&format!("\"{k}\":[")).unwrap();
        let (nodes, edges, strings) = (at("nodes"), at("edges"), at("strings"));
        let head = &text[..nodes];
        let part = |from: usize, to: usize| text[from..to].trim_end_matches([',', '\n']);
        let parts = [
            ("nodes", part(nodes, edges).to_owned()),
            ("edges", part(edges, strings).to_owned()),
            ("strings", text[strings..text.len() - 1].to_owned()),
            // Out of node order, as V8 writes them; node ordinals 0..300 times 7 fields.
            (
                "locations",
                "\"locations\":[70,1,2,3,7,4,5,6,2093,7,8,9,14,1,0,0]".to_owned(),
            ),
            (
                "trace",
                "\"trace_function_infos\":[],\"trace_tree\":[]".to_owned(),
            ),
            ("samples", "\"samples\":[]".to_owned()),
            (
                "extra",
                "\"extra\":{\"a\":[1,\"]\",{\"b\":null}],\"strings\":2}".to_owned(),
            ),
        ];
        let body: Vec<&str> = order
            .iter()
            .map(|k| parts.iter().find(|p| p.0 == *k).unwrap().1.as_str())
            .collect();
        format!("{head}{}}}", body.join(",\n")).into_bytes()
    }

    /// The parallel reader reads what follows the edges beside their fill (`read_tail`): in
    /// V8's order it does not decline and agrees with the exact reader, and in any other order,
    /// with unknown values among them, the two still agree (or both fail), as when that text is
    /// cut short or broken inside the values after the edges.
    #[test]
    fn values_after_the_edges_read_the_same_in_any_order() {
        let v8_order = ["nodes", "edges", "trace", "samples", "locations", "strings"];
        let orders: [&[&str]; 7] = [
            &v8_order,
            &["nodes", "edges", "strings", "locations", "extra"],
            &["nodes", "edges", "extra", "locations", "trace", "strings"],
            &["strings", "nodes", "edges", "locations"],
            &["nodes", "locations", "edges", "samples", "strings"],
            &["nodes", "edges", "strings", "strings", "locations"],
            &["nodes", "edges", "locations", "locations", "strings"],
        ];
        let mut compared = 0;
        for order in orders {
            let text = reordered(order);
            let edges_end = {
                let at = text.windows(9).position(|w| w == b"\"edges\":[").unwrap();
                at + text[at..].iter().position(|&b| b == b']').unwrap()
            };
            let mut variants = vec![text.clone()];
            // Cut short or broken at every 7th byte after the edges.
            for at in (edges_end..text.len()).step_by(7) {
                variants.push(text[..at].to_vec());
                for with in [b'x', b'\\', b'"', b',', b']'] {
                    let mut v = text.clone();
                    v[at] = with;
                    variants.push(v);
                }
            }
            for (k, v) in variants.iter().enumerate() {
                let par = build(v, &opts(), Compat::DevTools, Mode::Parallel);
                let exact = build(v, &opts(), Compat::DevTools, Mode::Exact);
                if k == 0 && order == v8_order {
                    assert!(par.is_ok(), "declined V8's order");
                    let (_, d) = par.as_ref().unwrap();
                    assert_eq!(d.locations.len(), 4);
                    // Read back from the text: nodes 10, 1, 299 and 2 have one each, the
                    // others none.
                    let at = |n: usize| d.locations.get(v, n);
                    assert_eq!(at(10), Some([10, 1, 2, 3]));
                    assert_eq!(at(1), Some([1, 4, 5, 6]));
                    assert_eq!(at(299), Some([299, 7, 8, 9]));
                    assert_eq!(at(2), Some([2, 1, 0, 0]));
                    assert_eq!((at(0), at(3), at(300)), (None, None, None));
                }
                if par.is_ok() {
                    assert!(
                        digest(&par, v) == digest(&exact, v),
                        "{order:?}: accepted differently:\n{}",
                        String::from_utf8_lossy(v)
                    );
                    compared += 1;
                }
                // (It may decline what the exact reader accepts: a second `locations`.)
                assert!(exact.is_ok() || par.is_err(), "{order:?}");
            }
        }
        assert!(compared > 50, "{compared}");
    }

    #[test]
    fn parallel_never_accepts_what_sequential_rejects() {
        let text = small();
        let ok = build(&text, &opts(), Compat::DevTools, Mode::Parallel);
        assert!(
            ok.is_ok()
                && digest(&ok, &text)
                    == digest(&build(&text, &opts(), Compat::DevTools, Mode::Exact), &text)
        );
        let find = |needle: &[u8]| {
            text.windows(needle.len())
                .position(|w| w == needle)
                .unwrap()
        };
        let (nodes, edges, strings) = (
            find(b"\"nodes\":["),
            find(b"\"edges\":["),
            find(b"\"strings\":["),
        );
        // Every 13th byte of both integer arrays (a prime step, so every field position and both
        // sides of chunk cuts come up) replaced by a digit, a sign, a separator, a bracket or a
        // letter; and the input cut there.
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for at in (nodes + 9..strings).step_by(13) {
            for with in [b'-', b' ', b',', b']', b'9', b'x'] {
                if text[at] != with {
                    let mut v = text.clone();
                    v[at] = with;
                    variants.push(v);
                }
            }
            variants.push(text[..at].to_vec());
        }
        // One value too many, and one too few, in each array.
        for at in [nodes + 9, edges + 9] {
            let mut v = text.clone();
            v.splice(at..at, b"0,".iter().copied());
            variants.push(v);
            let mut v = text.clone();
            v.drain(at..at + 2);
            variants.push(v);
        }
        let mut rejected = 0;
        for v in &variants {
            let par = build(v, &opts(), Compat::DevTools, Mode::Parallel);
            let exact = build(v, &opts(), Compat::DevTools, Mode::Exact);
            match (&par, &exact) {
                (Ok(_), _) => assert!(
                    digest(&par, v) == digest(&exact, v),
                    "accepted differently:\n{}",
                    String::from_utf8_lossy(v)
                ),
                (Err(_), Err(_)) => rejected += 1,
                (Err(_), Ok(_)) => {} // declined; the sequential reader takes it
            }
        }
        assert!(
            rejected > variants.len() / 2,
            "{rejected} of {} variants rejected",
            variants.len()
        );
    }
}
