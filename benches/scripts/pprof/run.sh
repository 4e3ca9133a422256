#!/usr/bin/env bash
# heapscope vs `go tool pprof -top` on a large real Go heap profile, side by side (issue 17:
# target ≥ 10×).
#   benches/scripts/pprof/run.sh [DEPTH]     DEPTH 18 → 262 144 distinct stacks (default)
# bigprofile/main.go (a real Go program, MemProfileRate = 1) writes its heap profile in both forms
# to testdata/big/pprof/ (ignored by git): big-DEPTH.txt (legacy text, 282 MB at 18) and
# big-DEPTH.pb.gz. sidebyside.py then runs `heapscope analyze` and `go tool pprof -top` on each
# alternately, RUNS times (default 3), and appends the tables (medians, ratios, peak RssAnon of
# the process tree, load average, commit) to RESULTS.md here. HEAPSCOPE=path uses that binary.
set -euo pipefail
depth="${1:-18}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${OUT:-$root/testdata/big/pprof}"
mkdir -p "$out"
bin="$out/bigprofile"
if [[ ! -f "$out/big-$depth.pb.gz" || ! -f "$out/big-$depth.txt" ]]; then
  GO111MODULE=off CGO_ENABLED=0 go build -trimpath -o "$bin" "$here/bigprofile/main.go"
  "$bin" "$depth" "$out"
fi
hs="${HEAPSCOPE:-}"
if [[ -z "$hs" ]]; then
  cargo build --release -q -p heapscope --manifest-path "$root/Cargo.toml"
  hs="$root/target/release/heapscope"
fi
for f in "$out/big-$depth.txt" "$out/big-$depth.pb.gz"; do
  python3 "$here/../sidebyside.py" --runs "${RUNS:-3}" --input "$f" --out "$here/RESULTS.md" \
    --title "pprof: $(basename "$f") ($(go version | cut -d' ' -f3))" \
    --note "heapscope: parse + call tree + dominators + retained sizes + histogram + paths + JSON report; pprof: parse + the -top table" \
    --run "heapscope analyze=$hs analyze -q --format json -o /dev/null $f" \
    --run "go tool pprof -top=go tool pprof -top $f"
done
