//! The threads of a dump, from its ROOT THREAD OBJECT records: each thread's name (its
//! `name` String) and stack (STACK TRACE / STACK FRAME records), and how a GC root is held —
//! `Thread "main" > frame com.x.Foo.run(Foo.java:42)` for stack roots, `Thread "main"` for
//! threads.

use std::collections::HashMap;
use std::sync::Arc;

use heapscope_graph::hash::FxHashMap;

use heapscope_graph::facts::{Frame, FrameLine, FrameTable, Frames, Thread, ThreadRoot};
use heapscope_graph::GraphBuilder;

use super::bytes::{self, Bytes};
use super::heap::{self, Classes, Offsets, RootRec};
use super::inspect::{instance_field, read_string};
use super::records::TopLevel;

pub(super) struct Threads {
    /// thread serial → (thread object id, stack trace serial, index into `list`)
    pub(super) by_serial: HashMap<u32, (u64, u32, usize)>,
    /// Threads from ROOT THREAD OBJECT records: name (the Thread's `name` String) and stack.
    pub(super) list: Vec<Thread>,
    /// The distinct frames of all stacks (`list`'s stacks index it).
    pub(super) table: Arc<FrameTable>,
    /// Threads whose thread object is a `java.lang.VirtualThread` with a stack: JDK 25 writes
    /// each parked virtual thread as a thread, with its frames and their locals as roots;
    /// JDK 21 writes none (see [`super::heap::STACK_CHUNK`]).
    pub(super) virtual_stacks: usize,
}

impl Threads {
    pub(super) fn new(
        b: &Bytes,
        top: &TopLevel,
        classes: &Classes,
        roots: &[usize],
        builder: &GraphBuilder,
        offsets: &Offsets,
    ) -> Threads {
        let mut by_serial = HashMap::new();
        let mut named = Vec::new();
        // Frames interned by what they print from: the distinct STACK FRAME contents
        // (`TopLevel::frame_rows`), or the id of a frame the dump has no record of.
        let mut table = FrameTable::default();
        let mut interned: FxHashMap<Result<u32, u64>, u32> = FxHashMap::default();
        let thread_objects = roots
            .iter()
            .filter(|&&at| b.u1(at) == Some(heap::ROOT_THREAD_OBJECT))
            .map(|&at| RootRec::at(b, at));
        let mut virtual_stacks = 0;
        for r in thread_objects {
            let rec = builder.lookup(r.id).and_then(|n| offsets.get(b, n.ix()));
            let class = rec
                .filter(|&at| b.u1(at) == Some(heap::INSTANCE_DUMP))
                .and_then(|at| b.id(at + 1 + b.id + 4))
                .and_then(|cid| classes.by_id.get(cid));
            let is_virtual = class.is_some_and(|ci| {
                classes.name(ci as usize, builder.types()) == "java.lang.VirtualThread"
            });
            let name = rec
                .and_then(|rec| instance_field(b, top, classes, rec, "name"))
                .and_then(|sid| builder.lookup(sid).and_then(|n| offsets.get(b, n.ix())))
                .and_then(|rec| {
                    read_string(b, top, classes, rec, |id| {
                        builder.lookup(id).and_then(|n| offsets.get(b, n.ix()))
                    })
                })
                .unwrap_or_else(|| format!("thread#{}", r.thread_serial));
            // Made in its final block at once (an exact-size collect): a copy from a `Vec`
            // left 10,000 freed blocks among the live ones, ~11 MiB the heap kept.
            let stack: Arc<[u32]> = match top.traces.get(&r.trace) {
                Some(&(_, a, e)) => top.trace_frames[a..e]
                    .iter()
                    .map(|&f| {
                        let key = top.trace_frame(f);
                        *interned
                            .entry(key)
                            .or_insert_with(|| table.push(frame(b, top, classes, key)))
                    })
                    .collect(),
                None => Arc::from([]),
            };
            if is_virtual && !stack.is_empty() {
                virtual_stacks += 1;
            }
            by_serial.insert(r.thread_serial, (r.id, r.trace, named.len()));
            named.push((r.thread_serial, r.id, name, stack));
        }
        let table = Arc::new(table);
        let list = named
            .into_iter()
            .map(|(serial, object, name, stack)| Thread {
                serial,
                object,
                name,
                frames: Frames::new(table.clone(), stack).expect("stack indices are into table"),
            })
            .collect();
        Threads {
            by_serial,
            list,
            table,
            virtual_stacks,
        }
    }

