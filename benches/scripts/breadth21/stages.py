#!/usr/bin/env python3
"""heapscope's stages (HEAPSCOPE_STATS=1) on several dumps of one program, run alternately, as the
median CPU seconds per stage and per million objects (the report's summary.nodes), and the peak
RssAnon per stage: to see whether one runtime version's file costs more per object in any stage.
    python3 benches/scripts/breadth21/stages.py --runs 3 --bin HEAPSCOPE LABEL=DUMP [LABEL=DUMP ...]
The load average (1 min) before each run is printed beside it."""
import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile

LINE = re.compile(r"stats: (.+?)\s+([0-9.]+) s\s+CPU\s+([0-9.]+) s.*?peak in stage\s+(\d+) MiB")

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--bin", default="/work/base/heapscope-m36")
ap.add_argument("inputs", nargs="+")
a = ap.parse_args()
inputs = [x.split("=", 1) for x in a.inputs]
cpu = {lab: {} for lab, _ in inputs}
peak = {lab: {} for lab, _ in inputs}
nodes = {}
loads = []
order = []
with tempfile.TemporaryDirectory() as tmp:
    for r in range(a.runs):
        for lab, dump in inputs:
            load = os.getloadavg()[0]
            loads.append(load)
            out = os.path.join(tmp, "r.json")
            p = subprocess.run([a.bin, "analyze", "-q", "--format", "json", "-o", out, dump],
                               env={**os.environ, "HEAPSCOPE_STATS": "1"},
                               capture_output=True, text=True)
            for m in LINE.finditer(p.stderr):
                st = m.group(1).strip()
                if st not in order:
                    order.append(st)
                cpu[lab].setdefault(st, []).append(float(m.group(3)))
                peak[lab].setdefault(st, []).append(int(m.group(4)))
            with open(out) as f:
                nodes[lab] = json.load(f)["summary"]["nodes"]
            print(f"round {r + 1} {lab}: load {load:.1f}", flush=True)
labels = [lab for lab, _ in inputs]
print(f"\nload average (1 min) {min(loads):.1f}–{max(loads):.1f}, {a.runs} alternated rounds, {a.bin}")
print("objects: " + ", ".join(f"{lab} {nodes[lab] / 1e6:.2f} M" for lab in labels))
print("| stage | " + " | ".join(f"{lab}: CPU s (per M objects), peak MiB" for lab in labels) + " |")
print("|---|" + "---|" * len(labels))
for st in order:
    cells = []
    for lab in labels:
        c = statistics.median(cpu[lab].get(st, [0]))
        pk = statistics.median(peak[lab].get(st, [0]))
        cells.append(f"{c:.2f} ({1e6 * c / nodes[lab]:.3f}), {pk:.0f}")
    print(f"| {st} | " + " | ".join(cells) + " |")
tot = {lab: sum(statistics.median(v) for v in cpu[lab].values()) for lab in labels}
print("| sum of stages | " + " | ".join(f"{tot[l]:.2f} ({1e6 * tot[l] / nodes[l]:.3f})" for l in labels) + " |")
