"""A tracemalloc snapshot of a real workload built from the standard library only (issue 17 breadth).

    python3.13 make_stdlib.py OUT.tracemalloc [MAX_FILES]

With tracemalloc.start(25), for every .py file of this interpreter's own standard library (sorted
by path; at most MAX_FILES, default all) it keeps, as a code indexer or linter would:
- the source text and its token list (``tokenize.generate_tokens``: pure Python, TokenInfo tuples),
- the tree from ``ast.parse`` and the code object from ``compile`` of that tree,
- for every third file, a ``copy.deepcopy`` of the tree (pure-Python recursion, so tracebacks of
  every depth up to the 25-frame limit) and ``ast.unparse`` of it,
- per file, a ``collections.Counter`` of node type names (``ast.walk``) and a dict from each
  function and class name to its ``ast.get_docstring`` and ``ast.dump`` of its arguments.
Nothing here is generated: every allocation is the standard library's own code on its own sources.
Files that fail to decode, tokenize or parse (test data with deliberate errors) are counted and
skipped. Then ``tracemalloc.take_snapshot().dump(OUT)``.
"""

import ast
import collections
import copy
import io
import os
import sys
import sysconfig
import time
import tokenize
import tracemalloc


def stdlib_files():
    root = sysconfig.get_paths()["stdlib"]
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "__pycache__"))
        out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".py"))
    return sorted(out)


def index_file(path, i):
    with open(path, "rb") as f:
        raw = f.read()
    src = raw.decode("utf-8")
    tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
    tree = ast.parse(src, filename=path)
    code = compile(tree, path, "exec")
    entry = {"src": src, "tokens": tokens, "tree": tree, "code": code}
    if i % 3 == 0:
        twin = copy.deepcopy(tree)
        entry["copy"] = twin
        entry["unparsed"] = ast.unparse(twin)
    entry["kinds"] = collections.Counter(type(n).__name__ for n in ast.walk(tree))
    defs = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs[n.name] = (ast.get_docstring(n), ast.dump(n.args))
        elif isinstance(n, ast.ClassDef):
            defs[n.name] = (ast.get_docstring(n), [ast.dump(b) for b in n.bases])
    entry["defs"] = defs
    return entry


def main():
    out = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    files = stdlib_files()[:limit]
    sys.setrecursionlimit(20000)
    tracemalloc.start(25)
    t0 = time.time()
    index, skipped = {}, 0
    for i, path in enumerate(files):
        try:
            index[path] = index_file(path, i)
        except (UnicodeDecodeError, SyntaxError, tokenize.TokenError, ValueError, RecursionError):
            skipped += 1
    snap = tracemalloc.take_snapshot()
    traced, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    snap.dump(out)
    print(
        f"CPython {sys.version.split()[0]}: {len(index)} stdlib files indexed, {skipped} skipped, "
        f"{len(snap.traces)} traces, {traced >> 20} MiB traced (peak {peak >> 20} MiB), "
        f"{time.time() - t0:.0f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
