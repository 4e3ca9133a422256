//! `heapscope serve`: the real binary on real fixtures, on `--port 0`, its URL read from stdout
//! (waited for with a bound, never by sleeping). The pages are driven in headless Chromium by
//! testdata/serve/drive.js (playwright-core, installed by testdata/serve/ci-deps.sh): load the
//! report, expand the dominator tree and its "N more", sort and filter the histogram and a
//! type's instances, open an object and follow a link, run a query; no console message, no
//! request outside the server. What the pages showed is checked against the server's own JSON
//! answers (`/api/…`), which are the reports crate's answers. Bad requests get 400/403/404/405/
//! 413/431 with a message, and reflected input is escaped. Under CI (`CI` set) a missing
//! Chromium, node or playwright-core fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::util::{root, tempdir, thousands};

const STATIC_MAP: &str = "testdata/java/dumps/static_map.hprof.gz";
const GROWTH: [&str; 3] = [
    "testdata/java/dumps/growth_1.hprof.gz",
    "testdata/java/dumps/growth_2.hprof.gz",
    "testdata/java/dumps/growth_3.hprof.gz",
];
/// How long a server may take to load its dumps (a debug build on a busy 2-core runner).
const START_BOUND: Duration = Duration::from_secs(600);

/// A running `heapscope serve`; stopped when dropped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/`
    url: String,
    addr: String,
    _cache: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dumps: &[&str]) -> Server {
    let cache = tempdir("serve-cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .current_dir(root())
        .env("HEAPSCOPE_CACHE", cache.path())
        .args(["serve", "-q", "--port", "0"])
        .args(dumps)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting heapscope serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(START_BOUND) {
        Ok(l) => l,
        Err(_) => {
            let _ = child.kill();
            panic!("heapscope serve printed no URL within {START_BOUND:?}");
        }
    };
    let url = line.trim().to_string();
    let addr = url
        .strip_prefix("http://")
        .and_then(|u| u.strip_suffix('/'))
        .unwrap_or_else(|| panic!("first line is not a URL: {line:?}"))
        .to_string();
    assert!(
        addr.starts_with("127.0.0.1:"),
        "listens on loopback only: {url}"
    );
    Server {
        child,
        url,
        addr,
        _cache: cache,
    }
}

/// One raw HTTP/1.1 exchange: (status, body).
fn exchange(addr: &str, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    // The server may answer and close before reading all of an oversized request.
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

impl Server {
    fn get(&self, path: &str) -> (u16, String) {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        exchange(&self.addr, req.as_bytes())
    }

    fn post(&self, path: &str, body: &str) -> (u16, String) {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        exchange(&self.addr, req.as_bytes())
    }

    /// A JSON answer that must be a 200.
    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"))
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `key` of each element of the array `v[list]` (`key` a JSON pointer).
fn column(v: &Value, list: &str, key: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no array {list} in {v}"))
        .iter()
        .map(|e| {
            e.pointer(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// `key` (a JSON pointer) of each element of the array `v[list]`, a number.
fn numbers(v: &Value, list: &str, key: &str) -> Vec<u64> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no array {list} in {v}"))
        .iter()
        .map(|e| e.pointer(key).and_then(Value::as_u64).unwrap())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect()
}

/// The browser side: node, playwright-core (testdata/serve/ci-deps.sh) and Chromium, or
/// `None` when one is missing outside CI.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let dir = root().join("testdata/serve");
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let have = node_ok
        && dir
            .join("node_modules/playwright-core/package.json")
            .exists()
        && chromium.exists();
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "node, playwright-core or chromium is missing under CI \
             (testdata/serve/ci-deps.sh and reports/ci-deps.sh install them)"
        );
        eprintln!("serve: skipping the browser part: node, playwright-core or chromium missing");
        return None;
    }
    Some((dir.join("drive.js"), chromium))
}

/// Drive the pages; screenshots go to `shots`.
fn drive(server: &Server, shots: &Path, flags: &[&str]) -> Option<Value> {
    let (script, chromium) = browser_tools()?;
    let o = Command::new("node")
        .arg(script)
        .arg(&server.url)
        .arg(shots)
        .args(flags)
        .env("CHROMIUM", chromium)
        .output()
        .expect("running node");
    assert!(
        o.status.success(),
        "drive.js failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("drive.js prints JSON");
    assert_eq!(
        v["errors"],
        Value::Array(vec![]),
        "console or network errors"
    );
    Some(v)
}

fn screenshot_ok(shots: &Path, name: &str) {
    let p = shots.join(format!("{name}.png"));
    let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
    assert!(len > 1000, "{}: no screenshot", p.display());
}

#[test]
fn serve_one_dump_in_chromium() {
    let s = start(&[STATIC_MAP]);
    let shots = tempdir("serve-shots");
    let Some(v) = drive(&s, shots.path(), &["--query"]) else {
        return;
    };
    let p = &v["pages"];

    // The report is analyze's HTML report.
    assert_eq!(p["report"]["status"], 200);
    let h1 = strings(&p["report"]["h1"]);
    assert!(h1.iter().any(|h| h.contains(STATIC_MAP)), "{h1:?}");
    assert_eq!(
        strings(&p["report"]["nav"]),
        ["Report", "Dominator tree", "Histogram", "Query"]
    );
    // Its object ids are links; the first leads to that object's page.
    let links = p["report"]["idLinks"].as_array().unwrap();
    assert!(!links.is_empty(), "the report names objects");
    let first_id = links[0][0].as_str().unwrap();
    assert_eq!(
        links[0][1].as_str().unwrap(),
        format!("/object?d=0&id={}", enc(first_id))
    );
    let followed = strings(&p["report"]["followed"]["h1"]);
    assert!(followed[0].ends_with(first_id), "{followed:?}");

    // The tree: top level, the first node's children, its first child's children, "N more".
    let top = s.json("/api/children?d=0&offset=0&limit=50");
    assert_eq!(
        strings(&p["tree"]["top"]),
        column(&top, "children", "/object/id")
    );
    let first = column(&top, "children", "/object/id")[0].clone();
    let kids = s.json(&format!("/api/children?d=0&id={}&limit=50", enc(&first)));
    assert!(!column(&kids, "children", "/object/id").is_empty());
    assert_eq!(
        strings(&p["tree"]["kids"]),
        column(&kids, "children", "/object/id")
    );
    let kid = column(&kids, "children", "/object/id")[0].clone();
    let grand = s.json(&format!("/api/children?d=0&id={}&limit=50", enc(&kid)));
    assert_eq!(
        strings(&p["tree"]["grand"]),
        column(&grand, "children", "/object/id")
    );
    let left = top["left_out"].as_u64().unwrap();
    assert!(left > 0, "the fixture's top level has more than a page");
    assert_eq!(
        strings(&p["tree"]["topMore"]),
        [format!("{} more", thousands(left))]
    );
    let two_pages = s.json("/api/children?d=0&offset=0&limit=100");
    assert_eq!(
        strings(&p["tree"]["afterMore"]),
        column(&two_pages, "children", "/object/id")
    );
    // Sorted by a header click: shallow size, then children count ascending.
    let by_shallow = s.json("/api/children?d=0&sort=shallow&order=desc&limit=50");
    assert_eq!(
        strings(&p["tree"]["byShallow"]),
        column(&by_shallow, "children", "/object/id")
    );
    let shallows = numbers(&by_shallow, "children", "/object/shallow_bytes");
    assert!(shallows.windows(2).all(|w| w[0] >= w[1]), "{shallows:?}");
    let by_kids = s.json("/api/children?d=0&sort=children&order=asc&limit=50");
    assert_eq!(
        strings(&p["tree"]["byChildrenAsc"]),
        column(&by_kids, "children", "/object/id")
    );
    let kid_counts = numbers(&by_kids, "children", "/children");
    assert!(
        kid_counts.windows(2).all(|w| w[0] <= w[1]),
        "{kid_counts:?}"
    );
    assert!(p["tree"]["count"]
        .as_str()
        .unwrap()
        .starts_with(&thousands(top["total"].as_u64().unwrap())));
    // Paging is consistent: the second page is the tail of two pages.
    let second = s.json("/api/children?d=0&offset=50&limit=50");
    assert_eq!(
        column(&second, "children", "/object/id"),
        column(&two_pages, "children", "/object/id")[50..]
    );

    // The histogram: sorted by retained, by count both ways, filtered.
    let h = &p["histogram"];
    for (key, q) in [
        ("byRetained", "sort=retained&order=desc"),
        ("byCount", "sort=count&order=desc"),
        ("byCountAsc", "sort=count&order=asc"),
        ("filtered", "sort=retained&order=desc&filter=hash"),
    ] {
        let a = s.json(&format!("/api/histogram?d=0&{q}&limit=100"));
        assert_eq!(strings(&h[key]), column(&a, "rows", "/type"), "{key}");
    }
    let counts: Vec<u64> = s.json("/api/histogram?d=0&sort=count&order=desc&limit=500")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "count descending");
    let filtered = strings(&h["filtered"]);
    assert!(!filtered.is_empty());
    assert!(filtered.iter().all(|t| t.to_lowercase().contains("hash")));

    // Instances of the largest type, by retained and by shallow size.
    let i = &p["instances"];
    let t = i["type"].as_str().unwrap();
    for (key, sort) in [("byRetained", "retained"), ("byShallow", "shallow")] {
        let a = s.json(&format!(
            "/api/instances?d=0&type={}&sort={sort}&order=desc&limit=100",
            enc(t)
        ));
        assert_eq!(strings(&i[key]), column(&a, "instances", "/id"), "{key}");
    }
    // Filtered by an id: the server's answer for that filter, which holds that object.
    let f = i["filter"].as_str().unwrap();
    let a = s.json(&format!(
        "/api/instances?d=0&type={}&sort=shallow&order=desc&filter={}&limit=100",
        enc(t),
        enc(f)
    ));
    assert_eq!(strings(&i["filtered"]), column(&a, "instances", "/id"));
    assert!(strings(&i["filtered"]).iter().any(|x| x == f));
    let all = s.json(&format!("/api/instances?d=0&type={}&limit=1", enc(t)));
    let count = all["count"].as_u64().unwrap();
    assert_eq!(
        i["count"].as_str().unwrap(),
        format!("{} instances", thousands(count))
    );
    // "N more" appends the next page (the page size is 100).
    if count > 100 {
        assert_eq!(
            strings(&i["more"]),
            [format!("{} more", thousands(count - 100))]
        );
        let two = s.json(&format!(
            "/api/instances?d=0&type={}&sort=shallow&order=desc&limit={}",
            enc(t),
            count.min(200)
        ));
        assert_eq!(strings(&i["afterMore"]), column(&two, "instances", "/id"));
    }

    // The object page of the tree's first node is its ObjectAnswer.
    let o = &p["object"];
    let a = s.json(&format!("/api/object?d=0&id={}", enc(&first)));
    assert_eq!(
        strings(&o["h1"]),
        [format!(
            "{} {}",
            a["object"]["type"].as_str().unwrap(),
            a["object"]["id"].as_str().unwrap()
        )]
    );
    assert_eq!(
        strings(&o["referrers"]),
        column(&a, "referrers", "/object/id")
    );
    assert_eq!(
        strings(&o["references"]),
        column(&a, "references", "/object/id")
    );
    assert_eq!(strings(&o["dominators"]), column(&a, "dominators", "/id"));
    let fields = match a["fields"].as_array() {
        Some(f) => f
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect(),
        None => Vec::new(),
    };
    assert!(!fields.is_empty(), "HPROF instances have fields");
    assert_eq!(strings(&o["fields"]), fields);
    // Each field's value as the answer has it: a primitive's text, a reference's object.
    let values: Vec<String> = a["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| match (&f["object"], &f["value"]) {
            (Value::Object(t), _) => {
                let mut v = format!(
                    "{} {}",
                    t["type"].as_str().unwrap(),
                    t["id"].as_str().unwrap()
                );
                if let Some(x) = t.get("value").and_then(Value::as_str) {
                    v.push_str(&format!(" \"{x}\""));
                }
                v
            }
            (_, Value::String(v)) => v.clone(),
            _ => "null".to_string(),
        })
        .collect();
    assert_eq!(strings(&o["fieldValues"]), values);
    // Path steps name the reference they go through.
    let vias: Vec<Vec<Value>> = a["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_array()
                .unwrap()
                .iter()
                .map(|s| s["via"].clone())
                .collect()
        })
        .collect();
    let shown_vias: Vec<Vec<Value>> = o["pathVias"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_array().unwrap().clone())
        .collect();
    assert_eq!(shown_vias, vias);
    assert_eq!(
        strings(&o["children"]),
        column(&a["children"], "children", "/object/id")
    );
    let paths: Vec<Vec<String>> = a["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            strings(&Value::Array(
                p.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].clone())
                    .collect(),
            ))
        })
        .collect();
    assert!(!paths.is_empty(), "the tree's top object is reachable");
    let shown: Vec<Vec<String>> = o["paths"].as_array().unwrap().iter().map(strings).collect();
    assert_eq!(shown, paths);
    // Its first dominator child's link leads to that child's page.
    let child = column(&a["children"], "children", "/object/id")[0].clone();
    assert!(o["next"]["url"].as_str().unwrap().ends_with(&enc(&child)));

    // The query box shows the query's answer (the same SQL through the JSON endpoint).
    let (status, body) = s.post(
        "/api/query?d=0&limit=200",
        "SELECT type, count, shallow FROM types ORDER BY count DESC, type LIMIT 5",
    );
    assert_eq!(status, 200, "{body}");
    let q: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(strings(&p["query"]["headers"]), strings(&q["columns"]));
    let rows = answer_rows(&q);
    assert_eq!(rows.len(), 5);
    assert_eq!(shown_rows(&p["query"]["rows"]), rows);
    // Whole numbers of 1,000 and more show with separators (the shallow bytes here).
    assert!(rows.iter().flatten().any(|c| c.contains(',')), "{rows:?}");
    assert_eq!(
        p["query"]["examples"].as_array().map(Vec::len),
        Some(6),
        "{}",
        p["query"]["examples"]
    );
    // Bad SQL: SQLite's message under the box (the browser's own log of the 400 aside).
    let err = &p["query"]["error"];
    assert_eq!(err["visible"], true);
    assert!(err["text"].as_str().unwrap().contains("nowhere"), "{err}");
    assert!(p["query"]["errorLogged"].as_u64().unwrap() <= 1);
    // A shared link (/query?q=…): the box holds its SQL and the answer is shown.
    let shared = &p["query"]["shared"];
    assert_eq!(shared["box"], shared["sql"]);
    let (status, body) = s.post("/api/query?d=0&limit=200", shared["sql"].as_str().unwrap());
    assert_eq!(status, 200, "{body}");
    let want: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(want["rows"].as_array().unwrap().len(), 3);
    assert_eq!(shown_rows(&shared["rows"]), answer_rows(&want));
    // Running a query puts it in the address bar, so the link can be shared.
    assert!(p["query"]["url"].as_str().unwrap().contains("q=SELECT"));
    // The example: the referrers of the largest object, each linking to its page.
    let ex = &p["query"]["example"];
    let top_id = column(&top, "children", "/object/id")[0].clone();
    assert!(ex["box"].as_str().unwrap().contains(&top_id), "{ex}");
    let (status, body) = s.post(
        "/api/query?d=0",
        &format!("SELECT count(*) FROM refs WHERE dst = '{top_id}'"),
    );
    assert_eq!(status, 200, "{body}");
    let n_refs = serde_json::from_str::<Value>(&body).unwrap()["rows"][0][0]
        .as_u64()
        .unwrap() as usize;
    assert!(n_refs > 0, "the largest object has a referrer");
    assert_eq!(ex["rows"].as_array().unwrap().len(), n_refs.min(200));
    let links = strings(&ex["links"]);
    assert_eq!(links.len(), n_refs.min(200), "one link a row (src)");
    assert!(links.iter().all(|l| l.starts_with("/object?d=0&id=")));
    // Its first row is the histogram's largest count.
    let top = s.json("/api/histogram?d=0&sort=count&order=desc&limit=1");
    assert_eq!(rows[0][0], top["rows"][0]["type"].as_str().unwrap());
    assert_eq!(
        rows[0][1],
        separated(top["rows"][0]["count"].as_i64().unwrap())
    );

    for name in [
        "report",
        "tree",
        "histogram",
        "instances",
        "object",
        "query",
        "query-error",
        "query-example",
    ] {
        screenshot_ok(shots.path(), name);
    }
}

