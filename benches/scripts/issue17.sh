#!/usr/bin/env bash
# Every side-by-side of issue 17 in one run, with one heapscope binary, each table appended to
# the RESULTS.md beside its format's script:
#   HEAPSCOPE=target/release/heapscope benches/scripts/issue17.sh [RUNS] [FORMAT…]
# FORMAT is any of hprof shapes v8 tracemalloc pprof (default: all). Inputs are made when
# missing (hprof/make-big.sh, make-shapes.sh, v8/make-big.js, tracemalloc/make_real.py --scale 2,
# pprof/bigprofile); peers as in each script (hprof-analyzer and hprof-slurp built in /tmp,
# memlab from testdata/node/reference, the system CPython 3.11, `go tool pprof`).
# Run it on a quiet machine: the load average is recorded before every run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-3}"
shift || true
formats=("${@:-hprof shapes v8 tracemalloc pprof}")
read -r -a formats <<< "${formats[*]}"
hs="${HEAPSCOPE:-}"
if [[ -z "$hs" ]]; then
  (cd "$root" && cargo build --release -q -p heapscope)
  hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
fi
export HEAPSCOPE="$hs"
big="$root/testdata/big"
for f in "${formats[@]}"; do
  echo "== $f (load $(cut -d' ' -f1-3 /proc/loadavg))"
  case "$f" in
    hprof)
      bash "$here/hprof/make-big.sh"
      bash "$here/hprof/peers.sh" "$big/java-1600000-1600000.hprof" "$runs" ;;
    shapes)
      bash "$here/hprof/make-shapes.sh"
      bash "$here/hprof/peers.sh" "$big/shapes-12000000-12000000-12000000-6000000.hprof" "$runs" ;;
    v8)
      snap="$big/v8-2500000.heapsnapshot"
      [[ -s "$snap" ]] || node --max-old-space-size=20000 "$here/v8/make-big.js" "$snap" 2500000
      bash "$root/testdata/node/reference/record.sh" --install-only
      python3 "$here/sidebyside.py" --runs "$runs" --input "$snap" --out "$here/v8/RESULTS.md" \
        --title "V8 1 GB snapshot: heapscope vs memlab" \
        --note "memlab 2.0.5 (@memlab/core) load + dominators, Node $(node --version)" \
        --run "heapscope analyze=$hs analyze -q --format json -o /dev/null $snap" \
        --run "memlab load + dominators=node --max-old-space-size=20000 $here/v8/memlab-load.js $snap"
      echo "heapscope per stage:"
      HEAPSCOPE_STATS=1 "$hs" analyze -q --format json -o /dev/null "$snap" 2>&1 | grep -E "stats:" || true ;;
    tracemalloc)
      mkdir -p "$big"
      RUNS="$runs" BENCH_DIR="$big" SCALE=2 bash "$here/tracemalloc/bench.sh" ;;
    pprof)
      RUNS="$runs" bash "$here/pprof/run.sh" 18 ;;
    *) echo "unknown format $f (hprof shapes v8 tracemalloc pprof)" >&2; exit 2 ;;
  esac
done
