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
//! or a JS engine's maximum string length, and besides the graph it keeps 10 bytes per node,
//! 2 bits per edge and 12 bytes per string of anonymous memory.
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
//! element and hidden edges. Node ids are V8's.

pub(crate) mod names;
pub(crate) mod raw;
pub(crate) mod retention;
pub(crate) mod scan;

use heapscope_graph::{DumpInfo, Format, GraphBuilder, HeapGraph, Inspector, Label, LabelId, NodeIdx, Orphans, Policy};
use serde_json::json;
use std::collections::HashMap;

use crate::{Input, ParseError, ParseOptions, Parsed};
use names::DETACHED;
use raw::RawSnapshot;
use scan::{decode, ScanError};

/// The retention rules of Chrome DevTools / memlab (see the module docs).
pub const POLICY: Policy = Policy { weak_retains: false, orphans: Orphans::AttachAll };

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

pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    parse_with(input, opts, Compat::DevTools)
}

/// [`parse`] with a choice of [`Compat`].
pub fn parse_with(input: &Input, opts: &ParseOptions, compat: Compat) -> Result<Parsed, ParseError> {
    let bytes = input.bytes();
    let (graph, data) =
        build(bytes, opts, compat).map_err(|e| ParseError::new(input.path(), e.offset, e.expected))?;
    let info = dump_info(&data, &graph);
    let inspector = V8Inspector::new(input.clone(), data);
    Ok(Parsed { graph, info, inspector: Box::new(inspector) })
}

/// Stream the snapshot into a graph, then resolve what needed the strings (V8 writes them
/// last): node type names, with the `Detached ` prefix where detachedness propagates; edge
/// labels; and the edges that do not retain because they enter page-owned nodes from outside.
fn build(bytes: &[u8], opts: &ParseOptions, compat: Compat) -> Result<(HeapGraph, InspectorData), ScanError> {
    let mut b = GraphBuilder::new();
    if opts.drop_labels {
        b = b.without_labels();
    }
    let raw = raw::parse(bytes, &mut b, compat)?;
    if raw.node_count() > 0 {
        b.add_root_idx(NodeIdx(0), ROOT_KIND, None);
    }
    let mut g = b.finish(POLICY);
    let states = names::propagate_detachedness(&raw, &g);
    resolve_types(&raw, &mut g, bytes, &states);
    if !opts.drop_labels {
        resolve_labels(&raw, &mut g, bytes);
    }
    retention::drop_unowned_into_owned(&raw, &mut g, bytes);
    Ok((g, InspectorData::from_raw(raw)))
}

/// Replace provisional types (name string indices) by interned names.
fn resolve_types(raw: &RawSnapshot, g: &mut HeapGraph, bytes: &[u8], states: &[u8]) {
    let mut by_name: HashMap<u32, u32> = HashMap::new();
    let mut detached_by_name: HashMap<u32, u32> = HashMap::new();
    let mut detached_nodes = 0u64;
    for i in 0..g.type_of.len() {
        let t = g.type_of[i];
        if t & raw::OWN_NAME == 0 {
            continue;
        }
        let name = t & !raw::OWN_NAME;
        let types = &mut g.types;
        g.type_of[i] = if states.get(i) == Some(&DETACHED) {
            detached_nodes += 1;
            *detached_by_name
                .entry(name)
                .or_insert_with(|| types.intern(&format!("Detached {}", raw.str(bytes, name))))
        } else {
            *by_name.entry(name).or_insert_with(|| types.intern(&raw.str(bytes, name)))
        };
    }
    if detached_nodes > 0 {
        g.warnings.push(format!("{detached_nodes} detached native (DOM) nodes"));
    }
}

/// Replace provisional labels (string index + 1) by interned names.
fn resolve_labels(raw: &RawSnapshot, g: &mut HeapGraph, bytes: &[u8]) {
    let mut by_string: HashMap<u32, u32> = HashMap::new();
    for l in g.edge_labels.iter_mut() {
        if let Label::Name(LabelId(p)) = Label::decode(*l) {
            let s = p - 1;
            let labels = &mut g.labels;
            let id = *by_string.entry(s).or_insert_with(|| {
                let text = raw.str(bytes, s);
                if text.is_empty() { 0 } else { labels.intern(&text) }
            });
            *l = if id == 0 { Label::None.encode() } else { Label::Name(LabelId(id)).encode() };
        }
    }
}

