//! Small hand-made snapshots: retention rules, names, labels, meta-driven field order, and the
//! inspector. `Snap` writes the JSON the way V8 does (meta first, then nodes, edges, strings).

use heapscope_graph::{Analysis, HeapGraph, NodeIdx};
use heapscope_parsers::v8::{self, Compat};
use heapscope_parsers::{Input, ParseError, Parsed};

pub(super) enum Name {
    Str(&'static str),
    Index(u32),
}

pub(super) struct Node {
    pub ty: &'static str,
    pub name: &'static str,
    pub id: u64,
    pub size: u64,
    pub detached: u8,
    /// (edge type, name, target node ordinal)
    pub edges: Vec<(&'static str, Name, usize)>,
}

pub(super) fn node(ty: &'static str, name: &'static str, id: u64, size: u64) -> Node {
    Node {
        ty,
        name,
        id,
        size,
        detached: 0,
        edges: Vec::new(),
    }
}

impl Node {
    pub fn edge(mut self, ty: &'static str, name: Name, to: usize) -> Node {
        self.edges.push((ty, name, to));
        self
    }
    pub fn detached(mut self, d: u8) -> Node {
        self.detached = d;
        self
    }
}

pub(super) const NODE_TYPES: [&str; 14] = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
];
pub(super) const EDGE_TYPES: [&str; 7] = [
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];

pub(super) struct Snap {
    pub nodes: Vec<Node>,
    /// Node fields in the order to write them; must include type, name, id, self_size, edge_count.
    pub node_fields: Vec<&'static str>,
    /// (object ordinal, script id, line, column)
    pub locations: Vec<[u32; 4]>,
}

impl Snap {
    pub fn new(nodes: Vec<Node>) -> Snap {
        Snap {
            nodes,
            node_fields: vec![
                "type",
                "name",
                "id",
                "self_size",
                "edge_count",
                "trace_node_id",
                "detachedness",
            ],
            locations: Vec::new(),
        }
    }

