//! Where a command's report goes: the caller's writer (stdout for the binary) or a file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::CliError;

/// Write `text` to `out` and flush it. A closed pipe (`| head`) gives [`CliError::Closed`].
pub fn write(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(CliError::writing_output)
}

/// Write `text` to the file `path`.
pub fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(CliError::BadInput)
}

/// Write `text` to the file `path` when given, else to `out` (`-` is `out` too, as Unix tools
/// take it).
pub fn write_to(out: &mut dyn Write, path: Option<&Path>, text: &str) -> Result<(), CliError> {
    match path {
        None => write(out, text),
        Some(p) if is_stdout(p) => write(out, text),
        Some(p) => write_file(p, text),
    }
}

/// `-o -`: standard output, not a file named `-`.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}
