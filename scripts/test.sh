#!/usr/bin/env bash
# The test command of the README: every crate's tests (unit, integration, doc).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
