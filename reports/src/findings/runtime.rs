//! Findings about the process rather than its objects: Go goroutine leaks (goroutine
//! profiles) and heap fragmentation (runtime.MemStats, judged by [`crate::fragmentation`]).

use super::{Finding, Subject};
use crate::build::{Ctx, ReportOptions};
use crate::patterns::Pattern;

pub(crate) fn findings(ctx: &Ctx, opts: &ReportOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    if ctx.info.is_goroutine_profile() {
        out.extend(super::go::goroutine_leaks(ctx, opts).into_iter().map(|gr| {
            let share = if gr.total == 0 {
                0.0
            } else {
                gr.count as f64 / gr.total as f64
            };
            Finding {
                pattern: Pattern::GoroutineLeak,
                bytes: 0,
                share: share.min(1.0),
                subject: Subject::Goroutines(gr),
            }
        }));
    }
    if let Some(m) = ctx.info.memstats.as_ref() {
        if let Some(judged) = crate::fragmentation::judge(m) {
            out.push(Finding {
                pattern: Pattern::Fragmentation,
                bytes: judged.waste(),
                share: judged.share(),
                subject: Subject::Fragmentation {
                    memstats: m.clone(),
                    judged,
                },
            });
        }
    }
    out
}
