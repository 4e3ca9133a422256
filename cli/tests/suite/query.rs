//! `heapscope query` and `heapscope_reports::query` on the real fixtures, each answer checked
//! against a naive recomputation from the graph: counts and sums per type against the
//! histogram, referrers against a scan of every edge, `retained_set` against deleting the set
//! and running a plain BFS from the GC roots again, `field`/`value` against what the Java
//! generator wrote (testdata/java/src/com/acme/SessionRegistry.java: 12,000 `Session`s with
//! id `user-N` and a 200-byte zeroed payload). Hostile SQL is refused or bounded.

use std::collections::{BTreeMap, HashSet, VecDeque};

use heapscope::progress::Silent;
use heapscope::session::Session;
use heapscope_graph::{NodeIdx, WEAK_BIT};
use heapscope_parsers::ParseOptions;
use heapscope_reports::query::{self, Cell, Limits, QueryAnswer, QueryError};

use super::util::*;

const STATIC_MAP: &str = "testdata/java/dumps/static_map.hprof.gz";
const V8: &str = "testdata/node/snapshots/map-cache.heapsnapshot";

fn load(rel: &str) -> Session {
    Session::load(&root().join(rel), &ParseOptions::default(), &Silent)
        .unwrap_or_else(|e| panic!("{rel}: {e:?}"))
}

fn ask(s: &Session, sql: &str) -> QueryAnswer {
    query::run(&s.ctx(), sql, usize::MAX).unwrap_or_else(|e| panic!("{e}"))
}

fn int(c: &Cell) -> i64 {
    match c {
        Cell::Int(i) => *i,
        other => panic!("not an integer: {other:?}"),
    }
}

fn text(c: &Cell) -> &str {
    match c {
        Cell::Text(t) => t,
        other => panic!("not text: {other:?}"),
    }
}

fn sql_id(s: &Session, n: u32) -> i64 {
    s.analysis.graph.ids[n as usize] as i64
}

#[test]
fn counts_and_sums_per_type_match_the_histogram() {
    for f in [STATIC_MAP, V8] {
        let s = load(f);
        let a = &s.analysis;
        let g = &a.graph;
        let ans = ask(
            &s,
            "SELECT type, count(*), sum(shallow), sum(reachable) FROM objects GROUP BY type",
        );
        let got: BTreeMap<String, (i64, i64, i64)> = ans
            .rows
            .iter()
            .map(|r| {
                (
                    text(&r[0]).to_string(),
                    (int(&r[1]), int(&r[2]), int(&r[3])),
                )
            })
            .collect();
        // Naive: one pass over the nodes.
        let mut want: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for v in 0..g.node_count() as u32 {
            let e = want.entry(g.type_name(NodeIdx(v)).to_string()).or_default();
            e.0 += 1;
            e.1 += g.shallow[v as usize] as i64;
            e.2 += a.dom.is_reachable(v) as i64;
        }
        assert_eq!(got, want, "{f}");
        // The histogram (and the types table) say the same counts and shallow sizes.
        let types = ask(&s, "SELECT type, count, shallow, retained FROM types");
        assert_eq!(types.rows.len(), a.histogram.len(), "{f}");
        for (r, h) in types.rows.iter().zip(&a.histogram) {
            assert_eq!(text(&r[0]), g.types.get(h.type_id));
            let (n, sh, _) = want[text(&r[0])];
            assert_eq!((int(&r[1]), int(&r[2])), (n, sh), "{f} {}", text(&r[0]));
            assert_eq!(int(&r[3]) as u64, h.retained);
        }
        // MAT's minimum retained size of all instances of a type is the histogram's column.
        for h in a.histogram.iter().take(10) {
            let name = g.types.get(h.type_id).replace('\'', "''");
            let r = ask(
                &s,
                &format!("SELECT min_retained_set(id) FROM objects WHERE type = '{name}'"),
            );
            assert_eq!(int(&r.rows[0][0]) as u64, h.retained, "{f} {name}");
        }
    }
}

