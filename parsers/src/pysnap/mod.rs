//! CPython heap snapshots with references, as `heapscope_snapshot.py` writes them (the dumper
//! lives beside this reader, [`DUMPER`]; `heapscope python-helper` prints it). The format is
//! docs/dev/python-snapshot.md.
//!
//! The graph: one node per object (`id()` as the id, `sys.getsizeof` as the shallow size, type
//! `module.QualName`, builtins without `builtins.`), edges from `gc.get_referents` labelled by
//! dict key, list/tuple index or attribute (`__dict__`, an `lru_cache`'s `cache`); roots are
//! modules, module globals (`app.cache · _cache`), thread frames and their locals
//! (`thread MainThread · main (app.py:12) · rows`) and `gc.garbage`. Objects no root reaches
//! are unreachable, as Eclipse MAT treats them: cycles the collector had not freed yet, and
//! objects only C code holds (built-in types are not tracked by the collector, so their
//! descriptors and dicts are not among any object's referents); reports word them so.
//!
//! ```no_run
//! let p = heapscope_parsers::pysnap::parse(
//!     &heapscope_parsers::Input::open("app.pysnap".as_ref()).unwrap(),
//!     &Default::default(),
//! ).unwrap();
//! println!("{} objects", p.graph.node_count());
//! ```

pub mod read;

use heapscope_graph::facts::{FormatDetails, PythonSnapshotDetails};
use heapscope_graph::{
    CacheLimit, Comparison, DumpFacts, GraphBuilder, HeapGraph, IdDisplay, Inspector, Label,
    LabelId, NodeIdx, NodeKind, Policy, Rows, Runtime, TypeId,
};

use crate::error::{Expected, Fail};
use crate::{Input, ParseError, ParseOptions, Parsed};
use read::{index, Cur, Index, MAGIC};

/// The dumper, exactly as `heapscope python-helper` prints it.
pub const DUMPER: &str = include_str!("heapscope_snapshot.py");

/// How an input is recognised as a Python heap snapshot, and parsed.
pub const READER: crate::Reader = crate::Reader {
    name: "python-heapsnapshot",
    looks_like: "a Python heap snapshot by heapscope_snapshot.py (\"HSPYSNAP\")",
    sniff: |data| data.starts_with(MAGIC),
    parse,
};

/// Type flag: its instances are classes (`issubclass(t, type)`): nodes of kind Class.
const TYPE_IS_CLASS: u8 = 1;
/// Type flag: its instances have a `__del__` finalizer.
const TYPE_HAS_DEL: u8 = 2;

/// Root kinds, by the file's numbers.
const ROOT_KINDS: [&str; 6] = [
    "root",
    "module",
    "module global",
    "thread frame",
    "frame local",
    "gc.garbage",
];

pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let data = input.bytes();
    let ix = index(data).map_err(|f| f.in_file(input.path(), data))?;
    let mut out_of_core = None;
    if std::env::var_os(crate::budget::SKIP_ENV).is_none() {
        use crate::budget;
        let (nodes, edges) = (ix.node_total as u64, ix.edge_total as u64);
        let need = budget::estimate(budget::PYSNAP, nodes, edges, opts.spill.is_usable());
        let floor = nodes.saturating_mul(budget::PYSNAP_FLOOR_PER_NODE);
        let plan = budget::plan_floor(nodes, need, floor, budget::available(), &opts.spill);
        out_of_core = budget::options_for(plan, input.path(), opts)?;
    }
    let opts = out_of_core.as_ref().unwrap_or(opts);
    build(data, ix, opts).map_err(|f| f.in_file(input.path(), data))
}

fn text(data: &[u8], r: (usize, usize)) -> &str {
    std::str::from_utf8(&data[r.0..r.1]).unwrap_or("\u{fffd}")
}

/// What a node is, by its type's name.
fn kind_of(type_name: &str) -> NodeKind {
    match type_name {
        "str" => NodeKind::String,
        "bytes" | "bytearray" => NodeKind::PrimitiveArray,
        "tuple" => NodeKind::ObjectArray,
        "function" => NodeKind::Closure,
        "code" => NodeKind::Code,
        _ => NodeKind::Object,
    }
}

