#!/usr/bin/env bash
# The javac heap of make-real-javac.sh (RealJavac.java), dumped from outside by jcmd as an
# operator does: `jcmd PID GC.heap_dump [-gz=LEVEL] FILE` (live objects: a full GC first).
#   benches/scripts/hprof/make-real-javac-jcmd.sh [CLASSES]
# JAVA (default: the `java` on PATH) picks the JDK; its own jcmd (beside it, else on PATH) takes
# the dump. XMX (default 8g) the heap reservation. GZ (default 1) the -gz level: the JVM writes
# gzip itself (JDK 15+); GZ=0 for a plain dump.
# Outputs (git-ignored, never committed):
#   testdata/big/real-javac-jdk<MAJOR>-<CLASSES>[-xmx<XMX>]-jcmd.hprof[.gz]
# With GZ, UNZIP=1 also writes the same dump inflated (gunzip), without the .gz suffix.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
classes="${1:-1500}"
java="${JAVA:-java}"
jcmd="$(dirname "$(command -v "$java")")/jcmd"
[[ -x "$jcmd" ]] || jcmd=jcmd
major=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
xmx="${XMX:-8g}"
gz="${GZ:-1}"
suffix=""
[[ "$xmx" == 8g ]] || suffix="-xmx$xmx"
out="$root/testdata/big/real-javac-jdk$major-$classes$suffix-jcmd.hprof"
[[ "$gz" == 0 ]] || out="$out.gz"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
work=$(mktemp -d)
java_pid=""
cleanup() {
  [[ -z "$java_pid" ]] || kill "$java_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkfifo "$work/in" "$work/out"
"$java" "-Xmx$xmx" "$here/RealJavac.java" "$work/src" - "$classes" <"$work/in" >"$work/out" &
java_pid=$!
exec 3>"$work/in"            # keeps the JVM's stdin open until the dump is taken
read -r ready pid <"$work/out"
[[ "$ready" == ready ]] || { echo "unexpected: $ready $pid" >&2; exit 1; }
rm -f "$out.tmp"
args=()
[[ "$gz" == 0 ]] || args=("-gz=$gz")
/usr/bin/time -f "jcmd GC.heap_dump: %e s wall" "$jcmd" "$pid" GC.heap_dump "${args[@]}" "$out.tmp"
echo >&3
exec 3>&-
wait "$java_pid"
java_pid=""
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes ($("$java" -version 2>&1 | head -1))"
if [[ "$gz" != 0 && "${UNZIP:-0}" == 1 ]]; then
  gunzip -c "$out" >"${out%.gz}.tmp"
  mv "${out%.gz}.tmp" "${out%.gz}"
  echo "${out%.gz}: $(stat -c %s "${out%.gz}") bytes"
fi
