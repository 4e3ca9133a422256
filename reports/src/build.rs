//! From an [`Analysis`] to a [`Report`]: summary, histogram, top dominators and suspects.

use heapscope_graph::facts::ThreadRoot;
use heapscope_graph::{Analysis, DumpFacts, Inspector, NodeIdx, PathStep};

use crate::findings::find_suspects;
use crate::model::*;

/// What the caller knows about the input beyond the dump itself.
#[derive(Clone, Debug)]
pub struct InputMeta {
    pub path: String,
    pub size_bytes: u64,
}

/// Report settings.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Number of dominators listed.
    pub top: usize,
    /// Suspect threshold as a share of the reachable heap (MAT's default 10% = 0.10).
    pub threshold: f64,
    /// Most histogram rows kept (0 = all).
    pub histogram_rows: usize,
    /// Nothing smaller than this is a suspect, whatever its share
    /// ([`crate::findings::MIN_SUSPECT_BYTES`] by default).
    pub min_suspect_bytes: u64,
    /// Call trees: add CPython's cumulative statistics to the histogram and sort by them.
    pub cumulative: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            top: 20,
            threshold: 0.10,
            histogram_rows: 0,
            min_suspect_bytes: crate::findings::MIN_SUSPECT_BYTES,
            cumulative: false,
        }
    }
}

/// The generator string written into reports.
pub fn generator() -> String {
    format!("heapscope {}", env!("CARGO_PKG_VERSION"))
}

/// Everything a report needs to name nodes: the analysis, the format and the inspector.
pub struct Ctx<'a> {
    pub a: &'a Analysis,
    pub info: &'a DumpFacts,
    pub insp: &'a dyn Inspector,
}

impl<'a> Ctx<'a> {
    /// The dump's own id as reports print it: HPROF `0x…`, V8 decimal, call trees `0x…`.
    pub fn id_text(&self, n: NodeIdx) -> String {
        self.info.id_text(self.a.graph.id(n))
    }

    pub fn share(&self, bytes: u64) -> f64 {
        let total = self.a.summary.reachable_bytes;
        if total == 0 {
            0.0
        } else {
            (bytes as f64 / total as f64).min(1.0)
        }
    }

    pub fn node(&self, n: NodeIdx) -> NodeOut {
        let g = &self.a.graph;
        NodeOut {
            id: self.id_text(n),
            type_name: g.type_name(n).to_string(),
            shallow_bytes: g.shallow[n.ix()],
            retained_bytes: self.a.retained[n.ix()],
            retained_share: round6(self.share(self.a.retained[n.ix()])),
            value: self.insp.value_preview(g, n),
            thread: None,
        }
    }

    pub fn path(&self, steps: &[PathStep]) -> Vec<PathElem> {
        let g = &self.a.graph;
        steps
            .iter()
            .map(|s| PathElem {
                id: self.id_text(s.node),
                type_name: g.type_name(s.node).to_string(),
                via: s.via.clone(),
                root_kind: s.root_kind.clone(),
                weak: s.weak,
                retained_bytes: Some(self.a.retained[s.node.ix()]),
            })
            .collect()
    }
}

/// Which thread holds an object, from the dump's thread roots ([`DumpFacts::thread_roots`]),
/// looked up by the printed id of a path's GC root.
pub struct ThreadHolders<'a> {
    info: &'a DumpFacts,
    /// The printed id of each thread root's object, with the root's index; sorted.
    by_id: Vec<(String, usize)>,
}

