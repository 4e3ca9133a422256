//! Words: a typed [`Finding`] as the report's [`Suspect`] — its title, explanation, fix and
//! holder text. The only place findings become English, and the only place a `Suspect` is
//! built.

use heapscope_graph::{MemStats, NodeKind};

use crate::build::{round6, Ctx};
use crate::findings::holder::Hop;
use crate::findings::{
    display_name, AnchorKind, Finding, Goroutines, Holder, Objects, Site, Subject,
};
use crate::fmt::{human_bytes, thousands};
use crate::fragmentation::Fragmentation;
use crate::model::{GrowingOut, HistRow, NodeOut, PathElem, Suspect};
use crate::patterns::{self, Pattern};

/// Items of an accumulation point asked for an allocation site, largest first, when the point
/// itself has none.
const SITE_CANDIDATES: usize = 4096;

/// What differs between kinds of suspect; the rest comes from the finding itself.
struct Words {
    /// The bytes the suspect's `type` retains, when they are not the finding's (a single object's
    /// accumulation point retains less than the top of its dominator subtree).
    bytes: Option<u64>,
    runtime_owned: bool,
    title: String,
    type_name: String,
    object_count: u64,
    accumulation_point: Option<NodeOut>,
    path_to_root: Vec<PathElem>,
    explanation: String,
    accumulated: Vec<HistRow>,
    fix: Option<String>,
    holder: Option<String>,
    also_held_by: Option<String>,
    stack: Vec<PathElem>,
    held_while_growing: Option<GrowingOut>,
}

/// The suspect a finding is reported as (rank 0: ranks are given once all are sorted).
/// The fix of a detached DOM finding, whatever pattern its holder shows.
const DETACHED_FIX: &str = "Drop the references to elements once they are removed from the document (delete them from the arrays, maps and closures that keep them, remove their listeners), or hold them in a WeakRef/WeakMap.";

pub fn suspect(ctx: &Ctx, f: Finding) -> Suspect {
    let kind = f.kind();
    let (pattern, bytes, share) = (f.pattern, f.bytes, f.share);
    let w = match f.subject {
        Subject::Objects(o) => objects(ctx, *o, pattern, bytes, share),
        Subject::Site(s) => site(ctx, s, pattern, bytes, share),
        Subject::Goroutines(gr) => goroutines(ctx, gr, pattern),
        Subject::Fragmentation { memstats, judged } => fragmentation(&memstats, judged, pattern),
        Subject::Unaccounted { rss, accounted } => unaccounted(rss, accounted, pattern),
    };
    Suspect {
        rank: 0,
        title: w.title,
        kind,
        pattern,
        type_name: w.type_name,
        retained_bytes: w.bytes.unwrap_or(bytes),
        retained_share: round6(w.bytes.map_or(share, |b| ctx.share(b))),
        object_count: w.object_count,
        accumulation_point: w.accumulation_point,
        path_to_root: w.path_to_root,
        thread: None,
        explanation: w.explanation,
        accumulated: w.accumulated,
        fix: w.fix,
        holder: w.holder,
        also_held_by: w.also_held_by,
        stack: w.stack,
        runtime_owned: w.runtime_owned,
        held_while_growing: w.held_while_growing,
    }
}

/// A suspect's title adds "(N in all)" to its headline count when the headline type has this
/// many times more objects below the point than at its nearest level.
const IN_ALL_FACTOR: u64 = 10;

