//! The decoder's second pass: functions and locations resolved (sorted by id for lookup, lines
//! innermost first), then every sample decoded and its stack, value and labels fed into the call
//! tree, once the tables the samples refer to are complete.

use super::{sub, Decoded, Mapping, Sample};
use crate::pprof::tree::{CallTree, Frame, Seen};
use crate::pprof::SampleChoice;
use crate::{Expected, Fail};

struct Func {
    id: u64,
    /// Frame name key in the call tree's name table.
    name: u32,
    file: u32,
}

struct Loc {
    id: u64,
    address: u64,
    mapping: u64,
    /// `lines[first..first+count]`, innermost first.
    first: u32,
    count: u32,
    at: u32,
}

impl<'a> Decoded<'a> {
    /// Second pass: resolve the tables, then feed every sample into `tree`.
    pub fn build(
        &self,
        choice: &SampleChoice,
        tree: &mut CallTree,
        seen: &mut Seen,
    ) -> Result<(), Fail> {
        let data = self.data;
        // Functions: id → (frame name, file), sorted by id for lookup.
        let mut funcs: Vec<Func> = Vec::with_capacity(self.functions.len());
        for (f, at) in &self.functions {
            let name = self.str(f.name, *at)?;
            let name = if name.is_empty() {
                self.str(f.system_name, *at)?
            } else {
                name
            };
            let name = if name.is_empty() {
                std::borrow::Cow::Borrowed("?")
            } else {
                name
            };
            let file = self.str(f.filename, *at)?;
            funcs.push(Func {
                id: f.id,
                name: tree.intern_name(&name),
                file: tree.intern_file(&file),
            });
        }
        funcs.sort_unstable_by_key(|f| f.id);
        if let Some(w) = funcs.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Fail::at(
                0,
                Expected::fmt("unique Function ids (id {} appears twice)", "", &[w[0].id]),
            ));
        }
        let mut mapping_ids: Vec<(u64, usize)> = self
            .mappings
            .iter()
            .enumerate()
            .map(|(i, (m, _))| (m.id, i))
            .collect();
        mapping_ids.sort_unstable();
        let mapping = |id: u64| -> Option<&(Mapping, u32)> {
            let i = mapping_ids.binary_search_by_key(&id, |&(id, _)| id).ok()?;
            self.mappings.get(mapping_ids[i].1)
        };
        let mapping_file = |id: u64| -> Option<String> {
            let (m, at) = mapping(id)?;
            let f = self.str(m.filename, *at).ok()?;
            let base = f.rsplit('/').next().unwrap_or(&f).to_string();
            (!base.is_empty()).then_some(base)
        };
        // Locations: flattened lines (function index, line number), innermost first.
        let mut lines: Vec<(u32, u32)> = Vec::new();
        let mut locs: Vec<Loc> = Vec::with_capacity(self.locations.len());
        for (l, at) in &self.locations {
            if l.mapping_id != 0 && mapping(l.mapping_id).is_none() {
                return Err(Fail::at_u64(
                    u64::from(*at),
                    Expected::fmt(
                        "a Mapping with id {} (Location {})",
                        "",
                        &[l.mapping_id, l.id],
                    ),
                ));
            }
            let first = lines.len() as u32;
            for ln in &l.line {
                let Ok(fi) = funcs.binary_search_by_key(&ln.function_id, |f| f.id) else {
                    return Err(Fail::at_u64(
                        u64::from(*at),
                        Expected::fmt(
                            "a Function with id {} (Location {})",
                            "",
                            &[ln.function_id, l.id],
                        ),
                    ));
                };
                lines.push((fi as u32, ln.line.clamp(0, u32::MAX as i64) as u32));
            }
            let count = lines.len() as u32 - first;
            locs.push(Loc {
                id: l.id,
                address: l.address,
                mapping: l.mapping_id,
                first,
                count,
                at: *at,
            });
        }
        locs.sort_unstable_by_key(|l| l.id);
        if let Some(w) = locs.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Fail::at_u64(
                u64::from(w[1].at),
                Expected::fmt("unique Location ids (id {} appears twice)", "", &[w[0].id]),
            ));
        }
        // Frame name of a location without lines, as pprof prints it.
        let unnamed = Frame {
            name: u32::MAX,
            site: u32::MAX,
        };
        let mut addr_frames: Vec<Frame> = vec![unnamed; locs.len()];
        for (i, l) in locs.iter().enumerate() {
            if l.count == 0 {
                let name = match mapping_file(l.mapping) {
                    Some(f) => format!("{:016x} [{f}]", l.address),
                    None => format!("{:016x}", l.address),
                };
                let name = tree.intern_name(&name);
                addr_frames[i] = tree.frame(name, 0, 0);
            }
        }
        // The frame of each location line.
        let line_frames: Vec<Frame> = lines
            .iter()
            .map(|&(fi, line)| {
                let f = &funcs[fi as usize];
                tree.frame(f.name, f.file, line)
            })
            .collect();
        let nvals = self.sample_types.len();
        let mut frames: Vec<Frame> = Vec::new();
        for span in &self.samples {
            let s: Sample = sub(data, *span, 5)?;
            if s.value.len() != nvals {
                return Err(Fail::at_u64(
                    u64::from(span.at),
                    Expected::fmt(
                        "{} values in the Sample, one per sample_type (found {})",
                        "",
                        &[nvals as u64, s.value.len() as u64],
                    ),
                ));
            }
            frames.clear();
            // Root (outermost) first: locations from the last, lines from the last.
            for &id in s.location_id.iter().rev() {
                let Ok(li) = locs.binary_search_by_key(&id, |l| l.id) else {
                    return Err(Fail::at_u64(
                        u64::from(span.at),
                        Expected::fmt("a Location with id {} (referenced by a Sample)", "", &[id]),
                    ));
                };
                let l = &locs[li];
                if l.count == 0 {
                    frames.push(addr_frames[li]);
                    continue;
                }
                frames.extend(
                    line_frames[l.first as usize..(l.first + l.count) as usize]
                        .iter()
                        .rev(),
                );
            }
            for lb in &s.label {
                let key = self.str(lb.key, span.at)?;
                if lb.str != 0 {
                    let v = self.str(lb.str, span.at)?;
                    seen.label(&key, &v, s.value[choice.index]);
                } else {
                    let unit = self.str(lb.num_unit, span.at)?;
                    seen.num_label(&key, &unit);
                }
            }
            let value = s.value[choice.index];
            let objects = choice.objects.map(|i| s.value[i]);
            seen.depth(frames.len());
            seen.totals(&s.value);
            tree.add_sample(&frames, value, objects, seen);
        }
        Ok(())
    }
}
