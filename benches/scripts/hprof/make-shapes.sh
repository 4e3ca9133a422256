#!/usr/bin/env bash
# Makes a second real multi-GB HPROF, of another shape and JDK than make-big.sh's, for the bench:
#   benches/scripts/hprof/make-shapes.sh [CHAIN] [TREE] [SMALL] [SHARED]
# ShapesHeap.java holds a LinkedList of CHAIN boxed Longs (a chain as deep as the list), a binary
# tree of TREE nodes with parent pointers, SMALL reference-free tiny records and SHARED records
# each held from two of 64 hub arrays; it prints READY and blocks on stdin, and this script takes
# `jcmd PID GC.class_histogram` and `jcmd PID GC.heap_dump -all=false` with JDK 25 (JDK25=...).
# Defaults give a ~1.9 GB dump with ~60 M objects of ~32 B each in the file (BigHeap's are ~49 B).
# Output: testdata/big/shapes-<chain>-<tree>-<small>-<shared>.hprof (+ .histo.txt); git-ignored.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
chain="${1:-12000000}"
tree="${2:-12000000}"
small="${3:-12000000}"
shared="${4:-6000000}"
big="$root/testdata/big"
out="$big/shapes-$chain-$tree-$small-$shared.hprof"
mkdir -p "$big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$JDK25/bin/javac" --release 25 -d "$build" "$here/ShapesHeap.java"
coproc JVM { exec "$JDK25/bin/java" -Xmx${XMX:-8g} -cp "$build" ShapesHeap "$chain" "$tree" "$small" "$shared"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
"$JDK25/bin/jcmd" "$pid" GC.class_histogram > "${out%.hprof}.histo.txt"
"$JDK25/bin/jcmd" "$pid" GC.heap_dump -all=false "$out" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
chmod 644 "$out"
objects=$(awk '/^Total/ {print $2}' "${out%.hprof}.histo.txt")
echo "$out: $(stat -c %s "$out") bytes, $objects objects (jcmd histogram)"
