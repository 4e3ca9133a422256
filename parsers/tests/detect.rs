//! Format detection by content, end to end through `heapscope_parsers::open`, on every
//! committed real fixture — and on a copy with a misleading name, since names never count.

use std::path::{Path, PathBuf};

use heapscope_parsers::{detect, open, Detected, Input, ParseOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
}

/// Every fixture file below `dir` whose name ends with one of `suffixes`.
fn fixtures(dir: &str, suffixes: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("node_modules") && !p.ends_with("bin") {
                    stack.push(p);
                }
            } else if suffixes.iter().any(|s| p.to_string_lossy().ends_with(s)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn check(dir: &str, suffixes: &[&str], want: &str, gz_expected: Option<bool>) {
    let files = fixtures(dir, suffixes);
    assert!(!files.is_empty(), "no fixtures under testdata/{dir}");
    for f in files {
        let parsed =
            open(&f, &ParseOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(parsed.info.format_name, want, "{}", f.display());
        if let Some(gz) = gz_expected {
            assert_eq!(parsed.info.compressed, gz, "{}", f.display());
        }
        assert!(
            parsed.graph.node_count() > 0,
            "{}: empty graph",
            f.display()
        );
    }
}

#[test]
fn go_profiles_both_forms() {
    check("go", &[".pb.gz"], "pprof", Some(true));
    check("go", &[".txt"], "pprof", Some(false));
}

#[test]
fn java_dumps_plain_and_gzip() {
    check("java/dumps", &[".hprof.gz"], "hprof", Some(true));
    check("java/dumps", &[".hprof"], "hprof", Some(false));
}

#[test]
fn v8_snapshots() {
    check(
        "node/snapshots",
        &[".heapsnapshot"],
        "v8-heapsnapshot",
        Some(false),
    );
}

#[test]
fn tracemalloc_snapshots() {
    check(
        "python/snapshots",
        &[".tracemalloc"],
        "tracemalloc",
        Some(false),
    );
}

#[test]
fn names_do_not_count() {
    // A Go profile named like a Java dump is still read as a Go profile.
    let src = root().join("go/global_map/heap.pb.gz");
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("java_pid1234.hprof");
    std::fs::copy(&src, &fake).unwrap();
    let parsed = open(&fake, &ParseOptions::default()).unwrap();
    assert_eq!(parsed.info.format_name, "pprof");
}

#[test]
fn unknown_content_is_a_clear_error_listing_the_formats() {
    let input = Input::from_bytes(
        Path::new("notes.hprof"),
        b"just some text, no dump here\n".to_vec(),
    );
    assert_eq!(detect(input.bytes()), Detected::Unknown);
    let err = match heapscope_parsers::parse_input(&input, &ParseOptions::default()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("plain text was accepted as a dump"),
    };
    for needle in [
        "notes.hprof",
        "at byte 0",
        "HPROF",
        "heapsnapshot",
        "pprof",
        "tracemalloc",
    ] {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}

#[test]
fn truncated_gzip_names_the_file_and_a_compressed_offset() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"JAVA PROFILE 1.0.2\0").unwrap();
    let mut bytes = gz.finish().unwrap();
    let cut = bytes.len() - 6; // drop the trailer: a truncated gzip member
    bytes.truncate(cut);
    let input = Input::from_bytes(Path::new("cut.hprof.gz"), bytes);
    match heapscope_parsers::parse_input(&input, &ParseOptions::default()) {
        Err(e) => {
            assert!(e.to_string().contains("cut.hprof.gz"), "{e}");
            assert!(e.to_string().contains("gzip"), "{e}");
            assert!(
                e.offset <= cut as u64 && e.offset > 0,
                "offset {} within the {cut} compressed bytes",
                e.offset
            );
        }
        Ok(_) => panic!("a truncated gzip member was accepted"),
    }
}
