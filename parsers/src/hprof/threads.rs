//! The threads of a dump, from its ROOT THREAD OBJECT records: each thread's name (its
//! `name` String) and stack (STACK TRACE / STACK FRAME records), and how a GC root is held —
//! `Thread "main" > frame com.x.Foo.run(Foo.java:42)` for stack roots, `Thread "main"` for
//! threads.

use std::collections::HashMap;

use heapscope_graph::GraphBuilder;

use super::bytes::{self, Bytes};
use super::heap::{self, Classes, Offsets, RootRec};
use super::inspect::{instance_field, read_string};
use super::records::TopLevel;

/// Threads from ROOT THREAD OBJECT records: name (the Thread's `name` String) and stack.
pub(super) struct ThreadInfo {
    pub(super) serial: u32,
    pub(super) object: u64,
    pub(super) name: String,
    pub(super) frames: Vec<String>,
}

pub(super) struct Threads {
    /// thread serial → (thread object id, stack trace serial, index into `list`)
    pub(super) by_serial: HashMap<u32, (u64, u32, usize)>,
    pub(super) list: Vec<ThreadInfo>,
}

impl Threads {
    pub(super) fn new(
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
    pub(super) fn frame_text(
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
    pub(super) fn root_via(
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
