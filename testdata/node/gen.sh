#!/usr/bin/env bash
# Regenerates the V8 heap snapshot fixtures in snapshots/ by running the scenarios in src/ with
# the Node on PATH (the committed ones were made with the version in README.md), then refreshes
# the memlab reference answers unless --no-reference is given. Rerunnable: overwrites in place.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/snapshots"
mkdir -p "$out"
node="${NODE:-node}"
echo "node $("$node" --version)"

for scenario in emitter-listeners closure-retention map-cache global-array undrained-stream healthy; do
  "$node" "$here/src/$scenario.js" "$out/$scenario.heapsnapshot"
done
"$node" "$here/src/series.js" "$out/series-baseline.heapsnapshot" "$out/series-target.heapsnapshot" \
  "$out/series-final.heapsnapshot"
ls -l "$out"
# The session store that is never pruned on logout (issue 14): its own folder, gzip'd, with memlab's
# leak clusters beside it.
if [[ "${1:-}" != "--no-reference" ]]; then
  "$here/session_store/gen.sh"
else
  "$here/session_store/gen.sh" --no-reference
fi

if [[ "${1:-}" != "--no-reference" ]]; then
  "$here/reference/record.sh"
fi