fn build(data: &[u8], ix: Index, opts: &ParseOptions) -> Result<Parsed, Fail> {
    let mut b = GraphBuilder::new().with_spill(&opts.spill).grow_in_files();
    if opts.drop_labels {
        b = b.without_labels();
    }
    // Types and labels of the file, as the builder's ids (counts are bounded by the sections).
    let mut types: Vec<(TypeId, NodeKind)> = Vec::new();
    let mut finalizer_types = 0u64;
    for t in &ix.types {
        let mut c = Cur::new(data, t.at, t.end);
        for _ in 0..t.count {
            let name = text(data, c.str("a type name")?);
            let flags = c.u8("a type's flags")?;
            let kind = if flags & TYPE_IS_CLASS != 0 {
                NodeKind::Class
            } else {
                kind_of(name)
            };
            types.push((b.intern_type(name), kind));
            finalizer_types += u64::from(flags & TYPE_HAS_DEL != 0);
        }
    }
    let mut labels: Vec<LabelId> = vec![LabelId(0)];
    let mut label_text: Vec<(usize, usize)> = vec![(0, 0)];
    for t in &ix.labels {
        let mut c = Cur::new(data, t.at, t.end);
        for _ in 0..t.count {
            let r = c.str("a label")?;
            labels.push(b.intern_label(text(data, r)));
            label_text.push(r);
        }
    }
    // Phase 1: nodes, a run per section written in parallel (the builder's columns grow in
    // spill files from the start where they would spill anyway).
    let runs: Vec<usize> = ix.nodes.iter().map(|s| s.n).collect();
    let done = b.add_nodes_parallel(&runs, |k, mut slots| -> Result<(), Fail> {
        let s = &ix.nodes[k];
        for i in 0..s.n {
            let id = le64(data, s.ids + 8 * i);
            let t = le32(data, s.types + 4 * i) as usize;
            let Some(&(ty, kind)) = types.get(t) else {
                return Err(Fail::at(
                    s.types + 4 * i,
                    Expected::fmt(
                        "a type index below {} (found {})",
                        "",
                        &[types.len() as u64, t as u64],
                    ),
                ));
            };
            slots.set(i, id, ty, kind, le64(data, s.sizes + 8 * i));
        }
        Ok(())
    });
    done.into_iter().collect::<Result<(), Fail>>()?;
    // Phase 2: edges, node by node in the order the nodes came, a run per section.
    if ix.node_total > u32::MAX as usize {
        return Err(Fail::at(0, "at most 4,294,967,295 objects"));
    }
    let mut bounds = Vec::with_capacity(ix.nodes.len());
    let mut end = 0u32;
    for s in &ix.nodes {
        end += s.n as u32;
        bounds.push((end, s.e));
    }
    let done = b.fill_edges_parallel(&bounds, |k, slots| -> Result<(), Fail> {
        let s = &ix.nodes[k];
        let first = bounds[k].0 - s.n as u32;
        let mut e = 0usize;
        for (i, node) in (first..bounds[k].0).enumerate() {
            let k = le32(data, s.nedges + 4 * i) as usize;
            if k > s.e - e {
                return Err(Fail::at(
                    s.nedges + 4 * i,
                    Expected::fmt(
                        "an edge count within the section's {} edges left (found {})",
                        "",
                        &[(s.e - e) as u64, k as u64],
                    ),
                ));
            }
            slots.begin_node(NodeIdx(node));
            for j in e..e + k {
                let l = le32(data, s.labels + 4 * j);
                let label = match Label::decode(l) {
                    Label::Name(id) => match labels.get(id.0 as usize) {
                        Some(&li) => Label::Name(li),
                        None => {
                            return Err(Fail::at(
                                s.labels + 4 * j,
                                Expected::fmt(
                                    "a label index below {} (found {})",
                                    "",
                                    &[labels.len() as u64, l as u64],
                                ),
                            ))
                        }
                    },
                    other => other,
                };
                slots.edge_to_id(le64(data, s.targets + 8 * j), false, label);
            }
            e += k;
        }
        if e != s.e {
            return Err(Fail::at(
                s.nedges,
                Expected::fmt(
                    "edge counts adding up to the section's {} edges (they add up to {})",
                    "",
                    &[s.e as u64, e as u64],
                ),
            ));
        }
        Ok(())
    });
    done.into_iter().collect::<Result<(), Fail>>()?;
    // Roots.
    for r in &ix.roots {
        let mut c = Cur::new(data, r.at, r.end);
        for _ in 0..r.count {
            let id = c.u64("a root's object id")?;
            let at = c.pos;
            let kind = c.u8("a root kind")? as usize;
            let via = c.u32("a root's name")? as usize;
            let (Some(kind), Some(&via)) = (
                ROOT_KINDS.get(kind).filter(|_| kind > 0),
                label_text.get(via),
            ) else {
                return Err(Fail::at(at, "a root kind 1 to 5 and a label index"));
            };
            b.add_root_id(id, kind, Some(text(data, via)).filter(|s| !s.is_empty()));
        }
    }
    let mut insp = PyInspector::default();
    read_previews(data, &ix, &b, &mut insp)?;
    read_sites(data, &ix, &b, &mut insp)?;
    read_caches(data, &ix, &b, &mut insp)?;
    let graph = b.finish(Policy::MAT);
    let info = facts(data, &ix, &graph, &insp, finalizer_types);
    Ok(Parsed {
        graph,
        info,
        inspector: Box::new(insp),
    })
}

