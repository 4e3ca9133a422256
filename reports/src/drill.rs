//! Drill-down answers, as Eclipse MAT's and DevTools' views allow: the typed models of
//! `heapscope path | retainers | instances` and the code that builds them from a [`Ctx`].
//!
//! - [`paths`]: shortest paths from GC roots to one object (the shortest one, then the shortest
//!   through each other object that references it);
//! - [`retainers`]: the objects that reference it, and its dominator chain;
//! - [`instances`]: the largest instances of a type by retained size;
//! - [`children`]: one page of a node's dominator children, largest retained first (the
//!   dominator tree a UI expands node by node);
//! - [`object`]: everything an object page shows at once: sizes, value, fields, outgoing
//!   references, referrers, dominator chain, paths from GC roots, dominator children.
//!
//! Every list in an answer is capped by the caller and says how many it left out, so an answer
//! stays small on any dump (`heapscope serve` and `heapscope mcp` hand them out as JSON).
//!
//! IDs are the dump's own, as reports print them: `0x…` hex (HPROF, call-tree nodes) or decimal
//! (V8). [`crate::view::drill`] turns each answer into a [`crate::doc::Document`]; [`render`]
//! draws it as text, or serialises the answer as JSON.

use std::fmt;

use heapscope_graph::paths::edge_between;
use heapscope_graph::{Analysis, NodeIdx, PathStep};
use serde::Serialize;

use crate::build::Ctx;
use crate::doc::Document;
use crate::model::{NodeOut, PathElem};
use crate::render::OutputFormat;

/// Why a drill-down has no answer: the question names nothing in the dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrillError {
    /// The id is neither `0x…` hex nor decimal.
    NotAnId(String),
    /// No object has that id.
    NoObject(String),
    /// No type has that name; `near` are types whose names contain it (at most 10, sorted).
    NoType { name: String, near: Vec<String> },
}

