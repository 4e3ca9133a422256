//! pprof profiles from every producer (Go, Node's pprof, gperftools, jemalloc, Python's pypprof,
//! Java agents …): the protobuf form (`profile.proto`, gzip'd or raw; [`proto`]) and the legacy
//! text forms `go tool pprof` reads (`?debug=1`: `heap profile: … @ heap/N | heap_v2/N |
//! heapz_v2/N | heapprofile | growthz | fragmentationz` with Go's `# runtime.MemStats` trailer,
//! `<name> profile: total N` for goroutine / threadcreate, `--- contention:` / `--- mutex:` /
//! `--- contentionz`), plus jemalloc's own `heap_v2/N` dump (jeprof's format). Stacks the text
//! does not name (`@ 0x4a3b1c …` without `#` lines) keep their addresses as frames (`0x4a3b1c`).
//!
//! [`ProfileFacts`] says the chosen sample type's unit (pprof's unit string: bytes, count,
//! nanoseconds) and whether it is in use now (`inuse_*`, legacy `space`/`objects`, goroutines)
//! or a total since the start (`alloc_*`, `contentions`, `delay`, …). The runtime is Go only when
//! the profile shows Go (MemStats, Go's frames, or a goroutine / threadcreate profile).
//!
//! The graph is the call tree of the samples (outermost frame at the top, inlined frames
//! expanded, runtime-internal frames kept): node type = function name, kind
//! [`NodeKind::Frame`](heapscope_graph::NodeKind), shallow = pprof's `flat` for the chosen sample
//! type ([`ParseOptions::sample_index`], default as pprof: the profile's default sample type,
//! else the last one — `inuse_space` for heap profiles), count = the objects (or goroutines)
//! behind it. Retained size over the tree is `cum`; per function, the histogram's minimum
//! retained size equals pprof's per-function `cum`.
//!
//! `DumpFacts::details` holds: `form` (`protobuf` | `text`), `profile` (`heap`, `goroutine`, …),
//! `sample_types` (`[{type, unit}]`), `sample_index`, `totals` (per sample type, as pprof's
//! `total`), `period`, `period_type`, and where present `default_sample_type`, `time_nanos`,
//! `duration_nanos`, `drop_frames`, `keep_frames`, `comments`, `mappings`, `labels`
//! (`{key: {value: sum of the chosen value}}`), `num_labels` (`{key: unit}`), `memstats` (text heap
//! form only: every `# Name = value` of the trailer as a number, array or bool; `Stack`, `MSpan`,
//! `MCache` split into `…Inuse` / `…Sys`), `sampling_rate` (text heap form).

mod paths;
pub mod proto;
mod text;
mod tree;
pub(crate) use tree::FrameInspector;

use heapscope_graph::facts::{FormatDetails, PprofDetails, ValueType};
use heapscope_graph::{Comparison, DumpFacts, HeapGraph, ProfileFacts, ProfileKind, Runtime, Unit};

use crate::{Input, ParseError, ParseOptions, Parsed};

/// A deterministic stream of numbers below the bound asked for (a 64-bit LCG), for the tests'
/// random profiles.
#[cfg(test)]
pub(crate) fn test_numbers(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    }
}

/// The sample type chosen as the graph's bytes, and the one counted as objects.
pub(crate) struct SampleChoice {
    pub index: usize,
    pub objects: Option<usize>,
}

/// How an input is recognised as pprof, and parsed.
pub const READER: crate::Reader = crate::Reader {
    name: "pprof",
    looks_like: "pprof (protobuf, gzip'd or raw; or a legacy text form: \"heap profile:\", \"<name> profile: total N\", \"--- contention:\" / \"--- mutex:\")",
    sniff: |data| {
        let t = crate::detect::trim_start(crate::detect::head(data));
        text::is_text(t) || crate::detect::looks_like_profile_proto(data)
    },
    parse,
};

/// Parse a pprof profile: gzip'd or raw protobuf, or the legacy text form.
pub fn parse(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let bytes = input.bytes();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let inner = input.gunzip()?;
        let mut parsed = parse(&inner, opts)?;
        parsed.info.compressed = true;
        return Ok(parsed);
    }
    let start = bytes
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if text::is_text(&bytes[start..]) {
        text::parse(input, opts)
    } else {
        parse_proto(input, opts)
    }
}

