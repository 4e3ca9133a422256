//! Suspects, patterns and the four renderers on heaps in the parsers' shapes.

mod heaps;
mod render;
mod suspects;
