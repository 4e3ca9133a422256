"""Write the hostile Python heap snapshots of this folder (synthetic: each is a minimal valid
snapshot with one flaw, named for it). Rerun: python3 make.py"""

import struct


def s(text):
    b = text.encode()
    return struct.pack("<I", len(b)) + b


def section(tag, payload):
    return struct.pack("<BI", ord(tag), len(payload)) + payload


def header():
    return section("H", struct.pack("<dQQB", 1.7e9, 1, 0, 0) + bytes([3, 11, 7]) + s("3.11.7") + s("cpython"))


def types(first=0, names=("dict", "str")):
    return section("T", struct.pack("<II", first, len(names)) + b"".join(s(n) + b"\0" for n in names))


def nodes(ids, tys, sizes, nedges, targets, labels, n=None, e=None):
    n = len(ids) if n is None else n
    e = len(targets) if e is None else e
    return section(
        "N",
        struct.pack("<I", n)
        + struct.pack("<%dQ" % len(ids), *ids)
        + struct.pack("<%dI" % len(tys), *tys)
        + struct.pack("<%dQ" % len(sizes), *sizes)
        + struct.pack("<%dI" % len(nedges), *nedges)
        + struct.pack("<I", e)
        + struct.pack("<%dQ" % len(targets), *targets)
        + struct.pack("<%dI" % len(labels), *labels),
    )


def end(n=2, e=1):
    return section("E", struct.pack("<QQQdQQQ", n, e, 0, 0.01, 0, 0, 2))


MAGIC = b"HSPYSNAP" + struct.pack("<HH", 1, 0)
GOOD_NODES = nodes([16, 32], [0, 1], [64, 50], [1, 0], [32], [0])

cases = {
    # version 2: written by a newer dumper
    "newer_version.pysnap": b"HSPYSNAP" + struct.pack("<HH", 2, 0) + header() + types() + GOOD_NODES + end(),
    # a node section claiming 2^32-1 nodes in a few bytes
    "node_count_beyond_section.pysnap": MAGIC + header() + types() + section("N", struct.pack("<I", 0xFFFFFFFF) + b"\0" * 40) + end(),
    # a section whose length runs past the end of the file
    "section_length_past_end.pysnap": MAGIC + header() + types() + struct.pack("<BI", ord("N"), 1 << 30) + b"\0" * 16,
    # no end section: the snapshot stops after its nodes
    "no_end_section.pysnap": MAGIC + header() + types() + GOOD_NODES,
    # per-node edge counts adding up to more than the section's edges
    "edge_counts_past_section.pysnap": MAGIC + header() + types() + nodes([16, 32], [0, 1], [64, 50], [1, 7], [32], [0]) + end(),
    # a node of type 9 in a table of 2 types
    "type_index_out_of_range.pysnap": MAGIC + header() + types() + nodes([16, 32], [0, 9], [64, 50], [1, 0], [32], [0]) + end(),
    # an edge labelled with label 77 when there are none
    "label_index_out_of_range.pysnap": MAGIC + header() + types() + nodes([16, 32], [0, 1], [64, 50], [1, 0], [32], [77]) + end(),
    # a type table piece starting at index 5 when 0 is next
    "type_table_gap.pysnap": MAGIC + header() + types(first=5) + GOOD_NODES + end(),
    # an unknown section tag
    "unknown_section_tag.pysnap": MAGIC + header() + types() + section("Z", b"") + GOOD_NODES + end(),
    # the end section counts 5 nodes, the node sections hold 2
    "end_counts_disagree.pysnap": MAGIC + header() + types() + GOOD_NODES + end(n=5),
    # a string whose length runs past its section
    "type_name_past_section.pysnap": MAGIC + header() + section("T", struct.pack("<III", 0, 1, 1 << 20) + b"dict") + end(0, 0),
}
for name, data in cases.items():
    with open(name, "wb") as f:
        f.write(data)
