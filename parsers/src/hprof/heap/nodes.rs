//! Pass 2 over the heap dump's segments, in parallel: one graph node per class object,
//! instance and array, in file order, with its type, kind and JVM size, counting the non-null
//! references so the edge arrays are sized once; and [`Offsets`], which finds a node's
//! sub-record again for the inspector.

use heapscope_graph::builder::NodeSlots;
use heapscope_graph::{GraphBuilder, NodeKind, TypeId};

use super::{
    is_node_tag, sub_record_end, walk, Classes, CLASS_DUMP, INSTANCE_DUMP, OBJ_ARRAY_DUMP,
};
use crate::hprof::bytes::{id_at, prim_array_name, u4_at, Bytes, T_OBJECT};
use crate::hprof::layout::{Gen, Layout};
use crate::Fail;

/// Where each node's sub-record is, for the [`crate::hprof::HprofInspector`]: the file offset of
/// every 64th node's record (8 bytes per 64 nodes); any other node is found by walking at most 63
/// sub-records from there. A lookup is rare (reports read a few hundred objects).
#[derive(Default)]
pub struct Offsets {
    base: Vec<u64>,
    nodes: usize,
    segments: Vec<(usize, usize)>,
}

/// Nodes per stored offset in [`Offsets`].
const OFFSET_BLOCK: usize = 64;

impl Offsets {
    /// For a saved index (`crate::inspect_state`).
    pub fn save(&self, e: &mut heapscope_graph::saved::Enc) {
        e.u64s(&self.base);
        e.u64(self.nodes as u64);
        e.len(self.segments.len());
        for &(s, t) in &self.segments {
            e.u64(s as u64);
            e.u64(t as u64);
        }
    }

    /// What [`save`](Self::save) wrote; lookups stay bounds-checked whatever it holds.
    pub fn restore(
        d: &mut heapscope_graph::saved::Dec,
    ) -> Result<Offsets, heapscope_graph::saved::Bad> {
        let base = d.u64s()?;
        let nodes = d.u64()? as usize;
        let k = d.count(16)?;
        let mut segments = Vec::with_capacity(k);
        for _ in 0..k {
            segments.push((d.u64()? as usize, d.u64()? as usize));
        }
        Ok(Offsets {
            base,
            nodes,
            segments,
        })
    }

    pub fn get(&self, b: &Bytes, node: usize) -> Option<usize> {
        if node >= self.nodes {
            return None;
        }
        let mut pos = *self.base.get(node / OFFSET_BLOCK)? as usize;
        let mut skip = node % OFFSET_BLOCK;
        let mut s = self.segments.partition_point(|&(_, e)| e <= pos);
        loop {
            let &(start, end) = self.segments.get(s)?;
            pos = pos.max(start);
            if pos >= end {
                s += 1;
                continue;
            }
            let tag = b.u1(pos)?;
            let next = sub_record_end(b, pos).ok()?;
            if next > end {
                return None;
            }
            if is_node_tag(tag) {
                if skip == 0 {
                    return Some(pos);
                }
                skip -= 1;
            }
            pos = next;
        }
    }
}

/// What pass 2 found in one segment.
#[derive(Default)]
pub struct NodeRun {
    /// (class object node, class index)
    pub class_nodes: Vec<(u32, u32)>,
    pub unknown_classes: u64,
    /// INSTANCE DUMPs with less data than their class's fields need, and the first one's offset.
    pub short_instances: u64,
    pub first_short: Option<usize>,
    /// Non-null references of the segment's nodes (an upper bound of its edges).
    pub refs: usize,
    /// `jdk.internal.vm.StackChunk` instances (parked virtual threads' frames) and their bytes.
    pub stack_chunks: u64,
    pub stack_chunk_bytes: u64,
}

