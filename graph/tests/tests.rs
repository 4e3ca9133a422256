//! Integration tests of the graph crate: one binary, one module per pass.
//!
//! The property tests draw thousands of small random graphs (seeded; `HEAPSCOPE_PROP_SEED` and
//! `HEAPSCOPE_PROP_CASES` change the draw) and compare every pass with a naive recomputation
//! from its definition, under Eclipse MAT's policy and V8-like ones.

// The oracles index plainly on purpose: they restate definitions.
#![allow(clippy::needless_range_loop)]

mod support;

mod bitset;
mod builder;
mod deep;
mod dominators;
mod histogram;
mod out_of_core;
mod paths;
mod retained;
mod saved;
mod spilled;
mod walks;
