#!/usr/bin/env bash
# Installs memlab's core (pinned in package.json, without the browser download that a dependency
# would otherwise attempt) and records <snapshot>.memlab.json for every fixture. Rerunnable.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [[ ! -d node_modules/@memlab/core ]]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --ignore-scripts
fi
node "$here/record.js" "$here"/../snapshots/*.heapsnapshot
