#!/usr/bin/env bash
# Benchmarks the pprof parser on a large real Go heap profile (both forms).
#   benches/scripts/pprof/run.sh [DEPTH]     DEPTH 18 → 262 144 distinct stacks (default)
# Writes the profiles to testdata/big/pprof/ (ignored by git), then times
# `heapscope analyze` on each, sampling RssAnon of the process from /proc every 50 ms (pages of
# the mapped input do not count). Prints one record line per input; paste it into docs.
set -euo pipefail
depth="${1:-18}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="$root/testdata/big/pprof"
mkdir -p "$out"
bin="$out/bigprofile"
GO111MODULE=off CGO_ENABLED=0 go build -trimpath -o "$bin" "$root/benches/scripts/pprof/bigprofile/main.go"
[[ -f "$out/big-$depth.pb.gz" ]] || "$bin" "$depth" "$out"
cargo build --release -p heapscope --manifest-path "$root/Cargo.toml" >/dev/null
heapscope="$root/target/release/heapscope"

peak_anon() { # PID → max RssAnon in kB while it runs
  local pid="$1" peak=0 v
  while kill -0 "$pid" 2>/dev/null; do
    v="$(awk '/^RssAnon:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)"
    [[ -n "$v" && "$v" -gt "$peak" ]] && peak="$v"
    sleep 0.05
  done
  echo "$peak"
}

echo "host: $(nproc) cores, $(awk '/MemTotal/{print $2/1024/1024 " GiB"}' /proc/meminfo); commit $(git -C "$root" rev-parse --short HEAD); cache: warm (file just written)"
for f in "$out/big-$depth.pb.gz" "$out/big-$depth.txt"; do
  start=$(date +%s.%N)
  "$heapscope" analyze "$f" >/dev/null 2>"$out/last.err" &
  pid=$!
  peak=$(peak_anon "$pid")
  if ! wait "$pid"; then
    echo "$(basename "$f"): failed: $(head -c 300 "$out/last.err")"
    continue
  fi
  end=$(date +%s.%N)
  printf '%s: %s bytes, wall %.2fs, peak RssAnon %d KiB\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(echo "$end - $start" | bc)" "$peak"
done

# The parser alone (no analysis, no report), both forms, and a check that they agree.
HEAPSCOPE_PPROF_BIG="$out/big-$depth.pb.gz:$out/big-$depth.txt" \
  cargo test --release -q --manifest-path "$root/Cargo.toml" -p heapscope-parsers --test tests \
  big_profiles -- --ignored --nocapture 2>/dev/null | grep -E 'nodes, parsed'
