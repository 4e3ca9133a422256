#!/usr/bin/env bash
# Regenerates the Go heap/goroutine profile fixtures, then their reference outputs.
#   testdata/go/gen.sh            build, run every scenario, then reference/record.sh
#   testdata/go/gen.sh build      only build the scenario binaries into bin/ (not committed)
# Needs Debian's golang-go (standard library only; GOPATH mode, nothing is fetched).
# The profiles carry timestamps and sampled values, so reruns are not byte-identical;
# rerun record.sh after regenerating (gen.sh does).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

scenarios=(global_map goroutine_leak unbounded_slice healthy fragmentation growth deep_stack)
# Built without inlining (-gcflags=all=-l), so that `go tool pprof BINARY heap.txt` (whose
# objfile symbolizer does not expand inlined frames) names the same frames as the text's own
# "#" lines; the other scenarios keep inlining so the protobuf fixtures carry inlined lines.
noinline=" global_map fragmentation growth deep_stack "

export GO111MODULE=off GOPATH="$here" GOFLAGS=-trimpath CGO_ENABLED=0
go version

build() {
  mkdir -p bin
  for s in "${scenarios[@]}"; do
    if [[ "$noinline" == *" $s "* ]]; then
      go build -gcflags=all=-l -o "bin/$s" "$s"
    else
      go build -o "bin/$s" "$s"
    fi
  done
}

build
if [[ "${1:-}" == build ]]; then exit 0; fi

for s in "${scenarios[@]}"; do
  rm -rf "$s"
  "bin/$s" "$s"
  ls -l "$s"
done
"$here/reference/record.sh"
