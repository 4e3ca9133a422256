#!/usr/bin/env bash
# Regenerate the Python heap snapshot fixtures and their reference answers (see README.md).
# Runs every scenario under each CPython in ~/.pyenv/versions (3.8 to 3.13), taking the dump
# through heapscope_snapshot.py exactly as `heapscope python-helper` prints it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
helper="$(mktemp -d)"
trap 'rm -rf "$helper"' EXIT
bin="${HEAPSCOPE:-$root/target/debug/heapscope}"
[ -x "$bin" ] || (cd "$root" && cargo build -q -p heapscope)
"$bin" python-helper > "$helper/heapscope_snapshot.py"
rm -rf "$here/snapshots" "$here/reference"
mkdir -p "$here/snapshots" "$here/reference"
for v in 3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0; do
  py="$HOME/.pyenv/versions/$v/bin/python"
  tag="py$(echo "$v" | cut -d. -f1,2 | tr -d .)"
  for s in cache memo cycles native healthy; do
    second=()
    if [ "$s" = cache ]; then second=("$here/snapshots/$s-$tag-2.pysnap"); fi
    (cd "$here/programs" && PYTHONHASHSEED=0 HEAPSCOPE_HELPER_DIR="$helper" "$py" -S run.py "$s" \
      "$here/snapshots/$s-$tag.pysnap" "$here/reference/$s-$tag.json" "${second[@]}")
  done
done
gzip -9 -n "$here"/snapshots/*.pysnap
