//! Unit tests of the builder: the parallel phases against the sequential ones on pseudo-random
//! graphs, the edge limit, and the id index in both its packed and pair forms.

use super::*;
use crate::graph::Policy;

/// A small pseudo-random graph: ids (some duplicated, some spread over the whole u64 range
/// so the pair index is used), and per node a list of target ids (some unknown, some null).
fn shape(seed: u64, n: usize, wide: bool) -> (Vec<u64>, Vec<Vec<u64>>) {
    let mut x = seed;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let ids: Vec<u64> = (0..n)
        .map(|i| match rnd() % 10 {
            0 if i > 0 => 0x1000 + 8 * (rnd() % i as u64), // duplicate-ish
            1 if wide => rnd() | 1,
            _ => 0x1000 + 8 * i as u64,
        })
        .collect();
    let edges = (0..n)
        .map(|_| {
            (0..rnd() % 5)
                .map(|_| match rnd() % 8 {
                    0 => 0,
                    1 => 0x9999_9999_9999,
                    _ => ids[(rnd() % n as u64) as usize],
                })
                .collect()
        })
        .collect();
    (ids, edges)
}

fn sequential(ids: &[u64], edges: &[Vec<u64>]) -> HeapGraph {
    let mut b = GraphBuilder::new();
    let t = b.intern_type("T");
    for &id in ids {
        b.add_node(id, t, NodeKind::Object, 16);
    }
    b.finish_nodes();
    for (v, es) in edges.iter().enumerate() {
        if es.is_empty() {
            continue;
        }
        b.begin_node(NodeIdx(v as u32));
        for (k, &e) in es.iter().enumerate() {
            b.edge_to_id(e, k % 3 == 2, Label::Index(k as u32));
        }
    }
    b.finish(Policy::MAT)
}

/// Out of core, or with `grow` past the spill threshold (when `$TMPDIR` is on disk): the
/// columns the bulk phases size grow in spill files from the start, so the builder holds no
/// anonymous bytes for them before `finish`.
fn parallel(ids: &[u64], edges: &[Vec<u64>], runs: usize, spill: &Spill, grow: bool) -> HeapGraph {
    let mut b = GraphBuilder::new().with_spill(spill);
    if grow {
        b = b.grow_in_files();
    }
    let t = b.intern_type("T");
    let n = ids.len();
    let cut: Vec<usize> = (0..=runs).map(|r| r * n / runs).collect();
    let counts: Vec<usize> = cut.windows(2).map(|w| w[1] - w[0]).collect();
    b.add_nodes_parallel(&counts, |k, mut s| {
        for i in 0..s.len() {
            s.set(i, ids[cut[k] + i], t, NodeKind::Object, 16);
        }
    });
    b.finish_nodes();
    let bounds: Vec<(u32, usize)> = cut
        .windows(2)
        .map(|w| (w[1] as u32, edges[w[0]..w[1]].iter().map(|e| e.len()).sum()))
        .collect();
    let done = b.fill_edges_parallel(&bounds, |k, s| {
        for (v, out) in edges.iter().enumerate().take(cut[k + 1]).skip(cut[k]) {
            if out.is_empty() {
                continue;
            }
            s.begin_node(NodeIdx(v as u32));
            for (j, &e) in out.iter().enumerate() {
                s.edge_to_id(e, j % 3 == 2, Label::Index(j as u32));
            }
        }
        k
    });
    // The runs are filled largest first; what they return comes back in run order (HPROF
    // reports the first error in the file's order from it).
    assert_eq!(done, (0..runs).collect::<Vec<_>>());
    let in_files = spill.is_out_of_core() || (grow && spill.is_usable() && spill.min_bytes == 0);
    if in_files && !ids.is_empty() {
        let anon = [
            b.ids.heap_bytes(),
            b.type_of.heap_bytes(),
            b.shallow.heap_bytes(),
            b.kind.heap_bytes(),
            b.offsets.heap_bytes(),
        ];
        // the CSR offsets too, in memory as out of core (the graph's `out_of_core` says which)
        assert_eq!(anon, [0; 5]);
        assert!(b.ids.is_spilled() && b.offsets.is_spilled());
        if !b.targets.is_empty() {
            assert!(b.targets.is_spilled() && b.edge_labels.is_spilled());
            assert_eq!(b.targets.heap_bytes() + b.edge_labels.heap_bytes(), 0);
        }
    }
    let g = b.finish(Policy::MAT);
    assert_eq!(g.out_of_core, spill.is_out_of_core());
    g
}

