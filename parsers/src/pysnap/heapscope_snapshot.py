"""heapscope_snapshot: a heap snapshot of this CPython process, with references, for heapscope.

Standard library only; CPython 3.8 to 3.13. Get this file with `heapscope python-helper`.

    import heapscope_snapshot
    heapscope_snapshot.dump("/tmp/app.pysnap")              # now
    heapscope_snapshot.install_signal_handler(signal.SIGUSR2, "/tmp/snaps")  # on `kill -USR2 <pid>`

Then `heapscope analyze /tmp/app.pysnap`. The file holds every object the garbage collector
tracks (`gc.get_objects()`) and every object they reference (`gc.get_referents()`, so ints,
strings and bytes too), with `sys.getsizeof` sizes, type names, short value previews, and the
roots: module globals (`app.cache · _cache`), thread frames and their locals, `gc.garbage`.
When tracemalloc is tracing, each object carries its allocation traceback. The format is
heapscope's docs/dev/python-snapshot.md; nothing in it is a pickle.

The dumper's own bookkeeping (the object list, its tables, its frames) is left out of the
snapshot, and what it costs is written in the file's end section.
"""

import gc
import os
import struct
import sys
import time

__all__ = ["dump", "install_signal_handler", "FORMAT_VERSION"]

MAGIC = b"HSPYSNAP"
FORMAT_VERSION = 1

# Root kinds (the file's numbers; heapscope names them).
ROOT_MODULE = 1  # a module object, named by its name in sys.modules
ROOT_GLOBAL = 2  # a module global: "module · variable"
ROOT_FRAME = 3  # a thread's frame: "thread <name> · <function> (file:line)"
ROOT_LOCAL = 4  # a frame local: "thread <name> · <function> (file:line) · <variable>"
ROOT_GARBAGE = 5  # gc.garbage (the list itself)

_INDEX = 0x80000000  # edge label bit: a list/tuple index
_CHUNK = 16384  # objects per node section
_PREVIEW = 40  # characters of a string preview, and of a dict key used as a label
_LABEL_LIMIT = 1 << 20  # distinct labels at most; further dict keys are left unlabelled

_u8 = struct.Struct("<B").pack
_u32 = struct.Struct("<I").pack
_u64 = struct.Struct("<Q").pack
_sec = struct.Struct("<BI").pack


