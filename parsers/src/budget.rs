//! Will the analysis fit in this machine's memory? Checked from the dump's own counts before any
//! per-object array is allocated: a dump too big for the memory available is analysed out of
//! core ([`plan`]: the CSR and the analysis' arrays in spill files, docs/out-of-core.md), or,
//! with no spill directory on disk, refused with a clear message instead of an OOM kill. Each format gives its measured bytes per object and per reference
//! ([`Cost`]); pages of the mapped dump and of spill files are file-backed and not counted.
//!
//! HPROF (measured on the JDK 17 bench dump, benches/scripts/hprof/RESULTS.md: 44.8 M objects,
//! 62.4 M references): with the display columns spilled (the CLI's default; see
//! `heapscope_graph::column`) the peak is the CSR offsets (4 B/node) and targets (4 B/reference)
//! plus the analysis results (24 B/node + 2 bits) and the report: peak RssAnon 1,464 MiB,
//! 28.7 B/node besides the references; 30 is used. Under a cgroup limit the run also needs some
//! page cache for the dump and the spill files: with the check off it completes in 18 s at
//! 1,560 MiB and in 75 s at 1,500 MiB, so the estimate (1,539 MiB) is about where the run stops
//! being fast. Kept in memory, the columns add 21 B/node and 4 B/reference (60 is used).
//! References are not counted when the check runs; real Java heaps have 1.2–1.6 per object, so
//! 1.5 is used.
//!
//! V8 (the 1.05 GB bench snapshot, benches/scripts/v8/README.md: 12.7 M nodes, 37.8 M edges):
//! peak RssAnon 738,224 kB spilled (the parse, with types and labels in memory until resolved),
//! 1,144 MiB in memory; 40 B/node + 8 B/edge and 60 + 12 are used (809 MB and 1.21 GB there).
//! Node and edge counts come from `snapshot.node_count`/`edge_count`, capped by what the file's
//! bytes could hold.
//!
//! Since then (benches/scripts/ooc/RESULTS.md, 2026-12-04 evening) the HPROF builder's columns
//! grow in spill files and the passes' big arrays are spilled, so the in-memory runs peak lower:
//! 757 MiB on that HPROF (the dominators), 428 MiB on that V8 snapshot (the parse). The costs
//! above are kept on purpose: those runs lean on page cache for the spill files instead, and a
//! run whose estimate exceeds the room left goes out of core, which completes with the same JSON
//! (27 s under a 972 MiB cgroup against 10 s in memory for the HPROF).

//!
//! Go heap dumps and Python snapshots (benches/scripts/goheapdump/RESULTS-real.md and
//! pysnap/RESULTS-real.md, 2026-12-05): both parsers grow the builder's columns in spill files
//! from the start, so their peak is what the parse keeps per object besides the builder. Go:
//! the scanned objects (24 B: address and contents' range), their types (4 B) and the CSR
//! offsets (4 B), plus 16 B per alloc-sample record while objects are typed: 322 MiB for 11.26
//! M objects (30.0 B/node), 32 + 16 per sample used. Python: the builder's id index (the
//! `(id, idx)` pairs form there, 28 B/node while it is sorted): 337 MiB for 12.35 M nodes
//! (28.6 B/node), 30 used. Out of core those arrays stay (the format's floor, [`plan_floor`]):
//! a dump above the floor is refused by name rather than killed.
//!
//! Since session 27 the builders that fill their CSR in bulk runs (HPROF, Go, Python) grow its
//! offsets in a spill file too (`GraphBuilder::fill_edges_parallel`): 4 B/node less anonymous
//! memory in the parse than the numbers above were measured with (the 2.18 GB JDK 17 dump's
//! parse peak 326 → 155 MiB; its run's peak, the dominators', unchanged). The costs are left as
//! they are: an estimate a little high only chooses out of core a little early.

/// Peak anonymous bytes per object and per reference of one format, with the graph's display
/// columns spilled and kept in memory.
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    pub per_node: u64,
    pub per_edge: u64,
    pub per_node_in_memory: u64,
    pub per_edge_in_memory: u64,
}

/// HPROF, measured (see the module docs).
pub const HPROF: Cost = Cost {
    per_node: 30,
    per_edge: 4,
    per_node_in_memory: 60,
    per_edge_in_memory: 8,
};

/// V8, measured (see the module docs).
pub const V8: Cost = Cost {
    per_node: 40,
    per_edge: 8,
    per_node_in_memory: 60,
    per_edge_in_memory: 12,
};

