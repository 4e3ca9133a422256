//! [`Column`]: a growable array of plain numbers that lives in memory while it is small and in a
//! file-backed shared mapping once it is large ("spilled"), like the index files Eclipse MAT
//! writes beside a dump.
//!
//! Why: the graph's display columns (dump ids, type ids, shallow sizes, kinds, edge labels) are
//! written once while parsing and then read in a few sequential scans and for the handful of
//! objects a report names. The hot passes (dominators, retained sizes, root paths) never touch
//! most of them. Kept in anonymous memory they are 21 bytes per object plus 4 per reference for
//! the whole run; in a spill file their pages belong to the page cache, which the kernel writes
//! back and drops under memory pressure exactly as it drops the mapped dump's pages. With memory
//! to spare nothing is ever read back from disk.
//!
//! Rules:
//! - A column is filled in memory and spilled as a whole by [`Column::spill`] once it is complete
//!   and at least [`Spill::min_bytes`] long: its bytes are written (`write`, so a full disk is an
//!   ordinary I/O error: the column stays in memory and the graph carries a warning) to an
//!   unnamed temporary file in [`Spill`]'s directory, gone when the process ends however it
//!   ends, which is then mapped *private*. Pages read come from the page cache; a page written
//!   afterwards becomes a private anonymous copy, so no write ever goes to the file system
//!   through the mapping — nothing can raise SIGBUS on a full or copy-on-write file system.
//! - Growing a spilled column past its length moves it back into memory (the builder spills
//!   only finished columns, so this does not happen in a parse).
//! - Out of core, the builder makes its big arrays with [`Column::in_file`] instead: an empty
//!   column with room for a bounded number of elements in a *shared* mapping of a spill file
//!   whose blocks are reserved (as [`crate::spill::WorkVec`]), so that they grow in the file and
//!   never in anonymous memory. The file's pages start as zeros: growing with zeros writes
//!   nothing. Runs filling parts of such a column in parallel write them through a [`Staged`]
//!   buffer and `pwrite` rather than through the mapping (no zero-filled page faults), and the
//!   gaps they leave below their bounds are closed by `pwrite` too ([`Column::move_down`]: no
//!   write fault and `page_mkwrite` per page of the moved part).
//! - A directory on tmpfs or ramfs is not used: its pages are memory that cannot be dropped, so
//!   spilling there would only hide memory from RssAnon.
//! - Every write to a spill file is at most 64 KiB ([`STAGE_BYTES`]; `spill` fills likewise):
//!   the page cache takes a write in folios as large as the write, and large fresh blocks are
//!   what is slowest to touch first on a VM that returns freed memory to its host
//!   (docs/dev/memory.md, "Memory and the kernel").
//! - Contents are identical either way; only where the bytes live differs.

use std::fs::File;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};

/// Element types a column can hold: plain integers, valid for every bit pattern (so a mapped
/// file's bytes can be viewed as them) and with no drop glue.
pub trait Plain: Copy + Default + PartialEq + Send + Sync + 'static + sealed::Sealed {}
impl Plain for u8 {}
impl Plain for u32 {}
impl Plain for u64 {}
/// Three `u32`s, `#[repr(C)]`: every bit pattern is a root (whether its indices are in range
/// is checked where a saved index is read, as for the other columns).
impl Plain for crate::graph::Root {}
/// A `u64` and two `u32`s, `#[repr(C)]`: every bit pattern is one.
impl Plain for crate::facts::ThreadRoot {}
mod sealed {
    use std::cell::RefCell;
    use std::thread::LocalKey;

    pub trait Sealed: Sized + 'static {
        /// This thread's spare [`Staged`](super::Staged) windows of this element type.
        fn spare_windows() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>>;
    }
    macro_rules! sealed {
        ($($t:ty),*) => {$(
            impl Sealed for $t {
                fn spare_windows() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>> {
                    thread_local!(static SPARE: RefCell<Vec<Vec<$t>>> = const { RefCell::new(Vec::new()) });
                    &SPARE
                }
            }
        )*};
    }
    sealed!(u8, u32, u64, crate::graph::Root, crate::facts::ThreadRoot);
}

/// Where and from what size columns spill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spill {
    /// Directory for the spill files; `None` = never spill.
    pub dir: Option<PathBuf>,
    /// A column spills when it would hold this many bytes or more.
    pub min_bytes: usize,
    /// Analyse out of core: the CSR and the analysis' working arrays and results live in spill
    /// files too, whatever their size (see [`crate::spill`]). Set by `--out-of-core` /
    /// `HEAPSCOPE_OUT_OF_CORE=1`, or by a parser whose memory estimate exceeds what is available.
    pub out_of_core: bool,
}

impl Spill {
    /// Columns from 32 MiB on (8 M ids or sizes, 4 M labels) go to files: smaller graphs never
    /// spill, and the file mapping's page faults cost nothing measurable at that size.
    pub const DEFAULT_MIN_BYTES: usize = 32 << 20;

    /// Keep everything in memory.
    pub fn never() -> Spill {
        Spill {
            dir: None,
            min_bytes: usize::MAX,
            out_of_core: false,
        }
    }

    /// Spill into `dir` from [`DEFAULT_MIN_BYTES`](Self::DEFAULT_MIN_BYTES) on.
    pub fn to_dir(dir: impl Into<PathBuf>) -> Spill {
        Spill {
            dir: Some(dir.into()),
            min_bytes: Self::DEFAULT_MIN_BYTES,
            out_of_core: false,
        }
    }

    /// The system's temporary directory (`$TMPDIR`, else `/tmp`).
    pub fn temp() -> Spill {
        Self::to_dir(std::env::temp_dir())
    }

    /// Will large columns really spill (a directory is set and it is not a memory file system)?
    pub fn is_usable(&self) -> bool {
        self.dir
            .as_deref()
            .is_some_and(|d| d.is_dir() && !on_memory_fs(d))
    }

