#!/usr/bin/env bash
# A big Go heap dump (runtime/debug.WriteHeapDump) from a real stdlib workload (issue 17 breadth):
# realparse/main.go parses the first MAX .go files under GOROOT/src with go/parser and keeps the
# ASTs, then dumps its heap with the MemStats of that moment beside it:
#   benches/scripts/goheapdump/make-real.sh [MAX [RATE]]
# MAX default 4000 files (sorted by path), RATE = runtime.MemProfileRate, default 524288 (the
# runtime's default; 1 = every allocation carries its site). Built as the fixtures are
# (testdata/go/heapdump/gen.sh): -trimpath, CGO_ENABLED=0, no inlining, static and not PIE, so
# `analyze --binary BIN.symtab` names globals.
# Outputs (git-ignored, never committed), NAME = real-goparser-MAX[-rateRATE]:
#   testdata/big/NAME.dump, NAME.memstats.json, NAME.symtab (the ELF's symbol table only)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
max="${1:-4000}"
rate="${2:-524288}"
name="real-goparser-$max"
[[ "$rate" == 524288 ]] || name="$name-rate$rate"
out="$root/testdata/big"
mkdir -p "$out"
if [[ -s "$out/$name.dump" ]]; then
  echo "$out/$name.dump exists"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GO111MODULE=off CGO_ENABLED=0 go build -trimpath -gcflags=all=-l -ldflags=-w \
  -o "$work/realparse" "$here/realparse/main.go"
GOROOT="$(go env GOROOT)" "$work/realparse" "$work/$name.dump" "$work/$name.memstats.json" "$max" "$rate"
objcopy --only-keep-debug "$work/realparse" "$out/$name.symtab"
mv "$work/$name.memstats.json" "$out/"
mv "$work/$name.dump" "$out/"
ls -l "$out/$name".*
