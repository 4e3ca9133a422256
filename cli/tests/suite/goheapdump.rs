//! Go heap dumps (testdata/go/heapdump): `analyze --binary` names the package-level variable
//! or the goroutine frame that holds each culprit's bytes, with the Go pattern; the healthy
//! control is quiet; `diff` of two dumps of one process follows objects by address. What each
//! culprit must name is read from its Go source (its package-level containers, the functions
//! it starts as goroutines), how many objects are new from the pprof references.

use std::collections::BTreeSet;

use serde_json::Value;

use super::util::{analyze_json, heapscope, root, stderr, stdout};

const DIR: &str = "testdata/go/heapdump";

fn source(scenario: &str) -> String {
    std::fs::read_to_string(root().join(format!("{DIR}/src/{scenario}/main.go"))).unwrap()
}

/// `main.X` for each package-level `var X = map…` / `var X []…` of the scenario.
fn containers(scenario: &str) -> BTreeSet<String> {
    source(scenario)
        .lines()
        .filter_map(|l| l.strip_prefix("var "))
        .filter_map(|l| {
            let (name, rest) = l.split_once(' ')?;
            let rest = rest.trim_start_matches("= ");
            (rest.starts_with("map[") || rest.starts_with("[]")).then(|| format!("main.{name}"))
        })
        .collect()
}

/// `main.F` for each `go F(` of the scenario.
fn goroutine_funcs(scenario: &str) -> BTreeSet<String> {
    source(scenario)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("go "))
        .filter_map(|l| l.split_once('(').map(|(f, _)| format!("main.{f}")))
        .collect()
}

fn analyze(scenario: &str, dump: &str, binary: bool) -> Value {
    let fixture = format!("{DIR}/{scenario}/{dump}");
    let bin = format!("{DIR}/{scenario}/binary.symtab");
    let extra: Vec<&str> = if binary {
        vec!["--binary", &bin]
    } else {
        vec![]
    };
    analyze_json(&fixture, &extra).unwrap()
}

fn suspects(v: &Value) -> &Vec<Value> {
    v["suspects"].as_array().expect("suspects")
}

fn holder(s: &Value) -> &str {
    s["holder"].as_str().unwrap_or_default()
}

#[test]
fn global_containers_are_named_by_their_variable() {
    for (scenario, dump) in [
        ("global_map", "heap.2.dump.gz"),
        ("unbounded_slice", "heap.dump.gz"),
    ] {
        let want = containers(scenario);
        assert_eq!(want.len(), 1, "{scenario}: {want:?}");
        let v = analyze(scenario, dump, true);
        let s = &suspects(&v)[0];
        let h = holder(s);
        assert!(
            want.iter().all(|g| h.contains(&format!("[global: {g}]"))),
            "{scenario}: holder {h:?}, want {want:?}"
        );
        assert_eq!(s["pattern"], "global-container", "{scenario}: {s}");
        assert!(s["retained_share"].as_f64().unwrap() > 0.5, "{s}");
        // Without the binary the global is its segment offset, never a guessed name.
        let v = analyze(scenario, dump, false);
        let h = holder(&suspects(&v)[0]).to_string();
        assert!(
            h.contains("[global: bss+0x") || h.contains("[global: data+0x"),
            "{h}"
        );
        assert!(want.iter().all(|g| !h.contains(g.as_str())), "{h}");
    }
}

#[test]
fn blocked_goroutines_are_named_by_their_frames() {
    let want = goroutine_funcs("blocked_goroutines");
    assert_eq!(want.len(), 1, "{want:?}");
    let func = want.iter().next().unwrap();
    let v = analyze("blocked_goroutines", "heap.dump.gz", true);
    let s = &suspects(&v)[0];
    let h = holder(s);
    assert!(
        h.starts_with("[goroutine stack (chan receive): goroutine ")
            && h.contains(&format!(" · {func}]")),
        "{h}"
    );
    assert_eq!(s["pattern"], "goroutine-leak", "{s}");
    assert_eq!(s["kind"], "group-of-objects", "{s}");
}

