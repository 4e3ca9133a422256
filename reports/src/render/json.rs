//! JSON: the serde serialisation of a typed model, deterministic (fields in declaration order,
//! maps sorted). `docs/report.schema.json` and `docs/overtime.schema.json` are its contract.

use std::io::{self, Write};

use crate::model::Report;

/// The analysis report per `report.schema.json`.
pub fn render(r: &Report) -> String {
    to_json(r)
}

/// [`render`], written to `out` as it is made (no copy of the whole text in memory: the report
/// of a dump with 10,000 thread stacks is 133 MB of JSON). The same bytes as [`render`].
pub fn render_to(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_json(r, out)
}

/// Any model as pretty JSON with a final newline.
pub fn to_json<T: serde::Serialize>(r: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// [`to_json`], written to `out` as it is made. A model serde cannot serialise (none of the
/// report models; [`to_json`] then gives `{"error":…}`) is an error of kind `InvalidData`
/// here, after what was written before it; an I/O error of `out` is returned as it is.
pub fn write_json<T: serde::Serialize>(r: &T, out: &mut dyn Write) -> io::Result<()> {
    // serde_json writes token by token: into a buffer of a known type (inlined copies), which
    // goes to `out` 64 KiB at a time.
    let mut w = io::BufWriter::with_capacity(64 << 10, out);
    serde_json::to_writer_pretty(&mut w, r).map_err(io::Error::from)?;
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streamed and string output are the same bytes, for nested maps, lists, escapes and
    /// numbers (the report fixtures are compared in the crate's tests/).
    #[test]
    fn streamed_equals_string() {
        let v = serde_json::json!({
            "b": [1, 2.5, -3, null, true],
            "a": {"x\"y": "line\nbreak \u{1F600}", "empty": [], "o": {}},
            "n": u64::MAX,
        });
        let mut out = Vec::new();
        write_json(&v, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), to_json(&v));
    }
}
