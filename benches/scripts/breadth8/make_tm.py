"""tracemalloc snapshots of shapes the benches do not cover (breadth8/RESULTS.md):

    python3 make_tm.py OUT deep DEPTH SITES_PER_LEVEL BLOCKS
    python3 make_tm.py OUT wide FILES BLOCKS

deep: tracemalloc.start(DEPTH + 10); one recursion DEPTH calls deep that allocates
SITES_PER_LEVEL blocks at every level on the way down and BLOCKS more at the bottom: DEPTH
distinct tracebacks of 1..DEPTH frames (a call tree DEPTH levels deep, its frames quadratic in
DEPTH). Tracing costs a traceback capture per allocation: keep DEPTH * BLOCKS near 1e8.
wide: tracemalloc.start(3); FILES distinct code objects (one file name each, compiled with
compile()) each allocating BLOCKS // FILES blocks: many shallow tracebacks under one root.
"""
import sys
import tracemalloc

KEEP = []


def deep(level, depth, per_level, blocks):
    for _ in range(per_level):
        KEEP.append(bytearray(40 + level % 50))
    if level < depth:
        deep(level + 1, depth, per_level, blocks)
    else:
        for i in range(blocks):
            KEEP.append(bytearray(24 + i % 64))


def main():
    out, mode = sys.argv[1], sys.argv[2]
    if mode == "deep":
        depth, per_level, blocks = (int(x) for x in sys.argv[3:6])
        sys.setrecursionlimit(depth + 1000)
        tracemalloc.start(min(depth + 10, 65535))
        deep(0, depth, per_level, blocks)
    elif mode == "wide":
        files, blocks = int(sys.argv[3]), int(sys.argv[4])
        per = max(1, blocks // files)
        fns = []
        for i in range(files):
            src = f"def f(keep, n):\n    for i in range(n):\n        keep.append(bytearray(24 + (i + {i}) % 64))\n"
            ns = {}
            exec(compile(src, f"/srv/app/gen/module_{i:07d}.py", "exec"), ns)
            fns.append(ns["f"])
        tracemalloc.start(3)
        for f in fns:
            f(KEEP, per)
    else:
        raise SystemExit("mode: deep or wide")
    snap = tracemalloc.take_snapshot()
    snap.dump(out)
    print(f"{out}: {len(snap.traces)} traces", file=sys.stderr)


main()
