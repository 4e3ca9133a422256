//! The four renderers of diff and trend, and the JSON against docs/overtime.schema.json.

use crate::facts::Format;
use heapscope_reports::overtime::{
    build_diff, build_trend, memlab, render_diff, render_trend, DiffOptions, DiffReport,
    TrendOptions, TrendReport,
};
use heapscope_reports::render::OutputFormat;
use serde_json::Value;

use super::heaps::*;

fn schema() -> jsonschema::JSONSchema {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/overtime.schema.json");
    let text = std::fs::read_to_string(path).expect("docs/overtime.schema.json");
    let v: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .compile(&v)
        .unwrap_or_else(|e| panic!("the schema compiles: {e}"))
}

fn assert_valid(json: &str) {
    let v: Value = serde_json::from_str(json).expect("the renderer prints JSON");
    let s = schema();
    let msgs: Vec<String> = match s.validate(&v) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect(),
    };
    assert!(msgs.is_empty(), "schema violations:\n{}", msgs.join("\n"));
}

fn v8_diff() -> DiffReport {
    let b = Analysed::new(
        v8_heap(&(0..50).collect::<Vec<_>>()),
        Format::V8,
        "a <b>.heapsnapshot",
        None,
    );
    let t = Analysed::new(
        v8_heap(&(10..90).collect::<Vec<_>>()),
        Format::V8,
        "a|c.heapsnapshot",
        None,
    );
    build_diff(b.dump(), t.dump(), &DiffOptions::default())
}

fn java_trend() -> TrendReport {
    let d: Vec<Analysed> = [(2000u64, 1500u64), (4000, 3000), (6000, 3000)]
        .iter()
        .enumerate()
        .map(|(i, &(o, c))| {
            Analysed::new(
                java_heap(
                    &JavaStep {
                        orders: o,
                        cached: c,
                        config_bytes: 0,
                    },
                    0x1_0000_0000 * (i as u64 + 1),
                ),
                Format::Hprof,
                &format!("growth_{}.hprof.gz", i + 1),
                Some(1_795_000_000_000 + i as i64 * 1_800_000),
            )
        })
        .collect();
    let s: Vec<_> = d.iter().map(|x| x.summary()).collect();
    build_trend(
        &s,
        None,
        &TrendOptions {
            limit_bytes: Some(4 << 30),
            rows: 0,
            at: None,
        },
    )
}

fn v8_trend() -> TrendReport {
    let jobs = [
        (0..100).collect::<Vec<u64>>(),
        (0..200).collect(),
        (0..300).collect(),
    ];
    let d: Vec<Analysed> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| Analysed::new(v8_heap(j), Format::V8, &format!("s{i}"), None))
        .collect();
    let s: Vec<_> = d.iter().map(|x| x.summary()).collect();
    let m = memlab(d[2].dump(), &s[0], &s[1], ["s0", "s1", "s2"], 10);
    build_trend(&s, Some(m), &TrendOptions::default())
}

#[test]
fn diff_and_trend_json_follow_the_schema() {
    let d = v8_diff();
    assert!(d.new_objects.is_some() && !d.paths.is_empty());
    assert_valid(&render_diff(&d, OutputFormat::Json, 10));
    let t = java_trend();
    assert!(!t.verdicts.is_empty() && t.limit_bytes.is_some());
    assert_valid(&render_trend(&t, OutputFormat::Json, 10));
    let t = v8_trend();
    assert!(t.memlab.is_some());
    assert_valid(&render_trend(&t, OutputFormat::Json, 10));
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    let mut v: Value =
        serde_json::from_str(&render_trend(&java_trend(), OutputFormat::Json, 10)).unwrap();
    v["types"][0]["shape"] = Value::from("exponential");
    assert!(!schema().is_valid(&v), "shape is one of four values");
    let mut v: Value =
        serde_json::from_str(&render_diff(&v8_diff(), OutputFormat::Json, 10)).unwrap();
    v.as_object_mut().unwrap().remove("types");
    assert!(!schema().is_valid(&v), "types is required");
}

