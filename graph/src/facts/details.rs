//! [`Details`]: the format's own facts for people to read (versions, id size, header fields,
//! threads …), typed. Each parser fills its format's struct; reports print the whole as the
//! report's `input.details` (`docs/report.schema.json`) by serialising it, field names as keys,
//! without knowing which format it is. An optional field the format did not record is left out
//! (`skip_serializing_if`), unless the schema prints it as `null`.
//!
//! The threads (HPROF's ROOT THREAD OBJECT records and their stacks) are the one part code
//! reads: [`crate::DumpFacts::threads`] and [`crate::DumpFacts::thread_roots`] say which thread,
//! and which frame of it, holds an object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};

/// The format's own facts, printed as `input.details`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Details {
    /// The threads the dump records, each with its stack (outermost frame last, as the dump
    /// lists them); `None` when the format records none. Printed as `threads` when `Some`,
    /// even when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<Vec<Thread>>,
    /// The facts only this format has.
    #[serde(flatten)]
    pub format: FormatDetails,
}

impl Details {
    /// Serialise as one JSON object, keys in order (the schema's, `input.details`), whatever
    /// the format. The format's own facts go through a sorted `serde_json` map; the threads,
    /// the one part that grows with the dump (a stack per thread: 3 M frames for 10,000
    /// threads of 300 frames), are written straight from their `Serialize` (whose keys are
    /// already in order) at their key's place, not first copied into a map of JSON values.
    pub fn serialize_sorted<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        const THREADS: &str = "threads";
        let facts = Details {
            threads: None,
            format: self.format.clone(),
        };
        let facts = match serde_json::to_value(&facts).map_err(serde::ser::Error::custom)? {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let threads = self.threads.as_ref();
        let mut m = s.serialize_map(Some(facts.len() + usize::from(threads.is_some())))?;
        let mut pending = threads;
        for (k, v) in &facts {
            if k.as_str() > THREADS {
                if let Some(t) = pending.take() {
                    m.serialize_entry(THREADS, t)?;
                }
            }
            m.serialize_entry(k, v)?;
        }
        if let Some(t) = pending {
            m.serialize_entry(THREADS, t)?;
        }
        m.end()
    }
}

/// One format's facts. Serialised as the fields of its struct (no tag: `input.details` is one
/// flat object whose keys say what they are).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FormatDetails {
    /// A format with no facts of its own.
    #[default]
    None,
    Hprof(HprofDetails),
    V8(V8Details),
    Pprof(Box<PprofDetails>),
    Tracemalloc(TracemallocDetails),
    GoHeapDump(GoHeapDumpDetails),
    PythonSnapshot(PythonSnapshotDetails),
}

/// A thread of the dumped process and its stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    pub name: String,
    /// The dump's serial number of the thread.
    pub serial: u32,
    /// The dump's id of the thread object.
    pub object: u64,
    /// Innermost first (the frame running when the dump was taken), as the dump lists them.
    pub frames: Frames,
}

/// A thread's stack: `u32` indices into a [`FrameTable`] the dump's threads share (HotSpot
/// writes a STACK FRAME record per frame per thread, 3 M for 10,000 threads of 300 frames, of
/// a few hundred distinct frames): 4 bytes per frame on the stack, one [`Frame`] and its
/// text per distinct frame in the table. Iterates, compares and serialises as the frames.
/// Shared, not copied, when cloned (the report's copy of the details: 12 MB of stacks for
/// 10,000 threads of 300 frames).
#[derive(Clone)]
pub struct Frames {
    table: std::sync::Arc<FrameTable>,
    stack: std::sync::Arc<[u32]>,
}

/// Distinct frames and their [`Frame::text`], made once.
#[derive(Debug, Default)]
pub struct FrameTable {
    frames: Vec<Frame>,
    texts: Vec<String>,
}

impl FrameTable {
    /// Adds a frame and returns its index (the caller interns: equal frames may be added twice).
    pub fn push(&mut self, f: Frame) -> u32 {
        let i = self.frames.len() as u32;
        self.texts.push(f.text());
        self.frames.push(f);
        i
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The text of frame `i` ([`Frame::text`]).
    pub fn text(&self, i: u32) -> &str {
        &self.texts[i as usize]
    }
}

impl Frames {
    /// A stack of indices into `table`; `None` when an index is not in it.
    pub fn new(
        table: std::sync::Arc<FrameTable>,
        stack: impl Into<std::sync::Arc<[u32]>>,
    ) -> Option<Frames> {
        let stack = stack.into();
        let n = table.frames.len();
        stack
            .iter()
            .all(|&i| (i as usize) < n)
            .then_some(Frames { table, stack })
    }

