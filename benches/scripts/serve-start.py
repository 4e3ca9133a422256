#!/usr/bin/env python3
"""Time `heapscope serve` from start to its first answers, several runs, binaries alternating.

    benches/scripts/serve-start.py DUMP OBJECT_ID TYPE OUTDIR BIN [BIN ...]

Each run starts `BIN serve -q --port P DUMP` (the dump's saved index valid beside it), asks
/api/object?id=OBJECT_ID until it answers, then /api/instances?type=TYPE, and records the
seconds from start to each answer, the server's RssAnon then (from /proc) and the load average.
The answers of every run are written to OUTDIR/<run>-<bin>-{object,instances,query*}.json so
runs can be compared byte for byte (cmp). Prints one row per run and the medians per binary.
"""
import os, socket, statistics, subprocess, sys, time, urllib.request, urllib.error

dump, oid, ty, outdir, bins = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
RUNS = int(os.environ.get("RUNS", "3"))
QUERIES = [
    f"SELECT src, label, weak FROM refs WHERE dst = {oid}",
    "SELECT type, count(*), sum(shallow) FROM objects GROUP BY type ORDER BY type LIMIT 50",
]
os.makedirs(outdir, exist_ok=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) // 1024
    return -1


def get(url, body=None):
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=600) as r:
        return r.read()


rows = []
for run in range(RUNS):
    for b, binary in enumerate(bins):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        t0 = time.monotonic()
        p = subprocess.Popen([binary, "serve", "-q", "--port", str(port), dump],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    obj = get(f"{base}/api/object?id={oid}")
                    break
                except (urllib.error.URLError, ConnectionError):
                    if p.poll() is not None:
                        sys.exit(f"{binary} exited with {p.returncode}")
                    time.sleep(0.05)
            t_obj = time.monotonic() - t0
            inst = get(f"{base}/api/instances?type={urllib.parse.quote(ty)}&limit=50")
            t_inst = time.monotonic() - t0
            rss = rss_anon(p.pid)
            answers = {"object": obj, "instances": inst}
            for i, q in enumerate(QUERIES):
                answers[f"query{i}"] = get(f"{base}/api/query?limit=50", q.encode())
            for k, v in answers.items():
                with open(os.path.join(outdir, f"{run}-{b}-{k}.json"), "wb") as f:
                    f.write(v)
        finally:
            p.terminate()
            p.wait()
        load = os.getloadavg()[0]
        rows.append((b, t_obj, t_inst, rss, load))
        print(f"run {run} bin {b} ({binary}): object {t_obj:.2f} s, instances {t_inst:.2f} s, "
              f"RssAnon {rss} MiB, load {load:.2f}", flush=True)
for b, binary in enumerate(bins):
    r = [x for x in rows if x[0] == b]
    print(f"median bin {b} ({binary}): object {statistics.median(x[1] for x in r):.2f} s, "
          f"instances {statistics.median(x[2] for x in r):.2f} s, "
          f"RssAnon {statistics.median(x[3] for x in r):.0f} MiB, load {statistics.median(x[4] for x in r):.2f}")
