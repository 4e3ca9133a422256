//! `heapscope retainers DUMP ID`: the objects that reference one object, and its dominator chain.

use clap::Args;
use heapscope_reports::drill;

use super::{answer, Common};
use crate::remote::DumpRef;
use crate::CliError;

#[derive(Args, Debug)]
pub struct RetainersArgs {
    /// The dump: a file or a URL (s3://, gs://, az://, https://).
    pub dump: DumpRef,
    /// The object's id as the dump spells it (`0x1a2b` or decimal).
    pub id: String,
    /// Most referrers listed (largest retained first).
    #[arg(long, default_value_t = 50)]
    pub max: usize,
    #[command(flatten)]
    pub common: Common,
}

/// `heapscope retainers`: the report goes to `out`.
pub fn run(args: RetainersArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    answer(&args.dump, &args.common, out, |c| {
        drill::retainers(c, &args.id, args.max)
    })
}
