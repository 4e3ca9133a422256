#!/usr/bin/env bash
# Records what `go tool pprof` says about every fixture, so the Rust tests compare against
# pprof's own numbers without needing Go. Rerunnable; gen.sh calls it after regenerating.
#
#   reference/<scenario>/<profile>.<sample_index>.top         -top of one profile
#   reference/<scenario>/<profile>.default.top                -top without -sample_index
#   reference/growth/<new>-<base>.<form>.<sample_index>.top   -top of `-base <base> <new>`
#
# The text (debug=1) form names frames only by address for pprof, so it is read together
# with the scenario's binary (bin/<scenario>, rebuilt by `gen.sh build` if missing; the build
# is reproducible with -trimpath and the same toolchain). The protobuf form needs no binary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
go_dir="$(dirname "$here")"
cd "$go_dir"

export PPROF_TMPDIR="${TMPDIR:-/tmp}/heapscope-pprof" PPROF_BINARY_PATH=/nonexistent
heap_indices=(inuse_space inuse_objects alloc_space alloc_objects)

# The sample types pprof sees in a profile, from the line under "Samples:" of -raw. A text heap
# profile whose header has no distinct alloc numbers has only "objects" and "space".
sample_types() {
  go tool pprof -raw "$@" | awk '/^Samples:/{getline; for (i = 1; i <= NF; i++) { sub("/.*", "", $i); print $i }; exit}'
}

[[ -d bin ]] || "$go_dir/gen.sh" build

top() { # OUT ARGS... — every node, no pruning by fraction, exact integer values
  local out="$1"; shift
  local unit=()
  case "$*" in *space* | *-unit=*) unit=(-unit=byte) ;; esac
  go tool pprof -top -nodecount=100000 -nodefraction=0 -edgefraction=0 "${unit[@]}" "$@" >"$out" 2>"$out.err" || {
    cat "$out.err" >&2; exit 1; }
  rm -f "$out.err"
}

go version >"$here/GO_VERSION"
for dir in */; do
  s="${dir%/}"
  [[ -x "bin/$s" ]] || continue
  mkdir -p "$here/$s"
  rm -f "$here/$s"/*.top "$here/$s"/*.err
  for f in "$s"/*.pb.gz "$s"/*.txt; do
    name="$(basename "$f")"
    bin=()
    [[ "$name" == *.txt ]] && bin=("bin/$s")
    for i in $(sample_types "${bin[@]}" "$f"); do
      top "$here/$s/$name.$i.top" -sample_index="$i" "${bin[@]}" "$f"
    done
    # No -sample_index: pprof's own default (heap profiles: a space type).
    unit=()
    [[ "$name" == heap* ]] && unit=(-unit=byte)
    top "$here/$s/$name.default.top" "${unit[@]}" "${bin[@]}" "$f"
  done
done

# The growth series: each later profile against each earlier one, both forms.
for pair in "2 1" "3 1" "3 2"; do
  set -- $pair
  for form in pb.gz txt; do
    bin=()
    [[ "$form" == txt ]] && bin=(bin/growth)
    for i in "${heap_indices[@]}"; do
      top "$here/growth/heap.$1-heap.$2.$form.$i.top" -sample_index="$i" \
        -base "growth/heap.$2.$form" "${bin[@]}" "growth/heap.$1.$form"
    done
  done
done
echo "recorded: $(find "$here" -name '*.top' | wc -l) outputs"
