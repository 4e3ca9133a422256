//! Fresh pages faulted in on the second core ahead of a pass that fills arrays front to back.
//!
//! The dominators' DFS pushes one entry per numbered node to each of three arrays (`parent`,
//! `semi`, `back`: 4 B each, capacity for every node, untouched until pushed). Each push that
//! starts a page takes a page fault that zeroes a fresh page; on a VM that backs guest memory
//! lazily that costs ~1 s per GiB (benches/scripts/fresh-probe.py), and it is on the critical
//! path: ~0.8 s of the DFS thread's 3.7 s on the 44.8 M-object JDK dump
//! (benches/scripts/hprof/RESULTS.md, session 28). [`PageAhead`] lets a helper thread take
//! those faults instead, with `MADV_POPULATE_WRITE` (Linux 5.14+: the pages are mapped
//! writable as a write would map them, and nothing is written), at most [`AHEAD`] elements
//! past what the pass has published, so the pages it maps early are at most 1 MiB per array
//! (+3 MiB on the peak). A page the pass reaches first is faulted by the pass, as without a
//! helper; the contents are the pass's either way. Measured: the DFS thread's kernel samples
//! 459 → 23 (`perf`, the page faults gone to the helper), the dominators' stage ~0.2 s and the
//! run 0.28 s (median of 5 alternated rounds) shorter, at the same CPU time.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;

/// How far past the published length the helper maps pages: 1 MiB of `u32`s per array.
const AHEAD: usize = 1 << 18;

/// How often (in elements, a power of two) the pass publishes its length: every 256 KiB of
/// `u32`s.
pub(crate) const STEP: usize = 1 << 16;

/// The pages of up to three arrays of `u32` that a pass fills in step, front to back, mapped by
/// [`run`](Self::run) on another thread ahead of [`advance`](Self::advance)'s length.
pub(crate) struct PageAhead {
    /// Each array's first element's address (`usize`: only ever passed to `madvise`).
    bases: [usize; 3],
    /// Elements each array has room for (its capacity, or less).
    cap: usize,
    /// The pass's length so far (published every [`STEP`] elements).
    published: AtomicUsize,
    /// Set when the pass is done (or gone): the helper returns.
    done: AtomicBool,
    /// The helper, once it runs, to wake.
    helper: OnceLock<Thread>,
}

impl PageAhead {
    /// For the arrays starting at `bases`, each with room for at least `cap` elements that no
    /// one frees before [`run`](Self::run) returns.
    pub(crate) fn new(bases: [*const u32; 3], cap: usize) -> PageAhead {
        PageAhead {
            bases: bases.map(|b| b as usize),
            cap,
            published: AtomicUsize::new(0),
            done: AtomicBool::new(false),
            helper: OnceLock::new(),
        }
    }

    /// The pass has `len` elements in each array.
    #[inline]
    pub(crate) fn advance(&self, len: usize) {
        self.published.store(len, Ordering::Release);
        if let Some(t) = self.helper.get() {
            t.unpark();
        }
    }

    /// The pass is done: [`run`](Self::run) returns.
    pub(crate) fn finish(&self) {
        self.done.store(true, Ordering::Release);
        if let Some(t) = self.helper.get() {
            t.unpark();
        }
    }

    /// The helper's loop: map the pages up to [`AHEAD`] elements past the published length,
    /// then wait for the next [`advance`](Self::advance); returns at [`finish`](Self::finish),
    /// at the arrays' end, or at once where the kernel cannot populate (not Linux, before
    /// 5.14).
    pub(crate) fn run(&self) {
        let _ = self.helper.set(std::thread::current());
        let mut mapped = 0usize;
        while !self.done.load(Ordering::Acquire) {
            match self.map_more(&mut mapped) {
                Step::Mapped => {}
                // Woken by `advance` or `finish` (a wake before this park makes it return at
                // once: none is lost).
                Step::Wait => std::thread::park(),
                Step::Stop => return,
            }
        }
    }

    /// One round of [`run`](Self::run): map from element `mapped` up to [`AHEAD`] past the
    /// published length (within the arrays), moving `mapped` there.
    fn map_more(&self, mapped: &mut usize) -> Step {
        let want = self
            .published
            .load(Ordering::Acquire)
            .saturating_add(AHEAD)
            .min(self.cap);
        if want <= *mapped {
            return if *mapped >= self.cap {
                Step::Stop
            } else {
                Step::Wait
            };
        }
        for &b in &self.bases {
            if !populate_write(b + *mapped * 4, b + want * 4) {
                return Step::Stop;
            }
        }
        *mapped = want;
        Step::Mapped
    }
}

