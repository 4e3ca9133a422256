"""A healthy service in steady state: three tracemalloc snapshots of ONE process (see ../README.md).

Every request parses a JSON body, renders a response and drops both; it looks its product up in a
bounded LRU cache (an OrderedDict of CAPACITY entries of VALUE_BYTES-byte values, the least recently
used evicted). The only other state is bounded: a fixed ring of recent latencies and a counter per
endpoint over a fixed set of endpoints. A warm-up of WARMUP requests fills the cache before the
first snapshot; each snapshot follows PER_STEP more requests.

Usage: python healthy_series.py OUT_PREFIX NFRAME  ->  OUT_PREFIX-1.tracemalloc, -2, -3
"""
import gc
import json
import sys
import time
import tracemalloc
from collections import OrderedDict

CAPACITY = 500
VALUE_BYTES = 512
KEYS = 2500
WARMUP = 20000
PER_STEP = 10000
ENDPOINTS = ("/product", "/search", "/cart", "/checkout", "/health", "/price", "/stock", "/user")

CACHE = OrderedDict()
LATENCIES = [0] * 256
HITS = dict.fromkeys(ENDPOINTS, 0)


def load_product(sku):
    return (sku * (VALUE_BYTES // len(sku) + 1))[:VALUE_BYTES].encode("ascii")


def product(sku):
    value = CACHE.get(sku)
    if value is not None:
        CACHE.move_to_end(sku)
        return value
    value = CACHE[sku] = load_product(sku)
    if len(CACHE) > CAPACITY:
        CACHE.popitem(last=False)
    return value


def handle(n):
    start = time.perf_counter_ns()
    # Skewed keys: a hot set that stays cached and a long tail that churns the LRU.
    k = (n * 2654435761) % KEYS
    if n % 3:
        k %= CAPACITY // 2
    endpoint = ENDPOINTS[n % len(ENDPOINTS)]
    body = json.dumps({"endpoint": endpoint, "sku": "sku-%05d" % k, "lang": "en", "page": n % 7})
    request = json.loads(body)
    value = product(request["sku"])
    scratch = bytearray(4096 + n % 2048)
    scratch[: len(value)] = value
    response = json.dumps({"sku": request["sku"], "bytes": len(scratch), "head": value[:16].decode()})
    HITS[endpoint] += 1
    LATENCIES[n % len(LATENCIES)] = time.perf_counter_ns() - start
    return len(response)


def serve(first, count):
    for n in range(first, first + count):
        handle(n)
    return first + count


def main():
    out, nframe = sys.argv[1], int(sys.argv[2])
    tracemalloc.start(nframe)
    served = serve(0, WARMUP)
    for step in (1, 2, 3):
        served = serve(served, PER_STEP)
        gc.collect()
        tracemalloc.take_snapshot().dump("%s-%d.tracemalloc" % (out, step))
    print("served %d, cached %d" % (served, len(CACHE)))


main()
