//! A parser's [`Inspector`] state in a saved index (`heapscope_graph::saved`): each format's
//! inspector encodes what it needs besides the dump (`Inspector::saved_state`: HPROF's record
//! offsets, class names and String layout; V8's node types, names and string ranges; the
//! call-tree frames' files and lines; Python heap snapshots' previews, allocation sites and
//! cache limits), and [`restore`] rebuilds it over the dump, which stays
//! mapped as in a parse. Only this crate knows which inspector a format has.

use heapscope_graph::saved::{Bad, Dec};
use heapscope_graph::{DumpFacts, Inspector, NoInspector};

use crate::{Input, ParseError};

/// Why an inspector could not be restored.
#[derive(Debug)]
pub enum RestoreError {
    /// The saved state is not what the format's inspector wrote.
    State(Bad),
    /// The (compressed) dump could not be inflated again.
    Dump(ParseError),
}

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestoreError::State(b) => write!(f, "corrupt inspector state {b}"),
            RestoreError::Dump(e) => write!(f, "{e}"),
        }
    }
}

impl From<Bad> for RestoreError {
    fn from(b: Bad) -> Self {
        RestoreError::State(b)
    }
}

/// Whether a saved index can give back everything the inspector of the dump `facts` describe
/// knows (a format whose inspector could not save its state would not be indexed, so that a
/// report read from an index is never poorer than one from a parse). Every format can: Go heap
/// dumps keep nothing beyond the graph and their facts (allocation sites are their types,
/// `--binary`'s symbols their roots' names), Python heap snapshots save previews, allocation
/// sites and cache limits.
pub fn restorable(facts: &DumpFacts) -> bool {
    [
        crate::hprof::READER.name,
        crate::v8::READER.name,
        crate::pprof::READER.name,
        crate::tracemalloc::READER.name,
        crate::goheapdump::READER.name,
        crate::pysnap::READER.name,
    ]
    .contains(&facts.format_name)
}

/// The inspector of the dump `facts` describe, from `state` (at file offset `base` of the
/// index) over `dump` (the file as on disk: a compressed dump is inflated again when the
/// inspector reads from it). An empty state gives an inspector that knows nothing beyond the graph.
pub fn restore(
    facts: &DumpFacts,
    state: &[u8],
    base: u64,
    dump: &Input,
) -> Result<Box<dyn Inspector>, RestoreError> {
    if state.is_empty() {
        return Ok(Box::new(NoInspector));
    }
    let mut d = Dec::new(state, base);
    let inflated = || -> Result<Input, RestoreError> {
        if facts.compressed {
            dump.gunzip().map_err(RestoreError::Dump)
        } else {
            Ok(dump.clone())
        }
    };
    Ok(match facts.format_name {
        n if n == crate::hprof::READER.name => {
            Box::new(crate::hprof::HprofInspector::restore(&mut d, inflated()?)?)
        }
        n if n == crate::v8::READER.name => {
            Box::new(crate::v8::V8Inspector::restore(&mut d, inflated()?)?)
        }
        n if n == crate::pprof::READER.name => {
            Box::new(crate::pprof::FrameInspector::restore(&mut d)?)
        }
        n if n == crate::tracemalloc::READER.name => {
            Box::new(crate::tracemalloc::SourceInspector::restore(&mut d)?)
        }
        n if n == crate::pysnap::READER.name => {
            Box::new(crate::pysnap::PyInspector::restore(&mut d)?)
        }
        _ => {
            return Err(RestoreError::State(
                d.bad("the state of a known format's inspector"),
            ))
        }
    })
}
