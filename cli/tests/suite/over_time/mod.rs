//! The over-time reports on the real growth series in testdata/, checked against the reference
//! answers recorded there (CPython's `compare_to`, `go tool pprof -base`) and against the
//! scenarios' own sources (which line leaks, which caches), through the library
//! (`heapscope::Session`) and `heapscope_reports::overtime`.

mod evidence;
mod growth;
mod healthy;
mod pages;
mod reference;

use std::path::{Path, PathBuf};

use heapscope::progress::Silent;
use heapscope::session::{parse_options, Session};
use heapscope_reports::overtime::{
    build_diff, build_trend, memlab, summarize, DiffOptions, DiffReport, TrendOptions, TrendReport,
};

pub(super) fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

pub(super) fn open(rel: &str, sample_index: Option<&str>, group_by: Option<&str>) -> Session {
    let opts = parse_options(sample_index, group_by, None);
    Session::load(&testdata(rel), &opts, &Silent)
        .unwrap_or_else(|e| panic!("{rel}: {}", e.message().unwrap_or_default()))
}

/// The diff of two loaded dumps (their grouping was chosen when they were parsed).
pub(super) fn diff(base: &Session, target: &Session) -> DiffReport {
    build_diff(base.dump(), target.dump(), &DiffOptions::default())
}

pub(super) fn trend(files: &[&str], sample_index: Option<&str>) -> (TrendReport, Vec<Session>) {
    let loaded: Vec<Session> = files.iter().map(|f| open(f, sample_index, None)).collect();
    let s: Vec<_> = loaded.iter().map(|l| summarize(l.dump())).collect();
    let m = match (&s[0].ids, &s[s.len() - 2].ids) {
        (Some(_), Some(_)) => Some(memlab(
            loaded.last().unwrap().dump(),
            &s[0],
            &s[s.len() - 2],
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
pub(super) fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(testdata(file)).unwrap();
    1 + text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in {file}"))
}

pub(super) const PYTHONS: [&str; 6] = ["py38", "py39", "py310", "py311", "py312", "py313"];

/// (instances, bytes) of a class in a `jcmd GC.class_histogram` file.
pub(super) fn histo(rel: &str, class: &str) -> (i64, i64) {
    let text = std::fs::read_to_string(testdata(rel)).unwrap();
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(3) == Some(class))
        .unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    (f[1].parse().unwrap(), f[2].parse().unwrap())
}

/// The integer a source file assigns to `name` (`NAME = 2_000`, `const NAME = 300;`).
pub(super) fn source_const(file: &str, name: &str) -> u64 {
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
