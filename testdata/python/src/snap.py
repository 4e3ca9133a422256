"""Helpers shared by the scenarios: start tracing, dump a snapshot.

Imported *before* tracing starts so that its own import does not show up in the traces.
Usage of every scenario: python <scenario>.py OUT_PREFIX NFRAME
"""
import sys
import tracemalloc


def start():
    out_prefix = sys.argv[1]
    nframe = int(sys.argv[2])
    tracemalloc.start(nframe)
    return out_prefix


def dump(out_prefix, suffix=""):
    snapshot = tracemalloc.take_snapshot()
    snapshot.dump(out_prefix + suffix + ".tracemalloc")
    return snapshot
