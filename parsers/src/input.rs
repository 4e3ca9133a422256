//! [`Input`]: the dump's bytes, memory-mapped (or inflated from gzip), with its path.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ParseError;

enum Source {
    Map(memmap2::Mmap),
    Owned(Vec<u8>),
    /// An unnamed temporary file that holds an inflated dump, mapped. It has no name in the
    /// file system, so its blocks are freed when the last descriptor closes, however the
    /// process ends (a killed or OOM-killed run leaves nothing behind in the temp dir).
    Temp(memmap2::Mmap, #[allow(dead_code)] File),
}

/// The bytes of one dump. Cheap to clone (shared).
#[derive(Clone)]
pub struct Input {
    path: PathBuf,
    src: Arc<Source>,
    file_size: u64,
}

impl Input {
    /// Memory-map the file.
    pub fn open(path: &Path) -> Result<Input, ParseError> {
        let file = File::open(path).map_err(|e| ParseError::io(path, e))?;
        let size = file.metadata().map_err(|e| ParseError::io(path, e))?.len();
        let src = if size == 0 {
            Source::Owned(Vec::new())
        } else {
            // SAFETY: the dump is opened read-only; heapscope's contract is that the file is
            // not modified while it is analysed (as every mmap-based analyzer requires).
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| ParseError::io(path, e))?;
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Sequential);
            Source::Map(map)
        };
        Ok(Input {
            path: path.to_path_buf(),
            src: Arc::new(src),
            file_size: size,
        })
    }

    /// An input held in memory (tests, inflated small profiles).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Input {
        let file_size = bytes.len() as u64;
        Input {
            path: path.to_path_buf(),
            src: Arc::new(Source::Owned(bytes)),
            file_size,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match &*self.src {
            Source::Map(m) => m,
            Source::Owned(v) => v,
            Source::Temp(m, _) => m,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Drop the page-table entries of the mapping (`MADV_DONTNEED`, [`DROP_STEP`] a call), not
    /// the bytes: a later read maps the page again from the page cache (or the file) with the
    /// same contents. The parse maps every page of the dump, and unmapping that many entries is
    /// part of the teardown at the end of a run (~0.06 s of kernel time for the 2.18 GB JDK
    /// dump of benches/); done beside the analysis, the teardown only unmaps the few pages the
    /// report reads again. Each call holds the memory-map lock for the entries of one step
    /// only (2 MiB: 512 entries), so the analysis' own `mmap`s and `munmap`s never wait long.
    /// Nothing for an input held in memory; advice only.
    pub fn drop_page_tables(&self) {
        self.drop_page_tables_by(DROP_STEP);
    }

    fn drop_page_tables_by(&self, step: usize) {
        let map = match &*self.src {
            Source::Map(m) | Source::Temp(m, _) => m,
            Source::Owned(_) => return,
        };
        let mut at = 0;
        while at < map.len() {
            let len = step.min(map.len() - at);
            // SAFETY: a read-only mapping of a file nothing writes (see `open`, `gunzip`):
            // discarding its entries changes no byte a reader sees, it only makes the next
            // read of each page fault it in again.
            let _ =
                unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, at, len) };
            at += len;
        }
    }

    /// Size of the file as read (the compressed size for gzip input).
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// Inflate gzip input (single or multi-member, as the JDK's `-gz` writes) into a temporary
    /// file in the system temp dir and map it, so the inflated dump is never held in anonymous
    /// memory. Many small members (the JDK's chunked form) inflate in parallel
    /// ([`crate::gunzip`]).
    pub fn gunzip(&self) -> Result<Input, ParseError> {
        let mut tmp = tempfile::tempfile().map_err(|e| ParseError::io(&self.path, e))?;
        let mut out = std::io::BufWriter::with_capacity(PIECE, Pieces(&mut tmp));
        let total = match crate::gunzip::inflate(self.bytes(), &mut out) {
            Ok((total, _)) => total,
            Err(Ok(io)) => return Err(ParseError::io(&self.path, io)),
            Err(Err(d)) => {
                // The decoder reads ahead, so the compressed position is where the damage was
                // noticed: at most one read buffer (32 KiB) past it.
                return Err(ParseError::new(
                    &self.path,
                    d.at,
                    format!(
                        "valid gzip data (noticed within the 32 KiB of compressed input before this offset, after {} inflated bytes: {})",
                        d.inflated, d.error
                    ),
                ));
            }
        };
        std::io::Write::flush(&mut out).map_err(|e| ParseError::io(&self.path, e))?;
        drop(out);
        let map = if total == 0 {
            return Ok(Input {
                path: self.path.clone(),
                src: Arc::new(Source::Owned(Vec::new())),
                file_size: self.file_size,
            });
        } else {
            // SAFETY: the temporary file is ours alone and is not modified after this point.
            unsafe { memmap2::Mmap::map(&tmp) }.map_err(|e| ParseError::io(&self.path, e))?
        };
        Ok(Input {
            path: self.path.clone(),
            src: Arc::new(Source::Temp(map, tmp)),
            file_size: self.file_size,
        })
    }
}

