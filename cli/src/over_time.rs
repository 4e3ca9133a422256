//! `heapscope diff BASE TARGET` and `heapscope trend S1 S2 S3 …` (the reports live in
//! `heapscope_reports::overtime`; this file parses arguments, loads dumps and writes output).

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};
use heapscope_parsers::ParseOptions;
use heapscope_reports::overtime::{
    build_diff, build_trend, memlab, parse_rfc3339, parse_size, render_diff, render_trend, summarize, DiffOptions, Dump,
    DumpSummary, Form, TrendOptions,
};

use crate::analyze::{load, Loaded};
use crate::progress::Progress;
use crate::{CliError, EXIT_OK, EXIT_SUSPECT};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutForm {
    Text,
    Json,
    Html,
    Markdown,
}

impl OutForm {
    fn form(self) -> Form {
        match self {
            OutForm::Text => Form::Text,
            OutForm::Json => Form::Json,
            OutForm::Html => Form::Html,
            OutForm::Markdown => Form::Markdown,
        }
    }
}

/// Options both commands share.
#[derive(Args, Debug)]
pub struct Common {
    /// Output form.
    #[arg(long, value_enum, default_value_t = OutForm::Text)]
    pub format: OutForm,
    /// Write the report here instead of stdout.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// pprof: the sample type used as bytes (inuse_space, inuse_objects, alloc_space, alloc_objects or an index).
    #[arg(long = "sample-index")]
    pub sample_index: Option<String>,
    /// tracemalloc: group by lineno (default), filename or traceback (as compare_to's key_type).
    #[arg(long = "group-by")]
    pub group_by: Option<String>,
    /// Rows per table in the text, Markdown and HTML views (JSON lists all).
    #[arg(long, default_value_t = 25)]
    pub rows: usize,
    /// No progress display.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier dump.
    pub base: PathBuf,
    /// The later dump.
    pub target: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct TrendArgs {
    /// Three or more dumps of one process, oldest first (reordered if their timestamps say otherwise).
    #[arg(required = true, num_args = 3..)]
    pub dumps: Vec<PathBuf>,
    /// When each dump was taken (RFC 3339, one per dump, repeated or comma-separated), for dumps
    /// that do not record it. Without times, the dumps are taken as equally spaced steps.
    #[arg(long = "at", value_delimiter = ',')]
    pub at: Vec<String>,
    /// Memory limit to project against, e.g. 4GiB (the container limit).
    #[arg(long)]
    pub limit: Option<String>,
    /// Most type rows and path rows kept in the report (0 = all); growers are kept first.
    #[arg(long = "max-rows", default_value_t = 500)]
    pub max_rows: usize,
    /// Exit with status 1 when a true leak (linear growth) is found.
    #[arg(long)]
    pub fail_on_leak: bool,
    #[command(flatten)]
    pub common: Common,
}

fn parse_opts(c: &Common) -> ParseOptions {
    ParseOptions { sample_index: c.sample_index.clone(), group_by: c.group_by.clone(), drop_labels: false }
}

fn write_out(text: String, c: &Common) -> Result<(), CliError> {
    match &c.output {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(p) => std::fs::write(p, text)
            .with_context(|| format!("writing {}", p.display()))
            .map_err(CliError::BadInput),
    }
}

fn bad(msg: String) -> CliError {
    CliError::BadInput(anyhow!(msg))
}

fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("heapscope: warning: {w}");
    }
}

/// Build the diff report of two dump files.
pub fn diff_report(args: &DiffArgs, progress: &Progress) -> Result<heapscope_reports::overtime::DiffReport, CliError> {
    let opts = parse_opts(&args.common);
    let base = load(&args.base, &opts, progress)?;
    let target = load(&args.target, &opts, progress)?;
    progress.stage("diff");
    let group_by = args.common.group_by.as_deref();
    Ok(build_diff(
        Dump { a: &base.analysis, info: &base.info, meta: &base.meta, insp: Some(base.inspector.as_ref()) },
        Dump { a: &target.analysis, info: &target.info, meta: &target.meta, insp: Some(target.inspector.as_ref()) },
        group_by,
        &DiffOptions::default(),
    ))
}

