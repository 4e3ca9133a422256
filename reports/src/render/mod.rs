//! Renderers: each turns a [`crate::Report`] into one output form.

pub mod json;
pub mod text;

/// Output forms of `heapscope analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}