fn le32(d: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&d[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le64(d: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&d[at..at + 8]);
    u64::from_le_bytes(a)
}

fn read_previews(
    data: &[u8],
    ix: &Index,
    b: &GraphBuilder,
    insp: &mut PyInspector,
) -> Result<(), Fail> {
    for r in &ix.previews {
        let mut c = Cur::new(data, r.at, r.end);
        for _ in 0..r.count {
            let id = c.u64("a preview's object id")?;
            let s = c.str("a preview")?;
            if let Some(n) = b.lookup(id) {
                let start = insp.text.len() as u32;
                insp.text.push_str(text(data, s));
                insp.previews.push((n.0, start, insp.text.len() as u32));
            }
        }
    }
    insp.previews.sort_unstable();
    Ok(())
}

fn read_sites(
    data: &[u8],
    ix: &Index,
    b: &GraphBuilder,
    insp: &mut PyInspector,
) -> Result<(), Fail> {
    for t in &ix.frames {
        let mut c = Cur::new(data, t.at, t.end);
        for _ in 0..t.count {
            let file = text(data, c.str("a frame's file name")?).to_string();
            insp.frames.push((file, c.u32("a frame's line")?));
        }
    }
    insp.tb_start.push(0);
    for t in &ix.tracebacks {
        let mut c = Cur::new(data, t.at, t.end);
        for _ in 0..t.count {
            let n = c.count(4, "traceback frame")?;
            for _ in 0..n {
                let at = c.pos;
                let f = c.u32("a frame index")?;
                if f as usize >= insp.frames.len() {
                    return Err(Fail::at(
                        at,
                        Expected::fmt(
                            "a frame index below {} (found {})",
                            "",
                            &[insp.frames.len() as u64, f as u64],
                        ),
                    ));
                }
                insp.tb_frames.push(f);
            }
            insp.tb_start.push(insp.tb_frames.len() as u32);
        }
    }
    let tbs = insp.tb_start.len() - 1;
    for r in &ix.allocs {
        let mut c = Cur::new(data, r.at, r.end);
        for _ in 0..r.count {
            let id = c.u64("an object id")?;
            let at = c.pos;
            let tb = c.u32("a traceback index")?;
            if tb as usize >= tbs {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "a traceback index below {} (found {})",
                        "",
                        &[tbs as u64, tb as u64],
                    ),
                ));
            }
            if let Some(n) = b.lookup(id) {
                insp.sites.push((n.0, tb));
            }
        }
    }
    insp.sites.sort_unstable();
    Ok(())
}

