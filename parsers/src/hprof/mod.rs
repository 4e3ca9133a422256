//! Java HPROF heap dumps (`jcmd PID GC.heap_dump`, `jmap -dump`, `-XX:+HeapDumpOnOutOfMemoryError`,
//! Android's `am dumpheap`): `JAVA PROFILE 1.0.1`, `1.0.2` and Android's `1.0.3`, 4- or 8-byte ids.
//!
//! The mapped file is read in four passes, none of which copies heap data: the top-level
//! records ([`records::walk`]: strings, LOAD CLASS, stack traces, where the heap dump's segments
//! are), then three over the first heap dump's segments, each in parallel over the segments
//! (rayon; HotSpot writes ~1 MB HEAP DUMP SEGMENTs): classes, GC roots and node counts; one graph
//! node per object (class objects, instances, object and primitive arrays), with exact counts of
//! non-null references so the edge arrays are sized once; and each node's references ([`heap`]).
//! Before any per-object array is allocated, [`crate::budget`] checks the estimated memory against what
//! the machine has. Per node the parser keeps 1/8 byte besides what the [`GraphBuilder`] holds:
//! the file offset of every 64th node's record, for the [`Inspector`]. `HEAPSCOPE_STATS_HPROF=1`
//! prints the wall and CPU time of each pass ([`crate::timing`]).
//!
//! The graph:
//! - node types are Java names as MAT and VisualVM print them (`java.util.HashMap$Node`,
//!   `byte[]`, `java.lang.Object[]`); class objects are nodes of type `java.lang.Class` (kind
//!   `Class`) whose class name is the [`Inspector`]'s value preview; object ids are the dump's.
//! - instance references are labelled with their field names, found by walking the class
//!   hierarchy of CLASS DUMP descriptors; array elements as `[i]`; a class object has
//!   `static NAME` edges for its static fields, `<super>` and `<classloader>`.
//!   Unlike MAT, instances have no edge to their class object (it would cost one edge per object
//!   and changes no retained size of interest: classes are held by their loader) — except
//!   instances of hidden classes (every lambda's class since JDK 15, `defineHiddenClass`; VM
//!   anonymous classes before), which no loader lists and only their instances keep alive: they
//!   get a `<class>` edge (`heap::is_hidden_class_name`).
//! - JDK 21+ virtual threads: a parked virtual thread's frames live inside its
//!   `jdk.internal.vm.StackChunk` objects, sized with their stack ([`layout`]). JDK 21's dumper
//!   writes neither the frames nor a stack for the thread (JDK 25 writes both), so what only
//!   those frames hold has no root: a warning says so (`heap::stack_chunk_warning`).
//! - `java.lang.ref.Reference.referent` edges are weak. Policy (Eclipse MAT's): they count for
//!   reachability and retained sizes (`weak_retains = true`) — otherwise a finalizer backlog, objects
//!   alive only through `java.lang.ref.Finalizer`, is invisible, as it is in VisualVM — while root
//!   paths avoid them and fall back to them only when no strong path exists (the graph crate marks
//!   such a path weak).
//! - every GC root keeps its kind (VisualVM's names: `Java frame`, `thread object`, `sticky class`…);
//!   `Java frame` and `JNI local` roots say where they are held (`Thread "main" > frame
//!   com.x.Foo.run(Foo.java:42)`, from STACK TRACE / STACK FRAME records), and the thread object
//!   gets an edge `local in com.x.Foo.run(Foo.java:42)` to each of them.
//! - sizes: see [`layout`]. Unreachable objects stay in the graph (the histogram counts every
//!   object in the dump, as `jcmd GC.class_histogram` does) and the graph crate leaves them out of
//!   the dominator tree (`Orphans::Unreachable`, as MAT does).
//!
//! Several dumps in one file: the first is analyzed, with a warning. A HEAP DUMP record longer
//! than 4 GiB (its u4 length wrapped) is found by walking its sub-records
//! ([`records::heap_dump_extent`]). A truncated file is analyzed as far as it goes, with a
//! warning; structural damage is a [`ParseError`] with the byte offset.
//!
//! [`Inspector`]: heapscope_graph::Inspector

pub mod bytes;
mod collections;
pub mod heap;
pub mod idmap;
mod inspect;
pub mod layout;
pub mod records;
mod threads;

pub use inspect::HprofInspector;

