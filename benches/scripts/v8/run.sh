#!/usr/bin/env bash
# V8 scale bench: make a real snapshot with Node (default 2.5 M objects, ~1 GB), then time heapscope and
# memlab on it and record wall time and peak anonymous memory (RssAnon sampled from
# /proc/<pid>/status every 50 ms; the mapped snapshot's pages are file-backed and not counted).
#   benches/scripts/v8/run.sh [objects] [--no-memlab]
# Writes testdata/big/v8-<objects>.heapsnapshot (git-ignored) and prints one record per run.
# Environment: HEAPSCOPE=<binary> uses a binary built elsewhere (e.g. in a private worktree while
# the shared tree does not build) instead of `cargo build --release`; RUNS=<n> (default 3) runs
# heapscope n times (the host is shared: take the best run and say so); MEMLAB_RUNS (default 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
objects="${1:-2500000}"
big="$root/testdata/big"
snap="$big/v8-$objects.heapsnapshot"
mkdir -p "$big"

if [[ ! -s "$snap" ]]; then
  node --max-old-space-size=20000 "$here/make-big.js" "$snap" "$objects"
fi
size=$(stat -c %s "$snap")

# Run a command, sample its RssAnon (kB) until it exits; print "wall_s peak_anon_kB".
measure() {
  local start end pid peak=0 cur
  start=$(date +%s.%N)
  "$@" >/tmp/v8-bench-out.$$ 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    cur=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [[ -n "$cur" && "$cur" -gt "$peak" ]] && peak=$cur
    sleep 0.05
  done
  wait "$pid" || { echo "failed: $*" >&2; cat /tmp/v8-bench-out.$$ >&2; return 1; }
  end=$(date +%s.%N)
  echo "$(awk "BEGIN { print $end - $start }") $peak"
}

bin="${HEAPSCOPE:-}"
if [[ -z "$bin" ]]; then
  cargo build --release -p heapscope --manifest-path "$root/Cargo.toml" >/dev/null
  bin="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
fi
sync
cat "$snap" >/dev/null # warm the page cache: both tools read a cached file

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "host=$(uname -n) cores=$(nproc) mem=$(awk '/MemTotal/ {printf "%.0fGiB", $2/1048576}' /proc/meminfo) commit=$(git -C "$root" rev-parse --short HEAD) input=$(basename "$snap") bytes=$size cache=warm"
for ((run = 1; run <= ${RUNS:-3}; run++)); do
  before=$(load)
  read -r hs_wall hs_peak < <(measure "$bin" analyze "$snap" --format json -o /dev/null --quiet)
  echo "heapscope run $run: wall_s=$hs_wall peak_anon_kB=$hs_peak load_before=[$before]"
done
if [[ "${2:-}" != "--no-memlab" ]]; then
  "$root/testdata/node/reference/record.sh" --install-only
  for ((run = 1; run <= ${MEMLAB_RUNS:-1}; run++)); do
    before=$(load)
    read -r ml_wall ml_peak < <(measure node --max-old-space-size=20000 "$here/memlab-load.js" "$snap")
    echo "memlab run $run: wall_s=$ml_wall peak_anon_kB=$ml_peak load_before=[$before] $(cat /tmp/v8-bench-out.$$)"
  done
fi
rm -f /tmp/v8-bench-out.$$