fn objects(ctx: &Ctx, o: Objects, pattern: Pattern, retained: u64, share: f64) -> Words {
    let a = ctx.a;
    let g = &a.graph;
    let what = match &o.acc.chain {
        Some(c) => {
            let names: Vec<&str> = c.period.iter().map(|&t| g.types.get(t)).collect();
            format!("a chain of {} × [{}]", thousands(c.len), names.join(" → "))
        }
        None => match &o.headline {
            // Most of the type's objects are deeper than its nearest level (2 linked lists'
            // heads, and their 20,000 nodes): say how many there are in all.
            Some(it) if o.headline_in_all >= IN_ALL_FACTOR * it.count.max(1) => format!(
                "{} × {} ({} in all)",
                thousands(it.count),
                it.type_name,
                thousands(o.headline_in_all)
            ),
            Some(it) => format!("{} × {}", thousands(it.count), it.type_name),
            None => String::new(),
        },
    };
    let size = |b: u64, share: f64| format!("{} ({:.1}%)", human_bytes(b), 100.0 * share);
    // A single object's suspect is its accumulation point, with the point's own retained size;
    // the top of its dominator subtree (a class, a thread) may retain more.
    // A collection caught growing does not dominate its inside: the bytes are the inside's.
    let point = match &o.acc.growing {
        Some(_) => o.acc.raw,
        None => o.acc.holder,
    };
    let own = o.group.is_none().then(|| a.retained[point.ix()]);
    let holder = match &o.within {
        Some(w) => holder_text(&w.holder, &w.path),
        None => holder_text(&o.holder, &o.path),
    };
    let also_held_by = o
        .within
        .as_ref()
        .and_then(|w| w.also.as_ref())
        .map(|al| holder_text(&al.holder, &al.path));
    let mut explanation = String::new();
    // The point is an access-ordered LinkedHashMap subclass: the LRU idiom.
    let mut lru = false;
    let detached = o.detached;
    let (title, type_name, count) = match o.group {
        None => {
            let own = own.unwrap_or(retained);
            let size = size(own, ctx.share(own));
            // `… › Cache$1 (a LinkedHashMap subclass)`: what the point is, when only its
            // superclass says so and the holder's text ends with it.
            let subclass = subclass_note(ctx, o.acc.holder);
            let named = match &subclass {
                Some(note) if holder.ends_with(g.type_name(o.acc.holder)) => {
                    format!("{holder} ({note})")
                }
                _ => holder.clone(),
            };
            let title = if what.is_empty() {
                format!("{named}: {size}")
            } else {
                format!("{named}: {what}, {size}")
            };
            explanation.push_str(&format!(
                "{} {} retains {}; the bytes accumulate in {} {}",
                if g.kind(o.top) == NodeKind::Class {
                    "The"
                } else {
                    "One"
                },
                display_name(ctx, o.top),
                human_bytes(a.retained[o.top.ix()]),
                display_name(ctx, o.acc.holder),
                ctx.id_text(o.acc.holder)
            ));
            if let Some(note) = &subclass {
                explanation.push_str(&format!(", {note}"));
            }
            if o.acc.holder != o.top && o.acc.growing.is_none() {
                explanation.push_str(&format!(", which retains {}", human_bytes(own)));
            }
            // A collection's size as the program counts it (`size()`): a map's table holds
            // only the first entry of each bucket directly, a linked list one node.
            let entries = element_count(ctx, o.acc.holder)
                .map(|(n, noun)| format!("it holds {} {noun}; ", thousands(n)))
                .unwrap_or_default();
            if o.acc.raw != o.acc.holder {
                if entries.is_empty() {
                    explanation.push_str(&format!(
                        " (its {} holds {} objects)",
                        g.type_name(o.acc.raw),
                        thousands(o.accumulated)
                    ));
                } else {
                    explanation.push_str(&format!(
                        " ({entries}{} objects directly below its {})",
                        thousands(o.accumulated),
                        g.type_name(o.acc.raw)
                    ));
                }
            } else if o.acc.chain.is_none() {
                explanation.push_str(&format!(
                    " ({entries}{} objects directly below it)",
                    thousands(o.accumulated)
                ));
            }
            explanation.push_str(". ");
            lru = lru_idiom(ctx, o.acc.holder);
            if let Some(w) = &o.acc.growing {
                let ctype = g.type_name(o.acc.holder);
                explanation.push_str(&format!(
                    "The dump was written while the {ctype} was growing: besides the {ctype}'s own {}, {} held its {} too — {} — so the {ctype} does not dominate it and retains {} by itself; the bytes here are the {}'s. ",
                    w.field,
                    if w.stack.len() == 1 { "a stack frame" } else { "stack frames" },
                    g.type_name(o.acc.raw),
                    w.stack.join("; "),
                    human_bytes(a.retained[o.acc.holder.ix()]),
                    g.type_name(o.acc.raw),
                ));
            }
            (title, g.type_name(o.acc.holder).to_string(), o.accumulated)
        }
        Some(gr) if o.detached => {
            let n = gr.members;
            let largest = o.items.first();
            explanation.push_str(&format!(
                "{} DOM {} removed from the document (detached) {} still reachable from JavaScript and together retain {}{}. The page can no longer show a detached tree: whatever still refers to it (an array, a map, a closure, a listener) keeps the tree and everything it references alive. ",
                thousands(n),
                if n == 1 { "tree" } else { "trees" },
                if n == 1 { "is" } else { "are" },
                human_bytes(retained),
                largest.map_or(String::new(), |r| format!(
                    "; the largest kind: {} × {}, {}",
                    thousands(r.count),
                    r.type_name,
                    human_bytes(r.retained_bytes)
                )),
            ));
            let title = format!(
                "{holder}: {} detached DOM {}, {}",
                thousands(n),
                if n == 1 { "tree" } else { "trees" },
                size(retained, share)
            );
            (title, g.types.get(gr.type_id.0).to_string(), n)
        }
        Some(gr) if o.within.is_some() => {
            let w = o.within.as_ref().expect("matched");
            let (n, tname) = (gr.members, g.types.get(gr.type_id.0));
            let ctype = g.type_name(w.node);
            let other = also_held_by.clone();
            let besides = match (&other, w.also.as_ref().map(|al| al.every_sampled)) {
                (Some(t), Some(true)) => format!("They are also referred to from {t}"),
                (Some(t), _) => format!("Something else refers to them too (to some, {t})"),
                (None, _) => format!("Something besides the {ctype} refers to them too"),
            };
            // What the collection is when only its superclass says, and how many it holds.
            let subclass = subclass_note(ctx, w.node)
                .map(|note| format!(", {note}"))
                .unwrap_or_default();
            let holds = element_count(ctx, w.node)
                .map(|(c, noun)| format!(" (it holds {} {noun})", thousands(c)))
                .unwrap_or_default();
            explanation.push_str(&format!(
                "{} objects of type {tname} are all in one {ctype} {}{subclass}{holds}, and together retain {} (minimum retained size of the set). {besides}, so no one object dominates them and the {ctype}'s own retained size ({}) does not show them: removing them from one holder frees nothing while the other keeps them. ",
                thousands(n),
                ctx.id_text(w.node),
                human_bytes(retained),
                human_bytes(a.retained[w.node.ix()])
            ));
            // "also held elsewhere": the collection's own suspect, if it has one, counts only
            // what it dominates; this one is what it shares.
            let elsewhere = match (&other, w.also.as_ref().map(|al| al.every_sampled)) {
                (Some(t), Some(true)) => format!("also held by {t}"),
                _ => "also held elsewhere".to_string(),
            };
            let title = format!(
                "{}: {} × {tname} {elsewhere}, {}",
                holder,
                thousands(n),
                size(retained, share)
            );
            (title, tname.to_string(), n)
        }
        Some(gr) if o.spread.is_some() => {
            let sp = o.spread.as_ref().expect("matched");
            let (n, tname) = (gr.members, g.types.get(gr.type_id.0));
            explanation.push_str(&format!(
                "{} objects of type {tname} that no other {tname} dominates together retain {} (minimum retained size of the set), but no one way of holding them does: each way alone is under the threshold. ",
                thousands(n),
                human_bytes(retained)
            ));
            let ways: Vec<String> = sp
                .ways
                .iter()
                .map(|w| {
                    let names: Vec<&str> = w.types.iter().map(|t| g.types.get(t.0)).collect();
                    format!(
                        "{} objects, {}, held like … {}",
                        thousands(w.members),
                        human_bytes(w.bytes),
                        names.join(" › ")
                    )
                })
                .collect();
            explanation.push_str(&format!(
                "The largest ways: {}. The path below is the largest one's largest object's. ",
                ways.join("; ")
            ));
            let title = format!(
                "{} × {tname}, {}, held in several ways (the largest like {holder})",
                thousands(n),
                size(retained, share)
            );
            (title, tname.to_string(), n)
        }
        Some(gr) => {
            let (n, tname) = (gr.members, g.types.get(gr.type_id.0));
            explanation.push_str(&format!(
                "{} objects of type {tname} that no other {tname} dominates, all held through the same kind of path, together retain {} (minimum retained size of the set). ",
                thousands(n),
                human_bytes(retained)
            ));
            let title = format!(
                "{} × {tname}, {}, each held like {holder}",
                thousands(n),
                size(retained, share)
            );
            (title, tname.to_string(), n)
        }
    };
    let runtime_owned = crate::findings::objects::is_runtime_owned(ctx, &o);
    let title = if runtime_owned {
        explanation.push_str(
            "Everything from the GC root down to what accumulates here belongs to the JVM itself \
             (JDK classes, their caches and tables): this is the runtime's own data, not an \
             application leak. It is listed because it passes the threshold in this heap. ",
        );
        format!("Runtime-owned: {title}")
    } else {
        title
    };
    // A detached tree is a known leak by itself; "no known pattern" would say otherwise.
    if lru && pattern_fits_lru(pattern) {
        explanation.push_str(LRU_EXPLANATION);
    } else if !(detached && pattern == Pattern::Unknown) {
        explanation.push_str(pattern.explanation());
    }
    // Where the accumulation point was allocated, when the dump records it (oldest frame
    // first); else the largest of its items that has one (an object reused from a free list,
    // as CPython reuses dicts, has none).
    let site = ctx.insp.allocation_site(g, o.acc.holder);
    debug_assert!(site.is_none() || ctx.insp.records_allocation_sites());
    let (site, whose) = match site {
        Some(s) => (s, "It was"),
        // No item has one either where the dump records no sites (HPROF, V8, Go): no search.
        None if !ctx.insp.records_allocation_sites() => (Vec::new(), "It was"),
        None => {
            // Only the first SITE_CANDIDATES are asked (the point may dominate millions).
            let kids = crate::findings::largest_first(
                &a.retained,
                a.dominated(Some(point)),
                SITE_CANDIDATES,
            );
            let item = kids
                .iter()
                .find_map(|&c| ctx.insp.allocation_site(g, heapscope_graph::NodeIdx(c)));
            (
                item.unwrap_or_default(),
                "Its largest item with a known site was",
            )
        }
    };
    if let Some((file, line)) = site.last() {
        explanation.push_str(&format!(" {whose} allocated at {file}:{line}."));
    }
    let stack = site
        .into_iter()
        .map(|(file, line)| PathElem {
            id: String::new(),
            type_name: format!("{file}:{line}"),
            via: None,
            root_kind: None,
            weak: false,
            retained_bytes: None,
        })
        .collect();
    Words {
        bytes: own,
        runtime_owned,
        title,
        type_name,
        object_count: count,
        // A group in one collection accumulates in the collection, reached by its path.
        accumulation_point: Some(ctx.node(o.within.as_ref().map_or(o.acc.holder, |w| w.node))),
        path_to_root: match o.within {
            Some(w) => w.path,
            None => o.path,
        },
        explanation,
        accumulated: o.items,
        fix: if detached {
            Some(DETACHED_FIX.to_string())
        } else if lru && pattern_fits_lru(pattern) {
            Some(LRU_FIX.to_string())
        } else {
            pattern.fix_in(ctx.info.runtime).map(str::to_string)
        },
        holder: Some(holder),
        also_held_by,
        stack,
        held_while_growing: o.acc.growing.as_ref().map(|w| GrowingOut {
            internal: ctx.node(o.acc.raw),
            field: w.field.clone(),
            stack_holders: w.stack.clone(),
        }),
    }
}

