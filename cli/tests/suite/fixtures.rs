//! The check on every fixture: on each leak scenario the culprit is suspect #1 with the
//! right pattern and a path from a real root; each healthy control has no suspect whose pattern
//! is other than `unknown`. The culprits are the ones testdata/*/README.md describe.

use std::path::Path;

use serde_json::Value;

use super::util::*;

/// (fixture, pattern of suspect #1, text the title must contain).
const LEAKS: &[(&str, &str, &str)] = &[
    (
        "testdata/java/dumps/static_map.hprof.gz",
        "global-container",
        "class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap",
    ),
    (
        "testdata/java/dumps/static_map_nocoops.hprof.gz",
        "global-container",
        "class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap",
    ),
    (
        "testdata/java/dumps/static_map_jdk25.hprof.gz",
        "global-container",
        "class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap",
    ),
    (
        "testdata/java/dumps/thread_locals.hprof.gz",
        "thread-local",
        "ThreadLocal com.acme.RequestContext.BUFFER",
    ),
    (
        "testdata/java/dumps/listeners.hprof.gz",
        "listener-list",
        "class com.acme.App › static BUS › com.acme.EventBus › listeners › java.util.ArrayList",
    ),
    (
        "testdata/java/dumps/caches.hprof.gz",
        "cache-without-eviction",
        "class com.acme.ProductCache › static CACHE › java.util.concurrent.ConcurrentHashMap",
    ),
    (
        "testdata/java/dumps/finalizer_backlog.hprof.gz",
        "finalizer-queue",
        "java.lang.ref.Finalizer",
    ),
    (
        "testdata/java/dumps/finalizer_backlog_jdk25.hprof.gz",
        "finalizer-queue",
        "java.lang.ref.Finalizer",
    ),
    (
        "testdata/node/snapshots/emitter-listeners.heapsnapshot",
        "listener-list",
        "variable bus › ConfigBus › _events › Object › configChanged › Array",
    ),
    (
        "testdata/node/snapshots/closure-retention.heapsnapshot",
        "closure-context",
        "someMethod › (closure)",
    ),
    (
        "testdata/node/snapshots/map-cache.heapsnapshot",
        "cache-without-eviction",
        "variable renderCache › Map",
    ),
    (
        "testdata/node/snapshots/global-array.heapsnapshot",
        "global-container",
        "global.auditLog › Array",
    ),
    (
        "testdata/node/snapshots/undrained-stream.heapsnapshot",
        "stream-buffer",
        "ReadableState › buffer › Array",
    ),
    (
        "testdata/go/fragmentation/heap.txt",
        "fragmentation",
        "Go heap fragmentation",
    ),
    (
        "testdata/go/goroutine_leak/goroutine.txt",
        "goroutine-leak",
        "main.streamWorker",
    ),
    (
        "testdata/go/goroutine_leak/goroutine.pb.gz",
        "goroutine-leak",
        "main.streamWorker",
    ),
];

/// Leaks whose culprit is named but whose pattern the data cannot show by names: Go's profile
/// writers strip the runtime frames (`mapassign`, `growslice`) that would say "map" or "slice",
/// and a heap profile's allocation stacks say where a goroutine allocated, not that it blocks
/// (its goroutine profile, above, does).
const NAMED_ONLY: &[(&str, &str)] = &[
    (
        "testdata/go/goroutine_leak/heap.txt",
        "allocated at main.streamWorker",
    ),
    (
        "testdata/go/goroutine_leak/heap.pb.gz",
        "allocated at main.streamWorker",
    ),
    (
        "testdata/go/global_map/heap.txt",
        "allocated at main.newSession",
    ),
    (
        "testdata/go/global_map/heap.pb.gz",
        "allocated at main.newSession",
    ),
    (
        "testdata/go/unbounded_slice/heap.txt",
        "allocated at main.record",
    ),
    (
        "testdata/go/unbounded_slice/heap.pb.gz",
        "allocated at main.record",
    ),
];

const HEALTHY: &[&str] = &[
    "testdata/java/dumps/healthy.hprof",
    "testdata/node/snapshots/healthy.heapsnapshot",
    "testdata/go/healthy/heap.txt",
    "testdata/go/healthy/heap.pb.gz",
];

const PYTHONS: &[&str] = &["py38", "py39", "py310", "py311", "py312", "py313"];

