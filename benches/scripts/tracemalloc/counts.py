"""Count what a tracemalloc snapshot holds, as CPython loads it (the inputs of RESULTS.md's cost model).

    python3 counts.py SNAPSHOT...

Per snapshot: live traces, distinct traceback tuples among them, and the frames of those tracebacks.
(Call-tree nodes: `heapscope analyze --format json`, `summary.nodes`.)
"""
import sys, tracemalloc
for f in sys.argv[1:]:
    s = tracemalloc.Snapshot.load(f)
    tbs = {}
    for t in s.traces._traces:
        tbs[id(t[2])] = t[2]
    print(f, "traces", len(s.traces._traces), "tracebacks", len(tbs), "frames", sum(len(x) for x in tbs.values()), flush=True)