fn unaccounted(rss: u64, accounted: u64, pattern: Pattern) -> Words {
    let un = rss.saturating_sub(accounted);
    Words {
        bytes: None,
        runtime_owned: false,
        title: format!(
            "{} of the process's {} RSS is not in its Python objects (they account for {})",
            human_bytes(un),
            human_bytes(rss),
            human_bytes(accounted)
        ),
        type_name: "process RSS".into(),
        object_count: 0,
        accumulation_point: None,
        path_to_root: Vec::new(),
        explanation: format!(
            "The snapshot records an RSS of {} when it was taken; the sizes of all its objects add up to {}. {}",
            human_bytes(rss),
            human_bytes(accounted),
            pattern.explanation()
        ),
        accumulated: Vec::new(),
        fix: pattern.fix().map(str::to_string),
        holder: None,
        also_held_by: None,
        stack: Vec::new(),
        held_while_growing: None,
    }
}

/// The holder as one line, from its anchor down the path: `class com.acme.Registry › static
/// SESSIONS › java.util.HashMap`, `thread "pool-1" › threadLocals › ThreadLocal Ctx.BUF › value ›
/// byte[]`, `variable cache › Map`; a chain of more than five steps keeps the first and the
/// last three.
pub fn holder_text(h: &Holder, path: &[PathElem]) -> String {
    let Some(anchor) = path.get(h.at) else {
        return "(no path from a GC root)".into();
    };
    let mut text = match h.kind {
        AnchorKind::Static => format!("{} › static {}", anchor.type_name, h.field(path)),
        AnchorKind::ThreadLocals => {
            let name = match &h.thread_name {
                Some(v) => format!("thread \"{v}\""),
                None => format!("thread {} {}", anchor.type_name, anchor.id),
            };
            match &h.thread_local {
                Some(tl) => {
                    let mut text = format!("{name} › threadLocals › ThreadLocal {}", tl.name);
                    for hop in h.hops(path) {
                        text.push_str(&format!(" › {} › {}", hop.via, hop.type_name));
                    }
                    return text;
                }
                None => format!("{name} › threadLocals"),
            }
        }
        AnchorKind::Variable => format!("variable {}", h.field(path)),
        // A browser's global is the window, as its code names it.
        AnchorKind::Global if anchor.type_name.starts_with("Window") => {
            format!("window.{}", h.field(path))
        }
        AnchorKind::Global => format!("global.{}", h.field(path)),
        AnchorKind::Root => match (&anchor.root_kind, &anchor.via) {
            // A stack local: say where (`local in com.x.Foo.run(Foo.java:42)`).
            (Some(k), Some(via)) => format!("[{k}: {via}] {}", anchor.type_name),
            (Some(k), None) => format!("[{k}] {}", anchor.type_name),
            _ => anchor.type_name.clone(),
        },
    };
    let hops = h.hops(path);
    // Long chains: keep the first hop and the last three.
    let show: Vec<Option<&Hop>> = if hops.len() > 5 {
        let mut v = vec![Some(&hops[0]), None];
        v.extend(hops[hops.len() - 3..].iter().map(Some));
        v
    } else {
        hops.iter().map(Some).collect()
    };
    for hop in show {
        match hop {
            None => text.push_str(" › …"),
            Some(hop) => {
                if !hop.via.is_empty() {
                    text.push_str(" › ");
                    text.push_str(hop.via);
                }
                text.push_str(" › ");
                text.push_str(hop.type_name);
            }
        }
    }
    text
}