#[test]
fn healthy_go_heap_dump_has_no_suspect() {
    let v = analyze("healthy", "heap.dump.gz", true);
    assert!(suspects(&v).is_empty(), "{:#}", v["suspects"]);
    assert_eq!(v["input"]["format"], "go-heapdump");
}

/// The pprof references: `main.newPayload` in-use objects at the first and second snapshot.
fn pprof_objects(name: &str, site: &str) -> u64 {
    let p = root().join(format!("{DIR}/reference/global_map/{name}.sites.tsv"));
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0] == site).then(|| f[1].parse().unwrap())
        })
        .unwrap()
}

/// Two dumps of one process: survivors keep their address, so the new objects are matched by
/// id, and the new payloads are those the map gained (the cache never frees one).
#[test]
fn diff_of_one_process_follows_addresses() {
    let o = heapscope([
        "diff",
        "-q",
        "--format",
        "json",
        &format!("{DIR}/global_map/heap.1.dump.gz"),
        &format!("{DIR}/global_map/heap.2.dump.gz"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let errors = schema_errors("docs/overtime.schema.json", &v);
    assert!(errors.is_empty(), "diff JSON: {errors:#?}");
    let new = &v["new_objects"];
    assert_eq!(new["matched_by"], "node id", "{new}");
    let site = "main.newPayload";
    let row = new["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == site)
        .expect("new payloads");
    let want = pprof_objects("heap.2", site) - pprof_objects("heap.1", site);
    assert_eq!(row["count"].as_u64(), Some(want), "{row}");
}

#[test]
fn old_heap_dump_formats_and_bad_binaries_are_refused() {
    let o = heapscope(["analyze", "testdata/bad/goheapdump/old_header_go1_4.bin"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("at byte 0") && e.contains("go1.4 heap dump"),
        "{e}"
    );
    let dump = format!("{DIR}/healthy/heap.dump.gz");
    let not_elf = format!("{DIR}/healthy/heap.memstats.json");
    let o = heapscope(["analyze", "--binary", &not_elf, &dump]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--binary: an ELF"), "{}", stderr(&o));
}

/// `analyze --format json` of every Go heap dump, with and without `--binary`, follows
/// docs/report.schema.json.
#[test]
fn json_of_every_go_heap_dump_follows_the_schema() {
    let mut checked = 0;
    for scenario in [
        "blocked_goroutines",
        "global_map",
        "healthy",
        "unbounded_slice",
    ] {
        for e in std::fs::read_dir(root().join(DIR).join(scenario)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if !name.ends_with(".dump.gz") {
                continue;
            }
            for binary in [false, true] {
                let v = analyze(scenario, &name, binary);
                let errors = schema_errors("docs/report.schema.json", &v);
                assert!(errors.is_empty(), "{scenario}/{name}: {errors:#?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 10);
}

/// What `v` breaks of the JSON schema at `schema` (relative to the workspace).
fn schema_errors(schema: &str, v: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(schema)).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // `$id` is a relative name the validator cannot resolve without a base; nothing refers to it.
    schema.as_object_mut().unwrap().remove("$id");
    let compiled = jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .compile(&schema)
        .expect("schema compiles");
    let errors = match compiled.validate(v) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect(),
    };
    errors
}

/// The text report's root path starts with the global's own name, as the HTML page shows it:
/// `[global] main.userCache → …`, the variable read from the Go source.
#[test]
fn text_path_names_the_global_at_its_root() {
    let scenario = "global_map";
    let want = containers(scenario)
        .into_iter()
        .next()
        .expect("one container");
    let o = heapscope([
        "analyze",
        "-q",
        "--binary",
        &format!("{DIR}/{scenario}/binary.symtab"),
        &format!("{DIR}/{scenario}/heap.2.dump.gz"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let root_line = text
        .lines()
        .skip_while(|l| !l.contains("shortest path from a GC root"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        root_line.contains(&format!("[global] {want} →")),
        "root line {root_line:?} does not name {want}"
    );
}