impl fmt::Display for DrillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrillError::NotAnId(id) => {
                write!(f, "{id:?} is not an object id (use 0x… hex or decimal)")
            }
            DrillError::NoObject(id) => write!(f, "no object with id {id} in the dump"),
            DrillError::NoType { name, near } => {
                write!(f, "no type named {name:?} in the dump")?;
                if !near.is_empty() {
                    write!(f, "; types containing it: {}", near.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for DrillError {}

/// `heapscope path`: the object and its paths from GC roots, the shortest first.
#[derive(Clone, Debug, Serialize)]
pub struct PathsAnswer {
    pub object: NodeOut,
    /// Empty when the object is unreachable.
    pub paths: Vec<Vec<PathElem>>,
}

/// One object that references the object asked about.
#[derive(Clone, Debug, Serialize)]
pub struct Referrer {
    /// The reference's name (field, element, edge), when the dump has one.
    pub via: Option<String>,
    pub weak: bool,
    pub object: NodeOut,
}

/// `heapscope retainers`: the objects that reference one object, and its dominator chain.
#[derive(Clone, Debug, Serialize)]
pub struct RetainersAnswer {
    pub object: NodeOut,
    /// How many distinct objects reference it (more than `referrers` lists when capped).
    pub referrers_total: usize,
    /// The largest referrers by retained size.
    pub referrers: Vec<Referrer>,
    /// What keeps it alive, nearest first.
    pub dominators: Vec<NodeOut>,
}

/// `heapscope instances`: a type's count and shallow size, and its largest instances.
#[derive(Clone, Debug, Serialize)]
pub struct InstancesAnswer {
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: usize,
    pub shallow_bytes: u64,
    /// The largest by retained size.
    pub instances: Vec<NodeOut>,
}

/// One dominator child: the object, and how many children it has in turn (0: a leaf).
#[derive(Clone, Debug, Serialize)]
pub struct Child {
    pub object: NodeOut,
    pub children: usize,
}

/// One page of a node's dominator children (what it alone keeps alive, each child with its
/// whole dominator subtree), largest retained first, then by index.
#[derive(Clone, Debug, Serialize)]
pub struct ChildrenAnswer {
    /// The node asked about; `None`: the virtual super-root above the GC roots (the tree's top
    /// level).
    pub parent: Option<NodeOut>,
    /// Children in all.
    pub total: usize,
    /// Children skipped before this page.
    pub offset: usize,
    pub children: Vec<Child>,
    /// Children after this page (`total - offset - children.len()`).
    pub left_out: usize,
}

/// One field of an object as the dump records it (a Java instance field, a V8 property).
#[derive(Clone, Debug, Serialize)]
pub struct FieldOut {
    pub name: String,
    /// The declared type (`int`, `java.lang.String`), when the dump says.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// A primitive's value as text (`42`, `true`, `3.5`), or the id of a referenced object
    /// that is not among the object's references; neither this nor `object`: `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The object a reference field points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<NodeOut>,
}

/// One reference the object holds (an edge out of it in the graph).
#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    /// The reference's name (field, element, edge), when the dump has one.
    pub via: Option<String>,
    pub weak: bool,
    pub object: NodeOut,
}

/// How much an [`ObjectAnswer`] lists at most of each part.
#[derive(Clone, Copy, Debug)]
pub struct ObjectLimits {
    pub fields: usize,
    pub references: usize,
    pub referrers: usize,
    pub dominators: usize,
    pub paths: usize,
    pub children: usize,
}

impl Default for ObjectLimits {
    fn default() -> Self {
        ObjectLimits {
            fields: 200,
            references: 100,
            referrers: 50,
            dominators: 100,
            paths: 5,
            children: 50,
        }
    }
}

/// Everything about one object at once (an object page): its sizes and value, its fields, the
/// references it holds, its referrers, what dominates it, its paths from GC roots and its
/// dominator children. Each list is capped ([`ObjectLimits`]) and says how many there are.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectAnswer {
    pub object: NodeOut,
    /// What the node is, as the query tables name it ([`kind_name`]): `object`,
    /// `object_array`, `primitive_array`, `class`, `string`, `closure`, `code`, `hidden`,
    /// `native`, `synthetic`, `frame` (a call-tree node), `other`.
    pub kind: &'static str,
    /// Reachable from a GC root (else garbage the next collection frees).
    pub reachable: bool,
    /// The GC roots that are this object itself: `kind` or `kind · via`.
    pub gc_roots: Vec<String>,
    /// The fields the dump records, in the dump's order; `None` when it records none for this
    /// object (or its format keeps no field values): the references still show what it points
    /// to.
    pub fields: Option<Vec<FieldOut>>,
    /// The fields the object has in all: an array's full length even past the elements the
    /// inspector lists ([`heapscope_graph::MAX_ARRAY_FIELDS`]).
    pub fields_total: usize,
    /// The references it holds, in the dump's order.
    pub references: Vec<Reference>,
    pub references_total: usize,
    /// Its largest referrers by retained size (as [`RetainersAnswer`]).
    pub referrers: Vec<Referrer>,
    pub referrers_total: usize,
    /// What keeps it alive, nearest first (the nearest `ObjectLimits::dominators`).
    pub dominators: Vec<NodeOut>,
    /// The whole chain's length (as deep as the object is in the dominator tree).
    pub dominators_total: usize,
    /// Paths from GC roots, the shortest first (as [`PathsAnswer`]); empty when unreachable.
    pub paths: Vec<Vec<PathElem>>,
    /// Its first dominator children, largest retained first.
    pub children: ChildrenAnswer,
}

/// The name of a node kind, as the query tables' `kind` column spells it.
pub use crate::query::kind_name;

/// Parse `0x…` as hex, anything else as decimal (an `@` prefix, as DevTools shows ids, is allowed).
pub fn parse_id(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches('@');
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// The object with the dump's id `id`.
pub fn find(a: &Analysis, id: &str) -> Result<NodeIdx, DrillError> {
    let v = parse_id(id).ok_or_else(|| DrillError::NotAnId(id.to_string()))?;
    a.graph
        .find_id(v)
        .ok_or_else(|| DrillError::NoObject(id.to_string()))
}

/// Distinct objects that reference `n`: (referrer, label text, weak).
pub fn referrers(a: &Analysis, n: NodeIdx) -> Vec<(NodeIdx, Option<String>, bool)> {
    let g = &a.graph;
    a.referrers(n)
        .into_iter()
        .map(|(r, l, w)| (r, g.label_text(l), w))
        .collect()
}

/// How a drill-down finds an object by its id and the objects that reference it. [`Scan`]
/// reads the whole graph for each question (the one-shot commands); a long-lived server
/// (`heapscope serve`, `heapscope mcp`) passes indexes it built once, so an object page costs
/// what that one object has, not what the dump has.
pub trait Finder {
    /// The object with the dump's id `id` (as [`find`]).
    fn find(&self, a: &Analysis, id: &str) -> Result<NodeIdx, DrillError>;
    /// The distinct objects with an edge to `n`, in index order, each with the label of its
    /// first strong edge to `n`, else of its first weak one (as [`referrers`]).
    fn referrers(&self, a: &Analysis, n: NodeIdx) -> Vec<(NodeIdx, Option<String>, bool)>;
}

/// [`Finder`] by scanning: the ids for [`find`], every edge for [`referrers`].
pub struct Scan;

impl Finder for Scan {
    fn find(&self, a: &Analysis, id: &str) -> Result<NodeIdx, DrillError> {
        find(a, id)
    }
    fn referrers(&self, a: &Analysis, n: NodeIdx) -> Vec<(NodeIdx, Option<String>, bool)> {
        referrers(a, n)
    }
}

/// The shortest path, then the shortest through each other referrer, shortest first.
pub fn paths_to(a: &Analysis, n: NodeIdx, max: usize) -> Vec<Vec<PathStep>> {
    paths_to_with(a, &Scan, n, max)
}

/// [`paths_to`], the referrers found by `f`.
pub fn paths_to_with(a: &Analysis, f: &dyn Finder, n: NodeIdx, max: usize) -> Vec<Vec<PathStep>> {
    let refs: Vec<NodeIdx> = f.referrers(a, n).into_iter().map(|r| r.0).collect();
    paths_among(a, n, &refs, max)
}

/// The shortest path to `n`, then the shortest through each of its referrers `refs`.
fn paths_among(a: &Analysis, n: NodeIdx, refs: &[NodeIdx], max: usize) -> Vec<Vec<PathStep>> {
    let g = &a.graph;
    let mut out = Vec::new();
    let best = a.path_to(n);
    if best.is_empty() {
        return out;
    }
    let best_parent = best.len().checked_sub(2).map(|i| best[i].node);
    out.push(best);
    let mut alts: Vec<Vec<PathStep>> = Vec::new();
    for &r in refs {
        if Some(r) == best_parent || r == n {
            continue;
        }
        let mut p = a.path_to(r);
        if p.is_empty() || p.iter().any(|s| s.node == n) {
            continue;
        }
        let (label, weak) = edge_between(g, r, n);
        p.push(PathStep {
            node: n,
            via: g.label_text(label),
            weak,
            root_kind: None,
        });
        alts.push(p);
    }
    alts.sort_by(|x, y| {
        x.len()
            .cmp(&y.len())
            .then(x[x.len() - 2].node.cmp(&y[y.len() - 2].node))
    });
    out.extend(alts.into_iter().take(max.saturating_sub(1)));
    out
}

/// `heapscope path`: at most `max` paths (at least one) to the object with id `id`.
pub fn paths(c: &Ctx, id: &str, max: usize) -> Result<PathsAnswer, DrillError> {
    paths_with(c, &Scan, id, max)
}

/// [`paths`], the object and its referrers found by `f`.
pub fn paths_with(
    c: &Ctx,
    f: &dyn Finder,
    id: &str,
    max: usize,
) -> Result<PathsAnswer, DrillError> {
    let n = f.find(c.a, id)?;
    let paths = paths_to_with(c.a, f, n, max.max(1))
        .iter()
        .map(|p| c.path(p))
        .collect();
    Ok(PathsAnswer {
        object: c.node(n),
        paths,
    })
}

/// `heapscope retainers`: at most `max` referrers of the object with id `id`, largest retained
/// first (then by index), and its dominator chain.
pub fn retainers(c: &Ctx, id: &str, max: usize) -> Result<RetainersAnswer, DrillError> {
    let n = find(c.a, id)?;
    Ok(retainers_of(c, n, referrers(c.a, n), max, usize::MAX))
}

fn retainers_of(
    c: &Ctx,
    n: NodeIdx,
    mut refs: Vec<(NodeIdx, Option<String>, bool)>,
    max: usize,
    max_dominators: usize,
) -> RetainersAnswer {
    let a = c.a;
    refs.sort_by(|x, y| {
        a.retained[y.0.ix()]
            .cmp(&a.retained[x.0.ix()])
            .then(x.0.cmp(&y.0))
    });
    let total = refs.len();
    refs.truncate(max);
    RetainersAnswer {
        object: c.node(n),
        referrers_total: total,
        referrers: refs
            .into_iter()
            .map(|(r, via, weak)| Referrer {
                via,
                weak,
                object: c.node(r),
            })
            .collect(),
        dominators: a
            .dominator_chain(n)
            .take(max_dominators)
            .map(|d| c.node(d))
            .collect(),
    }
}

/// `heapscope instances`: the `top` largest instances of the type named `type_name` (exactly as
/// the histogram names it), largest retained first (then by index).
pub fn instances(c: &Ctx, type_name: &str, top: usize) -> Result<InstancesAnswer, DrillError> {
    let a = c.a;
    let g = &a.graph;
    let Some(t) = g.types.lookup(type_name) else {
        // Say what is close, so a typo is quick to fix.
        let needle = type_name.to_ascii_lowercase();
        let mut near: Vec<&str> = g
            .types
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.to_ascii_lowercase().contains(&needle))
            .collect();
        near.sort_unstable();
        near.truncate(10);
        return Err(DrillError::NoType {
            name: type_name.to_string(),
            near: near.into_iter().map(str::to_string).collect(),
        });
    };
    let mut inst: Vec<u32> = (0..g.node_count() as u32)
        .filter(|&v| g.type_of[v as usize] == t)
        .collect();
    let count = inst.len();
    let shallow: u64 = inst.iter().map(|&v| g.shallow[v as usize]).sum();
    inst.sort_by(|&x, &y| {
        a.retained[y as usize]
            .cmp(&a.retained[x as usize])
            .then(x.cmp(&y))
    });
    inst.truncate(top);
    Ok(InstancesAnswer {
        type_name: type_name.to_string(),
        count,
        shallow_bytes: shallow,
        instances: inst.iter().map(|&v| c.node(NodeIdx(v))).collect(),
    })
}

/// One page of the dominator children of the object with id `id` (`None`: of the virtual
/// super-root, i.e. the tree's top level): `limit` children from `offset` on, largest retained
/// first (then by index). Sorting costs 4 B per child of that one node.
pub fn children(
    c: &Ctx,
    id: Option<&str>,
    offset: usize,
    limit: usize,
) -> Result<ChildrenAnswer, DrillError> {
    children_with(c, &Scan, id, offset, limit, ChildOrder::default())
}

/// What a page of dominator children is sorted by (ties: by node index, ascending).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildKey {
    /// Retained size (the default: largest first).
    Retained,
    /// Shallow size.
    Shallow,
    /// How many dominator children each child has in turn.
    Children,
}

