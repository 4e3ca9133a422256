#!/usr/bin/env python3
"""What this host charges for fresh memory, per GiB (issue 17, session 27).

A big heapscope run takes ~4 GB of pages it did not have (the 2.18 GB JDK 17 dump: 3.4 GB of
spill-file page cache written with `pwrite`, ~1.4 GB of anonymous first touches); the peers are
compute-bound. So the same binary's wall time, and its ratio to a peer, move with what the
host (a VM here) charges for a new page. This prints, for SIZE MiB (default 512) at a time,
ROUNDS times (default 3), the seconds per GiB of:

- anon 4K:  touching a fresh private anonymous mapping, one store per 4 KiB page;
- anon THP: the same after `madvise(MADV_HUGEPAGE)` (2 MiB pages when the kernel has them);
- again:    storing to the same pages once they are resident (the floor: no new page);
- pwrite 64K / 1M: filling a new unnamed file in DIR (default: the temporary directory, where
  heapscope's spill files go) with `pwrite`s of that size, closed after each round.

Session 27's host, quiet: anon 4K 0.89-1.18 s/GiB, THP 0.17-1.65 (whether the kernel has 2 MiB
pages the host still backs swings it), resident 0.03-0.04, pwrite 64K 0.32-0.33, 1M 0.24-0.28;
while a CI run built beside it: anon 4K 2.7-4.0, THP 4.4-6.5, pwrite ~1.1
(benches/scripts/hprof/RESULTS.md, session 27).

    python3 benches/scripts/fresh-probe.py [SIZE_MIB] [ROUNDS] [DIR]
"""
import mmap
import os
import sys
import tempfile
import time

PAGE = 4096


def touch(m, size):
    for off in range(0, size, PAGE):
        m[off] = 1


def anon(size, huge):
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if huge and hasattr(mmap, "MADV_HUGEPAGE"):
        m.madvise(mmap.MADV_HUGEPAGE)
    t0 = time.monotonic()
    touch(m, size)
    first = time.monotonic() - t0
    t0 = time.monotonic()
    touch(m, size)
    again = time.monotonic() - t0
    m.close()
    return first, again


def fill(size, chunk, where):
    buf = b"\1" * chunk
    fd = os.open(where, os.O_TMPFILE | os.O_RDWR, 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
        t0 = time.monotonic()
        for off in range(0, size, chunk):
            os.pwrite(fd, buf, off)
        return time.monotonic() - t0
    finally:
        os.close(fd)


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    where = sys.argv[3] if len(sys.argv) > 3 else tempfile.gettempdir()
    size = mib << 20
    per_gib = (1 << 30) / size
    thp = open("/sys/kernel/mm/transparent_hugepage/enabled").read().strip()
    print("fresh memory, seconds per GiB (%d MiB a time, %d rounds; THP %s; %s)"
          % (mib, rounds, thp, where))
    print("%-6s %9s %9s %9s %11s %11s" % ("round", "anon 4K", "anon THP", "again",
                                          "pwrite 64K", "pwrite 1M"))
    for r in range(rounds):
        a4, again = anon(size, False)
        ah, _ = anon(size, True)
        p64 = fill(size, 64 << 10, where)
        p1m = fill(size, 1 << 20, where)
        print("%-6d %9.2f %9.2f %9.2f %11.2f %11.2f" % (
            r + 1, a4 * per_gib, ah * per_gib, again * per_gib, p64 * per_gib, p1m * per_gib))


if __name__ == "__main__":
    main()