    /// The same directory with another threshold (tests spill everything with 0).
    pub fn min_bytes(mut self, bytes: usize) -> Spill {
        self.min_bytes = bytes;
        self
    }

    /// The same directory, analysing out of core or not.
    pub fn out_of_core(mut self, on: bool) -> Spill {
        self.out_of_core = on;
        self
    }

    /// Will the analysis run out of core (asked for, and a usable directory)?
    pub fn is_out_of_core(&self) -> bool {
        self.out_of_core && self.is_usable()
    }
}

impl Default for Spill {
    fn default() -> Self {
        Spill::never()
    }
}

/// A spilled column: `len` elements in a private mapping of a file that holds exactly them, or
/// (a working array kept as a result, [`crate::spill::WorkVec`]) in a shared mapping of a file
/// whose blocks are reserved.
struct Mapped<T> {
    file: File,
    map: memmap2::MmapMut,
    len: usize,
    /// Elements from here to the mapping's end were never written: zero pages of a fresh file
    /// (the mapping's capacity when not known).
    fresh: usize,
    /// Growth stays in the file up to the mapping's capacity ([`Column::in_file`]); otherwise
    /// it moves the column into memory.
    grows: bool,
    _t: PhantomData<T>,
}

impl<T: Plain> Mapped<T> {
    /// Write `data` to a new unnamed file in `dir` and map it privately.
    fn write(dir: &Path, data: &[T]) -> Result<Mapped<T>, String> {
        use std::io::Write;
        if on_memory_fs(dir) {
            return Err(format!(
                "{} is a memory file system (tmpfs/ramfs); set TMPDIR to a directory on disk",
                dir.display()
            ));
        }
        let mut file = tempfile::tempfile_in(dir)
            .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
        // SAFETY: `T` is a plain integer type (Plain): no padding, every byte initialised.
        let bytes = unsafe {
            std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data))
        };
        // In pieces of [`STAGE_BYTES`], as every other spill write: one `write` of the whole
        // column (tens of MiB) makes the page cache take it in folios as large as the write,
        // fresh high-order blocks whose first touch is slow on a VM that hands freed memory
        // back to its host (free-page reporting); 64 KiB folios much less so (the types of
        // javac's 10.7 M objects, 42.8 MB: 0.35–0.55 s → 0.02–0.16 s in `write`, ~0.12 →
        // ~0.05 s of system time; docs/dev/memory.md, "Memory and the kernel").
        bytes
            .chunks(STAGE_BYTES)
            .try_for_each(|piece| file.write_all(piece))
            .and_then(|_| file.flush())
            .map_err(|e| format!("cannot write a spill file in {}: {e}", dir.display()))?;
        // SAFETY: the file is ours alone (unnamed, never shared, never truncated) and holds
        // exactly `bytes.len()` bytes; the mapping is private, so writes through it never reach
        // the file.
        let map = unsafe { memmap2::MmapOptions::new().len(bytes.len()).map_copy(&file) }
            .map_err(|e| format!("cannot map the spill file: {e}"))?;
        Ok(Mapped {
            file,
            map,
            len: data.len(),
            fresh: data.len(),
            grows: false,
            _t: PhantomData,
        })
    }

    /// Elements the column may hold in its file: the room reserved by [`Column::in_file`], else
    /// 0 (growth moves it into memory).
    fn cap(&self) -> usize {
        if self.grows {
            self.map.len() / std::mem::size_of::<T>()
        } else {
            0
        }
    }

    fn as_slice(&self) -> &[T] {
        // SAFETY: the map is page-aligned (so aligned for T) and holds `len` elements; every
        // bit pattern is a valid `T` (Plain: u8/u32/u64).
        unsafe { std::slice::from_raw_parts(self.map.as_ptr() as *const T, self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr() as *mut T, self.len) }
    }

    /// The elements and the file behind them, at once.
    fn slice_and_file(&mut self) -> (&mut [T], &File) {
        // SAFETY: as in `as_mut_slice`; the file is a separate field, borrowed shared.
        let slice =
            unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr() as *mut T, self.len) };
        (slice, &self.file)
    }
}

/// Is growing `v` to `len` elements with zeros better done by a fresh zeroed allocation: does
/// `v` hold nothing but a few zeros (at most 64 elements, so the check costs nothing) and is
/// `len` large (64 Ki elements: a page-sized fill is cheaper than a new allocation)?
fn fresh_zeros<T: Plain>(v: &[T], len: usize) -> bool {
    len >= 1 << 16 && v.len() <= 64 && v.iter().all(|&x| x == T::default())
}

/// Is `dir` on tmpfs or ramfs (pages that only swap can free)?
pub(crate) fn on_memory_fs(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `st` is a plain C struct the call fills; `c` is a valid NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    // f_type is 32 bits wide on some targets and 64 on others: compare the low 32 bits.
    #[allow(clippy::unnecessary_cast)]
    let kind = (st.f_type as i64) & 0xffff_ffff;
    rc == 0 && (kind == TMPFS_MAGIC || kind == RAMFS_MAGIC)
}

