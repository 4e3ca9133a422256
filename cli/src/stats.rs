//! `HEAPSCOPE_STATS=1`: after each stage, print its wall time, the CPU time (user + sys, all
//! threads; on a shared machine the steadier number) and the kernel's share of it with the page
//! faults taken (first touches of fresh memory are most of a big run's system time) and the
//! bytes written with `write`/`pwrite` (spill files: page cache filled), the process's
//! resident anonymous
//! memory (RssAnon) now, and the highest RssAnon seen *during* the stage, to stderr. A sampler
//! thread reads /proc/self/status every 5 ms while stats are on. Pages of a mapped dump (and of
//! spilled columns) are file-backed and not counted, as in the benchmarks (benches/README.md).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// End a stage of the process-wide stats (started on first use; a no-op unless
/// `HEAPSCOPE_STATS` is set).
pub fn stage(name: &str) {
    static STATS: OnceLock<Mutex<Stats>> = OnceLock::new();
    let stats = STATS.get_or_init(|| Mutex::new(Stats::from_env()));
    if let Ok(mut s) = stats.lock() {
        s.stage(name);
    }
}

/// Start the clock (call before the first stage).
pub fn start() {
    stage("");
}

pub struct Stats {
    on: bool,
    start: Instant,
    last: Instant,
    /// CPU seconds of the process when the last stage ended.
    last_cpu: f64,
    /// System seconds and minor page faults of the process when the last stage ended.
    last_kernel: Kernel,
    /// Highest RssAnon (KiB) since the last stage ended, written by the sampler.
    stage_peak: Arc<AtomicU64>,
    overall_peak_kib: u64,
    stop: Arc<AtomicBool>,
}

impl Stats {
    pub fn from_env() -> Stats {
        let on = std::env::var_os("HEAPSCOPE_STATS").is_some_and(|v| v != "0" && !v.is_empty());
        let now = Instant::now();
        let stage_peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        if on {
            let (peak, stop) = (stage_peak.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = rss_anon_kib() {
                        peak.fetch_max(kib, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
        }
        Stats {
            on,
            start: now,
            last: now,
            last_cpu: cpu_secs().unwrap_or(0.0),
            last_kernel: Kernel::now(),
            stage_peak,
            overall_peak_kib: 0,
            stop,
        }
    }

    /// Record the end of a stage.
    pub fn stage(&mut self, name: &str) {
        if !self.on {
            return;
        }
        if name.is_empty() {
            self.start = Instant::now();
            self.last = self.start;
            self.last_cpu = cpu_secs().unwrap_or(0.0);
            self.last_kernel = Kernel::now();
            return;
        }
        let now = Instant::now();
        let cpu = cpu_secs().unwrap_or(0.0);
        let kernel = Kernel::now();
        let anon = rss_anon_kib().unwrap_or(0);
        let during = self.stage_peak.swap(anon, Ordering::Relaxed).max(anon);
        self.overall_peak_kib = self.overall_peak_kib.max(during);
        eprintln!(
            "heapscope: stats: {name:<22} {:>8.3} s  CPU {:>7.2} s  (total {:>8.3} s)  RssAnon {:>6} MiB  (peak in stage {:>6} MiB, overall {:>6} MiB)  sys {:>6.2} s  faults {:>8}  written {:>6} MiB",
            (now - self.last).as_secs_f64(),
            cpu - self.last_cpu,
            (now - self.start).as_secs_f64(),
            anon / 1024,
            during / 1024,
            self.overall_peak_kib / 1024,
            kernel.sys_secs - self.last_kernel.sys_secs,
            kernel.minor_faults.saturating_sub(self.last_kernel.minor_faults),
            kernel.written.saturating_sub(self.last_kernel.written) >> 20,
        );
        self.last_kernel = kernel;
        self.last = now;
        self.last_cpu = cpu;
    }
}

impl Drop for Stats {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// RssAnon of this process in KiB (Linux); None elsewhere.
fn rss_anon_kib() -> Option<u64> {
    proc_field("/proc/self/status", "RssAnon:")
}

/// The first number after `key` at the start of a line of the text file `path` (Linux
/// `/proc` files such as `status` and `io`); None when the file or the line is missing.
fn proc_field(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// User + system CPU seconds of this process, all threads (Linux `/proc/self/stat` fields 14
/// and 15, in the kernel's fixed 100 ticks per second); None elsewhere.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut f = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let (u, s): (u64, u64) = (f.next()?.parse().ok()?, f.next()?.parse().ok()?);
    Some((u + s) as f64 / 100.0)
}

/// Bytes this process has written through `write`-family calls (Linux `/proc/self/io`,
/// `wchar`); None elsewhere.
fn written_bytes() -> Option<u64> {
    proc_field("/proc/self/io", "wchar:")
}

/// The process's system time and minor page faults so far (all threads; `getrusage`), and the
/// bytes it has written with `write`/`pwrite` (`wchar` of `/proc/self/io`: mostly spill files,
/// each byte a page-cache page filled, fresh unless a dead file is reused; 0 elsewhere).
#[derive(Clone, Copy, Default)]
struct Kernel {
    sys_secs: f64,
    minor_faults: u64,
    written: u64,
}

impl Kernel {
    fn now() -> Kernel {
        #[cfg(unix)]
        {
            // SAFETY: getrusage only writes the struct it is given, which is plain data.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: a valid pointer to a rusage of this process.
            if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0 {
                return Kernel {
                    sys_secs: ru.ru_stime.tv_sec as f64 + ru.ru_stime.tv_usec as f64 * 1e-6,
                    minor_faults: ru.ru_minflt as u64,
                    written: written_bytes().unwrap_or(0),
                };
            }
        }
        Kernel::default()
    }
}