fn titles(v: &Value) -> String {
    v["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("  [{}] {}", s["pattern"], s["title"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Suspect #1 and its path: from a GC root (or outermost frame) to the accumulation point.
fn check_first(fixture: &str, v: &Value, pattern: Option<&str>, title_has: &str) {
    let s = &v["suspects"][0];
    assert!(s.is_object(), "{fixture}: no suspect");
    if let Some(p) = pattern {
        assert_eq!(
            s["pattern"],
            p,
            "{fixture}: suspect #1 pattern; suspects:\n{}",
            titles(v)
        );
    }
    let title = s["title"].as_str().unwrap();
    assert!(
        title.contains(title_has),
        "{fixture}: suspect #1 is {title:?}, expected it to name {title_has:?}; suspects:\n{}",
        titles(v)
    );
    assert_eq!(s["rank"], 1);
    let path = s["path_to_root"].as_array().unwrap();
    if s["kind"] == "runtime" {
        assert!(path.is_empty(), "kind runtime has no path (schema)");
        return;
    }
    assert!(!path.is_empty(), "{fixture}: suspect #1 has no path");
    let root_kind = path[0]["root_kind"].as_str().unwrap_or("");
    assert!(
        !root_kind.is_empty(),
        "{fixture}: the path starts at a GC root: {}",
        path[0]
    );
    for step in &path[1..] {
        assert!(step["root_kind"].is_null());
        if v["input"]["format"] == "hprof" || v["input"]["format"] == "v8-heapsnapshot" {
            assert!(
                step["via"].is_string(),
                "{fixture}: every step after the root names its reference: {step}"
            );
        }
    }
    let ap = &s["accumulation_point"];
    if ap.is_object() {
        assert_eq!(
            path.last().unwrap()["id"],
            ap["id"],
            "{fixture}: the path leads to the accumulation point"
        );
    }
}

#[test]
fn leak_scenarios_put_the_culprit_first() {
    let mut checked = 0;
    for &(fixture, pattern, title) in LEAKS {
        let Some(v) = analyze_json(fixture, &[]) else {
            continue;
        };
        check_first(fixture, &v, Some(pattern), title);
        checked += 1;
    }
    for &(fixture, title) in NAMED_ONLY {
        let Some(v) = analyze_json(fixture, &[]) else {
            continue;
        };
        check_first(fixture, &v, None, title);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} leak fixtures could be read");
}

#[test]
fn caches_fixture_finds_both_caches() {
    let Some(v) = analyze_json("testdata/java/dumps/caches.hprof.gz", &[]) else {
        return;
    };
    let s = v["suspects"].as_array().unwrap();
    assert!(s.len() >= 2, "{}", titles(&v));
    assert_eq!(s[1]["pattern"], "cache-without-eviction");
    assert!(s[1]["title"].as_str().unwrap().contains("class com.acme.ReportCache › static INSTANCE › com.acme.ReportCache › reports › java.util.LinkedHashMap"), "{}", titles(&v));
}

#[test]
fn healthy_controls_have_no_recognised_leak() {
    let mut checked = 0;
    let mut all: Vec<String> = HEALTHY.iter().map(|s| s.to_string()).collect();
    all.extend(
        PYTHONS
            .iter()
            .map(|p| format!("testdata/python/snapshots/healthy-{p}.tracemalloc")),
    );
    for fixture in &all {
        let Some(v) = analyze_json(fixture, &[]) else {
            continue;
        };
        for s in v["suspects"].as_array().unwrap() {
            assert_eq!(
                s["pattern"], "unknown",
                "{fixture}: a healthy control reports {}",
                s["title"]
            );
        }
        checked += 1;
    }
    assert!(checked >= 4);
}

/// tracemalloc names lines, not functions; the pattern comes from the allocating line's source,
/// which is readable only where the snapshot's file path exists (3.9+ record absolute paths).
#[test]
fn python_leaks_name_the_allocating_line() {
    let mut checked = 0;
    for p in PYTHONS {
        for (scenario, lines, pattern) in [
            ("global_dict", &["global_dict.py:9"][..], "global-container"),
            (
                "memo_cache",
                &["memo_cache.py:23", "memo_cache.py:14"][..],
                "cache-without-eviction",
            ),
        ] {
            let fixture = format!("testdata/python/snapshots/{scenario}-{p}.tracemalloc");
            let Some(v) = analyze_json(&fixture, &[]) else {
                continue;
            };
            let s = &v["suspects"][0];
            let ty = s["type"]
                .as_str()
                .unwrap_or_else(|| panic!("{fixture}: no suspect"));
            assert!(
                lines.iter().any(|l| ty.ends_with(l)),
                "{fixture}: suspect #1 is {ty}\n{}",
                titles(&v)
            );
            assert_eq!(s["kind"], "allocation-site");
            let file = ty.rsplit_once(':').unwrap().0;
            if Path::new(file).is_absolute() && Path::new(file).exists() {
                assert_eq!(
                    s["pattern"],
                    pattern,
                    "{fixture}: the source line is readable\n{}",
                    titles(&v)
                );
            }
            let stack = s["path_to_root"].as_array().unwrap();
            assert_eq!(
                stack.last().unwrap()["type"],
                s["type"],
                "the stack ends at the allocation site"
            );
            assert!(stack[0]["root_kind"].is_string());
            checked += 1;
        }
    }
    assert!(checked >= 2);
}

/// `analyze --format json` of every fixture follows docs/report.schema.json.
#[test]
fn json_of_every_fixture_follows_the_schema() {
    let path = super::util::root().join("docs/report.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // `$id` is a relative name the validator cannot resolve without a base; nothing refers to it.
    schema.as_object_mut().unwrap().remove("$id");
    let compiled = jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .compile(&schema)
        .expect("schema compiles");
    let mut fixtures: Vec<String> = LEAKS.iter().map(|l| l.0.to_string()).collect();
    fixtures.extend(NAMED_ONLY.iter().map(|l| l.0.to_string()));
    fixtures.extend(HEALTHY.iter().map(|s| s.to_string()));
    fixtures.extend(
        PYTHONS
            .iter()
            .map(|p| format!("testdata/python/snapshots/large_objects-{p}.tracemalloc")),
    );
    let mut checked = 0;
    for f in &fixtures {
        let Some(v) = analyze_json(f, &[]) else {
            continue;
        };
        if let Err(errors) = compiled.validate(&v) {
            let msgs: Vec<String> = errors
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            panic!("{f}: schema violations:\n{}", msgs.join("\n"));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixtures readable");
}

/// A real browser snapshot (headless Chromium) with closed dialogs kept in an array: the
/// detached DOM trees are one finding, under the threshold, named by the window property that
/// keeps them, with memlab's count of detached trees by type (its `isDetachedDOMNode`, the
/// roots no other detached node dominates).
#[test]
fn chrome_detached_dom_is_a_finding_with_memlabs_count() {
    let fixture = "testdata/node/chrome/detached-dom.heapsnapshot.gz";
    let v = analyze_json(fixture, &[]).expect("analyze");
    let memlab: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/node/chrome/detached-dom.memlab.json"))
            .expect("memlab's answers"),
    )
    .expect("json");
    let s = v["suspects"]
        .as_array()
        .expect("suspects")
        .iter()
        .find(|s| s["title"].as_str().unwrap_or("").contains("detached DOM"))
        .unwrap_or_else(|| panic!("no detached DOM suspect: {}", titles(&v)));
    assert_eq!(
        s["object_count"], memlab["detached_roots"],
        "{}",
        s["title"]
    );
    for pair in memlab["top"].as_array().expect("top") {
        let (name, count) = (&pair[0], &pair[1]);
        let row = s["accumulated"]
            .as_array()
            .expect("accumulated")
            .iter()
            .find(|r| &r["type"] == name)
            .unwrap_or_else(|| panic!("{name} not among {}", s["accumulated"]));
        assert_eq!(&row["count"], count, "{name}");
    }
    assert!(
        s["title"]
            .as_str()
            .unwrap()
            .starts_with("window.app › Object › dialogHistory › Array: "),
        "{}",
        s["title"]
    );
    assert!(s["retained_share"].as_f64().unwrap() < 0.1);
    // The path's synthetic nodes below the root by their names, as DevTools' retainer paths
    // show them: V8's `(GC roots)` then the root category, never a bare `(synthetic)`.
    let path: Vec<&str> = s["path_to_root"]
        .as_array()
        .expect("path")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(path.get(1), Some(&"(GC roots)"), "{path:?}");
    assert!(!path[1..].contains(&"(synthetic)"), "{path:?}");
    // The window's other property, the cache, is named the same way.
    assert!(
        titles(&v).contains("window.app › Object › apiCache › Map"),
        "{}",
        titles(&v)
    );
}