fn parse_proto(input: &Input, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let fail = |e: crate::Fail| e.in_file(input.path(), input.bytes());
    let d = proto::Decoded::read(input.bytes()).map_err(fail)?;
    let types = d.sample_types().map_err(fail)?;
    let default = if d.default_sample_type != 0 {
        Some(d.str(d.default_sample_type, 0).map_err(fail)?.into_owned())
    } else {
        None
    };
    let choice = choose(&types, default.as_deref(), opts.sample_index.as_deref())
        .map_err(|e| ParseError::new(input.path(), 0, e))?;
    let mut tree = tree::CallTree::new(choice.objects.is_some());
    let mut seen = tree::Seen::default();
    d.build(&choice, &mut tree, &mut seen).map_err(fail)?;

    let mut info = facts();
    let mut details = PprofDetails {
        form: "protobuf".into(),
        ..PprofDetails::default()
    };
    if d.time_nanos != 0 {
        info.timestamp = Some(rfc3339(d.time_nanos));
        info.timestamp_ms = Some(d.time_nanos.div_euclid(1_000_000));
        details.time_nanos = Some(d.time_nanos);
    }
    if d.duration_nanos != 0 {
        details.duration_nanos = Some(d.duration_nanos);
    }
    if let Some((t, u)) = d.period_type {
        details.period_type = Some(ValueType {
            kind: d.str(t, 0).map_err(fail)?.into_owned(),
            unit: d.str(u, 0).map_err(fail)?.into_owned(),
        });
    }
    details.period = d.period;
    details.default_sample_type = default.clone();
    let text = |v: i64| -> Result<Option<String>, ParseError> {
        Ok(match v {
            0 => None,
            v => Some(d.str(v, 0).map_err(fail)?.into_owned()),
        })
    };
    details.drop_frames = text(d.drop_frames)?;
    details.keep_frames = text(d.keep_frames)?;
    if !d.comments.is_empty() {
        let c: Result<Vec<_>, _> = d
            .comments
            .iter()
            .map(|&c| d.str(c, 0).map(|s| s.into_owned()))
            .collect();
        details.comments = Some(c.map_err(fail)?);
    }
    details.mappings = d.mappings().map_err(fail)?;
    Ok(finish(info, details, &types, &choice, tree, seen))
}

/// Fill the common details and build the graph.
fn finish(
    mut info: DumpFacts,
    mut details: PprofDetails,
    types: &[(String, String)],
    choice: &SampleChoice,
    tree: tree::CallTree,
    seen: tree::Seen,
) -> Parsed {
    let kind = profile_kind(types);
    let protobuf = details.form == "protobuf";
    details.profile = kind.to_string();
    let (chosen, unit) = types
        .get(choice.index)
        .map_or(("", ""), |(t, u)| (t.as_str(), u.as_str()));
    info.profile = Some(ProfileFacts {
        kind: match kind {
            "heap" => ProfileKind::Heap,
            "goroutine" => ProfileKind::Goroutine,
            _ => ProfileKind::Other,
        },
        unit: Unit::from_pprof(unit),
        in_use: in_use(chosen),
    });
    details.sample_types = types
        .iter()
        .map(|(t, u)| ValueType {
            kind: t.clone(),
            unit: u.clone(),
        })
        .collect();
    details.sample_index = choice.index as u64;
    details.totals = types
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (t.clone(), seen.totals.get(i).copied().unwrap_or(0)))
        .collect();
    details.samples = seen.samples;
    details.labels = seen.labels.clone();
    details.num_labels = seen.num_labels.clone();
    info.sample_type = types.get(choice.index).map(|(t, _)| t.clone());
    let mut warnings = Vec::new();
    if seen.negative_samples > 0 {
        warnings.push(format!(
            "{} samples have a negative {} (a diff profile?); counted as 0",
            seen.negative_samples,
            info.sample_type.as_deref().unwrap_or("value")
        ));
    }
    if seen.empty_stacks > 0 {
        warnings.push(format!(
            "{} samples have no frames; shown as \"(no frames)\"",
            seen.empty_stacks
        ));
    }
    info.warnings.extend(warnings.iter().cloned());
    info.details.format = FormatDetails::Pprof(Box::new(details));
    let (graph, inspector) = tree.into_graph(warnings);
    // Only Go's runtime/pprof writes goroutine and threadcreate profiles (even empty ones).
    let go_profile = types
        .iter()
        .any(|(t, _)| t == "goroutine" || t == "threadcreate");
    if info.memstats.is_some() || go_profile || shows_go(&graph) {
        info.runtime = Runtime::Go;
    }
    if info.runtime == Runtime::Go {
        if let Some(w) = stack_cap_warning(&seen, protobuf) {
            info.warnings.push(w);
        }
    }
    // A Go heap profile without runtime.MemStats (the protobuf form) cannot show fragmentation.
    if info.runtime == Runtime::Go && kind == "heap" && info.memstats.is_none() {
        info.warnings.push(
            "fragmentation cannot be judged from this profile: the protobuf heap profile carries no runtime.MemStats; \
             the text form (/debug/pprof/heap?debug=1) does"
                .to_string(),
        );
    }
    Parsed {
        graph,
        info,
        inspector: Box::new(inspector),
    }
}