#[test]
fn serve_diff_and_trend_in_chromium() {
    for (dumps, page) in [(&GROWTH[..2], "diff"), (&GROWTH[..], "trend")] {
        let s = start(dumps);
        let shots = tempdir("serve-shots");
        let Some(v) = drive(&s, shots.path(), &["--over-time", page, "--only-over-time"]) else {
            return;
        };
        let p = &v["pages"];
        // The page is the diff/trend command's own HTML report (its <h1>).
        let mut args = vec![page, "-q", "--format", "html"];
        args.extend_from_slice(dumps);
        let o = super::util::heapscope(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let html = super::util::stdout(&o);
        let h1 = html
            .split_once("<h1>")
            .and_then(|(_, r)| r.split_once("</h1>"))
            .map(|(h, _)| h.to_string())
            .expect("an <h1>");
        let shown = strings(&p["overTime"]["h1"]);
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(
            shown[0],
            h1.replace("&amp;", "&")
                .replace("&gt;", ">")
                .replace("&lt;", "<"),
            "{page}"
        );
        assert!(p["second"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/report?d=1"));
        assert!(p["second"]["title"].as_str().unwrap().contains(dumps[1]));
        screenshot_ok(shots.path(), page);

        // Type names link to their instances in the last dump that has the type.
        let o = &p["overTime"];
        let links = o["typeLinks"].as_array().unwrap();
        assert!(!links.is_empty(), "{page}: no type links");
        let last = dumps.len() - 1;
        for l in links {
            let (name, href) = (l[0].as_str().unwrap(), l[1].as_str().unwrap());
            let (status, body) = s.get(&format!("/api{href}"));
            assert_eq!(status, 200, "{page}: {href}: {body}");
            let a: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(a["type"], name, "{page}: {href}");
            let d: usize = href
                .split_once("d=")
                .and_then(|(_, r)| r.split('&').next())
                .and_then(|d| d.parse().ok())
                .unwrap_or_else(|| panic!("{href}: no dump"));
            let rest = href.split_once("&type=").map(|(_, t)| t).unwrap();
            for later in d + 1..=last {
                let (status, _) = s.get(&format!("/api/instances?d={later}&type={rest}"));
                assert_eq!(
                    status, 404,
                    "{page}: {name} is in dump {later}, linked to {d}"
                );
            }
        }
        // A plain cell is no type of any dump.
        for c in o["typeCells"].as_array().unwrap().iter().take(200) {
            let c = c.as_str().unwrap();
            for d in 0..=last {
                let (status, _) = s.get(&format!("/api/instances?d={d}&type={}", enc(c)));
                assert_ne!(
                    status, 200,
                    "{page}: {c:?} is a type of dump {d} but not linked"
                );
            }
        }
        // The first link opens that type's instances page.
        let f = &o["followed"];
        assert!(f["url"].as_str().unwrap().contains("/instances?d="), "{f}");
        let first = links[0][0].as_str().unwrap();
        assert!(strings(&f["h1"]).iter().any(|h| h.contains(first)), "{f}");
        assert_ne!(f["loaded"], "0", "{f}");
        screenshot_ok(shots.path(), &format!("{page}-instances"));
    }
}

/// An array longer than the inspector lists (4,096 elements): its answer and its page count
/// every slot and say how many are shown. The fixture's HashMap table: threshold / loadFactor
/// slots, read from the map's own fields.
#[test]
fn serve_long_array_counts_every_slot() {
    let s = start(&[STATIC_MAP]);
    let (status, body) = s.post(
        "/api/query?d=0",
        "SELECT field(id, 'threshold') AS t, field(id, 'loadFactor') AS l, \
         field(id, 'table') AS tab FROM objects WHERE type = 'java.util.HashMap' \
         ORDER BY retained DESC LIMIT 1",
    );
    assert_eq!(status, 200, "{body}");
    let q: Value = serde_json::from_str(&body).unwrap();
    let row = &q["rows"][0];
    let (t, l) = (row[0].as_f64(), row[1].as_f64());
    let tab = &row[2];
    let (Some(t), Some(l)) = (t, l) else {
        panic!("{q:#}")
    };
    let slots = (t / l).round() as usize;
    assert!(slots > 4096, "{q:#}");
    let a = s.json(&format!("/api/object?d=0&id={tab}"));
    assert_eq!(a["fields_total"], slots, "{}", a["object"]);
    let shown = a["fields"].as_array().unwrap().len();
    assert!(shown < slots);
    let (status, html) = s.get(&format!("/object?d=0&id={tab}"));
    assert_eq!(status, 200);
    let want = format!(
        "Fields ({}, the first {} shown)",
        separated(slots as i64),
        separated(shown as i64)
    );
    assert!(html.contains(&want), "{want} not in the page");
    assert!(html.contains(&format!(
        "{} more fields",
        separated((slots - shown) as i64)
    )));
}

#[test]
fn serve_refuses_bad_requests() {
    let s = start(&[STATIC_MAP]);
    let error_of = |path: &str, want: u16| {
        let (status, body) = s.get(path);
        assert_eq!(status, want, "{path}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
        v["error"].as_str().unwrap().to_string()
    };
    assert!(error_of("/api/object?id=0x1", 404).contains("no object with id 0x1"));
    assert!(error_of("/api/object?id=zz", 400).contains("not an object id"));
    assert!(error_of("/api/object", 400).contains("not an object id"));
    assert!(error_of("/api/children?limit=100000", 400).contains("at most 500"));
    assert!(error_of("/api/children?offset=-1", 400).contains("non-negative"));
    assert!(error_of("/api/histogram?sort=size", 400).contains("expected one of"));
    assert!(error_of("/api/instances?type=NoSuchType", 404).contains("no type named"));
    assert!(error_of("/api/children?d=7", 404).contains("no dump 7"));
    assert!(error_of("/api/nothing", 404).contains("no page"));
    // A huge offset is an empty page, not an error.
    let far = s.json("/api/children?offset=999999999");
    assert_eq!(far["children"], Value::Array(vec![]));
    assert_eq!(far["left_out"], 0);

    // Pages: an error page, with what the request said escaped.
    let (status, body) = s.get("/object?id=%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(status, 400);
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let (status, body) = s.get("/instances?type=%3Cimg%20src=x%3E");
    assert_eq!(status, 404);
    assert!(!body.contains("<img src=x>") && body.contains("&lt;img src=x&gt;"));
    assert_eq!(s.get("/diff").0, 404, "one dump has no diff");
    // SQL that SQLite refuses, or that would write, is a 400 with its message.
    let (status, body) = s.post("/api/query", "SELECT nothing FROM nowhere");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("nowhere"), "{body}");
    let (status, _) = s.post("/api/query", "DELETE FROM objects");
    assert_eq!(status, 400);
    let (status, body) = s.post("/api/query?limit=5000", "SELECT 1");
    assert_eq!(status, 400, "{body}");

    // Methods, hosts, sizes.
    let (status, _) = s.post("/api/children", "");
    assert_eq!(status, 405);
    let evil = format!(
        "GET /api/dumps HTTP/1.1\r\nHost: attacker.example:{}\r\nConnection: close\r\n\r\n",
        s.addr.rsplit(':').next().unwrap()
    );
    assert_eq!(exchange(&s.addr, evil.as_bytes()).0, 403, "DNS rebinding");
    let no_host = "GET /api/dumps HTTP/1.0\r\n\r\n";
    assert_eq!(exchange(&s.addr, no_host.as_bytes()).0, 403);
    let big_head = format!(
        "GET /api/dumps HTTP/1.1\r\nHost: {}\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        "a".repeat(64 * 1024)
    );
    assert_eq!(exchange(&s.addr, big_head.as_bytes()).0, 431);
    let (status, body) = s.post("/api/query", &"x".repeat(70 * 1024));
    assert_eq!(status, 413, "{body}");

    // Still serving after all that.
    let dumps = s.json("/api/dumps");
    assert_eq!(dumps[0]["path"], STATIC_MAP);
}

/// A whole number with a comma between each group of three digits.
fn separated(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A query answer's rows as the page prints them (text as is, whole numbers with thousands
/// separators, other numbers in JSON).
fn answer_rows(q: &Value) -> Vec<Vec<String>> {
    q["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    Value::Number(n) if n.is_i64() => separated(n.as_i64().unwrap()),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The rows a page showed (drive.js: one array of cell texts a row).
fn shown_rows(v: &Value) -> Vec<Vec<String>> {
    v.as_array().unwrap().iter().map(strings).collect()
}

/// The answers the pages show agree with the same questions asked in SQL over the tables
/// (`heapscope query`'s engine, which reads the analysis arrays directly): a node's dominator
/// children are the objects whose `idom` is it, largest retained first; its referrers are the
/// distinct `src` of the references to it; its references are its out-edges.
#[test]
fn serve_answers_agree_with_sql() {
    let s = start(&[STATIC_MAP]);
    let sql = |q: &str| -> Value {
        let (status, body) = s.post("/api/query?d=0&limit=1000", q);
        assert_eq!(status, 200, "{q}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let top = s.json("/api/children?d=0&limit=500");
    let roots = sql("SELECT count(*) FROM objects WHERE idom IS NULL AND reachable = 1");
    assert_eq!(
        top["total"], roots["rows"][0][0],
        "top level = dominated by the super-root"
    );
    let ids = column(&top, "children", "/object/id");
    for id in ids.iter().take(5) {
        let n = u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap();
        let kids = s.json(&format!("/api/children?d=0&id={}&limit=500", enc(id)));
        let want = sql(&format!(
            "SELECT printf('0x%x', id) FROM objects WHERE idom = {n} ORDER BY retained DESC, node"
        ));
        let want: Vec<String> = want["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
        // One page of at most 500; the total counts them all.
        assert_eq!(kids["total"].as_u64().unwrap() as usize, want.len());
        let page = column(&kids, "children", "/object/id");
        assert_eq!(page.len(), want.len().min(500));
        assert_eq!(page, want[..page.len()], "children of {id}");
        assert_eq!(
            kids["left_out"].as_u64().unwrap() as usize,
            want.len() - page.len()
        );

        let o = s.json(&format!("/api/object?d=0&id={}", enc(id)));
        let refs = sql(&format!(
            "SELECT count(DISTINCT src) FROM refs WHERE dst = {n}"
        ));
        assert_eq!(
            o["referrers_total"], refs["rows"][0][0],
            "referrers of {id}"
        );
        let out = sql(&format!("SELECT count(*) FROM refs WHERE src = {n}"));
        assert_eq!(
            o["references_total"], out["rows"][0][0],
            "references of {id}"
        );
    }
}

/// The server's lookup indexes answer as the scans they replace ([`drill::Scan`]:
/// `HeapGraph::find_id`, `walks::referrers`, the type column), for every object of a Java and
/// a V8 fixture: same node for each id, same referrers with the same labels, same instances.
#[test]
fn lookup_indexes_agree_with_the_scans() {
    use heapscope::progress::Silent;
    use heapscope::serve::lookup::Lookup;
    use heapscope::session::Session;
    use heapscope_graph::NodeIdx;
    use heapscope_parsers::ParseOptions;
    use heapscope_reports::drill::{Finder, Scan};

    for rel in [
        STATIC_MAP,
        "testdata/node/snapshots/global-array.heapsnapshot",
    ] {
        let s = Session::load(&root().join(rel), &ParseOptions::default(), &Silent)
            .unwrap_or_else(|e| panic!("{rel}: {e:?}"));
        let a = &s.analysis;
        let g = &a.graph;
        let lk = Lookup::build(a);
        let n = g.node_count();
        assert!(lk.bytes() >= 4 * (n + 1 + g.edge_count()), "{rel}");
        let mut with_referrers = 0;
        for v in 0..n as u32 {
            let id = s.info.id_text(g.ids[v as usize]);
            assert_eq!(lk.find(a, &id), Scan.find(a, &id), "{rel}: find {id}");
            let want = Scan.referrers(a, NodeIdx(v));
            with_referrers += usize::from(!want.is_empty());
            assert_eq!(
                lk.referrers(a, NodeIdx(v)),
                want,
                "{rel}: referrers of {id}"
            );
        }
        assert!(with_referrers > n / 2, "{rel}: most objects are referenced");
        let mut by_type: Vec<Vec<u32>> = vec![Vec::new(); g.types.len()];
        for v in 0..n as u32 {
            by_type[g.type_of[v as usize] as usize].push(v);
        }
        for (t, name) in g.types.iter() {
            assert_eq!(
                lk.instances_of(t),
                &by_type[t as usize][..],
                "{rel}: instances of {name}"
            );
        }
        assert!(lk.instances_of(g.types.len() as u32).is_empty());
        for id in ["0xdeadbeefdeadbeef", "nonsense", "18446744073709551615"] {
            assert_eq!(lk.find(a, id), Scan.find(a, id), "{rel}: {id}");
            assert!(lk.find(a, id).is_err());
        }
    }
}