fn site(ctx: &Ctx, s: Site, pattern: Pattern, bytes: u64, share: f64) -> Words {
    let g = &ctx.a.graph;
    let site = g.types.get(s.site.0).to_string();
    // What the values measure: bytes in use (heap profiles), bytes allocated since the start
    // (`alloc_space`), or counts and delays (block, mutex, contention profiles).
    let m = crate::view::Measure::of(ctx.info.profile.as_ref());
    let amount = m.text(bytes);
    let mut title = if m.in_use && m.unit == heapscope_graph::Unit::Bytes {
        format!(
            "{amount} ({:.1}%) in use, allocated at {site}",
            100.0 * share
        )
    } else if m.unit == heapscope_graph::Unit::Bytes {
        format!("{amount} ({:.1}%) allocated at {site}", 100.0 * share)
    } else {
        format!("{amount} ({:.1}%) at {site}", 100.0 * share)
    };
    if !s.callers.is_empty() {
        let callers: Vec<&str> = s.callers.iter().map(|&f| g.type_name(f)).collect();
        title.push_str(" ← ");
        title.push_str(&callers.join(" ← "));
    }
    if let Some(f) = s.runtime_frame {
        title.push_str(&format!(" (in {})", g.type_name(f)));
    }
    let source = s.source.map(|t| format!(" (`{t}`)")).unwrap_or_default();
    let stack = crate::findings::stack_of(ctx, s.rep);
    // Where the site is named: the first user frame, or, when no recorded frame is the
    // program's own, the innermost one, said so (not called a user frame).
    let (at, none_own) = if s.own_code {
        (
            format!("with {site} as the first user frame{source}"),
            String::new(),
        )
    } else {
        // The frames are judged by their names only (`patterns::is_runtime_frame`): an
        // application installed as a package reads as one, so that is named as a reason too.
        let (them, they_were) = if s.objects == 1 {
            ("it", "it was")
        } else {
            ("them", "they were")
        };
        let frames = match stack.len() {
            1 => format!("the one frame recorded for {them} is"),
            k => format!("all {} frames recorded for {them} are", thousands(k as u64)),
        };
        (
            format!("at {site}{source}"),
            format!(
                ", and {frames} the runtime's, its standard library's or installed packages': the call of the program's own that made {them} lies above the recorded stack (cut at the profiler's frame limit), or {they_were} made in a thread the runtime started, or the program itself is installed as a package",
            ),
        )
    };
    let mut explanation = if m.in_use && m.unit == heapscope_graph::Unit::Bytes {
        format!(
            "{amount} in {} {} still in use {} allocated {at}{none_own}. A profile records where memory was allocated, not who holds it. ",
            thousands(s.objects),
            if s.objects == 1 { "object" } else { "objects" },
            if s.objects == 1 { "was" } else { "were" },
        )
    } else {
        format!(
            "{amount} ({}) were recorded {at}{none_own}. The profile records {}, not what is held now. ",
            ctx.info.sample_type.as_deref().unwrap_or("the profile's values"),
            if m.unit == heapscope_graph::Unit::Bytes {
                "what was allocated since the program started"
            } else {
                "where the values were sampled"
            },
        )
    };
    let start = (pattern != Pattern::GoroutineLeak)
        .then(|| crate::findings::go::goroutine_start(ctx, &stack))
        .flatten();
    if let Some(start) = start {
        explanation.push_str(&format!(
            "It was allocated in a goroutine started in {} (the stack does not reach main.main); a heap profile cannot tell whether that goroutine still runs or finished and left what it built to others: a goroutine profile taken at the same time (/debug/pprof/goroutine?debug=1) shows whether such goroutines pile up. ",
            g.type_name(start)
        ));
    }
    explanation.push_str(pattern.explanation());
    Words {
        bytes: None,
        runtime_owned: false,
        title,
        type_name: site.clone(),
        object_count: s.objects,
        accumulation_point: Some(ctx.node(s.rep)),
        path_to_root: ctx.path(&ctx.a.path_to(s.rep)),
        explanation,
        accumulated: Vec::new(),
        fix: pattern.fix_in(ctx.info.runtime).map(str::to_string),
        holder: Some(format!("allocated at {site}")),
        also_held_by: None,
        stack: Vec::new(),
        held_while_growing: None,
    }
}

