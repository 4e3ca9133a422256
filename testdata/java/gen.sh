#!/usr/bin/env bash
# Regenerates the Java HPROF fixtures in testdata/java/dumps/ (see README.md for what each one holds).
# Rerunnable: every output is overwritten. Needs JDK 17 (javac, java, jcmd); Temurin 25 is used when present.
#
# Each scenario program (src/com/acme/scenario/*.java) builds its state, prints "READY <tag>" and blocks reading
# stdin. This script then takes `jcmd PID GC.class_histogram` immediately followed by
# `jcmd PID GC.heap_dump -all=false` (live objects only), and answers "quit" (or "step" for the growth series).
#
# With THREADS=1 (the thread-held fixtures) `jcmd PID Thread.print` is taken first, into NAME.threads.txt: the JVM's own
# view of every thread's frames. `ONLY="Main1 Main2"` regenerates only those scenarios' fixtures.
#
# Plain dumps are stored as `gzip -9n` (.hprof.gz) to keep the repository small; `caches` is dumped with the JDK's
# own `-gz=1` (multi-member chunked gzip); `healthy` stays an uncompressed .hprof so the plain mmap path is covered.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
OUT=$HERE/dumps
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$OUT"

"$JDK17/bin/javac" --release 17 -d "$BUILD" $(find "$HERE/src" -name '*.java' | sort)

# capture JDK PID NAME [gz]: histogram, then dump, into $OUT.
capture() {
    local jdk=$1 pid=$2 name=$3 gz=${4:-}
    rm -f "$OUT/$name.hprof" "$OUT/$name.hprof.gz" "$OUT/$name.histo.txt"
    if [[ ${THREADS:-} == 1 ]]; then
        "$jdk/bin/jcmd" "$pid" Thread.print | sed -e 's/ tid=0x[0-9a-f]*//' -e 's/ nid=0x[0-9a-f]*//' \
            -e 's/- parking to wait for  <0x[0-9a-f]*>/- parking to wait for  <…>/' > "$OUT/$name.threads.txt"
    fi
    "$jdk/bin/jcmd" "$pid" GC.class_histogram > "$OUT/$name.histo.txt"
    if [[ $gz == jdkgz ]]; then
        "$jdk/bin/jcmd" "$pid" GC.heap_dump -all=false -gz=1 "$OUT/$name.hprof.gz" > /dev/null
        chmod 644 "$OUT/$name.hprof.gz"
    else
        "$jdk/bin/jcmd" "$pid" GC.heap_dump -all=false "$OUT/$name.hprof" > /dev/null
        chmod 644 "$OUT/$name.hprof"
        if [[ $gz == gzip ]]; then
            gzip -9nf "$OUT/$name.hprof"
        fi
    fi
    echo "  $name: $(ls -l "$OUT/$name".hprof* | awk '{print $5}') bytes"
}

# run JDK MAIN "name[:gz] name2[:gz] ..." [jvm flags...]: one process, one dump per name.
run() {
    local jdk=$1 main=$2 names=$3
    shift 3
    if [[ -n ${ONLY:-} && " $ONLY " != *" $main "* ]]; then return; fi
    echo "$main on $("$jdk/bin/java" -version 2>&1 | head -1)"
    coproc JVM { exec "$jdk/bin/java" -Xmx64m "$@" -cp "$BUILD" "com.acme.scenario.$main"; }
    local pid=$JVM_PID line spec
    local -a list=($names)
    local i
    for ((i = 0; i < ${#list[@]}; i++)); do
        spec=${list[$i]}
        read -r line <&"${JVM[0]}"
        [[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
        capture "$jdk" "$pid" "${spec%%:*}" "$([[ $spec == *:* ]] && echo "${spec#*:}")"
        if ((i + 1 < ${#list[@]})); then echo step >&"${JVM[1]}"; else echo quit >&"${JVM[1]}"; fi
    done
    wait "$pid" || true
}

run "$JDK17" StaticMap "static_map:gzip"
run "$JDK17" StaticMap "static_map_nocoops:gzip" -XX:-UseCompressedOops
run "$JDK17" ThreadLocals "thread_locals:gzip"
run "$JDK17" Listeners "listeners:gzip"
run "$JDK17" Caches "caches:jdkgz"
run "$JDK17" FinalizerBacklog "finalizer_backlog:gzip"
run "$JDK17" Healthy "healthy"
run "$JDK17" Growth "growth_1:gzip growth_2:gzip growth_3:gzip"
# The thread-held fixtures go to threads/ (not dumps/, whose every dump has a VisualVM reference and a histogram).
mkdir -p "$HERE/threads"
OUT=$HERE/threads THREADS=1 run "$JDK17" LocalHolder "local_holder:gzip" -Xshare:off
# oom MAIN NAME [jvm flags...]: the JVM's own dump on OutOfMemoryError (-XX:+HeapDumpOnOutOfMemoryError); the
# exception's stack trace (the JVM's view of the failing thread) goes to NAME.oom.txt.
oom() {
    local main=$1 name=$2
    shift 2
    if [[ -n ${ONLY:-} && " $ONLY " != *" $main "* ]]; then return; fi
    echo "$main on $("$JDK17/bin/java" -version 2>&1 | head -1)"
    rm -f "$OUT/$name.hprof" "$OUT/$name.hprof.gz"
    "$JDK17/bin/java" "$@" -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$OUT/$name.hprof" -cp "$BUILD" \
        "com.acme.scenario.$main" > /dev/null 2> "$OUT/$name.oom.txt" || true
    chmod 644 "$OUT/$name.hprof"
    gzip -9nf "$OUT/$name.hprof"
    echo "  $name: $(ls -l "$OUT/$name".hprof* | awk '{print $5}') bytes"
}
OUT=$HERE/threads oom OomReadAll "oom_read_all" -Xmx12m -Xshare:off
if [[ -x $JDK25/bin/java ]]; then
    run "$JDK25" StaticMap "static_map_jdk25:gzip"
    run "$JDK25" FinalizerBacklog "finalizer_backlog_jdk25:gzip"
else
    echo "Temurin 25 not found at $JDK25; skipping the *_jdk25 fixtures (the committed ones stay)" >&2
fi
du -ch "$OUT"/*.hprof* | tail -1
