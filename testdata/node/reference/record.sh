#!/usr/bin/env bash
# Installs memlab's core (pinned in package.json, without the browser download that a dependency
# would otherwise attempt) and records <snapshot>.memlab.json for every fixture. Rerunnable.
# --install-only: just install (the V8 scale bench uses the same memlab).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [[ ! -d node_modules/@memlab/core ]]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --ignore-scripts
fi
[[ "${1:-}" == "--install-only" ]] && exit 0
node "$here/record.js" "$here"/../snapshots/*.heapsnapshot
