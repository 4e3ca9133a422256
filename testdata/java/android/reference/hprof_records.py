#!/usr/bin/env python3
"""Plain record-by-record reading of an HPROF file (JAVA PROFILE 1.0.1-1.0.3), no heap-analysis library:
what the file says, with no model on top. Writes JSON: header, id size, record counts by tag, GC-root
records by kind (and distinct objects per kind), the Android heaps (HEAP DUMP INFO) with the objects
each one holds by record kind, class/instance/array counts, per-class instance counts and the instance
sizes the CLASS DUMPs declare (ART writes the object size there), String value arrays, and ART's
`$classOverhead` arrays. Used for testdata/java/android/ (see ../README.md).

Usage: hprof_records.py DUMP.hprof[.gz] > OUT.json
"""
import gzip
import json
import struct
import sys
from collections import Counter, defaultdict

ROOTS = {
    0xFF: ("unknown", 0), 0x01: ("JNI global", 1), 0x02: ("JNI local", 2), 0x03: ("Java frame", 2),
    0x04: ("native stack", 1), 0x05: ("sticky class", 0), 0x06: ("thread block", 1),
    0x07: ("monitor used", 0), 0x08: ("thread object", 2), 0x89: ("interned string", 0),
    0x8A: ("finalizing", 0), 0x8B: ("debugger", 0), 0x8C: ("reference cleanup", 0),
    0x8D: ("VM internal", 0), 0x8E: ("JNI monitor", 2), 0x90: ("unreachable", 0),
}
BASIC = {2: None, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
BASIC_NAME = {4: "boolean", 5: "char", 6: "float", 7: "double", 8: "byte", 9: "short", 10: "int", 11: "long"}


def main(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    nul = raw.index(b"\0")
    header = raw[:nul].decode()
    ids = struct.unpack(">I", raw[nul + 1:nul + 5])[0]
    idf = ">I" if ids == 4 else ">Q"
    pos = nul + 1 + 4 + 8
    strings = {}
    class_name = {}  # class object id -> name
    tags = Counter()
    roots = defaultdict(list)
    heaps = []  # (name, Counter of record kinds)
    cur = None
    class_dumps = {}  # id -> (super, instance size, instance fields [(name, type)], statics [(name,type)])
    instances = Counter()  # class id -> count
    prim_arrays = Counter()  # elem type -> count
    obj_arrays = Counter()  # array class id -> count
    string_values = {}  # array id -> None (filled from String instances later)
    string_instances = []  # (string id, class id, field bytes)
    prim_array_len = {}
    overhead_arrays = []

    def rid(b, o):
        return struct.unpack_from(idf, b, o)[0]

    while pos < len(raw):
        tag, _t, length = struct.unpack_from(">BII", raw, pos)
        body = pos + 9
        end = body + length
        tags[tag] += 1
        if tag == 0x01:
            strings[rid(raw, body)] = raw[body + ids:end].decode("utf-8", "replace")
        elif tag == 0x02:
            class_name[rid(raw, body + 4)] = strings.get(rid(raw, body + 4 + ids + 4), "?")
        elif tag in (0x0C, 0x1C):
            p = body
            while p < end:
                sub = raw[p]
                p += 1
                if sub in ROOTS:
                    name, extra = ROOTS[sub]
                    roots[name].append(rid(raw, p))
                    p += ids + extra * 4
                    if sub == 0x8E:
                        pass
                    continue
                if cur is not None:
                    cur[1][sub] += 1
                if sub == 0xFE:
                    cur = (strings.get(rid(raw, p + 4), "?"), Counter())
                    heaps.append(cur)
                    p += 4 + ids
                elif sub == 0x20:
                    cid = rid(raw, p)
                    sup = rid(raw, p + ids + 4)
                    q = p + 7 * ids + 4
                    isize = struct.unpack_from(">I", raw, q)[0]
                    q += 4
                    ncp = struct.unpack_from(">H", raw, q)[0]
                    q += 2
                    for _ in range(ncp):
                        t = raw[q + 2]
                        q += 3 + (ids if t == 2 else BASIC[t])
                    nst = struct.unpack_from(">H", raw, q)[0]
                    q += 2
                    statics = []
                    for _ in range(nst):
                        n = strings.get(rid(raw, q), "?")
                        t = raw[q + ids]
                        statics.append((n, t, rid(raw, q + ids + 1) if t == 2 else None))
                        q += ids + 1 + (ids if t == 2 else BASIC[t])
                    nin = struct.unpack_from(">H", raw, q)[0]
                    q += 2
                    fields = []
                    for _ in range(nin):
                        fields.append((strings.get(rid(raw, q), "?"), raw[q + ids]))
                        q += ids + 1
                    class_dumps[cid] = (sup, isize, fields, statics)
                    p = q
                elif sub == 0x21:
                    oid = rid(raw, p)
                    cid = rid(raw, p + ids + 4)
                    n = struct.unpack_from(">I", raw, p + 2 * ids + 4)[0]
                    instances[cid] += 1
                    if class_name.get(cid) == "java.lang.String":
                        string_instances.append((oid, cid, raw[p + 2 * ids + 8:p + 2 * ids + 8 + n]))
                    p += 2 * ids + 8 + n
                elif sub == 0x22:
                    n = struct.unpack_from(">I", raw, p + ids + 4)[0]
                    obj_arrays[rid(raw, p + ids + 8)] += 1
                    p += 2 * ids + 8 + n * ids
                elif sub == 0x23:
                    oid = rid(raw, p)
                    n = struct.unpack_from(">I", raw, p + ids + 4)[0]
                    t = raw[p + ids + 8]
                    prim_arrays[t] += 1
                    prim_array_len[oid] = (t, n)
                    p += ids + 9 + n * BASIC[t]
                elif sub == 0xC3:  # PRIMITIVE ARRAY NODATA (Android)
                    t = raw[p + ids + 8]
                    prim_arrays[t] += 1
                    p += ids + 9
                else:
                    raise SystemExit(f"unknown heap sub-record {sub:#x} at {p - 1}")
        pos = end

    # String value arrays: the value field (ART adds it last, after the declared fields).
    value_arrays = set()
    for oid, cid, data in string_instances:
        fields = []
        c = cid
        while c:
            fields += class_dumps[c][2]
            c = class_dumps[c][0]
        off = 0
        for n, t in fields:
            if n == "value" and t == 2:
                value_arrays.add(rid(data, off))
            off += ids if t == 2 else BASIC[t]
    overhead = [s[2] for c in class_dumps.values() for s in c[3] if s[0] == "$classOverhead" and s[1] == 2]
    # ART's writer (art/runtime/hprof/hprof.cc, DumpHeapClass) writes java.lang.Class's instance size as 0
    # and emits the class's own fields as `$class$*` statics, and the rest of the class object (embedded
    # vtable, ...) as `$classOverhead`: a reference to a byte[] of (overhead - 4) elements when it is over 4
    # bytes, else primitive fields. A class object's size (mirror::Class::GetClassSize) is therefore the sum
    # of its static field sizes (a reference counted at the id size) plus the elements of that byte[].
    def class_size(c):
        own = sum(ids if t == 2 else BASIC[t] for _, t, _ in c[3])
        arr = [v for n, t, v in c[3] if n == "$classOverhead" and t == 2]
        return own + (prim_array_len[arr[0]][1] if arr and arr[0] in prim_array_len else 0)
    class_sizes = [class_size(c) for c in class_dumps.values()]
    per_class = Counter()
    for cid, n in instances.items():
        per_class[class_name.get(cid, "?")] += n
    out = {
        "header": header,
        "id_size": ids,
        "records_by_tag": {f"{k:#04x}": v for k, v in sorted(tags.items())},
        "heap_dump_info_records": len(heaps),
        "heaps": {
            name: {f"{k:#04x}": v for k, v in sorted(sum((c for h, c in heaps if h == name), Counter()).items()) if k != 0xFE}
            for name in sorted({h for h, _ in heaps})
        },
        "gc_root_records": {k: len(v) for k, v in sorted(roots.items())},
        "gc_root_objects": len({o for v in roots.values() for o in v}),
        "gc_root_objects_by_kind": {k: len(set(v)) for k, v in sorted(roots.items())},
        "class_dumps": len(class_dumps),
        "instance_dumps": sum(instances.values()),
        "object_array_dumps": sum(obj_arrays.values()),
        "primitive_array_dumps": {BASIC_NAME[k]: v for k, v in sorted(prim_arrays.items())},
        "string_instances": len(string_instances),
        "string_value_arrays": len(value_arrays & set(prim_array_len)),
        "string_value_array_elements": sum(prim_array_len[a][1] for a in value_arrays if a in prim_array_len),
        "class_overhead_arrays": sum(1 for a in overhead if a in prim_array_len),
        "class_overhead_array_elements": sum(prim_array_len[a][1] for a in overhead if a in prim_array_len),
        "class_object_bytes_by_writer": sum(class_sizes),
        "class_object_bytes_by_writer_aligned8": sum((x + 7) // 8 * 8 for x in class_sizes),
        "instances_by_class": dict(sorted(per_class.items())),
        "declared_instance_size_by_class": {
            class_name.get(cid, "?"): class_dumps[cid][1] for cid in sorted(instances) if cid in class_dumps
        },
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
