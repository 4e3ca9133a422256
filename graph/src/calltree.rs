//! The call tree of an allocation profile (pprof, tracemalloc), built once for every format.
//!
//! Frames are interned by their key bytes (a function name; a file name and line). Stacks are
//! inserted outermost frame first, so one node is one call path from a root frame and identical
//! stacks meet in one node, which holds the bytes and counts of the samples that end exactly
//! there. Nodes are numbered in creation order, so a parent comes before its children.
//!
//! A node's id is FNV-1a ([`crate::hash`]) over `0xff key₁ 0xff key₂ …` along its path, so the
//! same stack has the same id in every profile (diff and trend match nodes by it). Id 0 (null to
//! the graph builder) and a collision within one profile (never seen in practice) are moved
//! deterministically by hashing on with `0x5a`, so ids stay unique; a moved id is the base of
//! its children's.
//!
//! A builder that knows which nodes are new (tracemalloc sorts its tracebacks to find where each
//! leaves the tree) appends them with [`CallTree::push_new`] instead: no table is probed or
//! filled, and [`CallTree::finish_new`] gives them the same ids afterwards (a key prefix that
//! many new nodes share, such as a file name, hashed through a table in one step); the
//! tables are filled only if [`CallTree::child`] is called later.
//!
//! [`CallTree::fill_graph`] turns the tree into graph nodes: the dominator tree of the result is
//! the call tree itself (shallow = flat, retained = cum). [`CallTree::into_graph`] does the same
//! with a tree it consumes, freeing each column once it is in the builder.
//!
//! Memory: parent 4, frame 4, id 8, size 8, count 8 B per node (nodes appended by `push_new`
//! have only the first two until `finish_new`), + the lookup tables of `child`.

use crate::builder::NodeSlots;
use crate::column::Staged;
use crate::graph::EdgePos;
use crate::hash::{fnv1a, FxHashMap, FxHashSet, FNV_OFFSET, FNV_PRIME};
use crate::{GraphBuilder, Label, NodeIdx, NodeKind, TypeId};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::hash_map::Entry;

/// The parent of a root frame.
pub const NO_PARENT: u32 = u32::MAX;

/// The GC-root kind of the outermost frames.
pub const ROOT_KIND: &str = "outermost frame";

/// A call tree in flat columns.
#[derive(Debug, Default)]
pub struct CallTree {
    keys: Vec<Box<[u8]>>,
    // The three tables are only looked up (never iterated), with a fast hash: every frame of
    // every sample goes through `child`.
    key_index: FxHashMap<Box<[u8]>, u32>,
    parent: Vec<u32>,
    frame: Vec<u32>,
    id: Vec<u64>,
    size: Vec<u64>,
    count: Vec<u64>,
    child: FxHashMap<(u32, u32), u32>,
    ids: FxHashSet<u64>,
    /// Nodes `0..indexed` are in `child` and `ids`; later ones were appended by
    /// [`CallTree::push_new`] and are indexed when `child` is next called.
    indexed: usize,
    /// Nodes `0..with_ids` have their final id; [`CallTree::finish_new`] makes the rest.
    with_ids: usize,
    /// Whether [`CallTree::add`] was called: if not, the size and count columns are zeros,
    /// untouched pages the graph's fill does not read.
    own_totals: bool,
}