/// A [`ChildKey`] and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildOrder {
    pub key: ChildKey,
    pub descending: bool,
}

impl Default for ChildOrder {
    /// Largest retained first, as [`children`] answers.
    fn default() -> Self {
        ChildOrder {
            key: ChildKey::Retained,
            descending: true,
        }
    }
}

/// [`children`] sorted by `order`, the object found by `f`.
pub fn children_with(
    c: &Ctx,
    f: &dyn Finder,
    id: Option<&str>,
    offset: usize,
    limit: usize,
    order: ChildOrder,
) -> Result<ChildrenAnswer, DrillError> {
    let n = id.map(|id| f.find(c.a, id)).transpose()?;
    Ok(children_of(c, n, offset, limit, order))
}

fn children_of(
    c: &Ctx,
    n: Option<NodeIdx>,
    offset: usize,
    limit: usize,
    order: ChildOrder,
) -> ChildrenAnswer {
    let a = c.a;
    let g = &a.graph;
    let mut kids: Vec<u32> = a.dominated(n).to_vec();
    let total = kids.len();
    let offset = offset.min(total);
    let end = offset.saturating_add(limit).min(total);
    let key = |v: u32| -> u64 {
        let v = v as usize;
        match order.key {
            ChildKey::Retained => a.retained[v],
            ChildKey::Shallow => g.shallow[v],
            ChildKey::Children => a.dominated(Some(NodeIdx(v as u32))).len() as u64,
        }
    };
    let by_key = |x: &u32, y: &u32| {
        let (kx, ky) = (key(*x), key(*y));
        let by = if order.descending {
            ky.cmp(&kx)
        } else {
            kx.cmp(&ky)
        };
        by.then(x.cmp(y))
    };
    // Only the first `end` need to be in order.
    if end < total && end > 0 {
        kids.select_nth_unstable_by(end - 1, by_key);
        kids.truncate(end);
    }
    kids.sort_unstable_by(by_key);
    let page = &kids[offset..end];
    ChildrenAnswer {
        parent: n.map(|n| c.node(n)),
        total,
        offset,
        children: page
            .iter()
            .map(|&v| Child {
                object: c.node(NodeIdx(v)),
                children: a.dominated(Some(NodeIdx(v))).len(),
            })
            .collect(),
        left_out: total - end,
    }
}

