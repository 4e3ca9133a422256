//! Golden files of the four renderers on real fixtures (`UPDATE_EXPECT=1 cargo test -p
//! heapscope` rewrites them), and the HTML page of a real dump in headless Chromium.

use std::path::Path;

use super::util::*;

use super::chromium;

const FIXTURES: &[(&str, &str)] = &[
    ("java_static_map", "testdata/java/dumps/static_map.hprof.gz"),
    (
        "node_emitter_listeners",
        "testdata/node/snapshots/emitter-listeners.heapsnapshot",
    ),
    ("go_fragmentation", "testdata/go/fragmentation/heap.txt"),
];

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `UPDATE_EXPECT=1 cargo test -p heapscope` to create it",
            path.display()
        )
    });
    if expected != actual {
        let at = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs at line {}:\n- {}\n+ {}\n(UPDATE_EXPECT=1 accepts the new output)",
            path.display(),
            at + 1,
            expected.lines().nth(at).unwrap_or("<end>"),
            actual.lines().nth(at).unwrap_or("<end>")
        );
    }
}

/// `analyze --format F` of a fixture. A committed fixture that is rejected fails the test.
fn rendered(fixture: &str, format: &str) -> String {
    let o = heapscope(["analyze", "-q", "--format", format, fixture]);
    match o.status.code() {
        Some(0) => stdout(&o),
        Some(2) => panic!("{fixture}: rejected as bad input: {}", stderr(&o).trim()),
        c => panic!("{fixture}: exit {c:?}: {}", stderr(&o)),
    }
}

#[test]
fn renderers_on_real_fixtures_match_their_golden_files() {
    for &(name, fixture) in FIXTURES {
        for (format, ext) in [
            ("text", "txt"),
            ("json", "json"),
            ("html", "html"),
            ("markdown", "md"),
        ] {
            let out = rendered(fixture, format);
            if format == "markdown" {
                assert!(
                    out.len() < 64 * 1024,
                    "{fixture}: markdown is {} bytes",
                    out.len()
                );
            }
            if format == "text" {
                assert!(
                    !out.contains('\x1b'),
                    "no colour when stdout is not a terminal"
                );
            }
            golden(&format!("{name}.{ext}"), &out);
        }
    }
}

#[test]
fn html_of_real_dumps_opens_in_headless_chromium() {
    for &(name, fixture) in FIXTURES.iter().take(2) {
        let html = rendered(fixture, "html");
        let json: serde_json::Value = serde_json::from_str(&rendered(fixture, "json")).unwrap();
        let Some((dom, console)) = chromium::load_in_chromium(&html, name) else {
            return;
        };
        assert!(
            console.is_empty(),
            "{fixture}: console messages: {console:#?}"
        );
        assert!(
            dom.contains("data-ready=\"1\""),
            "{fixture}: the script ran to its end"
        );
        let s = &json["suspects"][0];
        let title = heapscope_reports::render::html::escape(s["title"].as_str().unwrap());
        assert!(dom.contains(&title), "{fixture}: suspect #1 is in the DOM");
        for step in s["path_to_root"].as_array().unwrap() {
            let id = step["id"].as_str().unwrap();
            assert!(
                dom.contains(&format!("<span class=\"meta mono\">{id}</span>")),
                "{fixture}: path step {id} is in the DOM"
            );
        }
    }
}
