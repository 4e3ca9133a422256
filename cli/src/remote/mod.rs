//! Dumps in artifact storage: `s3://`, `gs://`, `az://` and `http(s)://` URLs wherever a dump
//! path goes, through Apache Arrow's `object_store` crate.
//!
//! - [`DumpRef`]: a dump argument, a local path or a URL, parsed by one clap value parser;
//! - [`expand`]: a URL prefix (ending in `/`) or glob (`s3://b/dumps/2026-12-*/*.hprof.gz`)
//!   becomes the objects it names, in lexicographic order of their keys;
//! - [`store`]: the store for a URL, configured from the clouds' standard environment variables;
//! - [`fetch`]: ranged parallel GETs into a temporary file in `$TMPDIR` (ETag pinned, short
//!   reads and dropped connections retried, free disk checked first), removed on drop unless
//!   kept;
//! - [`outdir`]: a local directory or an object-store prefix that receives finished reports,
//!   each written whole (temp + rename locally, one PUT remotely).
//!
//! Transport only: the bytes fetched are handed to `heapscope_parsers::Input` like any local
//! file (gzip is inflated there, by content, after the download; see [`fetch`] for why).

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::anyhow;
use clap::builder::{TypedValueParser, ValueParserFactory};

use crate::CliError;

pub mod fetch;
pub mod outdir;
pub mod store;

/// The URL schemes read through `object_store` (`s3a`, `abfs`/`abfss`, `azure` as it spells them).
pub const SCHEMES: &[&str] = &[
    "s3", "s3a", "gs", "az", "adl", "azure", "abfs", "abfss", "http", "https",
];

/// A dump as a command names it: a local file, or an object in a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DumpRef {
    Local(PathBuf),
    Remote(Url),
}

/// An object-store URL, split where the store ends and the key begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// As given (what reports and messages show).
    pub text: String,
    /// `s3`, `gs`, `https`, …
    pub scheme: String,
    /// The bucket, container or host (with port).
    pub authority: String,
    /// The key inside it, without the leading `/` (may hold a glob, or end in `/`).
    pub key: String,
}

impl Url {
    /// Parse `scheme://authority/key`; `None` when `s` is not a URL at all (a local path), an
    /// error for a URL heapscope cannot read.
    pub fn parse(s: &str) -> Option<Result<Url, String>> {
        let (scheme, rest) = s.split_once("://")?;
        let looks_like_scheme = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
        if !looks_like_scheme {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        if !SCHEMES.contains(&scheme.as_str()) {
            return Some(Err(format!(
                "{s}: unsupported URL scheme {scheme}:// (heapscope reads {})",
                SCHEMES.join("://, ") + "://"
            )));
        }
        let (authority, key) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() {
            return Some(Err(format!("{s}: no bucket, container or host in the URL")));
        }
        Some(Ok(Url {
            text: s.to_string(),
            scheme,
            authority: authority.to_string(),
            key: key.to_string(),
        }))
    }

    /// The same store, another key.
    pub fn with_key(&self, key: &str) -> Url {
        Url {
            text: format!("{}://{}/{}", self.scheme, self.authority, key),
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            key: key.to_string(),
        }
    }

    /// Does the key name many objects: a prefix (ends in `/`, or is empty) or a glob?
    pub fn is_pattern(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/') || glob_start(&self.key).is_some()
    }

    /// The last segment of the key (the object's file name).
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or("")
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where a glob begins in `key` (the first `*`, `?` or `[`).
fn glob_start(key: &str) -> Option<usize> {
    key.find(['*', '?', '['])
}

impl DumpRef {
    /// A dump argument: a URL when it starts with `scheme://`, else a local path.
    pub fn parse(s: &OsStr) -> Result<DumpRef, String> {
        match s.to_str().and_then(Url::parse) {
            Some(Ok(u)) => Ok(DumpRef::Remote(u)),
            Some(Err(e)) => Err(e),
            None => Ok(DumpRef::Local(PathBuf::from(s))),
        }
    }

    /// The file name reports in a directory are named after.
    pub fn file_name(&self) -> String {
        match self {
            DumpRef::Local(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            DumpRef::Remote(u) => u.file_name().to_string(),
        }
    }

    /// The local path, for a local dump.
    pub fn local(&self) -> Option<&Path> {
        match self {
            DumpRef::Local(p) => Some(p),
            DumpRef::Remote(_) => None,
        }
    }
}

impl From<PathBuf> for DumpRef {
    fn from(p: PathBuf) -> Self {
        DumpRef::Local(p)
    }
}

impl fmt::Display for DumpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpRef::Local(p) => write!(f, "{}", p.display()),
            DumpRef::Remote(u) => f.write_str(&u.text),
        }
    }
}

