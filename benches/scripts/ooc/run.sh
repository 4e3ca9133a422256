#!/usr/bin/env bash
# Out-of-core analysis of one big dump under a memory limit, against the in-memory run
# (docs/out-of-core.md). Prints one table row per run for RESULTS.md.
#   benches/scripts/ooc/run.sh DUMP LIMIT_MIB [RUNS]
# e.g. the 2.18 GB JDK 17 dump under a 972 MiB cgroup (the dump is 2.2x the limit):
#   benches/scripts/ooc/run.sh testdata/big/java-1600000-1600000.hprof 972 2
# 1. the reference: `heapscope analyze` in memory, no limit (JSON kept);
# 2. RUNS times: the same command inside a fresh cgroup of LIMIT_MIB (benches/scripts/cgroup-run.sh,
#    no swap) with nothing forced: the parser's estimate exceeds what the cgroup leaves, so the
#    analysis goes out of core by itself; its JSON is compared with `cmp` to the reference.
# Every run has HEAPSCOPE_STATS=1 (per-stage peak RssAnon, sampled every 5 ms) and /usr/bin/time
# (wall, user + sys CPU). Spill files go to $TMPDIR (must be on disk; default /tmp). Needs root
# for the cgroup. HEAPSCOPE=path/to/heapscope overrides the binary.
set -euo pipefail
dump=${1:?DUMP}
limit=${2:?LIMIT_MIB}
runs=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
bin=${HEAPSCOPE:-$here/../../../target/release/heapscope}
work=$(mktemp -d "${TMPDIR:-/tmp}/heapscope-ooc.XXXXXX")
trap 'rm -rf "$work"' EXIT
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')

# One run: "$1" = label, rest = command prefix (empty or the cgroup runner). Prints a row.
run() {
  local label=$1 json=$work/$1.json
  shift
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  HEAPSCOPE_STATS=1 /usr/bin/time -f 'TIME %e %U %S' "$@" "$bin" analyze -q --format json -o "$json" "$dump" \
    2>"$work/$label.err" || { cat "$work/$label.err" >&2; echo "| $label | failed |"; return; }
  local t wall cpu peak same
  t=$(grep '^TIME' "$work/$label.err" | tail -1)
  wall=$(awk '{print $2}' <<<"$t")
  cpu=$(awk '{printf "%.1f", $3 + $4}' <<<"$t")
  # HEAPSCOPE_STATS lines: "(peak in stage NNN MiB, ...)"; the highest of all stages.
  peak=$(grep -o 'peak in stage *[0-9]* MiB' "$work/$label.err" | awk '{ if ($4 > m) m = $4 } END { print m }')
  group=$(grep -o 'group_peak_MiB=[0-9]*' "$work/$label.err" | cut -d= -f2 || true)
  if [[ $label == mem ]]; then same='reference'
  elif cmp -s "$work/mem.json" "$json"; then same='byte-identical (cmp)'
  else same='DIFFERENT'; fi
  local lim=none
  [[ -n $group ]] && lim="${limit} MiB cgroup (group peak $group MiB)"
  echo "| $(basename "$dump") | $label | $lim | $wall | $cpu | $peak | $same | $load | $commit |"
  grep -E 'stats:|limit=' "$work/$label.err" | sed "s/^/    $label: /" >&2 || true
}

echo "| input | run | memory limit | wall s | CPU s | peak RssAnon MiB | JSON vs in-memory | load avg | commit |"
echo "|---|---|---|---|---|---|---|---|---|"
run mem
for i in $(seq 1 "$runs"); do
  run "ooc$i" "$here/../cgroup-run.sh" "$limit"
done
