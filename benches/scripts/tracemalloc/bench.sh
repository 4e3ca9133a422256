#!/usr/bin/env bash
# heapscope vs CPython on one large tracemalloc snapshot (issue 6: target ≥ 5× faster).
#   benches/scripts/tracemalloc/bench.sh [SNAPSHOT]
# Without SNAPSHOT, make_big.py writes a ~220 MB one (14 M traces) to $BENCH_DIR (default
# /tmp/heapscope-bench). Each side is timed warm (the file is read once first) and its peak
# RssAnon is sampled from /proc every 20 ms (pages of a mapped dump do not count).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
PY="${PYTHON:-python3}"
BENCH_DIR="${BENCH_DIR:-/tmp/heapscope-bench}"
mkdir -p "$BENCH_DIR"
snap="${1:-$BENCH_DIR/big-14M.tracemalloc}"
if [[ ! -f "$snap" ]]; then
    "$PY" "$here/make_big.py" "$snap" --traces "${TRACES:-14000000}"
fi
(cd "$root" && cargo build --release -q -p heapscope)
hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"

# run_sampled LABEL CMD...: wall seconds and peak RssAnon (KiB) of CMD.
run_sampled() {
    local label="$1"; shift
    local start end pid peak=0 rss
    start=$(date +%s.%N)
    "$@" >/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [[ -n "$rss" && "$rss" -gt "$peak" ]] && peak=$rss
        sleep 0.02
    done
    wait "$pid"
    end=$(date +%s.%N)
    printf '%-44s wall %7.2f s   peak RssAnon %8.1f MiB\n' "$label" "$(echo "$end - $start" | bc)" "$(echo "$peak / 1024" | bc -l)"
}

cat "$snap" >/dev/null # warm the page cache for both sides
echo "host: $(uname -n), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); commit $(cd "$root" && git rev-parse --short HEAD)"
echo "input: $snap, $(stat -c %s "$snap") bytes, warm page cache; CPython: $("$PY" -c 'import sys; print(sys.version.split()[0])')"
for group in lineno traceback; do
    run_sampled "heapscope analyze --group-by $group" \
        "$hs" analyze -q --format json -o /dev/null --group-by "$group" "$snap"
    run_sampled "CPython load + statistics('$group')" \
        "$PY" -c "import sys, tracemalloc; s = tracemalloc.Snapshot.load(sys.argv[1]); s.statistics('$group')" "$snap"
done
run_sampled "CPython load only" "$PY" -c "import sys, tracemalloc; tracemalloc.Snapshot.load(sys.argv[1])" "$snap"