/// Go heap dumps, measured (see the module docs); plus [`GO_PER_SAMPLE`] per alloc sample.
pub const GO: Cost = Cost {
    per_node: 32,
    per_edge: 0,
    per_node_in_memory: 60,
    per_edge_in_memory: 8,
};

/// Bytes per alloc-sample record of a Go heap dump, held while the objects are typed.
pub const GO_PER_SAMPLE: u64 = 16;

/// What a Go heap dump keeps in memory out of core: the scanned objects and their types.
pub const GO_FLOOR_PER_NODE: u64 = 30;

/// Python heap snapshots, measured (see the module docs).
pub const PYSNAP: Cost = Cost {
    per_node: 30,
    per_edge: 0,
    per_node_in_memory: 44,
    per_edge_in_memory: 8,
};

/// What a Python heap snapshot keeps in memory out of core: the builder's id index.
pub const PYSNAP_FLOOR_PER_NODE: u64 = 30;

/// References per object assumed for HPROF before they are counted (bench dump: 1.39).
pub const EDGES_PER_NODE: f64 = 1.5;

/// Set to skip the check (e.g. when swap or overcommit makes it too strict).
pub const SKIP_ENV: &str = "HEAPSCOPE_NO_MEMORY_CHECK";

/// How many of the graph's and the analysis' arrays an estimate lets stay in memory although
/// spilling is on: an array shorter than [`Spill::DEFAULT_MIN_BYTES`](heapscope_graph::Spill)
/// is never spilled (a file for a few MiB costs more than it saves), so a dump of a few million
/// objects keeps all of them in memory and peaks at the in-memory cost, not the spilled one.
/// Measured (2026-12-05): a JDK 21 dump of 2.99 M objects and 6.0 M references peaked at
/// 224 MiB (78 B per object), where the spilled cost said 103 MiB and a 160 MiB cgroup killed
/// the run instead of sending it out of core; one of 7.9 M objects at 311 MiB (41 B), one of
/// 10.7 M at 269 MiB (26 B).
pub const SMALL_ARRAYS: u64 = 5;

/// Estimated peak anonymous memory to analyze a dump of `nodes` objects and `edges` references,
/// with the graph's display columns in spill files (`spilled`) or in memory. Spilled, it is
/// the spilled cost plus what [`SMALL_ARRAYS`] arrays under the spill threshold keep in memory,
/// and never more than the in-memory cost.
pub fn estimate(cost: Cost, nodes: u64, edges: u64, spilled: bool) -> u64 {
    let at = |per_node: u64, per_edge: u64| {
        nodes
            .saturating_mul(per_node)
            .saturating_add(edges.saturating_mul(per_edge))
    };
    let in_memory = at(cost.per_node_in_memory, cost.per_edge_in_memory);
    if !spilled {
        return in_memory;
    }
    let spilled = at(cost.per_node, cost.per_edge);
    let small = SMALL_ARRAYS.saturating_mul(heapscope_graph::Spill::DEFAULT_MIN_BYTES as u64);
    spilled.max(in_memory.min(spilled.saturating_add(small)))
}

/// The share of an estimate kept free on top of it ([`check`]): the estimates were measured
/// up to 9% under the real peak (references per object are assumed for HPROF), and the run
/// also needs some page cache for the dump and its spill files under a cgroup limit.
pub const HEADROOM_PERCENT: u64 = 20;

/// HPROF's estimate: references are not counted yet, [`EDGES_PER_NODE`] per object.
pub fn estimate_hprof(nodes: u64, spilled: bool) -> u64 {
    estimate(
        HPROF,
        nodes,
        (nodes as f64 * EDGES_PER_NODE) as u64,
        spilled,
    )
}

/// Bytes per object a caller needs beside the analysis' results once the analysis is done
/// ([`reserve_after_analysis`]), added to every estimate [`plan`] judges; 0 unless set.
static AFTER_ANALYSIS_PER_NODE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// While the guard lives, every dump's estimate ([`plan`]) also counts `per_node` bytes per
/// object that the caller needs after the analysis, beside its results: `diff` and `trend`
/// summarise each dump while its analysis is alive (path groups and the sorted ids, ~32 B per
/// object measured on V8 snapshots, more than the dominators' peak there), so a dump whose
/// analysis alone would fit but whose summary would not goes out of core early enough. What
/// the caller already holds (earlier dumps' summaries) needs no reserve: it is in the memory
/// [`available`] reads (`MemAvailable`, or the cgroup's `memory.current`). The previous value
/// comes back when the guard is dropped.
pub fn reserve_after_analysis(per_node: u64) -> AfterAnalysis {
    use std::sync::atomic::Ordering;
    AfterAnalysis {
        before: AFTER_ANALYSIS_PER_NODE.swap(per_node, Ordering::SeqCst),
    }
}

