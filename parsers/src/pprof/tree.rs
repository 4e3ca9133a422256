//! The call tree both pprof forms are folded into, and its translation into a [`HeapGraph`].
//!
//! One node per distinct call path (function names from the outermost frame down), so the
//! dominator tree of the graph is the call tree itself: a node's retained size is pprof's `cum`
//! of that path and its shallow size is `flat`. A node's id is a hash of the names on its path,
//! so the same stack has the same id in every profile (for diffs and trends).

use std::collections::{BTreeMap, HashMap, HashSet};

use heapscope_graph::{
    GraphBuilder, HeapGraph, Inspector, Interner, Label, NodeIdx, NodeKind, Policy,
};

const NONE: u32 = u32::MAX;

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
}

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
    pub fn num_label(&mut self, key: &str, unit: &str) {
        if !self.num_labels.contains_key(key) {
            self.num_labels.insert(key.to_string(), unit.to_string());
        }
    }
}

/// The call tree under construction: columns indexed by node, children found through a map
/// keyed by (parent, function name).
pub(crate) struct CallTree {
    names: Interner,
    files: Interner,
    parent: Vec<u32>,
    name: Vec<u32>,
    file: Vec<u32>,
    line: Vec<u32>,
    flat: Vec<u64>,
    objects: Vec<u64>,
    id: Vec<u64>,
    child: HashMap<(u32, u32), u32>,
    ids: HashSet<u64>,
    with_objects: bool,
}

/// FNV-1a, 64 bit: stable across runs and platforms (std's hasher is randomly keyed).
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

impl CallTree {
    pub fn new(with_objects: bool) -> Self {
        let mut files = Interner::new();
        files.intern("");
        CallTree {
            names: Interner::new(),
            files,
            parent: Vec::new(),
            name: Vec::new(),
            file: Vec::new(),
            line: Vec::new(),
            flat: Vec::new(),
            objects: Vec::new(),
            id: Vec::new(),
            child: HashMap::new(),
            ids: HashSet::new(),
            with_objects,
        }
    }

    pub fn intern_name(&mut self, s: &str) -> u32 {
        self.names.intern(s)
    }
    pub fn intern_file(&mut self, s: &str) -> u32 {
        self.files.intern(s)
    }
    pub fn name(&self, name: u32) -> &str {
        self.names.get(name)
    }
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    fn child_of(&mut self, parent: u32, f: Frame) -> u32 {
        if let Some(&c) = self.child.get(&(parent, f.name)) {
            return c;
        }
        let base = if parent == NONE {
            FNV_OFFSET
        } else {
            self.id[parent as usize]
        };
        let mut h = fnv1a(fnv1a(base, &[0xff]), self.names.get(f.name).as_bytes());
        // Id 0 means null to the graph builder; a collision (never seen in practice) is moved
        // deterministically, so ids stay unique within one profile.
        while h == 0 || self.ids.contains(&h) {
            h = fnv1a(h, &[0x5a]);
        }
        self.ids.insert(h);
        let c = self.parent.len() as u32;
        self.parent.push(parent);
        self.name.push(f.name);
        self.file.push(f.file);
        self.line.push(f.line);
        self.flat.push(0);
        self.objects.push(0);
        self.id.push(h);
        self.child.insert((parent, f.name), c);
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
        let mut cur = NONE;
        if frames.is_empty() {
            seen.empty_stacks += 1;
            let name = self.intern_name("(no frames)");
            cur = self.child_of(
                NONE,
                Frame {
                    name,
                    file: 0,
                    line: 0,
                },
            );
        }
        for &f in frames {
            cur = self.child_of(cur, f);
        }
        let c = cur as usize;
        self.flat[c] = self.flat[c].saturating_add(value);
        self.objects[c] = self.objects[c].saturating_add(objects.unwrap_or(0).max(0) as u64);
    }

    /// Turn the tree into a graph: outermost frames are the roots, every node a `Frame`
    /// with its function name as type, edges from caller to callee.
    pub fn into_graph(self, warnings: Vec<String>) -> (HeapGraph, FrameInspector) {
        let n = self.len();
        let mut b = GraphBuilder::new().without_labels();
        b.reserve_nodes(n);
        for i in 0..n {
            let ty = b.intern_type(self.names.get(self.name[i]));
            let idx = b.add_node(self.id[i], ty, NodeKind::Frame, self.flat[i]);
            if self.with_objects {
                b.set_count(idx, self.objects[i]);
            }
            if self.parent[i] == NONE {
                b.add_root_idx(idx, "outermost frame", None);
            }
        }
        b.finish_nodes();
        // Children in CSR order: a parent is always created before its children.
        let (start, kids) = heapscope_graph::children_from_parents(&self.parent);
        b.reserve_edges(kids.len());
        for i in 0..n {
            let range = start[i] as usize..start[i + 1] as usize;
            if range.is_empty() {
                continue;
            }
            b.begin_node(NodeIdx(i as u32));
            for &c in &kids[range] {
                b.edge_to_idx(NodeIdx(c), false, Label::None);
            }
        }
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

impl Inspector for FrameInspector {
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