#[test]
fn references_beyond_the_edge_limit_are_dropped_with_a_warning() {
    let (ids, edges) = shape(11, 200, false);
    let total: usize = edges.iter().map(|e| e.len()).sum();
    let limit = total / 2;
    // Sequential: the first `limit` references are kept, the rest counted.
    let mut b = GraphBuilder::new().with_max_edges(limit);
    let t = b.intern_type("T");
    for &id in &ids {
        b.add_node(id, t, NodeKind::Object, 16);
    }
    b.finish_nodes();
    for (v, es) in edges.iter().enumerate() {
        b.begin_node(NodeIdx(v as u32));
        for &e in es {
            b.edge_to_id(e, false, Label::None);
        }
    }
    let g = b.finish(Policy::MAT);
    assert_eq!(g.edge_count(), limit);
    assert_eq!(*g.offsets.last().unwrap() as usize, limit);
    assert!(g.offsets.windows(2).all(|w| w[0] <= w[1]));
    // (the shape also has unknown ids, which are not edges: count what resolves)
    let needle = format!("references beyond the graph's limit of {limit} were dropped");
    assert!(
        g.warnings.iter().any(|w| w.contains(&needle)),
        "{:?}",
        g.warnings
    );
    // Parallel: runs past the limit get no room; the CSR stays consistent.
    let mut p = GraphBuilder::new().with_max_edges(limit);
    let t = p.intern_type("T");
    p.add_nodes_parallel(&[ids.len()], |_, mut s| {
        for (i, &id) in ids.iter().enumerate().take(s.len()) {
            s.set(i, id, t, NodeKind::Object, 16);
        }
    });
    p.finish_nodes();
    let cut = [0usize, 100, 200];
    let bounds: Vec<(u32, usize)> = cut
        .windows(2)
        .map(|w| (w[1] as u32, edges[w[0]..w[1]].iter().map(|e| e.len()).sum()))
        .collect();
    p.fill_edges_parallel(&bounds, |k, s| {
        for (v, out) in edges.iter().enumerate().take(cut[k + 1]).skip(cut[k]) {
            s.begin_node(NodeIdx(v as u32));
            for &e in out {
                s.edge_to_id(e, false, Label::None);
            }
        }
    });
    let pg = p.finish(Policy::MAT);
    assert!(pg.edge_count() <= limit);
    assert_eq!(*pg.offsets.last().unwrap() as usize, pg.edge_count());
    assert!(pg.offsets.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        pg.warnings
            .iter()
            .any(|w| w.contains("beyond the graph's limit")),
        "{:?}",
        pg.warnings
    );
}

/// Roots whose ids are not in the dump are skipped, counted, and the first named with its kind.
#[test]
fn roots_to_missing_ids_are_skipped_and_the_first_is_named() {
    let mut b = GraphBuilder::new();
    let t = b.intern_type("T");
    for id in [0x10u64, 0x20, 0x30] {
        b.add_node(id, t, NodeKind::Object, 16);
    }
    b.add_root_id(0x20, "thread object", None);
    b.add_root_id(0x99, "sticky class", None);
    b.add_root_id(0x10, "JNI global", None);
    b.add_root_id(0x77, "JNI global", None);
    b.finish_nodes();
    let g = b.finish(Policy::MAT);
    assert_eq!(g.roots.len(), 2);
    let w = g
        .warnings
        .iter()
        .find(|w| w.contains("GC roots point to ids"))
        .unwrap_or_else(|| panic!("{:?}", g.warnings));
    assert!(w.starts_with("2 GC roots"), "{w}");
    assert!(w.ends_with("(first: 0x99, a sticky class root)"), "{w}");
}

#[test]
fn parallel_build_equals_sequential() {
    for (seed, n, wide) in [
        (1, 1, false),
        (7, 50, false),
        (99, 1000, false),
        (5, 700, true),
        (3, 0, false),
    ] {
        let (ids, edges) = shape(seed + 1, n, wide);
        let a = sequential(&ids, &edges);
        let ooc = Spill::temp().out_of_core(true);
        let grow = Spill::temp().min_bytes(0);
        // (runs of unequal bounds are filled largest first)
        for (runs, spill, g) in [1, 3, 16, 64].into_iter().flat_map(|r| {
            [
                (r, Spill::never(), false),
                (r, ooc.clone(), false),
                (r, grow.clone(), true),
            ]
        }) {
            let b = parallel(&ids, &edges, runs, &spill, g);
            assert_eq!(a.ids, b.ids);
            assert_eq!(a.type_of, b.type_of);
            assert_eq!(a.shallow, b.shallow);
            assert_eq!(a.kind, b.kind);
            assert_eq!(a.offsets, b.offsets, "seed {seed} runs {runs}");
            assert_eq!(a.targets, b.targets);
            assert_eq!(a.edge_labels, b.edge_labels);
            assert_eq!(a.warnings, b.warnings);
        }
    }
}