/// Bytes of the mapping [`Input::drop_page_tables`] drops a call.
const DROP_STEP: usize = 2 << 20;

/// Bytes of one `write` of an inflated dump to its temporary file.
const PIECE: usize = 64 << 10;

/// Writes at most [`PIECE`] bytes a call. Why: the page cache takes a `write` in folios as large
/// as the write (a gzip member inflates to up to 8 MiB, passed straight through a `BufWriter`),
/// fresh high-order blocks whose first touch is slow on a VM that hands freed memory back to
/// its host (free-page reporting); 64 KiB folios much less so (docs/dev/memory.md, "Memory and the
/// kernel"). The spill files are written in the same pieces (graph's `column` and `spill`).
struct Pieces<'a>(&'a mut File);

impl std::io::Write for Pieces<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(&buf[..buf.len().min(PIECE)])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;

    /// Dropping the mapping's page tables changes no byte read through it, before or after,
    /// for a mapped file past several steps (8 KiB in the test), one of a page and an empty one (held in
    /// memory): the same bytes as the file's own.
    #[test]
    fn dropped_page_tables_read_the_same_bytes() {
        for len in [0usize, 4096, 1, 3 * 8192 + 12_345] {
            let want: Vec<u8> = (0..len).map(|i| (i * 31 + i / 4096) as u8).collect();
            let mut tmp = tempfile::NamedTempFile::new().unwrap();
            tmp.write_all(&want).unwrap();
            tmp.flush().unwrap();
            let input = Input::open(tmp.path()).unwrap();
            assert!(input.bytes() == &want[..]);
            input.drop_page_tables_by(8192);
            assert!(input.bytes() == &want[..], "{len}");
            input.drop_page_tables();
            let copy = input.clone();
            drop(input);
            assert!(copy.bytes() == &want[..], "{len}");
        }
    }

    /// Through `Pieces` behind a `BufWriter`, writes of any size (past several pieces, exactly
    /// one, a byte) reach the file whole and in order, as one `write_all` of them all would.
    #[test]
    fn pieces_write_everything_in_order() {
        let sizes = [
            1,
            PIECE - 1,
            PIECE,
            PIECE + 1,
            5 * PIECE + 77,
            3,
            8 << 20,
            0,
            12_345,
        ];
        let mut want = Vec::new();
        let mut tmp = tempfile::tempfile().unwrap();
        {
            let mut out = std::io::BufWriter::with_capacity(PIECE, Pieces(&mut tmp));
            for (k, &n) in sizes.iter().enumerate() {
                let chunk: Vec<u8> = (0..n).map(|i| (i * 7 + k * 13) as u8).collect();
                out.write_all(&chunk).unwrap();
                want.extend_from_slice(&chunk);
            }
            out.flush().unwrap();
        }
        let mut got = Vec::new();
        std::io::Seek::rewind(&mut tmp).unwrap();
        std::io::Read::read_to_end(&mut tmp, &mut got).unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want);
    }

    /// The inflated copy is an unnamed file: nothing is left in the temp dir even when the
    /// process is killed before its destructors run; and its bytes are the original's.
    #[test]
    fn inflated_dump_lives_in_an_unnamed_file() {
        let original: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(&original).unwrap();
        let gz = Input::from_bytes(Path::new("dump.hprof.gz"), e.finish().unwrap());
        let inflated = gz.gunzip().unwrap();
        assert_eq!(inflated.bytes(), &original[..]);
        match &*inflated.src {
            Source::Temp(_, file) => assert_eq!(file.metadata().unwrap().nlink(), 0),
            _ => panic!("a non-empty inflated dump is mapped from a temporary file"),
        }
    }
}
