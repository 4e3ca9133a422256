//! Suspects, patterns and the four renderers on heaps in the parsers' shapes.

pub mod chromium;
mod heaps;
mod render;
mod suspects;
