#!/usr/bin/env python3
"""How fast this machine takes new dirty page cache, a GiB at a time (issue 17, session 26).

Writes N unnamed files of 1 GiB each in a directory (default: the temporary directory, where
heapscope's spill files go) with 64 KiB `pwrite`s of zeros, keeps them all open (dirty) until the
end, and prints the seconds per file, then the kernel's dirty thresholds and the machine's
available memory. On the 2-core bench VM the first files take ~0.23 s; once the writeback of dirty
pages starts (10 % of the dirtyable memory by default, ~2.3 GB on 24 GiB, or earlier when the
disk is slow) each further GiB took 1.9-4.3 s: what heapscope's spill writes meet when a run
dirties more than that (benches/scripts/hprof/RESULTS.md, session 26).

    python3 benches/scripts/dirty-probe.py [N_FILES] [DIR]
"""
import os
import sys
import tempfile
import time


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    where = sys.argv[2] if len(sys.argv) > 2 else tempfile.gettempdir()
    chunk = bytes(64 << 10)
    size = 1 << 30
    fds = []
    try:
        for i in range(n):
            fd = os.open(where, os.O_TMPFILE | os.O_RDWR, 0o600)
            fds.append(fd)
            t0 = time.monotonic()
            for off in range(0, size, len(chunk)):
                os.pwrite(fd, chunk, off)
            print(f"file {i}: 1 GiB written in {time.monotonic() - t0:.3f} s", flush=True)
    finally:
        for fd in fds:
            os.close(fd)
    for name in ("dirty_background_ratio", "dirty_ratio", "dirty_background_bytes", "dirty_bytes"):
        with open(f"/proc/sys/vm/{name}") as f:
            print(f"vm.{name} = {f.read().strip()}")
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(("MemAvailable", "Dirty", "Writeback:")):
                print(line.strip())


if __name__ == "__main__":
    main()
