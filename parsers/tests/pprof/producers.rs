//! pprof profiles from every producer (`testdata/go/producers/`: Go's every profile kind,
//! gperftools, jemalloc, Node's `@datadog/pprof`, Python's pypprof) against `go tool pprof -top
//! -sample_index=TYPE` recorded there (README of that folder; no Go needed here).
//!
//! For every profile and every recorded sample type: the sample type pprof chose, the total, and
//! — where the file names its frames as pprof does — flat and cum per function. pprof's -top
//! rounds some units (`2.74s`, `2MB`): those values are compared to the precision printed.
//! Where pprof names frames the file does not carry (it symbolizes addresses from a binary), only
//! the total is compared, and every frame must be an address (no stack is lost). A form pprof
//! cannot read (`.failed`) either parses here or fails naming the form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use heapscope_graph::{Runtime, Unit};
use heapscope_parsers::{pprof, Input, ParseOptions};

use super::{no_differences, per_function, text_names};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/go/producers")
}

/// A `-top` value with pprof's rounding: (value in the base unit, how far off it may be).
fn rounded(s: &str) -> (f64, f64) {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num
        .parse()
        .unwrap_or_else(|_| panic!("not a pprof value: {s:?}"));
    let scale = match unit {
        "" | "B" | "ns" => 1.0,
        "kB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "TB" => 1024f64.powi(4),
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "mins" => 60e9,
        "hrs" => 3600e9,
        _ => panic!("unknown pprof unit in {s:?}"),
    };
    let decimals = num.split_once('.').map_or(0, |(_, f)| f.len());
    let tol = if unit.is_empty() || unit == "B" || unit == "ns" {
        0.0
    } else {
        0.5 * 10f64.powi(-(decimals as i32)) * scale
    };
    (v * scale, tol + 0.5)
}

/// A rounded value and its tolerance.
type Approx = (f64, f64);

struct RoundedTop {
    kind: String,
    total: Approx,
    /// Per function: (flat, cum).
    rows: BTreeMap<String, (Approx, Approx)>,
}

/// One profile, as [`profiles`] lists it.
type Profile = (String, String, Vec<(String, PathBuf)>, bool);

fn read_rounded(path: &Path) -> RoundedTop {
    let text = std::fs::read_to_string(path).unwrap();
    let mut top = RoundedTop {
        kind: String::new(),
        total: (0.0, 0.0),
        rows: BTreeMap::new(),
    };
    let mut in_rows = false;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("Type: ") {
            top.kind = t.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("Showing nodes accounting for ") {
            let total = rest
                .split(" of ")
                .nth(1)
                .unwrap()
                .trim_end_matches(" total");
            top.total = rounded(total);
        } else if line.trim_start().starts_with("flat  flat%") {
            in_rows = true;
        } else if in_rows {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert!(cols.len() >= 6, "{}: row {line:?}", path.display());
            let name = cols[5..].join(" ");
            let name = name.strip_suffix(" (inline)").unwrap_or(&name).to_string();
            top.rows.insert(name, (rounded(cols[0]), rounded(cols[3])));
        }
    }
    assert!(in_rows, "{}: not a pprof -top output", path.display());
    top
}

fn near(got: i64, (want, tol): (f64, f64)) -> bool {
    (got as f64 - want).abs() <= tol
}

