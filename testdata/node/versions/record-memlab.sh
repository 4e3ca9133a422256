#!/usr/bin/env bash
# memlab's answers for the snapshots in this folder, with the project's own recorder (../reference/record.js and the
# @memlab/core pin in ../reference/package.json), run in a scratch dir ($MEMLAB_DIR, default /tmp/heapscope-memlab)
# so nothing is installed into the repository. Writes reference/<name>.memlab.json (same fields as
# ../reference/*.memlab.json). A snapshot memlab cannot load gets reference/<name>.memlab.error.txt instead.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${MEMLAB_DIR:-/tmp/heapscope-memlab}
mkdir -p "$W" "$HERE/reference"
cp "$HERE/../reference/record.js" "$HERE/../reference/package.json" "$W/"
if [[ ! -d $W/node_modules/@memlab/core ]]; then
    (cd "$W" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --ignore-scripts --silent)
fi
for gz in "$HERE"/*.heapsnapshot.gz; do
    name=$(basename "$gz" .heapsnapshot.gz)
    rm -f "$W/$name.memlab.json" "$HERE/reference/$name.memlab.json" "$HERE/reference/$name.memlab.error.txt"
    gunzip -c "$gz" > "$W/$name.heapsnapshot"
    if node --max-old-space-size=2048 "$W/record.js" "$W/$name.heapsnapshot" > "$W/$name.log" 2>&1; then
        mv "$W/$name.memlab.json" "$HERE/reference/$name.memlab.json"
        cat "$W/$name.log"
    else
        tail -20 "$W/$name.log" > "$HERE/reference/$name.memlab.error.txt"
        echo "$name: memlab failed (reference/$name.memlab.error.txt)"
    fi
    rm -f "$W/$name.heapsnapshot"
done
