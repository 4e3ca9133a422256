//! How many elements a JDK collection holds, as its own `size()` counts them, read from its
//! fields in the dump ([`Inspector::collection_size`]), and whether a `LinkedHashMap` keeps
//! access order ([`Inspector::access_ordered`]). This is JDK knowledge — which field holds the
//! count in which class and version — so it lives with the HPROF reader; reports only say it.
//!
//! A map counts "entries" (`HashMap`, `LinkedHashMap`, `TreeMap`, `IdentityHashMap`: `size`;
//! `Hashtable`, `Properties`: `count`; `ConcurrentHashMap`: `baseCount` + its counter cells;
//! `ConcurrentSkipListMap`: its `LongAdder`, JDK 9+), a set, list or queue "elements"
//! (`HashSet`, `LinkedHashSet`, `TreeSet`, `ConcurrentSkipListSet`, `CopyOnWriteArraySet`: their
//! backing map's or list's; `ArrayList`, `LinkedList`, `PriorityQueue`, `PriorityBlockingQueue`:
//! `size`; `Vector`, `Stack`: `elementCount`; `ArrayBlockingQueue`, `LinkedBlockingDeque`:
//! `count`; `LinkedBlockingQueue`: its `AtomicInteger`; `ArrayDeque`: `tail - head` around its
//! array; `CopyOnWriteArrayList`: its array's length; `ConcurrentLinkedQueue`, which keeps no
//! count: its linked items; `ConcurrentLinkedDeque`, neither: its items from its first node).
//!
//! Every read is checked: a missing field, a value of the wrong kind, a reference to an object
//! that is not in the dump or a walk that does not end gives `None`, never a guess.

use heapscope_graph::{
    CollectionSize, CountUnit, Field, FieldValue, HeapGraph, Inspector, Label, LabelId, NodeIdx,
    NodeKind,
};

use super::inspect::HprofInspector;

impl HprofInspector {
    /// [`Inspector::collection_size`] for the JDK collection class `class`.
    pub(super) fn jdk_collection_size(
        &self,
        g: &HeapGraph,
        n: NodeIdx,
        class: &str,
    ) -> Option<CollectionSize> {
        // `java.util.HashMap`, `java.util.concurrent.ConcurrentHashMap`: the class's own name.
        let simple = class.strip_prefix("java.util.")?.rsplit('.').next()?;
        let fields = self.fields(g, n);
        let entries = |count| {
            Some(CollectionSize {
                count,
                unit: CountUnit::Entries,
            })
        };
        let count = match simple {
            "HashMap" | "LinkedHashMap" | "TreeMap" | "IdentityHashMap" => {
                return entries(int_field(&fields, "size")?)
            }
            "Hashtable" | "Properties" => return entries(int_field(&fields, "count")?),
            "ConcurrentHashMap" => {
                let cells = optional_object(g, n, &fields, "counterCells")?;
                return entries(self.striped_sum(g, &fields, "baseCount", cells)?);
            }
            "ConcurrentSkipListMap" => {
                // JDK 9+: a LongAdder, made at the first insertion (JDK 8 keeps no count).
                let adder = optional_object(g, n, &fields, "adder")??;
                let adder_fields = self.fields(g, adder);
                let cells = optional_object(g, adder, &adder_fields, "cells")?;
                return entries(self.striped_sum(g, &adder_fields, "base", cells)?);
            }
            "HashSet"
            | "LinkedHashSet"
            | "TreeSet"
            | "ConcurrentSkipListSet"
            | "CopyOnWriteArraySet" => {
                let field = match simple {
                    "TreeSet" | "ConcurrentSkipListSet" => "m",
                    "CopyOnWriteArraySet" => "al",
                    _ => "map",
                };
                let inner = optional_object(g, n, &fields, field)??;
                // The backing collection is a JDK map or list (never a set: no loop).
                let backing = g.type_name(inner);
                if !matches!(
                    backing,
                    "java.util.HashMap"
                        | "java.util.LinkedHashMap"
                        | "java.util.TreeMap"
                        | "java.util.concurrent.ConcurrentSkipListMap"
                        | "java.util.concurrent.CopyOnWriteArrayList"
                ) {
                    return None;
                }
                self.jdk_collection_size(g, inner, backing)?.count
            }
            "ArrayList" | "LinkedList" | "PriorityQueue" | "PriorityBlockingQueue" => {
                int_field(&fields, "size")?
            }
            "Vector" | "Stack" => int_field(&fields, "elementCount")?,
            "ArrayBlockingQueue" | "LinkedBlockingDeque" => int_field(&fields, "count")?,
            "LinkedBlockingQueue" => {
                let counter = optional_object(g, n, &fields, "count")??;
                int_field(&self.fields(g, counter), "value")?
            }
            "ArrayDeque" => {
                // JDK 8 and later: the elements run from `head` to just before `tail`, around
                // the array (empty when they are equal).
                let array = optional_object(g, n, &fields, "elements")??;
                let len = self.array_length(g, array)?;
                let (head, tail) = (int_field(&fields, "head")?, int_field(&fields, "tail")?);
                if len == 0 || head >= len || tail >= len {
                    return None;
                }
                (tail + len - head) % len
            }
            "CopyOnWriteArrayList" => {
                self.array_length(g, optional_object(g, n, &fields, "array")??)?
            }
            "ConcurrentLinkedQueue" => linked_items(g, n, &|x, f| self.is_null(g, x, f))?,
            "ConcurrentLinkedDeque" => deque_items(g, n, &|x, f| self.is_null(g, x, f))?,
            _ => return None,
        };
        Some(CollectionSize {
            count,
            unit: CountUnit::Elements,
        })
    }

