//! The same dumps read from `s3://` (moto) and `http://` (nginx) URLs give the local reports,
//! byte for byte, except that the report names its input by the URL (`input.path`, and each
//! dump's path in diff and trend reports).

use std::sync::atomic::Ordering;

use super::servers::{self, Cut};
use super::*;
use crate::suite::util::{heapscope, stderr, stdout};

/// Small ranges, so that even these fixtures are fetched as many parallel ranged GETs.
const SMALL_RANGES: (&str, &str) = ("HEAPSCOPE_FETCH_CHUNK", "262144");

const FIXTURES: &[&str] = &[
    "testdata/java/dumps/static_map.hprof.gz",
    "testdata/java/dumps/healthy.hprof",
    "testdata/node/snapshots/map-cache.heapsnapshot",
    "testdata/go/global_map/heap.pb.gz",
];

fn local(args: &[&str]) -> String {
    let o = heapscope(args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// `analyze --format json URL` against `endpoint` is the local report of `f`, byte for byte
/// modulo the input's name.
fn same_as_local(endpoint: &str, f: &str, u: &str, env: &[(&str, &str)]) {
    let want = local(&["analyze", "-q", "--format", "json", f]);
    assert!(want.contains(&json_str(f)), "the local report names {f}");
    let o = run_at(endpoint, &["analyze", "-q", "--format", "json", u], env);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{u}: {}",
        stderr(&o)
    );
    assert_same(&stdout(&o), &as_if_from(&want, &[(f, u)]), u);
}

#[test]
fn analyze_from_s3_is_the_local_report() {
    let keys: Vec<String> = FIXTURES
        .iter()
        .map(|f| format!("in/{}", f.rsplit('/').next().unwrap()))
        .collect();
    let files: Vec<(&str, &str)> = keys
        .iter()
        .map(String::as_str)
        .zip(FIXTURES.iter().copied())
        .collect();
    let Some(s3) = s3_with(&files) else { return };
    for (key, f) in &files {
        same_as_local(&s3.endpoint(), f, &url(key), &[SMALL_RANGES]);
    }
    // One GET for the whole object (no ranges in parallel) gives the same bytes.
    let (key, f) = files[2];
    let one_get = [
        ("HEAPSCOPE_FETCH_PARALLEL", "1"),
        ("HEAPSCOPE_FETCH_CHUNK", "1000000000"),
    ];
    same_as_local(&s3.endpoint(), f, &url(key), &one_get);
}

#[test]
fn a_glob_or_prefix_expands_in_key_order() {
    let g = |i: u32| format!("testdata/java/dumps/growth_{i}.hprof.gz");
    let (g1, g2, g3) = (g(1), g(2), g(3));
    // Uploaded out of order, beside objects the pattern must not take.
    let Some(s3) = s3_with(&[
        ("dumps/2026-12-03/app.hprof.gz", &g3),
        (
            "dumps/2026-11-30/app.hprof.gz",
            "testdata/java/dumps/healthy.hprof",
        ),
        ("dumps/2026-12-01/app.hprof.gz", &g1),
        ("dumps/2026-12-01/notes.txt", "testdata/java/README.md"),
        ("dumps/2026-12-02/app.hprof.gz", &g2),
        ("series/a.hprof.gz", &g1),
        ("series/b.hprof.gz", &g2),
        ("series/c.hprof.gz", &g3),
    ]) else {
        return;
    };
    let want = local(&["trend", "-q", "--format", "json", &g1, &g2, &g3]);
    // The glob takes the three days of December, the prefix everything below it; both in key order.
    for (pattern, keys) in [
        (
            "dumps/2026-12-*/*.hprof.gz",
            [
                "dumps/2026-12-01/app.hprof.gz",
                "dumps/2026-12-02/app.hprof.gz",
                "dumps/2026-12-03/app.hprof.gz",
            ],
        ),
        (
            "series/",
            [
                "series/a.hprof.gz",
                "series/b.hprof.gz",
                "series/c.hprof.gz",
            ],
        ),
    ] {
        let o = run_s3(
            &s3,
            &["trend", "-q", "--format", "json", &url(pattern)],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{pattern}: {}", stderr(&o));
        let urls = keys.map(url);
        let pairs: Vec<(&str, &str)> = [&g1, &g2, &g3]
            .iter()
            .zip(&urls)
            .map(|(g, u)| (g.as_str(), u.as_str()))
            .collect();
        assert_same(&stdout(&o), &as_if_from(&want, &pairs), pattern);
    }

    // A pattern that matches nothing is an error naming it.
    let none = url("dumps/2027-*/*.hprof.gz");
    let o = run_s3(&s3, &["analyze", "-q", &none], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&none), "{}", stderr(&o));
}

#[test]
fn diff_and_drilldowns_read_urls() {
    let a = "testdata/java/dumps/growth_1.hprof.gz";
    let b = "testdata/java/dumps/static_map.hprof.gz";
    let Some(s3) = s3_with(&[("a.hprof.gz", a), ("b.hprof.gz", b)]) else {
        return;
    };
    let (ua, ub) = (url("a.hprof.gz"), url("b.hprof.gz"));
    let want = local(&["diff", "-q", "--format", "json", a, b]);
    let o = run_s3(&s3, &["diff", "-q", "--format", "json", &ua, &ub], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same(
        &stdout(&o),
        &as_if_from(&want, &[(a, &ua), (b, &ub)]),
        "diff",
    );

    let v: serde_json::Value =
        serde_json::from_str(&local(&["analyze", "-q", "--format", "json", b])).unwrap();
    let id = v["suspects"][0]["accumulation_point"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ty = v["suspects"][0]["type"].as_str().unwrap().to_string();
    for args in [
        vec!["path", "-q", "--format", "json"],
        vec!["retainers", "-q", "--format", "json"],
    ] {
        let mut l = args.clone();
        l.extend([b, id.as_str()]);
        let mut r = args.clone();
        r.extend([ub.as_str(), id.as_str()]);
        let o = run_s3(&s3, &r, &[]);
        assert_eq!(o.status.code(), Some(0), "{r:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), local(&l), "{r:?}");
    }
    let o = run_s3(&s3, &["instances", "-q", &ub, &ty], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), local(&["instances", "-q", b, &ty]));
}

#[test]
fn http_from_nginx_is_the_local_report() {
    let dir = root().join("testdata/java/dumps");
    let Some(web) = servers::nginx(&dir) else {
        return;
    };
    for name in ["static_map.hprof.gz", "healthy.hprof"] {
        let f = format!("testdata/java/dumps/{name}");
        let u = format!("http://127.0.0.1:{}/{name}", web.port);
        same_as_local("http://127.0.0.1:9", &f, &u, &[SMALL_RANGES]);
    }
    // A missing file on an HTTP server: an error naming the URL.
    let u = format!("http://127.0.0.1:{}/no-such.hprof", web.port);
    let o = run_at("http://127.0.0.1:9", &["analyze", "-q", &u], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&u) && stderr(&o).contains("not found"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_connection_dropped_once_is_resumed() {
    let f = "testdata/node/snapshots/map-cache.heapsnapshot";
    let Some(s3) = s3_with(&[("m.heapsnapshot", f)]) else {
        return;
    };
    let relay = servers::relay(
        s3.port,
        Cut {
            after: 300_000,
            once: true,
            before_cut: None,
        },
    );
    let u = url("m.heapsnapshot");
    let through = format!("http://127.0.0.1:{}", relay.port);
    let ranges = [
        ("HEAPSCOPE_FETCH_CHUNK", "1048576"),
        ("HEAPSCOPE_FETCH_PARALLEL", "2"),
    ];
    same_as_local(&through, f, &u, &ranges);
    assert_eq!(
        relay.cuts.load(Ordering::SeqCst),
        1,
        "the relay cut one connection"
    );
}

#[test]
fn keep_leaves_the_downloaded_copy_and_says_where() {
    let f = "testdata/java/dumps/healthy.hprof";
    let Some(s3) = s3_with(&[("k/healthy.hprof", f)]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let u = url("k/healthy.hprof");
    let t = tmp.path().to_str().unwrap();
    let o = run_s3(
        &s3,
        &["analyze", "-q", "--format", "json", &u],
        &[("TMPDIR", t)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        listing(tmp.path()).is_empty(),
        "the copy is removed: {:?}",
        listing(tmp.path())
    );
    let o = run_s3(
        &s3,
        &["analyze", "-q", "--keep", "--format", "json", &u],
        &[("TMPDIR", t)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let kept = listing(tmp.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        stderr(&o).contains(&format!("kept {u} as {t}/{}", kept[0])),
        "{}",
        stderr(&o)
    );
    let copy = std::fs::read(tmp.path().join(&kept[0])).unwrap();
    assert!(
        copy == std::fs::read(root().join(f)).unwrap(),
        "the kept copy is the object"
    );
}
