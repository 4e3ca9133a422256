//! The call tree both pprof forms are folded into, and its translation into a [`HeapGraph`].
//!
//! One node per distinct call path (function names from the outermost frame down), so the
//! dominator tree of the graph is the call tree itself: a node's retained size is pprof's `cum`
//! of that path and its shallow size is `flat`. A node's id is the graph crate's call-tree hash of
//! the names on its path ([`heapscope_graph::calltree`]), so the same stack has the same id in
//! every profile (for diffs and trends).

use std::collections::BTreeMap;

use heapscope_graph::calltree::NO_PARENT;
use heapscope_graph::{GraphBuilder, HeapGraph, Inspector, Interner, Label, NodeIdx, Policy};

/// One frame of a sample, outermost first in a stack: indices into the name and file tables.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub name: u32,
    pub file: u32,
    pub line: u32,
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
pub(crate) struct CallTree {
    tree: heapscope_graph::CallTree,
    /// Per name id: 0 not yet judged, 1 a runtime frame pprof drops ([`CallTree::prunable`]), 2 not.
    prunable: Vec<u8>,
    files: Interner,
    file: Vec<u32>,
    line: Vec<u32>,
    with_objects: bool,
    /// The path of the previous sample walked: `(name, node)` per frame, outermost first. The
    /// next sample starts below the part it shares (samples of one program share their outer
    /// frames), with the same nodes `child` would return, and nothing created twice.
    prev: Vec<(u32, u32)>,
}

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
            prev: Vec::new(),
        }
    }

    pub fn intern_name(&mut self, s: &str) -> u32 {
        self.tree.intern_frame(s.as_bytes())
    }
    pub fn intern_file(&mut self, s: &str) -> u32 {
        self.files.intern(s)
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

    fn child_of(&mut self, parent: u32, f: Frame) -> u32 {
        let (c, new) = self.tree.child(parent, f.name);
        if new {
            self.file.push(f.file);
            self.line.push(f.line);
        }
        c
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
        let mut cur = NO_PARENT;
        if frames.is_empty() {
            seen.empty_stacks += 1;
            let name = self.intern_name("(no frames)");
            cur = self.child_of(
                NO_PARENT,
                Frame {
                    name,
                    file: 0,
                    line: 0,
                },
            );
            self.prev.clear();
        } else {
            let shared = self
                .prev
                .iter()
                .zip(frames)
                .take_while(|((name, _), f)| *name == f.name)
                .count();
            self.prev.truncate(shared);
            if let Some(&(_, node)) = self.prev.last() {
                cur = node;
            }
            for &f in &frames[shared..] {
                cur = self.child_of(cur, f);
                self.prev.push((f.name, cur));
            }
        }
        self.tree
            .add(cur, value, objects.unwrap_or(0).max(0) as u64);
    }

    /// Turn the tree into a graph: outermost frames are the roots, every node a `Frame`
    /// with its function name as type, edges from caller to callee.
    pub fn into_graph(self, warnings: Vec<String>) -> (HeapGraph, FrameInspector) {
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
