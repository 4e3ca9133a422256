#!/usr/bin/env bash
# Build, seed and fuzz one target non-interactively, then print what it found.
#
#   parsers/fuzz/run.sh TARGET SECONDS      TARGET: hprof | v8 | pprof | tracemalloc | gzip
#
# Needs cargo-afl (stable Rust): `cargo install cargo-afl && cargo afl config --build`.
# One afl-fuzz process (one core); rayon inside the target is held to one thread.
# Output: parsers/fuzz/out/TARGET/default/{crashes,hangs,queue}; seeds are regenerated from
# testdata/ into parsers/fuzz/seeds/TARGET (neither is committed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: run.sh TARGET SECONDS}"
secs="${2:?usage: run.sh TARGET SECONDS}"
case "$target" in hprof | v8 | pprof | tracemalloc | gzip) ;; *)
    echo "unknown target $target" >&2
    exit 2
    ;;
esac
cd "$here"
if ! cargo afl --version >/dev/null 2>&1; then
    echo "cargo-afl is missing: cargo install cargo-afl && cargo afl config --build" >&2
    exit 2
fi

# Build (one job: the machine is shared).
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo afl build --release --bin "$target" 2>&1 | tail -n 3
bin="$here/target/release/$target"

python3 "$here/seeds.py" "$target" "$here/seeds/$target"
out="$here/out/$target"
rm -rf "$out"
mkdir -p "$out"

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    AFL_IGNORE_SEED_PROBLEMS=1 AFL_SKIP_CRASHES=1 AFL_NO_WARN_INSTABILITY=1 AFL_FORKSRV_INIT_TMOUT=10000 \
    RAYON_NUM_THREADS=1
# -t: a run over 2 s is a hang; -m: 2 GiB, so an allocation sized by an untrusted length aborts.
set +e
cargo afl fuzz -i "$here/seeds/$target" -o "$out" -t 2000 -m 2048 -V "$secs" -- "$bin" \
    >"$out/afl.log" 2>&1
rc=$?
set -e
stats="$out/default/fuzzer_stats"
if [ ! -f "$stats" ]; then
    echo "afl-fuzz did not start (exit $rc); last lines of $out/afl.log:" >&2
    tail -n 30 "$out/afl.log" >&2
    exit 1
fi
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs)\b' "$stats"
for kind in crashes hangs; do
    n=$(find "$out/default/$kind" -type f -name 'id:*' 2>/dev/null | wc -l)
    echo "$kind: $n"
    find "$out/default/$kind" -type f -name 'id:*' 2>/dev/null | sort | head -n 20
done
