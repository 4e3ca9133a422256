//! Drill-down commands (owned by the reports engineer): path, retainers, instances.

use std::path::PathBuf;

use clap::Args;

use crate::CliError;

#[derive(Args, Debug)]
pub struct PathArgs {
    pub dump: PathBuf,
    pub id: String,
}
#[derive(Args, Debug)]
pub struct RetainersArgs {
    pub dump: PathBuf,
    pub id: String,
}
#[derive(Args, Debug)]
pub struct InstancesArgs {
    pub dump: PathBuf,
    #[arg(name = "TYPE")]
    pub type_name: String,
}

fn not_built() -> Result<u8, CliError> {
    Err(CliError::Internal(anyhow::anyhow!("this command is not built yet")))
}
pub fn run_path(_a: PathArgs) -> Result<u8, CliError> {
    not_built()
}
pub fn run_retainers(_a: RetainersArgs) -> Result<u8, CliError> {
    not_built()
}
pub fn run_instances(_a: InstancesArgs) -> Result<u8, CliError> {
    not_built()
}
