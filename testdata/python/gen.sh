#!/usr/bin/env bash
# Regenerates the tracemalloc fixtures in snapshots/ and the reference answers in reference/.
# Rerunnable; needs the pyenv interpreters listed below (missing ones are skipped with a note).
#   testdata/python/gen.sh            # all versions found
#   VERSIONS="3.11.7" gen.sh          # just one
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
PYENV_ROOT="${PYENV_ROOT:-/root/.pyenv}"
VERSIONS="${VERSIONS:-3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0}"
# Fixed hash seed: dict and set layouts (and so block sizes) repeat from run to run.
export PYTHONHASHSEED=0
export PYTHONDONTWRITEBYTECODE=1
mkdir -p snapshots reference

for version in $VERSIONS; do
    py="$PYENV_ROOT/versions/$version/bin/python"
    if [[ ! -x "$py" ]]; then
        echo "skip: $py not found" >&2
        continue
    fi
    tag="py$(echo "$version" | cut -d. -f1,2 | tr -d .)"
    # Relative script paths keep the file names inside the snapshots short; the interpreter
    # may still record them as absolute (3.9+ makes __main__'s path absolute).
    for scenario in global_dict memo_cache large_objects healthy; do
        (cd src && "$py" "$scenario.py" "../snapshots/$scenario-$tag" 25)
    done
    # A small traceback limit: most tracebacks are truncated (total_nframe > 5).
    (cd src && "$py" memo_cache.py "../snapshots/memo_cache_limit5-$tag" 5)
    # tracemalloc.start()'s default of one frame (made for 3.8 and 3.12 only).
    if [[ "$tag" == py38 || "$tag" == py312 ]]; then
        (cd src && "$py" memo_cache.py "../snapshots/memo_cache_limit1-$tag" 1)
    fi
    (cd src && "$py" series.py "../snapshots/series-$tag" 25)
    # CPython's own answers for these files, computed by the same interpreter that wrote them.
    "$py" reference/record.py --tag "$tag" snapshots/*-"$tag"*.tracemalloc
done
ls -l snapshots reference
