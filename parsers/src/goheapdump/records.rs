//! Pass 1 over a `go1.7 heap dump`: every record read once, in file order, into flat arrays of
//! offsets and addresses ([`Scan`]); no object's contents are copied. The record layouts are
//! those of the Go wiki page "heapdump15-through-heapdump17" and `src/runtime/heapdump.go`
//! (which writes them), summarised in `docs/dev/go-heapdump.md`.

use crate::error::{span, Expected, Fail};

/// The header every supported dump starts with.
pub const HEADER: &[u8] = b"go1.7 heap dump\n";

// Record tags (`runtime/heapdump.go`).
const TAG_EOF: u64 = 0;
const TAG_OBJECT: u64 = 1;
const TAG_OTHER_ROOT: u64 = 2;
const TAG_TYPE: u64 = 3;
const TAG_GOROUTINE: u64 = 4;
const TAG_STACK_FRAME: u64 = 5;
const TAG_PARAMS: u64 = 6;
const TAG_FINALIZER: u64 = 7;
const TAG_ITAB: u64 = 8;
const TAG_OS_THREAD: u64 = 9;
const TAG_MEMSTATS: u64 = 10;
const TAG_QUEUED_FINALIZER: u64 = 11;
const TAG_DATA: u64 = 12;
const TAG_BSS: u64 = 13;
const TAG_DEFER: u64 = 14;
const TAG_PANIC: u64 = 15;
const TAG_MEMPROF: u64 = 16;
const TAG_ALLOC_SAMPLE: u64 = 17;

/// Field kinds of a field list: 0 ends it, 1 is a pointer; 2 and 3 (an interface, an empty
/// interface: the pointer is the second word) were written by Go 1.3–1.4 and are read alike.
const FIELD_EOL: u64 = 0;
const FIELD_PTR: u64 = 1;
const FIELD_IFACE: u64 = 2;
const FIELD_EFACE: u64 = 3;

/// MemStats record: Alloc … PauseTotalNs (24 numbers), PauseNs[256], NumGC.
pub const MEMSTATS_LEN: usize = 24 + 256 + 1;

/// A byte range of the input.
#[derive(Clone, Copy, Debug, Default)]
pub struct Range {
    pub at: usize,
    pub len: usize,
}

impl Range {
    pub fn bytes<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.at..self.at + self.len).unwrap_or_default()
    }
    pub fn text<'a>(&self, data: &'a [u8]) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.bytes(data))
    }
}

/// A block of memory with pointer fields: a heap object, a data/bss segment, a stack frame.
/// The field list follows the contents in the file (`contents.at + contents.len`).
#[derive(Clone, Copy, Debug)]
pub struct Block {
    pub addr: u64,
    pub contents: Range,
}

/// A goroutine record and the stack frames dumped after it.
#[derive(Clone, Copy, Debug)]
pub struct Goroutine {
    pub goid: u64,
    pub status: u64,
    pub system: bool,
    pub wait_reason: Range,
}

/// A stack frame: its memory and the goroutine (index into [`Scan::goroutines`]) it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// The frame's memory; its field list is at `fields_at` (after the pcs and the name).
    pub block: Block,
    pub fields_at: usize,
    pub func: Range,
    pub goroutine: u32,
    pub depth: u64,
}

/// A memory-profile bucket: its id and the function its allocations are named by.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    pub id: u64,
    pub site: Range,
    pub size: u64,
    pub allocs: u64,
    pub frees: u64,
}

/// What a root holds that is not a field list: finalizers, defers, panics, other roots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKind {
    Finalizer,
    QueuedFinalizer,
    Defer,
    Panic,
    Other,
}

#[derive(Clone, Copy, Debug)]
pub struct PointerRoot {
    pub kind: RootKind,
    pub ptr: u64,
    /// Other roots: their description; defers and panics: nothing.
    pub text: Range,
}

