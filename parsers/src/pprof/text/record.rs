//! Record and frame lines of the text form: the record line (`ic: is [ac: as] @ addrs`,
//! `n @ addrs`, `cycles count @ addrs`) with its values unsampled or scaled as pprof does, and the
//! `#` frame lines that name its stack.

use super::batch::FrameText;
use super::{scale_heap, Cur, Kind};
use crate::{Expected, Fail};

/// A record line: `ic: is [ac: as] @ addrs` (heap) or `n @ addrs` (count profiles). Its values
/// (as pprof reads them) are added to `values`, its stack addresses (innermost first) to `addrs`.
pub(super) fn record(
    t: &str,
    at: u64,
    kind: Kind,
    values: &mut Vec<i64>,
    addrs: &mut Vec<u64>,
) -> Result<(), Fail> {
    let mut c = Cur::new(t, at);
    match kind {
        Kind::Heap {
            rate,
            v2,
            has_alloc,
        } => {
            let ([(_, ic), (_, is), (_, ac), (_, asz)], ac_at) = c.counts()?;
            c.lit("@")?;
            let pairs: &[(i64, i64, &'static str)] = if has_alloc {
                &[(ac, asz, "allocation"), (ic, is, "inuse")]
            } else {
                &[(ic, is, "inuse")]
            };
            for &(n, size, what) in pairs {
                if n == 0 && size != 0 {
                    return Err(Fail::at_u64(
                        ac_at,
                        Expected::fmt(
                            "a nonzero {s} count (the {s} bytes are {i})",
                            what,
                            &[size as u64],
                        ),
                    ));
                }
                let (n, size) = if v2 {
                    scale_heap(n, size, rate)
                } else {
                    (n, size)
                };
                values.push(n);
                values.push(size);
            }
        }
        Kind::Count => {
            let (_, n) = c.int("the number of samples with this stack")?;
            c.lit("@")?;
            values.push(n);
        }
        Kind::Contention { period, cpu_hz } => {
            let (_, cycles) = c.int("the delay in cycles")?;
            let (_, count) = c.int("the number of contentions")?;
            c.lit("@")?;
            let (mut delay, mut count) = (cycles, count);
            if period > 0 {
                if cpu_hz > 0 {
                    let ghz = cpu_hz as f64 / 1e9;
                    delay = (cycles as f64 * period as f64 / ghz) as i64;
                }
                count = count.saturating_mul(period);
            }
            values.extend([count, delay]);
        }
    }
    c.addresses(addrs)
}

/// A frame line after `#`: `0xPC<tab>function+0xOFF<tab>file:line`, or just `0xPC` when the
/// runtime could not name the frame (then the PC is its name, with no file).
pub(super) fn frame(c: &str, at: u64) -> Result<FrameText<'_>, Fail> {
    let mut cells = c.split('\t').map(str::trim).filter(|s| !s.is_empty());
    let pc = cells.next().unwrap_or("");
    if !pc.starts_with("0x") {
        return Err(Fail::at_u64(
            at,
            "a frame line \"#\\t0xPC\\tfunction+0xOFFSET\\tfile:line\"",
        ));
    }
    let Some(func) = cells.next() else {
        return Ok(FrameText {
            name: pc,
            file: "",
            line: 0,
        });
    };
    let name = func.rsplit_once("+0x").map_or(func, |(n, _)| n);
    let (file, line) = match cells.next() {
        Some(fl) => match fl.rsplit_once(':') {
            Some((f, l)) => (f, l.parse::<u32>().unwrap_or(0)),
            None => (fl, 0),
        },
        None => ("", 0),
    };
    Ok(FrameText { name, file, line })
}
