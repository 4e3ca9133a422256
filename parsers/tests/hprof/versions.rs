//! Differential test over dumps of other JVM versions (testdata/java/versions/): every
//! `*.hprof.gz` with a JVM histogram beside it (`NAME.histo.txt`, `jcmd GC.class_histogram -all`
//! taken at the moment of the dump; or, for the public JDK 5/6 dumps, `histogram_NAME.txt`,
//! `jmap -histo` rows taken at another moment) is parsed and its per-class counts and shallow
//! bytes are compared with the histogram's. The size model heapscope chose is checked too
//! (`DumpFacts.details["size_model"]`, see parsers/src/hprof/layout.rs).
//!
//! Rules, per class row present in both:
//! - `jcmd` fixtures (same moment, both `-all`): application classes (default package,
//!   `Versions$*`) have equal counts; every class whose count is equal has equal bytes, except
//!   `java.lang.Class` where jcmd counts more mirrors than the dump holds (class data sharing's
//!   archived mirrors, see `hprof_class_mirror_sizes`) or where the dump holds mirrors as
//!   INSTANCE DUMPs beyond the 9 primitive-type ones (loom21: 2, loom25: 1; each 8 bytes larger
//!   than `java.lang.Class`'s own size by its address gap, as jcmd counts it: a mirror whose
//!   class has no CLASS DUMP, so its statics are not described); a class whose count differs
//!   (jcmd's own allocations between the histogram and the dump: `String`, `byte[]`, …) is
//!   compared per
//!   instance when it is not an array (bytes / count is the instance size), and not compared when
//!   it is an array (array sizes vary per object).
//! - public `jmap -histo` fixtures (another moment, so counts differ): per instance, for
//!   non-array classes (bytes / count); perm-gen rows (`<methodKlass>`, …) and `java.lang.Class`
//!   (JDK 5/6 mirrors live in the permanent generation, sized as no dump says) are not compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{counts_without_class_objects, fold_fillers, is_class_dump, our_histogram, parse};

/// The size model heapscope must choose for each fixture (from what the dump holds; see
/// `heap::generation` and `layout::Votes`), as `version.txt` and the README say they were run.
const MODELS: &[(&str, &str)] = &[
    ("jdk11", "hotspot-8..14 64-bit compressed oops"),
    ("jdk17", "hotspot-15+ 64-bit compressed oops"),
    (
        "jdk17_nocoops",
        "hotspot-15+ 64-bit compressed class pointers only",
    ),
    (
        "jdk17_serial_align16",
        "hotspot-15+ 64-bit compressed oops, 16-byte alignment",
    ),
    ("jdk21", "hotspot-15+ 64-bit compressed oops"),
    ("jdk21_oom", "hotspot-15+ 64-bit compressed oops"),
    ("jdk25", "hotspot-15+ 64-bit compressed oops"),
    ("jdk25_compact", "hotspot-15+ 64-bit compact object headers"),
    ("loom21", "hotspot-15+ 64-bit compressed oops"),
    ("loom25", "hotspot-15+ 64-bit compressed oops"),
    ("sun_jdk5_13_x32", "hotspot-5..7 32-bit"),
    ("sun_jdk5_64bit", "hotspot-5..7 64-bit uncompressed"),
    ("sun_jdk6_18_x32", "hotspot-5..7 32-bit"),
    ("sun_jdk6_18_x64", "hotspot-5..7 64-bit uncompressed"),
];

fn versions_dir() -> PathBuf {
    super::java_dir().join("versions")
}

/// Every `*.hprof.gz` here and in `public/`: (name, dump).
fn dumps() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in [versions_dir(), versions_dir().join("public")] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if let Some(name) = p
                .file_name()
                .and_then(|f| f.to_str())
                .and_then(|f| f.strip_suffix(".hprof.gz"))
            {
                out.push((name.to_string(), p.clone()));
            }
        }
    }
    out.sort();
    out
}

/// (name, dump, histogram, whether the histogram was taken at the moment of the dump)
fn fixtures() -> Vec<(String, PathBuf, PathBuf, bool)> {
    let mut out = Vec::new();
    for (name, dump) in dumps() {
        let dir = dump.parent().expect("a folder").to_path_buf();
        let same = dir.join(format!("{name}.histo.txt"));
        let other = dir.join(format!("histogram_{name}.txt"));
        if same.exists() {
            out.push((name, dump, same, true));
        } else if other.exists() {
            out.push((name, dump, other, false));
        }
    }
    out
}

/// Histogram rows, jcmd (`  1:  count  bytes  class (module)`) or jmap (`count bytes class`):
/// class in Java form → (count, bytes). Perm-gen pseudo-classes (`<methodKlass>`) are dropped.
fn histogram(path: &Path) -> BTreeMap<String, (u64, u64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let mut cols: Vec<&str> = line.split_whitespace().collect();
        if cols.first().is_some_and(|c| c.ends_with(':')) {
            cols.remove(0);
        }
        if cols.len() < 3 || cols[2].starts_with('<') {
            continue;
        }
        let (Ok(count), Ok(bytes)) = (cols[0].parse::<u64>(), cols[1].parse::<u64>()) else {
            continue;
        };
        // a hidden class: jcmd prints `Loom$Gen/0x…`, the dump names it `Loom$Gen+0x…`
        let class = heapscope_parsers::hprof::bytes::java_class_name(
            &cols[2].replace('.', "/").replace("/0x", "+0x"),
        )
        .replace('/', ".");
        let e = m.entry(class).or_insert((0, 0));
        e.0 += count;
        e.1 += bytes;
    }
    m
}

fn is_app(class: &str) -> bool {
    !class.contains('.') && !class.ends_with("[]")
}

