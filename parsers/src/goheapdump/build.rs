//! Pass 2: the graph. Objects sorted by address become nodes `0..n` in that order (so a
//! pointer resolves to a node from its 8 KiB page — one division where the page's objects are
//! equally spaced, as a Go span's are, else a bisection of the page's — with no id index); each
//! object's pointer words become references to the objects containing their targets; the
//! segments, stack frames and pointer roots become GC roots.

use std::collections::BTreeMap;

use rayon::prelude::*;

use heapscope_graph::{GraphBuilder, HeapGraph, Label, NodeIdx, NodeKind, Policy, TypeId};

use super::records::{self, Block, RootKind, Scan};
use super::symbols::Symbols;
use crate::error::Fail;
use crate::ParseOptions;

/// Objects per run of the parallel node and reference passes.
const RUN: usize = 1 << 16;

/// Go's page: 8 KiB (`runtime._PageShift`); spans, and so objects, are laid out in pages.
const PAGE_SHIFT: u32 = 13;

/// What pass 2 counted.
#[derive(Default)]
pub struct Counts {
    /// Alloc-sample records read.
    pub samples: u64,
    pub sampled_objects: u64,
    /// Pointer words that land in an object.
    pub resolved: u64,
    /// Pointer words into the heap's arenas that land in no object and in no stack frame
    /// (free slots, unused stack, span metadata).
    pub heap_gaps: u64,
    /// Pointer words into a dumped stack frame (goroutine stacks live in the heap's arenas).
    pub to_stacks: u64,
    /// Pointer words outside the heap (stacks, data, bss, read-only data, off-heap runtime
    /// memory): not references between objects.
    pub outside: u64,
    pub named_globals: u64,
}

pub struct Built {
    pub graph: HeapGraph,
    pub counts: Counts,
    pub warnings: Vec<String>,
}

/// The sorted objects and the pointer geometry.
struct Heap<'a> {
    data: &'a [u8],
    objs: &'a [Block],
    /// Per Go page (8 KiB) from the first object's start: how many objects start before it, so
    /// that a lookup looks at one page's objects instead of all (4 B per page; empty when the
    /// heap's pages outnumber its objects 4 to 1 — a sparse heap bisects all).
    page_first: Vec<u32>,
    /// Per page, its objects' spacing ([`Heap::page_geometry`], 4 B per page): a Go span holds
    /// objects of one size, so the object at an address is found by one division, without a
    /// search, on every page whose objects are equally spaced.
    page_geom: Vec<u32>,
    /// Stack frames' memory, sorted by address: `(start, length)`.
    stacks: Vec<(u64, u64)>,
    ptr: usize,
    big_endian: bool,
    start: u64,
    end: u64,
}

/// Bytes of a page below the offset of its first object start (the low 16 bits of a page's
/// geometry).
const PAGE_MASK: u64 = (1 << PAGE_SHIFT) - 1;

impl<'a> Heap<'a> {
    fn new(data: &'a [u8], objs: &'a [Block]) -> Self {
        let mut page_first = Vec::new();
        let mut page_geom = Vec::new();
        if let (Some(first), Some(last)) = (objs.first(), objs.last()) {
            let lo = first.addr;
            let end = last.addr.saturating_add(last.contents.len as u64);
            let pages = ((end - lo) >> PAGE_SHIFT) + 1;
            if pages <= 4 * objs.len() as u64 + 1024 {
                page_first.reserve_exact(pages as usize + 1);
                let mut i = 0usize;
                for p in 0..=pages {
                    let base = lo + (p << PAGE_SHIFT);
                    while i < objs.len() && objs[i].addr < base {
                        i += 1;
                    }
                    page_first.push(i as u32);
                }
                page_geom = page_first
                    .windows(2)
                    .map(|w| Self::page_geometry(&objs[w[0] as usize..w[1] as usize], lo))
                    .collect();
            }
        }
        Heap {
            data,
            objs,
            page_first,
            page_geom,
            stacks: Vec::new(),
            ptr: 8,
            big_endian: false,
            start: 0,
            end: 0,
        }
    }