use heapscope_graph::facts::{FormatDetails, HprofDetails, StackHolders, Thread, ThreadRoot};
use heapscope_graph::hash::FxHashMap;
use heapscope_graph::{Column, DumpFacts, GraphBuilder, HeapGraph, LabelId, Policy, Runtime};

use crate::Fail;
use crate::{budget, Input, ParseError, ParseOptions, Parsed};
use bytes::Bytes;
use heap::{Offsets, RootRec, ThreadLocals};
use records::{Header, TopLevel};
use threads::Threads;

/// Eclipse MAT's semantics: referents retain, unreachable objects are left out.
pub const POLICY: Policy = Policy::MAT;

/// The builder's spill threshold for HPROF (below the default's 32 MiB when the options allow
/// spilling), as V8's: the columns the builder grows in files from the start (node columns,
/// edge targets, labels) do so from 4 MiB on.
const COLUMNS_IN_FILES_FROM: usize = 4 << 20;

/// How an input is recognised as hprof, and parsed.
pub const READER: crate::Reader = crate::Reader {
    name: "hprof",
    looks_like: "Java HPROF (\"JAVA PROFILE 1.0.x\")",
    sniff: |data| data.starts_with(b"JAVA PROFILE 1.0."),
    parse,
};

/// Parse an uncompressed HPROF input (gzip is unwrapped by the caller, see [`crate::parse_input`]).
pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    parse_with_wrap(input, opts, records::LENGTH_WRAP)
}

