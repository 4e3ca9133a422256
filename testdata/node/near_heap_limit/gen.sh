#!/usr/bin/env bash
# Regenerates testdata/node/near_heap_limit/ (see README.md): snapshots Node wrote itself near its
# heap limit while a Map / Set was growing, and the same program's ordinary snapshots. Rerunnable;
# about 15 s. Uses the `node` on PATH (or $NODE).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node="${NODE:-node}"
echo "node $("$node" --version)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in map set; do
    rm -f "$work"/*.heapsnapshot
    # Node aborts once the heap is exhausted, after writing the snapshot: expected.
    (cd "$work" && "$node" --max-old-space-size=8 --heapsnapshot-near-heap-limit=1 \
        "$here/src/grow.js" "$mode" > "$work/$mode.log" 2>&1) || true
    # The runtime's own answer: the V8 runtime function on the fatal error's stack (MapGrow, …).
    grep -o 'Runtime_[A-Za-z]*' "$work/$mode.log" | head -1 > "$here/limit_$mode.runtime.txt" || true
    cat "$here/limit_$mode.runtime.txt"
    snap=$(ls "$work"/*.heapsnapshot)
    chmod 644 "$snap"
    gzip -9nc "$snap" > "$here/limit_$mode.heapsnapshot.gz"
    "$node" "$here/src/grow.js" "$mode" 20000 "$work/ordinary.heapsnapshot"
    chmod 644 "$work/ordinary.heapsnapshot"
    gzip -9nc "$work/ordinary.heapsnapshot" > "$here/ordinary_$mode.heapsnapshot.gz"
done
ls -l "$here"/*.heapsnapshot.gz
