#!/usr/bin/env bash
# The saved index (docs/dev/index-format.md) against a parse, on one big dump:
#   benches/scripts/index/bench.sh DUMP
# Builds `heapscope index DUMP` (into a temporary $HEAPSCOPE_CACHE), then runs `path`,
# `retainers`, `instances` and two queries (a GROUP BY type over every object; the largest
# instances of a type with a predicate) with and without (--no-index) the index, each with
# HEAPSCOPE_STATS=1 (per-stage RssAnon peaks sampled from /proc) under /usr/bin/time
# (wall time, CPU user + sys, max RSS including mapped pages) and the load average at the start
# (wall times on a shared host mean little without it; CPU times are the steadier figure). The first run of each pair is preceded by a
# warm-up of the same command so both read from the page cache.
# The indexed runs use the seal `index` wrote (graph/src/saved/seal.rs); one more run of
# `instances` opens a copy of the index (another inode, so unsealed: every check is made).
# RUNS (default 3) runs of each indexed command; --no-index runs once unless NOINDEX_RUNS says.
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
runs="${RUNS:-3}"
noindex_runs="${NOINDEX_RUNS:-1}"
group="SELECT type, count(*), sum(retained) FROM objects GROUP BY type ORDER BY 3 DESC LIMIT 10"
where="SELECT id, shallow, retained FROM objects WHERE type = '$type' AND shallow >= 64 ORDER BY retained DESC LIMIT 10"
for c in path retainers instances query-group query-where; do
  case $c in
    path) args=(path -q "$dump" "$id") ;;
    retainers) args=(retainers -q "$dump" "$id") ;;
    instances) args=(instances -q "$dump" "$type") ;;
    query-group) args=(query -q "$dump" "$group") ;;
    query-where) args=(query -q "$dump" "$where") ;;
  esac
  "$hs" "${args[@]}" >/dev/null
  for _ in $(seq "$runs"); do measure "$c (index)" "$hs" "${args[@]}"; done
  for _ in $(seq "$noindex_runs"); do measure "$c (--no-index)" "$hs" "${args[@]:0:1}" --no-index "${args[@]:1}"; done
done
# Every check: the index copied (a new inode, no seal), then opened.
idx=$(ls "$HEAPSCOPE_CACHE"/*.hsidx)
cp "$idx" "$idx.copy" && mv "$idx.copy" "$idx"
measure "instances (index, unsealed)" "$hs" instances -q "$dump" "$type"
