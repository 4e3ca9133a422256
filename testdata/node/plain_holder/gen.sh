#!/usr/bin/env bash
# Regenerates testdata/node/plain_holder/ (see README.md): one snapshot of src/holder.js, gzip'd.
# Rerunnable; a few seconds. Uses the `node` on PATH (or $NODE).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node="${NODE:-node}"
echo "node $("$node" --version)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$node" "$here/src/holder.js" "$work/holder.heapsnapshot" 1000
chmod 644 "$work/holder.heapsnapshot"
gzip -9nc "$work/holder.heapsnapshot" > "$here/holder.heapsnapshot.gz"
ls -l "$here"/*.heapsnapshot.gz
