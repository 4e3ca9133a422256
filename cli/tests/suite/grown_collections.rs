//! Dumps written while a collection was growing: Node's own snapshot near its heap limit
//! (`--heapsnapshot-near-heap-limit`, written inside V8's `Runtime_MapGrow` / `SetGrow`:
//! testdata/node/near_heap_limit) and a JVM's `-XX:+HeapDumpOnOutOfMemoryError` dump whose
//! failed allocation was the collection's new table or array (testdata/java/growing). There a
//! stack frame holds the collection's inside too, so the collection does not dominate it; the
//! first suspect is still the collection, with the pattern and holder the same program's
//! ordinary dump (between two calls) gives, and says a stack frame held its inside.
//!
//! The oracles: which collection was growing comes from the runtime's own account of where it
//! was (V8's fatal-error stack naming the runtime function, the OutOfMemoryError's stack
//! trace), the pattern and holder from the ordinary dump of the same program; nothing is
//! hard-coded but the fixtures' names.

use serde_json::Value;

use super::util::{analyze_json, heapscope, root, stdout};

/// A dump written while growing, the runtime's account of it, and the same program's ordinary
/// dump.
struct Case {
    grown: &'static str,
    runtime: &'static str,
    ordinary: &'static str,
}

const CASES: &[Case] = &[
    Case {
        grown: "testdata/node/near_heap_limit/limit_map.heapsnapshot.gz",
        runtime: "testdata/node/near_heap_limit/limit_map.runtime.txt",
        ordinary: "testdata/node/near_heap_limit/ordinary_map.heapsnapshot.gz",
    },
    Case {
        grown: "testdata/node/near_heap_limit/limit_set.heapsnapshot.gz",
        runtime: "testdata/node/near_heap_limit/limit_set.runtime.txt",
        ordinary: "testdata/node/near_heap_limit/ordinary_set.heapsnapshot.gz",
    },
    Case {
        grown: "testdata/java/growing/oom_map.hprof.gz",
        runtime: "testdata/java/growing/oom_map.oom.txt",
        ordinary: "testdata/java/growing/ordinary_map.hprof.gz",
    },
    Case {
        grown: "testdata/java/growing/oom_list.hprof.gz",
        runtime: "testdata/java/growing/oom_list.oom.txt",
        ordinary: "testdata/java/growing/ordinary_list.hprof.gz",
    },
];

/// What the runtime says was growing: the collection's type as the dump names it, and (JVM) the
/// stack frames that were running, innermost first, as `Class.method(File.java:N)`.
fn growing(runtime: &str) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(root().join(runtime)).expect("the runtime's account");
    if let Some(f) = text.trim().strip_prefix("Runtime_") {
        // V8: `Runtime_MapGrow` grows a `Map`.
        let kind = f
            .strip_suffix("Grow")
            .expect("a V8 runtime function that grows");
        return (kind.to_string(), Vec::new());
    }
    // The OutOfMemoryError's stack: `OutOfMemoryError at FRAME`, then `\tat FRAME` lines; a
    // JDK frame is `java.base/CLASS.METHOD(FILE:LINE)`.
    let frames: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("OutOfMemoryError at ")
                .or_else(|| l.strip_prefix("\tat "))
        })
        .map(|f| f.rsplit('/').next().unwrap_or(f).to_string())
        .collect();
    // The collection: the class of the innermost frame whose method adds, puts or grows in a
    // java.util collection (not the array copy below it).
    let class = frames
        .iter()
        .find_map(|f| {
            let call = f.split('(').next()?;
            let (class, method) = call.rsplit_once('.')?;
            (class.starts_with("java.util.") && class != "java.util.Arrays")
                .then(|| (class.to_string(), method))
        })
        .map(|(c, _)| c)
        .expect("a java.util collection's frame on the OutOfMemoryError's stack");
    (class, frames)
}

fn first(v: &Value) -> &Value {
    &v["suspects"][0]
}