/// `ORDER BY type` and `GROUP BY type` over every object walk the objects in type order
/// (`Env::by_type`): every node exactly once, names ascending (or descending), and SQLite
/// neither sorts nor groups the rows through a temporary B-tree.
#[test]
fn objects_in_type_order_are_every_node_once_sorted_by_name() {
    for f in [STATIC_MAP, V8] {
        let s = load(f);
        let g = &s.analysis.graph;
        for (order, desc) in [("", false), (" DESC", true)] {
            let ans = ask(
                &s,
                &format!("SELECT type, node FROM objects ORDER BY type{order}"),
            );
            let nodes: Vec<u32> = ans.rows.iter().map(|r| int(&r[1]) as u32).collect();
            let mut seen = vec![false; g.node_count()];
            for &v in &nodes {
                assert!(!seen[v as usize], "{f}: node {v} twice");
                seen[v as usize] = true;
            }
            assert_eq!(nodes.len(), g.node_count(), "{f}");
            for (r, &v) in ans.rows.iter().zip(&nodes) {
                assert_eq!(text(&r[0]), g.type_name(NodeIdx(v)), "{f}");
            }
            let names: Vec<&str> = ans.rows.iter().map(|r| text(&r[0])).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            if desc {
                sorted.reverse();
            }
            assert_eq!(names, sorted, "{f}{order}");
        }
        for q in [
            "SELECT type, count(*) FROM objects GROUP BY type",
            "SELECT type FROM objects ORDER BY type DESC",
        ] {
            let plan = ask(&s, &format!("EXPLAIN QUERY PLAN {q}"));
            let detail: Vec<&str> = plan.rows.iter().map(|r| text(&r[3])).collect();
            assert!(
                !detail.iter().any(|d| d.contains("TEMP B-TREE")),
                "{f}: {q}: {detail:?}"
            );
        }
    }
}

#[test]
fn referrers_and_references_match_a_scan_of_every_edge() {
    for f in [STATIC_MAP, V8] {
        let s = load(f);
        let g = &s.analysis.graph;
        let n = g.node_count() as u32;
        // Nodes spread over the graph, and the most referenced one.
        let mut indeg = vec![0u32; n as usize];
        for &t in g.targets.iter() {
            indeg[(t & !WEAK_BIT) as usize] += 1;
        }
        let busiest = (0..n).max_by_key(|&v| indeg[v as usize]).unwrap();
        let mut sample: Vec<u32> = (0..12).map(|k| k * (n / 12)).collect();
        sample.push(busiest);
        // More lookups than the scans before the reverse index: both ways are checked.
        for &v in &sample {
            let id = sql_id(&s, v);
            let ans = ask(
                &s,
                &format!("SELECT src, label, weak FROM refs WHERE dst = {id}"),
            );
            let mut got: Vec<(i64, Option<String>, i64)> = ans
                .rows
                .iter()
                .map(|r| {
                    let l = match &r[1] {
                        Cell::Null => None,
                        c => Some(text(c).to_string()),
                    };
                    (int(&r[0]), l, int(&r[2]))
                })
                .collect();
            let mut want = Vec::new();
            for u in 0..n {
                for e in g.edge_range(NodeIdx(u)) {
                    let edge = g.edge(e);
                    if edge.target.0 == v {
                        want.push((sql_id(&s, u), g.label_text(edge.label), edge.weak as i64));
                    }
                }
            }
            got.sort();
            want.sort();
            assert_eq!(got, want, "{f}: referrers of node {v}");
            let out = ask(&s, &format!("SELECT dst FROM refs WHERE src = {id}"));
            let got: Vec<i64> = out.rows.iter().map(|r| int(&r[0])).collect();
            let want: Vec<i64> = g
                .edges(NodeIdx(v))
                .map(|e| sql_id(&s, e.target.0))
                .collect();
            assert_eq!(got, want, "{f}: references of node {v}");
            // And the object itself, by id (integer and hex text) and by node.
            let o = ask(
                &s,
                &format!(
                    "SELECT node, type, shallow, retained FROM objects WHERE id = {id} \
                     UNION ALL SELECT node, type, shallow, retained FROM objects WHERE id = '0x{:x}'",
                    id as u64
                ),
            );
            assert_eq!(o.rows.len(), 2, "{f}");
            for r in &o.rows {
                assert_eq!(int(&r[0]), v as i64);
                assert_eq!(text(&r[1]), g.type_name(NodeIdx(v)));
                assert_eq!(int(&r[2]) as u64, g.shallow[v as usize]);
                assert_eq!(int(&r[3]) as u64, s.analysis.retained[v as usize]);
            }
        }
        // All edges at once: as many rows as the graph has references.
        let all = ask(&s, "SELECT count(*), sum(weak) FROM refs");
        let weak = g.targets.iter().filter(|&&t| t & WEAK_BIT != 0).count();
        assert_eq!(int(&all.rows[0][0]) as usize, g.edge_count(), "{f}");
        assert_eq!(int(&all.rows[0][1]) as usize, weak, "{f}");
        // An id that is in no dump.
        let none = ask(&s, "SELECT * FROM objects WHERE id = -12345");
        assert!(none.rows.is_empty());
    }
}

