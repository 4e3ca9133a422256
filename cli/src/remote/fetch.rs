//! One object, downloaded whole into a temporary file in `$TMPDIR`, or an error naming its URL.
//!
//! - The file has no name (Linux `O_TMPFILE`; elsewhere created and unlinked at once), so its
//!   blocks are freed when the last descriptor closes, however the process ends: a killed or
//!   OOM-killed run leaves no copy of a multi-GB dump behind. The parser opens it again through
//!   `/proc/self/fd/N`. `--keep` names it only at the end, after the analysis
//!   ([`Fetched::keep`]).
//! - The first request (HEAD) gives the size and the ETag; every ranged GET after it carries
//!   `If-Match: <etag>`, so an object replaced mid-download is refused by the server (412) and
//!   reported, never stitched from two versions.
//! - The size is checked against the free space of `$TMPDIR` before anything is fetched, then
//!   reserved (`posix_fallocate`), so a full disk is an error up front, not a half-written file.
//! - [`PARALLEL`] ranges (each at least [`CHUNK`]) are fetched at once and written in place
//!   (`pwrite`).
//!   A connection that drops mid-range is retried from the byte where it stopped (up to
//!   [`ATTEMPTS`] times per range); a range that still comes back short is an error ("truncated").
//! - Gzip is *not* inflated while downloading: ranges arrive out of order (a stream inflater
//!   would force one sequential GET), and `heapscope_parsers::Input` already inflates by
//!   content after the download — the JDK's chunked `-gz` members in parallel. The cost is disk:
//!   the compressed copy and the inflated one both sit in `$TMPDIR` while the dump is read
//!   (the free-space check counts only the compressed size, as the inflated size is not known).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

use super::store::{self, describe};
use super::{bad, runtime, Url};
use crate::progress::Hooks;
use crate::CliError;

/// Smallest ranged GET (env `HEAPSCOPE_FETCH_CHUNK` sets the size outright). An object is cut
/// into [`PARALLEL`] ranges of at least this size, not into many small ones: a retry resumes at
/// the byte where the connection dropped, so small ranges buy nothing, and each range costs the
/// server a request (moto re-reads the whole object per range: on a 1 GiB object, 64 ranges of
/// 16 MiB took 132 s, 8 of 128 MiB 24 s, one GET 6.5 s; nginx served all three in 3–6 s).
pub const CHUNK: u64 = 16 << 20;
/// Ranged GETs in flight per object (env `HEAPSCOPE_FETCH_PARALLEL` overrides; 1 = one GET at
/// a time).
pub const PARALLEL: usize = 8;
/// Tries per range when the connection drops or the body comes back short.
pub const ATTEMPTS: u32 = 4;

/// A downloaded object: an unnamed file in `$TMPDIR`, gone when dropped unless kept (`--keep`).
pub struct Fetched {
    pub url: Url,
    pub size: u64,
    file: File,
    /// The file as a path the parser can open: `/proc/self/fd/N` (`/dev/fd/N` off Linux).
    path: PathBuf,
    dir: PathBuf,
}

impl Fetched {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Give the file a name in `$TMPDIR` (`heapscope-fetch-XXXXXX-<object name>`) and say where
    /// on stderr. The name is made with `linkat` from the open file, so nothing is copied; where
    /// the file system cannot link an unnamed file, the bytes are copied into the new name (a
    /// failed copy removes it). `None` (after a warning) when neither works.
    pub fn keep(self) -> Option<PathBuf> {
        let name = self
            .url
            .file_name()
            .replace(|c: char| !c.is_ascii_graphic(), "_");
        let made = tempfile::Builder::new()
            .prefix("heapscope-fetch-")
            .suffix(&format!("-{name}"))
            .make_in(&self.dir, |to| name_file(&self.file, &self.path, to))
            .and_then(|named| named.into_temp_path().keep().map_err(|e| e.error));
        match made {
            Ok(p) => {
                eprintln!("heapscope: kept {} as {}", self.url, p.display());
                Some(p)
            }
            Err(e) => {
                eprintln!(
                    "heapscope: warning: cannot keep {} in {}: {e}",
                    self.url,
                    self.dir.display()
                );
                None
            }
        }
    }
}

