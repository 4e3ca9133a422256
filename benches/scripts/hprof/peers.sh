#!/usr/bin/env bash
# heapscope beside the Rust HPROF peers on the same dump, alternately (issue 17):
#   benches/scripts/hprof/peers.sh [DUMP] [RUNS]
# - heapscope analyze DUMP --format json (the whole analysis: dominators, retained sizes, root
#   paths, histogram, report);
# - hprof-analyzer DUMP OUT.json (github.com/parttimenerd/hprof-analyzer: the full report,
#   dominators and retained sizes included);
# - hprof-slurp DUMP (github.com/agourlay/hprof-slurp: the shallow class histogram only, one
#   pass; the parse floor heapscope's parse is compared with).
# Each round runs the three once, in that order (benches/scripts/sidebyside.py: median wall and
# CPU time (user + sys), peak RssAnon of the process tree sampled every 10 ms, the load average
# before each run); the table is appended to RESULTS.md beside this script. Then one more
# heapscope run with HEAPSCOPE_STATS=1 prints the per-stage times (its parse stage is the
# number to hold against hprof-slurp's whole run).
# DUMP defaults to the newest testdata/big/java-*.hprof (make-big.sh); RUNS to 3.
# The peers are built from their sources in /tmp (never committed here): set HPROF_ANALYZER /
# HPROF_SLURP to binaries, else they are cloned from GitHub into /tmp/peer-* and built with
# `cargo build --release`. HEAPSCOPE=/path/to/heapscope uses that binary instead of building.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dump="${1:-}"
runs="${2:-3}"
if [[ -z "$dump" ]]; then
  dump=$(ls -t "$root"/testdata/big/java-*.hprof 2>/dev/null | head -1 || true)
  [[ -n "$dump" ]] || { echo "no dump: run benches/scripts/hprof/make-big.sh first" >&2; exit 2; }
fi

# peer NAME REPO BINARY: path of the peer's release binary, built in /tmp/peer-NAME if needed.
peer() {
  local dir="/tmp/peer-$1"
  if [[ ! -x "$dir/target/release/$3" ]]; then
    [[ -d "$dir" ]] || git clone -q --depth 1 "https://github.com/$2" "$dir" >&2
    (cd "$dir" && cargo build --release -q >&2)
  fi
  echo "$dir/target/release/$3"
}
analyzer="${HPROF_ANALYZER:-$(peer analyzer parttimenerd/hprof-analyzer hprof-analyzer)}"
slurp="${HPROF_SLURP:-$(peer slurp agourlay/hprof-slurp hprof-slurp)}"
hs="${HEAPSCOPE:-}"
if [[ -z "$hs" ]]; then
  (cd "$root" && cargo build --release -q -p heapscope)
  hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version() { git -C "$(dirname "$1")/../.." log -1 --format='%h %cs' 2>/dev/null || echo "?"; }

python3 "$root/benches/scripts/sidebyside.py" --runs "$runs" --input "$dump" \
  --out "$here/RESULTS.md" \
  --title "HPROF side by side: heapscope, hprof-analyzer, hprof-slurp ($(basename "$dump"))" \
  --note "hprof-analyzer $(version "$analyzer") (full report as JSON: dominators, retained sizes, leak suspects); hprof-slurp $(version "$slurp") (shallow class histogram only: the parse floor)" \
  --note "ratios are each peer's median over heapscope's (above 1 = heapscope faster / smaller)" \
  --run "heapscope analyze=$hs analyze -q $dump --format json -o $out/heapscope.json" \
  --run "hprof-analyzer=$analyzer $dump $out/analyzer.json" \
  --run "hprof-slurp=$slurp $dump"

echo "heapscope per stage (HEAPSCOPE_STATS=1, load $(cut -d' ' -f1 /proc/loadavg)):"
HEAPSCOPE_STATS=1 /usr/bin/time -f "user %U s, sys %S s, wall %e s" \
  "$hs" analyze -q "$dump" --format json -o /dev/null 2>&1 | grep -E "stats:|user"