fn goroutines(ctx: &Ctx, gr: Goroutines, pattern: Pattern) -> Words {
    let g = &ctx.a.graph;
    let func = g.types.get(gr.func.0).to_string();
    let started = gr
        .started_under
        .map(|f| format!(", started under {}", g.type_name(f)))
        .unwrap_or_default();
    let share = if gr.total == 0 {
        0.0
    } else {
        gr.count as f64 / gr.total as f64
    };
    let state = if gr.blocked { "blocked" } else { "parked" };
    Words {
        bytes: None,
        runtime_owned: false,
        title: format!(
            "{} goroutines ({:.1}%) {state} in {func}{started}",
            thousands(gr.count),
            100.0 * share
        ),
        type_name: func.clone(),
        object_count: gr.count,
        accumulation_point: None,
        path_to_root: Vec::new(),
        explanation: format!(
            "{} of {} goroutines wait at the same place in {func}. {}",
            thousands(gr.count),
            thousands(gr.total),
            pattern.explanation()
        ),
        accumulated: Vec::new(),
        fix: pattern.fix_in(ctx.info.runtime).map(str::to_string),
        holder: Some(func),
        also_held_by: None,
        stack: ctx.path(&ctx.a.path_to(gr.rep)),
        held_while_growing: None,
    }
}

