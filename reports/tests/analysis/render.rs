//! The four renderers: golden files (`UPDATE_EXPECT=1 cargo test -p heapscope-reports` rewrites
//! them), the JSON against docs/report.schema.json, the HTML page in headless Chromium, the
//! Markdown size budget.

use std::path::Path;

use crate::facts::Format;
use heapscope_graph::NodeKind;
use heapscope_reports::render::{self, markdown, OutputFormat, RenderOptions};
use heapscope_reports::{Report, ReportOptions};
use serde_json::Value;

use super::chromium::load_in_chromium;
use super::heaps::*;

const FORMATS: [OutputFormat; 4] = [
    OutputFormat::Text,
    OutputFormat::Json,
    OutputFormat::Html,
    OutputFormat::Markdown,
];

/// Compare with `tests/golden/NAME`, or rewrite it when UPDATE_EXPECT is set.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `UPDATE_EXPECT=1 cargo test -p heapscope-reports` to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the renderer's output at line {}:\n- {}\n+ {}\n(run with UPDATE_EXPECT=1 to accept the new output)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

fn reports() -> Vec<(&'static str, Report)> {
    let opts = ReportOptions::default();
    vec![
        (
            "java_static_map",
            java_static_map(3000).report(info(Format::Hprof), "dumps/static_map.hprof", &opts),
        ),
        (
            "v8_emitter",
            v8_emitter(1500).report(
                info(Format::V8),
                "snapshots/emitter <listeners>.heapsnapshot",
                &opts,
            ),
        ),
        (
            "go_heap",
            go_heap()
                .heap()
                .report(go_memstats(36_757_504, 9_847_952), "go/heap.txt", &opts),
        ),
        (
            "go_goroutines",
            go_goroutines()
                .heap()
                .report(goroutine_info(), "go/goroutine.pb.gz", &opts),
        ),
    ]
}

#[test]
fn golden_renderings() {
    for (name, r) in reports() {
        for f in FORMATS {
            let out = render::render(&r, f, &RenderOptions::default());
            golden(&format!("{name}.{}", f.extension()), &out);
        }
    }
}

/// A writer that takes at most 7 bytes per call, so every buffer boundary is crossed.
struct Dribble(Vec<u8>);

