#!/usr/bin/env bash
# Run one command inside a fresh memory cgroup with a limit and no swap, and print its exit code,
# wall time and the group's peak usage (anonymous memory + the page cache the run creates).
#   benches/scripts/cgroup-run.sh LIMIT_MIB CMD [ARGS...]
# e.g. the up-front memory check on the V8 bench snapshot:
#   benches/scripts/cgroup-run.sh 600 target/release/heapscope analyze -q testdata/big/v8-2500000.heapsnapshot --format json -o /dev/null
# and a run with the check off, to see where the analysis itself stops completing:
#   HEAPSCOPE_NO_MEMORY_CHECK=1 benches/scripts/cgroup-run.sh 1500 target/release/heapscope analyze -q DUMP -o /dev/null
# cgroup v2 (memory.max) where /sys/fs/cgroup is one, else the v1 memory controller. Needs root.
set -uo pipefail
limit_mib=${1:?LIMIT_MIB}
shift
if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
  cg=/sys/fs/cgroup/heapscope-run.$$ limit_file=memory.max peak_file=memory.peak
elif [[ -d /sys/fs/cgroup/memory ]]; then
  cg=/sys/fs/cgroup/memory/heapscope-run.$$ limit_file=memory.limit_in_bytes peak_file=memory.max_usage_in_bytes
else
  echo "no cgroup memory controller" >&2
  exit 2
fi
mkdir "$cg" || exit 2
trap 'rmdir "$cg" 2>/dev/null' EXIT
echo $((limit_mib * 1024 * 1024)) >"$cg/$limit_file"
[[ -f "$cg/memory.swap.max" ]] && echo 0 >"$cg/memory.swap.max"
t0=$(date +%s.%N)
bash -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$cg" "$@"
rc=$?
peak=$(cat "$cg/$peak_file" 2>/dev/null || echo 0)
echo "limit=${limit_mib}MiB rc=$rc wall_s=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") group_peak_MiB=$((peak / 1048576))" >&2
exit $rc
