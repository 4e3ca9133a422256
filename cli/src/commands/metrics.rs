//! `heapscope metrics FILE…` or `heapscope metrics --prometheus URL …`: the guide's metric
//! questions (growth shape, GC trend, request rate, time to the limit) per service, from
//! Prometheus range-query results — files (`parsers::prometheus`) or the server's HTTP API,
//! asked here with a small blocking client (ureq, plain HTTP).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use clap::Args;
use heapscope_graph::series::{MetricSeries, Samples, SeriesKey};
use heapscope_parsers::prometheus;
use heapscope_reports::metrics::{self, MetricsReport, Options, VerdictKind};
use heapscope_reports::overtime::{parse_rfc3339, parse_size};

use crate::format::{self, Format};
use crate::{output, CliError, EXIT_OK, EXIT_SUSPECT};

#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// Files of Prometheus query results (the JSON of /api/v1/query_range; several responses as
    /// a JSON array or one a line).
    pub files: Vec<PathBuf>,
    /// Ask this Prometheus server (http://host:9090) instead of reading files.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Label matchers added to every query, e.g. '{service="api"}'.
    #[arg(long, value_name = "MATCHERS")]
    pub selector: Option<String>,
    /// A query whose result counts as the request rate (per second), instead of
    /// rate(http_requests_total[…]).
    #[arg(long, value_name = "QUERY")]
    pub requests: Option<String>,
    /// More queries to ask (their series are read as their names say), repeatable.
    #[arg(long = "query", value_name = "QUERY")]
    pub queries: Vec<String>,
    /// Start of the range: RFC 3339, unix seconds, or relative to now (-24h, -30m, -7d).
    #[arg(long, default_value = "-1h", allow_hyphen_values = true)]
    pub start: String,
    /// End of the range: as --start, or `now`.
    #[arg(long, default_value = "now", allow_hyphen_values = true)]
    pub end: String,
    /// Resolution: 15s, 1m … (default: the range ÷ 250, at least 1s).
    #[arg(long)]
    pub step: Option<String>,
    /// The window of rate(): default 4 steps, at least 1m.
    #[arg(long = "rate-window")]
    pub rate_window: Option<String>,
    /// Also write the server's responses here (one a line): a file `heapscope metrics` reads.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Memory limit to project against, e.g. 4GiB (wins over container_spec_memory_limit_bytes).
    #[arg(long)]
    pub limit: Option<String>,
    /// Exit with status 1 when a target's verdict is a true leak.
    #[arg(long)]
    pub fail_on_leak: bool,
    /// Output form.
    #[arg(long, default_value = "text", value_parser = format::parser(&format::ALL))]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

fn bad(msg: String) -> CliError {
    CliError::BadInput(anyhow!(msg))
}

/// A duration: `90`, `15s`, `5m`, `1h`, `7d`, `1w`, `500ms` → seconds.
pub fn parse_duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("a duration like 15s, 5m, 1h or 7d, not {s:?}"))?;
    let mult = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return Err(format!("a duration like 15s, 5m, 1h or 7d, not {s:?}")),
    };
    Ok(v * mult)
}

/// An instant: `now`, `-24h` (relative to `now`), unix seconds, or RFC 3339 → unix seconds.
pub fn parse_instant(s: &str, now: f64) -> Result<f64, String> {
    let t = s.trim();
    if t == "now" {
        Ok(now)
    } else if let Some(rel) = t.strip_prefix('-') {
        Ok(now - parse_duration(rel)?)
    } else if let Ok(v) = t.parse::<f64>() {
        Ok(v)
    } else {
        parse_rfc3339(t).map(|ms| ms as f64 / 1000.0)
    }
}

/// The matchers inside a selector, without braces: `{service="api"}` → `service="api"`.
fn matchers(sel: Option<&str>) -> String {
    sel.map(|s| {
        s.trim()
            .trim_start_matches('{')
            .trim_end_matches('}')
            .trim()
            .to_string()
    })
    .unwrap_or_default()
}

/// `name{matchers}` (just `name` without matchers).
fn select(name: &str, m: &str) -> String {
    if m.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{m}}}")
    }
}

/// The queries the checklist needs, with the selector's matchers in each.
pub fn queries(args: &MetricsArgs, window: &str) -> Vec<String> {
    let m = matchers(args.selector.as_deref());
    let by = format!("sum by ({})", metrics::IDENTITY.join(", "));
    let rate = |name: &str| format!("{by} (rate({}[{window}]))", select(name, &m));
    let mut q = vec![
        select("container_memory_working_set_bytes", &m),
        select("process_resident_memory_bytes", &m),
    ];
    if args.limit.is_none() {
        q.push(select("container_spec_memory_limit_bytes", &m));
    }
    for gc in [
        "jvm_gc_pause_seconds_sum",
        "go_gc_duration_seconds_sum",
        "nodejs_gc_duration_seconds_sum",
        "python_gc_collections_total",
    ] {
        q.push(rate(gc));
    }
    q.push(
        args.requests
            .clone()
            .unwrap_or_else(|| rate("http_requests_total")),
    );
    q.push(select("go_memstats_heap_inuse_bytes", &m));
    q.push(select("go_memstats_heap_alloc_bytes", &m));
    q.extend(args.queries.iter().cloned());
    q
}

/// Responses larger than this are refused (a range too long for its step).
const MAX_RESPONSE: u64 = 512 << 20;

