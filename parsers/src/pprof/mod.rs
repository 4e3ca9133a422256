//! Placeholder until the pprof parser lands; owned by the pprof format engineer.

use crate::{Input, ParseError, ParseOptions, Parsed};

pub fn parse(input: &Input, _opts: &ParseOptions) -> Result<Parsed, ParseError> {
    Err(ParseError::new(input.path(), 0, "a format this build can parse (pprof support is not built yet)"))
}
