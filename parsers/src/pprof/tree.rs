//! The call tree both pprof forms are folded into, and its translation into a [`HeapGraph`].
//!
//! One node per distinct call path (function names from the outermost frame down), so the
//! dominator tree of the graph is the call tree itself: a node's retained size is pprof's `cum`
//! of that path and its shallow size is `flat`. A node's id is the graph crate's call-tree hash of
//! the names on its path ([`heapscope_graph::calltree`]), so the same stack has the same id in
//! every profile (for diffs and trends).

use std::collections::BTreeMap;

use super::paths::{shared_with_earlier, Paths};
use heapscope_graph::calltree::NO_PARENT;
use heapscope_graph::hash::FxHashMap;
use heapscope_graph::{GraphBuilder, HeapGraph, Inspector, Interner, Label, NodeIdx, Policy};

/// One frame of a sample, outermost first in a stack: its function name, and its site (the
/// name, file and line, [`CallTree::frame`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub name: u32,
    pub site: u32,
}

/// What a parse saw besides the tree: totals per sample type, labels, oddities.
#[derive(Default)]
pub(crate) struct Seen {
    /// Sum of each sample type over all samples (as pprof's `total` for that index).
    pub totals: Vec<i64>,
    /// String labels: key → value → sum of the chosen sample value.
    pub labels: BTreeMap<String, BTreeMap<String, i64>>,
    /// Numeric labels: key → unit.
    pub num_labels: BTreeMap<String, String>,
    pub samples: u64,
    pub zero_samples: u64,
    pub negative_samples: u64,
    pub empty_stacks: u64,
    /// Stacks of exactly [`GO_STACK_CAP`] / [`GO_STACK_CAP_1_23`] frames (as the runtime
    /// recorded them: program counters, inlined calls included), and whether any stack was
    /// deeper than each.
    pub at_cap: [u64; 2],
    pub past_cap: [bool; 2],
}

/// The most frames the Go runtime records per stack before Go 1.23 (`runtime.MemProfile`'s
/// `maxStack`); from Go 1.23 `GODEBUG=profstackdepth=N` sets it, 128 by default
/// ([`GO_STACK_CAP_1_23`]).
pub(crate) const GO_STACK_CAP: usize = 32;
pub(crate) const GO_STACK_CAP_1_23: usize = 128;

impl Seen {
    pub fn totals(&mut self, values: &[i64]) {
        if self.totals.len() < values.len() {
            self.totals.resize(values.len(), 0);
        }
        for (t, v) in self.totals.iter_mut().zip(values) {
            *t = t.saturating_add(*v);
        }
    }
    pub fn label(&mut self, key: &str, value: &str, weight: i64) {
        let e = self
            .labels
            .entry(key.to_string())
            .or_default()
            .entry(value.to_string())
            .or_insert(0);
        *e = e.saturating_add(weight);
    }
    /// One sample's stack depth as the producer recorded it (text: the record's addresses;
    /// protobuf: its locations' lines).
    pub fn depth(&mut self, frames: usize) {
        for (i, cap) in [GO_STACK_CAP, GO_STACK_CAP_1_23].into_iter().enumerate() {
            self.at_cap[i] += u64::from(frames == cap);
            self.past_cap[i] |= frames > cap;
        }
    }
    /// The Go runtime's stack cap this profile's stacks reach, if any (none deeper than it), and
    /// how many stacks have exactly that many frames.
    pub fn go_stack_cap(&self) -> Option<(usize, u64)> {
        [GO_STACK_CAP, GO_STACK_CAP_1_23]
            .into_iter()
            .enumerate()
            .find(|&(i, _)| !self.past_cap[i])
            .map(|(i, cap)| (cap, self.at_cap[i]))
            .filter(|&(_, n)| n > 0)
    }
    pub fn num_label(&mut self, key: &str, unit: &str) {
        if !self.num_labels.contains_key(key) {
            self.num_labels.insert(key.to_string(), unit.to_string());
        }
    }
}

