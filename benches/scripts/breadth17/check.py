"""Checks one heapscope JSON report (valid JSON, its summary) and prints the first suspect's
headline fields and the biggest object by retained size: python3 check.py REPORT.json"""
import json
import sys

with open(sys.argv[1]) as f:
    d = json.load(f)
s = d["summary"]
print(f"json ok: {s['nodes']} nodes, {s['edges']} edges, {s['total_bytes']} B total")
sus = d.get("suspects") or []
if sus:
    x = sus[0]
    keep = {k: v for k, v in x.items() if isinstance(v, (str, int, float)) and len(str(v)) < 300}
    print("suspect 1:", json.dumps(keep)[:900])
else:
    print("suspect 1: none")
dom = d.get("dominators") or []
if dom:
    print("biggest:", json.dumps(dom[0])[:300])