/// Ids in the orders a dump may hold them: the random shapes (repeats; some spread over the
/// whole u64 range), ascending, descending, ascending in blocks given in reverse, two
/// interleaved ascending runs, and ascending with a gap too wide for the bitmap form.
fn id_orders() -> Vec<Vec<u64>> {
    let mut all = vec![shape(42, 2000, false).0, shape(43, 2000, true).0];
    let asc: Vec<u64> = (0..3000u64).map(|i| 0x7000_0000 + 16 * i).collect();
    all.push(asc.clone());
    all.push(asc.iter().rev().copied().collect());
    all.push(asc.chunks(700).rev().flatten().copied().collect());
    all.push(
        asc.iter()
            .step_by(2)
            .chain(asc.iter().skip(1).step_by(2))
            .copied()
            .collect(),
    );
    all.push(
        asc.iter()
            .enumerate()
            .map(|(i, &id)| if i < 1500 { id } else { id + (1 << 40) })
            .collect(),
    );
    all
}

#[test]
fn id_index_finds_every_first_id_and_nothing_else() {
    // bitmap form where it fits, then packed / pairs only
    for (ids, bitmap_max) in id_orders()
        .into_iter()
        .flat_map(|ids| [(ids.clone(), index::BITMAP_MAX_BYTES_PER_NODE), (ids, 0)])
    {
        let (ix, dups) = IdIndex::build_with(&ids, bitmap_max);
        let mut first = std::collections::HashMap::new();
        for (i, &id) in ids.iter().enumerate() {
            first.entry(id).or_insert(i as u32);
        }
        assert_eq!(dups as usize, ids.len() - first.len());
        if bitmap_max == 0 {
            assert_ne!(ix.form(), "bitmap");
        }
        for (&id, &i) in &first {
            assert_eq!(ix.get(id), Some(i));
            for step in [4, 8, 16, 0u64.wrapping_sub(16)] {
                let near = id.wrapping_add(step);
                assert_eq!(ix.get(near), first.get(&near).copied());
            }
        }
        assert_eq!(ix.get(0), first.get(&0).copied());
        assert_eq!(ix.get(u64::MAX), first.get(&u64::MAX).copied());
    }
}

#[test]
fn id_index_uses_the_bitmap_for_dense_ids() {
    let orders = id_orders();
    let forms: Vec<(&str, Option<&str>)> = orders
        .iter()
        .map(|ids| {
            let ix = IdIndex::build(ids).0;
            (ix.form(), ix.outside_form())
        })
        .collect();
    // the random shapes' dense ids (the wide one's random ids outside, in pairs), the four
    // orders of dense ids; the wide gap does not fit one bitmap: two, its halves
    let one = ("bitmap", None);
    assert_eq!(
        forms,
        [
            one,
            ("clustered bitmap", Some("pairs")),
            one,
            one,
            one,
            one,
            ("clustered bitmap", Some("bitmap"))
        ]
    );
}

