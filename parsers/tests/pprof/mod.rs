//! pprof: differential tests against `go tool pprof -top` outputs recorded by
//! `testdata/go/reference/record.sh` (no Go needed here), and bad input.
//!
//! Per function, pprof's `flat` is the sum of the shallow sizes of the call-tree nodes of that
//! function, and its `cum` (a sample counted once per function, even with recursion) is the
//! retained size of the nodes of that function that no other node of it dominates — MAT's
//! minimum retained size, which the graph's histogram computes. The tests compute it a second
//! way (walking each node's dominator chain) and check the histogram against it.

mod producers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use heapscope_graph::{Analysis, NodeIdx};
use heapscope_parsers::pprof::proto;
use heapscope_parsers::{pprof, Input, ParseOptions, Parsed};
use prost::Message;

fn go_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/go")
}

fn scenarios() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(go_dir().join("reference"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    assert!(
        v.len() >= 6,
        "expected the six scenarios under testdata/go/reference, found {v:?}"
    );
    v
}

fn parse_file(path: &Path, sample_index: Option<&str>) -> Parsed {
    let opts = ParseOptions {
        sample_index: sample_index.map(str::to_string),
        ..Default::default()
    };
    let input = Input::open(path).unwrap();
    pprof::parse(&input, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One recorded `go tool pprof -top` output.
struct Top {
    kind: String,
    /// "Showing nodes accounting for X": the sum of all flats (all nodes are shown).
    shown: i64,
    total: i64,
    /// function → (flat, cum)
    rows: BTreeMap<String, (i64, i64)>,
    inline_rows: usize,
}

/// "8388704B", "65541", "-16B", "0" → integer (the recordings use exact units).
fn value(s: &str) -> i64 {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    digits
        .parse()
        .unwrap_or_else(|_| panic!("not an exact integer in a pprof output: {s:?}"))
}

fn read_top(path: &Path) -> Top {
    let text = std::fs::read_to_string(path).unwrap();
    let mut top = Top {
        kind: String::new(),
        shown: 0,
        total: 0,
        rows: BTreeMap::new(),
        inline_rows: 0,
    };
    let mut in_rows = false;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("Type: ") {
            top.kind = t.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("Showing nodes accounting for ") {
            let (shown, rest) = rest.split_once(", ").unwrap();
            let total = rest
                .split(" of ")
                .nth(1)
                .unwrap()
                .trim_end_matches(" total");
            top.shown = value(shown);
            top.total = value(total);
        } else if line.trim_start().starts_with("flat  flat%") {
            in_rows = true;
        } else if in_rows {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert!(cols.len() >= 6, "{}: row {line:?}", path.display());
            let mut name = cols[5..].join(" ");
            if let Some(n) = name.strip_suffix(" (inline)") {
                name = n.to_string();
                top.inline_rows += 1;
            }
            let prev = top
                .rows
                .insert(name.clone(), (value(cols[0]), value(cols[3])));
            assert!(prev.is_none(), "{}: {name} listed twice", path.display());
        }
    }
    assert!(
        in_rows && !top.kind.is_empty(),
        "{}: not a pprof -top output",
        path.display()
    );
    top
}

/// Per function (type name): (flat, cum), plus the graph's total.
struct Funcs {
    total: i64,
    rows: BTreeMap<String, (i64, i64)>,
    /// Path of type names from the top (outermost frame) → node id.
    ids: HashMap<String, u64>,
}

fn per_function(parsed: Parsed) -> Funcs {
    let a = Analysis::run(parsed.graph);
    let g = &a.graph;
    let n = g.node_count();
    let mut rows: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut ids = HashMap::new();
    for v in 0..n {
        let node = NodeIdx(v as u32);
        let ty = g.type_of(node);
        let e = rows.entry(g.type_name(node).to_string()).or_default();
        e.0 += g.shallow[v] as i64;
        // cum: only the outermost node of this function on its path counts.
        let mut path = vec![g.type_name(node).to_string()];
        let mut outermost = true;
        let mut up = a.idom(node);
        while let Some(u) = up {
            outermost &= g.type_of(u) != ty;
            path.push(g.type_name(u).to_string());
            up = a.idom(u);
        }
        if outermost {
            e.1 += a.retained[v] as i64;
        }
        path.reverse();
        ids.insert(path.join(" > "), g.id(node));
    }
    // The graph crate's histogram must say the same, with a row for every function.
    let mut in_histogram = BTreeSet::new();
    for row in &a.histogram {
        let name = g.types.get(row.type_id);
        let (flat, cum) = rows[name];
        assert_eq!(
            (row.shallow as i64, row.retained as i64),
            (flat, cum),
            "histogram row of {name}"
        );
        in_histogram.insert(name.to_string());
    }
    for (name, r) in &rows {
        assert!(
            *r == (0, 0) || in_histogram.contains(name),
            "{name} {r:?} has no histogram row"
        );
    }
    let total = g.shallow.iter().sum::<u64>() as i64;
    Funcs { total, rows, ids }
}

/// Fail listing every difference found, if any.
fn no_differences(bad: &[String]) {
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Compare per-function numbers; `skip` names pprof shows that the input does not name.
fn compare(
    ctx: &str,
    ours: &Funcs,
    want: &BTreeMap<String, (i64, i64)>,
    skip: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut bad = Vec::new();
    for (name, &w) in want {
        if skip(name) {
            if ours.rows.contains_key(name) {
                bad.push(format!(
                    "{ctx}: {name} is not named by the input but is in the graph"
                ));
            }
            continue;
        }
        let got = ours.rows.get(name).copied().unwrap_or((0, 0));
        if got != w {
            bad.push(format!(
                "{ctx}: {name}: (flat, cum) = {got:?}, pprof says {w:?}"
            ));
        }
    }
    for (name, &got) in &ours.rows {
        if got != (0, 0) && !want.contains_key(name) {
            bad.push(format!("{ctx}: {name} {got:?} is not in pprof's output"));
        }
    }
    bad
}

/// Reference files for one profile: (sample type or "default", path).
fn references(scenario: &str, file: &str) -> Vec<(String, PathBuf)> {
    let dir = go_dir().join("reference").join(scenario);
    let prefix = format!("{file}.");
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let ty = name
                .strip_prefix(&prefix)?
                .strip_suffix(".top")?
                .to_string();
            Some((ty, e.path()))
        })
        .collect();
    v.sort();
    v
}

/// A scenario's heap profiles (`heap*` files ending in `ext`): their names and paths.
fn heap_fixtures(scenario: &str, ext: &str) -> Vec<(String, PathBuf)> {
    fixtures(scenario, ext)
        .into_iter()
        .filter(|f| f.starts_with("heap"))
        .map(|f| {
            let path = go_dir().join(scenario).join(&f);
            (f, path)
        })
        .collect()
}

fn fixtures(scenario: &str, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(go_dir().join(scenario))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .collect();
    v.sort();
    v
}

/// Parse one fixture as `ty` ("default" = no `-sample_index`).
fn funcs_for(path: &Path, ty: &str) -> (Funcs, Option<String>) {
    let parsed = parse_file(path, (ty != "default").then_some(ty));
    let st = parsed.info.sample_type.clone();
    (per_function(parsed), st)
}

/// Parse `path` as `ty` and read its reference; the sample type and the total must agree.
fn against(path: &Path, ty: &str, refpath: &Path) -> (Top, Funcs, String) {
    let want = read_top(refpath);
    let (ours, st) = funcs_for(path, ty);
    let ctx = format!(
        "{} [{ty}]",
        path.strip_prefix(go_dir()).unwrap_or(path).display()
    );
    assert_eq!(
        st.as_deref(),
        Some(want.kind.as_str()),
        "{ctx}: sample type"
    );
    assert_eq!(ours.total, want.total, "{ctx}: total");
    (want, ours, ctx)
}

#[test]
fn protobuf_profiles_match_pprof_top_for_every_sample_type() {
    let mut bad = Vec::new();
    let (mut compared, mut inline_rows) = (0, 0);
    for s in scenarios() {
        for file in fixtures(&s, ".pb.gz") {
            let path = go_dir().join(&s).join(&file);
            for (ty, refpath) in references(&s, &file) {
                let (want, ours, ctx) = against(&path, &ty, &refpath);
                assert_eq!(ours.total, want.shown, "{ctx}: all nodes are shown");
                bad.extend(compare(&ctx, &ours, &want.rows, &|_| false));
                compared += 1;
                inline_rows += want.inline_rows;
            }
        }
    }
    no_differences(&bad);
    // 7 heap profiles × (4 types + default) + the goroutine profile × 2.
    assert!(compared >= 37, "only {compared} comparisons");
    assert!(inline_rows > 0, "no fixture exercised inlined frames");
}

/// The function names a text profile's `#` lines carry, and whether any record shows an
/// inlined frame (two consecutive frames of one physical function: same pc − offset).
fn text_names(text: &str) -> (BTreeSet<String>, bool) {
    let mut names = BTreeSet::new();
    let mut inlined = false;
    let mut prev_entry: Option<u64> = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("#\t0x") else {
            prev_entry = None;
            continue;
        };
        let cells: Vec<&str> = rest.split('\t').filter(|c| !c.is_empty()).collect();
        if cells.len() < 2 {
            prev_entry = None;
            continue;
        }
        let pc = u64::from_str_radix(cells[0], 16).unwrap();
        let (name, off) = cells[1].rsplit_once("+0x").unwrap();
        let entry = pc - u64::from_str_radix(off, 16).unwrap();
        inlined |= prev_entry == Some(entry);
        prev_entry = Some(entry);
        names.insert(name.to_string());
    }
    (names, inlined)
}

#[test]
fn text_heap_profiles_match_pprof_top_and_their_protobuf_twin() {
    let mut bad = Vec::new();
    let (mut vs_text, mut vs_proto) = (0, 0);
    for s in scenarios() {
        for (file, path) in heap_fixtures(&s, ".txt") {
            let (named, inlined) = text_names(&std::fs::read_to_string(&path).unwrap());
            let twin = file.replace(".txt", ".pb.gz");
            for (ty, refpath) in references(&s, &file) {
                let (want, ours, ctx) = against(&path, &ty, &refpath);
                // pprof names this form's frames from the binary without expanding inlined
                // frames (README); where the binary had no inlining it names what the file names.
                if !inlined {
                    bad.extend(compare(&ctx, &ours, &want.rows, &|n| !named.contains(n)));
                    vs_text += 1;
                }
                // Same GC cycle as the protobuf file: the same numbers per function.
                let twin_ty = match ty.as_str() {
                    "objects" => "inuse_objects",
                    "space" => "inuse_space",
                    t => t,
                };
                let twin_ref = go_dir()
                    .join("reference")
                    .join(&s)
                    .join(format!("{twin}.{twin_ty}.top"));
                let twin_want = read_top(&twin_ref);
                assert_eq!(
                    ours.total, twin_want.total,
                    "{ctx}: total of the protobuf twin"
                );
                bad.extend(compare(
                    &format!("{ctx} vs {twin}"),
                    &ours,
                    &twin_want.rows,
                    &|_| false,
                ));
                vs_proto += 1;
            }
        }
    }
    no_differences(&bad);
    assert!(
        vs_text >= 20 && vs_proto >= 30,
        "only {vs_text} / {vs_proto} comparisons"
    );
}

#[test]
fn goroutine_text_profile_matches_pprof_where_it_names_frames() {
    let path = go_dir().join("goroutine_leak/goroutine.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let (named, _) = text_names(&text);
    let want = read_top(&go_dir().join("reference/goroutine_leak/goroutine.txt.goroutine.top"));
    let parsed = parse_file(&path, None);
    assert_eq!(parsed.info.sample_type.as_deref(), Some(want.kind.as_str()));
    let text_labels = crate::details(&parsed.info).get("labels").cloned();
    let ours = per_function(parsed);
    assert_eq!(ours.total, want.total, "goroutines");
    let mut bad = Vec::new();
    for (name, &(_, cum)) in &want.rows {
        let got = ours.rows.get(name).map(|r| r.1);
        if named.contains(name) && got != Some(cum) {
            bad.push(format!("{name}: cum {got:?}, pprof says {cum}"));
        }
    }
    for name in ours.rows.keys() {
        if !named.contains(name) {
            bad.push(format!(
                "{name} is in the graph but the text does not name it"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Both forms carry the pprof labels of the leaked goroutines alike.
    let proto = parse_file(&go_dir().join("goroutine_leak/goroutine.pb.gz"), None);
    assert!(text_labels.is_some());
    assert_eq!(
        crate::details(&proto.info).get("labels").cloned(),
        text_labels
    );
}

#[test]
fn growth_series_diffs_match_pprof_base() {
    let dir = go_dir().join("reference/growth");
    let mut bad = Vec::new();
    let mut compared = 0;
    for e in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        // heap.3-heap.1.pb.gz.inuse_space.top
        let Some((new, rest)) = name.split_once('-') else {
            continue;
        };
        let (base, rest) = rest.split_at(rest.find('.').unwrap() + 2);
        let (form, ty) = if let Some(t) = rest.strip_prefix(".pb.gz.") {
            ("pb.gz", t)
        } else {
            ("txt", rest.strip_prefix(".txt.").unwrap())
        };
        let ty = ty.strip_suffix(".top").unwrap();
        let newp = go_dir().join(format!("growth/{new}.{form}"));
        let (a, _) = funcs_for(&newp, ty);
        let (b, _) = funcs_for(&go_dir().join(format!("growth/{base}.{form}")), ty);
        let mut diff = Funcs {
            total: a.total - b.total,
            rows: BTreeMap::new(),
            ids: HashMap::new(),
        };
        let names: BTreeSet<&String> = a.rows.keys().chain(b.rows.keys()).collect();
        for f in names {
            let (af, ac) = a.rows.get(f).copied().unwrap_or((0, 0));
            let (bf, bc) = b.rows.get(f).copied().unwrap_or((0, 0));
            diff.rows.insert(f.clone(), (af - bf, ac - bc));
        }
        let want = read_top(&e.path());
        let named = if form == "txt" {
            text_names(&std::fs::read_to_string(&newp).unwrap()).0
        } else {
            BTreeSet::new()
        };
        assert_eq!(diff.total, want.shown, "{name}: net change");
        bad.extend(compare(&name, &diff, &want.rows, &|n| {
            form == "txt" && !named.contains(n)
        }));
        compared += 1;
    }
    no_differences(&bad);
    assert_eq!(compared, 24, "3 pairs × 2 forms × 4 sample types");
}

#[test]
fn same_stack_has_the_same_node_id_across_profiles_and_forms() {
    let p = |f: &str| per_function(parse_file(&go_dir().join(f), None)).ids;
    let (first, last, last_text) = (
        p("growth/heap.1.pb.gz"),
        p("growth/heap.3.pb.gz"),
        p("growth/heap.3.txt"),
    );
    let mut shared = 0;
    for (path, id) in &first {
        if let Some(other) = last.get(path) {
            assert_eq!(id, other, "{path}");
            shared += 1;
        }
    }
    for (path, id) in &last_text {
        assert_eq!(
            last.get(path),
            Some(id),
            "{path}: the text form's node, in the protobuf form"
        );
    }
    assert!(shared >= 10, "only {shared} call paths in common");
}

#[test]
fn memstats_trailer_becomes_numbers() {
    let mut checked = 0;
    for s in scenarios() {
        for (file, path) in heap_fixtures(&s, ".txt") {
            let text = std::fs::read_to_string(&path).unwrap();
            let parsed = parse_file(&path, None);
            let ms = crate::details(&parsed.info)["memstats"]
                .as_object()
                .unwrap()
                .clone();
            let trailer = text.split("# runtime.MemStats\n").nth(1).unwrap();
            for line in trailer.lines() {
                let (k, v) = line.trim_start_matches("# ").split_once(" = ").unwrap();
                if let Some((inuse, sys)) = v.split_once(" / ") {
                    assert_eq!(
                        ms[&format!("{k}Inuse")].as_u64(),
                        inuse.parse().ok(),
                        "{file}: {k}"
                    );
                    assert_eq!(
                        ms[&format!("{k}Sys")].as_u64(),
                        sys.parse().ok(),
                        "{file}: {k}"
                    );
                } else if let Some(list) = v.strip_prefix('[') {
                    assert_eq!(
                        ms[k].as_array().unwrap().len(),
                        list.split_whitespace().count(),
                        "{file}: {k}"
                    );
                } else if let Ok(n) = v.parse::<u64>() {
                    assert_eq!(ms[k].as_u64(), Some(n), "{file}: {k}");
                } else if let Ok(f) = v.parse::<f64>() {
                    assert_eq!(ms[k].as_f64(), Some(f), "{file}: {k}");
                } else {
                    assert_eq!(ms[k].as_bool(), v.parse().ok(), "{file}: {k}");
                }
                checked += 1;
            }
            // (Only deep_stack's stacks reach the runtime's frame cap.)
            assert!(
                parsed
                    .info
                    .warnings
                    .iter()
                    .all(|w| s == "deep_stack" && w.starts_with("stacks truncated at 32")),
                "{file}: {:?}",
                parsed.info.warnings
            );
            assert!(
                parsed.info.timestamp.is_some(),
                "{file}: LastGC gives the instant"
            );
        }
    }
    assert!(checked > 8 * 25, "only {checked} MemStats lines");
    // The protobuf form carries none.
    let p = parse_file(&go_dir().join("fragmentation/heap.pb.gz"), None);
    assert!(crate::details(&p.info).get("memstats").is_none());
    assert!(p.info.timestamp.is_some(), "time_nanos");
}

/// The stack-cap warning's counts (`stacks truncated at CAP frames: N of M samples`), if any.
fn cap_warning(p: &Parsed) -> Option<(u64, u64, u64)> {
    let w = p
        .info
        .warnings
        .iter()
        .find_map(|w| w.strip_prefix("stacks truncated at "))?;
    let n: Vec<u64> = w
        .split([' ', ':'])
        .filter_map(|x| x.parse().ok())
        .take(3)
        .collect();
    Some((n[0], n[1], n[2]))
}

/// Go 1.19 records at most 32 frames per allocation: every fixture's stacks at that depth are
/// counted (by a plain count of the text's record addresses, and of the protobuf's lines per
/// sample) and warned about, only for deep_stack, whose recursion goes past it.
#[test]
fn stacks_at_the_go_frame_cap_are_counted_and_warned_about() {
    let mut warned = Vec::new();
    // The warning (cap, samples at it, samples) a profile of these stack depths must get:
    // one at 32 frames when some stack has exactly 32 and none more.
    let mut check = |path: &std::path::Path, depths: &[usize], name: String| {
        let at_cap = depths.iter().filter(|&&n| n == 32).count() as u64;
        let deeper = depths.iter().any(|&n| n > 32);
        let got = cap_warning(&parse_file(path, None));
        let want = (at_cap > 0 && !deeper).then_some((32, at_cap, depths.len() as u64));
        assert_eq!(got, want, "{name}");
        if got.is_some() {
            warned.push(name);
        }
    };
    for s in scenarios() {
        for (file, path) in heap_fixtures(&s, ".txt") {
            let text = std::fs::read_to_string(&path).unwrap();
            let records: Vec<usize> = text
                .lines()
                .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" @ "))
                .map(|l| l.split(" @ ").nth(1).unwrap().split_whitespace().count())
                .collect();
            check(&path, &records, format!("{s}/{file}"));
        }
        for file in fixtures(&s, ".pb.gz") {
            let path = go_dir().join(&s).join(&file);
            let p = proto::Profile::decode(&inflate(&path)[..]).unwrap();
            let lines = |id: &u64| {
                p.location
                    .iter()
                    .find(|l| l.id == *id)
                    .map_or(0, |l| l.line.len().max(1))
            };
            let depths: Vec<usize> = p
                .sample
                .iter()
                .map(|x| x.location_id.iter().map(lines).sum())
                .collect();
            check(&path, &depths, format!("{s}/{file}"));
        }
    }
    assert_eq!(
        warned,
        ["deep_stack/heap.txt", "deep_stack/heap.pb.gz"],
        "the fixture past the cap is the one warned about"
    );
}

fn inflate(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()),
        &mut out,
    )
    .unwrap();
    out
}

fn parse_bytes(bytes: Vec<u8>) -> Result<Parsed, heapscope_parsers::ParseError> {
    let len = bytes.len() as u64;
    let r = pprof::parse(
        &Input::from_bytes(Path::new("mem.prof"), bytes),
        &ParseOptions::default(),
    );
    if let Err(e) = &r {
        assert!(
            e.offset <= len,
            "offset {} beyond the input ({len})",
            e.offset
        );
        assert!(!e.expected.is_empty());
    }
    r
}

#[test]
fn truncated_gzip_is_an_error_with_position() {
    let gz = std::fs::read(go_dir().join("global_map/heap.pb.gz")).unwrap();
    for cut in [gz.len() / 2, gz.len() - 9, 12] {
        let input = Input::from_bytes(Path::new("cut.pb.gz"), gz[..cut].to_vec());
        let e = pprof::parse(&input, &ParseOptions::default())
            .err()
            .expect("a truncated gzip must not parse");
        assert!(e.expected.contains("gzip"), "{e}");
    }
}

#[test]
fn truncated_protobuf_never_panics_and_errors_inside_a_field() {
    let raw = inflate(&go_dir().join("goroutine_leak/heap.pb.gz"));
    let mut errors = 0;
    for cut in 0..raw.len() {
        errors += usize::from(parse_bytes(raw[..cut].to_vec()).is_err());
    }
    // Cuts at a top-level field boundary leave a valid (smaller) profile; all others fail.
    assert!(
        errors > raw.len() * 9 / 10,
        "{errors} errors for {} cuts",
        raw.len()
    );
    let e = parse_bytes(raw[..raw.len() - 1].to_vec()).err().unwrap();
    assert!(
        e.offset > 0 && e.expected.contains("truncated") || e.expected.contains("varint"),
        "{e}"
    );
}

#[test]
fn out_of_range_references_are_errors() {
    let good =
        proto::Profile::decode(&inflate(&go_dir().join("global_map/heap.pb.gz"))[..]).unwrap();
    let strings = good.string_table.len() as i64;
    type Breaker = Box<dyn Fn(&mut proto::Profile)>;
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "Location with id",
            Box::new(|p| p.sample[0].location_id[0] = 1 << 40),
        ),
        (
            "Function with id",
            Box::new(|p| p.location[0].line[0].function_id = 1 << 40),
        ),
        (
            "string_table index",
            Box::new(move |p| p.function[0].name = strings + 7),
        ),
        (
            "string_table index",
            Box::new(move |p| p.sample_type[0].unit = -3),
        ),
        (
            "values in the Sample",
            Box::new(|p| p.sample[0].value.push(1)),
        ),
        (
            "Mapping with id",
            Box::new(|p| p.location[0].mapping_id = 999_999),
        ),
        (
            "unique Location ids",
            Box::new(|p| p.location[1].id = p.location[0].id),
        ),
        (
            "empty first string_table",
            Box::new(|p| p.string_table[0] = "x".into()),
        ),
        ("sample_type", Box::new(|p| p.sample_type.clear())),
    ];
    for (want, break_it) in cases {
        let mut p = good.clone();
        break_it(&mut p);
        let e = parse_bytes(p.encode_to_vec())
            .err()
            .unwrap_or_else(|| panic!("{want}: parsed"));
        assert!(e.expected.contains(want), "{want}: got {e}");
    }
    // The untouched profile round-trips through the prost messages.
    assert!(parse_bytes(good.encode_to_vec()).is_ok());
}

