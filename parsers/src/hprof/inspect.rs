//! Reading objects back from the mapped dump on demand: a field of an INSTANCE DUMP found by
//! name over the class hierarchy, `java.lang.String` text from its backing array (Latin-1,
//! UTF-16 or JDK 8's `char[]`), and the [`HprofInspector`] that gives reports value previews and
//! class names.

use std::collections::HashMap;

use heapscope_graph::{
    Contents, Field, FieldValue, HeapGraph, Inspector, Interner, NodeIdx, Supertypes,
    MAX_ARRAY_FIELDS,
};

use super::bytes::{
    self, Bytes, T_BOOLEAN, T_BYTE, T_CHAR, T_DOUBLE, T_FLOAT, T_INT, T_LONG, T_OBJECT, T_SHORT,
};
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
        for &(sid, t) in classes.fields_of(ci as usize) {
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

/// Each class's superclass as the graph's types ([`heapscope_graph::Supertypes`]): from the
/// CLASS DUMPs' superclass ids, leaving out the root class (`java.lang.Object`) and superclasses
/// the dump does not describe. 8 B per class.
pub(super) fn supertypes(classes: &Classes, types: &Interner) -> Supertypes {
    // a class's name is its type's: the root class is the type of that name
    let object = types.lookup("java.lang.Object");
    Supertypes::new(classes.defs.iter().filter_map(|c| {
        let s = classes.by_id.get(c.super_id)? as usize;
        let sup = &classes.defs[s];
        (sup.id != c.id && Some(sup.ty.0) != object).then_some((c.ty, sup.ty))
    }))
}

/// No superclass in [`Layouts::classes`].
const NO_SUPER: u32 = u32::MAX;

/// The instance field layout of every class, for [`Inspector::fields`]: per class (sorted by
/// class id) its own fields and its superclass; an instance's data is its class's own fields,
/// then its superclass's, and so on (the HPROF INSTANCE DUMP order). Field names interned.
/// 16 B per class (was 24) + 5 B per declared field (as 8 with padding) + the distinct names.
#[derive(Default)]
struct Layouts {
    /// Class ids, sorted.
    ids: Vec<u64>,
    /// Per class: (superclass index or [`NO_SUPER`], end of its own fields in `fields`; they
    /// start where the previous class's end).
    classes: Vec<(u32, u32)>,
    /// (name index, basic type)
    fields: Vec<(u32, u8)>,
    names: Vec<String>,
}

impl Layouts {
    fn build(b: &Bytes, top: &TopLevel, classes: &Classes) -> Layouts {
        let mut order: Vec<u32> = (0..classes.defs.len() as u32).collect();
        order.sort_by_key(|&i| classes.defs[i as usize].id);
        order.dedup_by_key(|i| classes.defs[*i as usize].id);
        let mut name_ix: HashMap<u64, u32> = HashMap::new();
        let mut out = Layouts::default();
        let index_of = |id: u64| {
            order
                .binary_search_by_key(&id, |&i| classes.defs[i as usize].id)
                .ok()
                .map(|p| p as u32)
        };
        for &ci in &order {
            let c = &classes.defs[ci as usize];
            let start = out.fields.len() as u32;
            for &(sid, t) in classes.fields_of(ci as usize) {
                let next = out.names.len() as u32;
                let n = *name_ix.entry(sid).or_insert(next);
                if n == next {
                    out.names.push(
                        top.string(b, sid)
                            .unwrap_or_else(|| format!("field@{sid:x}")),
                    );
                }
                out.fields.push((n, t));
            }
            let sup = index_of(c.super_id)
                .filter(|&s| classes.defs[order[s as usize] as usize].id != c.id)
                .unwrap_or(NO_SUPER);
            debug_assert_eq!(start, out.classes.last().map_or(0, |c| c.1));
            out.ids.push(c.id);
            out.classes.push((sup, out.fields.len() as u32));
        }
        out
    }

    fn save(&self, e: &mut heapscope_graph::saved::Enc) {
        e.len(self.names.len());
        for n in &self.names {
            e.str(n);
        }
        e.len(self.fields.len());
        for &(n, t) in &self.fields {
            e.u32(n);
            e.u8(t);
        }
        e.len(self.classes.len());
        for k in 0..self.classes.len() {
            let (s, t) = self.range(k);
            e.u64(self.ids[k]);
            e.u32(self.classes[k].0);
            e.u32(s);
            e.u32(t);
        }
    }

    /// What [`save`](Self::save) wrote; every index is checked here, so lookups cannot
    /// go out of bounds whatever the file held.
    fn restore(
        d: &mut heapscope_graph::saved::Dec,
    ) -> Result<Layouts, heapscope_graph::saved::Bad> {
        let k = d.count(8)?;
        let mut names = Vec::with_capacity(k);
        for _ in 0..k {
            names.push(d.string()?);
        }
        let k = d.count(5)?;
        let mut fields = Vec::with_capacity(k);
        for _ in 0..k {
            let at = d.bad("a field name index inside the name table");
            let n = d.u32()?;
            if n as usize >= names.len() {
                return Err(at);
            }
            fields.push((n, d.u8()?));
        }
        let k = d.count(20)?;
        let mut ids = Vec::with_capacity(k);
        let mut classes: Vec<(u32, u32)> = Vec::with_capacity(k);
        for _ in 0..k {
            let at = d.bad("a class layout inside the field and class tables");
            let (id, sup, s, t) = (d.u64()?, d.u32()?, d.u32()?, d.u32()?);
            // each class's fields start where the previous class's end (as `build` makes them)
            let start = classes.last().map_or(0, |c| c.1);
            if (sup != NO_SUPER && sup as usize >= k)
                || s != start
                || s > t
                || t as usize > fields.len()
            {
                return Err(at);
            }
            ids.push(id);
            classes.push((sup, t));
        }
        Ok(Layouts {
            ids,
            classes,
            fields,
            names,
        })
    }

    /// Class `k`'s own fields, as a range of `fields`.
    fn range(&self, k: usize) -> (u32, u32) {
        let start = if k == 0 { 0 } else { self.classes[k - 1].1 };
        (start, self.classes[k].1)
    }

    /// The fields of an instance of class `class_id`, in data order: (name, type).
    fn of(&self, class_id: u64) -> impl Iterator<Item = (&str, u8)> + '_ {
        let mut cur = self.ids.binary_search(&class_id).ok().map(|p| p as u32);
        // A superclass chain longer than the class count is a cycle in a malformed dump.
        let mut left = self.classes.len();
        std::iter::from_fn(move || {
            let k = cur? as usize;
            let c = self.classes.get(k)?;
            if left == 0 {
                return None;
            }
            left -= 1;
            cur = (c.0 != NO_SUPER).then_some(c.0);
            let (s, t) = self.range(k);
            Some(&self.fields[s as usize..t as usize])
        })
        .flatten()
        .map(|&(n, t)| (self.names[n as usize].as_str(), t))
    }
}