/// Edges given as dense indices grouped by source, through `begin_node` / `edge_to_idx`, or
/// all at once into the slots of `edges_by_offsets`: the same graph.
#[test]
fn edges_by_offsets_equals_edges_one_by_one() {
    for (seed, n) in [(3, 1), (5, 2), (7, 50), (9, 400)] {
        let (_, shape_edges) = shape(seed, n, false);
        // Targets as dense indices (every third one weak), labels by position.
        let edges: Vec<Vec<(u32, bool, Label)>> = shape_edges
            .iter()
            .enumerate()
            .map(|(v, es)| {
                es.iter()
                    .enumerate()
                    .map(|(k, &id)| {
                        (
                            (id as usize + v) as u32 % n as u32,
                            k % 3 == 2,
                            Label::Index(k as u32),
                        )
                    })
                    .collect()
            })
            .collect();
        let nodes = |b: &mut GraphBuilder| {
            let t = b.intern_type("T");
            for i in 0..n {
                b.add_node(i as u64 + 1, t, NodeKind::Object, 8);
            }
        };
        let mut one = GraphBuilder::new();
        nodes(&mut one);
        one.finish_nodes_without_index();
        for (v, es) in edges.iter().enumerate() {
            one.begin_node(NodeIdx(v as u32));
            for &(t, weak, label) in es {
                assert!(one.edge_to_idx(NodeIdx(t), weak, label));
            }
        }
        let one = one.finish(Policy::MAT);

        let mut bulk = GraphBuilder::new();
        nodes(&mut bulk);
        let mut offsets = vec![0u32];
        for es in &edges {
            offsets.push(offsets[offsets.len() - 1] + es.len() as u32);
        }
        // Offsets that do not fit are refused, and leave the builder as it was.
        let mut short = offsets.clone();
        short.pop();
        assert!(bulk.edges_by_offsets(short).is_none());
        if n > 1 && offsets[n] > 0 {
            let mut down = offsets.clone();
            down[n - 1] = offsets[n] + 1;
            assert!(bulk.edges_by_offsets(down).is_none());
        }
        let (targets, labels) = bulk.edges_by_offsets(offsets.clone()).unwrap();
        let all: Vec<&(u32, bool, Label)> = edges.iter().flatten().collect();
        assert_eq!((targets.len(), labels.len()), (all.len(), all.len()));
        for (e, &&(t, weak, label)) in all.iter().enumerate() {
            targets[e] = if weak { t | WEAK_BIT } else { t };
            labels[e] = label.encode();
        }
        // Once given, not again.
        assert!(bulk.edges_by_offsets(offsets).is_none());
        let bulk = bulk.finish(Policy::MAT);
        assert_eq!(bulk.offsets[..], one.offsets[..]);
        assert_eq!(bulk.targets[..], one.targets[..]);
        assert_eq!(bulk.edge_labels[..], one.edge_labels[..]);
        assert_eq!(bulk.warnings, one.warnings);
    }
    // More references than the graph's limit: refused (the caller gives them one by one, and
    // the builder drops and counts the excess).
    let mut b = GraphBuilder::new().with_max_edges(2);
    let t = b.intern_type("T");
    b.add_node(1, t, NodeKind::Object, 8);
    assert!(b.edges_by_offsets(vec![0, 3]).is_none());
    assert!(b.edges_by_offsets(vec![0, 2]).is_some());
}

/// Targets spilled before `finish` (`spill_targets`, where the spill directory is on disk):
/// the same graph, written afterwards through the mapping, and the spill honours the builder's
/// `Spill` (never: stays in memory).
#[test]
fn targets_spilled_early_keep_the_graph() {
    let build = |spill: &Spill| {
        let mut b = GraphBuilder::new().with_spill(spill);
        let t = b.intern_type("T");
        for i in 0..300u64 {
            b.add_node(i + 1, t, NodeKind::Object, 8);
        }
        let offsets: Vec<EdgePos> = (0..=300).map(|i| 2 * i).collect();
        let (targets, labels) = b.edges_by_offsets(offsets).unwrap();
        for e in 0..600 {
            targets[e] = (e as u32 * 7) % 300;
            labels[e] = Label::Index(e as u32).encode();
        }
        b.spill_targets();
        let spilled = b.targets.is_spilled();
        b.targets[5] |= WEAK_BIT;
        (b.finish(Policy::MAT), spilled)
    };
    let (plain, spilled) = build(&Spill::never());
    assert!(!spilled);
    assert_eq!(plain.targets[5], 35 | WEAK_BIT);
    let on_disk = Spill::temp().min_bytes(0);
    let (early, spilled) = build(&on_disk);
    assert_eq!(spilled, on_disk.is_usable());
    assert_eq!(early.targets[..], plain.targets[..]);
    assert_eq!(early.offsets[..], plain.offsets[..]);
    assert_eq!(early.edge_labels[..], plain.edge_labels[..]);
    assert_eq!(early.warnings, plain.warnings);
}

