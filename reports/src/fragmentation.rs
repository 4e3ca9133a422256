//! Go heap fragmentation, judged once for every command from `runtime.MemStats`: the heap
//! spans in use (HeapInuse) far above the live objects in them (HeapAlloc). `analyze` words it
//! as a `runtime` suspect, `diff` and `trend` as a `fragmentation` verdict — by the same rule.

use heapscope_graph::MemStats;

/// Fragmentation when the spans in use hold at least this many times the live bytes… (the
/// `fragmentation` fixture: HeapInuse 36.8 MB for HeapAlloc 9.8 MB, 3.7×; healthy Go services
/// stay below 1.5×, since the GC target keeps HeapInuse near HeapAlloc after a GC).
pub const RATIO: f64 = 2.0;
/// … and the free slots in them come to at least this many bytes (a small heap is all overhead;
/// the healthy Go fixtures' gaps are below 1 MiB).
pub const MIN_BYTES: u64 = 4 << 20;
/// Idle heap not yet returned to the OS is worth a remedy from this many bytes.
pub const IDLE_KEPT_MIN_BYTES: u64 = 1 << 20;

/// The numbers of a fragmented heap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fragmentation {
    /// HeapInuse: bytes in spans that hold at least one object.
    pub inuse: u64,
    /// HeapAlloc: bytes of live (and not yet swept) objects.
    pub alloc: u64,
}

impl Fragmentation {
    /// Free slots in in-use spans.
    pub fn waste(&self) -> u64 {
        self.inuse - self.alloc
    }
    /// The waste as a share of the spans in use.
    pub fn share(&self) -> f64 {
        self.waste() as f64 / self.inuse as f64
    }
    /// How many times the live bytes the spans hold.
    pub fn ratio(&self) -> f64 {
        self.inuse as f64 / self.alloc as f64
    }
}

/// Is this heap fragmented? `None` when the MemStats lack the numbers or the heap is not.
pub fn judge(m: &MemStats) -> Option<Fragmentation> {
    let (inuse, alloc) = (m.heap_inuse?, m.heap_alloc?);
    if alloc == 0 || alloc >= inuse {
        return None;
    }
    let f = Fragmentation { inuse, alloc };
    (f.ratio() >= RATIO && f.waste() >= MIN_BYTES).then_some(f)
}
