//! Working arrays of the out-of-core analysis: [`WorkVec`], an array whose pages come from a
//! *shared* mapping of an unnamed spill file, and the [`Store`] that allocates the analysis'
//! arrays either on the heap ([`Heap`], plain `Vec`s) or in such files ([`Files`]).
//!
//! Why: on a dump bigger than the memory available, the dominator pass' working arrays (`pre`,
//! `node_of`, `parent`, `semi`, the back-predecessor lists, the semidominators' forest), the
//! dominator children, the root-path parents and BFS queue and the retained sizes can all live in
//! files in `$TMPDIR`. Their pages are then page cache: written back and dropped by the kernel
//! under pressure, read again (mostly in the order the passes walk them) when needed. Only bitsets
//! (a bit per node), the list of weakly-referencing BFS nodes and DFS/tree-walk stacks stay
//! anonymous.
//!
//! The in-memory analysis uses [`Large`] for what it keeps (results, and the DFS preorder that
//! waits idle through the semidominator loop): spill files from the start for arrays past the
//! spill threshold, rather than building them on the heap and spilling them once complete.
//!
//! Rules:
//! - A [`WorkVec`] is a data pointer, a length and a capacity, exactly like a `Vec`; the backing
//!   (heap or mapping) only decides where the pages come from. It derefs to a plain `&[T]` /
//!   `&mut [T]` with no branch on the backing, so loops over it compile as over a `Vec`.
//! - The analysis code is generic over the [`Store`]; the in-memory path is instantiated with
//!   [`Heap`], whose arrays *are* `Vec`s, so it compiles to the code it had before out-of-core
//!   analysis existed (instruction counts in benches/scripts/ooc/RESULTS.md).
//! - A spill file's blocks are reserved up front (`fallocate`), so writes through the shared
//!   mapping cannot hit a full disk (no SIGBUS). An array filled with a value other than zero
//!   ([`Store::filled`]) is written to its file with `pwrite`, not through the mapping, whose first
//!   touch of each page would zero-fill it (and its read-ahead window) first. Where the file cannot
//!   be created, sized or mapped (full disk, a file system without `fallocate`), the array is
//!   allocated on the heap instead and the [`Files`] store remembers why (one warning in the
//!   graph's).
//! - [`Large`] maps the arrays it fills with a value other than zero (written with `pwrite`,
//!   so their pages are cached) writable at once ([`WorkVec::populate_write`],
//!   `MADV_POPULATE_WRITE`): a pass that reads an element before setting it would otherwise
//!   take a read fault and then a write fault (with the file system's `page_mkwrite`) per page.
//!   Advice only (an older kernel refuses it: the pages fault in as before), and not out of
//!   core ([`Files`]), where mapping a whole array at once could read back pages the limit
//!   made the kernel drop.
//! - [`Large`] writes every element of its file-backed arrays with `pwrite` before the array
//!   exposes it — fills in whole, zeros too, and arrays grown by `push` 1 MiB ahead of their
//!   length ([`WorkVec::write_ahead`]) — so that a dead array's spill file, its pages cached
//!   and mapped writable, can serve the next large array ([`Spares`]) without that array
//!   ever showing the old bytes: no fresh page to fault in, zero-fill and later free for it
//!   (on the 2.18 GB JDK 17 dump the DFS leaves' parents and the root paths' queue become
//!   the dominator children: ~0.9 s of system time less, 510 K → ~430 K page faults). Not
//!   out of core ([`Files`]): a whole array's dirty pages at once could exceed the limit.
//! - tmpfs/ramfs directories are refused by [`Spill::is_usable`](crate::Spill::is_usable)
//!   before any [`Files`] store exists: their pages could not be dropped.
//! - Contents are identical either way, so the analysis' results are too (tested:
//!   graph/tests/out_of_core.rs; benches/scripts/ooc/RESULTS.md for real dumps).

use std::cell::RefCell;
use std::fs::File;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};

use crate::column::{Column, Plain};

/// A growable array whose pages live on the heap or in a shared mapping of a spill file (see
/// the module docs). Growing past the capacity moves it to the heap.
pub struct WorkVec<T: Plain> {
    ptr: *mut T,
    len: usize,
    /// Elements usable without the cold path ([`WorkVec::grow`]): the whole buffer, or for an
    /// array written ahead ([`WorkVec::write_ahead`]) the part of the file written so far.
    cap: usize,
    backing: Backing<T>,
}