/// Generated id sets as dumps hold them: dense (8-byte aligned addresses, every slot of a line
/// used), sparse (random gaps, so lines end at every word and bit of the rank), 4-byte ids
/// (32-bit dumps, 4-byte alignment), 8-byte ids above 2^32 (and near 2^64), ids in address
/// order with runs given back to front, and duplicates; each with and without the bitmap form.
fn generated_id_sets() -> Vec<Vec<u64>> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut sets = Vec::new();
    // dense, 8-byte ids above 2^32
    sets.push((0..5000u64).map(|i| 0x7_f000_0000 + 8 * i).collect());
    // sparse: gaps of 1..40 slots, 8-byte alignment
    let mut at = 0x6_0000_0000u64;
    let sparse: Vec<u64> = (0..5000)
        .map(|_| {
            at += 8 * (1 + rnd() % 40);
            at
        })
        .collect();
    sets.push(sparse.clone());
    // 4-byte ids (a 32-bit dump): 4-byte aligned, gaps, below 2^32
    let mut at = 0x1000_0000u64;
    sets.push(
        (0..5000)
            .map(|_| {
                at += 4 * (1 + rnd() % 12);
                at
            })
            .collect(),
    );
    // near the top of the u64 range
    sets.push((0..3000u64).map(|i| u64::MAX - 7 - 16 * i).collect());
    // address order with blocks of 300 given back to front (runs broken at their seams)
    sets.push(sparse.chunks(300).rev().flatten().copied().collect());
    // duplicates: every 7th id repeats one seen before
    let mut dup = sparse.clone();
    for i in (7..dup.len()).step_by(7) {
        dup[i] = dup[(rnd() % i as u64) as usize];
    }
    sets.push(dup);
    // a live dump of a JVM with a large heap reservation: dense clusters (regions in use) far
    // apart, in address order, one cluster given back to front
    let mut clustered: Vec<u64> = (0..20u64)
        .flat_map(|c| (0..250u64).map(move |i| 0x6_0000_0000 + (c << 20) * (1 + c % 3) + 8 * i))
        .collect();
    clustered[1000..1250].reverse();
    sets.push(clustered);
    // a Python snapshot: heap objects (16-byte aligned) in an order that is not address order,
    // with repeats, beside a few static objects 46 TB below
    let mut heap: Vec<u64> = (0..6000u64).map(|i| 0x7fa2_b9e8_0000 + 16 * i).collect();
    for i in (1..heap.len()).rev() {
        heap.swap(i, (rnd() % (i as u64 + 1)) as usize);
    }
    for i in (11..heap.len()).step_by(11) {
        heap[i] = heap[(rnd() % i as u64) as usize];
    }
    let statics: Vec<u64> = (0..40u64).map(|i| 0x559b_2000_0000 + 32 * i).collect();
    let mut py = heap.clone();
    for (k, &st) in statics.iter().enumerate() {
        py.insert((rnd() % py.len() as u64) as usize, st);
        if k % 9 == 0 {
            py.push(st); // a static object seen twice
        }
    }
    sets.push(py.clone());
    // the same heap alone (every line spoiled, no outliers)
    sets.push(heap.clone());
    // outliers at both ends of the u64 range: near 0 and near u64::MAX, one repeated
    let mut ends = heap.clone();
    ends.splice(100..100, [0, 8, u64::MAX, u64::MAX - 7, 3]);
    ends.push(8);
    sets.push(ends);
    // two clusters far apart, 60/40, interleaved node order, each in address order
    let a: Vec<u64> = (0..3000u64).map(|i| 0x10_0000 + 8 * i).collect();
    let b: Vec<u64> = (0..2000u64)
        .map(|i| 0xffff_0000_0000_0000 + 8 * i)
        .collect();
    let mut two = Vec::new();
    let (mut ia, mut ib) = (a.iter(), b.iter());
    loop {
        let pick = if rnd() % 5 < 3 { ia.next() } else { ib.next() };
        match pick.or_else(|| ia.next()).or_else(|| ib.next()) {
            Some(&x) => two.push(x),
            None => break,
        }
    }
    sets.push(two);
    // a dense cluster and outliers spread over the whole u64 range (more than the cluster
    // can leave out: no cluster), and the outliers alone
    let spread: Vec<u64> = (0..3001).map(|_| rnd() & !7).collect();
    sets.push(a.iter().chain(&spread).copied().collect());
    sets.push(spread);
    // two ids only, far apart (above 2^32), and one id
    sets.push(vec![0x1_0000_0000, 0x9_0000_0008]);
    sets.push(vec![0x1234_5678_9abc]);
    sets
}

/// The simple lookup: a binary search in the ids sorted with their first node index.
fn sorted_lookup(ids: &[u64]) -> impl Fn(u64) -> Option<u32> {
    // node indices in id order; the sort is stable, so equal ids keep node order and the
    // first of each run of equal ids is the node that keeps the id
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.sort_by_key(|&i| ids[i as usize]);
    let mut pairs: Vec<(u64, u32)> = Vec::new();
    for i in order {
        if pairs.last().is_none_or(|p| p.0 != ids[i as usize]) {
            pairs.push((ids[i as usize], i));
        }
    }
    move |id| {
        pairs
            .binary_search_by_key(&id, |p| p.0)
            .ok()
            .map(|k| pairs[k].1)
    }
}

#[test]
fn id_index_agrees_with_a_sorted_search() {
    for ids in generated_id_sets() {
        let naive = sorted_lookup(&ids);
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for bitmap_max in [index::BITMAP_MAX_BYTES_PER_NODE, 64, 0] {
            let (ix, dups) = IdIndex::build_with(&ids, bitmap_max);
            assert_eq!(dups as usize, ids.len() - distinct.len());
            // every id, every id moved by 1..=8 either way (unaligned and absent ones), and the ends
            let mut probes = vec![0, 1, u64::MAX, u64::MAX - 1];
            for &id in &ids {
                for d in 1..=8u64 {
                    probes.push(id.wrapping_add(d));
                    probes.push(id.wrapping_sub(d));
                }
                probes.push(id);
            }
            for p in probes {
                assert_eq!(ix.get(p), naive(p), "id {p:#x}, form {}", ix.form());
            }
        }
    }
}