/// The dump params record.
#[derive(Clone, Copy, Debug, Default)]
pub struct Params {
    pub big_endian: bool,
    pub ptr_size: u64,
    pub heap_start: u64,
    pub heap_end: u64,
    pub arch: Range,
    pub version: Range,
    pub ncpu: u64,
}

/// Everything pass 1 found, as flat arrays in file order.
#[derive(Default)]
pub struct Scan {
    pub params: Option<Params>,
    pub objects: Vec<Block>,
    /// The objects' pointer fields, all told: a bound on their references (the memory
    /// estimate's, `crate::budget::GO`).
    pub pointer_fields: u64,
    /// Data (`false`) and bss (`true`) segments.
    pub segments: Vec<(bool, Block)>,
    pub goroutines: Vec<Goroutine>,
    pub frames: Vec<Frame>,
    pub roots: Vec<PointerRoot>,
    pub buckets: Vec<Bucket>,
    /// (object address, bucket id).
    pub samples: Vec<(u64, u64)>,
    pub memstats: Option<Box<[u64; MEMSTATS_LEN]>>,
    pub types: u64,
    pub itabs: u64,
    pub threads: u64,
    /// Bytes after the EOF record (a warning).
    pub trailing: usize,
    /// Where [`scan_within_budget`] stopped, over its budget: the scan is incomplete.
    pub cut_short: Option<usize>,
}

/// A panic-free cursor over the dump.
pub struct Cur<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Cur<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Cur { data, pos }
    }

    /// An unsigned LEB128 number (at most 10 bytes, as Go's `dumpint` writes).
    #[inline]
    pub fn uvarint(&mut self, what: &'static str) -> Result<u64, Fail> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(Fail::at(
                    start,
                    Expected::fmt("{s} (a uvarint; the dump ends here)", what, &[]),
                ));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(Fail::at(
                    start,
                    Expected::fmt("{s} (a uvarint of at most 64 bits)", what, &[]),
                ));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Fail::at(
            start,
            Expected::fmt("{s} (a uvarint of at most 10 bytes)", what, &[]),
        ))
    }

    fn bool(&mut self, what: &'static str) -> Result<bool, Fail> {
        let at = self.pos;
        match self.uvarint(what)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(Fail::at(
                at,
                Expected::fmt("{s} (a boolean 0 or 1, found {})", what, &[v]),
            )),
        }
    }

    /// A length-prefixed byte string; the length is checked against the bytes left before
    /// anything is done with it.
    pub fn bytes(&mut self, what: &'static str) -> Result<Range, Fail> {
        let at = self.pos;
        let len = self.uvarint(what)?;
        let left = (self.data.len() - self.pos) as u64;
        if len > left {
            return Err(Fail::at(
                at,
                Expected::fmt(
                    "{s}: a length of at most the {} bytes left (found {})",
                    what,
                    &[left, len],
                ),
            ));
        }
        let r = Range {
            at: self.pos,
            len: len as usize,
        };
        self.pos += len as usize;
        Ok(r)
    }

    /// A field list; returns how many pointer fields it has. Each field's offset must lie in
    /// the `size` bytes of the block it describes.
    pub fn fields(&mut self, size: usize, ptr: u64) -> Result<u64, Fail> {
        let mut n = 0;
        loop {
            let at = self.pos;
            match self.uvarint("a field kind")? {
                FIELD_EOL => return Ok(n),
                FIELD_PTR | FIELD_IFACE | FIELD_EFACE => {
                    let off_at = self.pos;
                    let off = self.uvarint("a field offset")?;
                    if off.saturating_add(ptr.max(1)) > size as u64 {
                        return Err(Fail::at(
                            off_at,
                            Expected::fmt(
                                "a pointer field inside its {} bytes (offset {})",
                                "",
                                &[size as u64, off],
                            ),
                        ));
                    }
                    n += 1;
                }
                k => {
                    return Err(Fail::at(
                        at,
                        Expected::fmt("a field kind 0–3 (found {})", "", &[k]),
                    ))
                }
            }
        }
    }

    /// A block and how many pointer fields it has.
    fn block(&mut self, what: [&'static str; 2], ptr: u64) -> Result<(Block, u64), Fail> {
        let addr = self.uvarint(what[0])?;
        let contents = self.bytes(what[1])?;
        let n = self.fields(contents.len, ptr)?;
        Ok((Block { addr, contents }, n))
    }
}

