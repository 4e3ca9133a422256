//! The snapshot extraction: tuples classified as they are built (frame, traceback or trace),
//! frames and file names interned, each appended trace folded into its traceback's size and
//! block count and its domain's totals, dict items kept, and the end check that the stream built
//! a `tracemalloc.Snapshot` holding the traces list that was folded.

use super::value::{named_kind, tuple_shape, what_index, Trace, Value, NO_TB, NO_TOTAL};
use super::{Class, DomainTotal, Frame, Line, Reader, Res, Snapshot, TbAcc};
use crate::{Expected, Fail};

impl<'a> Reader<'a> {
    /// Append `stack[start..]` to `list`: every item must be a trace, folded into its traceback.
    pub(super) fn extend_list(&mut self, list: u32, start: usize, at: usize) -> Res<()> {
        if start == self.stack.len() {
            return Ok(());
        }
        match self.trace_list {
            None => self.trace_list = Some(list),
            Some(l) if l == list => {}
            Some(_) => {
                return Err(Fail::at(
                    at,
                    "a single list of traces (this is a second one)",
                ))
            }
        }
        // The counters in locals (written back at the end), and the last trace's domain
        // remembered: this loop runs once per trace.
        let (mut with_total, mut without_total, mut truncated) = (0u64, 0u64, 0u64);
        let mut max_total = self.snap.max_total_nframe;
        let mut dom = usize::MAX;
        for i in start..self.stack.len() {
            let Value::Trace(t) = self.stack[i] else {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "a trace tuple (domain, size, frames[, total_nframe]) in the list, not {s}",
                        self.stack[i].what(),
                        &[],
                    ),
                ));
            };
            let tb = if t.tb == NO_TB {
                self.snap.empty_tracebacks += 1;
                self.empty_traceback()
            } else {
                t.tb
            };
            let acc = self.acc(tb);
            acc.size = acc.size.wrapping_add(t.size);
            acc.count += 1;
            let kept = acc.kept;
            if t.total == NO_TOTAL {
                without_total += 1;
            } else {
                with_total += 1;
                if t.total as u64 > kept {
                    truncated += 1;
                }
                max_total = max_total.max(t.total as u64);
            }
            let domains = &mut self.snap.domains;
            if !matches!(domains.get(dom), Some(d) if d.domain == t.domain) {
                dom = match domains.iter().position(|d| d.domain == t.domain) {
                    Some(k) => k,
                    None => {
                        domains.push(DomainTotal {
                            domain: t.domain,
                            size: 0,
                            count: 0,
                        });
                        domains.len() - 1
                    }
                };
            }
            let d = &mut domains[dom];
            d.size = d.size.wrapping_add(t.size);
            d.count += 1;
        }
        let n = (self.stack.len() - start) as u64;
        self.snap.traces += n;
        self.snap.traces_with_total += with_total;
        self.snap.traces_without_total += without_total;
        self.snap.truncated += truncated;
        self.snap.max_total_nframe = max_total;
        self.list_len[list as usize] += (self.stack.len() - start) as u64;
        Ok(())
    }

    /// CPython itself records a frame it cannot name as `("<unknown>", 0)`; an empty traceback
    /// is shown the same way.
    fn empty_traceback(&mut self) -> u32 {
        if let Some(t) = self.empty_tb {
            return t;
        }
        let s = self.intern_str(b"<unknown>");
        let f = self.intern_frame(Frame { file: s, lineno: 0 });
        let t = self.push_traceback(&[f]);
        self.empty_tb = Some(t);
        t
    }

    fn intern_str(&mut self, s: &'static [u8]) -> u32 {
        let next = self.snap.strings.len() as u32;
        let id = *self.string_index.entry(s).or_insert(next);
        if id == next {
            self.snap.strings.push(s);
        }
        id
    }

    #[inline]
    pub(super) fn intern_frame(&mut self, f: Frame) -> u32 {
        match self.frame_lines.get(f.file, f.lineno) {
            Line::Known(id) => id,
            Line::New(at) => {
                let id = self.snap.frames.len() as u32;
                self.snap.frames.push(f);
                self.frame_lines.set(at, f.lineno, id);
                id
            }
            Line::Hashed => self.intern_hashed_frame(f),
        }
    }

    /// [`Reader::intern_frame`] for a frame the dense tables do not hold.
    #[cold]
    fn intern_hashed_frame(&mut self, f: Frame) -> u32 {
        let h = (f.file as u64) << 32 | f.lineno as u64;
        if let Some(id) = self.frame_hot.get(h, f) {
            return id;
        }
        let next = self.snap.frames.len() as u32;
        let id = *self.frame_index.entry(f).or_insert(next);
        if id == next {
            self.snap.frames.push(f);
        }
        self.frame_hot.set(h, f, id);
        id
    }

    fn push_traceback(&mut self, frames: &[u32]) -> u32 {
        let id = self.snap.traceback_count() as u32;
        self.snap.tb_frames.extend_from_slice(frames);
        self.snap.tb_offsets.push(self.snap.frames_len());
        self.tb_acc.push(TbAcc::kept(frames.len()));
        id
    }

    pub(super) fn set_items(&mut self, dict: u32, start: usize, at: usize) -> Res<()> {
        let n = self.stack.len() - start;
        if n & 1 == 1 {
            return Err(Fail::at(at, "key/value pairs (an odd number of items)"));
        }
        for i in (start..self.stack.len()).step_by(2) {
            let Value::Str(k) = self.stack[i] else {
                return Err(Fail::at(
                    at,
                    Expected::fmt("a str key, not {s}", self.stack[i].what(), &[]),
                ));
            };
            let v = self.stack[i + 1];
            self.dict_items.push((dict, k, v));
        }
        Ok(())
    }

    /// Classify the tuple `stack[start..]`.
    pub(super) fn tuple(&mut self, start: usize, at: usize) -> Res<Value> {
        let items = &self.stack[start..];
        match *items {
            [] => Ok(Value::EmptyTuple),
            [Value::Str(file), Value::Int(line)] => {
                let lineno = u32::try_from(line).map_err(|_| {
                    Fail::at(
                        at,
                        Expected::fmt(
                            "a line number from 0 to 2^32-1, not {i}",
                            "",
                            &[line as u64],
                        ),
                    )
                })?;
                Ok(Value::Frame(self.intern_frame(Frame { file, lineno })))
            }
            [Value::Int(domain), Value::Int(size), frames] => {
                self.trace(domain, size, frames, None, at)
            }
            [Value::Int(domain), Value::Int(size), frames, total] => {
                self.trace(domain, size, frames, Some(total), at)
            }
            _ if items.iter().all(|v| matches!(v, Value::Frame(_))) => {
                let id = self.snap.traceback_count() as u32;
                if id == NO_TB {
                    return Err(Fail::at(at, "fewer than 2^32-1 tracebacks"));
                }
                for v in items {
                    if let Value::Frame(f) = *v {
                        self.snap.tb_frames.push(f);
                    }
                }
                Ok(self.close_traceback(items.len()))
            }
            _ => {
                // The kinds of the first five items, four bits each.
                let kinds = items
                    .iter()
                    .take(5)
                    .enumerate()
                    .fold(0u64, |k, (i, v)| k | v.kind() << (4 * i));
                Err(Fail::at(
                    at,
                    Expected::Quote(tuple_shape, [items.len() as u64, kinds, 0]),
                ))
            }
        }
    }

    /// The traceback whose `n` frames were just pushed onto the snapshot's traceback frames
    /// (fewer than 2^32 - 1 tracebacks so far: the caller checked).
    #[inline]
    pub(super) fn close_traceback(&mut self, n: usize) -> Value {
        let id = self.snap.traceback_count() as u32;
        self.snap.tb_offsets.push(self.snap.frames_len());
        self.tb_acc.push(TbAcc::kept(n));
        Value::Tb(id)
    }

    pub(super) fn trace(
        &self,
        domain: i64,
        size: i64,
        frames: Value,
        total: Option<Value>,
        at: usize,
    ) -> Res<Value> {
        let size = u64::try_from(size).map_err(|_| {
            Fail::at(
                at,
                Expected::fmt("a block size ≥ 0, not {i}", "", &[size as u64]),
            )
        })?;
        let domain = u64::try_from(domain).map_err(|_| {
            Fail::at(
                at,
                Expected::fmt("a domain ≥ 0, not {i}", "", &[domain as u64]),
            )
        })?;
        let tb = match frames {
            Value::Tb(t) => t,
            Value::EmptyTuple => NO_TB,
            v => {
                return Err(Fail::at(
                    at,
                    Expected::fmt(
                        "a traceback tuple as the trace's frames, not {s}",
                        v.what(),
                        &[],
                    ),
                ))
            }
        };
        let total = match total {
            None => NO_TOTAL,
            // Tracebacks recorded before 3.9's total_nframe, or by code that leaves it out.
            Some(Value::None) => NO_TOTAL,
            Some(Value::Int(n)) => u32::try_from(n)
                .ok()
                .filter(|&n| n != NO_TOTAL)
                .ok_or_else(|| {
                    Fail::at(
                        at,
                        Expected::fmt("total_nframe from 0 to 2^32-2, not {i}", "", &[n as u64]),
                    )
                })?,
            Some(v) => {
                return Err(Fail::at(
                    at,
                    Expected::fmt("an int total_nframe, not {s}", v.what(), &[]),
                ))
            }
        };
        Ok(Value::Trace(Trace {
            size,
            domain,
            tb,
            total,
        }))
    }

    fn dict_get(&self, dict: u32, key: &[u8]) -> Option<Value> {
        // Later SETITEMs win, as in a Python dict.
        self.dict_items
            .iter()
            .rev()
            .find(|(d, k, _)| *d == dict && self.snap.strings[*k as usize] == key)
            .map(|(_, _, v)| *v)
    }

    /// Check the object the stream built is a Snapshot holding the traces list we folded.
    pub(super) fn finish(mut self, top: Value) -> Res<Snapshot<'a>> {
        let end = self.pos;
        let obj_state = |r: &Self, v: Value, class: Class, what: &'static str| -> Res<u32> {
            match v {
                Value::Obj(o) if r.objs[o as usize].0 == class => {
                    r.objs[o as usize].1.ok_or_else(|| {
                        Fail::at(end, Expected::fmt("{s} with its state (BUILD)", what, &[]))
                    })
                }
                v => Err(Fail::at(
                    end,
                    Expected::Quote(named_kind, [what_index(what), v.kind(), 0]),
                )),
            }
        };
        let snap_state = obj_state(&self, top, Class::Snapshot, "a tracemalloc.Snapshot")?;
        let traces = self
            .dict_get(snap_state, b"traces")
            .ok_or_else(|| Fail::at(end, "Snapshot.traces"))?;
        let traces_state = obj_state(
            &self,
            traces,
            Class::Traces,
            "a tracemalloc._Traces in Snapshot.traces",
        )?;
        let list = match self.dict_get(traces_state, b"_traces") {
            Some(Value::List(l)) => l,
            Some(v) => {
                return Err(Fail::at(
                    end,
                    Expected::fmt("a list in _Traces._traces, not {s}", v.what(), &[]),
                ))
            }
            None => return Err(Fail::at(end, "_Traces._traces")),
        };
        if let Some(l) = self.trace_list {
            if l != list {
                return Err(Fail::at(end, "the traces list to be _Traces._traces"));
            }
        }
        self.snap.traceback_limit = match self.dict_get(snap_state, b"traceback_limit") {
            Some(Value::Int(n)) => Some(n),
            Some(Value::None) | None => None,
            Some(v) => {
                return Err(Fail::at(
                    end,
                    Expected::fmt("an int traceback_limit, not {s}", v.what(), &[]),
                ))
            }
        };
        let accs = || self.tb_acc_head.iter().chain(&self.tb_acc);
        self.snap.tb_size = accs().map(|a| a.size).collect();
        self.snap.tb_count = accs().map(|a| a.count).collect();
        // Bytes after STOP are ignored, as CPython's loader ignores them.
        Ok(self.snap)
    }
}