/// Everything about the object with id `id` ([`ObjectAnswer`]), each list capped by `lim`.
/// `fields` are the dump's fields of the object when its format has a field reader.
pub fn object(c: &Ctx, id: &str, lim: &ObjectLimits) -> Result<ObjectAnswer, DrillError> {
    object_with(c, &Scan, id, lim)
}

/// [`object`], the object and its referrers found by `f` (one question to it for both the
/// referrers and the paths through them).
pub fn object_with(
    c: &Ctx,
    f: &dyn Finder,
    id: &str,
    lim: &ObjectLimits,
) -> Result<ObjectAnswer, DrillError> {
    let a = c.a;
    let g = &a.graph;
    let n = f.find(a, id)?;
    let gc_roots = g
        .roots
        .iter()
        .filter(|r| r.node == n)
        .map(|r| {
            let kind = g.root_kind_name(r);
            if r.via != 0 {
                format!("{kind} · {}", g.labels.get(r.via))
            } else {
                kind.to_string()
            }
        })
        .collect();
    let (fields, fields_total) = match object_fields(c, n) {
        Some(mut f) => {
            // An array longer than the inspector lists: its true length.
            let total = c.insp.fields_total(&c.a.graph, n).unwrap_or(0).max(f.len());
            f.truncate(lim.fields);
            (Some(f), total)
        }
        None => (None, 0),
    };
    let references_total = g.edge_range(n).len();
    let references = g
        .edges(n)
        .take(lim.references)
        .map(|e| Reference {
            via: g.label_text(e.label),
            weak: e.weak,
            object: c.node(e.target),
        })
        .collect();
    let refs = f.referrers(a, n);
    let ref_nodes: Vec<NodeIdx> = refs.iter().map(|r| r.0).collect();
    let ret = retainers_of(c, n, refs, lim.referrers, lim.dominators);
    let dominators_total = a.dominator_chain(n).count();
    let paths = if lim.paths == 0 {
        Vec::new()
    } else {
        paths_among(a, n, &ref_nodes, lim.paths)
            .iter()
            .map(|p| c.path(p))
            .collect()
    };
    Ok(ObjectAnswer {
        object: ret.object,
        kind: kind_name(g.kind(n)),
        reachable: a.dom.is_reachable(n.0),
        gc_roots,
        fields,
        fields_total,
        references,
        references_total,
        referrers: ret.referrers,
        referrers_total: ret.referrers_total,
        dominators: ret.dominators,
        dominators_total,
        paths,
        children: children_of(c, Some(n), 0, lim.children, ChildOrder::default()),
    })
}

