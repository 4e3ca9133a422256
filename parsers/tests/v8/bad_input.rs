//! Malformed input: every failure is a `ParseError` with the byte offset where the input went
//! wrong and what was expected there; no panic, no allocation sized by a count from the file.

use std::path::PathBuf;

use heapscope_parsers::v8::Compat;
use heapscope_parsers::{Input, ParseError};

use super::synth::{assert_warned, node, parse_text, Name, Snap};

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
}

fn warnings(text: &str) -> (heapscope_graph::HeapGraph, Vec<String>) {
    let p = parse_text(text, Compat::DevTools).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (p.graph, p.info.warnings)
}

/// Counts that disagree with the arrays: the arrays are read as DevTools reads them, and a
/// warning gives both numbers.
#[test]
fn counts_that_disagree_with_the_arrays_are_warned_about() {
    let text = small();
    let end = text.find("],\n\"trace_function_infos\"").unwrap();
    // One edge more than the nodes' edge counts: the last node's (DevTools ends the last
    // node's edges at the end of the array).
    let long = format!("{},\n2,1,7{}", &text[..end], &text[end..]);
    let (g, w) = warnings(&long);
    assert_eq!(g.edge_count(), 4);
    assert_eq!(g.edge_range(heapscope_graph::NodeIdx(2)).len(), 1);
    assert_eq!(
        g.targets[g.edge_range(heapscope_graph::NodeIdx(2)).start] & !heapscope_graph::WEAK_BIT,
        1
    );
    assert_warned(&w, &["add up to 3", "holds 4"]);
    assert_warned(&w, &["snapshot.edge_count says 3", "holds 4"]);
    // One edge fewer: the node whose edge is missing has fewer.
    let cut = text[..end].rfind(",\n").unwrap();
    let fewer = format!("{}{}", &text[..cut], &text[end..]);
    let (g, w) = warnings(&fewer);
    assert_eq!(g.edge_count(), 2);
    assert_warned(&w, &["add up to 3", "holds 2"]);
    // snapshot.node_count disagrees with the nodes array.
    let (g, w) = warnings(&text.replacen("\"node_count\":3", "\"node_count\":4", 1));
    assert_eq!(g.node_count(), 3);
    assert_warned(&w, &["node_count says 4", "holds 3"]);
    // The small snapshot itself has none of these.
    assert!(warnings(&text).1.is_empty());
}

#[test]
fn type_indices_beyond_the_meta_and_name_indices_out_of_range() {
    let text = small();
    // Node type 99: DevTools' type() is undefined, its class "(undefined)".
    let bad = text.replacen("\"nodes\":[9,", "\"nodes\":[99,", 1);
    let (g, w) = warnings(&bad);
    assert_eq!(g.type_name(heapscope_graph::NodeIdx(0)), "(undefined)");
    assert_warned(&w, &["1 nodes have a type index", "node_types"]);
    // Edge type 77: a strong edge named by its string.
    let bad = text.replacen("\"edges\":[1,", "\"edges\":[77,", 1);
    let (g, w) = warnings(&bad);
    assert_eq!(g.edge_count(), 3);
    assert_warned(&w, &["1 edges have a type index", "edge_types"]);
    // An unlisted edge type's name is a string index, checked like any other.
    let bad = text.replacen("\"edges\":[1,1,", "\"edges\":[77,555,", 1);
    let e = err(&bad);
    assert_eq!(e.offset, offset_of(&bad, "555", 0));
    // a node name index past the strings
    let bad = text.replacen("\"nodes\":[9,0,", "\"nodes\":[9,555,", 1);
    let e = err(&bad);
    assert_eq!(e.offset, offset_of(&bad, "555", 0));
    assert!(e.expected.contains("strings"), "{}", e.expected);
}

/// `JSON.parse` throws on an invalid escape; so do we, at the backslash. A lone surrogate is a
/// valid escape (V8 writes them) and is read.
#[test]
fn invalid_string_escapes_are_refused_at_their_offset() {
    let text = small();
    for bad_escape in [r"\u12G4", r"\u12", r"\x41", r"\uZZZZ"] {
        let bad = text.replacen("\"f\"", &format!("\"f{bad_escape}\""), 1);
        let e = err(&bad);
        assert_eq!(
            e.offset,
            offset_of(&bad, "\"f\\", 0) + 2,
            "{bad_escape}: {e}"
        );
        assert!(e.expected.contains("escape"), "{bad_escape}: {e}");
    }
    for good in [r"\ud800", r"\uDFFF\u0041", r#"\n\t\/\b\f\r\\\""#, r"\u00e9"] {
        let ok = text.replacen("\"f\"", &format!("\"f{good}\""), 1);
        warnings(&ok);
    }
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

/// Separators the grammar does not allow, inside the `nodes` and the `edges` array (the
/// parallel reader's masks find them; the error comes from the exact reader): each reported at
/// the offset of the byte that breaks the array.
#[test]
fn broken_separators_are_reported_where_they_stand() {
    let text = small();
    for array in ["\"nodes\":[", "\"edges\":["] {
        let open = offset_of(&text, array, 0) as usize + array.len();
        // The first separator of the array: "<value>,".
        let comma = open + text[open..].find(',').unwrap();
        for (with, bad_at) in [
            (",,", 1),       // an empty value: at the second comma
            (" ", 1),        // two values without a comma: at the second value
            (";", 0),        // not JSON: at the byte
            ("\n,\r\n,", 4), // CRLF around an empty value: at the second comma
            (",x", 1),       // a letter where a value starts
        ] {
            let mut bad = text.clone();
            bad.replace_range(comma..comma + 1, with);
            let e = err(&bad);
            assert_eq!(e.offset, (comma + bad_at) as u64, "{array} {with:?}: {e}");
        }
        // A comma before the `]`: at the `]`.
        let close = open + text[open..].find(']').unwrap();
        let mut bad = text.clone();
        bad.insert(close, ',');
        let e = err(&bad);
        assert_eq!(e.offset, close as u64 + 1, "{array} trailing comma: {e}");
    }
}

#[test]
fn huge_declared_counts_do_not_allocate() {
    // 10^15 nodes declared in a file of a few hundred bytes: rejected without reserving for them.
    let bad = small().replacen("\"node_count\":3", "\"node_count\":1000000000000000", 1);
    let (g, w) = warnings(&bad);
    assert_eq!(g.node_count(), 3);
    assert_warned(&w, &["node_count says 1000000000000000"]);
    let bad = small().replacen("\"nodes\":[9,0,1,0,2,", "\"nodes\":[9,0,1,0,4000000000,", 1);
    // 4·10^9 edges claimed by the root, 3 in the array: read as the array says (the claim
    // sizes nothing), with a warning.
    let (g, w) = warnings(&bad);
    assert_eq!(g.edge_count(), 3);
    assert_warned(&w, &["add up to 4000000001"]);
    // Past 2^32 edges claimed in all: refused.
    let bad = small().replacen("\"nodes\":[9,0,1,0,2,", "\"nodes\":[9,0,1,0,3000000000,", 1);
    let bad = bad.replacen(",3,10,1,", ",3,10,3000000000,", 1);
    assert!(bad.contains(",3,10,3000000000,"), "{bad}");
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
