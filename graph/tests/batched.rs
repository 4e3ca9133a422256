//! Lookups asked for many nodes at once give what one-at-a-time lookups give.

use heapscope_graph::paths::RootPaths;

use crate::support::{cases, for_random_graphs};

#[test]
fn parents_of_many_nodes_equal_one_parent_at_a_time() {
    let mut asked = 0usize;
    for (count, max_nodes) in [(cases(400), 40), (cases(10), 3000)] {
        for_random_graphs(count, max_nodes, |spec, g, ctx| {
            let paths = RootPaths::compute(g);
            let n = spec.n() as u32;
            // Every node, some twice, in an order unlike the index order.
            let mut nodes: Vec<u32> = (0..n).rev().collect();
            nodes.extend((0..n).step_by(3));
            let want: Vec<u32> = nodes.iter().map(|&v| paths.parent(g, v)).collect();
            assert_eq!(paths.parents_of(g, &nodes), want, "{ctx}");
            assert!(paths.parents_of(g, &[]).is_empty());
            asked += nodes.len();
        });
    }
    assert!(asked > 0);
}