/// How many pointer fields an object's field list (after its contents) has; 0 if it no longer
/// reads (it was checked in pass 1).
pub fn field_count(data: &[u8], b: &Block, ptr_size: usize) -> u64 {
    Cur::new(data, b.contents.at + b.contents.len)
        .fields(b.contents.len, ptr_size as u64)
        .unwrap_or(0)
}

/// The pointer fields of a block whose field list starts at `fields_at`: `(offset in the block,
/// pointer value)`, in file order. The list was checked in pass 1; a list that no longer reads
/// ends the iteration.
pub fn pointers<'a>(
    data: &'a [u8],
    contents: Range,
    fields_at: usize,
    ptr_size: usize,
    big_endian: bool,
) -> impl Iterator<Item = (u64, u64)> + 'a {
    let contents = contents.bytes(data);
    let mut c = Cur::new(data, fields_at);
    std::iter::from_fn(move || {
        let kind = c.uvarint("").ok()?;
        if kind == FIELD_EOL {
            return None;
        }
        let mut off = c.uvarint("").ok()?;
        if kind != FIELD_PTR {
            off += ptr_size as u64;
        }
        let word = contents.get(off as usize..off as usize + ptr_size)?;
        let mut v: u64 = 0;
        if big_endian {
            for &x in word {
                v = (v << 8) | u64::from(x);
            }
        } else {
            for &x in word.iter().rev() {
                v = (v << 8) | u64::from(x);
            }
        }
        Some((off, v))
    })
}

/// The function a bucket's allocations are named by: the innermost frame whose function is
/// not the runtime's (`runtime.*`); when all are, the outermost that is not `runtime.goexit`.
fn site_of(frames: &[Range], data: &[u8]) -> Range {
    let is_runtime = |r: &Range| r.bytes(data).starts_with(b"runtime.");
    if let Some(f) = frames.iter().find(|f| !is_runtime(f)) {
        return *f;
    }
    frames
        .iter()
        .rev()
        .find(|f| f.bytes(data) != b"runtime.goexit")
        .copied()
        .unwrap_or_default()
}

/// Read every record after the header.
pub fn scan(data: &[u8]) -> Result<Scan, Fail> {
    scan_limited(data, |_| false)
}

/// [`scan`], stopping early (with [`Scan::cut_short`] set) once its objects and alloc samples
/// would take more than `budget` bytes at `per_object` and `per_sample` bytes each (checked
/// every 4,096 objects): a dump whose scan alone does not fit is refused before it is killed.
pub fn scan_within_budget(
    data: &[u8],
    budget: u64,
    per_object: u64,
    per_sample: u64,
) -> Result<Scan, Fail> {
    scan_limited(data, |s: &Scan| {
        (s.objects.len() as u64)
            .saturating_mul(per_object)
            .saturating_add((s.samples.len() as u64).saturating_mul(per_sample))
            > budget
    })
}

