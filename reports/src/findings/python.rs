//! CPython's rules (chosen when the dump's runtime is CPython).
//!
//! Allocation profiles: the source line of an allocation site says what grows — `REGISTRY[k] = …`
//! fills a module constant, `self.items.append(x)` a container.
//!
//! Object graphs (heap snapshots with references), from the graph's evidence:
//! - a module global holding a collection directly is a global container;
//! - a memo cache whose declared limit is "none" (an `lru_cache(maxsize=None)` wrapper, the
//!   limit as [`heapscope_graph::Inspector::cache_limit`] reads it) dominating the point is a
//!   cache without eviction; a bounded one is not named a cache leak;
//! - what `gc.garbage` (its own root kind) keeps is an uncollectable cycle;
//! - a `pandas.core.frame.DataFrame` at the point (or as what accumulates) is a large DataFrame;
//! - the program itself (classes, functions, code, modules and their namespace dicts) is not a
//!   suspect: it is what the interpreter loaded, as a JVM's classes are;
//! - the process's RSS far above what the snapshot's objects account for is reported once as
//!   unaccounted memory ([`UNACCOUNTED_MIN_BYTES`], [`UNACCOUNTED_RATIO`]).

use heapscope_graph::NodeKind;

use super::{Finding, Objects, Subject};
use crate::build::Ctx;
use crate::patterns::{self, Pattern};

/// Root kinds of a CPython heap snapshot that the rules read.
const ROOT_GLOBAL: &str = "module global";
const ROOT_GARBAGE: &str = "gc.garbage";
const DATAFRAME: &str = "pandas.core.frame.DataFrame";

/// RSS minus the bytes the snapshot accounts for must be at least this much before it is
/// reported: a bare CPython 3.11 with tracemalloc on has an RSS of 15–25 MiB against 2–5 MiB
/// of objects (the interpreter's code, shared libraries, arenas), which is not a finding.
pub const UNACCOUNTED_MIN_BYTES: u64 = 64 << 20;
/// …and at least this many times the bytes the snapshot accounts for (objects then explain
/// at most a third of the RSS).
pub const UNACCOUNTED_RATIO: f64 = 2.0;

/// Types that are the program itself rather than its data.
const PROGRAM_TYPES: &[&str] = &[
    "type",
    "function",
    "code",
    "module",
    "cell",
    "builtin_function_or_method",
    "method_descriptor",
    "wrapper_descriptor",
    "getset_descriptor",
    "member_descriptor",
    "classmethod",
    "staticmethod",
    "property",
    "weakref.ReferenceType",
    "weakref",
];

/// The point of a finding is program structure: a class, function, code or module, or the
/// namespace dict of a class or module.
pub(crate) fn is_program_structure(ctx: &Ctx, f: &Finding) -> bool {
    let Subject::Objects(o) = &f.subject else {
        return false;
    };
    let g = &ctx.a.graph;
    // A group is about its members (the tops); a single object about its accumulation point.
    let n = if o.group.is_some() {
        o.top
    } else {
        o.acc.holder
    };
    let t = g.type_name(n);
    if g.kind(n) == NodeKind::Class || PROGRAM_TYPES.contains(&t) {
        return true;
    }
    t == "dict"
        && ctx
            .a
            .idom(n)
            .is_some_and(|p| g.kind(p) == NodeKind::Class || g.type_name(p) == "module")
}