/// A read-only view of `len` elements at byte `offset` of a shared read-only mapping (a saved
/// index, graph/src/saved): nothing is copied; a write first moves the column into memory.
struct Shared<T> {
    map: std::sync::Arc<memmap2::Mmap>,
    offset: usize,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Plain> Shared<T> {
    #[inline]
    fn as_slice(&self) -> &[T] {
        // SAFETY: `Column::from_mapping` checked that `offset` is aligned for `T` (the map is
        // page-aligned) and that `offset + len * size_of::<T>()` is within the map; every bit
        // pattern is a valid `T` (Plain). The map lives as long as the Arc we hold.
        unsafe {
            std::slice::from_raw_parts(self.map.as_ptr().add(self.offset) as *const T, self.len)
        }
    }
}

enum Repr<T: Plain> {
    Mem(Vec<T>),
    File(Mapped<T>),
    Shared(Shared<T>),
}

/// A growable array of `T` in memory or in a spill file (see the module docs). It derefs to a
/// slice; growth goes through [`push`](Self::push), [`resize`](Self::resize) and
/// [`reserve`](Self::reserve).
pub struct Column<T: Plain> {
    repr: Repr<T>,
}

impl<T: Plain> Default for Column<T> {
    fn default() -> Self {
        Column::from(Vec::new())
    }
}

/// A working array of the out-of-core analysis kept as a result, without copying: a file-backed
/// one as a spilled column (its shared mapping), a heap one as a column in memory.
impl<T: Plain> From<crate::spill::WorkVec<T>> for Column<T> {
    fn from(w: crate::spill::WorkVec<T>) -> Self {
        match w.into_parts() {
            Ok((file, map, len)) => {
                // What the array wrote past its length (before a truncation) is not known.
                let fresh = map.len() / std::mem::size_of::<T>();
                Column {
                    repr: Repr::File(Mapped {
                        file,
                        map,
                        len,
                        fresh,
                        grows: false,
                        _t: PhantomData,
                    }),
                }
            }
            Err(v) => Column::from(v),
        }
    }
}

impl<T: Plain> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Self {
        Column { repr: Repr::Mem(v) }
    }
}

impl<T: Plain> Clone for Column<T> {
    /// A copy in memory.
    fn clone(&self) -> Self {
        Column::from(self.to_vec())
    }
}

/// Equal contents, wherever they live.
impl<T: Plain> PartialEq for Column<T> {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

/// A column equals a vector with the same contents (so code and tests written for `Vec` fields
/// still compare).
impl<T: Plain> PartialEq<Vec<T>> for Column<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self[..] == other[..]
    }
}

impl<T: Plain> PartialEq<Column<T>> for Vec<T> {
    fn eq(&self, other: &Column<T>) -> bool {
        self[..] == other[..]
    }
}

impl<T: Plain + std::fmt::Debug> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Plain> Column<T> {
    /// An empty column with room for `cap` elements in a new spill file in `dir` (its blocks
    /// reserved, shared mapping: see the module docs), or why it could not be made. It grows in
    /// the file up to `cap` elements, and moves into memory past that.
    pub fn in_file(dir: &Path, cap: usize) -> Result<Column<T>, String> {
        if on_memory_fs(dir) {
            return Err(format!(
                "{} is a memory file system (tmpfs/ramfs); set TMPDIR to a directory on disk",
                dir.display()
            ));
        }
        match crate::spill::WorkVec::<T>::in_file(dir, cap)?.into_parts() {
            Ok((file, map, _)) => Ok(Column {
                repr: Repr::File(Mapped {
                    file,
                    map,
                    len: 0,
                    fresh: 0,
                    grows: true,
                    _t: PhantomData,
                }),
            }),
            Err(v) => Ok(Column::from(v)), // no room asked for
        }
    }

    /// The spill file behind a column that grows in its file ([`Column::in_file`]), opened
    /// again (a second descriptor), for [`Staged`] writers of its parts; `None` for any other
    /// column (in memory, written once and mapped private, or a saved index's view).
    pub fn stage_file(&self) -> Option<File> {
        match &self.repr {
            Repr::File(m) if m.grows => m.file.try_clone().ok(),
            _ => None,
        }
    }

    /// Move the `len` elements from `from` on down to `to` (`to <= from`, both ranges within
    /// the length), as the slice's `copy_within`. A column growing in its spill file
    /// ([`Column::in_file`]) moves them through a small buffer written with `pwrite`, not by
    /// stores through its shared mapping, each of whose pages would take a write fault (and the
    /// file system's `page_mkwrite`) first: the builder closes the gaps its parallel runs left
    /// below their bounds this way, which moves most of the CSR targets and labels when an
    /// early run came out short (a reference to an id missing from the dump).
    pub fn move_down(&mut self, from: usize, len: usize, to: usize) {
        match &mut self.repr {
            Repr::File(m) if m.grows => {
                let (slice, file) = m.slice_and_file();
                move_down_in(slice, Some(file), from, len, to)
            }
            _ => self.copy_within(from..from + len, to),
        }
    }

    /// Is the column in a spill file?
    pub fn is_spilled(&self) -> bool {
        matches!(self.repr, Repr::File(_))
    }

    /// A column viewing `len` elements at byte `offset` of `map` without copying (a saved
    /// index's section). `None` when the range is not inside the map or `offset` is not aligned
    /// for `T`. The file behind `map` must never be truncated or rewritten in place while mapped
    /// (saved indexes are replaced by rename, which leaves a mapped file intact).
    pub fn from_mapping(
        map: std::sync::Arc<memmap2::Mmap>,
        offset: usize,
        len: usize,
    ) -> Option<Column<T>> {
        let size = std::mem::size_of::<T>();
        let end = len.checked_mul(size)?.checked_add(offset)?;
        if end > map.len() || !offset.is_multiple_of(std::mem::align_of::<T>()) {
            return None;
        }
        if len == 0 {
            return Some(Column::default());
        }
        Some(Column {
            repr: Repr::Shared(Shared {
                map,
                offset,
                len,
                _t: PhantomData,
            }),
        })
    }

    /// Is the column a view of a shared mapping (a saved index)?
    pub fn is_mapped(&self) -> bool {
        matches!(self.repr, Repr::Shared(_))
    }

