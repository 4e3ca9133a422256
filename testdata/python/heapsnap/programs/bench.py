"""Dumper speed on about 10^6 objects: python -S bench.py OUT.pysnap [N]

Builds N instances (default 250,000) of a small class, each with a str and an int attribute and
a tuple (about 4 objects each with its __dict__ on 3.8-3.10; 3 on 3.11+ plus the list), then
dumps once and prints objects, seconds, objects per second, file bytes per object and the
dumper's RSS growth (from the snapshot's end section)."""

import os
import struct
import sys
import time

sys.path.insert(0, os.environ.get("HEAPSCOPE_HELPER_DIR", "."))
import heapscope_snapshot  # noqa: E402


class Item:
    def __init__(self, i):
        self.name = "item-%d" % i
        self.n = i * 1000
        self.pair = (i, self.name)


def main(out, n):
    items = [Item(i) for i in range(n)]
    t, c = time.perf_counter(), time.process_time()
    heapscope_snapshot.dump(out)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    with open(out, "rb") as f:
        data = f.read()
    nodes, edges, roots, secs, excluded, overhead, types = struct.unpack("<QQQdQQQ", data[-56:])
    print(
        "python %d.%d.%d: %d objects, %d references, %.2f s (%.2f s CPU), %.0f objects/CPU-second, %.1f bytes/object, "
        "RSS after %.1f MiB, dumper RSS growth %.1f MiB"
        % (
            sys.version_info[0], sys.version_info[1], sys.version_info[2], nodes, edges, dt, cpu,
            nodes / cpu, len(data) / nodes, heapscope_snapshot._rss() / 2**20, overhead / 2**20,
        )
    )
    return items


main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 250000)
