"""Write a large tracemalloc snapshot (millions of traces) with CPython's own Snapshot.dump.

    python3 make_big.py OUT [--traces N] [--tracebacks K] [--seed S]

Tracing a real program to millions of live blocks takes minutes and gigabytes; this builds the
trace list that `_tracemalloc._get_traces()` would return — (domain, size, frames, total_nframe)
tuples (3-tuples on 3.8), frames most recent first, each traceback one shared tuple — from a
synthetic call graph, then dumps it through `tracemalloc.Snapshot(traces, 25).dump`, the same
class and pickler a real dump uses. Deterministic for a given seed and interpreter.
"""
import argparse
import random
import sys
import time
import tracemalloc

LIMIT = 25


def call_paths(rng, count):
    """`count` distinct call paths (outermost first) that share prefixes like a real program's."""
    files = ["/srv/app/pkg%02d/module%03d.py" % (i % 37, i) for i in range(300)]
    # Each "function" is a file and a range of lines; a call site is (file, line).
    functions = [(rng.choice(files), rng.randrange(1, 2000)) for _ in range(3000)]
    paths = [[("/srv/app/main.py", 12)]]
    seen = set()
    while len(paths) < count + 1:
        base = rng.choice(paths)
        extra = rng.randrange(1, 6)
        path = list(base)
        for _ in range(extra):
            f, line = rng.choice(functions)
            path.append((f, line + rng.randrange(0, 40)))
        if len(path) > 40:
            continue
        key = tuple(path)
        if key in seen:
            continue
        seen.add(key)
        paths.append(path)
    return paths[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--traces", type=int, default=16_000_000)
    ap.add_argument("--tracebacks", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=6)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = time.perf_counter()
    frame_cache = {}
    tracebacks = []
    for path in call_paths(rng, a.tracebacks):
        total = len(path)
        kept = path[-LIMIT:]  # tracemalloc keeps the most recent LIMIT frames
        frames = tuple(frame_cache.setdefault(f, f) for f in reversed(kept))
        tracebacks.append((frames, total))
    # A few allocation sites hold most blocks (Zipf-like), as in real heaps.
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(tracebacks))]
    picks = rng.choices(range(len(tracebacks)), weights=weights, k=a.traces)
    small = [16, 32, 48, 56, 64, 72, 96, 128, 184, 232, 512, 1024]
    with_total = sys.version_info >= (3, 9)
    traces = []
    append = traces.append
    for i, p in enumerate(picks):
        frames, total = tracebacks[p]
        size = small[i % 12] if i % 97 else 4096 + (i % 65536)
        domain = 0 if i % 5000 else 389047
        append((domain, size, frames, total) if with_total else (domain, size, frames))
    del picks
    t1 = time.perf_counter()
    tracemalloc.Snapshot(traces, LIMIT).dump(a.out)
    t2 = time.perf_counter()
    print("built %d traces over %d tracebacks in %.1f s, dumped in %.1f s (python %s)"
          % (len(traces), len(tracebacks), t1 - t0, t2 - t1, sys.version.split()[0]), file=sys.stderr)


if __name__ == "__main__":
    main()
