//! Go fragmentation: the finding's numbers and remedies follow the profile's own
//! runtime.MemStats, and a protobuf heap profile (no MemStats) says it cannot be judged.

use serde_json::Value;

use super::util::analyze_json;

fn stat(r: &Value, k: &str) -> u64 {
    r["input"]["details"]["memstats"][k]
        .as_u64()
        .unwrap_or_else(|| panic!("memstats.{k}"))
}

#[test]
fn remedies_are_the_ones_the_numbers_support() {
    for f in [
        "testdata/go/fragmentation/heap.txt",
        "testdata/go/healthy/heap.txt",
        "testdata/go/unbounded_slice/heap.txt",
    ] {
        let r = analyze_json(f, &[]).expect("pprof text is read");
        let (inuse, alloc) = (stat(&r, "HeapInuse"), stat(&r, "HeapAlloc"));
        let (idle, released, next) = (
            stat(&r, "HeapIdle"),
            stat(&r, "HeapReleased"),
            stat(&r, "NextGC"),
        );
        let finding = r["suspects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["pattern"] == "fragmentation")
            .cloned();
        let fragmented = inuse > alloc && (inuse - alloc) * 2 >= inuse && inuse - alloc >= 1 << 20;
        assert_eq!(
            finding.is_some(),
            fragmented,
            "{f}: HeapInuse {inuse}, HeapAlloc {alloc}"
        );
        let Some(s) = finding else { continue };
        assert_eq!(s["kind"], "runtime", "{f}");
        assert_eq!(
            s["retained_bytes"].as_u64(),
            Some(inuse - alloc),
            "{f}: the waste in in-use spans"
        );
        let fix = s["fix"].as_str().unwrap();
        let explanation = s["explanation"].as_str().unwrap();
        for k in [
            "HeapSys",
            "HeapIdle",
            "HeapReleased",
            "NextGC",
            "NumGC",
            "GCCPUFraction",
        ] {
            assert!(
                explanation.contains(k),
                "{f}: the explanation gives {k}: {explanation}"
            );
        }
        assert_eq!(
            fix.contains("debug.FreeOSMemory"),
            idle - released >= 1 << 20,
            "{f}: {fix}"
        );
        assert_eq!(
            fix.contains("GOGC"),
            next as f64 >= 1.5 * alloc as f64,
            "{f}: {fix}"
        );
        assert!(
            fix.contains("GOMEMLIMIT") || !(fix.contains("GOGC") || fix.contains("FreeOSMemory")),
            "{f}: {fix}"
        );
    }
}

#[test]
fn protobuf_heap_profiles_say_fragmentation_cannot_be_judged() {
    let r =
        analyze_json("testdata/go/fragmentation/heap.pb.gz", &[]).expect("pprof protobuf is read");
    assert!(r["input"]["details"].get("memstats").is_none());
    assert!(r["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["pattern"] != "fragmentation"));
    let w = r["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("fragmentation cannot be judged")),
        "{w:?}"
    );
    // A goroutine profile is not a heap profile: no such warning there.
    let g = analyze_json("testdata/go/goroutine_leak/goroutine.pb.gz", &[])
        .expect("goroutine profile is read");
    assert!(g["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| !w.as_str().unwrap().contains("fragmentation")));
}