/// [`parse`] with the record-length modulus as a parameter, so tests can exercise the logic for
/// HEAP DUMP records longer than 4 GiB on a small file. Real input uses 2^32.
#[doc(hidden)]
pub fn parse_with_wrap(
    input: &Input,
    opts: &ParseOptions,
    wrap: u64,
) -> Result<Parsed, ParseError> {
    let err = |c: Fail| c.in_file(input.path(), input.bytes());
    let data = input.bytes();
    let h = records::header(data).map_err(err)?;
    let b = Bytes {
        data,
        id: h.id_size,
    };
    let mut steps = crate::timing::Steps::of(crate::timing::Reader::Hprof);
    let mut top = records::walk(&b, &h, wrap).map_err(err)?;
    steps.step("top-level records");
    if top.segments.is_empty() {
        let at = if top.truncated.is_some() {
            data.len()
        } else {
            h.records_at
        };
        return Err(ParseError::new(
            input.path(),
            at as u64,
            "a HEAP DUMP or HEAP DUMP SEGMENT record",
        ));
    }
    // The builder's columns grow in spill files from 4 MiB on, as V8's (`COLUMNS_IN_FILES_FROM`):
    // below the default's 32 MiB the edge targets, labels, types and kinds of a dump of a few
    // million objects stayed anonymous memory to the end of the run (500 K classes, 4.5 M
    // objects: 100 MB of 421 MiB).
    let spill = opts
        .spill
        .clone()
        .min_bytes(opts.spill.min_bytes.min(COLUMNS_IN_FILES_FROM));
    let mut builder = GraphBuilder::new().with_spill(&spill).grow_in_files();
    if opts.drop_labels {
        builder = builder.without_labels();
    }
    let mut votes = layout::Votes::default();
    let (mut classes, roots, trunc, heap_names, node_counts) =
        heap::collect_classes(&b, &top, &mut builder, &mut votes).map_err(err)?;
    steps.step("pass 1: classes, roots, counts");
    let objects: usize = node_counts.iter().sum();
    if std::env::var_os(budget::SKIP_ENV).is_none() {
        let need = budget::estimate_hprof(objects as u64, opts.spill.is_usable());
        match budget::plan(objects as u64, need, budget::available(), &opts.spill) {
            budget::Plan::InMemory => {}
            budget::Plan::OutOfCore => {
                builder = builder.with_spill(&spill.clone().out_of_core(true));
            }
            budget::Plan::Refuse(msg) => {
                let at = top.segments.first().map_or(h.records_at, |s| s.0);
                return Err(ParseError::new(input.path(), at as u64, msg));
            }
        }
    }
    // Pass 1 may stop at a truncated segment: the later passes read the same segments.
    let segs = &top.segments[..node_counts.len()].to_vec();
    let (mut lay, layout_votes) = votes.decide(h.id_size);
    lay.gen = heap::generation(&classes, builder.types(), &b, &top, &h.version);
    heap::compute_layouts(&mut classes, &b, &top, &lay, &mut builder).map_err(err)?;
    steps.step("layouts");

    let mut offsets = Offsets::default();
    let node_runs = heap::add_nodes(
        &b,
        segs,
        &node_counts,
        &classes,
        &lay,
        &mut builder,
        &mut offsets,
    )
    .map_err(err)?;
    let unknown_classes: u64 = node_runs.iter().map(|r| r.unknown_classes).sum();
    let stack_chunks: (u64, u64) = node_runs.iter().fold((0, 0), |a, r| {
        (a.0 + r.stack_chunks, a.1 + r.stack_chunk_bytes)
    });
    let class_nodes: Vec<(u32, u32)> = node_runs
        .iter()
        .flat_map(|r| r.class_nodes.iter().copied())
        .collect();
    steps.step("pass 2: nodes");
    builder.finish_nodes();
    steps.step("id index");

    let mut threads = Threads::new(&b, &top, &classes, &roots, &builder, &offsets);
    top.drop_frames();
    top.drop_described_classes(|cid| classes.by_id.get(cid).is_some());
    let root = |at: usize| RootRec::at(&b, at);
    // (thread, frame depth, local), 16 B each: one edge per (thread object, local), labelled
    // with the innermost frame that holds it (a local passed down the stack is a root in every
    // frame)
    let mut stack_locals: Vec<(u32, u32, u64)> = Vec::with_capacity(
        roots
            .iter()
            .filter(|&&at| matches!(b.u1(at), Some(heap::ROOT_JAVA_FRAME | heap::ROOT_JNI_LOCAL)))
            .count(),
    );
    // `local in <frame>` label per distinct frame (the frame table's index), made once.
    let mut local_labels = vec![None; threads.table.len()];
    // A root's `via` label by (thread, frame-table index or none), interned once per (thread,
    // frame), in the order the roots first name them (after the root's `local in` label).
    let mut vias: FxHashMap<(usize, Option<u32>, bool), LabelId> = FxHashMap::default();
    for &at in &roots {
        let r = root(at);
        if let (Some(fi), Some(&(_, _, ti))) = (
            threads.frame_index(&r),
            threads.by_serial.get(&r.thread_serial),
        ) {
            local_labels[fi as usize].get_or_insert_with(|| {
                builder.intern_label(&format!("local in {}", threads.table.text(fi)))
            });
            stack_locals.push((ti as u32, r.frame, r.id));
        }
        if let Some(key) = threads.via_key(&r) {
            vias.entry(key)
                .or_insert_with(|| match threads.root_via(&r, &b, &top, &classes) {
                    Some(v) => builder.intern_label(&v),
                    None => LabelId(0),
                });
        }
    }
    // The labels of a thread's references to its frames' locals: a fact for the reports.
    let local_labels_ids: Vec<u32> = local_labels.iter().flatten().map(|l| l.0).collect();
    // by thread object (threads that share one are one), local, depth
    let object_of = |ti: u32| threads.list[ti as usize].object;
    stack_locals.sort_unstable_by_key(|e| (object_of(e.0), e.2, e.1));
    stack_locals.dedup_by_key(|e| (object_of(e.0), e.2));
    stack_locals.shrink_to_fit();
    let locals = ThreadLocals::new(
        stack_locals,
        |&(ti, _, _)| object_of(ti),
        |(ti, frame, local)| {
            let fi = threads.list[ti as usize].frames.index(frame as usize);
            let label = fi.and_then(|fi| local_labels[fi as usize]);
            (local, label.unwrap_or(LabelId(0)))
        },
    );
    // Each segment's node end and bound of references, thread locals counted where their
    // thread object is.
    let mut edge_runs: Vec<(u32, usize)> = Vec::with_capacity(node_runs.len());
    let mut end = 0u32;
    for (c, r) in node_counts.iter().zip(&node_runs) {
        end += *c as u32;
        edge_runs.push((end, r.refs));
    }
    for (thread, count) in locals.counts() {
        if let Some(n) = builder.lookup(thread) {
            let k = edge_runs.partition_point(|r| r.0 <= n.0);
            if let Some(r) = edge_runs.get_mut(k) {
                r.1 += count;
            }
        }
    }
    let short_instances: u64 = node_runs.iter().map(|r| r.short_instances).sum();
    let first_short = node_runs.iter().filter_map(|r| r.first_short).min();
    drop(node_runs);
    steps.step("threads, roots");
    heap::add_edges(&b, segs, &edge_runs, &classes, &mut builder, &locals).map_err(err)?;
    steps.step("pass 3: edges");
    drop(locals);
    // The GC roots after the edges, once the thread locals are freed (24 B per root in the
    // builder until `finish`).
    builder.reserve_roots(roots.len());
    for &at in &roots {
        let r = root(at);
        let kind = heap::root_kind_name(r.tag);
        match threads.via_key(&r) {
            Some(key) => builder.add_root_id_via(r.id, kind, vias[&key]),
            None => builder.add_root_id(r.id, kind, None),
        }
    }
    drop(vias);
    steps.step("roots");

    let mut warnings = Vec::new();
    if let Some(t) = top.truncated.as_ref().or(trunc.as_ref()) {
        warnings.push(format!("truncated dump: {t}; analyzed what is there"));
    }
    if top.heap_dumps > 1 {
        warnings.push(format!(
            "the file holds {} heap dumps; analyzed the first",
            top.heap_dumps
        ));
    }
    for &w in &top.wrapped {
        warnings.push(format!(
            "the HEAP DUMP record at byte {w} is longer than 4 GiB (its length field wrapped); its end was found by walking its contents"
        ));
    }
    if let Some((at, tag)) = top.first_unknown {
        warnings.push(format!(
            "skipped {} top-level records with an unknown tag (the first, tag 0x{tag:02X}, at byte {at})",
            top.unknown_tags
        ));
    }
    if short_instances > 0 {
        let (short, at) = (short_instances, first_short.unwrap_or(0));
        warnings.push(format!(
            "{short} INSTANCE DUMPs hold less data than their class's fields need (the first at byte {at}); the fields past their data were not read"
        ));
    }
    if unknown_classes > 0 {
        warnings.push(format!(
            "{unknown_classes} instances name a class that has no CLASS DUMP"
        ));
    }
    warnings.extend(heap::stack_chunk_warning(
        stack_chunks.0,
        stack_chunks.1,
        threads.virtual_stacks,
    ));
    let mut graph = builder.finish(POLICY);
    steps.step("finish graph");
    // Which thread holds which root, made after the builder's roots are freed: sized once
    // (16 B per thread root), then one per object kept (the one a report names), for the
    // whole run.
    let held = roots
        .iter()
        .filter(|&&at| threads.thread_root(&root(at)).is_some())
        .count();
    let mut thread_roots = Vec::with_capacity(held);
    thread_roots.extend(
        roots
            .iter()
            .filter_map(|&at| threads.thread_root(&root(at))),
    );
    drop(roots);
    ThreadRoot::keep_one_per_object(&mut thread_roots, &threads.list);
    // In a spill file once large (as the graph's columns): the report reads a few.
    let mut thread_roots = Column::from(thread_roots);
    if let Err(why) = thread_roots.spill(&spill) {
        graph.spill_warning(&why);
    }
    let stack = stack_holders(&graph, local_labels_ids);
    explain_missing_ids(&mut graph.warnings);
    name_missing_root_class(&mut graph.warnings, |id| {
        let name = top.class_names.get(&id)?;
        top.string(&b, *name).map(|n| bytes::java_class_name(&n))
    });
    let mut info = dump_info(
        &h,
        &top,
        &lay,
        layout_votes,
        std::mem::take(&mut threads.list),
        thread_roots,
        stack,
        &heap_names,
        &graph,
        warnings,
    );
    info.supertypes = inspect::supertypes(&classes, &graph.types);
    let inspector = HprofInspector::new(
        input.clone(),
        h.id_size,
        offsets,
        &classes,
        &class_nodes,
        &top,
        &b,
        &graph,
    );
    drop((classes, class_nodes, top));
    // The parse's tables (class table, strings, roots, thread locals) came from the heap once
    // glibc raised its mmap threshold, and a freed chunk below a live one stays resident
    // (500 K classes: ~80 MiB to the end of the run); as the V8 and tracemalloc readers do.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator to the system.
    unsafe {
        libc::malloc_trim(0);
    }
    steps.step("facts, inspector, malloc_trim");
    Ok(Parsed {
        graph,
        info,
        inspector: Box::new(inspector),
    })
}

