//! `--out-dir`: a local directory or an object-store prefix that receives finished files, each
//! whole or not at all — locally a temporary file in the same directory renamed over the name
//! (rename is atomic within a file system), remotely one PUT of the complete bytes (an object
//! store never shows a partly uploaded object).

use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use object_store::{ObjectStoreExt, PutPayload};

use super::store::{self, describe};
use super::{bad, runtime, DumpRef, Url};
use crate::CliError;

/// Where a batch writes.
#[derive(Clone, Debug)]
pub enum OutDir {
    Local(PathBuf),
    Remote(Url),
}

impl OutDir {
    /// `--out-dir` as given: a URL prefix, or a local directory (created if missing).
    pub fn parse(s: &OsStr) -> Result<OutDir, CliError> {
        let d = DumpRef::parse(s).map_err(|e| CliError::BadInput(anyhow!(e)))?;
        Ok(match d {
            DumpRef::Local(p) => {
                std::fs::create_dir_all(&p).map_err(|e| {
                    CliError::BadInput(anyhow!("creating output directory {}: {e}", p.display()))
                })?;
                OutDir::Local(p)
            }
            DumpRef::Remote(u) => {
                let key = u.key.trim_end_matches('/');
                OutDir::Remote(u.with_key(&if key.is_empty() {
                    String::new()
                } else {
                    format!("{key}/")
                }))
            }
        })
    }

    /// Where `name` goes, as messages and the summary show it.
    pub fn show(&self, name: &str) -> String {
        match self {
            OutDir::Local(d) => d.join(name).display().to_string(),
            OutDir::Remote(u) => format!("{}{name}", u.text),
        }
    }

    /// Write `bytes` as `name`, whole or not at all.
    pub fn put(&self, name: &str, bytes: Vec<u8>) -> Result<(), CliError> {
        match self {
            OutDir::Local(dir) => {
                let fail = |e: std::io::Error| {
                    CliError::BadInput(anyhow!("writing {}: {e}", dir.join(name).display()))
                };
                let mut tmp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".partial")
                    .tempfile_in(dir)
                    .map_err(fail)?;
                tmp.write_all(&bytes).map_err(fail)?;
                tmp.as_file().sync_data().map_err(fail)?;
                tmp.persist(dir.join(name)).map_err(|e| fail(e.error))?;
                Ok(())
            }
            OutDir::Remote(u) => {
                let target = u.with_key(&format!("{}{name}", u.key));
                let s = store::store(&target)?;
                let key = store::key(&target)?;
                runtime()
                    .block_on(s.put(&key, PutPayload::from(bytes)))
                    .map_err(|e| bad(&target, format!("upload failed: {}", describe(&e))))?;
                Ok(())
            }
        }
    }
}
