#!/usr/bin/env bash
# Regenerates testdata/java/collections/ (see README.md): one heap dump of src/com/acme/coll/Collections.java.
# Rerunnable: every output is overwritten. Needs JDK 17 (javac, java, jcmd); about 5 s.
#
# The program fills its collections, writes their size() to collections.sizes.txt, calls System.gc(), prints
# "READY" and blocks reading stdin. This script then takes `jcmd PID GC.class_histogram` (collections.histo.txt)
# immediately followed by `jcmd PID GC.heap_dump -all=false` (live objects; stored as gzip -9n) and answers "quit".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

"$JDK17/bin/javac" --release 17 -d "$BUILD" $(find "$HERE/src" -name '*.java' | sort)
echo "Collections on $("$JDK17/bin/java" -version 2>&1 | head -1)"
name=collections
rm -f "$HERE/$name.hprof" "$HERE/$name.hprof.gz" "$HERE/$name.histo.txt" "$HERE/$name.sizes.txt"
coproc JVM { exec "$JDK17/bin/java" -Xmx64m -Xshare:off -cp "$BUILD" com.acme.coll.Collections "$HERE/$name.sizes.txt"; }
pid=$JVM_PID
read -r line <&"${JVM[0]}"
[[ $line == READY* ]] || { echo "unexpected output: $line" >&2; exit 1; }
"$JDK17/bin/jcmd" "$pid" GC.class_histogram > "$HERE/$name.histo.txt"
"$JDK17/bin/jcmd" "$pid" GC.heap_dump -all=false "$HERE/$name.hprof" > /dev/null
echo quit >&"${JVM[1]}"
wait "$pid" || true
chmod 644 "$HERE/$name.hprof" "$HERE/$name.sizes.txt"
gzip -9nf "$HERE/$name.hprof"
echo "  $name: $(stat -c %s "$HERE/$name.hprof.gz") bytes"
cat "$HERE/$name.sizes.txt"
