#!/usr/bin/env python3
"""CPython's own view of a tracemalloc snapshot: Snapshot.load + statistics('lineno'), the top N
lines with their share of the total, and the rows whose line number is one of --lines.
    python3 benches/scripts/breadth21/tm_lineno.py SNAPSHOT [--top N] [--lines 498,606]"""
import argparse
import tracemalloc

ap = argparse.ArgumentParser()
ap.add_argument("snapshot")
ap.add_argument("--top", type=int, default=5)
ap.add_argument("--lines", default="")
a = ap.parse_args()
stats = tracemalloc.Snapshot.load(a.snapshot).statistics("lineno")
total = sum(s.size for s in stats)
want = {int(x) for x in a.lines.split(",") if x}
print(f"{a.snapshot}: {len(stats)} lines, {total} B in use")
for i, s in enumerate(stats):
    f = s.traceback[0]
    if i < a.top or f.lineno in want:
        print(f"  #{i + 1} {f.filename.rsplit('/', 1)[-1]}:{f.lineno} {s.size} B "
              f"({100 * s.size / total:.1f} %), {s.count} blocks")
