#!/usr/bin/env bash
# VisualVM's answers for every dump in this folder and in public/, with the project's own recorder
# (../reference/src/VisualVmReference.java, the same program and fields as ../reference/*.json), written to
# reference/<name>.json. Rerunnable. Needs JDK 17 and the Debian `visualvm` package (jar path: VISUALVM_HEAP_JAR).
# A dump VisualVM cannot read gets reference/<name>.error.txt instead.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../scripts/lib/visualvm.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$HERE/reference"

# One change to the project's recorder, in a scratch copy: a thread name that is not a java.lang.String (JDK 5/6
# keep Thread.name as a char[]) is written as the string "null" instead of crashing the recorder.
mkdir -p "$WORK/src"
sed 's/str(stringValue(r.getInstance().getValueOfField("name")))/str(String.valueOf(stringValue(r.getInstance().getValueOfField("name"))))/' \
    "$HERE/../reference/src/VisualVmReference.java" > "$WORK/src/VisualVmReference.java"
grep -q 'String.valueOf(stringValue(r.getInstance' "$WORK/src/VisualVmReference.java"
visualvm_compile "$WORK/src/VisualVmReference.java" "$WORK/classes"
for f in ${ONLY:-"$HERE"/*.hprof.gz "$HERE"/public/*.hprof.gz}; do
    base=$(basename "$f")
    name=${base%.hprof.gz}
    rm -f "$HERE/reference/$name.json" "$HERE/reference/$name.error.txt"
    input=$(visualvm_plain "$f" "$WORK")
    echo "reference: $base"
    if ! visualvm_record "$WORK/classes" "$input" "$base" "$HERE/reference/$name.json" > "$WORK/$name.log" 2>&1; then
        tail -30 "$WORK/$name.log" > "$HERE/reference/$name.error.txt"
        echo "  failed: reference/$name.error.txt"
    fi
    rm -f "$input"
done