#[test]
fn malformed_text_lines_are_errors_at_their_offset() {
    let text = std::fs::read_to_string(go_dir().join("fragmentation/heap.txt")).unwrap();
    let second_record = text.match_indices("\n1: ").next().unwrap().0 + 1;
    let cases: Vec<(String, usize, &str)> = vec![
        // A bad stack address in the first record.
        {
            let at = text.find(" 0x").unwrap() + 1;
            (
                format!("{}0xzz{}", &text[..at], &text[at + 2..]),
                at,
                "hexadecimal",
            )
        },
        // A line that is neither a record nor a comment.
        (
            format!(
                "{}garbage here\n{}",
                &text[..second_record],
                &text[second_record..]
            ),
            second_record,
            "integer",
        ),
        // A record whose in-use bytes are missing.
        {
            let colon = second_record + text[second_record..].find(':').unwrap() + 1;
            let bracket = second_record + text[second_record..].find('[').unwrap();
            (
                format!("{}{}", &text[..colon], &text[bracket..]),
                colon,
                "in-use bytes",
            )
        },
        // A header with an unknown sampling mode.
        (
            text.replacen("@ heap/2", "@ cpu/2", 1),
            text.find("cpu").unwrap_or(text.find("heap/2").unwrap()),
            "sampling mode",
        ),
        // Zero objects but some bytes.
        (
            text.replacen("\n1: 96 [1: 96]", "\n1: 96 [0: 96]", 1),
            text.find("\n1: 96 [1: 96]").unwrap() + 8,
            "nonzero allocation count",
        ),
        (
            "heap profile: lots of bytes\n".to_string(),
            "heap profile: ".len(),
            "in-use objects",
        ),
        (
            "goroutine profile: total many\n".to_string(),
            "goroutine profile: total ".len(),
            "number of samples",
        ),
    ];
    for (input, at, want) in cases {
        let e = parse_bytes(input.into_bytes())
            .err()
            .unwrap_or_else(|| panic!("{want}: parsed"));
        assert!(e.expected.contains(want), "{want}: got {e}");
        assert_eq!(e.offset as usize, at, "{want}: {e}");
    }
}