/// The call tree under construction ([`heapscope_graph::CallTree`], frames keyed by function
/// name), with the file and line of each node (the first sample that reached it).
///
/// Samples are held as call paths (4 B per frame: its site) until the tree is wanted
/// ([`CallTree::into_graph`]); then [`crate::pprof::paths`] finds where each leaves the paths
/// of those before it, and the nodes are appended in file order without a lookup — the tree,
/// its numbering and ids as inserting each sample in turn makes them. Past [`HELD_MAX`] samples
/// (never in practice) the held ones are built and the rest inserted one by one.
pub(crate) struct CallTree {
    tree: heapscope_graph::CallTree,
    /// Per name id: 0 not yet judged, 1 a runtime frame pprof drops ([`CallTree::prunable`]), 2 not.
    prunable: Vec<u8>,
    files: Interner,
    file: Vec<u32>,
    line: Vec<u32>,
    with_objects: bool,
    /// Distinct `(name, file, line)` of frames, by site id: name, file and line columns.
    sites: FxHashMap<(u32, u32, u32), u32>,
    site_name: Vec<u32>,
    site_file: Vec<u32>,
    site_line: Vec<u32>,
    /// Samples not yet in the tree, in file order: where each one's sites start in `held`
    /// (one more entry: the end), and its value and objects.
    starts: Vec<usize>,
    held: Vec<u32>,
    values: Vec<(u64, u64)>,
    /// The most samples held before they are built ([`HELD_MAX`]; less in tests).
    held_max: usize,
    /// Samples past `held_max` are inserted one by one: the path of the previous one, `(name,
    /// node)` per frame outermost first (the next one starts below the part they share).
    direct: bool,
    prev: Vec<(u32, u32)>,
}

/// The most samples held as paths (their indices are `u32`).
const HELD_MAX: usize = u32::MAX as usize - 1;

impl CallTree {
    pub fn new(with_objects: bool) -> Self {
        let mut files = Interner::new();
        files.intern("");
        CallTree {
            tree: heapscope_graph::CallTree::new(),
            prunable: Vec::new(),
            files,
            file: Vec::new(),
            line: Vec::new(),
            with_objects,
            sites: FxHashMap::default(),
            site_name: Vec::new(),
            site_file: Vec::new(),
            site_line: Vec::new(),
            starts: vec![0],
            held: Vec::new(),
            values: Vec::new(),
            held_max: HELD_MAX,
            direct: false,
            prev: Vec::new(),
        }
    }

    pub fn intern_name(&mut self, s: &str) -> u32 {
        self.tree.intern_frame(s.as_bytes())
    }
    pub fn intern_file(&mut self, s: &str) -> u32 {
        self.files.intern(s)
    }

    /// The frame of function `name` (an [`CallTree::intern_name`] id) at `file` (an
    /// [`CallTree::intern_file`] id) and `line`.
    pub fn frame(&mut self, name: u32, file: u32, line: u32) -> Frame {
        let next = self.site_name.len() as u32;
        let site = *self.sites.entry((name, file, line)).or_insert(next);
        if site == next {
            self.site_name.push(name);
            self.site_file.push(file);
            self.site_line.push(line);
        }
        Frame { name, site }
    }

    /// Whether `name` is judged by `judge` (cached per name id: the judgement is a pure function
    /// of the name).
    pub fn prunable(&mut self, name: u32, judge: impl FnOnce(&str) -> bool) -> bool {
        let i = name as usize;
        if i >= self.prunable.len() {
            self.prunable.resize(i + 1, 0);
        }
        if self.prunable[i] == 0 {
            self.prunable[i] = if judge(&self.tree.frame_name(name)) {
                1
            } else {
                2
            };
        }
        self.prunable[i] == 1
    }

    /// Add one sample: its frames outermost first, the chosen value and the object count.
    /// Samples worth 0 for the chosen type are not drawn, as pprof does.
    pub fn add_sample(
        &mut self,
        frames: &[Frame],
        value: i64,
        objects: Option<i64>,
        seen: &mut Seen,
    ) {
        seen.samples += 1;
        if value == 0 {
            seen.zero_samples += 1;
            return;
        }
        let value = if value < 0 {
            seen.negative_samples += 1;
            0
        } else {
            value as u64
        };
        let objects = objects.unwrap_or(0).max(0) as u64;
        let none;
        let frames = if frames.is_empty() {
            seen.empty_stacks += 1;
            let name = self.intern_name("(no frames)");
            none = [self.frame(name, 0, 0)];
            &none[..]
        } else {
            frames
        };
        if !self.direct && (self.values.len() >= self.held_max || frames.len() >= HELD_MAX) {
            self.build_held();
            self.direct = true;
        }
        if self.direct {
            let node = self.insert(frames);
            self.tree.add(node, value, objects);
        } else {
            self.held.extend(frames.iter().map(|f| f.site));
            self.starts.push(self.held.len());
            self.values.push((value, objects));
        }
    }