/// A value of basic type `t` at `at`, as a field value (references: their id, 0 = null).
fn basic_value(b: &Bytes, at: usize, t: u8) -> Option<FieldValue> {
    Some(match t {
        T_OBJECT => FieldValue::Ref(Some(b.id(at)?).filter(|&id| id != 0)),
        T_BOOLEAN => FieldValue::Bool(b.u1(at)? != 0),
        T_BYTE => FieldValue::Int(b.u1(at)? as i8 as i64),
        T_CHAR => FieldValue::Char(char::from_u32(b.u2(at)? as u32).unwrap_or('\u{fffd}')),
        T_SHORT => FieldValue::Int(b.u2(at)? as i16 as i64),
        T_INT => FieldValue::Int(b.u4(at)? as i32 as i64),
        T_LONG => FieldValue::Int(b.u8(at)? as i64),
        T_FLOAT => FieldValue::Float(f32::from_bits(b.u4(at)?) as f64),
        T_DOUBLE => FieldValue::Float(f64::from_bits(b.u8(at)?)),
        _ => return None,
    })
}

/// Class object node → class name, flat: the nodes sorted, the names end to end in that order
/// (4 B of node + 8 B of end + the name's bytes per class; a `HashMap<u32, String>` took ~80 B
/// per class besides the name, 40 MB for 500 K classes, the whole run).
#[derive(Default)]
struct ClassNames {
    nodes: Vec<u32>,
    ends: Vec<usize>,
    text: String,
}

