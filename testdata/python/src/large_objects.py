"""A list of large objects: few blocks, many bytes (and a foreign domain where the interpreter allows).

Domain 389047 is the one NumPy uses for its data buffers; _testcapi.tracemalloc_track lets a test
register such blocks without NumPy. The pointers are fake and never dereferenced.
"""
import snap

try:  # imported before tracing starts: the import itself would be hundreds of traces
    import _testcapi
except ImportError:
    _testcapi = None

BUFFERS = []


def load_frame(i):
    return bytearray(64 * 1024 + i)


def load_all(n):
    for i in range(n):
        BUFFERS.append(load_frame(i))


def track_foreign_blocks():
    if _testcapi is None:
        return
    for i in range(3):
        _testcapi.tracemalloc_track(389047, 0x10000 + i * 0x1000, 1024 * 1024 * (i + 1))


out = snap.start()
load_all(12)
track_foreign_blocks()
snap.dump(out)