enum Backing<T> {
    /// A `Vec` of length 0 owning `cap` elements of capacity (written through `ptr`).
    Heap { vec: Vec<T> },
    File {
        file: File,
        map: memmap2::MmapMut,
        /// The file is written with zeros ahead of the array's growth ([`WorkVec::write_ahead`]).
        ahead: bool,
    },
}

// SAFETY: a WorkVec owns its buffer (heap allocation or mapping) exclusively, like a Vec; `T`
// is a plain integer.
unsafe impl<T: Plain> Send for WorkVec<T> {}
unsafe impl<T: Plain> Sync for WorkVec<T> {}

impl<T: Plain> WorkVec<T> {
    fn heap(cap: usize) -> WorkVec<T> {
        let mut v: Vec<T> = Vec::with_capacity(cap);
        WorkVec {
            ptr: v.as_mut_ptr(),
            len: 0,
            cap: v.capacity(),
            backing: Backing::Heap { vec: v },
        }
    }

    /// An empty array with room for `cap` elements in a new spill file in `dir` (its blocks
    /// reserved), or the reason it could not be made.
    pub fn in_file(dir: &Path, cap: usize) -> Result<WorkVec<T>, String> {
        let bytes = cap
            .checked_mul(std::mem::size_of::<T>())
            .ok_or("spill file size overflows")?;
        if bytes == 0 {
            return Ok(WorkVec::heap(0));
        }
        let file = tempfile::tempfile_in(dir)
            .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
        reserve(&file, bytes)
            .map_err(|e| format!("cannot reserve {bytes} bytes in {}: {e}", dir.display()))?;
        // SAFETY: the file is ours alone (unnamed, never shared, never truncated while mapped)
        // and its `bytes` are allocated on disk, so stores through the mapping cannot fail.
        let mut map = unsafe { memmap2::MmapOptions::new().len(bytes).map_mut(&file) }
            .map_err(|e| format!("cannot map a spill file: {e}"))?;
        Ok(WorkVec {
            ptr: map.as_mut_ptr() as *mut T,
            len: 0,
            cap,
            backing: Backing::File {
                file,
                map,
                ahead: false,
            },
        })
    }

    /// The spill file, its mapping and the length (`Ok`), or the elements as a `Vec` (`Err`,
    /// heap-backed), without copying.
    pub(crate) fn into_parts(self) -> Result<(File, memmap2::MmapMut, usize), Vec<T>> {
        let mut me = std::mem::ManuallyDrop::new(self);
        let len = me.len;
        // SAFETY: `me` is never dropped; its backing is moved out exactly once.
        let backing = unsafe { std::ptr::read(&me.backing) };
        match backing {
            Backing::File { file, map, .. } => Ok((file, map, len)),
            Backing::Heap { mut vec } => {
                // SAFETY: the first `len` elements of the capacity were written through `ptr`.
                unsafe { vec.set_len(len) };
                me.len = 0;
                Err(vec)
            }
        }
    }