/// The warning for a dump whose parked virtual threads' frames are missing: it has
/// `chunks` `jdk.internal.vm.StackChunk` objects (`bytes` in all) and no virtual thread with a
/// stack (`virtual_stacks`). A parked virtual thread's frames live inside its stack chunks
/// (after the fields); JDK 21's heap dumper writes a chunk's fields only and no stack for the
/// thread, so what those frames' local variables hold has no reference and no root in the dump
/// (JDK 25 writes each such thread with its stack and its locals as roots).
pub fn stack_chunk_warning(chunks: u64, bytes: u64, virtual_stacks: usize) -> Option<String> {
    (chunks > 0 && virtual_stacks == 0).then(|| {
        format!(
            "{chunks} jdk.internal.vm.StackChunk objects ({:.1} MiB) hold the stacks of parked virtual threads, and this dump does not describe their frames (the JVM that wrote it writes no stack for a virtual thread that is not running; JDK 25 does): objects that only those frames' local variables hold look unreachable, and are counted with the unreachable objects",
            bytes as f64 / (1024.0 * 1024.0)
        )
    })
}

/// Pass 2, in parallel over the segments: one node per class, instance and array, in file
/// order; `counts` are the segments' node counts from pass 1.
#[allow(clippy::too_many_arguments)]
pub fn add_nodes(
    b: &Bytes,
    segs: &[(usize, usize)],
    counts: &[usize],
    classes: &Classes,
    lay: &Layout,
    builder: &mut GraphBuilder,
    offsets: &mut Offsets,
) -> Result<Vec<NodeRun>, Fail> {
    let class_ty = builder.intern_type("java.lang.Class");
    let mut prim_ty = [None; 12];
    for t in 4..12u8 {
        prim_ty[t as usize] = Some(builder.intern_type(prim_array_name(t)));
    }
    let unknown_ty = builder.intern_type("<unknown class>");
    let object_array_ty = builder.intern_type("java.lang.Object[]");
    let class_class = classes
        .position("java.lang.Class", builder.types())
        .map(|ci| &classes.defs[ci]);
    // a mirror: java.lang.Class's own instance size, then the class's statics; ART writes the
    // `mirror::Class` fields themselves as statics (`$class$…`) and the rest of the class object
    // as the `$classOverhead` array, so its mirrors are their statics alone
    let mirror_base = if lay.gen == Gen::Art {
        0
    } else {
        class_class
            .map(|c| c.size)
            .unwrap_or_else(|| lay.instance_size(0))
    };
    let total: usize = counts.iter().sum();
    offsets.nodes = builder.node_count() + total;
    offsets.segments = segs.to_vec();
    offsets.base = vec![0; offsets.nodes.div_ceil(OFFSET_BLOCK)];
    // Each segment writes the block offsets of the blocks that start among its nodes.
    let mut blocks: Vec<&mut [u64]> = Vec::with_capacity(counts.len());
    {
        let mut rest = &mut offsets.base[..];
        let mut first = builder.node_count();
        let mut taken = first.div_ceil(OFFSET_BLOCK);
        for &c in counts {
            let upto = (first + c).div_ceil(OFFSET_BLOCK);
            let (mine, r) = rest.split_at_mut(upto - taken);
            blocks.push(mine);
            rest = r;
            taken = upto;
            first += c;
        }
    }
    let blocks: Vec<std::sync::Mutex<&mut [u64]>> =
        blocks.into_iter().map(std::sync::Mutex::new).collect();
    let pass = Pass {
        b,
        classes,
        lay,
        class_ty,
        prim_ty,
        unknown_ty,
        object_array_ty,
        mirror_base,
        // ART's only (a HotSpot class may name a static `$classOverhead` too); the type is
        // interned only for dumps that have them, so other dumps' type tables stay as they are
        overhead: if lay.gen == Gen::Art {
            &classes.overhead
        } else {
            &[]
        },
        overhead_ty: if lay.gen == Gen::Art && !classes.overhead.is_empty() {
            builder.intern_type(ART_CLASS_OVERHEAD)
        } else {
            unknown_ty
        },
    };
    let runs = builder.add_nodes_parallel(counts, |k, slots| -> Result<NodeRun, Fail> {
        let Ok(mut blk) = blocks[k].lock() else {
            return Ok(NodeRun::default());
        };
        if b.id == 8 {
            pass.segment::<8>(segs[k], slots, &mut blk)
        } else {
            pass.segment::<4>(segs[k], slots, &mut blk)
        }
    });
    runs.into_iter().collect()
}

