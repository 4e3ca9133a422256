//! A plain bit set over node indices (1 bit per node).

#[derive(Clone, Debug)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub fn new(n: usize) -> Self {
        BitSet {
            words: vec![0; n.div_ceil(64)],
        }
    }
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words
            .get(i >> 6)
            .is_some_and(|w| w & (1 << (i & 63)) != 0)
    }
    #[inline]
    pub fn set(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i >> 6) {
            *w |= 1 << (i & 63);
        }
    }
    /// The first set bit at or after `i`, if any.
    pub fn next_set(&self, i: usize) -> Option<usize> {
        let mut w = i >> 6;
        let mut bits = *self.words.get(w)? & (!0u64 << (i & 63));
        loop {
            if bits != 0 {
                return Some((w << 6) + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *self.words.get(w)?;
        }
    }
    /// A set over the bits of `words` (as [`words`](Self::words) gave them).
    pub fn from_words(words: Vec<u64>) -> Self {
        BitSet { words }
    }
    /// The bits, 64 per word, bit `i` at `words[i / 64] >> (i % 64)`.
    pub fn words(&self) -> &[u64] {
        &self.words
    }
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}