/// The object's fields from the parser's inspector ([`heapscope_graph::Inspector::fields`]);
/// `None` when it records none. A reference field's target is looked up among the object's
/// own references (no scan of the dump); one that is not there keeps its id as the value.
fn object_fields(c: &Ctx, n: NodeIdx) -> Option<Vec<FieldOut>> {
    use heapscope_graph::FieldValue;
    let g = &c.a.graph;
    let fields = c.insp.fields(g, n);
    if fields.is_empty() {
        return None;
    }
    let mut targets: Vec<(u64, NodeIdx)> = g.edges(n).map(|e| (g.id(e.target), e.target)).collect();
    targets.sort_unstable();
    let target = |id: u64| {
        targets
            .binary_search_by_key(&id, |t| t.0)
            .ok()
            .map(|i| targets[i].1)
    };
    Some(
        fields
            .into_iter()
            .map(|f| {
                let (value, object) = match f.value {
                    FieldValue::Ref(None) => (None, None),
                    FieldValue::Ref(Some(id)) => match target(id) {
                        Some(t) => (None, Some(c.node(t))),
                        None => (Some(c.info.id_text(id)), None),
                    },
                    FieldValue::Int(v) => (Some(v.to_string()), None),
                    FieldValue::Float(v) => (Some(v.to_string()), None),
                    FieldValue::Bool(v) => (Some(v.to_string()), None),
                    FieldValue::Char(v) => (Some(format!("{v:?}")), None),
                    FieldValue::Text(v) => (Some(v), None),
                };
                FieldOut {
                    name: f.name,
                    type_name: None,
                    value,
                    object,
                }
            })
            .collect(),
    )
}