/// Ids in clusters far apart (a live dump of a JVM whose `-Xmx` reservation far exceeds its
/// live set) take the sparse bitmap, not the packed form, at the default budget.
#[test]
fn clustered_ids_take_the_sparse_bitmap() {
    let ids: Vec<u64> = (0..64u64)
        .flat_map(|c| (0..2000u64).map(move |i| 0x6_0000_0000 + (c << 22) + 8 * i))
        .collect();
    let (ix, _) = IdIndex::build(&ids);
    assert_eq!(ix.form(), "sparse bitmap");
    let naive = sorted_lookup(&ids);
    for &id in ids.iter().step_by(7) {
        for p in [id, id + 4, id + 8, id + (1 << 20)] {
            assert_eq!(ix.get(p), naive(p), "{p:#x}");
        }
    }
}

#[test]
fn rank_counts_the_bits_before_a_slot() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..200 {
        let mut bits = [0u64; 7];
        for w in bits.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = x & (x >> 3); // about a quarter of the bits set
        }
        for slot in 0..448usize {
            let naive = (0..slot)
                .filter(|&s| bits[s / 64] >> (s % 64) & 1 == 1)
                .count() as u32;
            assert_eq!(index::rank(&bits, slot / 64, slot % 64), naive);
        }
    }
}

/// The bitmap form filled by lines cut into ranges (one per thread) equals the one-range fill:
/// the same bits, heads (first index, one run or not), table and count of repeated ids, for ids
/// in every order of [`id_orders`] and ranges that cut lines of one run, of repeats and of
/// interleaved runs.
#[test]
fn bitmap_filled_in_parts_equals_one_part() {
    for ids in id_orders() {
        let min = ids.iter().copied().min().unwrap_or(0);
        let tz = ids
            .iter()
            .fold(0u64, |o, &x| o | (x ^ ids[0]))
            .trailing_zeros()
            .min(63);
        let span = (ids.iter().copied().max().unwrap_or(0) - min) >> tz;
        let nlines = (span / 448 + 1) as usize;
        if nlines > 1 << 20 {
            continue; // the wide shapes: not a bitmap
        }
        // the lines of the whole span, and the sparse form's kept lines behind a directory
        let span = index::Span {
            min,
            range: ids.iter().copied().max().unwrap_or(0) - min,
            tz,
        };
        let dir = index::sparse_directory(&ids, span, nlines, u64::MAX).unwrap();
        let kept = dir.iter().filter(|&&d| d != u32::MAX).count();
        let max = index::BITMAP_MAX_BYTES_PER_NODE;
        let n = ids.len();
        for (dir, nlines) in [(Vec::new(), nlines), (dir, kept)] {
            let (one, dups) = IdIndex::bitmap_in_parts(&ids, span, n, dir.clone(), nlines, 1, max);
            let (lines, table) = one.bitmap_state().unwrap();
            for parts in [2, 3, 5, 64] {
                let (ix, d) =
                    IdIndex::bitmap_in_parts(&ids, span, n, dir.clone(), nlines, parts, max);
                let (l, t) = ix.bitmap_state().unwrap();
                assert_eq!((&l, t, d), (&lines, table, dups), "{parts} parts");
            }
            for (i, &id) in ids.iter().enumerate() {
                let first = ids.iter().position(|&x| x == id).unwrap();
                assert_eq!(one.get(id), Some(first as u32), "id {id:x} at {i}");
            }
        }
    }
}

