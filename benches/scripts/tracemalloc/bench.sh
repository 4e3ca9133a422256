#!/usr/bin/env bash
# heapscope vs CPython on one large tracemalloc snapshot (issue 6: target ≥ 5× faster).
#   benches/scripts/tracemalloc/bench.sh [SNAPSHOT]
# Without SNAPSHOT, make_big.py writes a ~216 MB one (16 M traces) to $BENCH_DIR (default
# /tmp/heapscope-bench). Each side is timed warm (the file is read once first) and its peak
# RssAnon is sampled from /proc every 20 ms (pages of a mapped dump do not count).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
PY="${PYTHON:-python3}"
BENCH_DIR="${BENCH_DIR:-/tmp/heapscope-bench}"
mkdir -p "$BENCH_DIR"
snap="${1:-$BENCH_DIR/big-16M.tracemalloc}"
if [[ ! -f "$snap" ]]; then
    "$PY" "$here/make_big.py" "$snap" --traces "${TRACES:-16000000}"
fi
# HEAPSCOPE=/path/to/heapscope uses that binary instead of building this checkout.
hs="${HEAPSCOPE:-}"
if [[ -z "$hs" ]]; then
    (cd "$root" && cargo build --release -q -p heapscope)
    hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
fi

# run_sampled LABEL CMD...: wall and CPU seconds (the machine may be shared: CPU time is the
# steadier number) and the peak RssAnon of CMD, sampled every 20 ms.
run_sampled() {
    local label="$1"; shift
    local tfile pid peak=0 rss kid
    tfile=$(mktemp)
    /usr/bin/time -f "%e %U %S" -o "$tfile" "$@" >/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        for kid in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
            rss=$(awk '/^RssAnon:/ {print $2}' "/proc/$kid/status" 2>/dev/null || true)
            [[ -n "$rss" && "$rss" -gt "$peak" ]] && peak=$rss
        done
        sleep 0.02
    done
    wait "$pid"
    read -r wall user sys < "$tfile"
    rm -f "$tfile"
    printf '%-40s wall %6.2f s  cpu %6.2f s  peak RssAnon %7.1f MiB\n' "$label" "$wall" \
        "$(echo "$user + $sys" | bc)" "$(echo "$peak / 1024" | bc -l)"
}

cat "$snap" >/dev/null # warm the page cache for both sides
echo "host: $(uname -n), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d" " -f1-3 /proc/loadavg); commit $(cd "$root" && git rev-parse --short HEAD)"
echo "input: $snap, $(stat -c %s "$snap") bytes, warm page cache; CPython: $("$PY" -c 'import sys; print(sys.version.split()[0])')"
for group in lineno traceback; do
    run_sampled "heapscope analyze --group-by $group" \
        "$hs" analyze -q --format json -o /dev/null --group-by "$group" "$snap"
    run_sampled "CPython load + statistics('$group')" \
        "$PY" -c "import sys, tracemalloc; s = tracemalloc.Snapshot.load(sys.argv[1]); s.statistics('$group')" "$snap"
done
run_sampled "CPython load only" "$PY" -c "import sys, tracemalloc; tracemalloc.Snapshot.load(sys.argv[1])" "$snap"
