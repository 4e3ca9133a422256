//! Will the analysis fit in this machine's memory? Checked after the first pass over the heap
//! dump, from its record counts, before any per-object array is allocated — so a dump too big
//! for the machine gets a clear message instead of an OOM kill.
//!
//! The estimate is the peak of anonymous memory of a whole `analyze` run, per graph node and per
//! reference, measured on the JDK 17 bench dump (benches/scripts/hprof/RESULTS.md: 44.8 M
//! objects, 62.4 M references). With the display columns spilled (the CLI's default; see
//! `heapscope_graph::column`) that is the CSR offsets (4 B/node) and targets (4 B/reference)
//! plus the analysis results (24 B/node + 2 bits), and the report: peak RssAnon 1,464 MiB,
//! 28.7 B/node besides the references; 30 is used. Under a cgroup limit the run also needs
//! some page cache for the dump and the spill files: with the check off it completes in 18 s at
//! 1,560 MiB and in 75 s at 1,500 MiB (RESULTS.md), so the estimate (1,539 MiB) is about where
//! the run stops being fast. Kept in memory, the columns add
//! 21 B/node and 4 B/reference (peak ~2.94 GB before the analysis was trimmed; 60 is used).
//! References are not counted yet when the check runs; real Java heaps have 1.2–1.6 per object,
//! so 1.5 is used. Pages of the mapped dump and of spill files are file-backed and not counted.

/// Peak anonymous bytes per graph node (everything but the references), measured, for columns
/// spilled and in memory.
pub const BYTES_PER_NODE: u64 = 30;
pub const BYTES_PER_NODE_IN_MEMORY: u64 = 60;
/// Bytes per reference: the target (+ the label in memory).
pub const BYTES_PER_EDGE: u64 = 4;
pub const BYTES_PER_EDGE_IN_MEMORY: u64 = 8;
/// References per object assumed before they are counted (bench dump: 1.39).
pub const EDGES_PER_NODE: f64 = 1.5;

/// Set to skip the check (e.g. when swap or overcommit makes it too strict).
pub const SKIP_ENV: &str = "HEAPSCOPE_NO_MEMORY_CHECK";

/// Estimated peak anonymous memory to analyze a dump of `nodes` objects, with the graph's
/// display columns in spill files (`spilled`) or in memory.
pub fn estimate(nodes: u64, spilled: bool) -> u64 {
    let edges = (nodes as f64 * EDGES_PER_NODE) as u64;
    let (per_node, per_edge) = if spilled {
        (BYTES_PER_NODE, BYTES_PER_EDGE)
    } else {
        (BYTES_PER_NODE_IN_MEMORY, BYTES_PER_EDGE_IN_MEMORY)
    };
    nodes
        .saturating_mul(per_node)
        .saturating_add(edges.saturating_mul(per_edge))
}

/// The message for a dump that needs more than `available` bytes, or `None` if it fits.
pub fn check(nodes: u64, spilled: bool, available: Option<u64>) -> Option<String> {
    let need = estimate(nodes, spilled);
    let avail = available?;
    (need > avail).then(|| {
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
        let e = estimate(44_832_768, true);
        assert!(e > 1_540_000_000 && e < 1_800_000_000, "{e}");
        let e = estimate(44_832_768, false);
        assert!(e > 2_900_000_000 && e < 3_400_000_000, "{e}");
        assert_eq!(check(44_832_768, true, Some(64 << 30)), None);
        assert_eq!(check(44_832_768, true, None), None);
        assert!(check(44_832_768, true, Some(2 << 30)).is_none());
        assert!(check(44_832_768, false, Some(2 << 30)).is_some());
        let msg = check(44_832_768, true, Some(1 << 30)).expect("too big for 1 GiB");
        assert!(msg.contains("44832768 objects"), "{msg}");
        assert!(msg.contains("1.0 GiB"), "{msg}");
        assert!(msg.contains(SKIP_ENV), "{msg}");
    }

    #[test]
    fn available_memory_is_read_on_linux() {
        if std::path::Path::new("/proc/meminfo").exists() {
            assert!(available().is_some_and(|a| a > 0));
        }
    }
}
