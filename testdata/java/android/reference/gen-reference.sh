#!/usr/bin/env bash
# Recomputes the reference answers for the Android (ART) dumps in ..: for every ../*.hprof.gz
#   <name>.visualvm.json  VisualVM's heap library, through the project's own recorder
#                         (../../reference/src/VisualVmReference.java, the same fields as ../../reference/*.json)
#   <name>.records.json   a plain record-by-record reading of the file (hprof_records.py, Python stdlib only)
# Rerunnable. Needs JDK 17, python3 and the Debian `visualvm` package (jar path: VISUALVM_HEAP_JAR).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../../scripts/lib/visualvm.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

visualvm_compile "$HERE/../../reference/src/VisualVmReference.java" "$WORK/classes"
for f in "$HERE"/../*.hprof.gz; do
    base=$(basename "$f")
    name=${base%.hprof.gz}
    input=$(visualvm_plain "$f" "$WORK")
    echo "reference: $base"
    visualvm_record "$WORK/classes" "$input" "$base" "$HERE/$name.visualvm.json"
    python3 "$HERE/hprof_records.py" "$input" > "$HERE/$name.records.json"
    rm -f "$input"
done
