//! Benchmarks of heapscope.
//!
//! - [`synth`]: a synthetic heap graph with a realistic shape (GC roots on class objects, a few
//!   big collections, mostly small trees of objects below them, every object pointing at its
//!   class, random cross references), fed through the real
//!   [`GraphBuilder`](heapscope_graph::GraphBuilder) by dump id as a parser would;
//! - [`mem`]: peak anonymous resident memory (`RssAnon` sampled from `/proc/self/status`, and
//!   the kernel's own `VmHWM` reset per pass through `/proc/self/clear_refs`);
//! - [`baseline`]: the dominator pass as first written, kept to measure changes against.
//!
//! The `graph-scale` binary runs every pass at 10^7 nodes / 3·10^7 edges and prints what
//! `README.md` records; `benches/passes.rs` (divan) times each pass at 10^6 nodes.
//!
//! ```
//! let g = heapscope_benches::synth::Shape::new(10_000, 30_000).build();
//! assert_eq!(g.node_count(), 10_000);
//! let dom = heapscope_graph::dominators::dominators(&g);
//! assert_eq!(dom.order.len(), 10_000); // every object is reachable
//! ```

pub mod baseline;
pub mod mem;
pub mod synth;
