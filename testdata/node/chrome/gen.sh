#!/usr/bin/env bash
# A real browser heap snapshot with a detached-DOM leak: benches/scripts/v8/chrome-page.html at
# scale 2 in headless Chromium (Debian `chromium`, 127.0.0.1 only), the snapshot taken over the
# DevTools protocol by benches/scripts/v8/chrome-snapshot.js (HeapProfiler.takeHeapSnapshot), then
# gzip -9n. Then memlab's count of the detached trees (benches/scripts/v8/memlab-detached.js, with
# the @memlab/core that ../reference installs), when it is installed.
#   testdata/node/chrome/gen.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
v8="$root/benches/scripts/v8"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node --experimental-websocket "$v8/chrome-snapshot.js" "file://$v8/chrome-page.html?scale=2" "$tmp/detached-dom.heapsnapshot"
cp "$tmp/detached-dom.page.json" "$here/detached-dom.page.json"
gzip -9n < "$tmp/detached-dom.heapsnapshot" > "$here/detached-dom.heapsnapshot.gz"
if [[ -d "$root/testdata/node/reference/node_modules/@memlab/core" ]]; then
  node "$v8/memlab-detached.js" "$tmp/detached-dom.heapsnapshot" > "$here/detached-dom.memlab.json"
fi
ls -l "$here"
