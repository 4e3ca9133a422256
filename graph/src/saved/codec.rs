//! [`Enc`] and [`Dec`]: the little-endian encoding of a saved index's small sections (facts,
//! interners, histogram, a parser's inspector state). The decoder is a panic-free cursor: every
//! read is bounds-checked, every count is checked against the bytes left before anything is
//! allocated for it, and an error names the byte offset in the index file.

/// Something in a section is not what was expected: the byte offset in the index file and what
/// was expected there. `Copy` and allocation-free, as the parsers' `Fail` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bad {
    pub offset: u64,
    pub expected: &'static str,
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: expected {}", self.offset, self.expected)
    }
}

/// Appends values in the saved index's encoding (little-endian; strings and lists prefixed by
/// their `u32` count).
#[derive(Default)]
pub struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.u8(v as u8);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    /// A length or count (lists here never reach 2^32 elements: node arrays are sections).
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    pub fn str(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub fn opt_str(&mut self, s: Option<&str>) {
        self.bool(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }
    pub fn opt_u64(&mut self, v: Option<u64>) {
        self.bool(v.is_some());
        if let Some(v) = v {
            self.u64(v);
        }
    }
    pub fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        for &x in v {
            self.u32(x);
        }
    }
    pub fn u64s(&mut self, v: &[u64]) {
        self.len(v.len());
        for &x in v {
            self.u64(x);
        }
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.len(v.len());
        self.buf.extend_from_slice(v);
    }
}

/// Reads what [`Enc`] wrote, never past the end, never allocating by an unchecked count.
pub struct Dec<'a> {
    data: &'a [u8],
    pos: usize,
    /// The section's offset in the index file, so errors name the file's byte offset.
    base: u64,
}

impl<'a> Dec<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Dec { data, pos: 0, base }
    }
    /// The file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub fn bad(&self, expected: &'static str) -> Bad {
        Bad {
            offset: self.offset(),
            expected,
        }
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn is_done(&self) -> bool {
        self.pos == self.data.len()
    }
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Bad> {
        if n > self.remaining() {
            return Err(self.bad(what));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Bad> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.arr::<1>("a byte")?[0])
    }
    pub fn bool(&mut self) -> Result<bool, Bad> {
        let at = self.bad("a flag (0 or 1)");
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(at),
        }
    }
    pub fn u32(&mut self) -> Result<u32, Bad> {
        Ok(u32::from_le_bytes(self.arr("a 4-byte integer")?))
    }
    pub fn u64(&mut self) -> Result<u64, Bad> {
        Ok(u64::from_le_bytes(self.arr("an 8-byte integer")?))
    }
    pub fn i64(&mut self) -> Result<i64, Bad> {
        Ok(i64::from_le_bytes(self.arr("an 8-byte integer")?))
    }
    pub fn f64(&mut self) -> Result<f64, Bad> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A count of elements each at least `min_size` bytes long: refused when the bytes left
    /// cannot hold that many, so a caller may allocate for it.
    pub fn count(&mut self, min_size: usize) -> Result<usize, Bad> {
        let at = self.bad("a count the rest of the section can hold");
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size.max(1)) > self.remaining() {
            return Err(at);
        }
        Ok(n)
    }
    pub fn str(&mut self) -> Result<&'a str, Bad> {
        let at = self.bad("UTF-8 text");
        let n = self.count(1)?;
        std::str::from_utf8(self.take(n, "text")?).map_err(|_| at)
    }
    pub fn string(&mut self) -> Result<String, Bad> {
        self.str().map(str::to_string)
    }
    pub fn opt_string(&mut self) -> Result<Option<String>, Bad> {
        Ok(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    pub fn opt_u64(&mut self) -> Result<Option<u64>, Bad> {
        Ok(if self.bool()? {
            Some(self.u64()?)
        } else {
            None
        })
    }
    pub fn u32s(&mut self) -> Result<Vec<u32>, Bad> {
        let n = self.count(4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    pub fn u64s(&mut self) -> Result<Vec<u64>, Bad> {
        let n = self.count(8)?;
        (0..n).map(|_| self.u64()).collect()
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.count(1)?;
        self.take(n, "bytes")
    }
    /// A small enum's tag: `< limit`.
    pub fn tag(&mut self, limit: u8, what: &'static str) -> Result<u8, Bad> {
        let at = self.bad(what);
        let v = self.u8()?;
        if v < limit {
            Ok(v)
        } else {
            Err(at)
        }
    }
    /// The section must be used up exactly.
    pub fn end(&self) -> Result<(), Bad> {
        if self.is_done() {
            Ok(())
        } else {
            Err(self.bad("the end of the section"))
        }
    }
}
