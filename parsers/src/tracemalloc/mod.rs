//! Placeholder until the tracemalloc parser lands; owned by the tracemalloc format engineer.

use crate::{Input, ParseError, ParseOptions, Parsed};

pub fn parse(input: &Input, _opts: &ParseOptions) -> Result<Parsed, ParseError> {
    Err(ParseError::new(input.path(), 0, "a format this build can parse (tracemalloc support is not built yet)"))
}
