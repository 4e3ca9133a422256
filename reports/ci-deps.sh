#!/usr/bin/env bash
# What the reports tests need beyond cargo: headless Chromium, to load the HTML report and check
# that it opens without script errors (reports/tests/analysis/render.rs, cli/tests). Idempotent,
# non-interactive; sourced or run by .ci/run.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