/// Every file of the producers' folders that has a recorded reference, with its references:
/// (producer dir, file, [(sample type or "default", path)], pprof failed on it).
fn profiles() -> Vec<Profile> {
    let mut out = Vec::new();
    for producer in ["go", "gperftools", "jemalloc", "node", "python"] {
        let refdir = dir().join("reference").join(producer);
        let mut files: Vec<String> = std::fs::read_dir(dir().join(producer))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let refs: Vec<String> = std::fs::read_dir(&refdir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        for f in files {
            let prefix = format!("{f}.");
            let mut tops: Vec<(String, PathBuf)> = refs
                .iter()
                .filter_map(|r| {
                    let ty = r.strip_prefix(&prefix)?.strip_suffix(".top")?;
                    Some((ty.to_string(), refdir.join(r)))
                })
                .collect();
            tops.sort();
            let failed = refs
                .iter()
                .any(|r| r.starts_with(&prefix) && r.ends_with(".failed"));
            let raw = refs.contains(&format!("{f}.raw"));
            if !tops.is_empty() || failed || raw {
                out.push((producer.to_string(), f, tops, failed));
            }
        }
    }
    out
}

fn open(path: &Path, ty: Option<&str>) -> Result<heapscope_parsers::Parsed, String> {
    let opts = ParseOptions {
        sample_index: ty.map(str::to_string),
        ..Default::default()
    };
    let input = Input::open(path).map_err(|e| e.to_string())?;
    pprof::parse(&input, &opts).map_err(|e| e.to_string())
}

/// An unsymbolized frame as the file shows it: `0x4a3b1c` (text forms, Go's convention), or
/// pprof's `00000000000bd37c [binary]` for a protobuf location without a function.
fn is_address(name: &str) -> bool {
    let first = name.split(' ').next().unwrap_or("");
    let hex = first.strip_prefix("0x").unwrap_or(first);
    !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Does the profile name its frames as pprof does? Protobuf files with function names, and
/// text files whose `#` lines name frames without inlining (pprof names the text form's frames
/// from the binary, outer functions only).
fn names_as_pprof(path: &Path, parsed_names: &BTreeSet<String>) -> bool {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // jemalloc_pprof's proto has addresses only: every frame is then "0x…".
        return !parsed_names.iter().all(|n| is_address(n));
    }
    let text = String::from_utf8_lossy(&bytes);
    let (named, inlined) = text_names(&text);
    !named.is_empty() && !inlined
}

#[test]
fn every_producer_profile_matches_pprof_top() {
    let mut bad = Vec::new();
    let (mut totals, mut per_func, mut opened) = (0, 0, 0);
    for (producer, file, tops, failed) in profiles() {
        let path = dir().join(&producer).join(&file);
        let ctx0 = format!("{producer}/{file}");
        if tops.is_empty() {
            match open(&path, None) {
                Ok(_) => opened += 1,
                Err(e) => {
                    assert!(failed, "{ctx0}: pprof read it, heapscope did not: {e}");
                    // A form heapscope does not read fails naming the form.
                    assert!(
                        e.contains("jemalloc") || e.contains("form"),
                        "{ctx0}: the error does not name the form: {e}"
                    );
                }
            }
            continue;
        }
        for (ty, refpath) in tops {
            let ctx = format!("{ctx0} [{ty}]");
            let want = read_rounded(&refpath);
            let parsed =
                open(&path, (ty != "default").then_some(ty.as_str())).unwrap_or_else(|e| {
                    panic!("{ctx}: {e}");
                });
            opened += 1;
            assert_eq!(
                parsed.info.sample_type.as_deref(),
                Some(want.kind.as_str()),
                "{ctx}: sample type"
            );
            // Go's threadcreate samples carry no stack at all (pprof shows the total and no row).
            let stackless = want.rows.is_empty();
            assert!(
                stackless
                    || parsed
                        .info
                        .warnings
                        .iter()
                        .all(|w| !w.contains("no frames")),
                "{ctx}: samples lost their stacks: {:?}",
                parsed.info.warnings
            );
            let ours = per_function(parsed);
            if !near(ours.total, want.total) {
                bad.push(format!(
                    "{ctx}: total {}, pprof says {:?}",
                    ours.total, want.total
                ));
            }
            totals += 1;
            if stackless {
                continue;
            }
            let names: BTreeSet<String> = ours.rows.keys().cloned().collect();
            if !names_as_pprof(&path, &names) {
                // pprof symbolized addresses from a binary: where the file names no frame,
                // every frame is an address.
                let bytes = std::fs::read(&path).unwrap();
                let gz = bytes.starts_with(&[0x1f, 0x8b]);
                if gz || text_names(&String::from_utf8_lossy(&bytes)).0.is_empty() {
                    assert!(
                        names.iter().all(|n| is_address(n)),
                        "{ctx}: unnamed frames should be addresses: {names:?}"
                    );
                }
                continue;
            }
            let text = !std::fs::read(&path).unwrap().starts_with(&[0x1f, 0x8b]);
            for (name, &(wf, wc)) in &want.rows {
                let Some(&(f, c)) = ours.rows.get(name) else {
                    // The text form does not carry what pprof takes from the binary
                    // (runtime.goexit, leading runtime frames).
                    if !text && (wf.0 != 0.0 || wc.0 != 0.0) {
                        bad.push(format!("{ctx}: {name} is not in the graph"));
                    }
                    continue;
                };
                // The goroutine text hides the leading runtime frames (runtime.gopark …) that
                // pprof names from the binary and puts the flat on: cum only.
                let cum_only = text && want.kind == "goroutine";
                if (!cum_only && !near(f, wf)) || !near(c, wc) {
                    bad.push(format!(
                        "{ctx}: {name}: (flat, cum) = ({f}, {c}), pprof says ({}, {})",
                        wf.0, wc.0
                    ));
                }
            }
            for (name, &got) in &ours.rows {
                if got != (0, 0) && !want.rows.contains_key(name) {
                    bad.push(format!("{ctx}: {name} {got:?} is not in pprof's output"));
                }
            }
            per_func += 1;
        }
    }
    no_differences(&bad);
    assert!(
        totals >= 80 && per_func >= 35,
        "only {totals} totals / {per_func} per-function comparisons ({opened} opened)"
    );
}

#[test]
fn facts_say_unit_in_use_and_runtime_per_producer() {
    for (producer, file, tops, _) in profiles() {
        let path = dir().join(&producer).join(&file);
        for (ty, _) in tops {
            let ctx = format!("{producer}/{file} [{ty}]");
            let p = open(&path, (ty != "default").then_some(ty.as_str()))
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let st = p.info.sample_type.clone().unwrap();
            let facts = p.info.profile.clone().unwrap();
            let unit = match st.as_str() {
                "inuse_space" | "alloc_space" | "space" | "HEAP" => Unit::Bytes,
                "delay" => Unit::Nanoseconds,
                _ => Unit::Count,
            };
            assert_eq!(facts.unit, unit, "{ctx}: unit of {st}");
            let in_use = matches!(
                st.as_str(),
                "inuse_space"
                    | "inuse_objects"
                    | "space"
                    | "objects"
                    | "goroutine"
                    | "threadcreate"
            );
            assert_eq!(facts.in_use, in_use, "{ctx}: in_use of {st}");
            let go = producer == "go";
            assert_eq!(
                p.info.runtime == Runtime::Go,
                go,
                "{ctx}: runtime {:?}",
                p.info.runtime
            );
        }
    }
}

#[test]
fn allocs_profile_defaults_to_alloc_space_as_pprof() {
    let p = open(&dir().join("go/allocs.pb.gz"), None).unwrap();
    assert_eq!(p.info.sample_type.as_deref(), Some("alloc_space"));
    let f = p.info.profile.unwrap();
    assert_eq!((f.unit, f.in_use), (Unit::Bytes, false));
}

#[test]
fn address_only_stacks_keep_their_addresses() {
    let p = open(&dir().join("gperftools/heapprofile.0004.heap"), None).unwrap();
    assert!(p.info.warnings.iter().all(|w| !w.contains("no frames")));
    let names: Vec<String> = p.graph.types.iter().map(|(_, n)| n.to_string()).collect();
    assert!(names.len() > 5, "{names:?}");
    // The record `... @ 0x560fcc7d03bb 0x560fcc7d0578 ...`: its innermost address is a frame.
    assert!(names.iter().any(|n| n == "0x560fcc7d03bb"), "{names:?}");
}

#[test]
fn jemalloc_heap_v2_dump_matches_jeprof() {
    // pprof cannot read jemalloc's own dump (recorded as `.failed`); jeprof, its reader, can.
    let path = dir().join("jemalloc/jemalloc-prof.heap");
    let refs = dir().join("reference/jemalloc");
    for (ty, file, unit) in [
        (
            "inuse_space",
            "jemalloc-prof.heap.jeprof.inuse_space.out",
            1024.0 * 1024.0,
        ),
        (
            "inuse_objects",
            "jemalloc-prof.heap.jeprof.inuse_objects.out",
            1.0,
        ),
    ] {
        let text = std::fs::read_to_string(refs.join(file)).unwrap();
        // "Total: 6.5 MB" (MB of 2^20 bytes, one decimal) / "Total: 21234 objects".
        let total: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("Total: "))
            .and_then(|t| t.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        let p = open(&path, Some(ty)).unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert_ne!(p.info.runtime, Runtime::Go);
        let f = p.info.profile.clone().unwrap();
        assert!(f.in_use);
        let ours = per_function(p);
        // jeprof keeps each stack's scaled fraction, heapscope truncates per stack as pprof
        // does for heap_v2: up to one object per stack (6 stacks) apart.
        let tol = if unit > 1.0 { 0.05 * unit } else { 6.0 };
        assert!(
            (ours.total as f64 - total * unit).abs() <= tol,
            "{ty}: total {}, jeprof says {total}",
            ours.total
        );
        assert!(ours.rows.keys().all(|n| is_address(n)));
    }
}
