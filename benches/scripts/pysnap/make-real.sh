#!/usr/bin/env bash
# A big Python heap snapshot (heapscope_snapshot.py, heapscope's own dumper) of a real stdlib
# workload (issue 17 breadth): real_ast.py parses the first MAX .py files of the interpreter's
# standard library with `ast` and keeps the trees, then dumps the heap:
#   benches/scripts/pysnap/make-real.sh [MAX [PYTHON]]
# MAX default 2000 files; PYTHON default ~/.pyenv/versions/3.13.0/bin/python. The helper is the one
# `$HEAPSCOPE python-helper` prints (HEAPSCOPE default /work/base/heapscope-m11, else
# target/release/heapscope).
# Outputs (git-ignored, never committed): testdata/big/real-ast-py3X-MAX.pysnap and
# real-ast-py3X-MAX.reference.json (gc.get_objects() totals right before the dump).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
max="${1:-2000}"
py="${2:-$HOME/.pyenv/versions/3.13.0/bin/python}"
bin="${HEAPSCOPE:-/work/base/heapscope-m11}"
[[ -x "$bin" ]] || bin="$root/target/release/heapscope"
tag="py$("$py" -c 'import sys; print("%d%d" % sys.version_info[:2])')"
out="$root/testdata/big/real-ast-$tag-$max"
mkdir -p "$root/testdata/big"
if [[ -s "$out.pysnap" ]]; then
  echo "$out.pysnap exists"
  exit 0
fi
helper=$(mktemp -d)
trap 'rm -rf "$helper"' EXIT
"$bin" python-helper >"$helper/heapscope_snapshot.py"
PYTHONHASHSEED=0 HEAPSCOPE_HELPER_DIR="$helper" "$py" -S "$here/real_ast.py" "$out.pysnap.tmp" "$out.reference.json" "$max"
mv "$out.pysnap.tmp" "$out.pysnap"
ls -l "$out.pysnap" "$out.reference.json"
