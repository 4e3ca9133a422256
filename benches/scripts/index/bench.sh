#!/usr/bin/env bash
# The saved index (docs/dev/index-format.md) against a parse, on one big dump:
#   benches/scripts/index/bench.sh DUMP
# Builds `heapscope index DUMP` (into a temporary $HEAPSCOPE_CACHE), then runs `path`,
# `retainers` and `instances` with and without (--no-index) the index, each with
# HEAPSCOPE_STATS=1 (per-stage RssAnon peaks sampled from /proc) under /usr/bin/time
# (wall time, CPU user + sys, max RSS including mapped pages) and the load average at the start
# (wall times on a shared host mean little without it; CPU times are the steadier figure). The first run of each pair is preceded by a
# warm-up of the same command so both read from the page cache.
# Output: one line per run; the numbers go to benches/scripts/index/RESULTS.md by hand.
set -euo pipefail
dump="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
hs="${HEAPSCOPE:-$root/target/release/heapscope}"
export HEAPSCOPE_CACHE="${HEAPSCOPE_CACHE:-$(mktemp -d)}"
measure() { # label, command...
  local label="$1"; shift
  local out err
  err=$(mktemp)
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e s wall, %U + %S s CPU, %M KiB max RSS' -o "$err.time" env HEAPSCOPE_STATS=1 "$@" >/dev/null 2>"$err" || true
  local anon
  anon=$(grep -o 'overall *[0-9]* MiB' "$err" | tail -1 | grep -o '[0-9]*')
  local opened
  opened=$(grep -o 'stats: index *[0-9.]* s' "$err" | grep -o '[0-9.]* s' || true)
  printf '%-34s %s, peak RssAnon %s MiB, index opened in %s, load %s\n' "$label" "$(cat "$err.time")" "$anon" "${opened:--}" "$load"
  rm -f "$err" "$err.time"
}
cat "$dump" > /dev/null
measure "index (build)" "$hs" index -q "$dump"
ls -l "$HEAPSCOPE_CACHE"
"$hs" index -q "$dump" | tail -1
json=$("$hs" analyze -q --format json "$dump")
id=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dominators"][0]["id"])')
type=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["histogram"][0]["type"])')
echo "id $id, type $type"
for q in "path $id" "retainers $id" "instances $type"; do
  set -- $q
  "$hs" "$1" -q "$dump" "$2" >/dev/null
  measure "$1 (index)" "$hs" "$1" -q "$dump" "$2"
  measure "$1 (--no-index)" "$hs" "$1" -q --no-index "$dump" "$2"
done
measure "analyze json (index)" "$hs" analyze -q --format json "$dump"
measure "analyze json (--no-index)" "$hs" analyze -q --no-index --format json "$dump"
