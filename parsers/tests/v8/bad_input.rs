//! Malformed input: every failure is a `ParseError` with the byte offset where the input went
//! wrong and what was expected there; no panic, no allocation sized by a count from the file.

use std::path::PathBuf;

use heapscope_parsers::v8::Compat;
use heapscope_parsers::{Input, ParseError};

use super::synth::{node, parse_text, Name, Snap};

fn small() -> String {
    Snap::new(vec![
        node("synthetic", "", 1, 0)
            .edge("element", Name::Index(1), 1)
            .edge("shortcut", Name::Str("global"), 2),
        node("object", "A", 3, 10).edge("property", Name::Str("x\"y"), 2),
        node("closure", "f", 5, 20),
    ])
    .json()
}

fn err(text: &str) -> ParseError {
    match parse_text(text, Compat::DevTools) {
        Ok(_) => panic!("parsed:\n{text}"),
        Err(e) => e,
    }
}

/// Offset of the `nth` (0-based) occurrence of `needle`.
fn offset_of(text: &str, needle: &str, nth: usize) -> u64 {
    text.match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth}"))
        .0 as u64
}

#[test]
fn the_small_snapshot_parses() {
    let g = parse_text(&small(), Compat::DevTools).unwrap().graph;
    assert_eq!((g.node_count(), g.edge_count()), (3, 3));
}

#[test]
fn truncated_anywhere_is_an_error_at_or_before_the_end() {
    let text = small();
    for cut in 0..text.len() {
        let e = err(&text[..cut]);
        assert!(
            e.offset <= cut as u64,
            "cut at {cut}: offset {} ({})",
            e.offset,
            e.expected
        );
    }
}

#[test]
fn truncated_real_snapshot_is_an_error() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/node/snapshots/healthy.heapsnapshot");
    let bytes = std::fs::read(&p).unwrap();
    let find = |s: &[u8]| bytes.windows(s.len()).position(|w| w == s).unwrap();
    let marks = [
        find(b"\"nodes\""),
        find(b"\"edges\""),
        find(b"\"locations\""),
        find(b"\"strings\""),
    ];
    let mut cuts: Vec<usize> = (1..20).map(|k| bytes.len() * k / 20).collect();
    for m in marks {
        cuts.extend([m, m + 9, m + 20]);
    }
    cuts.push(bytes.len() - 1);
    for cut in cuts {
        let input = Input::from_bytes(&p, bytes[..cut].to_vec());
        match heapscope_parsers::v8::parse(&input, &Default::default()) {
            Ok(_) => panic!("cut at {cut} parsed"),
            Err(e) => assert!(e.offset <= cut as u64, "cut at {cut}: {e}"),
        }
    }
}

#[test]
fn meta_without_a_required_field() {
    let text = small().replacen("\"edge_count\",", "", 1);
    let e = err(&text);
    assert_eq!(e.offset, offset_of(&text, "{\"meta\"", 0));
    assert!(e.expected.contains("edge_count"), "{}", e.expected);
}

#[test]
fn meta_with_node_types_not_a_list_of_lists() {
    let text = small().replacen("\"node_types\":[[", "\"node_types\":[7,[", 1);
    let e = err(&text);
    assert!(e.expected.contains("node_types"), "{}", e.expected);
}

#[test]
fn meta_missing_or_after_nodes() {
    let text = small();
    let no_meta = text.replacen("\"meta\"", "\"mota\"", 1);
    assert!(err(&no_meta).expected.contains("meta"));
    // nodes before snapshot
    let nodes_at = text.find("\n\"nodes\"").unwrap();
    let edges_at = text.find("\n\"edges\"").unwrap();
    let reordered = format!(
        "{{{},{}",
        &text[nodes_at + 1..edges_at - 1],
        &text[1..nodes_at - 1]
    ) + &text[edges_at - 1..];
    let e = err(&reordered);
    assert_eq!(e.offset, 1);
    assert!(e.expected.contains("before \"nodes\""), "{}", e.expected);
}

#[test]
fn edge_to_node_out_of_range() {
    // The last edge points at node 2 (to_node 14 with 7 fields); make it 21 (= node 3, absent).
    let text = small();
    let bad = text.replacen("2,3,14]", "2,3,21]", 1);
    assert_ne!(bad, text);
    let e = err(&bad);
    assert_eq!(e.offset, offset_of(&bad, "21]", 0));
    assert!(e.expected.contains("to_node"), "{}", e.expected);
}