fn fragmentation(m: &MemStats, f: Fragmentation, pattern: Pattern) -> Words {
    let (inuse, alloc, waste, share) = (f.inuse, f.alloc, f.waste(), f.share());
    Words {
        bytes: None,
        runtime_owned: false,
        title: format!(
            "Go heap fragmentation: {} of {} in in-use spans ({:.1}%) hold no live object (HeapInuse {} vs HeapAlloc {})",
            human_bytes(waste),
            human_bytes(inuse),
            100.0 * share,
            human_bytes(inuse),
            human_bytes(alloc)
        ),
        type_name: "runtime.MemStats".into(),
        object_count: m.heap_objects.unwrap_or(0),
        accumulation_point: None,
        path_to_root: Vec::new(),
        explanation: format!(
            "runtime.MemStats: HeapInuse {} but HeapAlloc {}: {:.0}% of the bytes in in-use spans are free slots the allocator cannot return. {} {}",
            human_bytes(inuse),
            human_bytes(alloc),
            100.0 * share,
            pattern.explanation(),
            memstats_numbers(m, inuse, alloc)
        ),
        accumulated: Vec::new(),
        fix: Some(fragmentation_remedies(m, inuse, alloc)),
        holder: None,
        also_held_by: None,
        stack: Vec::new(),
        held_while_growing: None,
    }
}

/// The MemStats numbers behind a fragmentation finding, in one sentence.
fn memstats_numbers(m: &MemStats, inuse: u64, alloc: u64) -> String {
    let mut parts = vec![
        format!("HeapAlloc {} (live)", human_bytes(alloc)),
        format!("HeapInuse {}", human_bytes(inuse)),
    ];
    for (k, v) in [
        ("HeapSys", m.heap_sys),
        ("HeapIdle", m.heap_idle),
        ("HeapReleased", m.heap_released),
        ("NextGC", m.next_gc),
        ("Sys", m.sys),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k} {}", human_bytes(v)));
        }
    }
    if let Some(n) = m.num_gc {
        parts.push(format!("NumGC {n}"));
    }
    if let Some(f) = m.gc_cpu_fraction {
        parts.push(format!("GCCPUFraction {:.1}%", 100.0 * f));
    }
    format!("Numbers: {}.", parts.join(", "))
}