    pub fn json(&self) -> String {
        let mut strings: Vec<String> = Vec::new();
        let mut intern = |s: &str| -> usize {
            if let Some(p) = strings.iter().position(|x| x == s) {
                return p;
            }
            strings.push(s.to_owned());
            strings.len() - 1
        };
        let nf = self.node_fields.len();
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        let mut edge_count = 0;
        for n in &self.nodes {
            let ty = NODE_TYPES
                .iter()
                .position(|t| *t == n.ty)
                .expect("node type");
            let name = intern(n.name);
            let rec: Vec<String> = self
                .node_fields
                .iter()
                .map(|f| match *f {
                    "type" => ty.to_string(),
                    "name" => name.to_string(),
                    "id" => n.id.to_string(),
                    "self_size" => n.size.to_string(),
                    "edge_count" => n.edges.len().to_string(),
                    "detachedness" => n.detached.to_string(),
                    _ => "0".to_owned(),
                })
                .collect();
            nodes.push(rec.join(","));
            for (ety, ename, to) in &n.edges {
                let t = EDGE_TYPES.iter().position(|t| t == ety).expect("edge type");
                let name = match ename {
                    Name::Str(s) => intern(s),
                    Name::Index(i) => *i as usize,
                };
                edges.push(format!("{t},{name},{}", to * nf));
                edge_count += 1;
            }
        }
        let fields: Vec<String> = self
            .node_fields
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect();
        let types: Vec<String> = NODE_TYPES.iter().map(|t| format!("\"{t}\"")).collect();
        let etypes: Vec<String> = EDGE_TYPES.iter().map(|t| format!("\"{t}\"")).collect();
        let locs: Vec<String> = self
            .locations
            .iter()
            .map(|l| format!("{},{},{},{}", l[0] as usize * nf, l[1], l[2], l[3]))
            .collect();
        let strs: Vec<String> = strings
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        format!(
            "{{\"snapshot\":{{\"meta\":{{\"node_fields\":[{}],\"node_types\":[[{}],\"string\",\"number\"],\
             \"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[{}],\"string_or_number\",\"node\"],\
             \"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]}},\
             \"node_count\":{},\"edge_count\":{},\"trace_function_count\":0}},\n\"nodes\":[{}],\n\"edges\":[{}],\n\
             \"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[{}],\n\"strings\":[{}]}}",
            fields.join(","),
            types.join(","),
            etypes.join(","),
            self.nodes.len(),
            edge_count,
            nodes.join(",\n"),
            edges.join(",\n"),
            locs.join(","),
            strs.join(",\n")
        )
    }
}

pub(super) fn parse_text(text: &str, compat: Compat) -> Result<Parsed, ParseError> {
    let input = Input::from_bytes("synthetic.heapsnapshot".as_ref(), text.as_bytes().to_vec());
    v8::parse_with(&input, &Default::default(), compat)
}

fn analyse(s: &Snap) -> (Analysis, Parsed) {
    let text = s.json();
    let parsed = parse_text(&text, Compat::DevTools).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let again = parse_text(&text, Compat::DevTools).unwrap();
    (Analysis::run(again.graph), parsed)
}

fn names(g: &HeapGraph) -> Vec<&str> {
    (0..g.node_count())
        .map(|i| g.type_name(NodeIdx(i as u32)))
        .collect()
}

fn idom(a: &Analysis, i: u32) -> Option<u32> {
    a.idom(NodeIdx(i)).map(|d| d.0)
}

#[test]
fn weak_edges_do_not_retain() {
    // root → A; A → X (property), A ⇢ W (weak); W is held only weakly.
    let s = Snap::new(vec![
        node("synthetic", "", 1, 0).edge("element", Name::Index(1), 1),
        node("object", "A", 3, 10)
            .edge("property", Name::Str("x"), 2)
            .edge("weak", Name::Str("w"), 3),
        node("object", "X", 5, 100),
        node("object", "W", 7, 50),
    ]);
    let (a, _) = analyse(&s);
    assert_eq!(a.retained[1], 110, "A retains X but not W");
    assert_eq!(idom(&a, 2), Some(1));
    assert_eq!(idom(&a, 3), None, "W hangs below the super-root");
    assert_eq!(a.retained[3], 50);
    assert_eq!(
        a.retained[0], 110,
        "the synthetic root retains what it reaches"
    );
    assert!(a
        .graph
        .edges(NodeIdx(1))
        .any(|e| e.weak && e.target == NodeIdx(3)));
}

#[test]
fn shortcut_edges_retain_only_from_the_root() {
    // root ⇒ G (shortcut, retains); G ⇒ S (shortcut, does not); G → P.
    let s = Snap::new(vec![
        node("synthetic", "", 1, 0).edge("shortcut", Name::Str("global"), 1),
        node("object", "global", 3, 20)
            .edge("shortcut", Name::Str("s"), 2)
            .edge("property", Name::Str("p"), 3),
        node("object", "S", 5, 30),
        node("object", "P", 7, 40),
    ]);
    let (a, _) = analyse(&s);
    assert_eq!(idom(&a, 1), Some(0), "the root's shortcut retains");
    assert_eq!(a.retained[1], 60, "global retains P only");
    assert_eq!(idom(&a, 2), None, "S is held only by a non-root shortcut");
}

#[test]
fn edges_from_unowned_into_page_owned_nodes_do_not_retain() {
    // root → A → X; O is unreachable garbage that also points at X. Without the rule, X would
    // hang below the super-root (two paths); with it, A dominates X.
    let s = Snap::new(vec![
        node("synthetic", "", 1, 0).edge("element", Name::Index(1), 1),
        node("object", "A", 3, 10).edge("property", Name::Str("x"), 2),
        node("object", "X", 5, 100),
        node("object", "O", 7, 5).edge("property", Name::Str("x"), 2),
    ]);
    let (a, _) = analyse(&s);
    assert_eq!(idom(&a, 2), Some(1));
    assert_eq!(a.retained[1], 110);
    assert_eq!(
        idom(&a, 3),
        None,
        "O itself is attached below the super-root"
    );
    assert_eq!(a.retained[3], 5);
    assert!(
        a.graph.edges(NodeIdx(3)).all(|e| e.weak),
        "O → X is marked non-retaining"
    );
}

#[test]
fn names_as_devtools_shows_them() {
    let mut s = Snap::new(vec![
        node("synthetic", "", 1, 0)
            .edge("element", Name::Index(1), 1)
            .edge("element", Name::Index(2), 2)
            .edge("element", Name::Index(3), 3)
            .edge("element", Name::Index(4), 4)
            .edge("element", Name::Index(5), 5)
            .edge("element", Name::Index(6), 6)
            .edge("element", Name::Index(7), 7)
            .edge("element", Name::Index(8), 8)
            .edge("element", Name::Index(9), 9),
        node("object", "Caf\u{e9} \"quoted\"", 3, 1),
        node("hidden", "system / Map", 5, 1),
        node("closure", "onData", 7, 1),
        node("array", "", 9, 1),
        node("string", "hello", 11, 1),
        node("concatenated string", "ab", 13, 1),
        node("code", "foo", 15, 1),
        node("object", "system / Context", 17, 1),
        node("symbol", "", 19, 1),
    ]);
    s.locations = vec![[3, 42, 9, 4]];
    let (a, parsed) = analyse(&s);
    let g = &a.graph;
    assert_eq!(
        names(g)[1..],
        [
            "Café \"quoted\"",
            "(system)",
            "(closure)",
            "(array)",
            "(string)",
            "(concatenated string)",
            "(compiled code)",
            "system / Context",
            "(symbol)"
        ]
    );
    let insp = &parsed.inspector;
    assert_eq!(
        insp.value_preview(g, NodeIdx(3)).as_deref(),
        Some("onData()")
    );
    assert_eq!(
        insp.source_line(g, NodeIdx(3)).as_deref(),
        Some("script 42, line 10, column 5")
    );
    assert_eq!(insp.source_line(g, NodeIdx(4)), None);
    assert_eq!(
        insp.value_preview(g, NodeIdx(5)).as_deref(),
        Some("\"hello\"")
    );
    assert_eq!(
        &g.ids[..],
        [1, 3, 5, 7, 9, 11, 13, 15, 17, 19],
        "V8's node ids"
    );
}

#[test]
fn edge_labels_are_names_and_indices() {
    let s = Snap::new(vec![
        node("synthetic", "", 1, 0).edge("element", Name::Index(1), 1),
        node("object", "A", 3, 1)
            .edge("property", Name::Str("foo"), 2)
            .edge("element", Name::Index(7), 2)
            .edge("context", Name::Str("captured"), 2)
            .edge("hidden", Name::Index(3), 2)
            .edge("internal", Name::Str("elements"), 2),
        node("array", "", 5, 1),
    ]);
    let (a, _) = analyse(&s);
    let g = &a.graph;
    let labels: Vec<String> = g
        .edges(NodeIdx(1))
        .map(|e| g.label_text(e.label).unwrap_or_default())
        .collect();
    assert_eq!(labels, ["foo", "[7]", "captured", "[3]", "elements"]);
}

#[test]
fn detachedness_propagates_to_native_children_as_devtools() {
    // D is a detached native; it references native N1 (internal), native N2 (weak), object J
    // (property) which references native N3. DevTools: N1 becomes detached; N2 (weak edge) and
    // N3 (behind JavaScript) do not. memlab's propagation skips internal edges but follows weak
    // ones: N1 stays plain and N2 becomes detached.
    let s = Snap::new(vec![
        node("synthetic", "", 1, 0).edge("element", Name::Index(1), 1),
        node("native", "HTMLDivElement", 3, 8)
            .detached(2)
            .edge("internal", Name::Str("a"), 2)
            .edge("weak", Name::Str("b"), 3)
            .edge("property", Name::Str("c"), 4),
        node("native", "Text", 5, 8),
        node("native", "Comment", 7, 8),
        node("object", "Obj", 9, 8).edge("property", Name::Str("d"), 5),
        node("native", "Attr", 11, 8),
    ]);
    let text = s.json();
    let devtools = parse_text(&text, Compat::DevTools).unwrap().graph;
    assert_eq!(
        names(&devtools)[1..],
        [
            "Detached HTMLDivElement",
            "Detached Text",
            "Comment",
            "Obj",
            "Attr"
        ]
    );
    let memlab = parse_text(&text, Compat::Memlab).unwrap().graph;
    assert_eq!(
        names(&memlab)[1..],
        [
            "Detached HTMLDivElement",
            "Text",
            "Detached Comment",
            "Obj",
            "Attr"
        ]
    );
}

/// Node.js marks its own embedder objects (`Node / BindingData`) detached: DevTools names them
/// `Detached Node / …` and so do we, but the warning counts only DOM nodes.
#[test]
fn the_detached_dom_warning_counts_dom_nodes_only() {
    let snap = |native: &'static str| {
        Snap::new(vec![
            node("synthetic", "", 1, 0)
                .edge("element", Name::Index(1), 1)
                .edge("element", Name::Index(2), 2),
            node("native", native, 3, 8).detached(2),
            node("native", native, 5, 8).detached(2),
        ])
    };
    let node = parse_text(&snap("Node / BindingData").json(), Compat::DevTools).unwrap();
    assert_eq!(names(&node.graph)[1..], ["Detached Node / BindingData"; 2]);
    assert!(
        !node.graph.warnings.iter().any(|w| w.contains("detached")),
        "{:?}",
        node.graph.warnings
    );
    let dom = parse_text(&snap("HTMLDivElement").json(), Compat::DevTools).unwrap();
    assert_warned(&dom.graph.warnings, &["2 detached native (DOM) nodes"]);
}

