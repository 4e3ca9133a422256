#!/usr/bin/env bash
# Regenerates testdata/node/healthy_series/: three heap snapshots of ONE healthy Node process
# (src/healthy-series.js; see README.md). Rerunnable: overwrites in place. About 5 s.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node="${NODE:-node}"
echo "node $("$node" --version)"
"$node" "$here/src/healthy-series.js" "$here"/healthy_series_{1,2,3}.heapsnapshot
chmod 644 "$here"/*.heapsnapshot
ls -l "$here"/*.heapsnapshot
