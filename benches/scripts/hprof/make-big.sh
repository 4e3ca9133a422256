#!/usr/bin/env bash
# Makes a real multi-GB HPROF for the scale bench (issue 3, "Scale"; issue 17):
#   benches/scripts/hprof/make-big.sh [CUSTOMERS] [LEAKED_EVENTS]
# BigHeap.java (JDK 17) fills the heap with millions of small objects (a HashMap of customers with
# Strings, long[]s, ArrayLists of orders with boxed Doubles, small HashMaps) plus a leak (a static
# ConcurrentHashMap of audit events that is never cleared), prints READY and blocks on stdin;
# this script then takes `jcmd PID GC.class_histogram` and `jcmd PID GC.heap_dump -all=false`.
# Defaults (1.6 M customers, 1.6 M events) give a ~2.2 GB dump with ~45 M objects.
# Output: testdata/big/java-<customers>-<events>.hprof (+ .histo.txt); git-ignored, never commit it.
# HEAP=ShapesHeap makes the other shape instead (make-shapes.sh: JDK 25, ShapesHeap.java's
# arguments, testdata/big/shapes-<args>.hprof). HEAP=WideHeap makes a dump twice its heap
# (WideHeap.java: SESSIONS of Object[120], mostly null; default 30.5 M of them: a 15 GB heap, a
# ~31 GB dump, bigger than this 24 GB machine; XMX=18g; testdata/big/wide-<n>.hprof; needs ~31 GB
# of disk, and ~2 GB more for the analysis' spill files). JDK=/path overrides the JDK, XMX the heap limit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
heap="${HEAP:-BigHeap}"
case "$heap" in
  BigHeap)
    jdk=${JDK:-${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}}
    args=("${1:-1600000}" "${2:-1600000}")
    name="java-${args[0]}-${args[1]}" ;;
  ShapesHeap)
    jdk=${JDK:-${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}}
    args=("${1:-12000000}" "${2:-12000000}" "${3:-12000000}" "${4:-6000000}")
    name="shapes-$(IFS=-; echo "${args[*]}")" ;;
  WideHeap)
    jdk=${JDK:-${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}}
    args=("${1:-30500000}")
    name="wide-${args[0]}" ;;
  *) echo "HEAP must be BigHeap, ShapesHeap or WideHeap, not $heap" >&2; exit 2 ;;
esac
big="$root/testdata/big"
out="$big/$name.hprof"
mkdir -p "$big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
release=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$jdk/bin/javac" --release "$release" -d "$build" "$here/$heap.java"
coproc JVM { exec "$jdk/bin/java" -Xmx${XMX:-8g} -cp "$build" "$heap" "${args[@]}"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
"$jdk/bin/jcmd" "$pid" GC.class_histogram > "${out%.hprof}.histo.txt"
"$jdk/bin/jcmd" "$pid" GC.heap_dump -all=false "$out" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
chmod 644 "$out"
objects=$(awk '/^Total/ {print $2}' "${out%.hprof}.histo.txt")
echo "$out: $(stat -c %s "$out") bytes, $objects objects (jcmd histogram)"