    /// One page's geometry, from the objects that start in it (sorted by address; pages counted
    /// from `lo`): the low 16 bits the offset of the first start in the page, the high 16 bits
    /// the spacing of the starts when they are equally spaced (one object: 1), else 0 (the
    /// lookup then bisects).
    fn page_geometry(page: &[Block], lo: u64) -> u32 {
        let Some(first) = page.first() else {
            return 0;
        };
        let off = ((first.addr - lo) & PAGE_MASK) as u32;
        let stride = match page {
            [_] => 1,
            [a, b, ..] => b.addr - a.addr,
            [] => 0,
        };
        let even = stride > 0
            && stride <= 0xffff
            && page
                .windows(2)
                .all(|w| w[1].addr.wrapping_sub(w[0].addr) == stride);
        if even {
            off | (stride as u32) << 16
        } else {
            off
        }
    }

    /// The object containing `addr`.
    #[inline]
    fn find(&self, addr: u64) -> Option<u32> {
        let lo = self.objs.first()?.addr;
        if addr < lo {
            return None;
        }
        let p = ((addr - lo) >> PAGE_SHIFT) as usize;
        // How many objects start at or below `addr`.
        let i = if self.page_first.is_empty() {
            self.objs.partition_point(|o| o.addr <= addr)
        } else {
            match (self.page_first.get(p), self.page_first.get(p + 1)) {
                (Some(&a), Some(&b)) => {
                    let (a, b) = (a as usize, b as usize);
                    let g = self.page_geom[p];
                    let off = ((addr - lo) & PAGE_MASK) as u32;
                    let (first, stride) = (g & 0xffff, g >> 16);
                    if a == b || off < first {
                        a
                    } else if let Some(k) = (off - first).checked_div(stride) {
                        a + (k as usize + 1).min(b - a)
                    } else {
                        a + self.objs[a..b].partition_point(|o| o.addr <= addr)
                    }
                }
                // Past the last page: the last object is the only candidate.
                _ => self.objs.len(),
            }
        };
        let i = i.checked_sub(1)?;
        let b = &self.objs[i];
        (addr - b.addr < b.contents.len as u64).then_some(i as u32)
    }

    /// [`find`](Self::find) by bisection over all objects (for tests).
    #[cfg(test)]
    fn find_naive(&self, addr: u64) -> Option<u32> {
        let i = self
            .objs
            .partition_point(|o| o.addr <= addr)
            .checked_sub(1)?;
        let b = &self.objs[i];
        (addr - b.addr < b.contents.len as u64).then_some(i as u32)
    }

    fn in_stack(&self, addr: u64) -> bool {
        let i = self.stacks.partition_point(|s| s.0 <= addr);
        i > 0 && addr - self.stacks[i - 1].0 < self.stacks[i - 1].1
    }

    /// The objects the pointer words of a block (or, with `fields_at`, of a stack frame whose
    /// field list is there) reach: `(word index, node)`.
    fn targets<'s>(
        &'s self,
        b: &'s Block,
        fields_at: Option<usize>,
        counts: &'s mut Counts,
    ) -> impl Iterator<Item = (u64, u32)> + 's {
        let ptr = self.ptr as u64;
        let fields_at = fields_at.unwrap_or(b.contents.at + b.contents.len);
        let words = records::pointers(self.data, b.contents, fields_at, self.ptr, self.big_endian);
        words.filter_map(move |(off, v)| match self.find(v) {
            Some(t) => {
                counts.resolved += 1;
                Some((off / ptr, t))
            }
            None => {
                if self.in_stack(v) {
                    counts.to_stacks += 1;
                } else if v >= self.start && v < self.end {
                    counts.heap_gaps += 1;
                } else if v != 0 {
                    counts.outside += 1;
                }
                None
            }
        })
    }
}

/// The type of an object the profiler did not sample: its size class.
fn size_class_type(
    b: &mut GraphBuilder,
    cache: &mut BTreeMap<usize, TypeId>,
    size: usize,
) -> TypeId {
    *cache
        .entry(size)
        .or_insert_with(|| b.intern_type(&format!("size class {size} B")))
}

