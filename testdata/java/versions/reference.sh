#!/usr/bin/env bash
# VisualVM's answers for every dump in this folder and in public/, with the project's own recorder
# (../reference/src/VisualVmReference.java, the same program and fields as ../reference/*.json), written to
# reference/<name>.json. Rerunnable. Needs JDK 17 and the Debian `visualvm` package (jar path: VISUALVM_HEAP_JAR).
# A dump VisualVM cannot read gets reference/<name>.error.txt instead.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
JAR=${VISUALVM_HEAP_JAR:-/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$HERE/reference"

# One change to the project's recorder, in a scratch copy: a thread name that is not a java.lang.String (JDK 5/6
# keep Thread.name as a char[]) is written as the string "null" instead of crashing the recorder.
mkdir -p "$WORK/src"
sed 's/str(stringValue(r.getInstance().getValueOfField("name")))/str(String.valueOf(stringValue(r.getInstance().getValueOfField("name"))))/' \
    "$HERE/../reference/src/VisualVmReference.java" > "$WORK/src/VisualVmReference.java"
grep -q 'String.valueOf(stringValue(r.getInstance' "$WORK/src/VisualVmReference.java"
"$JDK17/bin/javac" --release 17 -cp "$JAR" -d "$WORK/classes" "$WORK/src/VisualVmReference.java"
for f in ${ONLY:-"$HERE"/*.hprof.gz "$HERE"/public/*.hprof.gz}; do
    base=$(basename "$f")
    name=${base%.hprof.gz}
    rm -f "$HERE/reference/$name.json" "$HERE/reference/$name.error.txt"
    gunzip -c "$f" > "$WORK/$name.hprof"   # VisualVM reads only uncompressed files
    echo "reference: $base"
    if ! "$JDK17/bin/java" -Xmx2g -cp "$JAR:$WORK/classes" VisualVmReference "$WORK/$name.hprof" "$base" \
            "$HERE/reference/$name.json" > "$WORK/$name.log" 2>&1; then
        tail -30 "$WORK/$name.log" > "$HERE/reference/$name.error.txt"
        echo "  failed: reference/$name.error.txt"
    fi
    rm -rf "$WORK/$name.hprof" "$WORK/$name.hprof.hwcache"
done
