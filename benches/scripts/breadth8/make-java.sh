#!/usr/bin/env bash
# Makes one HPROF of a shape the benches do not cover (Cliffs.java; breadth8/RESULTS.md):
#   benches/scripts/breadth8/make-java.sh OUT.hprof MODE N [M]
# MODE chain|array|map|bytes|threads|classes (see Cliffs.java). JDK=/path picks the JDK
# (default 17), XMX the heap limit (default 8g), JOPTS extra JVM flags (-XX:-UseCompressedOops),
# DUMP="-all=false" (default) or "-gz=1" etc. the jcmd GC.heap_dump options.
# Also writes OUT.histo.txt (jcmd GC.class_histogram). Big outputs: keep them out of the repo.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=$1; shift
jdk=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$jdk/bin/javac" --release 11 -d "$build" "$here/Cliffs.java"
# shellcheck disable=SC2086
coproc JVM { exec nice -n 19 "$jdk/bin/java" -Xmx${XMX:-8g} ${JOPTS:-} -cp "$build" Cliffs "$@"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
"$jdk/bin/jcmd" "$pid" GC.class_histogram > "${out%.hprof*}.histo.txt"
# shellcheck disable=SC2086
"$jdk/bin/jcmd" "$pid" GC.heap_dump ${DUMP:--all=false} "$out" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
objects=$(awk '/^Total/ {print $2}' "${out%.hprof*}.histo.txt")
echo "$out: $(stat -c %s "$out") bytes, $objects objects (jcmd histogram)"