#[test]
fn a_collection_caught_growing_is_the_suspect_with_the_ordinary_dumps_pattern_and_holder() {
    for c in CASES {
        let grown = analyze_json(c.grown, &[]).expect("analyze");
        let ordinary = analyze_json(c.ordinary, &[]).expect("analyze");
        let (kind, frames) = growing(c.runtime);
        let (s, o) = (first(&grown), first(&ordinary));
        let name = c.grown;
        assert_eq!(s["type"], kind.as_str(), "{name}: {}", s["title"]);
        assert_eq!(o["type"], kind.as_str(), "{}: {}", c.ordinary, o["title"]);
        assert_ne!(s["pattern"], "unknown", "{name}");
        assert_eq!(s["pattern"], o["pattern"], "{name}: as between two calls");
        assert_eq!(s["holder"], o["holder"], "{name}: as between two calls");
        assert!(o.get("held_while_growing").is_none(), "{}", c.ordinary);
        // The collection itself does not dominate its inside: the suspect's bytes are the
        // inside's, and the accumulation point (the collection) retains less.
        let w = &s["held_while_growing"];
        assert!(w.is_object(), "{name}: {s}");
        assert_eq!(
            s["retained_bytes"], w["internal"]["retained_bytes"],
            "{name}"
        );
        assert!(
            s["accumulation_point"]["retained_bytes"].as_u64()
                < w["internal"]["retained_bytes"].as_u64(),
            "{name}"
        );
        assert_eq!(s["accumulation_point"]["type"], kind.as_str(), "{name}");
        let holders: Vec<&str> = w["stack_holders"]
            .as_array()
            .expect("stack holders")
            .iter()
            .map(|h| h.as_str().unwrap_or_default())
            .collect();
        assert!(!holders.is_empty(), "{name}");
        if frames.is_empty() {
            // V8: the runtime function's handles.
            assert_eq!(holders, ["(Handle scope)"], "{name}");
        } else {
            // JVM: every holder is a frame of the OutOfMemoryError's stack, and one of them
            // is the innermost (the method whose allocation failed holds the old table).
            for h in &holders {
                assert!(
                    frames.iter().any(|f| h.ends_with(&format!("frame {f}"))),
                    "{name}: {h} is not on the stack {frames:?}"
                );
            }
            assert!(
                holders
                    .iter()
                    .any(|h| h.ends_with(&format!("frame {}", frames[0]))),
                "{name}: {holders:?}"
            );
        }
        // The collection's field that refers to its inside is the last step of the inside's
        // path through the collection: the ordinary dump's path ends at the collection, and the
        // explanation names the field.
        let field = w["field"].as_str().expect("field");
        assert!(!field.is_empty(), "{name}");
        let text = s["explanation"].as_str().unwrap_or_default();
        assert!(
            text.contains("growing") && text.contains(field),
            "{name}: {text}"
        );
        // Its path ends at the collection.
        let path = s["path_to_root"].as_array().expect("path");
        assert_eq!(path.last().map(|p| &p["type"]), Some(&s["type"]), "{name}");
    }
}

/// Text, Markdown and HTML say that a stack frame held the collection's inside while it grew.
#[test]
fn every_renderer_says_the_collection_was_growing() {
    for c in CASES {
        for format in ["text", "markdown", "html"] {
            let o = heapscope(["analyze", "-q", "--format", format, c.grown]);
            assert!(o.status.success(), "{}: {format}", c.grown);
            let out = stdout(&o);
            assert!(
                out.contains("was written while the") && out.contains("was growing"),
                "{}: {format}",
                c.grown
            );
        }
    }
}

/// The reports of dumps written while growing follow docs/report.schema.json, with the
/// `held_while_growing` field it describes.
#[test]
fn reports_of_grown_collections_follow_the_schema() {
    let path = root().join("docs/report.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema.as_object_mut().unwrap().remove("$id");
    let growing = &schema["properties"]["suspects"]["items"]["properties"]["held_while_growing"];
    assert!(
        growing.is_object(),
        "the schema describes held_while_growing"
    );
    let compiled = jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .compile(&schema)
        .expect("schema compiles");
    for c in CASES {
        let v = analyze_json(c.grown, &[]).expect("analyze");
        if let Err(errors) = compiled.validate(&v) {
            let msgs: Vec<String> = errors
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            panic!("{}: schema violations:\n{}", c.grown, msgs.join("\n"));
        };
    }
}