/// The remedies the numbers support: the span waste itself needs a change in allocation
/// patterns (no GC setting returns a span that holds one live object); idle memory not yet
/// returned to the OS is what `debug.FreeOSMemory` / `GOMEMLIMIT` act on; a next-GC target far
/// above the live heap is what `GOGC` / `debug.SetGCPercent` (or `GOMEMLIMIT`) act on.
fn fragmentation_remedies(m: &MemStats, inuse: u64, alloc: u64) -> String {
    let mut out = vec![format!(
        "The {} of free slots in in-use spans are pinned by sparse survivors, and no GC setting returns them: \
         avoid keeping a few long-lived objects among many short-lived ones of the same size class \
         (copy survivors out, pool or batch them).",
        human_bytes(inuse - alloc)
    )];
    if let (Some(idle), Some(released)) = (m.heap_idle, m.heap_released) {
        let kept = idle.saturating_sub(released);
        if kept >= crate::fragmentation::IDLE_KEPT_MIN_BYTES {
            out.push(format!(
                "{} of idle heap is not yet returned to the OS: debug.FreeOSMemory() returns it now, \
                 and a GOMEMLIMIT makes the scavenger return it as the process nears the limit.",
                human_bytes(kept)
            ));
        }
    }
    if let Some(next) = m.next_gc {
        if alloc > 0 && next as f64 >= 1.5 * alloc as f64 {
            let cpu = m
                .gc_cpu_fraction
                .map(|f| format!(" (GC uses {:.1}% of CPU now)", 100.0 * f))
                .unwrap_or_default();
            out.push(format!(
                "The next GC is due at {} ({:.1}× the live heap): a lower GOGC (debug.SetGCPercent) or a \
                 GOMEMLIMIT keeps the heap closer to what is live, at the cost of more GC CPU{cpu}.",
                human_bytes(next),
                next as f64 / alloc as f64
            ));
        }
    }
    out.join(" ")
}

/// What an access-ordered `LinkedHashMap` subclass that holds a suspect's bytes is: an LRU whose
/// bound (`removeEldestEntry`, a method, which no heap dump records) is missing or too high
/// for this heap. An Eclipse MAT user reads such a map as a cache that is too big, not as one
/// that has no eviction.
const LRU_EXPLANATION: &str = "Access-ordered, it is the LRU idiom: its removeEldestEntry method decides when the eldest entry goes, and a heap dump does not record methods. Holding this much, either its bound is set too high for this heap or removeEldestEntry never returns true.";

/// The fix for [`LRU_EXPLANATION`].
const LRU_FIX: &str = "Check the bound removeEldestEntry applies (size() > MAX with MAX sized for the heap: entries × bytes per entry), or move to a cache bounded by weight or with expiry (Caffeine's maximumWeight, expireAfterAccess).";

/// The patterns an LRU's wording replaces: those that say a collection grows.
fn pattern_fits_lru(p: Pattern) -> bool {
    matches!(
        p,
        Pattern::CacheWithoutEviction | Pattern::UnboundedCollection | Pattern::GlobalContainer
    )
}

/// `a LinkedHashMap subclass`: what the node is when only its superclass names a collection
/// (`Cache$1`, `class Registry extends HashMap`).
fn subclass_note(ctx: &Ctx, n: heapscope_graph::NodeIdx) -> Option<String> {
    let ancestor = ctx.collection_ancestor(n)?;
    Some(format!("a {} subclass", patterns::simple_name(ancestor)))
}

/// The name of the Java collection the node is, by its type or its nearest collection
/// superclass: `java.util.HashMap` for a `HashMap` and for `class Registry extends HashMap`.
fn java_collection<'a>(ctx: &Ctx<'a>, n: heapscope_graph::NodeIdx) -> Option<&'a str> {
    let own = ctx.a.graph.type_name(n);
    let name = if patterns::collection_kind(own).is_some() {
        own
    } else {
        ctx.collection_ancestor(n)?
    };
    name.starts_with("java.util.").then_some(name)
}

/// How many elements a Java collection holds, as its own fields count them (`size()`), and
/// what they are called (a map's "entries", a set's, list's or queue's "elements"): the HPROF
/// reader reads the count ([`heapscope_graph::Inspector::collection_size`]) for the JDK class
/// the node is or extends. `None` for other collections, other runtimes, and a dump without
/// field values.
pub(crate) fn element_count(ctx: &Ctx, n: heapscope_graph::NodeIdx) -> Option<(u64, &'static str)> {
    let class = java_collection(ctx, n)?;
    let size = ctx.insp.collection_size(&ctx.a.graph, n, class)?;
    let noun = match size.unit {
        heapscope_graph::CountUnit::Entries => "entries",
        heapscope_graph::CountUnit::Elements => "elements",
    };
    Some((size.count, noun))
}

