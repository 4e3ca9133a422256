//! From an [`Analysis`] to a [`Report`]: summary, histogram, top dominators and suspects.

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

    /// The collection `n`'s type derives from when its own name names none (its nearest
    /// collection superclass, [`crate::patterns::collection_ancestor`]).
    pub fn collection_ancestor(&self, n: NodeIdx) -> Option<&'a str> {
        let g = &self.a.graph;
        crate::patterns::collection_ancestor(g, &self.info.supertypes, g.type_of(n))
    }

    /// Is `n` a collection that holds its entries, by its type's name or, failing that, its
    /// nearest collection superclass's ([`crate::patterns::is_strong_collection`])?
    pub fn is_strong_collection(&self, n: NodeIdx) -> bool {
        crate::patterns::is_strong_collection(self.a.graph.type_name(n))
            || self
                .collection_ancestor(n)
                .is_some_and(crate::patterns::is_strong_collection)
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

/// Which thread holds an object, from the dump's thread roots ([`DumpFacts::thread_roots`]:
/// one per object, the one to name, sorted by object), looked up by the printed id of a path's
/// GC root. Nothing of its own: a search of the facts' roots (an index of 16 B per root and
/// its sort cost ~48 MB and ~0.1 CPU s on a dump of 10,000 threads of 300 frames).
pub struct ThreadHolders<'a> {
    info: &'a DumpFacts,
}

impl<'a> ThreadHolders<'a> {
    pub fn new(info: &'a DumpFacts) -> Self {
        ThreadHolders { info }
    }