/// A drill-down answer: a typed model with its view.
pub trait Answer: Serialize {
    /// The answer as a document ([`crate::view::drill`]).
    fn document(&self) -> Document;
}

impl Answer for PathsAnswer {
    fn document(&self) -> Document {
        crate::view::drill::paths(self)
    }
}

impl Answer for RetainersAnswer {
    fn document(&self) -> Document {
        crate::view::drill::retainers(self)
    }
}

impl Answer for InstancesAnswer {
    fn document(&self) -> Document {
        crate::view::drill::instances(self)
    }
}

impl Answer for ChildrenAnswer {
    fn document(&self) -> Document {
        crate::view::drill::children(self)
    }
}

impl Answer for ObjectAnswer {
    fn document(&self) -> Document {
        crate::view::drill::object(self)
    }
}

/// The answer as JSON: its serialisation with every object's keys sorted (the drill-downs'
/// JSON has always been so), pretty, with a final newline.
pub fn json<A: Answer>(a: &A) -> String {
    match serde_json::to_value(a) {
        Ok(v) => crate::render::json::to_json(&v),
        Err(e) => format!("{{\"error\":\"{e}\"}}\n"),
    }
}

/// Render an answer: JSON, or its document drawn for a terminal (without colour) for any other
/// form (the drill-downs print text or JSON).
pub fn render<A: Answer>(a: &A, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => json(a),
        _ => crate::render::text::draw(&a.document(), false),
    }
}