    /// Write `len` copies of `v` (within the capacity) to the spill file with `pwrite` from a
    /// small buffer rather than through the mapping: whole pages written into the page cache
    /// are not zero-filled first, as pages a fault reads from the fresh file are (with the
    /// read-ahead window of zero pages around them). False, with nothing promised about the
    /// contents, when there is no file or a write fails.
    fn fill_file(&mut self, len: usize, v: T) -> bool {
        let Backing::File { file, map, .. } = &self.backing else {
            return false;
        };
        let size = std::mem::size_of::<T>();
        if len > map.len() / size {
            return false;
        }
        let chunk = vec![v; (FILL_BYTES / size).min(len)];
        // SAFETY: `T` is a plain integer type (Plain): no padding, every byte initialised.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                chunk.as_ptr() as *const u8,
                std::mem::size_of_val(&chunk[..]),
            )
        };
        write_pattern(file, bytes, 0, len * size)
    }

    /// Write the file with zeros ahead of the array's growth from now on (an empty array in a
    /// spill file; nothing otherwise): its usable capacity becomes what has been written,
    /// and growth past it ([`WorkVec::grow`], the cold path of `push` and `resize`) writes
    /// the next [`AHEAD_BYTES`] with `pwrite` before any store reaches those pages. Why: a
    /// dead array written ahead leaves its file to the next one ([`Spares`]), which must
    /// never show what the file held before: every element it exposes was written first.
    /// On a fresh file the pages are then in the page cache when the array's stores first
    /// touch them, instead of being read from the file's reserved (unwritten) blocks by a
    /// fault that zero-fills them (with the read-ahead window around them) and made writable
    /// by a second one; alone that measured a wash on the 2.18 GB JDK 17 dump (the copy into
    /// each fresh page costs what the zeroing did; 510 K → 435 K page faults), the reuse is
    /// the gain (benches/scripts/ooc/RESULTS.md). Should a write fail, the part is zeroed
    /// through the mapping instead (the blocks are reserved): only the speed differs.
    fn write_ahead(&mut self) {
        if let Backing::File { ahead, .. } = &mut self.backing {
            if self.len == 0 {
                *ahead = true;
                self.cap = 0;
            }
        }
    }

    /// For an array written ahead: write zeros from the usable capacity up to at least
    /// `min_cap` elements (whole [`AHEAD_BYTES`] steps, within the mapping) and make them
    /// usable. False (nothing done) for any other array, or past the mapping's end.
    fn grow_ahead(&mut self, min_cap: usize) -> bool {
        let Backing::File {
            file,
            map,
            ahead: true,
        } = &self.backing
        else {
            return false;
        };
        let size = std::mem::size_of::<T>();
        let room = map.len();
        let Some(want) = min_cap.checked_mul(size).filter(|&b| b <= room) else {
            return false;
        };
        let from = self.cap * size;
        let end = want
            .max(from + AHEAD_BYTES)
            .div_ceil(AHEAD_BYTES)
            .saturating_mul(AHEAD_BYTES)
            .min(room);
        if !write_pattern(file, &ZEROS, from, end) {
            // A reused file ([`Large`]) may hold an earlier array's bytes there: zero them
            // through the mapping (the blocks are reserved, so that cannot fail).
            // SAFETY: `from..end` is inside the mapping, which no slice of ours covers yet.
            unsafe { std::ptr::write_bytes((self.ptr as *mut u8).add(from), 0, end - from) };
        }
        self.cap = end / size;
        true
    }

    /// An array written ahead ([`WorkVec::write_ahead`]) in `spare`'s file and mapping, whose
    /// contents it never shows (each element is written before it is exposed).
    fn reusing(spare: Spare) -> WorkVec<T> {
        let Spare { file, mut map, .. } = spare;
        WorkVec {
            ptr: map.as_mut_ptr() as *mut T,
            len: 0,
            cap: 0,
            backing: Backing::File {
                file,
                map,
                ahead: true,
            },
        }
    }

    /// Map every page of a file-backed array writable now, in one call
    /// (`MADV_POPULATE_WRITE`, Linux 5.14+), rather than by a fault on the first read of each
    /// page and another on its first write (a pass that tests an element before setting it:
    /// ~2.4 faults per page of the root paths' parents, each write fault with the file
    /// system's `page_mkwrite`). Pages a fill wrote are cached already, fresh ones are
    /// zero-filled as a fault would; the file's blocks are reserved, so this cannot fail for
    /// want of space. Advice only: true when the kernel did it; false (nothing changed, the
    /// pages fault in as before) on the heap, on an older kernel or when the call fails.
    pub fn populate_write(&self) -> bool {
        match &self.backing {
            #[cfg(target_os = "linux")]
            Backing::File { map, .. } => map.advise(memmap2::Advice::PopulateWrite).is_ok(),
            _ => false,
        }
    }

    /// Are the pages in a spill file?
    pub fn is_file_backed(&self) -> bool {
        matches!(self.backing, Backing::File { .. })
    }

    /// Anonymous bytes held (the capacity on the heap, 0 in a file).
    pub fn heap_bytes(&self) -> usize {
        match self.backing {
            Backing::Heap { .. } => self.cap * std::mem::size_of::<T>(),
            Backing::File { .. } => 0,
        }
    }

    /// Make room for at least `min_cap` elements (growth past the usable capacity): the next
    /// part of the file for an array written ahead, else a move to the heap.
    #[cold]
    fn grow(&mut self, min_cap: usize) {
        if self.grow_ahead(min_cap) {
            return;
        }
        let mut bigger = WorkVec::heap(min_cap.max(self.cap.saturating_mul(2)).max(4));
        // SAFETY: both buffers hold at least `len` elements and do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr, bigger.ptr, self.len) };
        bigger.len = self.len;
        *self = bigger;
    }
}

