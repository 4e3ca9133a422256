//! Go heap dumps, as `runtime/debug.WriteHeapDump(fd)` writes them (`go1.7 heap dump\n`, the
//! format of Go 1.7 and every later release): the object graph, with roots.
//!
//! The dump's objects are untyped: each is a block of memory (its size class) with the offsets
//! of its pointer words. A node is one object, its id its address (Go's collector does not move
//! objects, so ids are stable within one process), its shallow size the block's size. Its type
//! is its allocation site when the memory profiler sampled it (an alloc-sample record ties the
//! object to a profile bucket; the site is the bucket stack's innermost non-`runtime.` frame,
//! e.g. `main.newPayload`), else `size class N B`. Every pointer word is resolved to the object
//! that contains the address (interior pointers, slices into arrays) from its 8 KiB page: one
//! division where the page's objects are equally spaced (a Go span holds objects of one size),
//! else a bisection of the page's objects; pointers to no object are counted, not kept. Roots: the data and bss
//! segments' pointer words (`global`, named by symbol with `--binary`), every goroutine's stack
//! frames (`goroutine stack (chan receive)`, `goroutine 17 · main.pollWorker`), finalizers,
//! defers, panics and other roots. The dump's MemStats feed the fragmentation verdict.
//!
//! Pass 1 ([`records::scan`]) reads each record once into flat arrays of offsets (24 B per
//! object); pass 2 (`build`) adds the nodes in address order and their references, in parallel
//! runs, the builder's columns growing in spill files. Memory: the scan's objects, a type and a
//! CSR offset per object (~32 B) plus 16 B per alloc sample; checked against what is available
//! (`crate::budget::GO`) before pass 2, and during the scan (a scan that alone outgrows it stops
//! and the dump is refused, naming the estimate and the limit). See
//! `docs/dev/go-heapdump.md` for the record layouts and how the numbers compare with pprof's.

mod build;
pub mod records;
mod symbols;

use heapscope_graph::facts::{FormatDetails, GoHeapDumpDetails, GoPointers, GoRecords};
use heapscope_graph::{Comparison, DumpFacts, MemStats, NoInspector, Rows, Runtime};

use crate::{Input, ParseError, ParseOptions, Parsed};
use records::{Scan, HEADER};

pub use symbols::Symbols;

pub const READER: crate::Reader = crate::Reader {
    name: "go-heapdump",
    looks_like: "a Go heap dump (runtime/debug.WriteHeapDump: \"go1.7 heap dump\")",
    sniff,
    parse,
};

/// Any Go heap dump header (`go1.N heap dump\n`), so that an older one is refused by name.
fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(32)];
    head.starts_with(b"go1.")
        && head
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|nl| head[..nl].ends_with(b" heap dump"))
}

pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let data = input.bytes();
    let fail = |f: crate::Fail| f.in_file(input.path(), data);
    if !data.starts_with(HEADER) {
        return Err(fail(records::header_error(data)));
    }
    let symbols = match &opts.binary {
        Some(path) => Some(Symbols::read(path)?),
        None => None,
    };
    let check = std::env::var_os(crate::budget::SKIP_ENV).is_none();
    let available = check.then(crate::budget::available).flatten();
    let mut scan = match available {
        // The scan's own arrays (objects, alloc samples) stay in memory out of core: a scan
        // that outgrows what is available stops early, and the dump is refused.
        Some(avail) => records::scan_within_budget(
            data,
            avail,
            std::mem::size_of::<records::Block>() as u64,
            crate::budget::GO_PER_SAMPLE,
        ),
        None => records::scan(data),
    }
    .map_err(fail)?;
    if let (Some(at), Some(avail)) = (scan.cut_short, available) {
        return Err(ParseError::new(
            input.path(),
            at as u64,
            crate::budget::refusal_partial(scan.objects.len() as u64, at, data.len(), avail),
        ));
    }
    let mut out_of_core = None;
    if check {
        use crate::budget;
        let nodes = scan.objects.len() as u64;
        let samples = (scan.samples.len() as u64).saturating_mul(budget::GO_PER_SAMPLE);
        let need = budget::estimate(
            budget::GO,
            nodes,
            scan.pointer_fields,
            opts.spill.is_usable(),
        )
        .saturating_add(samples);
        let floor = nodes
            .saturating_mul(budget::GO_FLOOR_PER_NODE)
            .saturating_add(samples);
        // The scan's arrays are in the estimates and already in memory: what is available
        // now comes on top of them.
        let held = (scan.objects.len() * std::mem::size_of::<records::Block>()
            + scan.samples.len() * std::mem::size_of::<(u64, u64)>()) as u64;
        let available = budget::available().map(|a| a.saturating_add(held));
        let plan = budget::plan_floor(nodes, need, floor, available, &opts.spill);
        out_of_core = budget::options_for(plan, input.path(), opts)?;
    }
    let opts = out_of_core.as_ref().unwrap_or(opts);
    let built = build::build(data, &mut scan, symbols.as_ref(), opts).map_err(fail)?;
    let info = facts(data, &scan, &built, opts);
    Ok(Parsed {
        graph: built.graph,
        info,
        inspector: Box::new(NoInspector),
    })
}

