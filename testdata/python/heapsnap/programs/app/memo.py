"""Culprit: an unbounded memo cache, functools.lru_cache(maxsize=None)."""

import functools


@functools.lru_cache(maxsize=None)
def render(n):
    return ("row %d " % n) * 20


def run():
    for i in range(6000):
        render(i)


def held():
    # The cache table itself is private to the C wrapper; the wrapper is what a user can name.
    return "app.memo \u00b7 render", render
