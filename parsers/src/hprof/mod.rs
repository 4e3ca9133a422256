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
//! the file offset of every 64th node's record, for the [`Inspector`].
//!
//! The graph:
//! - node types are Java names as MAT and VisualVM print them (`java.util.HashMap$Node`,
//!   `byte[]`, `java.lang.Object[]`); class objects are nodes of type `java.lang.Class` (kind
//!   `Class`) whose class name is the [`Inspector`]'s value preview; object ids are the dump's.
//! - instance references are labelled with their field names, found by walking the class
//!   hierarchy of CLASS DUMP descriptors; array elements as `[i]`; a class object has
//!   `static NAME` edges for its static fields, `<super>` and `<classloader>`.
//!   Unlike MAT, instances have no edge to their class object (it would cost one edge per object
//!   and changes no retained size of interest: classes are held by their loader anyway).
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

pub mod bytes;
pub mod heap;
pub mod idmap;
pub mod layout;
pub mod records;

use std::collections::HashMap;

use heapscope_graph::{DumpFacts, GraphBuilder, HeapGraph, Inspector, NodeIdx, Policy, Runtime};
use serde_json::json;

use crate::Fail;
use crate::{budget, Input, ParseError, ParseOptions, Parsed};
use bytes::{Bytes, T_BYTE, T_CHAR};
use heap::{Classes, Offsets, RootRec, ThreadLocals};
use records::{Header, TopLevel};

/// Eclipse MAT's semantics: referents retain, unreachable objects are left out.
pub const POLICY: Policy = Policy::MAT;

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
    let top = records::walk(&b, &h, wrap).map_err(err)?;
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
    let mut builder = GraphBuilder::new().with_spill(&opts.spill);
    if opts.drop_labels {
        builder = builder.without_labels();
    }
    let mut votes = layout::Votes::default();
    let (mut classes, roots, trunc, heap_names, node_counts) =
        heap::collect_classes(&b, &top, &mut builder, &mut votes).map_err(err)?;
    let objects: usize = node_counts.iter().sum();
    if std::env::var_os(budget::SKIP_ENV).is_none() {
        let need = budget::estimate_hprof(objects as u64, opts.spill.is_usable());
        if let Some(msg) = budget::check(objects as u64, need, budget::available()) {
            let at = top.segments.first().map_or(h.records_at, |s| s.0);
            return Err(ParseError::new(input.path(), at as u64, msg));
        }
    }
    // Pass 1 may stop at a truncated segment: the later passes read the same segments.
    let segs = &top.segments[..node_counts.len()];
    let (mut lay, layout_votes) = votes.decide(h.id_size);
    lay.gen = heap::generation(&classes, &b, &top, &h.version);
    heap::compute_layouts(
        &mut classes,
        &b,
        &top,
        &lay,
        &mut builder,
        &votes.static_types,
    )
    .map_err(err)?;

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
    let class_nodes: Vec<(u32, u32)> = node_runs
        .iter()
        .flat_map(|r| r.class_nodes.iter().copied())
        .collect();
    builder.finish_nodes();

    let threads = Threads::new(&b, &top, &classes, &roots, &builder, &offsets);
    // (thread object, local, frame depth, label): one edge per (thread, local), labelled with the
    // innermost frame that holds it (a local passed down the stack is a root in every frame)
    let mut stack_locals = Vec::new();
    for r in &roots {
        let kind = heap::root_kind_name(r.tag);
        let via = threads.root_via(r, &b, &top, &classes);
        if let (Some(frame), Some(&(thread_obj, _, _))) = (
            threads.frame_text(r, &b, &top, &classes),
            threads.by_serial.get(&r.thread_serial),
        ) {
            let l = builder.intern_label(&format!("local in {frame}"));
            stack_locals.push((thread_obj, r.id, r.frame, l));
        }
        builder.add_root_id(r.id, kind, via.as_deref());
    }
    stack_locals.sort_unstable_by_key(|e| (e.0, e.1, e.2));
    stack_locals.dedup_by_key(|e| (e.0, e.1));
    let locals = ThreadLocals {
        edges: stack_locals.into_iter().map(|e| (e.0, e.1, e.3)).collect(),
    };
    // Each segment's node end and bound of references, thread locals counted where their
    // thread object is.
    let mut edge_runs: Vec<(u32, usize)> = Vec::with_capacity(node_runs.len());
    let mut end = 0u32;
    for (c, r) in node_counts.iter().zip(&node_runs) {
        end += *c as u32;
        edge_runs.push((end, r.refs));
    }
    for l in &locals.edges {
        if let Some(n) = builder.lookup(l.0) {
            let k = edge_runs.partition_point(|r| r.0 <= n.0);
            if let Some(r) = edge_runs.get_mut(k) {
                r.1 += 1;
            }
        }
    }
    let short_instances: u64 = node_runs.iter().map(|r| r.short_instances).sum();
    let first_short = node_runs.iter().filter_map(|r| r.first_short).min();
    drop(node_runs);
    heap::add_edges(&b, segs, &edge_runs, &classes, &mut builder, &locals).map_err(err)?;

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
    let mut graph = builder.finish(POLICY);
    explain_missing_ids(&mut graph.warnings);
    let info = dump_info(
        &h,
        &top,
        &lay,
        layout_votes,
        &threads,
        &heap_names,
        &graph,
        warnings,
    );
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
    Ok(Parsed {
        graph,
        info,
        inspector: Box::new(inspector),
    })
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

