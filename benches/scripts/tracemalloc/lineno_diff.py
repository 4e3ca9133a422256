#!/usr/bin/env python3
"""Every row of CPython's statistics('lineno') against heapscope's histogram, for a big snapshot
(the tracked fixtures have recorded references; this is for the git-ignored ones):
    heapscope analyze -q --format json --top 1000000 -o OUT.json SNAPSHOT
    PYTHON lineno_diff.py SNAPSHOT OUT.json
Run it with the interpreter that wrote the snapshot. Rows are "file:line" of the innermost frame,
with the bytes and blocks allocated there (heapscope's rows with neither are call-through lines,
which CPython has no row for). Prints the row counts and the rows that differ; exits 1 if any do."""
import json
import sys
import tracemalloc

snap, out = sys.argv[1], sys.argv[2]
cpython = {
    f"{s.traceback[0].filename}:{s.traceback[0].lineno}": (s.size, s.count)
    for s in tracemalloc.Snapshot.load(snap).statistics("lineno")
}
ours = {
    r["type"]: (r["shallow_bytes"], r["count"])
    for r in json.load(open(out))["histogram"]
    if r["count"] or r["shallow_bytes"]
}
differ = sorted(k for k in cpython.keys() | ours.keys() if cpython.get(k) != ours.get(k))
print(f"{snap}: CPython {len(cpython)} rows, heapscope {len(ours)} rows, {len(differ)} differ")
for k in differ[:20]:
    print(f"  {k}: CPython {cpython.get(k)}, heapscope {ours.get(k)}")
sys.exit(1 if differ else 0)
