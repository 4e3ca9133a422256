"""Compares heapscope JSON reports ignoring `generator` and `input.path` (which name the binary
and the path string given): python3 samejson.py A.json B.json ... (all against the first)."""
import json
import sys


def load(p):
    with open(p) as f:
        d = json.load(f)
    d.pop("generator", None)
    d.get("input", {}).pop("path", None)
    return d


ref = load(sys.argv[1])
for p in sys.argv[2:]:
    d = load(p)
    diff = [k for k in set(ref) | set(d) if ref.get(k) != d.get(k)]
    print(p, ("same as " + sys.argv[1]) if not diff else ("DIFFERS from " + sys.argv[1] + " in " + ",".join(sorted(diff))))
