//! Per-pass wall time and peak anonymous memory of the graph passes on a synthetic heap.
//!
//! ```text
//! graph-scale [--nodes N] [--edges M] [--labels] [--baseline]
//! ```
//! Defaults: 10^7 nodes / 3·10^7 edges; `HEAPSCOPE_BENCH_HUGE=1` makes it 10^8 / 3·10^8.
//! `--baseline` also runs the first dominator pass ([`heapscope_benches::baseline`]) after
//! the current one, for a before/after on the same graph. Prints Markdown tables for
//! benches/README.md. Run with `--release` (see benches/scripts/graph-scale.sh).

use std::time::Instant;

use heapscope_benches::mem::{cpu_seconds, reset_hwm, status_bytes, Sampler};
use heapscope_benches::synth::Shape;
use heapscope_graph::dominators::{dominators, DomChildren};
use heapscope_graph::histogram::histogram;
use heapscope_graph::paths::RootPaths;

const MIB: f64 = 1024.0 * 1024.0;

struct Row {
    pass: &'static str,
    secs: f64,
    cpu: f64,
    peak_anon: u64,
    hwm: u64,
    after_anon: u64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let huge = std::env::var("HEAPSCOPE_BENCH_HUGE").is_ok_and(|v| v == "1");
    let (mut nodes, mut edges) = if huge {
        (100_000_000, 300_000_000)
    } else {
        (10_000_000, 30_000_000)
    };
    let (mut labels, mut baseline) = (false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--nodes" => nodes = args.next().and_then(|v| v.parse().ok()).expect("--nodes N"),
            "--edges" => edges = args.next().and_then(|v| v.parse().ok()).expect("--edges M"),
            "--labels" => labels = true,
            "--baseline" => baseline = true,
            "--bench" => {} // cargo bench passes this
            other => {
                eprintln!("unknown argument {other}\nusage: graph-scale [--nodes N] [--edges M] [--labels] [--baseline]");
                std::process::exit(2);
            }
        }
    }
    let mut shape = Shape::new(nodes, edges);
    shape.labels = labels;
    let threads = rayon::current_num_threads();
    println!("input: synthetic heap, {nodes} nodes, ~{edges} edges, labels {labels}, rayon threads {threads}");

    let sampler = Sampler::start();
    let mut rows: Vec<Row> = Vec::new();
    let run = |pass: &'static str, rows: &mut Vec<Row>, f: &mut dyn FnMut()| {
        sampler.reset();
        reset_hwm();
        let t = Instant::now();
        let c = cpu_seconds();
        f();
        let secs = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - c;
        let row = Row {
            pass,
            secs,
            cpu,
            peak_anon: sampler.take_peak(),
            hwm: status_bytes("VmHWM"),
            after_anon: status_bytes("RssAnon"),
        };
        eprintln!(
            "{pass}: {secs:.2} s (cpu {cpu:.2} s), peak RssAnon {:.0} MiB",
            row.peak_anon as f64 / MIB
        );
        rows.push(row);
    };

    let mut sum = 0;
    run("generate input only (not a pass)", &mut rows, &mut || {
        sum = shape.generate_only()
    });
    std::hint::black_box(sum);
    let mut graph = None;
    run("build (ids sorted, edges resolved)", &mut rows, &mut || {
        graph = Some(shape.build())
    });
    let g = graph.expect("built");
    let (n, m) = (g.node_count(), g.edge_count());
    // The passes in `Analysis::run_observed`'s order: root paths (own queue) right after the
    // dominators, children while `order` exists, then `order` is freed and retained sizes come
    // from the children lists.
    let mut dom = None;
    run("dominators", &mut rows, &mut || dom = Some(dominators(&g)));
    let mut dom = dom.expect("dominated");
    let mut paths = None;
    run("root paths", &mut rows, &mut || {
        paths = Some(RootPaths::compute(&g))
    });
    let mut children = None;
    run("dominator children", &mut rows, &mut || {
        children = Some(DomChildren::build(&dom))
    });
    let children = children.expect("children");
    let reachable = dom.order.len();
    dom.order = Vec::new();
    let mut retained = Vec::new();
    run("retained sizes (from children)", &mut rows, &mut || {
        retained = children.retained_sizes(&g)
    });
    let mut hist = Vec::new();
    run("histogram", &mut rows, &mut || {
        hist = histogram(&g, &dom, &children, &retained)
    });
    // Not part of the analysis: what a report pays for a parent-before-child order now.
    let mut pre_len = 0;
    run("preorder() on demand (freed after)", &mut rows, &mut || {
        pre_len = children.preorder().len()
    });
    assert_eq!(pre_len, reachable, "preorder lists every reachable node");
    if baseline {
        let mut old = None;
        run(
            "dominators, first version (baseline)",
            &mut rows,
            &mut || old = Some(heapscope_benches::baseline::dominators(&g)),
        );
        assert_eq!(
            old.expect("baseline").idom,
            dom.idom,
            "baseline and current dominators differ"
        );
    }
    drop(sampler);

    println!(
        "nodes {n}, edges {m}, reachable {reachable}, histogram rows {}",
        hist.len()
    );
    println!();
    println!("| pass | wall s | CPU s | peak RssAnon MiB | peak B/node | VmHWM MiB | RssAnon after MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.2} | {:.2} | {:.0} | {:.1} | {:.0} | {:.0} |",
            r.pass,
            r.secs,
            r.cpu,
            r.peak_anon as f64 / MIB,
            r.peak_anon as f64 / n as f64,
            r.hwm as f64 / MIB,
            r.after_anon as f64 / MIB
        );
    }
    let core: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.pass,
                "build (ids sorted, edges resolved)" | "dominators" | "retained sizes"
            )
        })
        .collect();
    let peak = core.iter().map(|r| r.peak_anon).max().unwrap_or(0);
    let secs: f64 = core.iter().map(|r| r.secs).sum();
    let cpu: f64 = core.iter().map(|r| r.cpu).sum();
    println!();
    println!(
        "build + dominators + children + retained: {secs:.2} s wall, {cpu:.2} s CPU, peak RssAnon {:.0} MiB = {:.1} B/node at {:.1} edges/node \
         (budget 36 B/node + 4 B/edge = {:.0} MiB)",
        peak as f64 / MIB,
        peak as f64 / n as f64,
        m as f64 / n as f64,
        (36 * n + 4 * m) as f64 / MIB
    );
    // What `Analysis::run` needs at its highest point (the build is the parser's business).
    let analysis_peak = rows
        .iter()
        .skip(2)
        .filter(|r| !r.pass.contains("baseline") && !r.pass.starts_with("preorder"))
        .map(|r| r.peak_anon)
        .max()
        .unwrap_or(0);
    println!(
        "dominators → root paths (Analysis::run): peak RssAnon {:.0} MiB = {:.1} B/node",
        analysis_peak as f64 / MIB,
        analysis_peak as f64 / n as f64
    );

    // Resident structures, from their lengths.
    let per = |bytes: usize, what: usize| bytes as f64 / what as f64;
    println!();
    println!("| structure | MiB | B/node | B/edge |");
    println!("|---|---:|---:|---:|");
    let line = |name: &str, bytes: usize, per_edge: bool| {
        let (bn, be) = if per_edge {
            (String::new(), format!("{:.2}", per(bytes, m)))
        } else {
            (format!("{:.2}", per(bytes, n)), String::new())
        };
        println!("| {name} | {:.1} | {bn} | {be} |", bytes as f64 / MIB);
    };
    line("graph: ids (u64)", g.ids.len() * 8, false);
    line("graph: type_of (u32)", g.type_of.len() * 4, false);
    line("graph: shallow (u64)", g.shallow.len() * 8, false);
    line("graph: kind (u8)", g.kind.len(), false);
    line("graph: offsets (u32)", g.offsets.len() * 4, false);
    line("graph: targets (u32)", g.targets.len() * 4, true);
    line("graph: edge_labels (u32)", g.edge_labels.len() * 4, true);
    line("dominators: idom (u32)", dom.idom.len() * 4, false);
    // `order` (4 B per reachable node) is gone: freed once the children lists were built.
    line("retained (u64)", retained.len() * 8, false);
    line(
        "dominator children (u32 offsets + u32)",
        (children.offsets.len() + children.children.len()) * 4,
        false,
    );
    if let Some(p) = &paths {
        line(
            "root paths: parent edge (u32) + weak bit",
            p.heap_bytes(),
            false,
        );
    }
}