#[test]
fn random_damage_never_panics() {
    let inputs = [
        inflate(&go_dir().join("growth/heap.1.pb.gz")),
        std::fs::read(go_dir().join("goroutine_leak/goroutine.txt")).unwrap(),
        std::fs::read(go_dir().join("unbounded_slice/heap.txt")).unwrap(),
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ok, mut err) = (0, 0);
    for round in 0..600 {
        let mut b = inputs[round % inputs.len()].clone();
        for _ in 0..1 + next() % 4 {
            let i = (next() % b.len() as u64) as usize;
            b[i] = next() as u8;
        }
        match parse_bytes(b) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert_eq!(ok + err, 600);
    assert!(err > 0, "no damaged input was rejected");
}

/// Per function: the objects the graph counts (the `count` column), from a parse as `ty`;
/// None when the profile has no such sample type.
fn counts_for(path: &Path, ty: &str) -> Option<BTreeMap<String, i64>> {
    let opts = ParseOptions {
        sample_index: Some(ty.to_string()),
        ..Default::default()
    };
    let g = pprof::parse(&Input::open(path).unwrap(), &opts).ok()?.graph;
    let mut m: BTreeMap<String, i64> = BTreeMap::new();
    for v in 0..g.node_count() {
        let node = NodeIdx(v as u32);
        *m.entry(g.type_name(node).to_string()).or_default() += g.count(node) as i64;
    }
    m.retain(|_, c| *c != 0);
    Some(m)
}

#[test]
fn object_counts_match_the_objects_sample_type() {
    let mut compared = 0;
    for s in scenarios() {
        for (file, path) in heap_fixtures(&s, "") {
            // The protobuf twin's reference (the text form's names inlined frames as it does).
            let twin = file.replace(".txt", ".pb.gz");
            for (space, objects) in [
                ("inuse_space", "inuse_objects"),
                ("alloc_space", "alloc_objects"),
            ] {
                let Some(ours) = counts_for(&path, space) else {
                    continue;
                };
                let refpath = go_dir()
                    .join("reference")
                    .join(&s)
                    .join(format!("{twin}.{objects}.top"));
                let want: BTreeMap<String, i64> = read_top(&refpath)
                    .rows
                    .into_iter()
                    .map(|(f, (flat, _))| (f, flat))
                    .filter(|(_, c)| *c != 0)
                    .collect();
                assert_eq!(
                    ours, want,
                    "{s}/{file}: objects counted when the bytes are {space}"
                );
                compared += 1;
            }
        }
    }
    // 7 protobuf × 2, 7 text × 2, the text without alloc columns × 1.
    assert!(compared >= 27, "only {compared} comparisons");
}

#[test]
fn frames_carry_their_source_lines() {
    for file in ["fragmentation/heap.pb.gz", "fragmentation/heap.txt"] {
        let parsed = parse_file(&go_dir().join(file), None);
        let text = std::fs::read_to_string(go_dir().join("fragmentation/heap.txt")).unwrap();
        let g = &parsed.graph;
        let mut seen = 0;
        for v in 0..g.node_count() {
            let node = NodeIdx(v as u32);
            if !g.type_name(node).starts_with("main.") {
                continue;
            }
            let line = parsed.inspector.source_line(g, node).unwrap();
            // The text form's "#" lines name the same function at that file:line.
            let needle = format!("{}+0x", g.type_name(node));
            let hit = text
                .lines()
                .any(|l| l.contains(&needle) && l.ends_with(&format!("\t{line}")));
            assert!(
                hit,
                "{file}: {} at {line} is not in the text's frames",
                g.type_name(node)
            );
            seen += 1;
        }
        assert!(seen >= 3, "{file}: {seen} main.* frames");
    }
}

/// For benches/scripts/pprof/run.sh: parse the profiles named by HEAPSCOPE_PPROF_BIG
/// (colon-separated; the big generated ones) and check that both forms give the same tree.
/// Run with `cargo test --release -p heapscope-parsers big_profiles -- --ignored --nocapture`.
#[test]
#[ignore]
fn big_profiles_from_env_agree_across_forms() {
    let list = std::env::var("HEAPSCOPE_PPROF_BIG").expect("HEAPSCOPE_PPROF_BIG=a.pb.gz:a.txt");
    let mut seen: Vec<(usize, u64)> = Vec::new();
    for p in list.split(':') {
        let t = std::time::Instant::now();
        let parsed = parse_file(Path::new(p), None);
        let total = crate::details(&parsed.info)["totals"]["inuse_space"]
            .as_i64()
            .unwrap();
        let g = &parsed.graph;
        assert_eq!(g.shallow.iter().sum::<u64>() as i64, total, "{p}");
        println!(
            "{p}: {} nodes, parsed in {:.2?}",
            g.node_count(),
            t.elapsed()
        );
        seen.push((g.node_count(), g.shallow.iter().sum()));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}
