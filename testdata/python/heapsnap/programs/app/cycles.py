"""Culprit: reference cycles whose objects define __del__, kept in gc.garbage.

Since CPython 3.4 (PEP 442) a cycle with __del__ is collected like any other: __del__ runs and
the cycle is freed. gc.garbage fills only when something asks for it: gc.DEBUG_SAVEALL (set here,
as a debugging session or a leak-hunting harness does) makes the collector append every
unreachable object to gc.garbage instead of freeing it (after __del__ has run), or a C
extension type with a legacy tp_del. Either way the list keeps the whole cycle alive.
"""

import gc


class Conn:
    def __init__(self, i):
        self.peer = None
        self.buf = b"%06d" % i * 40

    def __del__(self):
        pass


def run():
    gc.set_debug(gc.DEBUG_SAVEALL)
    for i in range(3000):
        a, b = Conn(i), Conn(-i)
        a.peer, b.peer = b, a
    del a, b
    gc.collect()
    gc.set_debug(0)


def held():
    return "gc.garbage", gc.garbage