#[test]
fn json_is_deterministic() {
    assert_eq!(
        render_trend(&java_trend(), OutputFormat::Json, 10),
        render_trend(&java_trend(), OutputFormat::Json, 10)
    );
    assert_eq!(
        render_diff(&v8_diff(), OutputFormat::Json, 10),
        render_diff(&v8_diff(), OutputFormat::Json, 10)
    );
}

#[test]
fn text_markdown_and_html_show_the_same_rows() {
    let t = java_trend();
    let top = t.types[0].type_name.clone();
    for form in [
        OutputFormat::Text,
        OutputFormat::Markdown,
        OutputFormat::Html,
    ] {
        let out = render_trend(&t, form, 5);
        assert!(out.contains(&top), "{form:?} lists {top}");
        assert!(
            out.contains("levelling-off") && out.contains("linear"),
            "{form:?} names the shapes"
        );
        assert!(
            out.contains("true-leak") && out.contains("unbounded-cache"),
            "{form:?} has the verdicts"
        );
    }
    let d = v8_diff();
    let text = render_diff(&d, OutputFormat::Text, 5);
    assert!(text.contains("NEW IN TARGET") && text.contains("PendingJob"));
}

#[test]
fn html_is_self_contained_and_escaped() {
    let d = v8_diff();
    let html = render_diff(&d, OutputFormat::Html, 5);
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for external in ["<script src", "<link", "http://", "https://", "<img"] {
        assert!(!html.contains(external), "no external resource: {external}");
    }
    assert!(
        html.contains("a &lt;b&gt;.heapsnapshot"),
        "paths are escaped"
    );
    assert!(!html.contains("a <b>"));
}

#[test]
fn markdown_tables_escape_pipes() {
    let d = v8_diff();
    let md = render_diff(&d, OutputFormat::Markdown, 5);
    assert!(md.contains("a\\|c.heapsnapshot"));
    let header = md
        .lines()
        .find(|l| l.starts_with("| count Δ"))
        .expect("a table");
    let cols = header.matches(" | ").count();
    let sep = md
        .lines()
        .skip_while(|l| !l.starts_with("| count Δ"))
        .nth(1)
        .unwrap();
    assert_eq!(
        sep.matches('|').count(),
        cols + 2,
        "separator row has one cell per column"
    );
}

#[test]
fn pictures_are_svg_in_html_and_text_elsewhere() {
    let t = java_trend();
    let html = render_trend(&t, OutputFormat::Html, 10);
    let text = render_trend(&t, OutputFormat::Text, 10);
    let md = render_trend(&t, OutputFormat::Markdown, 10);
    // Every chart: one point per input; the heap's chart first.
    let charts: Vec<&str> = html.split("<figure class=\"chart\"").skip(1).collect();
    assert!(!charts.is_empty());
    for c in &charts {
        let c = &c[..c.find("</figure>").unwrap()];
        assert_eq!(c.matches("<circle").count(), t.inputs.len(), "{c}");
    }
    // The terminal and Markdown: sparklines, no SVG.
    for (form, out) in [("text", &text), ("markdown", &md)] {
        assert!(!out.contains("<svg"), "{form}");
        assert!(out.contains(['▁', '█']), "{form}: no sparkline");
    }
    // The diff: a bar per type row shown, text bars in the terminal.
    let d = v8_diff();
    let html = render_diff(&d, OutputFormat::Html, 4);
    let bars = html.split("id=\"growth-bars\"").nth(1).unwrap();
    let bars = &bars[..bars.find("</figure>").unwrap()];
    assert_eq!(bars.matches("<rect").count(), d.types.len().min(4));
    let text = render_diff(&d, OutputFormat::Text, 4);
    assert!(text.contains('█') && !text.contains("<svg"));
}
