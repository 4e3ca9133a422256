#!/usr/bin/env bash
# Regenerates testdata/java/growing/ (see README.md): heap dumps a JVM wrote on OutOfMemoryError
# while a collection was growing, and the same program's ordinary dumps. Needs JDK 17 (javac,
# java). Rerunnable; about 20 s. The OOM dumps are kept only when the allocation failed in the
# collection's growth (HashMap.resize, Arrays.copyOf under ArrayList.grow): the script tries
# heap limits from the list below until one does (the first that did on 2026-12-05 is tried first).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

"$JDK17/bin/javac" --release 17 -d "$BUILD" $(find "$HERE/src" -name '*.java' | sort)
echo "Grow on $("$JDK17/bin/java" -version 2>&1 | head -1)"

# oom NAME MODE WHERE XMX...: the first heap limit whose OOM is thrown in WHERE.
oom() {
    local name=$1 mode=$2 where=$3; shift 3
    for xmx in "$@"; do
        rm -rf "$BUILD/run"; mkdir "$BUILD/run"
        (cd "$BUILD/run" && "$JDK17/bin/java" -Xmx"$xmx" -XX:+HeapDumpOnOutOfMemoryError \
            -XX:HeapDumpPath="$BUILD/run/dump.hprof" -cp "$BUILD" com.acme.growing.Grow "$mode" > "$BUILD/run/out.txt") || true
        out=$(grep '^OutOfMemoryError at' "$BUILD/run/out.txt" || true)
        echo "  $name -Xmx$xmx: $out"
        if [[ $out == *"$where"* ]]; then
            chmod 644 "$BUILD/run/dump.hprof"
            gzip -9nc "$BUILD/run/dump.hprof" > "$HERE/$name.hprof.gz"
            cp "$BUILD/run/out.txt" "$HERE/$name.oom.txt"
            echo "  $name: $(stat -c %s "$HERE/$name.hprof.gz") bytes"
            return 0
        fi
    done
    echo "no heap limit made $name fail in $where" >&2
    return 1
}

oom oom_map map HashMap.resize 13m 12800k 13312k 13824k 14m
oom oom_list list Arrays.copyOf 10m 9m 13m 14m 9728k 10752k

# The same programs' ordinary dumps, between two calls (live objects).
ordinary() {
    local name=$1 mode=$2 n=$3
    rm -f "$BUILD/dump.hprof"
    "$JDK17/bin/java" -Xmx64m -cp "$BUILD" com.acme.growing.Grow "$mode" "$n" "$BUILD/dump.hprof"
    chmod 644 "$BUILD/dump.hprof"
    gzip -9nc "$BUILD/dump.hprof" > "$HERE/$name.hprof.gz"
    echo "  $name: $(stat -c %s "$HERE/$name.hprof.gz") bytes"
}
ordinary ordinary_map map 50000
ordinary ordinary_list list 100000
