//! Typed indices and the interner used for type names, edge labels and root kinds.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Dense index of a node in a [`crate::HeapGraph`] (0..n).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(pub u32);

impl NodeIdx {
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// Index into the type table ([`crate::HeapGraph::types`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub u32);

/// Index into the label table ([`crate::HeapGraph::labels`]). Id 0 is the empty label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelId(pub u32);

/// What kind of thing a node is. The meaning is shared by all formats; parsers pick the
/// closest one. Reports use it to tell classes, arrays and call-tree frames apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum NodeKind {
    Object = 0,
    ObjectArray = 1,
    PrimitiveArray = 2,
    Class = 3,
    String = 4,
    Closure = 5,
    Code = 6,
    Hidden = 7,
    Native = 8,
    Synthetic = 9,
    /// A call-tree node of an allocation profile (pprof, tracemalloc).
    Frame = 10,
    Other = 11,
}

impl NodeKind {
    pub fn from_u8(v: u8) -> NodeKind {
        use NodeKind::*;
        match v {
            0 => Object,
            1 => ObjectArray,
            2 => PrimitiveArray,
            3 => Class,
            4 => String,
            5 => Closure,
            6 => Code,
            7 => Hidden,
            8 => Native,
            9 => Synthetic,
            10 => Frame,
            _ => Other,
        }
    }
}

/// Edge label as stored in the graph: 0 = none, high bit set = array index (low 31 bits,
/// saturating), otherwise a [`LabelId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    None,
    Name(LabelId),
    Index(u32),
}

pub(crate) const INDEX_BIT: u32 = 1 << 31;

impl Label {
    #[inline]
    pub fn encode(self) -> u32 {
        match self {
            Label::None => 0,
            Label::Name(l) => l.0 & !INDEX_BIT,
            Label::Index(i) => INDEX_BIT | i.min(INDEX_BIT - 1),
        }
    }
    #[inline]
    pub fn decode(v: u32) -> Label {
        if v == 0 {
            Label::None
        } else if v & INDEX_BIT != 0 {
            Label::Index(v & !INDEX_BIT)
        } else {
            Label::Name(LabelId(v))
        }
    }
}

/// A string interner: each distinct string once, ids dense from 0 in first-seen order.
///
/// The texts lie end to end in one buffer (string `i` ends at `ends[i]`). The index maps the low
/// 32 bits of a keyed 64-bit hash of a text (std's SipHash with a random key, so no input can be
/// made to collide) to the first id with those bits; `next` chains the ids whose hashes collide
/// there (`NO_NEXT` ends a chain; ~30 such pairs among 500 K strings), and every match is
/// confirmed on the text. Per distinct string: its bytes once, 8 B end, 4 B chain link and one
/// index entry (8 B + a control byte, at most 7/8 full; 16 B with the whole hash as the key:
/// 17 MiB for the 500 K class names of a class-heavy HPROF, now 9): ~22 B + the text, where a
/// boxed copy in a list and another as a map key cost ~100 B + twice the text (a V8 snapshot
/// names each WeakMap entry's edges with a string of their own: hundreds of thousands).
#[derive(Default, Clone, Debug)]
pub struct Interner {
    text: String,
    ends: Vec<u64>,
    next: Vec<u32>,
    index: HashMap<u32, u32, BuildHasherDefault<Prehashed>>,
    keys: RandomState,
}

/// Ends a chain of ids whose texts share a hash.
const NO_NEXT: u32 = u32::MAX;

/// The identity hash of a key that is a hash already (the interner's SipHash values).
#[derive(Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        // Only u32 and u64 keys are hashed; fold anything else in so the hasher stays total.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
    /// The index's keys, 32 bits of a hash: spread over the 64 (the table takes its control
    /// bytes from the top bits).
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first id whose text is `s` (of the chain starting at `first`), or the chain's last.
    fn find(&self, first: u32, s: &str) -> Result<u32, u32> {
        let mut id = first;
        loop {
            if self.get(id) == s {
                return Ok(id);
            }
            match self.next[id as usize] {
                NO_NEXT => return Err(id),
                n => id = n,
            }
        }
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        self.intern_hashed(s, self.keys.hash_one(s))
    }

    /// [`intern`](Self::intern) with `s`'s hash given (tests give colliding ones).
    fn intern_hashed(&mut self, s: &str, h: u64) -> u32 {
        let last = match self.index.get(&(h as u32)) {
            Some(&first) => match self.find(first, s) {
                Ok(id) => return id,
                Err(last) => Some(last),
            },
            None => None,
        };
        let i = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len() as u64);
        self.next.push(NO_NEXT);
        match last {
            Some(l) => self.next[l as usize] = i,
            None => {
                self.index.insert(h as u32, i);
            }
        }
        i
    }
    pub fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let Some(&end) = self.ends.get(i) else {
            return "?";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start as usize..end as usize]
    }
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.lookup_hashed(s, self.keys.hash_one(s))
    }
    fn lookup_hashed(&self, s: &str, h: u64) -> Option<u32> {
        let first = *self.index.get(&(h as u32))?;
        self.find(first, s).ok()
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        (0..self.ends.len() as u32).map(|i| (i, self.get(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a list searched from the start, with real hashes and with hashes that collide
    /// for most strings (so the chains are long and every match is decided on the text).
    #[test]
    fn interner_equals_a_plain_list_with_and_without_collisions() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Some(0): hashes that differ, but not in the low 32 bits the index keeps
        for collide in [None, Some(1u64), Some(3), Some(1 << 40), Some(0)] {
            let mut it = Interner::new();
            let mut plain: Vec<String> = Vec::new();
            for _ in 0..3000 {
                let len = (next() % 6) as usize;
                let s: String = (0..len)
                    .map(|_| ["a", "b", "é", "→", ""][(next() % 5) as usize])
                    .collect();
                let h = match collide {
                    None => it.keys.hash_one(&s),
                    Some(0) => (s.len() as u64) << 32 | 7,
                    Some(m) => s.len() as u64 % m,
                };
                let want = match plain.iter().position(|p| *p == s) {
                    Some(i) => i as u32,
                    None => {
                        plain.push(s.clone());
                        (plain.len() - 1) as u32
                    }
                };
                assert_eq!(it.intern_hashed(&s, h), want, "{s:?}");
                assert_eq!(it.lookup_hashed(&s, h), Some(want));
            }
            assert_eq!(it.len(), plain.len());
            for (i, t) in it.iter() {
                assert_eq!(t, plain[i as usize]);
            }
            assert_eq!(it.get(plain.len() as u32), "?");
            assert!(plain.len() > 100);
        }
        let mut it = Interner::new();
        assert!(it.is_empty() && it.lookup("x").is_none());
        assert_eq!(it.intern("x"), 0);
        assert_eq!(it.intern(""), 1);
        assert_eq!((it.lookup(""), it.get(1), it.get(0)), (Some(1), "", "x"));
    }
}
