#!/usr/bin/env bash
# Byte-identical over-time reports: `trend` and `diff` (JSON) of the fixture series in testdata/
# with two heapscope binaries, the new one also out of core (HEAPSCOPE_OUT_OF_CORE=1: every dump's
# graph and analysis in spill files) and with one thread (RAYON_NUM_THREADS=1, one core); prints
# one line per difference and "N runs, M differ", exits 1 when any differs.
#   benches/scripts/ooc/overtime-cmp.sh OLD_BINARY NEW_BINARY
set -uo pipefail
old=${1:?OLD_BINARY}; new=${2:?NEW_BINARY}
cd "$(dirname "$0")/../../.."
t=testdata
series=(
  "$t/java/dumps/growth_1.hprof.gz $t/java/dumps/growth_2.hprof.gz $t/java/dumps/growth_3.hprof.gz"
  "$t/java/healthy_series/healthy_series_1.hprof.gz $t/java/healthy_series/healthy_series_2.hprof.gz $t/java/healthy_series/healthy_series_3.hprof.gz"
  "$t/node/healthy_series/healthy_series_1.heapsnapshot $t/node/healthy_series/healthy_series_2.heapsnapshot $t/node/healthy_series/healthy_series_3.heapsnapshot"
  "$t/node/snapshots/series-baseline.heapsnapshot $t/node/snapshots/series-target.heapsnapshot $t/node/snapshots/series-final.heapsnapshot"
  "$t/go/growth/heap.1.pb.gz $t/go/growth/heap.2.pb.gz $t/go/growth/heap.3.pb.gz"
  "$t/go/healthy_series/heap.1.pb.gz $t/go/healthy_series/heap.2.pb.gz $t/go/healthy_series/heap.3.pb.gz"
  "$t/python/healthy_series/healthy_series-py313-1.tracemalloc $t/python/healthy_series/healthy_series-py313-2.tracemalloc $t/python/healthy_series/healthy_series-py313-3.tracemalloc"
  "$t/python/snapshots/series-py312-1.tracemalloc $t/python/snapshots/series-py312-2.tracemalloc $t/python/snapshots/series-py312-3.tracemalloc"
)
n=0; d=0
one() { # label, then the command's arguments
  local label=$1; shift
  local a b c e
  a=$("$old" "$@" -q --format json 2>/dev/null; echo "rc=$?")
  b=$("$new" "$@" -q --format json 2>/dev/null; echo "rc=$?")
  c=$(HEAPSCOPE_OUT_OF_CORE=1 "$new" "$@" -q --format json 2>/dev/null; echo "rc=$?")
  e=$(RAYON_NUM_THREADS=1 taskset -c 0 "$new" "$@" -q --format json 2>/dev/null; echo "rc=$?")
  n=$((n + 1))
  [ "$a" = "$b" ] || { d=$((d + 1)); echo "DIFF (new) $label: $*"; }
  [ "$a" = "$c" ] || { d=$((d + 1)); echo "DIFF (new, out of core) $label: $*"; }
  [ "$a" = "$e" ] || { d=$((d + 1)); echo "DIFF (new, one thread) $label: $*"; }
  case "$a" in *'"kind"'*) ;; *) echo "no report from $label: $* (${a: -40})";; esac
}
for s in "${series[@]}"; do
  read -r -a f <<<"$s"
  for p in "${f[@]}"; do [ -e "$p" ] || { echo "missing $p" >&2; exit 2; }; done
  one trend trend "${f[@]}" --max-rows 0
  one diff diff "${f[0]}" "${f[2]}"
done
echo "$n runs (x3: new, out of core, one thread), $d differ"
[ "$d" = 0 ]
