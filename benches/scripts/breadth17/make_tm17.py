"""tracemalloc snapshots of shapes that stress the session-16 tracemalloc reader (breadth17/RESULTS.md):

    python3 make_tm17.py OUT stem DEPTH LEAVES [BLOCKS]
    python3 make_tm17.py OUT roots LEAVES CHAIN [BLOCKS]

stem: one huge shared stem and many leaves. A chain of DEPTH distinct functions (one file,
/srv/app/stem.py, a line each) calls, at its bottom, LEAVES distinct code objects (a file name
each, compiled with compile()) that allocate BLOCKS blocks each (default 1):
tracemalloc.start(DEPTH + 8), so every traceback is the whole stem plus its own leaf frame.
roots: tracebacks all distinct at depth 1 (wide roots). LEAVES distinct code objects (a file
each) each call one shared chain of CHAIN distinct functions (/srv/app/lib.py) that allocates
BLOCKS blocks at its bottom; tracemalloc.start(CHAIN + 1) keeps exactly the chain and the
distinct caller, so the outermost kept frame (the call tree's root) differs for every traceback
and all the rest is shared (the same CHAIN frames below each of LEAVES roots).
"""
import sys
import tracemalloc

KEEP = []


def chain_source(depth, leaf_call):
    # f0 -> f1 -> ... -> f{depth-1} -> leaf_call, one function per line block
    lines = []
    for i in range(depth):
        nxt = f"f{i + 1}(arg)" if i + 1 < depth else leaf_call
        lines.append(f"def f{i}(arg):\n    return {nxt}\n")
    return "".join(lines)


def compile_ns(src, filename, ns):
    exec(compile(src, filename, "exec"), ns)
    return ns


def main():
    out, mode = sys.argv[1], sys.argv[2]
    if mode == "stem":
        depth, leaves = int(sys.argv[3]), int(sys.argv[4])
        blocks = int(sys.argv[5]) if len(sys.argv) > 5 else 1
        leaf_fns = []
        for i in range(leaves):
            src = f"def g(keep, n):\n    for i in range(n):\n        keep.append(bytearray(24 + (i + {i}) % 64))\n"
            leaf_fns.append(compile_ns(src, f"/srv/app/leaf/mod_{i:07d}.py", {})["g"])
        stem = compile_ns(chain_source(depth, "arg()"), "/srv/app/stem.py", {})
        sys.setrecursionlimit(depth + 1000)
        tracemalloc.start(min(depth + 8, 65535))
        for g in leaf_fns:
            stem["f0"](lambda g=g: g(KEEP, blocks))
    elif mode == "roots":
        leaves, chain = int(sys.argv[3]), int(sys.argv[4])
        blocks = int(sys.argv[5]) if len(sys.argv) > 5 else 1
        lib = compile_ns(chain_source(chain, "[KEEP.append(bytearray(40 + (j + arg) % 64)) for j in range(BLOCKS)]"),
                         "/srv/app/lib.py", {"KEEP": KEEP, "BLOCKS": blocks})
        callers = []
        for i in range(leaves):
            src = f"def h():\n    return f0({i})\n"
            callers.append(compile_ns(src, f"/srv/app/api/handler_{i:07d}.py", {"f0": lib["f0"]})["h"])
        # the list comprehension is its own frame before 3.12: keep one frame more then
        extra = 1 if sys.version_info < (3, 12) else 0
        tracemalloc.start(chain + 1 + extra)
        for h in callers:
            h()
    else:
        raise SystemExit("mode: stem or roots")
    snap = tracemalloc.take_snapshot()
    snap.dump(out)
    print(f"{out}: {len(snap.traces)} traces", file=sys.stderr)


main()
