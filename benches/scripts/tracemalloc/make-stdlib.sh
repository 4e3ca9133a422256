#!/usr/bin/env bash
# A tracemalloc snapshot of a real stdlib workload (issue 17 breadth; make_stdlib.py's header says
# what it keeps): benches/scripts/tracemalloc/make-stdlib.sh [MAX_FILES] [PYTHON_VERSION]
# Runs under the pyenv CPython PYTHON_VERSION (default 3.13.0) on its own standard library, the
# first MAX_FILES .py files by path (default 600: ~0.17 GB, ~14 M traces, about 6 minutes on a
# quiet 2-core host, ~6 GB peak in the interpreter under tracing).
# Output: testdata/big/real-stdlib-py<VERSION>-<MAX_FILES>.tracemalloc (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
files="${1:-600}"
ver="${2:-3.13.0}"
py="$(pyenv root)/versions/$ver/bin/python${ver%.*}"
out="$root/testdata/big/real-stdlib-py$ver-$files.tracemalloc"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
"$py" "$here/make_stdlib.py" "$out.tmp" "$files"
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes"
