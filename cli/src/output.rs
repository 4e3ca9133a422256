//! Where a command's report goes: the caller's writer (stdout for the binary) or a file.
//!
//! A report can be written as it is made ([`stream`], [`stream_file`]: the JSON of a dump with
//! 10,000 thread stacks is 133 MB, which a `String` held whole in memory at the end of the run).
//! A file is never left half-written: the report goes to a new file beside it, which replaces
//! it by `rename` once complete ([`stream_file`]); a failure removes the new file and leaves an
//! old one as it was. Only a destination that is not a regular file (`/dev/null`, a pipe) is
//! written directly.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::CliError;

/// The buffer between a streamed report and its destination.
const BUFFER: usize = 64 << 10;

/// Write `text` to `out` and flush it. A closed pipe (`| head`) gives [`CliError::Closed`].
pub fn write(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    stream(out, |w| w.write_all(text.as_bytes()))
}

/// Write `text` to the file `path` (see [`stream_file`]).
pub fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    stream_file(path, |w| w.write_all(text.as_bytes()))
}

/// Write `text` to the file `path` when given, else to `out` (`-` is `out` too, as Unix tools
/// take it).
pub fn write_to(out: &mut dyn Write, path: Option<&Path>, text: &str) -> Result<(), CliError> {
    stream_to(out, path, |w| w.write_all(text.as_bytes()))
}

/// [`write_to`] with the report written by `fill` as it is made.
pub fn stream_to(
    out: &mut dyn Write,
    path: Option<&Path>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    match path {
        Some(p) if !is_stdout(p) => stream_file(p, fill),
        _ => stream(out, fill),
    }
}

/// What `fill` writes, to `out` through a buffer, then flushed. A closed pipe (`| head`) gives
/// [`CliError::Closed`].
pub fn stream(
    out: &mut dyn Write,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    let mut w = BufWriter::with_capacity(BUFFER, out);
    fill(&mut w)
        .and_then(|_| w.flush())
        .map_err(CliError::writing_output)
}

/// What `fill` writes, to the file `path`: into a new file in the same directory, renamed
/// over `path` once complete (with the permissions of the file it replaces; a new one gets
/// `0666` less the umask, as `File::create` gives). When `path` exists and is not a regular
/// file (`/dev/null`, a named pipe), it is written directly.
pub fn stream_file(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    let failed = |e: io::Error| {
        CliError::BadInput(anyhow::Error::new(e).context(format!("writing {}", path.display())))
    };
    // A symbolic link is written through: the file it names is replaced, not the link.
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(failed(e)),
    };
    let existing = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(failed(e)),
    };
    let in_place = |fill| {
        let f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&target)?;
        fill_file(f, fill).map(drop)
    };
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        return in_place(fill).map_err(failed);
    }
    let (f, tmp) = match new_file_beside(&target) {
        Ok(made) => made,
        // A writable file in a directory this user may not add files to: written in place.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && existing.is_some() => {
            return in_place(fill).map_err(failed);
        }
        Err(e) => return Err(failed(e)),
    };
    let done = fill_file(f, fill)
        .and_then(|f| match &existing {
            Some(m) => f.set_permissions(m.permissions()),
            None => Ok(()),
        })
        .and_then(|_| std::fs::rename(&tmp, &target));
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(failed(e));
    }
    Ok(())
}

/// `fill`'s bytes into `f` through a buffer; the file back once all is written.
fn fill_file(f: File, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<File> {
    let mut w = BufWriter::with_capacity(BUFFER, f);
    fill(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())
}

/// A new file in `target`'s directory, named after it (`.NAME.PID.N.tmp`), created exclusively
/// (never an existing file) with mode `0666` less the umask.
fn new_file_beside(target: &Path) -> io::Result<(File, PathBuf)> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let mut n = 0u32;
    loop {
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&tmp)
        {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// `-o -`: standard output, not a file named `-`.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report replaces an existing file whole, keeps its permissions, leaves no file of its
    /// own beside it; a failed one leaves the old file as it was and nothing beside it.
    #[test]
    fn a_file_is_replaced_whole_or_not_at_all() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        stream_file(&p, |w| w.write_all(b"new report\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new report\n");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let failed = stream_file(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("render failed"))
        });
        let msg = failed.err().and_then(|e| e.message()).unwrap();
        assert!(
            msg.contains("r.json") && msg.contains("render failed"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new report\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("r.json")]);
    }

    /// A new file; a symbolic link is written through (the link stays, its file changes); a
    /// destination that is no regular file is written in place (the device stays a device).
    #[test]
    fn new_files_links_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.txt");
        write_file(&p, "a").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a");
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        write_file(&link, "b").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "b");
        write_file(Path::new("/dev/null"), "c").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
        let missing = dir.path().join("no/such/dir/x.json");
        assert!(write_file(&missing, "d").is_err());
    }

    /// Streamed to a writer: the bytes arrive whole; a closed pipe is [`CliError::Closed`].
    #[test]
    fn streams_to_a_writer() {
        let mut out = Vec::new();
        let big = "x".repeat(3 * BUFFER + 17);
        write(&mut out, &big).unwrap();
        assert_eq!(out, big.as_bytes());
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert!(matches!(write(&mut Closed, "y"), Err(CliError::Closed)));
    }
}
