//! `heapscope mcp`: a JSON-RPC client written here speaks the Model Context Protocol over stdio
//! to the real binary on real fixtures (initialize, tools/list, tools/call of every tool) and
//! checks each answer against the CLI's JSON for the same question, the byte cap and the
//! `left_out` wording; then the official Python SDK does the same as an independent client.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use heapscope::mcp::bound::{self, List};
use serde_json::{json, Value};

use super::util::*;

const MAP: &str = "testdata/java/dumps/static_map.hprof.gz";
const GROWTH_1: &str = "testdata/java/dumps/growth_1.hprof.gz";
const GROWTH_2: &str = "testdata/java/dumps/growth_2.hprof.gz";
/// The server's default byte cap.
const CAP: usize = 16 * 1024;
/// The longest wait for one answer (a debug build parsing a fixture on a busy machine); the
/// client polls its reader with this bound, never sleeps.
const WAIT: Duration = Duration::from_secs(300);

/// A minimal MCP client: one JSON-RPC message per line on the server's stdin and stdout.
struct Client {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next: u64,
    _cache: tempfile::TempDir,
}

impl Client {
    /// Start `heapscope mcp ARGS` (from the workspace root, its own index cache) and initialize.
    fn start(args: &[&str]) -> Client {
        let cache = tempdir("mcp-cache");
        let mut child = Command::new(env!("CARGO_BIN_EXE_heapscope"))
            .current_dir(root())
            .env("HEAPSCOPE_CACHE", cache.path())
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting heapscope mcp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            lines,
            next: 1,
            _cache: cache,
        };
        let init = c.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "heapscope-tests", "version": "0"}}),
        );
        let r = &init["result"];
        assert_eq!(r["serverInfo"]["name"], "heapscope", "{init:#}");
        assert_eq!(r["protocolVersion"], "2025-06-18", "{init:#}");
        assert!(r["capabilities"]["tools"].is_object(), "{init:#}");
        assert!(r["instructions"].as_str().unwrap().contains("summary"));
        c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        c
    }

    fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").expect("writing to the server");
        self.stdin.flush().unwrap();
    }

    /// Send a request and wait (bounded) for its response. Every line the server writes must
    /// be a JSON-RPC message: nothing but protocol on stdout.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|e| panic!("no answer to {method} within {WAIT:?}: {e}"));
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout has a line that is not JSON ({e}): {line}"));
            assert_eq!(msg["jsonrpc"], "2.0", "not JSON-RPC on stdout: {line}");
            if msg["id"] == json!(id) {
                return msg;
            }
        }
    }

    /// `tools/call`: (is it an error, its text, the text's size in bytes).
    fn call(&mut self, tool: &str, args: Value) -> (bool, String) {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let res = &r["result"];
        assert!(res.is_object(), "{tool}: not a tool result: {r:#}");
        let content = res["content"].as_array().expect("content");
        assert_eq!(content.len(), 1, "{tool}: one text block: {r:#}");
        assert_eq!(content[0]["type"], "text");
        let text = content[0]["text"].as_str().unwrap().to_string();
        (res["isError"] == json!(true), text)
    }

    /// A successful call's JSON answer, checked against the byte cap.
    fn answer(&mut self, tool: &str, args: Value) -> Value {
        let (err, text) = self.call(tool, args.clone());
        assert!(!err, "{tool} {args}: error: {text}");
        assert!(
            text.len() <= CAP,
            "{tool}: {} bytes, over the {CAP}-byte cap",
            text.len()
        );
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{tool}: {e}: {text}"));
        assert!(v["left_out"].is_array(), "{tool}: no left_out: {text}");
        v
    }

    /// A failing call's message.
    fn error(&mut self, tool: &str, args: Value) -> String {
        let (err, text) = self.call(tool, args.clone());
        assert!(err, "{tool} {args}: expected a tool error, got {text}");
        text
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Closing stdin ends the server; wait (bounded by the OS) and reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CLI's JSON answer to the same question.
fn cli_json(args: &[&str]) -> Value {
    let o = heapscope(args);
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "heapscope {args:?}: {}",
        stderr(&o)
    );
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn notes(v: &Value) -> Vec<String> {
    v["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The `offset=N` a note tells the caller to ask for next.
fn next_offset(note: &str) -> usize {
    let (_, rest) = note.split_once("call again with offset=").expect(note);
    rest.trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .expect(note)
}

#[test]
fn tools_list_describes_every_tool_precisely() {
    let mut c = Client::start(&[MAP]);
    let r = c.request("tools/list", json!({}));
    let tools = r["result"]["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for want in [
        "summary",
        "suspects",
        "dominator_children",
        "inspect_object",
        "paths_to_roots",
        "instances",
        "run_query",
        "diff",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for t in tools {
        let name = t["name"].as_str().unwrap();
        let desc = t["description"].as_str().unwrap();
        assert!(
            desc.len() > 200,
            "{name}: a description an agent can use alone: {desc}"
        );
        assert!(
            desc.contains("left_out"),
            "{name}: says how bounds are reported"
        );
        assert_eq!(t["annotations"]["readOnlyHint"], true, "{name}");
        let s = &t["inputSchema"];
        assert_eq!(s["type"], "object", "{name}");
        assert_eq!(s["additionalProperties"], false, "{name}");
        let props = s["properties"].as_object().unwrap();
        for (p, spec) in props {
            assert!(
                spec["description"].as_str().is_some_and(|d| d.len() > 30),
                "{name}.{p}: no description"
            );
            assert!(spec["type"].is_string(), "{name}.{p}: no type");
            if p == "limit" {
                assert!(spec["maximum"].as_u64().unwrap() >= spec["default"].as_u64().unwrap());
            }
        }
        for req in s["required"].as_array().into_iter().flatten() {
            assert!(props.contains_key(req.as_str().unwrap()), "{name}: {req}");
        }
    }
}

#[test]
fn answers_match_the_cli_and_say_what_they_left_out() {
    let report = analyze_json(MAP, &[]).unwrap();
    let mut c = Client::start(&[MAP]);

    // summary: the report's totals, a page of its histogram, the verdict.
    let s = c.answer("summary", json!({}));
    assert_eq!(s["summary"], report["summary"]);
    assert_eq!(s["format"], report["input"]["format"]);
    let hist = report["histogram"].as_array().unwrap();
    assert!(hist.len() > 25, "the fixture has many types");
    assert_eq!(s["histogram_total"], hist.len());
    assert_eq!(s["histogram"].as_array().unwrap()[..], hist[..20]);
    let n = notes(&s);
    let more = format!(
        "{} more types not shown (20 shown from offset 0 of {}); call again with offset=20",
        hist.len() - 20,
        hist.len()
    );
    assert!(n.contains(&more), "{n:?}");
    let app = report["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["runtime_owned"] != true)
        .count();
    assert!(app > 0);
    assert_eq!(s["verdict"]["leak_suspects"], app);
    assert_eq!(
        s["verdict"]["largest"][0]["title"],
        report["suspects"][0]["title"]
    );
    let s2 = c.answer("summary", json!({"offset": 20, "limit": 5}));
    assert_eq!(s2["histogram"].as_array().unwrap()[..], hist[20..25]);
    assert_eq!(next_offset(&notes(&s2)[0]), 25);

    // suspects: the report's, in full.
    let sus = c.answer("suspects", json!({}));
    let all = report["suspects"].as_array().unwrap();
    assert_eq!(sus["total"], all.len());
    let shown = sus["suspects"].as_array().unwrap();
    assert_eq!(shown[..], all[..shown.len().min(5)]);
    assert!(shown[0]["holder"].is_string() && shown[0]["path_to_root"].is_array());

    // paths_to_roots: `heapscope path`'s answer.
    let ap = report["suspects"][0]["accumulation_point"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = c.answer("paths_to_roots", json!({"id": ap}));
    let want = cli_json(&["path", "-q", "--format", "json", "--max", "3", MAP, &ap]);
    assert_eq!(p["object"], want["object"]);
    assert_eq!(p["paths"], want["paths"]);
    assert!(p["total_paths"].as_u64().unwrap() >= 1);

    // instances: `heapscope instances`'s answer, paged.
    let ty = "com.acme.Session";
    let want = cli_json(&[
        "instances",
        "-q",
        "--format",
        "json",
        "--top",
        "10",
        MAP,
        ty,
    ]);
    let i = c.answer("instances", json!({"type": ty, "limit": 5}));
    assert_eq!(i["count"], want["count"]);
    assert_eq!(i["shallow_bytes"], want["shallow_bytes"]);
    let wi = want["instances"].as_array().unwrap();
    assert_eq!(i["instances"].as_array().unwrap()[..], wi[..5]);
    let total = want["count"].as_u64().unwrap();
    assert_eq!(
        notes(&i),
        [format!(
            "{} more instances not shown (5 shown from offset 0 of {}); call again with offset=5",
            fmt_thousands(total - 5),
            fmt_thousands(total)
        )]
    );
    let i2 = c.answer("instances", json!({"type": ty, "limit": 5, "offset": 5}));
    assert_eq!(i2["instances"].as_array().unwrap()[..], wi[5..10]);

    // The byte cap: 200 instances do not fit in 16 KiB; fewer are shown, and the note says
    // so and gives the offset of the first one not shown.
    let big = c.answer("instances", json!({"type": ty, "limit": 1000}));
    let shown = big["instances"].as_array().unwrap().len();
    assert!(shown < 200, "{shown}");
    let n = notes(&big);
    assert!(n[0].contains("lowered to this tool's cap of 200"), "{n:?}");
    assert!(
        n[1].contains("to keep the answer under 16,384 bytes"),
        "{n:?}"
    );
    assert_eq!(next_offset(&n[1]), shown);

    // dominator_children: the top of the tree is the report's dominator tree's first level
    // (it keeps the children above 1% of the heap, in the same order), and one level down.
    let tree = report["dominator_tree"].as_array().unwrap();
    let top: Vec<&Value> = tree.iter().filter(|t| t["depth"] == 0).collect();
    assert!(!top.is_empty());
    let dc = c.answer("dominator_children", json!({}));
    assert!(dc["parent"].is_null());
    let kids = dc["children"].as_array().unwrap();
    for (k, t) in kids.iter().zip(&top) {
        assert_eq!(k["object"]["id"], t["id"]);
        assert_eq!(k["object"]["retained_bytes"], t["retained_bytes"]);
        assert_eq!(k["children"], t["children"]);
    }
    let total = dc["total"].as_u64().unwrap() as usize;
    assert!(total > 20, "many top-level children: {total}");
    assert_eq!(next_offset(&notes(&dc)[0]), 20);
    let first = &top[0]["id"];
    let below: Vec<&Value> = tree
        .iter()
        .skip_while(|t| &t["id"] != first)
        .skip(1)
        .take_while(|t| t["depth"] != 0)
        .filter(|t| t["depth"] == 1)
        .collect();
    let dc1 = c.answer("dominator_children", json!({"id": first, "limit": 5}));
    assert_eq!(dc1["parent"]["id"], *first);
    for (k, t) in dc1["children"].as_array().unwrap().iter().zip(&below) {
        assert_eq!(k["object"]["id"], t["id"]);
    }
    let page2 = c.answer("dominator_children", json!({"offset": 20, "limit": 3}));
    let ids = |v: &Value| -> Vec<Value> {
        v["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["object"]["id"].clone())
            .collect()
    };
    let all20 = c.answer("dominator_children", json!({"limit": 23}));
    assert_eq!(ids(&page2)[..], ids(&all20)[20..23]);

    // inspect_object: `heapscope retainers`'s referrers and dominator chain, `path`'s
    // shortest path.
    let want = cli_json(&[
        "retainers",
        "-q",
        "--format",
        "json",
        "--max",
        "5",
        MAP,
        &ap,
    ]);
    let obj = c.answer("inspect_object", json!({"id": ap, "limit": 5}));
    assert_eq!(obj["object"], want["object"]);
    assert_eq!(obj["referrers"], want["referrers"]);
    assert_eq!(obj["referrers_total"], want["referrers_total"]);
    let doms = want["dominators"].as_array().unwrap();
    assert_eq!(obj["dominators_total"], doms.len());
    assert_eq!(
        obj["dominators"].as_array().unwrap()[..],
        doms[..doms.len().min(5)]
    );
    assert_eq!(obj["paths"][0], p["paths"][0]);
    assert_eq!(obj["reachable"], true);
    let kids = obj["children"]["children"].as_array().unwrap();
    assert_eq!(
        kids.len(),
        5.min(obj["children"]["total"].as_u64().unwrap() as usize)
    );
    let refs_total = obj["references_total"].as_u64().unwrap();
    if refs_total > 5 {
        assert!(
            notes(&obj).iter().any(|n| n.starts_with(&format!(
                "{} more references not shown (5 of {})",
                refs_total - 5,
                refs_total
            ))),
            "{:?}",
            notes(&obj)
        );
    }

    // run_query: `heapscope query`'s answer.
    let sql = "SELECT type, count, retained FROM types ORDER BY retained DESC, type";
    let want = cli_json(&["query", "-q", "--format", "json", "--limit", "7", MAP, sql]);
    let q = c.answer("run_query", json!({"sql": sql, "limit": 7}));
    for k in ["columns", "rows", "total_rows", "total_exact"] {
        assert_eq!(q[k], want[k], "{k}");
    }
    assert_eq!(q["total_rows"], hist.len());
    assert!(notes(&q)[0].starts_with(&format!(
        "{} more rows not shown (7 of {}); call again with a larger limit (at most 500), or \
         page with LIMIT",
        hist.len() - 7,
        hist.len()
    )));
    let e = c.error("run_query", json!({"sql": "SELEKT 1"}));
    assert!(e.contains("SELEKT"), "{e}");
    let e = c.error("run_query", json!({"sql": "DELETE FROM objects"}));
    assert!(
        e.contains("DELETE FROM objects"),
        "the error names the query: {e}"
    );

    // Errors are tool errors with a clear message; the server lives on.
    let e = c.error("paths_to_roots", json!({"id": "0xdeadbeef"}));
    assert!(e.contains("no object with id 0xdeadbeef"), "{e}");
    let e = c.error("paths_to_roots", json!({"id": "sessions"}));
    assert!(e.contains("is not an object id"), "{e}");
    let e = c.error("inspect_object", json!({"id": "0x1"}));
    assert!(e.contains("no object with id 0x1"), "{e}");
    let e = c.error("dominator_children", json!({"id": "0x1"}));
    assert!(e.contains("no object with id 0x1"), "{e}");
    let e = c.error("paths_to_roots", json!({}));
    assert!(e.contains("`id` is required"), "{e}");
    let e = c.error("instances", json!({"type": "Session"}));
    assert!(
        e.contains("no type named \"Session\"") && e.contains("com.acme.Session"),
        "{e}"
    );
    let e = c.error("summary", json!({"dump": "testdata/no/such.hprof"}));
    assert!(
        e.contains("cannot open the dump testdata/no/such.hprof"),
        "{e}"
    );
    let e = c.error("summary", json!({"dump": "README.md"}));
    assert!(
        e.contains("README.md"),
        "a file that is no dump is named: {e}"
    );
    let e = c.error("summary", json!({"limt": 3}));
    assert!(e.contains("unknown argument \"limt\""), "{e}");
    let e = c.error("summary", json!({"limit": "many"}));
    assert!(e.contains("`limit` must be a non-negative integer"), "{e}");
    let r = c.request(
        "tools/call",
        json!({"name": "no_such_tool", "arguments": {}}),
    );
    let said = r.to_string();
    assert!(said.contains("no_such_tool"), "{r:#}");
    let again = c.answer("summary", json!({"limit": 1}));
    assert_eq!(again["summary"], report["summary"]);
}

#[test]
fn diff_names_what_grew_as_the_cli_does() {
    let want = cli_json(&["diff", "-q", "--format", "json", GROWTH_1, GROWTH_2]);
    // No dump at start: every call names its own.
    let mut c = Client::start(&[]);
    let e = c.error("summary", json!({}));
    assert!(e.contains("no dump given"), "{e}");
    let d = c.answer(
        "diff",
        json!({"base": GROWTH_1, "target": GROWTH_2, "limit": 3}),
    );
    for k in ["totals", "verdicts", "semantics", "base", "target"] {
        assert_eq!(d[k], want[k], "{k}");
    }
    assert_eq!(d["likely_leak"]["noise"], want["likely_leak"]["noise"]);
    let ws = want["likely_leak"]["suspects"].as_array().unwrap();
    assert!(!ws.is_empty(), "the growth fixture grows");
    let ds = d["likely_leak"]["suspects"].as_array().unwrap();
    assert_eq!(ds[..], ws[..ws.len().min(3)]);
    let wt = want["types"].as_array().unwrap();
    assert_eq!(d["types"].as_array().unwrap()[..], wt[..3]);
    let n = notes(&d);
    let types = format!(
        "{} more types not shown (3 of {}); call again with a larger limit (at most 100), or run \
         `heapscope diff BASE TARGET --format json` for every row",
        fmt_thousands(wt.len() as u64 - 3),
        fmt_thousands(wt.len() as u64)
    );
    assert!(n.contains(&types), "{n:?}");
    // The dumps it opened stay open: a summary of one of them now.
    let s = c.answer("summary", json!({"dump": GROWTH_2, "limit": 1}));
    assert_eq!(s["summary"]["nodes"], want["target"]["objects"]);
}

/// The field called `name` in an `inspect_object` answer.
fn field<'a>(obj: &'a Value, name: &str) -> &'a Value {
    obj["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {obj:#}"))
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name}: {:#}", obj["fields"]))
}

/// The text of the string a field of an `inspect_object` answer points to.
fn field_text(obj: &Value, name: &str) -> String {
    let s = field(obj, name)["object"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no string: {:#}", obj["fields"]));
    // V8's previews are quoted, HPROF's are not.
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    s.to_string()
}

/// The number after `prefix` in `text` ("user-17" → 17).
fn number_after(text: &str, prefix: &str) -> u32 {
    text.strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text:?} is not {prefix:?} and a number"))
}

/// `inspect_object` gives an object's fields with their values, as the program that wrote the
/// dump set them (testdata/java/src, testdata/node/src): what a person debugging needs first.
#[test]
fn inspect_object_gives_field_values() {
    // Java: SessionRegistry.SESSIONS, the largest HashMap, holds the 12,000 sessions of
    // StaticMap.java; a HashMap with 12,000 entries and the default load factor has a table of
    // 16,384 and a threshold of 12,288 (0.75 × 16,384).
    let mut c = Client::start(&[MAP]);
    let maps = c.answer(
        "instances",
        json!({"type": "java.util.HashMap", "limit": 1}),
    );
    let map = maps["instances"][0]["id"].as_str().unwrap().to_string();
    let obj = c.answer("inspect_object", json!({"id": map, "limit": 50}));
    assert_eq!(obj["object"]["type"], "java.util.HashMap");
    assert_eq!(field(&obj, "size")["value"], "12000", "{:#}", obj["fields"]);
    assert_eq!(field(&obj, "modCount")["value"], "12000");
    assert_eq!(field(&obj, "threshold")["value"], "12288");
    assert_eq!(field(&obj, "loadFactor")["value"], "0.75");
    let table = &field(&obj, "table")["object"];
    assert_eq!(table["type"], "java.util.HashMap$Node[]", "{table:#}");
    // 16,384 slots of 4 bytes (compressed oops) after a 16-byte array header.
    assert_eq!(table["shallow_bytes"], 16 + 16384 * 4, "{table:#}");
    // Its elements are fields `[i]`; the inspector lists the first 4,096, the answer counts
    // every slot: the map's table length, threshold / loadFactor.
    let t = c.answer("inspect_object", json!({"id": table["id"], "limit": 5}));
    let number = |name: &str| -> f64 {
        field(&obj, name)["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (threshold, load) = (number("threshold"), number("loadFactor"));
    let slots = (threshold / load).round() as u64;
    assert!(slots > 4096, "{slots}");
    assert_eq!(t["fields_total"], slots, "{:#}", t["fields"]);
    assert_eq!(t["fields"][0]["name"], "[0]");
    // A Session: `id` is the user's name ("user-N"), `attributes` the 200-byte payload, and
    // `createdAt` a System.nanoTime() reading.
    let sessions = c.answer("instances", json!({"type": "com.acme.Session", "limit": 3}));
    for s in sessions["instances"].as_array().unwrap() {
        let o = c.answer("inspect_object", json!({"id": s["id"], "limit": 50}));
        assert_eq!(o["fields_total"], 3, "{:#}", o["fields"]);
        let id = &field(&o, "id")["object"];
        assert_eq!(id["type"], "java.lang.String");
        assert!(number_after(&field_text(&o, "id"), "user-") < 12_000);
        let attrs = &field(&o, "attributes")["object"];
        assert_eq!(attrs["type"], "byte[]");
        // 16-byte array header + 200 bytes (JDK 17, compressed class pointers).
        assert_eq!(attrs["shallow_bytes"], 216, "{attrs:#}");
        let created: i64 = field(&o, "createdAt")["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_ne!(created, 0);
        // The fields that are references are the object's references, by name.
        for f in ["id", "attributes"] {
            assert!(
                o["references"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["via"] == f && r["object"]["id"] == field(&o, f)["object"]["id"]),
                "{f}: {:#}",
                o["references"]
            );
        }
    }
    drop(c);

    // V8: global-array.js's LogEntry objects: `message` is the template string
    // `request ${seq} served` (a concatenated string: "request N" + " served"), `tags` is
    // ['http', N odd ? 'get' : 'post'].
    const LOG: &str = "testdata/node/snapshots/global-array.heapsnapshot";
    let mut c = Client::start(&[LOG]);
    let entries = c.answer("instances", json!({"type": "LogEntry", "limit": 4}));
    let entries = entries["instances"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    for e in entries {
        let o = c.answer("inspect_object", json!({"id": e["id"], "limit": 50}));
        let msg = &field(&o, "message")["object"];
        assert_eq!(msg["type"], "(concatenated string)", "{msg:#}");
        let m = c.answer("inspect_object", json!({"id": msg["id"], "limit": 50}));
        assert_eq!(field_text(&m, "second"), " served");
        let seq = number_after(&field_text(&m, "first"), "request ");
        assert!(seq < 5000);
        let tags = &field(&o, "tags")["object"];
        assert_eq!(tags["type"], "Array", "{tags:#}");
        let t = c.answer("inspect_object", json!({"id": tags["id"], "limit": 50}));
        assert_eq!(field_text(&t, "[0]"), "http");
        let want = if seq % 2 == 1 { "get" } else { "post" };
        assert_eq!(field_text(&t, "[1]"), want);
    }
}

fn fmt_thousands(n: u64) -> String {
    heapscope_reports::fmt::thousands(n)
}

/// The bounding itself on a synthetic answer: pages are cut from the end of the longest list,
/// the answer stays under the cap, and every list says what it left out.
#[test]
fn finish_cuts_the_longest_list_and_says_so() {
    let rows: Vec<Value> = (0..500)
        .map(|i| json!({"id": i, "pad": "x".repeat(40)}))
        .collect();
    let small: Vec<Value> = (0..3).map(|i| json!(i)).collect();
    let v = json!({"rows": rows, "small": small});
    let lists = [
        List::paged("/rows", "rows", 10_000, 100),
        List::capped("/small", "things", 7, 5, "ask elsewhere"),
    ];
    let text = bound::finish(v, &lists, vec!["first".into()], 4096);
    assert!(text.len() <= 4096, "{}", text.len());
    let out: Value = serde_json::from_str(&text).unwrap();
    let shown = out["rows"].as_array().unwrap().len();
    assert!(shown > 10 && shown < 500, "{shown}");
    assert_eq!(
        out["small"].as_array().unwrap().len(),
        3,
        "the short list is kept"
    );
    let n = notes(&out);
    assert_eq!(n[0], "first");
    assert_eq!(
        n[1],
        format!(
            "{} more rows not shown ({shown} shown from offset 100 of 10,000 to keep the answer \
             under 4,096 bytes); call again with offset={}",
            fmt_thousands(10_000 - 100 - shown as u64),
            100 + shown
        )
    );
    assert_eq!(
        n[2],
        "4 more things not shown (3 of 7); call again with a larger limit (at most 5), or ask elsewhere"
    );
    // Nothing left out: an empty list of notes.
    let text = bound::finish(
        json!({"rows": [1, 2]}),
        &[List::paged("/rows", "rows", 2, 0)],
        vec![],
        4096,
    );
    assert_eq!(text, r#"{"left_out":[],"rows":[1,2]}"#);
    // Past the end.
    let text = bound::finish(
        json!({"rows": []}),
        &[List::paged("/rows", "rows", 2, 5)],
        vec![],
        4096,
    );
    assert!(
        text.contains("offset 5 is past the end: there are 2 rows"),
        "{text}"
    );
}

#[test]
fn long_paths_keep_both_ends() {
    let mut v = json!((0..100).collect::<Vec<_>>());
    let note = heapscope::mcp::tools::elide(&mut v, "path 1").unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 41);
    assert_eq!(arr[9], json!(9));
    assert_eq!(arr[10], json!({"elided_steps": 60}));
    assert_eq!(arr[11], json!(70));
    assert_eq!(
        note,
        "60 steps in the middle of path 1 not shown (100 in all; steps 11–70 elided)"
    );
    let mut short = json!([1, 2, 3]);
    assert!(heapscope::mcp::tools::elide(&mut short, "p").is_none());
}

/// An independent client: the official MCP Python SDK lists the tools and calls each of them
/// (testdata/mcp/client.py). Under CI=true a missing SDK fails the test (testdata/mcp/ci-deps.sh
/// installs it); elsewhere it is skipped with a message.
#[test]
fn the_python_sdk_lists_and_calls_every_tool() {
    let probe = Command::new("python3").args(["-c", "import mcp"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("the MCP Python SDK is missing: run testdata/mcp/ci-deps.sh");
        }
        eprintln!("skipped: the MCP Python SDK is not installed (testdata/mcp/ci-deps.sh)");
        return;
    }
    let report = analyze_json(MAP, &[]).unwrap();
    let cache = tempdir("mcp-py");
    let o = Command::new("python3")
        .current_dir(root())
        .env("HEAPSCOPE_CACHE", cache.path())
        .args([
            "testdata/mcp/client.py",
            env!("CARGO_BIN_EXE_heapscope"),
            MAP,
        ])
        .output()
        .expect("running python3");
    assert!(
        o.status.success(),
        "client.py failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let out: Value = serde_json::from_str(&stdout(&o)).expect("client.py prints JSON");
    let tools: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let called: Vec<&str> = out["calls"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for t in &tools {
        assert!(called.contains(t), "client.py did not call {t}");
    }
    let calls = &out["calls"];
    assert_eq!(calls["summary"]["summary"], report["summary"]);
    assert_eq!(calls["suspects"]["suspects"][0], report["suspects"][0]);
    assert!(calls["bad_id"]["error"]
        .as_str()
        .unwrap()
        .contains("no object with id"));
    for (name, answer) in calls.as_object().unwrap() {
        if name != "bad_id" {
            assert!(answer["left_out"].is_array(), "{name}: {answer}");
        }
    }
}
