#!/usr/bin/env bash
# One held-out row of breadth17 (RESULTS.md): heapscope with HEAPSCOPE_STATS=1 once (JSON kept,
# checked, first suspect / biggest object printed), then heapscope and the peer alternately with
# sidebyside.py (RUNS rounds, default 1).
#   benches/scripts/breadth17/run.sh KIND DUMP OUTDIR      KIND hprof|v8|tm|tm38|tm313|none
# BIN (default /work/base/heapscope-m28) picks heapscope. Peers: hprof-analyzer (PEER_AN), memlab
# (benches/scripts/v8/memlab-load.js of MAIN, default /work/main, where testdata/node/reference has its node_modules), CPython's
# Snapshot.load + statistics('lineno') + ('traceback') (breadth8/tm_peer.py; tm38 / tm313: pyenv 3.8 / 3.13).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
kind=$1; dump=$(realpath "$2"); out=$(realpath -m "$3")
bin=${BIN:-/work/base/heapscope-m28}
name=$(basename "$dump")
mkdir -p "$out"
echo "== $name $(stat -c %s "$dump") bytes, $(date -u +%H:%M), load $(cut -d' ' -f1-3 /proc/loadavg)"
bash "$root/benches/scripts/breadth8/measure.sh" "$bin" "$dump" "$out" | grep -E 'exit|stats: (parse|dominators|retained|report)|^time|warning' | cut -c1-220
python3 "$here/check.py" "$out/$name.json"
case $kind in
  hprof) peer="hprof-analyzer=${PEER_AN:-/tmp/peer-analyzer/target/release/hprof-analyzer} $dump $out/$name.peer.json" ;;
  v8) peer="memlab load + dominators=node --max-old-space-size=20000 ${MAIN:-/work/main}/benches/scripts/v8/memlab-load.js $dump" ;;
  tm) peer="CPython 3.11 load + lineno + traceback=python3 $root/benches/scripts/breadth8/tm_peer.py $dump" ;;
  tm38) peer="CPython 3.8 load + lineno + traceback=$(pyenv root)/versions/3.8.18/bin/python3.8 $root/benches/scripts/breadth8/tm_peer.py $dump" ;;
  tm313) peer="CPython 3.13 load + lineno + traceback=$(pyenv root)/versions/3.13.0/bin/python3.13 $root/benches/scripts/breadth8/tm_peer.py $dump" ;;
  none) peer="" ;;
esac
args=(--runs "${RUNS:-1}" --input "$dump" --out "$out/$name.sbs.md"
  --run "heapscope m28=$bin analyze -q --format json -o /dev/null $dump")
[[ -n $peer ]] && args+=(--run "$peer")
(cd "$root/testdata/node/reference" 2>/dev/null || cd "$root"; python3 "$root/benches/scripts/sidebyside.py" "${args[@]}") | grep -E '^\|' 
if [[ $kind == tm* ]]; then  # the peer's own split (process time of load / lineno / traceback)
  py=python3; [[ $kind == tm38 ]] && py=$(pyenv root)/versions/3.8.18/bin/python3.8
  [[ $kind == tm313 ]] && py=$(pyenv root)/versions/3.13.0/bin/python3.13
  [[ -n ${PEER_SPLIT:-1} ]] && "$py" "$root/benches/scripts/breadth8/tm_peer.py" "$dump" | cut -c1-200
fi
