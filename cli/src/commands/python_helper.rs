//! `heapscope python-helper`: print `heapscope_snapshot.py`, the stdlib-only dumper whose
//! snapshots heapscope reads (`heapscope python-helper > heapscope_snapshot.py`, then
//! `heapscope_snapshot.dump(path)` or `install_signal_handler(signal.SIGUSR2, directory)` in the
//! service).

use std::io::Write;

use clap::Args;

use crate::{CliError, EXIT_OK};

#[derive(Args, Debug)]
pub struct PythonHelperArgs {}

/// Write the dumper, byte for byte as embedded in the binary.
pub fn run(_args: PythonHelperArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    out.write_all(heapscope_parsers::pysnap::DUMPER.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::writing_output)?;
    Ok(EXIT_OK)
}
