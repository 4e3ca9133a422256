#!/usr/bin/env python3
"""Prints what a heapscope JSON report leads with, to hold one runtime version's report against
another's: the summary's counts and every suspect's rank, pattern and title (or, without
suspects, the three biggest dominators).
    python3 benches/scripts/breadth21/suspects.py REPORT.json [REPORT.json ...]"""
import json
import sys

for path in sys.argv[1:]:
    with open(path) as f:
        d = json.load(f)
    s = d.get("summary", {})
    print(f"== {path}: nodes {s.get('nodes')}, edges {s.get('edges')}, "
          f"total {s.get('total_bytes')} B, reachable {s.get('reachable_bytes')} B")
    sus = d.get("suspects") or []
    for x in sus:
        print(f"  suspect #{x.get('rank')} [{x.get('pattern')}] {x.get('title')}")
    if not sus:
        for x in (d.get("dominators") or [])[:3]:
            print(f"  dominator {json.dumps(x, ensure_ascii=False)[:300]}")
    for w in d.get("warnings") or []:
        print(f"  warning: {json.dumps(w, ensure_ascii=False)[:300]}")
