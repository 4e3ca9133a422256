#!/usr/bin/env python3
"""Write DUMP.gz in the layout of the JDK's `jcmd GC.heap_dump -gz=1`: one gzip member per
1 MiB block of the dump, deflate level 1. (The JDK also puts "HPROF BLOCKSIZE=1048576" in the
comment of its first members; heapscope does not depend on it.) For the gzip scale bench:
the big dumps of make-big.sh are written uncompressed.

    benches/scripts/hprof/make-gz.py testdata/big/java-1600000-1600000.hprof
"""
import sys
import zlib

BLOCK = 1 << 20

src_path = sys.argv[1]
with open(src_path, "rb") as src, open(src_path + ".gz", "wb") as out:
    while True:
        block = src.read(BLOCK)
        if not block:
            break
        c = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: gzip wrapper
        out.write(c.compress(block) + c.flush())