/// The Go runtime keeps at most [`tree::GO_STACK_CAP`] frames of a stack before Go 1.23
/// ([`tree::GO_STACK_CAP_1_23`] by default since): when no stack of a Go profile is deeper and
/// some have exactly that many frames, those were probably cut, and their outermost callers
/// (`runtime.main` / `main.main`, or the function a goroutine started in) are missing. Only for
/// Go profiles (`finish` decides the runtime from the profile: MemStats, goroutine sample types,
/// `runtime.` / `main.` frames): other producers (gperftools, jemalloc, Node, Python) have other
/// limits or none, and a stack of 32 frames is just a stack there.
/// The text form's record lines carry every frame the runtime recorded; Go's protobuf writer
/// leaves out a stack's leading runtime frames (the allocator's), so there a cut stack can show
/// one to three frames fewer and the count is a lower bound (`protobuf`).
fn stack_cap_warning(seen: &tree::Seen, protobuf: bool) -> Option<String> {
    let (cap, n) = seen.go_stack_cap()?;
    let at_least = if protobuf { "at least " } else { "" };
    let why = if cap == tree::GO_STACK_CAP {
        format!("the Go runtime records at most {cap} frames per stack before Go 1.23")
    } else {
        format!(
            "Go 1.23+ records at most {cap} frames per stack by default (GODEBUG=profstackdepth)"
        )
    };
    Some(format!(
        "stacks truncated at {cap} frames: {at_least}{n} of {} samples have exactly {cap} frames and none has more ({why}); \
         their outermost callers (main.main, or the function a goroutine started in) are missing, so those call \
         paths start below the real top of the stack and do not say which goroutine allocated",
        seen.samples
    ))
}

/// The facts every pprof profile starts from; `finish` adds the profile kind and the runtime.
pub(crate) fn facts() -> DumpFacts {
    DumpFacts::call_tree(
        "pprof",
        Runtime::Unknown,
        ProfileKind::Other,
        Comparison::PprofBase,
        "function",
    )
}

/// pprof is written by many runtimes (Go, Node's pprof, gperftools, Julia, Java agents): the
/// profile is Go's when its frames are Go's runtime or main package.
fn shows_go(g: &HeapGraph) -> bool {
    g.types.iter().any(|(_, name)| {
        name.starts_with("runtime.") || name.starts_with("main.") || name == "runtime/pprof"
    })
}

/// Does the sample type measure what is in use now? `inuse_*` (Go, Node, jemalloc), the legacy
/// heap forms' `objects` / `space` (pprof's name when a text heap profile has no separate
/// allocation columns: the in-use pair), gperftools' `inuse`, and counts of what exists now
/// (goroutines, threads). Not `alloc_*`, `samples`, `cpu`, `contentions`, `delay`, nor a
/// producer's own name that says neither (pypprof's `HEAP`).
fn in_use(sample_type: &str) -> bool {
    sample_type.starts_with("inuse_")
        || matches!(
            sample_type,
            "inuse" | "space" | "objects" | "goroutine" | "goroutines" | "threadcreate" | "thread"
        )
}

/// What the profile counts, from its sample types.
fn profile_kind(types: &[(String, String)]) -> &'static str {
    let has = |n: &str| types.iter().any(|(t, _)| t == n);
    if has("inuse_space") || has("alloc_space") || has("space") {
        "heap"
    } else if has("goroutine") {
        "goroutine"
    } else if has("samples") || has("cpu") {
        "cpu"
    } else if has("contentions") || has("delay") {
        "contention"
    } else {
        "other"
    }
}

/// pprof's `-sample_index`: empty → the default sample type if the profile names one, else the
/// last type; a number → that index; a name → that type (`inuse_X` also finds a legacy `X`).
pub(crate) fn choose(
    types: &[(String, String)],
    default: Option<&str>,
    wanted: Option<&str>,
) -> Result<SampleChoice, String> {
    if types.is_empty() {
        return Err("at least one sample_type in the profile".into());
    }
    let names: Vec<&str> = types.iter().map(|(t, _)| t.as_str()).collect();
    let index = match wanted.map(str::trim).filter(|w| !w.is_empty()) {
        None => default
            .and_then(|d| names.iter().position(|&t| t == d))
            .unwrap_or(types.len() - 1),
        Some(w) => {
            if let Ok(i) = w.parse::<i64>() {
                if i < 0 || i as usize >= types.len() {
                    return Err(format!(
                        "sample_index {w} is outside the range [0..{}]",
                        types.len() - 1
                    ));
                }
                i as usize
            } else {
                let no_inuse = w.strip_prefix("inuse_").unwrap_or(w);
                match names.iter().position(|&t| t == w || t == no_inuse) {
                    Some(i) => i,
                    None => {
                        return Err(format!(
                            "sample_index {w:?} to be one of: [{}]",
                            names.join(" ")
                        ))
                    }
                }
            }
        }
    };
    let (name, unit) = &types[index];
    let objects = if unit == "count" {
        Some(index)
    } else {
        let pair = match name.strip_suffix("space") {
            Some(prefix) => format!("{prefix}objects"),
            None => String::new(),
        };
        names.iter().position(|&t| t == pair)
    };
    Ok(SampleChoice { index, objects })
}

/// RFC 3339 (UTC) of nanoseconds since the Unix epoch (the graph crate's, shared with HPROF and `trend --at`).
pub(crate) use heapscope_graph::time::format_rfc3339_nanos as rfc3339;