pub fn run_diff(args: DiffArgs) -> Result<u8, CliError> {
    let progress = Progress::new(args.common.quiet);
    let report = diff_report(&args, &progress);
    progress.finish();
    let report = report?;
    warn_all(&report.warnings);
    write_out(render_diff(&report, args.common.format.form(), args.common.rows), &args.common)?;
    Ok(EXIT_OK)
}

/// Build the trend report of three or more dump files.
pub fn trend_report(args: &TrendArgs, progress: &Progress) -> Result<heapscope_reports::overtime::TrendReport, CliError> {
    if args.dumps.len() < 3 {
        return Err(bad("trend needs three or more dumps (use diff for two)".into()));
    }
    let at = if args.at.is_empty() {
        None
    } else {
        if args.at.len() != args.dumps.len() {
            return Err(bad(format!("--at needs one time per dump: {} times for {} dumps", args.at.len(), args.dumps.len())));
        }
        Some(args.at.iter().map(|s| parse_rfc3339(s).map_err(|e| bad(format!("--at: expected {e}")))).collect::<Result<Vec<_>, _>>()?)
    };
    let limit_bytes = match &args.limit {
        None => None,
        Some(s) => Some(parse_size(s).map_err(|e| bad(format!("--limit: expected {e}")))?),
    };
    let opts = parse_opts(&args.common);
    let n = args.dumps.len();
    let mut summaries: Vec<DumpSummary> = Vec::with_capacity(n);
    let mut last: Option<Loaded> = None;
    for (i, p) in args.dumps.iter().enumerate() {
        let l = load(p, &opts, progress)?;
        progress.stage(format!("summarising {}", p.display()));
        summaries.push(summarize(Dump { a: &l.analysis, info: &l.info, meta: &l.meta, insp: Some(l.inspector.as_ref()) }));
        // Only the last graph is kept (memlab's "final"); the others are reduced to summaries.
        if i + 1 == n {
            last = Some(l);
        }
    }
    // memlab's method needs stable ids (V8) and the baseline/target id sets. The dumps are
    // taken in the order given here; trend reorders by time only when times say so, and memlab
    // then uses the same order the summaries are given in.
    let memlab_out = match (&last, summaries.first().and_then(|s| s.ids.as_ref()), summaries.get(n - 2).and_then(|s| s.ids.as_ref())) {
        (Some(l), Some(base_ids), Some(target_ids)) => {
            progress.stage("memlab: objects allocated between baseline and target, alive in final");
            let names = [summaries[0].dump.path.as_str(), summaries[n - 2].dump.path.as_str(), summaries[n - 1].dump.path.as_str()];
            Some(memlab(Dump { a: &l.analysis, info: &l.info, meta: &l.meta, insp: Some(l.inspector.as_ref()) }, base_ids, target_ids, names, 50))
        }
        _ => None,
    };
    drop(last);
    progress.stage("trend");
    Ok(build_trend(&summaries, memlab_out, &TrendOptions { at, limit_bytes, rows: args.max_rows }))
}

pub fn run_trend(args: TrendArgs) -> Result<u8, CliError> {
    let progress = Progress::new(args.common.quiet);
    let report = trend_report(&args, &progress);
    progress.finish();
    let report = report?;
    warn_all(&report.warnings);
    write_out(render_trend(&report, args.common.format.form(), args.common.rows), &args.common)?;
    let leak = report.verdicts.iter().any(|v| v.kind == "true-leak");
    Ok(if leak && args.fail_on_leak { EXIT_SUSPECT } else { EXIT_OK })
}

