#!/usr/bin/env bash
# Recomputes testdata/java/reference/<fixture>.json with VisualVM's heap library for every dump in ../dumps.
# Rerunnable. Needs JDK 17 and the Debian `visualvm` package (the jar path can be overridden with VISUALVM_HEAP_JAR).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../scripts/lib/visualvm.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

visualvm_compile "$HERE/src/VisualVmReference.java" "$WORK/classes"
for f in "$HERE"/../dumps/*.hprof "$HERE"/../dumps/*.hprof.gz; do
    [[ -e $f ]] || continue
    base=$(basename "$f")
    name=${base%.gz}
    name=${name%.hprof}
    input=$(visualvm_plain "$f" "$WORK")
    echo "reference: $base"
    visualvm_record "$WORK/classes" "$input" "$base" "$HERE/$name.json"
    rm -f "$WORK/$name.hprof"
done
