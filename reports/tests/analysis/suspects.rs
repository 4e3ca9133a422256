//! Suspects on heaps of the parsers' shapes: the culprit first, with the holder a developer
//! edits, the right pattern, a path from a real root to the accumulation point.

use crate::facts::Format;
use heapscope_reports::patterns::Pattern;
use heapscope_reports::{Report, ReportOptions, Suspect};

use super::heaps::*;

fn first(r: &Report) -> &Suspect {
    r.suspects
        .first()
        .unwrap_or_else(|| panic!("no suspect in {}", r.input.path))
}

/// The path starts at a GC root and ends at the accumulation point.
fn assert_rooted(s: &Suspect) {
    let p = &s.path_to_root;
    assert!(!p.is_empty(), "suspect {:?} has no path", s.title);
    assert!(
        p[0].root_kind.is_some(),
        "the path of {:?} does not start at a GC root: {:?}",
        s.title,
        p[0]
    );
    assert!(p[0].via.is_none() || p[0].root_kind.is_some());
    for e in &p[1..] {
        assert!(e.root_kind.is_none());
    }
    if let Some(ap) = &s.accumulation_point {
        assert_eq!(
            &p.last().unwrap().id,
            &ap.id,
            "the path of {:?} leads to the accumulation point",
            s.title
        );
    }
}

#[test]
fn static_map_names_the_static_field_not_the_class_loader() {
    let h = java_static_map(3000);
    let r = h.report(
        info(Format::Hprof),
        "static_map.hprof",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.kind, "single-object");
    assert_eq!(s.pattern, "global-container");
    assert!(
        s.title.starts_with("class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap: 3,000 × com.acme.Session"),
        "{}",
        s.title
    );
    assert!(!s.title.contains("ClassLoader"), "{}", s.title);
    assert_eq!(s.type_name, "java.util.HashMap");
    assert_eq!(
        s.object_count, 3000,
        "the HashMap's table holds 3,000 entries"
    );
    assert_rooted(s);
    let last = s.path_to_root.last().unwrap();
    assert_eq!(last.via.as_deref(), Some("static SESSIONS"));
    assert!(
        s.accumulated
            .iter()
            .any(|it| it.type_name == "com.acme.Session" && it.count == 3000),
        "{:?}",
        s.accumulated
    );
    assert!(
        !s.accumulated
            .iter()
            .any(|it| it.type_name.contains("HashMap$Node")),
        "collection insides are not items"
    );
    assert!(s.fix.is_some() && !s.explanation.is_empty());
    // The share and bytes agree with the summary.
    let share = s.retained_bytes as f64 / r.summary.reachable_bytes as f64;
    assert!((share - s.retained_share).abs() < 1e-5);
}

