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
//! - Spilling is decided per column when it first grows past [`Spill::min_bytes`]; the file is
//!   an unnamed temporary file in [`Spill`]'s directory (gone when the process ends, however it
//!   ends) whose blocks are reserved with `posix_fallocate` before they are mapped, so a full
//!   disk is an error at growth time (then the column moves back into memory and says so in a
//!   warning), never a SIGBUS on a write.
//! - A directory on tmpfs or ramfs is not used: its pages are memory that cannot be dropped, so
//!   spilling there would only hide memory from RssAnon. The column stays in memory.
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
mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// Where and from what size columns spill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spill {
    /// Directory for the spill files; `None` = never spill.
    pub dir: Option<PathBuf>,
    /// A column spills when it would hold this many bytes or more.
    pub min_bytes: usize,
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
        }
    }

    /// Spill into `dir` from [`DEFAULT_MIN_BYTES`](Self::DEFAULT_MIN_BYTES) on.
    pub fn to_dir(dir: impl Into<PathBuf>) -> Spill {
        Spill {
            dir: Some(dir.into()),
            min_bytes: Self::DEFAULT_MIN_BYTES,
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
}

impl Default for Spill {
    fn default() -> Self {
        Spill::never()
    }
}

/// A file-backed buffer of `cap` elements, of which the first `len` are in use.
struct Mapped<T> {
    file: File,
    map: memmap2::MmapMut,
    cap: usize,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Plain> Mapped<T> {
    /// A new unnamed file in `dir` with room for `cap` elements.
    fn create(dir: &Path, cap: usize) -> Result<Mapped<T>, String> {
        if on_memory_fs(dir) {
            return Err(format!(
                "{} is a memory file system (tmpfs/ramfs); set TMPDIR or --temp-dir to a disk",
                dir.display()
            ));
        }
        let file = tempfile::tempfile_in(dir)
            .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
        let (map, cap) = map_file::<T>(&file, cap)?;
        Ok(Mapped {
            file,
            map,
            cap,
            len: 0,
            _t: PhantomData,
        })
    }

    /// Room for `cap` elements (contents kept: they are the file's).
    fn grow_to(&mut self, cap: usize) -> Result<(), String> {
        let (map, cap) = map_file::<T>(&self.file, cap)?;
        self.map = map;
        self.cap = cap;
        Ok(())
    }

    fn as_slice(&self) -> &[T] {
        // SAFETY: the map is page-aligned (so aligned for T), holds `cap >= len` elements, and
        // every bit pattern is a valid `T` (Plain: u8/u32/u64).
        unsafe { std::slice::from_raw_parts(self.map.as_ptr() as *const T, self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr() as *mut T, self.len) }
    }
}

/// Reserve disk blocks for at least `cap` elements of `T` (a page at least) and map them.
fn map_file<T>(file: &File, cap: usize) -> Result<(memmap2::MmapMut, usize), String> {
    let size = std::mem::size_of::<T>();
    let cap = cap.max(4096 / size);
    let bytes = cap
        .checked_mul(size)
        .ok_or_else(|| "column size overflows".to_string())?;
    reserve_blocks(file, bytes as u64)?;
    // SAFETY: the file is ours alone (unnamed, never shared), sized to `bytes` with its blocks
    // allocated above, so every mapped page is backed and nobody else changes it.
    let map = unsafe { memmap2::MmapOptions::new().len(bytes).map_mut(file) }
        .map_err(|e| format!("cannot map the spill file: {e}"))?;
    Ok((map, cap))
}

fn reserve_blocks(file: &File, bytes: u64) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(bytes).map_err(|_| "spill file too large".to_string())?;
    // SAFETY: a plain system call on a descriptor we own.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    if rc != 0 {
        return Err(format!(
            "cannot reserve {bytes} bytes for a spill file: {}",
            std::io::Error::from_raw_os_error(rc)
        ));
    }
    Ok(())
}

/// Is `dir` on tmpfs or ramfs (pages that only swap can free)?
fn on_memory_fs(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `st` is a plain C struct the call fills; `c` is a valid NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    #[allow(clippy::unnecessary_cast)]
    let kind = st.f_type as i64;
    rc == 0 && (kind == TMPFS_MAGIC || kind == RAMFS_MAGIC)
}

