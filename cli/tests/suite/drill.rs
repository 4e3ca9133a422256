//! `path`, `retainers`, `instances` on real fixtures, following suspect #1 of `analyze`.

use super::util::*;

#[test]
fn path_and_retainers_lead_to_the_static_field() {
    let f = "testdata/java/dumps/static_map.hprof.gz";
    let Some(v) = analyze_json(f, &[]) else {
        return;
    };
    let ap = v["suspects"][0]["accumulation_point"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = heapscope(["path", "-q", f, &ap]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("java.util.HashMap "), "{text}");
    assert!(text.contains("shortest path from a GC root"), "{text}");
    assert!(text.contains("static SESSIONS java.util.HashMap"), "{text}");
    // JSON: the first path is analyze's path.
    let o = heapscope(["path", "-q", "--format", "json", f, &ap]);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let p0: Vec<&str> = j["paths"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = v["suspects"][0]["path_to_root"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(p0.len(), want.len());
    assert_eq!(p0.last(), want.last());

    let o = heapscope(["retainers", "-q", "--format", "json", f, &ap]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let refs = j["referrers"].as_array().unwrap();
    assert!(
        refs.iter()
            .any(|r| r["via"] == "static SESSIONS"
                && r["object"]["value"] == "com.acme.SessionRegistry"),
        "{j:#}"
    );
    assert!(!j["dominators"].as_array().unwrap().is_empty());
}

#[test]
fn instances_lists_the_largest_first() {
    let f = "testdata/java/dumps/static_map.hprof.gz";
    if analyze_json(f, &[]).is_none() {
        return;
    }
    let o = heapscope([
        "instances",
        "-q",
        "--format",
        "json",
        "--top",
        "5",
        f,
        "com.acme.Session",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["count"], 12000, "the README's 12,000 sessions");
    let rows = j["instances"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let sizes: Vec<u64> = rows
        .iter()
        .map(|r| r["retained_bytes"].as_u64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let o = heapscope(["instances", "-q", f, "com.acme.Sesion"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn v8_ids_are_decimal_and_unknown_ids_are_bad_input() {
    let f = "testdata/node/snapshots/emitter-listeners.heapsnapshot";
    let Some(v) = analyze_json(f, &[]) else {
        return;
    };
    let ap = v["suspects"][0]["accumulation_point"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ap.chars().all(|c| c.is_ascii_digit()));
    let o = heapscope(["path", "-q", f, &ap]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("configChanged Array"), "{}", stdout(&o));
    let o = heapscope(["retainers", "-q", f, "@999999999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no object with id"));
}
