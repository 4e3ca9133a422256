#!/usr/bin/env bash
# The test command of the README: formatting, then every crate's tests (unit, integration, doc).
set -euo pipefail
cd "$(dirname "$0")/.."
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check
fi
cargo test --workspace --locked "$@"