/// What a round of the helper did.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Mapped more pages.
    Mapped,
    /// Nothing to map until the pass publishes more.
    Wait,
    /// Done: the arrays' end, or the kernel cannot populate.
    Stop,
}

/// `MADV_POPULATE_WRITE` over the pages of the byte range `from..to` of this process's memory:
/// true when the kernel did it.
fn populate_write(from: usize, to: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = from & !(PAGE - 1);
        if to <= start {
            return true;
        }
        // SAFETY: advice only: the range is inside allocations the caller of `PageAhead::new`
        // keeps alive while `run` runs, and populating writes no byte of it.
        unsafe {
            libc::madvise(
                start as *mut libc::c_void,
                to - start,
                libc::MADV_POPULATE_WRITE,
            ) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (from, to);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pass pushing to three arrays beside the helper ends with exactly its own contents, and
    /// the helper returns when told (or at the arrays' end).
    #[test]
    fn the_pass_contents_are_its_own() {
        for n in [1usize, 1000, 3 * AHEAD + 12_345] {
            let mut a: Vec<u32> = Vec::with_capacity(n);
            let mut b: Vec<u32> = Vec::with_capacity(n);
            let mut c: Vec<u32> = Vec::with_capacity(n);
            let ahead = PageAhead::new([a.as_ptr(), b.as_ptr(), c.as_ptr()], n);
            std::thread::scope(|sc| {
                let h = sc.spawn(|| ahead.run());
                for i in 0..n {
                    a.push(i as u32);
                    b.push(!(i as u32));
                    c.push((i as u32).wrapping_mul(2_654_435_761));
                    if a.len() & (STEP - 1) == 0 {
                        ahead.advance(a.len());
                    }
                }
                ahead.finish();
                h.join().unwrap();
            });
            assert!(a.iter().enumerate().all(|(i, &v)| v == i as u32), "{n}");
            assert!(b.iter().enumerate().all(|(i, &v)| v == !(i as u32)), "{n}");
            let want = |i: usize| (i as u32).wrapping_mul(2_654_435_761);
            assert!(c.iter().enumerate().all(|(i, &v)| v == want(i)), "{n}");
        }
    }

    /// The helper maps the pages up to `AHEAD` past the published length, and no further
    /// (resident pages of a fresh anonymous mapping, `mincore`).
    #[cfg(target_os = "linux")]
    #[test]
    fn pages_are_mapped_ahead_and_not_far_ahead() {
        let n = 8 * AHEAD;
        let map = memmap2::MmapMut::map_anon(n * 4).unwrap();
        let p = map.as_ptr() as *const u32;
        let ahead = PageAhead::new([p; 3], n);
        let mut mapped = 0;
        // Nothing published yet: the first window.
        if ahead.map_more(&mut mapped) == Step::Stop {
            return; // a kernel before 5.14: nothing is mapped ahead, as documented
        }
        assert_eq!(mapped, AHEAD);
        assert_eq!(resident_pages(p, n), AHEAD * 4 / 4096);
        assert_eq!(ahead.map_more(&mut mapped), Step::Wait);
        ahead.advance(2 * AHEAD);
        assert_eq!(ahead.map_more(&mut mapped), Step::Mapped);
        assert_eq!(mapped, 3 * AHEAD);
        assert_eq!(resident_pages(p, n), 3 * AHEAD * 4 / 4096);
        assert_eq!(ahead.map_more(&mut mapped), Step::Wait);
        ahead.advance(n);
        assert_eq!(ahead.map_more(&mut mapped), Step::Mapped);
        assert_eq!(resident_pages(p, n), n * 4 / 4096);
        assert_eq!(ahead.map_more(&mut mapped), Step::Stop);
    }

    /// Resident pages of the `n` `u32`s at `p` (`mincore`).
    #[cfg(target_os = "linux")]
    fn resident_pages(p: *const u32, n: usize) -> usize {
        let start = p as usize & !4095;
        let len = p as usize + n * 4 - start;
        let mut v = vec![0u8; len.div_ceil(4096)];
        // SAFETY: the range is inside `p`'s allocation (its pages, rounded down to the first);
        // `v` has one byte per page.
        let r = unsafe { libc::mincore(start as *mut libc::c_void, len, v.as_mut_ptr()) };
        assert_eq!(r, 0);
        v.iter().filter(|&&b| b & 1 != 0).count()
    }
}