    pub fn len(&self) -> usize {
        self.stack.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// The frame at depth `i` (0: the innermost).
    pub fn get(&self, i: usize) -> Option<&Frame> {
        Some(&self.table.frames[*self.stack.get(i)? as usize])
    }

    /// The table index of the frame at depth `i`.
    pub fn index(&self, i: usize) -> Option<u32> {
        self.stack.get(i).copied()
    }

    /// The table the stack indexes.
    pub fn table(&self) -> &FrameTable {
        &self.table
    }

    /// [`Frame::text`] of the frame at depth `i`, made once per distinct frame.
    pub fn text(&self, i: usize) -> Option<&str> {
        Some(self.table.text(*self.stack.get(i)?))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Frame> + '_ {
        self.stack.iter().map(|&i| &self.table.frames[i as usize])
    }
}

impl<'a> IntoIterator for &'a Frames {
    type Item = &'a Frame;
    type IntoIter = Box<dyn ExactSizeIterator<Item = &'a Frame> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// A stack with a table of its own (one row per frame, not interned): for stacks read back
/// from elsewhere and tests.
impl FromIterator<Frame> for Frames {
    fn from_iter<I: IntoIterator<Item = Frame>>(it: I) -> Frames {
        let mut table = FrameTable::default();
        let stack: Vec<u32> = it.into_iter().map(|f| table.push(f)).collect();
        Frames {
            table: std::sync::Arc::new(table),
            stack: stack.into(),
        }
    }
}

impl PartialEq for Frames {
    fn eq(&self, other: &Frames) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Frames {}

impl std::fmt::Debug for Frames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Frames {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.stack.iter().map(|&i| self.table.text(i)))
    }
}

impl Serialize for Thread {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("frames", &self.frames)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("object_id", &format!("0x{:x}", self.object))?;
        m.serialize_entry("serial", &self.serial)?;
        m.end()
    }
}

/// One frame of a stack: the method and where it is in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// `com.acme.Importer.importBatch`: the class and the method.
    pub function: String,
    /// The source file, when the dump names one (`Importer.java`).
    pub file: Option<String>,
    pub line: FrameLine,
}

/// Where in its method a frame is, as a stack trace says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameLine {
    /// A line of the source file.
    Line(u32),
    /// A native method.
    Native,
    /// Compiled code with no line table.
    Compiled,
    /// No line known.
    Unknown,
    /// Not a frame the dump describes (a stack trace names a frame id it has no record of):
    /// printed as the function text alone.
    Missing,
}

impl Frame {
    /// The line number, when the frame has one and a file to put it in.
    pub fn line_number(&self) -> Option<u32> {
        match self.line {
            FrameLine::Line(n) if self.file.is_some() => Some(n),
            _ => None,
        }
    }

    /// As a Java stack trace prints it: `com.acme.Importer.importBatch(Importer.java:34)`,
    /// `(Native Method)`, `(Compiled Method)`, `(Importer.java)`, `(Unknown Source)`.
    pub fn text(&self) -> String {
        let f = &self.function;
        match (&self.file, self.line) {
            (_, FrameLine::Missing) => f.clone(),
            (Some(file), FrameLine::Line(n)) => format!("{f}({file}:{n})"),
            (_, FrameLine::Native) => format!("{f}(Native Method)"),
            (_, FrameLine::Compiled) => format!("{f}(Compiled Method)"),
            (Some(file), _) => format!("{f}({file})"),
            (None, _) => format!("{f}(Unknown Source)"),
        }
    }
}

impl Serialize for Frame {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// A GC root a thread holds: its object, the thread and, for a local variable (a Java frame
/// or JNI local root), the frame whose variable it is. 16 B: the frame is a `u32` with
/// [`ThreadRoot::NO_FRAME`] for none (an `Option<u32>` padded it to 24 B). `#[repr(C)]`, valid
/// for every bit pattern: a [`crate::Column`] element.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ThreadRoot {
    /// The dump's id of the object held.
    pub object: u64,
    /// Index into [`crate::DumpFacts::threads`].
    pub thread: u32,
    frame: u32,
}

impl ThreadRoot {
    /// The frame value that stands for "held by the thread itself".
    pub const NO_FRAME: u32 = u32::MAX;

