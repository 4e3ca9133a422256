//! Per-dump groups that the over-time reports compare: per type (no row dropped, so pprof's
//! flat-0 functions keep their `cum`) and, for object heaps, per path-to-root signature.
//!
//! A [`DumpSummary`] is small (one entry per type and per signature, and for stable ids 12 B
//! per object), so a trend over many big dumps keeps only summaries, never the graphs. Its
//! rows are [`Rows`]: names end to end in one buffer, sorted, with their numbers in flat
//! arrays; with the ids these are [`Column`]s, which [`DumpSummary::spill`] moves to spill
//! files (page cache, not anonymous memory) while later dumps are analysed.

use std::collections::HashMap;

use heapscope_graph::hash::FxHashMap;
use heapscope_graph::{
    Analysis, Column, Comparison, DumpFacts, IdDisplay, Inspector, Label, MemStats, Model, NodeIdx,
    NodeKind, Spill, SUPER, UNREACHED, WEAK_BIT,
};

use heapscope_graph::spill::{Arr, Files, Heap, Store};
use heapscope_graph::walks::{DomWalk, Start, Step};

use super::model::{DumpRef, Stat};
use crate::build::InputMeta;

/// How many references a path signature walks up from an object towards its GC root at most.
/// A signature stops earlier at a class object (a static field's holder) or at a GC root, so
/// `class com.acme.Cache > map > java.util.HashMap > table > java.util.HashMap$Node[] > [] >
/// java.util.HashMap$Node > value > com.acme.Entry` fits; 8 steps cover the collections of the
/// JDK, V8 and CPython without reaching into the unrelated parts of a root path. References from
/// an object to one of its own type are not steps: a chain `T > next > T > after > T` is one `T`
/// (see [`PathGroups`]).
pub const SIGNATURE_STEPS: usize = 8;

/// The separator of a path signature, as in `static Cache.map > HashMap > Node[]`.
pub const SIGNATURE_SEPARATOR: &str = " > ";

/// One dump reduced to what diff and trend compare.
#[derive(Clone, Debug)]
pub struct DumpSummary {
    pub dump: DumpRef,
    /// The facts of the dump that decide how it is compared.
    pub model: Model,
    pub comparison: Comparison,
    pub id_display: IdDisplay,
    /// What a type row is (`class`, `constructor`, `function`, `lineno` …).
    pub row_key: &'static str,
    /// Call trees grouped by source location: per type name, its `(file, line)` frames.
    pub locations: HashMap<String, Vec<(Box<str>, u32)>>,
    pub timestamp_ms: Option<i64>,
    /// Per type name (each name once), sorted by name.
    pub types: Rows,
    /// Object heaps only: per (signature text) — the last element of the signature is the type.
    pub paths: Rows,
    /// V8: the dump's node ids, sorted (ids are stable within a process).
    pub ids: Option<Column<u64>>,
    /// With `ids`: the type of each id, as an index into `types` (the survivors of a trend are
    /// told from a cache's churn by how many of a type's new objects remain).
    pub id_types: Option<Column<u32>>,
    /// Go's runtime.MemStats, when the dump carries them.
    pub memstats: Option<MemStats>,
    pub warnings: Vec<String>,
}

