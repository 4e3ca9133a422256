"""Trace a recursion-heavy Python program with `tracemalloc.start(25)` and dump its snapshot.

    python3 make_recursive.py OUT [--docs N] [--seed S]

The call tree's shape decides how heapscope compares with CPython on a snapshot (RESULTS.md,
"Session 23"): CPython's `Snapshot.load` costs about the same per frame whatever the shape, and
heapscope pays per frame read and per call-tree node made. A program that allocates deep inside a
recursion whose path follows its data gives nearly every block a traceback of its own that shares
little with the others below its first frames: many call-tree nodes per frame. This one does what
configuration loaders, AST tools and serializers do with nested documents:

  * a recursive builder makes N nested documents (dicts and lists, 10-15 levels, keys and leaf
    values from small vocabularies: `build_dict` / `build_list` / `build_leaf` at several call
    sites each, the site chosen by the data);
  * the standard library's `copy.deepcopy` copies each document (its `_deepcopy_dict` /
    `_deepcopy_list` recursion follows the document's nesting);
  * a recursive normaliser walks each copy and keeps a flattened index of its paths.

Every document, copy and index entry stays alive. Deterministic for a given seed and interpreter.
With the system CPython 3.11.2, `--docs 500` (the default) traces for about 65 s and writes a
168 MB snapshot: 2 566 917 live blocks (1 691 363 cut at 25 frames) under 874 990 distinct
tracebacks, 21.4 M frames, a 2.62 M-node call tree.
"""
import argparse
import copy
import random
import sys
import time
import tracemalloc

KEEP = []  # everything the program keeps alive

KEYS = ["id", "name", "spec", "items", "meta", "labels", "children", "config", "env", "ports",
        "volumes", "rules", "match", "values", "limits", "status", "owner", "tags"]
WORDS = ["alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "zeta", "theta", "lambda"]


def build_leaf(rng):
    k = rng.randrange(4)
    if k == 0:
        return rng.choice(WORDS) + str(rng.randrange(1000))
    if k == 1:
        return rng.randrange(1 << 40)
    if k == 2:
        return [rng.choice(WORDS) for _ in range(rng.randrange(1, 4))]
    return {"v": rng.random()}


def build(rng, depth):
    if depth <= 0:
        return build_leaf(rng)
    r = rng.random()
    if r < 0.45:
        return build_dict(rng, depth)
    if r < 0.9:
        return build_list(rng, depth)
    return build_leaf(rng)


def build_dict(rng, depth):
    d = {}
    for _ in range(rng.randrange(1, 4)):
        key = rng.choice(KEYS)
        if rng.random() < 0.5:
            d[key] = build(rng, depth - 1)
        else:
            d[key + "_"] = build_nested(rng, depth - 1)
    return d


def build_list(rng, depth):
    out = []
    for _ in range(rng.randrange(1, 3)):
        if rng.random() < 0.6:
            out.append(build(rng, depth - 1))
        else:
            out.append(build_nested(rng, depth - 1))
    return out


def build_nested(rng, depth):
    # A second call site on the way down: the same data, another line in the traceback.
    return build(rng, depth)


def normalise(node, path, index):
    if isinstance(node, dict):
        for k, v in node.items():
            normalise(v, path + (k,), index)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            normalise_item(v, path, i, index)
    else:
        index.append((path, repr(node)))


def normalise_item(v, path, i, index):
    normalise(v, path + (i,), index)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--seed", type=int, default=23)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = time.time()
    tracemalloc.start(25)
    for _ in range(args.docs):
        doc = build(rng, 10 + rng.randrange(6))
        dup = copy.deepcopy(doc)
        index = []
        normalise(dup, (), index)
        KEEP.append((doc, dup, index))
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    t1 = time.time()
    snap.dump(args.out)
    deep = sum(1 for t in snap.traces._traces if len(t[2]) >= 25)
    print(f"{len(snap.traces)} live blocks ({deep} with 25 frames), traced {t1 - t0:.0f} s, "
          f"dumped {time.time() - t1:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