    /// The dump id a path element's printed id stands for: `0x…` hexadecimal or decimal,
    /// and only when this dump prints that id exactly so (a root's printed id matches a
    /// path's exactly when their ids are equal: the printed form is one per id).
    fn object_of(&self, printed: &str) -> Option<u64> {
        let id = match printed.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok()?,
            None => printed.parse::<u64>().ok()?,
        };
        (self.info.id_text(id) == printed).then_some(id)
    }

    pub fn is_empty(&self) -> bool {
        self.info.thread_roots.is_empty()
    }

    /// The thread whose root starts the path: the thread root of its first object
    /// ([`heapscope_graph::facts::ThreadRoot::rank`] chose it among the object's: a thread's own thread object, else
    /// the local variable in the innermost frame, else the first). `None` when no thread
    /// holds that object.
    pub fn of_path(&self, path: &[PathElem]) -> Option<ThreadOut> {
        let first = self.object_of(&path.first()?.id)?;
        let root = self.info.thread_root(first)?;
        let threads = self.info.threads();
        let t = threads.get(root.thread as usize)?;
        Some(ThreadOut {
            name: t.name.clone(),
            object_id: self.info.id_text(t.object),
            frame: root.frame(),
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

/// The report's `input.details`: the typed details in the schema's key order
/// ([`heapscope_graph::facts::Details::serialize_sorted`]), for `serialize_with`.
pub fn sorted_details<S: serde::Serializer>(
    d: &heapscope_graph::facts::Details,
    s: S,
) -> Result<S::Ok, S::Error> {
    d.serialize_sorted(s)
}

/// [`sorted_details`] as it was written first: the whole of the details through a sorted map
/// of JSON values. Kept for the tests, which compare the two.
#[cfg(test)]
fn sorted_details_by_value<S: serde::Serializer>(
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
    // The histogram's rows (a name copied per type: 300 K on a wide call tree), the top
    // dominators, the dominator tree and the unreachable nodes' histogram read the analysis
    // only: side by side with the suspects (the costly part: walks of dominator subtrees, or
    // a call tree's allocation sites).
    let rows = || {
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
        (histogram, cumulative_note)
    };
    let (
        mut suspects,
        ((histogram, cumulative_note), (mut dominators, (dominator_tree, unreachable_histogram))),
    ) = rayon::join(
        || find_suspects(&ctx, opts),
        || {
            rayon::join(rows, || {
                rayon::join(
                    || {
                        top_retained(a, opts.top)
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
            })
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

/// `idom` entries [`unreachable_histogram`] tests at once for an unreached node.
const UNREACHED_BLOCK: usize = 64;

/// The `k` reachable nodes with the largest retained sizes, largest first, ties by lower index:
/// [`Analysis::top_retained`]'s answer, found from the top of the dominator tree down instead
/// of by a scan of every node's retained size (358 MB on the 44.8 M-object JDK dump of
/// benches/). A node retains at least what each node it dominates does, so the nodes of the
/// answer and all their dominators retain at least the k-th largest size: best-first from the
/// super-root's children (largest retained first), a child is kept only when it retains at
/// least the k-th largest size seen so far (a lower bound of the answer's least), and the
/// search ends when the largest kept but not taken retains less than that. What is taken holds
/// the answer: sorted as the answer is and cut to `k`. A node's children are read when it is
/// taken, so the cost is the children lists of about `k` nodes (and ties with the k-th).
pub fn top_retained(a: &Analysis, k: usize) -> Vec<NodeIdx> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    if k == 0 {
        return Vec::new();
    }
    let retained: &[u64] = &a.retained;
    // The k largest retained sizes seen (least on top).
    let mut seen: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(k + 1);
    let floor = |seen: &BinaryHeap<Reverse<u64>>| {
        if seen.len() < k {
            0
        } else {
            seen.peek().map_or(0, |r| r.0)
        }
    };
    // Kept, not taken yet: largest retained first.
    let mut frontier: BinaryHeap<(u64, Reverse<u32>)> = BinaryHeap::new();
    let offer =
        |kids: &[u32], seen: &mut BinaryHeap<Reverse<u64>>, frontier: &mut BinaryHeap<_>| {
            for (i, &c) in kids.iter().enumerate() {
                // The super-root's children may be millions, their sizes all over memory.
                if let Some(&ahead) = kids.get(i + 16) {
                    heapscope_graph::dominators::prefetch(retained, ahead as usize);
                }
                let Some(&r) = retained.get(c as usize) else {
                    continue;
                };
                if seen.len() < k {
                    seen.push(Reverse(r));
                } else if r < floor(seen) {
                    continue;
                } else if let Some(mut least) = seen.peek_mut() {
                    if r > least.0 {
                        *least = Reverse(r);
                    }
                }
                frontier.push((r, Reverse(c)));
            }
        };
    offer(a.dominated(None), &mut seen, &mut frontier);
    let mut taken: Vec<(u64, u32)> = Vec::new();
    // A tree takes each node once; the bound only guards malformed children lists.
    let mut left = a.graph.node_count();
    while let Some(&(r, Reverse(v))) = frontier.peek() {
        if r < floor(&seen) || left == 0 {
            break;
        }
        left -= 1;
        frontier.pop();
        taken.push((r, v));
        offer(a.dominated(Some(NodeIdx(v))), &mut seen, &mut frontier);
    }
    taken.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    taken.truncate(k);
    taken.into_iter().map(|(_, v)| NodeIdx(v)).collect()
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
    // One scan of `idom` as a slice (millions of nodes, a few unreachable): blocks with no
    // unreached node are skipped whole (a branch-free test the compiler vectorises), and the
    // scan ends at the last unreached node the summary counts (the 44.8 M-object JDK dump of
    // benches/ has 207).
    let idom: &[u32] = &a.dom.idom;
    let mut left = a.summary.unreachable_nodes;
    'scan: for (b, block) in idom.chunks(UNREACHED_BLOCK).enumerate() {
        if !block
            .iter()
            .fold(false, |any, &d| any | (d == heapscope_graph::UNREACHED))
        {
            continue;
        }
        for (i, _) in block
            .iter()
            .enumerate()
            .filter(|(_, &d)| d == heapscope_graph::UNREACHED)
        {
            let v = b * UNREACHED_BLOCK + i;
            let e = by_type.entry(g.type_of[v]).or_default();
            e.0 += g.count(NodeIdx(v as u32));
            e.1 += g.shallow[v];
            left = left.saturating_sub(1);
            if left == 0 {
                break 'scan;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use heapscope_graph::facts::{
        Details, FormatDetails, Frame, FrameLine, HprofDetails, Thread, ThreadRoot,
        TracemallocDetails, V8Details,
    };
    use heapscope_graph::{IdDisplay, Runtime};

    use crate::findings::tests::Rng;

    fn threads(r: &mut Rng, n: usize) -> Vec<Thread> {
        (0..n)
            .map(|t| Thread {
                name: format!("worker-{t} \"q\""),
                serial: r.below(1 << 20) as u32,
                object: 0x6000_0000 + r.below(1 << 30),
                frames: (0..r.below(6))
                    .map(|f| Frame {
                        function: format!("com.acme.C{t}.m{f}"),
                        file: (r.below(3) > 0).then(|| format!("C{t}.java")),
                        line: match r.below(5) {
                            0 => FrameLine::Native,
                            1 => FrameLine::Compiled,
                            2 => FrameLine::Unknown,
                            3 => FrameLine::Missing,
                            _ => FrameLine::Line(r.below(900) as u32 + 1),
                        },
                    })
                    .collect(),
            })
            .collect()
    }

    fn json(d: &Details, by_value: bool) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::pretty(&mut out);
        if by_value {
            sorted_details_by_value(d, &mut ser).unwrap();
        } else {
            sorted_details(d, &mut ser).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn details_streamed_as_the_sorted_map_wrote_them() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..60 {
            let format = match case % 5 {
                0 => FormatDetails::None,
                1 => FormatDetails::Hprof(HprofDetails {
                    hprof_version: "1.0.2".into(),
                    id_size: 8,
                    records: r.below(1000),
                    layout_votes: [r.below(9), 1, 2, 3, 4, r.below(9)],
                    size_model: "hotspot".into(),
                    android_heaps: (0..r.below(3)).map(|i| format!("heap{i}")).collect(),
                    ..HprofDetails::default()
                }),
                2 => FormatDetails::V8(V8Details {
                    node_fields: vec!["type".into(), "name".into()],
                    ..V8Details::default()
                }),
                3 => FormatDetails::Tracemalloc(TracemallocDetails {
                    traces: r.below(1 << 20),
                    group_by: "traceback".into(),
                    ..TracemallocDetails::default()
                }),
                _ => FormatDetails::Hprof(HprofDetails::default()),
            };
            let threads = match r.below(3) {
                0 => None,
                1 => Some(Vec::new()),
                _ => {
                    let n = r.below(12) as usize;
                    Some(threads(&mut r, n))
                }
            };
            let d = Details { threads, format };
            let streamed = json(&d, false);
            assert_eq!(streamed, json(&d, true), "case {case}");
            // And the value is one JSON object whose keys ascend.
            let v: serde_json::Value = serde_json::from_str(&streamed).unwrap();
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "case {case}: {keys:?}"
            );
        }
    }

    /// The holders' lookup as it was: every root of the dump (not one per object), by its
    /// printed id, sorted, searched by the path's, the minimum of its roots taken.
    fn naive_of_path(
        info: &DumpFacts,
        all: &[ThreadRoot],
        first: &str,
    ) -> Option<(u32, Option<u32>)> {
        let threads = info.threads();
        let own = |r: &ThreadRoot| {
            r.frame().is_none()
                && threads
                    .get(r.thread as usize)
                    .is_some_and(|t| t.object == r.object)
        };
        let mut by_id: Vec<(String, usize)> = all
            .iter()
            .enumerate()
            .map(|(i, r)| (info.id_text(r.object), i))
            .collect();
        by_id.sort();
        by_id
            .iter()
            .filter(|(id, _)| id == first)
            .map(|&(_, i)| all[i])
            .min_by_key(|r| (!own(r), r.frame().is_none(), r.frame(), r.thread))
            .and_then(|r| {
                threads
                    .get(r.thread as usize)
                    .map(|_| (r.thread, r.frame()))
            })
    }

    #[test]
    fn thread_holders_by_id_match_the_printed_id_lookup() {
        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let mut held = 0;
        for case in 0..40 {
            let display = if case % 2 == 0 {
                IdDisplay::Hex
            } else {
                IdDisplay::Decimal
            };
            let mut info = DumpFacts::object_graph("test", Runtime::Jvm);
            info.id_display = display;
            let n = 1 + r.below(8) as usize;
            let list = threads(&mut r, n);
            // Objects from a small pool, so several roots share one, and thread objects among them.
            let pool: Vec<u64> = (0..1 + r.below(20))
                .map(|i| match r.below(3) {
                    0 => list[r.below(list.len() as u64) as usize].object,
                    1 => i,
                    _ => r.below(u64::MAX) >> r.below(64),
                })
                .collect();
            let all: Vec<ThreadRoot> = (0..r.below(200))
                .map(|_| {
                    let thread = r.below(list.len() as u64 + 1) as u32; // one past: no thread
                    let object = pool[r.below(pool.len() as u64) as usize];
                    ThreadRoot::new(object, thread, (r.below(3) > 0).then(|| r.below(7) as u32))
                })
                .collect();
            let mut kept = all.clone();
            ThreadRoot::keep_one_per_object(&mut kept, &list);
            info.thread_roots = kept.into();
            info.details.threads = Some(list);
            let holders = ThreadHolders::new(&info);
            let mut asked: Vec<String> = pool.iter().map(|&o| info.id_text(o)).collect();
            // Printed forms no root has: the other base, leading zeros, signs, junk.
            asked.extend(pool.iter().map(|&o| format!("0x0{o:x}")));
            asked.extend(pool.iter().map(|&o| format!("0x{o:X}")));
            asked.extend(pool.iter().map(|&o| format!("+{o}")));
            asked.extend(pool.iter().map(|&o| IdDisplay::Decimal.text(o)));
            asked.extend(pool.iter().map(|&o| IdDisplay::Hex.text(o)));
            asked.extend(["", "0x", "x1", "18446744073709551616"].map(String::from));
            for first in asked {
                let path = [PathElem {
                    id: first.clone(),
                    type_name: "T".into(),
                    via: None,
                    root_kind: None,
                    weak: false,
                    retained_bytes: None,
                }];
                let got = holders.of_path(&path).map(|t| {
                    let ti = info
                        .threads()
                        .iter()
                        .position(|x| x.name == t.name)
                        .unwrap();
                    (ti as u32, t.frame)
                });
                assert_eq!(
                    got,
                    naive_of_path(&info, &all, &first),
                    "case {case}, id {first:?}"
                );
                held += usize::from(got.is_some());
            }
            assert!(holders.of_path(&[]).is_none());
        }
        assert!(held > 100, "only {held} lookups found a thread");
    }

    /// A random heap of `n` nodes: four types, sizes of 0 to 24 bytes (many ties, parents that
    /// retain what their one child does), random edges, a few roots; often nodes no root
    /// reaches, some in runs longer than a block of [`UNREACHED_BLOCK`].
    fn random_heap(r: &mut Rng, n: usize) -> Analysis {
        use heapscope_graph::{GraphBuilder, NodeKind};
        let mut b = GraphBuilder::new();
        let ts: Vec<_> = (0..4).map(|i| b.intern_type(&format!("T{i}"))).collect();
        let mut edges: Vec<Vec<u32>> = vec![Vec::new(); n];
        let fan = r.below(4);
        for (i, es) in edges.iter_mut().enumerate() {
            let size = 8 * r.below(4);
            b.add_node(
                0x100 + 8 * i as u64,
                ts[r.below(4) as usize],
                NodeKind::Object,
                size,
            );
            // Unreached runs: nodes with no edge in, far from the roots.
            if i % 150 > 70 && r.below(3) == 0 {
                continue;
            }
            for _ in 0..r.below(fan + 1) {
                es.push(r.below(n as u64) as u32);
            }
            if r.below(3) == 0 && i + 1 < n {
                es.push(i as u32 + 1);
            }
        }
        for _ in 0..1 + r.below(4) {
            b.add_root_idx(NodeIdx(r.below(n as u64) as u32), "static", None);
        }
        crate::findings::tests::analyse(b, &edges)
    }

    /// Calls `f` with each of 300 [`random_heap`]s of 1 to 400 nodes and its node count.
    fn each_random_heap(seed: u64, mut f: impl FnMut(usize, &Analysis)) {
        let mut r = Rng(seed);
        for _ in 0..300 {
            let n = 1 + r.below(400) as usize;
            f(n, &random_heap(&mut r, n));
        }
    }

    /// The top of the dominator tree gives the nodes and order of the scan of every retained
    /// size ([`Analysis::top_retained`]), for every `k` up to past the node count.
    #[test]
    fn top_retained_from_the_tree_equals_the_scan() {
        let mut ties = 0;
        each_random_heap(0x5eed_0013, |n, a| {
            for k in [0, 1, 2, 3, 7, 20, n / 2, n, n + 5] {
                let want = a.top_retained(k);
                let got = top_retained(a, k);
                assert_eq!(got, want, "n = {n}, k = {k}");
                ties += want
                    .windows(2)
                    .filter(|w| a.retained[w[0].ix()] == a.retained[w[1].ix()])
                    .count();
            }
        });
        assert!(ties > 100, "only {ties} ties");
    }

    /// The unreachable histogram's block scan, which stops at the last unreached node, counts
    /// what a test of every node's `idom` counts.
    #[test]
    fn unreachable_histogram_equals_a_count_of_every_node() {
        let mut with = 0;
        each_random_heap(0x0b10_c4ed, |n, a| {
            let g = &a.graph;
            let mut want: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
            for v in (0..n as u32).filter(|&v| !a.dom.is_reachable(v)) {
                let e = want.entry(g.type_name(NodeIdx(v)).to_string()).or_default();
                e.0 += 1;
                e.1 += g.shallow[v as usize];
            }
            with += usize::from(!want.is_empty());
            let got: std::collections::BTreeMap<String, (u64, u64)> =
                unreachable_histogram(a, usize::MAX)
                    .into_iter()
                    .map(|h| (h.type_name, (h.count, h.shallow_bytes)))
                    .collect();
            assert_eq!(got, want, "n = {n}");
            let some = unreachable_histogram(a, 2);
            assert_eq!(some.len(), want.len().min(2));
        });
        assert!(with > 100, "only {with} heaps with unreached nodes");
    }
}
