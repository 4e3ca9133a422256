#!/usr/bin/env bash
# Regenerates testdata/go/healthy_series/: three heap profiles of ONE healthy Go process
# (src/main.go, see README.md), each in both forms: heap.N.pb.gz (debug=0) and heap.N.txt
# (debug=1). Standard library only (src/go.mod has no requirements, nothing is fetched).
# Rerunnable: overwrites in place. The binary goes to a temporary directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
export GOFLAGS="-trimpath -mod=mod" CGO_ENABLED=0 GOPROXY=off GOTOOLCHAIN=local
go version
(cd "$here/src" && go build -gcflags=all=-l -o "$bin/healthy_series" .)
rm -f "$here"/heap.*.pb.gz "$here"/heap.*.txt
"$bin/healthy_series" "$here"
ls -l "$here"/heap.*
