//! `heapscope instances DUMP TYPE`: the largest instances of a type by retained size.

use clap::Args;
use heapscope_reports::drill;

use super::{answer, Common};
use crate::remote::DumpRef;
use crate::CliError;

#[derive(Args, Debug)]
pub struct InstancesArgs {
    /// The dump: a file or a URL (s3://, gs://, az://, https://).
    pub dump: DumpRef,
    /// The type (class, constructor, function, `file:line`) exactly as the histogram names it.
    #[arg(name = "TYPE")]
    pub type_name: String,
    /// Most instances listed.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[command(flatten)]
    pub common: Common,
}

/// `heapscope instances`: the report goes to `out`.
pub fn run(args: InstancesArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    answer(&args.dump, &args.common, out, |c| {
        drill::instances(c, &args.type_name, args.top)
    })
}