fn read_caches(
    data: &[u8],
    ix: &Index,
    b: &GraphBuilder,
    insp: &mut PyInspector,
) -> Result<(), Fail> {
    for r in &ix.caches {
        let mut c = Cur::new(data, r.at, r.end);
        for _ in 0..r.count {
            let id = c.u64("a cache wrapper's id")?;
            let max = c.u64("maxsize")? as i64;
            let entries = c.u64("currsize")?;
            c.u64("hits")?;
            c.u64("misses")?;
            let table = c.u64("the cache table's id")?;
            if let Some(n) = b.lookup(id) {
                insp.caches.push((
                    n.0,
                    CacheLimit {
                        max_entries: (max >= 0).then_some(max as u64),
                        entries,
                        table: b.lookup(table),
                    },
                ));
            }
        }
    }
    insp.caches.sort_unstable_by_key(|c| c.0);
    Ok(())
}

fn facts(
    data: &[u8],
    ix: &Index,
    g: &HeapGraph,
    insp: &PyInspector,
    types_with_del: u64,
) -> DumpFacts {
    let h = &ix.header;
    let mut info = DumpFacts {
        id_display: IdDisplay::Decimal,
        ids_stable: true,
        rows: Rows::new("type"),
        comparison: Comparison::DevTools,
        ..DumpFacts::object_graph("python-heapsnapshot", Runtime::CPython)
    };
    info.process_rss = (h.rss > 0).then_some(h.rss);
    if h.unix_time.is_finite() && h.unix_time > 0.0 && h.unix_time < 1e11 {
        let ms = (h.unix_time * 1000.0) as i64;
        info.timestamp_ms = Some(ms);
        info.timestamp = Some(heapscope_graph::time::format_rfc3339_ms(ms));
    }
    info.details.format = FormatDetails::PythonSnapshot(PythonSnapshotDetails {
        format_version: ix.version,
        python: format!("{}.{}.{}", h.version[0], h.version[1], h.version[2]),
        sys_version: text(data, h.version_text).to_string(),
        implementation: text(data, h.implementation).to_string(),
        pid: h.pid,
        rss_bytes: h.rss,
        objects: ix.node_total as u64,
        references: ix.edge_total as u64,
        roots: ix.end.roots,
        tracemalloc: h.tracing,
        allocation_sites: insp.sites.len() as u64,
        lru_caches: insp.caches.len() as u64,
        dump_seconds: Some(ix.end.seconds).filter(|s| s.is_finite()),
        dumper_excluded_objects: ix.end.excluded,
        dumper_rss_overhead_bytes: ix.end.overhead_rss,
        types_with_del,
    });
    info.warnings.extend(g.warnings.iter().cloned());
    info
}

/// Previews, allocation sites and cache limits, by node.
#[derive(Default)]
pub(crate) struct PyInspector {
    text: String,
    /// (node, start, end) into `text`, sorted.
    previews: Vec<(u32, u32, u32)>,
    frames: Vec<(String, u32)>,
    tb_start: Vec<u32>,
    tb_frames: Vec<u32>,
    /// (node, traceback), sorted.
    sites: Vec<(u32, u32)>,
    caches: Vec<(u32, CacheLimit)>,
}

