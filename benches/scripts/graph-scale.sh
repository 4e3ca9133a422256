#!/usr/bin/env bash
# Run the graph passes at scale and print what benches/README.md records: host, commit, load,
# then graph-scale's tables (per pass: wall and CPU time, peak RssAnon, VmHWM).
#
#   benches/scripts/graph-scale.sh                 # 10^7 nodes / 3·10^7 edges
#   HEAPSCOPE_BENCH_HUGE=1 benches/scripts/graph-scale.sh   # 10^8 / 3·10^8 (~7 GiB, minutes)
#   benches/scripts/graph-scale.sh --baseline      # also the first dominator pass, same graph
#   HEAPSCOPE_BENCH_MEM_LIMIT=700M benches/scripts/graph-scale.sh
#       # run inside a memory cgroup with that limit and no swap: completes or is OOM-killed
#
# Extra arguments go to the binary (--nodes N --edges M --labels --baseline).
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release -p heapscope-benches --bin graph-scale >&2
bin=target/release/graph-scale

echo "host: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
echo "kernel: $(uname -r), THP $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo '?')"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet -- graph benches || echo ' (+ uncommitted changes)')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"

limit="${HEAPSCOPE_BENCH_MEM_LIMIT:-}"
if [ -z "$limit" ]; then
  "$bin" "$@"
  exit
fi

# A child memory cgroup: v2 (memory.max) where the memory controller is on the unified
# hierarchy, v1 (memory.limit_in_bytes) otherwise.
bytes=$(numfmt --from=iec "$limit")
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
  cg=/sys/fs/cgroup/heapscope-bench-$$
  mkdir "$cg"
  echo "$bytes" >"$cg/memory.max"
  echo 0 >"$cg/memory.swap.max" 2>/dev/null || true
else
  parent=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
  cg=$parent/heapscope-bench-$$
  mkdir "$cg"
  echo "$bytes" >"$cg/memory.limit_in_bytes"
  echo "$bytes" >"$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true
fi
trap 'rmdir "$cg" 2>/dev/null || true' EXIT
echo "memory limit: $limit ($cg)"
status=0
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$bin" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "graph-scale did not complete under $limit (exit $status)"
fi
exit "$status"
