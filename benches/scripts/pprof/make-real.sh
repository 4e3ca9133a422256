#!/usr/bin/env bash
# A big Go heap profile from a real stdlib workload (issue 17 breadth): realparse/main.go parses
# the first MAX .go files under GOROOT/src with go/parser and keeps the ASTs, MemProfileRate = 1:
#   benches/scripts/pprof/make-real.sh [MAX]
# Default 2000 files (sorted by path: archive/ … cmd/…): with Go 1.19.8 a 410 MB legacy text
# profile and a 2.4 MB .pb.gz, in about a minute of CPU (2.5 minutes at nice 19 on a busy host).
# Outputs: testdata/big/real-goparser-MAX.txt and .pb.gz (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
max="${1:-2000}"
out="$root/testdata/big"
mkdir -p "$out"
if [[ -s "$out/real-goparser-$max.txt" && -s "$out/real-goparser-$max.pb.gz" ]]; then
  echo "$out/real-goparser-$max.{txt,pb.gz} exist"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GO111MODULE=off CGO_ENABLED=0 go build -trimpath -o "$work/realparse" "$here/realparse/main.go"
GOROOT="$(go env GOROOT)" "$work/realparse" "$work" "$max"
mv "$work/real-goparser.txt" "$out/real-goparser-$max.txt"
mv "$work/real-goparser.pb.gz" "$out/real-goparser-$max.pb.gz"
ls -l "$out/real-goparser-$max".*
