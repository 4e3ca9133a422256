//! `HEAPSCOPE_STATS=1`: after each stage, print its wall time and the process's resident
//! anonymous memory (RssAnon, now and the peak seen so far) to stderr. Pages of a mapped dump are
//! file-backed and not counted, as in the benchmarks (benches/README.md).

use std::time::Instant;

pub struct Stats {
    on: bool,
    start: Instant,
    last: Instant,
    peak_kib: u64,
}

impl Stats {
    pub fn from_env() -> Stats {
        let on = std::env::var_os("HEAPSCOPE_STATS").is_some_and(|v| v != "0" && !v.is_empty());
        let now = Instant::now();
        Stats {
            on,
            start: now,
            last: now,
            peak_kib: 0,
        }
    }

    /// Record the end of a stage.
    pub fn stage(&mut self, name: &str) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        let anon = rss_anon_kib().unwrap_or(0);
        self.peak_kib = self.peak_kib.max(anon);
        eprintln!(
            "heapscope: stats: {name:<22} {:>8.3} s  (total {:>8.3} s)  RssAnon {:>8} MiB  (max seen {:>8} MiB)",
            (now - self.last).as_secs_f64(),
            (now - self.start).as_secs_f64(),
            anon / 1024,
            self.peak_kib / 1024
        );
        self.last = now;
    }
}

/// RssAnon of this process in KiB (Linux); None elsewhere.
fn rss_anon_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
