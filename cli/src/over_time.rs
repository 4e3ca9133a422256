//! Diff and trend commands (owned by the over-time engineer).

use std::path::PathBuf;

use clap::Args;

use crate::CliError;

#[derive(Args, Debug)]
pub struct DiffArgs {
    pub base: PathBuf,
    pub target: PathBuf,
}
#[derive(Args, Debug)]
pub struct TrendArgs {
    #[arg(required = true, num_args = 3..)]
    pub dumps: Vec<PathBuf>,
}

fn not_built() -> Result<u8, CliError> {
    Err(CliError::Internal(anyhow::anyhow!("this command is not built yet")))
}
pub fn run_diff(_a: DiffArgs) -> Result<u8, CliError> {
    not_built()
}
pub fn run_trend(_a: TrendArgs) -> Result<u8, CliError> {
    not_built()
}