/// What a thread's stack holds while a frame runs, in the graph's terms: the GC root kinds of
/// a frame's references (Java frame, JNI local, native stack) and the labels of a thread
/// object's references to its frames' locals (`local in <frame>`).
fn stack_holders(graph: &HeapGraph, local_labels: Vec<u32>) -> StackHolders {
    let stack_tags = [
        heap::ROOT_JAVA_FRAME,
        heap::ROOT_JNI_LOCAL,
        heap::ROOT_NATIVE_STACK,
    ];
    let mut stack = StackHolders {
        root_kinds: stack_tags
            .iter()
            .filter_map(|&tag| graph.root_kinds.lookup(heap::root_kind_name(tag)))
            .collect(),
        nodes: Vec::new(),
        labels: local_labels,
    };
    stack.normalize();
    stack
}

/// What the "references point to ids that are not in the dump" warning means for HPROF: JDK 17
/// and 25 dumps of JVMs with class data sharing (the default) have ~800–950 such references, from
/// archived objects to archived objects the dump leaves out; the same program run with
/// `-Xshare:off` has none, nor has a dump without compressed oops (no archived heap then).
/// See testdata/java/README.md.
fn explain_missing_ids(warnings: &mut [String]) {
    for w in warnings.iter_mut() {
        if w.contains("references point to ids that are not in the dump") {
            w.push_str(
                "; JVMs with class data sharing on (the default) leave part of the archived heap out of their dumps, which is what such references usually are (a JVM run with -Xshare:off has none)",
            );
        }
    }
}

