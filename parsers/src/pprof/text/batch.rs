//! The two halves of the text reader and what passes between them. The line walk (in `mod.rs`)
//! checks every line and reads records into flat [`Batch`]es, each frame line named by its id in
//! the walk's table of distinct frame lines; the [`Sink`] folds the records into the call tree,
//! in file order, interning a frame line's function and file names when a record first uses it —
//! the order the one-pass reader interned them in, so the tree and its numbering are the same.
//!
//! On a large input ([`PARALLEL_FROM`] bytes, more than one thread allowed) the two halves run
//! on two threads joined by a bounded channel ([`pipeline`]); the sink never fails, so the first
//! error is the walk's, at the same byte as reading in one pass. Batches go back to the walk for
//! reuse: memory is a few batches (~100 KB each) however large the input.

use std::sync::mpsc;

use super::Kind;
use crate::pprof::tree::{CallTree, Frame, Seen};
use crate::pprof::SampleChoice;
use crate::Fail;

/// Inputs from this size are read on two threads (below it a thread costs more than it saves).
pub(super) const PARALLEL_FROM: usize = 4 << 20;

/// A batch is handed over at the next record line once it holds this many records…
const BATCH_RECORDS: usize = 2048;
/// …or this many frame lines.
const BATCH_FRAMES: usize = 1 << 15;
/// Batches in flight between the walk and the sink.
const DEPTH: usize = 4;

/// A `#` frame line's parts: the function (or the PC alone, when the line names no function),
/// the file and the line number.
#[derive(Clone, Copy, Debug)]
pub(super) struct FrameText<'a> {
    pub name: &'a str,
    pub file: &'a str,
    pub line: u32,
}

/// Records in file order, in flat columns (a record's part of a column runs from its start to
/// the next record's).
#[derive(Default)]
pub(super) struct Batch<'a> {
    /// The walker whose frame-line table the ids in `frames` index.
    table: u8,
    /// Per record: where its values, frame lines and stack addresses start.
    starts: Vec<[usize; 3]>,
    /// Per record: its `# labels:` text (the last such line).
    labels: Vec<Option<&'a str>>,
    pub values: Vec<i64>,
    /// Frame lines, leaf first, by id in the walk's frame-line table.
    frames: Vec<u32>,
    /// Stack addresses, innermost first, of the records no `#` line names.
    pub addrs: Vec<u64>,
    /// Per record: how many stack addresses its record line has (the frames the runtime
    /// recorded, whether or not `#` lines name them).
    depths: Vec<u32>,
    /// Frame lines first seen in this batch, in id order.
    new_frames: Vec<FrameText<'a>>,
}

impl<'a> Batch<'a> {
    pub fn new(table: u8) -> Self {
        Batch {
            table,
            ..Batch::default()
        }
    }
    pub fn set_table(&mut self, table: u8) {
        self.table = table;
    }
    /// Start a record (its values and addresses are pushed next).
    pub fn open(&mut self) {
        self.starts
            .push([self.values.len(), self.frames.len(), self.addrs.len()]);
        self.labels.push(None);
    }
    /// The open record's line has been read: note how many addresses it has.
    pub fn read(&mut self) {
        if let Some(&[_, _, addrs]) = self.starts.last() {
            self.depths
                .push(u32::try_from(self.addrs.len() - addrs).unwrap_or(u32::MAX));
        }
    }
    pub fn is_open(&self) -> bool {
        !self.starts.is_empty()
    }
    /// Is it time to hand the batch over (before the next record)?
    pub fn is_full(&self) -> bool {
        self.starts.len() >= BATCH_RECORDS || self.frames.len() >= BATCH_FRAMES
    }
    /// A frame line of the open record. Its stack addresses name no frame then, and are
    /// dropped (they were only checked).
    pub fn frame(&mut self, id: u32) {
        if let Some(&[_, frames, addrs]) = self.starts.last() {
            if self.frames.len() == frames {
                self.addrs.truncate(addrs);
            }
        }
        self.frames.push(id);
    }
    /// A frame line seen for the first time (its id is the next one).
    pub fn new_frame(&mut self, f: FrameText<'a>) {
        self.new_frames.push(f);
    }
    /// The open record's labels.
    pub fn labels(&mut self, l: &'a str) {
        if let Some(last) = self.labels.last_mut() {
            *last = Some(l);
        }
    }
    fn clear(&mut self) {
        self.starts.clear();
        self.labels.clear();
        self.values.clear();
        self.frames.clear();
        self.addrs.clear();
        self.depths.clear();
        self.new_frames.clear();
        self.table = 0;
    }
}