    /// The frame-table index of a Java frame / JNI local root's frame, when its stack has it.
    pub(super) fn frame_index(&self, r: &RootRec) -> Option<u32> {
        if r.tag != heap::ROOT_JAVA_FRAME && r.tag != heap::ROOT_JNI_LOCAL {
            return None;
        }
        let &(_, _, ti) = self.by_serial.get(&r.thread_serial)?;
        self.list[ti].frames.index(r.frame as usize)
    }

    /// The thread that holds a root, and the frame whose local variable it is (Java frame and
    /// JNI local roots whose frame the stack has); `None` for a root no thread holds.
    pub(super) fn thread_root(&self, r: &RootRec) -> Option<ThreadRoot> {
        let held = [
            heap::ROOT_JAVA_FRAME,
            heap::ROOT_JNI_LOCAL,
            heap::ROOT_NATIVE_STACK,
            heap::ROOT_THREAD_BLOCK,
            heap::ROOT_THREAD_OBJECT,
        ];
        if !held.contains(&r.tag) {
            return None;
        }
        let &(_, _, ti) = self.by_serial.get(&r.thread_serial)?;
        let local = r.tag == heap::ROOT_JAVA_FRAME || r.tag == heap::ROOT_JNI_LOCAL;
        Some(ThreadRoot::new(
            r.id,
            u32::try_from(ti).ok()?,
            (local && (r.frame as usize) < self.list[ti].frames.len()).then_some(r.frame),
        ))
    }

    /// All that [`Self::root_via`] depends on: the root's thread (index into `list`), frame
    /// (index into `table`) and whether it is the thread object; `None` for a root no thread
    /// holds.
    pub(super) fn via_key(&self, r: &RootRec) -> Option<(usize, Option<u32>, bool)> {
        let &(_, _, ti) = self.by_serial.get(&r.thread_serial)?;
        Some((ti, self.frame_index(r), r.tag == heap::ROOT_THREAD_OBJECT))
    }

    /// How a root is held: `Thread "main" > frame …` for stack roots, `Thread "main"` for threads.
    pub(super) fn root_via(
        &self,
        r: &RootRec,
        _b: &Bytes,
        _top: &TopLevel,
        _classes: &Classes,
    ) -> Option<String> {
        let &(_, _, ti) = self.by_serial.get(&r.thread_serial)?;
        let t = &self.list[ti];
        match (r.tag, self.frame_index(r).map(|i| self.table.text(i))) {
            (_, Some(f)) => Some(format!("Thread \"{}\" > frame {f}", t.name)),
            (heap::ROOT_THREAD_OBJECT, None) => None,
            _ => Some(format!("Thread \"{}\"", t.name)),
        }
    }
}

/// The frame of a STACK FRAME row, or of an id no record defines.
fn frame(b: &Bytes, top: &TopLevel, _classes: &Classes, key: Result<u32, u64>) -> Frame {
    let Some(f) = key.ok().and_then(|row| top.frame_rows.get(row as usize)) else {
        let fid = key.err().unwrap_or(0);
        return Frame {
            function: format!("<frame 0x{fid:x}>"),
            file: None,
            line: FrameLine::Missing,
        };
    };
    let method = top.string(b, f.method).unwrap_or_else(|| "?".into());
    let class = top
        .class_serials
        .get(&f.class_serial)
        .and_then(|cid| top.class_names.get(cid))
        .and_then(|&sid| top.string(b, sid))
        .map(|s| bytes::java_class_name(&s))
        .unwrap_or_else(|| "?".into());
    let src = top.string(b, f.source).filter(|s| !s.is_empty());
    let line = match f.line {
        n if n > 0 && src.is_some() => FrameLine::Line(n as u32),
        -3 => FrameLine::Native,
        -2 => FrameLine::Compiled,
        _ => FrameLine::Unknown,
    };
    Frame {
        function: format!("{class}.{method}"),
        file: src,
        line,
    }
}
