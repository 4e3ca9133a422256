//! Android (ART, `JAVA PROFILE 1.0.3`) dumps written by ART itself: the test dumps of AOSP's ahat
//! (testdata/java/android/, provenance in its README), checked against three references recorded
//! beside them by `reference/gen-reference.sh`:
//! - VisualVM's heap library (`reference/<name>.visualvm.json`, the project's recorder): counts,
//!   retained sets (under its convention: referents not followed) and nearest-GC-root paths;
//! - a plain record-by-record reading of the file (`reference/<name>.records.json`,
//!   `hprof_records.py`): heaps, GC roots by kind, the instance sizes the CLASS DUMPs declare
//!   (ART writes the object size there);
//! - ahat's own test expectations on these dumps (`reference/ahat_facts.json`): the path from a GC
//!   root to one object and which of its elements dominate it. The dumps are ProGuard-obfuscated;
//!   names are mapped with the committed `ahat_test_dump.map`, never hard-coded.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use heapscope_graph::{Analysis, HeapGraph, NodeIdx, NodeKind};
use serde_json::Value;

use super::{
    counts_without_class_objects, dominates_a_class, hex, is_class_dump, java_dir, parse,
    retained_by_type, retained_by_type_json, visualvm_path_agrees, ById,
};

fn android_dir() -> PathBuf {
    java_dir().join("android")
}

/// Every committed Android dump: (name, path).
fn android_fixtures() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(android_dir())
        .expect("testdata/java/android")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let f = p.file_name()?.to_str()?.to_string();
            Some((f.strip_suffix(".hprof.gz")?.to_string(), p))
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 2,
        "expected the Android dumps, found {}",
        v.len()
    );
    v
}

fn android_reference(name: &str, kind: &str) -> Value {
    let p = android_dir()
        .join("reference")
        .join(format!("{name}.{kind}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("reference json")).expect("valid json")
}

/// The ProGuard map: original class name → (obfuscated name, original field → obfuscated field).
fn proguard_map() -> HashMap<String, (String, HashMap<String, String>)> {
    let text = std::fs::read_to_string(android_dir().join("ahat_test_dump.map")).expect("map");
    let mut m: HashMap<String, (String, HashMap<String, String>)> = HashMap::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // `Original -> obfuscated:`
            let (orig, obf) = line
                .trim_end_matches(':')
                .split_once(" -> ")
                .expect("class");
            m.insert(orig.to_string(), (obf.to_string(), HashMap::new()));
            cur = Some(orig.to_string());
        } else if !line.contains('(') {
            // `    type name -> obfuscated` (a field; methods have a parameter list)
            let (decl, obf) = line.trim().split_once(" -> ").expect("field");
            let name = decl.rsplit(' ').next().expect("field name");
            let c = cur.as_ref().expect("field before any class");
            m.get_mut(c)
                .unwrap()
                .1
                .insert(name.to_string(), obf.to_string());
        }
    }
    m
}

#[test]
fn android_counts_heaps_and_versions_equal_the_references() {
    for (name, path) in android_fixtures() {
        let p = parse(&path);
        let vv = android_reference(&name, "visualvm");
        let rec = android_reference(&name, "records");
        let mut ours = counts_without_class_objects(&p.graph);
        // VisualVM counts ART's class-overhead arrays among the byte[]s
        let overhead = ours
            .remove("(class overhead)")
            .expect("class overhead arrays");
        *ours.get_mut("byte[]").unwrap() += overhead;
        let theirs: BTreeMap<String, u64> = vv["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "{name}: instance counts by class");
        assert_eq!(
            ours.values().sum::<u64>(),
            vv["total"]["instances"].as_u64().unwrap(),
            "{name}: total instances"
        );
        let class_objects = (0..p.graph.node_count())
            .filter(|&n| is_class_dump(&p.graph, n))
            .count() as u64;
        assert_eq!(class_objects, vv["class_dumps"].as_u64().unwrap(), "{name}");
        assert_eq!(
            class_objects,
            rec["class_dumps"].as_u64().unwrap(),
            "{name}"
        );
        let d = crate::details(&p.info);
        let header = rec["header"].as_str().unwrap();
        assert_eq!(
            Some(d["hprof_version"].as_str().unwrap()),
            header.strip_prefix("JAVA PROFILE "),
            "{name}"
        );
        assert_eq!(d["id_size"], rec["id_size"], "{name}");
        assert!(
            d["size_model"].as_str().unwrap().starts_with("art "),
            "{name}: {}",
            d["size_model"]
        );
        // the heaps ART names in HEAP DUMP INFO records (app / image / zygote)
        let mut heaps: Vec<&str> = d["android_heaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        heaps.sort_unstable();
        let theirs: Vec<&str> = rec["heaps"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(heaps, theirs, "{name}: heaps");
        // threads: the ones VisualVM lists, by object id and name
        let threads: HashSet<(u64, &str)> = d["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    hex(t["object_id"].as_str().unwrap()),
                    t["name"].as_str().unwrap(),
                )
            })
            .collect();
        for t in vv["threads"].as_array().unwrap() {
            let key = (hex(t["id"].as_str().unwrap()), t["name"].as_str().unwrap());
            assert!(threads.contains(&key), "{name}: thread {key:?}");
        }
    }
}

/// Distinct objects per GC root kind (ART's kinds: interned string, debugger, VM internal, …).
fn roots_by_kind(g: &HeapGraph) -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, HashSet<u32>> = BTreeMap::new();
    for r in &g.roots {
        m.entry(g.root_kind_name(r).to_string())
            .or_default()
            .insert(r.node.0);
    }
    m.into_iter().map(|(k, v)| (k, v.len() as u64)).collect()
}