/// The guard of [`reserve_after_analysis`].
#[must_use]
pub struct AfterAnalysis {
    before: u64,
}

impl Drop for AfterAnalysis {
    fn drop(&mut self) {
        AFTER_ANALYSIS_PER_NODE.store(self.before, std::sync::atomic::Ordering::SeqCst);
    }
}

/// How a dump will be analysed ([`plan`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// In memory (it fits, or nothing is known about the memory available).
    InMemory,
    /// Out of core: the graph's CSR and the analysis' arrays in spill files
    /// (`heapscope_graph::spill`); chosen when asked for or when the estimate exceeds what is
    /// available and the spill directory is on disk.
    OutOfCore,
    /// Refused, with the message: too big and no usable spill directory.
    Refuse(String),
}

/// In memory, out of core, or refused: a dump of `nodes` objects that needs `need` bytes in
/// memory, `available` bytes available, spill files as `spill` says; with what the caller
/// reserved per object for after the analysis ([`reserve_after_analysis`]) added to `need`.
pub fn plan(nodes: u64, need: u64, available: Option<u64>, spill: &heapscope_graph::Spill) -> Plan {
    let after = AFTER_ANALYSIS_PER_NODE.load(std::sync::atomic::Ordering::SeqCst);
    plan_after(nodes, need, after, available, spill)
}

/// [`plan`] with `after` bytes per object needed beside the analysis' results once it is done.
pub fn plan_after(
    nodes: u64,
    need: u64,
    after: u64,
    available: Option<u64>,
    spill: &heapscope_graph::Spill,
) -> Plan {
    let need = need.saturating_add(nodes.saturating_mul(after));
    if spill.is_out_of_core() {
        return Plan::OutOfCore;
    }
    match check(nodes, need, available) {
        None => Plan::InMemory,
        Some(_) if spill.is_usable() => Plan::OutOfCore,
        Some(msg) => Plan::Refuse(format!(
            "{msg}; or set TMPDIR to a directory on disk to analyse it out of core"
        )),
    }
}

/// [`plan`] for a format part of whose peak stays in memory out of core (`floor` bytes: its
/// parse's own arrays): refused, with a message naming the estimates and the limit, where even
/// that does not fit what is available, rather than killed by the kernel.
pub fn plan_floor(
    nodes: u64,
    need: u64,
    floor: u64,
    available: Option<u64>,
    spill: &heapscope_graph::Spill,
) -> Plan {
    let p = plan(nodes, need, available, spill);
    match (&p, available) {
        (Plan::OutOfCore, Some(avail)) if floor > avail => Plan::Refuse(format!(
            "a dump that fits in memory: its {nodes} objects need about {} to analyze, {} even out of core, \
             but only {} is available (MemAvailable, or the cgroup limit); use a machine with more memory, \
             or set {SKIP_ENV}=1 to try anyway",
            gib(need),
            gib(floor),
            gib(avail)
        )),
        _ => p,
    }
}

/// The parse options a [`Plan`] asks for: `None`, those given (in memory); `Some`, out of core;
/// a refusal is the error, at byte 0 of `path`.
pub fn options_for(
    plan: Plan,
    path: &std::path::Path,
    opts: &crate::ParseOptions,
) -> Result<Option<crate::ParseOptions>, crate::ParseError> {
    match plan {
        Plan::InMemory => Ok(None),
        Plan::OutOfCore => Ok(Some(crate::ParseOptions {
            spill: opts.spill.clone().out_of_core(true),
            ..opts.clone()
        })),
        Plan::Refuse(msg) => Err(crate::ParseError::new(path, 0, msg)),
    }
}

/// The refusal of a dump whose reading stopped, over what is `available`, after `nodes`
/// objects at byte `at` of `size`: it needs more than that even out of core.
pub fn refusal_partial(nodes: u64, at: usize, size: usize, available: u64) -> String {
    format!(
        "a dump that fits in memory: its first {nodes} objects (to byte {at} of {size}) already need more than \
         the {} available even out of core (MemAvailable, or the cgroup limit); use a machine with more \
         memory, or set {SKIP_ENV}=1 to try anyway",
        gib(available)
    )
}

