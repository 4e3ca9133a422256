"""A growth series: three snapshots of one process.

A linear leak (LEAK gains the same amount every step) beside a cache that fills and levels off
(CACHE: 40% full, then full, then full). Overall the cache grows more than the leak, but only the
leak is still growing at the end.
"""
import snap

LEAK = []
CACHE = {}
CACHE_SIZE = 500
LEAK_PER_STEP = 100


def leak_step():
    for i in range(LEAK_PER_STEP):
        LEAK.append("event %06d " % len(LEAK) + "z" * 200)


def cache_get(key):
    if key not in CACHE and len(CACHE) < CACHE_SIZE:
        CACHE[key] = "value %06d " % key + "c" * 200
    return CACHE.get(key)


def cache_fill(upto):
    for key in range(upto):
        cache_get(key)


out = snap.start()
for step, fill in enumerate((CACHE_SIZE * 2 // 5, CACHE_SIZE, CACHE_SIZE * 2), start=1):
    leak_step()
    cache_fill(fill)
    snap.dump(out, "-%d" % step)
