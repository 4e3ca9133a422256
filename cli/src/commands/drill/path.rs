//! `heapscope path DUMP ID`: shortest paths from GC roots to one object (the shortest one, then
//! the shortest through each other object that references it).

use clap::Args;
use heapscope_reports::drill;

use super::{answer, Common};
use crate::remote::DumpRef;
use crate::CliError;

#[derive(Args, Debug)]
pub struct PathArgs {
    /// The dump: a file or a URL (s3://, gs://, az://, https://).
    pub dump: DumpRef,
    /// The object's id as the dump spells it (`0x1a2b` or decimal).
    pub id: String,
    /// Most paths shown.
    #[arg(long, default_value_t = 5)]
    pub max: usize,
    #[command(flatten)]
    pub common: Common,
}

/// `heapscope path`: the report goes to `out`.
pub fn run(args: PathArgs, out: &mut dyn std::io::Write) -> Result<u8, CliError> {
    answer(&args.dump, &args.common, out, |c| {
        drill::paths(c, &args.id, args.max)
    })
}
