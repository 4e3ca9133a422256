//! V8-format heap snapshots from producers other than the Node builds of testdata/node/ (Bun's
//! `Bun.generateHeapSnapshot("v8")`, Deno's `node:v8`, Node 18), all of the same leak
//! (testdata/node/producers/src/leak.js): `analyze` reads each, agrees with memlab on counts,
//! self sizes and retained sizes, and names what memlab's dominator tree says holds the leaked
//! objects. References: `reference/<name>.memlab.json` (the project's record.js) and
//! `reference/<name>.leak.json` (leak-dominators.js), recorded by generate.sh.

use serde_json::Value;

use super::util::{analyze_json, root};

const DIR: &str = "testdata/node/producers";

fn producers() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(DIR))
        .expect("testdata/node/producers")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            f.strip_suffix(".heapsnapshot.gz").map(str::to_string)
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 3,
        "expected the producers' snapshots, found {v:?}"
    );
    v
}

fn reference(name: &str, kind: &str) -> Value {
    let p = root()
        .join(DIR)
        .join(format!("reference/{name}.{kind}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("reference")).expect("json")
}

#[test]
fn v8_producers_agree_with_memlab_on_counts_sizes_and_retained_sizes() {
    for name in producers() {
        let file = format!("{DIR}/{name}.heapsnapshot.gz");
        let r = analyze_json(&file, &[]).unwrap();
        let m = reference(&name, "memlab");
        let s = &r["summary"];
        assert_eq!(s["nodes"], m["node_count"], "{name}: nodes");
        assert_eq!(s["edges"], m["edge_count"], "{name}: edges");
        assert_eq!(s["total_bytes"], m["self_size_total"], "{name}: self sizes");
        // every class memlab lists, with the same count and self size
        let hist: std::collections::HashMap<&str, &Value> = r["histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["type"].as_str().unwrap(), h))
            .collect();
        for c in m["classes"].as_array().unwrap() {
            let class = c["name"].as_str().unwrap();
            let h = hist
                .get(class)
                .unwrap_or_else(|| panic!("{name}: no {class}"));
            assert_eq!(h["count"], c["count"], "{name}: {class} count");
            assert_eq!(h["shallow_bytes"], c["self_size"], "{name}: {class} self");
        }
        // retained sizes of the largest objects both list (synthetic nodes aside: see the README)
        let ml: std::collections::HashMap<String, &Value> = m["largest_retained"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["id"].to_string(), e))
            .collect();
        let mut compared = 0;
        for d in r["dominators"].as_array().unwrap() {
            if let Some(e) = ml.get(d["id"].as_str().unwrap()) {
                if e["type"] == "synthetic" {
                    continue;
                }
                assert_eq!(
                    d["retained_bytes"], e["retained_size"],
                    "{name}: retained size of {}",
                    d["id"]
                );
                compared += 1;
            }
        }
        assert!(compared >= 5, "{name}: {compared} retained sizes compared");
    }
}

#[test]
fn v8_producers_first_suspect_is_what_memlab_says_holds_the_leak() {
    for name in producers() {
        let file = format!("{DIR}/{name}.heapsnapshot.gz");
        let r = analyze_json(&file, &[]).unwrap();
        let leak = reference(&name, "leak");
        let class = leak["leak_class"].as_str().unwrap();
        let count = leak["count"].as_u64().unwrap();
        let first = &r["suspects"][0];
        let title = first["title"].as_str().unwrap();
        assert!(
            title
                .replace(',', "")
                .contains(&format!("{count} × {class}")),
            "{name}: {title}"
        );
        // memlab's lowest common dominator of the leaked objects, synthetic nodes left out
        let holders: Vec<&Value> = leak["common_dominator_chain"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["type"] != "synthetic")
            .collect();
        if holders.is_empty() {
            // the writer left the leaked objects without a path from a root (Bun's V8 export
            // writes no edges from a Map's storage to its entries): named as a group
            assert_eq!(first["type"], class, "{name}: {title}");
            assert_eq!(first["object_count"].as_u64(), Some(count), "{name}");
            assert!(
                first["holder"].as_str().unwrap().contains("no path"),
                "{name}: {}",
                first["holder"]
            );
        } else {
            // the accumulation point is one of the holders memlab names, with its retained size
            let ap = &first["accumulation_point"];
            let h = holders
                .iter()
                .find(|d| d["id"].as_u64() == ap["id"].as_str().and_then(|s| s.parse().ok()))
                .unwrap_or_else(|| panic!("{name}: {ap} not among memlab's {holders:?}"));
            assert_eq!(ap["retained_bytes"], h["retained_size"], "{name}");
        }
    }
}
