"""Adversarial probe (labelled synthetic, not a program anyone runs): a 50/50 random recursion over four
functions with one allocation at the bottom, traced with tracemalloc.start(25). Its call tree shares little
below the first frames (0.33-0.42 call-tree nodes per frame): the bound of RESULTS.md, "Session 23".

    python3 make_probe.py OUT N_LEAVES [DEPTH]      # rec-1m: N=1000000 (~66 s), rec-200k: N=200000
"""
import random, sys, tracemalloc
N = int(sys.argv[2]); DEPTH = int(sys.argv[3]) if len(sys.argv) > 3 else 30
tracemalloc.start(25)
keep = []
r = random.Random(7)
def leaf():
    keep.append(bytearray(24 + r.randrange(64)))
def a(d):
    if d == 0: return leaf()
    if r.random() < 0.5: b(d - 1)
    else: c(d - 1)
def b(d):
    if d == 0: return leaf()
    if r.random() < 0.5: a(d - 1)
    else: d_(d - 1)
def c(d):
    if d == 0: return leaf()
    if r.random() < 0.5: d_(d - 1)
    else: a(d - 1)
def d_(d):
    if d == 0: return leaf()
    if r.random() < 0.5: b(d - 1)
    else: c(d - 1)
for i in range(N):
    a(DEPTH + r.randrange(8))
snap = tracemalloc.take_snapshot()
snap.dump(sys.argv[1])
print(len(snap.traces), file=sys.stderr)
