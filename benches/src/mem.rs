//! Peak anonymous resident memory of this process.
//!
//! `RssAnon` (anonymous pages: heap, stacks) is what the budget counts: pages of a mapped dump
//! are file-backed and the kernel can drop them. A sampler thread reads `/proc/self/status`
//! every [`SAMPLE_EVERY`]; the kernel's `VmHWM` (peak of *all* resident pages, reset per pass by
//! writing `5` to `/proc/self/clear_refs`) cross-checks it without sampling gaps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Sampling period. 2 ms: a pass of 10^7 nodes allocates its arrays over tens of milliseconds,
/// so a peak held shorter than that is at most a few MiB off.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(2);

/// A field of `/proc/self/status` in bytes (`RssAnon`, `VmHWM`, `VmRSS` …); 0 if absent.
pub fn status_bytes(field: &str) -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// CPU time of all threads of this process so far, in seconds (`/proc/self/task/*/schedstat`,
/// nanoseconds on a CPU). On a machine shared with other builds, wall time swings with their
/// load; CPU time much less so.
pub fn cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ns = 0u64;
    for e in dir.flatten() {
        if let Ok(s) = std::fs::read_to_string(e.path().join("schedstat")) {
            ns += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    ns as f64 / 1e9
}

/// Reset the kernel's peak-RSS mark (`VmHWM`) to the current RSS. Returns false where the kernel
/// does not allow it.
pub fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Samples `RssAnon` in a background thread; [`Sampler::take_peak`] returns the largest value
/// since the previous call and starts a new window.
pub struct Sampler {
    peak: Arc<AtomicU64>,
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    pub fn start() -> Sampler {
        let peak = Arc::new(AtomicU64::new(status_bytes("RssAnon")));
        let (stop, rx) = mpsc::channel::<()>();
        let p = Arc::clone(&peak);
        let thread = std::thread::spawn(move || loop {
            p.fetch_max(status_bytes("RssAnon"), Ordering::Relaxed);
            // Waits one period, or ends at once when the sampler is dropped.
            match rx.recv_timeout(SAMPLE_EVERY) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                _ => return,
            }
        });
        Sampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// Largest `RssAnon` seen since the last call (including now), then restart the window.
    pub fn take_peak(&self) -> u64 {
        let now = status_bytes("RssAnon");
        self.peak.swap(now, Ordering::Relaxed).max(now)
    }

    /// Start a new window at the current value.
    pub fn reset(&self) {
        self.peak.store(status_bytes("RssAnon"), Ordering::Relaxed);
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_anon_grows_with_touched_memory() {
        let s = Sampler::start();
        s.reset();
        let before = status_bytes("RssAnon");
        assert!(before > 0, "RssAnon missing from /proc/self/status");
        // black_box: an optimised build would otherwise never allocate the unused vector.
        let v = std::hint::black_box(vec![1u8; 64 << 20]);
        let peak = s.take_peak();
        assert!(peak >= before + (60 << 20), "peak {peak} before {before}");
        drop(v);
    }
}
