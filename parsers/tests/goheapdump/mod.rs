//! Go heap dumps (`runtime/debug.WriteHeapDump`): differential tests against what the same
//! process said at the same moment (testdata/go/heapdump/gen.sh): its pprof heap profile, as
//! `go tool pprof -raw` reads it (recorded per allocation site by `reference/record.sh`), and
//! `runtime.ReadMemStats` read just before the dump; plus roots, stable ids and bad input.

mod bad;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use heapscope_graph::{NodeIdx, Runtime};
use heapscope_parsers::{open, ParseOptions, Parsed};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/go/heapdump")
}

/// Every committed dump: (scenario, snapshot name such as `heap` or `heap.1`).
fn dumps() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for s in [
        "blocked_goroutines",
        "global_map",
        "healthy",
        "unbounded_slice",
    ] {
        let mut names: Vec<String> = std::fs::read_dir(dir().join(s))
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_suffix(".dump.gz").map(str::to_string)
            })
            .collect();
        names.sort();
        assert!(!names.is_empty(), "no dump in {s}");
        v.extend(names.into_iter().map(|n| (s.to_string(), n)));
    }
    v
}

fn parse(scenario: &str, name: &str, with_binary: bool) -> Parsed {
    let path = dir().join(scenario).join(format!("{name}.dump.gz"));
    let opts = ParseOptions {
        binary: with_binary.then(|| dir().join(scenario).join("binary.symtab")),
        ..Default::default()
    };
    open(&path, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `reference/<scenario>/<name>.sites.tsv`: site → (in-use objects, in-use bytes) per pprof.
fn pprof_sites(scenario: &str, name: &str) -> BTreeMap<String, (u64, u64)> {
    let p = dir().join(format!("reference/{scenario}/{name}.sites.tsv"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_string(),
                (f[1].parse().unwrap(), f[2].parse().unwrap()),
            )
        })
        .collect()
}

/// `<name>.memstats.json`'s number `key`.
fn memstat(scenario: &str, name: &str, key: &str) -> u64 {
    let p = dir().join(format!("{scenario}/{name}.memstats.json"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    v[key].as_u64().unwrap()
}

/// The rate the program sampled at: 1 when every allocation is in the profile.
fn sampled_every_allocation(scenario: &str) -> bool {
    let src = dir().join(format!("src/{scenario}/main.go"));
    std::fs::read_to_string(src)
        .unwrap()
        .contains("runtime.MemProfileRate = 1")
}

/// Per type name of sampled objects (not `size class …`): (objects, bytes, sizes seen).
fn our_sites(p: &Parsed) -> BTreeMap<String, (u64, u64, Vec<u64>)> {
    let g = &p.graph;
    let mut m: BTreeMap<String, (u64, u64, Vec<u64>)> = BTreeMap::new();
    for v in 0..g.node_count() as u32 {
        let t = g.type_name(NodeIdx(v));
        if t.starts_with("size class ") {
            continue;
        }
        let e = m.entry(t.to_string()).or_default();
        e.0 += 1;
        e.1 += g.shallow[v as usize];
        e.2.push(g.shallow[v as usize]);
    }
    m
}

/// With MemProfileRate = 1 every object is sampled: per allocation site, the in-use objects
/// and bytes of our graph are pprof's. (The dump's objects are whole size-class slots, and so
/// are the profile's sizes: mallocgc records the rounded size, except for tiny allocations,
/// which share 16-byte blocks and which none of these sites makes.)
///
/// The profile is as of the last GC, the dump as of its own instant: what the runtime's
/// background goroutines (the scavenger's timer) allocate between the program's
/// `runtime.GC()` and the dump is in the dump only. So: the program's own sites (`main.*`),
/// quiet at that moment, match exactly; every other site has at least pprof's numbers, and the
/// excess is at most 0.1% of the heap.
#[test]
fn sites_match_pprof_when_every_allocation_is_sampled() {
    let mut checked = 0;
    for (s, n) in dumps() {
        if !sampled_every_allocation(&s) {
            continue;
        }
        let p = parse(&s, &n, false);
        let total: u64 = p.graph.shallow.iter().sum();
        let ours: BTreeMap<String, (u64, u64)> = our_sites(&p)
            .into_iter()
            .map(|(k, v)| (k, (v.0, v.1)))
            .collect();
        let theirs = pprof_sites(&s, &n);
        assert!(theirs.len() >= 5, "{s}/{n}: too few pprof sites");
        let user = |m: &BTreeMap<String, (u64, u64)>| -> BTreeMap<String, (u64, u64)> {
            m.iter()
                .filter(|(k, _)| k.starts_with("main."))
                .map(|(k, v)| (k.clone(), *v))
                .collect()
        };
        assert!(!user(&theirs).is_empty(), "{s}/{n}: no main.* site");
        assert_eq!(user(&ours), user(&theirs), "{s}/{n}: the program's sites");
        let mut excess = 0;
        for (site, &(po, pb)) in &theirs {
            let (o, b) = ours.get(site).copied().unwrap_or_default();
            assert!(
                o >= po && b >= pb,
                "{s}/{n}: {site}: ours {o}/{b}, pprof {po}/{pb}"
            );
        }
        for (site, &(_, b)) in &ours {
            excess += b - theirs.get(site).map_or(0, |t| t.1);
        }
        assert!(
            excess * 1000 <= total,
            "{s}/{n}: {excess} bytes beyond pprof's"
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} dumps were sampled at rate 1");
}

/// With the default MemProfileRate (512 KiB) the profile holds a sample of the objects and
/// pprof scales each bucket by 1/(1 − e^(−size/rate)), as the runtime's writer does. Our
/// graph names exactly the sampled objects, so scaling them the same way gives pprof's
/// numbers, up to its truncation of each bucket to an integer.
#[test]
fn sampled_sites_scale_to_pprof_at_the_default_rate() {
    let rate = 512.0 * 1024.0;
    let (s, n) = ("unbounded_slice", "heap");
    assert!(!sampled_every_allocation(s));
    let ours = our_sites(&parse(s, n, false));
    let theirs = pprof_sites(s, n);
    // Every site pprof has (ours may also have what was sampled after the GC: see above).
    let (ok, tk) = (
        ours.keys().collect::<BTreeSet<_>>(),
        theirs.keys().collect::<BTreeSet<_>>(),
    );
    assert!(tk.is_subset(&ok), "pprof's sites {tk:?}, ours {ok:?}");
    assert!(tk.iter().any(|k| k.starts_with("main.")));
    for (site, (_, _, sizes)) in ours.iter().filter(|(k, _)| theirs.contains_key(*k)) {
        let scale = |z: u64| 1.0 / (1.0 - (-(z as f64) / rate).exp());
        let objects: f64 = sizes.iter().map(|&z| scale(z)).sum();
        let bytes: f64 = sizes.iter().map(|&z| z as f64 * scale(z)).sum();
        let (po, pb) = theirs[site];
        // One unit of truncation per bucket, at most one bucket per sampled object.
        let slack = sizes.len() as f64;
        assert!(
            (objects - po as f64).abs() <= slack,
            "{site}: {objects} objects scaled, pprof {po}"
        );
        assert!(
            (bytes - pb as f64).abs() <= slack + 1e-6 * pb as f64,
            "{site}: {bytes} bytes scaled, pprof {pb}"
        );
    }
}

/// Total object bytes and count against `runtime.ReadMemStats`, read right after the GC and
/// right before the dump with nothing allocated in between: HeapAlloc counts every allocated
/// slot of the in-use spans by its size class (tiny blocks as 16 B) — exactly the dump's
/// objects, since the world is stopped and every span swept before the dump is written. The
/// dump's own MemStats record (read in the same stop-the-world) says the same.
#[test]
fn heap_totals_are_read_memstats() {
    for (s, n) in dumps() {
        let p = parse(&s, &n, false);
        let total: u64 = p.graph.shallow.iter().sum();
        assert_eq!(total, memstat(&s, &n, "HeapAlloc"), "{s}/{n}: bytes");
        assert_eq!(
            p.graph.node_count() as u64,
            memstat(&s, &n, "HeapObjects"),
            "{s}/{n}: objects"
        );
        let m = p.info.memstats.as_ref().expect("the dump's MemStats");
        assert_eq!(m.heap_alloc, Some(total), "{s}/{n}: the dump's MemStats");
        assert_eq!(m.heap_inuse, Some(memstat(&s, &n, "HeapInuse")));
        assert_eq!(m.num_gc, Some(memstat(&s, &n, "NumGC")));
    }
}

#[test]
fn facts_say_go_object_graph_with_stable_addresses() {
    for (s, n) in dumps() {
        let p = parse(&s, &n, false);
        assert_eq!(p.info.format_name, "go-heapdump");
        assert_eq!(p.info.runtime, Runtime::Go);
        assert!(!p.info.is_call_tree());
        assert!(p.info.ids_stable);
        assert_eq!(crate::details(&p.info)["go_version"], "go1.19.8", "{s}/{n}");
        assert!(p.info.compressed);
        let ptrs = &crate::details(&p.info)["pointers"];
        assert_eq!(ptrs["into_heap_but_no_object"], 0, "{s}/{n}: {ptrs}");
        assert!(p.info.warnings.is_empty(), "{s}/{n}: {:?}", p.info.warnings);
    }
}

/// Root texts of a parsed dump: (kind, via).
fn roots(p: &Parsed) -> BTreeSet<(String, String)> {
    let g = &p.graph;
    g.roots
        .iter()
        .map(|r| {
            (
                g.root_kind_name(r).to_string(),
                g.labels.get(r.via).to_string(),
            )
        })
        .collect()
}

/// Globals are named by the binary's symbols (`main.userCache`), else by segment offset; each
/// goroutine frame is a root named `goroutine N · function`, its kind saying what it waits on.
#[test]
fn roots_name_globals_and_goroutine_frames() {
    let with = roots(&parse("global_map", "heap.2", true));
    assert!(with.contains(&("global".into(), "main.userCache".into())));
    let without = roots(&parse("global_map", "heap.2", false));
    assert!(without.iter().all(|(_, v)| !v.starts_with("main.")));
    assert!(without
        .iter()
        .any(|(k, v)| k == "global" && (v.starts_with("bss+0x") || v.starts_with("data+0x"))));

    let r = roots(&parse("unbounded_slice", "heap", true));
    assert!(r.contains(&("global".into(), "main.eventLog".into())));

    let r = roots(&parse("blocked_goroutines", "heap", true));
    let workers: BTreeSet<&str> = r
        .iter()
        .filter(|(k, v)| k == "goroutine stack (chan receive)" && v.ends_with(" · main.pollWorker"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(workers.len(), 200, "one root per blocked worker: {r:?}");
}

/// Go does not move objects: the payloads of the first snapshot are at the same addresses,
/// with the same site, in the second one of the same process.
#[test]
fn ids_are_addresses_that_survive() {
    let a = parse("global_map", "heap.1", false);
    let b = parse("global_map", "heap.2", false);
    let of = |p: &Parsed| -> BTreeMap<u64, String> {
        (0..p.graph.node_count() as u32)
            .map(NodeIdx)
            .filter(|&n| p.graph.type_name(n) == "main.newPayload")
            .map(|n| (p.graph.id(n), p.graph.type_name(n).to_string()))
            .collect()
    };
    let (ia, ib) = (of(&a), of(&b));
    assert_eq!(ia.len(), 2000);
    assert_eq!(ib.len(), 3000);
    assert!(ia.keys().all(|k| ib.contains_key(k)));
}

#[test]
fn memory_estimate_covers_the_parse_arrays_and_the_scan_stops_over_budget() {
    use heapscope_parsers::budget;
    use heapscope_parsers::goheapdump::records::{self, Block};
    let block = std::mem::size_of::<Block>() as u64;
    for (s, n) in dumps() {
        let path = dir().join(&s).join(format!("{n}.dump.gz"));
        let input = heapscope_parsers::Input::open(&path)
            .and_then(|i| i.gunzip())
            .unwrap();
        let data = input.bytes();
        let scan = records::scan(data).unwrap();
        let p = parse(&s, &n, false);
        let (nodes, samples) = (scan.objects.len() as u64, scan.samples.len() as u64);
        assert_eq!(nodes, p.graph.node_count() as u64, "{s}/{n}");
        assert!(
            scan.pointer_fields >= p.graph.edge_count() as u64,
            "{s}/{n}"
        );
        assert_eq!(scan.cut_short, None);
        // What the parse holds besides the builder's spilled columns: the scanned objects, the
        // alloc samples, a type and a CSR offset per object; the estimate is above it, in memory
        // more so (the builder's columns: id 8, type 4, shallow 8, kind 1; targets and labels).
        let held = nodes * (block + 4 + 4) + samples * budget::GO_PER_SAMPLE;
        let extra = samples * budget::GO_PER_SAMPLE;
        let need = budget::estimate(budget::GO, nodes, scan.pointer_fields, true) + extra;
        let floor = nodes * budget::GO_FLOOR_PER_NODE + extra;
        assert!(
            need >= held && floor >= held - 4 * nodes,
            "{s}/{n}: {need} {held}"
        );
        let in_memory = budget::estimate(budget::GO, nodes, scan.pointer_fields, false) + extra;
        assert!(
            in_memory >= held + 21 * nodes + 8 * p.graph.edge_count() as u64,
            "{s}/{n}"
        );
        // Over a budget the scan stops at a multiple of 4,096 objects, inside the file.
        let whole =
            records::scan_within_budget(data, u64::MAX, block, budget::GO_PER_SAMPLE).unwrap();
        assert_eq!(whole.objects.len() as u64, nodes);
        assert_eq!(whole.cut_short, None);
        if nodes > 4096 {
            let cut = records::scan_within_budget(data, 4096 * block - 1, block, 0).unwrap();
            assert_eq!(cut.objects.len(), 4096, "{s}/{n}");
            assert!(cut.cut_short.is_some_and(|at| at < data.len()), "{s}/{n}");
        }
    }
}