impl<'a> ThreadHolders<'a> {
    pub fn new(info: &'a DumpFacts) -> Self {
        let mut by_id: Vec<(String, usize)> = info
            .thread_roots
            .iter()
            .enumerate()
            .map(|(i, r)| (info.id_text(r.object), i))
            .collect();
        by_id.sort();
        ThreadHolders { info, by_id }
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The thread whose root starts the path: of the thread roots of its first object, a
    /// thread's own thread object, else the local variable in the innermost frame (MAT's
    /// "keeps local variables"), else the first (a native stack …). `None` when no thread
    /// holds that object.
    pub fn of_path(&self, path: &[PathElem]) -> Option<ThreadOut> {
        let first = &path.first()?.id;
        let at = self.by_id.partition_point(|(id, _)| id < first);
        let roots = self.by_id[at..]
            .iter()
            .take_while(|(id, _)| id == first)
            .map(|&(_, i)| self.info.thread_roots[i]);
        let threads = self.info.threads();
        // A thread's own thread object is held by that thread (not by a local variable that
        // points back at it, e.g. `Thread.currentThread()` kept in a frame).
        let own = |r: &ThreadRoot| {
            r.frame.is_none()
                && threads
                    .get(r.thread as usize)
                    .is_some_and(|t| t.object == r.object)
        };
        let root = roots.min_by_key(|r| (!own(r), r.frame.is_none(), r.frame, r.thread))?;
        let t = threads.get(root.thread as usize)?;
        Some(ThreadOut {
            name: t.name.clone(),
            object_id: self.info.id_text(t.object),
            frame: root.frame,
            stack: t
                .frames
                .iter()
                .map(|f| FrameOut {
                    function: f.function.clone(),
                    file: f.file.clone(),
                    line: f.line_number(),
                    text: f.text(),
                })
                .collect(),
        })
    }
}

/// Serialise the format's typed details as the report's `input.details`: one JSON object,
/// keys in order (the schema's), whatever the format.
pub fn sorted_details<S: serde::Serializer>(
    d: &heapscope_graph::facts::Details,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match serde_json::to_value(d).map_err(serde::ser::Error::custom)? {
        serde_json::Value::Object(m) => m.serialize(s),
        _ => serde_json::Map::new().serialize(s),
    }
}

/// Round to 6 decimals so shares print the same everywhere.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Build the report for one analysed dump.
pub fn build_report(
    a: &Analysis,
    info: &DumpFacts,
    insp: &dyn Inspector,
    meta: &InputMeta,
    opts: &ReportOptions,
) -> Report {
    let ctx = Ctx { a, info, insp };
    let g = &a.graph;
    let mut histogram: Vec<HistRow> = a
        .histogram
        .iter()
        .map(|r| HistRow {
            type_name: g.types.get(r.type_id).to_string(),
            count: r.count,
            shallow_bytes: r.shallow,
            retained_bytes: r.retained,
            cumulative_bytes: None,
            cumulative_count: None,
        })
        .collect();
    let cumulative_note = if opts.cumulative {
        add_cumulative(a, info, &mut histogram)
    } else {
        None
    };
    if opts.histogram_rows > 0 {
        histogram.truncate(opts.histogram_rows);
    }
    // The parts read the analysis only: the suspects (the costly part: walks of dominator
    // subtrees) side by side with the rest.
    let (mut suspects, (mut dominators, (dominator_tree, unreachable_histogram))) = rayon::join(
        || find_suspects(&ctx, opts),
        || {
            rayon::join(
                || {
                    a.top_retained(opts.top)
                        .into_iter()
                        .map(|n| (ctx.node(n), n))
                        .collect::<Vec<_>>()
                },
                || {
                    rayon::join(
                        || crate::domtree::dominator_tree(&ctx),
                        || unreachable_histogram(a, UNREACHABLE_ROWS),
                    )
                },
            )
        },
    );
    let holders = ThreadHolders::new(info);
    for s in &mut suspects {
        s.thread = holders.of_path(&s.path_to_root);
    }
    let dominators = dominators
        .drain(..)
        .map(|(mut node, n)| {
            if !holders.is_empty() {
                node.thread = holders.of_path(&ctx.path(&a.path_to(n)));
            }
            node
        })
        .collect();
    let mut warnings = info.warnings.clone();
    warnings.extend(cumulative_note);
    // The same warning can come from the parser and the graph builder; say it once.
    for w in &g.warnings {
        if !warnings.contains(w) {
            warnings.push(w.clone());
        }
    }
    if a.dom.orphans_attached > 0 {
        warnings.push(format!(
            "{} nodes not reachable from a GC root were attached to the root, as the format's reference tool does",
            a.dom.orphans_attached
        ));
    }
    Report {
        schema_version: 1,
        generator: generator(),
        input: InputOut {
            path: meta.path.clone(),
            format: info.format_name.to_string(),
            model: info.model,
            profile: info.profile.clone(),
            runtime: info.runtime,
            size_bytes: meta.size_bytes,
            compressed: info.compressed,
            sample_type: info.sample_type.clone(),
            details: info.details.clone(),
            timestamp: info.timestamp.clone(),
        },
        summary: SummaryOut {
            nodes: a.summary.nodes,
            edges: a.summary.edges,
            gc_roots: a.summary.gc_roots,
            total_bytes: a.summary.total_bytes,
            reachable_bytes: a.summary.reachable_bytes,
            unreachable_bytes: a.summary.unreachable_bytes,
            unreachable_nodes: a.summary.unreachable_nodes,
        },
        histogram,
        dominators,
        suspects,
        warnings,
        dominator_tree,
        unreachable_histogram,
    }
}

/// Fill the histogram's cumulative columns (call trees only) and sort by them, as CPython's
/// `Snapshot.statistics(key, cumulative=True)` does: every node of a type adds the bytes and
/// blocks of its whole subtree, so a frame that recurs in one traceback counts each time.
/// Returns a warning for inputs that are not call trees (the option is ignored there).
fn add_cumulative(a: &Analysis, info: &DumpFacts, histogram: &mut [HistRow]) -> Option<String> {
    if !info.is_call_tree() {
        return Some(format!(
            "--cumulative applies to allocation profiles (call trees) only; this {} input is an object graph; ignored",
            info.format_name
        ));
    }
    let g = &a.graph;
    let mut blocks: Vec<u64> = (0..g.node_count() as u32)
        .map(|v| g.count(NodeIdx(v)))
        .collect();
    // Children before their immediate dominator: the dominator-tree preorder, reversed.
    for &v in a.preorder().iter().rev() {
        if let Some(d) = a.idom(NodeIdx(v)) {
            blocks[d.ix()] += blocks[v as usize];
        }
    }
    let mut by_type: std::collections::HashMap<&str, (u64, u64)> = std::collections::HashMap::new();
    for v in (0..g.node_count() as u32).filter(|&v| a.dom.is_reachable(v)) {
        let e = by_type
            .entry(g.types.get(g.type_of[v as usize]))
            .or_default();
        e.0 += a.retained[v as usize];
        e.1 += blocks[v as usize];
    }
    for row in histogram.iter_mut() {
        let (b, c) = by_type
            .get(row.type_name.as_str())
            .copied()
            .unwrap_or((0, 0));
        row.cumulative_bytes = Some(b);
        row.cumulative_count = Some(c);
    }
    histogram.sort_by(|x, y| {
        (y.cumulative_bytes, y.cumulative_count)
            .cmp(&(x.cumulative_bytes, x.cumulative_count))
            .then_with(|| x.type_name.cmp(&y.type_name))
    });
    None
}

/// Rows of the unreachable-objects histogram kept in a report.
pub const UNREACHABLE_ROWS: usize = 50;

/// Per type, the objects no GC root reaches: count and shallow bytes, largest first, at most
/// `limit` rows (their retained size is 0: nothing reachable holds them).
pub fn unreachable_histogram(a: &Analysis, limit: usize) -> Vec<HistRow> {
    let g = &a.graph;
    if a.summary.unreachable_nodes == 0 {
        return Vec::new();
    }
    let mut by_type: std::collections::HashMap<u32, (u64, u64)> = std::collections::HashMap::new();
    // One scan of `idom` as a slice (millions of nodes, a few unreachable).
    let idom: &[u32] = &a.dom.idom;
    for (v, _) in idom
        .iter()
        .enumerate()
        .filter(|(_, &d)| d == heapscope_graph::UNREACHED)
    {
        let e = by_type.entry(g.type_of[v]).or_default();
        e.0 += g.count(NodeIdx(v as u32));
        e.1 += g.shallow[v];
    }
    let mut rows: Vec<HistRow> = by_type
        .into_iter()
        .map(|(t, (c, s))| HistRow {
            type_name: g.types.get(t).to_string(),
            count: c,
            shallow_bytes: s,
            retained_bytes: 0,
            cumulative_bytes: None,
            cumulative_count: None,
        })
        .collect();
    rows.sort_by(|x, y| {
        y.shallow_bytes
            .cmp(&x.shallow_bytes)
            .then(y.count.cmp(&x.count))
            .then_with(|| x.type_name.cmp(&y.type_name))
    });
    rows.truncate(limit);
    rows
}
