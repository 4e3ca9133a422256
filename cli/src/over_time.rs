//! `heapscope diff BASE TARGET` and `heapscope trend S1 S2 S3 …` (the reports live in
//! `heapscope_reports::overtime`; this file parses arguments, loads dumps and writes output).

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};
use heapscope_parsers::ParseOptions;
use heapscope_reports::overtime::{
    build_diff, build_trend, memlab, parse_rfc3339, parse_size, render_diff, render_trend,
    summarize, DiffOptions, Dump, DumpSummary, TrendOptions,
};
use heapscope_reports::render::OutputFormat as Form;

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
    ParseOptions {
        sample_index: c.sample_index.clone(),
        group_by: c.group_by.clone(),
        ..ParseOptions::default()
    }
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
pub fn diff_report(
    args: &DiffArgs,
    progress: &Progress,
) -> Result<heapscope_reports::overtime::DiffReport, CliError> {
    let opts = parse_opts(&args.common);
    let base = load(&args.base, &opts, progress)?;
    let target = load(&args.target, &opts, progress)?;
    progress.stage("diff");
    let group_by = args.common.group_by.as_deref();
    Ok(build_diff(
        Dump {
            a: &base.analysis,
            info: &base.info,
            meta: &base.meta,
            insp: Some(base.inspector.as_ref()),
        },
        Dump {
            a: &target.analysis,
            info: &target.info,
            meta: &target.meta,
            insp: Some(target.inspector.as_ref()),
        },
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
    write_out(
        render_diff(&report, args.common.format.form(), args.common.rows),
        &args.common,
    )?;
    Ok(EXIT_OK)
}

/// Build the trend report of three or more dump files.
pub fn trend_report(
    args: &TrendArgs,
    progress: &Progress,
) -> Result<heapscope_reports::overtime::TrendReport, CliError> {
    if args.dumps.len() < 3 {
        return Err(bad(
            "trend needs three or more dumps (use diff for two)".into()
        ));
    }
    let at = if args.at.is_empty() {
        None
    } else {
        if args.at.len() != args.dumps.len() {
            return Err(bad(format!(
                "--at needs one time per dump: {} times for {} dumps",
                args.at.len(),
                args.dumps.len()
            )));
        }
        Some(
            args.at
                .iter()
                .map(|s| parse_rfc3339(s).map_err(|e| bad(format!("--at: expected {e}"))))
                .collect::<Result<Vec<_>, _>>()?,
        )
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
        summaries.push(summarize(Dump {
            a: &l.analysis,
            info: &l.info,
            meta: &l.meta,
            insp: Some(l.inspector.as_ref()),
        }));
        // Only the last graph is kept (memlab's "final"); the others are reduced to summaries.
        if i + 1 == n {
            last = Some(l);
        }
    }
    // memlab's method needs stable ids (V8) and the baseline/target id sets. The dumps are
    // taken in the order given here; trend reorders by time only when times say so, and memlab
    // then uses the same order the summaries are given in.
    let memlab_out = match (
        &last,
        summaries.first().and_then(|s| s.ids.as_ref()),
        summaries.get(n - 2).and_then(|s| s.ids.as_ref()),
    ) {
        (Some(l), Some(base_ids), Some(target_ids)) => {
            progress.stage("memlab: objects allocated between baseline and target, alive in final");
            let names = [
                summaries[0].dump.path.as_str(),
                summaries[n - 2].dump.path.as_str(),
                summaries[n - 1].dump.path.as_str(),
            ];
            Some(memlab(
                Dump {
                    a: &l.analysis,
                    info: &l.info,
                    meta: &l.meta,
                    insp: Some(l.inspector.as_ref()),
                },
                base_ids,
                target_ids,
                names,
                50,
            ))
        }
        _ => None,
    };
    drop(last);
    progress.stage("trend");
    Ok(build_trend(
        &summaries,
        memlab_out,
        &TrendOptions {
            at,
            limit_bytes,
            rows: args.max_rows,
        },
    ))
}

pub fn run_trend(args: TrendArgs) -> Result<u8, CliError> {
    let progress = Progress::new(args.common.quiet);
    let report = trend_report(&args, &progress);
    progress.finish();
    let report = report?;
    warn_all(&report.warnings);
    write_out(
        render_trend(&report, args.common.format.form(), args.common.rows),
        &args.common,
    )?;
    let leak = report.verdicts.iter().any(|v| v.kind == "true-leak");
    Ok(if leak && args.fail_on_leak {
        EXIT_SUSPECT
    } else {
        EXIT_OK
    })
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
        build_diff, build_trend, memlab, summarize, DiffOptions, DiffReport, Dump, TrendOptions,
        TrendReport,
    };
    use serde_json::Value;

    use crate::analyze::{load, Loaded};
    use crate::progress::Progress;

    fn testdata(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata")
            .join(rel)
    }

    fn open(rel: &str, sample_index: Option<&str>, group_by: Option<&str>) -> Loaded {
        let opts = ParseOptions {
            sample_index: sample_index.map(str::to_string),
            group_by: group_by.map(str::to_string),
            ..ParseOptions::default()
        };
        load(&testdata(rel), &opts, &Progress::new(true)).unwrap_or_else(|e| match e {
            crate::CliError::BadInput(m) | crate::CliError::Internal(m) => panic!("{rel}: {m:#}"),
        })
    }

    fn dump(l: &Loaded) -> Dump<'_> {
        Dump {
            a: &l.analysis,
            info: &l.info,
            meta: &l.meta,
            insp: Some(l.inspector.as_ref()),
        }
    }

    fn diff(base: &Loaded, target: &Loaded, group_by: Option<&str>) -> DiffReport {
        build_diff(dump(base), dump(target), group_by, &DiffOptions::default())
    }

    fn trend(files: &[&str], sample_index: Option<&str>) -> (TrendReport, Vec<Loaded>) {
        let loaded: Vec<Loaded> = files.iter().map(|f| open(f, sample_index, None)).collect();
        let s: Vec<_> = loaded.iter().map(|l| summarize(dump(l))).collect();
        let m = match (&s[0].ids, &s[s.len() - 2].ids) {
            (Some(b), Some(t)) => Some(memlab(
                dump(loaded.last().unwrap()),
                b,
                t,
                ["baseline", "target", "final"],
                20,
            )),
            _ => None,
        };
        (
            build_trend(
                &s,
                m,
                &TrendOptions {
                    rows: 0,
                    ..Default::default()
                },
            ),
            loaded,
        )
    }

    /// The line of `file` (under testdata/) whose text contains `needle`, 1-based.
    fn line_of(file: &str, needle: &str) -> usize {
        let text = std::fs::read_to_string(testdata(file)).unwrap();
        1 + text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} in {file}"))
    }

    const PYTHONS: [&str; 6] = ["py38", "py39", "py310", "py311", "py312", "py313"];

    #[test]
    fn tracemalloc_diff_equals_cpython_compare_to_row_for_row() {
        let mut checked = 0;
        for py in PYTHONS {
            let reference: Value = serde_json::from_str(
                &std::fs::read_to_string(testdata(&format!(
                    "python/reference/series-{py}.compare.json"
                )))
                .unwrap(),
            )
            .unwrap();
            for pair in reference["pairs"].as_array().unwrap() {
                for key in ["lineno", "filename", "traceback"] {
                    let old = open(
                        &format!("python/snapshots/{}", pair["old"].as_str().unwrap()),
                        None,
                        Some(key),
                    );
                    let new = open(
                        &format!("python/snapshots/{}", pair["new"].as_str().unwrap()),
                        None,
                        Some(key),
                    );
                    let d = diff(&old, &new, Some(key));
                    let ours: Vec<(String, u64, i64, u64, i64)> = d
                        .types
                        .iter()
                        .map(|r| {
                            (
                                r.type_name.clone(),
                                r.target.shallow_bytes,
                                r.change.shallow_bytes,
                                r.target.count,
                                r.change.count,
                            )
                        })
                        .collect();
                    let theirs: Vec<(String, u64, i64, u64, i64)> = pair[key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|row| {
                            let k = match &row[0] {
                                Value::Array(frames) => frames
                                    .iter()
                                    .map(|f| f.as_str().unwrap())
                                    .collect::<Vec<_>>()
                                    .join(";"),
                                v => v.as_str().unwrap().to_string(),
                            };
                            (
                                k,
                                row[1].as_u64().unwrap(),
                                row[2].as_i64().unwrap(),
                                row[3].as_u64().unwrap(),
                                row[4].as_i64().unwrap(),
                            )
                        })
                        .collect();
                    assert_eq!(
                        ours, theirs,
                        "{py} {} → {} by {key}",
                        pair["old"], pair["new"]
                    );
                    checked += theirs.len();
                }
            }
        }
        assert!(checked > 100, "{checked} rows compared");
    }

    #[test]
    fn tracemalloc_trend_calls_the_leak_linear_and_the_cache_levelling_off() {
        let leak = format!(
            "series.py:{}",
            line_of("python/src/series.py", "LEAK.append")
        );
        let cache = format!(
            "series.py:{}",
            line_of("python/src/series.py", "CACHE[key] =")
        );
        for py in PYTHONS {
            let files: Vec<String> = (1..=3)
                .map(|i| format!("python/snapshots/series-{py}-{i}.tracemalloc"))
                .collect();
            let (r, _) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
            assert!(
                r.types[0].type_name.ends_with(&leak),
                "{py}: first is {}",
                r.types[0].type_name
            );
            assert_eq!(r.types[0].fit.shape, "linear", "{py}");
            let c = r
                .types
                .iter()
                .find(|t| t.type_name.ends_with(&cache))
                .unwrap();
            assert_eq!(c.fit.shape, "levelling-off", "{py}");
            assert!(
                c.fit.net_change > r.types[0].fit.net_change,
                "{py}: the cache grew more overall"
            );
            let kinds: Vec<&str> = r.verdicts.iter().map(|v| v.kind.as_str()).collect();
            assert_eq!(kinds, ["true-leak", "unbounded-cache"], "{py}");
            assert!(r.verdicts[1].subject.ends_with(&cache));
            assert_eq!(
                r.time_axis.source, "steps",
                "tracemalloc snapshots record no time"
            );
        }
    }

    #[test]
    fn a_snapshot_repeated_has_nothing_growing() {
        // The healthy controls repeated are the floor of the noise rule: nothing may grow,
        // nothing may be called a leak. The real healthy series are checked further below.
        for f in [
            "python/snapshots/healthy-py312.tracemalloc",
            "node/snapshots/healthy.heapsnapshot",
            "go/healthy/heap.txt",
        ] {
            let (r, _) = trend(&[f, f, f], None);
            let growing: Vec<&str> = r
                .types
                .iter()
                .chain(&r.paths)
                .filter(|x| x.fit.shape != "stable")
                .map(|x| x.type_name.as_str())
                .collect();
            assert!(growing.is_empty(), "{f}: {growing:?}");
            assert!(r.verdicts.is_empty(), "{f}: {:?}", r.verdicts);
        }
    }

    /// A `go tool pprof -top` listing: function → (flat, cum).
    fn pprof_top(rel: &str) -> BTreeMap<String, (i64, i64)> {
        let text = std::fs::read_to_string(testdata(rel)).unwrap();
        let num = |s: &str| -> i64 {
            s.trim_end_matches('B')
                .parse()
                .unwrap_or_else(|_| panic!("{s} in {rel}"))
        };
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
            for st in [
                "inuse_space",
                "inuse_objects",
                "alloc_space",
                "alloc_objects",
            ] {
                let form = "txt";
                let b = open(&format!("go/growth/heap.{old}.{form}"), Some(st), None);
                let t = open(&format!("go/growth/heap.{new}.{form}"), Some(st), None);
                let d = diff(&b, &t, None);
                let reference = pprof_top(&format!(
                    "go/reference/growth/heap.{new}-heap.{old}.{form}.{st}.top"
                ));
                let ours: BTreeMap<String, (i64, i64)> = d
                    .types
                    .iter()
                    .map(|r| {
                        (
                            r.type_name.clone(),
                            (r.change.shallow_bytes, r.change.retained_bytes),
                        )
                    })
                    .collect();
                for (f, v) in &reference {
                    // testdata/go/README.md: pprof shows `runtime.goexit` at the root of the text
                    // form only (from its drop-frames rule on legacy profiles); the text itself
                    // does not name it, and the parser names the frames both forms share.
                    if form == "txt" && f == "runtime.goexit" {
                        continue;
                    }
                    if *v == (0, 0) {
                        assert!(
                            !ours.contains_key(f),
                            "{st} {new}-{old}: {f} unchanged but listed"
                        );
                        continue;
                    }
                    assert_eq!(
                        ours.get(f),
                        Some(v),
                        "{st} heap.{new} - heap.{old}: {f} (flat, cum)"
                    );
                    checked += 1;
                }
                for f in ours.keys() {
                    assert!(
                        reference.contains_key(f),
                        "{st} {new}-{old}: {f} is not in pprof's listing"
                    );
                }
            }
        }
        assert!(checked > 50, "{checked} rows compared");
    }

    #[test]
    fn pprof_trend_calls_the_audit_log_linear_and_the_cache_levelling_off() {
        let (r, _) = trend(
            &[
                "go/growth/heap.1.txt",
                "go/growth/heap.2.txt",
                "go/growth/heap.3.txt",
            ],
            None,
        );
        assert_eq!(r.types[0].type_name, "main.appendAudit");
        assert_eq!(r.types[0].fit.shape, "linear");
        let cache = r
            .types
            .iter()
            .find(|t| t.type_name == "main.fetchEntry")
            .unwrap();
        assert_eq!(cache.fit.shape, "levelling-off");
        assert!(
            cache.fit.net_change > r.types[0].fit.net_change,
            "the cache grew more overall"
        );
        assert_eq!(r.time_axis.source, "dump", "pprof records time_nanos");
        let cv = r
            .verdicts
            .iter()
            .find(|v| v.kind == "unbounded-cache")
            .unwrap();
        assert_eq!(cv.subject, "main.fetchEntry");
        assert!(!r.verdicts.iter().any(|v| v.kind == "fragmentation"));
    }

    #[test]
    fn go_fragmentation_is_told_from_memstats() {
        let frag = open("go/fragmentation/heap.txt", None, None);
        let d = diff(&frag, &frag, None);
        let v = d
            .verdicts
            .iter()
            .find(|v| v.kind == "fragmentation")
            .expect("fragmentation verdict");
        let m = frag.info.details["memstats"].as_object().unwrap();
        let (alloc, inuse) = (
            m["HeapAlloc"].as_u64().unwrap(),
            m["HeapInuse"].as_u64().unwrap(),
        );
        assert!(
            v.evidence[0].contains(&format!("{:.1}×", inuse as f64 / alloc as f64)),
            "{:?}",
            v.evidence
        );
        for healthy in [
            "go/healthy/heap.txt",
            "go/global_map/heap.txt",
            "go/growth/heap.3.txt",
        ] {
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
        assert!(
            linear_path.path.as_deref().unwrap().contains("pending"),
            "{:?}",
            linear_path.path
        );
        let map = r
            .paths
            .iter()
            .find(|p| {
                p.type_name == "Map"
                    && p.path
                        .as_deref()
                        .is_some_and(|s| s.contains("sessionCache"))
            })
            .unwrap();
        assert_eq!(map.fit.shape, "levelling-off");
        let pending = r
            .paths
            .iter()
            .find(|p| {
                p.path
                    .as_deref()
                    .is_some_and(|s| s.ends_with("pending > Array"))
            })
            .unwrap();
        assert!(
            map.fit.net_change > pending.fit.net_change,
            "the cache grew more overall"
        );
        let cache = r
            .verdicts
            .iter()
            .find(|v| v.kind == "unbounded-cache")
            .unwrap();
        assert!(cache.subject.contains("sessionCache"), "{}", cache.subject);
        // memlab: the jobs added between baseline and target are all still pending in final.
        let jobs = &r.types[0].series;
        let added = jobs[1].count - jobs[0].count;
        let m = r.memlab.as_ref().unwrap();
        let c = m
            .clusters
            .iter()
            .find(|c| c.type_name == "PendingJob")
            .unwrap();
        assert_eq!(c.count, added);
        assert!(c.retainer_path.as_deref().unwrap().contains("pending"));
        // Diff target → final: the new PendingJobs are exactly the count change (none finish).
        let d = diff(&loaded[1], &loaded[2], None);
        let n = d.new_objects.as_ref().unwrap();
        let new_jobs = n
            .by_type
            .iter()
            .find(|t| t.type_name == "PendingJob")
            .unwrap();
        assert_eq!(
            new_jobs.count as i64,
            d.types
                .iter()
                .find(|t| t.type_name == "PendingJob")
                .unwrap()
                .change
                .count
        );
    }

    /// (instances, bytes) of a class in a `jcmd GC.class_histogram` file.
    fn histo(rel: &str, class: &str) -> (i64, i64) {
        let text = std::fs::read_to_string(testdata(rel)).unwrap();
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(3) == Some(class))
            .unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        (f[1].parse().unwrap(), f[2].parse().unwrap())
    }

    #[test]
    fn hprof_trend_and_diff_on_the_growth_series() {
        let files = [
            "java/dumps/growth_1.hprof.gz",
            "java/dumps/growth_2.hprof.gz",
            "java/dumps/growth_3.hprof.gz",
        ];
        let (r, loaded) = trend(&files, None);
        assert_eq!(r.types[0].type_name, "com.acme.Order");
        assert_eq!(r.types[0].fit.shape, "linear");
        let leak_path = r.paths.iter().find(|p| p.fit.shape == "linear").unwrap();
        assert!(
            leak_path
                .path
                .as_deref()
                .unwrap()
                .contains("class com.acme.OrderService"),
            "{:?}",
            leak_path.path
        );
        let map = r
            .paths
            .iter()
            .find(|p| {
                p.path.as_deref().is_some_and(|s| {
                    s.ends_with(
                        "class com.acme.CustomerCache > static PROFILES > java.util.HashMap",
                    )
                })
            })
            .unwrap();
        assert_eq!(map.fit.shape, "levelling-off");
        let log = r
            .paths
            .iter()
            .find(|p| {
                p.path
                    .as_deref()
                    .is_some_and(|s| s.ends_with("static AUDIT_LOG > java.util.ArrayList"))
            })
            .unwrap();
        assert!(
            map.fit.net_change > log.fit.net_change,
            "the cache grew more overall"
        );
        let leak = r.verdicts.iter().find(|v| v.kind == "true-leak").unwrap();
        assert_eq!(leak.subject, "com.acme.Order");
        let cache = r
            .verdicts
            .iter()
            .find(|v| v.kind == "unbounded-cache")
            .unwrap();
        assert!(cache.subject.contains("CustomerCache"), "{}", cache.subject);
        assert_eq!(r.time_axis.source, "dump", "HPROF headers record the time");
        // Diff 1 → 3 by class equals the JVM's own class histograms.
        let d = diff(&loaded[0], &loaded[2], None);
        let (c1, b1) = histo("java/dumps/growth_1.histo.txt", "com.acme.Order");
        let (c3, b3) = histo("java/dumps/growth_3.histo.txt", "com.acme.Order");
        let row = d
            .types
            .iter()
            .find(|t| t.type_name == "com.acme.Order")
            .unwrap();
        assert_eq!(
            (row.change.count, row.change.shallow_bytes),
            (c3 - c1, b3 - b1)
        );
        let by_path = d.paths.iter().find(|p| p.path.as_deref().is_some_and(|s| s.ends_with("static AUDIT_LOG > java.util.ArrayList > elementData > java.lang.Object[] > [] > com.acme.Order"))).unwrap();
        assert_eq!(by_path.change.count, c3 - c1);
    }

    // ---- Healthy series: one healthy process, three dumps (testdata/<runtime>/healthy_series/).
    // Each service does real work (allocates and frees per request) beside a bounded LRU cache
    // that is full before the first dump; issue 8: "the healthy series has nothing growing above
    // noise". The noise is the trend's own rule (reports/src/overtime/shape.rs), applied to the
    // diff's two points the same way.

    /// The integer a source file assigns to `name` (`NAME = 2_000`, `const NAME = 300;`).
    fn source_const(file: &str, name: &str) -> u64 {
        let text = std::fs::read_to_string(testdata(file)).unwrap();
        for line in text.lines() {
            let Some(at) = line.find(name) else { continue };
            let rest = line[at + name.len()..].trim_start();
            let Some(rest) = rest.strip_prefix('=').filter(|r| !r.starts_with('=')) else {
                continue;
            };
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '_')
                .filter(|c| *c != '_')
                .collect();
            if let Ok(v) = digits.parse() {
                return v;
            }
        }
        panic!("no `{name} = <integer>` in {file}")
    }

    fn trend_grouped(files: &[String], group_by: Option<&str>) -> (TrendReport, Vec<Loaded>) {
        let loaded: Vec<Loaded> = files.iter().map(|f| open(f, None, group_by)).collect();
        let s: Vec<_> = loaded.iter().map(|l| summarize(dump(l))).collect();
        (
            build_trend(
                &s,
                None,
                &TrendOptions {
                    rows: 0,
                    ..Default::default()
                },
            ),
            loaded,
        )
    }

    /// Rows the trend calls growing (`linear` or `levelling-off`: above the noise by the rule).
    fn growing(rows: &[heapscope_reports::overtime::TrendRow]) -> Vec<String> {
        rows.iter()
            .filter(|x| matches!(x.fit.shape.as_str(), "linear" | "levelling-off"))
            .map(|x| {
                let s: Vec<String> = x.series.iter().map(|v| x.value(v).to_string()).collect();
                format!(
                    "{} {} (+{} B, noise {} B, {}): {}",
                    x.fit.shape,
                    x.metric,
                    x.fit.net_change,
                    x.fit.noise_bytes,
                    s.join(" → "),
                    x.path.as_deref().unwrap_or(&x.type_name)
                )
            })
            .collect()
    }

    /// Diff rows whose metric grew by more than the trend's noise rule allows for those two points.
    fn diff_growing(
        d: &DiffReport,
        rows: &[heapscope_reports::overtime::DiffRow],
        retained: bool,
    ) -> Vec<String> {
        let mean_heap = (d.base.reachable_bytes + d.target.reachable_bytes) as f64 / 2.0;
        rows.iter()
            .filter_map(|r| {
                let (b, t) = if retained {
                    (r.base.retained_bytes, r.target.retained_bytes)
                } else {
                    (r.base.shallow_bytes, r.target.shallow_bytes)
                };
                let noise = heapscope_reports::overtime::shape::noise_bytes(
                    &[b as f64, t as f64],
                    mean_heap,
                );
                (t as i64 - b as i64 > noise as i64).then(|| {
                    format!(
                        "{} +{} B (noise {noise} B)",
                        r.path.as_deref().unwrap_or(&r.type_name),
                        t as i64 - b as i64
                    )
                })
            })
            .collect()
    }

    /// By type: no type row grows above noise, the reachable heap is stable, and the diff 1 → 3
    /// has no type that grew above noise. Returns the trend for the callers' own checks.
    fn assert_no_type_grows(
        what: &str,
        r: &TrendReport,
        first: &Loaded,
        last: &Loaded,
        group_by: Option<&str>,
    ) -> DiffReport {
        assert!(r.types.len() > 5, "{what}: {} type rows", r.types.len());
        assert_eq!(
            r.total.fit.shape, "stable",
            "{what}: reachable heap {:?}",
            r.total.series
        );
        let g = growing(&r.types);
        assert!(
            g.is_empty(),
            "{what}: type rows growing in a healthy process:\n{}",
            g.join("\n")
        );
        let d = diff(first, last, group_by);
        assert!(!d.types.is_empty(), "{what}: the diff compared nothing");
        let g = diff_growing(&d, &d.types, false);
        assert!(
            g.is_empty(),
            "{what}: diff 1 → 3, types grown above noise:\n{}",
            g.join("\n")
        );
        d
    }

    /// By path to a GC root (object heaps): no path row grows above noise, and no verdict.
    fn assert_no_path_grows(what: &str, r: &TrendReport, d: &DiffReport) {
        assert!(r.paths.len() > 5, "{what}: {} path rows", r.paths.len());
        let g = growing(&r.paths);
        assert!(
            g.is_empty(),
            "{what}: path rows growing in a healthy process:\n{}",
            g.join("\n")
        );
        let g = diff_growing(d, &d.paths, true);
        assert!(
            g.is_empty(),
            "{what}: diff 1 → 3, paths grown above noise:\n{}",
            g.join("\n")
        );
    }

    fn assert_no_verdict(what: &str, r: &TrendReport) {
        let v: Vec<String> = r
            .verdicts
            .iter()
            .map(|v| format!("{}: {}", v.kind, v.summary))
            .collect();
        assert!(
            v.is_empty(),
            "{what}: verdicts on a healthy process:\n{}",
            v.join("\n")
        );
    }

    #[test]
    fn tracemalloc_healthy_series_has_nothing_growing() {
        let src = "python/healthy_series/src/healthy_series.py";
        let (capacity, value_bytes) = (
            source_const(src, "CAPACITY"),
            source_const(src, "VALUE_BYTES"),
        );
        let value_line = format!("healthy_series.py:{}", line_of(src, ".encode(\"ascii\")"));
        for py in ["py38", "py311", "py313"] {
            for group_by in ["lineno", "traceback"] {
                let what = format!("{py} by {group_by}");
                let files: Vec<String> = (1..=3)
                    .map(|i| format!("python/healthy_series/healthy_series-{py}-{i}.tracemalloc"))
                    .collect();
                let (r, loaded) = trend_grouped(&files, Some(group_by));
                assert_no_type_grows(&what, &r, &loaded[0], &loaded[2], Some(group_by));
                assert_no_verdict(&what, &r);
                if group_by == "lineno" {
                    // The full cache is in every snapshot, and stable: the test sees the work.
                    let row = r
                        .types
                        .iter()
                        .find(|t| t.type_name.ends_with(&value_line))
                        .unwrap_or_else(|| panic!("{what}: {value_line}"));
                    assert!(
                        row.series
                            .iter()
                            .all(|s| s.count == capacity
                                && s.shallow_bytes >= capacity * value_bytes),
                        "{what}: {:?}",
                        row.series
                    );
                    assert_eq!(row.fit.shape, "stable");
                }
            }
        }
    }

    #[test]
    fn v8_healthy_series_has_nothing_growing() {
        let files: Vec<String> = (1..=3)
            .map(|i| format!("node/healthy_series/healthy_series_{i}.heapsnapshot"))
            .collect();
        let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
        let d = assert_no_type_grows("v8", &r, &loaded[0], &loaded[2], None);
        assert_no_path_grows("v8", &r, &d);
        assert_no_verdict("v8", &r);
        let cap = source_const("node/healthy_series/src/healthy-series.js", "CACHE_CAP");
        let products = r.types.iter().find(|t| t.type_name == "Product").unwrap();
        assert!(
            products.series.iter().all(|s| s.count == cap),
            "the LRU is full in every snapshot: {:?}",
            products.series
        );
        assert_eq!(products.fit.shape, "stable");
        // Node ids are stable: the LRU churned between the dumps (evicted entries are gone by id,
        // new ones took their place), yet nothing grew.
        let n = d.new_objects.as_ref().unwrap();
        assert!(
            n.gone_count >= products.series[0].count / 10 && n.count > 0,
            "{} gone, {} new",
            n.gone_count,
            n.count
        );
    }

    #[test]
    fn hprof_healthy_series_by_class_has_nothing_growing() {
        let files: Vec<String> = (1..=3)
            .map(|i| format!("java/healthy_series/healthy_series_{i}.hprof.gz"))
            .collect();
        let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
        assert_no_type_grows("hprof", &r, &loaded[0], &loaded[2], None);
        assert_eq!(r.time_axis.source, "dump");
        // The per-class numbers are the JVM's own (jcmd GC.class_histogram beside each dump).
        for (i, l) in ["1", "2", "3"].iter().enumerate() {
            let (count, bytes) = histo(
                &format!("java/healthy_series/healthy_series_{l}.histo.txt"),
                "java.util.LinkedHashMap$Entry",
            );
            let row = r
                .types
                .iter()
                .find(|t| t.type_name == "java.util.LinkedHashMap$Entry")
                .unwrap();
            assert_eq!(
                (
                    row.series[i].count as i64,
                    row.series[i].shallow_bytes as i64
                ),
                (count, bytes),
                "dump {l}"
            );
        }
        // The full cache, stable as a whole (its holder's path row).
        let src = "java/healthy_series/src/com/acme/healthy/HealthyService.java";
        let (capacity, value_bytes) = (
            source_const(src, "CAPACITY"),
            source_const(src, "VALUE_BYTES"),
        );
        let cache = r
            .paths
            .iter()
            .find(|p| {
                p.path.as_deref().is_some_and(|s| {
                    s.ends_with("static CACHE > com.acme.healthy.HealthyService$ProductCache")
                })
            })
            .unwrap();
        assert!(
            cache
                .series
                .iter()
                .all(|s| s.retained_bytes >= capacity * value_bytes),
            "{:?}",
            cache.series
        );
        assert_eq!(cache.fit.shape, "stable");
    }

    /// The entries of the one full LinkedHashMap are reached through whichever link the shortest
    /// path happens to use (`[] > Entry`, `> next > Entry`, `> before > Entry`, `> after >
    /// Entry`), which changes as the LRU churns. Signatures collapse same-type chains, so all
    /// the entries stay in the rows of the ways into the map (the table, `head`, `tail`); before
    /// that, bytes moved between sibling rows and one was called linear (a true-leak verdict).
    /// See testdata/java/healthy_series/README.md.
    #[test]
    fn hprof_healthy_series_by_path_has_nothing_growing() {
        let files: Vec<String> = (1..=3)
            .map(|i| format!("java/healthy_series/healthy_series_{i}.hprof.gz"))
            .collect();
        let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
        let d = diff(&loaded[0], &loaded[2], None);
        assert_no_path_grows("hprof", &r, &d);
        assert_no_verdict("hprof", &r);
        // Every entry of the cache is in a path row (the JVM's histogram count), and no row
        // steps from an entry to an entry.
        let entry = "java.util.LinkedHashMap$Entry";
        let rows: Vec<_> = r.paths.iter().filter(|p| p.type_name == entry).collect();
        for (i, l) in ["1", "2", "3"].iter().enumerate() {
            let (count, _) = histo(
                &format!("java/healthy_series/healthy_series_{l}.histo.txt"),
                entry,
            );
            assert_eq!(
                rows.iter().map(|p| p.series[i].count as i64).sum::<i64>(),
                count,
                "dump {l}"
            );
        }
        let linked = format!("{entry} > ");
        for p in &rows {
            let path = p.path.as_deref().unwrap();
            assert!(!path.contains(&linked), "{path}");
            assert!(path.contains("static CACHE"), "{path}");
        }
        assert!(
            rows.len() <= 3,
            "the table, head and tail: {:#?}",
            rows.iter().map(|p| &p.path).collect::<Vec<_>>()
        );
    }

    /// The heap as a whole and the cache's values are stable in both forms of the profile.
    #[test]
    fn pprof_healthy_series_heap_and_cache_are_stable() {
        let src = "go/healthy_series/src/main.go";
        let (capacity, value_bytes) = (
            source_const(src, "capacity"),
            source_const(src, "valueBytes"),
        );
        for form in ["pb.gz", "txt"] {
            let files: Vec<String> = (1..=3)
                .map(|i| format!("go/healthy_series/heap.{i}.{form}"))
                .collect();
            let (r, _) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
            assert_eq!(
                r.total.fit.shape, "stable",
                "{form}: in-use heap {:?}",
                r.total.series
            );
            let values = r
                .types
                .iter()
                .find(|t| t.type_name == "main.loadProduct")
                .unwrap();
            assert!(
                values
                    .series
                    .iter()
                    .all(|s| (s.count, s.shallow_bytes) == (capacity, capacity * value_bytes)),
                "{form}: {:?}",
                values.series
            );
            assert_eq!(values.fit.shape, "stable");
            assert!(
                !r.verdicts
                    .iter()
                    .any(|v| v.kind == "fragmentation" || v.kind == "true-leak"),
                "{form}: {:?}",
                r.verdicts
            );
        }
    }

    /// The LRU's Go map gains overflow buckets (208-byte objects at `c.items[key] = …`) as keys
    /// churn, until a same-size grow clears them: the site `main.(*lru).get` grows 5 % between
    /// the profiles (a bounded sawtooth) and is called levelling-off, rightly so for that row.
    /// But the in-use heap is stable, and the row moved by less than the heap's own noise, so it
    /// gets no verdict (reports/src/overtime/verdict.rs, `above_heap_noise`) and the report says
    /// why. Every row that grows here grows by less than that noise, in the trend and in the
    /// diff 1 → 3. See testdata/go/healthy_series/README.md.
    #[test]
    fn pprof_healthy_series_grows_only_within_the_heaps_noise_and_gets_no_verdict() {
        // The function of main.go that inserts into the map (`c.items[key] = …`).
        let churned = "main.(*lru).get";
        for form in ["pb.gz", "txt"] {
            let files: Vec<String> = (1..=3)
                .map(|i| format!("go/healthy_series/heap.{i}.{form}"))
                .collect();
            let (r, loaded) = trend(&files.iter().map(String::as_str).collect::<Vec<_>>(), None);
            assert_eq!(
                r.total.fit.shape, "stable",
                "{form}: in-use heap {:?}",
                r.total.series
            );
            let heap_noise = r.total.fit.noise_bytes as i64;
            assert_no_verdict(form, &r);
            let growing: Vec<_> = r
                .types
                .iter()
                .filter(|x| matches!(x.fit.shape.as_str(), "linear" | "levelling-off"))
                .collect();
            for x in &growing {
                assert!(
                    x.fit.net_change <= heap_noise,
                    "{form}: {} +{} B above the heap's noise {heap_noise} B",
                    x.type_name,
                    x.fit.net_change
                );
            }
            // The one grower is the map's insertion site, and the report says why it has no verdict.
            let names: Vec<&str> = growing.iter().map(|x| x.type_name.as_str()).collect();
            assert_eq!(names, [churned], "{form}");
            assert!(
                r.warnings
                    .iter()
                    .any(|w| w.contains("reachable heap is stable") && w.contains(churned)),
                "{form}: {:?}",
                r.warnings
            );
            // The diff 1 → 3 agrees: nothing grew by more than the heap's noise.
            let d = diff(&loaded[0], &loaded[2], None);
            assert!(!d.types.is_empty(), "{form}: the diff compared nothing");
            let mean_heap = (d.base.reachable_bytes + d.target.reachable_bytes) as f64 / 2.0;
            let heap = heapscope_reports::overtime::shape::noise_bytes(
                &[
                    d.base.reachable_bytes as f64,
                    d.target.reachable_bytes as f64,
                ],
                mean_heap,
            ) as i64;
            let above: Vec<String> = d
                .types
                .iter()
                .filter(|t| t.change.shallow_bytes > heap)
                .map(|t| format!("{} +{} B", t.type_name, t.change.shallow_bytes))
                .collect();
            assert!(
                above.is_empty(),
                "{form}: diff 1 → 3 above the heap's noise {heap} B: {above:?}"
            );
        }
    }
}
