#!/usr/bin/env bash
# What the metrics tests need beyond cargo: the Debian `prometheus` package (the server and
# promtool), for cli/tests/suite/metrics.rs's real Prometheus on backfilled data. The recorded
# fixtures need nothing else (prometheus_client and prom-client only to record them again:
# record.py). Idempotent, non-interactive; run by .ci/run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/deps.sh"
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  apt_install prometheus
fi