/// Link the unnamed `file` (open as `path`, `/proc/self/fd/N`) at `to`, or copy it there.
fn name_file(file: &File, path: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (from, dest) = (c(path)?, c(to)?);
    // SAFETY: two valid C strings; linkat only reads them. AT_SYMLINK_FOLLOW makes it link the
    // file `/proc/self/fd/N` refers to, which Linux allows for an O_TMPFILE file.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            dest.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::AlreadyExists {
        return Err(err);
    }
    // No O_TMPFILE here (the file was unlinked after creation, and cannot be linked again):
    // copy it.
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    let copied = (|| {
        let mut src = file;
        std::io::Seek::seek(&mut src, std::io::SeekFrom::Start(0))?;
        std::io::copy(&mut src, &mut out)?;
        out.sync_data()
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(to);
    }
    copied
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}

/// Free bytes for an unprivileged writer in the file system holding `dir`.
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the zeroed struct it is given; `c` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| (st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// Download `u` into a temporary file, showing bytes on `hooks`' progress bar (none when it
/// has none: quiet, or stderr not a terminal).
pub fn fetch(u: &Url, hooks: &dyn Hooks) -> Result<Fetched, CliError> {
    let store = store::store(u)?;
    let key = store::key(u)?;
    hooks.on_stage(&format!("fetching {u}"));
    let meta = runtime()
        .block_on(store.head(&key))
        .map_err(|e| bad(u, describe(&e)))?;
    let size = meta.size;
    let dir = std::env::temp_dir();
    if let Some(free) = free_space(&dir) {
        if size > free {
            return Err(bad(
                u,
                format!(
                    "the object is {size} bytes but {} has only {free} bytes free (set TMPDIR to a larger disk)",
                    dir.display()
                ),
            ));
        }
    }
    let file = tempfile::tempfile_in(&dir)
        .map_err(|e| bad(u, format!("cannot create a file in {}: {e}", dir.display())))?;
    let path = PathBuf::from(format!("{FD_DIR}/{}", file.as_raw_fd()));
    if !path.exists() {
        return Err(bad(
            u,
            format!(
                "cannot open the download as {} (is /proc mounted?)",
                path.display()
            ),
        ));
    }
    if size > 0 {
        // SAFETY: a plain system call on a file descriptor we own.
        let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, size as libc::off_t) };
        if rc != 0 {
            return Err(bad(
                u,
                format!(
                    "cannot reserve {size} bytes in {}: {}",
                    dir.display(),
                    std::io::Error::from_raw_os_error(rc)
                ),
            ));
        }
    }
    let bar = hooks.bar();
    if let Some(b) = &bar {
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} {elapsed:>4} {msg} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_length(size);
        b.set_position(0);
    }
    let parallel = env_num::<usize>("HEAPSCOPE_FETCH_PARALLEL")
        .filter(|&p| p > 0)
        .unwrap_or(PARALLEL);
    let chunk = env_num::<u64>("HEAPSCOPE_FETCH_CHUNK")
        .filter(|&c| c > 0)
        .unwrap_or_else(|| size.div_ceil(parallel as u64).max(CHUNK));
    let job = Job {
        store,
        key,
        url: u.clone(),
        etag: meta.e_tag.clone(),
        version: meta.version.clone(),
        size,
        file: Arc::new(file),
        done: AtomicU64::new(0),
        bar: bar.clone(),
    };
    let ranges = (0..size.div_ceil(chunk)).map(|i| i * chunk..((i + 1) * chunk).min(size));
    let result = runtime().block_on(
        futures::stream::iter(ranges)
            .map(|r| job.range(r))
            .buffer_unordered(parallel)
            .try_collect::<()>(),
    );
    if let Some(b) = &bar {
        b.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.unset_length();
    }
    result?;
    job.file
        .sync_data()
        .map_err(|e| bad(u, format!("writing the download in {}: {e}", dir.display())))?;
    let file = Arc::into_inner(job.file)
        .ok_or_else(|| bad(u, "the download is still being written".into()))?;
    Ok(Fetched {
        url: u.clone(),
        size,
        file,
        path,
        dir,
    })
}

/// Where a process' open descriptors appear as paths.
#[cfg(target_os = "linux")]
const FD_DIR: &str = "/proc/self/fd";
#[cfg(not(target_os = "linux"))]
const FD_DIR: &str = "/dev/fd";

struct Job {
    store: Arc<dyn ObjectStore>,
    key: object_store::path::Path,
    url: Url,
    etag: Option<String>,
    version: Option<String>,
    size: u64,
    file: Arc<File>,
    done: AtomicU64,
    bar: Option<ProgressBar>,
}

