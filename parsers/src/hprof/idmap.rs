//! A small open-addressing map from dump ids to `u32` for the class table (tens of thousands of
//! entries, looked up once per object, so it must be cheaper than SipHash).

#[derive(Default)]
pub struct IdMap {
    keys: Vec<u64>,
    vals: Vec<u32>,
    len: usize,
}

impl IdMap {
    #[inline]
    fn slot(&self, key: u64) -> usize {
        // Fibonacci hashing; the table size is a power of two.
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) as usize & (self.keys.len() - 1)
    }

    /// Insert or replace. Id 0 (null) is never stored.
    pub fn insert(&mut self, key: u64, val: u32) {
        if key == 0 {
            return;
        }
        if (self.len + 1) * 2 > self.keys.len() {
            let cap = (self.keys.len() * 2).max(64);
            let old_k = std::mem::replace(&mut self.keys, vec![0; cap]);
            let old_v = std::mem::replace(&mut self.vals, vec![0; cap]);
            self.len = 0;
            for (k, v) in old_k.into_iter().zip(old_v) {
                if k != 0 {
                    self.insert(k, v);
                }
            }
        }
        let mut i = self.slot(key);
        loop {
            if self.keys[i] == 0 {
                self.keys[i] = key;
                self.vals[i] = val;
                self.len += 1;
                return;
            }
            if self.keys[i] == key {
                self.vals[i] = val;
                return;
            }
            i = (i + 1) & (self.keys.len() - 1);
        }
    }

    #[inline]
    pub fn get(&self, key: u64) -> Option<u32> {
        if key == 0 || self.keys.is_empty() {
            return None;
        }
        let mut i = self.slot(key);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == key => return Some(self.vals[i]),
                _ => i = (i + 1) & (self.keys.len() - 1),
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