/// The shapes of [`generated_id_sets`] a bitmap takes now: a Python snapshot's heap in an order
/// that is not address order (every line in the table) beside static objects far below it,
/// outliers near 0 and `u64::MAX`, two far clusters. Each takes the expected form; its lines
/// and table filled by 1 or several ranges of lines are the same, and every id, its neighbours
/// and the ends of the u64 range give what a sorted search gives.
#[test]
fn clustered_and_shuffled_ids_agree_in_parts_with_a_sorted_search() {
    let sets = generated_id_sets();
    let max = index::BITMAP_MAX_BYTES_PER_NODE;
    let want = [
        ("clustered bitmap", Some("bitmap")),
        ("bitmap", None),
        ("clustered bitmap", Some("pairs")),
        ("clustered bitmap", Some("bitmap")),
        ("pairs", None),
        ("pairs", None),
    ];
    // the sets after the clustered JVM one, in the order they are made
    let first = sets.iter().position(|s| s.len() > 6000).unwrap();
    for (ids, want) in sets[first..].iter().zip(want) {
        let naive = sorted_lookup(ids);
        let (ix, _) = IdIndex::build(ids);
        assert_eq!((ix.form(), ix.outside_form()), want);
        let mut probes = vec![0, 1, 7, 8, u64::MAX, u64::MAX - 7, u64::MAX - 8];
        for &id in ids {
            probes.extend([id, id.wrapping_add(8), id.wrapping_sub(8), id ^ 4]);
        }
        let (_, all) = index::bounds(ids, 0, u64::MAX).unwrap();
        let Some((count, span)) = index::dense_range(ids, all, max).or(
            // one bitmap over all of them, or none
            (ix.form() == "bitmap").then_some((ids.len(), all)),
        ) else {
            continue;
        };
        assert_eq!(
            count,
            ids.iter()
                .filter(|&&x| x >= span.min && x - span.min <= span.range)
                .count()
        );
        let nlines = ((span.range >> span.tz) / 448 + 1) as usize;
        let dir = index::sparse_directory(ids, span, nlines, u64::MAX).unwrap();
        let kept = dir.iter().filter(|&&d| d != u32::MAX).count();
        for (dir, nlines) in [(Vec::new(), nlines), (dir, kept)] {
            let (one, dups) =
                IdIndex::bitmap_in_parts(ids, span, count, dir.clone(), nlines, 1, max);
            let (lines, table) = one.bitmap_state().unwrap();
            let mut distinct = ids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(dups as usize, ids.len() - distinct.len());
            if want == ("bitmap", None) {
                // not address order: every line's ids are in the table, once each
                assert_eq!(table.len(), distinct.len());
            }
            for parts in [2, 3, 7, 64] {
                let (p, d) =
                    IdIndex::bitmap_in_parts(ids, span, count, dir.clone(), nlines, parts, max);
                let (l, t) = p.bitmap_state().unwrap();
                assert_eq!((&l, t, d), (&lines, table, dups), "{parts} parts");
            }
            for &id in &probes {
                assert_eq!(one.get(id), naive(id), "id {id:#x}");
            }
        }
    }
}

#[test]
fn counts_set_at_once_equal_counts_set_node_by_node() {
    let n = 1000;
    let want = |i: usize| (i as u64 * 7919) % 13;
    let graphs: Vec<HeapGraph> = [false, true]
        .into_iter()
        .map(|at_once| {
            let mut b = GraphBuilder::new();
            let t = b.intern_type("T");
            for i in 0..n {
                b.add_node(0x1000 + 8 * i as u64, t, NodeKind::Object, 16);
            }
            if at_once {
                b.set_counts(want);
            } else {
                for i in 0..n {
                    b.set_count(NodeIdx(i as u32), want(i));
                }
            }
            b.finish_nodes();
            b.finish(Policy::MAT)
        })
        .collect();
    for i in 0..n {
        let v = NodeIdx(i as u32);
        assert_eq!(graphs[0].count(v), want(i));
        assert_eq!(graphs[1].count(v), graphs[0].count(v), "node {i}");
    }
}

