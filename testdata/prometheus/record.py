#!/usr/bin/env python3
"""Record the Prometheus fixtures of testdata/prometheus (rerunnable; see README.md).

Starts the eight scenario services (services/service.py with prometheus_client, services/service.js
with prom-client; leak, cache, load, healthy each), drives their request rates, runs a real
Prometheus (the Debian `prometheus` binary, its own config, a temporary --storage.tsdb.path, on
127.0.0.1) that scrapes them every second, and after MINUTES minutes writes one file per service:
the /api/v1/query_range responses of the queries `heapscope metrics --prometheus` asks, one JSON
response a line, each with the query that made it under "query".

Usage: python3 record.py [MINUTES]   (needs: prometheus, python3 + prometheus_client, node +
services/node_modules/prom-client — `npm ci` in services/)
"""
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MINUTES = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
STEP = "2s"
WINDOW = "10s"  # rate() window: five scrapes at 1 s


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rate_of(scenario, t):
    """Requests per second the driver sends at t seconds since the start."""
    if scenario == "leak":
        return 2.0
    if scenario == "load":
        # Two humps between 2 and 20 requests/s: memory should follow them.
        return 2.0 + 18.0 * math.sin(math.pi * t / (MINUTES * 30.0)) ** 2
    return 5.0


def drive(url, scenario, t0, stop):
    due = t0
    while not stop.is_set():
        now = time.monotonic()
        if now < due:
            time.sleep(min(due - now, 0.05))
            continue
        try:
            urllib.request.urlopen(url, timeout=5).read()
        except OSError:
            pass
        due += 1.0 / rate_of(scenario, now - t0)


def query_range(prom, q, start, end):
    args = urllib.parse.urlencode({"query": q, "start": start, "end": end, "step": STEP})
    with urllib.request.urlopen(f"{prom}/api/v1/query_range?{args}", timeout=30) as r:
        resp = json.load(r)
    return {"query": q, **resp}


def queries(runtime, job):
    sel = f'{{job="{job}"}}'
    by = "sum by (service, container, pod, job, instance)"
    gc = (
        f"{by} (rate(python_gc_collections_total{sel}[{WINDOW}]))"
        if runtime == "python"
        else f"{by} (rate(nodejs_gc_duration_seconds_sum{sel}[{WINDOW}]))"
    )
    return [
        f"process_resident_memory_bytes{sel}",
        gc,
        f"{by} (rate(http_requests_total{sel}[{WINDOW}]))",
    ]


def main():
    tmp = tempfile.mkdtemp(prefix="heapscope-prom-")
    procs, stop = [], threading.Event()
    services = []
    try:
        for runtime in ("python", "node"):
            for scenario in ("leak", "cache", "load", "healthy"):
                port = free_port()
                cmd = (
                    [sys.executable, os.path.join(HERE, "services/service.py"), scenario, str(port)]
                    if runtime == "python"
                    else ["node", os.path.join(HERE, "services/service.js"), scenario, str(port)]
                )
                # A fixed mmap threshold: glibc maps each 256 KiB payload by itself and unmaps it
                # when freed, so the resident set follows what the scenario keeps (by default the
                # threshold rises after the first free and freed payloads stay in the heap).
                env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
                procs.append(subprocess.Popen(cmd, env=env))
                services.append((runtime, scenario, f"{runtime}-{scenario}", port))
        prom_port = free_port()
        cfg = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                for (_, _, job, port) in services
            ],
        }
        cfg_path = os.path.join(tmp, "prometheus.yml")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)  # JSON is YAML
        prom = f"http://127.0.0.1:{prom_port}"
        procs.append(
            subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={cfg_path}",
                    f"--storage.tsdb.path={tmp}/data",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                stderr=open(os.path.join(tmp, "prometheus.log"), "w"),
            )
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{prom}/-/ready", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        t0 = time.monotonic()
        start = time.time()
        for (_, scenario, _, port) in services:
            threading.Thread(
                target=drive,
                args=(f"http://127.0.0.1:{port}/work", scenario, t0, stop),
                daemon=True,
            ).start()
        time.sleep(MINUTES * 60)
        stop.set()
        time.sleep(3)  # one more scrape of the last requests
        end = time.time()
        for (runtime, scenario, job, _) in services:
            out = os.path.join(HERE, f"{job}.json")
            with open(out, "w") as f:
                for q in queries(runtime, job):
                    f.write(json.dumps(query_range(prom, q, start, end), separators=(",", ":")))
                    f.write("\n")
            print(f"wrote {out}")
        meta = {
            "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
            "seconds": round(end - start, 1),
            "step": STEP,
            "window": WINDOW,
            "prometheus": subprocess.run(
                ["prometheus", "--version"], capture_output=True, text=True
            ).stdout.splitlines()[0],
            "python": sys.version.split()[0],
            "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
        }
        with open(os.path.join(HERE, "recorded.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
            f.write("\n")
    finally:
        stop.set()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
