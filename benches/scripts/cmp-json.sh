#!/usr/bin/env bash
# Byte-identical JSON before/after a change (issue 17's rule): runs `analyze -q --format json` with
# two heapscope binaries on every dump file git tracks under testdata/ and compares the output and
# exit code of each; prints "N files, M differ" and exits 1 when any differs.
#   benches/scripts/cmp-json.sh OLD_BINARY NEW_BINARY
# Big inputs (testdata/big/, git-ignored) are compared by hand: `cmp` of the two JSON files.
set -uo pipefail
old=${1:?OLD_BINARY}; new=${2:?NEW_BINARY}
cd "$(dirname "$0")/../.."
n=0; d=0
while read -r f; do
  case "$f" in
    *.md|*.sh|*.py|*.js|*.java|*.go|*.toml|*.gitignore|*.txt|*.tsv|*/VERSIONS|*/GO_VERSION|*.top|*.symtab|*.out|*.failed) continue ;;
  esac
  a=$("$old" analyze -q --format json "$f" 2>/dev/null; echo "rc=$?")
  b=$("$new" analyze -q --format json "$f" 2>/dev/null; echo "rc=$?")
  n=$((n + 1))
  if [ "$a" != "$b" ]; then d=$((d + 1)); echo "DIFF $f"; fi
done < <(git ls-files testdata)
echo "$n files, $d differ"
[ "$d" = 0 ]
