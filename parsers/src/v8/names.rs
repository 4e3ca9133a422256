//! Node names as Chrome DevTools' Summary view groups them, node kinds, and the detachedness
//! propagation that decides which native nodes are shown as `Detached …`.

use heapscope_graph::bitset::BitSet;
use heapscope_graph::{EdgePos, NodeKind, WEAK_BIT};

use super::raw::{Meta, RawSnapshot};
use super::Compat;

/// How nodes of one V8 node type are named (decided once per type from the meta's type names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Naming {
    /// `object`, `native`: the node's own name (constructor name, `system / Context`, `Node / …`).
    OwnName,
    /// Every other type: one fixed class such as `(closure)`, `(array)`, `(system)`.
    Fixed,
}

/// Per V8 node type: naming rule, fixed class name, graph kind.
pub(crate) struct TypeRule {
    pub naming: Naming,
    pub class: String,
    pub kind: NodeKind,
}

/// DevTools' classic `className()`: `hidden` → `(system)`, `object`/`native` → the name,
/// `code` → `(compiled code)`, anything else → `(<type>)`.
pub(crate) fn type_rule(type_name: &str) -> TypeRule {
    let (naming, class) = match type_name {
        "object" | "native" => (Naming::OwnName, String::new()),
        "hidden" => (Naming::Fixed, "(system)".to_owned()),
        "code" => (Naming::Fixed, "(compiled code)".to_owned()),
        other => (Naming::Fixed, format!("({other})")),
    };
    let kind = match type_name {
        "object" | "regexp" | "wasm object" => NodeKind::Object,
        "array" => NodeKind::ObjectArray,
        "string" | "concatenated string" | "sliced string" => NodeKind::String,
        "closure" => NodeKind::Closure,
        "code" => NodeKind::Code,
        "hidden" | "object shape" => NodeKind::Hidden,
        "native" => NodeKind::Native,
        "synthetic" => NodeKind::Synthetic,
        _ => NodeKind::Other,
    };
    TypeRule {
        naming,
        class,
        kind,
    }
}

/// V8's detachedness values.
pub(crate) const UNKNOWN: u8 = 0;
pub(crate) const ATTACHED: u8 = 1;
pub(crate) const DETACHED: u8 = 2;

/// Per edge type: does detachedness stop there? DevTools: at hidden, invisible and weak edges.
/// memlab 2.0.5 looks those names up in `edge_fields` (plus a pushed "invisible"), so the type
/// indices it stops at are those positions, not the types' own.
pub(crate) fn no_propagation_types(meta: &Meta, compat: Compat) -> Vec<bool> {
    match compat {
        Compat::DevTools => meta
            .edge_types
            .iter()
            .map(|t| t == "hidden" || t == "invisible" || t == "weak")
            .collect(),
        Compat::Memlab => {
            let mut fields: Vec<&str> = meta.edge_fields.iter().map(String::as_str).collect();
            fields.push("invisible");
            let stop: Vec<usize> = ["hidden", "invisible", "weak"]
                .iter()
                .filter_map(|w| fields.iter().position(|f| f == w))
                .collect();
            (0..meta.edge_types.len())
                .map(|t| stop.contains(&t))
                .collect()
        }
    }
}

/// Propagate detachedness from the native nodes that know their state to the native nodes
/// they reference (not through JavaScript objects, not over the edges `raw.no_propagation`
/// marks), as DevTools and memlab do: attached first, then detached; a node keeps the first
/// state it gets. Returns the final state per node (empty when the snapshot has no
/// detachedness field). `offsets` and `targets` are the finished graph's CSR, whose edge `e` is
/// the snapshot's edge `e` (weak bits are ignored here, so the retention pass may run before or
/// after). `state` is the raw detachedness column (taken out of the snapshot by the caller),
/// which becomes the result, and `no_propagation` the per-edge bits: nothing reads them after
/// this.
pub(crate) fn propagate_detachedness(
    raw: &RawSnapshot,
    mut state: Vec<u8>,
    no_propagation: BitSet,
    offsets: &[EdgePos],
    targets: &[u32],
) -> Vec<u8> {
    if state.is_empty() {
        return state;
    }
    let n = raw.node_count();
    let native = raw
        .meta
        .node_types
        .iter()
        .position(|t| t == "native")
        .map(|p| p as u8);
    let mut visited = BitSet::new(n);
    let mut attached: Vec<u32> = Vec::new();
    let mut detached: Vec<u32> = Vec::new();
    let mut set =
        |i: usize, s: u8, state: &mut Vec<u8>, attached: &mut Vec<u32>, detached: &mut Vec<u32>| {
            if visited.get(i) {
                return;
            }
            visited.set(i);
            if Some(raw.node_type[i]) != native {
                return;
            }
            state[i] = s;
            match s {
                ATTACHED => attached.push(i as u32),
                DETACHED => detached.push(i as u32),
                _ => {}
            }
        };
    for i in 0..n {
        let s = state[i];
        if s != UNKNOWN {
            set(i, s, &mut state, &mut attached, &mut detached);
        }
    }
    let children = |i: u32| {
        (offsets[i as usize] as usize..offsets[i as usize + 1] as usize)
            .filter(|&e| !no_propagation.get(e))
            .map(|e| (targets[e] & !WEAK_BIT) as usize)
    };
    while let Some(i) = attached.pop() {
        for c in children(i) {
            set(c, ATTACHED, &mut state, &mut attached, &mut detached);
        }
    }
    while let Some(i) = detached.pop() {
        if state[i as usize] == ATTACHED {
            continue;
        }
        for c in children(i) {
            set(c, DETACHED, &mut state, &mut attached, &mut detached);
        }
    }
    state
}
