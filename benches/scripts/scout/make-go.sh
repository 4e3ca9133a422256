#!/usr/bin/env bash
# scout12 Go heap profile (issue #17 held-out checks): goalloc/main.go (see its header) built with the Debian
# Go 1.19 (apt golang-1.19-go) and run with MemProfileRate = 1:
#   benches/scripts/scout/make-go.sh OUT_DIR [N G D R]     (defaults 200000 2000 60 3000)
# Outputs OUT_DIR/goalloc.txt (legacy text, debug=1) and OUT_DIR/goalloc.pb.gz (debug=0); with
# GOALLOC_HEAPDUMP=PATH set, a Go heap dump (runtime/debug.WriteHeapDump) to PATH instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
GO=${GO:-/usr/lib/go-1.19/bin/go}
out=$1
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GO111MODULE=off CGO_ENABLED=0 GOCACHE=$work/cache "$GO" build -trimpath -o "$work/goalloc" "$here/goalloc/main.go"
nice -n 10 "$work/goalloc" "$out" "${2:-200000}" "${3:-2000}" "${4:-60}" "${5:-3000}"
ls -l "$out"/goalloc.* ${GOALLOC_HEAPDUMP:-} 2>/dev/null || true
