#!/usr/bin/env bash
# make_real.py's real traced program (a parser, a decoder, an ORM, a trie, and with --deep a generated
# application's call graph; see its header) under another CPython than the system one, for issue 17's
# "other versions" breadth: CPython 3.8 writes trace tuples without total_nframe (3.9+ add it), and
# each version pickles with its own HIGHEST_PROTOCOL and object layout sizes.
#   benches/scripts/tracemalloc/make-real-version.sh VERSION [SCALE] [DEEP]
# VERSION is a pyenv version (e.g. 3.8.18, 3.10.13); defaults SCALE 1, DEEP 100: ~0.1 GB,
# ~5 CPU minutes under tracing. Output: testdata/big/real-s<SCALE>d<DEEP>-py<VERSION>.tracemalloc
# (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
ver="$1"
scale="${2:-1}"
deep="${3:-100}"
py="$(pyenv root)/versions/$ver/bin/python${ver%.*}"
out="$root/testdata/big/real-s${scale}d$deep-py$ver.tracemalloc"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
"$py" "$here/make_real.py" "$out.tmp" --scale "$scale" --deep "$deep"
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes ($("$py" --version))"