#[test]
fn android_gc_roots_by_kind_equal_the_records() {
    for (name, path) in android_fixtures() {
        let p = parse(&path);
        let rec = android_reference(&name, "records");
        let theirs: BTreeMap<String, u64> = rec["gc_root_objects_by_kind"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(roots_by_kind(&p.graph), theirs, "{name}");
        let distinct: HashSet<u32> = p.graph.roots.iter().map(|r| r.node.0).collect();
        assert_eq!(
            distinct.len() as u64,
            rec["gc_root_objects"].as_u64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn android_instance_sizes_are_the_class_dump_sizes_aligned() {
    for (name, path) in android_fixtures() {
        let p = parse(&path);
        let g = &p.graph;
        let rec = android_reference(&name, "records");
        let vv = android_reference(&name, "visualvm");
        let declared = rec["declared_instance_size_by_class"].as_object().unwrap();
        // per type: (count, bytes, smallest, largest)
        let mut ours: HashMap<&str, (u64, u64, u64, u64)> = HashMap::new();
        for n in 0..g.node_count() {
            if is_class_dump(g, n) {
                continue;
            }
            let e = ours
                .entry(g.type_name(NodeIdx(n as u32)))
                .or_insert((0, 0, u64::MAX, 0));
            let s = g.shallow[n];
            *e = (e.0 + 1, e.1 + s, e.2.min(s), e.3.max(s));
        }
        let mut checked = 0;
        for (class, size) in declared {
            let size = size.as_u64().unwrap();
            if class.ends_with("[]") || size == 0 {
                continue; // arrays: below; size 0: primitive-type classes
            }
            let (_, _, lo, hi) = ours[class.as_str()];
            let want = size.div_ceil(8) * 8; // ART allocates in 8-byte units
            assert_eq!((lo, hi), (want, want), "{name}: {class} declares {size}");
            checked += 1;
        }
        assert!(checked > 100, "{name}: {checked} classes");
        // arrays: header 8 + length 4 (+ 4 to align 8-byte elements) + elements, aligned to 8;
        // VisualVM's model gives the same bytes on these dumps, but for the class objects'
        // `$classOverhead` byte[]s, which heapscope counts as their elements alone (the rest of
        // a class object, android_class_objects_are_the_writers_size) and as a type of their own
        let overhead: u64 = overhead_arrays(g)
            .map(|a| {
                assert_eq!(g.type_name(a), "(class overhead)", "{name}");
                (12 + g.shallow[a.0 as usize]).div_ceil(8) * 8
            })
            .sum();
        assert!(overhead > 0, "{name}: no $classOverhead arrays");
        for c in vv["classes"].as_array().unwrap() {
            let class = c["name"].as_str().unwrap();
            if class.ends_with("[]") {
                let extra = if class == "byte[]" { overhead } else { 0 };
                assert_eq!(
                    ours[class].1 + extra,
                    c["bytes"].as_u64().unwrap(),
                    "{name}: {class} bytes"
                );
            }
        }
    }
}

/// The `$classOverhead` arrays ART's writer hangs from its class objects.
fn overhead_arrays(g: &HeapGraph) -> impl Iterator<Item = NodeIdx> + '_ {
    (0..g.node_count())
        .filter(|&n| is_class_dump(g, n))
        .flat_map(move |n| g.edges(NodeIdx(n as u32)))
        .filter(|e| g.label_text(e.label).as_deref() == Some("static $classOverhead"))
        .map(|e| e.target)
}

/// ART's class objects (its writer's `GetClassSize()`: the `mirror::Class` fields and statics it
/// writes as statics, plus the rest of the object as the `$classOverhead` array): the class node
/// plus its overhead array, counted as its elements without an array header, come to the
/// writer's bytes within each class's 8-byte alignment (`class_object_bytes_by_writer`).
#[test]
fn android_class_objects_are_the_writers_size() {
    for (name, path) in android_fixtures() {
        let p = parse(&path);
        let g = &p.graph;
        let rec = android_reference(&name, "records");
        let class_nodes = (0..g.node_count()).filter(|&n| is_class_dump(g, n));
        let (classes, mut bytes) =
            class_nodes.fold((0u64, 0u64), |(c, b), n| (c + 1, b + g.shallow[n]));
        let arrays = overhead_arrays(g).count() as u64;
        bytes += overhead_arrays(g)
            .map(|a| g.shallow[a.0 as usize])
            .sum::<u64>();
        assert_eq!(
            arrays,
            rec["class_overhead_arrays"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(classes, rec["class_dumps"].as_u64().unwrap(), "{name}");
        let writer = rec["class_object_bytes_by_writer"].as_u64().unwrap();
        assert!(
            (writer..=writer + 8 * classes).contains(&bytes),
            "{name}: class objects {bytes} B, ART's writer {writer} B for {classes} classes"
        );
    }
}

/// Objects with a weak referrer: a `Reference.referent` pointing at them, or any reference from an
/// object that no strong path reaches (one reached only through a referent, or unreachable).
/// VisualVM's dominator tree counts some of those (the referents of `sun.misc.Cleaner`, which it
/// does not treat as a reference class, and referrers off the strong graph), so it may leave such
/// objects, and what is reached through them, out of a retained set; under its convention
/// (`weak_retains = false`) heapscope's tree counts none of them.
fn weak_referred(g: &HeapGraph) -> Vec<bool> {
    let n = g.node_count();
    let mut strong = vec![false; n];
    let mut queue: Vec<u32> = g.roots.iter().map(|r| r.node.0).collect();
    while let Some(v) = queue.pop() {
        if std::mem::replace(&mut strong[v as usize], true) {
            continue;
        }
        queue.extend(g.edges(NodeIdx(v)).filter(|e| !e.weak).map(|e| e.target.0));
    }
    let mut out = vec![false; n];
    for v in 0..n as u32 {
        for e in g.edges(NodeIdx(v)) {
            if e.weak || !strong[v as usize] {
                out[e.target.ix()] = true;
            }
        }
    }
    out
}

/// Per type, the objects of `node`'s retained set (ours) that a weakly referred object of the
/// set reaches within the set (itself included): the ones whose retention depends on the
/// convention above.
fn convention_dependent(a: &Analysis, node: NodeIdx, weak: &[bool]) -> BTreeMap<String, u64> {
    let g = &a.graph;
    let mut set = HashSet::new();
    let mut stack = vec![node.0];
    while let Some(v) = stack.pop() {
        set.insert(v);
        stack.extend_from_slice(a.dominated(Some(NodeIdx(v))));
    }
    let mut seen = HashSet::new();
    let mut stack: Vec<u32> = set.iter().copied().filter(|&v| weak[v as usize]).collect();
    while let Some(v) = stack.pop() {
        if seen.insert(v) {
            stack.extend(
                g.edges(NodeIdx(v))
                    .map(|e| e.target.0)
                    .filter(|t| set.contains(t)),
            );
        }
    }
    let mut m = BTreeMap::new();
    for v in seen.into_iter().filter(|&v| !is_class_dump(g, v as usize)) {
        *m.entry(g.type_name(NodeIdx(v)).to_string()).or_insert(0) += 1;
    }
    m
}

#[test]
fn android_retained_sets_and_paths_equal_visualvm() {
    let map = proguard_map();
    // the dumped program's own classes, by the names the dump has
    let app: HashSet<&str> = map.values().map(|(obf, _)| obf.as_str()).collect();
    for (name, path) in android_fixtures() {
        let mut p = parse(&path);
        p.graph.policy.weak_retains = false; // VisualVM's convention
        let a = Analysis::run(p.graph);
        let g = &a.graph;
        let by_id = ById::new(g);
        let weak = weak_referred(g);
        let vv = android_reference(&name, "visualvm");
        let (mut exact, mut bounded, mut class_level) = (0, 0, 0);
        for top in vv["largest_by_retained"].as_array().unwrap() {
            let id = hex(top["id"].as_str().unwrap());
            let node = by_id.get(id).expect("object in the graph");
            let theirs = retained_by_type_json(&top["retained_by_class"]);
            let ours = retained_by_type(&a, node);
            if dominates_a_class(&a, node) {
                // class objects are modelled differently (see ../mod.rs): the program's classes only
                for (k, v) in theirs.iter().filter(|(k, _)| app.contains(k.as_str())) {
                    assert_eq!(ours.get(k), Some(v), "{name}: {k} retained by {id:#x}");
                }
                class_level += 1;
            } else if ours == theirs {
                exact += 1;
            } else {
                // every difference is an object whose retention depends on that convention
                let dependent = convention_dependent(&a, node, &weak);
                for k in ours.keys().chain(theirs.keys()) {
                    let (o, t) = (ours.get(k).copied(), theirs.get(k).copied());
                    let (o, t, d) = (o.unwrap_or(0), t.unwrap_or(0), dependent.get(k).copied());
                    assert!(
                        t <= o && o - d.unwrap_or(0) <= t,
                        "{name}: {k} retained by {id:#x}: visualvm {t}, heapscope {o}, of which {d:?} depend on referrers no strong path reaches"
                    );
                }
                bounded += 1;
            }
            visualvm_path_agrees(&a, &by_id, &name, top);
        }
        assert!(
            exact >= 10 && exact + bounded + class_level == 20,
            "{name}: {exact} exact, {bounded} bounded, {class_level} class-level"
        );
    }
}

/// The node a labelled reference from `from` leads to.
fn follow(g: &HeapGraph, from: NodeIdx, label: &str) -> NodeIdx {
    g.edges(from)
        .find(|e| g.label_text(e.label).as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no reference {label} from {:#x}", g.id(from)))
        .target
}

#[test]
fn android_gc_root_path_and_dominators_as_ahat_expects() {
    let map = proguard_map();
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(android_dir().join("reference/ahat_facts.json")).expect("facts"),
    )
    .expect("valid json");
    let f = &facts["gc_root_path"];
    let s = |k: &str| f[k].as_str().unwrap();
    let obf_class = |c: &str| match c.strip_suffix("[]") {
        Some(e) => format!("{}[]", map.get(e).map_or(e, |m| m.0.as_str())),
        None => map.get(c).map_or(c.to_string(), |m| m.0.clone()),
    };
    let obf_field = |c: &str, fld: &str| map[c].1[fld].clone();
    let (left, right) = (
        obf_field(s("node_class"), f["fields"][0].as_str().unwrap()),
        obf_field(s("node_class"), f["fields"][1].as_str().unwrap()),
    );
    for (name, path) in android_fixtures() {
        let p = parse(&path);
        let main_name = obf_class(s("root_class"));
        let main = (0..p.graph.node_count() as u32)
            .map(NodeIdx)
            .find(|&n| {
                p.graph.kind[n.ix()] == NodeKind::Class as u8
                    && p.inspector.value_preview(&p.graph, n).as_deref() == Some(main_name.as_str())
            })
            .unwrap_or_else(|| panic!("{name}: class object of {main_name}"));
        let a = Analysis::run(p.graph);
        let g = &a.graph;
        let stuff = follow(
            g,
            main,
            &format!("static {}", obf_field(s("root_class"), s("static_field"))),
        );
        assert_eq!(g.type_name(stuff), obf_class(s("class")), "{name}");
        let array = follow(g, stuff, &obf_field(s("class"), s("array_field")));
        assert_eq!(g.type_name(array), obf_class(s("array_class")), "{name}");
        let base = follow(g, array, &format!("[{}]", f["element"]));
        let target = follow(g, follow(g, base, &left), &right);
        assert_eq!(target, follow(g, follow(g, base, &right), &left), "{name}");
        let path = a.path_to(target);
        assert_eq!(path.len() as u64, f["length"].as_u64().unwrap(), "{name}");
        assert_eq!(
            path.iter().take(4).map(|p| p.node).collect::<Vec<_>>(),
            vec![main, stuff, array, base],
            "{name}"
        );
        let fifth = path[4].node;
        assert!(
            fifth == follow(g, base, &left) || fifth == follow(g, base, &right),
            "{name}"
        );
        // which path elements dominate the target, as ahat says
        let mut doms = HashSet::new();
        let mut d = Some(target);
        while let Some(n) = d {
            doms.insert(n);
            d = a.idom(n);
        }
        let ours: Vec<bool> = path.iter().map(|p| doms.contains(&p.node)).collect();
        let theirs: Vec<bool> = f["dominates_target"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        assert_eq!(ours, theirs, "{name}");
    }
}
