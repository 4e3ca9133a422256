//! `heapscope metrics`: verdicts on the recorded exports of testdata/prometheus (real services
//! under real client libraries, scraped by a real Prometheus), checked against the scenarios'
//! own parameters; a real Prometheus started on backfilled data (promtool) and asked over HTTP;
//! the JSON contract; the HTML page in headless Chromium; exit codes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::util::{heapscope, root, stderr, stdout, tempdir};

use super::chromium;

const MIB: f64 = 1048576.0;
/// The scenarios of testdata/prometheus/services: each request's payload, the keys of the cache,
/// how long the load scenario keeps a payload, the leak's and cache's request rates
/// (record.py's `rate_of`).
const PAYLOAD: f64 = 256.0 * 1024.0;
const KEYS: f64 = 200.0;
const HOLD: f64 = 3.0;
const LEAK_RATE: f64 = 2.0;
const CACHE_RATE: f64 = 5.0;

fn json_of(args: &[&str]) -> Value {
    let o = heapscope(args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("JSON")
}

fn recorded(name: &str) -> String {
    format!("testdata/prometheus/{name}.json")
}

fn only_target(v: &Value) -> &Value {
    let t = v["targets"].as_array().unwrap();
    assert_eq!(t.len(), 1);
    &t[0]
}

fn fit<'a>(t: &'a Value, shape: &str) -> &'a Value {
    t["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["shape"] == shape)
        .unwrap_or_else(|| panic!("no {shape} fit"))
}

#[test]
fn recorded_scenarios_get_their_verdicts() {
    for runtime in ["python", "node"] {
        let leak = json_of(&[
            "metrics",
            "--format",
            "json",
            &recorded(&format!("{runtime}-leak")),
        ]);
        let t = only_target(&leak);
        assert_eq!(t["verdict"]["kind"], "true-leak", "{runtime}");
        // Two 256 KiB payloads a second, kept: 512 KiB/s of resident memory (a page or two of
        // allocator overhead per payload on top).
        let per_day = t["growth_per_day"].as_f64().unwrap();
        let expected = LEAK_RATE * PAYLOAD * 86_400.0;
        assert!(
            (per_day / expected - 1.0).abs() < 0.05,
            "{runtime}: {per_day} a day, expected {expected}"
        );
        let cache = json_of(&[
            "metrics",
            "--format",
            "json",
            &recorded(&format!("{runtime}-cache")),
        ]);
        let t = only_target(&cache);
        assert_eq!(t["verdict"]["kind"], "unbounded-cache", "{runtime}");
        // KEYS keys drawn at CACHE_RATE a second fill as 1 − e^(−t·rate/KEYS): τ = 40 s.
        let tau = fit(t, "levelling")["tau"].as_f64().unwrap();
        let expected_tau = KEYS / CACHE_RATE;
        assert!(
            tau > expected_tau / 2.0 && tau < expected_tau * 2.0,
            "{runtime}: τ {tau}, expected about {expected_tau}"
        );
        // The cache holds at most KEYS payloads (Node's GC frees replaced ones late: more).
        let b = fit(t, "levelling")["b"].as_f64().unwrap();
        assert!(
            b > KEYS * PAYLOAD * 0.75,
            "{runtime}: cache growth {}",
            b / MIB
        );
        let load = json_of(&[
            "metrics",
            "--format",
            "json",
            &recorded(&format!("{runtime}-load")),
        ]);
        let t = only_target(&load);
        assert_eq!(t["verdict"]["kind"], "normal-load", "{runtime}");
        // Each request keeps its payload HOLD seconds: HOLD × PAYLOAD bytes per request/s
        // (Node frees them at its next GC, later).
        let per_rate = t["requests"]["bytes_per_request_rate"].as_f64().unwrap();
        let expected = HOLD * PAYLOAD;
        assert!(
            per_rate > expected * 0.8 && per_rate < expected * 4.0,
            "{runtime}: {per_rate} per request/s, expected {expected}"
        );
        if runtime == "python" {
            assert!((per_rate / expected - 1.0).abs() < 0.15, "{per_rate}");
        }
        let healthy = json_of(&[
            "metrics",
            "--format",
            "json",
            &recorded(&format!("{runtime}-healthy")),
        ]);
        let t = only_target(&healthy);
        assert_eq!(t["verdict"]["kind"], "healthy", "{runtime}");
        assert_eq!(t["next"]["capture"], "nothing");
    }
}