/// The over-time reports on the real growth series in testdata/, checked against the reference
/// answers recorded there (CPython's `compare_to`, `go tool pprof -base`) and against the
/// scenarios' own sources (which line leaks, which caches). These live here, in the binary crate,
/// because they need the parsers and the reports together.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use heapscope_parsers::ParseOptions;
    use heapscope_reports::overtime::{
        build_diff, build_trend, memlab, summarize, DiffOptions, DiffReport, Dump, TrendOptions, TrendReport,
    };
    use serde_json::Value;

    use crate::analyze::{load, Loaded};
    use crate::progress::Progress;

    fn testdata(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(rel)
    }

    fn open(rel: &str, sample_index: Option<&str>, group_by: Option<&str>) -> Loaded {
        let opts = ParseOptions {
            sample_index: sample_index.map(str::to_string),
            group_by: group_by.map(str::to_string),
            drop_labels: false,
        };
        load(&testdata(rel), &opts, &Progress::new(true)).unwrap_or_else(|e| match e {
            crate::CliError::BadInput(m) | crate::CliError::Internal(m) => panic!("{rel}: {m:#}"),
        })
    }

    fn dump(l: &Loaded) -> Dump<'_> {
        Dump { a: &l.analysis, info: &l.info, meta: &l.meta, insp: Some(l.inspector.as_ref()) }
    }

    fn diff(base: &Loaded, target: &Loaded, group_by: Option<&str>) -> DiffReport {
        build_diff(dump(base), dump(target), group_by, &DiffOptions::default())
    }

    fn trend(files: &[&str], sample_index: Option<&str>) -> (TrendReport, Vec<Loaded>) {
        let loaded: Vec<Loaded> = files.iter().map(|f| open(f, sample_index, None)).collect();
        let s: Vec<_> = loaded.iter().map(|l| summarize(dump(l))).collect();
        let m = match (&s[0].ids, &s[s.len() - 2].ids) {
            (Some(b), Some(t)) => Some(memlab(dump(loaded.last().unwrap()), b, t, ["baseline", "target", "final"], 20)),
            _ => None,
        };
        (build_trend(&s, m, &TrendOptions { rows: 0, ..Default::default() }), loaded)
    }

    /// The line of `file` (under testdata/) whose text contains `needle`, 1-based.
    fn line_of(file: &str, needle: &str) -> usize {
        let text = std::fs::read_to_string(testdata(file)).unwrap();
        1 + text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} in {file}"))
    }

    const PYTHONS: [&str; 6] = ["py38", "py39", "py310", "py311", "py312", "py313"];

    #[test]
    fn tracemalloc_diff_equals_cpython_compare_to_row_for_row() {
        let mut checked = 0;
        for py in PYTHONS {
            let reference: Value = serde_json::from_str(
                &std::fs::read_to_string(testdata(&format!("python/reference/series-{py}.compare.json"))).unwrap(),
            )
            .unwrap();
            for pair in reference["pairs"].as_array().unwrap() {
                for key in ["lineno", "filename", "traceback"] {
                    let old = open(&format!("python/snapshots/{}", pair["old"].as_str().unwrap()), None, Some(key));
                    let new = open(&format!("python/snapshots/{}", pair["new"].as_str().unwrap()), None, Some(key));
                    let d = diff(&old, &new, Some(key));
                    let ours: Vec<(String, u64, i64, u64, i64)> = d
                        .types
                        .iter()
                        .map(|r| {
                            (r.type_name.clone(), r.target.shallow_bytes, r.change.shallow_bytes, r.target.count, r.change.count)
                        })
                        .collect();
                    let theirs: Vec<(String, u64, i64, u64, i64)> = pair[key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|row| {
                            let k = match &row[0] {
                                Value::Array(frames) => {
                                    frames.iter().map(|f| f.as_str().unwrap()).collect::<Vec<_>>().join(";")
                                }
                                v => v.as_str().unwrap().to_string(),
                            };
                            (k, row[1].as_u64().unwrap(), row[2].as_i64().unwrap(), row[3].as_u64().unwrap(), row[4].as_i64().unwrap())
                        })
                        .collect();
                    assert_eq!(ours, theirs, "{py} {} → {} by {key}", pair["old"], pair["new"]);
                    checked += theirs.len();
                }
            }
        }
        assert!(checked > 100, "{checked} rows compared");
    }

    #[test]
    fn tracemalloc_trend_calls_the_leak_linear_and_the_cache_levelling_off() {
        let leak = format!("series.py:{}", line_of("python/src/series.py", "LEAK.append"));
        let cache = format!("series.py:{}", line_of("python/src/series.py", "CACHE[key] ="));
        for py in PYTHONS {
            let files: Vec<String> = (1..=3).map(|i| format!("python/snapshots/series-{py}-{i}.tracemalloc")).collect();
            let (r, _) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
            assert!(r.types[0].type_name.ends_with(&leak), "{py}: first is {}", r.types[0].type_name);
            assert_eq!(r.types[0].fit.shape, "linear", "{py}");
            let c = r.types.iter().find(|t| t.type_name.ends_with(&cache)).unwrap();
            assert_eq!(c.fit.shape, "levelling-off", "{py}");
            assert!(c.fit.net_change > r.types[0].fit.net_change, "{py}: the cache grew more overall");
            let kinds: Vec<&str> = r.verdicts.iter().map(|v| v.kind.as_str()).collect();
            assert_eq!(kinds, ["true-leak", "unbounded-cache"], "{py}");
            assert!(r.verdicts[1].subject.ends_with(&cache));
            assert_eq!(r.time_axis.source, "steps", "tracemalloc snapshots record no time");
        }
    }

    #[test]
    fn a_snapshot_repeated_has_nothing_growing() {
        // No healthy *series* is committed yet; the healthy controls repeated are the floor of the
        // noise rule: nothing may grow, nothing may be called a leak.
        for f in ["python/snapshots/healthy-py312.tracemalloc", "node/snapshots/healthy.heapsnapshot", "go/healthy/heap.txt"] {
            let (r, _) = trend(&[f, f, f], None);
            let growing: Vec<&str> =
                r.types.iter().chain(&r.paths).filter(|x| x.fit.shape != "stable").map(|x| x.type_name.as_str()).collect();
            assert!(growing.is_empty(), "{f}: {growing:?}");
            assert!(r.verdicts.is_empty(), "{f}: {:?}", r.verdicts);
        }
    }

    /// A `go tool pprof -top` listing: function → (flat, cum).
    fn pprof_top(rel: &str) -> BTreeMap<String, (i64, i64)> {
        let text = std::fs::read_to_string(testdata(rel)).unwrap();
        let num = |s: &str| -> i64 { s.trim_end_matches('B').parse().unwrap_or_else(|_| panic!("{s} in {rel}")) };
        text.lines()
            .skip_while(|l| !l.trim_start().starts_with("flat"))
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f[5..].join(" "), (num(f[0]), num(f[3])))
            })
            .collect()
    }

    #[test]
    fn pprof_diff_equals_go_tool_pprof_base() {
        let mut checked = 0;
        for (new, old) in [(2, 1), (3, 1), (3, 2)] {
            for st in ["inuse_space", "inuse_objects", "alloc_space", "alloc_objects"] {
                let form = "txt";
                let b = open(&format!("go/growth/heap.{old}.{form}"), Some(st), None);
                let t = open(&format!("go/growth/heap.{new}.{form}"), Some(st), None);
                let d = diff(&b, &t, None);
                let reference = pprof_top(&format!("go/reference/growth/heap.{new}-heap.{old}.{form}.{st}.top"));
                let ours: BTreeMap<String, (i64, i64)> =
                    d.types.iter().map(|r| (r.type_name.clone(), (r.change.shallow_bytes, r.change.retained_bytes))).collect();
                for (f, v) in &reference {
                    // testdata/go/README.md: pprof shows `runtime.goexit` at the root of the text
                    // form only (from its drop-frames rule on legacy profiles); the text itself
                    // does not name it, and the parser names the frames both forms share.
                    if form == "txt" && f == "runtime.goexit" {
                        continue;
                    }
                    if *v == (0, 0) {
                        assert!(!ours.contains_key(f), "{st} {new}-{old}: {f} unchanged but listed");
                        continue;
                    }
                    assert_eq!(ours.get(f), Some(v), "{st} heap.{new} - heap.{old}: {f} (flat, cum)");
                    checked += 1;
                }
                for f in ours.keys() {
                    assert!(reference.contains_key(f), "{st} {new}-{old}: {f} is not in pprof's listing");
                }
            }
        }
        assert!(checked > 50, "{checked} rows compared");
    }

    #[test]
    fn pprof_trend_calls_the_audit_log_linear_and_the_cache_levelling_off() {
        let (r, _) = trend(&["go/growth/heap.1.txt", "go/growth/heap.2.txt", "go/growth/heap.3.txt"], None);
        assert_eq!(r.types[0].type_name, "main.appendAudit");
        assert_eq!(r.types[0].fit.shape, "linear");
        let cache = r.types.iter().find(|t| t.type_name == "main.fetchEntry").unwrap();
        assert_eq!(cache.fit.shape, "levelling-off");
        assert!(cache.fit.net_change > r.types[0].fit.net_change, "the cache grew more overall");
        assert_eq!(r.time_axis.source, "dump", "pprof records time_nanos");
        let cv = r.verdicts.iter().find(|v| v.kind == "unbounded-cache").unwrap();
        assert_eq!(cv.subject, "main.fetchEntry");
        assert!(!r.verdicts.iter().any(|v| v.kind == "fragmentation"));
    }

    #[test]
    fn go_fragmentation_is_told_from_memstats() {
        let frag = open("go/fragmentation/heap.txt", None, None);
        let d = diff(&frag, &frag, None);
        let v = d.verdicts.iter().find(|v| v.kind == "fragmentation").expect("fragmentation verdict");
        let m = frag.info.details["memstats"].as_object().unwrap();
        let (alloc, inuse) = (m["HeapAlloc"].as_u64().unwrap(), m["HeapInuse"].as_u64().unwrap());
        assert!(v.evidence[0].contains(&format!("{:.1}×", inuse as f64 / alloc as f64)), "{:?}", v.evidence);
        for healthy in ["go/healthy/heap.txt", "go/global_map/heap.txt", "go/growth/heap.3.txt"] {
            let h = open(healthy, None, None);
            assert!(diff(&h, &h, None).verdicts.is_empty(), "{healthy}");
        }
    }

    #[test]
    fn v8_trend_memlab_and_diff_on_the_series() {
        let files = [
            "node/snapshots/series-baseline.heapsnapshot",
            "node/snapshots/series-target.heapsnapshot",
            "node/snapshots/series-final.heapsnapshot",
        ];
        let (r, loaded) = trend(&files, None);
        assert_eq!(r.types[0].type_name, "PendingJob");
        assert_eq!(r.types[0].fit.shape, "linear");
        let linear_path = r.paths.iter().find(|p| p.fit.shape == "linear").unwrap();
        assert!(linear_path.path.as_deref().unwrap().contains("pending"), "{:?}", linear_path.path);
        let map = r
            .paths
            .iter()
            .find(|p| p.type_name == "Map" && p.path.as_deref().is_some_and(|s| s.contains("sessionCache")))
            .unwrap();
        assert_eq!(map.fit.shape, "levelling-off");
        let pending = r.paths.iter().find(|p| p.path.as_deref().is_some_and(|s| s.ends_with("pending > Array"))).unwrap();
        assert!(map.fit.net_change > pending.fit.net_change, "the cache grew more overall");
        let cache = r.verdicts.iter().find(|v| v.kind == "unbounded-cache").unwrap();
        assert!(cache.subject.contains("sessionCache"), "{}", cache.subject);
        // memlab: the jobs added between baseline and target are all still pending in final.
        let jobs = &r.types[0].series;
        let added = jobs[1].count - jobs[0].count;
        let m = r.memlab.as_ref().unwrap();
        let c = m.clusters.iter().find(|c| c.type_name == "PendingJob").unwrap();
        assert_eq!(c.count, added);
        assert!(c.retainer_path.as_deref().unwrap().contains("pending"));
        // Diff target → final: the new PendingJobs are exactly the count change (none finish).
        let d = diff(&loaded[1], &loaded[2], None);
        let n = d.new_objects.as_ref().unwrap();
        let new_jobs = n.by_type.iter().find(|t| t.type_name == "PendingJob").unwrap();
        assert_eq!(new_jobs.count as i64, d.types.iter().find(|t| t.type_name == "PendingJob").unwrap().change.count);
    }

    /// (instances, bytes) of a class in a `jcmd GC.class_histogram` file.
    fn histo(rel: &str, class: &str) -> (i64, i64) {
        let text = std::fs::read_to_string(testdata(rel)).unwrap();
        let line = text.lines().find(|l| l.split_whitespace().nth(3) == Some(class)).unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        (f[1].parse().unwrap(), f[2].parse().unwrap())
    }

    #[test]
    fn hprof_trend_and_diff_on_the_growth_series() {
        let files = ["java/dumps/growth_1.hprof.gz", "java/dumps/growth_2.hprof.gz", "java/dumps/growth_3.hprof.gz"];
        let (r, loaded) = trend(&files, None);
        assert_eq!(r.types[0].type_name, "com.acme.Order");
        assert_eq!(r.types[0].fit.shape, "linear");
        let leak_path = r.paths.iter().find(|p| p.fit.shape == "linear").unwrap();
        assert!(leak_path.path.as_deref().unwrap().contains("class com.acme.OrderService"), "{:?}", leak_path.path);
        let map = r
            .paths
            .iter()
            .find(|p| p.path.as_deref().is_some_and(|s| s.ends_with("class com.acme.CustomerCache > static PROFILES > java.util.HashMap")))
            .unwrap();
        assert_eq!(map.fit.shape, "levelling-off");
        let log = r.paths.iter().find(|p| p.path.as_deref().is_some_and(|s| s.ends_with("static AUDIT_LOG > java.util.ArrayList"))).unwrap();
        assert!(map.fit.net_change > log.fit.net_change, "the cache grew more overall");
        let leak = r.verdicts.iter().find(|v| v.kind == "true-leak").unwrap();
        assert_eq!(leak.subject, "com.acme.Order");
        let cache = r.verdicts.iter().find(|v| v.kind == "unbounded-cache").unwrap();
        assert!(cache.subject.contains("CustomerCache"), "{}", cache.subject);
        assert_eq!(r.time_axis.source, "dump", "HPROF headers record the time");
        // Diff 1 → 3 by class equals the JVM's own class histograms.
        let d = diff(&loaded[0], &loaded[2], None);
        let (c1, b1) = histo("java/dumps/growth_1.histo.txt", "com.acme.Order");
        let (c3, b3) = histo("java/dumps/growth_3.histo.txt", "com.acme.Order");
        let row = d.types.iter().find(|t| t.type_name == "com.acme.Order").unwrap();
        assert_eq!((row.change.count, row.change.shallow_bytes), (c3 - c1, b3 - b1));
        let by_path = d.paths.iter().find(|p| p.path.as_deref().is_some_and(|s| s.ends_with("static AUDIT_LOG > java.util.ArrayList > elementData > java.lang.Object[] > [] > com.acme.Order"))).unwrap();
        assert_eq!(by_path.change.count, c3 - c1);
    }
}