/// Is `n` an access-ordered `LinkedHashMap` subclass (the LRU idiom `new LinkedHashMap<>(16,
/// 0.75f, true) { removeEldestEntry … }`)? The reader says whether it keeps access order.
fn lru_idiom(ctx: &Ctx, n: heapscope_graph::NodeIdx) -> bool {
    ctx.collection_ancestor(n) == Some("java.util.LinkedHashMap")
        && ctx.insp.access_ordered(&ctx.a.graph, n)
}

/// A diff's growth suspect as one line: `#1 com.acme.Order: +781.2 KiB retained (92.4% of the
/// growth), +2,000 objects, new in target`.
pub fn growth_suspect(s: &crate::overtime::GrowthSuspect, flat: &str) -> String {
    use crate::overtime::SuspectBasis;
    let what = match s.basis {
        SuspectBasis::Path => "retained",
        SuspectBasis::Site => flat,
    };
    let (name, counted) = match (entries_holder(s), s.basis) {
        (Some(holder), _) => (holder, format!("entries ({})", s.type_name)),
        (None, SuspectBasis::Path) => (s.type_name.as_str(), "objects".to_string()),
        (None, SuspectBasis::Site) => (s.type_name.as_str(), "allocations".to_string()),
    };
    format!(
        "#{} {name}: {} {what} ({} of the growth), {} {counted}{}",
        s.rank,
        crate::render::signed_bytes(s.growth_bytes),
        crate::fmt::pct(s.share_of_growth),
        crate::render::signed_count(s.count_change),
        if s.new_in_target {
            ", new in target"
        } else {
            ""
        }
    )
}

/// The holder that names a grown group of a collection's entries (`HashMap$Node`), as a MAT user
/// reads it ("… static AUDIT › java.util.HashMap: +6,000 entries"); `None` for other suspects.
pub fn entries_holder(s: &crate::overtime::GrowthSuspect) -> Option<&str> {
    (s.basis == crate::overtime::SuspectBasis::Path
        && patterns::is_collection_internal(&s.type_name))
    .then_some(s.holder.as_deref())
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::ThreadLocalRef;

    fn elem(type_name: &str, via: Option<&str>) -> PathElem {
        PathElem {
            id: "0x1".into(),
            type_name: type_name.into(),
            via: via.map(str::to_string),
            root_kind: None,
            weak: false,
            retained_bytes: None,
        }
    }

    #[test]
    fn long_holder_chains_keep_the_first_hop_and_the_last_three() {
        let mut path = vec![elem("class A", None), elem("M", Some("static F"))];
        path.extend((2..8).map(|i| elem(&format!("T{i}"), Some(&format!("f{i}")))));
        let h = Holder {
            kind: AnchorKind::Static,
            at: 0,
            thread_name: None,
            thread_local: None,
        };
        assert_eq!(
            holder_text(&h, &path),
            "class A › static F › M › … › f5 › T5 › f6 › T6 › f7 › T7"
        );
        assert_eq!(holder_text(&h, &[]), "(no path from a GC root)");
    }

    #[test]
    fn thread_locals_name_the_thread_and_share_a_shape_across_threads() {
        let path = |idx: &str| {
            vec![
                elem("java.lang.Thread", None),
                elem("ThreadLocalMap", Some("threadLocals")),
                elem("ThreadLocalMap$Entry[]", Some("table")),
                elem("ThreadLocalMap$Entry", Some(idx)),
                elem("byte[]", Some("value")),
            ]
        };
        let holder = |name: &str| Holder {
            kind: AnchorKind::ThreadLocals,
            at: 0,
            thread_name: Some(name.into()),
            thread_local: Some(ThreadLocalRef {
                name: "com.acme.Ctx.BUF".into(),
                entry: 3,
            }),
        };
        let (p1, p2) = (path("[3]"), path("[7]"));
        let (h1, h2) = (holder("pool-1"), holder("pool-2"));
        assert_eq!(
            holder_text(&h1, &p1),
            "thread \"pool-1\" › threadLocals › ThreadLocal com.acme.Ctx.BUF › value › byte[]"
        );
        assert_eq!(h1.shape(&p1), h2.shape(&p2));
    }
}
