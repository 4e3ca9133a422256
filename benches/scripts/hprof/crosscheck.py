#!/usr/bin/env python3
"""heapscope's answers on a big HPROF beside two independent references (issue 17's dumps):

  benches/scripts/hprof/crosscheck.py DUMP [--heapscope BIN] [--analyzer BIN] [--top N]

1. The JVM's own class histogram (`jcmd PID GC.class_histogram`, written beside the dump as
   DUMP-without-.hprof + .histo.txt by make-big.sh / make-shapes.sh): instance count and shallow
   bytes of the N classes with the most bytes, against heapscope's histogram.
2. hprof-analyzer (github.com/parttimenerd/hprof-analyzer; peers.sh builds it in /tmp): the
   retained size of the first N objects of its dominator analysis ("big drops"), each looked for
   among heapscope's 200 top dominators with the same class and retained size. Known convention difference: a class object's shallow size
   (hprof-analyzer counts 8 B, heapscope the statics block), so java.lang.Class rows may differ.

Prints one line per row compared and a summary; exits 1 if a row disagrees that no known
convention difference (CONV, printed as such) explains.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

PRIMS = {"B": "byte", "C": "char", "D": "double", "F": "float", "I": "int", "J": "long",
         "S": "short", "Z": "boolean"}


def java_name(jcmd_name):
    """jcmd's class name ('[Ljava.lang.Object;', 'java.lang.Long (java.base@25)') as heapscope writes it."""
    name = re.sub(r" \(.*\)$", "", jcmd_name)
    dims = len(name) - len(name.lstrip("["))
    if dims == 0:
        return name
    elem = name[dims:]
    elem = PRIMS.get(elem, elem[1:-1] if elem.startswith("L") else elem)
    return elem + "[]" * dims


# Rows the heap dump cannot match by construction: GC filler arrays are not objects of the dump,
# and jcmd counts every loaded class (hidden and array classes too) where the dump has one
# CLASS DUMP record per class it writes.
JCMD_CONVENTIONS = {"jdk.internal.vm.FillerElement[]", "java.lang.Class"}


def jcmd_histogram(path):
    rows = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*\d+:\s+(\d+)\s+(\d+)\s+(.+)$", line)
            if m:
                rows[java_name(m.group(3).strip())] = (int(m.group(1)), int(m.group(2)))
    return rows


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--heapscope", default=os.path.join(root, "target/release/heapscope"))
    ap.add_argument("--analyzer", default="/tmp/peer-analyzer/target/release/hprof-analyzer")
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        ours_path = os.path.join(tmp, "heapscope.json")
        subprocess.run([a.heapscope, "analyze", "-q", "--format", "json", "--top", "200",
                        "-o", ours_path, a.dump], check=True)
        ours = json.load(open(ours_path))
        hist = {r["type"]: (r["count"], r["shallow_bytes"]) for r in ours["histogram"]}

        histo = a.dump[: -len(".hprof")] + ".histo.txt"
        if os.path.exists(histo):
            jvm = jcmd_histogram(histo)
            top = sorted(jvm.items(), key=lambda kv: -kv[1][1])[: a.top]
            same = 0
            for name, (count, size) in top:
                got = hist.get(name)
                ok = got == (count, size)
                conv = not ok and name in JCMD_CONVENTIONS
                same += ok
                bad += not ok and not conv
                tag = "same" if ok else ("CONV" if conv else "DIFF")
                print(f"jcmd     {tag}  {name}: jcmd {count:,} / {size:,} B, heapscope "
                      + (f"{got[0]:,} / {got[1]:,} B" if got else "absent"))
            print(f"jcmd: {same} of {len(top)} classes with equal count and shallow bytes")
        else:
            print(f"jcmd: no {histo}, skipped")

        if os.access(a.analyzer, os.X_OK):
            theirs_path = os.path.join(tmp, "analyzer.json")
            subprocess.run([a.analyzer, a.dump, theirs_path], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            drops = json.load(open(theirs_path))["dominator_analysis"]["big_drops"]["rows"][: a.top]
            doms = {(d["type"], d["retained_bytes"]) for d in ours["dominators"]}
            same = 0
            for o in drops:
                cls = o["display_class"]
                # hprof-analyzer names a class object by the class itself, heapscope by
                # java.lang.Class: its statics are counted by another shallow-size convention.
                ok = (cls, o["retained"]) in doms
                conv = not ok and not any(t == cls for t, _ in doms)
                same += ok
                bad += not ok and not conv
                tag = "same" if ok else ("CONV" if conv else "DIFF")
                print(f"analyzer {tag}  {cls}: retained {o['retained']:,} B (hprof-analyzer)")
            print(f"hprof-analyzer: {same} of {len(drops)} objects of its dominator analysis with the"
                  " same class and retained size among heapscope's top dominators"
                  " (CONV: a class object, counted by another convention)")
        else:
            print(f"hprof-analyzer: {a.analyzer} not built (run peers.sh once), skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
