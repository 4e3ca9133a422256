//! The unreachable-objects histogram (as Eclipse MAT reports garbage the dump still holds): its
//! rows add up to the summary's unreachable totals on every Java fixture that has any, and it is
//! absent where everything is reachable.

use super::util::{analyze_json, root};

#[test]
fn unreachable_rows_add_up_to_the_summary() {
    let mut seen = 0;
    let dir = root().join("testdata/java/dumps");
    let mut dumps: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dumps.sort();
    for d in dumps
        .iter()
        .filter(|p| p.to_string_lossy().contains(".hprof"))
    {
        let rel = d
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let r = analyze_json(&rel, &[]).expect("hprof is read");
        let nodes = r["summary"]["unreachable_nodes"].as_u64().unwrap();
        let bytes = r["summary"]["unreachable_bytes"].as_u64().unwrap();
        let rows = r
            .get("unreachable_histogram")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        if nodes == 0 {
            assert!(rows.is_empty(), "{rel}: rows without unreachable objects");
            continue;
        }
        assert!(rows.len() <= 50, "{rel}: capped at 50 rows");
        let (c, s): (u64, u64) = rows
            .iter()
            .map(|x| {
                (
                    x["count"].as_u64().unwrap(),
                    x["shallow_bytes"].as_u64().unwrap(),
                )
            })
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if rows.len() < 50 {
            assert_eq!((c, s), (nodes, bytes), "{rel}: rows add up to the summary");
        } else {
            assert!(
                c <= nodes && s <= bytes,
                "{rel}: capped rows stay within the summary"
            );
        }
        assert!(
            rows.windows(2)
                .all(|w| w[0]["shallow_bytes"].as_u64() >= w[1]["shallow_bytes"].as_u64()),
            "{rel}: sorted"
        );
        assert!(
            rows.iter().all(|x| x["retained_bytes"].as_u64() == Some(0)),
            "{rel}: garbage retains nothing"
        );
        seen += 1;
    }
    assert!(seen > 0, "no Java fixture has unreachable objects to check");
}
