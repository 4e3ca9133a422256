#!/usr/bin/env python3
"""Regenerate the seed corpus of one fuzz target from the committed fixtures (never committed).

    seeds.py TARGET OUT_DIR

Takes the smallest few fixtures of the target's format (gunzipped unless the target is gzip),
each cut to at most 64 KiB (HPROF reads a truncated dump; the others end in a ParseError but
still seed the header/meta code), plus small hand-written inputs where the fixtures are large.
"""
import gzip
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TD = ROOT / "testdata"
CAP = 64 * 1024

# A tiny valid V8 snapshot (the real ones are ≥ 600 KB gzip'd): 3 nodes, 3 edges, 6 node fields.
def hprof_small() -> bytes:
    """A tiny valid HPROF 1.0.2 (8-byte ids) built from the spec: strings, classes (one with a
    static and instance fields), an instance, an object array, a byte array, roots."""
    import struct
    u1 = lambda v: struct.pack(">B", v)
    u2 = lambda v: struct.pack(">H", v)
    u4 = lambda v: struct.pack(">I", v)
    i8 = lambda v: struct.pack(">Q", v)
    out = b"JAVA PROFILE 1.0.2\0" + u4(8) + i8(1_700_000_000_000)
    rec = lambda tag, body: u1(tag) + u4(0) + u4(len(body)) + body
    names = {1: b"java.lang.Object", 2: b"Holder", 3: b"[Ljava.lang.Object;", 4: b"[B",
             5: b"cache", 6: b"next", 7: b"value"}
    for sid, text in names.items():
        out += rec(0x01, i8(sid) + text)
    classes = {0x100: 1, 0x200: 2, 0x300: 3, 0x400: 4}
    for serial, (cid, sid) in enumerate(classes.items(), 1):
        out += rec(0x02, u4(serial) + i8(cid) + u4(0) + i8(sid))
    heap = b""
    heap += u1(0xFF) + i8(0x1000)                      # root unknown
    heap += u1(0x01) + i8(0x2000) + i8(0x9)            # JNI global
    heap += u1(0x08) + i8(0x1000) + u4(1) + u4(0)      # thread object
    def class_dump(cid, sup, size, statics, fields):
        b = u1(0x20) + i8(cid) + u4(0) + i8(sup) + i8(0) * 5 + u4(size) + u2(0)
        b += u2(len(statics)) + b"".join(i8(n) + u1(2) + i8(v) for n, v in statics)
        b += u2(len(fields)) + b"".join(i8(n) + u1(t) for n, t in fields)
        return b
    heap += class_dump(0x100, 0, 0, [], [])
    heap += class_dump(0x200, 0x100, 12, [(5, 0x2000)], [(6, 2), (7, 10)])
    heap += class_dump(0x300, 0x100, 0, [], [])
    heap += class_dump(0x400, 0x100, 0, [], [])
    heap += u1(0x21) + i8(0x1000) + u4(0) + i8(0x200) + u4(12) + i8(0x2000) + u4(7)
    heap += u1(0x22) + i8(0x2000) + u4(0) + u4(3) + i8(0x300) + i8(0x1000) + i8(0x3000) + i8(0)
    heap += u1(0x23) + i8(0x3000) + u4(0) + u4(5) + u1(8) + b"hello"
    out += rec(0x1C, heap) + rec(0x2C, b"")
    return out


V8_SMALL = (
    '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","detachedness"],'
    '"node_types":[["hidden","array","string","object","code","closure","regexp","number","native",'
    '"synthetic","concatenated string","sliced string","symbol","bigint"],"string","number","number",'
    '"number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context",'
    '"element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],'
    '"location_fields":["object_index","script_id","line","column"]},"node_count":3,"edge_count":3},\n'
    '"nodes":[9,0,1,0,2,0\n,3,1,3,10,1,0\n,5,2,5,20,0,0],\n'
    '"edges":[1,1,6\n,5,3,12\n,2,4,12],\n"locations":[],\n'
    '"strings":["","A","f","global","x\\"y"]}'
).encode()


def read(p: Path) -> bytes:
    b = p.read_bytes()
    return gzip.decompress(b) if p.name.endswith(".gz") else b


def smallest(paths, n):
    paths = sorted(set(paths), key=lambda p: (p.stat().st_size, str(p)))
    return paths[:n]


def main():
    target, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    seeds = {}
    no_ref = lambda ps: [p for p in ps if "reference" not in p.parts]
    if target == "hprof":
        seeds["small.hprof"] = hprof_small()
        for p in smallest(TD.glob("java/**/*.hprof*"), 2):
            seeds[p.name.removesuffix(".gz")] = read(p)[:CAP]
    elif target == "v8":
        seeds["small.heapsnapshot"] = V8_SMALL
        for p in smallest(TD.glob("node/**/*.heapsnapshot*"), 2):
            seeds[p.name] = read(p)[:CAP]
    elif target == "pprof":
        for p in smallest(no_ref(TD.glob("go/**/*.pb.gz")), 10):
            seeds[str(p.relative_to(TD)).replace("/", "_").removesuffix(".gz")] = read(p)[:CAP]
        text = list(TD.glob("go/**/*.txt")) + list(TD.glob("go/**/*.heap")) + list(TD.glob("go/**/*.debug1"))
        text = [p for p in no_ref(text) if p.read_bytes()[:40].split(b"\n")[0].endswith((b"]", b"@"))
                or p.read_bytes().startswith((b"heap profile:", b"goroutine profile:", b"--- "))]
        for p in smallest(text, 8):
            seeds[str(p.relative_to(TD)).replace("/", "_")] = p.read_bytes()[:CAP]
    elif target == "tracemalloc":
        for p in smallest(TD.glob("python/**/*.tracemalloc*"), 6):
            seeds[p.name] = read(p)[:CAP]
    elif target == "gzip":
        for p in smallest(no_ref(TD.glob("go/**/*.pb.gz")), 4):
            seeds[p.name] = p.read_bytes()
        for p in smallest(TD.glob("python/**/*.tracemalloc"), 1):
            seeds[p.name + ".gz"] = gzip.compress(p.read_bytes(), mtime=0)
        seeds["small.heapsnapshot.gz"] = gzip.compress(V8_SMALL, mtime=0)
        # two members, as the JDK's chunked -gz writes
        seeds["two-members.gz"] = gzip.compress(V8_SMALL[:100], mtime=0) + gzip.compress(V8_SMALL[100:], mtime=0)
    else:
        sys.exit(f"unknown target {target}")
    seen = set()
    for name, data in list(seeds.items()):
        if data in seen:
            del seeds[name]
            continue
        seen.add(data)
    for name, data in seeds.items():
        (out / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {out} ({sum(map(len, seeds.values()))} bytes)")


if __name__ == "__main__":
    main()
