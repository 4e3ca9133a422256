"""A real Python workload for a big heap snapshot (issue 17 breadth, standard library only): the
stdlib's own `ast` parses the first MAX .py files of the running interpreter's standard library
(sorted by path, its test suite included; site-packages skipped; files that do not parse, such
as the test suite's deliberately bad ones, are counted and skipped) and keeps every tree in a module-level
dict (path -> ast.Module), as a linter or code indexer does; then the heap is dumped through
heapscope_snapshot.py (the file `heapscope python-helper` prints, imported from
HEAPSCOPE_HELPER_DIR).

    python -S real_ast.py OUT.pysnap OUT.reference.json MAX

Reference answers, taken right before the dump (as testdata/python/heapsnap/programs/run.py
does): the count and sys.getsizeof total of gc.get_objects(), and of the closure of
gc.get_referents from them; the trees' count; the dump's wall and CPU time. guppy3 is not
installed for these interpreters, so it is not a reference here.
"""

import ast
import gc
import json
import os
import sys
import sysconfig
import time

sys.path.insert(0, os.environ["HEAPSCOPE_HELPER_DIR"])
import heapscope_snapshot  # noqa: E402

trees = {}  # path -> ast.Module: what the snapshot should show as the holder


def sources(limit):
    lib = sysconfig.get_paths()["stdlib"]
    out = []
    for d, dirs, files in os.walk(lib):
        dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "__pycache__"))
        out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".py"))
    out.sort()
    return out[:limit]


def totals():
    objs = gc.get_objects()
    tracked = (len(objs), sum(map(sys.getsizeof, objs)))
    seen = set(map(id, objs))
    seen.add(id(objs))
    seen.add(id(seen))
    count, total = tracked
    stack = list(objs)
    seen.add(id(stack))
    while stack:
        for r in gc.get_referents(stack.pop()):
            if id(r) not in seen:
                seen.add(id(r))
                count += 1
                total += sys.getsizeof(r)
                stack.append(r)
    return tracked, (count, total)


def main(out, ref, limit):
    failed = 0
    for p in sources(limit):
        try:
            with open(p, "rb") as f:
                trees[p] = ast.parse(f.read(), filename=p)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            failed += 1
    gc.collect()
    tracked, closure = totals()
    t, c = time.perf_counter(), time.process_time()
    heapscope_snapshot.dump(out)
    dump_wall, dump_cpu = time.perf_counter() - t, time.process_time() - c
    answers = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "files": len(trees),
        "failed": failed,
        "holder": "__main__ · trees",
        "gc_tracked_count": tracked[0],
        "gc_tracked_getsizeof": tracked[1],
        "closure_count": closure[0],
        "closure_getsizeof": closure[1],
        "dump_wall_s": round(dump_wall, 2),
        "dump_cpu_s": round(dump_cpu, 2),
    }
    with open(ref, "w") as f:
        json.dump(answers, f, indent=1)
        f.write("\n")
    print(json.dumps(answers), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    sys.stderr.flush()
    os._exit(0)  # files are closed; skip freeing ~12 M objects one by one at exit
