//! The header forms of the text profiles: `heap profile:` (`heap`, `heap/N`, `heap_v2/N`),
//! `--- contention:` / `--- mutex:` / `--- contentionz` with the `name = value` attributes that
//! follow them, and the `NAME profile: total N` count profiles; each gives the profile kind and
//! the sample types pprof gives it.

use heapscope_graph::facts::{PprofDetails, ProfileHeader, ValueType};

use super::{utf8, Cur, Kind};
use crate::{Expected, Fail};

/// The header line: the profile kind, and the sample types pprof gives it.
pub(super) fn header(
    line: &str,
    at: u64,
    details: &mut PprofDetails,
) -> Result<(Kind, Vec<(String, String)>), Fail> {
    let t = line.trim_start();
    let mut c = Cur::new(t, at + (line.len() - t.len()) as u64);
    if t.starts_with("heap profile:") {
        c.lit("heap profile:")?;
        let ([(a, inuse_objects), (b, inuse_space), (cc, alloc_objects), (d, alloc_space)], _) =
            c.counts()?;
        c.lit("@")?;
        c.spaces();
        let word_at = c.here();
        let r = c.rest();
        let word_len = r
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let word = &r[..word_len];
        let n = r[word_len..]
            .strip_prefix('/')
            .unwrap_or(&r[word_len..])
            .trim();
        let period: i64 = if n.is_empty() {
            0
        } else {
            let at = word_at + word_len as u64 + 1;
            n.parse()
                .map_err(|_| Fail::at_u64(at, "the sampling period after \"heap/\""))?
        };
        let (rate, v2) = match word {
            "heapz_v2" | "heap_v2" => (period, true),
            "heapprofile" => (1, false),
            "heap" => (period / 2, true),
            // Google's growthz and fragmentationz (pprof: period 1, the in-use pair only).
            "growthz" | "growth" | "fragmentationz" | "fragmentation" => (1, false),
            _ => {
                return Err(Fail::at_u64(
                    word_at,
                    "a sampling mode after '@': heap, heap_v2, heapz_v2, heapprofile, growthz or fragmentationz",
                ))
            }
        };
        // pprof: the alloc columns count only when they differ from the in-use ones.
        let has_alloc = !word.starts_with("growth")
            && !word.starts_with("fragmentation")
            && ((cc != a && cc != "0") || (d != b && d != "0"));
        details.sampling_rate = Some(rate);
        details.period = rate;
        details.period_type = Some(value_type("space", "bytes"));
        details.header = Some(ProfileHeader::Heap {
            inuse_objects,
            inuse_space,
            alloc_objects,
            alloc_space,
        });
        let names: &[&str] = if has_alloc {
            &[
                "alloc_objects",
                "alloc_space",
                "inuse_objects",
                "inuse_space",
            ]
        } else {
            &["objects", "space"]
        };
        let types = names
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    if n.ends_with("space") {
                        "bytes"
                    } else {
                        "count"
                    }
                    .to_string(),
                )
            })
            .collect();
        return Ok((
            Kind::Heap {
                rate,
                v2,
                has_alloc,
            },
            types,
        ));
    }
    if t.starts_with("--- contention:")
        || t.starts_with("--- mutex:")
        || t.starts_with("--- contentionz ")
    {
        details.period_type = Some(value_type("contentions", "count"));
        return Ok((
            Kind::Contention {
                period: 1,
                cpu_hz: 0,
            },
            vec![
                ("contentions".to_string(), "count".to_string()),
                ("delay".to_string(), "nanoseconds".to_string()),
            ],
        ));
    }
    let Some((name, _)) = t.split_once(" profile: total ") else {
        return c.fail("a \"heap profile:\" or \"<name> profile: total N\" header");
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return c.fail("a profile name before \" profile: total\"");
    }
    c.pos = name.len() + " profile: total ".len();
    let (_, total) = c.int("the number of samples")?;
    if !c.rest().trim().is_empty() {
        return c.fail("the end of the header line");
    }
    details.header = Some(ProfileHeader::Count { total });
    details.period = 1;
    details.period_type = Some(value_type(name, "count"));
    Ok((Kind::Count, vec![(name.to_string(), "count".to_string())]))
}

/// The `name = value` lines after a contention header (pprof's: `cycles/second`, `sampling
/// period`, `ms since reset`, `discarded samples`); the kind with its period and clock rate.
pub(super) fn contention_attributes<'a>(
    it: &mut std::iter::Peekable<impl Iterator<Item = (u64, &'a [u8])>>,
    details: &mut PprofDetails,
) -> Result<Kind, Fail> {
    let (mut period, mut cpu_hz) = (1i64, 0i64);
    while let Some(&(at, raw)) = it.peek() {
        let line = utf8(raw, at)?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            it.next();
            continue;
        }
        let Some((k, v)) = t.split_once('=') else {
            break;
        };
        let (k, v) = (k.trim(), v.trim());
        let num = || {
            v.parse::<i64>().map_err(|_| {
                Fail::at_u64(
                    at,
                    Expected::fmt("an integer value of \"{s}\"", "attribute", &[]),
                )
            })
        };
        match k {
            "cycles/second" => cpu_hz = num()?,
            "sampling period" => period = num()?,
            "ms since reset" => {
                details.duration_nanos = Some(num()?.saturating_mul(1_000_000));
            }
            "discarded samples" => {}
            _ => {
                return Err(Fail::at_u64(
                    at,
                    "a contention profile attribute (cycles/second, sampling period, \
                     ms since reset, discarded samples); C++ contentionz with format= or \
                     resolution= is not read",
                ))
            }
        }
        it.next();
    }
    details.period = period;
    details.cycles_per_second = Some(cpu_hz);
    Ok(Kind::Contention { period, cpu_hz })
}

/// pprof's `{type, unit}`.
pub(super) fn value_type(kind: &str, unit: &str) -> ValueType {
    ValueType {
        kind: kind.to_string(),
        unit: unit.to_string(),
    }
}
