//! The `# runtime.MemStats` trailer of Go's text profiles: each `# Name = value` line kept as
//! JSON (unreadable ones become warnings), and the fields heapscope reads, typed.

use std::collections::BTreeMap;

use heapscope_graph::facts::{MemStat, Number};
use heapscope_graph::MemStats;

use super::walk::Walker;

impl Walker<'_> {
    /// One `Name = value` line of the MemStats trailer; unreadable ones become warnings (pprof
    /// ignores the trailer altogether).
    pub(super) fn memstat(&mut self, c: &str, at: u64) {
        let Some((k, v)) = c.split_once(" = ") else {
            self.warnings
                .push(format!("byte {at}: MemStats line without \" = \": {c:?}"));
            return;
        };
        let (k, v) = (k.trim(), v.trim());
        let num = |s: &str| -> Option<Number> {
            if let Ok(u) = s.parse::<u64>() {
                Some(Number::U64(u))
            } else if let Ok(i) = s.parse::<i64>() {
                Some(Number::I64(i))
            } else {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Number::F64)
            }
        };
        let parsed: Option<Vec<(String, MemStat)>> = if let Some(list) = v.strip_prefix('[') {
            let list = list.strip_suffix(']').unwrap_or(list);
            list.split_whitespace()
                .map(num)
                .collect::<Option<Vec<_>>>()
                .map(|a| vec![(k.to_string(), MemStat::List(a))])
        } else if let Some((inuse, sys)) = v.split_once(" / ") {
            match (num(inuse.trim()), num(sys.trim())) {
                (Some(a), Some(b)) => Some(vec![
                    (format!("{k}Inuse"), MemStat::Number(a)),
                    (format!("{k}Sys"), MemStat::Number(b)),
                ]),
                _ => None,
            }
        } else if v == "true" || v == "false" {
            Some(vec![(k.to_string(), MemStat::Bool(v == "true"))])
        } else {
            num(v).map(|n| vec![(k.to_string(), MemStat::Number(n))])
        };
        match parsed {
            Some(kv) => self.memstats.extend(kv),
            None => self.warnings.push(format!(
                "byte {at}: MemStats value of {k} is not a number: {v:?}"
            )),
        }
    }
}

/// The MemStats fields heapscope reads, typed (the trailer's `# Name = value` lines).
pub(super) fn typed_memstats(m: &BTreeMap<String, MemStat>) -> MemStats {
    let int = |k: &str| {
        m.get(k)
            .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
    };
    MemStats {
        heap_alloc: int("HeapAlloc"),
        heap_inuse: int("HeapInuse"),
        heap_sys: int("HeapSys"),
        heap_idle: int("HeapIdle"),
        heap_released: int("HeapReleased"),
        heap_objects: int("HeapObjects"),
        next_gc: int("NextGC"),
        sys: int("Sys"),
        num_gc: int("NumGC"),
        gc_cpu_fraction: m.get("GCCPUFraction").and_then(MemStat::as_f64),
    }
}
