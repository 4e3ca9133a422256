//! HPROF tests: differential against VisualVM's heap library (testdata/java/reference/*.json) and
//! the JVM's own `jcmd GC.class_histogram` (testdata/java/dumps/*.histo.txt), bad input, and
//! SYNTHETIC files for what no runtime here writes (see synth.rs).
//!
//! Conventions that differ from VisualVM, stated and checked here:
//! - VisualVM does not follow `Reference.referent` for retained sizes; heapscope (as Eclipse MAT)
//!   does. Retained sets are compared with heapscope switched to VisualVM's convention
//!   (`weak_retains = false`), and `referent_convention_*` checks what MAT's convention adds.
//! - VisualVM does not count class objects (CLASS DUMPs) as `java.lang.Class` instances; heapscope
//!   does, as `jcmd GC.class_histogram` does. Counts are compared without class-object nodes, and
//!   the number of class objects against VisualVM's class count.
//! - VisualVM's shallow sizes are its own model; bytes are compared with jcmd's histogram.

mod android;
mod hostile;
mod loom;
mod synth;
mod versions;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use heapscope_graph::{Analysis, HeapGraph, NodeIdx, NodeKind};
use heapscope_parsers::{hprof, Input, ParseOptions, Parsed};
use serde_json::Value;

fn java_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/java")
}

/// Every committed fixture: (name, dump path).
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(java_dir().join("dumps"))
        .expect("testdata/java/dumps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let f = p.file_name()?.to_str()?.to_string();
            let name = f
                .strip_suffix(".hprof.gz")
                .or_else(|| f.strip_suffix(".hprof"))?
                .to_string();
            Some((name, p))
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 10,
        "expected the committed Java fixtures, found {}",
        v.len()
    );
    v
}

fn reference(name: &str) -> Value {
    let p = java_dir().join("reference").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("reference json")).expect("valid json")
}

fn parse(path: &Path) -> Parsed {
    heapscope_parsers::open(path, &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex id")
}

/// Node index by dump id (a sorted index, built once per graph).
struct ById(Vec<(u64, u32)>);
impl ById {
    fn new(g: &HeapGraph) -> ById {
        let mut v: Vec<(u64, u32)> = g
            .ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        v.sort_unstable();
        ById(v)
    }
    fn get(&self, id: u64) -> Option<NodeIdx> {
        self.0
            .binary_search_by_key(&id, |e| e.0)
            .ok()
            .map(|p| NodeIdx(self.0[p].1))
    }
}

/// Class objects (CLASS DUMP records) are the nodes of kind Class.
fn is_class_dump(g: &HeapGraph, n: usize) -> bool {
    g.kind[n] == NodeKind::Class as u8
}

/// Instance counts per type, class-object nodes left out (VisualVM's convention).
fn counts_without_class_objects(g: &HeapGraph) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for n in 0..g.node_count() {
        if !is_class_dump(g, n) {
            *m.entry(g.type_name(NodeIdx(n as u32)).to_string())
                .or_insert(0) += 1;
        }
    }
    m
}

