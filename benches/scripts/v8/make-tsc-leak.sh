#!/usr/bin/env bash
# Snapshots of a real Node program with a real leak (issue 17 breadth): real-tsc-leak.js, a
# watch-mode compile server on the TypeScript compiler (unmodified) that keeps every rebuilt Program
# in an undo history. One run writes three snapshots for `heapscope trend` and memlab's
# find-leaks (after edits 1, 2 and 3: baseline, target, final) and then runs on under
# `--max-old-space-size=HEAP --heapsnapshot-near-heap-limit=1` until Node writes its own snapshot
# near the heap limit and dies of OOM (the dump an operator finds after the crash):
#   benches/scripts/v8/make-tsc-leak.sh [MODULES] [MAJOR] [HEAP_MB]
# Node MAJOR (default 22) and typescript ($TS_VERSION, default 5.9.3) from the npm
# registry (scripts/lib/runtimes.sh, cached under /tmp). Defaults (150, 22, 448): ~0.15, ~0.25,
# ~0.35 GB and a ~0.6 GB near-limit snapshot in 3–6 minutes.
# Outputs (git-ignored, never committed): testdata/big/tscleak-node<MAJOR>-<MODULES>-{1,2,3}
# .heapsnapshot, tscleak-node<MAJOR>-<MODULES>-oom-<HEAP_MB>.heapsnapshot and Node's log (.log).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
modules="${1:-150}"
major="${2:-22}"
heap="${3:-448}"
tsv="${TS_VERSION:-5.9.3}"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$root/scripts/lib/runtimes.sh"
tsdir="/tmp/heapscope-tsc/$tsv"
node=$(node_bin "$major" "${CACHE:-/tmp/heapscope-nodebins}")
npm_unpack "$tsdir" "typescript@$tsv"
prefix="$root/testdata/big/tscleak-node$major-$modules"
oom="$prefix-oom-$heap.heapsnapshot"
mkdir -p "$root/testdata/big"
if [[ -s "$oom" ]]; then
  echo "$oom exists"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/diag"
# Exits non-zero (OOM) by design.
"$node" "--max-old-space-size=$heap" --heapsnapshot-near-heap-limit=1 "--diagnostic-dir=$work/diag" \
  "$here/real-tsc-leak.js" "$tsdir/package/lib" "$work/proj" "$prefix" "$modules" 1,2,3 \
  > "$prefix-oom-$heap.log" 2>&1 || true
near=$(ls "$work"/diag/*.heapsnapshot 2>/dev/null | head -1)
[[ -n "$near" ]] || { echo "no near-heap-limit snapshot; see $prefix-oom-$heap.log" >&2; exit 1; }
mv "$near" "$oom"
chmod 644 "$prefix"-[123].heapsnapshot "$oom"
ls -l "$prefix"-[123].heapsnapshot "$oom"
echo "$("$node" --version), V8 $("$node" -p process.versions.v8), typescript $tsv"