    /// A thread root; a frame index of [`ThreadRoot::NO_FRAME`] is taken as none.
    pub fn new(object: u64, thread: u32, frame: Option<u32>) -> ThreadRoot {
        ThreadRoot {
            object,
            thread,
            frame: frame.unwrap_or(Self::NO_FRAME),
        }
    }

    /// Index into that thread's frames (0: the innermost); `None`: held by the thread itself
    /// (its thread object, a native stack, a monitor …), not by one frame.
    pub fn frame(&self) -> Option<u32> {
        (self.frame != Self::NO_FRAME).then_some(self.frame)
    }

    /// Of the thread roots of one object, the one that says which thread holds it: a thread's
    /// own thread object (held by that thread, not by a local variable that points back at it,
    /// e.g. `Thread.currentThread()` kept in a frame), else the local variable in the
    /// innermost frame (MAT's "keeps local variables"), else the first thread holding it
    /// otherwise (a native stack …). Smaller is preferred.
    pub fn rank(&self, threads: &[Thread]) -> (bool, bool, u32, u32) {
        let own = self.frame == Self::NO_FRAME
            && threads
                .get(self.thread as usize)
                .is_some_and(|t| t.object == self.object);
        (!own, self.frame == Self::NO_FRAME, self.frame, self.thread)
    }

    /// Keeps, of each object's thread roots, only the one [`ThreadRoot::rank`] prefers (the
    /// one a report names), sorted by object: what [`crate::DumpFacts::thread_roots`] holds.
    /// In place; the vector is shrunk to what is kept.
    pub fn keep_one_per_object(roots: &mut Vec<ThreadRoot>, threads: &[Thread]) {
        roots.sort_unstable_by_key(|r| (r.object, r.rank(threads)));
        roots.dedup_by_key(|r| r.object);
        roots.shrink_to_fit();
    }
}

/// HPROF: the header, the records and the object layout heapscope assumed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HprofDetails {
    /// `1.0.2`, `1.0.3`.
    pub hprof_version: String,
    pub id_size: u64,
    pub heap_dumps: u32,
    pub records: u64,
    pub object_header_bytes: u64,
    pub reference_bytes: u64,
    /// The evidence for the layout, as the layout rules counted it.
    pub layout_votes: [u64; 6],
    /// The size model (e.g. `hotspot-15+ 64-bit compressed oops`).
    pub size_model: String,
    /// Android heap names (`app`, `zygote` …), when the dump has HEAP DUMP INFO records.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub android_heaps: Vec<String>,
}

/// V8: the snapshot's meta and sizes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct V8Details {
    pub node_fields: Vec<String>,
    pub node_types: Vec<String>,
    pub edge_fields: Vec<String>,
    pub edge_types: Vec<String>,
    pub detachedness: bool,
    pub nodes: u64,
    pub edges: u64,
    pub strings: u64,
    pub locations: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace_function_count: Option<u64>,
}

/// A pprof sample or period type: `{type, unit}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueType {
    #[serde(rename = "type")]
    pub kind: String,
    pub unit: String,
}

/// A pprof `Mapping` (a binary or library mapped into the process).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub id: u64,
    pub memory_start: u64,
    pub memory_limit: u64,
    pub file_offset: u64,
    pub filename: String,
    pub build_id: String,
    pub has_functions: bool,
    pub has_inline_frames: bool,
}

/// The counts a text profile's header line states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProfileHeader {
    /// `heap profile: A: B [C: D] @ …`, jemalloc's `t*: A: B [C: D]`.
    Heap {
        inuse_objects: i64,
        inuse_space: i64,
        alloc_objects: i64,
        alloc_space: i64,
    },
    /// `NAME profile: total N`.
    Count { total: i64 },
}

/// A number of a Go MemStats trailer line as written (integers stay integers).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// A value of a Go MemStats trailer line: a number, a list of numbers or a bool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MemStat {
    Number(Number),
    List(Vec<Number>),
    Bool(bool),
}

impl MemStat {
    /// The value as an unsigned integer (a float cut), if it is a number.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MemStat::Number(Number::U64(u)) => Some(u),
            MemStat::Number(Number::I64(i)) => u64::try_from(i).ok(),
            MemStat::Number(Number::F64(f)) => Some(f as u64),
            _ => None,
        }
    }
    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            MemStat::Number(Number::U64(u)) => Some(u as f64),
            MemStat::Number(Number::I64(i)) => Some(i as f64),
            MemStat::Number(Number::F64(f)) => Some(f),
            _ => None,
        }
    }
    /// The value as a signed integer, if it is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            MemStat::Number(Number::U64(u)) => i64::try_from(u).ok(),
            MemStat::Number(Number::I64(i)) => Some(i),
            _ => None,
        }
    }
}