#[test]
fn next_capture_follows_the_runtime_and_the_growth() {
    let node = json_of(&["metrics", "--format", "json", &recorded("node-leak")]);
    let t = only_target(&node);
    assert_eq!(t["runtime"], "node");
    assert_eq!(t["next"]["capture"], "three-snapshots");
    let py = json_of(&["metrics", "--format", "json", &recorded("python-leak")]);
    let t = only_target(&py);
    assert_eq!(t["runtime"], "python");
    assert_eq!(t["next"]["capture"], "two-dumps");
    // The interval lets the growth clear ten times the noise (and 1 MiB), within a minute..a day.
    let interval = t["next"]["interval_seconds"].as_f64().unwrap();
    let growth = t["growth_per_day"].as_f64().unwrap() / 86_400.0;
    let noise = t["noise_bytes"].as_f64().unwrap();
    assert!((60.0..=86_400.0).contains(&interval));
    assert!(growth * interval >= (10.0 * noise).max(MIB) * 0.999 || interval == 60.0);
}

fn schema() -> jsonschema::JSONSchema {
    let text = std::fs::read_to_string(root().join("docs/metrics.schema.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .compile(&v)
        .unwrap_or_else(|e| panic!("the schema compiles: {e}"))
}

#[test]
fn json_follows_the_schema_and_is_deterministic() {
    let s = schema();
    let mut files: Vec<String> = std::fs::read_dir(root().join("testdata/prometheus"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "recorded.json")
        .map(|n| format!("testdata/prometheus/{n}"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 8);
    // One file at a time, and all together with a limit (several targets, crossings).
    let mut runs: Vec<Vec<String>> = files.iter().map(|f| vec![f.clone()]).collect();
    let mut all = files.clone();
    all.extend(["--limit".to_string(), "200MiB".to_string()]);
    runs.push(all);
    for args in runs {
        let mut a = vec!["metrics".to_string(), "--format".into(), "json".into()];
        a.extend(args.iter().cloned());
        let first = heapscope(&a);
        let second = heapscope(&a);
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        assert_eq!(first.stdout, second.stdout, "{args:?}: not deterministic");
        let v: Value = serde_json::from_slice(&first.stdout).unwrap();
        let msgs: Vec<String> = match s.validate(&v) {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect(),
        };
        assert!(
            msgs.is_empty(),
            "{args:?}: schema violations:\n{}",
            msgs.join("\n")
        );
    }
}

#[test]
fn exit_codes() {
    let leak = recorded("python-leak");
    let healthy = recorded("python-healthy");
    assert_eq!(
        heapscope(["metrics", &leak, "--fail-on-leak"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(heapscope(["metrics", &leak]).status.code(), Some(0));
    assert_eq!(
        heapscope(["metrics", &healthy, "--fail-on-leak"])
            .status
            .code(),
        Some(0)
    );
    let bad = heapscope([
        "metrics",
        "testdata/bad/prometheus/truncated_in_sample.json",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("at byte 127"), "{}", stderr(&bad));
    let both = heapscope(["metrics", &leak, "--prometheus", "http://127.0.0.1:9"]);
    assert_eq!(both.status.code(), Some(2));
    // A server that is not there: the URL is named.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let gone = heapscope(["metrics", "--prometheus", &url]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(stderr(&gone).contains(&url), "{}", stderr(&gone));
    // analyze on a metrics file points at `heapscope metrics`.
    let a = heapscope(["analyze", "-q", &leak]);
    assert_eq!(a.status.code(), Some(2));
    assert!(stderr(&a).contains("heapscope metrics"), "{}", stderr(&a));
}

#[test]
fn html_draws_one_point_per_sample_in_chromium() {
    let file = recorded("node-leak");
    let o = heapscope(["metrics", "--format", "html", "--limit", "1GiB", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = stdout(&o);
    let v = json_of(&["metrics", "--format", "json", "--limit", "1GiB", &file]);
    let samples = only_target(&v)["memory"]["points"]
        .as_array()
        .unwrap()
        .len();
    let Some((dom, console)) = chromium::load_in_chromium(&html, "metrics") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required in CI"
        );
        return;
    };
    assert!(console.is_empty(), "console messages: {console:?}");
    let fig = dom.find("id=\"memory-0\"").expect("the memory chart");
    let end = fig + dom[fig..].find("</figure>").unwrap();
    let points = dom[fig..end].matches("<circle class=\"point").count();
    assert_eq!(points, samples, "one point per sample");
    assert!(dom[fig..end].contains("class=\"series fitted"));
    assert!(dom[fig..end].contains("class=\"series projected"));
    assert!(dom[fig..end].contains("class=\"limit\""));
    assert!(dom[fig..end].contains("class=\"mark\""));
    // The terminal draws the same series as a sparkline.
    let text = stdout(&heapscope(["metrics", &file]));
    assert!(text.contains('▁') || text.contains('█'), "{text}");
}

// ---- A real Prometheus on backfilled data -------------------------------------------------

fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The backfilled scenarios: six hours at one sample a minute from T0, each a documented curve
/// with a deterministic ±0.5 MiB wiggle.
const T0: i64 = 1_700_000_000;
const MINUTES: i64 = 360;
const LEAK_BASE: f64 = 200.0 * MIB;
const LEAK_PER_HOUR: f64 = 50.0 * MIB;
const LIMIT: f64 = 1024.0 * MIB;
const CACHE_BASE: f64 = 200.0 * MIB;
const CACHE_SIZE: f64 = 300.0 * MIB;
const CACHE_TAU_H: f64 = 1.0;

fn wiggle(i: i64) -> f64 {
    (((i * 7919) % 11) as f64 - 5.0) / 10.0 * MIB
}

/// Request rate of the load scenario at minute i: 10 ± 8 per second over a two-hour cycle.
fn load_rate(i: i64) -> f64 {
    10.0 + 8.0 * (std::f64::consts::TAU * i as f64 / 120.0).sin()
}

fn openmetrics() -> String {
    let mut o = String::new();
    let pods = ["leak-0", "cache-0", "load-0", "healthy-0"];
    let mem = |pod: &str, i: i64| -> f64 {
        let h = i as f64 / 60.0;
        wiggle(i)
            + match pod {
                "leak-0" => LEAK_BASE + LEAK_PER_HOUR * h,
                "cache-0" => CACHE_BASE + CACHE_SIZE * (1.0 - (-h / CACHE_TAU_H).exp()),
                "load-0" => 100.0 * MIB + 5.0 * MIB * load_rate(i),
                _ => 300.0 * MIB,
            }
    };
    let lab = |pod: &str| format!("{{pod=\"{pod}\",container=\"app\",namespace=\"shop\"}}");
    o.push_str("# TYPE container_memory_working_set_bytes gauge\n");
    for pod in pods {
        for i in 0..=MINUTES {
            o.push_str(&format!(
                "container_memory_working_set_bytes{} {:.0} {}\n",
                lab(pod),
                mem(pod, i),
                T0 + i * 60
            ));
        }
    }
    o.push_str("# TYPE container_spec_memory_limit_bytes gauge\n");
    for i in 0..=MINUTES {
        o.push_str(&format!(
            "container_spec_memory_limit_bytes{} {:.0} {}\n",
            lab("leak-0"),
            LIMIT,
            T0 + i * 60
        ));
    }
    o.push_str("# TYPE http_requests counter\n");
    for pod in pods {
        let mut total = 0.0;
        for i in 0..=MINUTES {
            let r = if pod == "load-0" { load_rate(i) } else { 10.0 };
            total += r * 60.0;
            o.push_str(&format!(
                "http_requests_total{} {total:.0} {}\n",
                lab(pod),
                T0 + i * 60
            ));
        }
    }
    // JVM GC time: 1% of the time for the leak, rising to 6%; 1% flat for the others.
    o.push_str("# TYPE jvm_gc_pause_seconds summary\n");
    for pod in pods {
        let (mut sum, mut count) = (0.0, 0u64);
        for i in 0..=MINUTES {
            let frac = if pod == "leak-0" {
                0.01 + 0.05 * i as f64 / MINUTES as f64
            } else {
                0.01
            };
            sum += frac * 60.0;
            count += 6;
            o.push_str(&format!(
                "jvm_gc_pause_seconds_count{} {count} {}\n",
                lab(pod),
                T0 + i * 60
            ));
            o.push_str(&format!(
                "jvm_gc_pause_seconds_sum{} {sum:.3} {}\n",
                lab(pod),
                T0 + i * 60
            ));
        }
    }
    o.push_str("# EOF\n");
    o
}

/// A Prometheus we started: killed (by its own handle) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start Prometheus on `data` and return once it says it is ready (its log line, then
/// /-/ready answering 200), reading its log rather than sleeping; bounded by the log's end.
fn start_prometheus(prometheus: &Path, dir: &Path, data: &Path, port: u16) -> Server {
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 1m\nscrape_configs: []\n").unwrap();
    let mut child = Command::new(prometheus)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg("--storage.tsdb.retention.time=100y")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting prometheus");
    let log = child.stderr.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(log).lines();
    let mut seen = Vec::new();
    let ready = loop {
        match lines.next() {
            Some(Ok(l)) => {
                let done = l.contains("Server is ready to receive web requests");
                seen.push(l);
                if done {
                    break true;
                }
                if seen.len() > 10_000 {
                    break false;
                }
            }
            _ => break false,
        }
    };
    assert!(ready, "prometheus did not start:\n{}", seen.join("\n"));
    // Keep draining its log so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(s, "GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut resp = String::new();
            let _ = s.read_to_string(&mut resp);
            if resp.starts_with("HTTP/1.0 200") || resp.starts_with("HTTP/1.1 200") {
                ok = true;
                break;
            }
        }
    }
    assert!(
        ok,
        "prometheus said it was ready but /-/ready does not answer 200"
    );
    server
}

#[test]
fn a_real_prometheus_on_backfilled_data() {
    let (Some(prometheus), Some(promtool)) = (tool("prometheus"), tool("promtool")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "prometheus and promtool are required in CI (testdata/prometheus/ci-deps.sh)"
        );
        eprintln!("SKIPPED: prometheus/promtool not installed (testdata/prometheus/ci-deps.sh)");
        return;
    };
    let dir = tempdir("prom-backfill");
    let om = dir.path().join("scenarios.om");
    std::fs::write(&om, openmetrics()).unwrap();
    let data = dir.path().join("data");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .expect("running promtool");
    assert!(
        out.status.success(),
        "promtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let _server = start_prometheus(&prometheus, dir.path(), &data, port);
    let url = format!("http://127.0.0.1:{port}");
    let (start, end) = (T0.to_string(), (T0 + MINUTES * 60).to_string());
    let saved = dir.path().join("saved.json");
    let args = [
        "metrics",
        "--format",
        "json",
        "--prometheus",
        &url,
        "--selector",
        "{namespace=\"shop\"}",
        "--start",
        &start,
        "--end",
        &end,
        "--step",
        "60s",
        "--rate-window",
        "5m",
        "--save",
        saved.to_str().unwrap(),
    ];
    let v = json_of(&args);
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 4, "{v}");
    let by_pod = |pod: &str| {
        targets
            .iter()
            .find(|t| t["labels"]["pod"] == pod)
            .unwrap_or_else(|| panic!("no target {pod}"))
    };
    let leak = by_pod("leak-0");
    assert_eq!(leak["verdict"]["kind"], "true-leak");
    assert_eq!(leak["runtime"], "jvm");
    let per_day = leak["growth_per_day"].as_f64().unwrap();
    assert!(
        (per_day / (LEAK_PER_HOUR * 24.0) - 1.0).abs() < 0.01,
        "{per_day}"
    );
    // The limit comes from container_spec_memory_limit_bytes; the line reaches it at
    // (LIMIT − BASE) / slope after T0.
    assert_eq!(leak["limit"]["source"], "series");
    let crossing = T0 as f64 + (LIMIT - LEAK_BASE) / LEAK_PER_HOUR * 3600.0;
    let to_limit = leak["time_to_limit_seconds"].as_f64().unwrap();
    let expected = crossing - leak["end"].as_f64().unwrap();
    assert!(
        (to_limit / expected - 1.0).abs() < 0.02,
        "{to_limit} vs {expected}"
    );
    // GC time rises from 1% to 6%: pressure.
    assert_eq!(leak["gc"]["measure"], "time-fraction");
    assert_eq!(leak["gc"]["rising"], true);
    assert_eq!(leak["verdict"]["gc_pressure"], true);
    let cache = by_pod("cache-0");
    assert_eq!(cache["verdict"]["kind"], "unbounded-cache");
    let tau = fit(cache, "levelling")["tau"].as_f64().unwrap();
    assert!((tau / (CACHE_TAU_H * 3600.0) - 1.0).abs() < 0.1, "τ {tau}");
    let load = by_pod("load-0");
    assert_eq!(load["verdict"]["kind"], "normal-load");
    let per_rate = load["requests"]["bytes_per_request_rate"].as_f64().unwrap();
    // rate() over 5 minutes of a curve with a two-hour period: within a few per cent.
    assert!((per_rate / (5.0 * MIB) - 1.0).abs() < 0.1, "{per_rate}");
    assert_eq!(by_pod("healthy-0")["verdict"]["kind"], "healthy");
    assert_eq!(by_pod("healthy-0")["verdict"]["gc_pressure"], false);
    // What the server said, saved, reads back to the same report.
    let again = json_of(&["metrics", "--format", "json", saved.to_str().unwrap()]);
    assert_eq!(again["targets"], v["targets"]);
    // A query the server rejects: the error names the URL and what the server said.
    let bad = heapscope([
        "metrics",
        "--prometheus",
        &url,
        "--start",
        &start,
        "--end",
        &end,
        "--query",
        "rate(",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let e = stderr(&bad);
    assert!(
        e.contains(&url) && e.contains("HTTP 400") && e.contains("parse error"),
        "{e}"
    );
}