    /// Bytes of anonymous memory the column holds (0 when spilled and not written since).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Mem(v) => v.capacity() * std::mem::size_of::<T>(),
            Repr::File(_) | Repr::Shared(_) => 0,
        }
    }

    /// Move the column into a spill file if `spill` says so (a directory, at least
    /// `min_bytes`). `Ok(true)`: spilled; `Ok(false)`: nothing to do (already spilled, too
    /// small, no directory); `Err`: why it stays in memory.
    pub fn spill(&mut self, spill: &Spill) -> Result<bool, String> {
        let copy = self.spilled_copy(spill)?;
        Ok(self.replace_with(copy))
    }

    /// The first half of [`spill`](Self::spill), which only reads the column (so other readers
    /// may run beside it): its contents written to a spill file and mapped, or `None` when
    /// there is nothing to do. [`replace_with`](Self::replace_with) puts the copy in place.
    pub fn spilled_copy(&self, spill: &Spill) -> Result<Option<Column<T>>, String> {
        let Repr::Mem(v) = &self.repr else {
            return Ok(None);
        };
        let Some(dir) = &spill.dir else {
            return Ok(None);
        };
        if v.is_empty() || std::mem::size_of_val(&v[..]) < spill.min_bytes {
            return Ok(None);
        }
        let m = Mapped::write(dir, v)?;
        Ok(Some(Column {
            repr: Repr::File(m),
        }))
    }

    /// Put a [`spilled_copy`](Self::spilled_copy) of this column in its place (freeing its
    /// memory); true when there was one.
    pub fn replace_with(&mut self, copy: Option<Column<T>>) -> bool {
        match copy {
            Some(c) => {
                debug_assert!(c.len() == self.len());
                *self = c;
                true
            }
            None => false,
        }
    }

    /// Make room for `additional` more elements.
    pub fn reserve(&mut self, additional: usize) {
        if let Repr::File(m) = &self.repr {
            if m.len.saturating_add(additional) <= m.cap() {
                return;
            }
        }
        self.mem().reserve(additional);
    }

    #[inline]
    pub fn push(&mut self, v: T) {
        match &mut self.repr {
            Repr::Mem(vec) => vec.push(v),
            Repr::File(m) if m.len < m.cap() => {
                let at = m.len;
                m.len += 1;
                m.fresh = m.fresh.max(m.len);
                m.as_mut_slice()[at] = v;
            }
            _ => self.mem().push(v),
        }
    }

    /// Grow or shrink to `len` elements, new ones set to `v`. A column in memory that is empty
    /// or holds a few zeros (the CSR offsets' first) grown with zeros is allocated zeroed
    /// (fresh pages from the system, no fill pass, the room reserved before left untouched);
    /// a column in a file with room grows there, writing only what is not zero already.
    pub fn resize(&mut self, len: usize, v: T) {
        if len <= self.len() {
            self.truncate(len);
            return;
        }
        match &mut self.repr {
            Repr::Mem(vec) if v == T::default() && (vec.is_empty() || fresh_zeros(vec, len)) => {
                *vec = vec![v; len]
            }
            Repr::File(m) if len <= m.cap() => {
                let old = m.len;
                // Past `fresh` the file's pages are zeros: write there only what is not zero.
                let upto = if v == T::default() {
                    len.min(m.fresh).max(old)
                } else {
                    len
                };
                m.len = len;
                m.as_mut_slice()[old..upto].fill(v);
                m.fresh = m.fresh.max(upto);
            }
            _ => self.mem().resize(len, v),
        }
    }

    pub fn truncate(&mut self, len: usize) {
        match &mut self.repr {
            Repr::Mem(vec) => vec.truncate(len),
            Repr::File(m) => {
                // What was below the old length may have been written: no longer known zero.
                m.fresh = m.fresh.max(m.len);
                m.len = m.len.min(len);
            }
            Repr::Shared(m) => m.len = m.len.min(len),
        }
    }

    /// The column as a vector in memory, moving it back from its spill file first if need be
    /// (for growth: a spilled column holds exactly its elements).
    fn mem(&mut self) -> &mut Vec<T> {
        match &self.repr {
            Repr::File(m) => self.repr = Repr::Mem(m.as_slice().to_vec()),
            Repr::Shared(m) => self.repr = Repr::Mem(m.as_slice().to_vec()),
            Repr::Mem(_) => {}
        }
        match &mut self.repr {
            Repr::Mem(v) => v,
            _ => unreachable!("moved into memory above"),
        }
    }
}

/// `for x in &column`, as for a `Vec`.
impl<'a, T: Plain> IntoIterator for &'a Column<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Plain> Deref for Column<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match &self.repr {
            Repr::Mem(v) => v,
            Repr::File(m) => m.as_slice(),
            Repr::Shared(m) => m.as_slice(),
        }
    }
}

impl<T: Plain> DerefMut for Column<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        if matches!(self.repr, Repr::Shared(_)) {
            self.mem(); // a shared mapping is read-only: copy it first
        }
        match &mut self.repr {
            Repr::Mem(v) => v,
            Repr::File(m) => m.as_mut_slice(),
            Repr::Shared(_) => unreachable!("copied into memory above"),
        }
    }
}

/// [`Column::move_down`] on `slice`, the whole of a column whose spill file is `file` (from
/// byte 0): forward in chunks of [`STAGE_BYTES`], each read into a buffer through the mapping
/// (its pages are cached: no fault beyond the mapping's read fault-around) and written to its
/// place with `pwrite`. Moving down, a chunk only overwrites elements already read. Without a
/// file, or should a write fail, the rest moves with `copy_within` through the mapping.
fn move_down_in<T: Plain>(
    slice: &mut [T],
    file: Option<&File>,
    from: usize,
    len: usize,
    to: usize,
) {
    use std::os::unix::fs::FileExt;
    assert!(
        to <= from && from + len <= slice.len(),
        "move_down out of range"
    );
    let size = std::mem::size_of::<T>();
    let mut buf: Vec<T> = Vec::new();
    let mut done = 0;
    if let Some(f) = file.filter(|_| to < from) {
        buf.resize((STAGE_BYTES / size).min(len), T::default());
        while done < len {
            let n = buf.len().min(len - done);
            buf[..n].copy_from_slice(&slice[from + done..from + done + n]);
            // SAFETY: `T` is a plain integer type (Plain): no padding, every byte initialised.
            let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const u8, n * size) };
            if f.write_all_at(bytes, ((to + done) * size) as u64).is_err() {
                break;
            }
            done += n;
        }
    }
    if done < len {
        slice.copy_within(from + done..from + len, to + done);
    }
}