#[test]
fn edge_to_node_not_a_multiple_of_the_node_fields() {
    let bad = small().replacen("2,3,14]", "2,3,15]", 1);
    let e = err(&bad);
    assert_eq!(e.offset, offset_of(&bad, "15]", 0));
    assert!(e.expected.contains("multiple of 7"), "{}", e.expected);
}

#[test]
fn nodes_not_a_multiple_of_the_node_fields() {
    let text = small();
    // Drop the last node's detachedness value.
    let end = text.find("],\n\"edges\"").unwrap();
    let bad = format!("{}{}", &text[..end - 2], &text[end..]);
    let e = err(&bad);
    assert!(e.expected.contains("multiple of 7"), "{}", e.expected);
    assert_eq!(e.offset, end as u64 - 2);
}

#[test]
fn edges_not_matching_the_edge_counts() {
    let text = small();
    let end = text.find("],\n\"trace_function_infos\"").unwrap();
    // One value missing: not a multiple of 3.
    let short = format!("{}{}", &text[..end - 3], &text[end..]);
    assert!(err(&short).expected.contains("multiple of 3"));
    // One edge too many.
    let long = format!("{},2,1,7{}", &text[..end], &text[end..]);
    let e = err(&long);
    assert!(
        e.expected.contains("no more than 3 edges"),
        "{}",
        e.expected
    );
    assert_eq!(e.offset, end as u64 + 1);
    // Declared node_count disagrees with the nodes array.
    let wrong = text.replacen("\"node_count\":3", "\"node_count\":4", 1);
    assert!(err(&wrong).expected.contains("node_count"));
}

#[test]
fn type_and_name_indices_out_of_range() {
    let text = small();
    // node type 99
    let bad = text.replacen("\"nodes\":[9,", "\"nodes\":[99,", 1);
    let e = err(&bad);
    assert_eq!(e.offset, offset_of(&bad, "99,", 0));
    assert!(e.expected.contains("node type"));
    // edge type 77
    let bad = text.replacen("\"edges\":[1,", "\"edges\":[77,", 1);
    assert!(err(&bad).expected.contains("edge type"));
    // a node name index past the strings
    let bad = text.replacen("\"nodes\":[9,0,", "\"nodes\":[9,555,", 1);
    let e = err(&bad);
    assert_eq!(e.offset, offset_of(&bad, "555", 0));
    assert!(e.expected.contains("strings"), "{}", e.expected);
}

#[test]
fn numbers_that_are_not_unsigned_integers() {
    let text = small();
    for repl in ["-1", "1.5", "99999999999999999999999", "\"x\"", "null"] {
        let bad = text.replacen("\"nodes\":[9,", &format!("\"nodes\":[{repl},"), 1);
        let e = err(&bad);
        let at = offset_of(&bad, "\"nodes\":[", 0) + 9;
        assert!(
            e.offset >= at && e.offset <= at + repl.len() as u64,
            "{repl}: {e}"
        );
    }
}

#[test]
fn huge_declared_counts_do_not_allocate() {
    // 10^15 nodes declared in a file of a few hundred bytes: rejected without reserving for them.
    let bad = small().replacen("\"node_count\":3", "\"node_count\":1000000000000000", 1);
    assert!(err(&bad).expected.contains("node_count"));
    let bad = small().replacen("\"nodes\":[9,0,1,0,2,", "\"nodes\":[9,0,1,0,4000000000,", 1);
    let e = err(&bad);
    assert!(e.expected.contains("edges"), "{}", e.expected);
}

#[test]
fn not_a_snapshot_at_all() {
    for text in [
        "",
        "   ",
        "[]",
        "{}",
        "{\"snapshot\":",
        "{\"a\":1}",
        "{\"snapshot\":{}}",
    ] {
        let e = err(text);
        assert!(e.offset <= text.len() as u64, "{text:?}: {e}");
    }
}

#[test]
fn unterminated_string_is_reported_at_the_end() {
    let text = small();
    let at = text.rfind("\"]}").unwrap();
    let bad = &text[..at];
    let e = err(bad);
    assert_eq!(e.offset, bad.len() as u64);
    assert!(e.expected.contains("truncated"));
}
