//! Path-to-root signatures of linked structures: a chain of references between objects of one
//! type is one step (`T`), whichever link the shortest path took, so a churning collection keeps
//! its elements in one row (testdata/java/healthy_series: an LRU `LinkedHashMap`).

use std::collections::BTreeMap;

use crate::facts::Format;
use heapscope_graph::{NodeKind, Policy};
use heapscope_reports::overtime::{build_diff, groups::SIGNATURE_SEPARATOR, DiffOptions};

use super::heaps::*;

const ENTRY: &str = "java.util.LinkedHashMap$Entry";
const VALUE_BYTES: u64 = 512;
/// The JDK's table size for 500 entries: the smallest power of two they fill to at most 0.75.
const BUCKETS: u64 = 1024;

/// An access-ordered `LinkedHashMap` as the JDK lays it out: `table` buckets chained by `next`,
/// and every entry on a doubly linked list (`before` / `after`) from `head` to `tail`, in
/// `access_order`. Each entry holds a `byte[]` value. Ids start at `base_id`.
fn lru_heap(access_order: &[u64], base_id: u64) -> Analysed {
    let mut h = Heap::default();
    let mut id = base_id;
    let mut next = || {
        id += 16;
        id
    };
    let holder = h.node(next(), "class com.acme.Service", NodeKind::Class, 40);
    h.root(holder, "sticky class");
    let map = h.node(next(), "java.util.LinkedHashMap", NodeKind::Object, 56);
    let table = h.node(
        next(),
        "java.util.HashMap$Node[]",
        NodeKind::ObjectArray,
        16 + 4 * BUCKETS,
    );
    h.edge(holder, map, "CACHE");
    h.edge(map, table, "table");
    let entries: Vec<usize> = access_order
        .iter()
        .map(|_| {
            let e = h.node(next(), ENTRY, NodeKind::Object, 40);
            let v = h.node(next(), "byte[]", NodeKind::PrimitiveArray, VALUE_BYTES);
            h.edge(e, v, "value");
            e
        })
        .collect();
    // Buckets (a mixing hash of the key, so some collide): each chain in the order the
    // keys were inserted (here: by key).
    let bucket = |k: u64| {
        let x = (k ^ (k >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        (x ^ (x >> 33)) % BUCKETS
    };
    let mut by_key: Vec<(u64, usize)> = access_order
        .iter()
        .copied()
        .zip(entries.iter().copied())
        .collect();
    by_key.sort_unstable();
    let mut last_in_bucket: BTreeMap<u64, usize> = BTreeMap::new();
    for &(k, e) in &by_key {
        match last_in_bucket.insert(bucket(k), e) {
            None => h.edge(table, e, &format!("[{}]", bucket(k))),
            Some(prev) => h.edge(prev, e, "next"),
        }
    }
    // The access-order list.
    h.edge(map, entries[0], "head");
    h.edge(map, *entries.last().unwrap(), "tail");
    for w in entries.windows(2) {
        h.edge(w[0], w[1], "after");
        h.edge(w[1], w[0], "before");
    }
    Analysed::new(h.analyse(Policy::MAT), Format::Hprof, "lru.hprof", None)
}

/// The type names of a signature, in order (labels dropped): the parts that are types of the heap.
fn types_in(signature: &str, types: &[&str]) -> Vec<String> {
    signature
        .split(SIGNATURE_SEPARATOR)
        .filter(|p| types.contains(p))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_churning_linked_hash_map_keeps_its_entries_in_one_row() {
    const CAP: u64 = 500;
    // Dump 1: keys 0..500 accessed in order. Dump 2: half evicted, keys 250..750 in a scrambled
    // access order, so both the bucket chains and the list differ: the shortest path reaches
    // many entries through another link than before.
    let first: Vec<u64> = (0..CAP).collect();
    let second: Vec<u64> = (0..CAP).map(|i| 250 + (i * 7919) % CAP).collect();
    assert_eq!(
        second
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64,
        CAP
    );
    let (a, b) = (
        lru_heap(&first, 0x1000_0000),
        lru_heap(&second, 0x5000_0000),
    );
    let types = [
        "class com.acme.Service",
        "java.util.LinkedHashMap",
        "java.util.HashMap$Node[]",
        ENTRY,
        "byte[]",
    ];
    // The shortest paths do go through the links, and through different ones in each dump.
    let via = |d: &Analysed| {
        let g = &d.a.graph;
        let mut by_label: BTreeMap<String, u64> = BTreeMap::new();
        for v in 0..g.node_count() {
            let p = d.a.paths.parent(g, v as u32) as usize;
            if g.types.get(g.type_of[v]) == ENTRY
                && p < g.node_count()
                && g.type_of[p] == g.type_of[v]
            {
                let label = g
                    .edge_range(heapscope_graph::NodeIdx(p as u32))
                    .find(|&e| (g.targets[e] & !heapscope_graph::WEAK_BIT) as usize == v)
                    .and_then(|e| g.label_text(heapscope_graph::Label::decode(g.edge_labels[e])))
                    .unwrap_or_default();
                *by_label.entry(label.to_string()).or_default() += 1;
            }
        }
        by_label
    };
    let (via_a, via_b) = (via(&a), via(&b));
    assert!(
        via_a.len() >= 2 && via_a.values().sum::<u64>() >= CAP / 10,
        "{via_a:?}"
    );
    assert_ne!(via_a, via_b);
    for (what, d) in [("first", &a), ("second", &b)] {
        let s = d.summary();
        let entry_rows: Vec<(&str, u64)> = s
            .paths
            .iter()
            .filter(|(p, _)| p.ends_with(ENTRY))
            .map(|(p, st)| (p, st.count))
            .collect();
        // Every entry is in a row, and no signature steps from an entry to an entry.
        assert_eq!(
            entry_rows.iter().map(|(_, c)| c).sum::<u64>(),
            CAP,
            "{what}: {entry_rows:#?}"
        );
        for (p, _) in &s.paths {
            let t = types_in(p, &types);
            assert!(
                t.windows(2).all(|w| w[0] != w[1]),
                "{what}: same-type step in {p}"
            );
        }
        // The rows are the ways into the structure (the table, `head`, `tail`), not the links
        // inside it. `head` and `tail` are one reference nearer the map than the table's
        // entries, but the table's entries are searched first at every later depth, so the ends
        // of the list keep only the few entries next to them.
        assert!(entry_rows.len() <= 3, "{what}: {entry_rows:#?}");
        let table_row = entry_rows
            .iter()
            .find(|(p, _)| p.contains("table"))
            .unwrap();
        assert!(table_row.1 >= CAP - 6, "{what}: {entry_rows:#?}");
    }
    // The churn moved no bytes between rows beyond the few entries at the ends of the list.
    let d = build_diff(a.dump(), b.dump(), &DiffOptions::default());
    let moved: Vec<(String, i64)> = d
        .paths
        .iter()
        .filter(|r| r.change.count.abs() > 2)
        .map(|r| (r.path.clone().unwrap_or_default(), r.change.count))
        .collect();
    assert!(moved.is_empty(), "{moved:#?}");
}

#[test]
fn a_long_linked_list_is_one_row_and_its_values_another() {
    const LEN: u64 = 100_000;
    let mut h = Heap::default();
    let holder = h.node(1, "com.acme.Queue", NodeKind::Object, 24);
    h.root(holder, "thread");
    let mut prev = None;
    for i in 0..LEN {
        let n = h.node(100 + 2 * i, "com.acme.Queue$Node", NodeKind::Object, 24);
        let v = h.node(101 + 2 * i, "byte[]", NodeKind::PrimitiveArray, 64);
        h.edge(n, v, "item");
        match prev {
            None => h.edge(holder, n, "first"),
            Some(p) => h.edge(p, n, "next"),
        }
        prev = Some(n);
    }
    let d = Analysed::new(h.analyse(Policy::MAT), Format::Hprof, "queue.hprof", None);
    let rows: BTreeMap<String, u64> = d
        .summary()
        .paths
        .iter()
        .map(|(p, s)| (p.to_string(), s.count))
        .collect();
    let expect: BTreeMap<String, u64> = [
        ("[thread] > com.acme.Queue".to_string(), 1),
        (
            "[thread] > com.acme.Queue > first > com.acme.Queue$Node".to_string(),
            LEN,
        ),
        (
            "[thread] > com.acme.Queue > first > com.acme.Queue$Node > item > byte[]".to_string(),
            LEN,
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(rows, expect);
}
