//! JSON: the serde serialisation of a typed model, deterministic (fields in declaration order,
//! maps sorted). `docs/report.schema.json` and `docs/overtime.schema.json` are its contract.

use crate::model::Report;

/// The analysis report per `report.schema.json`.
pub fn render(r: &Report) -> String {
    to_json(r)
}

/// Any model as pretty JSON with a final newline.
pub fn to_json<T: serde::Serialize>(r: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