/// Bytes of one window of a [`Staged`] writer: a multiple of the page size and of every
/// element size, small enough that a run's windows of all its columns stay in the core's L2
/// cache (4 node columns: 256 KiB).
pub(crate) const STAGE_BYTES: usize = 64 << 10;

/// One parallel run's part of a column, written through a small buffer when the column is in a
/// spill file ([`Column::stage_file`]): the run's elements are gathered in windows of
/// [`STAGE_BYTES`] aligned in the file and each window is written with `pwrite` once it is left
/// (and when the writer is dropped), instead of storing through the shared mapping.
///
/// Why: the first touch of a fresh page of a spill file through its mapping makes the kernel
/// read it — zero-fill it, for a file whose blocks are reserved but unwritten — and the fault
/// reads ahead a whole window (`read_ahead_kb`, 8 MiB on the bench VM) of zero pages that leave
/// the cache before they are written: every byte of the column crossed memory three times
/// (zeroed, read for ownership, written). A `pwrite` of whole pages puts the bytes in the page
/// cache with no zeroing and no page fault (ext4 zeroes only the unwritten parts of a block a
/// write covers partly: the run's first and last block). Readers then find the pages cached.
///
/// Rules: the slice must hold zeros ([`Plain::default`]) where nothing is set: a window is
/// written from its first element to the last one set, zeros between. Elements are set in any
/// order; one below the current window (rare: out of order) is stored through the mapping,
/// which is coherent with the file. Should a write fail, the window is copied through the
/// mapping instead (the file's blocks are reserved, so that cannot fail). Without a file the
/// writer stores straight into the slice.
pub struct Staged<'a, T: Plain> {
    slice: &'a mut [T],
    file: Option<&'a File>,
    /// Byte offset in the file of `slice[0]`.
    at: u64,
    /// The window: `buf[k]` is `slice[win + k]`.
    buf: Vec<T>,
    win: usize,
    /// Elements of `buf` up to the last one set.
    hi: usize,
}

impl<'a, T: Plain> Staged<'a, T> {
    /// A writer of `slice`, which is `slice.len()` elements of the column from element `first`
    /// on; `file` is the column's spill file ([`Column::stage_file`]), or `None` to store into
    /// the slice directly.
    pub fn new(slice: &'a mut [T], first: usize, file: Option<&'a File>) -> Staged<'a, T> {
        Staged {
            slice,
            file,
            at: (first * std::mem::size_of::<T>()) as u64,
            buf: Vec::new(),
            win: 0,
            hi: 0,
        }
    }

    /// Elements of the run.
    #[inline]
    pub fn len(&self) -> usize {
        self.slice.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slice.is_empty()
    }

    /// Set element `i` of the run (`i < len()`, else ignored).
    #[inline]
    pub fn set(&mut self, i: usize, v: T) {
        if self.file.is_none() {
            if let Some(x) = self.slice.get_mut(i) {
                *x = v;
            }
            return;
        }
        let k = i.wrapping_sub(self.win);
        if k < self.buf.len() {
            self.buf[k] = v;
            self.hi = self.hi.max(k + 1);
        } else {
            self.set_outside(i, v);
        }
    }

    /// Set elements `from..to` of the run (clamped to `len()`) to `f(i)` each, in order, as
    /// [`set`](Self::set) one by one would, but a window at a time: each window's elements
    /// made straight into its buffer (a store each, no per-element window check), so a bulk
    /// writer of a column costs a few instructions per element, not a `set` each.
    pub fn fill_with(&mut self, from: usize, to: usize, mut f: impl FnMut(usize) -> T) {
        let to = to.min(self.slice.len());
        if self.file.is_none() {
            if let Some(part) = self.slice.get_mut(from..to) {
                for (k, x) in part.iter_mut().enumerate() {
                    *x = f(from + k);
                }
            }
            return;
        }
        let mut i = from;
        while i < to {
            let k = i.wrapping_sub(self.win);
            if k < self.buf.len() {
                let stop = self.buf.len().min(to - self.win);
                for (j, x) in self.buf[k..stop].iter_mut().enumerate() {
                    *x = f(i + j);
                }
                self.hi = self.hi.max(stop);
                i = self.win + stop;
            } else if i < self.win {
                // below the window: a store into the slice
                self.set_outside(i, f(i));
                i += 1;
            } else {
                // a new window from `i` on, made straight from `f` up to its end or `to`
                // (not zeroed first: every element of it up to there is set)
                let stop = self.open_window(i).min(to);
                self.buf.reserve(stop - i);
                let room = &mut self.buf.spare_capacity_mut()[..stop - i];
                for (j, x) in room.iter_mut().enumerate() {
                    x.write(f(i + j));
                }
                // SAFETY: the buffer (empty: `open_window`) has room for `stop - i` elements,
                // and they were just written.
                unsafe { self.buf.set_len(stop - i) };
                self.hi = stop - i;
                i = stop;
            }
        }
    }

    /// Set elements `from..from + src.len()` of the run (clamped to `len()`) to `src`, as
    /// [`set`](Self::set) one by one would; in a spill file with one `pwrite` of `src` itself
    /// (no copy through the window), after the window's elements so far.
    pub fn put_slice(&mut self, from: usize, src: &[T]) {
        let to = (from + src.len()).min(self.slice.len());
        if from >= to {
            return;
        }
        let src = &src[..to - from];
        let Some(file) = self.file else {
            self.slice[from..to].copy_from_slice(src);
            return;
        };
        self.flush();
        // No window from here: its buffer may hold stale elements of the range written now.
        self.buf.clear();
        use std::os::unix::fs::FileExt;
        // SAFETY: `T` is a plain integer type (Plain): no padding, every byte initialised.
        let bytes = unsafe {
            std::slice::from_raw_parts(src.as_ptr() as *const u8, std::mem::size_of_val(src))
        };
        let at = self.at + (from * std::mem::size_of::<T>()) as u64;
        if file.write_all_at(bytes, at).is_err() {
            self.slice[from..to].copy_from_slice(src);
        }
    }

    /// [`set`](Self::set) outside the window: a new window from `i` on, or a store into the
    /// slice (below the window, or no file).
    #[cold]
    fn set_outside(&mut self, i: usize, v: T) {
        if i >= self.slice.len() {
            return;
        }
        if i < self.win {
            self.slice[i] = v;
            return;
        }
        let end = self.open_window(i);
        self.buf.resize(end - i, T::default());
        self.buf[0] = v;
        self.hi = 1;
    }

    /// The window's elements so far flushed, a new empty one from element `i` (at or past
    /// the old one, within the run); returns the element (of the run) where it ends: the next
    /// multiple of [`STAGE_BYTES`] in the file, or the run's end.
    fn open_window(&mut self, i: usize) -> usize {
        self.flush();
        let size = std::mem::size_of::<T>();
        let byte = self.at as usize + i * size;
        // the window ends at the next multiple of STAGE_BYTES in the file
        let end = ((byte / STAGE_BYTES + 1) * STAGE_BYTES - self.at as usize) / size;
        self.win = i;
        if self.buf.capacity() == 0 {
            self.buf = take_window::<T>();
        }
        self.buf.clear();
        end.min(self.slice.len())
    }

    /// Write the window's elements up to the last one set to the file (or, should that fail,
    /// through the mapping).
    fn flush(&mut self) {
        if self.hi == 0 {
            return;
        }
        let part = &self.buf[..self.hi];
        let written = self.file.is_some_and(|f| {
            use std::os::unix::fs::FileExt;
            // SAFETY: `T` is a plain integer type (Plain): no padding, every byte initialised.
            let bytes = unsafe {
                std::slice::from_raw_parts(part.as_ptr() as *const u8, std::mem::size_of_val(part))
            };
            let at = self.at + (self.win * std::mem::size_of::<T>()) as u64;
            f.write_all_at(bytes, at).is_ok()
        });
        if !written {
            self.slice[self.win..self.win + self.hi].copy_from_slice(part);
        }
        self.hi = 0;
    }
}

