"""A module-level dict that only ever grows: the classic "global registry" leak."""
import snap

REGISTRY = {}


def remember(request_id):
    # Every request leaves a record behind and nothing ever removes it.
    REGISTRY[request_id] = {"id": request_id, "payload": "x" * 300, "tags": [request_id] * 4}


def handle_requests(n):
    for request_id in range(n):
        remember(request_id)


out = snap.start()
handle_requests(400)
snap.dump(out)
