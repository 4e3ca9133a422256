#!/usr/bin/env bash
# Recomputes testdata/java/reference/<fixture>.json with VisualVM's heap library for every dump in ../dumps.
# Rerunnable. Needs JDK 17 and the Debian `visualvm` package (the jar path can be overridden with VISUALVM_HEAP_JAR).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
JAR=${VISUALVM_HEAP_JAR:-/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$JDK17/bin/javac" --release 17 -cp "$JAR" -d "$WORK/classes" "$HERE/src/VisualVmReference.java"
for f in "$HERE"/../dumps/*.hprof "$HERE"/../dumps/*.hprof.gz; do
    [[ -e $f ]] || continue
    base=$(basename "$f")
    name=${base%.gz}
    name=${name%.hprof}
    if [[ $f == *.gz ]]; then
        gunzip -c "$f" > "$WORK/$name.hprof"   # VisualVM reads only uncompressed files
        input=$WORK/$name.hprof
    else
        input=$f
    fi
    echo "reference: $base"
    "$JDK17/bin/java" -Xmx2g -cp "$JAR:$WORK/classes" VisualVmReference "$input" "$base" "$HERE/$name.json"
    rm -rf "$WORK/$name.hprof" "$input.hwcache" # VisualVM leaves a cache directory beside the dump
done
