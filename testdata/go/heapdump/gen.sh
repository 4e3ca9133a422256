#!/usr/bin/env bash
# Regenerates the Go heap-dump fixtures (runtime/debug.WriteHeapDump), then their references.
#   testdata/go/heapdump/gen.sh         build, run every scenario, keep the files, record
#   testdata/go/heapdump/gen.sh build   only build bin/<scenario> (not committed)
# Needs Debian's golang-go (standard library only; GOPATH mode, nothing is fetched) and binutils.
# Dumps hold addresses, timestamps and sampled values, so reruns are not byte-identical;
# reference/record.sh (run at the end) re-records the references from the new files.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

scenarios=(global_map unbounded_slice blocked_goroutines healthy)

# No inlining, so each allocation site is the function that allocates (as the dump's
# memprof buckets and pprof both name it); -trimpath and CGO_ENABLED=0 for a static,
# reproducible, non-PIE binary whose data/bss addresses are the dump's.
export GO111MODULE=off GOPATH="$here" GOFLAGS=-trimpath CGO_ENABLED=0
go version

mkdir -p bin
for s in "${scenarios[@]}"; do
  go build -gcflags=all=-l -ldflags=-w -o "bin/$s" "$s"
done
if [[ "${1:-}" == build ]]; then exit 0; fi
# A benchmark dump, not committed: gen.sh big OUT.dump [N nodes, default 2,000,000].
if [[ "${1:-}" == big ]]; then
  go build -o bin/big big
  exec bin/big "${2:?gen.sh big OUT.dump [N]}" "${3:-2000000}"
fi

for s in "${scenarios[@]}"; do
  rm -rf "$s"
  mkdir -p "$s"
  tmp="$(mktemp -d)"
  "bin/$s" "$tmp"
  for f in "$tmp"/*.dump; do gzip -9 -n -c "$f" >"$s/$(basename "$f").gz"; done
  cp "$tmp"/*.pb.gz "$tmp"/*.memstats.json "$s/"
  rm -rf "$tmp"
  # What --binary needs: the ELF's section headers and symbol table, not its code
  # (objcopy --only-keep-debug turns every other section into NOBITS: ~10% of the size).
  objcopy --only-keep-debug "bin/$s" "$s/binary.symtab"
  ls -l "$s"
done
"$here/reference/record.sh"
