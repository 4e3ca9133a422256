# VisualVM's heap library as a reference reader for HPROF dumps, through the project's recorder
# (testdata/java/reference/src/VisualVmReference.java). Source it after `set -euo pipefail`:
# `. "$root/scripts/lib/visualvm.sh"`. Needs JDK 17 (JDK17) and the Debian `visualvm` package
# (jar path: VISUALVM_HEAP_JAR).
VV_JDK=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
VV_JAR=${VISUALVM_HEAP_JAR:-/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar}

# visualvm_compile SOURCE CLASSES: compiles the recorder SOURCE into the directory CLASSES.
visualvm_compile() {
  "$VV_JDK/bin/javac" --release 17 -cp "$VV_JAR" -d "$2" "$1"
}

# visualvm_plain DUMP SCRATCH: prints the path of DUMP uncompressed (VisualVM reads only plain files):
# DUMP itself, or SCRATCH/<name>.hprof inflated from DUMP.gz.
visualvm_plain() {
  if [[ $1 == *.gz ]]; then
    local name
    name=$(basename "${1%.gz}")
    name=${name%.hprof}
    gunzip -c "$1" > "$2/$name.hprof"
    echo "$2/$name.hprof"
  else
    echo "$1"
  fi
}

# visualvm_record CLASSES DUMP LABEL OUT: VisualVM's answers for the plain DUMP, labelled LABEL, into OUT
# (JSON); then removes the cache directory VisualVM leaves beside the dump.
visualvm_record() {
  local rc=0
  "$VV_JDK/bin/java" -Xmx2g -cp "$VV_JAR:$1" VisualVmReference "$2" "$3" "$4" || rc=$?
  rm -rf "$2.hwcache"
  return $rc
}
