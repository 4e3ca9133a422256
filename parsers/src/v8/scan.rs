//! A panic-free JSON scanner over the mapped bytes, just enough for a heap snapshot: unsigned
//! integer arrays straight into callbacks, strings as byte ranges (never decoded here), and an
//! iterative skip over any value we do not need. No value tree, no recursion.

use std::borrow::Cow;

use crate::{Expected, Fail};

/// Scan failures are [`Fail`]s: cheap in hot code, the path is added at the crate boundary.
pub(crate) type Scan<T> = Result<T, Fail>;

/// A forward cursor over the whole input.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The whole input.
    pub fn input(&self) -> &'a [u8] {
        self.buf
    }

    /// Continue at `pos` (clamped to the end), after a part was parsed elsewhere.
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.buf.get(from..to).unwrap_or(&[])
    }

    #[inline]
    pub fn ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.buf.get(self.pos).copied()
    }

    /// Consume `want` after whitespace.
    #[inline]
    pub fn expect(&mut self, want: u8, what: &'static str) -> Scan<()> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    pub fn error(&self, what: &'static str) -> Fail {
        if self.pos >= self.buf.len() {
            Fail::at(
                self.pos,
                Expected::fmt("{s} (the input ends here: truncated?)", what, &[]),
            )
        } else {
            Fail::at(self.pos, what)
        }
    }

    /// A JSON string after whitespace; returns the byte range of its content (between the
    /// quotes, escapes left as they are).
    #[inline]
    pub fn string(&mut self) -> Scan<(usize, usize)> {
        self.expect(b'"', "a string")?;
        let start = self.pos;
        let rest = self.buf.get(start..).unwrap_or(&[]);
        let mut i = 0;
        // Eight bytes at a time to the next '"' or '\\' (the strings of a 1 GB snapshot are
        // ~50 MB; a byte loop took 0.2 s of them).
        while let Some(word) = rest.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            let hits = bytes_equal(w, b'"') | bytes_equal(w, b'\\');
            if hits == 0 {
                i += 8;
                continue;
            }
            i += (hits.trailing_zeros() / 8) as usize;
            if rest[i] == b'"' {
                self.pos = start + i + 1;
                return Ok((start, start + i));
            }
            i += escape_len(rest, i).map_err(|_| Fail::at(start + i, BAD_ESCAPE))?;
        }
        while i < rest.len() {
            match rest[i] {
                b'"' => {
                    self.pos = start + i + 1;
                    return Ok((start, start + i));
                }
                b'\\' => i += escape_len(rest, i).map_err(|_| Fail::at(start + i, BAD_ESCAPE))?,
                _ => i += 1,
            }
        }
        self.pos = self.buf.len();
        Err(Fail::at(
            self.buf.len(),
            "the closing '\"' of a string (the input ends here: truncated?)",
        ))
    }

    /// An unsigned decimal integer after whitespace.
    #[inline]
    pub fn uint(&mut self) -> Scan<u64> {
        self.ws();
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(&b) = self.buf.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            v = match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
            {
                Some(v) => v,
                None => return Err(Fail::at(start, "an unsigned integer below 2^64")),
            };
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("an unsigned integer"));
        }
        Ok(v)
    }

    /// `[n, n, …]` of unsigned integers; `f(value, offset)` for each in order.
    pub fn uint_array(&mut self, mut f: impl FnMut(u64, usize) -> Scan<()>) -> Scan<()> {
        self.expect(b'[', "'[' opening an array of integers")?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let at = self.pos;
            let v = self.uint()?;
            f(v, at)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("',' or ']' in an array of integers")),
            }
        }
    }

    /// `[…]` of unsigned integers taken `width` (≤ 64) at a time: `f(record)` with each
    /// value's (value, offset). Returns how many values an unfinished last record has (0 when
    /// the array holds whole records).
    pub fn uint_records(
        &mut self,
        width: usize,
        mut f: impl FnMut(&[(u64, usize)]) -> Scan<()>,
    ) -> Scan<usize> {
        let mut rec = [(0u64, 0usize); 64];
        let width = width.clamp(1, rec.len());
        let mut field = 0;
        self.uint_array(|v, at| {
            rec[field] = (v, at);
            field += 1;
            if field < width {
                return Ok(());
            }
            field = 0;
            f(&rec[..width])
        })?;
        Ok(field)
    }

    /// `["…", "…", …]`; `f(content_start, content_end)` for each string.
    pub fn string_array(&mut self, mut f: impl FnMut(usize, usize)) -> Scan<()> {
        self.expect(b'[', "'[' opening an array of strings")?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let (s, e) = self.string()?;
            f(s, e);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("',' or ']' in an array of strings")),
            }
        }
    }

    /// Skip one JSON value of any kind (iteratively: nesting depth costs no stack).
    pub fn skip_value(&mut self) -> Scan<()> {
        let mut depth: u64 = 0;
        loop {
            match self.peek() {
                None => return Err(self.error("a JSON value")),
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'{') | Some(b'[') => {
                    self.pos += 1;
                    depth += 1;
                    continue;
                }
                Some(b'}') | Some(b']') if depth > 0 => {
                    self.pos += 1;
                    depth -= 1;
                }
                Some(b',') | Some(b':') if depth > 0 => {
                    self.pos += 1;
                    continue;
                }
                Some(b) if b == b'-' || b.is_ascii_alphanumeric() => {
                    // numbers, true, false, null: one run of value characters
                    while let Some(&c) = self.buf.get(self.pos) {
                        if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_alphanumeric() {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                Some(_) => return Err(self.error("a JSON value")),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

const BAD_ESCAPE: &str =
    "a JSON escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t, or \\u and four hex digits";

/// The length of the escape sequence at `s[i]` (a backslash), as JSON defines them; an error
/// for anything else (`JSON.parse` throws on `\u12G4`, `\x`, …). An escape cut short by the
/// end of the input is not an error here: the caller then reports the unterminated string. A
/// `\u` escape of a lone surrogate (`\ud800`) is valid JSON and V8 writes such strings (a JS
/// string is UTF-16 and may hold one): accepted, and [`decode`] shows it as U+FFFD.
#[inline]
fn escape_len(s: &[u8], i: usize) -> Result<usize, ()> {
    match s.get(i + 1) {
        None | Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(2),
        Some(b'u') => {
            let hex = s.get(i + 2..(i + 6).min(s.len())).unwrap_or(&[]);
            if hex.iter().all(u8::is_ascii_hexdigit) {
                Ok(6)
            } else {
                Err(())
            }
        }
        _ => Err(()),
    }
}

/// The bytes of `w` equal to `b`, as the high bit of each (exact: no false positives, unlike
/// the shorter has-zero-byte trick).
#[inline]
fn bytes_equal(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Decode the content of a JSON string (the bytes between its quotes). Lone surrogates
/// (`\ud800` without its pair: valid JSON, which V8 writes for JS strings holding one) and
/// invalid UTF-8 become U+FFFD, as they cannot be in a Rust `str`; invalid escapes, which
/// [`Cursor::string`] has refused already, too. Never fails.
pub(crate) fn decode(raw: &[u8]) -> Cow<'_, str> {
    if !raw.contains(&b'\\') {
        return String::from_utf8_lossy(raw);
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = raw.get(i + 1).copied();
        i += 2;
        let c = match esc {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = hex4(raw.get(i..i + 4));
                i += 4;
                match hi {
                    Some(h @ 0xD800..=0xDBFF) => {
                        let lo = if raw.get(i..i + 2) == Some(b"\\u") {
                            hex4(raw.get(i + 2..i + 6))
                        } else {
                            None
                        };
                        match lo {
                            Some(l @ 0xDC00..=0xDFFF) => {
                                i += 6;
                                char::from_u32(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00))
                                    .unwrap_or('\u{FFFD}')
                            }
                            _ => '\u{FFFD}',
                        }
                    }
                    Some(v) => char::from_u32(v).unwrap_or('\u{FFFD}'),
                    None => '\u{FFFD}',
                }
            }
            _ => '\u{FFFD}',
        };
        let mut tmp = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex4(b: Option<&[u8]>) -> Option<u32> {
    let b = b?;
    let mut v = 0u32;
    for &c in b {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_surrogates() {
        assert_eq!(decode(br#"a\"b\\c\n"#), "a\"b\\c\n");
        assert_eq!(decode(br#"\u00e9\ud83d\ude00"#), "é😀");
        assert_eq!(decode(br#"\ud800x"#), "\u{FFFD}x");
        assert_eq!(decode(br#"bad\u12"#), "bad\u{FFFD}");
        assert_eq!(decode(b"trailing\\"), "trailing\u{FFFD}");
    }

    #[test]
    fn skips_nested_values_without_recursion() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let mut c = Cursor::new(deep.as_bytes());
        c.skip_value().unwrap();
        assert_eq!(c.pos(), deep.len());
        let mut c = Cursor::new(br#"{"a": [1, -2.5e3, "x\"]", {"b": null}], "c": true} tail"#);
        c.skip_value().unwrap();
        assert_eq!(c.slice(c.pos(), c.pos() + 5), b" tail");
    }

    #[test]
    fn strings_end_at_the_first_unescaped_quote() {
        let bs = "\\".repeat(24); // 12 escaped backslashes
        let quoted = format!("\"{bs}\"x");
        for (text, end) in [
            (&br#""" tail"#[..], 1),
            (br#""abcdefghijklmnop" x"#, 17),
            (br#""abcdefg\"hijklmnop\\" x"#, 21),
            (quoted.as_bytes(), 25),
            (br#""a\"""#, 4),
            ("\"\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\"".as_bytes(), 11),
        ] {
            let mut c = Cursor::new(text);
            assert_eq!(
                c.string().unwrap(),
                (1, end),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        for bad in [
            &br#""abcdefghijklmnop"#[..],
            br#""abcdefghijklmno\""#,
            br#""\"#,
        ] {
            let err = Cursor::new(bad).string().unwrap_err();
            assert_eq!(err.offset, bad.len() as u64);
        }
    }

    #[test]
    fn integer_arrays_report_offsets() {
        let mut c = Cursor::new(b"[1, 22,\n333]");
        let mut seen = Vec::new();
        c.uint_array(|v, at| {
            seen.push((v, at));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(1, 1), (22, 4), (333, 8)]);
        let err = Cursor::new(b"[1, -2]")
            .uint_array(|_, _| Ok(()))
            .unwrap_err();
        assert_eq!(err.offset, 4);
        let err = Cursor::new(b"[1, 2").uint_array(|_, _| Ok(())).unwrap_err();
        assert_eq!(err.offset, 5);
        assert!(err.expected.to_string().contains("truncated"));
    }
}
