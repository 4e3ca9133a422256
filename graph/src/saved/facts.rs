//! [`DumpFacts`] in a saved index (section `FACT`).
//!
//! `format_name` and `rows.key` are `&'static str` (parsers name them with literals); on reopen
//! each distinct text is leaked once per process (a few bytes) rather than changing the type
//! every parser fills.

use std::sync::Mutex;

use super::codec::{Bad, Dec, Enc};
use crate::facts::{
    Comparison, Details, DumpFacts, Frame, FrameLine, IdDisplay, MemStats, Model, ProfileFacts,
    ProfileKind, Rows, Runtime, StackHolders, Supertypes, Thread, ThreadRoot, Unit,
};
use crate::types::NodeIdx;

fn leak(s: &str) -> &'static str {
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&k) = seen.iter().find(|&&k| k == s) {
        return k;
    }
    let k: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.push(k);
    k
}

pub(super) fn encode(f: &DumpFacts) -> Vec<u8> {
    let mut e = Enc::new();
    e.str(f.format_name);
    e.u8(match f.model {
        Model::ObjectGraph => 0,
        Model::CallTree => 1,
    });
    e.u8(match f.id_display {
        IdDisplay::Hex => 0,
        IdDisplay::Decimal => 1,
    });
    e.bool(f.ids_stable);
    e.str(f.rows.key);
    e.len(f.rows.locations.len());
    for frames in &f.rows.locations {
        e.len(frames.len());
        for (file, line) in frames {
            e.str(file);
            e.u32(*line);
        }
    }
    e.u8(match f.comparison {
        Comparison::ClassHistogram => 0,
        Comparison::DevTools => 1,
        Comparison::PprofBase => 2,
        Comparison::CompareTo => 3,
    });
    e.u8(match f.runtime {
        Runtime::Jvm => 0,
        Runtime::V8 => 1,
        Runtime::Go => 2,
        Runtime::CPython => 3,
        Runtime::Unknown => 4,
    });
    e.bool(f.profile.is_some());
    if let Some(p) = &f.profile {
        e.u8(match p.kind {
            ProfileKind::Heap => 0,
            ProfileKind::Goroutine => 1,
            ProfileKind::Other => 2,
        });
        e.u8(match p.unit {
            Unit::Bytes => 0,
            Unit::Count => 1,
            Unit::Nanoseconds => 2,
            Unit::Other => 3,
        });
        e.bool(p.in_use);
    }
    e.bool(f.memstats.is_some());
    if let Some(m) = &f.memstats {
        for v in [
            m.heap_alloc,
            m.heap_inuse,
            m.heap_sys,
            m.heap_idle,
            m.heap_released,
            m.heap_objects,
            m.next_gc,
            m.sys,
            m.num_gc,
        ] {
            e.opt_u64(v);
        }
        e.bool(m.gc_cpu_fraction.is_some());
        if let Some(x) = m.gc_cpu_fraction {
            e.f64(x);
        }
    }
    e.bool(f.compressed);
    e.opt_u64(f.process_rss);
    e.opt_str(f.sample_type.as_deref());
    e.opt_str(f.timestamp.as_deref());
    e.bool(f.timestamp_ms.is_some());
    if let Some(t) = f.timestamp_ms {
        e.i64(t);
    }
    let (tag, json) = f.details.format.to_saved();
    e.u8(tag);
    e.str(&json);
    e.bool(f.details.threads.is_some());
    if let Some(threads) = &f.details.threads {
        e.len(threads.len());
        for t in threads {
            e.str(&t.name);
            e.u32(t.serial);
            e.u64(t.object);
            e.len(t.frames.len());
            for fr in &t.frames {
                e.str(&fr.function);
                e.opt_str(fr.file.as_deref());
                let (k, n) = match fr.line {
                    FrameLine::Line(n) => (0, n),
                    FrameLine::Native => (1, 0),
                    FrameLine::Compiled => (2, 0),
                    FrameLine::Unknown => (3, 0),
                    FrameLine::Missing => (4, 0),
                };
                e.u8(k);
                e.u32(n);
            }
        }
    }
    e.len(f.thread_roots.len());
    for r in &f.thread_roots {
        e.u64(r.object);
        e.u32(r.thread);
        e.u32(r.frame().unwrap_or(ThreadRoot::NO_FRAME));
    }
    e.u32s(&f.stack.root_kinds);
    e.u32s(&f.stack.nodes.iter().map(|n| n.0).collect::<Vec<_>>());
    e.u32s(&f.stack.labels);
    let (types, supers) = f.supertypes.parts();
    e.u32s(types);
    e.u32s(supers);
    e.len(f.warnings.len());
    for w in &f.warnings {
        e.str(w);
    }
    e.buf
}

