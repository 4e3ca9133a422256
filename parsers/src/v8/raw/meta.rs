//! `snapshot.meta`: the small object that says what the fields of a node, edge and location
//! record are and what their type indices name, read through serde_json and resolved to field
//! positions, with limits that keep a hostile meta from making the parser do silly things.

use crate::v8::scan::Scan;
use crate::{Expected, Fail};

/// `snapshot.meta`, resolved to field positions. Only this small object goes through serde_json.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub node_fields: Vec<String>,
    pub node_types: Vec<String>,
    pub edge_fields: Vec<String>,
    pub edge_types: Vec<String>,
    pub location_fields: Vec<String>,
    pub node_count: Option<u64>,
    pub edge_count: Option<u64>,
    pub trace_function_count: Option<u64>,
    // positions in a node / edge record
    pub nf: usize,
    pub n_type: usize,
    pub n_name: usize,
    pub n_id: usize,
    pub n_size: usize,
    pub n_edges: usize,
    pub n_detached: Option<usize>,
    pub ef: usize,
    pub e_type: usize,
    pub e_name: usize,
    pub e_to: usize,
    /// Edge types whose `name_or_index` is an index, not a string (DevTools: element, hidden).
    pub edge_type_is_index: Vec<bool>,
}

/// Limits that keep a hostile meta from making us do silly things.
const MAX_FIELDS: usize = 64;
const MAX_TYPES: usize = 250;

fn string_list(v: &serde_json::Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_owned))
        .collect()
}

impl Meta {
    /// Parse the `snapshot` object found at `bytes[start..end]`.
    pub fn parse(bytes: &[u8], start: usize) -> Scan<Meta> {
        let bad = |what: &'static str| Fail::at(start, what);
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| {
            Fail::at(
                start,
                Expected::Quote(snapshot_error, [start as u64, bytes.len() as u64, 0]),
            )
        })?;
        let meta = v
            .get("meta")
            .ok_or_else(|| bad("a \"meta\" object in \"snapshot\""))?;
        let node_fields = meta
            .get("node_fields")
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.node_fields: an array of field names"))?;
        let edge_fields = meta
            .get("edge_fields")
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.edge_fields: an array of field names"))?;
        let node_types = meta
            .get("node_types")
            .and_then(|t| t.get(0))
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.node_types[0]: an array of node type names"))?;
        let edge_types = meta
            .get("edge_types")
            .and_then(|t| t.get(0))
            .and_then(string_list)
            .ok_or_else(|| bad("snapshot.meta.edge_types[0]: an array of edge type names"))?;
        let location_fields = meta
            .get("location_fields")
            .and_then(string_list)
            .unwrap_or_default();
        if node_fields.is_empty()
            || node_fields.len() > MAX_FIELDS
            || edge_fields.is_empty()
            || edge_fields.len() > MAX_FIELDS
        {
            return Err(bad("between 1 and 64 node_fields and edge_fields"));
        }
        if node_types.len() > MAX_TYPES || edge_types.len() > MAX_TYPES {
            return Err(bad("at most 250 node_types and edge_types"));
        }
        let pos = |list: &[String], name: &str| list.iter().position(|f| f == name);
        let need = |list: &[String], name: &'static str, what: &'static str| {
            pos(list, name).ok_or_else(|| Fail::at(start, what))
        };
        let count = |k: &str| v.get(k).and_then(|x| x.as_u64());
        let edge_type_is_index = edge_types
            .iter()
            .map(|t| t == "element" || t == "hidden")
            .collect();
        Ok(Meta {
            nf: node_fields.len(),
            n_type: need(
                &node_fields,
                "type",
                "snapshot.meta.node_fields with \"type\"",
            )?,
            n_name: need(
                &node_fields,
                "name",
                "snapshot.meta.node_fields with \"name\"",
            )?,
            n_id: need(&node_fields, "id", "snapshot.meta.node_fields with \"id\"")?,
            n_size: need(
                &node_fields,
                "self_size",
                "snapshot.meta.node_fields with \"self_size\"",
            )?,
            n_edges: need(
                &node_fields,
                "edge_count",
                "snapshot.meta.node_fields with \"edge_count\"",
            )?,
            n_detached: pos(&node_fields, "detachedness"),
            ef: edge_fields.len(),
            e_type: need(
                &edge_fields,
                "type",
                "snapshot.meta.edge_fields with \"type\"",
            )?,
            e_name: need(
                &edge_fields,
                "name_or_index",
                "snapshot.meta.edge_fields with \"name_or_index\"",
            )?,
            e_to: need(
                &edge_fields,
                "to_node",
                "snapshot.meta.edge_fields with \"to_node\"",
            )?,
            node_count: count("node_count"),
            edge_count: count("edge_count"),
            trace_function_count: count("trace_function_count"),
            node_fields,
            node_types,
            edge_fields,
            edge_types,
            location_fields,
            edge_type_is_index,
        })
    }
}

/// The serde_json error of the `snapshot` object at `input[start..start + len]` (`nums`: start,
/// len), rendered at the edge: it is parsed again there, so hot code carries no text.
fn snapshot_error(input: &[u8], nums: [u64; 3], out: &mut String) {
    let (start, len) = (nums[0] as usize, nums[1] as usize);
    let bytes = input.get(start..start.saturating_add(len)).unwrap_or(&[]);
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(e) => out.push_str(&format!("a valid \"snapshot\" object ({e})")),
        Ok(_) => out.push_str("a valid \"snapshot\" object"),
    }
}