/// A goroutine's frames' root kind: where it stands (`goroutine stack (chan receive)`).
fn frame_root_kind(data: &[u8], g: &records::Goroutine) -> String {
    let state = match g.status {
        1 => "runnable".into(),
        2 => "running".into(),
        3 => "syscall".into(),
        4 if g.wait_reason.len > 0 => g.wait_reason.text(data).into_owned(),
        4 => "waiting".into(),
        s => format!("status {s}"),
    };
    let who = if g.system {
        "runtime goroutine"
    } else {
        "goroutine"
    };
    format!("{who} stack ({state})")
}

pub fn build(
    data: &[u8],
    scan: &mut Scan,
    syms: Option<&Symbols>,
    opts: &ParseOptions,
) -> Result<Built, Fail> {
    let Some(p) = scan.params else {
        return Err(Fail::at(
            records::HEADER.len(),
            "a dump params record (pointer size, byte order) before the EOF record",
        ));
    };
    let mut warnings = Vec::new();
    let mut counts = Counts::default();
    let mut objs = std::mem::take(&mut scan.objects);
    objs.sort_unstable_by_key(|b| b.addr);
    let overlaps = objs
        .windows(2)
        .filter(|w| w[1].addr < w[0].addr.saturating_add(w[0].contents.len as u64))
        .count();
    if overlaps > 0 {
        warnings.push(format!(
            "{overlaps} objects start inside the object before them; pointers resolve to the later one"
        ));
    }
    let mut stacks: Vec<(u64, u64)> = scan
        .frames
        .iter()
        .map(|f| (f.block.addr, f.block.contents.len as u64))
        .collect();
    stacks.sort_unstable();
    let heap = Heap {
        stacks,
        ptr: p.ptr_size as usize,
        big_endian: p.big_endian,
        start: p.heap_start,
        end: p.heap_end,
        ..Heap::new(data, &objs)
    };

    let mut b = GraphBuilder::new().with_spill(&opts.spill).grow_in_files();
    if opts.drop_labels {
        b = b.without_labels();
    }
    // Allocation sites: each bucket's site interned; each sampled object typed by it.
    scan.buckets.sort_unstable_by_key(|k| k.id);
    let bucket_types: Vec<TypeId> = scan
        .buckets
        .iter()
        .map(|k| b.intern_type(&k.site.text(data)))
        .collect();
    let mut ty: Vec<u32> = vec![u32::MAX; objs.len()];
    let (mut unknown_bucket, mut no_object) = (0u64, 0u64);
    for &(addr, id) in &scan.samples {
        let Ok(k) = scan.buckets.binary_search_by_key(&id, |k| k.id) else {
            unknown_bucket += 1;
            continue;
        };
        match heap.find(addr) {
            Some(i) => ty[i as usize] = bucket_types[k].0,
            None => no_object += 1,
        }
    }
    if unknown_bucket > 0 {
        warnings.push(format!(
            "{unknown_bucket} alloc samples name a profile bucket the dump lacks; their objects are named by size class"
        ));
    }
    if no_object > 0 {
        warnings.push(format!(
            "{no_object} alloc samples name an address no object holds"
        ));
    }
    counts.samples = scan.samples.len() as u64;
    let sampled_none = scan.samples.is_empty();
    // 16 B per sampled object, no longer needed.
    scan.samples = Vec::new();
    if sampled_none {
        warnings.push(
            "no alloc samples (runtime.MemProfileRate = 0?): every object is named by its size class".into(),
        );
    }

    // Nodes, in runs written in parallel; with the builder's columns in spill files from the
    // start (`grow_in_files`) where they would spill anyway.
    let mut classes = BTreeMap::new();
    for (o, t) in objs.iter().zip(ty.iter_mut()) {
        if *t == u32::MAX {
            *t = size_class_type(&mut b, &mut classes, o.contents.len).0;
        } else {
            counts.sampled_objects += 1;
        }
    }
    let runs: Vec<usize> = objs.chunks(RUN).map(<[Block]>::len).collect();
    b.add_nodes_parallel(&runs, |k, mut slots| {
        let first = k * RUN;
        for (i, o) in objs[first..first + slots.len()].iter().enumerate() {
            let t = TypeId(ty[first + i]);
            slots.set(i, o.addr, t, NodeKind::Object, o.contents.len as u64);
        }
    });
    drop(ty);

    // References, in the same runs: each run's room is its objects' pointer fields.
    let ptr = heap.ptr;
    let bounds: Vec<(u32, usize)> = objs
        .par_chunks(RUN)
        .enumerate()
        .map(|(k, run)| {
            let fields: u64 = run.iter().map(|o| records::field_count(data, o, ptr)).sum();
            ((k * RUN + run.len()) as u32, fields as usize)
        })
        .collect();
    let per_run = b.fill_edges_parallel(&bounds, |k, slots| {
        let mut c = Counts::default();
        let first = k * RUN;
        let end = bounds[k].0 as usize;
        for (i, o) in objs[first..end].iter().enumerate() {
            slots.begin_node(NodeIdx((first + i) as u32));
            for (word, t) in heap.targets(o, None, &mut c) {
                slots.edge_to_idx(
                    NodeIdx(t),
                    false,
                    Label::Index(word.min(u32::MAX as u64) as u32),
                );
            }
        }
        c
    });
    for c in per_run {
        counts.resolved += c.resolved;
        counts.heap_gaps += c.heap_gaps;
        counts.to_stacks += c.to_stacks;
        counts.outside += c.outside;
    }

    // Globals: the pointer words of the data and bss segments.
    if let (Some(syms), Some(&(_, seg))) = (syms, scan.segments.iter().find(|s| !s.0)) {
        if syms.data_addr.is_some_and(|a| a != seg.addr) {
            warnings.push(format!(
                "the --binary's .data starts at 0x{:x} but the dump's at 0x{:x}: is it the program that wrote the dump? Globals may be misnamed",
                syms.data_addr.unwrap_or(0),
                seg.addr
            ));
        }
    }
    let mut via = String::new();
    for &(bss, seg) in &scan.segments {
        let mut held = Vec::new();
        for (word, t) in heap.targets(&seg, None, &mut counts) {
            held.push((word * p.ptr_size, t));
        }
        for (off, t) in held {
            via.clear();
            let addr = seg.addr + off;
            match syms.and_then(|s| s.lookup(addr)) {
                Some((name, 0)) => via.push_str(name),
                Some((name, o)) => via.push_str(&format!("{name}+0x{o:x}")),
                None => via.push_str(&format!("{}+0x{off:x}", if bss { "bss" } else { "data" })),
            }
            if syms.is_some_and(|s| s.lookup(addr).is_some()) {
                counts.named_globals += 1;
            }
            b.add_root_idx(NodeIdx(t), "global", Some(&via));
        }
    }

    // Goroutine stacks, frame by frame.
    let kinds: Vec<String> = scan
        .goroutines
        .iter()
        .map(|g| frame_root_kind(data, g))
        .collect();
    for f in &scan.frames {
        let g = &scan.goroutines[f.goroutine as usize];
        let held: Vec<u32> = heap
            .targets(&f.block, Some(f.fields_at), &mut counts)
            .map(|x| x.1)
            .collect();
        if held.is_empty() {
            continue;
        }
        let via = format!("goroutine {} · {}", g.goid, f.func.text(data));
        for t in held {
            b.add_root_idx(NodeIdx(t), &kinds[f.goroutine as usize], Some(&via));
        }
    }

    // Finalizers, defers, panics, other roots.
    for r in &scan.roots {
        let Some(t) = heap.find(r.ptr) else { continue };
        let kind = match r.kind {
            RootKind::Finalizer => "finalizer",
            RootKind::QueuedFinalizer => "queued finalizer",
            RootKind::Defer => "defer",
            RootKind::Panic => "panic",
            RootKind::Other => "other root",
        };
        let text = r.text.text(data);
        b.add_root_idx(NodeIdx(t), kind, (!text.is_empty()).then_some(&*text));
    }

    let all = counts.resolved + counts.heap_gaps;
    if counts.heap_gaps > 100 && counts.heap_gaps * 100 > all {
        warnings.push(format!(
            "{} of {} pointers into the heap land in no object (dropped): the dump may be damaged",
            counts.heap_gaps, all
        ));
    }
    Ok(Built {
        graph: b.finish(Policy::MAT),
        counts,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goheapdump::records::Range;

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn block(addr: u64, len: usize) -> Block {
        Block {
            addr,
            contents: Range { at: 0, len },
        }
    }

    /// Spans of equally sized objects (some slots free), large objects over several pages,
    /// odd pages (mixed sizes, overlaps, duplicate starts), gaps.
    fn heap(seed: u64, odd: bool) -> Vec<Block> {
        let mut r = Rng(seed);
        let mut objs = Vec::new();
        let mut at = 0xc000_000000u64 + 8 * r.below(1000);
        for _ in 0..40 {
            match r.below(if odd { 5 } else { 3 }) {
                0 | 1 => {
                    let size = [8u64, 16, 24, 48, 128, 640, 4096, 8192][r.below(8) as usize];
                    let n = 1 + r.below(3 * 8192 / size);
                    for k in 0..n {
                        if r.below(4) != 0 {
                            objs.push(block(at + k * size, size as usize));
                        }
                    }
                    at += n * size;
                }
                2 => {
                    let size = 8192 + 8 * r.below(5000);
                    objs.push(block(at, size as usize));
                    at += size + 8 * r.below(3000);
                }
                3 => {
                    for _ in 0..1 + r.below(30) {
                        let size = 8 * (1 + r.below(40));
                        objs.push(block(at, size as usize));
                        at += 8 * r.below(50);
                    }
                }
                _ => {
                    objs.push(block(at, 64));
                    objs.push(block(at, 32));
                    at += 8 * r.below(20) + 8;
                }
            }
        }
        objs.sort_by_key(|b| b.addr);
        objs
    }

    #[test]
    fn page_arithmetic_finds_what_a_bisection_finds() {
        for seed in 1..60u64 {
            let objs = heap(seed * 0x9e37_79b9, seed % 2 == 0);
            let h = Heap::new(&[], &objs);
            assert!(!h.page_first.is_empty(), "dense heap, seed {seed}");
            let lo = objs[0].addr;
            let last = objs.last().unwrap();
            let hi = last.addr + last.contents.len as u64 + 100;
            let mut r = Rng(seed);
            let mut hits = 0;
            // every word and some odd addresses, past both ends too
            let mut addrs: Vec<u64> = (lo.saturating_sub(64)..hi).step_by(8).collect();
            addrs.extend((0..2000).map(|_| lo - 64 + r.below(hi - lo + 128)));
            addrs.extend([0, 1, u64::MAX, lo, hi + (1 << 40)]);
            for a in addrs {
                let want = h.find_naive(a);
                assert_eq!(h.find(a), want, "seed {seed}, address 0x{a:x}");
                hits += usize::from(want.is_some());
            }
            assert!(hits > 0, "seed {seed}");
        }
    }

    #[test]
    fn sparse_heap_bisects_all_objects() {
        let objs: Vec<Block> = (0..50u64).map(|k| block(k << 30, 16)).collect();
        let h = Heap::new(&[], &objs);
        assert!(h.page_first.is_empty());
        for k in 0..50u64 {
            assert_eq!(h.find((k << 30) + 8), Some(k as u32));
            assert_eq!(h.find((k << 30) + 16), None);
        }
    }

    #[test]
    fn page_geometry_says_equal_spacing_only_when_it_is() {
        let lo = 0xc000_000000;
        let even: Vec<Block> = (0..10).map(|k| block(lo + 48 + 96 * k, 96)).collect();
        assert_eq!(Heap::page_geometry(&even, lo), 48 | 96 << 16);
        let mut odd = even.clone();
        odd[5].addr += 8;
        assert_eq!(Heap::page_geometry(&odd, lo), 48);
        assert_eq!(Heap::page_geometry(&even[..1], lo), 48 | 1 << 16);
        let dup = [block(lo, 8), block(lo, 16)];
        assert_eq!(Heap::page_geometry(&dup, lo), 0);
        assert_eq!(Heap::page_geometry(&[], lo), 0);
    }
}
