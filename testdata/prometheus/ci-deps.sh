#!/usr/bin/env bash
# What the metrics tests need beyond cargo: the Debian `prometheus` package (the server and
# promtool), for cli/tests/suite/metrics.rs's real Prometheus on backfilled data. The recorded
# fixtures need nothing else (prometheus_client and prom-client only to record them again:
# record.py). Idempotent, non-interactive; run by .ci/run.
set -euo pipefail
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends prometheus
fi