pub(super) fn decode(mut d: Dec) -> Result<DumpFacts, Bad> {
    let format_name = leak(d.str()?);
    let model = [Model::ObjectGraph, Model::CallTree][d.tag(2, "a model (0-1)")? as usize];
    let id_display =
        [IdDisplay::Hex, IdDisplay::Decimal][d.tag(2, "an id display (0-1)")? as usize];
    let ids_stable = d.bool()?;
    let key = leak(d.str()?);
    let n = d.count(4)?;
    let mut locations = Vec::with_capacity(n);
    for _ in 0..n {
        let k = d.count(8)?;
        let mut frames = Vec::with_capacity(k);
        for _ in 0..k {
            frames.push((Box::from(d.str()?), d.u32()?));
        }
        locations.push(frames);
    }
    let comparison = [
        Comparison::ClassHistogram,
        Comparison::DevTools,
        Comparison::PprofBase,
        Comparison::CompareTo,
    ][d.tag(4, "a comparison (0-3)")? as usize];
    let runtime = [
        Runtime::Jvm,
        Runtime::V8,
        Runtime::Go,
        Runtime::CPython,
        Runtime::Unknown,
    ][d.tag(5, "a runtime (0-4)")? as usize];
    let profile = if d.bool()? {
        Some(ProfileFacts {
            kind: [
                ProfileKind::Heap,
                ProfileKind::Goroutine,
                ProfileKind::Other,
            ][d.tag(3, "a profile kind (0-2)")? as usize],
            unit: [Unit::Bytes, Unit::Count, Unit::Nanoseconds, Unit::Other]
                [d.tag(4, "a unit (0-3)")? as usize],
            in_use: d.bool()?,
        })
    } else {
        None
    };
    let memstats = if d.bool()? {
        let mut v = [None; 9];
        for x in &mut v {
            *x = d.opt_u64()?;
        }
        let gc_cpu_fraction = if d.bool()? { Some(d.f64()?) } else { None };
        Some(MemStats {
            heap_alloc: v[0],
            heap_inuse: v[1],
            heap_sys: v[2],
            heap_idle: v[3],
            heap_released: v[4],
            heap_objects: v[5],
            next_gc: v[6],
            sys: v[7],
            num_gc: v[8],
            gc_cpu_fraction,
        })
    } else {
        None
    };
    let compressed = d.bool()?;
    let process_rss = d.opt_u64()?;
    let sample_type = d.opt_string()?;
    let timestamp = d.opt_string()?;
    let timestamp_ms = if d.bool()? { Some(d.i64()?) } else { None };
    let at = d.bad("the format's details");
    let tag = d.u8()?;
    let format = crate::facts::FormatDetails::from_saved(tag, d.str()?).ok_or(at)?;
    let threads = if d.bool()? {
        let n = d.count(20)?;
        let mut threads = Vec::with_capacity(n);
        for _ in 0..n {
            let name = d.string()?;
            let serial = d.u32()?;
            let object = d.u64()?;
            let k = d.count(10)?;
            let mut frames = Vec::with_capacity(k);
            for _ in 0..k {
                let function = d.string()?;
                let file = d.opt_string()?;
                let line = match (d.tag(5, "a frame line kind (0-4)")?, d.u32()?) {
                    (0, n) => FrameLine::Line(n),
                    (1, _) => FrameLine::Native,
                    (2, _) => FrameLine::Compiled,
                    (3, _) => FrameLine::Unknown,
                    _ => FrameLine::Missing,
                };
                frames.push(Frame {
                    function,
                    file,
                    line,
                });
            }
            threads.push(Thread {
                name,
                serial,
                object,
                frames: frames.into_iter().collect(),
            });
        }
        Some(threads)
    } else {
        None
    };
    let details = Details { threads, format };
    let n = d.count(16)?;
    let mut thread_roots: Vec<ThreadRoot> = Vec::with_capacity(n);
    for _ in 0..n {
        let at = d.bad("thread roots by ascending object, one per object");
        let object = d.u64()?;
        let thread = d.u32()?;
        let frame = d.u32()?;
        if thread_roots.last().is_some_and(|r| r.object >= object) {
            return Err(at);
        }
        thread_roots.push(ThreadRoot::new(
            object,
            thread,
            (frame != ThreadRoot::NO_FRAME).then_some(frame),
        ));
    }
    let ascending = |d: &mut Dec| -> Result<Vec<u32>, Bad> {
        let at = d.bad("ascending indices");
        let v = d.u32s()?;
        if v.windows(2).any(|w| w[0] >= w[1]) {
            return Err(at);
        }
        Ok(v)
    };
    let stack = StackHolders {
        root_kinds: ascending(&mut d)?,
        nodes: ascending(&mut d)?.into_iter().map(NodeIdx).collect(),
        labels: ascending(&mut d)?,
    };
    let at = d.bad("superclasses: ascending types, one superclass each");
    let types = d.u32s()?;
    let supers = d.u32s()?;
    let supertypes = Supertypes::from_parts(types, supers).ok_or(at)?;
    let n = d.count(4)?;
    let mut warnings = Vec::with_capacity(n);
    for _ in 0..n {
        warnings.push(d.string()?);
    }
    d.end()?;
    Ok(DumpFacts {
        format_name,
        model,
        id_display,
        ids_stable,
        rows: Rows { key, locations },
        comparison,
        runtime,
        profile,
        memstats,
        compressed,
        process_rss,
        sample_type,
        timestamp,
        timestamp_ms,
        details,
        thread_roots: thread_roots.into(),
        stack,
        supertypes,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(f: &DumpFacts) -> Result<DumpFacts, Bad> {
        decode(Dec::new(&encode(f), 0))
    }

    /// The superclasses come back as they were; types out of order, repeated, or without a
    /// superclass each are refused.
    #[test]
    fn supertypes_round_trip_and_bad_ones_are_refused() {
        use crate::types::TypeId;
        let mut f = DumpFacts::object_graph("hprof", Runtime::Jvm);
        f.supertypes = Supertypes::new([(TypeId(9), TypeId(3)), (TypeId(3), TypeId(1))]);
        let back = round_trip(&f).expect("decodes");
        assert_eq!(back.supertypes, f.supertypes);
        assert_eq!(back.supertypes.parent(TypeId(9)), Some(TypeId(3)));
        for (types, supers) in [
            (vec![3, 3], vec![1, 1]),
            (vec![9, 3], vec![3, 1]),
            (vec![3, 9], vec![1]),
        ] {
            let mut e = Enc::new();
            e.u32s(&types);
            e.u32s(&supers);
            let mut ok = encode(&DumpFacts::object_graph("hprof", Runtime::Jvm));
            // The supertypes' two empty lists (4 B of length each) sit before the warnings'
            // count (4 B).
            let cut = ok.len() - 12;
            ok.splice(cut..cut + 8, e.buf);
            assert!(decode(Dec::new(&ok, 0)).is_err(), "{types:?} {supers:?}");
        }
    }

    /// The thread roots (one per object, ascending) and the stack holders come back as they
    /// were; an index whose lists are out of order or repeat an entry is refused.
    #[test]
    fn thread_roots_and_stack_holders_round_trip_and_order_is_checked() {
        let mut f = DumpFacts::object_graph("hprof", Runtime::Jvm);
        f.thread_roots = vec![
            ThreadRoot::new(1, 0, None),
            ThreadRoot::new(7, 2, Some(0)),
            ThreadRoot::new(u64::MAX, 1, Some(ThreadRoot::NO_FRAME - 1)),
        ]
        .into();
        f.stack = StackHolders {
            root_kinds: vec![0, 3],
            nodes: vec![NodeIdx(5)],
            labels: vec![2, 9, 10],
        };
        let back = round_trip(&f).expect("decodes");
        assert_eq!(
            (&back.thread_roots, &back.stack),
            (&f.thread_roots, &f.stack)
        );
        assert_eq!(back.thread_roots[0].frame(), None);
        assert_eq!(back.thread_roots[2].frame(), Some(ThreadRoot::NO_FRAME - 1));

        let mut bad = f.clone();
        bad.thread_roots.swap(0, 1);
        assert!(round_trip(&bad).is_err());
        let mut bad = f.clone();
        bad.thread_roots[1].object = 1;
        assert!(round_trip(&bad).is_err(), "two roots of one object");
        for which in 0..3 {
            let mut bad = f.clone();
            match which {
                0 => bad.stack.root_kinds = vec![3, 0],
                1 => bad.stack.nodes = vec![NodeIdx(5), NodeIdx(5)],
                _ => bad.stack.labels = vec![9, 2],
            }
            assert!(round_trip(&bad).is_err(), "list {which}");
        }
    }
}