enum Repr<T> {
    Mem(Vec<T>),
    File(Mapped<T>),
}

/// A growable array of `T` in memory or in a spill file (see the module docs). It derefs to a
/// slice; growth goes through [`push`](Self::push), [`resize`](Self::resize) and
/// [`reserve`](Self::reserve).
pub struct Column<T: Plain> {
    repr: Repr<T>,
    spill: Spill,
    /// Why a spill was refused or undone, for the graph's warnings (reported once).
    warning: Option<String>,
}

impl<T: Plain> Default for Column<T> {
    fn default() -> Self {
        Column::new(Spill::never())
    }
}

impl<T: Plain> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Self {
        Column {
            repr: Repr::Mem(v),
            spill: Spill::never(),
            warning: None,
        }
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

impl<T: Plain + std::fmt::Debug> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Plain> Column<T> {
    /// An empty column that spills as `spill` says.
    pub fn new(spill: Spill) -> Column<T> {
        Column {
            repr: Repr::Mem(Vec::new()),
            spill,
            warning: None,
        }
    }

    /// Is the column in a spill file?
    pub fn is_spilled(&self) -> bool {
        matches!(self.repr, Repr::File(_))
    }

    /// Why the column is in memory although it was asked to spill, once.
    pub fn take_warning(&mut self) -> Option<String> {
        self.warning.take()
    }

    /// Bytes of anonymous memory the column holds (0 when spilled).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Mem(v) => v.capacity() * std::mem::size_of::<T>(),
            Repr::File(_) => 0,
        }
    }

    /// Make room for `additional` more elements.
    pub fn reserve(&mut self, additional: usize) {
        let need = self.len().saturating_add(additional);
        self.ensure_capacity(need, false);
    }

    #[inline]
    pub fn push(&mut self, v: T) {
        match &mut self.repr {
            Repr::Mem(vec) if vec.len() < vec.capacity() => vec.push(v),
            Repr::File(m) if m.len < m.cap => {
                m.len += 1;
                let i = m.len - 1;
                m.as_mut_slice()[i] = v;
            }
            _ => {
                let need = self.len() + 1;
                self.ensure_capacity(need, true);
                self.push_unchecked(v);
            }
        }
    }

    fn push_unchecked(&mut self, v: T) {
        match &mut self.repr {
            Repr::Mem(vec) => vec.push(v),
            Repr::File(m) => {
                m.len += 1;
                let i = m.len - 1;
                m.as_mut_slice()[i] = v;
            }
        }
    }

    /// Grow or shrink to `len` elements, new ones set to `v`.
    pub fn resize(&mut self, len: usize, v: T) {
        if len <= self.len() {
            self.truncate(len);
            return;
        }
        self.ensure_capacity(len, false);
        match &mut self.repr {
            Repr::Mem(vec) => vec.resize(len, v),
            Repr::File(m) => {
                let old = m.len;
                m.len = len;
                m.as_mut_slice()[old..].fill(v);
            }
        }
    }

    pub fn truncate(&mut self, len: usize) {
        match &mut self.repr {
            Repr::Mem(vec) => vec.truncate(len),
            Repr::File(m) => m.len = m.len.min(len),
        }
    }

    /// Capacity for at least `need` elements: in memory below the spill threshold, else in a
    /// file (moving what is there). `amortized`: grow by half again, as a `Vec` would.
    fn ensure_capacity(&mut self, need: usize, amortized: bool) {
        let size = std::mem::size_of::<T>();
        let cap = match &self.repr {
            Repr::Mem(v) => v.capacity(),
            Repr::File(m) => m.cap,
        };
        if need <= cap {
            return;
        }
        let want = if amortized {
            need.max(cap.saturating_add(cap / 2))
        } else {
            need
        };
        match &mut self.repr {
            Repr::Mem(vec) => {
                let spill_dir = self.spill.dir.clone();
                if let Some(dir) =
                    spill_dir.filter(|_| want.saturating_mul(size) >= self.spill.min_bytes)
                {
                    match Mapped::<T>::create(&dir, want) {
                        Ok(mut m) => {
                            m.len = vec.len();
                            m.as_mut_slice().copy_from_slice(vec);
                            self.repr = Repr::File(m);
                            return;
                        }
                        Err(e) => {
                            self.warning.get_or_insert(format!("kept in memory: {e}"));
                            self.spill.dir = None;
                        }
                    }
                }
                vec.reserve(want - vec.len());
            }
            Repr::File(m) => {
                if let Err(e) = m.grow_to(want) {
                    // Back into memory: slower to fail here than to crash on a full disk.
                    let mut v = Vec::with_capacity(want);
                    v.extend_from_slice(m.as_slice());
                    self.warning
                        .get_or_insert(format!("moved back into memory: {e}"));
                    self.spill.dir = None;
                    self.repr = Repr::Mem(v);
                }
            }
        }
    }
}

