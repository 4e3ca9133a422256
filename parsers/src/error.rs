//! The parse error: which file, at which byte offset, and what was expected there.

use std::path::{Path, PathBuf};

/// A parse failure, with the byte offset in the (inflated) input and what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{}: at byte {offset}: expected {expected}", path.display())]
pub struct ParseError {
    pub path: PathBuf,
    pub offset: u64,
    pub expected: String,
}

impl ParseError {
    pub fn new(path: &Path, offset: u64, expected: impl Into<String>) -> Self {
        ParseError {
            path: path.to_path_buf(),
            offset,
            expected: expected.into(),
        }
    }
    /// An I/O failure opening or reading the file.
    pub fn io(path: &Path, err: std::io::Error) -> Self {
        ParseError {
            path: path.to_path_buf(),
            offset: 0,
            expected: format!("a readable file ({err})"),
        }
    }
}
