//! The error every command returns, and the exit codes: 0 ok; 1 a suspect was found and
//! `--fail-on-suspect` was given (or a true leak with `trend --fail-on-leak`); 2 bad input or
//! usage; 3 internal error.

use std::io;

use anyhow::anyhow;

pub const EXIT_OK: u8 = 0;
pub const EXIT_SUSPECT: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_INTERNAL: u8 = 3;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// The input or the usage is wrong (exit 2).
    BadInput(anyhow::Error),
    /// Something failed that is not the input's fault (exit 3).
    Internal(anyhow::Error),
    /// The reader of the output went away (`| head`): not an error, the command just ends
    /// (exit 0, no message), as Unix tools do on a closed pipe.
    Closed,
}

impl CliError {
    /// A failed write of the command's output: a closed pipe ends the command quietly; any
    /// other failure is reported like a failed write of an `-o` file.
    pub fn writing_output(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            CliError::Closed
        } else {
            CliError::BadInput(anyhow!(e).context("writing the report to stdout"))
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::BadInput(_) => EXIT_BAD_INPUT,
            CliError::Internal(_) => EXIT_INTERNAL,
            CliError::Closed => EXIT_OK,
        }
    }

    /// The message printed on stderr, if any.
    pub fn message(&self) -> Option<String> {
        match self {
            CliError::BadInput(e) => Some(format!("heapscope: error: {e:#}")),
            CliError::Internal(e) => Some(format!("heapscope: internal error: {e:#}")),
            CliError::Closed => None,
        }
    }
}

impl From<heapscope_parsers::ParseError> for CliError {
    fn from(e: heapscope_parsers::ParseError) -> Self {
        CliError::BadInput(e.into())
    }
}

/// A command's result as the process's exit code, its message (if any) printed on stderr.
pub fn exit_code(result: Result<u8, CliError>) -> u8 {
    match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(m) = e.message() {
                eprintln!("{m}");
            }
            e.exit_code()
        }
    }
}