/// The builder's "GC roots point to ids that are not in the dump … (first: 0x…, a … root)"
/// names the first root's id; when that id is a class the dump names (LOAD CLASS) without
/// describing it (no CLASS DUMP) — JDK 21 does so for a few `jdk.internal.event` classes — say
/// which class it is.
fn name_missing_root_class(warnings: &mut [String], class_name: impl Fn(u64) -> Option<String>) {
    for w in warnings.iter_mut() {
        if !w.contains("GC roots point to ids that are not in the dump") {
            continue;
        }
        let Some(at) = w.find("(first: 0x") else {
            continue;
        };
        let hex: String = w[at + "(first: 0x".len()..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        let name = u64::from_str_radix(&hex, 16).ok().and_then(&class_name);
        if let Some(name) = name {
            w.push_str(&format!(
                "; the first is class {name}, which the dump names (LOAD CLASS) but does not describe (no CLASS DUMP)"
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn dump_info(
    h: &Header,
    top: &TopLevel,
    lay: &layout::Layout,
    votes: [u64; 6],
    threads: Vec<Thread>,
    thread_roots: Column<ThreadRoot>,
    stack: StackHolders,
    heap_names: &[String],
    graph: &HeapGraph,
    mut warnings: Vec<String>,
) -> DumpFacts {
    let mut info = DumpFacts::object_graph("hprof", Runtime::Jvm);
    info.timestamp_ms = Some(h.timestamp_ms as i64);
    info.timestamp = Some(heapscope_graph::time::format_rfc3339_ms(
        h.timestamp_ms.min(i64::MAX as u64) as i64,
    ));
    info.details.format = FormatDetails::Hprof(HprofDetails {
        hprof_version: h.version.clone(),
        id_size: h.id_size as u64,
        heap_dumps: top.heap_dumps,
        records: top.records,
        object_header_bytes: lay.header,
        reference_bytes: lay.ref_size,
        layout_votes: votes,
        size_model: lay.describe(),
        android_heaps: heap_names.to_vec(),
    });
    info.thread_roots = thread_roots;
    info.stack = stack;
    // moved, not cloned (4 B per frame of every stack)
    info.details.threads = Some(threads);
    warnings.extend(graph.warnings.iter().cloned());
    info.warnings = warnings;
    info
}

#[cfg(test)]
mod tests {
    use super::name_missing_root_class;

    /// The first missing root's id is looked up as a class; other warnings are left alone, and
    /// so is a missing root that is no class the dump names.
    #[test]
    fn a_missing_root_that_is_a_named_class_is_named() {
        let names = |id: u64| (id == 0x742fcc458).then(|| "jdk.internal.event.X".to_string());
        let mut w = vec![
            "2 GC roots point to ids that are not in the dump; they were skipped (first: 0x742fcc458, a sticky class root)".to_string(),
            "3 references point to ids that are not in the dump; they were skipped (first: 0x742fcc458 from node 0x1)".to_string(),
        ];
        let before = w.clone();
        name_missing_root_class(&mut w, names);
        assert_eq!(
            w[0],
            format!("{}; the first is class jdk.internal.event.X, which the dump names (LOAD CLASS) but does not describe (no CLASS DUMP)", before[0])
        );
        assert_eq!(w[1], before[1]);
        let mut other = vec![before[0].replace("742fcc458", "10")];
        let kept = other.clone();
        name_missing_root_class(&mut other, names);
        assert_eq!(other, kept);
    }
}