impl CallTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// The frame whose key is `key` (dense ids from 0, in first-seen order).
    pub fn intern_frame(&mut self, key: &[u8]) -> u32 {
        if let Some(&f) = self.key_index.get(key) {
            return f;
        }
        let f = self.keys.len() as u32;
        self.keys.push(key.into());
        self.key_index.insert(key.into(), f);
        f
    }

    /// The key bytes of a frame (empty for an unknown one).
    pub fn frame_key(&self, frame: u32) -> &[u8] {
        self.keys.get(frame as usize).map_or(&[], |k| k)
    }

    /// The key of a frame as text (lossy if it is not UTF-8).
    pub fn frame_name(&self, frame: u32) -> Cow<'_, str> {
        String::from_utf8_lossy(self.frame_key(frame))
    }

    /// The node for `frame` called from `parent` ([`NO_PARENT`] for a root frame), and whether
    /// it was created by this call.
    pub fn child(&mut self, parent: u32, frame: u32) -> (u32, bool) {
        if self.indexed < self.parent.len() {
            self.index_new();
        }
        // One probe of the table finds the node or the slot for the new one.
        let c = self.parent.len() as u32;
        let slot = match self.child.entry((parent, frame)) {
            Entry::Occupied(e) => return (*e.get(), false),
            Entry::Vacant(v) => v,
        };
        slot.insert(c);
        let base = match self.id.get(parent as usize) {
            Some(&id) => id,
            None => FNV_OFFSET,
        };
        let mut h = fnv1a(fnv1a(base, &[0xff]), self.frame_key(frame));
        // `insert` is false when the id is taken: move on (one probe per try).
        while h == 0 || !self.ids.insert(h) {
            h = fnv1a(h, &[0x5a]);
        }
        self.parent.push(parent);
        self.frame.push(frame);
        self.id.push(h);
        self.size.push(0);
        self.count.push(0);
        self.indexed += 1;
        self.with_ids += 1;
        (c, true)
    }

    /// Append a node for `frame` called from `parent` ([`NO_PARENT`] or an earlier node) that
    /// the caller knows is new: no node for `(parent, frame)` exists yet. Nothing is looked up
    /// or hashed here; [`CallTree::finish_new`] must be called before the ids are read (the
    /// node's id is the one [`CallTree::child`] would have given it). For builders that know
    /// where each stack leaves the tree (tracemalloc sorts its tracebacks): two hash tables of
    /// 500 k nodes cost more than the whole rest of such a build.
    ///
    /// Only the parent and frame columns grow here (8 B per node): the id, size and count
    /// columns are made for the pushed nodes at once when they are next needed
    /// ([`CallTree::finish_new`], [`CallTree::add`], [`CallTree::child`]), so a builder can
    /// free its own tables between the two.
    pub fn push_new(&mut self, parent: u32, frame: u32) -> u32 {
        let c = self.parent.len() as u32;
        self.parent.push(parent);
        self.frame.push(frame);
        c
    }

    /// [`CallTree::push_new`] for each of `frames` in turn, each called from the one before
    /// (the first from `parent`): a chain of new nodes, appended in two bulk copies instead of
    /// a call per node. Returns the last node (`parent` if `frames` is empty).
    pub fn push_new_chain(
        &mut self,
        parent: u32,
        frames: impl ExactSizeIterator<Item = u32>,
    ) -> u32 {
        let (c, k) = (self.parent.len() as u32, frames.len() as u32);
        if k == 0 {
            return parent;
        }
        self.frame.extend(frames);
        self.parent.push(parent);
        self.parent.extend(c..c + k - 1);
        c + k - 1
    }

    /// Append `k` nodes whose parent and frame columns the caller then writes (the slices
    /// returned, zero until it does): each parent [`NO_PARENT`] or an earlier node, and no
    /// `(parent, frame)` twice, as [`CallTree::push_new`] requires. On an empty tree the
    /// columns are fresh zeroed pages (resident once written, by whichever thread writes
    /// them: a builder may fill parts on several cores).
    pub fn push_new_zeroed(&mut self, k: usize) -> (&mut [u32], &mut [u32]) {
        let n = self.parent.len();
        if n == 0 {
            (self.parent, self.frame) = (vec![0; k], vec![0; k]);
        } else {
            self.parent.resize(n + k, 0);
            self.frame.resize(n + k, 0);
        }
        (&mut self.parent[n..], &mut self.frame[n..])
    }

    /// Room for `n` more nodes in the parent and frame columns (for a builder that knows how
    /// many it appends with [`CallTree::push_new`]).
    pub fn reserve(&mut self, n: usize) {
        self.parent.reserve_exact(n);
        self.frame.reserve_exact(n);
    }

    /// The id, size and count columns as long as the others (zero for nodes appended by
    /// [`CallTree::push_new`] since; their ids are made by `finish_new`).
    fn columns_to_len(&mut self) {
        let n = self.parent.len();
        for col in [&mut self.id, &mut self.size, &mut self.count] {
            if col.is_empty() {
                // Zeroed fresh pages: resident only once written.
                *col = vec![0; n];
            } else if col.len() < n {
                col.resize(n, 0);
            }
        }
    }

    /// Give the nodes appended by [`CallTree::push_new`] their ids, exactly as [`CallTree::child`]
    /// would have made them one by one: FNV-1a of the parent's id and the frame key. When the
    /// keys of at least 7/8 of the new nodes have a prefix shared by 512 new nodes or more
    /// ([`PrefixTables`]: tracemalloc's file names), in creation order on this thread, each
    /// in 5 multiplications (parent's id often just made, no level bookkeeping); else level by
    /// level (a node after its parent) on all cores. Then, if any id is 0 or equal to
    /// another node's, all of them again in creation order with the collision rule of `child`
    /// (never seen in practice: 64-bit ids). Transient: 8 B per new node (their levels and
    /// order; not in creation order), 2 KiB per prefix table, 16 B per frame, and ~4 B per node
    /// (the copy of half of the ids at a time, bucketed by their top bits, that finds a collision).
    /// For a tree not numbered in depth-first preorder (pprof's: nodes as samples first meet
    /// them), so in creation order in one pass (see [`CallTree::finish_new_in_preorder`]).
    pub fn finish_new(&mut self) {
        self.finish_new_with(TABLE_MINS, false, |_, _| ());
    }

    /// [`CallTree::finish_new`] for a caller whose new nodes are numbered in depth-first
    /// preorder (tracemalloc's tree): in creation order, the ids are then made in two halves
    /// on two cores from [`SPLIT_IDS`] new nodes (see [`CallTree::ids_in_order`]). The same
    /// ids either way: a tree numbered otherwise has its second half made again.
    pub fn finish_new_in_preorder(&mut self) {
        self.finish_new_with(TABLE_MINS, true, |_, _| ());
    }

    /// [`CallTree::finish_new`] on another core (a scoped thread), while `beside` runs on this
    /// one with the parent and frame columns: for a builder with work of its own that does not
    /// need the ids (tracemalloc: the totals, the node types). The collision check's buffer
    /// (~4 B per node) is allocated here, on the calling thread, so that they
    /// go back to its heap; the other thread allocates only the prefix tables. `preorder`:
    /// whether the new nodes are numbered in depth-first preorder (as
    /// [`CallTree::finish_new_in_preorder`] against [`CallTree::finish_new`]).
    pub fn finish_new_beside<R>(
        &mut self,
        preorder: bool,
        beside: impl FnOnce(&[u32], &[u32]) -> R,
    ) -> R {
        self.finish_new_with(TABLE_MINS, preorder, beside)
    }

    /// [`CallTree::finish_new_beside`], with a [`PrefixTables`] table for each key prefix of at
    /// least `mins.prefix` new nodes and for each key of at least `mins.frame` in such a prefix
    /// (tests force every path with 0 and `usize::MAX`).
    fn finish_new_with<R>(
        &mut self,
        mins: TableMins,
        preorder: bool,
        beside: impl FnOnce(&[u32], &[u32]) -> R,
    ) -> R {
        self.columns_to_len();
        let (from, n) = (self.with_ids, self.len());
        if from == n {
            return beside(&self.parent, &self.frame);
        }
        let mut check = IdCheck::with_capacity(n);
        let mut id = std::mem::take(&mut self.id);
        let (out, repeated) = {
            let this = &*self;
            let ids = &mut id;
            let check = &mut check;
            let mut make = move || {
                let tables = PrefixTables::new(&this.keys, &this.frame[from..], mins);
                if tables.covered * 8 >= (n - from) * 7 {
                    let _ = this.ids_in_order(ids, from, &tables, preorder);
                } else {
                    this.ids_by_level(ids, from, &tables);
                }
                check.zero_or_repeated(ids)
            };
            if n - from < BESIDE_MIN {
                let repeated = make();
                (beside(&this.parent, &this.frame), repeated)
            } else {
                std::thread::scope(|scope| {
                    let made = scope.spawn(make);
                    let out = beside(&this.parent, &this.frame);
                    (out, made.join().expect("the ids' thread does not panic"))
                })
            }
        };
        self.id = id;
        drop(check);
        if repeated {
            // The rule of `child`, node by node: the ids of all earlier nodes are taken.
            self.ids.clear();
            self.ids.extend(self.id[..from].iter().copied());
            for c in from..n {
                let base = match self.id.get(self.parent[c] as usize) {
                    Some(&id) => id,
                    None => FNV_OFFSET,
                };
                let mut h = fnv1a(fnv1a(base, &[0xff]), frame_key(&self.keys, self.frame[c]));
                while h == 0 || !self.ids.insert(h) {
                    h = fnv1a(h, &[0x5a]);
                }
                self.id[c] = h;
            }
            self.ids.clear();
            // Re-indexed below from the final ids.
            self.indexed = 0;
            self.child.clear();
        }
        self.with_ids = n;
        out
    }

    /// The ids of nodes `from..` in creation order, on this thread (a parent comes before its
    /// children, and the node before is often the parent: its id is at hand), each in one
    /// multiplication and a lookup of its prefix's table plus one multiplication per byte of its
    /// key's tail, when [`PrefixTables`] covers nearly all of them.
    ///
    /// From [`SPLIT_IDS`] new nodes on, in two halves on two cores: the second half's nodes
    /// whose parent lies in the first half are, in a tree numbered in depth-first preorder
    /// (tracemalloc's), children of the first node's ancestors, whose ids it makes again
    /// from their own (final) ancestor down (at most one per level). If a node of the second
    /// half has any other parent in the first half (a tree numbered otherwise), the second
    /// half is made again after the first, in order: the same ids either way.
    /// Only when the caller says its tree is numbered in preorder (`preorder`): any other
    /// numbering (pprof's) would make up to half of the ids twice, so it takes the plain pass.
    /// Returns whether the two halves were made side by side.
    fn ids_in_order(
        &self,
        id: &mut [u64],
        from: usize,
        tables: &PrefixTables,
        preorder: bool,
    ) -> bool {
        let n = self.len();
        if !preorder || n - from < SPLIT_IDS {
            self.ids_in_order_plain(id, from, tables);
            return false;
        }
        let m = from + (n - from) / 2;
        let (done, rest) = id.split_at_mut(from);
        let (first, second) = rest.split_at_mut(m - from);
        let done = &*done;
        // The first node of the second half's ancestors in the first half, nearest first,
        // then their ids (from the nearest final one down).
        let mut above: Vec<(u32, u64)> = Vec::new();
        let mut p = self.parent[m];
        while (p as usize) >= from && (p as usize) < m {
            above.push((p, 0));
            let up = self.parent[p as usize];
            if up != NO_PARENT && up >= p {
                // Not parents first (never in a CallTree): no split.
                above.clear();
                break;
            }
            p = up;
        }
        let mut base = done.get(p as usize).copied().unwrap_or(FNV_OFFSET);
        for a in above.iter_mut().rev() {
            a.1 = self.id_of(base, a.0 as usize, tables);
            base = a.1;
        }
        let (first_whole, whole) = rayon::join(
            || self.ids_of_run(done, first, from, &[], tables),
            || self.ids_of_run(done, second, m, &above, tables),
        );
        if !first_whole {
            // A parent after its child (never in a CallTree): node by node, as always.
            self.ids_in_order_plain(id, from, tables);
        } else if !whole {
            self.ids_in_order_plain(id, m, tables);
        }
        first_whole && whole
    }

    /// [`CallTree::ids_in_order`] on this thread, node by node.
    fn ids_in_order_plain(&self, id: &mut [u64], from: usize, tables: &PrefixTables) {
        for c in from..self.len() {
            let b = id
                .get(self.parent[c] as usize)
                .copied()
                .unwrap_or(FNV_OFFSET);
            id[c] = self.id_of(b, c, tables);
        }
    }

    /// The id of node `c` whose parent's id is `base`.
    #[inline]
    fn id_of(&self, base: u64, c: usize, tables: &PrefixTables) -> u64 {
        let f = self.frame[c];
        tables
            .hash(base, f)
            .unwrap_or_else(|| fnv1a(fnv1a(base, &[0xff]), frame_key(&self.keys, f)))
    }

    /// The ids of nodes `from..from + run.len()` into `run`, in order: a parent's id read from
    /// `done` (the first nodes, whose ids are final), from `run`, or from `above` (nodes
    /// between, with their ids); false (`run` unfinished) at a parent in none of them.
    fn ids_of_run(
        &self,
        done: &[u64],
        run: &mut [u64],
        from: usize,
        above: &[(u32, u64)],
        tables: &PrefixTables,
    ) -> bool {
        let parent = &self.parent[from..from + run.len()];
        // The id just made, for a node whose parent is the node before (most nodes of a tree
        // in preorder: a chain): from a register, not read back from `run` (a store and a
        // load on the chain of dependent hashes).
        let mut prev = FNV_OFFSET;
        for (c, &p) in parent.iter().enumerate() {
            let p = p as usize;
            let base = if c > 0 && p == from + c - 1 {
                prev
            } else if p == NO_PARENT as usize {
                FNV_OFFSET
            } else if let Some(&b) = done.get(p) {
                b
            } else if p >= from && p - from < c {
                run[p - from]
            } else {
                // `above` is nearest first, so by node descending: a binary search, not a scan
                // (a scan was O(depth) per node: a deep first half then many children of
                // shallow ancestors made it quadratic in the file's size).
                match above.binary_search_by(|a| (p as u32).cmp(&a.0)) {
                    Ok(k) => above[k].1,
                    Err(_) => return false,
                }
            };
            prev = self.id_of(base, from + c, tables);
            run[c] = prev;
        }
        true
    }

    /// The ids of nodes `from..`, level by level (a node after its parent), four hashes side
    /// by side, on all cores.
    fn ids_by_level(&self, ids: &mut [u64], from: usize, tables: &PrefixTables) {
        let n = self.len();
        // Level 0: nodes whose parent has its id already; then one level per generation.
        let mut level = vec![0u32; n - from];
        let mut levels = 1usize;
        for i in from..n {
            let p = self.parent[i] as usize;
            if p != NO_PARENT as usize && p >= from {
                level[i - from] = level[p - from] + 1;
                levels = levels.max(level[i - from] as usize + 1);
            }
        }
        let mut start = vec![0u32; levels + 1];
        for &l in &level {
            start[l as usize + 1] += 1;
        }
        for l in 0..levels {
            start[l + 1] += start[l];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; n - from];
        for (k, &l) in level.iter().enumerate() {
            order[fill[l as usize] as usize] = (from + k) as u32;
            fill[l as usize] += 1;
        }
        drop(level);
        for l in 0..levels {
            let nodes = &order[start[l] as usize..start[l + 1] as usize];
            let (keys, parent, frame, id) = (&self.keys, &self.parent, &self.frame, &*ids);
            let base = |c: u32| {
                id.get(parent[c as usize] as usize)
                    .copied()
                    .unwrap_or(FNV_OFFSET)
            };
            let key = |c: u32| frame_key(keys, frame[c as usize]);
            let tables = &tables;
            let hashes: Vec<u64> = nodes
                .par_chunks(4)
                .with_min_len(256)
                .flat_map_iter(|c| {
                    let h = match *c {
                        [a, b, x, y] if tables.none_of([a, b, x, y].map(|c| frame[c as usize])) => {
                            fnv1a_ff_x4([a, b, x, y].map(base), [a, b, x, y].map(key))
                        }
                        _ => {
                            let mut h = [0u64; 4];
                            for (h, &c) in h.iter_mut().zip(c) {
                                let b = base(c);
                                *h = tables
                                    .hash(b, frame[c as usize])
                                    .unwrap_or_else(|| fnv1a(fnv1a(b, &[0xff]), key(c)));
                            }
                            h
                        }
                    };
                    h.into_iter().take(c.len())
                })
                .collect();
            for (&c, h) in nodes.iter().zip(hashes) {
                ids[c as usize] = h;
            }
        }
        drop(order);
    }

    /// Put the nodes appended by [`CallTree::push_new`] into the tables `child` reads.
    fn index_new(&mut self) {
        self.finish_new();
        for c in self.indexed..self.len() {
            self.child
                .entry((self.parent[c], self.frame[c]))
                .or_insert(c as u32);
            self.ids.insert(self.id[c]);
        }
        self.indexed = self.len();
    }

    /// Insert a stack, outermost frame first; returns its node ([`NO_PARENT`] if it is empty).
    pub fn insert(&mut self, stack: impl IntoIterator<Item = u32>) -> u32 {
        let mut node = NO_PARENT;
        for f in stack {
            node = self.child(node, f).0;
        }
        node
    }

    /// Add bytes and a count to a node's own totals (saturating).
    pub fn add(&mut self, node: u32, size: u64, count: u64) {
        self.columns_to_len();
        self.own_totals = true;
        if let (Some(s), Some(c)) = (
            self.size.get_mut(node as usize),
            self.count.get_mut(node as usize),
        ) {
            *s = s.saturating_add(size);
            *c = c.saturating_add(count);
        }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
    /// Parent of each node ([`NO_PARENT`] for a root).
    pub fn parent(&self) -> &[u32] {
        &self.parent
    }
    /// Frame of each node.
    pub fn frame(&self) -> &[u32] {
        &self.frame
    }
    /// Id of each node: the hash of its frame sequence.
    pub fn id(&self) -> &[u64] {
        debug_assert_eq!(self.with_ids, self.len(), "finish_new after push_new");
        &self.id
    }
    /// Bytes of the samples that end exactly at each node.
    pub fn size(&self) -> &[u64] {
        &self.size
    }
    /// Counts (objects, blocks) of the samples that end exactly at each node.
    pub fn count(&self) -> &[u64] {
        &self.count
    }

    /// Bytes and counts at or below each node (children come after parents: one reverse pass).
    pub fn subtree_totals(&self) -> (Vec<u64>, Vec<u64>) {
        let mut size = self.size.clone();
        let mut count = self.count.clone();
        for v in (0..self.len()).rev() {
            let p = self.parent[v] as usize;
            if p < v {
                size[p] = size[p].saturating_add(size[v]);
                count[p] = count[p].saturating_add(count[v]);
            }
        }
        (size, count)
    }

    /// Frames from the root down to `n`.
    pub fn path(&self, mut n: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while let Some(&f) = self.frame.get(n as usize) {
            out.push(f);
            n = self.parent[n as usize];
        }
        out.reverse();
        out
    }

    /// Children lists in CSR form, creation order kept ([`children_from_parents`]).
    pub fn children(&self) -> (Vec<u32>, Vec<u32>) {
        children_from_parents(&self.parent)
    }

    /// Add the tree to a fresh builder: node `i` becomes `NodeIdx(i)` of kind
    /// [`NodeKind::Frame`] with the tree's id, `type_of(b, i)` as type and its own bytes as
    /// shallow size (and its count, with `counts`); roots are GC roots of kind [`ROOT_KIND`];
    /// one edge `call` from each caller to each callee. Warnings and `finish` are the caller's.
    pub fn fill_graph(
        &self,
        b: &mut GraphBuilder,
        mut type_of: impl FnMut(&mut GraphBuilder, usize) -> TypeId + Send,
        call: Label,
        counts: bool,
    ) {
        let n = self.len();
        debug_assert_eq!(self.with_ids, n, "finish_new after push_new");
        // The children lists (for the edges) are made on another core while the nodes go in.
        let ((start, kids), ()) = rayon::join(
            || self.children(),
            || {
                // Types first, in node order (so interned as adding node by node would), then
                // the node columns in bulk: in spill files from the start when the builder
                // grows them there (`GraphBuilder::grow_in_files`), with no anonymous copy.
                let types: Vec<TypeId> = (0..n).map(|i| type_of(b, i)).collect();
                let count = counts.then_some(&self.count[..]);
                let own = (&self.size[..], count, self.own_totals);
                add_node_columns(b, &self.id, |i| types[i], own, &[]);
                drop(types);
                add_roots(b, &self.parent);
                // Edges and roots go by dense index and ids are unique (`child` and `finish_new`
                // move a colliding one), so the builder's id index (a sort, 12 B per node) is
                // not built.
                b.finish_nodes_without_index();
            },
        );
        add_edges(b, &start, &kids, call);
    }

    /// [`CallTree::fill_graph`] with the types made already ([`NodeTypes`]: per node, or per
    /// frame, as `type_of` would have interned them), on this thread, each column of the tree
    /// freed once it is in the builder: at most the tree (32 B per node) and the types at once,
    /// then less at each step. For a large tree whose columns the caller no longer needs
    /// (tracemalloc). `extra`: bytes and counts added to the nodes' own (saturating), by node
    /// ascending, a node at most once: a builder that knows where its samples end passes them
    /// here instead of [`CallTree::add`]ing them, so the size and count columns (16 B per node)
    /// stay untouched zero pages (24 B per entry instead). `offsets`: the edges' CSR offsets
    /// ([`edge_offsets`] of the parent column) if the caller made them already (beside
    /// [`CallTree::finish_new_beside`]'s ids), else made here. Returns the frame column (4 B per
    /// node), which it no longer needs, for a caller that keeps it (tracemalloc's inspector).
    pub fn into_graph(
        self,
        b: &mut GraphBuilder,
        types: NodeTypes,
        offsets: Option<Vec<EdgePos>>,
        call: Label,
        counts: bool,
        extra: &[Totals],
    ) -> Vec<u32> {
        debug_assert_eq!(self.with_ids, self.len(), "finish_new after push_new");
        let CallTree {
            parent,
            frame,
            id,
            size,
            count,
            own_totals,
            ..
        } = self;
        let own = (&size[..], counts.then_some(&count[..]), own_totals);
        match &types {
            NodeTypes::PerNode(t) => add_node_columns(b, &id, |i| t[i], own, extra),
            NodeTypes::PerFrame(t) => {
                add_node_columns(b, &id, |i| t[frame[i] as usize], own, extra)
            }
        }
        drop((size, count, types));
        b.finish_nodes_without_index();
        let offsets = offsets.unwrap_or_else(|| edge_offsets(&parent));
        // The ids are in the builder: their column is the edges' scratch. Then it and the
        // parents, dead, travel in the graph to its analysis ([`crate::Spare`]: the forest
        // analysis's retained sizes and `idom`, in resident pages). The roots are found by
        // the edges' pass over the parents (the builder keeps them pending to `finish`
        // either way: the same roots in the same order as [`add_roots`] before the edges).
        let scratch = add_tree_edges(b, &parent, offsets, call, id);
        b.keep_spare(scratch, parent);
        frame
    }
}

