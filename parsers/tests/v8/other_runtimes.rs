//! V8-format snapshots written by runtimes other than V8.
//!
//! SYNTHETIC, hand-made: no small real Julia/Bun/Deno/Hermes snapshot was found in a public
//! repository to commit. The layout is the one Julia's serializer writes (JuliaLang/julia
//! `src/gc-heap-snapshot.cpp`, 1.9/1.10, `serialize_heap_snapshot`, read for this test): 7
//! `node_fields` with `detachedness` always 0, node types of Julia's own (`synthetic`, `object`,
//! `String`, `jl_sym_t`, … — names V8 never writes), edge types in the order first used, the
//! edge meta's third entry `"from_node"` (V8: `"node"`), no `location_fields`, no
//! `trace_function_count`, one record per line. Julia 1.11 writes parts and reassembles them
//! (`stdlib/Profile/src/heapsnapshot_reassemble.jl`), counting `node_count` and `edge_count` in
//! the writer and the nodes' `edge_count`s again from the edges; snapshots whose declared counts
//! disagree with their arrays are what issue 13 reports (JuliaLang/julia#54414 is such a 1.11
//! snapshot DevTools would not open). The quirk reproduced here: `snapshot.edge_count` and
//! `node_count` that disagree with the arrays, and nodes' edge counts that do not add up to
//! the edges array. Each is read as DevTools reads it (the arrays are trusted) and warned about
//! with both numbers.

use heapscope_graph::{NodeIdx, WEAK_BIT};
use heapscope_parsers::v8::Compat;

use super::synth::{assert_warned, parse_text};

/// A Julia-layout snapshot: the uber root, `GC roots`, a module `Main`, a `String` and an
/// `Array{Any, 1}` holding both. `declared` = (node_count, edge_count) written in the header;
/// `root_edges` = the root's edge_count field (it has 1 edge in the array).
fn julia_like(declared: (u64, u64), root_edges: u64) -> String {
    format!(
        r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["synthetic","jl_module_t","String","Array{{Any, 1}}"],"string", "number", "number", "number", "number", "number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["internal","property","element"],"string_or_number","from_node"]}},
"node_count":{},"edge_count":{}}},
"nodes":[0,0,0,0,{root_edges},0,0
,0,1,1,0,1,0,0
,1,2,4660449792,120,1,0,0
,2,3,4660450112,13,0,0,0
,3,4,4660450368,48,2,0,0
],
"edges":[0,1,7
,0,5,14
,1,6,28
,2,0,21
,2,1,14
],
"strings":["","GC roots","Main","hello, julia","Array{{Any, 1}}","main_module","cache"]}}"#,
        declared.0, declared.1
    )
}

#[test]
fn consistent_julia_layout_parses_without_warnings() {
    let p = parse_text(&julia_like((5, 5), 1), Compat::DevTools).unwrap();
    let g = &p.graph;
    assert_eq!((g.node_count(), g.edge_count()), (5, 5));
    assert!(p.info.warnings.is_empty(), "{:?}", p.info.warnings);
    // Julia's node types are not V8's: named as DevTools' className() names them.
    assert_eq!(g.type_name(NodeIdx(2)), "(jl_module_t)");
    assert_eq!(g.type_name(NodeIdx(3)), "(String)");
    assert_eq!(g.type_name(NodeIdx(4)), "(Array{Any, 1})");
    // Main → cache → the array → the string.
    let e = g.edge_range(NodeIdx(2)).start;
    assert_eq!(g.targets[e] & !WEAK_BIT, 4);
}

#[test]
fn declared_counts_that_disagree_with_the_arrays_are_read_as_devtools_does() {
    let p = parse_text(&julia_like((6, 7), 1), Compat::DevTools).unwrap_or_else(|e| panic!("{e}"));
    let g = &p.graph;
    assert_eq!((g.node_count(), g.edge_count()), (5, 5));
    let w = &p.info.warnings;
    assert_warned(w, &["node_count says 6", "holds 5"]);
    assert_warned(w, &["edge_count says 7", "holds 5"]);
}

#[test]
fn node_edge_counts_that_do_not_add_up_are_read_as_devtools_does() {
    // The root claims 2 edges: its second is the array's first (`GC roots` has its edge
    // shifted to Main, …), and the last node has one fewer. DevTools reads it so.
    let p = parse_text(&julia_like((5, 5), 2), Compat::DevTools).unwrap_or_else(|e| panic!("{e}"));
    let g = &p.graph;
    assert_eq!(g.edge_count(), 5);
    assert_eq!(g.edge_range(NodeIdx(0)).len(), 2);
    assert_eq!(g.edge_range(NodeIdx(4)).len(), 1);
    assert_warned(&p.info.warnings, &["add up to 6", "holds 5"]);
    // The root claims no edges: its edge goes to the next node with edges, and the last node
    // gets the one past the sum.
    let p = parse_text(&julia_like((5, 5), 0), Compat::DevTools).unwrap_or_else(|e| panic!("{e}"));
    let g = &p.graph;
    assert_eq!(g.edge_count(), 5);
    assert_eq!(g.edge_range(NodeIdx(0)).len(), 0);
    assert_eq!(g.edge_range(NodeIdx(4)).len(), 3);
    assert_warned(
        &p.info.warnings,
        &["add up to 4", "the last node has 1 more"],
    );
}
