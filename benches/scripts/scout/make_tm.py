"""scout12 tracemalloc generator (issue #17 held-out checks): a real program traced by CPython 3.12/3.13.

    python3.13 make_tm.py OUT [--docs N] [--tree N] [--classes N] [--frames F]

Unlike benches/scripts/tracemalloc/make_real.py (a parser, a decoder, an ORM, a trie under 25 frames), this
program is traced with tracemalloc.start(F) (default 100) and keeps:
  * json.loads of a generated document of N records (every block allocated under one Python line: one
    traceback for ~N*12 blocks);
  * an inverted index, dict of word -> list of doc ids, grown by append (lists reallocated in place);
  * C classes made at run time from source compiled under C distinct file names (<gen/modI.py>), each
    instance built by its own __init__ (many files, few lines each);
  * a tree of N nodes built by mutual recursion through eight builder functions chosen by the child's
    position, so a node's traceback spells its path (every deep node has its own traceback, up to F frames).
The snapshot is written with Snapshot.dump (the pickle of the running CPython).
"""
import argparse
import json
import random
import sys
import tracemalloc

KEEP = []


def make_doc_text(n, rng):
    recs = []
    for i in range(n):
        recs.append({"id": i, "name": "item-%d" % i, "tags": ["t%d" % (i % 97), "g%d" % (i % 13)],
                     "price": round(rng.random() * 100, 2), "stock": {"wh": "w%d" % (i % 7), "qty": i % 500},
                     "text": " ".join(rng.choice(WORDS) for _ in range(8))})
    return json.dumps(recs)


WORDS = ["alpha", "beta", "gamma", "delta", "omega", "kappa", "lambda", "sigma", "tau", "phi"] + \
    ["w%d" % i for i in range(5000)]


def load_docs(text):
    return json.loads(text)


def build_index(docs):
    index = {}
    for d in docs:
        for w in d["text"].split():
            index.setdefault(w, []).append(d["id"])
    return index


def make_classes(c):
    objs = []
    for i in range(c):
        src = ("class Model%d:\n"
               "    __slots__ = ('a', 'b', 'c')\n"
               "    def __init__(self, k):\n"
               "        self.a = [k] * %d\n"
               "        self.b = {'k': k, 'name': 'm%d-' + str(k)}\n"
               "        self.c = ('x' * (k %% 40), k)\n") % (i, 1 + i % 5, i)
        ns = {}
        exec(compile(src, "<gen/mod%d.py>" % i, "exec"), ns)
        cls = ns["Model%d" % i]
        objs.extend(cls(k) for k in range(20))
    return objs


class Node:
    __slots__ = ("kids", "val", "label")

    def __init__(self, val):
        self.kids = []
        self.val = val
        self.label = "n%d" % val


def b0(st, d): return grow(st, d)
def b1(st, d): return grow(st, d)
def b2(st, d): return grow(st, d)
def b3(st, d): return grow(st, d)
def b4(st, d): return grow(st, d)
def b5(st, d): return grow(st, d)
def b6(st, d): return grow(st, d)
def b7(st, d): return grow(st, d)


BUILDERS = [b0, b1, b2, b3, b4, b5, b6, b7]


def grow(st, d):
    node = Node(st["count"])
    st["count"] += 1
    if d < st["maxdepth"]:
        fan = st["rng"].choice((1, 1, 1, 2, 2, 3))
        for k in range(fan):
            if st["count"] >= st["limit"]:
                break
            node.kids.append(BUILDERS[(st["count"] + k) % 8](st, d + 1))
    return node


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--tree", type=int, default=80_000)
    ap.add_argument("--classes", type=int, default=2000)
    ap.add_argument("--frames", type=int, default=100)
    a = ap.parse_args()
    rng = random.Random(12)
    sys.setrecursionlimit(100_000)
    text = make_doc_text(a.docs, rng)
    tracemalloc.start(a.frames)
    docs = load_docs(text)
    del text
    KEEP.append(docs)
    KEEP.append(build_index(docs))
    KEEP.append(make_classes(a.classes))
    st = {"count": 0, "limit": a.tree, "maxdepth": 90, "rng": rng}
    roots = []
    while st["count"] < a.tree:
        roots.append(BUILDERS[len(roots) % 8](st, 0))
    KEEP.append(roots)
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    snap.dump(a.out)
    print(sys.version.split()[0], "traces", len(snap.traces), file=sys.stderr)


if __name__ == "__main__":
    main()