/// The type of each node, for [`CallTree::into_graph`].
#[derive(Clone, Debug)]
pub enum NodeTypes {
    /// `types[i]` is node `i`'s type (4 B per node).
    PerNode(Vec<TypeId>),
    /// `types[f]` is the type of every node whose frame is `f` (4 B per frame: a type per
    /// frame or per file, as tracemalloc's `lineno` and `filename` are; no pass writing a
    /// type per node).
    PerFrame(Vec<TypeId>),
}

/// A node's bytes and count beyond its own columns ([`CallTree::into_graph`]).
pub type Totals = (u32, u64, u64);

/// The totals of `extra` (by node ascending) for node `i`, `*e` the position of the first
/// entry not before it (moved past it).
#[inline]
fn extra_at(extra: &[Totals], e: &mut usize, i: usize) -> (u64, u64) {
    // Without a branch on whether `i` has an entry (tracemalloc: about one node in four, at
    // random): a sentinel past the end, the values masked.
    let (node, size, count) = extra.get(*e).copied().unwrap_or((u32::MAX, 0, 0));
    let hit = node as usize == i;
    *e += hit as usize;
    let mask = (hit as u64).wrapping_neg();
    (size & mask, count & mask)
}

/// The node columns of [`CallTree::fill_graph`] in bulk (runs of [`NODE_RUN`] nodes, one rayon
/// task each, each run written a column at a time: [`NodeSlots::fill`]), `extra` bytes added;
/// with `count`, the counts too (`extra` counts added), in the same runs when the builder has
/// no node yet ([`GraphBuilder::add_nodes_parallel_counted`]: the count column made beside
/// the others, in a spill file where they are), else after them. `own`: whether `size` and
/// `count` hold anything ([`CallTree::add`] was called); if not, they are not read (a tree
/// whose totals all come in `extra` leaves them untouched zero pages).
fn add_node_columns(
    b: &mut GraphBuilder,
    id: &[u64],
    type_of: impl Fn(usize) -> TypeId + Sync,
    (size, count, own): (&[u64], Option<&[u64]>, bool),
    extra: &[Totals],
) {
    let n = id.len();
    let runs: Vec<usize> = (0..n)
        .step_by(NODE_RUN)
        .map(|a| NODE_RUN.min(n - a))
        .collect();
    let fill = |k: usize, mut slots: NodeSlots<'_>| {
        let a = k * NODE_RUN;
        let len = slots.len().min(n - a);
        let first = extra.partition_point(|x| (x.0 as usize) < a);
        let (mut e, mut f) = (first, first);
        // A node's own bytes or count (0 without `own` or past the column), `extra`'s added.
        let own_at = |col: &[u64], i: usize| {
            if own {
                col.get(i).copied().unwrap_or(0)
            } else {
                0
            }
        };
        slots.fill(
            &id[a..a + len],
            |j| type_of(a + j),
            NodeKind::Frame,
            |j| own_at(size, a + j).saturating_add(extra_at(extra, &mut e, a + j).0),
            |j| match count {
                Some(c) if a + j < c.len() => {
                    own_at(c, a + j).saturating_add(extra_at(extra, &mut f, a + j).1)
                }
                _ => 1,
            },
        );
    };
    match count {
        Some(c) if !c.is_empty() => {
            if b.add_nodes_parallel_counted(&runs, fill).is_none() {
                b.add_nodes_parallel(&runs, fill);
                add_counts(b, c, extra);
            }
        }
        _ => {
            b.add_nodes_parallel(&runs, fill);
        }
    }
}

