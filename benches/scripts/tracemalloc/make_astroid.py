"""A real library workload under tracemalloc.start(25): astroid (pylint's tree builder, pure
Python, recursive rebuilder: deep call chains that follow each source file's nesting) builds the
tree of the first N modules (the standard library's, then the installed packages') and keeps
every tree, then Snapshot.dump."""
import os
import sys
import sysconfig
import time
import tracemalloc

out, n = sys.argv[1], int(sys.argv[2])
tracemalloc.start(25)
import astroid  # noqa: E402
from astroid.builder import AstroidBuilder  # noqa: E402

# The standard library's modules by path, then those of the installed packages (pip, setuptools,
# astroid itself: real third-party code), tests left out.
files = []
for top in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]):
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(
            d for d in dirs if d not in ("site-packages", "test", "tests", "idlelib", "lib2to3")
        )
        files.extend(os.path.join(root, f) for f in sorted(names) if f.endswith(".py"))
files = files[:n]
builder = AstroidBuilder(astroid.MANAGER)
kept = []
t0 = time.time()
for i, path in enumerate(files):
    try:
        with open(path, encoding="utf-8") as f:
            src = f.read()
        kept.append(builder.string_build(src, modname=f"m{i}", path=path))
    except Exception as e:  # a file astroid does not build: skipped, counted
        print("skip", path, type(e).__name__, file=sys.stderr)
    if i % 100 == 0:
        print(i, f"{time.time() - t0:.0f}s", tracemalloc.get_traced_memory(), file=sys.stderr, flush=True)
snap = tracemalloc.take_snapshot()
snap.dump(out)
print("files", len(files), "trees", len(kept), "traces", len(snap.traces), file=sys.stderr)
