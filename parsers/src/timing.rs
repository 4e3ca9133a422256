//! `HEAPSCOPE_STATS_V8=1` / `HEAPSCOPE_STATS_HPROF=1` / `HEAPSCOPE_STATS_TRACEMALLOC=1`: the wall
//! and CPU time (user + sys of the whole process, all threads) of each of the V8, HPROF or
//! tracemalloc reader's steps and the RssAnon each leaves, to stderr — where the
//! parse stage of `HEAPSCOPE_STATS` spends its time, and whether a step keeps both cores busy
//! (CPU / wall near the core count) or one. Off, a step costs one branch on a cached flag.

use std::sync::OnceLock;
use std::time::Instant;

/// The readers whose steps are timed, each switched on by its own variable.
#[derive(Clone, Copy)]
pub(crate) enum Reader {
    V8,
    Hprof,
    Tracemalloc,
}

impl Reader {
    fn on(self) -> bool {
        fn var(name: &str) -> bool {
            std::env::var_os(name).is_some_and(|v| v != "0" && !v.is_empty())
        }
        static V8: OnceLock<bool> = OnceLock::new();
        static HPROF: OnceLock<bool> = OnceLock::new();
        static TRACEMALLOC: OnceLock<bool> = OnceLock::new();
        match self {
            Reader::V8 => *V8.get_or_init(|| var("HEAPSCOPE_STATS_V8")),
            Reader::Hprof => *HPROF.get_or_init(|| var("HEAPSCOPE_STATS_HPROF")),
            Reader::Tracemalloc => *TRACEMALLOC.get_or_init(|| var("HEAPSCOPE_STATS_TRACEMALLOC")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Reader::V8 => "v8",
            Reader::Hprof => "hprof",
            Reader::Tracemalloc => "tracemalloc",
        }
    }
}

/// CPU seconds (user + sys) of the process so far.
fn cpu() -> f64 {
    rusage_cpu(libc::RUSAGE_SELF)
}

/// CPU seconds (user + sys) of the calling thread so far (0 where there is no such clock): a
/// stage line's measure of one core's share of a split read, which the host's load does not
/// stretch as it does the wall clock.
pub(crate) fn thread_cpu() -> f64 {
    #[cfg(target_os = "linux")]
    {
        rusage_cpu(libc::RUSAGE_THREAD)
    }
    #[cfg(not(target_os = "linux"))]
    {
        0.0
    }
}

/// `getrusage(who)`'s user + system time, in seconds.
fn rusage_cpu(who: libc::c_int) -> f64 {
    // SAFETY: getrusage writes the struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    let t = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// RssAnon of this process now, in MiB (Linux; `None` elsewhere): what a step leaves allocated.
fn rss_anon_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The clock of the steps: each [`step`](Steps::step) prints the time since the previous one.
pub(crate) struct Steps {
    reader: Reader,
    at: Option<(Instant, f64)>,
}

impl Steps {
    /// The V8 reader's clock.
    pub(crate) fn start() -> Steps {
        Steps::of(Reader::V8)
    }

    pub(crate) fn of(reader: Reader) -> Steps {
        Steps {
            reader,
            at: reader.on().then(|| (Instant::now(), cpu())),
        }
    }

    /// End step `name`.
    pub(crate) fn step(&mut self, name: &str) {
        if let Some((t, c)) = self.at {
            let (now, cpu_now) = (Instant::now(), cpu());
            let wall = (now - t).as_secs_f64();
            let used = cpu_now - c;
            eprintln!(
                "heapscope: stats: {} {name:<28} {wall:7.3} s  CPU {used:6.2} s  ({:.2} cores)  RssAnon {:>5} MiB",
                self.reader.name(),
                used / wall.max(1e-9),
                rss_anon_mib().map_or_else(|| "?".to_string(), |m| m.to_string())
            );
            self.at = Some((now, cpu_now));
        }
    }
}