fn scan_limited(data: &[u8], over: impl Fn(&Scan) -> bool) -> Result<Scan, Fail> {
    let mut s = Scan::default();
    let mut c = Cur::new(data, HEADER.len());
    // Until the params record says otherwise, a field offset need only lie inside its block.
    let mut ptr = 1u64;
    let mut frames: Vec<Range> = Vec::new();
    loop {
        let rec = c.pos;
        let tag = c.uvarint("a record tag")?;
        match tag {
            TAG_EOF => {
                s.trailing = data.len() - c.pos;
                return Ok(s);
            }
            TAG_OBJECT => {
                let (b, n) = c.block(["an object address", "an object's contents"], ptr)?;
                s.objects.push(b);
                s.pointer_fields += n;
                if s.objects.len() % 4096 == 0 && over(&s) {
                    s.cut_short = Some(c.pos);
                    return Ok(s);
                }
            }
            TAG_OTHER_ROOT => {
                let text = c.bytes("an other-root description")?;
                let p = c.uvarint("an other-root pointer")?;
                s.roots.push(PointerRoot {
                    kind: RootKind::Other,
                    ptr: p,
                    text,
                });
            }
            TAG_TYPE => {
                c.uvarint("a type address")?;
                c.uvarint("a type size")?;
                c.bytes("a type name")?;
                c.bool("a type's indirect flag")?;
                s.types += 1;
            }
            TAG_GOROUTINE => {
                c.uvarint("a goroutine address")?;
                c.uvarint("a goroutine stack pointer")?;
                let goid = c.uvarint("a goroutine id")?;
                c.uvarint("a goroutine's creating pc")?;
                let status = c.uvarint("a goroutine status")?;
                let system = c.bool("a goroutine's system flag")?;
                c.bool("a goroutine's background flag")?;
                c.uvarint("a goroutine's wait start")?;
                let wait_reason = c.bytes("a goroutine's wait reason")?;
                for what in [
                    "a goroutine's context pointer",
                    "a goroutine's M",
                    "a goroutine's top defer",
                    "a goroutine's top panic",
                ] {
                    c.uvarint(what)?;
                }
                s.goroutines.push(Goroutine {
                    goid,
                    status,
                    system,
                    wait_reason,
                });
            }
            TAG_STACK_FRAME => {
                let Some(g) = s.goroutines.len().checked_sub(1) else {
                    return Err(Fail::at(rec, "a goroutine record before its stack frames"));
                };
                let sp = c.uvarint("a frame's stack pointer")?;
                let depth = c.uvarint("a frame's depth")?;
                c.uvarint("a frame's child stack pointer")?;
                let contents = c.bytes("a frame's contents")?;
                c.uvarint("a frame's entry pc")?;
                c.uvarint("a frame's pc")?;
                c.uvarint("a frame's continuation pc")?;
                let func = c.bytes("a frame's function name")?;
                let fields_at = c.pos;
                c.fields(contents.len, ptr)?;
                s.frames.push(Frame {
                    block: Block { addr: sp, contents },
                    fields_at,
                    func,
                    goroutine: g as u32,
                    depth,
                });
            }
            TAG_PARAMS => {
                let big_endian = c.bool("the byte order flag")?;
                let at = c.pos;
                let ptr_size = c.uvarint("the pointer size")?;
                if ptr_size != 4 && ptr_size != 8 {
                    return Err(Fail::at(
                        at,
                        Expected::fmt("a pointer size of 4 or 8 (found {})", "", &[ptr_size]),
                    ));
                }
                ptr = ptr_size;
                let heap_start = c.uvarint("the heap's start")?;
                let heap_end = c.uvarint("the heap's end")?;
                let arch = c.bytes("the architecture")?;
                let version = c.bytes("the Go version")?;
                let ncpu = c.uvarint("the CPU count")?;
                s.params = Some(Params {
                    big_endian,
                    ptr_size,
                    heap_start,
                    heap_end,
                    arch,
                    version,
                    ncpu,
                });
            }
            TAG_FINALIZER | TAG_QUEUED_FINALIZER => {
                let obj = c.uvarint("a finalizer's object")?;
                let func = c.uvarint("a finalizer's function value")?;
                c.uvarint("a finalizer's code pointer")?;
                c.uvarint("a finalizer's argument type")?;
                c.uvarint("a finalizer's object type")?;
                let kind = if tag == TAG_FINALIZER {
                    RootKind::Finalizer
                } else {
                    RootKind::QueuedFinalizer
                };
                for p in [obj, func] {
                    s.roots.push(PointerRoot {
                        kind,
                        ptr: p,
                        text: Range::default(),
                    });
                }
            }
            TAG_ITAB => {
                c.uvarint("an itab address")?;
                c.uvarint("an itab's type")?;
                s.itabs += 1;
            }
            TAG_OS_THREAD => {
                c.uvarint("an M address")?;
                c.uvarint("an M id")?;
                c.uvarint("an OS thread id")?;
                s.threads += 1;
            }
            TAG_MEMSTATS => {
                let mut m = Box::new([0u64; MEMSTATS_LEN]);
                for v in m.iter_mut() {
                    *v = c.uvarint("a MemStats number")?;
                }
                s.memstats = Some(m);
            }
            TAG_DATA | TAG_BSS => {
                let (b, _) = c.block(["a segment address", "a segment's contents"], ptr)?;
                s.segments.push((tag == TAG_BSS, b));
            }
            TAG_DEFER => {
                c.uvarint("a defer address")?;
                c.uvarint("a defer's goroutine")?;
                c.uvarint("a defer's argp")?;
                c.uvarint("a defer's pc")?;
                let func = c.uvarint("a defer's function value")?;
                c.uvarint("a defer's code pointer")?;
                c.uvarint("a defer's link")?;
                s.roots.push(PointerRoot {
                    kind: RootKind::Defer,
                    ptr: func,
                    text: Range::default(),
                });
            }
            TAG_PANIC => {
                c.uvarint("a panic address")?;
                c.uvarint("a panic's goroutine")?;
                c.uvarint("a panic's value type")?;
                let value = c.uvarint("a panic's value")?;
                c.uvarint("a panic's defer")?;
                c.uvarint("a panic's link")?;
                s.roots.push(PointerRoot {
                    kind: RootKind::Panic,
                    ptr: value,
                    text: Range::default(),
                });
            }
            TAG_MEMPROF => {
                let id = c.uvarint("a bucket id")?;
                let size = c.uvarint("a bucket's object size")?;
                let at = c.pos;
                let depth = c.uvarint("a bucket's stack depth")?;
                // Each frame takes at least 3 bytes (two empty strings and a line).
                if depth > ((data.len() - c.pos) / 3) as u64 {
                    return Err(Fail::at(
                        at,
                        Expected::fmt(
                            "a stack depth the {} bytes left can hold (found {})",
                            "",
                            &[(data.len() - c.pos) as u64, depth],
                        ),
                    ));
                }
                frames.clear();
                for _ in 0..depth {
                    frames.push(c.bytes("a frame's function name")?);
                    c.bytes("a frame's file name")?;
                    c.uvarint("a frame's line")?;
                }
                let allocs = c.uvarint("a bucket's allocation count")?;
                let frees = c.uvarint("a bucket's free count")?;
                s.buckets.push(Bucket {
                    id,
                    site: site_of(&frames, data),
                    size,
                    allocs,
                    frees,
                });
            }
            TAG_ALLOC_SAMPLE => {
                let addr = c.uvarint("a sampled object's address")?;
                let bucket = c.uvarint("a sample's bucket id")?;
                s.samples.push((addr, bucket));
            }
            t => {
                return Err(Fail::at(
                    rec,
                    Expected::fmt("a record tag 0–17 (found {})", "", &[t]),
                ))
            }
        }
    }
}

/// The header line found where `go1.7 heap dump` was expected, quoted for the error.
pub fn header_error(data: &[u8]) -> Fail {
    let line = data.iter().take(40).position(|&b| b == b'\n').unwrap_or(0);
    fn write(input: &[u8], nums: [u64; 3], out: &mut String) {
        out.push_str("the header \"go1.7 heap dump\" (the format Go 1.7 and later write; found \"");
        crate::error::quote(input, nums[0], out);
        out.push_str("\", which this reader does not support)");
    }
    Fail::at(0, Expected::Quote(write, [span(0, line), 0, 0]))
}
