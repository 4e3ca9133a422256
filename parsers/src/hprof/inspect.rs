//! Reading objects back from the mapped dump on demand: a field of an INSTANCE DUMP found by
//! name over the class hierarchy, `java.lang.String` text from its backing array (Latin-1,
//! UTF-16 or JDK 8's `char[]`), and the [`HprofInspector`] that gives reports value previews and
//! class names.

use std::collections::HashMap;

use heapscope_graph::{HeapGraph, Inspector, NodeIdx};

use super::bytes::{self, Bytes, T_BYTE, T_CHAR};
use super::heap::{self, Classes, Offsets};
use super::records::TopLevel;
use crate::Input;

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
pub(super) fn instance_field(
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
pub(super) fn read_string(
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
    pub(super) fn new(
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

impl HprofInspector {
    /// The inspector again from a saved index's state, over the (inflated) dump.
    pub(crate) fn restore(
        d: &mut heapscope_graph::saved::Dec,
        input: Input,
    ) -> Result<Self, heapscope_graph::saved::Bad> {
        let at = d.bad("an id size of 4 or 8");
        let id_size = d.u8()? as usize;
        if id_size != 4 && id_size != 8 {
            return Err(at);
        }
        let offsets = Offsets::restore(d)?;
        let string_type = if d.bool()? { Some(d.u32()?) } else { None };
        let string_fields = if d.bool()? {
            let v = d.u64()? as usize;
            let c = d.opt_u64()?.map(|c| c as usize);
            Some((v, c))
        } else {
            None
        };
        let k = d.count(8)?;
        let mut class_names = HashMap::with_capacity(k);
        for _ in 0..k {
            class_names.insert(d.u32()?, d.string()?);
        }
        d.end()?;
        Ok(HprofInspector {
            input,
            id_size,
            offsets,
            string_type,
            string_fields,
            class_names,
        })
    }
}

impl Inspector for HprofInspector {
    fn saved_state(&self) -> Vec<u8> {
        let mut e = heapscope_graph::saved::Enc::new();
        e.u8(self.id_size as u8);
        self.offsets.save(&mut e);
        e.bool(self.string_type.is_some());
        if let Some(t) = self.string_type {
            e.u32(t);
        }
        e.bool(self.string_fields.is_some());
        if let Some((v, c)) = self.string_fields {
            e.u64(v as u64);
            e.opt_u64(c.map(|c| c as u64));
        }
        let mut names: Vec<(&u32, &String)> = self.class_names.iter().collect();
        names.sort();
        e.len(names.len());
        for (n, s) in names {
            e.u32(*n);
            e.str(s);
        }
        e.buf
    }

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