/// pprof (protobuf, text and jemalloc forms): what the profile says about itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PprofDetails {
    /// `protobuf`, `text`, `jemalloc heap_v2`.
    pub form: String,
    /// `heap`, `goroutine`, … (from the sample types).
    pub profile: String,
    pub sample_types: Vec<ValueType>,
    pub sample_index: u64,
    /// Per sample type, the sum over the samples (pprof's `total`).
    pub totals: BTreeMap<String, i64>,
    pub samples: u64,
    pub period: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub period_type: Option<ValueType>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default_sample_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_nanos: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub duration_nanos: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub drop_frames: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub keep_frames: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comments: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub mappings: Vec<Mapping>,
    /// `{key: {value: sum of the chosen value}}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, BTreeMap<String, i64>>,
    /// `{key: unit}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub num_labels: BTreeMap<String, String>,
    /// Text forms: the counts of the header line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub header: Option<ProfileHeader>,
    /// Text heap forms: the sampling rate.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sampling_rate: Option<i64>,
    /// Text contention forms: `cycles/second`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cycles_per_second: Option<i64>,
    /// Where the timestamp comes from, when not the profile's own time (`memstats.LastGC`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timestamp_source: Option<String>,
    /// Go's text heap form: every `# Name = value` of the MemStats trailer (`Stack`, `MSpan`,
    /// `MCache` split into `…Inuse` / `…Sys`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memstats: Option<BTreeMap<String, MemStat>>,
}

/// A tracemalloc domain's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDetails {
    pub domain: u64,
    /// `Python heap`, `NumPy`, `domain N`.
    pub name: String,
    pub size: u64,
    pub count: u64,
}

/// CPython tracemalloc snapshots.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TracemallocDetails {
    pub pickle_protocol: u8,
    /// The traces' tuple layout (`null` when there are no traces).
    pub trace_layout: Option<String>,
    pub traceback_limit: Option<i64>,
    pub traces: u64,
    pub tracebacks: u64,
    pub frames: u64,
    pub call_tree_nodes: u64,
    pub group_by: String,
    pub domains: Vec<DomainDetails>,
    /// CPython 3.9+ (traces with `total_nframe`): traces cut at the limit, and the deepest.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub truncated_traces: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_total_nframe: Option<u64>,
}

/// The records of a Go heap dump, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoRecords {
    pub objects: u64,
    pub goroutines: u64,
    pub stack_frames: u64,
    pub segments: u64,
    pub types: u64,
    pub itabs: u64,
    pub os_threads: u64,
    pub memprof_buckets: u64,
    pub alloc_samples: u64,
    pub pointer_roots: u64,
}

/// Where a Go heap dump's pointer words land.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoPointers {
    pub to_objects: u64,
    pub into_heap_but_no_object: u64,
    pub to_stack_frames: u64,
    pub outside_the_heap: u64,
}

/// Go heap dumps (`debug.WriteHeapDump`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GoHeapDumpDetails {
    /// The dump's parameters record, when it has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub go_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub arch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pointer_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub big_endian: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ncpu: Option<u64>,
    /// `0x…-0x…`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub heap_range: Option<String>,
    pub records: GoRecords,
    pub sampled_objects: u64,
    pub pointers: GoPointers,
    /// The binary whose symbols named the globals (`null`: none given).
    pub binary: Option<String>,
    pub globals_named_by_symbol: u64,
}

/// heapscope's Python heap snapshots.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PythonSnapshotDetails {
    pub format_version: u16,
    /// `3.13.1`.
    pub python: String,
    pub sys_version: String,
    pub implementation: String,
    pub pid: u64,
    pub rss_bytes: u64,
    pub objects: u64,
    pub references: u64,
    pub roots: u64,
    pub tracemalloc: bool,
    pub allocation_sites: u64,
    pub lru_caches: u64,
    /// How long the dump took (`null` when the file says something that is not a finite number).
    pub dump_seconds: Option<f64>,
    pub dumper_excluded_objects: u64,
    pub dumper_rss_overhead_bytes: u64,
    pub types_with_del: u64,
}