/// Every node without a parent is a GC root of kind [`ROOT_KIND`].
fn add_roots(b: &mut GraphBuilder, parent: &[u32]) {
    for (i, &p) in parent.iter().enumerate() {
        if p == NO_PARENT {
            b.add_root_idx(NodeIdx(i as u32), ROOT_KIND, None);
        }
    }
}

/// After every node is in: the builder sizes its count column once, not per node. `extra`
/// counts added.
fn add_counts(b: &mut GraphBuilder, count: &[u64], extra: &[Totals]) {
    if count.is_empty() {
        return;
    }
    let mut e = 0;
    b.set_counts(|i| match count.get(i) {
        Some(&c) => c.saturating_add(extra_at(extra, &mut e, i).1),
        // A node past the tree's column (none in a whole tree): a count never set.
        None => 1,
    });
}

/// The CSR offsets of the tree's edges (one from each node to each of its children) from its
/// parent column: `n + 1` entries, node `p`'s children at `offsets[p]..offsets[p + 1]`.
pub fn edge_offsets(parent: &[u32]) -> Vec<EdgePos> {
    let n = parent.len();
    let mut offsets = vec![0 as EdgePos; n + 1];
    for &p in parent {
        if (p as usize) < n {
            offsets[p as usize + 1] += 1;
        }
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

/// One edge `call` from each node to each of its children, in creation order, from the parent
/// column and its [`edge_offsets`]: the offsets moved into the builder
/// ([`GraphBuilder::edges_by_offsets_staged`]), each child placed at its parent's cursor in
/// `scratch` (a dead column of at least `n` entries, whose pages are resident: the tree's ids),
/// its low halves the cursors and its high halves the targets, then the targets and the labels
/// written in order through [`Staged`] writers (in spill files, `pwrite`s of whole windows):
/// no fresh page for the cursors, no write fault per page of the target and label files.
/// (Node by node through [`add_edges`] if the builder declines.) The labels, all `call`, are
/// written on another core meanwhile (from [`LABELS_APART`] nodes), and the nodes without a
/// parent are added as GC roots ([`add_roots`]'s, in node order) by the pass that places the
/// children, after the edges. The scratch comes back, dead (empty if the builder declined).
fn add_tree_edges(
    b: &mut GraphBuilder,
    parent: &[u32],
    offsets: Vec<EdgePos>,
    call: Label,
    mut scratch: Vec<u64>,
) -> Vec<u64> {
    let n = parent.len();
    debug_assert_eq!(offsets.len(), n + 1);
    if scratch.len() < n {
        scratch = vec![0; n];
    }
    // Low half: node `i`'s cursor (at most the edge count, below 2^32: it never carries).
    for (x, &o) in scratch.iter_mut().zip(&offsets[..n]) {
        *x = o as u64;
    }
    let Some((targets, labels, files)) = b.edges_by_offsets_staged(offsets) else {
        drop(scratch);
        add_roots(b, parent);
        let (start, kids) = children_from_parents(parent);
        add_edges(b, &start, &kids, call);
        return Vec::new();
    };
    let code = call.encode();
    let [target_file, label_file] = &files;
    let mut write_labels = move || {
        let len = labels.len();
        Staged::new(labels, 0, label_file.as_ref()).fill_with(0, len, |_| code);
    };
    let mut place = |scratch: &mut Vec<u64>| {
        const LOW: u64 = u32::MAX as u64;
        let mut roots = Vec::new();
        for (c, &p) in parent.iter().enumerate() {
            match scratch.get(p as usize) {
                Some(&cursor) => {
                    scratch[p as usize] = cursor + 1;
                    let k = (cursor & LOW) as usize;
                    if let Some(x) = scratch.get_mut(k) {
                        *x = (*x & LOW) | ((c as u64) << 32);
                    }
                }
                None if p == NO_PARENT => roots.push(c as u32),
                None => {}
            }
        }
        let e = targets.len().min(scratch.len());
        Staged::new(targets, 0, target_file.as_ref())
            .fill_with(0, e, |k| (scratch[k] >> 32) as u32);
        roots
    };
    let roots = if n >= LABELS_APART {
        rayon::join(|| place(&mut scratch), write_labels).0
    } else {
        write_labels();
        place(&mut scratch)
    };
    for r in roots {
        b.add_root_idx(NodeIdx(r), ROOT_KIND, None);
    }
    scratch
}

/// From this many nodes [`add_tree_edges`] writes the labels on another core.
const LABELS_APART: usize = 1 << 16;

/// One edge `call` from each node to each of its children (`kids[start[i]..start[i + 1]]`).
fn add_edges(b: &mut GraphBuilder, start: &[u32], kids: &[u32], call: Label) {
    b.reserve_edges(kids.len());
    for i in 0..start.len().saturating_sub(1) {
        let range = start[i] as usize..start[i + 1] as usize;
        if range.is_empty() {
            continue;
        }
        b.begin_node(NodeIdx(i as u32));
        for &c in &kids[range] {
            b.edge_to_idx(NodeIdx(c), false, call);
        }
    }
}

/// Nodes per run of [`CallTree::fill_graph`]'s bulk node fill (each run one rayon task).
const NODE_RUN: usize = 1 << 16;

/// [`IdCheck::zero_or_repeated`] with buffers of its own.
#[cfg(test)]
fn zero_or_repeated(ids: &[u64]) -> bool {
    IdCheck::with_capacity(ids.len()).zero_or_repeated(ids)
}

/// The ids of [`IdCheck`] are bucketed by this many top bits (256 buckets: the scatter writes
/// 256 streams, whose open cache lines stay in L1).
const BUCKET_BITS: u32 = 8;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// A bucket of [`IdCheck`] larger than this many ids (never with hash ids: ~n/256 each) is
/// sorted instead of put in a table.
const TABLE_MAX: usize = 1 << 17;

/// The buffer of [`IdCheck::zero_or_repeated`], made for `n` ids up front (where the caller
/// wants it allocated) and reused.
struct IdCheck {
    /// The ids of half of the buckets, each half of the ids' in its own part.
    bucketed: Vec<u64>,
}

impl IdCheck {
    fn with_capacity(n: usize) -> IdCheck {
        IdCheck {
            bucketed: Vec::with_capacity(n / 2 + n / 8 + BUCKETS + 2),
        }
    }

    /// Whether any id is 0 or two ids are equal. The ids are bucketed by their top
    /// [`BUCKET_BITS`] bits (a count and a scatter: 256 write streams, not a random write per
    /// id; FNV ids spread evenly) and each bucket checked with an open-addressing table of its
    /// own that stays in cache (or, past [`TABLE_MAX`] ids, sorted), half of the buckets at a
    /// time (the buffer holds the larger half: ~4 B per id). On two cores (rayon): the two
    /// halves of `ids` counted (and checked for a 0), then for each half of the buckets scattered each into its own
    /// part of the buffer and the buckets checked a quarter of them per core, each bucket
    /// being its part of both halves.
    /// The scatter has no branch on the round: an id of the other round is written to its
    /// half's spare slot, whose cursor does not move (the branch was taken at random for half
    /// of the ids: the check's CPU 80 -> 67 ms on 4.06 M ids).
    /// (It was a bucket per two ids of their low halves, 4 B per id + 4 B per id of counts,
    /// counted and scattered at random: a cache miss per id and step.) Transient: 8 B per id
    /// of the larger half of the buckets (~4 B per id) and the tables, 16 B per id of the
    /// largest bucket (rounded up to a power of two) per core.
    fn zero_or_repeated(&mut self, ids: &[u64]) -> bool {
        let n = ids.len();
        if n < 2 {
            return ids.contains(&0);
        }
        let shift = 64 - BUCKET_BITS;
        let (first, second) = ids.split_at(n / 2);
        // Each half's count per bucket, and whether it holds a 0 (in the same pass: a scan of
        // its own was a pass over all ids on one core before the two).
        let count = |part: &[u64]| {
            let mut c = [0u32; BUCKETS];
            let mut zero = false;
            for &x in part {
                c[(x >> shift) as usize] += 1;
                zero |= x == 0;
            }
            (c, zero)
        };
        let ((c1, z1), (c2, z2)) = rayon::join(|| count(first), || count(second));
        if z1 || z2 {
            return true;
        }
        // The buckets in two rounds of half of them each (top bit 0, then 1), so the copy
        // holds about half of the ids at a time.
        let size = |r: std::ops::Range<usize>| r.map(|b| (c1[b] + c2[b]) as usize).sum::<usize>();
        let half = BUCKETS / 2;
        let bucketed = &mut self.bucketed;
        bucketed.clear();
        // A spare slot at each end: where each half's ids of the other round go. Not zeroed
        // first (a pass over ~4 B per id on one core, its page faults with it, while the other
        // core waited): the scatter writes every slot a bucket reads.
        let need = size(0..half).max(size(half..BUCKETS)) + 2;
        bucketed.reserve(need);
        let room = &mut bucketed.spare_capacity_mut()[..need];
        [0..half, half..BUCKETS].into_iter().any(|round| {
            // Where each bucket of the round starts in the copy: the first half's ids of the
            // round, then the second's, between the two spare slots.
            let (mut s1, mut s2) = ([0u32; BUCKETS + 1], [0u32; BUCKETS + 1]);
            let mut at = 1;
            for b in round.clone() {
                s1[b] = at;
                at += c1[b];
                s1[b + 1] = at;
            }
            for b in round.clone() {
                s2[b] = at;
                at += c2[b];
                s2[b + 1] = at;
            }
            // The spare slots, so that the whole copy below is written.
            room[0].write(0);
            room[at as usize].write(0);
            let (out1, out2) = room[..at as usize + 1].split_at_mut(s2[round.start] as usize);
            // Without a branch on the round (taken for half of the ids, at random): a bucket of
            // the other round writes to its half's spare slot and stays there.
            // `origin`: where `out` starts in the copy.
            let scatter = |part: &[u64],
                           out: &mut [std::mem::MaybeUninit<u64>],
                           start: &[u32; BUCKETS + 1],
                           origin,
                           spare| {
                let mut cursor = [spare; BUCKETS];
                let mut step = [0u32; BUCKETS];
                for b in round.clone() {
                    cursor[b] = start[b] - origin;
                    step[b] = 1;
                }
                for &x in part {
                    let b = (x >> shift) as usize;
                    let c = cursor[b];
                    out[c as usize].write(x);
                    cursor[b] = c + step[b];
                }
            };
            let origin2 = s2[round.start];
            rayon::join(
                || scatter(first, out1, &s1, 0, 0),
                || scatter(second, out2, &s2, origin2, at - origin2),
            );
            // SAFETY: `room[..at]` is written: slot 0 above, and each bucket `b` of the round
            // at `s1[b]..s1[b + 1]` and `s2[b]..s2[b + 1]`, which tile `1..at`, by the scatter
            // of its half, whose `c1[b]` (`c2[b]`) ids of bucket `b` (counted in the same
            // half) move its cursor from the range's start one slot per id to its end.
            let copy: &[u64] =
                unsafe { std::slice::from_raw_parts(room.as_ptr().cast::<u64>(), at as usize) };
            let bucket = |b: usize| {
                (
                    &copy[s1[b] as usize..s1[b + 1] as usize],
                    &copy[s2[b] as usize..s2[b + 1] as usize],
                )
            };
            let check = |buckets: std::ops::Range<usize>| {
                let largest = buckets
                    .clone()
                    .map(|b| (c1[b] + c2[b]) as usize)
                    .filter(|&len| len <= TABLE_MAX)
                    .max()
                    .unwrap_or(0);
                // At most half full: a probe finds an empty slot within a few.
                let bits = (2 * largest).max(2).next_power_of_two().trailing_zeros();
                let mut table = vec![0u64; 1 << bits];
                let mut sorted = Vec::new();
                buckets.into_iter().any(|b| {
                    let (x, y) = bucket(b);
                    if x.len() + y.len() > TABLE_MAX {
                        sorted.clear();
                        sorted.extend_from_slice(x);
                        sorted.extend_from_slice(y);
                        sorted.sort_unstable();
                        return sorted.windows(2).any(|w| w[0] == w[1]);
                    }
                    table.fill(0);
                    x.iter()
                        .chain(y)
                        .any(|&id| !table_insert(&mut table, bits, id))
                })
            };
            let mid = round.start + half / 2;
            let (a, b) = rayon::join(|| check(round.start..mid), || check(mid..round.end));
            a || b
        })
    }
}

/// Put `id` (not 0) in `table` (2^`bits` slots, 0 = empty, linear probing; the slot from the
/// id's product with a constant, so ids alike in some bits still spread): false if it is
/// there already.
#[inline]
fn table_insert(table: &mut [u64], bits: u32, id: u64) -> bool {
    let mask = table.len() - 1;
    let mut k = (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
    loop {
        let slot = &mut table[k & mask];
        if *slot == 0 {
            *slot = id;
            return true;
        }
        if *slot == id {
            return false;
        }
        k += 1;
    }
}

/// FNV-1a of `0xff key` on from each base, as `fnv1a(fnv1a(base, &[0xff]), key)`, four at a
/// time: each byte's step multiplies, and the next step waits for the product, so four
/// independent hashes side by side take about the time of one (the ids of `finish_new`).
fn fnv1a_ff_x4(bases: [u64; 4], keys: [&[u8]; 4]) -> [u64; 4] {
    let mut h = bases.map(|b| fnv1a(b, &[0xff]));
    let common = keys.iter().map(|k| k.len()).min().unwrap_or(0);
    let [k0, k1, k2, k3] = keys.map(|k| &k[..common]);
    for i in 0..common {
        h[0] = fnv1a(h[0], &[k0[i]]);
        h[1] = fnv1a(h[1], &[k1[i]]);
        h[2] = fnv1a(h[2], &[k2[i]]);
        h[3] = fnv1a(h[3], &[k3[i]]);
    }
    for (h, k) in h.iter_mut().zip(keys) {
        *h = fnv1a(*h, &k[common..]);
    }
    h
}

/// New nodes from which [`CallTree::ids_in_order`] makes them in two halves on two cores.
const SPLIT_IDS: usize = 1 << 16;

/// New nodes from which [`CallTree::finish_new_beside`] makes their ids on another thread
/// (below, on the calling one, then `beside`).
const BESIDE_MIN: usize = 1 << 16;

/// New nodes a key prefix needs for [`PrefixTables`] to give it a table: a table costs 256
/// hashes of the prefix, and saves all but one multiplication of the prefix per node.
const PREFIX_TABLE_MIN: usize = 512;

/// Bytes at the end of a key that are hashed per node when its prefix has a table (tracemalloc's
/// keys end in the line number, 4 bytes, after the file name that many frames share).
const KEY_TAIL: usize = 4;

/// FNV-1a of `0xff key` on from any base, in one multiplication and one lookup per key prefix
/// instead of one multiplication per byte: an FNV-1a step XORs a byte into the low 8 bits only,
/// and a product's low bits depend only on the factors' low bits, so over any bytes `k`,
/// `fnv1a(h, k) = P^|k| · (h − lo) + fnv1a(lo, k)` (mod 2^64, `lo` = `h`'s low 8 bits, `P` the
/// FNV prime). A table of `fnv1a(lo, 0xff prefix)` for the 256 values of `lo` per prefix (all
/// of a key but its last [`KEY_TAIL`] bytes) that at least [`TableMins::prefix`] new nodes have;
/// the tail is hashed byte by byte, from a copy of its bytes beside the frame's table (a node's
/// hash reads one 12-byte record of its frame and one entry of its table: not the key, whose
/// bytes lie wherever the allocator put them, behind a pointer per frame). A key of at least
/// [`TableMins::frame`] new nodes in such a prefix has a table of its whole key (`0xff key`,
/// made from its prefix's, [`FRAME_TABLES_MAX`] at most): no tail to hash. 2 KiB per table;
/// while made 24 B per frame (its uses, class, own table, record) and the classes' map (~29 B
/// per frame: sized for a class per key), 12 B per class (its uses and table); 12 B per frame
/// kept.
struct PrefixTables {
    /// Per frame: its table ([`NO_TABLE`] for none) and its tail.
    of_frame: Vec<FrameTail>,
    /// Per table, [`TABLE_LEN`] entries: `P^(1 + prefix length)`, then the 256 hashes.
    tables: Vec<u64>,
    /// How many of the frames `new` was given have a table.
    covered: usize,
}

/// A frame's entry in [`PrefixTables`]: its table, and the last `len` bytes of its key
/// (little-endian in `tail`; [`KEY_TAIL`] of them, or the whole key if it is shorter).
#[derive(Clone, Copy, Debug)]
struct FrameTail {
    table: u32,
    tail: u32,
    len: u32,
}

/// Entries of one table of [`PrefixTables::tables`].
const TABLE_LEN: usize = 257;

const NO_TABLE: u32 = u32::MAX;

/// The new nodes a key prefix needs for a table of [`PrefixTables`] (`prefix`), and a key
/// for a table of its own (`frame`).
#[derive(Clone, Copy, Debug)]
struct TableMins {
    prefix: usize,
    frame: usize,
}

/// The mins of `finish_new`: [`PREFIX_TABLE_MIN`], [`FRAME_TABLE_MIN`].
const TABLE_MINS: TableMins = TableMins {
    prefix: PREFIX_TABLE_MIN,
    frame: FRAME_TABLE_MIN,
};

/// New nodes a key needs for a table of its own in [`PrefixTables`] (besides its prefix's):
/// its nodes' ids then take one multiplication and one lookup each, not also one
/// multiplication per byte of the tail, one after the other (the ids of a chain of nodes
/// wait on each other: F1's 7.5 M nodes of 25 frames). A table costs 1 K multiplications
/// side by side, so it pays from a few hundred nodes.
const FRAME_TABLE_MIN: usize = 1024;

/// Keys with a table of their own at most (512 KiB of tables, which stay in L2 beside the
/// prefixes'), the first in key order.
const FRAME_TABLES_MAX: usize = 256;

impl PrefixTables {
    /// Tables for the prefixes of `keys` that at least `mins.prefix` of `frames` (the new
    /// nodes' frames) have, and for each of the first [`FRAME_TABLES_MAX`] keys in such a prefix
    /// that at least `mins.frame` of them have, one of its whole key.
    fn new(keys: &[Box<[u8]>], frames: &[u32], mins: TableMins) -> PrefixTables {
        let prefix = |k: &[u8]| k.len().saturating_sub(KEY_TAIL);
        // The new nodes per key (a counter per frame: consecutive nodes, often of different
        // frames, do not wait on one counter as they did on their prefix's).
        let mut uses_of_key = vec![0u32; keys.len()];
        for &f in frames {
            if let Some(u) = uses_of_key.get_mut(f as usize) {
                *u = u.saturating_add(1);
            }
        }
        // Sized once: at most one class per key (300 K file names on a wide-root snapshot).
        let mut class: FxHashMap<&[u8], u32> =
            FxHashMap::with_capacity_and_hasher(keys.len(), Default::default());
        let mut of_key: Vec<u32> = Vec::with_capacity(keys.len());
        for k in keys {
            let next = class.len() as u32;
            of_key.push(*class.entry(&k[..prefix(k)]).or_insert(next));
        }
        let mut uses = vec![0usize; class.len()];
        for (&c, &u) in of_key.iter().zip(&uses_of_key) {
            uses[c as usize] += u as usize;
        }
        drop(class);
        // Classes with a table, numbered in first-key order; the rest NO_TABLE. A key with a
        // table of its own (in a class with one) follows its class's.
        let mut table_of = vec![NO_TABLE; uses.len()];
        let mut tables: Vec<u64> = Vec::new();
        let mut own = vec![NO_TABLE; keys.len()];
        let (mut count, mut owned) = (0u32, 0usize);
        let mut covered = 0;
        for ((k, &c), (&u, own)) in keys
            .iter()
            .zip(&of_key)
            .zip(uses_of_key.iter().zip(&mut own))
        {
            let c = c as usize;
            if uses[c] >= mins.prefix && table_of[c] == NO_TABLE && count < NO_TABLE {
                covered += uses[c];
                table_of[c] = count;
                count += 1;
                let p = &k[..prefix(k)];
                tables.push(FNV_PRIME.wrapping_pow(1 + p.len() as u32));
                tables.extend((0..256u64).map(|lo| fnv1a(fnv1a(lo, &[0xff]), p)));
            }
            if table_of[c] != NO_TABLE
                && u as usize >= mins.frame
                && owned < FRAME_TABLES_MAX
                && count < NO_TABLE
            {
                // The prefix's table hashed on through the tail: 4 multiplications per entry.
                let tail = &k[prefix(k)..];
                let at = table_of[c] as usize * TABLE_LEN;
                let start = tables.len();
                tables.extend_from_within(at..at + TABLE_LEN);
                tables[start] =
                    tables[start].wrapping_mul(FNV_PRIME.wrapping_pow(tail.len() as u32));
                for h in &mut tables[start + 1..] {
                    *h = fnv1a(*h, tail);
                }
                *own = count;
                count += 1;
                owned += 1;
            }
        }
        let of_frame = keys
            .iter()
            .zip(&of_key)
            .zip(&own)
            .map(|((k, &c), &own)| {
                let tail = &k[prefix(k)..];
                if own != NO_TABLE {
                    // The whole key is in the table: no tail.
                    return FrameTail {
                        table: own,
                        tail: 0,
                        len: 0,
                    };
                }
                FrameTail {
                    table: table_of[c as usize],
                    tail: tail
                        .iter()
                        .rev()
                        .fold(0u32, |t, &b| (t << 8) | u32::from(b)),
                    len: tail.len() as u32,
                }
            })
            .collect();
        PrefixTables {
            of_frame,
            tables,
            covered,
        }
    }

    /// Whether none of the four frames has a table.
    #[inline]
    fn none_of(&self, frames: [u32; 4]) -> bool {
        self.tables.is_empty()
            || frames.iter().all(|&f| {
                self.of_frame
                    .get(f as usize)
                    .is_none_or(|e| e.table == NO_TABLE)
            })
    }

    /// `fnv1a(fnv1a(base, &[0xff]), key)`, `key` being `frame`'s, if its prefix has a table.
    #[inline]
    fn hash(&self, base: u64, frame: u32) -> Option<u64> {
        let e = *self.of_frame.get(frame as usize)?;
        let at = (e.table as usize).checked_mul(TABLE_LEN)?;
        let table = self.tables.get(at..at + TABLE_LEN)?;
        let lo = base & 0xff;
        let mut h = table[0]
            .wrapping_mul(base - lo)
            .wrapping_add(table[1 + lo as usize]);
        for i in 0..e.len.min(KEY_TAIL as u32) {
            h ^= u64::from((e.tail >> (8 * i)) & 0xff);
            h = h.wrapping_mul(FNV_PRIME);
        }
        Some(h)
    }
}

/// The key of `frame` in `keys` (empty for an unknown one).
fn frame_key(keys: &[Box<[u8]>], frame: u32) -> &[u8] {
    keys.get(frame as usize).map_or(&[], |k| k)
}

/// Children lists (CSR) of a forest given as a parent column (`u32::MAX` = no parent), in
/// creation order: returns `(start, children)` where the children of `i` are
/// `children[start[i]..start[i + 1]]`.
pub fn children_from_parents(parent: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = parent.len();
    let mut start = vec![0u32; n + 1];
    for &p in parent {
        if (p as usize) < n {
            start[p as usize + 1] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut children = vec![0u32; start[n] as usize];
    for (c, &p) in parent.iter().enumerate() {
        if (p as usize) < n {
            children[fill[p as usize] as usize] = c as u32;
            fill[p as usize] += 1;
        }
    }
    (start, children)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HeapGraph, Policy, Spill};

    /// A tree of `n` nodes: each node's parent an earlier node (or none), frames and sizes
    /// from a fixed pseudo-random sequence.
    fn generated_tree(n: usize) -> CallTree {
        let mut t = CallTree::new();
        let frames: Vec<u32> = (0..300)
            .map(|k| t.intern_frame(format!("file{}.py:{k}", k % 7).as_bytes()))
            .collect();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..n {
            let parent = if i == 0 || next() % 50 == 0 {
                NO_PARENT
            } else {
                (next() % i as u64) as u32
            };
            let node = t.push_new(parent, frames[(next() % 300) as usize]);
            t.add(node, next() % 1000, next() % 5);
        }
        t.finish_new();
        t
    }

    /// The graph [`CallTree::fill_graph`] made before its bulk node fill: node by node.
    fn filled_node_by_node(t: &CallTree, mut b: GraphBuilder) -> HeapGraph {
        let call = Label::Name(b.intern_label("calls"));
        for i in 0..t.len() {
            let ty = b.intern_type(&format!("type {}", t.frame()[i] % 41));
            let idx = b.add_node(t.id()[i], ty, NodeKind::Frame, t.size()[i]);
            if t.parent()[i] == NO_PARENT {
                b.add_root_idx(idx, ROOT_KIND, None);
            }
        }
        for (i, &c) in t.count().iter().enumerate() {
            b.set_count(NodeIdx(i as u32), c);
        }
        b.finish_nodes_without_index();
        let (start, kids) = t.children();
        for i in 0..t.len() {
            if start[i] < start[i + 1] {
                b.begin_node(NodeIdx(i as u32));
                for &c in &kids[start[i] as usize..start[i + 1] as usize] {
                    b.edge_to_idx(NodeIdx(c), false, call);
                }
            }
        }
        b.finish(Policy::TREE)
    }

    #[test]
    fn bulk_fill_graph_equals_node_by_node_in_memory_and_in_files() {
        // Runs of NODE_RUN and the labels written on another core; one run, labels on this
        // core (below LABELS_APART).
        for len in [3 * NODE_RUN + 17, 5_000] {
            bulk_fill_case(len);
        }
    }

    fn bulk_fill_case(len: usize) {
        let t = generated_tree(len);
        let want = filled_node_by_node(&t, GraphBuilder::new());
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::to_dir(dir.path()).min_bytes(1);
        let type_of = |b: &mut GraphBuilder, t: &CallTree, i: usize| {
            b.intern_type(&format!("type {}", t.frame()[i] % 41))
        };
        // `fill_graph`, and `into_graph` (the types made first, the tree consumed) on a copy.
        let files = || GraphBuilder::new().with_spill(&spill).grow_in_files();
        let usable = spill.is_usable();
        // (builder, in files, into_graph, types per frame, all totals in `extra`)
        for (b, in_files, owned, per_frame, all_extra) in [
            (GraphBuilder::new(), false, false, false, false),
            (GraphBuilder::new(), false, true, false, false),
            (GraphBuilder::new(), false, true, true, false),
            (GraphBuilder::new(), false, true, true, true),
            (files(), usable, false, false, false),
            (files(), usable, true, false, false),
            (files(), usable, true, true, false),
            (files(), usable, true, true, true),
        ] {
            let mut b = b;
            let call = Label::Name(b.intern_label("calls"));
            if owned {
                // Part of the sizes and counts handed over as `extra` instead: all of some
                // nodes', part of others'. Or all of them, for a tree whose nodes were only
                // pushed (tracemalloc's): its own columns never written (nor read).
                let mut copy = if all_extra {
                    let mut c = CallTree::new();
                    for k in &t.keys {
                        c.intern_frame(k);
                    }
                    for i in 0..t.len() {
                        c.push_new(t.parent()[i], t.frame()[i]);
                    }
                    c.finish_new();
                    assert!(!c.own_totals);
                    c
                } else {
                    generated_tree(len)
                };
                assert_eq!(copy.id(), t.id());
                let mut extra = Vec::new();
                for i in 0..copy.len() {
                    if all_extra {
                        if t.size[i] > 0 || t.count[i] > 0 {
                            extra.push((i as u32, t.size[i], t.count[i]));
                        }
                        continue;
                    }
                    let (size, count) = (copy.size[i], copy.count[i]);
                    let (size, count) = match i % 4 {
                        0 => (size, count),
                        1 => (size / 2, count / 2),
                        _ => continue,
                    };
                    copy.size[i] -= size;
                    copy.count[i] -= count;
                    extra.push((i as u32, size, count));
                }
                assert!(extra.iter().any(|e| e.1 > 0));
                assert_eq!(copy.size.iter().any(|&s| s > 0), !all_extra);
                // Types per node with the offsets made inside, or per frame (interned in node
                // order) with the offsets made before.
                let frames = copy.frame().to_vec();
                let (types, offsets) = if per_frame {
                    let mut per_frame = vec![None; copy.keys.len()];
                    for &f in copy.frame() {
                        if per_frame[f as usize].is_none() {
                            per_frame[f as usize] =
                                Some(b.intern_type(&format!("type {}", f % 41)));
                        }
                    }
                    let per_frame = per_frame.into_iter().map(|t| t.unwrap_or(TypeId(0)));
                    let offsets = edge_offsets(copy.parent());
                    (NodeTypes::PerFrame(per_frame.collect()), Some(offsets))
                } else {
                    let types = (0..copy.len()).map(|i| type_of(&mut b, &copy, i));
                    (NodeTypes::PerNode(types.collect()), None)
                };
                let back = copy.into_graph(&mut b, types, offsets, call, true, &extra);
                assert_eq!(back, frames);
            } else {
                t.fill_graph(&mut b, |b, i| type_of(b, &t, i), call, true);
            }
            let got = b.finish(Policy::TREE);
            assert_eq!(got.ids.is_spilled(), in_files);
            assert_eq!(got.counts.is_spilled(), in_files);
            assert_eq!(got.node_count(), t.len());
            assert_eq!(&got.ids[..], &want.ids[..]);
            assert_eq!(&got.type_of[..], &want.type_of[..]);
            assert_eq!(&got.shallow[..], &want.shallow[..]);
            assert_eq!(&got.kind[..], &want.kind[..]);
            assert_eq!(&got.counts[..], &want.counts[..]);
            assert_eq!(&got.offsets[..], &want.offsets[..]);
            assert_eq!(&got.targets[..], &want.targets[..]);
            assert_eq!(&got.edge_labels[..], &want.edge_labels[..]);
            assert_eq!(got.roots, want.roots);
            assert_eq!(got.types.len(), want.types.len());
            for n in 0..t.len() as u32 {
                assert_eq!(got.type_name(NodeIdx(n)), want.type_name(NodeIdx(n)));
            }
            assert!(got.warnings.is_empty(), "{:?}", got.warnings);
        }
    }

    #[test]
    fn ids_are_a_function_of_the_frame_sequence() {
        let mut a = CallTree::new();
        let (m, f, g) = (
            a.intern_frame(b"main"),
            a.intern_frame(b"f"),
            a.intern_frame(b"g"),
        );
        let x = a.insert([m, f, g]);
        let y = a.insert([m, g]);
        assert_eq!(a.insert([m, f, g]), x);
        a.add(x, 10, 1);
        a.add(y, 5, 2);
        let mut b = CallTree::new();
        let (g2, m2) = (b.intern_frame(b"g"), b.intern_frame(b"main"));
        let y2 = b.insert([m2, g2]);
        assert_eq!(b.id()[y2 as usize], a.id()[y as usize]);
        assert_eq!(a.len(), 4);
        assert_eq!(a.path(x), vec![m, f, g]);
        assert_eq!(a.subtree_totals().0[0], 15);
        assert_eq!(a.parent()[0], NO_PARENT);
        // The id of a root frame is FNV-1a over 0xff and its key.
        assert_eq!(a.id()[0], fnv1a(FNV_OFFSET, b"\xffmain"));
        assert_eq!(a.id()[1], fnv1a(FNV_OFFSET, b"\xffmain\xfff"));
    }

    /// A xorshift generator of numbers below its argument (fixed seed: labelled synthetic).
    fn xorshift(mut x: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        }
    }

    /// `stacks` random stacks (labelled synthetic) of 1–12 frames below `frames` through
    /// `child`, and each node made, `(parent, frame)` in creation order.
    fn stacks_through_child(
        t: &mut CallTree,
        rand: &mut impl FnMut(u64) -> u64,
        stacks: usize,
        frames: u64,
    ) -> Vec<(u32, u32)> {
        let mut made: Vec<(u32, u32)> = Vec::new();
        for _ in 0..stacks {
            let mut node = NO_PARENT;
            for _ in 0..1 + rand(12) {
                let f = rand(frames) as u32;
                let (c, new) = t.child(node, f);
                if new {
                    made.push((node, f));
                }
                node = c;
            }
        }
        made
    }

    /// `finish_new_beside` gives the ids `child` gives, on trees below and past
    /// [`BESIDE_MIN`] new nodes (ids on this thread, then on another), and runs `beside` once
    /// with the parent and frame columns.
    #[test]
    fn finish_new_beside_equals_child() {
        let mut rand = xorshift(7u64);
        for stacks in [200usize, 30_000] {
            let mut by_child = CallTree::new();
            let mut pushed = CallTree::new();
            for t in [&mut by_child, &mut pushed] {
                for f in 0..300 {
                    t.intern_frame(format!("/srv/app/mod{}.py:{f}", f % 7).as_bytes());
                }
            }
            let made = stacks_through_child(&mut by_child, &mut rand, stacks, 300);
            for &(p, f) in &made {
                pushed.push_new(p, f);
            }
            let mut calls = 0;
            let seen = pushed.finish_new_beside(false, |parent, frame| {
                calls += 1;
                (parent.to_vec(), frame.to_vec())
            });
            assert_eq!(calls, 1);
            assert_eq!(stacks > 1000, made.len() >= BESIDE_MIN, "{stacks}");
            assert_eq!(seen.0, by_child.parent());
            assert_eq!(seen.1, by_child.frame());
            assert_eq!(pushed.id(), by_child.id(), "{stacks}");
        }
    }

    /// Nodes appended with `push_new` (in an order `child` would make them) and given their
    /// ids by `finish_new` are the tree `child` makes, ids included; `child` goes on from there.
    #[test]
    fn push_new_then_finish_new_equals_child() {
        let mut rand = xorshift(99u64);
        let mut by_child = CallTree::new();
        let mut pushed = CallTree::new();
        for t in [&mut by_child, &mut pushed] {
            for f in 0..40 {
                t.intern_frame(format!("f{f}.py:{f}").as_bytes());
            }
        }
        let made = stacks_through_child(&mut by_child, &mut rand, 3000, 40);
        for &(p, f) in &made {
            pushed.push_new(p, f);
        }
        pushed.finish_new();
        assert!(by_child.len() > 1000);
        assert_eq!(pushed.parent(), by_child.parent());
        assert_eq!(pushed.frame(), by_child.frame());
        assert_eq!(pushed.id(), by_child.id());
        // Lookups after `push_new` find the pushed nodes; new ones get the same ids.
        for _ in 0..500 {
            let stack: Vec<u32> = (0..1 + rand(14)).map(|_| rand(40) as u32).collect();
            assert_eq!(pushed.insert(stack.iter().copied()), by_child.insert(stack));
        }
        assert_eq!(pushed.id(), by_child.id());
    }

    /// Chains appended with `push_new_chain` (empty ones too, from a root or an earlier node)
    /// are the nodes `push_new` appends one by one.
    #[test]
    fn push_new_chain_equals_push_new_one_by_one() {
        let mut rand = xorshift(5u64);
        let (mut chained, mut one_by_one) = (CallTree::new(), CallTree::new());
        for _ in 0..400 {
            let n = one_by_one.len() as u64;
            let parent = if n == 0 || rand(4) == 0 {
                NO_PARENT
            } else {
                rand(n) as u32
            };
            let frames: Vec<u32> = (0..rand(6)).map(|_| rand(30) as u32).collect();
            let mut last = parent;
            for &f in &frames {
                last = one_by_one.push_new(last, f);
            }
            assert_eq!(chained.push_new_chain(parent, frames.iter().copied()), last);
        }
        assert!(one_by_one.len() > 500);
        assert_eq!(chained.parent(), one_by_one.parent());
        assert_eq!(chained.frame(), one_by_one.frame());
    }

    /// The bucketed check finds a 0 or a repeated id wherever it is, as sorting a copy does.
    #[test]
    fn zero_or_repeated_equals_a_sorted_check() {
        // A 64-bit LCG (Knuth's MMIX constants), its high bits.
        let mut x = 5u64;
        let mut next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 3 ^ x << 61
        };
        let sorted_check = |ids: &[u64]| {
            let mut s = ids.to_vec();
            s.sort_unstable();
            s.first() == Some(&0) || s.windows(2).any(|w| w[0] == w[1])
        };
        // 300 000: ~1,200 ids per bucket, each half of the ids and of the buckets on its own
        // core; `close` puts all of them in bucket 0 (sorted: past `TABLE_MAX`).
        for n in [0usize, 1, 2, 3, 100, 5000, 300_000] {
            let ids: Vec<u64> = (0..n).map(|_| next() | 1).collect();
            assert_eq!(zero_or_repeated(&ids), sorted_check(&ids), "n {n}");
            assert!(!zero_or_repeated(&ids), "n {n}");
            for k in 0..n.min(20) {
                // A repeat of an earlier id, or a 0, anywhere; ids clustered in one bucket.
                let mut with = ids.clone();
                with[n - 1 - k] = ids[k / 2];
                assert_eq!(zero_or_repeated(&with), sorted_check(&with));
                let mut zero = ids.clone();
                zero[k] = 0;
                assert!(zero_or_repeated(&zero));
                // A 0 in the second half (its own core's count finds it).
                let mut zero = ids.clone();
                zero[n - 1 - k] = 0;
                assert!(zero_or_repeated(&zero), "n {n}");
                let close: Vec<u64> = ids.iter().map(|&i| i >> 40).collect();
                assert_eq!(zero_or_repeated(&close), sorted_check(&close), "n {n}");
            }
            // All ids in the buckets of one round (the other round scatters them all to its
            // spare slots), with a repeat at either end.
            for top in [0, 1u64 << 63] {
                let mut one: Vec<u64> = ids.iter().map(|&i| i >> 1 | top).collect();
                assert_eq!(zero_or_repeated(&one), sorted_check(&one), "n {n}");
                if n >= 2 {
                    one[n - 1] = one[0];
                    assert!(zero_or_repeated(&one), "n {n}");
                }
            }
            // Two distinct ids of one bucket that differ in one bit in between: not repeated.
            if n >= 2 {
                let mut twin = ids.clone();
                twin[n - 1] = ids[0] ^ 1 << 33;
                assert!(!sorted_check(&twin));
                assert!(!zero_or_repeated(&twin), "n {n}");
            }
        }
    }

    /// Four FNV-1a hashes side by side equal each one alone, keys of any lengths.
    #[test]
    fn fnv1a_four_at_a_time_equals_one_at_a_time() {
        let keys: [&[u8]; 6] = [
            b"",
            b"a",
            b"main.py\x01\0\0\0",
            b"lib/x.py",
            b"\xff\xfe",
            b"zz",
        ];
        for a in 0..keys.len() {
            for b in 0..keys.len() {
                let four = [keys[a], keys[b], keys[(a + b) % 6], keys[(a * b + 1) % 6]];
                let bases = [FNV_OFFSET, 1, a as u64 * 977, u64::MAX - b as u64];
                let want = [0, 1, 2, 3].map(|l| fnv1a(fnv1a(bases[l], &[0xff]), four[l]));
                assert_eq!(fnv1a_ff_x4(bases, four), want);
            }
        }
    }

    /// Nodes given their ids by `finish_new` with a prefix table for every key, none, or some
    /// (in creation order, or level by level with tables for some keys) get the ids `child`
    /// gives, on tracemalloc-like keys (a file name shared by many frames, then a 4-byte line)
    /// and on short keys (the whole key is the tail), after nodes that have ids already.
    #[test]
    fn finish_new_with_prefix_tables_equals_child() {
        let mut rand = xorshift(7u64);
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for f in 0..60u32 {
            let mut k = format!("/srv/app/module_{}.py", f % 7).into_bytes();
            k.extend_from_slice(&(f * 37 + 1).to_le_bytes());
            keys.push(k);
        }
        keys.extend([b"".to_vec(), b"ab".to_vec(), b"\xff\x00\x01\x02".to_vec()]);
        let stacks: Vec<Vec<u32>> = (0..2500)
            .map(|_| {
                let n = 1 + rand(14);
                (0..n).map(|_| rand(keys.len() as u64) as u32).collect()
            })
            .collect();
        let (by_child, made) = by_child(&keys, &stacks);
        assert!(made.len() > 5000);
        let mins = [0, 1, 150, 400, usize::MAX];
        for (prefix, frame) in mins.into_iter().flat_map(|p| mins.map(|f| (p, f))) {
            for already in [0, made.len() / 3] {
                let mut pushed = pushed(&keys, &made, already);
                pushed.finish_new_with(TableMins { prefix, frame }, false, |_, _| ());
                assert_eq!(pushed.id(), by_child.id(), "mins {prefix} {frame}");
            }
        }
    }

    /// Every key prefix and every key with a table (up to [`FRAME_TABLES_MAX`]).
    const ALL: TableMins = TableMins {
        prefix: 0,
        frame: 0,
    };

    /// The tree of `stacks` (frames `keys`) made by `child`, and the `(parent, frame)` of each
    /// node it made, in order.
    fn by_child(keys: &[Vec<u8>], stacks: &[Vec<u32>]) -> (CallTree, Vec<(u32, u32)>) {
        let mut t = CallTree::new();
        for k in keys {
            t.intern_frame(k);
        }
        let mut made: Vec<(u32, u32)> = Vec::new();
        for st in stacks {
            let mut node = NO_PARENT;
            for &f in st {
                let (c, new) = t.child(node, f);
                if new {
                    made.push((node, f));
                }
                node = c;
            }
        }
        (t, made)
    }

    /// The nodes `made` again: the first `already` by `child` (with ids), the rest by
    /// `push_new` (ids still to make).
    fn pushed(keys: &[Vec<u8>], made: &[(u32, u32)], already: usize) -> CallTree {
        let mut t = CallTree::new();
        for k in keys {
            t.intern_frame(k);
        }
        for &(p, f) in &made[..already] {
            t.child(p, f);
        }
        for &(p, f) in &made[already..] {
            t.push_new(p, f);
        }
        t
    }

    /// The ids made in two halves ([`CallTree::ids_in_order`] from [`SPLIT_IDS`] new nodes)
    /// equal those `child` gives: on a tree numbered in preorder (the second half's parents in
    /// the first half are the ancestors of its first node), after nodes with ids already or
    /// none, and on trees numbered otherwise (the second half made again).
    #[test]
    fn ids_in_two_halves_equal_child() {
        let mut rand = xorshift(11u64);
        let keys: Vec<Vec<u8>> = (0..40u32)
            .map(|f| {
                let mut k = format!("/srv/app/m{}.py", f % 5).into_bytes();
                k.extend_from_slice(&(f * 13 + 2).to_le_bytes());
                k
            })
            .collect();
        let random: Vec<Vec<u32>> = (0..40_000)
            .map(|_| {
                let n = 1 + rand(12);
                (0..n).map(|_| rand(keys.len() as u64) as u32).collect()
            })
            .collect();
        let mut sorted = random.clone();
        sorted.sort();
        for (preorder, stacks) in [(true, sorted), (false, random)] {
            let (by_child, made) = by_child(&keys, &stacks);
            assert!(made.len() > 2 * SPLIT_IDS, "{}", made.len());
            for already in [0, 1000, made.len() / 3] {
                let mut pushed = pushed(&keys, &made, already);
                // The halves side by side exactly on the preorder.
                let tables = PrefixTables::new(&pushed.keys, &pushed.frame[already..], ALL);
                let mut id = by_child.id()[..already].to_vec();
                id.resize(pushed.len(), 0);
                let halves = pushed.ids_in_order(&mut id, already, &tables, true);
                assert_eq!(id, by_child.id(), "{preorder} {already}");
                assert_eq!(halves, preorder, "{already}");
                // The caller saying its tree is not in preorder (pprof): the plain pass, the
                // same ids.
                let mut plain = by_child.id()[..already].to_vec();
                plain.resize(pushed.len(), 0);
                assert!(!pushed.ids_in_order(&mut plain, already, &tables, false));
                assert_eq!(plain, by_child.id(), "{preorder} {already}");
                pushed.finish_new_with(ALL, true, |_, _| ());
                assert_eq!(pushed.id(), by_child.id(), "{preorder} {already}");
            }
        }
    }

    /// The two halves of [`CallTree::ids_in_order`] equal the plain pass on a preorder whose
    /// first half is a deep chain and whose second half is children of its shallow nodes
    /// (each such parent is found in `above`, the chain's nodes nearest first: with a scan of
    /// `above` this shape was quadratic).
    #[test]
    fn ids_in_two_halves_of_a_deep_chain_equal_the_plain_pass() {
        let mut t = CallTree::new();
        for k in [
            b"/srv/app/a.py\x01\0\0\0".as_slice(),
            b"/srv/app/b.py\x02\0\0\0",
        ] {
            t.intern_frame(k);
        }
        let (depth, leaves) = (3 * SPLIT_IDS, SPLIT_IDS);
        // The chain (frame 0), then on the way back up a leaf (frame 1) under each of its
        // `leaves` shallowest nodes, deepest first: siblings in frame order, in preorder.
        let mut parent = NO_PARENT;
        for n in 0..depth as u32 {
            t.push_new(parent, 0);
            parent = n;
        }
        for d in (0..leaves as u32).rev() {
            t.push_new(d, 1);
        }
        let tables = PrefixTables::new(&t.keys, &t.frame, ALL);
        let mut halves = vec![0u64; t.len()];
        assert!(t.ids_in_order(&mut halves, 0, &tables, true), "split");
        let mut plain = vec![0u64; t.len()];
        t.ids_in_order_plain(&mut plain, 0, &tables);
        assert_eq!(halves, plain);
    }

    /// A prefix table's hash equals FNV-1a byte by byte, from any base, for keys of any length.
    #[test]
    fn prefix_table_hash_equals_fnv1a() {
        let keys: Vec<Box<[u8]>> = [
            &b""[..],
            b"a",
            b"abcd",
            b"abcde",
            b"main.py\x01\0\0\0",
            b"main.py\x07\0\0\0",
            b"\xff\xfe\xfd\xfc\xfb\xfa",
            b"ab",
            b"\x80\xff\x01",
            b"main.py\xff\xff\xff\xff",
        ]
        .iter()
        .map(|k| Box::from(*k))
        .chain((0..64u64).map(|i| {
            // Keys of every length up to 15, bytes from a fixed-seed generator (the tail,
            // copied beside the frame's table, is each key's last 4 bytes or all of it).
            let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (0..(i % 16) as u32)
                .map(|j| ((x >> (8 * (j % 8))) ^ u64::from(j)) as u8)
                .collect::<Box<[u8]>>()
        }))
        .collect();
        let frames: Vec<u32> = (0..keys.len() as u32).collect();
        // Prefix tables only; a table per key too (the whole key, no tail); the first four
        // keys' own (each is used twice), the rest their prefix's.
        let twice: Vec<u32> = frames.iter().chain(&frames[..4]).copied().collect();
        let only_prefix = TableMins {
            prefix: 0,
            frame: usize::MAX,
        };
        let some = TableMins {
            prefix: 0,
            frame: 2,
        };
        for (t, own) in [
            (PrefixTables::new(&keys, &frames, only_prefix), 0),
            (PrefixTables::new(&keys, &frames, ALL), keys.len()),
            (PrefixTables::new(&keys, &twice, some), 4),
        ] {
            assert_eq!(
                t.covered,
                if own == 4 { keys.len() + 4 } else { keys.len() }
            );
            // A key with a table of its own has no tail (nor has an empty key).
            for (f, k) in keys.iter().enumerate() {
                assert_eq!(t.of_frame[f].len == 0, k.is_empty() || f < own, "{own} {f}");
            }
            let mut b = 1u64;
            for _ in 0..2000 {
                b = b
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                for (f, k) in keys.iter().enumerate() {
                    let want = fnv1a(fnv1a(b, &[0xff]), k);
                    assert_eq!(t.hash(b, f as u32), Some(want));
                }
                // A frame past the tables has no record: the caller hashes its key itself.
                assert_eq!(t.hash(b, keys.len() as u32), None);
                assert_eq!(t.hash(b, u32::MAX), None);
            }
        }
        let none = PrefixTables::new(
            &keys,
            &frames,
            TableMins {
                prefix: usize::MAX,
                frame: 0,
            },
        );
        assert_eq!((none.covered, none.hash(1, 0)), (0, None));
    }

    /// Two nodes with one id (forced: the same call path pushed twice): the later one is moved
    /// as `child` moves a colliding id, and its children hash on from the moved id.
    #[test]
    fn finish_new_moves_a_colliding_id_as_child_does() {
        let mut t = CallTree::new();
        let (m, f) = (t.intern_frame(b"main"), t.intern_frame(b"f"));
        let a = t.push_new(NO_PARENT, m);
        let b = t.push_new(NO_PARENT, m);
        let c = t.push_new(b, f);
        t.finish_new();
        let first = fnv1a(FNV_OFFSET, b"\xffmain");
        let moved = fnv1a(first, &[0x5a]);
        assert_eq!(t.id()[a as usize], first);
        assert_eq!(t.id()[b as usize], moved);
        assert_eq!(t.id()[c as usize], fnv1a(moved, b"\xfff"));
    }
}
