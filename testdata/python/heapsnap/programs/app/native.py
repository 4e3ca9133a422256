"""Culprit: memory outside Python objects (an anonymous mmap with its pages touched, as a C
extension's buffers would be): RSS far above what the snapshot's objects account for."""

import mmap

_buffer = None


def run():
    global _buffer
    size = 96 << 20
    _buffer = mmap.mmap(-1, size)
    for off in range(0, size, 4096):
        _buffer[off] = 1


def held():
    return "app.native \u00b7 _buffer", _buffer
