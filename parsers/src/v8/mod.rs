//! Placeholder until the v8 parser lands; owned by the v8 format engineer.

use crate::{Input, ParseError, ParseOptions, Parsed};

pub fn parse(input: &Input, _opts: &ParseOptions) -> Result<Parsed, ParseError> {
    Err(ParseError::new(input.path(), 0, "a format this build can parse (v8 support is not built yet)"))
}
