#!/usr/bin/env bash
# Bad-input sweep of the CLI: truncations (0–99%) and random byte mutations (10 per case, mostly in
# the first 4 KiB where headers and meta live) of one real fixture per format, including the JDK's
# chunked gzip, a Go heap dump and a Python heap snapshot (inflated first) and a Prometheus
# export (through `heapscope metrics`). Every run must exit 0, 1 or 2 (a clear error naming the file); 3 (internal error)
# or a signal is a failure. Prints the failures and "cases=N bad=M"; exits 1 if M > 0.
#   scripts/bad-input-sweep.sh [SEEDS]      (default 30 mutations per fixture)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seeds=${1:-30}
(cd "$root" && cargo build --release -q -p heapscope) || exit 2
hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
T=$root/testdata
files=(
  "$T/node/snapshots/emitter-listeners.heapsnapshot"
  "$T/java/dumps/healthy.hprof"
  "$T/java/dumps/caches.hprof.gz"
  "$T/go/growth/heap.1.pb.gz"
  "$T/go/fragmentation/heap.txt"
  "$T/python/snapshots/global_dict-py312.tracemalloc"
  "inflate:$T/go/heapdump/healthy/heap.dump.gz"
  "inflate:$T/python/heapsnap/snapshots/cache-py312.pysnap.gz"
  "metrics:$T/prometheus/python-leak.json"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 bad=0
cmd=analyze
check() { # FILE LABEL
  local out rc q=(-q)
  [[ $cmd == metrics ]] && q=() # metrics draws no progress
  out=$(timeout 120 "$hs" "$cmd" "${q[@]}" "$1" --format json -o /dev/null 2>&1)
  rc=$?
  n=$((n + 1))
  if [[ $rc -gt 2 ]] || { [[ $rc == 2 ]] && ! grep -q "$(basename "$1")" <<<"$out"; }; then
    echo "$2 rc=$rc: ${out:0:300}"
    bad=$((bad + 1))
  fi
}
for f in "${files[@]}"; do
  # `inflate:` mutates the dump inside its gzip (else the gzip check refuses every mutation);
  # `metrics:` is a Prometheus export, read by `heapscope metrics`.
  cmd=analyze
  case $f in
    inflate:*) f=${f#inflate:}; [[ -f $f ]] && gzip -dc "$f" >"$work/$(basename "${f%.gz}")"; f=$work/$(basename "${f%.gz}") ;;
    metrics:*) f=${f#metrics:}; cmd=metrics ;;
  esac
  [[ -f $f ]] || { echo "missing fixture $f" >&2; exit 2; }
  size=$(stat -c %s "$f")
  for pct in 0 1 2 5 10 20 33 50 66 80 95 99; do
    head -c $((size * pct / 100)) "$f" >"$work/cut.bin"
    check "$work/cut.bin" "truncated $(basename "$f") at $pct%"
  done
  for seed in $(seq 1 "$seeds"); do
    python3 - "$f" "$seed" "$work/mutated.bin" <<'PY'
import random, sys
d = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(int(sys.argv[2]))
for _ in range(10):
    i = r.randrange(min(len(d), 4096)) if r.random() < 0.6 else r.randrange(len(d))
    d[i] = r.choice([0, 0xFF, ord("9"), ord('"'), ord(","), r.randrange(256)])
open(sys.argv[3], "wb").write(d)
PY
    check "$work/mutated.bin" "mutated $(basename "$f") seed $seed"
  done
done
echo "cases=$n bad=$bad"
((bad == 0))