impl Job {
    /// Fetch `r` into the file at its offset: retried from where a dropped connection left
    /// it, an error when it stays short.
    async fn range(&self, r: std::ops::Range<u64>) -> Result<(), CliError> {
        let mut at = r.start;
        let mut last_err = String::new();
        for _ in 0..ATTEMPTS {
            match self.read(at..r.end, &mut at).await {
                Ok(()) if at == r.end => return Ok(()),
                Ok(()) => {
                    last_err = format!(
                        "the body ended after {} of {} bytes",
                        at - r.start,
                        r.end - r.start
                    )
                }
                Err(Fatal(e)) => return Err(e),
                Err(Retry(m)) => last_err = m,
            }
        }
        Err(bad(
            &self.url,
            format!(
                "truncated download: bytes {}..{} of {} could not be read after {ATTEMPTS} tries ({last_err}); no report is made from part of a dump",
                at, r.end, self.size
            ),
        ))
    }

    /// One GET of `r`, written as it arrives; `at` advances past every byte written.
    async fn read(&self, r: std::ops::Range<u64>, at: &mut u64) -> Result<(), Failure> {
        let opts = GetOptions {
            range: Some(GetRange::Bounded(r.clone())),
            if_match: self.etag.clone(),
            version: self.version.clone(),
            ..GetOptions::default()
        };
        let got = match self.store.get_opts(&self.key, opts).await {
            Ok(g) => g,
            Err(e @ object_store::Error::Generic { .. }) => return Err(Retry(describe(&e))),
            Err(e) => return Err(Fatal(bad(&self.url, describe(&e)))),
        };
        if got.meta.size != self.size || (self.etag.is_some() && got.meta.e_tag != self.etag) {
            return Err(Fatal(bad(
                &self.url,
                format!(
                    "the object changed while it was downloaded (size {} then {}, ETag {:?} then {:?})",
                    self.size, got.meta.size, self.etag, got.meta.e_tag
                ),
            )));
        }
        if got.range != r {
            return Err(Fatal(bad(
                &self.url,
                format!("asked for bytes {r:?}, the server sent {:?}", got.range),
            )));
        }
        let mut body = got.into_stream();
        while let Some(part) = body.next().await {
            let bytes = part.map_err(|e| Retry(describe(&e)))?;
            if *at + bytes.len() as u64 > r.end {
                return Err(Fatal(bad(
                    &self.url,
                    format!(
                        "the server sent more than the {} bytes asked for",
                        r.end - r.start
                    ),
                )));
            }
            self.file
                .write_all_at(&bytes, *at)
                .map_err(|e| Fatal(bad(&self.url, format!("writing the local copy: {e}"))))?;
            *at += bytes.len() as u64;
            let n = self.done.fetch_add(bytes.len() as u64, Ordering::Relaxed) + bytes.len() as u64;
            if let Some(b) = &self.bar {
                b.set_position(n);
            }
        }
        Ok(())
    }
}

enum Failure {
    /// Worth another try (a dropped connection, a 5xx after object_store's own retries).
    Retry(String),
    /// Final (not found, denied, changed, a local write failed).
    Fatal(CliError),
}
use Failure::{Fatal, Retry};

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn fd_path(f: &File) -> PathBuf {
        PathBuf::from(format!("{FD_DIR}/{}", f.as_raw_fd()))
    }

    #[test]
    fn an_unnamed_file_is_linked_under_its_new_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = tempfile::tempfile_in(dir.path()).unwrap();
        f.write_all(b"the object's bytes").unwrap();
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        let to = dir.path().join("kept");
        name_file(&f, &fd_path(&f), &to).unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"the object's bytes");
        let e = name_file(&f, &fd_path(&f), &to).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
    }

    #[test]
    fn a_file_unlinked_after_creation_is_copied_instead() {
        // What `tempfile_in` falls back to without O_TMPFILE: such a file cannot be linked again.
        let dir = tempfile::tempdir().unwrap();
        let named = dir.path().join("made");
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&named)
            .unwrap();
        f.write_all(&[7u8; 100_000]).unwrap();
        std::fs::remove_file(&named).unwrap();
        let to = dir.path().join("kept");
        name_file(&f, &fd_path(&f), &to).unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), vec![7u8; 100_000]);
    }
}