/// The folding half: records into the call tree, in order.
pub(super) struct Sink<'a, 'c> {
    pub seen: Seen,
    pub tree: CallTree,
    kind: Kind,
    choice: &'c SampleChoice,
    /// Per walker: every distinct frame line it has seen, by id, and its frame once interned.
    texts: [Vec<FrameText<'a>>; 2],
    interned: [Vec<Option<Frame>>; 2],
    /// One record's frames, leaf first, and its stack outermost first (reused).
    named: Vec<Frame>,
    path: Vec<Frame>,
}

impl<'a, 'c> Sink<'a, 'c> {
    pub fn new(seen: Seen, tree: CallTree, kind: Kind, choice: &'c SampleChoice) -> Self {
        Sink {
            seen,
            tree,
            kind,
            choice,
            texts: [Vec::new(), Vec::new()],
            interned: [Vec::new(), Vec::new()],
            named: Vec::new(),
            path: Vec::new(),
        }
    }

    /// Fold every record of `b` into the tree; `b` is left empty.
    pub fn take(&mut self, b: &mut Batch<'a>) {
        let w = usize::from(b.table).min(1);
        let (texts, interned) = (&mut self.texts[w], &mut self.interned[w]);
        texts.extend_from_slice(&b.new_frames);
        interned.resize(texts.len(), None);
        for (r, s) in b.starts.iter().enumerate() {
            let e = b.starts.get(r + 1).copied().unwrap_or([
                b.values.len(),
                b.frames.len(),
                b.addrs.len(),
            ]);
            self.named.clear();
            for &id in &b.frames[s[1]..e[1]] {
                let f = match interned[id as usize] {
                    Some(f) => f,
                    None => {
                        let t = texts[id as usize];
                        let name = self.tree.intern_name(t.name);
                        let file = self.tree.intern_file(t.file);
                        let f = self.tree.frame(name, file, t.line);
                        interned[id as usize] = Some(f);
                        f
                    }
                };
                self.named.push(f);
            }
            if let Some(&d) = b.depths.get(r) {
                self.seen.depth(d as usize);
            }
            emit(
                &mut self.seen,
                &mut self.tree,
                (self.kind, self.choice),
                Stack {
                    values: &b.values[s[0]..e[0]],
                    named: &self.named,
                    addrs: &b.addrs[s[2]..e[2]],
                    labels: b.labels[r],
                },
                &mut self.path,
            );
        }
        b.clear();
    }
}

/// One record as [`emit`] reads it.
pub(super) struct Stack<'s> {
    pub values: &'s [i64],
    /// Frames named by `#` lines, leaf first (none: the addresses name the frames).
    pub named: &'s [Frame],
    /// Stack addresses, innermost first (read only when no frame is named).
    pub addrs: &'s [u64],
    pub labels: Option<&'s str>,
}

/// Put one record into the tree: frames outermost first (`path` is scratch space), pprof's
/// legacy-heap pruning, labels and totals.
pub(super) fn emit(
    seen: &mut Seen,
    tree: &mut CallTree,
    (kind, choice): (Kind, &SampleChoice),
    r: Stack,
    path: &mut Vec<Frame>,
) {
    path.clear();
    if r.named.is_empty() {
        for &a in r.addrs.iter().rev() {
            let name = tree.intern_name(&format!("0x{a:x}"));
            path.push(tree.frame(name, 0, 0));
        }
    } else {
        path.extend(r.named.iter().rev());
    }
    if let Kind::Heap { .. } = kind {
        let mut user = false;
        for (i, f) in path.iter().enumerate() {
            if !tree.prunable(f.name, super::prunable) {
                user = true;
            } else if user {
                path.truncate(i);
                break;
            }
        }
    }
    let value = r.values[choice.index];
    if let Some(l) = r.labels {
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l) {
            Ok(m) => {
                for (k, v) in m {
                    seen.label(&k, v.as_str().unwrap_or_default(), value);
                }
            }
            Err(_) => seen.label("(unparsed)", l, value),
        }
    }
    seen.totals(r.values);
    tree.add_sample(path, value, choice.objects.map(|i| r.values[i]), seen);
}

/// Run the walk `read`, which hands each full batch to the function it is given (and gets an
/// empty one back), with `sink` folding the batches: on a second thread when `parallel`, else
/// in line. Returns the walk's result and the sink with every handed-over batch folded.
pub(super) fn pipeline<'a, 'c, R>(
    mut sink: Sink<'a, 'c>,
    parallel: bool,
    read: impl FnOnce(&mut dyn FnMut(Batch<'a>) -> Batch<'a>) -> Result<R, Fail>,
) -> (Result<R, Fail>, Sink<'a, 'c>) {
    if !parallel {
        let r = read(&mut |mut b| {
            sink.take(&mut b);
            b
        });
        return (r, sink);
    }
    std::thread::scope(|s| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch<'a>>(DEPTH);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch<'a>>();
        let folder = s.spawn(move || {
            for mut b in full_rx {
                sink.take(&mut b);
                // The walk may be done and gone: then the batch is simply dropped.
                let _ = empty_tx.send(b);
            }
            sink
        });
        let r = read(&mut |b| {
            // Fails only if the folding thread panicked; its join below re-raises that.
            let _ = full_tx.send(b);
            empty_rx.try_recv().unwrap_or_default()
        });
        drop(full_tx);
        match folder.join() {
            Ok(sink) => (r, sink),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