/// Roots added before the id index (waiting for `finish`) and after it (resolved as they
/// come, in a spill file from the start when `grow_in_files` and large), by id and by index,
/// some to nothing: the graph's roots, their order and the missing-roots warning are what
/// resolving every root at the end in call order gives (a map from id to node).
#[test]
fn roots_resolved_as_they_come_match_resolving_them_at_the_end() {
    let spill = Spill::temp().min_bytes(0);
    for (seed, grow, before, after) in [
        (1u64, false, 40usize, 0usize),
        (2, false, 0, 40),
        (3, false, 25, 30),
        (4, true, 0, 5000),
        (5, true, 300, 2000),
        (6, true, 0, 0),
    ] {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut rnd = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let n = 200u64;
        let ids: Vec<u64> = (0..n).map(|i| 0x1000 + 16 * i).collect();
        let mut b = GraphBuilder::new().with_spill(&spill);
        if grow {
            b = b.grow_in_files();
        }
        let t = b.intern_type("T");
        for &id in &ids {
            b.add_node(id, t, NodeKind::Object, 16);
        }
        // (id or index, kind, via) in call order
        let mut calls: Vec<(Result<u64, u32>, &str, Option<String>)> = Vec::new();
        let mut add = |b: &mut GraphBuilder, calls: &mut Vec<_>| {
            let kind = ["JNI global", "Java frame", "sticky class"][rnd(3) as usize];
            let via = (rnd(2) == 0).then(|| format!("via {}", rnd(7)));
            let target = match rnd(10) {
                0 => Ok(0x9_0000 + rnd(5)),
                1 => Err((n + rnd(3)) as u32),
                2 | 3 => Err(rnd(n) as u32),
                _ => Ok(ids[rnd(n) as usize]),
            };
            match target {
                Ok(id) => b.add_root_id(id, kind, via.as_deref()),
                Err(i) => b.add_root_idx(NodeIdx(i), kind, via.as_deref()),
            }
            calls.push((target, kind, via));
        };
        for _ in 0..before {
            add(&mut b, &mut calls);
        }
        b.finish_nodes();
        b.reserve_roots(after);
        for _ in 0..after {
            add(&mut b, &mut calls);
        }
        let g = b.finish(Policy::MAT);
        if grow && after >= 1000 && spill.is_usable() {
            assert!(g.roots.is_spilled(), "seed {seed}");
        }
        let node_of: std::collections::HashMap<u64, u32> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        let mut want = Vec::new();
        let mut missing = Vec::new();
        for (target, kind, via) in &calls {
            let node = match *target {
                Ok(id) => node_of.get(&id).copied(),
                Err(i) => (u64::from(i) < n).then_some(i),
            };
            match node {
                Some(v) => want.push((v, kind.to_string(), via.clone().unwrap_or_default())),
                None => missing.push(match *target {
                    Ok(id) => format!("(first: 0x{id:x}, a {kind} root)"),
                    Err(i) => format!("(first: node {i}, a {kind} root)"),
                }),
            }
        }
        let got: Vec<(u32, String, String)> = g
            .roots
            .iter()
            .map(|r| {
                let kind = g.root_kinds.get(r.kind).to_string();
                (r.node.0, kind, g.labels.get(r.via).to_string())
            })
            .collect();
        assert_eq!(got, want, "seed {seed}");
        let w = g.warnings.iter().find(|w| w.contains("GC roots point to"));
        match missing.first() {
            None => assert!(w.is_none(), "seed {seed}: {w:?}"),
            Some(first) => {
                let w = w.unwrap_or_else(|| panic!("seed {seed}: {:?}", g.warnings));
                assert!(w.starts_with(&format!("{} GC roots", missing.len())), "{w}");
                assert!(w.ends_with(first.as_str()), "seed {seed}: {w} / {first}");
            }
        }
    }
}

/// The bitmap form's lines are cut where the ids, not the lines, are shared out evenly: on ids
/// half of which lie in the lowest 1/16 of their range (as a JDK heap's are: the 2.18 GB
/// fixture's first half of ids lies in its lowest 8 % of lines), two parts hold about as many
/// ids each; cuts ascend and stay within the lines for any number of parts, sparse directory
/// or not, and an id-less span gets equal ranges.
#[test]
fn bitmap_cuts_share_the_ids_out_evenly() {
    let mut ids: Vec<u64> = (0..50_000u64).map(|i| 0x1000 + i * 8).collect();
    ids.extend((0..50_000u64).map(|i| 0x1000 + 50_000 * 8 + i * 8 * 15));
    let min = ids[0];
    let span = index::Span {
        min,
        range: ids[ids.len() - 1] - min,
        tz: 3,
    };
    let nlines = ((span.range >> 3) / 448 + 1) as usize;
    let cuts = index::balanced_cuts(&ids, span, &[], nlines, 2);
    assert_eq!(cuts.len(), 1);
    let line = |id: u64| (((id - min) >> 3) / 448) as usize;
    let below = ids.iter().filter(|&&id| line(id) < cuts[0]).count();
    assert!(
        (45_000..=55_000).contains(&below),
        "{below} of 100,000 below the cut"
    );
    // equal ranges of lines would put ~73 % of the ids below the middle line
    let middle = ids.iter().filter(|&&id| line(id) < nlines / 2).count();
    assert!(middle > 70_000, "{middle}");
    let dir = index::sparse_directory(&ids, span, nlines, u64::MAX).unwrap();
    let kept = dir.iter().filter(|&&d| d != u32::MAX).count();
    for (dir, nlines) in [(Vec::new(), nlines), (dir, kept)] {
        for parts in [1, 2, 3, 7, 64, 5000] {
            let cuts = index::balanced_cuts(&ids, span, &dir, nlines, parts);
            assert_eq!(cuts.len(), parts - 1);
            assert!(cuts.windows(2).all(|w| w[0] <= w[1]), "{parts}: {cuts:?}");
            assert!(cuts.iter().all(|&c| c <= nlines), "{parts}");
        }
    }
    let empty = index::Span {
        min: 1 << 40,
        range: 448 * 8 * 10,
        tz: 3,
    };
    assert_eq!(index::balanced_cuts(&ids, empty, &[], 11, 2), vec![6]);
}
