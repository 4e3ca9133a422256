#!/usr/bin/env bash
# A big HPROF dump from a real, unmodified program (issue 17 breadth): javac (jdk.compiler) holding
# a generated source tree's trees, symbols and types after attribution, dumped as
# `jcmd PID GC.heap_dump` would (live objects):
#   benches/scripts/hprof/make-real-javac.sh [CLASSES]
# RealJavac.java (see its header) runs as a single-file program on the `java` on PATH ($JAVA to
# override; the system JDK 17 by default) with -Xmx$XMX (default 8g; another value is added to
# the file name); sources go to a scratch dir, deleted after.
# Default 1500 classes: ~0.75 GB in about 5 minutes on a quiet 2-core host (peak ~3 GB in the JVM).
# Output: testdata/big/real-javac-jdk<MAJOR>-<CLASSES>.hprof (git-ignored, never committed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
classes="${1:-1500}"
java="${JAVA:-java}"
major=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
xmx="${XMX:-8g}"
suffix=""
[[ "$xmx" == 8g ]] || suffix="-xmx$xmx"
out="$root/testdata/big/real-javac-jdk$major-$classes$suffix.hprof"
mkdir -p "$root/testdata/big"
if [[ -s "$out" ]]; then
  echo "$out exists"
  exit 0
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
rm -f "$out.tmp.hprof"
"$java" "-Xmx$xmx" "$here/RealJavac.java" "$src" "$out.tmp.hprof" "$classes"
mv "$out.tmp.hprof" "$out"
chmod 644 "$out"
echo "$out: $(stat -c %s "$out") bytes ($("$java" -version 2>&1 | head -1))"