    /// [`Inspector::access_ordered`]: a `LinkedHashMap`'s `accessOrder` field (a subclass
    /// cannot hide it: the superclass's field is read).
    pub(super) fn jdk_access_ordered(&self, g: &HeapGraph, n: NodeIdx) -> bool {
        matches!(
            last_field(&self.fields(g, n), "accessOrder"),
            Some(FieldValue::Bool(true))
        )
    }

    /// The length of an array object (its elements, as [`Inspector::fields`] lists them).
    fn array_length(&self, g: &HeapGraph, array: NodeIdx) -> Option<u64> {
        if g.kind(array) != NodeKind::ObjectArray {
            return None;
        }
        let listed = self.fields(g, array).len();
        let total = self.fields_total(g, array).unwrap_or(listed);
        u64::try_from(total).ok()
    }

    /// A striped counter's sum, as `ConcurrentHashMap.size()` and `LongAdder.sum()` add it: the
    /// field `base` of `fields` plus the `value` of each cell in the array `cells`.
    fn striped_sum(
        &self,
        g: &HeapGraph,
        fields: &[Field],
        base: &str,
        cells: Option<NodeIdx>,
    ) -> Option<u64> {
        let mut total = match last_field(fields, base)? {
            FieldValue::Int(x) => x as u64,
            _ => return None,
        };
        if let Some(cells) = cells {
            for cell in self.fields(g, cells) {
                let FieldValue::Ref(Some(id)) = cell.value else {
                    continue;
                };
                let c = referred(g, cells, id)?;
                total = total.wrapping_add(match last_field(&self.fields(g, c), "value") {
                    Some(FieldValue::Int(x)) => x as u64,
                    _ => return None,
                });
            }
        }
        // As ConcurrentHashMap.size() does: a sum caught mid-update may be negative.
        Some(if (total as i64) < 0 { 0 } else { total })
    }
}

/// The last value of the instance field `name` (the superclass's, where a subclass declares a
/// field of the same name: fields are listed own first): a JDK class's own field, as an
/// application subclass cannot hide it from the dump.
fn last_field(fields: &[Field], name: &str) -> Option<FieldValue> {
    fields
        .iter()
        .rev()
        .find(|f| f.name == name)
        .map(|f| f.value.clone())
}

/// A non-negative integer field's value.
fn int_field(fields: &[Field], name: &str) -> Option<u64> {
    match last_field(fields, name) {
        Some(FieldValue::Int(x)) => u64::try_from(x).ok(),
        _ => None,
    }
}

/// The object `n` refers to by the dump id `id` (one of its references).
fn referred(g: &HeapGraph, n: NodeIdx, id: u64) -> Option<NodeIdx> {
    g.edges(n).map(|e| e.target).find(|t| g.ids[t.ix()] == id)
}

/// The object a reference field of `from` points to, `Some(None)` when it is null, `None` when
/// the field or its object is missing.
fn optional_object(
    g: &HeapGraph,
    from: NodeIdx,
    fields: &[Field],
    field: &str,
) -> Option<Option<NodeIdx>> {
    match last_field(fields, field)? {
        FieldValue::Ref(Some(id)) => Some(Some(referred(g, from, id)?)),
        FieldValue::Ref(None) => Some(None),
        _ => None,
    }
}

/// Is the reference field `field` of `x` null in the dump (not merely without an edge, as a
/// reference to an object the dump does not hold is)?
type IsNull<'a> = dyn Fn(NodeIdx, &str) -> bool + 'a;

impl HprofInspector {
    fn is_null(&self, g: &HeapGraph, x: NodeIdx, field: &str) -> bool {
        matches!(
            last_field(&self.fields(g, x), field),
            Some(FieldValue::Ref(None))
        )
    }
}

