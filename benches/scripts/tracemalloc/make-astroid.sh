#!/usr/bin/env bash
# A tracemalloc snapshot of a real third-party library at work (issue 17's "realistic program":
# deep, varied call chains, millions of live blocks): pylint's tree builder astroid (pure Python,
# a recursive rebuilder whose call chains follow each source file's nesting) builds and keeps the
# trees of the first MAX_FILES modules: the standard library's, then the venv's installed packages'
# (pip, setuptools, astroid), tests left out (make_astroid.py).
#   benches/scripts/tracemalloc/make-astroid.sh [MAX_FILES] [PYTHON]
# MAX_FILES defaults to 1200 (248 MB, 9.9 M traces, ~10 minutes on a 2-core host); PYTHON to
# the system /usr/bin/python3.11 (the peer of bench.sh). astroid is installed from PyPI into a venv
# under /tmp (pinned: its call chains are the input's shape).
# Output: testdata/big/real-astroid-<MAX_FILES>.tracemalloc (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
files="${1:-1200}"
py="${2:-/usr/bin/python3.11}"
venv="/tmp/heapscope-astroid-venv-$(basename "$py")"
out="$root/testdata/big/real-astroid-$files.tracemalloc"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
if [[ ! -x "$venv/bin/python" ]]; then
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q astroid==4.4.0
fi
"$venv/bin/python" "$here/make_astroid.py" "$out.tmp" "$files"
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes"