/// What the inspector and `DumpInfo` keep of the raw snapshot (no edges).
struct InspectorData {
    node_types: Vec<String>,
    node_fields: Vec<String>,
    edge_fields: Vec<String>,
    edge_types: Vec<String>,
    trace_function_count: Option<u64>,
    has_detachedness: bool,
    node_type: Vec<u8>,
    node_name: Vec<u32>,
    str_start: Vec<u64>,
    str_len: Vec<u32>,
    locations: Vec<[u32; 4]>,
}

impl InspectorData {
    /// Keeps the per-node type and name columns and the string ranges; the edge columns
    /// are freed here.
    fn from_raw(raw: RawSnapshot) -> InspectorData {
        InspectorData {
            has_detachedness: raw.meta.n_detached.is_some(),
            trace_function_count: raw.meta.trace_function_count,
            node_types: raw.meta.node_types,
            node_fields: raw.meta.node_fields,
            edge_fields: raw.meta.edge_fields,
            edge_types: raw.meta.edge_types,
            node_type: raw.node_type,
            node_name: raw.node_name,
            str_start: raw.str_start,
            str_len: raw.str_len,
            locations: raw.locations,
        }
    }
}

fn dump_info(d: &InspectorData, g: &HeapGraph) -> DumpInfo {
    let mut info = DumpInfo::new(Format::V8);
    let details = &mut info.details;
    details.insert("node_fields".into(), json!(d.node_fields));
    details.insert("node_types".into(), json!(d.node_types));
    details.insert("edge_fields".into(), json!(d.edge_fields));
    details.insert("edge_types".into(), json!(d.edge_types));
    details.insert("detachedness".into(), json!(d.has_detachedness));
    details.insert("nodes".into(), json!(g.node_count()));
    details.insert("edges".into(), json!(g.edge_count()));
    details.insert("strings".into(), json!(d.str_start.len()));
    details.insert("locations".into(), json!(d.locations.len()));
    if let Some(t) = d.trace_function_count {
        details.insert("trace_function_count".into(), json!(t));
    }
    info.warnings = g.warnings.clone();
    info
}

/// Reads names, string values and closure locations from the mapped snapshot on demand.
struct V8Inspector {
    input: Input,
    data: InspectorData,
}

impl V8Inspector {
    fn new(input: Input, data: InspectorData) -> Self {
        V8Inspector { input, data }
    }

    fn raw_name(&self, node: usize) -> Option<String> {
        let s = *self.data.node_name.get(node)? as usize;
        let (start, len) = (*self.data.str_start.get(s)? as usize, *self.data.str_len.get(s)? as usize);
        let bytes = self.input.bytes().get(start..start + len)?;
        Some(decode(bytes).into_owned())
    }

    fn type_name(&self, node: usize) -> Option<&str> {
        let t = *self.data.node_type.get(node)? as usize;
        self.data.node_types.get(t).map(String::as_str)
    }

    fn location(&self, node: usize) -> Option<[u32; 4]> {
        let l = &self.data.locations;
        let p = l.partition_point(|x| (x[0] as usize) < node);
        l.get(p).filter(|x| x[0] as usize == node).copied()
    }
}

const PREVIEW_CHARS: usize = 100;

fn clip(s: &str) -> String {
    match s.char_indices().nth(PREVIEW_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

impl Inspector for V8Inspector {
    fn value_preview(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        let i = node.ix();
        let name = self.raw_name(i)?;
        match self.type_name(i)? {
            "string" | "sliced string" | "concatenated string" if !name.is_empty() => {
                Some(format!("\"{}\"", clip(&name)))
            }
            "closure" => Some(format!("{}()", if name.is_empty() { "(anonymous)" } else { &name })),
            "regexp" => Some(format!("/{}/", clip(&name))),
            "number" | "bigint" | "symbol" if !name.is_empty() => Some(clip(&name)),
            _ => None,
        }
    }

    fn source_line(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        let [_, script, line, col] = self.location(node.ix())?;
        // V8 records 0-based lines and columns; DevTools shows them 1-based.
        Some(format!("script {script}, line {}, column {}", u64::from(line) + 1, u64::from(col) + 1))
    }
}
