"""Culprit: a module-global dict that gains an entry per request and never loses one."""

_cache = {}


def handle(request_id):
    _cache["req-%06d" % request_id] = ("payload-%d;" % request_id) * 12
    return len(_cache)


def run():
    for i in range(6000):
        handle(i)


def held():
    return "app.cache \u00b7 _cache", _cache


def run2():
    for i in range(6000, 9000):
        handle(i)