/// The one clap value parser of every dump argument.
#[derive(Clone, Copy, Debug)]
pub struct DumpRefParser;

impl TypedValueParser for DumpRefParser {
    type Value = DumpRef;
    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<DumpRef, clap::Error> {
        DumpRef::parse(value).map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, e + "\n").with_cmd(cmd)
        })
    }
}

impl ValueParserFactory for DumpRef {
    type Parser = DumpRefParser;
    fn value_parser() -> DumpRefParser {
        DumpRefParser
    }
}

/// Every dump the arguments name: local paths as given, URL prefixes and globs expanded (each
/// in lexicographic order of its keys, the arguments' order kept). A pattern that matches
/// nothing is an error naming it.
pub fn expand(dumps: &[DumpRef]) -> Result<Vec<DumpRef>, CliError> {
    let mut out = Vec::with_capacity(dumps.len());
    for d in dumps {
        match d {
            DumpRef::Remote(u) if u.is_pattern() => {
                let found = store::list(u)?;
                if found.is_empty() {
                    return Err(bad(u, "no object matches this prefix or pattern".into()));
                }
                out.extend(found.into_iter().map(DumpRef::Remote));
            }
            _ => out.push(d.clone()),
        }
    }
    Ok(out)
}

/// The error for one URL: always names it (exit 2: the input or its location is wrong).
pub fn bad(u: &Url, what: String) -> CliError {
    CliError::BadInput(anyhow!("{}: {what}", u.text))
}

/// The runtime the stores' futures run on (I/O bound: a few threads serve many transfers).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("heapscope-io")
            .enable_all()
            .build()
            .expect("starting the I/O runtime")
    })
}

/// Keep downloaded copies (`--keep`), process-wide: set once by the binary.
static KEEP: OnceLock<bool> = OnceLock::new();

/// `--keep`: leave every downloaded dump in `$TMPDIR` and say where.
pub fn set_keep(keep: bool) {
    let _ = KEEP.set(keep);
}

pub(crate) fn keep() -> bool {
    KEEP.get().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        let p = |s: &str| DumpRef::parse(OsStr::new(s));
        assert_eq!(p("a/b.hprof"), Ok(DumpRef::Local("a/b.hprof".into())));
        assert_eq!(p("C:x"), Ok(DumpRef::Local("C:x".into())));
        let DumpRef::Remote(u) = p("s3://bkt/dumps/2026-*/x.hprof.gz").unwrap() else {
            panic!("not a URL")
        };
        assert_eq!(
            (u.authority.as_str(), u.key.as_str()),
            ("bkt", "dumps/2026-*/x.hprof.gz")
        );
        assert!(u.is_pattern());
        assert_eq!(u.file_name(), "x.hprof.gz");
        let DumpRef::Remote(u) = p("https://h:8080/a/b.heapsnapshot").unwrap() else {
            panic!("not a URL")
        };
        assert!(!u.is_pattern());
        assert!(p("ftp://h/x")
            .unwrap_err()
            .contains("unsupported URL scheme"));
        assert!(p("s3:///x").unwrap_err().contains("no bucket"));
        assert!(Url::parse("s3://b/").unwrap().unwrap().is_pattern());
    }
}
