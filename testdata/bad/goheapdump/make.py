#!/usr/bin/env python3
"""Writes the hostile Go heap dumps beside this script (synthetic: hand-built records in the
go1.7 layout of src/runtime/heapdump.go, each with one flaw its name says). Rerunnable.
parsers/tests/goheapdump/bad.rs says what each must fail with; fuzz_regressions.rs opens
every .bin here too (never a panic)."""
import os

here = os.path.dirname(os.path.abspath(__file__))

def uv(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)

def s(b):
    return uv(len(b)) + b

HEADER = b"go1.7 heap dump\n"
# Params: little-endian, 8-byte pointers, heap range, arch, version, ncpu.
PARAMS = uv(6) + uv(0) + uv(8) + uv(0xC000000000) + uv(0xC004000000) + s(b"amd64") + s(b"go1.19.8") + uv(2)

def obj(addr, contents, fields):
    b = uv(1) + uv(addr) + s(contents)
    for off in fields:
        b += uv(1) + uv(off)
    return b + uv(0)

cases = {
    # An older format (Go 1.3–1.6 wrote other layouts): refused by its header.
    "old_header_go1_4.bin": b"go1.4 heap dump\n" + PARAMS + uv(0),
    # An object whose contents claim 2^40 bytes: refused before anything is allocated.
    "object_length_beyond_end.bin": HEADER + PARAMS + uv(1) + uv(0xC000000000) + uv(1 << 40) + b"\0" * 16,
    # A tag of eleven continuation bytes.
    "uvarint_too_long.bin": HEADER + PARAMS + b"\x80" * 10 + b"\x01",
    # The dump ends inside an object's contents.
    "truncated_in_object.bin": HEADER + PARAMS + uv(1) + uv(0xC000000000) + uv(100) + b"\0" * 10,
    # A pointer field at offset 16 of a 16-byte object.
    "field_offset_outside_object.bin": HEADER + PARAMS + obj(0xC000000000, b"\0" * 16, [16]) + uv(0),
    # A stack frame with no goroutine record before it.
    "frame_before_goroutine.bin": HEADER + PARAMS + uv(5) + uv(0xC000100000) + uv(0) + uv(0) + s(b"\0" * 8)
        + uv(0) + uv(0) + uv(0) + s(b"main.f") + uv(0) + uv(0),
    # A record tag the format does not have.
    "unknown_tag.bin": HEADER + PARAMS + uv(42) + uv(0),
    # A memory-profile bucket claiming 2^60 frames.
    "memprof_depth_huge.bin": HEADER + PARAMS + uv(16) + uv(1) + uv(16) + uv(1 << 60) + uv(0),
    # No params record: pointer size and byte order unknown.
    "no_params.bin": HEADER + obj(0xC000000000, b"\0" * 16, [0]) + uv(0),
}
for name, data in cases.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