/// Ask `/api/v1/query_range` for one query; the response with `"query"` added, as a line.
fn ask(
    agent: &ureq::Agent,
    base: &str,
    q: &str,
    (start, end, step): (f64, f64, f64),
) -> Result<String, CliError> {
    let url = format!("{}/api/v1/query_range", base.trim_end_matches('/'));
    let said = |code: u16, body: &str| {
        let msg = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_else(|| body.chars().take(300).collect());
        bad(format!("{url} (query {q}): HTTP {code}: {msg}"))
    };
    let resp = agent
        .get(&url)
        .query("query", q)
        .query("start", &format!("{start:.3}"))
        .query("end", &format!("{end:.3}"))
        .query("step", &format!("{step}"))
        .call();
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let body = r.into_string().unwrap_or_default();
            return Err(said(code, &body));
        }
        Err(e) => return Err(bad(format!("{url}: {e}"))),
    };
    let mut body = String::new();
    resp.into_reader()
        .take(MAX_RESPONSE + 1)
        .read_to_string(&mut body)
        .map_err(|e| bad(format!("{url}: reading the response: {e}")))?;
    if body.len() as u64 > MAX_RESPONSE {
        return Err(bad(format!(
            "{url} (query {q}): the response is larger than {} MiB: use a larger --step",
            MAX_RESPONSE >> 20
        )));
    }
    let t = body.trim();
    let Some(rest) = t
        .strip_prefix('{')
        .filter(|r| r.trim_start().starts_with('"'))
    else {
        return Err(bad(format!(
            "{url} (query {q}): expected a JSON object, the server said: {}",
            t.chars().take(300).collect::<String>()
        )));
    };
    let quoted = serde_json::to_string(q).map_err(|e| CliError::Internal(e.into()))?;
    Ok(format!("{{\"query\":{quoted},{rest}\n"))
}

/// The series of every query, from the server.
fn from_server(args: &MetricsArgs, base: &str) -> Result<Vec<MetricSeries>, CliError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let start =
        parse_instant(&args.start, now).map_err(|e| bad(format!("--start: expected {e}")))?;
    let end = parse_instant(&args.end, now).map_err(|e| bad(format!("--end: expected {e}")))?;
    // NaN bounds fail too.
    if end.is_nan() || start.is_nan() || end <= start {
        return Err(bad(format!(
            "--start must be before --end ({} and {})",
            args.start, args.end
        )));
    }
    let step = match &args.step {
        Some(s) => parse_duration(s).map_err(|e| bad(format!("--step: expected {e}")))?,
        None => ((end - start) / 250.0).ceil().max(1.0),
    };
    if step.is_nan() || step <= 0.0 {
        return Err(bad("--step must be positive".into()));
    }
    let window = match &args.rate_window {
        Some(w) => {
            parse_duration(w).map_err(|e| bad(format!("--rate-window: expected {e}")))?;
            w.clone()
        }
        None => format!("{}s", (4.0 * step).max(60.0).ceil() as u64),
    };
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build();
    let mut all = String::new();
    for q in queries(args, &window) {
        all.push_str(&ask(&agent, base, &q, (start, end, step))?);
    }
    if let Some(p) = &args.save {
        output::write_file(p, &all)?;
    }
    prometheus::read(all.as_bytes()).map_err(|f| {
        bad(format!(
            "{base}: the server's response at byte {}: expected {}",
            f.offset, f.expected
        ))
    })
}

/// Build the report from the files or the server.
pub fn report(args: &MetricsArgs) -> Result<MetricsReport, CliError> {
    let limit_bytes = match &args.limit {
        None => None,
        Some(s) => Some(parse_size(s).map_err(|e| bad(format!("--limit: expected {e}")))? as f64),
    };
    let (series, inputs) = match (&args.prometheus, args.files.is_empty()) {
        (Some(_), false) => {
            return Err(bad("give either files or --prometheus URL, not both".into()))
        }
        (None, true) => {
            return Err(bad(
                "metrics needs files of Prometheus query results or --prometheus URL".into(),
            ))
        }
        (Some(url), true) => (from_server(args, url)?, vec![url.clone()]),
        (None, false) => {
            let mut all = Vec::new();
            for f in &args.files {
                all.extend(prometheus::read_file(f)?);
            }
            (
                merge(all),
                args.files.iter().map(|p| p.display().to_string()).collect(),
            )
        }
    };
    Ok(metrics::analyze(
        &series,
        &Options {
            inputs,
            limit_bytes,
            requests_query: args.requests.clone(),
        },
    ))
}

/// Series of several files, merged by name and labels.
fn merge(all: Vec<MetricSeries>) -> Vec<MetricSeries> {
    let mut by: std::collections::BTreeMap<SeriesKey, Samples> = Default::default();
    for s in all {
        by.entry((s.name, s.labels)).or_default().extend(s.samples);
    }
    by.into_iter()
        .map(|((n, l), s)| MetricSeries::new(n, l, s))
        .collect()
}

/// `heapscope metrics`: the report to `-o` or `out`; exit 1 on a true leak with `--fail-on-leak`.
pub fn run(args: MetricsArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let report = report(&args)?;
    for w in &report.warnings {
        eprintln!("heapscope: warning: {w}");
    }
    output::write_to(
        out,
        args.output.as_deref(),
        &metrics::render(&report, args.format),
    )?;
    let leak = report
        .targets
        .iter()
        .any(|t| t.verdict.kind == VerdictKind::TrueLeak);
    Ok(if leak && args.fail_on_leak {
        EXIT_SUSPECT
    } else {
        EXIT_OK
    })
}