    /// Insert one path below the part it shares with the previous one; its last node.
    fn insert(&mut self, frames: &[Frame]) -> u32 {
        let shared = self
            .prev
            .iter()
            .zip(frames)
            .take_while(|((name, _), f)| *name == f.name)
            .count();
        self.prev.truncate(shared);
        let mut cur = self.prev.last().map_or(NO_PARENT, |&(_, node)| node);
        for f in &frames[shared..] {
            let (c, new) = self.tree.child(cur, f.name);
            if new {
                let s = f.site as usize;
                self.file.push(self.site_file[s]);
                self.line.push(self.site_line[s]);
            }
            cur = c;
            self.prev.push((f.name, cur));
        }
        cur
    }

    /// Put the held samples into the tree (which holds no node yet), in file order.
    fn build_held(&mut self) {
        let held = std::mem::take(&mut self.held);
        let starts = std::mem::take(&mut self.starts);
        let values = std::mem::take(&mut self.values);
        let names: Vec<u32> = held.iter().map(|&s| self.site_name[s as usize]).collect();
        let paths = Paths {
            start: &starts,
            names: &names,
            distinct: self.site_name.iter().max().map_or(0, |&m| m as usize + 1),
        };
        let shared = shared_with_earlier(&paths);
        drop(names);
        let n = values.len();
        // The first node each sample made (the one below the path it shares; the rest of its
        // new nodes follow it), and the node each sample ends at.
        let mut first = vec![0u32; n];
        let mut end = vec![0u32; n];
        let made = held.len() - shared.iter().map(|&(d, _)| d as usize).sum::<usize>();
        self.tree.reserve(made);
        self.file.reserve(made);
        self.line.reserve(made);
        for i in 0..n {
            let (depth, j) = shared[i];
            let mut node = NO_PARENT;
            if depth > 0 {
                // The node at `depth` on maker `j`'s path: `j` made those past its own shared
                // depth, in order from `first[j]`.
                node = first[j as usize] + (depth - 1 - shared[j as usize].0);
            }
            first[i] = self.tree.len() as u32;
            let new = &held[starts[i] + depth as usize..starts[i + 1]];
            let site_name = &self.site_name;
            node = self
                .tree
                .push_new_chain(node, new.iter().map(|&s| site_name[s as usize]));
            for &s in new {
                self.file.push(self.site_file[s as usize]);
                self.line.push(self.site_line[s as usize]);
            }
            end[i] = node;
        }
        drop((held, starts, shared, first));
        self.tree.finish_new();
        for (&node, &(value, objects)) in end.iter().zip(&values) {
            self.tree.add(node, value, objects);
        }
    }

    /// Turn the tree into a graph: outermost frames are the roots, every node a `Frame`
    /// with its function name as type, edges from caller to callee.
    pub fn into_graph(mut self, warnings: Vec<String>) -> (HeapGraph, FrameInspector) {
        if !self.direct {
            self.build_held();
        }
        let mut b = GraphBuilder::new().without_labels();
        let t = &self.tree;
        t.fill_graph(
            &mut b,
            |b, i| b.intern_type(&t.frame_name(t.frame()[i])),
            Label::None,
            self.with_objects,
        );
        for w in warnings {
            b.warn(w);
        }
        let graph = b.finish(Policy::TREE);
        let inspector = FrameInspector {
            files: self.files,
            file: self.file,
            line: self.line,
        };
        (graph, inspector)
    }
}

/// Source lines of frames: the file and line of each call-tree node (the first sample that
/// reached it).
pub struct FrameInspector {
    files: Interner,
    file: Vec<u32>,
    line: Vec<u32>,
}

impl FrameInspector {
    pub(crate) fn restore(
        d: &mut heapscope_graph::saved::Dec,
    ) -> Result<Self, heapscope_graph::saved::Bad> {
        let k = d.count(4)?;
        let mut files = Interner::new();
        for i in 0..k {
            let at = d.bad("distinct file names");
            if files.intern(d.str()?) as usize != i {
                return Err(at);
            }
        }
        let (file, line) = (d.u32s()?, d.u32s()?);
        d.end()?;
        Ok(FrameInspector { files, file, line })
    }
}