impl ClassNames {
    /// From (node, name) pairs in any order; of a node named twice, the last name counts (as
    /// a map's insert would).
    fn new<'a>(pairs: impl Iterator<Item = (u32, &'a str)>) -> ClassNames {
        let mut order: Vec<(u32, u32, &str)> = pairs
            .enumerate()
            .map(|(k, (n, s))| (n, k as u32, s))
            .collect();
        order.sort_unstable_by_key(|e| (e.0, std::cmp::Reverse(e.1)));
        order.dedup_by_key(|e| e.0);
        let mut out = ClassNames {
            nodes: Vec::with_capacity(order.len()),
            ends: Vec::with_capacity(order.len()),
            text: String::with_capacity(order.iter().map(|e| e.2.len()).sum()),
        };
        for (n, _, s) in order {
            out.nodes.push(n);
            out.text.push_str(s);
            out.ends.push(out.text.len());
        }
        out
    }

    /// The `k`-th name in node order.
    fn name(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    fn get(&self, node: u32) -> Option<&str> {
        let k = self.nodes.binary_search(&node).ok()?;
        Some(self.name(k))
    }
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
    class_names: ClassNames,
    /// Instance field layouts ([`Inspector::fields`]).
    layouts: Layouts,
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
            .position("java.lang.String", &g.types)
            .map(|ci| &classes.defs[ci])
            .and_then(|c| {
                let v = field_offset(b, top, classes, c.id, "value")?.0;
                Some((v, field_offset(b, top, classes, c.id, "coder").map(|x| x.0)))
            });
        let class_names = ClassNames::new(
            class_nodes
                .iter()
                .map(|&(n, ci)| (n, classes.name(ci as usize, &g.types))),
        );
        HprofInspector {
            input,
            id_size,
            offsets,
            string_type,
            string_fields,
            class_names,
            layouts: Layouts::build(b, top, classes),
        }
    }

    fn bytes(&self) -> Bytes<'_> {
        Bytes {
            data: self.input.bytes(),
            id: self.id_size,
        }
    }

    /// A String's text, at most `max_chars` UTF-16 units of it.
    fn string_text(&self, g: &HeapGraph, node: NodeIdx, max_chars: usize) -> Option<String> {
        if Some(g.type_of[node.ix()]) != self.string_type {
            return None;
        }
        let b = self.bytes();
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
        decode_array(&b, self.offsets.get(&b, target.ix())?, coder, max_chars)
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
        let mut names = Vec::with_capacity(k);
        for _ in 0..k {
            names.push((d.u32()?, d.string()?));
        }
        let class_names = ClassNames::new(names.iter().map(|(n, s)| (*n, s.as_str())));
        drop(names);
        let layouts = Layouts::restore(d)?;
        d.end()?;
        Ok(HprofInspector {
            input,
            id_size,
            offsets,
            string_type,
            string_fields,
            class_names,
            layouts,
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
        e.len(self.class_names.nodes.len());
        for (k, &n) in self.class_names.nodes.iter().enumerate() {
            e.u32(n);
            e.str(self.class_names.name(k));
        }
        self.layouts.save(&mut e);
        e.buf
    }

    fn fields(&self, _g: &HeapGraph, node: NodeIdx) -> Vec<Field> {
        let b = self.bytes();
        let id = self.id_size;
        let Some(rec) = self.offsets.get(&b, node.ix()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match b.u1(rec) {
            Some(heap::INSTANCE_DUMP) => {
                let (Some(cid), Some(len)) = (b.id(rec + 1 + id + 4), b.u4(rec + 1 + 2 * id + 4))
                else {
                    return out;
                };
                let data = rec + 1 + 2 * id + 8;
                let end = data + len as usize;
                let mut at = data;
                for (name, t) in self.layouts.of(cid) {
                    let Some(size) = bytes::dump_size(t, id) else {
                        break;
                    };
                    // A short INSTANCE DUMP: the fields past its data are not in the dump.
                    if at + size > end {
                        break;
                    }
                    if let Some(value) = basic_value(&b, at, t) {
                        out.push(Field {
                            name: name.to_string(),
                            value,
                        });
                    }
                    at += size;
                }
            }
            Some(tag @ (heap::PRIM_ARRAY_DUMP | heap::OBJ_ARRAY_DUMP)) => {
                // Elements: (count, basic type, where they start).
                let elements = if tag == heap::PRIM_ARRAY_DUMP {
                    b.u4(rec + 1 + id + 4)
                        .zip(b.u1(rec + 1 + id + 8))
                        .map(|(n, t)| (n, t, rec + 1 + id + 9))
                } else {
                    b.u4(rec + 1 + id + 4)
                        .map(|n| (n, T_OBJECT, rec + 1 + id + 8 + id))
                };
                let Some((n, t, data)) = elements else {
                    return out;
                };
                let Some(size) = bytes::dump_size(t, id) else {
                    return out;
                };
                for i in 0..(n as usize).min(MAX_ARRAY_FIELDS) {
                    let Some(value) = basic_value(&b, data + i * size, t) else {
                        break;
                    };
                    out.push(Field {
                        name: format!("[{i}]"),
                        value,
                    });
                }
            }
            _ => {}
        }
        out
    }

    fn collection_size(
        &self,
        g: &HeapGraph,
        node: NodeIdx,
        class: &str,
    ) -> Option<heapscope_graph::CollectionSize> {
        self.jdk_collection_size(g, node, class)
    }

    fn access_ordered(&self, g: &HeapGraph, node: NodeIdx) -> bool {
        self.jdk_access_ordered(g, node)
    }

    fn fields_total(&self, _g: &HeapGraph, node: NodeIdx) -> Option<usize> {
        let b = self.bytes();
        let rec = self.offsets.get(&b, node.ix())?;
        match b.u1(rec)? {
            heap::PRIM_ARRAY_DUMP | heap::OBJ_ARRAY_DUMP => {
                let n = b.u4(rec + 1 + self.id_size + 4)? as usize;
                (n > MAX_ARRAY_FIELDS).then_some(n)
            }
            _ => None,
        }
    }

    fn contents(&self, g: &HeapGraph, node: NodeIdx, max_bytes: usize) -> Option<Contents> {
        if let Some(text) = self.string_text(g, node, max_bytes) {
            return Some(Contents::Text(text));
        }
        let b = self.bytes();
        let id = self.id_size;
        let rec = self.offsets.get(&b, node.ix())?;
        if b.u1(rec)? != heap::PRIM_ARRAY_DUMP {
            return None;
        }
        let n = b.u4(rec + 1 + id + 4)? as usize;
        let size = bytes::dump_size(b.u1(rec + 1 + id + 8)?, id)?;
        let data = rec + 1 + id + 9;
        let len = n.saturating_mul(size).min(max_bytes);
        Some(Contents::Bytes(b.slice(data, data + len)?.to_vec()))
    }

    fn value_preview(&self, g: &HeapGraph, node: NodeIdx) -> Option<String> {
        if let Some(name) = self.class_names.get(node.0) {
            return Some(name.to_string());
        }
        self.string_text(g, node, 200)
    }
}

#[cfg(test)]
mod tests {
    use super::{ClassNames, Layouts, NO_SUPER};
    use std::collections::HashMap;

    /// The layouts' flat form (sorted ids, each class's superclass and fields' end) against
    /// per-class lists searched from the start, on random classes (superclass chains, cycles,
    /// classes with no fields); the saved form read back gives the same answers, and a saved
    /// form whose field ranges are not end to end is refused.
    #[test]
    fn layouts_agree_with_per_class_lists() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let n = 200usize;
        let mut out = Layouts {
            names: (0..20).map(|k| format!("f{k}")).collect(),
            ..Layouts::default()
        };
        // (id, superclass index or NO_SUPER, own fields)
        type Naive = (u64, u32, Vec<(u32, u8)>);
        let mut naive: Vec<Naive> = Vec::new();
        let mut id = 0u64;
        for _ in 0..n {
            id += 1 + next(1000);
            let sup = if next(4) == 0 {
                NO_SUPER
            } else {
                next(n as u64) as u32
            };
            let own: Vec<(u32, u8)> = (0..next(4))
                .map(|_| (next(20) as u32, next(12) as u8))
                .collect();
            out.fields.extend_from_slice(&own);
            out.ids.push(id);
            out.classes.push((sup, out.fields.len() as u32));
            naive.push((id, sup, own));
        }
        let want = |cid: u64| -> Vec<(String, u8)> {
            let mut v = Vec::new();
            let mut cur = naive.iter().position(|c| c.0 == cid);
            let mut left = naive.len();
            while let Some(k) = cur {
                if left == 0 {
                    break;
                }
                left -= 1;
                v.extend(naive[k].2.iter().map(|&(nm, t)| (format!("f{nm}"), t)));
                cur = (naive[k].1 != NO_SUPER).then_some(naive[k].1 as usize);
            }
            v
        };
        let mut e = heapscope_graph::saved::Enc::new();
        out.save(&mut e);
        let mut d = heapscope_graph::saved::Dec::new(&e.buf, 0);
        let back = Layouts::restore(&mut d).expect("restores");
        for probe in naive.iter().map(|c| c.0).chain([0, 2, id + 1]) {
            let got: Vec<(String, u8)> = out.of(probe).map(|(s, t)| (s.to_string(), t)).collect();
            assert_eq!(got, want(probe), "class {probe}");
            let again: Vec<(String, u8)> =
                back.of(probe).map(|(s, t)| (s.to_string(), t)).collect();
            assert_eq!(again, got);
        }
        // the first class with fields saved with its range moved by one: refused
        let k = naive.iter().position(|c| !c.2.is_empty()).unwrap();
        let (s, t) = out.range(k);
        let mut bad = heapscope_graph::saved::Enc::new();
        bad.len(out.names.len());
        for nm in &out.names {
            bad.str(nm);
        }
        bad.len(out.fields.len());
        for &(nm, ty) in &out.fields {
            bad.u32(nm);
            bad.u8(ty);
        }
        bad.len(out.classes.len());
        for j in 0..out.classes.len() {
            let (a, b) = out.range(j);
            let moved = if j == k {
                (s + 1, t.max(s + 1))
            } else {
                (a, b)
            };
            bad.u64(out.ids[j]);
            bad.u32(out.classes[j].0);
            bad.u32(moved.0);
            bad.u32(moved.1);
        }
        let mut d = heapscope_graph::saved::Dec::new(&bad.buf, 0);
        assert!(Layouts::restore(&mut d).is_err());
    }

    /// Against the map it replaces: nodes in any order, a node named twice (the last name
    /// counts), empty names, and nodes that are not classes.
    #[test]
    fn class_names_agree_with_a_map() {
        let pairs = [
            (7u32, "java.lang.String"),
            (3, "a"),
            (9, ""),
            (3, "b.B"),
            (0, "java.lang.Object"),
            (u32::MAX, "last"),
            (5, "x[]"),
        ];
        let names = ClassNames::new(pairs.iter().copied());
        let naive: HashMap<u32, &str> = pairs.iter().copied().collect();
        for node in [0, 1, 3, 5, 7, 8, 9, 10, u32::MAX - 1, u32::MAX] {
            assert_eq!(names.get(node), naive.get(&node).copied(), "node {node}");
        }
        assert_eq!(names.nodes.len(), naive.len());
        assert!(names.nodes.windows(2).all(|w| w[0] < w[1]));
        assert!(ClassNames::new(std::iter::empty()).get(0).is_none());
    }
}