/// Bytes of one `pwrite` of a fill ([`WorkVec::fill_file`]) or of zeros ahead of an array's
/// growth.
const FILL_BYTES: usize = 64 << 10;

/// How far ahead of its growth an array written ahead is written at a time
/// ([`WorkVec::write_ahead`]): 1 MiB, a multiple of the page size, 256 pages per `pwrite`
/// call of [`FILL_BYTES`] each.
const AHEAD_BYTES: usize = 1 << 20;

static ZEROS: [u8; FILL_BYTES] = [0; FILL_BYTES];

/// Write bytes `from..to` of `file` with copies of `pattern` from `from` on (a buffer of
/// whole elements of one value, or of zeros). False when a write fails.
fn write_pattern(file: &File, pattern: &[u8], from: usize, to: usize) -> bool {
    use std::os::unix::fs::FileExt;
    let mut at = from;
    while at < to {
        let n = pattern.len().min(to - at);
        if file.write_all_at(&pattern[..n], at as u64).is_err() {
            return false;
        }
        at += n;
    }
    true
}

/// Reserve `bytes` on disk for `file` (Linux: `fallocate`; elsewhere `set_len`, which may
/// leave a sparse file).
fn reserve(file: &File, bytes: usize) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let len = libc::off_t::try_from(bytes)
            .map_err(|_| std::io::Error::other("spill file larger than off_t"))?;
        // SAFETY: a valid descriptor we own; mode 0 allocates blocks and extends the size.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        file.set_len(bytes as u64)
    }
}

impl<T: Plain> Drop for WorkVec<T> {
    /// A dead array written ahead leaves its spill file, with its cached pages, to the next
    /// large array ([`Large`]); any other backing is freed.
    fn drop(&mut self) {
        let backing = std::mem::replace(&mut self.backing, Backing::Heap { vec: Vec::new() });
        if let Backing::File {
            file,
            map,
            ahead: true,
        } = backing
        {
            Spares::put(Spare { file, map });
        }
    }
}

/// A dead written-ahead array's spill file and its shared mapping (the mapping's length is the
/// file's).
struct Spare {
    file: File,
    map: memmap2::MmapMut,
}

/// Spill files of dead arrays kept for the next large array of the in-memory analysis
/// ([`Large`]): their pages are in the page cache already, mapped writable, so reusing them
/// spares first touches of fresh pages (zeroing or copying into each, the page fault, the
/// page cache insertion) and, later, freeing them (truncation and block discards) — the
/// dominators' DFS leaves, the root paths' queue and the DFS preorder, 4 B/node each, become
/// the dominator children's offsets and lists. A request no spare can hold releases them
/// all (arrays come in the passes' order, smaller ones rarely fit later), so the pool keeps
/// no page cache past the pass after its arrays died; at most [`Spares::MAX`] are kept, and
/// none once no [`Large`] store is left (the analysis is over: a server or a batch must not
/// keep dead files, whose dirty pages would be written back to disk for nothing).
struct Spares;

static SPARES: std::sync::Mutex<Vec<Spare>> = std::sync::Mutex::new(Vec::new());

/// [`Large`] stores alive in the process.
static LARGE_STORES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Spares {
    const MAX: usize = 4;

    fn put(s: Spare) {
        let mut pool = SPARES.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < Self::MAX && LARGE_STORES.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            pool.push(s);
        }
    }

    /// Free every spare (outside the lock).
    fn clear() {
        let all = std::mem::take(&mut *SPARES.lock().unwrap_or_else(|p| p.into_inner()));
        drop(all);
    }

    /// The smallest spare of at least `bytes`, or none (then every spare is released: see
    /// [`Spares`]). Freed outside the lock.
    fn take(bytes: usize) -> Option<Spare> {
        let mut pool = SPARES.lock().unwrap_or_else(|p| p.into_inner());
        let best = (0..pool.len())
            .filter(|&i| pool[i].map.len() >= bytes)
            .min_by_key(|&i| pool[i].map.len());
        match best {
            Some(i) => Some(pool.swap_remove(i)),
            None => {
                let all = std::mem::take(&mut *pool);
                drop(pool);
                drop(all);
                None
            }
        }
    }
}

