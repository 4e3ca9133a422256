"""Control: a small working set that is kept on purpose, and work whose temporaries are all released."""
import snap

SETTINGS = {}


def configure():
    # Kept for the life of the process, but bounded: allocated once.
    for name in ("host", "port", "user", "timeout", "retries"):
        SETTINGS[name] = name.upper() * 10


def process(batch):
    records = {i: "y" * 200 for i in batch}
    return sum(len(v) for v in records.values())


def run(n):
    total = 0
    for start in range(0, n, 50):
        total += process(range(start, start + 50))
    return total


out = snap.start()
configure()
result = run(1000)
snap.dump(out)
