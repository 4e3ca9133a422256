//! Leak suspects in the spirit of Eclipse MAT: single objects and groups of one type that
//! retain more than a threshold share of the reachable heap, each with its accumulation point
//! and the shortest path from a GC root; for allocation profiles, the allocation sites.

use heapscope_graph::{NodeIdx, NodeKind};

use crate::build::{round6, Ctx, ReportOptions};
use crate::fmt::human_bytes;
use crate::model::*;

/// MAT's "big drop" ratio: descend the dominator tree while the biggest child keeps at least
/// this share of its parent's retained size.
pub const ACCUMULATION_RATIO: f64 = 0.70;

/// Find the suspects, most likely first.
pub fn find_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let mut out = if ctx.info.format.is_profile() {
        profile_suspects(ctx, opts)
    } else {
        object_suspects(ctx, opts)
    };
    out.sort_by(|a, b| b.retained_bytes.cmp(&a.retained_bytes).then(a.title.cmp(&b.title)));
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i as u32 + 1;
    }
    out
}

fn threshold_bytes(ctx: &Ctx, opts: &ReportOptions) -> u64 {
    ((ctx.a.summary.reachable_bytes as f64) * opts.threshold).ceil().max(1.0) as u64
}

/// Walk down the dominator tree from `n` while the biggest child keeps ≥ 70% of the parent.
pub fn accumulation_point(ctx: &Ctx, n: NodeIdx) -> NodeIdx {
    let a = ctx.a;
    let mut cur = n;
    loop {
        let kids = a.dominated(Some(cur));
        let best = kids
            .iter()
            .copied()
            .max_by(|&x, &y| a.retained[x as usize].cmp(&a.retained[y as usize]).then(y.cmp(&x)));
        match best {
            Some(b)
                if (a.retained[b as usize] as f64)
                    >= ACCUMULATION_RATIO * a.retained[cur.ix()] as f64 =>
            {
                cur = NodeIdx(b)
            }
            _ => return cur,
        }
    }
}

/// Histogram of what `n` dominates directly (the accumulated items), largest first.
pub fn accumulated_items(ctx: &Ctx, n: NodeIdx, limit: usize) -> Vec<HistRow> {
    let a = ctx.a;
    let g = &a.graph;
    let mut by_type: std::collections::BTreeMap<u32, (u64, u64, u64)> = Default::default();
    for &c in a.dominated(Some(n)) {
        let e = by_type.entry(g.type_of[c as usize]).or_default();
        e.0 += 1;
        e.1 += g.shallow[c as usize];
        e.2 += a.retained[c as usize];
    }
    let mut rows: Vec<HistRow> = by_type
        .into_iter()
        .map(|(t, (c, s, r))| HistRow {
            type_name: g.types.get(t).to_string(),
            count: c,
            shallow_bytes: s,
            retained_bytes: r,
        })
        .collect();
    rows.sort_by(|a, b| b.retained_bytes.cmp(&a.retained_bytes).then(a.type_name.cmp(&b.type_name)));
    rows.truncate(limit);
    rows
}

/// A short "who holds it" text from a path: the last named reference chain, e.g.
/// `class com.acme.Registry › SESSIONS › java.util.HashMap`.
pub fn holder_text(path: &[PathElem]) -> String {
    if path.is_empty() {
        return String::from("(no path from a GC root)");
    }
    // Start at the last class object / root on the path, so the developer sees the field.
    let start = path
        .iter()
        .rposition(|p| p.type_name.starts_with("class ") || p.root_kind.is_some())
        .unwrap_or(0);
    let start = start.max(path.len().saturating_sub(4));
    let mut s = String::new();
    for (i, p) in path[start..].iter().enumerate() {
        if i > 0 {
            s.push_str(" › ");
            if let Some(v) = &p.via {
                s.push_str(v);
                s.push_str(" › ");
            }
        }
        s.push_str(&p.type_name);
    }
    s
}

