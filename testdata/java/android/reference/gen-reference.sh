#!/usr/bin/env bash
# Recomputes the reference answers for the Android (ART) dumps in ..: for every ../*.hprof.gz
#   <name>.visualvm.json  VisualVM's heap library, through the project's own recorder
#                         (../../reference/src/VisualVmReference.java, the same fields as ../../reference/*.json)
#   <name>.records.json   a plain record-by-record reading of the file (hprof_records.py, Python stdlib only)
# Rerunnable. Needs JDK 17, python3 and the Debian `visualvm` package (jar path: VISUALVM_HEAP_JAR).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
JAR=${VISUALVM_HEAP_JAR:-/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$JDK17/bin/javac" --release 17 -cp "$JAR" -d "$WORK/classes" "$HERE/../../reference/src/VisualVmReference.java"
for f in "$HERE"/../*.hprof.gz; do
    base=$(basename "$f")
    name=${base%.hprof.gz}
    gunzip -c "$f" > "$WORK/$name.hprof" # VisualVM reads only uncompressed files
    echo "reference: $base"
    "$JDK17/bin/java" -Xmx2g -cp "$JAR:$WORK/classes" VisualVmReference "$WORK/$name.hprof" "$base" "$HERE/$name.visualvm.json"
    python3 "$HERE/hprof_records.py" "$WORK/$name.hprof" > "$HERE/$name.records.json"
    rm -rf "$WORK/$name.hprof" "$WORK/$name.hprof.hwcache" # VisualVM leaves a cache directory beside the dump
done