impl<T: Plain> Drop for Staged<'_, T> {
    /// The last window goes to the file; the window's buffer to this thread's spares.
    fn drop(&mut self) {
        self.flush();
        give_window(std::mem::take(&mut self.buf));
    }
}

/// Spare windows a thread keeps per element type: as many as one run's writers of that type
/// use at once (node runs: ids and shallow sizes; edge runs: targets and labels).
const SPARE_WINDOWS: usize = 2;

/// A window buffer of [`STAGE_BYTES`]: one of this thread's spares, else a new one. Runs
/// follow each other by the hundred on each thread; a buffer freed at the end of each would
/// be trimmed back to the kernel by the allocator (a thread's arena returns a free top of
/// 128 KiB and more) and zero-filled again at the next run's first touch, and one grown from a
/// run's short first window would be copied when it grows.
fn take_window<T: Plain>() -> Vec<T> {
    T::spare_windows()
        .try_with(|s| s.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(STAGE_BYTES / std::mem::size_of::<T>()))
}

/// Keep a window buffer for this thread's next [`Staged`] writer (a full one; up to
/// [`SPARE_WINDOWS`] per element type: at most 3 × 2 × 64 KiB per thread).
fn give_window<T: Plain>(mut buf: Vec<T>) {
    if buf.capacity() != STAGE_BYTES / std::mem::size_of::<T>() {
        return;
    }
    buf.clear();
    let _ = T::spare_windows().try_with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < SPARE_WINDOWS {
            s.push(buf);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_spills() -> bool {
        !on_memory_fs(&std::env::temp_dir())
    }

    /// A xorshift64 generator from `seed` (non-zero): test inputs, the same on every run.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn spilled_column_behaves_as_a_vec() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let spill = Spill::temp().min_bytes(0);
        let mut c: Column<u64> = Column::default();
        let mut v: Vec<u64> = Vec::new();
        let mut spilled = 0;
        for _ in 0..20_000 {
            match next() % 12 {
                0 => {
                    let n = (next() % 3000) as usize;
                    let x = next();
                    c.resize(n, x);
                    v.resize(n, x);
                }
                1 => {
                    let n = (next() % 2000) as usize;
                    c.truncate(n);
                    v.truncate(n);
                }
                2 if !v.is_empty() => {
                    let i = (next() as usize) % v.len();
                    let x = next();
                    c[i] = x;
                    v[i] = x;
                }
                3 => c.reserve((next() % 5000) as usize),
                4 => {
                    let was = c.is_spilled();
                    let done = c.spill(&spill).unwrap();
                    assert_eq!(done, temp_spills() && !v.is_empty() && !was);
                    if done {
                        spilled += 1;
                        assert!(c.is_spilled());
                        assert_eq!(c.heap_bytes(), 0);
                    }
                }
                _ => {
                    let x = next();
                    c.push(x);
                    v.push(x);
                }
            }
            assert_eq!(&c[..], &v[..]);
        }
        if temp_spills() {
            assert!(spilled > 100, "{spilled}");
        }
    }

    /// A column spilled by `Mapped::write` in `STAGE_BYTES` pieces (whole pieces, a partial
    /// last one, exactly one, less than one) holds the elements it held in memory, and the
    /// file holds exactly their bytes.
    #[test]
    fn columns_written_in_pieces_keep_every_element() {
        let piece = STAGE_BYTES / 4;
        for n in [1, piece - 1, piece, piece + 1, 3 * piece + 12_345] {
            let mut next = xorshift(0x9e37_79b9_7f4a_7c15 ^ n as u64);
            let v: Vec<u32> = (0..n).map(|_| next() as u32).collect();
            let mut c = Column::from(v.clone());
            if !c.spill(&Spill::temp().min_bytes(0)).unwrap() {
                assert!(!temp_spills());
                continue;
            }
            assert!(c.is_spilled());
            assert_eq!(&c[..], &v[..], "{n} elements");
            match &c.repr {
                Repr::File(m) => assert_eq!(m.file.metadata().unwrap().len(), 4 * n as u64),
                _ => unreachable!("a spilled column is a private mapping of its file"),
            }
        }
    }

    #[test]
    fn writes_after_spilling_stay_private_and_threshold_decides() {
        let mut c: Column<u32> = Column::from(vec![7u32; 1000]);
        assert!(!c.spill(&Spill::temp().min_bytes(1 << 20)).unwrap());
        assert!(!c.is_spilled());
        assert!(!c.spill(&Spill::never()).unwrap());
        if temp_spills() {
            c.resize(300_000, 9); // 1.2 MB
            assert!(c.spill(&Spill::temp().min_bytes(1 << 20)).unwrap());
            assert!(c.is_spilled());
            assert!(!c.spill(&Spill::temp().min_bytes(0)).unwrap()); // already
            c[5] = 1;
            c.truncate(200_000);
            assert!(c.is_spilled());
            assert_eq!(
                (c[4], c[5], c[999], c[1000], c.len()),
                (7, 1, 7, 9, 200_000)
            );
            let copy = c.clone();
            assert!(!copy.is_spilled());
            assert_eq!(copy, c);
            c.push(3); // growth moves it back into memory
            assert!(!c.is_spilled());
            assert_eq!((c[5], c[200_000], c.len()), (1, 3, 200_001));
        }
    }

    #[test]
    fn file_backed_column_grows_in_its_file_and_behaves_as_a_vec() {
        if !temp_spills() {
            return;
        }
        let dir = std::env::temp_dir();
        let mut c: Column<u32> = Column::in_file(&dir, 1 << 16).unwrap();
        let mut v: Vec<u32> = Vec::new();
        assert!(c.is_spilled() && c.is_empty());
        let mut x = 0x9e37_79b9u32;
        for step in 0..4000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            match x % 7 {
                // growing with zeros over elements written before a truncation must write them
                0 => {
                    let n = (x >> 8) as usize % 4800;
                    c.resize(n, 0);
                    v.resize(n, 0);
                }
                1 => {
                    let n = (x >> 8) as usize % 4800;
                    c.resize(n, step);
                    v.resize(n, step);
                }
                2 => {
                    let n = (x >> 8) as usize % 3000;
                    c.truncate(n);
                    v.truncate(n);
                }
                3 if !v.is_empty() => {
                    let i = (x >> 8) as usize % v.len();
                    c[i] = step;
                    v[i] = step;
                }
                _ => {
                    c.push(step);
                    v.push(step);
                }
            }
            assert_eq!(&c[..], &v[..]);
            assert!(c.is_spilled(), "stays in its file up to its room");
            assert_eq!(c.heap_bytes(), 0);
        }
        c.resize(1 << 16, 1);
        assert!(c.is_spilled());
        c.push(2); // past the room: into memory, contents kept
        v.resize(1 << 16, 1);
        v.push(2);
        assert!(!c.is_spilled());
        assert_eq!(&c[..], &v[..]);
    }

    /// Runs of a column in a spill file written through [`Staged`] (in order, out of order,
    /// repeated, past the end) hold what plain stores into a vector hold; so do runs whose
    /// writes fail (a read-only descriptor: the windows go through the mapping) and runs
    /// without a file.
    #[test]
    fn staged_writes_match_plain_stores() {
        if !temp_spills() {
            return;
        }
        let dir = std::env::temp_dir();
        let mut x = 0x2545_f491u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (how, n) in [(0, 200_000usize), (1, 70_001), (2, 33_333)] {
            let mut c: Column<u64> = Column::in_file(&dir, n).unwrap();
            c.resize(n, 0);
            let mut v = vec![0u64; n];
            let file = match how {
                0 => c.stage_file(),
                1 => Some(File::open("/dev/null").unwrap()), // every write fails
                _ => None,
            };
            assert!(c.stage_file().is_some());
            // run boundaries at no particular alignment
            let mut cuts = vec![0, n];
            for _ in 0..6 {
                cuts.push((next() as usize) % n);
            }
            cuts.sort_unstable();
            let mut rest = &mut c[..];
            for w in cuts.windows(2) {
                let (mine, r) = rest.split_at_mut(w[1] - w[0]);
                rest = r;
                let mut st = Staged::new(mine, w[0], file.as_ref());
                assert_eq!(st.len(), w[1] - w[0]);
                let mut i = 0usize;
                while i < w[1] - w[0] {
                    let r = next();
                    let val = r | 1;
                    let len = w[1] - w[0];
                    if r % 16 >= 14 {
                        // in bulk: `fill_with` or `put_slice` over a stretch (at times behind,
                        // at times past the run's end), as `set` one by one
                        let from = i.saturating_sub((r >> 8) as usize % 3 * 9_000);
                        let to = from + (r >> 16) as usize % 20_000;
                        let made = |k: usize| (k as u64).wrapping_mul(val) | 1;
                        if r % 16 == 14 {
                            st.fill_with(from, to, made);
                        } else {
                            st.put_slice(from, &(from..to).map(made).collect::<Vec<_>>());
                        }
                        for k in from..to.min(len) {
                            v[w[0] + k] = made(k);
                        }
                        i = to.max(i + 1);
                        continue;
                    }
                    let at = match r % 16 {
                        0 => i.saturating_sub((r >> 8) as usize % 40_000), // behind: out of order
                        1 => i + 2,                                        // a gap left zero
                        _ => i,
                    };
                    st.set(at, val);
                    if at < len {
                        v[w[0] + at] = val;
                    }
                    i += 1 + (r % 16 == 1) as usize;
                }
                st.set(w[1] - w[0] + 3, 7); // past the run: ignored
            }
            assert_eq!(&c[..], &v[..], "case {how}");
            assert!(c.is_spilled());
        }
    }

    /// A writer's window buffer goes to its thread's spares when it is dropped, and the next
    /// writer of that element type on the thread takes it (one buffer for runs in sequence,
    /// whatever the length of their first window); the column still holds what plain stores
    /// would; no more than [`SPARE_WINDOWS`] are kept.
    #[test]
    fn staged_windows_are_reused() {
        if !temp_spills() {
            return;
        }
        let dir = std::env::temp_dir();
        let spares = || <u32 as sealed::Sealed>::spare_windows().with(|s| s.borrow().len());
        <u32 as sealed::Sealed>::spare_windows().with(|s| s.borrow_mut().clear());
        let n = 5 * STAGE_BYTES / 4 + 123; // u32: five windows and a bit
        let mut c: Column<u32> = Column::in_file(&dir, n).unwrap();
        c.resize(n, 0);
        let mut v = vec![0u32; n];
        let file = c.stage_file();
        let cuts = [0, 1, 5_000, 40_000, 81_920, n];
        let mut bufs = Vec::new();
        let mut rest = &mut c[..];
        for w in cuts.windows(2) {
            let (mine, r) = rest.split_at_mut(w[1] - w[0]);
            rest = r;
            let mut st = Staged::new(mine, w[0], file.as_ref());
            for i in (0..w[1] - w[0]).step_by(3) {
                let val = (w[0] + i) as u32 | 1;
                st.set(i, val);
                v[w[0] + i] = val;
            }
            bufs.push(st.buf.as_ptr());
            assert_eq!(st.buf.capacity(), STAGE_BYTES / 4);
            drop(st);
            assert_eq!(spares(), 1);
        }
        assert!(
            bufs.iter().all(|&b| b == bufs[0]),
            "one buffer for every run"
        );
        assert_eq!(&c[..], &v[..]);
        // Three writers at once: two of their buffers are kept.
        let (a, r) = c.split_at_mut(10);
        let (b, d) = r.split_at_mut(10);
        let mut ws =
            [(a, 0), (b, 10), (d, 20)].map(|(s, first)| Staged::new(s, first, file.as_ref()));
        for w in &mut ws {
            w.set(0, 9);
        }
        assert_eq!(spares(), 0);
        drop(ws);
        assert_eq!(spares(), SPARE_WINDOWS);
        assert_eq!([c[0], c[10], c[20]], [9, 9, 9]);
    }

    /// [`Column::move_down`] moves what `copy_within` moves, for a column in its spill file
    /// (chunks written with `pwrite`; overlapping by a little, by much, or not at all; shorter
    /// and longer than a chunk), in memory, and when every write fails (a read-only
    /// descriptor: the rest goes through the mapping).
    #[test]
    fn move_down_matches_copy_within() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let n = 100_000usize;
        let start: Vec<u32> = (0..n).map(|_| next() as u32).collect();
        let cases = [
            (827, n - 827, 0),
            (50_000, 40_000, 49_999),
            (30_000, 20_000, 1_000),
            (5, 3, 5),
            (70_000, 0, 10),
            (20_000, 16_384, 3),
        ];
        for &(from, len, to) in &cases {
            let mut want = start.clone();
            want.copy_within(from..from + len, to);
            let mut mem = Column::from(start.clone());
            mem.move_down(from, len, to);
            assert_eq!(mem, want, "in memory {from} {len} {to}");
            if temp_spills() {
                let mut c: Column<u32> = Column::in_file(&std::env::temp_dir(), n).unwrap();
                c.resize(n, 0);
                c.copy_from_slice(&start);
                c.move_down(from, len, to);
                assert!(c.is_spilled());
                assert_eq!(c, want, "in a file {from} {len} {to}");
            }
            let mut failing = start.clone();
            let ro = File::open("/dev/null").unwrap();
            move_down_in(&mut failing, Some(&ro), from, len, to);
            assert_eq!(failing, want, "writes failing {from} {len} {to}");
        }
    }

    #[test]
    fn empty_column_grown_with_zeros_is_zeroed() {
        let mut c: Column<u64> = Column::default();
        c.reserve(10);
        c.resize(1 << 20, 0);
        assert_eq!(c.len(), 1 << 20);
        assert!(c.iter().all(|&x| x == 0));
        c.resize(3, 0);
        c.resize(6, 5);
        assert_eq!(&c[..], &[0, 0, 0, 5, 5, 5]);
        // a few zeros grown by much with zeros (a fresh allocation) or not (filled)
        for start in [vec![0u64], vec![0; 64], vec![0, 0, 9], vec![0; 65]] {
            let mut c: Column<u64> = Column::from(start.clone());
            c.reserve(1 << 17);
            c.resize(1 << 17, 0);
            let mut v = start;
            v.resize(1 << 17, 0);
            assert_eq!(c, v);
        }
    }

    #[test]
    fn unusable_directory_keeps_the_column_in_memory_with_a_reason() {
        let spill = Spill::to_dir("/nonexistent/heapscope-spill").min_bytes(0);
        let mut c: Column<u8> = Column::from(vec![1u8; 10_000]);
        let why = c.spill(&spill).unwrap_err();
        assert!(why.contains("/nonexistent/heapscope-spill"), "{why}");
        assert!(!c.is_spilled());
        assert_eq!(c.iter().map(|&b| b as usize).sum::<usize>(), 10_000);
        assert!(!spill.is_usable());
        assert!(!Spill::never().is_usable());
    }

    #[test]
    fn memory_file_systems_are_refused() {
        if Path::new("/dev/shm").is_dir() && on_memory_fs(Path::new("/dev/shm")) {
            let mut c: Column<u64> = Column::from(vec![1u64; 1000]);
            let why = c
                .spill(&Spill::to_dir("/dev/shm").min_bytes(0))
                .unwrap_err();
            assert!(why.contains("memory file system"), "{why}");
            assert!(!c.is_spilled());
            assert!(!Spill::to_dir("/dev/shm").is_usable());
        }
    }
}
