#!/usr/bin/env bash
# Regenerates testdata/node/session_store/: three heap snapshots of ONE Node process whose session
# store is never pruned on logout (src/session-store.js; see README.md), gzip'd, then memlab's own
# leak clusters for baseline/target/final (reference.js, needs ../reference's @memlab/core; skip
# with --no-reference). Rerunnable: overwrites in place. About 5 s plus memlab.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node="${NODE:-node}"
echo "node $("$node" --version)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$node" "$here/src/session-store.js" "$tmp"/baseline.heapsnapshot "$tmp"/target.heapsnapshot "$tmp"/final.heapsnapshot
for s in baseline target final; do
  gzip -9 -n -c "$tmp/$s.heapsnapshot" > "$here/$s.heapsnapshot.gz"
done
chmod 644 "$here"/*.heapsnapshot.gz
ls -l "$here"/*.heapsnapshot.gz
if [[ "${1:-}" != "--no-reference" ]]; then
  "$here/../reference/record.sh" --install-only
  NODE_PATH="$here/../reference/node_modules" "$node" "$here/reference.js" \
    "$tmp"/baseline.heapsnapshot "$tmp"/target.heapsnapshot "$tmp"/final.heapsnapshot > "$here/memlab-leaks.json"
fi