fn object_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let a = ctx.a;
    let g = &a.graph;
    let thr = threshold_bytes(ctx, opts);
    let mut out = Vec::new();
    let mut single_types = std::collections::BTreeSet::new();
    let mut tops: Vec<u32> = a.dominated(None).to_vec();
    tops.sort_by(|&x, &y| a.retained[y as usize].cmp(&a.retained[x as usize]).then(x.cmp(&y)));
    for &t in tops.iter().take_while(|&&t| a.retained[t as usize] >= thr) {
        let n = NodeIdx(t);
        if g.kind(n) == NodeKind::Synthetic {
            continue;
        }
        let acc = accumulation_point(ctx, n);
        let path = ctx.path(&a.path_to(acc));
        let holder = holder_text(&path);
        let retained = a.retained[t as usize];
        single_types.insert(g.type_of[t as usize]);
        let items = accumulated_items(ctx, acc, 5);
        let count: u64 = a.dominated(Some(acc)).len() as u64;
        out.push(Suspect {
            rank: 0,
            title: format!(
                "{} retains {} ({:.1}% of the reachable heap); accumulated in {}",
                g.type_name(n),
                human_bytes(retained),
                100.0 * ctx.share(retained),
                holder
            ),
            kind: "single-object".into(),
            pattern: "unknown".into(),
            type_name: g.type_name(n).to_string(),
            retained_bytes: retained,
            retained_share: round6(ctx.share(retained)),
            object_count: count,
            accumulation_point: Some(ctx.node(acc)),
            path_to_root: path,
            explanation: format!(
                "One {} retains {}; the bytes concentrate below {} ({} directly dominated objects).",
                g.type_name(n),
                human_bytes(retained),
                g.type_name(acc),
                count
            ),
            accumulated: items,
            fix: None,
        });
    }
    for row in &a.histogram {
        if row.retained < thr || row.reachable_count < 2 || single_types.contains(&row.type_id) {
            continue;
        }
        // The biggest instance stands for the group's path.
        let biggest = a
            .dom
            .order
            .iter()
            .copied()
            .filter(|&v| g.type_of[v as usize] == row.type_id)
            .max_by(|&x, &y| a.retained[x as usize].cmp(&a.retained[y as usize]).then(y.cmp(&x)));
        let Some(b) = biggest else { continue };
        let acc = a.idom(NodeIdx(b));
        let path = acc.map(|p| ctx.path(&a.path_to(p))).unwrap_or_default();
        let tname = g.types.get(row.type_id).to_string();
        out.push(Suspect {
            rank: 0,
            title: format!(
                "{} instances of {} retain {} ({:.1}%); held by {}",
                row.reachable_count,
                tname,
                human_bytes(row.retained),
                100.0 * ctx.share(row.retained),
                holder_text(&path)
            ),
            kind: "group-of-objects".into(),
            pattern: "unknown".into(),
            type_name: tname.clone(),
            retained_bytes: row.retained,
            retained_share: round6(ctx.share(row.retained)),
            object_count: row.reachable_count,
            accumulation_point: acc.map(|p| ctx.node(p)),
            path_to_root: path,
            explanation: format!(
                "{} objects of type {} together retain {} (minimum retained size of the set).",
                row.reachable_count,
                tname,
                human_bytes(row.retained)
            ),
            accumulated: Vec::new(),
            fix: None,
        });
    }
    out
}

fn profile_suspects(ctx: &Ctx, opts: &ReportOptions) -> Vec<Suspect> {
    let a = ctx.a;
    let g = &a.graph;
    let thr = threshold_bytes(ctx, opts);
    // flat bytes per type (allocation site)
    let mut out = Vec::new();
    for row in &a.histogram {
        if row.shallow < thr {
            continue;
        }
        let biggest = (0..g.node_count() as u32)
            .filter(|&v| g.type_of[v as usize] == row.type_id)
            .max_by(|&x, &y| g.shallow[x as usize].cmp(&g.shallow[y as usize]).then(y.cmp(&x)));
        let Some(b) = biggest else { continue };
        let path = ctx.path(&a.path_to(NodeIdx(b)));
        let site = g.types.get(row.type_id).to_string();
        out.push(Suspect {
            rank: 0,
            title: format!(
                "{} ({:.1}%) allocated at {}",
                human_bytes(row.shallow),
                100.0 * ctx.share(row.shallow),
                site
            ),
            kind: "allocation-site".into(),
            pattern: "unknown".into(),
            type_name: site.clone(),
            retained_bytes: row.shallow,
            retained_share: round6(ctx.share(row.shallow)),
            object_count: row.count,
            accumulation_point: Some(ctx.node(NodeIdx(b))),
            path_to_root: path,
            explanation: format!(
                "{} in use was allocated at {}. A profile records where memory was allocated, not who holds it.",
                human_bytes(row.shallow),
                site
            ),
            accumulated: Vec::new(),
            fix: None,
        });
    }
    out
}
