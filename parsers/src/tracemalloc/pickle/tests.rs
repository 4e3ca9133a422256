//! Unit tests of the reader: errors rendered at the edge, and the memo table against a plain
//! vector.

use super::memo::{Memo, MemoTable};
use super::*;

fn message(data: &[u8]) -> String {
    let e = read(data).expect_err("an error");
    e.in_file(std::path::Path::new("x"), data).expected
}

/// Errors written at the edge read as they did when the inner code formatted them.
#[test]
fn edge_rendered_messages() {
    // PROTO 2, GLOBAL copy_reg _reconstructor
    assert_eq!(
        message(b"\x80\x02ccopy_reg\n_reconstructor\n"),
        "a tracemalloc class (tracemalloc.Snapshot or tracemalloc._Traces), not \
         copy_reg._reconstructor; heapscope never imports or calls what a pickle names"
    );
    // PROTO 4, MARK, None, an int, an empty tuple, TUPLE
    assert_eq!(
        message(b"\x80\x04(NK\x01)t"),
        "a frame (filename, lineno), a traceback (frames…) or a trace (domain, size, \
         frames[, total_nframe]); found a tuple of 3 items (None, an int, an empty tuple)"
    );
    assert_eq!(message(b"\x80\x07"), "pickle protocol 2 to 5, not 7");
    assert_eq!(
        message(b"\x80\x04R"),
        "an opcode a tracemalloc snapshot uses, not REDUCE (0x52); heapscope reads data and \
         never runs pickled code"
    );
}

/// The rank-indexed memo answers every index as a plain vector would, with traces interleaved.
#[test]
fn memo_table_matches_a_plain_vector() {
    let mut table = MemoTable::default();
    let mut plain: Vec<Memo> = Vec::new();
    let mut x: u64 = 12345;
    for i in 0..1000u32 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let m = if x >> 62 == 0 {
            Memo::Str(i)
        } else {
            Memo::Trace
        };
        table.memoize(m);
        plain.push(m);
    }
    for (i, m) in plain.iter().enumerate() {
        let got = table.get(i as u64);
        assert_eq!(format!("{got:?}"), format!("{m:?}"), "entry {i}");
        // Through the cache, twice (a miss, then a hit).
        for _ in 0..2 {
            let hot = table.get_hot(i as u64);
            assert_eq!(format!("{hot:?}"), format!("{m:?}"), "cached entry {i}");
        }
    }
    // An index not yet set is not cached: once set, the cache answers the new entry.
    assert!(matches!(table.get_hot(1000), Memo::Unset));
    // An out-of-order BINPUT counts in the memo's size: the next MEMOIZE lands after it.
    table.put(5000, Memo::Tb(7));
    table.memoize(Memo::Frame(9));
    assert!(matches!(table.get(5000), Memo::Tb(7)));
    assert!(matches!(table.get(1001), Memo::Frame(9)));
    // Overwriting an existing index keeps the size; the cache (which held entry 3) is not
    // consulted once an entry was put out of order.
    table.put(3, Memo::Tb(1));
    table.memoize(Memo::Frame(10));
    assert!(matches!(table.get(3), Memo::Tb(1)));
    assert!(matches!(table.get_hot(3), Memo::Tb(1)));
    assert!(matches!(table.get_hot(1001), Memo::Frame(9)));
    assert!(matches!(table.get_hot(1000), Memo::Unset));
    assert!(matches!(table.get(1002), Memo::Frame(10)));
}

/// A frame tuple the fast path declines (a negative line) is read by the generic path, which
/// reports it at its TUPLE2 as before.
#[test]
fn frame_with_negative_line_is_an_error_at_its_tuple() {
    // PROTO 4, "a" MEMOIZE, BINGET 0, BININT -1, TUPLE2, STOP
    let data = b"\x80\x04\x8c\x01a\x94h\x00J\xff\xff\xff\xff\x86.";
    let e = read(data).expect_err("an error");
    assert_eq!(e.offset, 13);
    let text = e.in_file(std::path::Path::new("x"), data).expected;
    assert!(text.starts_with("a line number from 0 to 2^32-1"), "{text}");
}