#[test]
fn fields_are_driven_by_the_meta() {
    // Six node fields (no detachedness, as older V8 writes) in a permuted order.
    let nodes = || {
        vec![
            node("synthetic", "", 1, 0).edge("element", Name::Index(1), 1),
            node("object", "A", 3, 10).edge("property", Name::Str("x"), 2),
            node("object", "B", 5, 20),
        ]
    };
    let mut six = Snap::new(nodes());
    six.node_fields = vec![
        "id",
        "edge_count",
        "name",
        "trace_node_id",
        "self_size",
        "type",
    ];
    let mut seven = Snap::new(nodes());
    seven.node_fields = vec![
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
        "detachedness",
    ];
    let (a6, p6) = analyse(&six);
    let (a7, _) = analyse(&seven);
    assert_eq!(names(&a6.graph), names(&a7.graph));
    assert_eq!(a6.graph.ids, a7.graph.ids);
    assert_eq!(a6.retained, a7.retained);
    assert_eq!(a6.retained[1], 30);
    assert_eq!(
        crate::details(&p6.info)["detachedness"],
        serde_json::json!(false)
    );
}

/// Assert that one of `warnings` contains every one of `parts`.
pub(super) fn assert_warned(warnings: &[String], parts: &[&str]) {
    assert!(
        warnings.iter().any(|w| parts.iter().all(|p| w.contains(p))),
        "no warning with {parts:?} in {warnings:?}"
    );
}
