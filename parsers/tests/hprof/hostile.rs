//! Hostile and damaged input, built with the SYNTHETIC writer (synth.rs): what each does, and
//! that none hangs, recurses or reads past a record.
//! - an unknown top-level record tag with a length inside the file: skipped, with a warning
//!   (Eclipse MAT does the same); one whose length runs past the end stays an error;
//! - a superclass loop (A extends B extends A): refused, a `ParseError` at the offset of the
//!   CLASS DUMP where the loop is found (no layout can be computed for such classes);
//! - an INSTANCE DUMP with less data than its class's fields: a warning with their number and
//!   the first one's offset; fields past the data are not read (no edge from them).

use super::synth::{self, T_INT, T_OBJECT};
use super::{parse_bytes, ById};

/// Offset of the CLASS DUMP of `class_id` (8-byte ids) in `bytes`.
fn class_dump_at(bytes: &[u8], class_id: u64) -> usize {
    let mut pat = vec![0x20u8];
    pat.extend(class_id.to_be_bytes());
    pat.extend(0u32.to_be_bytes());
    bytes
        .windows(pat.len())
        .position(|w| w == pat.as_slice())
        .expect("class dump")
}

#[test]
fn hprof_unknown_top_level_tag_is_skipped_with_a_warning() {
    // between the LOAD CLASS records and the heap
    let mut h = synth::small_heap("1.0.2", 8);
    let at = h.out.len();
    h.record(0x55, &[1, 2, 3, 4, 5]);
    h.flush_heap(0x1C, None);
    h.record(0x77, &[]);
    h.end_dump();
    let p = parse_bytes(h.out).expect("unknown records are skipped");
    let w: Vec<_> = p
        .info
        .warnings
        .iter()
        .filter(|w| w.contains("unknown tag"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", p.info.warnings);
    assert!(
        w[0].contains("skipped 2 ")
            && w[0].contains("0x55")
            && w[0].contains(&format!("byte {at}")),
        "{}",
        w[0]
    );
    assert_eq!(
        p.graph.type_name(ById::new(&p.graph).get(0x1000).unwrap()),
        "com.acme.Holder"
    );
    // right after an unsegmented HEAP DUMP (0x0C), whose end is checked by what follows it
    let mut h = synth::small_heap("1.0.1", 4);
    h.flush_heap(0x0C, None);
    h.record(0x66, &[0; 12]);
    h.record(0x01, &[0, 0, 0, 9, b'x']);
    let p = parse_bytes(h.out).expect("unknown record after HEAP DUMP");
    assert!(p.info.warnings.iter().any(|w| w.contains("0x66")));
    // an unknown tag whose length runs past the end of the file is damage: an error there
    let mut h = synth::small_heap("1.0.2", 8);
    h.flush_heap(0x1C, None);
    let at = h.out.len();
    h.record_with_len(0x55, &[1, 2, 3], 1000);
    let e = parse_bytes(h.out).err().expect("damage");
    assert_eq!(e.offset, at as u64, "{e}");
}

#[test]
fn hprof_superclass_loop_is_refused_at_its_class_dump() {
    let mut h = synth::small_heap("1.0.2", 8);
    h.load_class(7, 0x700, "com/acme/A");
    h.load_class(8, 0x800, "com/acme/B");
    h.class_dump(0x700, 0x800, &[("x", T_INT)], &[]);
    h.class_dump(0x800, 0x700, &[("y", T_OBJECT)], &[]);
    h.instance(0x7000, 0x700, &[(T_INT, 1), (T_OBJECT, 0)]);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let at = class_dump_at(&h.out, 0x700);
    let e = parse_bytes(h.out)
        .err()
        .expect("a superclass loop is refused");
    assert_eq!(e.offset, at as u64, "{e}");
    assert!(e.expected.contains("superclass loop"), "{e}");
    // a class that is its own superclass too
    let mut h = synth::small_heap("1.0.2", 8);
    h.load_class(7, 0x700, "com/acme/A");
    h.class_dump(0x700, 0x700, &[], &[]);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let at = class_dump_at(&h.out, 0x700);
    let e = parse_bytes(h.out).err().expect("refused");
    assert_eq!(e.offset, at as u64, "{e}");
}

#[test]
fn hprof_short_instance_data_is_counted_and_not_read_past() {
    let mut h = synth::small_heap("1.0.2", 8);
    // com.acme.Holder has `items` (an id) and `count` (an int): 12 bytes of data
    h.instance(0x9000, 0x200, &[(T_OBJECT, 0x2000)]); // 8 bytes: `count` missing
    h.instance(0x9100, 0x200, &[]); // nothing: `items` missing
                                    // what would be read as 0x9100's `items` if the parser ran past its data
    h.byte_array(0x9200, &[0, 0, 0, 0, 0, 0, 0x20, 0]);
    h.root(0x05, 0x9000);
    h.root(0x05, 0x9100);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let bytes = h.out.clone();
    let mut pat = vec![0x21u8];
    pat.extend(0x9000u64.to_be_bytes());
    let first = bytes.windows(9).position(|w| w == pat.as_slice()).unwrap();
    let p = parse_bytes(bytes).expect("short instances are analyzed");
    let w: Vec<_> = p
        .info
        .warnings
        .iter()
        .filter(|w| w.contains("less data"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", p.info.warnings);
    assert!(
        w[0].starts_with("2 INSTANCE DUMPs") && w[0].contains(&format!("byte {first}")),
        "{}",
        w[0]
    );
    let g = &p.graph;
    let by_id = ById::new(g);
    let a = by_id.get(0x9000).unwrap();
    let targets: Vec<u64> = g.edges(a).map(|e| g.ids[e.target.ix()]).collect();
    assert_eq!(targets, [0x2000], "the field inside the data is read");
    assert_eq!(g.edges(by_id.get(0x9100).unwrap()).count(), 0);
    // sized by the class, as every instance of it
    assert_eq!(
        g.shallow[a.ix()],
        g.shallow[by_id.get(0x1000).unwrap().ix()]
    );
    // a dump without short instances says nothing
    let mut h = synth::small_heap("1.0.2", 8);
    h.flush_heap(0x1C, None);
    h.end_dump();
    let p = parse_bytes(h.out).unwrap();
    assert!(!p.info.warnings.iter().any(|w| w.contains("less data")));
}
