//! Bad Go heap dumps: the hostile ones in testdata/bad/goheapdump (synthetic, made by its
//! `make.py`) and truncations of a real one end in a `ParseError` naming the file, a byte
//! offset inside it and what was expected there — never a panic, never an allocation sized by
//! a length the file claims.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use heapscope_parsers::{parse_input, Input, ParseError, ParseOptions};

fn bad(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/bad/goheapdump")
        .join(name)
}

fn parse_bytes(path: &Path, data: Vec<u8>) -> Result<(), ParseError> {
    let len = data.len() as u64;
    let input = Input::from_bytes(path, data);
    let r = catch_unwind(AssertUnwindSafe(|| {
        parse_input(&input, &ParseOptions::default()).map(|_| ())
    }))
    .unwrap_or_else(|_| panic!("{}: panicked", path.display()));
    if let Err(e) = &r {
        assert_eq!(e.path, path);
        assert!(e.offset <= len, "{e}: offset past the end ({len} bytes)");
    }
    r
}

fn error_of(name: &str) -> ParseError {
    let p = bad(name);
    let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    match parse_bytes(&p, data) {
        Err(e) => e,
        Ok(()) => panic!("{name}: parsed"),
    }
}

/// Each hostile dump, the offset its flaw is at and words of what was expected there. The
/// offsets follow from the records `make.py` writes: a 16-byte header and a 31-byte params
/// record (heap addresses such as 0xc000000000 take 6 bytes as uvarints), so the first record
/// after them starts at byte 47.
#[test]
fn hostile_dumps_are_refused_at_their_flaw() {
    let header = 16u64;
    let after_params = header + 31;
    let cases: &[(&str, u64, &str)] = &[
        ("old_header_go1_4.bin", 0, "found \"go1.4 heap dump\""),
        // tag 1 byte, address 6 bytes: the length is at +7.
        (
            "object_length_beyond_end.bin",
            after_params + 7,
            "of at most the",
        ),
        ("uvarint_too_long.bin", after_params, "at most 64 bits"),
        (
            "truncated_in_object.bin",
            after_params + 7,
            "of at most the 10 bytes left",
        ),
        // tag, address (6), contents (1 + 16), field kind: the offset is at +25.
        (
            "field_offset_outside_object.bin",
            after_params + 25,
            "inside its 16 bytes",
        ),
        (
            "frame_before_goroutine.bin",
            after_params,
            "a goroutine record before",
        ),
        (
            "unknown_tag.bin",
            after_params,
            "a record tag 0–17 (found 42)",
        ),
        // tag, bucket id, size: the depth is at +3.
        ("memprof_depth_huge.bin", after_params + 3, "a stack depth"),
        ("no_params.bin", header, "a dump params record"),
    ];
    for &(name, offset, words) in cases {
        let e = error_of(name);
        let text = e.to_string();
        assert!(text.contains(name), "{text}");
        assert_eq!(e.offset, offset, "{text}");
        assert!(text.contains(words), "{name}: {text}");
    }
    // Every file make.py writes is listed above.
    let n = std::fs::read_dir(bad(""))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .count();
    assert_eq!(n, cases.len());
}

/// A real dump cut at many points (every byte of its first records, then every 1/64 of it):
/// each cut is an error inside the file, and the uncut dump parses.
#[test]
fn truncations_of_a_real_dump_fail_cleanly() {
    let gz =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/go/heapdump/healthy/heap.dump.gz");
    let mut data = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()),
        &mut data,
    )
    .unwrap();
    let path = Path::new("healthy-cut.dump");
    let step = (data.len() / 64).max(1);
    let cuts = (0..300.min(data.len())).chain((300..data.len()).step_by(step));
    for cut in cuts {
        let e = parse_bytes(path, data[..cut].to_vec());
        assert!(e.is_err(), "cut at {cut} parsed");
    }
    parse_bytes(path, data).expect("the whole dump parses");
}
