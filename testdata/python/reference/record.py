"""Record CPython's own tracemalloc answers for snapshot files, as JSON.

    python record.py [--tag TAG] [--out DIR | --stdout] SNAPSHOT...

Run with the interpreter that wrote the snapshots (gen.sh does): a 3.8 snapshot holds
(domain, size, frames) traces, 3.9+ adds total_nframe, and each Snapshot class only reads its own layout.

For every snapshot, <stem>.json holds Snapshot.load(p).statistics(k) for k in lineno, filename,
traceback, and cumulative=True for lineno and filename: one row per Statistic, in CPython's own
order, as [key, size, count]. Keys: lineno "file:line", filename "file", traceback a list of
"file:line" from the oldest frame to the most recent (the order Traceback iterates in).
For series-<tag>-N files, series-<tag>.compare.json holds compare_to() for consecutive pairs and
first-to-last, rows [key, size, size_diff, count, count_diff].
"""
import json
import os
import platform
import re
import sys
import tracemalloc


def frame_key(frame):
    return "%s:%s" % (frame.filename, frame.lineno)


def stat_key(key_type, traceback):
    if key_type == "traceback":
        return [frame_key(f) for f in traceback]
    if key_type == "filename":
        return traceback[0].filename
    return frame_key(traceback[0])


GROUPINGS = [("lineno", False), ("filename", False), ("traceback", False),
             ("lineno", True), ("filename", True)]


def grouping_name(key_type, cumulative):
    return key_type + ("_cumulative" if cumulative else "")


def record_one(path):
    snapshot = tracemalloc.Snapshot.load(path)
    out = {
        "python": platform.python_version(),
        "file": os.path.basename(path),
        "traceback_limit": snapshot.traceback_limit,
        "traces": len(snapshot.traces),
    }
    domains = {}
    truncated = 0
    max_total_nframe = 0
    for trace in snapshot.traces:
        d = domains.setdefault(str(trace.domain), [0, 0])
        d[0] += trace.size
        d[1] += 1
        total = getattr(trace.traceback, "total_nframe", None)
        if total is not None:
            max_total_nframe = max(max_total_nframe, total)
            if total > len(trace.traceback):
                truncated += 1
    out["domains"] = domains
    # None on 3.8, which does not record total_nframe.
    out["truncated_traces"] = truncated if sys.version_info >= (3, 9) else None
    out["max_total_nframe"] = max_total_nframe if sys.version_info >= (3, 9) else None
    stats = {}
    for key_type, cumulative in GROUPINGS:
        rows = snapshot.statistics(key_type, cumulative=cumulative)
        stats[grouping_name(key_type, cumulative)] = [
            [stat_key(key_type, s.traceback), s.size, s.count] for s in rows]
    out["statistics"] = stats
    return out


def record_compare(paths):
    snaps = [tracemalloc.Snapshot.load(p) for p in paths]
    pairs = [(i, i + 1) for i in range(len(snaps) - 1)]
    if len(snaps) > 2:
        pairs.append((0, len(snaps) - 1))
    out = {"python": platform.python_version(), "pairs": []}
    for old, new in pairs:
        entry = {"old": os.path.basename(paths[old]), "new": os.path.basename(paths[new])}
        for key_type, cumulative in GROUPINGS:
            rows = snaps[new].compare_to(snaps[old], key_type, cumulative=cumulative)
            entry[grouping_name(key_type, cumulative)] = [
                [stat_key(key_type, s.traceback), s.size, s.size_diff, s.count, s.count_diff]
                for s in rows]
        out["pairs"].append(entry)
    return out


def dumps(obj):
    """JSON with one statistics row per line: small diffs when a fixture is regenerated."""
    def enc(value, indent):
        pad = " " * indent
        if isinstance(value, dict):
            items = [pad + " " + json.dumps(k) + ": " + enc(v, indent + 1).lstrip()
                     for k, v in value.items()]
            return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, list) and value and isinstance(value[0], list):
            rows = [pad + " " + json.dumps(row, ensure_ascii=False) for row in value]
            return pad + "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        return pad + json.dumps(value, ensure_ascii=False)
    return enc(obj, 0) + "\n"


def main(argv):
    out_dir = os.path.dirname(os.path.abspath(__file__))
    to_stdout = False
    paths = []
    args = iter(argv)
    for a in args:
        if a == "--out":
            out_dir = next(args)
        elif a == "--stdout":
            to_stdout = True
        elif a == "--tag":
            next(args)  # informational; file names carry the tag
        else:
            paths.append(a)
    if to_stdout:
        sys.stdout.write(dumps({os.path.basename(p): record_one(p) for p in paths}))
        return
    series = {}
    for p in paths:
        stem = os.path.basename(p)[:-len(".tracemalloc")]
        with open(os.path.join(out_dir, stem + ".json"), "w", encoding="utf-8") as f:
            f.write(dumps(record_one(p)))
        m = re.match(r"(series-py\d+)-(\d+)$", stem)
        if m:
            series.setdefault(m.group(1), []).append((int(m.group(2)), p))
    for name, members in series.items():
        ordered = [p for _, p in sorted(members)]
        with open(os.path.join(out_dir, name + ".compare.json"), "w", encoding="utf-8") as f:
            f.write(dumps(record_compare(ordered)))


if __name__ == "__main__":
    main(sys.argv[1:])
