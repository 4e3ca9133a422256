#!/usr/bin/env bash
# A big heap snapshot of a web page in headless Chromium (issue 17 breadth: the browser's own
# snapshots, with Blink's native DOM objects, not Node's):
#   benches/scripts/v8/make-chrome.sh [SCALE]
# chrome-page.html?scale=SCALE builds a data grid, detached dialog subtrees kept for "undo", an API
# response cache, memoised formatters and an event bus (see its header); chrome-snapshot.js takes
# the snapshot over the DevTools protocol (Debian `chromium`, headless, 127.0.0.1 only; Node's
# built-in WebSocket). Default SCALE 150: ~0.3 GB.
# Outputs (git-ignored, never committed): testdata/big/real-chrome-SCALE.heapsnapshot and
# real-chrome-SCALE.page.json (the page's counts and Runtime.getHeapUsage at snapshot time).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
scale="${1:-150}"
out="$root/testdata/big/real-chrome-$scale.heapsnapshot"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
node --experimental-websocket "$here/chrome-snapshot.js" "file://$here/chrome-page.html?scale=$scale" "$out"
ls -l "$out" "${out%.heapsnapshot}.page.json"
