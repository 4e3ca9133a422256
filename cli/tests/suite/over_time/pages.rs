//! The pictures of issue 14 in the HTML pages, loaded in headless Chromium: no console message,
//! and the SVGs there with one point per input (trend), one bar per row (diff) and rects for the
//! retention flame graph (analyze). Under CI (`CI` set) a missing Chromium fails the test.

use crate::suite::chromium;

use super::testdata;
use crate::suite::util::{heapscope, stderr, stdout};

fn page(args: &[&str]) -> String {
    let o = heapscope(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// Load in Chromium; `None` only when it is missing outside CI.
fn load(html: &str, tag: &str) -> Option<String> {
    match chromium::load_in_chromium(html, tag) {
        Some((dom, console)) => {
            assert!(console.is_empty(), "{tag}: console messages: {console:#?}");
            Some(dom)
        }
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{tag}: chromium is missing under CI (reports/ci-deps.sh installs it)"
            );
            None
        }
    }
}

/// The `<figure …>…</figure>` elements of a DOM whose opening tag contains `class_attr`.
fn figures<'d>(dom: &'d str, class_attr: &str) -> Vec<&'d str> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find("<figure") {
        let tail = &rest[at..];
        let end = tail.find("</figure>").map(|e| e + 9).unwrap_or(tail.len());
        let open_end = tail.find('>').unwrap_or(0);
        if tail[..open_end].contains(class_attr) {
            out.push(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out
}

/// Absolute paths of `pattern` with `{}` replaced by each of `items`.
fn paths<T: std::fmt::Display>(pattern: &str, items: &[T]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            testdata(&pattern.replace("{}", &i.to_string()))
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn trend_page_charts_one_point_per_input() {
    let files = paths(
        "node/session_store/{}.heapsnapshot.gz",
        &["baseline", "target", "final"],
    );
    let mut args = vec!["trend", "-q", "--format", "html", "--rows", "5"];
    args.extend(files.iter().map(String::as_str));
    let html = page(&args);
    let Some(dom) = load(&html, "trend") else {
        return;
    };
    let charts = figures(&dom, "class=\"chart\"");
    assert!(
        charts.len() >= 2,
        "the heap's chart and a row's: {}",
        charts.len()
    );
    for c in &charts {
        assert!(c.contains("<svg"), "{c}");
        assert_eq!(
            c.matches("<circle").count(),
            files.len(),
            "one point per input: {c}"
        );
        assert!(c.contains("class=\"series fitted"), "the fitted line: {c}");
    }
    // Java growth series with --limit: the limit line and the projected crossing.
    let java = paths("java/dumps/growth_{}.hprof.gz", &[1, 2, 3]);
    let mut args = vec!["trend", "-q", "--format", "html", "--limit", "64MiB"];
    args.extend(java.iter().map(String::as_str));
    let Some(dom) = load(&page(&args), "trend-limit") else {
        return;
    };
    let heap = figures(&dom, "class=\"chart\"")[0];
    assert!(heap.contains("class=\"limit\""), "{heap}");
    assert!(heap.contains("class=\"mark\""), "{heap}");
    assert!(heap.contains("class=\"series projected"), "{heap}");
}

#[test]
fn diff_page_draws_one_bar_per_row() {
    let p = paths("java/dumps/growth_{}.hprof.gz", &[2, 3]);
    let (b, t) = (&p[0], &p[1]);
    let rows = 6;
    let html = page(&["diff", "-q", "--format", "html", "--rows", "6", b, t]);
    let Some(dom) = load(&html, "diff") else {
        return;
    };
    let json: serde_json::Value =
        serde_json::from_str(&page(&["diff", "-q", "--format", "json", b, t])).unwrap();
    let shown = json["types"].as_array().unwrap().len().min(rows);
    let bars = figures(&dom, "id=\"growth-bars\"");
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].matches("<rect").count(), shown, "one bar per row");
    let suspects = figures(&dom, "id=\"suspect-bars\"");
    assert_eq!(
        suspects[0].matches("<rect").count(),
        json["likely_leak"]["suspects"].as_array().unwrap().len()
    );
}

#[test]
fn analyze_page_draws_the_retention_flame_graph() {
    let f = testdata("java/dumps/growth_3.hprof.gz")
        .display()
        .to_string();
    let html = page(&["analyze", "-q", "--format", "html", &f]);
    let Some(dom) = load(&html, "analyze") else {
        return;
    };
    let json: serde_json::Value =
        serde_json::from_str(&page(&["analyze", "-q", "--format", "json", &f])).unwrap();
    let ic = figures(&dom, "id=\"icicle\"");
    assert_eq!(ic.len(), 1);
    let items = json["dominator_tree"].as_array().unwrap().len();
    assert_eq!(
        ic[0].matches("<rect").count(),
        items,
        "a rect per tree item"
    );
    assert_eq!(
        ic[0].matches("<title>").count(),
        items,
        "a tooltip per rect"
    );
}