/// A walk along a linked list's nodes by their named reference fields, read as the graph's
/// edge labels (a name no edge has: no walk). Every field read scans the node's edges, so the
/// walk has a budget of edges to scan — each edge and node of the graph eight times — that a
/// list of the graph's own nodes, walked once each way with three reads a node, stays under,
/// and a hostile dump's cycle through nodes with many edges runs out of (no count then,
/// rather than a walk of nodes × edges).
struct Links<'g> {
    g: &'g HeapGraph,
    budget: std::cell::Cell<usize>,
}

impl<'g> Links<'g> {
    fn new(g: &'g HeapGraph) -> Self {
        let budget = g
            .edge_count()
            .saturating_add(g.node_count())
            .saturating_mul(8);
        Links {
            g,
            budget: std::cell::Cell::new(budget),
        }
    }

    fn label(&self, name: &str) -> Option<Label> {
        self.g
            .labels
            .lookup(name)
            .map(|id| Label::Name(LabelId(id)))
    }

    /// Where `x`'s field labelled `l` points: `Some(None)` for no edge (null, or an object not
    /// in the dump), `None` when the budget is spent. The last edge of that label, as
    /// [`last_field`] reads the superclass's field of a name a subclass declares again.
    fn field(&self, x: NodeIdx, l: Label) -> Option<Option<NodeIdx>> {
        let left = self
            .budget
            .get()
            .checked_sub(1 + self.g.edge_range(x).len())?;
        self.budget.set(left);
        Some(
            self.g
                .edges(x)
                .filter(|e| e.label == l)
                .last()
                .map(|e| e.target),
        )
    }
}

/// The items of a `ConcurrentLinkedDeque` as its `size()` counts them: from its first node — its
/// `head` may lag behind it, so back along `prev` until a node whose `prev` is null — along
/// `next` to a node whose `next` is null, the nodes whose `item` is set. A node taken from the
/// middle points at itself: met on the way back, or ahead along `next`, it gives no count
/// (Java's `first()` and `succ()` would start over and, on a still heap, never end); so does
/// the class's `PREV_TERMINATOR` (its `next` is itself), and a `prev` or `next` to an object
/// that is not in the dump. `NEXT_TERMINATOR`, whose `next` is null, ends the walk as in Java.
fn deque_items(g: &HeapGraph, n: NodeIdx, is_null: &IsNull) -> Option<u64> {
    let links = Links::new(g);
    let (head, prev, item, next) = (
        links.label("head")?,
        links.label("prev")?,
        links.label("item")?,
        links.label("next")?,
    );
    let mut p = links.field(n, head)??;
    while let Some(q) = links.field(p, prev)? {
        if q == p {
            return None;
        }
        p = q;
    }
    if !is_null(p, "prev") {
        return None;
    }
    let mut count = 0u64;
    loop {
        count += u64::from(links.field(p, item)?.is_some());
        match links.field(p, next)? {
            None => return is_null(p, "next").then_some(count),
            Some(q) if q == p => return None,
            Some(q) => p = q,
        }
    }
}