impl Inspector for FrameInspector {
    fn saved_state(&self) -> Vec<u8> {
        let mut e = heapscope_graph::saved::Enc::new();
        e.len(self.files.len());
        for (_, s) in self.files.iter() {
            e.str(s);
        }
        e.u32s(&self.file);
        e.u32s(&self.line);
        e.buf
    }
    fn source_line(&self, _g: &HeapGraph, node: NodeIdx) -> Option<String> {
        let f = *self.file.get(node.ix())?;
        if f == 0 {
            return None;
        }
        let file = self.files.get(f);
        match self.line.get(node.ix()) {
            Some(&l) if l > 0 => Some(format!("{file}:{l}")),
            _ => Some(file.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CallTree, Frame, Seen, NO_PARENT};

    /// Random samples over a few functions, each at two files and lines: shared stems, repeats,
    /// prefixes of earlier stacks, depths 1 to 64, empty stacks, zero and negative values.
    /// A sample: its frames (function, file, line) outermost first, value and objects.
    type Sample = (Vec<(u32, u32, u32)>, i64, i64);

    fn samples(seed: u64, n: usize) -> Vec<Sample> {
        let mut next = crate::pprof::test_numbers(seed);
        let frame = |next: &mut dyn FnMut(u64) -> u64| {
            let name = next(5) as u32;
            (name, 1 + next(2) as u32, 10 * name + next(2) as u32)
        };
        let mut out: Vec<Sample> = Vec::new();
        for _ in 0..n {
            let stack = match next(5) {
                0 if !out.is_empty() => {
                    let mut s = out[next(out.len() as u64) as usize].0.clone();
                    s.truncate(next(s.len() as u64 + 1) as usize);
                    for _ in 0..next(4) {
                        s.push(frame(&mut next));
                    }
                    s
                }
                1 => Vec::new(),
                _ => {
                    let depth = 1 + next(64);
                    (0..depth).map(|_| frame(&mut next)).collect()
                }
            };
            let value = next(7) as i64 - 1;
            out.push((stack, value, next(3) as i64));
        }
        out
    }

    /// The naive tree: every sample inserted whole, frame by frame from the root, in file order.
    struct Naive {
        tree: heapscope_graph::CallTree,
        file: Vec<u32>,
        line: Vec<u32>,
    }

    fn naive(names: &[u32], input: &[Sample], none: u32) -> Naive {
        let mut t = Naive {
            tree: heapscope_graph::CallTree::new(),
            file: Vec::new(),
            line: Vec::new(),
        };
        // The names as `CallTree` interns them: the five functions, then the empty stack's.
        for i in 0..5 {
            t.tree.intern_frame(format!("f{i}").as_bytes());
        }
        t.tree.intern_frame(b"(no frames)");
        for (stack, value, objects) in input {
            if *value == 0 {
                continue;
            }
            let empty = [(none, 0, 0)];
            let stack = if stack.is_empty() { &empty[..] } else { stack };
            let mut node = NO_PARENT;
            for &(name, file, line) in stack {
                let (c, new) = t.tree.child(node, names[name as usize]);
                if new {
                    t.file.push(file);
                    t.line.push(line);
                }
                node = c;
            }
            t.tree.add(node, (*value).max(0) as u64, *objects as u64);
        }
        t
    }

    /// Held and built at the end (or, past a small limit, partly inserted one by one), the
    /// samples make the tree that inserting each whole in turn makes: same nodes in the same
    /// order, same ids, totals, files and lines.
    #[test]
    fn held_samples_build_the_tree_of_insertion_in_order() {
        for seed in 0..60 {
            let input = samples(seed, 1 + 5 * seed as usize);
            for held_max in [usize::MAX, 0, 1 + seed as usize] {
                let mut t = CallTree::new(true);
                t.held_max = held_max;
                let names: Vec<u32> = (0..5).map(|i| t.intern_name(&format!("f{i}"))).collect();
                let mut seen = Seen::default();
                let mut frames: Vec<Frame> = Vec::new();
                for (stack, value, objects) in &input {
                    frames.clear();
                    for &(name, file, line) in stack {
                        frames.push(t.frame(names[name as usize], file, line));
                    }
                    t.add_sample(&frames, *value, Some(*objects), &mut seen);
                }
                if !t.direct {
                    t.build_held();
                }
                let none = t.intern_name("(no frames)");
                let mut names = names;
                names.push(none);
                let want = naive(&names, &input, 5);
                let (a, b) = (&t.tree, &want.tree);
                let what = format!("seed {seed}, held_max {held_max}");
                assert_eq!(a.parent(), b.parent(), "{what}");
                assert_eq!(a.frame(), b.frame(), "{what}");
                assert_eq!(a.id(), b.id(), "{what}");
                assert_eq!(a.size(), b.size(), "{what}");
                assert_eq!(a.count(), b.count(), "{what}");
                assert_eq!((&t.file, &t.line), (&want.file, &want.line), "{what}");
                let zero = input.iter().filter(|s| s.1 == 0).count() as u64;
                assert_eq!(
                    (seen.samples, seen.zero_samples),
                    (input.len() as u64, zero)
                );
            }
        }
    }
}
