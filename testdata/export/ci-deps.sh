#!/usr/bin/env bash
# What the Parquet export tests (cli/tests/suite/export.rs) need: an independent Parquet reader,
# DuckDB's Python package from PyPI (its own C++ Parquet reader, not arrow-rs). Idempotent,
# non-interactive; run by .ci/run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/deps.sh"
if ! python3 -c 'import duckdb' >/dev/null 2>&1; then
  pip_install 'duckdb>=1.1,<3'
fi
echo "export: duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)')"