impl<T: Plain> Deref for Column<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match &self.repr {
            Repr::Mem(v) => v,
            Repr::File(m) => m.as_slice(),
        }
    }
}

impl<T: Plain> DerefMut for Column<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.repr {
            Repr::Mem(v) => v,
            Repr::File(m) => m.as_mut_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spill_all() -> Spill {
        Spill::to_dir(std::env::temp_dir()).min_bytes(0)
    }

    #[test]
    fn spilled_column_behaves_as_a_vec() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for spill in [Spill::never(), spill_all(), Spill::temp().min_bytes(4096)] {
            let mut c: Column<u64> = Column::new(spill.clone());
            let mut v: Vec<u64> = Vec::new();
            for _ in 0..20_000 {
                match next() % 10 {
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
                    3 => {
                        let n = (next() % 5000) as usize;
                        c.reserve(n);
                    }
                    _ => {
                        let x = next();
                        c.push(x);
                        v.push(x);
                    }
                }
                assert_eq!(&c[..], &v[..]);
            }
            if spill.dir.is_some() && !on_memory_fs(&std::env::temp_dir()) {
                assert!(c.is_spilled(), "{spill:?}");
                assert_eq!(c.heap_bytes(), 0);
            }
            assert!(!Column::<u8>::new(Spill::never()).is_spilled());
        }
    }

    #[test]
    fn threshold_decides_and_small_columns_stay_in_memory() {
        let spill = Spill::temp().min_bytes(1 << 20);
        let mut c: Column<u32> = Column::new(spill);
        c.resize(1000, 7);
        assert!(!c.is_spilled());
        if !on_memory_fs(&std::env::temp_dir()) {
            c.resize(300_000, 9); // 1.2 MB
            assert!(c.is_spilled());
            assert_eq!(c[999], 7);
            assert_eq!(c[1000], 9);
            assert_eq!(c.len(), 300_000);
        }
    }

    #[test]
    fn unusable_directory_keeps_the_column_in_memory_with_a_warning() {
        let spill = Spill::to_dir("/nonexistent/heapscope-spill").min_bytes(0);
        let mut c: Column<u8> = Column::new(spill);
        c.resize(10_000, 1);
        assert!(!c.is_spilled());
        assert_eq!(c.iter().map(|&b| b as usize).sum::<usize>(), 10_000);
        assert!(!Spill::to_dir("/nonexistent/heapscope-spill").is_usable());
        assert!(!Spill::never().is_usable());
        let w = c.take_warning().expect("a warning");
        assert!(w.contains("/nonexistent/heapscope-spill"), "{w}");
        assert!(c.take_warning().is_none());
    }

    #[test]
    fn memory_file_systems_are_refused() {
        if Path::new("/dev/shm").is_dir() && on_memory_fs(Path::new("/dev/shm")) {
            let mut c: Column<u64> = Column::new(Spill::to_dir("/dev/shm").min_bytes(0));
            c.resize(1000, 1);
            assert!(!c.is_spilled());
            assert!(c.take_warning().unwrap().contains("memory file system"));
            assert!(!Spill::to_dir("/dev/shm").is_usable());
        }
    }
}