#[allow(clippy::too_many_arguments)]
fn dump_info(
    h: &Header,
    top: &TopLevel,
    lay: &layout::Layout,
    votes: [u64; 6],
    threads: &Threads,
    heap_names: &[String],
    graph: &HeapGraph,
    mut warnings: Vec<String>,
) -> DumpFacts {
    let mut info = DumpFacts::object_graph("hprof", Runtime::Jvm);
    info.timestamp_ms = Some(h.timestamp_ms as i64);
    info.timestamp = Some(heapscope_graph::time::format_rfc3339_ms(
        h.timestamp_ms.min(i64::MAX as u64) as i64,
    ));
    let d = &mut info.details;
    d.insert("hprof_version".into(), json!(h.version));
    d.insert("id_size".into(), json!(h.id_size));
    d.insert("heap_dumps".into(), json!(top.heap_dumps));
    d.insert("records".into(), json!(top.records));
    d.insert("object_header_bytes".into(), json!(lay.header));
    d.insert("reference_bytes".into(), json!(lay.ref_size));
    d.insert("layout_votes".into(), json!(votes));
    d.insert("size_model".into(), json!(lay.describe()));
    if !heap_names.is_empty() {
        d.insert("android_heaps".into(), json!(heap_names));
    }
    let threads_json: Vec<_> = threads
        .list
        .iter()
        .map(|t| json!({"name": t.name, "serial": t.serial, "object_id": format!("0x{:x}", t.object), "frames": t.frames}))
        .collect();
    d.insert("threads".into(), json!(threads_json));
    warnings.extend(graph.warnings.iter().cloned());
    info.warnings = warnings;
    info
}

/// Threads from ROOT THREAD OBJECT records: name (the Thread's `name` String) and stack.
struct ThreadInfo {
    serial: u32,
    object: u64,
    name: String,
    frames: Vec<String>,
}

struct Threads {
    /// thread serial → (thread object id, stack trace serial, index into `list`)
    by_serial: HashMap<u32, (u64, u32, usize)>,
    list: Vec<ThreadInfo>,
}

impl Threads {
    fn new(
        b: &Bytes,
        top: &TopLevel,
        classes: &Classes,
        roots: &[RootRec],
        builder: &GraphBuilder,
        offsets: &Offsets,
    ) -> Threads {
        let mut by_serial = HashMap::new();
        let mut list = Vec::new();
        for r in roots.iter().filter(|r| r.tag == heap::ROOT_THREAD_OBJECT) {
            let name = builder
                .lookup(r.id)
                .and_then(|n| offsets.get(b, n.ix()))
                .and_then(|rec| instance_field(b, top, classes, rec, "name"))
                .and_then(|sid| builder.lookup(sid).and_then(|n| offsets.get(b, n.ix())))
                .and_then(|rec| {
                    read_string(b, top, classes, rec, |id| {
                        builder.lookup(id).and_then(|n| offsets.get(b, n.ix()))
                    })
                })
                .unwrap_or_else(|| format!("thread#{}", r.thread_serial));
            let mut frames = Vec::new();
            if let Some(&(_, a, e)) = top.traces.get(&r.trace) {
                for &fid in &top.trace_frames[a..e] {
                    frames.push(frame_string(b, top, classes, fid));
                }
            }
            by_serial.insert(r.thread_serial, (r.id, r.trace, list.len()));
            list.push(ThreadInfo {
                serial: r.thread_serial,
                object: r.id,
                name,
                frames,
            });
        }
        Threads { by_serial, list }
    }

