#!/usr/bin/env bash
# HPROF scale bench (issue 3): wall time and peak anonymous memory of
#   target/release/heapscope analyze BIG --format json -o /dev/null
# beside the time VisualVM's heap library takes to compute retained sizes of the same file.
#   benches/scripts/hprof/bench.sh [DUMP] [--no-visualvm] [--cgroup]
# DUMP defaults to the newest testdata/big/java-*.hprof (make one with make-big.sh).
# Peak RssAnon is sampled from /proc/PID/status every 50 ms (pages of the mapped dump are
# file-backed and do not count). --cgroup also bisects the smallest cgroup memory limit (v2
# memory.max or v1 memory.limit_in_bytes: anon + page cache, so an upper bound) under which
# heapscope still completes, with each trial's wall time (needs root).
# HEAPSCOPE=/path/to/heapscope uses that binary instead of building this checkout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
JAR=${VISUALVM_HEAP_JAR:-/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar}
dump=""
visualvm=1
cgroup=0
for a in "$@"; do
  case "$a" in
    --no-visualvm) visualvm=0 ;;
    --cgroup) cgroup=1 ;;
    *) dump="$a" ;;
  esac
done
if [[ -z "$dump" ]]; then
  dump=$(ls -t "$root"/testdata/big/java-*.hprof 2>/dev/null | head -1 || true)
  [[ -n "$dump" ]] || { echo "no dump: run benches/scripts/hprof/make-big.sh first" >&2; exit 2; }
fi
size=$(stat -c %s "$dump")
objects=""
[[ -f "${dump%.hprof}.histo.txt" ]] && objects=$(awk '/^Total/ {print $2}' "${dump%.hprof}.histo.txt")

log=$(mktemp)
trap 'rm -f "$log" "$log.build"' EXIT
hs="${HEAPSCOPE:-}"
if [[ -z "$hs" ]]; then
  (cd "$root" && cargo build --release -q -p heapscope 2>"$log.build") || { cat "$log.build" >&2; exit 1; }
  hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
fi

# measure CMD...: prints "wall_s peak_anon_kB" of CMD (stdout+stderr to $log).
measure() {
  local start end pid peak=0 cur
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    cur=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n "$cur" && "$cur" -gt "$peak" ]] && peak=$cur
    sleep 0.05
  done
  wait "$pid" || { echo "failed: $*" >&2; cat "$log" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$(awk "BEGIN { printf \"%.2f\", $end - $start }") $peak"
}

cat "$dump" >/dev/null # warm the page cache: every tool reads a cached file
echo "host=$(uname -n) cores=$(nproc) mem=$(awk '/MemTotal/ {printf "%.0fGiB", $2/1048576}' /proc/meminfo) load=$(cut -d' ' -f1 /proc/loadavg) commit=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet -- parsers graph || echo +dirty)"
echo "input=$(basename "$dump") bytes=$size objects=${objects:-?} cache=warm"
read -r wall peak < <(measure "$hs" analyze "$dump" --format json -o /dev/null --quiet)
echo "heapscope: wall_s=$wall peak_anon_kB=$peak peak/dump=$(awk "BEGIN { printf \"%.3f\", $peak * 1024 / $size }")"

if ((cgroup)); then
  # cgroup v2 (memory.max) where /sys/fs/cgroup is one; else the v1 memory controller
  # (memory.limit_in_bytes). Either counts anonymous memory and the page cache the run
  # creates (spill files); the dump's pages were cached above, outside the group.
  if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
    cg=/sys/fs/cgroup/heapscope-bench.$$ limit_file=memory.max
  elif [[ -d /sys/fs/cgroup/memory ]]; then
    cg=/sys/fs/cgroup/memory/heapscope-bench.$$ limit_file=memory.limit_in_bytes
  else
    echo "heapscope: --cgroup needs a cgroup memory controller; skipped" >&2
    cg=""
  fi
fi
if ((cgroup)) && [[ -n "$cg" ]]; then
  mkdir "$cg"
  lo=$((peak / 2)) hi=$((peak * 2))  # kB
  while ((hi - lo > 32768)); do
    mid=$(((lo + hi) / 2))
    echo $((mid * 1024)) >"$cg/$limit_file"
    [[ -f "$cg/memory.swap.max" ]] && echo 0 >"$cg/memory.swap.max"
    t0=$(date +%s.%N)
    if bash -c "echo \$\$ > $cg/cgroup.procs; exec \"$hs\" analyze \"$dump\" --format json -o /dev/null --quiet" >/dev/null 2>&1; then
      hi=$mid ok=completed
    else
      lo=$mid ok=failed
    fi
    echo "  limit=$((mid / 1024)) MiB: $ok in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s"
  done
  rmdir "$cg"
  echo "heapscope: smallest cgroup memory limit that completes ≈ $((hi / 1024)) MiB (±32 MiB; anon + page cache the run creates)"
fi

if ((visualvm)); then
  build=$(mktemp -d)
  "$JDK17/bin/javac" --release 17 -cp "$JAR" -d "$build" "$here/VisualVmRetained.java"
  rm -rf "$dump.hwcache"
  read -r vwall vpeak < <(measure "$JDK17/bin/java" -Xmx${VISUALVM_XMX:-16g} -cp "$JAR:$build" VisualVmRetained "$dump")
  echo "visualvm: wall_s=$vwall peak_anon_kB=$vpeak $(tr '\n' ' ' <"$log")"
  rm -rf "$build" "$dump.hwcache"
fi
