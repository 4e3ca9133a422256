//! Tests of `heapscope_reports::overtime`: the shape classifier on synthetic series, diff and
//! trend on heaps built through the real `GraphBuilder`, the renderers, and the JSON against
//! `docs/overtime.schema.json`.

mod classify;
mod diff;
mod heaps;
mod paths;
mod render;
mod spilled;
mod trend;
mod units;