    /// `com.x.Foo.run(Foo.java:42)` for a Java frame / JNI local root.
    fn frame_text(
        &self,
        r: &RootRec,
        _b: &Bytes,
        _top: &TopLevel,
        _classes: &Classes,
    ) -> Option<String> {
        if r.tag != heap::ROOT_JAVA_FRAME && r.tag != heap::ROOT_JNI_LOCAL {
            return None;
        }
        let &(_, _, ti) = self.by_serial.get(&r.thread_serial)?;
        self.list[ti].frames.get(r.frame as usize).cloned()
    }

    /// How a root is held: `Thread "main" > frame …` for stack roots, `Thread "main"` for threads.
    fn root_via(
        &self,
        r: &RootRec,
        b: &Bytes,
        top: &TopLevel,
        classes: &Classes,
    ) -> Option<String> {
        let &(_, _, ti) = self.by_serial.get(&r.thread_serial)?;
        let t = &self.list[ti];
        match (r.tag, self.frame_text(r, b, top, classes)) {
            (_, Some(f)) => Some(format!("Thread \"{}\" > frame {f}", t.name)),
            (heap::ROOT_THREAD_OBJECT, None) => None,
            _ => Some(format!("Thread \"{}\"", t.name)),
        }
    }
}

fn frame_string(b: &Bytes, top: &TopLevel, _classes: &Classes, fid: u64) -> String {
    let Some(f) = top.frames.get(&fid) else {
        return format!("<frame 0x{fid:x}>");
    };
    let method = top.string(b, f.method).unwrap_or_else(|| "?".into());
    let class = top
        .class_serials
        .get(&f.class_serial)
        .and_then(|cid| top.class_names.get(cid))
        .and_then(|&sid| top.string(b, sid))
        .map(|s| bytes::java_class_name(&s))
        .unwrap_or_else(|| "?".into());
    let src = top.string(b, f.source).unwrap_or_default();
    let loc = match f.line {
        n if n > 0 && !src.is_empty() => format!("{src}:{n}"),
        -3 => "Native Method".into(),
        -2 => "Compiled Method".into(),
        _ if !src.is_empty() => src,
        _ => "Unknown Source".into(),
    };
    format!("{class}.{method}({loc})")
}

/// Where field `name` (searching the class, then its superclasses) sits in an instance's data:
/// (offset in the data, basic type).
fn field_offset(
    b: &Bytes,
    top: &TopLevel,
    classes: &Classes,
    class_id: u64,
    name: &str,
) -> Option<(usize, u8)> {
    let mut off = 0usize;
    let mut cur = classes.by_id.get(class_id);
    let mut depth = 0;
    while let Some(ci) = cur {
        depth += 1;
        if depth > 256 {
            return None;
        }
        let c = &classes.defs[ci as usize];
        for &(sid, t) in &classes.fields[c.fields.0 as usize..c.fields.1 as usize] {
            if top.string(b, sid).as_deref() == Some(name) {
                return Some((off, t));
            }
            off += bytes::dump_size(t, b.id)?;
        }
        cur = classes.by_id.get(c.super_id).filter(|&k| k != ci);
    }
    None
}

/// The value of a field of the INSTANCE DUMP at `rec` (an id, or a primitive widened to u64).
fn instance_field(
    b: &Bytes,
    top: &TopLevel,
    classes: &Classes,
    rec: usize,
    name: &str,
) -> Option<u64> {
    if b.u1(rec)? != heap::INSTANCE_DUMP {
        return None;
    }
    let id = b.id;
    let cid = b.id(rec + 1 + id + 4)?;
    let (off, t) = field_offset(b, top, classes, cid, name)?;
    let len = b.u4(rec + 1 + 2 * id + 4)? as usize;
    let size = bytes::dump_size(t, id)?;
    if off + size > len {
        return None; // a short INSTANCE DUMP: the field is not in its data
    }
    let data = rec + 1 + 2 * id + 8 + off;
    match size {
        1 => b.u1(data).map(u64::from),
        2 => b.u2(data).map(u64::from),
        4 => b.u4(data).map(u64::from),
        _ => b.u8(data),
    }
}

