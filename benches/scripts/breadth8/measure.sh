#!/usr/bin/env bash
# One measured heapscope run on a breadth8 input:
#   benches/scripts/breadth8/measure.sh BINARY DUMP OUTDIR [analyze options...]
# Writes OUTDIR/NAME.json (analyze -q --format json), OUTDIR/NAME.stats (HEAPSCOPE_STATS=1
# stderr + /usr/bin/time's "wall user sys maxrss_kb" line) and prints the stats with the load.
set -uo pipefail
bin=$1; dump=$2; outdir=$3; shift 3
name=$(basename "$dump")
mkdir -p "$outdir"
cat /proc/loadavg
HEAPSCOPE_STATS=1 /usr/bin/time -f 'time %e %U %S %M' "$bin" analyze -q --format json \
  -o "$outdir/$name.json" "$@" "$dump" 2> "$outdir/$name.stats"
echo "exit $?"
cat "$outdir/$name.stats"
