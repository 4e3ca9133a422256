//! jemalloc's `prof.dump` form (`heap_v2/RATE`, per-thread `t*:` / `tN:` lines, `@ 0xADDR …`
//! stacks, then `MAPPED_LIBRARIES:`), as jeprof reads it.

use heapscope_graph::facts::{PprofDetails, ProfileHeader};

use super::batch::{emit, Stack};
use super::{scale_heap, utf8, Cur, Kind, State};
use crate::pprof::tree::CallTree;
use crate::{Fail, ParseOptions, Parsed};

impl State {
    /// jemalloc's `prof.dump` (jeprof's format): `heap_v2/RATE`, the process total `t*: c: b
    /// [ac: ab]` and one `tN:` line per thread, then per stack `@ 0xADDR …` followed by its own
    /// `t*:` and `tN:` lines, then `MAPPED_LIBRARIES:`. The counts are live sampled objects,
    /// unscaled; jeprof scales them by the rate as pprof does heap_v2 (1/(1−e^(−avg/rate))).
    /// Frames are the addresses (the dump names none).
    pub(super) fn jemalloc<'a>(
        &mut self,
        hline: &str,
        hat: u64,
        it: impl Iterator<Item = (u64, &'a [u8])>,
        opts: &ParseOptions,
    ) -> Result<Parsed, Fail> {
        let t = hline.trim();
        let rate: i64 = t["heap_v2/".len()..]
            .trim()
            .parse()
            .map_err(|_| Fail::at_u64(hat + 8, "the sampling rate after \"heap_v2/\""))?;
        let types: Vec<(String, String)> = vec![
            ("inuse_objects".into(), "count".into()),
            ("inuse_space".into(), "bytes".into()),
        ];
        let choice = self.choose(&types, hat, opts)?;
        let kind = Kind::Heap {
            rate,
            v2: true,
            has_alloc: false,
        };
        let mut tree = CallTree::new(choice.objects.is_some());
        let mut path = Vec::new();
        let mut stack: Option<Vec<u64>> = None;
        let mut details = PprofDetails::default();
        for (at, raw) in it {
            let line = utf8(raw, at)?;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.contains("MAPPED_LIBRARIES:") {
                break;
            }
            let lead = (line.len() - line.trim_start().len()) as u64;
            if let Some(rest) = t.strip_prefix('@') {
                let mut c = Cur::new(rest, at + lead + 1);
                let mut addrs = Vec::new();
                c.addresses(&mut addrs)?;
                stack = Some(addrs);
                continue;
            }
            let Some((thread, counts)) = t.split_once(':') else {
                return Err(Fail::at_u64(
                    at,
                    "a jemalloc heap_v2 line: \"@ 0x…\", \"t*: N: B [N: B]\" or \"tK: …\"",
                ));
            };
            let per_thread = thread
                .strip_prefix('t')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if thread != "t*" && !per_thread {
                return Err(Fail::at_u64(at, "a \"t*:\" or \"tK:\" thread line"));
            }
            let mut c = Cur::new(counts, at + lead + thread.len() as u64 + 1);
            let ([(_, n), (_, b), (_, an), (_, ab)], _) = c.counts()?;
            if per_thread {
                continue;
            }
            match stack.take() {
                None => {
                    details.header = Some(ProfileHeader::Heap {
                        inuse_objects: n,
                        inuse_space: b,
                        alloc_objects: an,
                        alloc_space: ab,
                    });
                }
                Some(addrs) => {
                    if n == 0 && b != 0 {
                        return Err(Fail::at_u64(at, "a nonzero object count for nonzero bytes"));
                    }
                    let (n, b) = scale_heap(n, b, rate);
                    let rec = Stack {
                        values: &[n, b],
                        named: &[],
                        addrs: &addrs,
                        labels: None,
                    };
                    emit(&mut self.seen, &mut tree, (kind, &choice), rec, &mut path);
                }
            }
        }
        let info = crate::pprof::facts();
        details.form = "jemalloc heap_v2".into();
        details.sampling_rate = Some(rate);
        details.period = rate;
        details.period_type = Some(super::header::value_type("space", "bytes"));
        Ok(self.done(info, details, &types, &choice, tree))
    }
}