/// A java.lang.String's text, from its INSTANCE DUMP at `rec`; `locate` maps an id to its record.
fn read_string(
    b: &Bytes,
    top: &TopLevel,
    classes: &Classes,
    rec: usize,
    locate: impl Fn(u64) -> Option<usize>,
) -> Option<String> {
    let value = instance_field(b, top, classes, rec, "value")?;
    let coder = instance_field(b, top, classes, rec, "coder").unwrap_or(0);
    decode_array(b, locate(value)?, coder as u8, 200)
}

/// Decode a String's backing array at `rec`: `byte[]` with coder 0 (Latin-1) or 1 (UTF-16, the
/// JVM's native little-endian order), or JDK 8's `char[]` (big-endian in the dump).
fn decode_array(b: &Bytes, rec: usize, coder: u8, max_chars: usize) -> Option<String> {
    let id = b.id;
    if b.u1(rec)? != heap::PRIM_ARRAY_DUMP {
        return None;
    }
    let n = b.u4(rec + 1 + id + 4)? as usize;
    let t = b.u1(rec + 1 + id + 8)?;
    let data = rec + 1 + id + 9;
    let mut s = String::new();
    match (t, coder) {
        (T_BYTE, 0) => {
            let raw = b.slice(data, data + n.min(max_chars))?;
            s.extend(raw.iter().map(|&c| c as char));
        }
        (T_BYTE, _) => {
            let raw = b.slice(data, data + (n / 2).min(max_chars) * 2)?;
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            s = String::from_utf16_lossy(&units);
        }
        (T_CHAR, _) => {
            let raw = b.slice(data, data + n.min(max_chars) * 2)?;
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            s = String::from_utf16_lossy(&units);
        }
        _ => return None,
    }
    Some(s)
}

/// Reads `java.lang.String` values and class names from the mapped dump on demand.
pub struct HprofInspector {
    input: Input,
    id_size: usize,
    offsets: Offsets,
    string_type: Option<u32>,
    /// (offset of `value`, offset of `coder`) in a String's instance data
    string_fields: Option<(usize, Option<usize>)>,
    /// class object node → class name
    class_names: HashMap<u32, String>,
}

impl HprofInspector {
    #[allow(clippy::too_many_arguments)]
    fn new(
        input: Input,
        id_size: usize,
        offsets: Offsets,
        classes: &Classes,
        class_nodes: &[(u32, u32)],
        top: &TopLevel,
        b: &Bytes,
        g: &HeapGraph,
    ) -> Self {
        let string_type = g.types.lookup("java.lang.String");
        let string_fields = classes
            .defs
            .iter()
            .find(|c| c.name == "java.lang.String")
            .and_then(|c| {
                let v = field_offset(b, top, classes, c.id, "value")?.0;
                Some((v, field_offset(b, top, classes, c.id, "coder").map(|x| x.0)))
            });
        let class_names = class_nodes
            .iter()
            .map(|&(n, ci)| (n, classes.defs[ci as usize].name.clone()))
            .collect();
        HprofInspector {
            input,
            id_size,
            offsets,
            string_type,
            string_fields,
            class_names,
        }
    }
}

impl Inspector for HprofInspector {
    fn value_preview(&self, g: &HeapGraph, node: NodeIdx) -> Option<String> {
        if let Some(name) = self.class_names.get(&node.0) {
            return Some(name.clone());
        }
        if Some(g.type_of[node.ix()]) != self.string_type {
            return None;
        }
        let b = Bytes {
            data: self.input.bytes(),
            id: self.id_size,
        };
        let (value_off, coder_off) = self.string_fields?;
        let rec = self.offsets.get(&b, node.ix())?;
        let data = rec + 1 + 2 * self.id_size + 8;
        // The `value` array is the String's edge to the node with that id (no labels needed).
        let len = b.u4(rec + 1 + 2 * self.id_size + 4)? as usize;
        let coder = coder_off
            .filter(|&o| o < len)
            .and_then(|o| b.u1(data + o))
            .unwrap_or(0);
        if value_off + self.id_size > len {
            return None;
        }
        let value = b.id(data + value_off)?;
        let target = g
            .edges(node)
            .find(|e| g.ids[e.target.ix()] == value)?
            .target;
        decode_array(&b, self.offsets.get(&b, target.ix())?, coder, 200)
    }
}
