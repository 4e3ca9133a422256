//! Keeping every answer small: each list in an answer is one page (`offset`, and a `limit` up
//! to a hard cap), the whole answer at most `max_bytes` of JSON, and whatever is left out is
//! said in words a coding agent can act on ("1,234 more children not shown (20 shown from
//! offset 0 of 1,254); call again with offset=20").
//!
//! A tool builds its typed answer with every list already cut to its page, serialises it, and
//! hands it to [`finish`] with a [`List`] for each list: `finish` drops items from the end of
//! the longest lists while the JSON is over the byte cap, then writes the `left_out` notes.

use heapscope_reports::fmt::thousands;
use serde_json::Value;

/// Rows per page when the caller gives no `limit`, and the most any call may ask for.
#[derive(Clone, Copy, Debug)]
pub struct Rows {
    pub default: usize,
    pub cap: usize,
}

impl Rows {
    pub const fn new(default: usize, cap: usize) -> Rows {
        Rows { default, cap }
    }

    /// The page size for a call's `limit`, and a note when it was over the cap (lowered to it)
    /// or zero (raised to one).
    pub fn pick(self, limit: Option<u64>) -> (usize, Option<String>) {
        match limit {
            None => (self.default, None),
            Some(0) => (1, Some("limit 0 raised to 1".to_string())),
            Some(l) if l > self.cap as u64 => (
                self.cap,
                Some(format!(
                    "limit {} lowered to this tool's cap of {}",
                    thousands(l),
                    self.cap
                )),
            ),
            Some(l) => (l as usize, None),
        }
    }
}

/// How a caller gets what a list left out.
#[derive(Clone, Debug)]
pub enum Next {
    /// Call again with `offset` = the first item not shown.
    Offset,
    /// Call again with a larger `limit`, up to this cap (past it: `beyond`).
    Limit { cap: usize, beyond: &'static str },
}

/// One list in an answer.
#[derive(Clone, Debug)]
pub struct List {
    /// JSON pointer to the array in the answer (`/histogram`, `/likely_leak/suspects`).
    pub pointer: String,
    /// What its items are, plural (`types`, `children`, `referrers`).
    pub what: &'static str,
    /// Items in all (not only in this page).
    pub total: usize,
    /// Items skipped before this page.
    pub offset: usize,
    /// Fewest items the byte cap may leave (the answer's main list keeps one).
    pub min: usize,
    pub next: Next,
}

impl List {
    /// A list paged by `offset`: call again with the next offset.
    pub fn paged(pointer: &str, what: &'static str, total: usize, offset: usize) -> List {
        List {
            pointer: pointer.to_string(),
            what,
            total,
            offset,
            min: 1,
            next: Next::Offset,
        }
    }

    /// A list cut at `limit` items (no offset): call again with a larger limit, up to `cap`;
    /// `beyond` says where the rest can be had.
    pub fn capped(
        pointer: &str,
        what: &'static str,
        total: usize,
        cap: usize,
        beyond: &'static str,
    ) -> List {
        List {
            pointer: pointer.to_string(),
            what,
            total,
            offset: 0,
            min: 0,
            next: Next::Limit { cap, beyond },
        }
    }
}

/// Room kept for the `left_out` notes while trimming (bytes per list, and once).
const NOTE_ROOM: usize = 256;

/// The answer as compact JSON with a `left_out` array (empty: nothing was left out), at most
/// `max_bytes` long unless a single item is longer (then a note says so). `notes` are said first.
pub fn finish(mut v: Value, lists: &[List], notes: Vec<String>, max_bytes: usize) -> String {
    let budget = max_bytes.saturating_sub(NOTE_ROOM * (lists.len() + 1 + notes.len()));
    let mut size = json_len(&v);
    let mut trimmed = vec![false; lists.len()];
    while size > budget {
        // The list with the most items above its minimum (the later one on a tie, so the
        // answer's main list, given first, keeps its rows longest).
        let pick = lists
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let n = v.pointer(&l.pointer)?.as_array()?.len();
                (n > l.min).then_some((n, i))
            })
            .max();
        let Some((_, i)) = pick else { break };
        let Some(arr) = v
            .pointer_mut(&lists[i].pointer)
            .and_then(Value::as_array_mut)
        else {
            break;
        };
        if let Some(e) = arr.pop() {
            // The item, and the comma before it when others remain.
            size -= json_len(&e) + usize::from(!arr.is_empty());
            trimmed[i] = true;
        }
    }
    let mut left = notes;
    for (l, &cut) in lists.iter().zip(&trimmed) {
        // A list inside an item that was itself dropped says nothing.
        let Some(shown) = v
            .pointer(&l.pointer)
            .and_then(Value::as_array)
            .map(Vec::len)
        else {
            continue;
        };
        left.extend(note(l, shown, cut, max_bytes));
    }
    let over = json_len(&v);
    if let Value::Object(m) = &mut v {
        if over > max_bytes {
            left.push(format!(
                "this answer is {} bytes, over the cap of {} bytes: one item alone is that large",
                thousands(over as u64),
                thousands(max_bytes as u64)
            ));
        }
        m.insert(
            "left_out".into(),
            Value::Array(left.into_iter().map(Value::String).collect()),
        );
    }
    serde_json::to_string(&v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// What one list left out, in words; `None` when nothing.
fn note(l: &List, shown: usize, cut: bool, max_bytes: usize) -> Option<String> {
    let n = |x: usize| thousands(x as u64);
    if l.offset >= l.total && l.offset > 0 && shown == 0 {
        return Some(format!(
            "offset {} is past the end: there are {} {}",
            n(l.offset),
            n(l.total),
            l.what
        ));
    }
    let left = l.total.saturating_sub(l.offset + shown);
    if left == 0 {
        return None;
    }
    let why = if cut {
        format!(" to keep the answer under {} bytes", n(max_bytes))
    } else {
        String::new()
    };
    Some(match &l.next {
        Next::Offset => format!(
            "{} more {} not shown ({} shown from offset {} of {}{why}); call again with offset={}",
            n(left),
            l.what,
            n(shown),
            n(l.offset),
            n(l.total),
            n(l.offset + shown).replace(',', "")
        ),
        Next::Limit { cap, beyond } if shown < *cap && !cut => format!(
            "{} more {} not shown ({} of {}); call again with a larger limit (at most {cap}), or {beyond}",
            n(left),
            l.what,
            n(shown),
            n(l.total)
        ),
        Next::Limit { beyond, .. } => format!(
            "{} more {} not shown ({} of {}{why}); {beyond}",
            n(left),
            l.what,
            n(shown),
            n(l.total)
        ),
    })
}

/// The length of `v` as compact JSON.
pub fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// Items `offset..offset + limit` of `items` (empty past the end).
pub fn page<T>(items: &[T], offset: usize, limit: usize) -> &[T] {
    let start = offset.min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    &items[start..end]
}
