"""Run heapscope and a peer on the same input, alternately, and write a results table.

    python3 sidebyside.py --runs 3 --input FILE --out RESULTS.md --title TITLE \
        --run "heapscope analyze=/path/heapscope analyze -q --format json -o /dev/null FILE" \
        --run "go tool pprof -top=go tool pprof -top FILE" [--note TEXT]...

Each round runs every command once, in the order given (so the sides alternate and share the
machine's mood); after --runs rounds it reports per command the median wall time, the median CPU
time (user + sys of the process and the children it waited for, from wait4), and the peak
anonymous memory: RssAnon of the process *tree* (the command and its descendants, summed; a peer
like `go tool pprof` runs the tool as a child) sampled from /proc every 10 ms, so pages of a
mapped input do not count. The machine's load average is read before every run. The first
command is the one the ratios are taken against. Standard output of the commands is discarded.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def tree_anon_kib(root):
    """RssAnon (KiB) summed over `root` and its descendants."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total


def run_once(argv):
    load = open("/proc/loadavg").read().split()[0]
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    status = None
    while status is None:
        peak = max(peak, tree_anon_kib(p.pid))
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            status = (st, ru)
        else:
            time.sleep(0.01)
    wall = time.perf_counter() - t0
    st, ru = status
    err = p.stderr.read().decode(errors="replace")
    p.returncode = os.waitstatus_to_exitcode(st)
    if p.returncode != 0:
        sys.exit("%s failed (%d): %s" % (shlex.join(argv), p.returncode, err[-500:]))
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "anon": peak / 1024, "load": float(load)}


def git_commit(path):
    try:
        head = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--input", required=True, help="the file every command reads (for the record)")
    ap.add_argument("--run", action="append", required=True, metavar="LABEL=COMMAND")
    ap.add_argument("--title", default="side by side")
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--out", help="write the table here (Markdown); it is always printed")
    a = ap.parse_args()
    cmds = []
    for r in a.run:
        label, _, cmd = r.partition("=")
        cmds.append((label, shlex.split(cmd)))
    with open(a.input, "rb") as f:  # warm the page cache once for every side
        while f.read(1 << 24):
            pass
    results = {label: [] for label, _ in cmds}
    for i in range(a.runs):
        for label, argv in cmds:
            r = run_once(argv)
            results[label].append(r)
            print("round %d  %-34s wall %7.2f s  cpu %7.2f s  anon %8.1f MiB  load %.1f"
                  % (i + 1, label, r["wall"], r["cpu"], r["anon"], r["load"]), file=sys.stderr)
    med = {label: {k: statistics.median(x[k] for x in rs) for k in ("wall", "cpu", "anon")}
           for label, rs in results.items()}
    base = cmds[0][0]
    loads = [x["load"] for rs in results.values() for x in rs]
    root = os.path.dirname(os.path.abspath(__file__))
    size = os.path.getsize(a.input)
    lines = [
        "## %s" % a.title,
        "",
        "%s UTC; commit %s; host %s, %d cores, %.0f GiB; input `%s`, %s bytes (%.1f MiB), page cache warm; "
        "load average (1 min) %.1f–%.1f over the runs (median %.1f): the machine is shared, so CPU time "
        "(user + sys) is the steadier column." % (
            time.strftime("%Y-%m-%d %H:%M", time.gmtime()), git_commit(root), os.uname().nodename,
            os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30,
            os.path.basename(a.input), format(size, ","), size / 2 ** 20, min(loads), max(loads),
            statistics.median(loads)),
        "",
    ]
    lines += ["- " + n for n in a.note]
    if a.note:
        lines.append("")
    lines += [
        "| command | runs | wall (median) | CPU (median) | CPU, each run | peak RssAnon (median) | CPU ratio | wall ratio |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for label, _ in cmds:
        m = med[label]
        each = ", ".join("%.2f" % x["cpu"] for x in results[label])
        lines.append("| %s | %d | %.2f s | %.2f s | %s | %.1f MiB | %s | %s |" % (
            label, len(results[label]), m["wall"], m["cpu"], each, m["anon"],
            "1×" if label == base else "%.1f×" % (m["cpu"] / med[base]["cpu"]),
            "1×" if label == base else "%.1f×" % (m["wall"] / med[base]["wall"])))
    lines.append("")
    lines.append("Commands (each run alternately, in this order, %d rounds):" % a.runs)
    lines.append("")
    for label, argv in cmds:
        lines.append("- %s: `%s`" % (label, shlex.join(argv)))
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
