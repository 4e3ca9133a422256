#!/usr/bin/env bash
# Why JDK dumps have "references point to ids that are not in the dump": dump an idle JDK 17 program
# with class data sharing on (the default) and off, and print heapscope's warnings for each.
# Expected: ~900 such references with -Xshare:auto, none with -Xshare:off (testdata/java/README.md).
#   testdata/java/cds-check.sh        (builds heapscope in release mode first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
JDK17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && cargo build --release -q -p heapscope)
hs="${CARGO_TARGET_DIR:-$root/target}/release/heapscope"
cat >"$work/Idle.java" <<'JAVA'
public class Idle { public static void main(String[] a) throws Exception { System.out.println("READY"); System.in.read(); } }
JAVA
"$JDK17/bin/javac" -d "$work" "$work/Idle.java"
for share in auto off; do
  coproc JVM { exec "$JDK17/bin/java" -Xshare:$share -cp "$work" Idle; }
  pid=$JVM_PID
  read -r _ <&"${JVM[0]}"
  "$JDK17/bin/jcmd" "$pid" GC.heap_dump -all=false "$work/$share.hprof" >/dev/null
  echo q >&"${JVM[1]}"
  wait "$pid" || true
  warnings=$("$hs" analyze -q "$work/$share.hprof" --format json -o /dev/null 2>&1 | grep -o '[0-9]* references point to ids that are not in the dump' || true)
  echo "-Xshare:$share: ${warnings:-no references to ids missing from the dump}"
done
