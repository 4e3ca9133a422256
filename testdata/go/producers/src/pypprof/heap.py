"""Python producer for testdata/go/producers/ (see ../../README.md): pypprof's heap profile (what its
/debug/pprof/heap endpoint serves), built from an mprofile snapshot (mprofile = a sampling fork of tracemalloc).
Usage: python heap.py OUT.pb.gz
State: a module-level dict of 5,000 Record objects (each with a 200-byte bytes payload) kept (retain()),
50,000 short-lived 1 KiB bytearrays dropped (churn()). mprofile sample rate 1024 bytes, 64 frames.
"""
import gc
import sys

import mprofile
from pypprof.net_http import build_heap_pprof


class Record:
    def __init__(self, i):
        self.i = i
        self.payload = bytes(200)


KEEP = {}


def retain():
    for i in range(5000):
        KEEP["k%d" % i] = Record(i)


def churn():
    n = 0
    for _ in range(50000):
        n += len(bytearray(1024))
    return n


def main():
    mprofile.start(max_frames=64, sample_rate=1024)
    retain()
    churn()
    gc.collect()
    snap = mprofile.take_snapshot()
    data = build_heap_pprof(snap)
    with open(sys.argv[1], "wb") as f:
        f.write(data)
    print("%s: %d records, %d bytes written" % (sys.version.split()[0], len(KEEP), len(data)))


if __name__ == "__main__":
    main()
