#!/usr/bin/env bash
# What the MCP tests (cli/tests/suite/mcp.rs) need beyond cargo: the official Model Context
# Protocol Python SDK (PyPI `mcp`), the independent client that testdata/mcp/client.py drives
# `heapscope mcp` with. Idempotent, non-interactive; run by .ci/run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/deps.sh"
if ! python3 -c 'import mcp' >/dev/null 2>&1; then
  pip_install 'mcp>=2.3,<3'
fi
echo "mcp: Python SDK $(python3 -c 'import importlib.metadata as m; print(m.version("mcp"))')"