/// What pass 2 reads besides the segment: the class table, the size model and the types it
/// gives class objects, arrays and instances of classes without a CLASS DUMP.
struct Pass<'a> {
    b: &'a Bytes<'a>,
    classes: &'a Classes,
    lay: &'a Layout,
    class_ty: TypeId,
    prim_ty: [Option<TypeId>; 12],
    unknown_ty: TypeId,
    object_array_ty: TypeId,
    /// a class object's size before its statics: `java.lang.Class`'s own instance size
    mirror_base: u64,
    /// ART's `$classOverhead` array ids, sorted (empty for other writers), and their type
    /// ([`ART_CLASS_OVERHEAD`])
    overhead: &'a [u64],
    overhead_ty: TypeId,
}

/// The type name of ART's `$classOverhead` arrays: the bytes of a class object past its
/// `mirror::Class` fields (embedded vtable, interface table, static storage), which ART's writer
/// dumps as a `byte[]` hanging from the class.
pub const ART_CLASS_OVERHEAD: &str = "(class overhead)";

impl Pass<'_> {
    /// One node per object of one segment into `slots`, and the file offset of each node
    /// that starts a block of [`Offsets`] into `blk`; ids of `ID` bytes.
    fn segment<const ID: usize>(
        &self,
        seg: (usize, usize),
        mut slots: NodeSlots<'_>,
        blk: &mut [u64],
    ) -> Result<NodeRun, Fail> {
        let (b, classes, lay) = (self.b, self.classes, self.lay);
        let d = b.data;
        let mut run = NodeRun::default();
        let first = slots.first.ix();
        let mut i = 0usize;
        let mut last: (u64, u32) = (0, u32::MAX);
        walk::<ID>(b, &[seg], |tag, at, end| {
            if !is_node_tag(tag) {
                return Ok(());
            }
            let body = at + 1;
            let oid = id_at::<ID>(d, body).unwrap_or(0);
            let node = first + i;
            if node.is_multiple_of(OFFSET_BLOCK) {
                let bi = node / OFFSET_BLOCK - first.div_ceil(OFFSET_BLOCK);
                if let Some(o) = blk.get_mut(bi) {
                    *o = at as u64;
                }
            }
            match tag {
                INSTANCE_DUMP => {
                    let cid = id_at::<ID>(d, body + ID + 4).unwrap_or(0);
                    // `last` starts as (0, u32::MAX): a class id of 0 must not hit that placeholder (fuzz).
                    let ci = if cid == last.0 && last.1 != u32::MAX {
                        Some(last.1)
                    } else {
                        classes.by_id.get(cid)
                    };
                    // the instance data, `n` bytes as the record states (it ends at `end`)
                    let data = d.get(body + 2 * ID + 8..end).unwrap_or_default();
                    let (ty, size) = match ci {
                        Some(ci) => {
                            last = (cid, ci);
                            let c = &classes.defs[ci as usize];
                            if data.len() < c.data_len as usize {
                                run.short_instances += 1;
                                run.first_short.get_or_insert(at);
                            }
                            run.refs += classes
                                .slots_of(ci as usize)
                                .iter()
                                .filter(|s| {
                                    id_at::<ID>(data, s.off as usize).is_some_and(|t| t != 0)
                                })
                                .count()
                                + usize::from(c.hidden());
                            match c.stack_words_at() {
                                None => (c.ty, c.size),
                                Some(at) => {
                                    let words =
                                        data.get(at as usize..at as usize + 4).map_or(0, |w| {
                                            i32::from_be_bytes([w[0], w[1], w[2], w[3]])
                                        });
                                    let size = lay.stack_chunk_size(c.size, words);
                                    run.stack_chunks += 1;
                                    run.stack_chunk_bytes += size;
                                    (c.ty, size)
                                }
                            }
                        }
                        None => {
                            run.unknown_classes += 1;
                            (self.unknown_ty, lay.instance_size(data.len() as u64))
                        }
                    };
                    // Instances of java.lang.Class (the primitive-type mirrors) stay kind Object:
                    // kind Class means "a CLASS DUMP".
                    slots.set(i, oid, ty, NodeKind::Object, size);
                }
                OBJ_ARRAY_DUMP => {
                    let n = u4_at(d, body + ID + 4).unwrap_or(0);
                    let cid = id_at::<ID>(d, body + ID + 8).unwrap_or(0);
                    let ty = classes
                        .get(cid)
                        .map(|c| c.ty)
                        .unwrap_or(self.object_array_ty);
                    let data = d.get(body + 2 * ID + 8..end).unwrap_or_default();
                    run.refs += non_null::<ID>(data);
                    slots.set(
                        i,
                        oid,
                        ty,
                        NodeKind::ObjectArray,
                        lay.array_size(n, T_OBJECT),
                    );
                }
                CLASS_DUMP => {
                    let ci = classes.by_id.get(oid);
                    let size = match ci {
                        Some(ci) => {
                            let c = &classes.defs[ci as usize];
                            run.class_nodes.push((node as u32, ci));
                            run.refs += classes.static_count(ci as usize) + 2;
                            lay.align(self.mirror_base + c.static_bytes())
                        }
                        None => self.mirror_base,
                    };
                    slots.set(i, oid, self.class_ty, NodeKind::Class, size);
                }
                _ => {
                    let n = u4_at(d, body + ID + 4).unwrap_or(0);
                    let t = d.get(body + ID + 8).copied().unwrap_or(0);
                    let ty = self
                        .prim_ty
                        .get(t as usize)
                        .copied()
                        .flatten()
                        .unwrap_or(self.unknown_ty);
                    // ART's `$classOverhead` arrays are the rest of a class object, not arrays
                    // of their own: their bytes without an array header, under a type of their
                    // own (not among the app's byte[]s, e.g. Android 8+'s bitmap pixels)
                    let overhead =
                        !self.overhead.is_empty() && self.overhead.binary_search(&oid).is_ok();
                    let (ty, size) = if overhead {
                        (self.overhead_ty, u64::from(n))
                    } else {
                        (ty, lay.array_size(n, t))
                    };
                    slots.set(i, oid, ty, NodeKind::PrimitiveArray, size);
                }
            }
            i += 1;
            Ok(())
        })?;
        Ok(run)
    }
}

