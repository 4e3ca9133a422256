//! One object, downloaded whole into a temporary file in `$TMPDIR`, or an error naming its URL.
//!
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

/// A downloaded object: a file in `$TMPDIR`, removed on drop unless kept (`--keep`).
pub struct Fetched {
    pub url: Url,
    pub size: u64,
    path: PathBuf,
    tmp: Option<tempfile::TempPath>,
}

impl Fetched {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leave the file where it is (and say where on stderr).
    pub fn keep(mut self) -> PathBuf {
        if let Some(t) = self.tmp.take() {
            match t.keep() {
                Ok(p) => self.path = p,
                Err(e) => eprintln!(
                    "heapscope: warning: cannot keep {}: {e}",
                    self.path.display()
                ),
            }
        }
        eprintln!("heapscope: kept {} as {}", self.url, self.path.display());
        self.path.clone()
    }
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
    let name = u.file_name().replace(|c: char| !c.is_ascii_graphic(), "_");
    let tmp = tempfile::Builder::new()
        .prefix("heapscope-fetch-")
        .suffix(&format!("-{name}"))
        .tempfile_in(&dir)
        .map_err(|e| bad(u, format!("cannot create a file in {}: {e}", dir.display())))?;
    let (file, path) = tmp.into_parts();
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
        .map_err(|e| bad(u, format!("writing {}: {e}", path.display())))?;
    let fetched = Fetched {
        url: u.clone(),
        size,
        path: path.to_path_buf(),
        tmp: Some(path),
    };
    Ok(fetched)
}

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