/// Per fixture: (classes compared, mismatches as text).
fn compare(
    name: &str,
    dump: &Path,
    histo: &Path,
    same_moment: bool,
) -> (usize, Vec<String>, String) {
    let p = parse(dump);
    let model = crate::details(&p.info)
        .get("size_model")
        .unwrap_or(&serde_json::Value::Null)
        .as_str()
        .unwrap_or("?")
        .to_string();
    let ours = our_histogram(&p.graph);
    // `java.lang.Class` INSTANCE DUMPs beyond the 9 primitive-type mirrors (see the module docs)
    let g = &p.graph;
    let odd_mirrors = (0..g.node_count())
        .filter(|&n| g.type_name(heapscope_graph::NodeIdx(n as u32)) == "java.lang.Class")
        .filter(|&n| !is_class_dump(g, n))
        .count()
        > 9;
    let mut jvm = histogram(histo);
    fold_fillers(&mut jvm);
    assert!(jvm.len() > 50, "{name}: histogram parsed");
    let mut compared = 0;
    let mut bad = Vec::new();
    for (class, &(count, bytes)) in &jvm {
        let Some(&(n, b)) = ours.get(class.as_str()) else {
            if same_moment && is_app(class) {
                bad.push(format!("{class}: jvm {count}, not in the dump"));
            }
            continue;
        };
        let array = class.ends_with("[]");
        if same_moment && is_app(class) && n != count {
            bad.push(format!("{class}: count jvm {count}, heapscope {n}"));
            continue;
        }
        if class == "java.lang.Class" && (n != count || !same_moment || odd_mirrors) {
            continue; // see the module docs
        }
        if same_moment && n == count {
            compared += 1;
            if b != bytes {
                bad.push(format!(
                    "{class}: {count} objects, jvm {bytes} B, heapscope {b} B"
                ));
            }
        } else if !array && count > 0 && n > 0 && bytes % count == 0 && b % n == 0 {
            compared += 1;
            if bytes / count != b / n {
                bad.push(format!(
                    "{class}: instance jvm {} B, heapscope {} B",
                    bytes / count,
                    b / n
                ));
            }
        }
    }
    (compared, bad, model)
}

#[test]
fn hprof_versions_sizes_equal_the_jvms_histograms() {
    let fx = fixtures();
    assert!(!fx.is_empty(), "testdata/java/versions: no fixtures");
    let mut failures = Vec::new();
    for (name, dump, histo, same) in &fx {
        let (compared, bad, model) = compare(name, dump, histo, *same);
        eprintln!(
            "{name}: {model}: {compared} classes compared, {} mismatches",
            bad.len()
        );
        for b in &bad {
            eprintln!("  {b}");
        }
        assert!(compared >= 100, "{name}: only {compared} classes compared");
        if !bad.is_empty() {
            failures.push(format!("{name}: {bad:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every dump here: the size model chosen is the expected one, and the instance counts per class
/// (class objects left out) equal VisualVM's (`reference/NAME.json`), as for the main fixtures.
#[test]
fn hprof_versions_models_and_visualvm_counts() {
    let all = dumps();
    assert!(!all.is_empty(), "testdata/java/versions: no fixtures");
    for (name, path) in all {
        let p = parse(&path);
        let d = crate::details(&p.info);
        let model = d.get("size_model").and_then(Value::as_str);
        let want = MODELS.iter().find(|m| m.0 == name).map(|m| m.1);
        assert_eq!(model, want, "{name}: size model");
        let r: Value = serde_json::from_str(
            &std::fs::read_to_string(
                versions_dir()
                    .join("reference")
                    .join(format!("{name}.json")),
            )
            .expect("reference json"),
        )
        .unwrap();
        let ours = counts_without_class_objects(&p.graph);
        let mut diff = Vec::new();
        for c in r["classes"].as_array().unwrap() {
            let (k, v) = (c["name"].as_str().unwrap(), c["count"].as_u64().unwrap());
            if ours.get(k) != Some(&v) {
                diff.push(format!("{k}: visualvm {v}, heapscope {:?}", ours.get(k)));
            }
        }
        assert!(diff.is_empty(), "{name}: {diff:?}");
        assert_eq!(
            ours.values().sum::<u64>(),
            r["total"]["instances"].as_u64().unwrap(),
            "{name}: instances"
        );
        let class_objects = (0..p.graph.node_count())
            .filter(|&n| is_class_dump(&p.graph, n))
            .count() as u64;
        assert_eq!(class_objects, r["class_dumps"].as_u64().unwrap(), "{name}");
    }
}

/// Android (`1.0.3`): ART writes each class's object size into its CLASS DUMP, and heapscope
/// takes it (SYNTHETIC dump: no Android dump with a reference histogram is committed). The
/// writer here puts the data length there: `com.acme.Holder` (a 4-byte id and an int) says 8,
/// where the HotSpot rules would say 16 (an 8-byte header and 8 bytes of fields).
#[test]
fn hprof_art_sizes_are_the_class_dumps_instance_sizes() {
    let mut h = super::synth::small_heap("1.0.3", 4);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let p = super::parse_bytes(h.out).unwrap();
    assert_eq!(
        crate::details(&p.info)["size_model"],
        "art 32-bit (CLASS DUMP instance sizes)"
    );
    let g = &p.graph;
    let holder = super::ById::new(g).get(0x1000).unwrap();
    assert_eq!(g.shallow[holder.ix()], 8);
    let mut h = super::synth::small_heap("1.0.2", 4);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let p = super::parse_bytes(h.out).unwrap();
    assert_eq!(crate::details(&p.info)["size_model"], "hotspot-15+ 32-bit");
    let holder = super::ById::new(&p.graph).get(0x1000).unwrap();
    assert_eq!(p.graph.shallow[holder.ix()], 16);
}