impl std::io::Write for Dribble {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = b.len().min(7);
        self.0.extend_from_slice(&b[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Written as it is made (`render_to`, what the CLI writes) = made whole (`render`), byte for
/// byte, in every form, for every report of the golden files.
#[test]
fn streamed_renderings_equal_the_strings() {
    for (name, r) in reports() {
        for f in FORMATS {
            let whole = render::render(&r, f, &RenderOptions::default());
            let mut out = Dribble(Vec::new());
            render::render_to(&r, f, &RenderOptions::default(), &mut out).unwrap();
            assert!(out.0 == whole.as_bytes(), "{name} {f}");
        }
    }
}

fn schema() -> jsonschema::JSONSchema {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json");
    let text = std::fs::read_to_string(path).expect("docs/report.schema.json");
    let mut v: Value = serde_json::from_str(&text).expect("the schema is JSON");
    // `$id` is the relative name "heapscope.report.v1", which the validator cannot resolve
    // without a base URL; nothing refers to it, so it is dropped here.
    v.as_object_mut().unwrap().remove("$id");
    // The schema declares 2020-12 but uses only keywords Draft 7 validates the same way
    // ($defs are reached through JSON-pointer $refs).
    jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .compile(&v)
        .unwrap_or_else(|e| panic!("the schema compiles: {e}"))
}

pub fn assert_schema_valid(json: &str) {
    let v: Value = serde_json::from_str(json).expect("the renderer prints JSON");
    let s = schema();
    let msgs: Vec<String> = match s.validate(&v) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect(),
    };
    assert!(msgs.is_empty(), "schema violations:\n{}", msgs.join("\n"));
}

#[test]
fn json_follows_the_schema() {
    let all = reports();
    assert!(all
        .iter()
        .any(|(_, r)| r.suspects.iter().any(|s| s.kind == "runtime")));
    for (_, r) in &all {
        assert_schema_valid(&render::json::render(r));
    }
    // And a schema violation is caught (the test can fail).
    let mut v: Value = serde_json::from_str(&render::json::render(&all[0].1)).unwrap();
    v["suspects"][0]["pattern"] = Value::String("memory-leak".into());
    assert!(!schema().is_valid(&v));
}

#[test]
fn text_is_coloured_only_when_asked() {
    let r = &reports()[0].1;
    let plain = render::render(r, OutputFormat::Text, &RenderOptions::default());
    assert!(!plain.contains('\x1b'));
    let colour = render::render(
        r,
        OutputFormat::Text,
        &RenderOptions {
            color: true,
            ..RenderOptions::default()
        },
    );
    assert!(
        colour.contains("\x1b[1;31m#")
            || colour.contains("\x1b[1;31mclass com.acme.SessionRegistry"),
        "{colour}"
    );
    // Aligned: every dominator row has its columns at the same offsets.
    let rows: Vec<&str> = plain
        .lines()
        .skip_while(|l| !l.starts_with("BIGGEST"))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(rows.len() > 3);
    let shares: Vec<usize> = rows.iter().map(|l| l.find('%').unwrap()).collect();
    assert!(shares.windows(2).all(|w| w[0] == w[1]), "{rows:#?}");
}

/// A heap with thousands of distinct types: the Markdown must still fit.
fn wide_report() -> Report {
    let mut h = java_static_map(3000);
    let (_, _) = (0, 0);
    let holder = h.obj("java.lang.Object[]", 16);
    h.root(holder, "JNI global");
    for i in 0..5000 {
        let o = h.node(
            &format!(
                "com.acme.generated.package{}.SomeRatherLongClassNameNumber{i}",
                i % 37
            ),
            NodeKind::Object,
            24 + (i % 7) as u64,
        );
        h.edge(holder, o, &format!("[{i}]"));
    }
    h.report(info(Format::Hprof), "wide.hprof", &ReportOptions::default())
}

#[test]
fn markdown_fits_a_ticket_and_keeps_the_suspects() {
    let r = wide_report();
    assert!(r.histogram.len() > 5000);
    let opts = RenderOptions {
        rows: 10_000,
        ..RenderOptions::default()
    };
    let md = render::render(&r, OutputFormat::Markdown, &opts);
    assert!(md.len() < 64 * 1024, "{} bytes", md.len());
    assert!(md.contains(&markdown::escape(&r.suspects[0].title)));
    assert!(md.contains("| type | count | shallow | retained |\n| --- | ---: | ---: | ---: |"));
    assert!(md.contains("more types"), "says what was left out");
    let small = render::render(
        &r,
        OutputFormat::Markdown,
        &RenderOptions {
            rows: 10_000,
            markdown_max_bytes: 8 * 1024,
            ..RenderOptions::default()
        },
    );
    assert!(small.len() <= 8 * 1024, "{}", small.len());
    assert!(
        small.contains("#1 "),
        "the first suspect survives any budget"
    );
}

#[test]
fn markdown_table_cells_are_escaped() {
    let t = markdown::table(
        &[("a", markdown::Align::Left), ("b", markdown::Align::Right)],
        &[vec![markdown::escape("x|y"), markdown::code("Map<K|V>")]],
    );
    assert_eq!(t, "| a | b |\n| --- | ---: |\n| x\\|y | `Map<K\\|V>` |\n");
}

#[test]
fn html_is_self_contained_and_capped() {
    let r = wide_report();
    let html = render::render(&r, OutputFormat::Html, &RenderOptions::default());
    for bad in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(!html.contains(bad), "the page must not load {bad}…");
    }
    assert_eq!(html.matches("<script>").count(), 1);
    let hist_rows = html
        .split("id=\"histogram-table\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap()
        .matches("<tr>")
        .count();
    assert_eq!(
        hist_rows,
        render::html::MAX_HISTOGRAM_ROWS + 1,
        "header + capped rows"
    );
    assert!(html.contains("more rows not shown"));
    assert!(html.len() < 512 * 1024, "{} bytes", html.len());
    // Text from the dump is escaped.
    let r = &reports()[1].1;
    let html = render::render(r, OutputFormat::Html, &RenderOptions::default());
    assert!(
        html.contains("emitter &lt;listeners&gt;.heapsnapshot")
            && !html.contains("emitter <listeners>")
    );
}

#[test]
fn html_opens_in_headless_chromium_without_script_errors() {
    for (name, r) in reports().into_iter().take(2) {
        let html = render::render(&r, OutputFormat::Html, &RenderOptions::default());
        let Some((dom, console)) = load_in_chromium(&html, name) else {
            return;
        };
        assert!(
            console.is_empty(),
            "console messages in {name}: {console:#?}"
        );
        assert!(
            dom.contains("data-ready=\"1\""),
            "the page's script ran to its end ({name})"
        );
        let s = &r.suspects[0];
        assert!(
            dom.contains(&render::html::escape(&s.title)),
            "suspect title in the DOM ({name})"
        );
        assert!(dom.contains("id=\"suspect-1\""));
        let last = s.path_to_root.last().unwrap();
        assert!(dom.contains("class=\"path\""), "the path is in the DOM");
        assert!(
            dom.contains(&render::html::escape(&last.id)),
            "the path's last element is in the DOM"
        );
    }
}

#[test]
fn the_script_error_check_can_fail() {
    let html = render::html::page("broken", "<p>x</p><script>undefinedFunction();</script>");
    let Some((_, console)) = load_in_chromium(&html, "broken") else {
        return;
    };
    assert!(
        console.iter().any(|l| l.contains("Uncaught")),
        "{console:#?}"
    );
}

#[test]
fn output_format_names_round_trip() {
    for f in OutputFormat::ALL {
        assert_eq!(f.name().parse::<OutputFormat>(), Ok(f));
        assert_eq!(f.to_string(), f.name());
    }
    assert_eq!(
        OutputFormat::ALL.map(|f| f.name()),
        OutputFormat::NAMES,
        "NAMES lists ALL in order"
    );
    assert_eq!("md".parse::<OutputFormat>(), Ok(OutputFormat::Markdown));
    assert_eq!(OutputFormat::Markdown.extension(), "md");
    assert!("yaml".parse::<OutputFormat>().is_err());
}

/// Every renderer draws any document: blocks a view of today does not give it too.
#[test]
fn every_renderer_draws_any_document() {
    use heapscope_reports::doc::{Block, Cell, Column, Document, GroupKind, Span, Table, Tone};
    let r = &reports()[0].1;
    let table = Table {
        columns: vec![Column::auto("type", false), Column::auto("Δ bytes", true)],
        rows: (0..5)
            .map(|i| {
                vec![
                    Cell::Text(format!("T{i}|x")),
                    Cell::SignedBytes(-(i * 2048)),
                ]
            })
            .collect(),
        header: true,
        cap: Some(3),
        ..Table::default()
    };
    let d = Document {
        title: "page <title>".into(),
        blocks: vec![
            Block::heading(1, "doc"),
            Block::Group {
                kind: GroupKind::Section,
                class: Some("suspect".into()),
                id: None,
                blocks: vec![Block::para(vec![
                    Span::figure("#1"),
                    Span::text(" a_b "),
                    Span::styled(Tone::Strong, "bold"),
                ])],
            },
            Block::Tree(r.dominator_tree.clone(), heapscope_graph::Unit::Bytes),
            Block::Table(table),
        ],
        closing_blank_line: true,
    };
    let text = render::text::draw(&d, false);
    let md = render::markdown::draw(&d);
    let html = render::html::draw(&d);
    for out in [&text, &md, &html] {
        assert!(out.contains(&r.dominator_tree[0].node.type_name));
        assert!(out.contains("2 more rows"), "the cap says what it left out");
        assert!(!out.contains("T4"));
    }
    assert!(text.contains("#1 a_b bold") && text.contains("-2.0 KiB"));
    assert!(md.contains("#1 a\\_b **bold**") && md.contains("T1\\|x"));
    assert!(html.contains("<section class=\"suspect\">\n<p>#1 a_b <b>bold</b></p>\n</section>"));
    assert!(html.contains("<title>page &lt;title&gt;</title>"));
}

/// Objects no root reaches are garbage on a JVM, but in a CPython snapshot they are mostly held by
/// C code (built-in types' descriptors, which the collector does not track): the heading says
/// which (the text report; HTML and Markdown leave the section out).
#[test]
fn unreachable_objects_are_worded_by_runtime() {
    let (mut h, _, _) = java_base(10);
    let stray = h.obj("wrapper_descriptor", 4096);
    let dict = h.obj("dict", 4096);
    h.edge(dict, stray, "__add__");
    let python = heapscope_graph::DumpFacts::object_graph(
        "python-heapsnapshot",
        heapscope_graph::Runtime::CPython,
    );
    for (facts, says, not) in [
        (
            Format::Hprof.facts(),
            "garbage no GC root holds",
            "only C code",
        ),
        (python, "objects only C code holds", "garbage no GC root"),
    ] {
        let r = h.report(facts, "x", &ReportOptions::default());
        assert_eq!(r.summary.unreachable_nodes, 2);
        let out = render::render(&r, OutputFormat::Text, &RenderOptions::default());
        assert!(out.contains(says), "{out}");
        assert!(!out.contains(not), "{out}");
    }
}
