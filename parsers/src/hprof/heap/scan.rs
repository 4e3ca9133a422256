//! Pass 1 over the heap dump's segments, in parallel: each segment's node count, where its
//! CLASS DUMPs are (read into the class table in file order), its GC roots, Android heap names,
//! and votes on the object layout from the address gaps between consecutive arrays.

use heapscope_graph::GraphBuilder;
use rayon::prelude::*;

use super::classes::{read_class_dump, Classes};
use super::{
    is_node_tag, walk, CLASS_DUMP, HEAP_DUMP_INFO, INSTANCE_DUMP, OBJ_ARRAY_DUMP, PRIM_ARRAY_DUMP,
    PRIM_ARRAY_NODATA, ROOT_JAVA_FRAME, ROOT_JNI_LOCAL, ROOT_JNI_MONITOR, ROOT_NATIVE_STACK,
    ROOT_THREAD_BLOCK, ROOT_THREAD_OBJECT,
};
use crate::hprof::bytes::{id_at, u4_at, Bytes, T_OBJECT};
use crate::hprof::layout::Votes;
use crate::hprof::records::TopLevel;
use crate::Fail;

/// A GC root record.
#[derive(Clone, Copy)]
pub struct RootRec {
    pub id: u64,
    pub tag: u8,
    pub thread_serial: u32,
    pub frame: u32,
    /// ROOT THREAD OBJECT: the thread's stack trace serial.
    pub trace: u32,
}

impl RootRec {
    /// The GC root sub-record at `at` (its tag byte), read again from the file: pass 1 keeps
    /// 8 B per root (where it is) rather than the 24 of this (HotSpot writes a Java frame root
    /// per local per frame: 3 M for 10,000 threads of 300 frames).
    pub fn at(b: &Bytes, at: usize) -> RootRec {
        let id = b.id;
        let body = at + 1;
        let tag = b.u1(at).unwrap_or(0);
        RootRec {
            id: b.id(body).unwrap_or(0),
            tag,
            thread_serial: match tag {
                ROOT_JNI_LOCAL | ROOT_JAVA_FRAME | ROOT_NATIVE_STACK | ROOT_THREAD_BLOCK
                | ROOT_THREAD_OBJECT | ROOT_JNI_MONITOR => b.u4(body + id).unwrap_or(0),
                _ => 0,
            },
            frame: match tag {
                ROOT_JNI_LOCAL | ROOT_JAVA_FRAME => b.u4(body + id + 4).unwrap_or(u32::MAX),
                _ => u32::MAX,
            },
            trace: if tag == ROOT_THREAD_OBJECT {
                b.u4(body + id + 4).unwrap_or(0)
            } else {
                0
            },
        }
    }
}

/// What pass 1 finds in one segment.
#[derive(Default)]
pub struct SegScan {
    /// Graph nodes (class objects, instances, arrays) among its complete sub-records.
    pub nodes: usize,
    /// Offsets of its CLASS DUMP sub-records.
    pub class_recs: Vec<usize>,
    /// Offsets of its GC root sub-records ([`RootRec::at`]).
    pub roots: Vec<usize>,
    /// Android HEAP DUMP INFO name string ids, in order.
    pub heap_names: Vec<u64>,
    pub votes: Votes,
    /// The first array, if no CLASS DUMP / INSTANCE DUMP / no-data array comes before it (it
    /// pairs with the previous segment's last array), and the array pending at the end.
    head: Option<(u64, u32, u8)>,
    tail: Option<(u64, u32, u8)>,
    /// No array and no record that breaks a pair of arrays: the pending array passes through.
    transparent: bool,
    pub truncated: Option<String>,
}

/// Pass 1 over one segment: node count, where the classes are, GC roots, and votes on the
/// object layout from the address gaps between consecutive arrays.
fn scan_segment(b: &Bytes, seg: (usize, usize)) -> Result<SegScan, Fail> {
    if b.id == 8 {
        scan_segment_of::<8>(b, seg)
    } else {
        scan_segment_of::<4>(b, seg)
    }
}

