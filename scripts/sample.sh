#!/usr/bin/env bash
# The README's main job: build heapscope and analyze a bundled sample dump (a real JDK 17 heap
# dump of a service whose static map grows), printing the leak-suspect report.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLE="${1:-testdata/java/dumps/static_map.hprof.gz}"
cargo build --release --locked -p heapscope
exec target/release/heapscope analyze "$SAMPLE" "${@:2}"
