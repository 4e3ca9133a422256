//! JSON per `report.schema.json`: deterministic (fields in declaration order, maps sorted).

use crate::model::Report;

pub fn render(r: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
