"""CPython's own reading of a tracemalloc snapshot, the peer for breadth8's tracemalloc rows:
    python3 tm_peer.py SNAPSHOT
Snapshot.load, then statistics('lineno') and statistics('traceback'); prints the times."""
import sys
import time
import tracemalloc

t0 = time.process_time()
s = tracemalloc.Snapshot.load(sys.argv[1])
t1 = time.process_time()
by_line = s.statistics("lineno")
t2 = time.process_time()
by_tb = s.statistics("traceback")
t3 = time.process_time()
print(f"load {t1 - t0:.2f} s, lineno {t2 - t1:.2f} s ({len(by_line)} rows), "
      f"traceback {t3 - t2:.2f} s ({len(by_tb)} rows); top line {by_line[0]}")
