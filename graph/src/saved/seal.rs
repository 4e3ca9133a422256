//! Seals: what lets a reopened index skip the checks that read all of it.
//!
//! Checking an index (section checksums, then the structure: see [`super::open`]) reads every
//! byte of it and walks the dominator tree and the root paths — about 3 s of CPU for a dump of
//! 45 M objects, far more than the question asked of it. A *seal* records that this user's
//! heapscope wrote the file, or checked all of it, and what the file system said about it then:
//! device, inode, size, modification and status-change times (`ctime`, which only the kernel
//! sets: any write, truncation, `chmod`, `touch` or rename changes it, and no user can set it
//! back), and the header's checksum (which covers the section table and through it every
//! section's checksum). A later open that finds the same file system facts for a file nobody
//! else can write skips the section checksums and the structural checks; anything else — a
//! copied, replaced, touched, truncated or rewritten file, another user's file, a file others
//! may write, no seal — gets every check, and is sealed when it passes.
//!
//! Where: `DIR/seals/` (the cache directory), a directory that must belong to this user and be
//! writable by nobody else, as each seal file must (else no seal is trusted or written). One
//! 88-byte file per index, named by a CRC-32 of the index's canonical path.
//!
//! Timestamps: a file's times come from the kernel's coarse clock (a tick, ≤ 10 ms, behind the
//! real time), so a write within the same tick as the one recorded could keep the recorded
//! `ctime`. A seal is therefore only written for a file whose `ctime` is at least
//! [`SETTLED`] old when it is looked at: every later change gets a later `ctime`. (After
//! writing an index, [`Seals::seal_written`] waits until then — at most [`SETTLED`].)

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How old a file's `ctime` must be before a seal records it (many ticks of the coarse clock).
pub const SETTLED: Duration = Duration::from_millis(50);

const MAGIC: [u8; 8] = *b"HSSEAL1\0";
const LEN: usize = 88;

/// What a seal records about an index file: the file system's facts and the header checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileFacts {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    uid: u32,
    mode: u32,
}

impl FileFacts {
    pub fn of(m: &std::fs::Metadata) -> FileFacts {
        FileFacts {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            uid: m.uid(),
            mode: m.mode(),
        }
    }
    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Owned by this user, writable by nobody else.
    fn private(&self) -> bool {
        self.uid == euid() && self.mode & 0o022 == 0
    }
    /// How long ago the status last changed (zero when in the future).
    fn age(&self) -> Duration {
        let c = UNIX_EPOCH
            + Duration::from_secs(self.ctime.0.max(0) as u64)
            + Duration::from_nanos(self.ctime.1.clamp(0, 999_999_999) as u64);
        SystemTime::now()
            .duration_since(c)
            .unwrap_or(Duration::ZERO)
    }
    fn encode(&self, header_crc: u32) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[..8].copy_from_slice(&MAGIC);
        let words: [u64; 9] = [
            self.dev,
            self.ino,
            self.size,
            self.mtime.0 as u64,
            self.mtime.1 as u64,
            self.ctime.0 as u64,
            self.ctime.1 as u64,
            u64::from(self.uid),
            u64::from(self.mode),
        ];
        for (i, w) in words.iter().enumerate() {
            b[8 + 8 * i..16 + 8 * i].copy_from_slice(&w.to_le_bytes());
        }
        b[80..84].copy_from_slice(&header_crc.to_le_bytes());
        b[84..88].copy_from_slice(&super::FORMAT_VERSION.to_le_bytes());
        b
    }
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The seal directory of one cache directory (see the module docs).
#[derive(Clone, Debug)]
pub struct Seals {
    dir: PathBuf,
}

impl Seals {
    /// The seals kept under the cache directory `cache` (`cache/seals`, created mode 0700 when
    /// the first seal is written). Whether the directory is this user's alone is checked at
    /// every use: when it is not, no seal is trusted or written and every index gets every check.
    pub fn under(cache: &Path) -> Seals {
        Seals {
            dir: cache.join("seals"),
        }
    }

    /// The directory exists, is a directory (not a link) and only this user may write it.
    fn private_dir(&self) -> bool {
        std::fs::symlink_metadata(&self.dir)
            .is_ok_and(|m| m.is_dir() && FileFacts::of(&m).private())
    }

    fn file_for(&self, index: &Path) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        let canon = std::fs::canonicalize(index).unwrap_or_else(|_| index.to_path_buf());
        let hash = crc32fast::hash(canon.as_os_str().as_bytes());
        self.dir.join(format!("{hash:08x}.seal"))
    }

    /// Whether the index at `index`, whose open file has the facts `now` and whose header
    /// checksum is `header_crc`, is the file a seal recorded (and nobody else may write it).
    pub fn holds(&self, index: &Path, now: &FileFacts, header_crc: u32) -> bool {
        if !now.private() || !self.private_dir() {
            return false;
        }
        let p = self.file_for(index);
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            return false;
        };
        if !m.is_file() || !FileFacts::of(&m).private() || m.len() != LEN as u64 {
            return false;
        }
        match std::fs::read(&p) {
            Ok(b) => b[..] == now.encode(header_crc)[..],
            Err(_) => false,
        }
    }

    /// Record a seal for `index`, which had the facts `before` when it was opened and checked
    /// in full: only when it is still the same file now, nobody else may write it and its
    /// `ctime` had settled (see the module docs). Failing to write a seal only costs the next
    /// open a full check, so errors are not reported.
    pub fn seal_checked(&self, index: &Path, before: &FileFacts, header_crc: u32) {
        if !before.private() || before.age() < SETTLED {
            return;
        }
        let Ok(m) = std::fs::metadata(index) else {
            return;
        };
        if FileFacts::of(&m) != *before {
            return;
        }
        let _ = self.put(index, before, header_crc);
    }

    /// Record a seal for an index this process has just written (its header checksum
    /// `header_crc`): waits until its `ctime` has settled (at most [`SETTLED`]), then seals
    /// the file as it is then.
    pub fn seal_written(&self, index: &Path, header_crc: u32) {
        let Ok(file) = std::fs::File::open(index) else {
            return;
        };
        let Ok(m) = file.metadata() else {
            return;
        };
        let facts = FileFacts::of(&m);
        let age = facts.age();
        if age < SETTLED {
            std::thread::sleep(SETTLED - age);
        }
        match file.metadata() {
            Ok(m) if FileFacts::of(&m) == facts => {
                let _ = self.put(index, &facts, header_crc);
            }
            _ => {}
        }
    }

    fn put(&self, index: &Path, facts: &FileFacts, header_crc: u32) -> std::io::Result<()> {
        if !self.dir.exists() {
            std::fs::create_dir_all(&self.dir)?;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        if !self.private_dir() {
            return Ok(());
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".seal-")
            .tempfile_in(&self.dir)?;
        tmp.as_file_mut().write_all(&facts.encode(header_crc))?;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        tmp.persist(self.file_for(index)).map_err(|e| e.error)?;
        Ok(())
    }
}
