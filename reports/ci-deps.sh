#!/usr/bin/env bash
# What the reports tests need beyond cargo: headless Chromium, to load the HTML report and check
# that it opens without script errors (reports/tests/analysis/render.rs, cli/tests). Idempotent,
# non-interactive; sourced or run by .ci/run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/deps.sh"
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  apt_install chromium
fi
