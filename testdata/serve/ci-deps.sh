#!/usr/bin/env bash
# What the `heapscope serve` tests (cli/tests/suite/serve.rs) need beyond cargo: playwright-core
# from npm (no browser download: the test drives the system's Chromium, which reports/ci-deps.sh
# installs), into testdata/serve/node_modules, where the test looks. Idempotent, non-interactive.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/deps.sh"
cd "$(dirname "$0")"
WANT=$(node -p 'require("./package.json").dependencies["playwright-core"]')
HAVE=$(node -p 'try{require("./node_modules/playwright-core/package.json").version}catch(e){""}' 2>/dev/null || true)
if [ "$HAVE" != "$WANT" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save --loglevel=error \
    "playwright-core@$WANT"
fi
echo "serve: playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version')"