/// The typed MemStats fields of the dump's MemStats record (its numbers in record order).
fn memstats(m: &[u64; records::MEMSTATS_LEN]) -> MemStats {
    MemStats {
        sys: Some(m[2]),
        heap_alloc: Some(m[6]),
        heap_sys: Some(m[7]),
        heap_idle: Some(m[8]),
        heap_inuse: Some(m[9]),
        heap_released: Some(m[10]),
        heap_objects: Some(m[11]),
        next_gc: Some(m[21]),
        num_gc: Some(m[records::MEMSTATS_LEN - 1]),
        gc_cpu_fraction: None,
    }
}

fn facts(data: &[u8], s: &Scan, b: &build::Built, opts: &ParseOptions) -> DumpFacts {
    let mut info = DumpFacts::object_graph(READER.name, Runtime::Go);
    // Addresses: Go's collector does not move objects, so a survivor keeps its id.
    info.ids_stable = true;
    info.comparison = Comparison::DevTools;
    // A row is the function that allocated (pprof's row), or a size class when unsampled.
    info.rows = Rows::new("function");
    info.memstats = s.memstats.as_deref().map(memstats);
    info.warnings = b.graph.warnings.clone();
    info.warnings.extend(b.warnings.iter().cloned());
    if s.trailing > 0 {
        info.warnings
            .push(format!("{} bytes after the EOF record ignored", s.trailing));
    }
    let p = s.params.as_ref();
    let c = &b.counts;
    info.details.format = FormatDetails::GoHeapDump(GoHeapDumpDetails {
        go_version: p.map(|p| p.version.text(data).to_string()),
        arch: p.map(|p| p.arch.text(data).to_string()),
        pointer_size: p.map(|p| p.ptr_size),
        big_endian: p.map(|p| p.big_endian),
        ncpu: p.map(|p| p.ncpu),
        heap_range: p.map(|p| format!("0x{:x}-0x{:x}", p.heap_start, p.heap_end)),
        records: GoRecords {
            objects: b.graph.node_count() as u64,
            goroutines: s.goroutines.len() as u64,
            stack_frames: s.frames.len() as u64,
            segments: s.segments.len() as u64,
            types: s.types,
            itabs: s.itabs,
            os_threads: s.threads,
            memprof_buckets: s.buckets.len() as u64,
            alloc_samples: c.samples,
            pointer_roots: s.roots.len() as u64,
        },
        sampled_objects: c.sampled_objects,
        pointers: GoPointers {
            to_objects: c.resolved,
            into_heap_but_no_object: c.heap_gaps,
            to_stack_frames: c.to_stacks,
            outside_the_heap: c.outside,
        },
        binary: opts.binary.as_ref().map(|p| p.display().to_string()),
        globals_named_by_symbol: c.named_globals,
    });
    info
}