#[test]
fn hprof_instance_counts_equal_visualvm() {
    for (name, path) in fixtures() {
        let p = parse(&path);
        let r = reference(&name);
        let ours = counts_without_class_objects(&p.graph);
        let mut theirs = BTreeMap::new();
        for c in r["classes"].as_array().unwrap() {
            theirs.insert(
                c["name"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            );
        }
        let diff: Vec<_> = theirs
            .iter()
            .filter(|(k, v)| ours.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: visualvm {v}, heapscope {:?}", ours.get(k)))
            .chain(
                ours.iter()
                    .filter(|(k, _)| !theirs.contains_key(*k))
                    .map(|(k, v)| format!("{k}: only heapscope {v}")),
            )
            .collect();
        assert!(
            diff.is_empty(),
            "{name}: {} differences: {:?}",
            diff.len(),
            &diff[..diff.len().min(10)]
        );
        let total: u64 = ours.values().sum();
        assert_eq!(
            total,
            r["total"]["instances"].as_u64().unwrap(),
            "{name}: total instances"
        );
        let class_objects = (0..p.graph.node_count())
            .filter(|&n| is_class_dump(&p.graph, n))
            .count();
        assert_eq!(
            class_objects as u64,
            r["class_dumps"].as_u64().unwrap(),
            "{name}: class objects"
        );
    }
}

/// `jcmd GC.class_histogram` rows: JVM class name → (count, bytes), names turned into Java form.
fn jcmd_histogram(name: &str) -> BTreeMap<String, (u64, u64)> {
    let text = std::fs::read_to_string(java_dir().join("dumps").join(format!("{name}.histo.txt")))
        .unwrap();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 4 || !cols[0].ends_with(':') {
            continue;
        }
        let (Ok(count), Ok(bytes)) = (cols[1].parse::<u64>(), cols[2].parse::<u64>()) else {
            continue;
        };
        let class = hprof::bytes::java_class_name(&cols[3].replace('.', "/")).replace('/', ".");
        let e = m.entry(class).or_insert((0, 0));
        e.0 += count;
        e.1 += bytes;
    }
    m
}

/// JDK 25 dumps its heap filler arrays as int[]; jcmd lists them as FillerElement[].
fn fold_fillers(histogram: &mut BTreeMap<String, (u64, u64)>) {
    if let Some(f) = histogram.remove("jdk.internal.vm.FillerElement[]") {
        let e = histogram.entry("int[]".into()).or_insert((0, 0));
        e.0 += f.0;
        e.1 += f.1;
    }
}

/// Classes the 2% check cannot hold the dump to, and why:
/// - `java.lang.Class`: with class data sharing (default with compressed oops) the archived heap
///   holds a mirror for every archived class, loaded or not; jcmd counts them all, the dump has
///   CLASS DUMPs of loaded classes only (JDK 17: 1,442 vs 611). Their number and sizes are not in
///   the file. Left out only where jcmd counts more mirrors than the dump holds; where the counts
///   agree (`static_map_nocoops`) the row must match, and [`hprof_class_mirror_sizes`] checks it
///   to the byte and bounds the other fixtures.
const NOT_IN_DUMP: &[&str] = &["java.lang.Class"];

/// Rows of our histogram: type name → (count, bytes).
fn our_histogram(g: &HeapGraph) -> HashMap<&str, (u64, u64)> {
    let mut ours: HashMap<&str, (u64, u64)> = HashMap::new();
    for n in 0..g.node_count() {
        let e = ours.entry(g.type_name(NodeIdx(n as u32))).or_insert((0, 0));
        e.0 += 1;
        e.1 += g.shallow[n];
    }
    ours
}

#[test]
fn hprof_histogram_matches_jcmd() {
    for (name, path) in fixtures() {
        let p = parse(&path);
        let g = &p.graph;
        let ours = our_histogram(g);
        let mut jcmd = jcmd_histogram(&name);
        fold_fillers(&mut jcmd);
        assert!(jcmd.len() > 100, "{name}: histogram parsed");
        // application classes: counts equal (jcmd's own allocations are JDK classes only)
        let mut app = 0;
        for (class, &(count, _)) in jcmd.iter().filter(|(c, _)| c.starts_with("com.acme.")) {
            if class.contains("$$Lambda") {
                continue; // hidden classes: named differently in the dump (checked by count below)
            }
            app += 1;
            assert_eq!(
                ours.get(class.as_str()).map(|x| x.0),
                Some(count),
                "{name}: count of {class}"
            );
        }
        assert!(
            app >= 1
                || name == "healthy"
                || name.starts_with("finalizer")
                || name == "thread_locals",
            "{name}: app classes"
        );
        // shallow bytes: the 50 largest classes within 2%
        let mut by_bytes: Vec<_> = jcmd.iter().collect();
        by_bytes.sort_by_key(|e| std::cmp::Reverse(e.1 .1));
        let mut bad = Vec::new();
        for (class, &(_, bytes)) in by_bytes
            .into_iter()
            .filter(|(c, &(count, _))| {
                !NOT_IN_DUMP.contains(&c.as_str())
                    || ours.get(c.as_str()).map(|x| x.0) == Some(count)
            })
            .take(50)
        {
            let mine = ours.get(class.as_str()).map(|x| x.1).unwrap_or(0);
            let dev = (mine as f64 - bytes as f64).abs() / bytes as f64;
            if dev > 0.02 {
                bad.push(format!(
                    "{class}: jcmd {bytes}, heapscope {mine} ({:+.1}%)",
                    100.0 * (mine as f64 / bytes as f64 - 1.0)
                ));
            }
        }
        assert!(bad.is_empty(), "{name}: {bad:?}");
    }
}

/// Our retained set of `node` by type, class-object nodes left out (VisualVM does not list them).
fn retained_by_type(a: &Analysis, node: NodeIdx) -> BTreeMap<String, u64> {
    let g = &a.graph;
    let mut m = BTreeMap::new();
    let mut stack = vec![node.0];
    while let Some(v) = stack.pop() {
        if !is_class_dump(g, v as usize) {
            *m.entry(g.type_name(NodeIdx(v)).to_string()).or_insert(0) += 1;
        }
        stack.extend_from_slice(a.dominated(Some(NodeIdx(v))));
    }
    m
}

#[test]
fn hprof_retained_sets_equal_visualvm_under_its_convention() {
    for (name, path) in fixtures() {
        let mut p = parse(&path);
        p.graph.policy.weak_retains = false; // VisualVM's convention
        let a = Analysis::run(p.graph);
        let by_id = ById::new(&a.graph);
        let r = reference(&name);
        let mut checked = 0;
        let mut class_level = 0;
        for top in r["largest_by_retained"].as_array().unwrap() {
            let id = hex(top["id"].as_str().unwrap());
            let node = by_id
                .get(id)
                .unwrap_or_else(|| panic!("{name}: object {id:#x} not in the graph"));
            let theirs = retained_by_type_json(&top["retained_by_class"]);
            let ours = retained_by_type(&a, node);
            if dominates_a_class(&a, node) {
                // Class objects hold their statics, `<super>` and `<classloader>` here; VisualVM
                // models class objects differently, so retained sets that contain classes may
                // differ (in JDK-internal objects only): checked for the leaking classes only.
                for (k, v) in theirs.iter().filter(|(k, _)| k.starts_with("com.acme.")) {
                    assert_eq!(ours.get(k), Some(v), "{name}: {k} retained by {id:#x}");
                }
                class_level += 1;
            } else {
                assert_eq!(
                    ours, theirs,
                    "{name}: retained set of {id:#x} ({})",
                    top["class"]
                );
                checked += 1;
            }
        }
        assert!(
            checked + class_level == 20 && checked >= 3,
            "{name}: {checked} exact, {class_level} class-level"
        );
    }
}

/// Does `node` dominate a class object (CLASS DUMP node)?
fn dominates_a_class(a: &Analysis, node: NodeIdx) -> bool {
    let mut stack = vec![node.0];
    while let Some(v) = stack.pop() {
        if is_class_dump(&a.graph, v as usize) {
            return true;
        }
        stack.extend_from_slice(a.dominated(Some(NodeIdx(v))));
    }
    false
}

#[test]
fn hprof_referent_convention_finalizer_backlog() {
    for name in ["finalizer_backlog", "finalizer_backlog_jdk25"] {
        let path = java_dir().join("dumps").join(format!("{name}.hprof.gz"));
        let r = reference(name);
        // The object VisualVM ranks first among java.lang.ref.Finalizer: the head of the chain.
        let head = r["largest_by_retained"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["class"] == "java.lang.ref.Finalizer")
            .expect("a Finalizer among VisualVM's largest");
        let id = hex(head["id"].as_str().unwrap());
        let mat = Analysis::run(parse(&path).graph);
        let mut vv = parse(&path);
        vv.graph.policy.weak_retains = false;
        let vv = Analysis::run(vv.graph);
        let node = ById::new(&mat.graph).get(id).unwrap();
        let with = retained_by_type(&mat, node);
        let without = retained_by_type(&vv, node);
        assert_eq!(
            without,
            retained_by_type_json(&head["retained_by_class"]),
            "{name}: VisualVM convention"
        );
        // MAT's convention adds what is reachable only through referents: the NativeHandles
        // (and their byte[]), as many as the JVM's histogram has.
        let handles = jcmd_histogram(name)["com.acme.NativeHandle"].0;
        assert_eq!(
            with.get("com.acme.NativeHandle"),
            Some(&handles),
            "{name}: MAT convention"
        );
        assert_eq!(without.get("com.acme.NativeHandle"), None);
        assert!(mat.retained[node.ix()] > vv.retained[node.ix()]);
        // every object MAT adds has only a weak path from the roots
        let mut stack = vec![node.0];
        let mut added = 0;
        while let Some(v) = stack.pop() {
            if mat.graph.type_name(NodeIdx(v)) == "com.acme.NativeHandle" {
                assert!(
                    mat.path_is_weak(NodeIdx(v)),
                    "{name}: NativeHandle path should be weak"
                );
                added += 1;
            }
            stack.extend_from_slice(mat.dominated(Some(NodeIdx(v))));
        }
        assert_eq!(added, handles);
    }
}

fn retained_by_type_json(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

#[test]
fn hprof_root_paths_agree_with_visualvm() {
    for (name, path) in fixtures() {
        let a = Analysis::run(parse(&path).graph);
        let by_id = ById::new(&a.graph);
        let r = reference(&name);
        for top in r["largest_by_retained"].as_array().unwrap() {
            visualvm_path_agrees(&a, &by_id, &name, top);
        }
    }
}

/// VisualVM's nearest-GC-root path of one of its largest objects (`top`): the root has the kinds
/// VisualVM gives it, the path exists in our graph edge for edge with the same labels, and our
/// shortest path is as long.
fn visualvm_path_agrees(a: &Analysis, by_id: &ById, name: &str, top: &Value) {
    let g = &a.graph;
    let steps = top["path"].as_array().unwrap();
    let ids: Vec<NodeIdx> = steps
        .iter()
        .map(|s| by_id.get(hex(s["id"].as_str().unwrap())).unwrap())
        .collect();
    // the root's kinds
    let kinds: Vec<&str> = g
        .roots
        .iter()
        .filter(|r| r.node == ids[0])
        .map(|r| g.root_kind_name(r))
        .collect();
    for k in steps[0]["root_kinds"].as_array().unwrap() {
        assert!(
            kinds.contains(&k.as_str().unwrap()),
            "{name}: root kind {k} of {:#x}: {kinds:?}",
            g.id(ids[0])
        );
    }
    // VisualVM's path exists edge for edge, with the same labels
    for w in 1..steps.len() {
        let via = steps[w]["via"].as_str().unwrap();
        let found = g
            .edges(ids[w - 1])
            .any(|e| e.target == ids[w] && g.label_text(e.label).as_deref() == Some(via));
        assert!(
            found,
            "{name}: edge {via} from {:#x} to {:#x}",
            g.id(ids[w - 1]),
            g.id(ids[w])
        );
    }
    // our shortest path is as long as VisualVM's
    let ours = a.path_to(ids[ids.len() - 1]);
    assert_eq!(
        ours.len(),
        steps.len(),
        "{name}: path length to {}",
        top["id"]
    );
}

#[test]
fn hprof_thread_names_and_frames() {
    for (name, path) in fixtures() {
        let p = parse(&path);
        let r = reference(&name);
        let d = crate::details(&p.info);
        let threads = d["threads"].as_array().unwrap();
        for t in r["threads"].as_array().unwrap() {
            let found = threads
                .iter()
                .any(|x| x["object_id"] == t["id"] && x["name"] == t["name"]);
            assert!(found, "{name}: thread {t}");
        }
        // stack roots say which thread and frame hold them; thread objects link to their locals
        let g = &p.graph;
        let frames: Vec<&str> = g
            .roots
            .iter()
            .filter(|r| g.root_kind_name(r) == "Java frame")
            .map(|r| g.labels.get(r.via))
            .collect();
        assert!(!frames.is_empty(), "{name}: Java frame roots");
        assert!(
            frames
                .iter()
                .all(|v| v.starts_with("Thread \"") && v.contains("\" > frame ")),
            "{name}: {frames:?}"
        );
        let main_frames = threads.iter().find(|t| t["name"] == "main").unwrap()["frames"]
            .as_array()
            .unwrap();
        assert!(
            main_frames
                .iter()
                .any(|f| f.as_str().unwrap().starts_with("com.acme.")),
            "{name}: main's stack"
        );
        // every stack local is also an edge `local in <frame>` from its thread object, the frame
        // being the root's own (the innermost one when several frames hold the same object)
        let by_id = ById::new(g);
        let mut checked = 0;
        for r in g
            .roots
            .iter()
            .filter(|r| g.root_kind_name(r) == "Java frame")
        {
            let via = g.labels.get(r.via);
            let (thread, frame) = via
                .strip_prefix("Thread \"")
                .and_then(|v| v.split_once("\" > frame "))
                .unwrap();
            let mut objs = threads.iter().filter(|t| t["name"] == thread);
            let (Some(t), None) = (objs.next(), objs.next()) else {
                continue; // two threads of that name: which one is not said
            };
            let tn = by_id.get(hex(t["object_id"].as_str().unwrap())).unwrap();
            let labels: Vec<String> = g
                .edges(tn)
                .filter(|e| e.target == r.node)
                .filter_map(|e| g.label_text(e.label))
                .collect();
            assert!(
                labels.iter().any(|l| l.starts_with("local in ")),
                "{name}: no edge from thread {thread} to its local {:#x} ({frame}): {labels:?}",
                g.id(r.node)
            );
            // the edge names the innermost frame holding it: a frame of this thread's stack
            let frames_of: Vec<&str> = t["frames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            let l = labels.iter().find(|l| l.starts_with("local in ")).unwrap();
            let f = &l["local in ".len()..];
            let (i_edge, i_root) = (
                frames_of.iter().position(|x| *x == f),
                frames_of.iter().position(|x| *x == frame),
            );
            assert!(
                i_edge.is_some() && i_edge <= i_root,
                "{name}: {l} vs root frame {frame}"
            );
            checked += 1;
        }
        assert!(
            checked >= frames.len() / 2,
            "{name}: {checked} locals checked"
        );
    }
}

#[test]
fn hprof_string_values_from_inspector() {
    let path = java_dir().join("dumps/thread_locals.hprof.gz");
    let p = parse(&path);
    let r = reference("thread_locals");
    let g = &p.graph;
    let by_id = ById::new(g);
    for t in r["threads"].as_array().unwrap() {
        let thread = by_id.get(hex(t["id"].as_str().unwrap())).unwrap();
        let name_node = g
            .edges(thread)
            .find(|e| g.label_text(e.label).as_deref() == Some("name"))
            .unwrap()
            .target;
        assert_eq!(g.type_name(name_node), "java.lang.String");
        assert_eq!(
            p.inspector.value_preview(g, name_node).as_deref(),
            t["name"].as_str()
        );
    }
    // class objects preview as their class name
    let holder = r["largest_by_retained"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|t| {
            t["class_object_of"]
                .as_str()
                .map(|c| (c, t["id"].as_str().unwrap()))
        });
    if let Some((class, id)) = holder {
        let n = by_id.get(hex(id)).unwrap();
        assert_eq!(p.inspector.value_preview(g, n).as_deref(), Some(class));
    }
}

#[test]
fn hprof_jdk_chunked_gzip_equals_plain() {
    // caches.hprof.gz is the JDK's own -gz=1 output (multi-member); inflating it by hand and
    // parsing the plain bytes gives the same graph.
    let path = java_dir().join("dumps/caches.hprof.gz");
    let gz = parse(&path);
    assert!(gz.info.compressed);
    let raw = std::fs::read(&path).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2_multi(&raw), &mut plain).unwrap();
    let p = hprof::parse(&Input::from_bytes(&path, plain), &ParseOptions::default()).unwrap();
    assert_eq!(p.graph.node_count(), gz.graph.node_count());
    assert_eq!(p.graph.edge_count(), gz.graph.edge_count());
    assert_eq!(p.graph.total_shallow(), gz.graph.total_shallow());
}

#[test]
fn hprof_references_to_ids_left_out_by_class_data_sharing_are_explained() {
    for (name, path) in fixtures() {
        let p = parse(&path);
        let missing: Vec<&String> = p
            .graph
            .warnings
            .iter()
            .filter(|w| w.contains("references point to ids that are not in the dump"))
            .collect();
        if name.contains("nocoops") {
            // No archived heap without compressed oops: nothing is left out.
            assert!(missing.is_empty(), "{name}: {missing:?}");
        } else {
            assert_eq!(missing.len(), 1, "{name}: {:?}", p.graph.warnings);
            assert!(missing[0].contains("-Xshare:off"), "{name}: {}", missing[0]);
        }
    }
}

/// flate2's own multi-member decoder: the reference for heapscope's (partly parallel) gunzip.
fn flate2_multi(raw: &[u8]) -> impl std::io::Read + '_ {
    flate2::read::MultiGzDecoder::new(raw)
}

#[test]
fn hprof_jdk_chunked_gzip_inflates_in_parallel_to_the_same_bytes() {
    // `caches` was dumped with `jcmd GC.heap_dump -gz=1`: one gzip member per 1 MiB block, the
    // first ones with the comment "HPROF BLOCKSIZE=1048576".
    let path = java_dir().join("dumps/caches.hprof.gz");
    let raw = std::fs::read(&path).unwrap();
    let mut want = Vec::new();
    std::io::Read::read_to_end(&mut flate2_multi(&raw), &mut want).unwrap();
    let mut got = Vec::new();
    let (n, stats) = heapscope_parsers::gunzip::inflate(&raw, &mut got).unwrap();
    assert_eq!(n as usize, want.len());
    assert!(got == want, "inflated bytes differ");
    assert_eq!(stats.parallel_members, 8, "{stats:?}");
    assert_eq!(stats.sequential_bytes, 0, "{stats:?}");
    let mapped = Input::open(&path).unwrap().gunzip().unwrap();
    assert!(mapped.bytes() == &want[..]);
    // A plain `gzip -9n` dump is one member: the sequential decoder does it all.
    let raw = std::fs::read(java_dir().join("dumps/static_map.hprof.gz")).unwrap();
    let (_, stats) = heapscope_parsers::gunzip::inflate(&raw, &mut std::io::sink()).unwrap();
    assert_eq!(stats.parallel_members, 0, "{stats:?}");
    assert_eq!(stats.sequential_bytes, raw.len() as u64);
}

// ---------------------------------------------------------------- synthetic and bad input

fn parse_bytes(bytes: Vec<u8>) -> Result<Parsed, heapscope_parsers::ParseError> {
    hprof::parse(
        &Input::from_bytes(Path::new("synthetic.hprof"), bytes),
        &ParseOptions::default(),
    )
}

#[test]
fn hprof_synthetic_small_heap_shapes_the_graph() {
    for id in [4usize, 8] {
        let mut h = synth::small_heap("1.0.2", id);
        h.flush_heap(0x1C, None);
        h.end_dump();
        let p = parse_bytes(h.out).unwrap();
        let a = Analysis::run(p.graph);
        let g = &a.graph;
        let by_id = ById::new(g);
        let holder = by_id.get(0x1000).unwrap();
        assert_eq!(g.type_name(holder), "com.acme.Holder");
        assert_eq!(
            g.type_name(by_id.get(0x2000).unwrap()),
            "java.lang.Object[]"
        );
        assert_eq!(g.type_name(by_id.get(0x4000).unwrap()), "byte[]");
        // Holder's retained set: itself, the array, 3 leaves, 3 byte[]
        let leaf_bytes: u64 = [0x3000, 0x3100, 0x3200, 0x4000, 0x4100, 0x4200]
            .iter()
            .map(|&i| g.shallow[by_id.get(i).unwrap().ix()])
            .sum();
        assert_eq!(
            a.retained[holder.ix()],
            g.shallow[holder.ix()] + g.shallow[by_id.get(0x2000).unwrap().ix()] + leaf_bytes
        );
        let path = a.path_to(by_id.get(0x4100).unwrap());
        let vias: Vec<_> = path
            .iter()
            .skip(1)
            .map(|s| s.via.clone().unwrap())
            .collect();
        assert_eq!(vias, ["static INSTANCE", "items", "[1]", "data"]);
        // the referent is weak: it retains (MAT) but the path to it is marked weak
        let orphan = by_id.get(0x6000).unwrap();
        assert!(a.path_is_weak(orphan));
        assert_eq!(a.idom(orphan), by_id.get(0x5000));
        // sizes for the layout: 4-byte ids → 8-byte header
        let hdr = if id == 4 { 8 } else { 12 };
        assert_eq!(
            g.shallow[by_id.get(0x4000).unwrap().ix()],
            (hdr + 4 + 100_u64).div_ceil(8) * 8
        );
    }
}

#[test]
fn hprof_synthetic_android_103() {
    let mut h = synth::small_heap("1.0.3", 4);
    h.heap_info(0x5A, "app");
    h.root(0x89, 0x4000); // interned string (Android root kinds)
    h.root(0x8D, 0x3000);
    h.byte_array_nodata(0x7000, 64);
    h.root(0x90, 0x7000);
    h.flush_heap(0x0C, None);
    h.end_dump();
    let p = parse_bytes(h.out).unwrap();
    let g = &p.graph;
    assert_eq!(crate::details(&p.info)["hprof_version"], "1.0.3");
    assert_eq!(crate::details(&p.info)["id_size"], 4);
    assert_eq!(crate::details(&p.info)["android_heaps"][0], "app");
    let kinds: Vec<&str> = g.roots.iter().map(|r| g.root_kind_name(r)).collect();
    for k in [
        "interned string",
        "VM internal",
        "unreachable",
        "sticky class",
        "JNI global",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let nodata = ById::new(g).get(0x7000).unwrap();
    assert_eq!(g.type_name(nodata), "byte[]");
    assert_eq!(g.shallow[nodata.ix()], 8 + 4 + 64 + 4); // header 8, length 4, data, align 8
}

#[test]
fn hprof_synthetic_several_dumps_analyze_the_first() {
    let mut h = synth::small_heap("1.0.2", 8);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let first_nodes = parse_bytes(h.out.clone()).unwrap().graph.node_count();
    let mut second = synth::small_heap("1.0.2", 8);
    second.instance(0x9000, 0x300, &[(synth::T_OBJECT, 0)]);
    second.flush_heap(0x1C, None);
    second.end_dump();
    const HEADER: usize = 19 + 4 + 8; // magic and version with NUL, id size, timestamp
    let records = second.out.split_off(HEADER);
    h.out.extend_from_slice(&records);
    let p = parse_bytes(h.out).unwrap();
    assert_eq!(crate::details(&p.info)["heap_dumps"], 2);
    assert_eq!(p.graph.node_count(), first_nodes);
    assert!(
        p.info.warnings.iter().any(|w| w.contains("2 heap dumps")),
        "{:?}",
        p.info.warnings
    );
}

#[test]
fn hprof_length_wrap_logic_with_small_modulus() {
    // An unsegmented HEAP DUMP whose length field states its length modulo `wrap`, as a u4 field
    // wraps at 2^32 for a record longer than 4 GiB. The same logic with wrap = 256 on a small file.
    let mut plain = synth::small_heap("1.0.1", 8);
    plain.flush_heap(0x0C, None);
    plain.end_dump();
    let expect = parse_bytes(plain.out).unwrap();
    for wrap in [64u64, 256, 1000] {
        let mut h = synth::small_heap("1.0.1", 8);
        h.flush_heap(0x0C, Some(wrap));
        h.end_dump();
        let p = hprof::parse_with_wrap(
            &Input::from_bytes(Path::new("wrap.hprof"), h.out),
            &ParseOptions::default(),
            wrap,
        )
        .unwrap();
        assert_eq!(
            p.graph.node_count(),
            expect.graph.node_count(),
            "wrap {wrap}"
        );
        assert_eq!(
            p.graph.edge_count(),
            expect.graph.edge_count(),
            "wrap {wrap}"
        );
        assert!(
            p.info.warnings.iter().any(|w| w.contains("wrapped")),
            "wrap {wrap}: {:?}",
            p.info.warnings
        );
    }
}

#[test]
fn hprof_bad_magic_and_version() {
    for bad in [
        &b"JAVA PROFILE 2.0.1\0"[..],
        b"",
        b"JAVA PROFILE 1.0.2",
        b"GIF89a",
        b"JAVA PROFILE 1.0.2\0\0\0\0\x05",
    ] {
        let e = parse_bytes(bad.to_vec()).err().expect("an error");
        assert!(e.to_string().contains("expected"), "{e}");
    }
}

#[test]
fn hprof_truncated_synthetic_at_every_byte() {
    let mut h = synth::small_heap("1.0.2", 8);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let full = h.out;
    let whole = parse_bytes(full.clone()).unwrap().graph.node_count();
    let mut ok = 0;
    for cut in 0..full.len() {
        match parse_bytes(full[..cut].to_vec()) {
            Ok(p) => {
                ok += 1;
                assert!(p.graph.node_count() <= whole);
                assert!(
                    p.info.warnings.iter().any(|w| w.contains("truncated"))
                        || cut >= full.len() - 9,
                    "cut {cut}: {:?}",
                    p.info.warnings
                );
            }
            Err(e) => assert!(e.offset <= cut as u64 + 1, "cut {cut}: {e}"),
        }
    }
    assert!(
        ok > full.len() / 4,
        "most cuts inside the heap still analyze ({ok} of {})",
        full.len()
    );
}

#[test]
fn hprof_truncated_real_dump_at_many_offsets() {
    let path = java_dir().join("dumps/healthy.hprof");
    let full = std::fs::read(&path).unwrap();
    let whole = parse_bytes(full.clone()).unwrap().graph.node_count();
    let mut analyzed = 0;
    for k in 1..40u64 {
        let cut = (full.len() as u64 * k / 40) as usize;
        let p = match parse_bytes(full[..cut].to_vec()) {
            Ok(p) => p,
            // cut before the first heap record: nothing to analyze, said with the offset
            Err(e) => {
                // (at the cut, or at the first record when the cut falls on a record boundary)
                assert!(
                    e.expected.contains("HEAP DUMP") && (e.offset == cut as u64 || e.offset == 31),
                    "cut {cut}: {e}"
                );
                continue;
            }
        };
        assert!(
            p.info.warnings.iter().any(|w| w.contains("truncated")),
            "cut {cut}"
        );
        assert!(p.graph.node_count() <= whole);
        analyzed += 1;
    }
    // about half of healthy.hprof is strings and classes before the first heap record
    assert!(analyzed >= 15, "{analyzed} of 39 cuts analyzed");
}

#[test]
fn hprof_absurd_lengths_and_dangling_ids() {
    // a record claiming 4 GB in a small file: truncation warning, no allocation by it
    let mut h = synth::small_heap("1.0.2", 8);
    h.flush_heap(0x1C, None);
    let mut bytes = h.out.clone();
    bytes.push(0x01);
    bytes.extend([0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF0]);
    let p = parse_bytes(bytes).unwrap();
    assert!(p.info.warnings.iter().any(|w| w.contains("truncated")));
    // an object array claiming 2^31 elements inside a small segment: an error with its offset
    let mut h = synth::small_heap("1.0.2", 8);
    h.obj_array(0x8000, 0x400, &[]);
    let mut body_end = h.out.len();
    h.flush_heap(0x1C, None);
    body_end = h.out.len() - body_end; // not used further
    let _ = body_end;
    let mut bytes = h.out.clone();
    let n = bytes.len();
    // the last sub-record is the empty array: its count is 8+4 bytes after its tag... patch it
    let tag_at = n - (1 + 8 + 4 + 4 + 8);
    assert_eq!(bytes[tag_at], 0x22);
    bytes[tag_at + 13..tag_at + 17].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    h.out = bytes;
    h.end_dump();
    let e = parse_bytes(h.out).err().expect("corrupt");
    assert_eq!(e.offset, tag_at as u64, "{e}");
    // an unknown sub-record tag
    let mut h = synth::small_heap("1.0.2", 8);
    h.root(0x77, 1);
    h.flush_heap(0x1C, None);
    h.end_dump();
    assert!(parse_bytes(h.out)
        .err()
        .expect("corrupt")
        .expected
        .contains("sub-record tag"));
    // ids that point nowhere: a warning
    let mut h = synth::small_heap("1.0.2", 8);
    h.instance(0x9100, 0x300, &[(synth::T_OBJECT, 0xDEAD_BEEF)]);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let p = parse_bytes(h.out).unwrap();
    assert!(
        p.info.warnings.iter().any(|w| w.contains("0xdeadbeef")),
        "{:?}",
        p.info.warnings
    );
}

/// Objects whose JVM size includes fields the VM injects (or @Contended padding): the whole
/// class row equals jcmd's, count and bytes, on every fixture (see parsers/src/hprof/layout.rs).
#[test]
fn hprof_injected_field_sizes_equal_jcmd() {
    const INJECTED: &[&str] = &[
        "java.lang.Thread",
        "java.lang.Module",
        "java.lang.invoke.MemberName",
        "java.lang.invoke.ResolvedMethodName",
        "jdk.internal.loader.ClassLoaders$AppClassLoader",
        "jdk.internal.loader.ClassLoaders$PlatformClassLoader",
        "java.lang.String",
    ];
    for (name, path) in fixtures() {
        let p = parse(&path);
        let ours = our_histogram(&p.graph);
        let jcmd = jcmd_histogram(&name);
        for class in INJECTED {
            let (count, bytes) = jcmd[*class];
            let mine = ours.get(class).copied().unwrap_or((0, 0));
            if mine.0 != count {
                // jcmd's own String allocations (JDK-internal classes may differ by a few)
                assert!(*class == "java.lang.String", "{name}: count of {class}");
                continue;
            }
            assert_eq!(mine.1, bytes, "{name}: bytes of {count} {class}");
        }
    }
}

/// Class objects are sized as the JVM sizes mirrors (java.lang.Class's instance size, injected
/// fields included, plus the class's statics), the convention of `jcmd GC.class_histogram`;
/// Eclipse MAT and VisualVM use their own (MAT: statics plus a header guess; VisualVM does not
/// count CLASS DUMPs as java.lang.Class), heapscope follows the JVM.
#[test]
fn hprof_class_mirror_sizes() {
    for (name, path) in fixtures() {
        let p = parse(&path);
        let g = &p.graph;
        let (count, bytes) = jcmd_histogram(&name)["java.lang.Class"];
        let (mine, my_bytes) = our_histogram(g)["java.lang.Class"];
        // the smallest mirror: a class without statics (and each of the 9 primitive mirrors)
        let smallest = (0..g.node_count())
            .filter(|&n| g.type_name(NodeIdx(n as u32)) == "java.lang.Class")
            .map(|n| g.shallow[n])
            .min()
            .unwrap();
        let primitive_mirrors: Vec<u64> = (0..g.node_count())
            .filter(|&n| {
                g.type_name(NodeIdx(n as u32)) == "java.lang.Class" && !is_class_dump(g, n)
            })
            .map(|n| g.shallow[n])
            .collect();
        assert_eq!(primitive_mirrors.len(), 9, "{name}");
        assert!(primitive_mirrors.iter().all(|&s| s == smallest), "{name}");
        if mine == count {
            // no archived mirrors outside the dump: to the byte
            assert_eq!(my_bytes, bytes, "{name}: java.lang.Class bytes");
        } else {
            // jcmd also counts the CDS-archived mirrors of classes never loaded (not in the
            // dump): at least the smallest mirror each, at most what jcmd says
            assert!(mine < count, "{name}: {mine} mirrors vs jcmd {count}");
            let missing = bytes - my_bytes;
            assert!(
                missing >= (count - mine) * smallest && missing <= (count - mine) * 4 * smallest,
                "{name}: {} missing mirrors take {missing} bytes",
                count - mine
            );
        }
    }
}
