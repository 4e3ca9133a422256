//! [`Inspector::fields`](heapscope_graph::Inspector::fields) and
//! [`contents`](heapscope_graph::Inspector::contents) of a V8 heap snapshot: an object's
//! fields are its outgoing edges as the snapshot names them (properties, elements `[i]`,
//! internal and context slots); an edge to a heap number is its value, any other edge the
//! id of the node it points to. A string's contents are its node name, which the snapshot
//! writes out in full.

use heapscope_graph::{Contents, Field, FieldValue, HeapGraph, Label, NodeIdx, MAX_ARRAY_FIELDS};

use super::V8Inspector;

/// Node types whose name is a string's text.
const STRINGS: [&str; 3] = ["string", "sliced string", "concatenated string"];

pub(super) fn fields(insp: &V8Inspector, g: &HeapGraph, node: NodeIdx) -> Vec<Field> {
    let mut out = Vec::new();
    let mut elements = 0usize;
    for e in g.edges(node) {
        let name = match e.label {
            Label::Name(id) => g.labels.get(id.0).to_string(),
            Label::Index(i) => {
                elements += 1;
                if elements > MAX_ARRAY_FIELDS {
                    continue;
                }
                format!("[{i}]")
            }
            Label::None => continue,
        };
        let t = e.target.ix();
        let value = match insp.type_name(t) {
            Some("number") => match insp.raw_name(t).and_then(|s| s.parse::<f64>().ok()) {
                Some(x) => FieldValue::Float(x),
                None => FieldValue::Ref(Some(g.ids[t])),
            },
            _ => FieldValue::Ref(Some(g.ids[t])),
        };
        out.push(Field { name, value });
    }
    out
}

/// Every field [`fields`] would list without the [`MAX_ARRAY_FIELDS`] cap, when the cap
/// leaves some out.
pub(super) fn fields_total(g: &HeapGraph, node: NodeIdx) -> Option<usize> {
    let (mut named, mut elements) = (0usize, 0usize);
    for e in g.edges(node) {
        match e.label {
            Label::Name(_) => named += 1,
            Label::Index(_) => elements += 1,
            Label::None => {}
        }
    }
    (elements > MAX_ARRAY_FIELDS).then_some(named + elements)
}

pub(super) fn contents(
    insp: &V8Inspector,
    _g: &HeapGraph,
    node: NodeIdx,
    max_bytes: usize,
) -> Option<Contents> {
    if !STRINGS.contains(&insp.type_name(node.ix())?) {
        return None;
    }
    let mut s = insp.raw_name(node.ix())?;
    if s.len() > max_bytes {
        let mut cut = max_bytes;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    Some(Contents::Text(s))
}