/// [`scan_segment`] for ids of `ID` bytes.
fn scan_segment_of<const ID: usize>(b: &Bytes, seg: (usize, usize)) -> Result<SegScan, Fail> {
    let id = ID;
    let d = b.data;
    let mut out = SegScan {
        transparent: true,
        ..SegScan::default()
    };
    let mut prev: Option<(u64, u32, u8)> = None; // (id, length, elem type) of the previous array
    let mut broken = false; // a pair-breaking record came before any array
    out.truncated = walk::<ID>(b, &[seg], |tag, at, _end| {
        let body = at + 1;
        let rd = |o: usize| id_at::<ID>(d, o).unwrap_or(0);
        if is_node_tag(tag) {
            out.nodes += 1;
        }
        match tag {
            CLASS_DUMP | INSTANCE_DUMP | PRIM_ARRAY_NODATA => {
                if tag == CLASS_DUMP {
                    out.class_recs.push(at);
                }
                prev = None;
                broken = true;
                out.transparent = false;
            }
            OBJ_ARRAY_DUMP | PRIM_ARRAY_DUMP => {
                let oid = rd(body);
                let n = u4_at(d, body + id + 4).unwrap_or(0);
                let et = if tag == PRIM_ARRAY_DUMP {
                    d.get(body + id + 8).copied().unwrap_or(0)
                } else {
                    T_OBJECT
                };
                if out.transparent && !broken {
                    out.head = Some((oid, n, et));
                }
                out.transparent = false;
                if let Some(p) = prev {
                    vote_pair(&mut out.votes, p, (oid, n, et));
                }
                prev = Some((oid, n, et));
            }
            HEAP_DUMP_INFO => out.heap_names.push(rd(body + 4)),
            _ => out.roots.push(at),
        }
        Ok(())
    })?;
    out.tail = prev;
    Ok(out)
}

fn vote_pair(votes: &mut Votes, (pid, pn, pt): (u64, u32, u8), (oid, _, _): (u64, u32, u8)) {
    if oid > pid && oid - pid < (1 << 20) {
        votes.vote(oid - pid, pn, pt);
    }
}

/// Pass 1, in parallel over the segments: the class table (built in file order), the GC roots,
/// the layout votes, and each segment's node count.
#[allow(clippy::type_complexity)]
pub fn collect_classes(
    b: &Bytes,
    top: &TopLevel,
    builder: &mut GraphBuilder,
    votes: &mut Votes,
) -> Result<(Classes, Vec<usize>, Option<String>, Vec<String>, Vec<usize>), Fail> {
    let scans: Vec<Result<SegScan, Fail>> = top
        .segments
        .par_iter()
        .map(|&seg| scan_segment(b, seg))
        .collect();
    let mut classes = Classes::default();
    let ok = |s: &Result<SegScan, Fail>| s.as_ref().map_or(0, |s| s.class_recs.len());
    classes.reserve(scans.iter().map(ok).sum());
    // where each GC root is, sized once: HotSpot writes a Java frame root per local per frame
    // (3 M for 10,000 threads of 300 frames)
    let mut roots = Vec::with_capacity(
        scans
            .iter()
            .map(|s| s.as_ref().map_or(0, |s| s.roots.len()))
            .sum(),
    );
    let mut heap_names: Vec<String> = Vec::new();
    let mut node_counts = Vec::with_capacity(scans.len());
    let mut trunc = None;
    let mut carry: Option<(u64, u32, u8)> = None;
    for scan in scans {
        let scan = scan?;
        for &at in &scan.class_recs {
            read_class_dump(b, top, at, builder, &mut classes)?;
        }
        roots.extend_from_slice(&scan.roots);
        for sid in scan.heap_names {
            if let Some(name) = top.string(b, sid) {
                if !heap_names.contains(&name) {
                    heap_names.push(name);
                }
            }
        }
        votes.add(&scan.votes);
        if let (Some(p), Some(h)) = (carry, scan.head) {
            vote_pair(votes, p, h);
        }
        if !scan.transparent {
            carry = scan.tail;
        }
        node_counts.push(scan.nodes);
        if scan.truncated.is_some() {
            trunc = scan.truncated;
            break; // only the file's last segment can be cut short
        }
    }
    classes.overhead.sort_unstable();
    Ok((classes, roots, trunc, heap_names, node_counts))
}