/// The whole ids of `ID` bytes (4 or 8) in `data` that are not 0 (null): each read as one
/// integer (a byte at a time, ~3× the instructions on a dump's object arrays).
#[inline(always)]
fn non_null<const ID: usize>(data: &[u8]) -> usize {
    data.chunks_exact(ID)
        .filter(|c| {
            if ID == 8 {
                u64::from_ne_bytes(<[u8; 8]>::try_from(*c).unwrap_or_default()) != 0
            } else {
                u32::from_ne_bytes(<[u8; 4]>::try_from(*c).unwrap_or_default()) != 0
            }
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::non_null;

    /// Counted as integers, the non-null ids are those with any byte set, whole ids only.
    #[test]
    fn non_null_counts_ids_with_any_byte_set() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..300usize {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // mostly zero bytes, so that whole ids are often null
                    if x.is_multiple_of(5) {
                        (x >> 24) as u8
                    } else {
                        0
                    }
                })
                .collect();
            let naive = |id: usize| {
                data.chunks_exact(id)
                    .filter(|c| c.iter().any(|&b| b != 0))
                    .count()
            };
            assert_eq!(non_null::<8>(&data), naive(8), "len {len}");
            assert_eq!(non_null::<4>(&data), naive(4), "len {len}");
        }
    }
}