impl PyInspector {
    /// The state [`Inspector::saved_state`] wrote, checked so that no lookup can index out of
    /// range: preview spans inside the text, tracebacks ascending within their frames, frames
    /// and tracebacks that exist (node indices are keys only; a cache table's node is checked
    /// against the graph when asked).
    pub(crate) fn restore(
        d: &mut heapscope_graph::saved::Dec,
    ) -> Result<Self, heapscope_graph::saved::Bad> {
        let text = d.string()?;
        let at = d.bad("preview spans inside the preview text, as (node, start, end)");
        let p = d.u32s()?;
        if p.len() % 3 != 0 {
            return Err(at);
        }
        let mut previews = Vec::with_capacity(p.len() / 3);
        for t in p.chunks_exact(3) {
            if t[1] > t[2]
                || !text.is_char_boundary(t[1] as usize)
                || !text.is_char_boundary(t[2] as usize)
            {
                return Err(at);
            }
            previews.push((t[0], t[1], t[2]));
        }
        let k = d.count(8)?;
        let mut frames = Vec::with_capacity(k);
        for _ in 0..k {
            frames.push((d.string()?, d.u32()?));
        }
        let at = d.bad("traceback starts ascending from 0 to the number of traceback frames");
        let tb_start = d.u32s()?;
        let tb_frames = d.u32s()?;
        if tb_start.first() != Some(&0)
            || tb_start.last().copied() != Some(tb_frames.len() as u32)
            || tb_start.windows(2).any(|w| w[0] > w[1])
        {
            return Err(at);
        }
        if tb_frames.iter().any(|&f| f as usize >= frames.len()) {
            return Err(d.bad("traceback frames below the number of frames"));
        }
        let at = d.bad("allocation sites as (node, traceback) with known tracebacks");
        let s = d.u32s()?;
        if s.len() % 2 != 0
            || s.chunks_exact(2)
                .any(|p| p[1] as usize >= tb_start.len() - 1)
        {
            return Err(at);
        }
        let sites = s.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        let k = d.count(14)?;
        let mut caches = Vec::with_capacity(k);
        for _ in 0..k {
            let node = d.u32()?;
            let max_entries = d.opt_u64()?;
            let entries = d.u64()?;
            let table = d
                .opt_u64()?
                .map(|t| u32::try_from(t).map(NodeIdx))
                .transpose()
                .map_err(|_| d.bad("a cache table's node index"))?;
            caches.push((
                node,
                CacheLimit {
                    max_entries,
                    entries,
                    table,
                },
            ));
        }
        d.end()?;
        Ok(PyInspector {
            text,
            previews,
            frames,
            tb_start,
            tb_frames,
            sites,
            caches,
        })
    }
}

impl Inspector for PyInspector {
    fn saved_state(&self) -> Vec<u8> {
        let mut e = heapscope_graph::saved::Enc::new();
        e.str(&self.text);
        let p: Vec<u32> = self
            .previews
            .iter()
            .flat_map(|&(n, s, t)| [n, s, t])
            .collect();
        e.u32s(&p);
        e.len(self.frames.len());
        for (f, l) in &self.frames {
            e.str(f);
            e.u32(*l);
        }
        e.u32s(&self.tb_start);
        e.u32s(&self.tb_frames);
        let s: Vec<u32> = self.sites.iter().flat_map(|&(n, t)| [n, t]).collect();
        e.u32s(&s);
        e.len(self.caches.len());
        for (n, c) in &self.caches {
            e.u32(*n);
            e.opt_u64(c.max_entries);
            e.u64(c.entries);
            e.opt_u64(c.table.map(|t| u64::from(t.0)));
        }
        e.buf
    }
    fn value_preview(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        let i = self.previews.binary_search_by_key(&node.0, |p| p.0).ok()?;
        let (_, s, e) = self.previews[i];
        self.text.get(s as usize..e as usize).map(str::to_string)
    }
    fn records_allocation_sites(&self) -> bool {
        !self.sites.is_empty()
    }
    fn allocation_site(&self, _g: &HeapGraph, node: NodeIdx) -> Option<Vec<(String, u32)>> {
        let i = self.sites.binary_search_by_key(&node.0, |p| p.0).ok()?;
        let tb = self.sites[i].1 as usize;
        let (s, e) = (self.tb_start[tb] as usize, self.tb_start[tb + 1] as usize);
        Some(
            self.tb_frames[s..e]
                .iter()
                .map(|&f| self.frames[f as usize].clone())
                .collect(),
        )
    }
    fn cache_limit(&self, g: &HeapGraph, node: NodeIdx) -> Option<CacheLimit> {
        let i = self.caches.binary_search_by_key(&node.0, |c| c.0).ok()?;
        let mut c = self.caches[i].1;
        // A restored state's table node is only trusted inside the graph it is asked with.
        c.table = c.table.filter(|t| t.ix() < g.node_count());
        Some(c)
    }
}
