#!/usr/bin/env bash
# Re-extracts the public dumps in this folder from a local git clone of square/haha (pass its git dir, or set
# HAHA_GIT) at commit 6f32c066797872f4ff502a440c677a958b861f5c, checks them against SHA256SUMS.uncompressed and
# stores each .hprof as gzip -9n. Rerunnable, non-interactive; the files themselves cannot be regenerated (JDK 5/6).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
GIT=${1:-${HAHA_GIT:?usage: extract.sh HAHA_GIT_DIR}}
C=6f32c066797872f4ff502a440c677a958b861f5c
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
for f in sun_jdk5_13_x32.hprof sun_jdk5_64bit.hprof sun_jdk6_18_x32.hprof sun_jdk6_18_x64.hprof \
         histogram_sun_jdk5_13_x32.txt histogram_sun_jdk6_18_x32.txt histogram_sun_jdk6_18_x64.txt; do
    git --git-dir="$GIT" show "$C:src/test/resources/$f" > "$W/$f"
done
(cd "$W" && sha256sum -c "$HERE/SHA256SUMS.uncompressed")
for f in "$W"/*.hprof; do gzip -9n < "$f" > "$HERE/$(basename "$f").gz"; done
cp "$W"/histogram_*.txt "$HERE/"