/// What is reachable from the GC roots along the references that retain under the graph's
/// policy, with the nodes of `deleted` removed: a plain BFS, no dominators.
fn reachable_without(s: &Session, deleted: &HashSet<u32>) -> Vec<bool> {
    let g = &s.analysis.graph;
    let mut seen = vec![false; g.node_count()];
    let mut q = VecDeque::new();
    for r in &g.roots {
        let v = r.node.0;
        if !deleted.contains(&v) && !seen[v as usize] {
            seen[v as usize] = true;
            q.push_back(v);
        }
    }
    while let Some(u) = q.pop_front() {
        for e in g.edges(NodeIdx(u)) {
            if e.weak && !g.policy.weak_retains {
                continue;
            }
            let v = e.target.0;
            if !deleted.contains(&v) && !seen[v as usize] {
                seen[v as usize] = true;
                q.push_back(v);
            }
        }
    }
    seen
}

fn naive_retained(s: &Session, set: &[u32]) -> u64 {
    let before = reachable_without(s, &HashSet::new());
    let after = reachable_without(s, &set.iter().copied().collect());
    let g = &s.analysis.graph;
    (0..g.node_count())
        .filter(|&v| before[v] && !after[v])
        .map(|v| g.shallow[v])
        .sum()
}

#[test]
fn retained_set_is_the_size_that_deleting_the_set_frees() {
    // HPROF (MAT: unreached objects are not attached to the root, so the GC roots are all
    // the super-root's children and a BFS from them is the reference).
    let s = load(STATIC_MAP);
    let g = &s.analysis.graph;
    let ids_of = |nodes: &[u32]| {
        nodes
            .iter()
            .map(|&v| sql_id(&s, v).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let of_type = |t: &str| -> Vec<u32> {
        let t = g.types.lookup(t).unwrap();
        (0..g.node_count() as u32)
            .filter(|&v| g.type_of[v as usize] == t)
            .collect()
    };
    // Sets where the exact size exceeds the minimum: nodes held by two members together.
    let nodes = of_type("java.util.HashMap$Node");
    let sets: Vec<Vec<u32>> = vec![
        of_type("com.acme.Session"),
        nodes.iter().step_by(7).copied().collect(),
        nodes.iter().take(40).copied().collect(),
        of_type("java.lang.String").into_iter().take(500).collect(),
    ];
    // … and the referrers of objects that several objects hold together: deleting them all
    // frees the object, which the minimum leaves out unless one referrer dominates the rest.
    let mut sets = sets;
    let roots: HashSet<u32> = g.roots.iter().map(|r| r.node.0).collect();
    let mut referrers: Vec<Vec<u32>> = vec![Vec::new(); g.node_count()];
    for u in 0..g.node_count() as u32 {
        for e in g.edges(NodeIdx(u)) {
            let r = &mut referrers[e.target.ix()];
            if r.last() != Some(&u) {
                r.push(u);
            }
        }
    }
    sets.extend(
        (0..g.node_count())
            .filter(|&x| !roots.contains(&(x as u32)) && (2..=4).contains(&referrers[x].len()))
            .step_by(97)
            .take(30)
            .map(|x| referrers[x].clone()),
    );
    let mut exceeded = false;
    for set in &sets {
        let want = naive_retained(&s, set);
        let r = ask(
            &s,
            &format!(
                "SELECT retained_set(id), min_retained_set(id) FROM objects WHERE id IN ({})",
                ids_of(set)
            ),
        );
        let (exact, min) = (int(&r.rows[0][0]) as u64, int(&r.rows[0][1]) as u64);
        assert_eq!(exact, want, "set of {} nodes", set.len());
        assert!(min <= exact);
        exceeded |= min < exact;
    }
    assert!(exceeded, "no set where the minimum is below the exact size");
    // One object: its retained size, on both graphs' policies.
    for f in [STATIC_MAP, V8] {
        let s = load(f);
        let a = &s.analysis;
        let n = a.graph.node_count() as u32;
        for v in (0..n)
            .step_by((n / 40) as usize)
            .chain(a.top_retained(5).iter().map(|x| x.0))
        {
            let r = ask(
                &s,
                &format!("SELECT retained_set(id) FROM objects WHERE node = {v}"),
            );
            assert_eq!(
                int(&r.rows[0][0]) as u64,
                a.retained[v as usize],
                "{f} node {v}"
            );
        }
    }
}

#[test]
fn field_and_value_read_what_the_generator_wrote() {
    let s = load(STATIC_MAP);
    let r = ask(
        &s,
        "SELECT value(field(id, 'id')), field(id, 'createdAt'), value(field(id, 'attributes')), \
         field(id, 'nope') FROM objects WHERE type = 'com.acme.Session'",
    );
    assert_eq!(r.rows.len(), 12_000);
    let mut users: Vec<String> = Vec::new();
    for row in &r.rows {
        users.push(text(&row[0]).to_string());
        assert!(int(&row[1]) > 0, "createdAt is System.nanoTime()");
        match &row[2] {
            Cell::Blob { bytes, hex } => {
                assert_eq!(*bytes, 200);
                assert!(hex.chars().all(|c| c == '0'), "a new byte[200] is zeros");
            }
            other => panic!("attributes: {other:?}"),
        }
        assert_eq!(row[3], Cell::Null);
    }
    users.sort();
    let mut want: Vec<String> = (0..12_000).map(|i| format!("user-{i}")).collect();
    want.sort();
    assert_eq!(users, want);
    // Each map entry's key is its session's id (HashMap.put(user, new Session(user, …))).
    let r = ask(
        &s,
        "SELECT count(*) FROM objects WHERE type = 'java.util.HashMap$Node' \
         AND value(field(id, 'key')) = value(field(field(id, 'value'), 'id'))",
    );
    assert_eq!(int(&r.rows[0][0]), 12_000);
    // Group by holder: every session is held by the one static field (what analyze names).
    let r = ask(
        &s,
        "SELECT holder(id), count(*) FROM objects WHERE type = 'com.acme.Session' GROUP BY 1",
    );
    assert_eq!(r.rows.len(), 1, "{:?}", r.rows);
    assert!(text(&r.rows[0][0]).contains("static SESSIONS"));
    assert_eq!(int(&r.rows[0][1]), 12_000);
    // Duplicate strings: each group's count and waste, recomputed from the inspector.
    let r = ask(
        &s,
        "SELECT value(id) v, count(*) n, sum(shallow) - max(shallow) wasted FROM objects \
         WHERE type = 'java.lang.String' GROUP BY v HAVING n > 1 ORDER BY wasted DESC, v LIMIT 5",
    );
    let g = &s.analysis.graph;
    let t = g.types.lookup("java.lang.String").unwrap();
    let mut groups: BTreeMap<String, (i64, u64, u64)> = BTreeMap::new();
    for v in 0..g.node_count() as u32 {
        if g.type_of[v as usize] != t {
            continue;
        }
        if let Some(heapscope_graph::Contents::Text(x)) =
            s.inspector.contents(g, NodeIdx(v), 1 << 20)
        {
            let e = groups.entry(x).or_default();
            e.0 += 1;
            e.1 += g.shallow[v as usize];
            e.2 = e.2.max(g.shallow[v as usize]);
        }
    }
    assert!(!r.rows.is_empty());
    for row in &r.rows {
        let (n, sum, max) = groups[text(&row[0])];
        assert_eq!(int(&row[1]), n);
        assert_eq!(int(&row[2]) as u64, sum - max);
    }
    // The answer's text matches the String preview where that is not cut.
    let r = ask(
        &s,
        "SELECT node, value(id) FROM objects WHERE type = 'java.lang.String' LIMIT 200",
    );
    for row in &r.rows {
        let n = NodeIdx(int(&row[0]) as u32);
        if let (Some(p), Cell::Text(v)) = (s.inspector.value_preview(g, n), &row[1]) {
            assert!(v.starts_with(&p), "{v:?} vs {p:?}");
        }
    }
}

#[test]
fn paths_between_two_objects_follow_real_references() {
    let s = load(STATIC_MAP);
    let g = &s.analysis.graph;
    let sess = g.types.lookup("com.acme.Session").unwrap();
    let target = (0..g.node_count() as u32)
        .find(|&v| g.type_of[v as usize] == sess)
        .unwrap();
    let from = s.analysis.path_to(NodeIdx(target))[0].node.0;
    let r = ask(
        &s,
        &format!(
            "SELECT path, step, id, via FROM paths({}, {})",
            sql_id(&s, from),
            sql_id(&s, target)
        ),
    );
    assert!(!r.rows.is_empty());
    // Naive BFS distance from `from` to `target` over every reference.
    let mut dist = vec![u32::MAX; g.node_count()];
    dist[from as usize] = 0;
    let mut q = VecDeque::from([from]);
    while let Some(u) = q.pop_front() {
        for e in g.edges(NodeIdx(u)) {
            if dist[e.target.ix()] == u32::MAX {
                dist[e.target.ix()] = dist[u as usize] + 1;
                q.push_back(e.target.0);
            }
        }
    }
    let first: Vec<&Vec<Cell>> = r.rows.iter().filter(|row| int(&row[0]) == 0).collect();
    assert_eq!(first.len() as u32 - 1, dist[target as usize]);
    for w in r.rows.windows(2) {
        if int(&w[0][0]) != int(&w[1][0]) {
            continue;
        }
        let (a, b) = (
            g.find_id(int(&w[0][2]) as u64).unwrap(),
            g.find_id(int(&w[1][2]) as u64).unwrap(),
        );
        let labels: Vec<Option<String>> = g
            .edges(a)
            .filter(|e| e.target == b)
            .map(|e| g.label_text(e.label))
            .collect();
        let via = match &w[1][3] {
            Cell::Null => None,
            c => Some(text(c).to_string()),
        };
        assert!(
            labels.contains(&via),
            "no reference {via:?} from {a:?} to {b:?}"
        );
    }
}

#[test]
fn hostile_queries_are_refused_or_bounded() {
    let s = load(STATIC_MAP);
    let c = s.ctx();
    for sql in [
        "CREATE TABLE t(x)",
        "CREATE TEMP TABLE t AS SELECT 1",
        "INSERT INTO objects(id) VALUES (1)",
        "DELETE FROM refs",
        "ATTACH DATABASE '/tmp/heapscope-query-attach.db' AS x",
        "PRAGMA query_only = 0",
        "SELECT load_extension('/tmp/x.so')",
        "BEGIN",
    ] {
        match query::run(&c, sql, 10) {
            Err(QueryError::NotReadOnly { query, .. }) => assert_eq!(query, sql),
            Err(QueryError::Sql { query, .. }) => assert_eq!(query, sql),
            other => panic!("{sql}: {other:?}"),
        }
    }
    assert!(!std::path::Path::new("/tmp/heapscope-query-attach.db").exists());
    // Two statements: the second is never run.
    assert!(query::run(&c, "SELECT 1; DELETE FROM refs", 10).is_err());
    // Rows are bounded; the count goes on.
    let a = query::run(&c, "SELECT id FROM objects", 7).unwrap();
    assert_eq!(a.rows.len(), 7);
    assert!(a.truncated && a.total_exact);
    assert_eq!(a.total_rows as usize, s.analysis.graph.node_count());
    // A query without end: the rows wanted come back, the count is a lower bound.
    let forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c";
    let small = Limits {
        steps: 2_000_000,
        ..Limits::rows(10)
    };
    let a = query::run_with(&c, forever, &small).unwrap();
    assert_eq!(a.rows.len(), 10);
    assert!(a.truncated && !a.total_exact);
    // … and one that never gives a row stops with an error naming it.
    let count =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    match query::run_with(&c, count, &small) {
        Err(e @ QueryError::TooMuchWork { .. }) => assert!(e.to_string().contains("count(*)")),
        other => panic!("{other:?}"),
    }
    // Huge values are refused by SQLite's length limit.
    assert!(query::run(&c, "SELECT zeroblob(1000000000)", 1).is_err());
    // (printf stops at the limit: an error or a value no longer than it)
    if let Ok(a) = query::run(&c, "SELECT length(printf('%.*c', 1000000000, 'x'))", 1) {
        assert!(matches!(a.rows[0][0], Cell::Null) || int(&a.rows[0][0]) <= 64 << 20);
    }
    // A cell is capped however long the text is.
    let a = query::run(&c, "SELECT printf('%.*c', 100000, 'x')", 1).unwrap();
    match &a.rows[0][0] {
        Cell::Text(t) => assert!(t.chars().count() <= query::TEXT_SHOWN + 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cli_answers_in_every_form_and_names_a_bad_query() {
    let sql = "SELECT type, count(*) n FROM objects GROUP BY type ORDER BY n DESC, type";
    let o = heapscope([
        "query", "-q", STATIC_MAP, sql, "--limit", "3", "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["columns"], serde_json::json!(["type", "n"]));
    assert_eq!(j["rows"].as_array().unwrap().len(), 3);
    assert_eq!(j["truncated"], true);
    assert_eq!(j["rows"][0][0], "byte[]");
    // Text and Markdown and HTML draw the same rows.
    for (form, needle) in [
        ("text", "byte[]"),
        ("markdown", "| type | n |"),
        ("html", "<table"),
    ] {
        let o = heapscope([
            "query", "-q", STATIC_MAP, sql, "--limit", "3", "--format", form,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains(needle), "{form}: {}", stdout(&o));
    }
    // Bad SQL: exit 2, the query and SQLite's message on stderr.
    let o = heapscope(["query", "-q", STATIC_MAP, "SELEC type FROM objects"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("SELEC type FROM objects") && e.contains("syntax error"),
        "{e}"
    );
    let o = heapscope(["query", "-q", STATIC_MAP, "DROP TABLE objects"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("DROP TABLE objects"), "{}", stderr(&o));
}

#[test]
fn a_saved_index_answers_the_same() {
    // The HPROF inspector's field layouts are in the index (format 2): `field` works after a
    // reopen, and every answer is the same bytes as after a parse.
    let dir = tempdir("query-index");
    let dump = dir.path().join("static_map.hprof.gz");
    std::os::unix::fs::symlink(root().join(STATIC_MAP), &dump).unwrap();
    let d = dump.to_str().unwrap();
    let o = heapscope(["index", "-q", d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sql = "SELECT value(field(id, 'id')) u, field(id, 'createdAt') t, \
               length(value(field(id, 'attributes'))) n, path(id) p FROM objects \
               WHERE type = 'com.acme.Session' ORDER BY u LIMIT 50";
    let indexed = heapscope(["query", "-q", "--format", "json", d, sql]);
    let parsed = heapscope(["query", "-q", "--no-index", "--format", "json", d, sql]);
    assert_eq!(indexed.status.code(), Some(0), "{}", stderr(&indexed));
    assert!(!stderr(&indexed).contains("rebuil"), "{}", stderr(&indexed));
    assert_eq!(stdout(&indexed), stdout(&parsed));
    let j: serde_json::Value = serde_json::from_str(&stdout(&indexed)).unwrap();
    assert_eq!(j["rows"][0][0], "user-0");
    assert_eq!(j["rows"][0][2], 200);
}

#[test]
fn v8_fields_are_the_named_references() {
    let s = load(V8);
    let g = &s.analysis.graph;
    let obj = g.types.lookup("Object").unwrap();
    let mut checked = 0;
    for v in (0..g.node_count() as u32)
        .filter(|&v| g.type_of[v as usize] == obj)
        .take(50)
    {
        let id = sql_id(&s, v);
        let r = ask(
            &s,
            &format!(
                "SELECT label, field({id}, label), dst, (SELECT type FROM objects WHERE id = dst) \
                 FROM refs WHERE src = {id} AND label IS NOT NULL"
            ),
        );
        // A property's first edge of that name: its target's id, or a heap number's value.
        let mut seen = HashSet::new();
        for row in &r.rows {
            if !seen.insert(text(&row[0]).to_string()) {
                continue;
            }
            match (&row[1], text(&row[3])) {
                (Cell::Real(x), "(heap number)" | "number") => {
                    let n = g.find_id(int(&row[2]) as u64).unwrap();
                    assert!(s
                        .inspector
                        .value_preview(g, n)
                        .unwrap()
                        .contains(&x.to_string()));
                }
                (c, _) => assert_eq!(int(c), int(&row[2]), "{}", text(&row[0])),
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}
