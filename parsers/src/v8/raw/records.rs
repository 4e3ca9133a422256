//! The integer arrays of records (`nodes`, `edges`, `locations`) in the exact sequential mode,
//! which reports every error at its byte offset ([`read_records`], [`Records`]); what a
//! record's value is in either mode ([`Field`]); and the `locations` quads checked and resolved
//! to node ordinals (sequentially or on all cores).

use rayon::prelude::*;

use super::{Meta, RawSnapshot, MARK_EVERY};
use crate::v8::par;
use crate::v8::scan::{Cursor, Scan};
use crate::{Expected, Fail};

/// After an array of records of `width` values, `left` values of an unfinished record remain.
fn whole_records(c: &Cursor<'_>, left: usize, width: usize, array: &'static str) -> Scan<()> {
    if left == 0 {
        return Ok(());
    }
    Err(Fail::at(
        c.pos().saturating_sub(1),
        Expected::fmt(
            "a multiple of {} values in \"{s}\" (one record per field of the meta); {} left over",
            array,
            &[width as u64, left as u64],
        ),
    ))
}

/// One value of a record: the exact parser knows its byte offset, the parallel one does not
/// (its errors are reported by an exact rerun).
pub(super) trait Field: Copy {
    fn v(self) -> u64;
    fn at(self) -> usize;
}

impl Field for (u64, usize) {
    #[inline]
    fn v(self) -> u64 {
        self.0
    }
    #[inline]
    fn at(self) -> usize {
        self.1
    }
}

impl Field for u64 {
    #[inline]
    fn v(self) -> u64 {
        self
    }
    #[inline]
    fn at(self) -> usize {
        0
    }
}

/// Read the integer array at the cursor as records of `width` values, each through
/// `record.take(...)`, reporting an unfinished last record. (The sequential reader's; the
/// parallel one writes each chunk's records where they belong: [`par::IntArray::fill`] and
/// [`par::IntArray::chunk_records`].)
pub(super) fn read_records<R: Records>(
    c: &mut Cursor<'_>,
    width: usize,
    array: &'static str,
    record: &mut R,
) -> Scan<()> {
    let left = c.uint_records(width, |rec| record.take(rec))?;
    whole_records(c, left, width, array)
}

/// The per-record work of an array in the sequential reader.
pub(super) trait Records {
    fn take<F: Field>(&mut self, rec: &[F]) -> Scan<()>;
}

/// The `locations` array on all cores, each quad checked and resolved to its node ordinal
/// straight into the result as [`resolve_locations`] does (no buffer of raw values), in the
/// file's order, with the offset of every [`MARK_EVERY`]-th record's first value. Needs the
/// nodes read before; declines whatever `resolve_locations` rejects.
pub(super) fn parallel_locations(
    c: &mut Cursor<'_>,
    meta: &Meta,
    node_count: usize,
) -> Scan<ReadLocations> {
    let decline = || Fail::at(0, "locations the parallel reader resolves");
    let arr = par::IntArray::locate(c.input(), c.pos())?;
    c.seek(arr.end());
    if arr.values() == 0 {
        return Ok(ReadLocations::default());
    }
    let Some([obj, script, line, col]) = location_columns(&meta.location_fields) else {
        return Err(decline());
    };
    let w = meta.location_fields.len();
    let bounds = arr.record_bounds(w)?;
    let total = bounds.last().copied().unwrap_or(0) as usize;
    let mut out = vec![[0u32; 4]; total];
    let mut states = Vec::with_capacity(bounds.len());
    let mut rest: &mut [[u32; 4]] = &mut out;
    for r in bounds.windows(2) {
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut((r[1] - r[0]) as usize);
        states.push((r[0], mine));
        rest = tail;
    }
    let nf = meta.nf as u64;
    let fields = node_count as u64 * nf;
    let marks = states
        .into_par_iter()
        .enumerate()
        .map(|(k, (first, slots))| {
            let mut marks = Vec::new();
            arr.chunk_records(&bounds, k, w, |i, rec, at| {
                let o = rec[obj];
                if nf == 0 || o % nf != 0 || o >= fields {
                    return Err(decline());
                }
                if i.is_multiple_of(MARK_EVERY) {
                    marks.push(at as u64);
                }
                let f = |k: usize| u32::try_from(rec[k]).unwrap_or(u32::MAX);
                slots[(i - first) as usize] = [(o / nf) as u32, f(script), f(line), f(col)];
                Ok(())
            })?;
            Ok(marks)
        })
        .collect::<Scan<Vec<Vec<u64>>>>()?;
    Ok(ReadLocations {
        quads: out,
        marks: marks.concat(),
    })
}

/// The `locations` records as read: resolved quads in the file's order, and where every
/// [`MARK_EVERY`]-th record starts (what [`Locations::build`](crate::v8::locations::Locations::build)
/// keeps); no marks when the records are not one run of the text (the exact reader's second
/// `locations` array): the quads are kept then.
#[derive(Default)]
pub(crate) struct ReadLocations {
    pub quads: Vec<[u32; 4]>,
    pub marks: Vec<u64>,
}

/// Where `object_index`, `script_id`, `line` and `column` are in a location record.
pub(crate) fn location_columns(lf: &[String]) -> Option<[usize; 4]> {
    let pos = |n: &str| lf.iter().position(|f| f == n);
    Some([
        pos("object_index")?,
        pos("script_id")?,
        pos("line")?,
        pos("column")?,
    ])
}

pub(super) fn resolve_locations<F: Field>(r: &RawSnapshot, raw: &[F]) -> Scan<ReadLocations> {
    let lf = &r.meta.location_fields;
    if raw.is_empty() {
        return Ok(ReadLocations::default());
    }
    let Some([obj, script, line, col]) = location_columns(lf) else {
        return Err(Fail::at(
            raw[0].at(),
            "snapshot.meta.location_fields with object_index, script_id, line, column",
        ));
    };
    let w = lf.len();
    if !raw.len().is_multiple_of(w) {
        return Err(Fail::at(
            raw[raw.len() - 1].at(),
            Expected::fmt("a multiple of {} values in \"locations\"", "", &[w as u64]),
        ));
    }
    let nf = r.meta.nf as u64;
    let total = r.node_count() as u64 * nf;
    let mut out = Vec::with_capacity(raw.len() / w);
    let mut marks = Vec::with_capacity((raw.len() / w).div_ceil(MARK_EVERY as usize));
    for (k, rec) in raw.chunks_exact(w).enumerate() {
        if (k as u64).is_multiple_of(MARK_EVERY) {
            marks.push(rec[0].at() as u64);
        }
        let (o, at) = (rec[obj].v(), rec[obj].at());
        if o % nf != 0 || o >= total {
            return Err(Fail::at(
                at,
                Expected::fmt(
                    "a location object_index that is a multiple of {} below {}",
                    "",
                    &[nf, total],
                ),
            ));
        }
        let f = |i: usize| u32::try_from(rec[i].v()).unwrap_or(u32::MAX);
        out.push([(o / nf) as u32, f(script), f(line), f(col)]);
    }
    Ok(ReadLocations { quads: out, marks })
}