/// The CPython pattern of an analysed point, when the graph shows one.
pub(crate) fn object_pattern(ctx: &Ctx, o: &Objects) -> Option<Pattern> {
    let g = &ctx.a.graph;
    let root_kind = o.path.first().and_then(|p| p.root_kind.as_deref());
    // gc.garbage is also the `gc` module's global `garbage`: any of its roots says what it is.
    let first = ctx.a.path_to(o.acc.holder).first().map(|s| s.node);
    if first.is_some_and(|f| {
        g.roots
            .iter()
            .any(|r| r.node == f && g.root_kind_name(r) == ROOT_GARBAGE)
    }) {
        return Some(Pattern::UncollectableCycle);
    }
    let headline = o.headline.as_ref().map(|h| h.type_name.as_str());
    if [o.acc.holder, o.acc.raw, o.top]
        .iter()
        .any(|&n| g.type_name(n) == DATAFRAME)
        || headline == Some(DATAFRAME)
    {
        return Some(Pattern::LargeDataframe);
    }
    // A memo cache at or just above the point: its declared limit decides.
    for n in std::iter::once(o.acc.holder).chain(ctx.a.dominator_chain(o.acc.holder).take(3)) {
        if let Some(limit) = ctx.insp.cache_limit(g, n) {
            return Some(match limit.max_entries {
                None => Pattern::CacheWithoutEviction,
                Some(_) => Pattern::Unknown,
            });
        }
    }
    let held_directly = o.path.len() == 1 && root_kind == Some(ROOT_GLOBAL);
    if held_directly && patterns::collection_kind(g.type_name(o.acc.holder)).is_some() {
        return Some(Pattern::GlobalContainer);
    }
    None
}

/// The process-level finding: RSS far above the bytes the snapshot's objects account for.
pub(crate) fn findings(ctx: &Ctx) -> Vec<Finding> {
    let Some(rss) = ctx.info.process_rss else {
        return Vec::new();
    };
    let accounted = ctx.a.summary.total_bytes;
    let unaccounted = rss.saturating_sub(accounted);
    if unaccounted < UNACCOUNTED_MIN_BYTES
        || (unaccounted as f64) < UNACCOUNTED_RATIO * accounted as f64
    {
        return Vec::new();
    }
    vec![Finding {
        pattern: Pattern::UnaccountedMemory,
        bytes: unaccounted,
        share: unaccounted as f64 / rss as f64,
        subject: Subject::Unaccounted { rss, accounted },
    }]
}

/// The pattern a site's source line shows, if any.
pub(crate) fn line_pattern(text: &str) -> Option<Pattern> {
    if fills_module_constant(text) {
        Some(Pattern::GlobalContainer)
    } else if fills_container(text) {
        Some(Pattern::UnboundedCollection)
    } else {
        None
    }
}

/// An assignment into a subscript of an ALL-CAPS (module constant) name, `REGISTRY[k] = …`, or a
/// call adding to one, `EVENTS.append(…)`.
fn fills_module_constant(text: &str) -> bool {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let caps = name.len() >= 2
        && name.chars().any(|c| c.is_ascii_uppercase())
        && !name.chars().any(|c| c.is_ascii_lowercase());
    let rest = &text[name.len()..];
    caps && (rest.starts_with('[') && rest.contains("] =")
        || [
            ".append(",
            ".add(",
            ".extend(",
            ".setdefault(",
            ".update(",
            ".insert(",
        ]
        .iter()
        .any(|m| rest.starts_with(m)))
}

/// Growth of a container at a source line: `name[k] = …`, `name.append(…)`.
fn fills_container(text: &str) -> bool {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let rest = &text[name.len()..];
    if name.is_empty() {
        return false;
    }
    if rest.starts_with('[') && rest.contains("] =") {
        return true;
    }
    rest.starts_with('(')
        && [".append", ".add", ".extend", ".setdefault", ".insert"]
            .iter()
            .any(|m| name.ends_with(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_line_shapes() {
        assert!(fills_module_constant(
            "REGISTRY[request_id] = {\"id\": request_id}"
        ));
        assert!(fills_module_constant("EVENTS.append(e)"));
        assert!(!fills_module_constant("_memo[key] = result"));
        assert!(!fills_module_constant("key = (n, k)"));
        assert!(fills_container("self.items.append(x)"));
        assert!(fills_container("_memo[key] = result"));
        assert!(!fills_container("return (\"row %d \" % i) * 20"));
    }
}
