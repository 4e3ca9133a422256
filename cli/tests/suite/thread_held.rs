//! A suspect a thread holds names the thread and shows its stack, with the frame whose local
//! variable holds it (testdata/java/threads: a worker's local list, and a list that grew until
//! the heap ran out). The expected thread, method and line come from the generator's own
//! source (the line marked `// HOLDS` and the thread's name in its scenario), and the frames
//! are checked against the JVM's own view of the stack (`jcmd Thread.print` taken just before
//! the dump, or the OutOfMemoryError's stack trace), never from hard-coded ids or offsets.

use serde_json::Value;

use super::util::{analyze_json, heapscope, root, stdout};

/// What the generator's source says: the class and method whose `// HOLDS` line holds the
/// structure, that line's number, and the thread's name given in the scenario.
struct Expected {
    function: String,
    file: String,
    line: u32,
    thread: String,
}

fn expected(class: &str, scenario: &str) -> Expected {
    let src = root().join("testdata/java/src/com/acme");
    let file = format!("{class}.java");
    let text = std::fs::read_to_string(src.join(&file)).expect("generator source");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("// HOLDS"))
        .expect("a line marked // HOLDS");
    // The method around it: the nearest line above that declares one (`name(...) {`).
    let method = lines[..at]
        .iter()
        .rev()
        .find_map(|l| {
            let t = l.trim();
            let head = t.strip_suffix('{')?.trim_end();
            let before_paren = head.split('(').next()?;
            let name = before_paren.split_whitespace().last()?;
            (head.contains(')') && !matches!(name, "if" | "while" | "for" | "catch" | "switch"))
                .then(|| name.to_string())
        })
        .expect("the method of the // HOLDS line");
    let scenario_src = std::fs::read_to_string(src.join(format!("scenario/{scenario}.java")))
        .expect("scenario source");
    // The thread's name: the string literal passed to `new Thread(…, "name")`.
    let after = scenario_src
        .split("new Thread(")
        .nth(1)
        .expect("a new Thread(...) in the scenario");
    let end = after
        .find("\")")
        .expect("the thread's name literal, last argument");
    let start = after[..end].rfind('"').expect("its opening quote") + 1;
    let thread = after[start..end].to_string();
    Expected {
        function: format!("com.acme.{class}.{method}"),
        file,
        line: at as u32 + 1,
        thread,
    }
}

/// The frames of one thread in a `jcmd Thread.print` listing or an exception's stack trace:
/// `class.method(File.java:N)` with the `java.base@17…/` or `java.base/` module prefix removed.
fn jvm_frames(listing: &str, thread: &str) -> Vec<String> {
    let start = listing
        .find(&format!("\"{thread}\""))
        .unwrap_or_else(|| panic!("thread {thread} in the JVM's listing"));
    listing[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.trim().strip_prefix("at "))
        .map(|f| {
            let (head, loc) = f.split_once('(').unwrap_or((f, ""));
            let loc = loc.rsplit('/').next().unwrap_or(loc);
            // An exception's trace puts the module first (`java.base/java.lang.Thread.run`);
            // a hidden class's name has a `/` of its own (`…$$Lambda$1/0x…`).
            let head = match head.split_once('/') {
                Some((module, rest)) if !module.contains('$') && !rest.starts_with("0x") => rest,
                _ => head,
            };
            format!("{head}({loc}")
        })
        .collect()
}

fn suspect_thread(r: &Value) -> (&Value, &Value) {
    let s = r["suspects"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s.get("thread").is_some()))
        .expect("a suspect held by a thread");
    (s, &s["thread"])
}

fn check(dump: &str, class: &str, scenario: &str, listing: &str) {
    let want = expected(class, scenario);
    let r = analyze_json(dump, &[]).expect("analysed");
    let (s, t) = suspect_thread(&r);
    assert_eq!(
        r["suspects"][0]["rank"], s["rank"],
        "{dump}: the first suspect"
    );
    assert_eq!(t["name"], want.thread.as_str(), "{dump}: thread");
    let stack = t["stack"].as_array().expect("stack");
    let k = t["frame"].as_u64().expect("the holding frame") as usize;
    let f = &stack[k];
    assert_eq!(f["function"], want.function.as_str(), "{dump}");
    assert_eq!(f["file"], want.file.as_str(), "{dump}");
    assert_eq!(f["line"], want.line, "{dump}");
    assert_eq!(
        f["text"],
        format!("{}({}:{})", want.function, want.file, want.line).as_str()
    );
    // The holding frame is the innermost one of that method: no frame above it runs it.
    assert!(
        stack[..k].iter().all(|g| g["function"] != f["function"]),
        "{dump}: innermost frame of {}",
        want.function
    );
    // The JVM's own view of that thread lists the same frames from the holding one down (a
    // dump taken on OutOfMemoryError adds the error's constructor at the top).
    let jvm = jvm_frames(
        &std::fs::read_to_string(root().join(listing)).expect("JVM listing"),
        &want.thread,
    );
    let ours: Vec<String> = stack
        .iter()
        .map(|g| g["text"].as_str().unwrap_or("").replace('+', "/"))
        .collect();
    let j = jvm
        .iter()
        .position(|x| *x == ours[k])
        .unwrap_or_else(|| panic!("{dump}: {} not in the JVM's view {jvm:?}", ours[k]));
    assert_eq!(
        ours[k..],
        jvm[j..],
        "{dump}: frames from the holding one down"
    );
    // The object the thread holds is the suspect's GC root, and the views name the thread.
    assert_eq!(
        s["path_to_root"][0]["root_kind"], "Java frame",
        "{dump}: a local variable is the root"
    );
    for format in ["text", "markdown", "html"] {
        let o = heapscope(["analyze", "--format", format, dump]);
        let out = stdout(&o);
        assert!(
            out.contains(&format!("at {}", ours[k])) && out.contains("its local variable holds it"),
            "{dump} ({format}): the stack with the holding frame marked"
        );
        assert!(out.contains(&want.thread), "{dump} ({format}): thread name");
    }
}

#[test]
fn a_worker_holding_a_batch_in_a_local_variable_is_named_with_its_stack() {
    check(
        "testdata/java/threads/local_holder.hprof.gz",
        "Importer",
        "LocalHolder",
        "testdata/java/threads/local_holder.threads.txt",
    );
}

#[test]
fn the_thread_that_ran_out_of_heap_reading_a_log_is_named_with_its_stack() {
    check(
        "testdata/java/threads/oom_read_all.hprof.gz",
        "LogLoader",
        "OomReadAll",
        "testdata/java/threads/oom_read_all.oom.txt",
    );
}

/// A thread that holds a suspect through its thread object (its ThreadLocal map), not a
/// local variable: the thread is named, no frame is marked.
#[test]
fn a_thread_holding_through_its_thread_object_has_no_frame() {
    let r = analyze_json("testdata/java/dumps/thread_locals.hprof.gz", &[]).expect("analysed");
    let (_, t) = suspect_thread(&r);
    assert!(
        t["name"].as_str().is_some_and(|n| n.starts_with("worker-")),
        "{t}"
    );
    assert!(t.get("frame").is_none(), "{t}");
    // The thread object is the path's root.
    let (s, _) = suspect_thread(&r);
    assert_eq!(s["path_to_root"][0]["id"], t["object_id"]);
}
