#!/usr/bin/env bash
# heapscope vs CPython on one large tracemalloc snapshot, side by side (issue 17: target ≥ 20×).
#   benches/scripts/tracemalloc/bench.sh [SNAPSHOT]
# Without SNAPSHOT, make_real.py traces a real program with tracemalloc.start(25) under the system
# CPython 3.11 and dumps its snapshot to $BENCH_DIR (default /tmp/heapscope-bench); SCALE (default
# 1: ~2.9 M live blocks, 51 MB) sizes it. Then sidebyside.py runs `heapscope analyze` and CPython's
# `Snapshot.load` + `statistics('lineno')` on it alternately, RUNS times each (default 3), and
# appends the table (medians, ratios, peak RssAnon, load average, commit) to RESULTS.md here.
# HEAPSCOPE=path uses that binary instead of building this checkout; PYTHON the peer's interpreter.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
PY="${PYTHON:-/usr/bin/python3.11}"
BENCH_DIR="${BENCH_DIR:-/tmp/heapscope-bench}"
mkdir -p "$BENCH_DIR"
snap="${1:-$BENCH_DIR/real-scale${SCALE:-1}.tracemalloc}"
if [[ ! -f "$snap" ]]; then
    "$PY" "$here/make_real.py" "$snap" --scale "${SCALE:-1}"
fi
hs="${HEAPSCOPE:-}"
if [[ -z "$hs" ]]; then
    (cd "$root" && cargo build --release -q -p heapscope)
    hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
fi
python3 "$here/../sidebyside.py" --runs "${RUNS:-3}" --input "$snap" --out "$here/RESULTS.md" \
    --title "tracemalloc: $(basename "$snap") ($("$PY" -c 'import sys; print("CPython", sys.version.split()[0])'), tracemalloc.start(25))" \
    --note "heapscope: parse + call tree + dominators + retained sizes + histogram + paths + JSON report; CPython: load + statistics('lineno') only" \
    --run "heapscope analyze=$hs analyze -q --format json -o /dev/null $snap" \
    --run "CPython load + statistics('lineno')=$PY -c \"import sys, tracemalloc; tracemalloc.Snapshot.load(sys.argv[1]).statistics('lineno')\" $snap"