#[test]
fn threshold_and_floor_decide_what_is_a_suspect() {
    let h = java_static_map(3000);
    let none = h.report(
        info(Format::Hprof),
        "x.hprof",
        &ReportOptions {
            threshold: 0.99,
            ..ReportOptions::default()
        },
    );
    assert!(
        none.suspects.is_empty(),
        "{:?}",
        none.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
    let floor = h.report(
        info(Format::Hprof),
        "x.hprof",
        &ReportOptions {
            min_suspect_bytes: 1 << 40,
            ..ReportOptions::default()
        },
    );
    assert!(floor.suspects.is_empty());
    // A tiny leak under the default 64 KiB floor is no suspect, whatever its share.
    let tiny = java_static_map(20);
    let r = tiny.report(
        info(Format::Hprof),
        "x.hprof",
        &ReportOptions {
            threshold: 0.01,
            ..ReportOptions::default()
        },
    );
    assert!(r.summary.reachable_bytes < 64 * 1024);
    assert!(r.suspects.is_empty());
    let r = tiny.report(
        info(Format::Hprof),
        "x.hprof",
        &ReportOptions {
            threshold: 0.01,
            min_suspect_bytes: 0,
            ..ReportOptions::default()
        },
    );
    assert!(!r.suspects.is_empty());
}

#[test]
fn thread_locals_of_four_pool_threads_are_one_suspect_naming_the_thread_local() {
    let h = java_thread_locals(640 * 1024);
    let r = h.report(
        info(Format::Hprof),
        "thread_locals.hprof",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.pattern, "thread-local");
    assert_eq!(s.kind, "group-of-objects");
    assert_eq!(s.object_count, 4);
    assert!(
        s.title
            .contains("ThreadLocal com.acme.RequestContext.BUFFER › value › byte[]"),
        "{}",
        s.title
    );
    assert!(s.title.contains("thread \"worker-"), "{}", s.title);
    assert!(s.retained_bytes >= 4 * 640 * 1024);
    assert_rooted(s);
    assert_eq!(
        s.path_to_root[0].root_kind.as_deref(),
        Some("thread object")
    );
    assert_eq!(
        r.suspects
            .iter()
            .filter(|x| x.pattern == "thread-local")
            .count(),
        1,
        "one suspect, not one per thread or per level"
    );
}

/// Far more instances than the group's sample (10,000, the largest): the sample alone is under
/// the threshold, every member together is most of the heap; the group counts them all.
#[test]
fn a_group_of_many_small_objects_counts_every_member_not_the_sample() {
    let n = 150_000;
    let h = v8_sessions(n);
    let r = h.report(
        info(Format::V8),
        "sessions.heapsnapshot",
        &ReportOptions::default(),
    );
    let s = r
        .suspects
        .iter()
        .find(|s| s.type_name == "Session")
        .unwrap_or_else(|| panic!("no Session suspect: {:?}", r.suspects));
    assert_eq!(s.kind, "group-of-objects");
    assert_eq!(s.object_count, n as u64);
    // Each session retains itself and its array, nothing else.
    assert_eq!(s.retained_bytes, n as u64 * (120 + 32));
    let share = s.retained_bytes as f64 / r.summary.reachable_bytes as f64;
    assert!(share > 0.5, "{share}");
    assert!(s.title.contains("150,000 × Session"), "{}", s.title);
    assert_rooted(s);
    // Every session is in the one Map `sessions` (and the Set `byUser`, which is why neither
    // dominates them): the group is reported as held by that Map, a collection that grows.
    assert!(
        s.title.starts_with("variable sessions › Map: "),
        "{}",
        s.title
    );
    let point = s.accumulation_point.as_ref().expect("a point");
    assert_eq!(point.type_name, "Map");
    assert_eq!(
        s.path_to_root.last().map(|p| p.type_name.as_str()),
        Some("Map")
    );
    assert!(
        ["unbounded-collection", "global-container"].contains(&s.pattern.as_str()),
        "{}",
        s.pattern
    );
}

/// A group spread over many collections alike (one per user) is in no one collection: it is
/// reported by the shape of its members' path, and no collection is named as its holder.
#[test]
fn a_group_spread_over_many_collections_names_no_one_collection() {
    let h = java_thread_locals(640 * 1024);
    let r = h.report(info(Format::Hprof), "tl.hprof", &ReportOptions::default());
    let s = first(&r);
    assert_eq!(s.kind, "group-of-objects");
    assert_eq!(s.object_count, 4);
    assert!(s.title.contains(", each held like "), "{}", s.title);
    assert_eq!(
        s.accumulation_point.as_ref().map(|p| p.type_name.as_str()),
        Some("byte[]")
    );
}

/// Objects of one type held in many ways, none over the threshold alone, most of the heap
/// together: one group of the type, every member counted, its largest ways listed with their
/// true counts. A built-in type held so names nothing the program defines: no group.
#[test]
fn a_type_held_in_many_ways_is_one_group_listing_its_largest_ways() {
    let (families, per) = (14, 300);
    let h = v8_held_many_ways("AstNode", families, per);
    let r = h.report(
        info(Format::V8),
        "ast.heapsnapshot",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.kind, "group-of-objects");
    assert_eq!(s.type_name, "AstNode");
    assert_eq!(s.object_count, (families * per) as u64);
    assert_eq!(s.retained_bytes, (families * per * 200) as u64);
    assert_eq!(s.pattern, "unknown");
    let n = heapscope_reports::fmt::thousands((families * per) as u64);
    assert!(
        s.title.starts_with(&format!("{n} × AstNode, ")),
        "{}",
        s.title
    );
    assert!(
        s.title
            .contains("held in several ways (the largest like variable family"),
        "{}",
        s.title
    );
    // Three ways listed, each with every one of its members (not a sample's).
    let way = format!(
        "{per} objects, {}, held like … ",
        heapscope_reports::fmt::human_bytes(per as u64 * 200)
    );
    assert_eq!(s.explanation.matches(&way).count(), 3, "{}", s.explanation);
    assert_rooted(s);
    assert_eq!(s.accumulated.len(), 1);
    assert_eq!(s.accumulated[0].count, (families * per) as u64);
    // No family alone is a suspect.
    assert_eq!(
        r.suspects.len(),
        1,
        "{:?}",
        r.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
    );

    let h = v8_held_many_ways("Object", families, per);
    let r = h.report(
        info(Format::V8),
        "objects.heapsnapshot",
        &ReportOptions::default(),
    );
    assert!(
        r.suspects.is_empty(),
        "{:?}",
        r.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
}

/// A browser's detached DOM trees are one finding from 1% of the heap, under the threshold:
/// named by the array that keeps them (the window's property, as the page's code names it),
/// every tree counted, the detached fix. Under 1% they are not a suspect.
#[test]
fn detached_dom_trees_are_one_finding_named_by_what_keeps_them() {
    let (live, dialogs) = (9_000, 1_500);
    let h = v8_browser_detached(live, dialogs);
    let r = h.report(
        info(Format::V8),
        "page.heapsnapshot",
        &ReportOptions::default(),
    );
    let d = r
        .suspects
        .iter()
        .find(|s| s.title.contains("detached DOM"))
        .unwrap_or_else(|| panic!("no detached suspect: {:?}", r.suspects));
    // 1,500 dialogs of 400 B, and the stray object: ~6% of the heap, under the 10% threshold.
    assert!(
        d.retained_share < 0.1 && d.retained_share > 0.01,
        "{}",
        d.retained_share
    );
    assert_eq!(d.object_count, dialogs as u64 + 1);
    assert_eq!(d.retained_bytes, dialogs as u64 * 400 + 64);
    assert!(
        d.title
            .starts_with("window.app › Object › dialogHistory › Array: 1,501 detached DOM trees, "),
        "{}",
        d.title
    );
    assert_eq!(d.accumulated[0].type_name, "Detached <div class=\"modal\">");
    assert_eq!(d.accumulated[0].count, dialogs as u64);
    assert!(
        d.fix.as_deref().is_some_and(|f| f.contains("WeakRef")),
        "{:?}",
        d.fix
    );
    assert!(
        !d.explanation.contains("No known leak pattern"),
        "{}",
        d.explanation
    );
    assert_rooted(d);

    // 1,500 dialogs among 100,000 live rows: 0.6%, no suspect.
    let h = v8_browser_detached(100_000, dialogs);
    let r = h.report(
        info(Format::V8),
        "page.heapsnapshot",
        &ReportOptions::default(),
    );
    assert!(
        r.suspects.iter().all(|s| !s.title.contains("detached")),
        "{:?}",
        r.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
}

/// A Go heap dump names no types: structs all in one global slice's backing array and also in a
/// map are reported as held by that block and "also held elsewhere" (emptying the slice alone
/// frees nothing).
#[test]
fn go_dump_structs_in_one_block_and_a_map_are_also_held_elsewhere() {
    let n = 300;
    let h = go_dump_slice_and_map(n);
    let facts =
        heapscope_graph::DumpFacts::object_graph("go-heapdump", heapscope_graph::Runtime::Go);
    let r = h.report(facts, "heap.dump", &ReportOptions::default());
    let s = first(&r);
    assert_eq!(s.kind, "group-of-objects");
    assert_eq!(s.object_count, n as u64);
    assert_eq!(s.retained_bytes, n as u64 * (128 + 4096));
    // The other holder is named: the second global's block.
    assert!(
        s.title.contains(
            "size class 40960 B: 300 × size class 128 B also held by [global] size class 57344 B"
        ),
        "{}",
        s.title
    );
    assert_eq!(
        s.accumulation_point.as_ref().map(|p| p.type_name.as_str()),
        Some("size class 40960 B")
    );
    // The same heap as a JVM's (types that name no collection): no block is taken for one.
    let r = h.report(info(Format::Hprof), "heap.hprof", &ReportOptions::default());
    assert!(
        !first(&r).title.contains("also held"),
        "{}",
        first(&r).title
    );
}

/// Sessions in a static HashMap and, every one, in another class's static list: the group is
/// reported in the collection its shortest paths meet in, and the other is named as also
/// holding them (emptying either alone frees nothing).
#[test]
fn a_group_in_one_collection_names_the_other_holder() {
    let n = 3000;
    let h = java_sessions_in_two_collections(n);
    let r = h.report(info(Format::Hprof), "x.hprof", &ReportOptions::default());
    // The group is the sessions or their payloads (each session holds one), 3,000 either way.
    let s = r
        .suspects
        .iter()
        .find(|s| s.object_count == n as u64 && s.title.contains("also held"))
        .unwrap_or_else(|| {
            panic!(
                "no group of the sessions: {:?}",
                r.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
            )
        });
    assert_eq!(s.object_count, n as u64);
    // Whichever collection the paths meet in, the other one is named.
    let (first_holder, other) = if s.title.starts_with("class com.acme.SessionRegistry") {
        (
            "static SESSIONS",
            "class com.acme.Audit › static RECENT › java.util.ArrayList,",
        )
    } else {
        (
            "static RECENT",
            "class com.acme.SessionRegistry › static SESSIONS › java.util.HashMap,",
        )
    };
    assert!(s.title.contains(first_holder), "{}", s.title);
    assert!(
        s.title.contains(&format!("also held by {other}")),
        "{}",
        s.title
    );
    let other = other.trim_end_matches(',');
    assert_eq!(s.also_held_by.as_deref(), Some(other));
    assert!(
        s.explanation
            .contains(&format!("also referred to from {other}, so")),
        "{}",
        s.explanation
    );
    assert_rooted(s);
}

/// A few large buffers in a static list are large objects, not a collection that grows: no
/// collection pattern below `MIN_COLLECTION_ENTRIES` entries, one from there on.
#[test]
fn a_collection_pattern_needs_more_than_a_few_entries() {
    use heapscope_reports::patterns::MIN_COLLECTION_ENTRIES;
    let pattern = |n: u64| {
        let h = java_static_list(n as usize, (64 << 20) / n);
        let r = h.report(
            info(Format::Hprof),
            "blobs.hprof",
            &ReportOptions::default(),
        );
        let s = first(&r);
        assert!(
            s.title.contains("com.acme.Blobs › static BLOBS"),
            "{}",
            s.title
        );
        assert_eq!(s.object_count, n);
        s.pattern
    };
    for few in [2, 4, MIN_COLLECTION_ENTRIES - 1] {
        assert_eq!(pattern(few), "unknown", "{few} entries");
    }
    for many in [MIN_COLLECTION_ENTRIES, 1000] {
        assert_eq!(pattern(many), "global-container", "{many} entries");
    }
}

#[test]
fn emitter_listeners_name_the_module_variable_and_the_event() {
    let h = v8_emitter(1500);
    let r = h.report(
        info(Format::V8),
        "emitter.heapsnapshot",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.pattern, "listener-list");
    assert!(
        s.title
            .starts_with("variable bus › ConfigBus › _events › Object › configChanged › Array"),
        "{}",
        s.title
    );
    assert!(!s.title.contains("system / Context ›"), "{}", s.title);
    assert_eq!(s.type_name, "Array");
    assert_rooted(s);
    assert!(
        s.accumulated
            .iter()
            .any(|it| it.type_name == "(closure)" && it.count == 1500),
        "{:?}",
        s.accumulated
    );
    assert!(
        s.title.contains("1,500 × Session"),
        "items name the user's type, not (closure): {}",
        s.title
    );
    // Runtime categories such as (compiled code) are never group suspects.
    assert!(
        r.suspects.iter().all(|x| !x.type_name.starts_with('(')),
        "{:?}",
        r.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
}

#[test]
fn a_closure_context_chain_stops_at_its_head() {
    let h = v8_closure_chain(120);
    let r = h.report(
        info(Format::V8),
        "closure.heapsnapshot",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.pattern, "closure-context");
    assert!(
        s.title
            .starts_with("variable theThing › Object › someMethod › (closure)"),
        "{}",
        s.title
    );
    assert!(s.title.contains("a chain of"), "{}", s.title);
    assert!(
        s.path_to_root.len() <= 5,
        "the path ends at the chain's head: {:?}",
        s.path_to_root.len()
    );
    assert_rooted(s);
}

#[test]
fn go_allocation_sites_skip_runtime_frames_and_name_the_growth() {
    let t = go_heap();
    let r = t
        .heap()
        .report(info(Format::Pprof), "heap.pb.gz", &ReportOptions::default());
    let s = first(&r);
    assert_eq!(s.kind, "allocation-site");
    assert_eq!(
        s.type_name, "main.record",
        "first user frame above runtime.growslice/mallocgc"
    );
    assert_eq!(s.pattern, "unbounded-collection");
    assert!(
        s.title.contains("allocated at main.record ← main.main"),
        "{}",
        s.title
    );
    assert!(s.title.contains("(in runtime.mallocgc)"), "{}", s.title);
    let stack: Vec<&str> = s
        .path_to_root
        .iter()
        .map(|p| p.type_name.as_str())
        .collect();
    assert_eq!(
        stack,
        [
            "runtime.main",
            "main.main",
            "main.record",
            "runtime.growslice",
            "runtime.mallocgc"
        ]
    );
    assert_eq!(
        s.path_to_root[0].root_kind.as_deref(),
        Some("outermost frame")
    );
    let g = r
        .suspects
        .iter()
        .find(|x| x.type_name == "main.streamWorker")
        .expect("the goroutine's buffers");
    // Allocated in a goroutine: an allocation stack does not say the goroutine waits.
    assert_eq!(g.pattern, "unknown");
    let rt = r
        .suspects
        .iter()
        .find(|x| x.type_name == "runtime.malg")
        .expect("runtime allocations stay, as unknown");
    assert_eq!(rt.pattern, "unknown");
    // Recognised patterns rank before unknown ones.
    let first_unknown = r
        .suspects
        .iter()
        .position(|x| x.pattern == "unknown")
        .unwrap();
    assert!(r.suspects[..first_unknown]
        .iter()
        .all(|x| x.pattern != "unknown"));
    assert!(r.suspects[first_unknown..]
        .iter()
        .all(|x| x.pattern == "unknown"));
}

/// A heap profile calls a site a goroutine leak only when its stack shows a goroutine (no
/// runtime.main / main.main) parked in a blocking wait, and could not have been cut at the Go
/// runtime's 32 frames (then its outermost callers, main.main among them, are missing).
#[test]
fn go_heap_sites_are_goroutine_leaks_only_when_parked_and_complete() {
    let pattern_of = |frames: &[&str]| {
        let mut t = Tree::new();
        t.sample(frames, 5_000_000, 100);
        t.sample(&["runtime.main", "main.main", "main.other"], 100, 1);
        let r = t
            .heap()
            .report(info(Format::Pprof), "heap.pb.gz", &ReportOptions::default());
        first(&r).pattern
    };
    let parked = ["main.serve", "runtime.chanrecv", "main.buffer"];
    assert_eq!(pattern_of(&parked), "goroutine-leak");
    // The same under the main goroutine, or not parked: no goroutine verdict.
    let under_main = [&["runtime.main", "main.main"][..], &parked[..]].concat();
    assert_eq!(pattern_of(&under_main), "unknown");
    assert_eq!(pattern_of(&["main.serve", "main.buffer"]), "unknown");
    // 32 frames of recursion: the outer callers may be cut off; 29 (with up to three of the
    // allocator's runtime frames left out by the writer, 32 recorded) too; 28 cannot be cut.
    let deep = |n: usize| {
        let mut f = vec!["main.walk"; n - parked.len()];
        f.extend(parked);
        f
    };
    assert_eq!(pattern_of(&deep(32)), "unknown");
    assert_eq!(pattern_of(&deep(29)), "unknown");
    assert_eq!(pattern_of(&deep(28)), "goroutine-leak");
}

#[test]
fn go_fragmentation_from_memstats_is_a_runtime_finding_ranked_first() {
    let t = go_heap();
    let r = t.heap().report(
        go_memstats(36_757_504, 9_847_952),
        "heap.txt",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(
        (s.kind.as_str(), s.pattern.as_str()),
        ("runtime", "fragmentation")
    );
    assert!(s.path_to_root.is_empty(), "kind runtime has no path");
    assert_eq!(s.retained_bytes, 36_757_504 - 9_847_952);
    assert!(
        (s.retained_share - 0.732).abs() < 0.001,
        "{}",
        s.retained_share
    );
    // A healthy ratio is no finding.
    let r = t.heap().report(
        go_memstats(1_998_848, 1_459_392),
        "heap.txt",
        &ReportOptions::default(),
    );
    assert!(r.suspects.iter().all(|s| s.pattern != "fragmentation"));
}

#[test]
fn goroutine_profile_gives_a_goroutine_leak() {
    let t = go_goroutines();
    let r = t.heap().report(
        goroutine_info(),
        "goroutine.pb.gz",
        &ReportOptions::default(),
    );
    assert_eq!(
        r.suspects.len(),
        1,
        "{:?}",
        r.suspects.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
    let s = first(&r);
    assert_eq!(
        (s.kind.as_str(), s.pattern.as_str()),
        ("runtime", "goroutine-leak")
    );
    assert_eq!(s.object_count, 2000);
    assert_eq!(s.type_name, "main.streamWorker");
    assert!(
        s.title
            .starts_with("2,000 goroutines (99.8%) blocked in main.streamWorker"),
        "{}",
        s.title
    );
    assert!(s.stack.iter().any(|p| p.type_name == "runtime.gopark"));
    assert!(s.path_to_root.is_empty());
}

#[test]
fn tracemalloc_without_sources_says_unknown() {
    let mut t = Tree::new();
    t.sample(&["app.py:40", "app.py:12"], 900_000, 4000);
    t.sample(
        &["app.py:40", "/usr/lib/python3.12/json/encoder.py:200"],
        50_000,
        10,
    );
    let r = t.heap().report(
        info(Format::Tracemalloc),
        "snap.tracemalloc",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.type_name, "app.py:12");
    assert_eq!(s.pattern, "unknown", "no names say more");
    assert!(
        s.title.contains("allocated at app.py:12 ← app.py:40"),
        "{}",
        s.title
    );
}

/// A traceback cut at tracemalloc's frame limit inside installed packages and the import
/// machinery: no frame is the program's own, so the finding names the innermost frame and says
/// so, instead of calling it the first user frame; a site with a user frame keeps that wording.
#[test]
fn tracemalloc_stack_without_own_code_is_not_called_a_user_frame() {
    let lib = "/srv/venv/lib/python3.11/site-packages/sympy/core/basic.py:120";
    let mut t = Tree::new();
    t.sample(
        &[
            lib,
            "<frozen importlib._bootstrap>:1178",
            "<frozen importlib._bootstrap_external>:729",
        ],
        900_000,
        4000,
    );
    t.sample(&["app.py:40", "app.py:12"], 400_000, 10);
    let r = t.heap().report(
        info(Format::Tracemalloc),
        "snap.tracemalloc",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert_eq!(s.type_name, "<frozen importlib._bootstrap_external>:729");
    assert!(
        !s.explanation.contains("first user frame"),
        "{}",
        s.explanation
    );
    assert!(
        s.explanation.contains(
            "allocated at <frozen importlib._bootstrap_external>:729, and all 3 frames recorded for them are the runtime's, its standard library's or installed packages'"
        ),
        "{}",
        s.explanation
    );
    let own = r
        .suspects
        .iter()
        .find(|s| s.type_name == "app.py:12")
        .expect("the app's own site is a suspect too");
    assert!(
        own.explanation
            .contains("allocated with app.py:12 as the first user frame"),
        "{}",
        own.explanation
    );
}

#[test]
fn same_input_same_report() {
    let a = heapscope_reports::render::json::render(&java_thread_locals(300_000).report(
        info(Format::Hprof),
        "t.hprof",
        &ReportOptions::default(),
    ));
    let b = heapscope_reports::render::json::render(&java_thread_locals(300_000).report(
        info(Format::Hprof),
        "t.hprof",
        &ReportOptions::default(),
    ));
    assert_eq!(a, b);
}

/// An Android-style holder class whose static array is most of what it retains: the suspect is
/// the array, with the array's own retained size (not the class's), and the class's size is in
/// the explanation.
#[test]
fn a_suspect_carries_its_own_retained_size_not_its_holders() {
    let (mut h, classes, _) = java_base(200);
    let holder = h.class("com.acme.ImageCache");
    h.edge(classes, holder, "[0]");
    let buf = h.obj("byte[]", 1_000_016);
    h.edge(holder, buf, "static BUF");
    let extra = h.obj("java.lang.Object[]", 16 + 8 * 100);
    h.edge(holder, extra, "static EXTRA");
    for i in 0..100 {
        let o = h.obj("com.acme.Thumb", 3_200);
        h.edge(extra, o, &format!("[{i}]"));
    }
    let r = h.report(info(Format::Hprof), "art.hprof", &ReportOptions::default());
    let s = first(&r);
    assert_eq!(s.type_name, "byte[]");
    let ap = s.accumulation_point.as_ref().expect("accumulation point");
    assert_eq!(ap.type_name, "byte[]");
    assert_eq!(s.retained_bytes, 1_000_016, "{}", s.title);
    assert_eq!(ap.retained_bytes, s.retained_bytes);
    assert!(s.title.contains("976.6 KiB"), "{}", s.title);
    assert!(
        s.explanation
            .contains("retains 1.3 MiB; the bytes accumulate in byte[]")
            && s.explanation.contains("which retains 976.6 KiB"),
        "{}",
        s.explanation
    );
}

/// Interned strings under a JNI global, past the threshold of a small heap: the JVM's own data,
/// labelled so, with no application pattern, after the application's suspects.
#[test]
fn runtime_owned_data_is_labelled_not_blamed() {
    let (h, _, _) = java_base(3000);
    let opts = ReportOptions {
        min_suspect_bytes: 0,
        ..ReportOptions::default()
    };
    let r = h.report(info(Format::Hprof), "healthy.hprof", &opts);
    let s = r
        .suspects
        .iter()
        .find(|s| s.type_name == "java.lang.Object[]")
        .expect("the interned-string table passes the threshold");
    assert!(s.runtime_owned, "{}", s.title);
    assert_eq!(s.pattern, "unknown");
    assert!(s.title.starts_with("Runtime-owned: "), "{}", s.title);
    assert!(s.explanation.contains("not an application leak"));
    // An application's static map in the same heap is still blamed, and ranks first.
    let r = java_static_map(3000).report(info(Format::Hprof), "leak.hprof", &opts);
    assert!(!r.suspects[0].runtime_owned);
    assert_eq!(r.suspects[0].pattern, "global-container");
    assert!(r
        .suspects
        .iter()
        .skip_while(|s| !s.runtime_owned)
        .all(|s| s.runtime_owned));
}

/// What is accumulated below a node (one walk answering counts, shallow bytes and MAT's minimum
/// retained size per type) against the graph's own walks done one by one: the nodes of the
/// dominator subtree counted per type, and `walks::min_retained_by` for the retained column.
#[test]
fn accumulated_items_match_the_subtree_counted_type_by_type() {
    use heapscope_graph::{DomWalk, NodeIdx, Start, Step};
    use heapscope_reports::findings::accumulated_items;
    use heapscope_reports::Ctx;

    let heaps = [
        (java_static_map(300), Format::Hprof),
        (java_thread_locals(1 << 20), Format::Hprof),
        (v8_emitter(40), Format::V8),
        (v8_closure_chain(30), Format::V8),
    ];
    let mut compared = 0;
    for (h, format) in heaps {
        let policy = match &format {
            Format::V8 => heapscope_graph::Policy {
                weak_retains: false,
                orphans: heapscope_graph::Orphans::AttachAll,
            },
            _ => heapscope_graph::Policy::MAT,
        };
        let facts = info(format);
        let (a, insp) = h.analyse(policy);
        let ctx = Ctx {
            a: &a,
            info: &facts,
            insp: &insp,
        };
        let g = &a.graph;
        let nt = g.types.len();
        for v in (0..g.node_count() as u32).filter(|&v| a.dom.is_reachable(v)) {
            let n = NodeIdx(v);
            let min = a.min_retained_by(Start::Node(n), nt, |x| g.type_of[x as usize]);
            let mut count = vec![0u64; nt];
            let mut shallow = vec![0u64; nt];
            for step in DomWalk::new(&a.children, Start::Node(n)) {
                if let Step::Enter(c) = step {
                    count[g.type_of[c as usize] as usize] += g.count(NodeIdx(c));
                    shallow[g.type_of[c as usize] as usize] += g.shallow[c as usize];
                }
            }
            let rows = accumulated_items(&ctx, n, usize::MAX);
            for r in &rows {
                let t = (0..nt as u32)
                    .find(|&t| g.types.get(t) == r.type_name)
                    .unwrap_or_else(|| panic!("no type {}", r.type_name))
                    as usize;
                assert!(count[t] > 0, "{} is not below node {v}", r.type_name);
                assert_eq!(
                    (r.count, r.shallow_bytes, r.retained_bytes),
                    (count[t], shallow[t], min[t]),
                    "{} below node {v}",
                    r.type_name
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "only {compared} rows compared");
}

/// A class whose statics hold its bytes apart (no one field 70% of the class) is looked through:
/// each static over the threshold is a suspect under its own field; a class with one dominant
/// static is one suspect, walked down into that field.
#[test]
fn statics_that_hold_a_class_apart_are_suspects_of_their_own() {
    let titles = |a: usize, b: usize| {
        let r = java_two_statics(a, b).report(
            info(Format::Hprof),
            "statics.hprof",
            &ReportOptions::default(),
        );
        for s in &r.suspects {
            assert_rooted(s);
        }
        r.suspects
            .iter()
            .map(|s| (s.title.clone(), s.object_count))
            .collect::<Vec<_>>()
    };
    // 60% and 40%: two suspects, each named by its field.
    let apart = titles(600, 400);
    assert_eq!(apart.len(), 2, "{apart:?}");
    assert!(
        apart[0]
            .0
            .contains("class com.acme.Service › static CACHE › java.util.ArrayList"),
        "{apart:?}"
    );
    assert_eq!(apart[0].1, 600);
    assert!(
        apart[1]
            .0
            .contains("class com.acme.Service › static QUEUE › java.util.ArrayList"),
        "{apart:?}"
    );
    assert_eq!(apart[1].1, 400);
    // 90% and 10%: the walk from the class goes down into CACHE, one suspect.
    let one = titles(900, 100);
    assert!(one[0].0.contains("static CACHE"), "{one:?}");
    assert_eq!(one[0].1, 900);
    assert!(!one.iter().any(|t| t.0.contains("static QUEUE")), "{one:?}");
}

/// A recognised leak pattern ranks above an unknown finding unless that one retains at least
/// twice as much (javac on JDK 25: a 5% map of end-position tables was #1 above a 16% cache):
/// a static list of 64 KiB buffers, and one index object with a long[] of `ratio` times the
/// list's bytes.
fn pattern_and_unknown(ratio: f64) -> Report {
    // Each class a root of its own (system classes), so that neither dominates the other.
    let (mut h, _, _) = java_base(200);
    let owner = h.class("com.acme.Blobs");
    h.root(owner, "sticky class");
    let list = h.obj("java.util.ArrayList", 48);
    h.edge(owner, list, "static BLOBS");
    let arr = h.obj("java.lang.Object[]", 16 + 4 * 100);
    h.edge(list, arr, "elementData");
    for i in 0..100 {
        let data = h.obj("byte[]", 64 << 10);
        h.edge(arr, data, &format!("[{i}]"));
    }
    let idx_class = h.class("com.acme.Index");
    h.root(idx_class, "sticky class");
    let index = h.obj("com.acme.Index", 32);
    h.edge(idx_class, index, "static INSTANCE");
    let words = h.obj("long[]", (100.0 * 65536.0 * ratio) as u64);
    h.edge(index, words, "words");
    h.report(
        info(Format::Hprof),
        "x.hprof",
        &ReportOptions {
            threshold: 0.05,
            ..ReportOptions::default()
        },
    )
}

#[test]
fn a_pattern_ranks_first_unless_an_unknown_finding_is_twice_its_size() {
    for (ratio, pattern_first) in [(0.6, true), (1.5, true), (2.5, false), (6.0, false)] {
        let r = pattern_and_unknown(ratio);
        let kinds: Vec<(String, u64)> = r
            .suspects
            .iter()
            .map(|s| (format!("{:?}", s.pattern), s.retained_bytes))
            .collect();
        assert!(r.suspects.len() >= 2, "ratio {ratio}: {kinds:?}");
        let known = r
            .suspects
            .iter()
            .position(|s| s.pattern != Pattern::Unknown);
        let unknown = r
            .suspects
            .iter()
            .position(|s| s.pattern == Pattern::Unknown);
        let (known, unknown) = (
            known.unwrap_or_else(|| panic!("ratio {ratio}: no pattern in {kinds:?}")),
            unknown.unwrap_or_else(|| panic!("ratio {ratio}: no unknown in {kinds:?}")),
        );
        assert_eq!(known < unknown, pattern_first, "ratio {ratio}: {kinds:?}");
        // Ranks are 1.. in order.
        for (i, s) in r.suspects.iter().enumerate() {
            assert_eq!(s.rank as usize, i + 1);
        }
    }
}

/// The title counts what the accumulation point holds, not every object of that type below it
/// (MAT's accumulated objects by class): a Map of `n` parsed responses, each an Object holding
/// three more Objects, is "n × Object", not "4n × Object".
#[test]
fn a_headline_counts_the_entries_not_their_insides() {
    use heapscope_graph::NodeKind;
    let n = 2000;
    let mut h = Heap::new();
    let r = h.node("(GC roots)", NodeKind::Synthetic, 0);
    h.root(r, "synthetic root");
    let module = h.node("system / Context", NodeKind::Hidden, 48);
    h.edge(r, module, "[1]");
    let map = h.obj("Map", 32);
    h.edge(module, map, "apiCache");
    let table = h.node("(object elements)", NodeKind::Hidden, 16 + 8 * n as u64);
    h.edge(map, table, "table");
    for i in 0..n {
        let entry = h.obj("Object", 64);
        h.edge(table, entry, &format!("[{i}]"));
        for f in ["data", "headers", "meta"] {
            let inner = h.obj("Object", 200);
            h.edge(entry, inner, f);
        }
    }
    let r = h.report(
        info(Format::V8),
        "x.heapsnapshot",
        &ReportOptions::default(),
    );
    let s = first(&r);
    assert!(
        s.title.contains(&format!(
            "Map: {} × Object",
            heapscope_reports::fmt::thousands(n as u64)
        )),
        "{}",
        s.title
    );
    // The items below still count every object of the type.
    let all = s
        .accumulated
        .iter()
        .find(|it| it.type_name == "Object")
        .expect("Object among the items");
    assert_eq!(all.count, 4 * n as u64);
}

/// A headline whose type has ten times more objects below the point than at its nearest level
/// says how many there are in all: two linked lists of `k` nodes hanging from a holder are
/// "2 × Node (2k in all)"; the Map of parsed responses above (4n Objects for n at the nearest
/// level) keeps its plain count.
#[test]
fn a_headline_over_linked_lists_says_how_many_in_all() {
    use heapscope_graph::NodeKind;
    let k = 5_000u64;
    let mut h = Heap::new();
    let r = h.node("(GC roots)", NodeKind::Synthetic, 0);
    h.root(r, "synthetic root");
    let module = h.node("system / Context", NodeKind::Hidden, 48);
    h.edge(r, module, "[1]");
    let holder = h.obj("Holder", 32);
    h.edge(module, holder, "lists");
    for list in ["first", "second"] {
        let mut prev = holder;
        let mut label = list.to_string();
        for _ in 0..k {
            let node = h.obj("Node", 40);
            h.edge(prev, node, &label);
            prev = node;
            label = "next".into();
        }
    }
    let r = h.report(
        info(Format::V8),
        "x.heapsnapshot",
        &ReportOptions::default(),
    );
    let s = first(&r);
    let want = format!(
        "Holder: 2 × Node ({} in all)",
        heapscope_reports::fmt::thousands(2 * k)
    );
    assert!(s.title.contains(&want), "{} — wanted {want}", s.title);
}

/// A plain object naming an application's state (`globalThis.appState = {sessions, detached,
/// meta, pending}`) whose two big fields keep most of it, none 70%, is looked through as a
/// class's statics are: the suspects are the fields, with the bytes each retains (the oracle:
/// what the heap builder put below each), whatever the number of sessions (the small objects
/// directly below the holder, a WeakMap's values and promises, grow with it). An object whose
/// bytes are mostly in small fields (a dictionary) stays the point, and so does an instance of
/// a class the program defines.
#[test]
fn a_plain_holder_whose_fields_hold_it_apart_is_looked_through() {
    let report = |holder: &str, n: usize, dict: usize| {
        let (h, sessions, detached) = v8_plain_holder(holder, n, dict);
        let r = h.report(
            info(Format::V8),
            "app.heapsnapshot",
            &ReportOptions::default(),
        );
        for s in &r.suspects {
            assert_rooted(s);
        }
        (r, sessions, detached)
    };
    for n in [1_000, 4_000, 30_000] {
        let (r, sessions, detached) = report("Object", n, 0);
        let got: Vec<(&str, u64, u64)> = r
            .suspects
            .iter()
            .map(|s| (s.title.as_str(), s.retained_bytes, s.object_count))
            .collect();
        assert_eq!(got.len(), 2, "n = {n}: {got:?}");
        assert!(
            got[0]
                .0
                .starts_with("global.appState › Object › sessions › Map: "),
            "n = {n}: {got:?}"
        );
        assert_eq!((got[0].1, got[0].2), (sessions, n as u64), "n = {n}");
        assert!(
            got[1]
                .0
                .starts_with("global.appState › Object › detached › Array: "),
            "n = {n}: {got:?}"
        );
        assert_eq!((got[1].1, got[1].2), (detached, n as u64 / 250), "n = {n}");
    }
    // The same holder with 40,000 fields of its own (4 MB, more than the rest): a dictionary,
    // which is the accumulation point.
    let (r, _, _) = report("Object", 4_000, 40_000);
    assert!(
        first(&r)
            .title
            .starts_with("global.appState › Object: 40,000 × Entry, "),
        "{:?}",
        r.suspects
    );
    // A class the program defines is named, not looked through.
    let (r, _, _) = report("AppState", 4_000, 0);
    assert!(
        first(&r).title.starts_with("global.appState › AppState: "),
        "{:?}",
        r.suspects
    );
    assert_eq!(r.suspects.len(), 1, "{:?}", r.suspects);
}

/// The same on a real snapshot: Node's `v8.writeHeapSnapshot()` of testdata/node/plain_holder
/// (`appState = {sessions, meta, detached, pending}`, 1,000 sessions, 4 detached trees of 250
/// nodes): the two suspects are the two fields the program fills, each with what the program
/// put in it, not `appState` ("No known leak pattern fits", as heapscope m21 said).
#[test]
fn a_real_plain_holder_is_looked_through_to_its_fields() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/node/plain_holder/holder.heapsnapshot.gz");
    let parsed = heapscope_parsers::open(&path, &Default::default()).unwrap();
    let a = heapscope_graph::Analysis::run(parsed.graph);
    let meta = heapscope_reports::InputMeta {
        path: path.display().to_string(),
        size_bytes: 0,
    };
    let r = heapscope_reports::build_report(
        &a,
        &parsed.info,
        parsed.inspector.as_ref(),
        &meta,
        &ReportOptions::default(),
    );
    let got: Vec<(&str, &str)> = r
        .suspects
        .iter()
        .map(|s| (s.title.as_str(), s.accumulated[0].type_name.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0]
            .0
            .starts_with("global.appState › Object › sessions › Map: 1,000 × Session, "),
        "{got:?}"
    );
    assert!(
        got[1].0.starts_with(
            "global.appState › Object › detached › Array: 4 × FakeElement (1,000 in all), "
        ),
        "{got:?}"
    );
    // Everything the program put in each field is below it.
    let count = |s: &Suspect, t: &str| {
        s.accumulated
            .iter()
            .find(|r| r.type_name == t)
            .map_or(0, |r| r.count)
    };
    assert_eq!(count(&r.suspects[0], "Session"), 1_000);
    assert_eq!(count(&r.suspects[0], "User"), 1_000);
    assert_eq!(count(&r.suspects[1], "FakeElement"), 1_000);
}
