"""Run one scenario under the interpreter running this file, dump a heap snapshot through
heapscope_snapshot.py (the file `heapscope python-helper` prints, found on PYTHONPATH-less
sys.path via HEAPSCOPE_HELPER_DIR) and record the independent reference answers beside it.

    python -S run.py SCENARIO OUT.pysnap OUT.reference.json [OUT2.pysnap]

Reference answers (guppy3's heapy, and sys.getsizeof), taken in the same process right after the
dump: the held object's id, sys.getsizeof, hp.iso(x).size and hp.iso(x).domisize, and the
getsizeof total and count of gc.get_objects() taken right before the dump.
"""

import gc
import importlib
import json
import os
import sys
import tracemalloc

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.environ["HEAPSCOPE_HELPER_DIR"])

scenario, out, ref = sys.argv[1], sys.argv[2], sys.argv[3]
second = sys.argv[4] if len(sys.argv) > 4 else None

import heapscope_snapshot  # noqa: E402


def _totals():
    """sys.getsizeof totals, taken right before the dump: of gc.get_objects(), and of everything
    reachable from it through gc.get_referents (a plain walk, independent of the dumper)."""
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


def main(scenario, out, ref, second):
    tracemalloc.start(5)
    mod = importlib.import_module("app." + scenario)
    mod.run()
    tracked, closure = _totals()
    heapscope_snapshot.dump(out)
    # Only now is the held object named here (a local of this frame would be a second root).
    name, obj = mod.held()
    answers = {
        "scenario": scenario,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "holder": name,
        "object_id": id(obj),
        "type": type(obj).__name__,
        "getsizeof": sys.getsizeof(obj),
        "gc_tracked_count": tracked[0],
        "gc_tracked_getsizeof": tracked[1],
        "closure_count": closure[0],
        "closure_getsizeof": closure[1],
    }
    if isinstance(obj, dict):
        # Keys a str-keyed dict holds that gc.get_referents (and so guppy) does not report on
        # 3.11+; heapscope_snapshot follows dict items, so its retained size counts them.
        answers["keys_getsizeof"] = sum(sys.getsizeof(k) for k in obj)
    del obj
    # guppy answers for this moment, before any second snapshot changes the process.
    try:
        import sysconfig

        sys.path.append(sysconfig.get_paths()["purelib"])
        from guppy import hpy

        hp = hpy()
        iso = hp.iso(mod.held()[1])
        answers["guppy"] = {
            "version": getattr(sys.modules["guppy"], "__version__", "?"),
            "size": iso.size,
            "domisize": iso.domisize,
        }
        del hp, iso
    except ImportError as e:
        answers["guppy"] = None
        answers["guppy_missing"] = str(e)
    if second:
        # A second snapshot of the same process after more work (diff follows ids).
        mod.run2()
        heapscope_snapshot.dump(second)
    tracemalloc.stop()
    with open(ref, "w") as f:
        json.dump(answers, f, indent=1, sort_keys=True)
        f.write("\n")


main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
