#!/usr/bin/env bash
# Regenerates testdata/python/healthy_series/: three tracemalloc snapshots of ONE healthy CPython
# process (src/healthy_series.py, see README.md), once per interpreter. Rerunnable; about 5 s.
#   gen.sh                        # 3.8, 3.11 and 3.13 (the versions committed)
#   VERSIONS="3.12.1" gen.sh      # others
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PYENV_ROOT="${PYENV_ROOT:-/root/.pyenv}"
VERSIONS="${VERSIONS:-3.8.18 3.11.7 3.13.0}"
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
for version in $VERSIONS; do
    py="$PYENV_ROOT/versions/$version/bin/python"
    if [[ ! -x "$py" ]]; then
        echo "skip: $py not found" >&2
        continue
    fi
    tag="py$(echo "$version" | cut -d. -f1,2 | tr -d .)"
    echo "$tag: $(cd "$here/src" && "$py" healthy_series.py "../healthy_series-$tag" 25)"
done
ls -l "$here"/*.tracemalloc