/// The items of a `ConcurrentLinkedQueue` as its `size()` counts them: the nodes from its `head`
/// along `next` whose `item` is set (a removed item is a null in its node), to a node whose
/// `next` is null or itself (a node linked to itself is off the list: Java's `succ()` goes
/// back to `head` from it). A `next` to an object that is not in the dump gives no count.
fn linked_items(g: &HeapGraph, n: NodeIdx, is_null: &IsNull) -> Option<u64> {
    let links = Links::new(g);
    let (head, item, next) = (
        links.label("head")?,
        links.label("item")?,
        links.label("next")?,
    );
    let mut p = links.field(n, head)??;
    let mut count = 0u64;
    loop {
        count += u64::from(links.field(p, item)?.is_some());
        match links.field(p, next)? {
            Some(q) if q != p => p = q,
            Some(_) => return Some(count),
            None => return is_null(p, "next").then_some(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{deque_items, linked_items};
    use heapscope_graph::{GraphBuilder, HeapGraph, Label, NodeIdx, NodeKind, Policy};

    /// A linked structure of `nodes` objects (node 0 the collection, 1.. its nodes, the last
    /// `items` objects their items): `links` are (from, field, to) edges between them by field
    /// name; every object also has `extra` unlabelled edges to the collection (fan-out that a
    /// walk must scan).
    fn graph(
        nodes: u64,
        links: &[(u64, &str, u64)],
        items: &[(u64, u64)],
        extra: usize,
    ) -> HeapGraph {
        let id = |i: u64| 0x100 + i * 16;
        let item_id = |i: u64| 0x10_0000 + i * 16;
        let mut b = GraphBuilder::new();
        let t = b.intern_type("java.util.concurrent.ConcurrentLinkedDeque$Node");
        let item_t = b.intern_type("Item");
        let nodes: Vec<NodeIdx> = (0..nodes)
            .map(|i| b.add_node(id(i), t, NodeKind::Object, 24))
            .collect();
        for &(_, it) in items {
            b.add_node(item_id(it), item_t, NodeKind::Object, 16);
        }
        b.add_root_id(id(0), "other", None);
        b.finish_nodes();
        let item = b.intern_label("item");
        for (i, &n) in nodes.iter().enumerate() {
            b.begin_node(n);
            for &(_, field, to) in links.iter().filter(|l| l.0 == i as u64) {
                let l = b.intern_label(field);
                b.edge_to_id(id(to), false, Label::Name(l));
            }
            for &(_, it) in items.iter().filter(|x| x.0 == i as u64) {
                b.edge_to_id(item_id(it), false, Label::Name(item));
            }
            for _ in 0..extra {
                b.edge_to_id(id(0), false, Label::None);
            }
        }
        b.finish(Policy::MAT)
    }

    /// A chain 1 → 2 → … → k along `next` (and back along `prev`), node 0's `head` at `head`.
    fn chain(k: u64, head: u64) -> Vec<(u64, &'static str, u64)> {
        let mut l = vec![(0, "head", head)];
        for i in 1..k {
            l.push((i, "next", i + 1));
            l.push((i + 1, "prev", i));
        }
        l
    }

    /// What a naive count gives: the nodes 1..=k that hold an item.
    fn naive(k: u64, items: &[(u64, u64)]) -> u64 {
        (1..=k).filter(|i| items.iter().any(|x| x.0 == *i)).count() as u64
    }

    const ALL_NULL: &dyn Fn(NodeIdx, &str) -> bool = &|_, _| true;

    #[test]
    fn walks_count_items_from_the_first_node_and_refuse_what_java_would_not_finish() {
        let k = 40;
        let items: Vec<(u64, u64)> = (1..=k).filter(|i| i % 3 != 0).map(|i| (i, i)).collect();
        let want = naive(k, &items);
        // The deque from a head that lags behind its first node; the queue from its head.
        for head in [1, 7, k] {
            let g = graph(k + 1, &chain(k, head), &items, 0);
            let n = NodeIdx(0);
            assert_eq!(deque_items(&g, n, ALL_NULL), Some(want), "head {head}");
            let from_head = naive(k, &items) - naive(head - 1, &items);
            assert_eq!(
                linked_items(&g, n, ALL_NULL),
                Some(from_head),
                "head {head}"
            );
        }
        // A node taken from the middle links to itself: no count for the deque (ahead or on
        // the way back); the queue's walk ends there, as its succ() leaves such a node.
        let mut l = chain(k, 20);
        l.retain(|x| !(x.0 == 10 && x.1 == "prev"));
        l.push((10, "prev", 10));
        let g = graph(k + 1, &l, &items, 0);
        assert_eq!(deque_items(&g, NodeIdx(0), ALL_NULL), None);
        let mut l = chain(k, 1);
        l.retain(|x| !(x.0 == 30 && x.1 == "next"));
        l.push((30, "next", 30));
        let g = graph(k + 1, &l, &items, 0);
        assert_eq!(deque_items(&g, NodeIdx(0), ALL_NULL), None);
        assert_eq!(
            linked_items(&g, NodeIdx(0), ALL_NULL),
            Some(naive(30, &items))
        );
        // A cycle (a corrupt dump): no count, from both walks.
        let mut l = chain(k, 1);
        l.push((k, "next", 5));
        let g = graph(k + 1, &l, &items, 0);
        assert_eq!(deque_items(&g, NodeIdx(0), ALL_NULL), None);
        assert_eq!(linked_items(&g, NodeIdx(0), ALL_NULL), None);
        // The same cycle through nodes of many edges each ends by the budget, not by steps.
        let g = graph(k + 1, &l, &items, 500);
        assert_eq!(linked_items(&g, NodeIdx(0), ALL_NULL), None);
        // A `next` with no edge that is not null in the dump (an object the dump lacks): no
        // count; with it null, the walk ends there.
        let g = graph(k + 1, &chain(k, 1), &items, 0);
        let not_null: &dyn Fn(NodeIdx, &str) -> bool = &|_, _| false;
        assert_eq!(deque_items(&g, NodeIdx(0), not_null), None);
        assert_eq!(linked_items(&g, NodeIdx(0), not_null), None);
        // No `head` edge: no count.
        let g = graph(k + 1, &chain(k, 1)[1..], &items, 0);
        assert_eq!(deque_items(&g, NodeIdx(0), ALL_NULL), None);
    }
}
