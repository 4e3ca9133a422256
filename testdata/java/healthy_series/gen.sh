#!/usr/bin/env bash
# Regenerates testdata/java/healthy_series/: three heap dumps of ONE healthy JVM (see README.md).
# Rerunnable: every output is overwritten. Needs JDK 17 (javac, java, jcmd); about 10 s.
#
# src/com/acme/healthy/HealthyService.java warms its bounded cache up, then serves a batch of requests,
# calls System.gc(), prints "READY step=N ..." and blocks reading stdin. This script then takes
# `jcmd PID GC.class_histogram` (healthy_series_N.histo.txt) immediately followed by
# `jcmd PID GC.heap_dump -all=false` (live objects; stored as gzip -9n), and answers "step" (or "quit").
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

"$JDK17/bin/javac" --release 17 -d "$BUILD" $(find "$HERE/src" -name '*.java' | sort)
echo "HealthyService on $("$JDK17/bin/java" -version 2>&1 | head -1)"

coproc JVM { exec "$JDK17/bin/java" -Xmx64m -cp "$BUILD" com.acme.healthy.HealthyService; }
pid=$JVM_PID
for step in 1 2 3; do
    read -r line <&"${JVM[0]}"
    [[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
    echo "  $line"
    name=healthy_series_$step
    rm -f "$HERE/$name.hprof" "$HERE/$name.hprof.gz" "$HERE/$name.histo.txt"
    "$JDK17/bin/jcmd" "$pid" GC.class_histogram > "$HERE/$name.histo.txt"
    "$JDK17/bin/jcmd" "$pid" GC.heap_dump -all=false "$HERE/$name.hprof" > /dev/null
    chmod 644 "$HERE/$name.hprof"
    gzip -9nf "$HERE/$name.hprof"
    echo "  $name: $(stat -c %s "$HERE/$name.hprof.gz") bytes"
    if ((step < 3)); then
        sleep 1 # the dumps are apart in time, as a user's would be (the HPROF header records it)
        echo step >&"${JVM[1]}"
    else
        echo quit >&"${JVM[1]}"
    fi
done
wait "$pid" || true