impl FormatDetails {
    /// The variant as a number and its struct as JSON, for a saved index
    /// ([`crate::saved`]); [`FormatDetails::from_saved`] reads them back.
    pub fn to_saved(&self) -> (u8, String) {
        let json = |r: serde_json::Result<String>| r.unwrap_or_default();
        match self {
            FormatDetails::None => (0, String::new()),
            FormatDetails::Hprof(d) => (1, json(serde_json::to_string(d))),
            FormatDetails::V8(d) => (2, json(serde_json::to_string(d))),
            FormatDetails::Pprof(d) => (3, json(serde_json::to_string(d))),
            FormatDetails::Tracemalloc(d) => (4, json(serde_json::to_string(d))),
            FormatDetails::GoHeapDump(d) => (5, json(serde_json::to_string(d))),
            FormatDetails::PythonSnapshot(d) => (6, json(serde_json::to_string(d))),
        }
    }

    /// What [`FormatDetails::to_saved`] wrote; `None` when it does not read back.
    pub fn from_saved(tag: u8, json: &str) -> Option<FormatDetails> {
        fn de<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
            serde_json::from_str(s).ok()
        }
        Some(match tag {
            0 => FormatDetails::None,
            1 => FormatDetails::Hprof(de(json)?),
            2 => FormatDetails::V8(de(json)?),
            3 => FormatDetails::Pprof(Box::new(de(json)?)),
            4 => FormatDetails::Tracemalloc(de(json)?),
            5 => FormatDetails::GoHeapDump(de(json)?),
            6 => FormatDetails::PythonSnapshot(de(json)?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn random_frame(r: &mut fastrand::Rng) -> Frame {
        Frame {
            function: format!("com.x.C{}.m{}", r.u32(0..4), r.u32(0..3)),
            file: r.bool().then(|| format!("C{}.java", r.u32(0..3))),
            line: match r.u32(0..6) {
                0 => FrameLine::Native,
                1 => FrameLine::Compiled,
                2 => FrameLine::Unknown,
                3 => FrameLine::Missing,
                _ => FrameLine::Line(r.u32(1..50)),
            },
        }
    }

    /// Threads whose stacks index one shared, interned table print, compare and iterate as
    /// the same threads with a `Vec<Frame>` each (the naive form: every frame its own text).
    #[test]
    fn interned_stacks_print_as_their_frames() {
        for seed in 0..40 {
            let mut r = fastrand::Rng::with_seed(seed);
            let stacks: Vec<Vec<Frame>> = (0..r.usize(0..8))
                .map(|_| (0..r.usize(0..30)).map(|_| random_frame(&mut r)).collect())
                .collect();
            let mut table = FrameTable::default();
            let mut seen: Vec<Frame> = Vec::new();
            let indexed: Vec<Vec<u32>> = stacks
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|f| match seen.iter().position(|g| g == f) {
                            Some(i) => i as u32,
                            None => {
                                seen.push(f.clone());
                                table.push(f.clone())
                            }
                        })
                        .collect()
                })
                .collect();
            assert_eq!(table.len(), seen.len());
            let table = Arc::new(table);
            for (k, (naive, ix)) in stacks.iter().zip(indexed).enumerate() {
                let thread = |frames: Frames| Thread {
                    name: format!("t{k}"),
                    serial: k as u32,
                    object: 0x100 + k as u64,
                    frames,
                };
                let interned = thread(Frames::new(table.clone(), ix).unwrap());
                let own = thread(naive.iter().cloned().collect());
                assert_eq!(interned, own);
                assert_eq!(interned.frames.len(), naive.len());
                for (i, f) in naive.iter().enumerate() {
                    assert_eq!(interned.frames.get(i), Some(f));
                    assert_eq!(interned.frames.text(i), Some(f.text().as_str()));
                }
                assert_eq!(interned.frames.get(naive.len()), None);
                let texts: Vec<String> = naive.iter().map(Frame::text).collect();
                let expected = serde_json::json!({
                    "frames": texts,
                    "name": format!("t{k}"),
                    "object_id": format!("0x{:x}", 0x100 + k),
                    "serial": k,
                });
                assert_eq!(
                    serde_json::to_string(&interned).unwrap(),
                    serde_json::to_string(&expected).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_stack_past_its_table_is_refused() {
        let table: Arc<FrameTable> = Arc::new(FrameTable::default());
        assert!(Frames::new(table.clone(), vec![0]).is_none());
        assert!(Frames::new(table, vec![]).is_some_and(|f| f.is_empty()));
    }
}