def _rss():
    """Resident set size in bytes from /proc/self/status (0 where there is none)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _s(text):
    b = text.encode("utf-8", "backslashreplace")
    return _u32(len(b)) + b


def _short(text):
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "\u2026"


class _Writer:
    """Sections: tag (1 byte), payload length (u32), payload; buffered by the file object."""

    __slots__ = ("f",)

    def __init__(self, f):
        self.f = f

    def section(self, tag, payload):
        self.f.write(_sec(tag, len(payload)))
        self.f.write(payload)


def _type_name(t):
    mod = getattr(t, "__module__", None)
    qual = getattr(t, "__qualname__", None) or getattr(t, "__name__", "?")
    if not isinstance(mod, str) or mod == "builtins":
        return str(qual)
    return "%s.%s" % (mod, qual)


def _preview(o, t):
    try:
        if t is str:
            return _short(o)
        if t is int or t is float or t is bool or t is complex:
            return _short(repr(o))
        if t is bytes or t is bytearray:
            return _short(repr(bytes(o[:_PREVIEW])))
        if t is type:
            return _type_name(o)
        name = getattr(t, "__name__", "")
        if name == "module":
            return str(o.__name__)
        if name in ("function", "builtin_function_or_method", "method", "code"):
            q = getattr(o, "__qualname__", None) or getattr(o, "co_name", None)
            return str(q) if q else None
    except Exception:  # a preview is optional: never fail the dump for one
        return None
    return None


def _thread_names():
    th = sys.modules.get("threading")
    names = {}
    if th is not None:
        try:
            for t in th.enumerate():
                names[t.ident] = t.name
        except Exception:
            pass
    return names


class _Snapshot:
    __slots__ = (
        "array", "w", "types", "new_types", "labels", "new_labels", "frames", "new_frames",
        "tracebacks", "new_tracebacks", "nodes", "edges", "roots", "peak_rss",
    )

    def __init__(self, w):
        from array import array

        self.array = array
        self.w = w
        self.types = {}  # type object -> index
        self.new_types = []
        self.labels = {}  # label text -> index (from 1)
        self.new_labels = []
        self.frames = {}  # (file, line) -> index
        self.new_frames = []
        self.tracebacks = {}  # tracemalloc.Traceback -> index
        self.new_tracebacks = []
        self.nodes = 0
        self.edges = 0
        self.roots = 0
        self.peak_rss = 0

    def label(self, text):
        i = self.labels.get(text)
        if i is None:
            if len(self.labels) >= _LABEL_LIMIT:
                return 0
            i = len(self.labels) + 1
            self.labels[text] = i
            self.new_labels.append(text)
        return i

    def type_index(self, t):
        i = len(self.types)
        self.types[t] = i
        try:
            flags = (1 if issubclass(t, type) else 0) | (2 if getattr(t, "__del__", None) is not None else 0)
        except Exception:
            flags = 0
        self.new_types.append((_type_name(t), flags))
        return i

    def flush_tables(self):
        w = self.w
        if self.new_types:
            first = len(self.types) - len(self.new_types)
            w.section(
                ord("T"),
                _u32(first) + _u32(len(self.new_types)) + b"".join(_s(n) + _u8(fl) for n, fl in self.new_types),
            )
            self.new_types = []
        if self.new_labels:
            first = len(self.labels) - len(self.new_labels) + 1
            w.section(ord("S"), _u32(first) + _u32(len(self.new_labels)) + b"".join(_s(n) for n in self.new_labels))
            self.new_labels = []
        if self.new_frames:
            first = len(self.frames) - len(self.new_frames)
            w.section(
                ord("F"),
                _u32(first) + _u32(len(self.new_frames)) + b"".join(_s(f) + _u32(l) for f, l in self.new_frames),
            )
            self.new_frames = []
        if self.new_tracebacks:
            first = len(self.tracebacks) - len(self.new_tracebacks)
            parts = [_u32(first), _u32(len(self.new_tracebacks))]
            for fr in self.new_tracebacks:
                parts.append(_u32(len(fr)))
                parts.append(self.array("I", fr).tobytes())
            w.section(ord("K"), b"".join(parts))
            self.new_tracebacks = []

    def traceback_index(self, tb):
        i = self.tracebacks.get(tb)
        if i is None:
            idx = []
            for fr in tb:  # oldest frame first
                key = (fr.filename, fr.lineno)
                j = self.frames.get(key)
                if j is None:
                    j = len(self.frames)
                    self.frames[key] = j
                    self.new_frames.append(key)
                idx.append(j)
            i = len(self.tracebacks)
            self.tracebacks[tb] = i
            self.new_tracebacks.append(idx)
        return i


def _sys_version():
    v = sys.version_info
    return bytes([v[0], v[1], v[2]])


def _walk(snap, exclude, own_frames):
    """Roots, then every object, in node sections of _CHUNK objects."""
    array = snap.array
    w = snap.w
    is_tracked = gc.is_tracked
    get_referents = gc.get_referents
    getsizeof = sys.getsizeof
    label = snap.label
    types = snap.types
    type_index = snap.type_index

    seen = set()  # ids of untracked objects already queued (tracked ones come from get_objects)
    exclude.add(id(seen))
    queue = []  # untracked objects reached as referents or roots, still to write
    exclude.add(id(queue))

    def reach(o):
        if not is_tracked(o):
            i = id(o)
            if i not in seen and i not in exclude:
                seen.add(i)
                queue.append(o)

    # --- roots ------------------------------------------------------------------------------
    roots = []  # (id, kind, label)
    exclude.add(id(roots))
    for mname, mod in list(sys.modules.items()):
        if mod is None or id(mod) in exclude:
            continue
        roots.append((id(mod), ROOT_MODULE, label(str(mname))))
        reach(mod)
        try:
            d = mod.__dict__
        except Exception:
            continue
        if id(d) in exclude:
            continue
        for var, val in list(d.items()):
            if id(val) in exclude:
                continue
            roots.append((id(val), ROOT_GLOBAL, label("%s \u00b7 %s" % (mname, var))))
            reach(val)
    # The closure's tuple goes with its cells: a tuple written whose cells are left out would
    # leave references to objects that are not in the snapshot.
    exclude.add(id(reach.__closure__))
    for c in reach.__closure__ or ():
        exclude.add(id(c))
    exclude.add(id(reach))
    exclude.add(id(own_frames))
    tnames = _thread_names()
    for tid, frame in sorted(sys._current_frames().items()):
        tname = tnames.get(tid, str(tid))
        f = frame
        while f is not None:
            if f.f_code in own_frames:
                f = f.f_back
                continue
            where = "thread %s \u00b7 %s (%s:%d)" % (tname, f.f_code.co_name, f.f_code.co_filename, f.f_lineno)
            roots.append((id(f), ROOT_FRAME, label(where)))
            reach(f)
            if f.f_locals is not f.f_globals:
                for var, val in list(f.f_locals.items()):
                    roots.append((id(val), ROOT_LOCAL, label("%s \u00b7 %s" % (where, var))))
                    reach(val)
            f = f.f_back
        del frame
    del tnames
    roots.append((id(gc.garbage), ROOT_GARBAGE, label("gc.garbage")))
    snap.flush_tables()
    parts = [_u32(len(roots))]
    for rid, kind, lab in roots:
        parts.append(struct.pack("<QBI", rid, kind, lab))
    w.section(ord("R"), b"".join(parts))
    snap.roots = len(roots)
    del roots[:]

    # --- objects ----------------------------------------------------------------------------
    objs = gc.get_objects()
    exclude.add(id(objs))
    functools = sys.modules.get("functools")
    lru_type = getattr(functools, "_lru_cache_wrapper", None)
    tm = sys.modules.get("tracemalloc")
    traceback_of = tm.get_object_traceback if tm is not None and tm.is_tracing() else None
    module_type = type(sys)
    tuple_t, list_t, dict_t = tuple, list, dict
    frame_type = type(sys._getframe())
    dict_types = {}

    def has_dict(t):
        v = dict_types.get(t)
        if v is None:
            v = dict_types[t] = t is module_type or (t is not type and bool(getattr(t, "__dictoffset__", 0)))
        return v

    preview_types = {str, int, float, bool, complex, bytes, bytearray, type, module_type}
    preview_types.update(type(x) for x in (len, _rss, _rss.__code__, snap.label))
    for aux in (dict_types, preview_types, has_dict):
        exclude.add(id(aux))
    lab_dict = label("__dict__")
    lab_cache = label("cache")
    lab_wrapped = label("__wrapped__")
    lru = []  # (wrapper id, maxsize or -1, currsize, hits, misses, cache dict id)

    def chunks():
        n = len(objs)
        for start in range(0, n, _CHUNK):
            yield objs[start : start + _CHUNK]
        while queue:
            batch = queue[:_CHUNK]
            del queue[:_CHUNK]
            yield batch

    for batch in chunks():
        ids = array("Q")
        tys = array("I")
        sizes = array("Q")
        nedges = array("I")
        targets = array("Q")
        labels = array("I")
        previews = []
        sites = []
        for o in batch:
            oid = id(o)
            if oid in exclude:
                continue
            t = type(o)
            if t is frame_type and o.f_code in own_frames:
                continue
            ti = types.get(t)
            if ti is None:
                ti = type_index(t)
            try:
                size = getsizeof(o)
            except Exception:
                size = 0
            ids.append(oid)
            tys.append(ti)
            sizes.append(size)
            if t is dict_t:
                n = 0
                for k, v in list(o.items()):
                    if id(v) in exclude:
                        continue
                    targets.append(id(k))
                    labels.append(0)
                    targets.append(id(v))
                    labels.append(label(_short(k)) if type(k) is str else 0)
                    n += 2
                    if not is_tracked(k):
                        reach(k)
                    if not is_tracked(v):
                        reach(v)
                nedges.append(n)
            else:
                refs = get_referents(o)
                if t is list_t or t is tuple_t:
                    targets.extend(map(id, refs))
                    labels.extend(range(_INDEX, _INDEX + len(refs)))
                    nedges.append(len(refs))
                else:
                    kept = [r for r in refs if id(r) not in exclude]
                    targets.extend(map(id, kept))
                    nedges.append(len(kept))
                    if t is lru_type:
                        info = o.cache_info()
                        wdict = getattr(o, "__dict__", None)
                        wrapped = getattr(o, "__wrapped__", None)
                        cache = None
                        for r in kept:
                            if cache is None and type(r) is dict_t and r is not wdict and len(r) == info.currsize:
                                cache = r
                                labels.append(lab_cache)
                            elif r is wdict:
                                labels.append(lab_dict)
                            elif r is wrapped:
                                labels.append(lab_wrapped)
                            else:
                                labels.append(0)
                        lru.append(
                            (
                                oid,
                                -1 if info.maxsize is None else info.maxsize,
                                info.currsize,
                                info.hits,
                                info.misses,
                                id(cache) if cache is not None and info.maxsize != 0 else 0,
                            )
                        )
                    elif has_dict(t) and dict_t in map(type, kept):
                        # Its __dict__ is a referent (it exists already: nothing is created).
                        try:
                            d = object.__getattribute__(o, "__dict__")
                        except Exception:
                            d = None
                        labels.extend([lab_dict if r is d else 0 for r in kept])
                    else:
                        labels.extend([0] * len(kept))
                    refs = kept
                for r in refs:
                    if not is_tracked(r):
                        reach(r)
            if t in preview_types:
                p = _preview(o, t)
                if p is not None:
                    previews.append((oid, p))
            if traceback_of is not None:
                tb = traceback_of(o)
                if tb is not None:
                    sites.append((oid, snap.traceback_index(tb)))
        if not ids:
            continue
        snap.flush_tables()
        n = len(ids)
        w.section(
            ord("N"),
            b"".join(
                (
                    _u32(n),
                    ids.tobytes(),
                    tys.tobytes(),
                    sizes.tobytes(),
                    nedges.tobytes(),
                    _u32(len(targets)),
                    targets.tobytes(),
                    labels.tobytes(),
                )
            ),
        )
        snap.nodes += n
        snap.edges += len(targets)
        if previews:
            w.section(ord("V"), _u32(len(previews)) + b"".join(_u64(i) + _s(p) for i, p in previews))
        if sites:
            w.section(ord("A"), _u32(len(sites)) + b"".join(struct.pack("<QI", i, k) for i, k in sites))
        snap.peak_rss = max(snap.peak_rss, _rss())
    del objs
    if lru:
        w.section(ord("C"), _u32(len(lru)) + b"".join(struct.pack("<QqQQQQ", *row) for row in lru))


def _own_code():
    g = globals()
    codes = set()
    for v in list(g.values()):
        c = getattr(v, "__code__", None)
        if c is not None:
            codes.add(c)
            for k in c.co_consts:
                if hasattr(k, "co_code"):
                    codes.add(k)
        if isinstance(v, type):
            for m in vars(v).values():
                c = getattr(m, "__code__", None)
                if c is not None:
                    codes.add(c)
    return codes


def dump(path):
    """Write a heap snapshot of this process to `path` (through a temporary name in the same
    directory, renamed into place once complete). Returns the path."""
    path = os.fspath(path)
    rss0 = _rss()
    t0 = time.time()
    c0 = time.perf_counter()
    was_enabled = gc.isenabled()
    gc.disable()  # no collection may run (and free or move what we list) while we walk
    old_switch = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)  # other threads run only when we wait on the file
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb", buffering=1 << 20) as f:
            w = _Writer(f)
            f.write(MAGIC + struct.pack("<HH", FORMAT_VERSION, 0))
            tm = sys.modules.get("tracemalloc")
            tracing = 1 if (tm is not None and tm.is_tracing()) else 0
            w.section(
                ord("H"),
                struct.pack("<dQQB", t0, os.getpid(), rss0, tracing)
                + _sys_version()
                + _s(sys.version)
                + _s(sys.implementation.name),
            )
            snap = _Snapshot(w)
            exclude = {id(snap), id(w), id(f), id(snap.types), id(snap.labels), id(snap.frames), id(snap.tracebacks)}
            exclude.add(id(exclude))
            for aux in (snap.new_types, snap.new_labels, snap.new_frames, snap.new_tracebacks):
                exclude.add(id(aux))
            _walk(snap, exclude, _own_code())
            secs = time.perf_counter() - c0
            peak = max(snap.peak_rss, _rss())
            w.section(
                ord("E"),
                struct.pack(
                    "<QQQdQQQ",
                    snap.nodes,
                    snap.edges,
                    snap.roots,
                    secs,
                    len(exclude),
                    max(0, peak - rss0) if rss0 else 0,
                    len(snap.types),
                ),
            )
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        sys.setswitchinterval(old_switch)
        if was_enabled:
            gc.enable()
    return path


def install_signal_handler(signum, directory):
    """On signal `signum`, write `directory/heapscope-<pid>-<UTC time>.pysnap` (atomically).
    Returns the previous handler."""
    import signal

    directory = os.fspath(directory)

    def handler(_signum, _frame):
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        base = os.path.join(directory, "heapscope-%d-%s" % (os.getpid(), stamp))
        name, n = base + ".pysnap", 1
        while os.path.exists(name):
            name, n = "%s-%d.pysnap" % (base, n), n + 1
        dump(name)

    return signal.signal(signum, handler)
