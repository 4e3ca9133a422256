//! Parse errors: [`Fail`] in the formats' inner code, [`ParseError`] at the crate's edge.
//!
//! Inner code (scanners, record walkers, decoders) returns a [`Fail`]: the byte offset and what
//! was expected there, as an [`Expected`] — static text, or a static template with a name and
//! up to three numbers. It is `Copy` and never allocates, so hot loops can return it freely.
//! The format's `parse` turns it into a [`ParseError`] with [`Fail::in_file`], which adds the
//! file's path and renders the text; a name read from the file ([`Expected::Quote`]) is rendered
//! there too, from the input bytes. Text known only at the edge (an option's value, a sample
//! type the profile lacks) goes straight into [`ParseError::new`].

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

/// A parse failure, with the byte offset in the (inflated) input and what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{}: at byte {offset}: expected {expected}", path.display())]
pub struct ParseError {
    pub path: PathBuf,
    pub offset: u64,
    pub expected: String,
}

impl ParseError {
    pub fn new(path: &Path, offset: u64, expected: impl Into<String>) -> Self {
        ParseError {
            path: path.to_path_buf(),
            offset,
            expected: expected.into(),
        }
    }
    /// An I/O failure opening or reading the file.
    pub fn io(path: &Path, err: std::io::Error) -> Self {
        ParseError {
            path: path.to_path_buf(),
            offset: 0,
            expected: format!("a readable file ({err})"),
        }
    }
}

/// A failure in a format's inner code: where, and what was expected there. `Copy`, no heap.
#[derive(Clone, Copy, Debug)]
pub struct Fail {
    pub offset: u64,
    pub expected: Expected,
}

/// What was expected: rendered into [`ParseError::expected`] at the edge.
#[derive(Clone, Copy, Debug)]
pub enum Expected {
    /// Fixed text.
    Text(&'static str),
    /// A template: each `{}` is replaced by the next number (unsigned), `{i}` by the next as a
    /// signed number, `{x}` by the next as two hex digits, `{s}` by the name.
    Fmt(&'static str, &'static str, [u64; 3]),
    /// Text quoting the input (a name read from the file): the function writes it from the
    /// input bytes (empty when they are not at hand) and the numbers (e.g. byte ranges).
    Quote(fn(&[u8], [u64; 3], &mut String), [u64; 3]),
}

impl From<&'static str> for Expected {
    fn from(s: &'static str) -> Expected {
        Expected::Text(s)
    }
}

impl Expected {
    /// A template with a name and up to three numbers (see [`Expected::Fmt`]).
    pub fn fmt(template: &'static str, name: &'static str, nums: &[u64]) -> Expected {
        let mut n = [0u64; 3];
        for (d, s) in n.iter_mut().zip(nums) {
            *d = *s;
        }
        Expected::Fmt(template, name, n)
    }

    /// The text, with names from `input` (the bytes the offsets refer to).
    pub fn render(&self, input: &[u8], out: &mut String) {
        match *self {
            Expected::Text(s) => out.push_str(s),
            Expected::Fmt(template, name, nums) => {
                let mut nums = nums.iter();
                let mut rest = template;
                while let Some(open) = rest.find('{') {
                    out.push_str(&rest[..open]);
                    let tail = &rest[open..];
                    let mut num = || *nums.next().unwrap_or(&0);
                    // (Writing to a String cannot fail.)
                    let len = if tail.starts_with("{}") {
                        let _ = write!(out, "{}", num());
                        2
                    } else if tail.starts_with("{i}") {
                        let _ = write!(out, "{}", num() as i64);
                        3
                    } else if tail.starts_with("{x}") {
                        let _ = write!(out, "{:02x}", num());
                        3
                    } else if tail.starts_with("{s}") {
                        out.push_str(name);
                        3
                    } else {
                        out.push('{');
                        1
                    };
                    rest = &tail[len..];
                }
                out.push_str(rest);
            }
            Expected::Quote(write, nums) => write(input, nums, out),
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.render(&[], &mut s);
        f.write_str(&s)
    }
}

impl Fail {
    /// `expected` at byte `offset`.
    #[inline]
    pub fn at(offset: usize, expected: impl Into<Expected>) -> Fail {
        Fail {
            offset: offset as u64,
            expected: expected.into(),
        }
    }

    /// `expected` at byte `offset` (a 64-bit offset).
    #[inline]
    pub fn at_u64(offset: u64, expected: impl Into<Expected>) -> Fail {
        Fail {
            offset,
            expected: expected.into(),
        }
    }

    /// The public error: the file's path added, names quoted from `input` (the bytes the
    /// offsets refer to).
    #[cold]
    pub fn in_file(self, path: &Path, input: &[u8]) -> ParseError {
        let mut expected = String::new();
        self.expected.render(input, &mut expected);
        ParseError {
            path: path.to_path_buf(),
            offset: self.offset,
            expected,
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: expected {}", self.offset, self.expected)
    }
}

/// Pack a byte range of the input into one number for [`Expected::Quote`] (start below 2^56,
/// length clipped to 255).
pub fn span(start: usize, len: usize) -> u64 {
    (start as u64 & ((1 << 56) - 1)) | ((len.min(255) as u64) << 56)
}

/// The bytes of a packed [`span`] as text (lossy), or `?` when they are not in `input`.
pub fn quote(input: &[u8], span: u64, out: &mut String) {
    let start = (span & ((1 << 56) - 1)) as usize;
    let len = (span >> 56) as usize;
    match input.get(start..start.saturating_add(len)) {
        Some(b) => out.push_str(&String::from_utf8_lossy(b)),
        None => out.push('?'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_numbers_and_names() {
        let e = Expected::fmt(
            "{s}: {} bytes, {i} left (0x{x}) {x",
            "a str",
            &[7, -2i64 as u64, 10],
        );
        let mut s = String::new();
        e.render(&[], &mut s);
        assert_eq!(s, "a str: 7 bytes, -2 left (0x0a) {x");
        let f = Fail::at(3, "a digit").in_file(Path::new("a.bin"), &[]);
        assert_eq!(f.to_string(), "a.bin: at byte 3: expected a digit");
        let mut q = String::new();
        quote(b"xxhello", span(2, 5), &mut q);
        quote(b"", span(2, 5), &mut q);
        assert_eq!(q, "hello?");
        assert!(std::mem::size_of::<Fail>() <= 72);
    }
}