/// The message for a dump of `nodes` objects that needs `need` bytes, more than `available`;
/// `None` if it fits or nothing is known.
pub fn check(nodes: u64, need: u64, available: Option<u64>) -> Option<String> {
    let avail = available?;
    let with_headroom = need.saturating_add(need / 100 * HEADROOM_PERCENT);
    (with_headroom > avail).then(|| {
        format!(
            "a dump that fits in memory: its {nodes} objects need about {} to analyze but only {} is available \
             (MemAvailable, or the cgroup limit); use a machine with more memory, or set {SKIP_ENV}=1 to try anyway",
            gib(need),
            gib(avail)
        )
    })
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

/// Memory this process may still use: `MemAvailable`, lowered by the cgroup v2 limit
/// (`memory.max - memory.current`) when there is one. `None` when unknown (not Linux).
pub fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    let mut avail = kb.saturating_mul(1024);
    if let Some(room) = cgroup_room() {
        avail = avail.min(room);
    }
    Some(avail)
}

/// Room left under this process's cgroup memory limit, if limited: cgroup v2
/// `memory.max - memory.current`, or v1 `memory.limit_in_bytes - memory.usage_in_bytes`.
fn cgroup_room() -> Option<u64> {
    let cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let read = |p: std::path::PathBuf| -> Option<u64> {
        std::fs::read_to_string(p).ok()?.trim().parse().ok()
    };
    for line in cg.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrl, path) = (f.next()?, f.next()?, f.next()?);
        let path = path.trim_start_matches('/');
        let room = match ctrl {
            "" => {
                let dir = std::path::Path::new("/sys/fs/cgroup").join(path);
                // "max" (no limit) does not parse
                read(dir.join("memory.max")).zip(read(dir.join("memory.current")))
            }
            "memory" => {
                let dir = std::path::Path::new("/sys/fs/cgroup/memory").join(path);
                read(dir.join("memory.limit_in_bytes")).zip(read(dir.join("memory.usage_in_bytes")))
            }
            _ => None,
        };
        if let Some((max, cur)) = room {
            return Some(max.saturating_sub(cur));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_scales_with_objects_and_says_what_is_needed() {
        // The bench dump: 44.8 M objects measured at 1.54 GB peak with spilled columns and
        // ~3.0 GB before the analysis was trimmed, in memory; the estimates are near (above) that.
        let e = estimate_hprof(44_832_768, true);
        assert!(e > 1_540_000_000 && e < 1_800_000_000, "{e}");
        let big = estimate_hprof(44_832_768, false);
        assert!(big > 2_900_000_000 && big < 3_400_000_000, "{big}");
        assert_eq!(check(44_832_768, e, Some(64 << 30)), None);
        assert_eq!(check(44_832_768, e, None), None);
        assert!(check(44_832_768, e, Some(2 << 30)).is_none());
        assert!(check(44_832_768, big, Some(2 << 30)).is_some());
        // The V8 bench snapshot peaked at 755.9 MB spilled and 1.20 GB in memory (the spilled
        // estimate includes SMALL_ARRAYS arrays under the spill threshold).
        let v = estimate(V8, 12_679_544, 37_771_906, true);
        assert!(v > 756_000_000 && v < 1_000_000_000, "{v}");
        let v = estimate(V8, 12_679_544, 37_771_906, false);
        assert!(v > 1_200_000_000 && v < 1_400_000_000, "{v}");
        let msg = check(44_832_768, e, Some(1 << 30)).expect("too big for 1 GiB");
        assert!(msg.contains("44832768 objects"), "{msg}");
        assert!(msg.contains("1.0 GiB"), "{msg}");
        assert!(msg.contains(SKIP_ENV), "{msg}");
    }

    /// Arrays under the spill threshold stay in memory: a dump of a few million objects is
    /// estimated at the in-memory cost even with spilling on (the JDK 21 dump of 2.99 M objects
    /// and 6.0 M references that peaked at 224 MiB), a big one at the spilled cost plus at most
    /// [`SMALL_ARRAYS`] such arrays; and [`check`] keeps [`HEADROOM_PERCENT`] free on top.
    #[test]
    fn small_dumps_are_estimated_at_the_in_memory_cost() {
        let (n, e) = (2_987_320u64, 6_002_349u64);
        let spilled = estimate(HPROF, n, e, true);
        assert_eq!(spilled, estimate(HPROF, n, e, false));
        let measured = 224u64 << 20;
        assert!(
            spilled + spilled / 100 * HEADROOM_PERCENT > measured,
            "{spilled}"
        );
        let big = 44_832_768u64;
        let bare = big * HPROF.per_node + (big * 3 / 2) * HPROF.per_edge;
        let e = estimate(HPROF, big, big * 3 / 2, true);
        let small = SMALL_ARRAYS * heapscope_graph::Spill::DEFAULT_MIN_BYTES as u64;
        assert_eq!(e, bare + small);
        assert!(e < estimate(HPROF, big, big * 3 / 2, false));
        let need = 100 << 20;
        assert_eq!(
            check(1, need, Some(need + need / 100 * HEADROOM_PERCENT)),
            None
        );
        assert!(check(1, need, Some(need + need / 100 * HEADROOM_PERCENT - 1)).is_some());
        assert!(check(1, need, Some(need)).is_some());
    }

    #[test]
    fn too_big_goes_out_of_core_where_spill_files_can_go() {
        use heapscope_graph::Spill;
        let disk = Spill::temp();
        let need = estimate_hprof(44_832_768, true);
        assert_eq!(
            plan(44_832_768, need, Some(64 << 30), &disk),
            Plan::InMemory
        );
        assert_eq!(plan(44_832_768, need, None, &disk), Plan::InMemory);
        let forced = Spill::temp().out_of_core(true);
        let tight = plan(44_832_768, need, Some(1 << 30), &disk);
        if disk.is_usable() {
            assert_eq!(tight, Plan::OutOfCore);
            assert_eq!(plan(1, 1, Some(64 << 30), &forced), Plan::OutOfCore);
        }
        match plan(44_832_768, need, Some(1 << 30), &Spill::never()) {
            Plan::Refuse(msg) => assert!(msg.contains("out of core"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_dump_over_the_floor_is_refused_even_out_of_core() {
        use heapscope_graph::Spill;
        let disk = Spill::temp();
        let (need, floor) = (1000 << 20, 700 << 20);
        let n = 11_261_675;
        assert_eq!(
            plan_floor(n, need, floor, Some(2 << 30), &disk),
            Plan::InMemory
        );
        assert_eq!(plan_floor(n, need, floor, None, &disk), Plan::InMemory);
        if disk.is_usable() {
            assert_eq!(
                plan_floor(n, need, floor, Some(800 << 20), &disk),
                Plan::OutOfCore
            );
        }
        for spill in [
            disk.clone(),
            Spill::temp().out_of_core(true),
            Spill::never(),
        ] {
            match plan_floor(n, need, floor, Some(400 << 20), &spill) {
                Plan::Refuse(msg) => {
                    assert!(msg.contains("11261675 objects"), "{msg}");
                    assert!(msg.contains("0.4 GiB is available"), "{msg}");
                }
                other => panic!("{other:?}"),
            }
        }
        if disk.is_usable() {
            let m = plan_floor(n, need, floor, Some(400 << 20), &disk);
            assert!(
                matches!(&m, Plan::Refuse(msg) if msg.contains("0.7 GiB even out of core")),
                "{m:?}"
            );
        }
    }

    /// What a caller needs per object after the analysis (a diff's or trend's summary) sends
    /// a dump out of core that the analysis alone would fit, and refuses none.
    #[test]
    fn a_reserve_after_the_analysis_counts_in_the_plan() {
        use heapscope_graph::Spill;
        let disk = Spill::temp();
        let n = 2_776_111u64;
        let need = estimate(V8, n, 3 * n, true);
        let room = need + need / 100 * HEADROOM_PERCENT + (16 << 20);
        assert_eq!(plan_after(n, need, 0, Some(room), &disk), Plan::InMemory);
        let expect = plan_after(n, need + 32 * n, 0, Some(room), &disk);
        assert_ne!(expect, Plan::InMemory);
        if disk.is_usable() {
            assert_eq!(expect, Plan::OutOfCore);
        }
        assert_eq!(plan_after(n, need, 32, Some(room), &disk), expect);
        assert_eq!(plan_after(n, need, 32, None, &disk), Plan::InMemory);
        // The guard sets the reserve [`plan`] adds and puts the previous one back.
        {
            let _g = reserve_after_analysis(32);
            assert_eq!(
                AFTER_ANALYSIS_PER_NODE.load(std::sync::atomic::Ordering::SeqCst),
                32
            );
        }
        assert_eq!(
            AFTER_ANALYSIS_PER_NODE.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
    }

    #[test]
    fn available_memory_is_read_on_linux() {
        if std::path::Path::new("/proc/meminfo").exists() {
            assert!(available().is_some_and(|a| a > 0));
        }
    }
}
