//! The histogram's minimum retained size against its definition and the exact set retained size.

use heapscope_graph::dominators::{dominators, retained_sizes, DomChildren};
use heapscope_graph::histogram::histogram;
use heapscope_graph::{Analysis, SUPER, UNREACHED};

use crate::out_of_core::for_graph_pairs;
use crate::support::{cases, for_random_graphs};

#[test]
fn min_retained_matches_definition_and_bounds_exact() {
    let mut strictly_below = 0;
    for_random_graphs(cases(1500), 14, |spec, g, ctx| {
        let dom = dominators(g);
        let retained = retained_sizes(g, &dom);
        let children = DomChildren::build(&dom);
        let rows = histogram(g, &dom, &children, &retained);
        let succ = spec.super_successors();
        let total = spec.reachable_bytes(&succ, &|_| false);
        for t in 0..spec.type_count {
            let of_type: Vec<usize> = (0..spec.n()).filter(|&v| spec.types[v] == t).collect();
            let row = rows
                .iter()
                .find(|r| g.types.get(r.type_id) == format!("T{t}"));
            let Some(row) = row else {
                assert!(
                    of_type.is_empty(),
                    "type T{t} missing from the histogram; {ctx}"
                );
                continue;
            };
            assert_eq!(row.count, of_type.len() as u64, "{ctx}");
            assert_eq!(
                row.shallow,
                of_type.iter().map(|&v| spec.shallow[v]).sum::<u64>(),
                "{ctx}"
            );
            // Definition: reachable nodes of the type with no proper dominator ancestor of the type.
            let mut min_retained = 0;
            let mut reachable = 0;
            for &v in &of_type {
                if dom.idom[v] == UNREACHED {
                    continue;
                }
                reachable += 1;
                let mut d = dom.idom[v];
                let mut covered = false;
                while d != SUPER {
                    if spec.types[d as usize] == t {
                        covered = true;
                        break;
                    }
                    d = dom.idom[d as usize];
                }
                if !covered {
                    min_retained += retained[v];
                }
            }
            assert_eq!(row.reachable_count, reachable, "T{t}; {ctx}");
            assert_eq!(row.retained, min_retained, "T{t}; {ctx}");
            // Exact set retained size: delete every node of the type at once.
            let exact = total - spec.reachable_bytes(&succ, &|x| spec.types[x] == t);
            assert!(
                row.retained <= exact,
                "T{t}: min {} > exact {exact}; {ctx}",
                row.retained
            );
            if row.retained < exact {
                strictly_below += 1;
            }
        }
        // Rows are sorted by retained size, largest first.
        assert!(
            rows.windows(2).all(|w| w[0].retained >= w[1].retained),
            "{ctx}"
        );
    });
    // The random draw must include sets retained only jointly, or the bound was never tested.
    assert!(strictly_below > 0);
}

/// The analysis takes the minimum retained sizes from the retained sizes' walk and the
/// reachable totals from the histogram's pass over the nodes: the same rows as [`histogram`]
/// (one more walk, checked against the definition above) and the same summary as a count from
/// `idom`.
#[test]
fn the_analysis_histogram_and_summary_equal_the_separate_passes() {
    for_graph_pairs(cases(800), 14, |g, copy, ctx| {
        let g = &g;
        let dom = dominators(g);
        let retained = retained_sizes(g, &dom);
        let children = DomChildren::build(&dom);
        let rows = histogram(g, &dom, &children, &retained);
        let reachable: Vec<usize> = (0..g.node_count())
            .filter(|&v| dom.idom[v] != UNREACHED)
            .collect();
        let bytes: u64 = reachable.iter().map(|&v| g.shallow[v]).sum();
        let a = Analysis::run(copy);
        assert_eq!(a.histogram, rows, "{ctx}");
        assert_eq!(a.summary.reachable_nodes, reachable.len() as u64, "{ctx}");
        assert_eq!(a.summary.reachable_bytes, bytes, "{ctx}");
        assert_eq!(
            a.summary.unreachable_bytes,
            a.summary.total_bytes - bytes,
            "{ctx}"
        );
    });
}
