//! Pass 2: the graph. Objects sorted by address become nodes `0..n` in that order (so a
//! pointer resolves to a node by binary search over the starts, with no id index); each
//! object's pointer words become references to the objects containing their targets; the
//! segments, stack frames and pointer roots become GC roots.

use std::collections::BTreeMap;

use heapscope_graph::{GraphBuilder, HeapGraph, Label, NodeIdx, NodeKind, Policy, TypeId};

use super::records::{self, Block, RootKind, Scan};
use super::symbols::Symbols;
use crate::error::Fail;
use crate::ParseOptions;

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
    /// The objects' start addresses, sorted (8 B per object, apart from `objs` for the cache).
    starts: Vec<u64>,
    /// Per Go page (8 KiB) from `starts[0]`: how many objects start before it, so that a
    /// lookup searches one page's objects (a few) instead of all (4 B per page; empty when
    /// the heap's pages outnumber its objects 4 to 1 — a sparse heap searches all).
    page_first: Vec<u32>,
    /// Stack frames' memory, sorted by address: `(start, length)`.
    stacks: Vec<(u64, u64)>,
    ptr: usize,
    big_endian: bool,
    start: u64,
    end: u64,
}

impl<'a> Heap<'a> {
    fn new(data: &'a [u8], objs: &'a [Block]) -> Self {
        let starts: Vec<u64> = objs.iter().map(|b| b.addr).collect();
        let mut page_first = Vec::new();
        if let (Some(&lo), Some(last)) = (starts.first(), objs.last()) {
            let end = last.addr.saturating_add(last.contents.len as u64);
            let pages = ((end - lo) >> PAGE_SHIFT) + 1;
            if pages <= 4 * starts.len() as u64 + 1024 {
                page_first.reserve_exact(pages as usize + 1);
                let mut i = 0usize;
                for p in 0..=pages {
                    let base = lo + (p << PAGE_SHIFT);
                    while i < starts.len() && starts[i] < base {
                        i += 1;
                    }
                    page_first.push(i as u32);
                }
            }
        }
        Heap {
            data,
            objs,
            starts,
            page_first,
            stacks: Vec::new(),
            ptr: 8,
            big_endian: false,
            start: 0,
            end: 0,
        }
    }

    /// The object containing `addr`.
    #[inline]
    fn find(&self, addr: u64) -> Option<u32> {
        let lo = *self.starts.first()?;
        if addr < lo {
            return None;
        }
        let p = ((addr - lo) >> PAGE_SHIFT) as usize;
        let i = if self.page_first.is_empty() {
            self.starts.partition_point(|&s| s <= addr)
        } else {
            // Past the last page: the last object is the only candidate.
            let (a, b) = match (self.page_first.get(p), self.page_first.get(p + 1)) {
                (Some(&a), Some(&b)) => (a as usize, b as usize),
                _ => (self.starts.len(), self.starts.len()),
            };
            a + self.starts[a..b].partition_point(|&s| s <= addr)
        };
        let i = i.checked_sub(1)?;
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

    let mut b = GraphBuilder::new().with_spill(&opts.spill);
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

    b.reserve_nodes(objs.len());
    let mut classes = BTreeMap::new();
    for (o, &t) in objs.iter().zip(&ty) {
        let t = if t == u32::MAX {
            size_class_type(&mut b, &mut classes, o.contents.len)
        } else {
            counts.sampled_objects += 1;
            TypeId(t)
        };
        b.add_node(o.addr, t, NodeKind::Object, o.contents.len as u64);
    }
    drop(ty);
    b.finish_nodes_without_index();

    for (i, o) in objs.iter().enumerate() {
        b.begin_node(NodeIdx(i as u32));
        for (word, t) in heap.targets(o, None, &mut counts) {
            b.edge_to_idx(
                NodeIdx(t),
                false,
                Label::Index(word.min(u32::MAX as u64) as u32),
            );
        }
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
