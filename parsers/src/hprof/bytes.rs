//! A panic-free big-endian reader over the mapped dump, with absolute byte offsets.
//!
//! Every read is bounds-checked and returns `None` past the end; callers turn that into a
//! truncation warning or a [`crate::Fail`] error with the offset.

/// Big-endian reads at absolute offsets of one byte slice.
#[derive(Clone, Copy)]
pub struct Bytes<'a> {
    pub data: &'a [u8],
    /// Identifier size of the dump (4 or 8).
    pub id: usize,
}

impl<'a> Bytes<'a> {
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    #[inline]
    pub fn u1(&self, at: usize) -> Option<u8> {
        self.data.get(at).copied()
    }
    #[inline]
    pub fn u2(&self, at: usize) -> Option<u16> {
        let b = self.data.get(at..at.checked_add(2)?)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    #[inline]
    pub fn u4(&self, at: usize) -> Option<u32> {
        let b = self.data.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    #[inline]
    pub fn u8(&self, at: usize) -> Option<u64> {
        let b = self.data.get(at..at.checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    }
    /// An identifier (object id, string id) of the dump's id size.
    #[inline]
    pub fn id(&self, at: usize) -> Option<u64> {
        if self.id == 4 {
            self.u4(at).map(u64::from)
        } else {
            self.u8(at)
        }
    }
    #[inline]
    pub fn slice(&self, from: usize, to: usize) -> Option<&'a [u8]> {
        self.data.get(from..to)
    }
}

/// Ask the CPU to bring the cache line of `d[at]` in, if `at` is inside `d` (the record walks
/// prefetch [`WALK_AHEAD`] bytes ahead of the record they read: each record's place depends on
/// the one before, so without it every cache line of the dump is a wait). No effect on results.
#[inline(always)]
pub fn prefetch(d: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if at < d.len() {
        let p = d.as_ptr().wrapping_add(at) as *const i8;
        // SAFETY: SSE is part of baseline x86-64; a prefetch has no effect on memory.
        #[allow(unused_unsafe)]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (d, at);
}

/// How far ahead of the record being read the record walks prefetch the dump: ~40 records of a
/// Java heap, a memory latency's worth of their work.
pub const WALK_AHEAD: usize = 2048;

/// A big-endian identifier of `ID` bytes (4 or 8: the dump's id size as a constant, so the hot
/// loops are compiled once per id size) at `at` of `d`, or `None` past its end.
#[inline(always)]
pub fn id_at<const ID: usize>(d: &[u8], at: usize) -> Option<u64> {
    let w = d.get(at..at.checked_add(ID)?)?;
    if ID == 8 {
        Some(u64::from_be_bytes(w.try_into().ok()?))
    } else {
        Some(u64::from(u32::from_be_bytes(w.try_into().ok()?)))
    }
}

/// A big-endian `u4` at `at` of `d`, or `None` past its end.
#[inline(always)]
pub fn u4_at(d: &[u8], at: usize) -> Option<u32> {
    let w = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(w.try_into().ok()?))
}

/// HPROF basic types (the `u1` type codes of fields and primitive arrays).
pub const T_OBJECT: u8 = 2;
pub const T_BOOLEAN: u8 = 4;
pub const T_CHAR: u8 = 5;
pub const T_FLOAT: u8 = 6;
pub const T_DOUBLE: u8 = 7;
pub const T_BYTE: u8 = 8;
pub const T_SHORT: u8 = 9;
pub const T_INT: u8 = 10;
pub const T_LONG: u8 = 11;

/// Size of a value of basic type `t` in the dump (object references take the id size).
#[inline]
pub fn dump_size(t: u8, id: usize) -> Option<usize> {
    match t {
        T_OBJECT => Some(id),
        T_BOOLEAN | T_BYTE => Some(1),
        T_CHAR | T_SHORT => Some(2),
        T_FLOAT | T_INT => Some(4),
        T_DOUBLE | T_LONG => Some(8),
        _ => None,
    }
}

/// Java name of a primitive array of basic type `t`, as MAT and VisualVM print it.
pub fn prim_array_name(t: u8) -> &'static str {
    match t {
        T_BOOLEAN => "boolean[]",
        T_CHAR => "char[]",
        T_FLOAT => "float[]",
        T_DOUBLE => "double[]",
        T_BYTE => "byte[]",
        T_SHORT => "short[]",
        T_INT => "int[]",
        T_LONG => "long[]",
        _ => "<unknown primitive>[]",
    }
}

/// Turn a class name as the dump writes it (`java/util/HashMap$Node`, `[Ljava/lang/Object;`, `[[I`)
/// into the Java form MAT and VisualVM show (`java.util.HashMap$Node`, `java.lang.Object[]`, `int[][]`).
pub fn java_class_name(raw: &str) -> String {
    let dims = raw.bytes().take_while(|&b| b == b'[').count();
    if dims == 0 {
        return raw.replace('/', ".");
    }
    let elem = &raw[dims..];
    let base = match elem.as_bytes().first() {
        Some(b'L') => elem[1..].trim_end_matches(';').replace('/', "."),
        Some(b'Z') => "boolean".into(),
        Some(b'C') => "char".into(),
        Some(b'F') => "float".into(),
        Some(b'D') => "double".into(),
        Some(b'B') => "byte".into(),
        Some(b'S') => "short".into(),
        Some(b'I') => "int".into(),
        Some(b'J') => "long".into(),
        _ => elem.replace('/', "."),
    };
    let mut s = base;
    for _ in 0..dims {
        s.push_str("[]");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_follow_mat() {
        assert_eq!(
            java_class_name("java/util/HashMap$Node"),
            "java.util.HashMap$Node"
        );
        assert_eq!(java_class_name("[Ljava/lang/Object;"), "java.lang.Object[]");
        assert_eq!(java_class_name("[[I"), "int[][]");
        assert_eq!(java_class_name("[B"), "byte[]");
        assert_eq!(java_class_name("java.lang.String"), "java.lang.String");
    }

    #[test]
    fn reads_stop_at_the_end() {
        let b = Bytes {
            data: &[1, 2, 3],
            id: 4,
        };
        assert_eq!(b.u2(1), Some(0x0203));
        assert_eq!(b.u4(0), None);
        assert_eq!(b.id(usize::MAX), None);
    }

    #[test]
    fn const_size_reads_match_the_runtime_ones() {
        let data = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11];
        for at in 0..data.len() + 1 {
            let b4 = Bytes { data: &data, id: 4 };
            let b8 = Bytes { data: &data, id: 8 };
            assert_eq!(id_at::<4>(&data, at), b4.id(at));
            assert_eq!(id_at::<8>(&data, at), b8.id(at));
            assert_eq!(u4_at(&data, at), b4.u4(at));
        }
        assert_eq!(id_at::<8>(&data, usize::MAX), None);
    }
}
