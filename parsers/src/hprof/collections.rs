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
            "ConcurrentLinkedQueue" => linked_items(g, n)?,
            "ConcurrentLinkedDeque" => deque_items(g, n)?,
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

/// The named reference fields a walk along a linked list's nodes reads, as the graph's edge
/// labels (a name no edge has: `None`), and the target of one of them.
struct Links<'g> {
    g: &'g HeapGraph,
}

impl<'g> Links<'g> {
    fn label(&self, name: &str) -> Option<Label> {
        self.g
            .labels
            .lookup(name)
            .map(|id| Label::Name(LabelId(id)))
    }

    /// Where `x`'s field labelled `l` points (`None`: null or not in the dump).
    fn field(&self, x: NodeIdx, l: Label) -> Option<NodeIdx> {
        self.g.edges(x).find(|e| e.label == l).map(|e| e.target)
    }
}

/// The items of a `ConcurrentLinkedDeque` as its `size()` counts them: from its first node — its
/// `head` may lag behind it, so back along `prev` until a node with none — along `next`, the
/// nodes whose `item` is set. Nodes taken from the deque point at themselves or at the class's
/// terminator nodes; met on the way (the dump caught the deque mid-change, or is corrupt) they
/// give no count, as does a walk longer than the graph.
fn deque_items(g: &HeapGraph, n: NodeIdx) -> Option<u64> {
    let links = Links { g };
    let (head, prev, item, next) = (
        links.label("head")?,
        links.label("prev")?,
        links.label("item")?,
        links.label("next")?,
    );
    let mut p = links.field(n, head)?;
    let mut steps = 0..g.node_count();
    while let Some(q) = links.field(p, prev) {
        steps.next()?;
        if q == p {
            return None;
        }
        p = q;
    }
    let mut count = 0u64;
    loop {
        steps.next()?;
        count += u64::from(links.field(p, item).is_some());
        match links.field(p, next) {
            None => return Some(count),
            Some(q) if q == p => return None,
            Some(q) => p = q,
        }
    }
}

/// The items of a `ConcurrentLinkedQueue` as its `size()` counts them: the nodes from its `head`
/// along `next` whose `item` is set (a removed item is a null in its node). A node linked to
/// itself is off the list and ends the walk, and so does a cycle in a corrupt dump: at most one
/// step per node of the graph (`None` then). Read from the graph's named reference edges (a
/// node's fields one at a time would cost a field list per node).
fn linked_items(g: &HeapGraph, n: NodeIdx) -> Option<u64> {
    let links = Links { g };
    let (head, item, next) = (
        links.label("head")?,
        links.label("item")?,
        links.label("next")?,
    );
    let mut p = links.field(n, head)?;
    let mut count = 0u64;
    for _ in 0..g.node_count() {
        count += u64::from(links.field(p, item).is_some());
        match links.field(p, next) {
            Some(q) if q != p => p = q,
            _ => return Some(count),
        }
    }
    None
}
