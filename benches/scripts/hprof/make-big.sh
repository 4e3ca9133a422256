#!/usr/bin/env bash
# Makes a real multi-GB HPROF with JDK 17 for the scale bench (issue 3, "Scale"):
#   benches/scripts/hprof/make-big.sh [CUSTOMERS] [LEAKED_EVENTS]
# BigHeap.java fills the heap with millions of small objects (a HashMap of customers with
# Strings, long[]s, ArrayLists of orders with boxed Doubles, small HashMaps) plus a leak (a static
# ConcurrentHashMap of audit events that is never cleared), prints READY and blocks on stdin;
# this script then takes `jcmd PID GC.class_histogram` and `jcmd PID GC.heap_dump -all=false`.
# Defaults (1.6 M customers, 1.6 M events) give a ~2.2 GB dump with ~45 M objects.
# Output: testdata/big/java-<customers>-<events>.hprof (+ .histo.txt); git-ignored, never commit it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
customers="${1:-1600000}"
events="${2:-1600000}"
big="$root/testdata/big"
out="$big/java-$customers-$events.hprof"
mkdir -p "$big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$JDK17/bin/javac" --release 17 -d "$build" "$here/BigHeap.java"
coproc JVM { exec "$JDK17/bin/java" -Xmx${XMX:-8g} -cp "$build" BigHeap "$customers" "$events"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
"$JDK17/bin/jcmd" "$pid" GC.class_histogram > "${out%.hprof}.histo.txt"
"$JDK17/bin/jcmd" "$pid" GC.heap_dump -all=false "$out" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
chmod 644 "$out"
objects=$(awk '/^Total/ {print $2}' "${out%.hprof}.histo.txt")
echo "$out: $(stat -c %s "$out") bytes, $objects objects (jcmd histogram)"