/// Free the dead arrays' spill files kept for reuse ([`Spares`]) now, for an analysis whose
/// passes will ask for no more (its last [`Large`] store would free them when dropped): on a
/// thread beside the next pass rather than after it.
pub(crate) fn release_spares() {
    Spares::clear();
}

impl<T: Plain> Deref for WorkVec<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` addresses `cap >= len` elements owned by `backing`, the first `len`
        // written (heap) or read as zero-filled file pages (every bit pattern is a valid T).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T: Plain> DerefMut for WorkVec<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// What the analysis needs of a working array: a `Vec`'s growth operations. Implemented by
/// `Vec` (the in-memory path) and [`WorkVec`].
pub trait Arr<T: Plain>: DerefMut<Target = [T]> + Sized {
    fn push(&mut self, v: T);
    fn clear(&mut self);
    fn truncate(&mut self, len: usize);
    /// Grow or shrink to `len` elements, new ones set to `v`.
    fn resize(&mut self, len: usize, v: T);
    /// Elements it holds without growing.
    fn capacity(&self) -> usize;
    /// The array as a [`Column`] (a result kept after the pass).
    fn into_column(self) -> Column<T>;
    /// The array as a `Vec` if it is one (the in-memory path's working arrays), so that a
    /// dead one can serve a later pass as working space: its pages are touched already.
    fn into_vec(self) -> Option<Vec<T>> {
        None
    }
    /// A `Vec` as the array, if the array is one (else the `Vec` back).
    fn from_vec(v: Vec<T>) -> Result<Self, Vec<T>> {
        Err(v)
    }
}

impl<T: Plain> Arr<T> for Vec<T> {
    #[inline(always)]
    fn push(&mut self, v: T) {
        Vec::push(self, v)
    }
    #[inline(always)]
    fn clear(&mut self) {
        Vec::clear(self)
    }
    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len)
    }
    #[inline(always)]
    fn resize(&mut self, len: usize, v: T) {
        Vec::resize(self, len, v)
    }
    fn capacity(&self) -> usize {
        Vec::capacity(self)
    }
    fn into_column(self) -> Column<T> {
        Column::from(self)
    }
    fn into_vec(self) -> Option<Vec<T>> {
        Some(self)
    }
    fn from_vec(v: Vec<T>) -> Result<Self, Vec<T>> {
        Ok(v)
    }
}

impl<T: Plain> Arr<T> for WorkVec<T> {
    #[inline]
    fn push(&mut self, v: T) {
        if self.len == self.cap {
            self.grow(self.len + 1);
        }
        // SAFETY: `len < cap` now.
        unsafe { self.ptr.add(self.len).write(v) };
        self.len += 1;
    }
    fn clear(&mut self) {
        self.len = 0;
    }
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
    fn resize(&mut self, len: usize, v: T) {
        if len > self.cap {
            self.grow(len);
        }
        if len > self.len {
            // SAFETY: `len <= cap`; the range [self.len, len) is inside the buffer.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.add(self.len), len - self.len) }
                .fill(v);
        }
        self.len = len;
    }
    fn capacity(&self) -> usize {
        self.cap
    }
    fn into_column(self) -> Column<T> {
        Column::from(self)
    }
}

/// Where the analysis allocates its large arrays.
pub trait Store {
    type Arr<T: Plain>: Arr<T>;
    /// An empty array with room for `cap` elements.
    fn with_capacity<T: Plain>(&self, cap: usize) -> Self::Arr<T>;
    /// `len` copies of `v`.
    fn filled<T: Plain>(&self, len: usize, v: T) -> Self::Arr<T> {
        let mut a = self.with_capacity(len);
        a.resize(len, v);
        a
    }
}

/// Plain `Vec`s in anonymous memory: the in-memory analysis.
pub struct Heap;

impl Store for Heap {
    type Arr<T: Plain> = Vec<T>;
    #[inline(always)]
    fn with_capacity<T: Plain>(&self, cap: usize) -> Vec<T> {
        Vec::with_capacity(cap)
    }
    #[inline(always)]
    fn filled<T: Plain>(&self, len: usize, v: T) -> Vec<T> {
        vec![v; len]
    }
}

/// [`WorkVec`]s in spill files of one directory: the out-of-core analysis. An array that cannot
/// go to a file goes to the heap; the first reason is kept ([`take_warning`](Self::take_warning)).
pub struct Files {
    dir: PathBuf,
    failed: RefCell<Option<String>>,
}

impl Files {
    /// Spill files in `dir` (checked by the caller:
    /// [`Spill::is_out_of_core`](crate::Spill::is_out_of_core)).
    pub fn new(dir: impl Into<PathBuf>) -> Files {
        Files {
            dir: dir.into(),
            failed: RefCell::new(None),
        }
    }

    /// Why an array had to stay on the heap, if one did.
    pub fn take_warning(&self) -> Option<String> {
        self.failed.borrow_mut().take()
    }
}

impl Store for Files {
    type Arr<T: Plain> = WorkVec<T>;
    fn with_capacity<T: Plain>(&self, cap: usize) -> WorkVec<T> {
        match WorkVec::in_file(&self.dir, cap) {
            Ok(w) => w,
            Err(why) => {
                self.failed.borrow_mut().get_or_insert(why);
                WorkVec::heap(cap)
            }
        }
    }
    fn filled<T: Plain>(&self, len: usize, v: T) -> WorkVec<T> {
        let mut a = self.with_capacity(len);
        // The reserved blocks read as zeros: nothing to write for zeros; other values go to
        // the file by `write` (no zero-filled page faults, see `fill_file`).
        if a.is_file_backed() && (v == T::default() || a.fill_file(len, v)) {
            a.len = len;
        } else {
            a.resize(len, v);
        }
        a
    }
}

/// The in-memory analysis' store for arrays it keeps (results) or leaves idle for long, where
/// [`Spill`](crate::Spill) allows spilling: an array of at least `min_bytes` goes to a spill
/// file from the start (as [`Files`] would put it), a smaller one to the heap. Such arrays
/// would be spilled once complete anyway ([`Column::spill`]); allocating them in the file
/// saves holding them in anonymous memory while they are built.
pub struct Large {
    files: Files,
    min_bytes: usize,
}

impl Large {
    /// Spill files in `dir` for arrays of `min_bytes` or more.
    pub fn new(dir: impl Into<PathBuf>, min_bytes: usize) -> Large {
        LARGE_STORES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Large {
            files: Files::new(dir),
            min_bytes,
        }
    }

    /// Why an array had to stay on the heap, if one did.
    pub fn take_warning(&self) -> Option<String> {
        self.files.take_warning()
    }

    fn is_large<T: Plain>(&self, len: usize) -> bool {
        len > 0 && len.saturating_mul(std::mem::size_of::<T>()) >= self.min_bytes
    }

    /// An empty array written ahead ([`WorkVec::write_ahead`]) with room for at least `cap`
    /// elements: in a dead array's spill file when one is large enough ([`Spares`]), else in
    /// a new one sized up to whole [`AHEAD_BYTES`] (so that an array of a few elements more
    /// than the one before it, `n + 2` after `n`, can reuse its file).
    fn ahead<T: Plain>(&self, cap: usize) -> WorkVec<T> {
        let size = std::mem::size_of::<T>();
        let bytes = cap.saturating_mul(size);
        if let Some(s) = Spares::take(bytes) {
            return WorkVec::reusing(s);
        }
        let room = bytes.div_ceil(AHEAD_BYTES).saturating_mul(AHEAD_BYTES) / size;
        let mut a = self.files.with_capacity(room.max(cap));
        a.write_ahead();
        a
    }
}

impl Drop for Large {
    /// The last store of the process frees the dead arrays' files ([`Spares`]).
    fn drop(&mut self) {
        if LARGE_STORES.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            Spares::clear();
        }
    }
}

impl Store for Large {
    type Arr<T: Plain> = WorkVec<T>;
    fn with_capacity<T: Plain>(&self, cap: usize) -> WorkVec<T> {
        if self.is_large::<T>(cap) {
            // Written with zeros ahead of its growth: no fault reads a fresh page of the file.
            self.ahead(cap)
        } else {
            WorkVec::heap(cap)
        }
    }
    fn filled<T: Plain>(&self, len: usize, v: T) -> WorkVec<T> {
        if self.is_large::<T>(len) {
            // Every element is written with `pwrite`, zeros too (unlike [`Files`]): no fault
            // reads a fresh page of the file (see `WorkVec::write_ahead`). A value other than
            // zero is mapped writable at once too: its pages are cached, so that costs no
            // zeroing (zeros: measured no cheaper than faulting them in). The in-memory
            // analysis only: out of core, a whole array's pages at once, dirty, could exceed
            // the cgroup limit and be written back (and mapping them read back).
            let mut a = self.ahead::<T>(len);
            if a.is_file_backed() && a.fill_file(len, v) {
                a.cap = a.cap.max(len);
                a.len = len;
            } else {
                a.resize(len, v);
            }
            if v != T::default() {
                a.populate_write();
            }
            a
        } else {
            let mut a = WorkVec::heap(len);
            a.resize(len, v);
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Option<PathBuf> {
        let d = std::env::temp_dir();
        (!crate::column::on_memory_fs(&d)).then_some(d)
    }

    #[test]
    fn work_vec_in_a_file_behaves_as_a_vec() {
        let Some(d) = dir() else { return };
        let files = Files::new(&d);
        let mut w: WorkVec<u32> = files.filled(1000, 0);
        let mut v: Vec<u32> = vec![0; 1000];
        assert!(w.is_file_backed(), "{:?}", files.take_warning());
        assert_eq!(w.heap_bytes(), 0);
        for i in 0..1000 {
            w[i] = (i * 7) as u32;
            v[i] = (i * 7) as u32;
        }
        w.truncate(10);
        v.truncate(10);
        w.resize(500, 9);
        v.resize(500, 9);
        assert!(w.is_file_backed());
        for x in 0..2000u32 {
            w.push(x); // past the capacity: moves to the heap
            v.push(x);
        }
        assert!(!w.is_file_backed());
        assert_eq!(&w[..], &v[..]);
        let c = w.into_column();
        assert_eq!(c, v);
        let u: WorkVec<u64> = files.filled(100, u64::MAX);
        assert!(u.iter().all(|&x| x == u64::MAX) && u.len() == 100);
        let col: Column<u64> = u.into_column();
        assert!(col.is_spilled());
        // filled by writes to the file: several chunks and a partial page
        let mut f: WorkVec<u32> = files.filled(100_003, 0xdead_beef);
        assert!(f.is_file_backed());
        assert!(f.len() == 100_003 && f.iter().all(|&x| x == 0xdead_beef));
        f[100_002] = 1;
        f.push(2); // past the capacity: to the heap, contents kept
        assert_eq!(
            (f[0], f[100_001], f[100_002], f[100_003]),
            (0xdead_beef, 0xdead_beef, 1, 2)
        );
        assert_eq!(files.take_warning(), None);
    }

    /// Populating the pages changes no element: zero-filled and `pwrite`-filled arrays read
    /// the same after it, stay writable through the mapping, and an array on the heap is left
    /// alone (false).
    #[test]
    fn populated_arrays_keep_their_contents() {
        let Some(d) = dir() else { return };
        let files = Files::new(&d);
        for v in [0u32, 0xdead_beef, 7] {
            let mut w: WorkVec<u32> = files.filled(300_001, v);
            assert!(w.is_file_backed(), "{:?}", files.take_warning());
            let done = w.populate_write();
            assert!(w.iter().all(|&x| x == v) && w.len() == 300_001);
            for i in (0..w.len()).step_by(1021) {
                w[i] = i as u32;
            }
            for (i, &x) in w.iter().enumerate() {
                assert_eq!(x, if i % 1021 == 0 { i as u32 } else { v }, "{i} {done}");
            }
        }
        let large = Large::new(&d, 4096);
        let p: WorkVec<u64> = large.filled(100_000, u64::MAX);
        assert!(p.is_file_backed() && p.iter().all(|&x| x == u64::MAX));
        let heap: WorkVec<u32> = Large::new(&d, usize::MAX).filled(10, 1);
        assert!(!heap.is_file_backed() && heap[..] == [1; 10]);
        assert!(!heap.populate_write());
        assert_eq!(files.take_warning(), None);
    }

    /// Arrays of the [`Large`] store written ahead (pushed, resized, truncated across many
    /// [`AHEAD_BYTES`] steps and past their room) hold what a `Vec` holds; once dead, their
    /// files serve later arrays, which never show the bytes the file held before: zero fills,
    /// fills with a value, pushes and growth with zeros read as on a fresh `Vec`.
    #[test]
    fn written_ahead_arrays_match_vecs_and_reused_files_show_nothing_old() {
        let Some(d) = dir() else { return };
        let large = Large::new(&d, 4096);
        let mut next = {
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            }
        };
        for round in 0..4u64 {
            let n = 700_000 + round as usize * 1000;
            let mut w: WorkVec<u32> = large.with_capacity(n);
            let mut v: Vec<u32> = Vec::new();
            assert!(w.is_file_backed(), "{:?}", large.take_warning());
            for step in 0..3000u64 {
                let r = next();
                match r % 10 {
                    0 => {
                        let k = (r >> 8) as usize % (n + 100);
                        w.resize(k, 0);
                        v.resize(k, 0);
                    }
                    1 => {
                        let k = (r >> 8) as usize % n;
                        w.resize(k, r as u32 | 1);
                        v.resize(k, r as u32 | 1);
                    }
                    2 => {
                        let k = v.len().saturating_sub((r >> 8) as usize % 5000);
                        w.truncate(k);
                        v.truncate(k);
                    }
                    3 if !v.is_empty() => {
                        let i = (r >> 8) as usize % v.len();
                        w[i] = step as u32;
                        v[i] = step as u32;
                    }
                    _ => {
                        for _ in 0..(r >> 8) % 2000 {
                            w.push(step as u32 | 0x8000_0000);
                            v.push(step as u32 | 0x8000_0000);
                        }
                    }
                }
                assert_eq!(&w[..], &v[..], "round {round} step {step}");
            }
            // every byte of the file non-zero before it dies, so a reuse that showed any
            // of them would fail below
            w.resize(0, 0);
            w.resize(n, u32::MAX);
            drop(w);
            let z: WorkVec<u32> = large.filled(n + 2, 0);
            assert!(
                z.len() == n + 2 && z.iter().all(|&x| x == 0),
                "round {round}"
            );
            let f: WorkVec<u64> = large.filled(n / 2, 5);
            assert!(f.len() == n / 2 && f.iter().all(|&x| x == 5));
            let mut g: WorkVec<u32> = large.with_capacity(n - 10);
            g.push(1);
            g.resize(n / 3, 0);
            assert!(g[0] == 1 && g[1..].iter().all(|&x| x == 0) && g.len() == n / 3);
            let col = z.into_column();
            assert!(col.is_spilled() && col.iter().all(|&x| x == 0));
        }
        assert_eq!(large.take_warning(), None);
    }

    /// A reused file whose writes fail (a read-only descriptor) is zeroed through its mapping:
    /// the array still never shows the bytes an earlier one left there.
    #[test]
    fn reused_file_is_zeroed_when_writes_fail() {
        let Some(d) = dir() else { return };
        let files = Files::new(&d);
        let n = 3 * AHEAD_BYTES / 4 + 123;
        let mut old: WorkVec<u32> = files.filled(n, 0);
        old.fill(0xabcd_ef01); // through the mapping
        let (_, map, _) = old.into_parts().expect("file-backed");
        let ro = File::open("/dev/null").unwrap();
        let mut w: WorkVec<u32> = WorkVec::reusing(Spare { file: ro, map });
        w.push(7);
        w.resize(n, 0);
        assert!(w[0] == 7 && w[1..].iter().all(|&x| x == 0) && w.len() == n);
        assert!(!w.fill_file(n, 3));
        std::mem::forget(w); // not into the shared pool: its descriptor cannot write
        assert_eq!(files.take_warning(), None);
    }

    #[test]
    fn unusable_directory_falls_back_to_the_heap_with_a_reason() {
        let files = Files::new("/nonexistent/heapscope-ooc");
        let mut w: WorkVec<u32> = files.filled(100, 3);
        assert!(!w.is_file_backed());
        w.push(4);
        assert_eq!((w.len(), w[0], w[100]), (101, 3, 4));
        let why = files.take_warning().expect("a reason");
        assert!(why.contains("/nonexistent/heapscope-ooc"), "{why}");
    }

    #[test]
    fn large_store_puts_only_large_arrays_in_files() {
        let Some(d) = dir() else { return };
        let large = Large::new(&d, 4096);
        let small: WorkVec<u32> = large.filled(1023, 7);
        let big: WorkVec<u32> = large.filled(1024, 7);
        let grown: WorkVec<u64> = large.with_capacity(512);
        assert!(!small.is_file_backed());
        assert!(big.is_file_backed() && grown.is_file_backed());
        assert!(small.iter().chain(big.iter()).all(|&x| x == 7));
        assert_eq!((small.len(), big.len(), grown.len()), (1023, 1024, 0));
        assert_eq!(large.take_warning(), None);
    }
}
