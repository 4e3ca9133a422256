"""An unbounded memo dict beside a bounded functools.lru_cache.

The memoised function recurses (depth about 60), so with a traceback limit of 25 (or 5) the
tracebacks are truncated and the same source line appears several times in one traceback.
"""
import functools
import snap

_memo = {}


def partitions(n, k):
    # Unbounded: one entry per distinct (n, k) ever asked, never evicted.
    key = (n, k)
    if key in _memo:
        return _memo[key]
    if n == 0:
        result = 1
    elif n < 0 or k == 0:
        result = 0
    else:
        result = partitions(n - k, k) + partitions(n, k - 1)
    _memo[key] = result
    return result


@functools.lru_cache(maxsize=64)
def render(i):
    # Bounded: at most 64 results are kept.
    return ("row %d " % i) * 20


out = snap.start()
partitions(60, 30)
for i in range(500):
    render(i)
snap.dump(out)