impl DumpSummary {
    /// Move the summary's arrays (ids, their types, the rows' names and numbers) of at least
    /// `spill.min_bytes` each to spill files in `spill`'s directory (mapped private: page cache
    /// the kernel can drop, read back when the report is built). The contents, and so every
    /// report made from the summary, stay the same. Where an array cannot be written it stays
    /// in memory and the summary's warnings say why (once).
    pub fn spill(&mut self, spill: &Spill) {
        let mut failed: Option<String> = None;
        let mut keep = |r: Result<bool, String>| {
            if let Err(e) = r {
                failed.get_or_insert(e);
            }
        };
        if let Some(ids) = &mut self.ids {
            keep(ids.spill(spill));
        }
        if let Some(t) = &mut self.id_types {
            keep(t.spill(spill));
        }
        for rows in [&mut self.types, &mut self.paths] {
            for r in rows.spill(spill) {
                keep(Err(r));
            }
        }
        if let Some(e) = failed {
            let w = format!("a summary stays in memory: {e}");
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// Anonymous bytes the summary's arrays hold (0 for those in spill files).
    pub fn heap_bytes(&self) -> usize {
        self.ids.as_ref().map_or(0, Column::heap_bytes)
            + self.id_types.as_ref().map_or(0, Column::heap_bytes)
            + self.types.heap_bytes()
            + self.paths.heap_bytes()
    }
}

/// Named rows (types or path signatures) with a [`Stat`] each, sorted by name: the names end to
/// end in one buffer with an 8 B end each, the numbers 24 B a row (~40 B a row besides the name's
/// bytes, was 48 + a heap block per name).
#[derive(Clone, Debug, Default)]
pub struct Rows {
    text: Column<u8>,
    ends: Column<u64>,
    /// count, shallow bytes, retained bytes, per row.
    stats: Column<u64>,
}

impl Rows {
    /// The rows of `(name, stat)` pairs (each name once), sorted by name.
    pub fn from_pairs(mut pairs: Vec<(String, Stat)>) -> Rows {
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        debug_assert!(pairs.windows(2).all(|w| w[0].0 != w[1].0));
        let bytes = pairs.iter().map(|p| p.0.len()).sum();
        let mut text = Vec::with_capacity(bytes);
        let mut ends = Vec::with_capacity(pairs.len());
        let mut stats = Vec::with_capacity(pairs.len() * 3);
        for (name, s) in pairs {
            text.extend_from_slice(name.as_bytes());
            ends.push(text.len() as u64);
            stats.extend([s.count, s.shallow_bytes, s.retained_bytes]);
        }
        Rows {
            text: Column::from(text),
            ends: Column::from(ends),
            stats: Column::from(stats),
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name of row `i` (empty past the end).
    pub fn name(&self, i: usize) -> &str {
        let end = self.ends.get(i).map_or(0, |&e| e as usize);
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).map_or(0, |&e| e as usize),
        };
        // Written from `&str`s by `from_pairs`: always UTF-8, the check is for a damaged file.
        self.text
            .get(start..end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The numbers of row `i` (zeros past the end).
    pub fn stat(&self, i: usize) -> Stat {
        match self.stats.get(3 * i..3 * i + 3) {
            Some(&[count, shallow_bytes, retained_bytes]) => Stat {
                count,
                shallow_bytes,
                retained_bytes,
            },
            _ => Stat::default(),
        }
    }

    /// Every row, by name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, Stat)> + '_ {
        (0..self.len()).map(|i| (self.name(i), self.stat(i)))
    }

    /// The row named `name`.
    pub fn find(&self, name: &str) -> Option<Stat> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.name(mid).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.stat(mid)),
            }
        }
        None
    }

    /// [`Column::spill`] of the three arrays; the reasons of those that stay in memory.
    pub fn spill(&mut self, spill: &Spill) -> Vec<String> {
        [
            self.text.spill(spill),
            self.ends.spill(spill),
            self.stats.spill(spill),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect()
    }

    /// Anonymous bytes held (0 once spilled).
    pub fn heap_bytes(&self) -> usize {
        self.text.heap_bytes() + self.ends.heap_bytes() + self.stats.heap_bytes()
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = (&'a str, Stat);
    type IntoIter = Box<dyn ExactSizeIterator<Item = (&'a str, Stat)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// One dump as the over-time reports read it.
#[derive(Clone, Copy)]
pub struct Dump<'a> {
    pub a: &'a Analysis,
    pub info: &'a DumpFacts,
    pub meta: &'a InputMeta,
    /// Names class objects in path signatures (`class com.acme.Cache` rather than
    /// `java.lang.Class`), when the parser's inspector knows them.
    pub insp: Option<&'a dyn Inspector>,
}

/// Reduce one dump to its groups.
pub fn summarize(d: Dump) -> DumpSummary {
    summarize_with_groups(d).0
}

/// [`summarize`], keeping the path groups (object graphs) for questions about the same dump.
pub fn summarize_with_groups(d: Dump) -> (DumpSummary, Option<PathGroups>) {
    summarize_with(d, &Heap)
}

/// [`summarize_with_groups`], out of core where `spill` says so
/// ([`Spill::is_out_of_core`]): the per-node arrays (the path groups' 17 B while computed and
/// 12 B kept, the ids' sort 12 B) then live in spill files, not in anonymous memory, and the
/// summary's ids are in spill files from the start. The same summary and groups either way.
pub fn summarize_in(d: Dump, spill: &Spill) -> (DumpSummary, Option<PathGroups>) {
    match (&spill.dir, spill.is_out_of_core()) {
        (Some(dir), true) => {
            let files = Files::new(dir.clone());
            let (mut s, groups) = summarize_with(d, &files);
            if let Some(e) = files.take_warning() {
                s.warnings
                    .push(format!("a summary's working array stays in memory: {e}"));
            }
            (s, groups)
        }
        _ => summarize_with(d, &Heap),
    }
}

fn summarize_with<S: Store>(d: Dump, store: &S) -> (DumpSummary, Option<PathGroups>) {
    let g = &d.a.graph;
    // Rows in type id order (`row_of`: a type id's row) for the ids' types, as the rows were
    // numbered before they were sorted by name (a repeated id keeps the type of the lowest
    // row: the same in both orders' terms), then renumbered by name (`by_name`).
    let stats = type_stats(d.a);
    let mut row_of = vec![u32::MAX; g.types.len()];
    for (i, &(t, _)) in stats.iter().enumerate() {
        row_of[t as usize] = i as u32;
    }
    let mut named: Vec<(String, Stat, u32)> = stats
        .iter()
        .enumerate()
        .map(|(i, &(t, s))| (g.types.get(t).to_string(), s, i as u32))
        .collect();
    named.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut by_name = vec![0u32; named.len()];
    for (k, &(_, _, i)) in named.iter().enumerate() {
        by_name[i as usize] = k as u32;
    }
    let types = Rows::from_pairs(named.into_iter().map(|(n, s, _)| (n, s)).collect());
    let groups = (!d.info.is_call_tree()).then(|| PathGroups::compute_in(d.a, d.insp, store));
    let paths = Rows::from_pairs(groups.as_ref().map(|p| p.stats(d.a)).unwrap_or_default());
    let (ids, id_types) = match d.info.ids_stable {
        true => {
            let (ids, mut rows) = ids_with_rows(d.a, &row_of, store);
            for r in rows.iter_mut() {
                *r = by_name[*r as usize];
            }
            (Some(ids), Some(rows))
        }
        false => (None, None),
    };
    let memstats = d.info.memstats.clone();
    let locations = (0..g.types.len() as u32)
        .filter_map(|t| {
            let loc = d.info.rows.location(heapscope_graph::TypeId(t))?;
            Some((g.types.get(t).to_string(), loc.to_vec()))
        })
        .collect();
    let mut warnings = d.info.warnings.clone();
    for w in &g.warnings {
        if !warnings.contains(w) {
            warnings.push(w.clone());
        }
    }
    let summary = DumpSummary {
        dump: dump_ref(d),
        model: d.info.model,
        comparison: d.info.comparison,
        id_display: d.info.id_display,
        row_key: d.info.rows.key,
        locations,
        timestamp_ms: d.info.timestamp_ms,
        types,
        paths,
        ids,
        id_types,
        memstats,
        warnings,
    };
    (summary, groups)
}

pub fn dump_ref(d: Dump) -> DumpRef {
    let g = &d.a.graph;
    let objects = (0..g.node_count())
        .map(|v| g.count(NodeIdx(v as u32)))
        .sum();
    DumpRef {
        path: d.meta.path.clone(),
        format: d.info.format_name.to_string(),
        model: d.info.model,
        size_bytes: d.meta.size_bytes,
        sample_type: d.info.sample_type.clone(),
        timestamp: d.info.timestamp.clone(),
        total_bytes: d.a.summary.total_bytes,
        reachable_bytes: d.a.summary.reachable_bytes,
        objects,
    }
}

/// The node ids of a dump, sorted and each once, and beside each the row (`row_of` its type)
/// of the first node with it in (id, row) order, in arrays from `store`. One sort of 8 B per
/// node, id and row packed, where the largest id leaves room for the rows' bits (V8's ids do);
/// else of (id, row) pairs on the heap, 16 B each. Peak 12 B per node (the packed keys become
/// the ids in place).
pub fn ids_with_rows<S: Store>(
    a: &Analysis,
    row_of: &[u32],
    store: &S,
) -> (Column<u64>, Column<u32>) {
    let g = &a.graph;
    let n = g.node_count();
    let row = |v: usize| row_of[g.type_of[v] as usize];
    let max_row = (0..n).map(row).max().unwrap_or(0);
    let bits = u64::BITS - u64::from(max_row).leading_zeros();
    let max_id = g.ids.iter().copied().max().unwrap_or(0);
    let packs = bits < u64::BITS && (bits == 0 || max_id >> (u64::BITS - bits) == 0);
    if !packs {
        let mut by_id: Vec<(u64, u32)> = (0..n).map(|v| (g.ids[v], row(v))).collect();
        by_id.sort_unstable();
        by_id.dedup_by_key(|p| p.0);
        let (ids, rows): (Vec<u64>, Vec<u32>) = by_id.into_iter().unzip();
        return (Column::from(ids), Column::from(rows));
    }
    let mask = (1u64 << bits) - 1;
    let mut keys: S::Arr<u64> = store.with_capacity(n);
    for v in 0..n {
        keys.push((g.ids[v] << bits) | u64::from(row(v)));
    }
    keys.sort_unstable();
    let mut rows: S::Arr<u32> = store.with_capacity(n);
    let mut w = 0;
    for r in 0..keys.len() {
        let (id, t) = (keys[r] >> bits, (keys[r] & mask) as u32);
        if w > 0 && keys[w - 1] == id {
            continue;
        }
        keys[w] = id;
        rows.push(t);
        w += 1;
    }
    keys.truncate(w);
    (keys.into_column(), rows.into_column())
}

/// The node ids of a dump, sorted.
pub fn sorted_ids(a: &Analysis) -> Vec<u64> {
    let mut ids = a.graph.ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Count, shallow and minimum retained size per type id, for every type that has a node: the
/// graph histogram's numbers without its filter (a pprof function that is never a leaf still has
/// its `cum`).
pub fn type_stats(a: &Analysis) -> Vec<(u32, Stat)> {
    let g = &a.graph;
    let nt = g.types.len();
    let mut rows = vec![Stat::default(); nt];
    let mut present = vec![false; nt];
    for v in 0..g.node_count() {
        let t = g.type_of[v] as usize;
        present[t] = true;
        rows[t].count += g.count(NodeIdx(v as u32));
        rows[t].shallow_bytes += g.shallow[v];
    }
    let retained = min_retained_by(a, |v| g.type_of[v as usize], nt);
    (0..nt)
        .filter(|&t| present[t])
        .map(|t| {
            (
                t as u32,
                Stat {
                    retained_bytes: retained[t],
                    ..rows[t]
                },
            )
        })
        .collect()
}

/// MAT's minimum retained size of node sets, per group ([`heapscope_graph::walks::min_retained_by`]
/// from the super-root). `group_of` returns `u32::MAX` for nodes in no group.
pub fn min_retained_by(a: &Analysis, group_of: impl Fn(u32) -> u32, groups: usize) -> Vec<u64> {
    a.min_retained_by(heapscope_graph::Start::SuperRoot, groups, group_of)
}

/// FNV-1a over a string: signatures must hash the same names the same in every dump (type and
/// label ids differ between dumps).
fn fnv(s: &str) -> u64 {
    heapscope_graph::hash::fnv1a(heapscope_graph::hash::FNV_OFFSET, s.as_bytes())
}

fn combine(h: u64, x: u64) -> u64 {
    let mut z = h.rotate_left(23) ^ x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A reference label as a signature shows it: array indices and numeric property names become
/// `[]`, so every element of a collection shares one signature.
pub fn normalize_label(text: Option<&str>) -> &str {
    match text {
        None => "",
        Some(t) if t.starts_with('[') && t.ends_with(']') => "[]",
        Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => "[]",
        Some(t) => t,
    }
}

/// Reachable nodes grouped by path-to-root signature.
///
/// A chain of references between objects of one type (`HashMap$Node > next > HashMap$Node`,
/// `LinkedHashMap$Entry > after > LinkedHashMap$Entry > before > …`, a linked list, a tree) is
/// collapsed into one `T`, labels and all, as array indices are collapsed into `[]`: the shortest
/// path into a linked structure goes through whichever link the breadth-first search met first,
/// which changes as the structure churns, so without this the elements of one collection are
/// split among sibling signatures and move between them while the collection stays the same size
/// (testdata/java/healthy_series: an LRU `LinkedHashMap`). The collapsed chain takes the label
/// of the reference into its outermost element, and does not count towards [`SIGNATURE_STEPS`].
///
/// Per node it holds 12 B (group, parent, the parent edge's label) and while it is computed
/// 5 B more (the same-type chains' tops, a state byte): on the heap, or with
/// [`PathGroups::compute_in`] and the [`Files`] store (out of core) in spill files.
pub struct PathGroups {
    /// Group of each node (`u32::MAX`: unreachable).
    pub group_of: Column<u32>,
    /// A representative node of each group (the first in dominator-tree order).
    pub example: Vec<u32>,
    /// Label of the BFS-tree edge into each node (encoded [`Label`]), 0 for roots.
    parent_label: Column<u32>,
    /// BFS parent of each node (from [`heapscope_graph::RootPaths::parent`]).
    parent: Column<u32>,
    /// Class objects named by the inspector: node → `class <name>`.
    class_names: FxHashMap<u32, String>,
}

impl PathGroups {
    pub fn compute(a: &Analysis, insp: Option<&dyn Inspector>) -> PathGroups {
        Self::compute_in(a, insp, &Heap)
    }

    /// [`compute`](Self::compute) with the per-node arrays from `store` (spill files out of
    /// core); the same groups.
    pub fn compute_in<S: Store>(
        a: &Analysis,
        insp: Option<&dyn Inspector>,
        store: &S,
    ) -> PathGroups {
        let g = &a.graph;
        let n = g.node_count();
        let mut parent_nodes: S::Arr<u32> = store.filled(n, 0);
        for (v, p) in parent_nodes.iter_mut().enumerate() {
            *p = a.paths.parent(g, v as u32);
        }
        let parent = &parent_nodes[..];
        // The label of the BFS-tree edge into each node, in one pass over all edges (looking it
        // up per node would rescan huge arrays once per element).
        let mut parent_label: S::Arr<u32> = store.filled(n, 0);
        // 0: no edge seen yet, 1: a weak one, 2: a strong one (final).
        let mut state: S::Arr<u8> = store.filled(n, 0);
        for u in 0..n {
            for e in g.edge_range(NodeIdx(u as u32)) {
                let raw = g.targets[e];
                let t = (raw & !WEAK_BIT) as usize;
                if parent[t] != u as u32 || state[t] == 2 {
                    continue;
                }
                let strong = raw & WEAK_BIT == 0;
                if strong || state[t] == 0 {
                    parent_label[t] = g.edge_labels.get(e).copied().unwrap_or(0);
                    state[t] = if strong { 2 } else { 1 };
                }
            }
        }
        drop(state);
        let type_hash: Vec<u64> = (0..g.types.len() as u32)
            .map(|t| fnv(g.types.get(t)))
            .collect();
        // Class objects share one type (`java.lang.Class`); their names tell them apart.
        let mut class_names: FxHashMap<u32, String> = FxHashMap::default();
        if let Some(insp) = insp {
            for v in 0..n as u32 {
                if g.kind(NodeIdx(v)) == NodeKind::Class {
                    if let Some(name) = insp.value_preview(g, NodeIdx(v)) {
                        class_names.insert(v, format!("class {name}"));
                    }
                }
            }
        }
        let class_hash: FxHashMap<u32, u64> = class_names
            .iter()
            .map(|(&v, name)| (v, fnv(name)))
            .collect();
        let node_hash = |v: u32| {
            let by_type = || type_hash[g.type_of[v as usize] as usize];
            if class_hash.is_empty() || g.kind(NodeIdx(v)) != NodeKind::Class {
                return by_type();
            }
            class_hash.get(&v).copied().unwrap_or_else(by_type)
        };
        // Per label id the hash of its normalised text (every index label is `[]`).
        let name_hash: Vec<u64> = (0..g.labels.len() as u32)
            .map(|l| fnv(normalize_label(Some(g.labels.get(l)))))
            .collect();
        let (none_hash, index_hash) = (fnv(""), fnv("[]"));
        let label_h = |raw: u32| -> u64 {
            match Label::decode(raw) {
                Label::None => none_hash,
                Label::Index(_) => index_hash,
                Label::Name(id) => name_hash.get(id.0 as usize).copied().unwrap_or(none_hash),
            }
        };
        // The outermost node of each node's same-type chain (itself when its parent differs),
        // memoised so that a long linked list costs one walk, not one per element.
        let mut top: S::Arr<u32> = store.filled(n, u32::MAX);
        let mut chain: Vec<u32> = Vec::new();
        let mut top_of = |v: u32| -> u32 {
            let mut cur = v;
            while top[cur as usize] == u32::MAX {
                if !same_type_step(g, cur, parent) {
                    top[cur as usize] = cur;
                    break;
                }
                chain.push(cur);
                cur = parent[cur as usize];
            }
            let t = top[cur as usize];
            for c in chain.drain(..) {
                top[c as usize] = t;
            }
            t
        };
        let mut index: FxHashMap<u64, u32> = FxHashMap::default();
        let mut group_of: S::Arr<u32> = store.filled(n, u32::MAX);
        let mut example = Vec::new();
        // Any order groups the same; this one (the dominator tree's preorder) picks each
        // group's example (the first met).
        let preorder = DomWalk::new(&a.children, Start::SuperRoot).filter_map(|s| match s {
            Step::Enter(v) => Some(v),
            Step::Leave(_) => None,
        });
        for v in preorder {
            let mut h = node_hash(v);
            let mut cur = top_of(v);
            for _ in 0..SIGNATURE_STEPS {
                if stops_signature(g, cur, parent) {
                    break;
                }
                let p = parent[cur as usize];
                h = combine(h, label_h(parent_label[cur as usize]));
                h = combine(h, node_hash(p));
                cur = top_of(p);
            }
            let next = example.len() as u32;
            let gr = *index.entry(h).or_insert(next);
            if gr == next {
                example.push(v);
            }
            group_of[v as usize] = gr;
        }
        drop(top);
        PathGroups {
            group_of: group_of.into_column(),
            example,
            parent_label: parent_label.into_column(),
            parent: parent_nodes.into_column(),
            class_names,
        }
    }

    /// The signature of a node as text, outermost first.
    pub fn signature_text(&self, a: &Analysis, v: u32) -> String {
        let g = &a.graph;
        let parent = &self.parent;
        let name = |v: u32| match self.class_names.get(&v) {
            Some(n) => n.clone(),
            None => g.types.get(g.type_of[v as usize]).to_string(),
        };
        // Called once per group, so the same-type chains are walked here without a memo.
        let top_of = |mut cur: u32| {
            while same_type_step(g, cur, parent) {
                cur = parent[cur as usize];
            }
            cur
        };
        let mut parts: Vec<String> = vec![name(v)];
        let mut cur = top_of(v);
        for _ in 0..SIGNATURE_STEPS {
            if stops_signature(g, cur, parent) {
                break;
            }
            let p = parent[cur as usize];
            let label = g.label_text(Label::decode(self.parent_label[cur as usize]));
            let l = normalize_label(label.as_deref());
            if !l.is_empty() {
                parts.push(l.to_string());
            }
            parts.push(name(p));
            cur = top_of(p);
        }
        if parent[cur as usize] == SUPER {
            let kind = g
                .roots
                .iter()
                .find(|r| r.node.0 == cur)
                .map(|r| g.root_kind_name(r).to_string())
                .filter(|k| !k.is_empty());
            if let Some(k) = kind {
                parts.push(format!("[{k}]"));
            }
        }
        parts.reverse();
        parts.join(SIGNATURE_SEPARATOR)
    }

    /// Count, shallow and minimum retained size per signature, as (text, stat).
    pub fn stats(&self, a: &Analysis) -> Vec<(String, Stat)> {
        let g = &a.graph;
        let k = self.example.len();
        let mut rows = vec![Stat::default(); k];
        for (v, &gr) in self.group_of.iter().enumerate() {
            if gr != u32::MAX {
                rows[gr as usize].count += g.count(NodeIdx(v as u32));
                rows[gr as usize].shallow_bytes += g.shallow[v];
            }
        }
        let retained = min_retained_by(a, |v| self.group_of[v as usize], k);
        // Two groups can render the same text only through a hash collision; merge them then.
        let mut by_text: HashMap<String, Stat> = HashMap::with_capacity(k);
        for gr in 0..k {
            let e = by_text
                .entry(self.signature_text(a, self.example[gr]))
                .or_default();
            e.count += rows[gr].count;
            e.shallow_bytes += rows[gr].shallow_bytes;
            e.retained_bytes += retained[gr];
        }
        by_text.into_iter().collect()
    }
}

/// Is the reference into `cur` one from an object of the same type (a link of a linked
/// structure), which a signature collapses? Never across a signature's end, never for class
/// objects (they are told apart by name, and end a signature).
fn same_type_step(g: &heapscope_graph::HeapGraph, cur: u32, parent: &[u32]) -> bool {
    if stops_signature(g, cur, parent) {
        return false;
    }
    let p = parent[cur as usize];
    g.type_of[p as usize] == g.type_of[cur as usize] && g.kind(NodeIdx(p)) != NodeKind::Class
}

/// A signature ends at a GC root, at an unreached node, and after a class object (the holder of
/// a static field).
fn stops_signature(g: &heapscope_graph::HeapGraph, cur: u32, parent: &[u32]) -> bool {
    let p = parent[cur as usize];
    p == SUPER || p == UNREACHED || g.kind(NodeIdx(cur)) == NodeKind::Class
}
