"""A small HTTP service instrumented with prometheus_client (its default process and GC
collectors, plus an http_requests_total counter), in one of four memory scenarios:

  leak     every request appends its 256 KiB payload to a module-level list, never cleared
  cache    every request caches a 256 KiB value under one of KEYS keys (grows, then levels)
  load     every request keeps its 256 KiB payload for HOLD seconds (memory follows the rate)
  healthy  every request's payload is dropped when it returns

Usage: service.py SCENARIO PORT. GET /work does one request, /metrics is the exposition.
Payloads are 256 KiB so that CPython's allocator maps each one by itself and returns it to the
OS when freed: the resident set follows what the scenario keeps.
"""
import collections
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

PAYLOAD = 256 * 1024
KEYS = 200
HOLD = 3.0

scenario, port = sys.argv[1], int(sys.argv[2])
requests = Counter("http_requests_total", "Requests served", ["handler"])
leaked = []
cache = {}
recent = collections.deque()
lock = threading.Lock()


def work():
    buf = bytearray(PAYLOAD)
    buf[::4096] = b"x" * (PAYLOAD // 4096)  # touch every page: resident, not just reserved
    now = time.monotonic()
    with lock:
        if scenario == "leak":
            leaked.append(buf)
        elif scenario == "cache":
            cache[random.randrange(KEYS)] = buf
        elif scenario == "load":
            recent.append((now, buf))
            while recent and recent[0][0] < now - HOLD:
                recent.popleft()
    requests.labels("/work").inc()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/metrics":
            body, ctype = generate_latest(), CONTENT_TYPE_LATEST
        elif self.path == "/work":
            work()
            body, ctype = b"ok\n", "text/plain"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
