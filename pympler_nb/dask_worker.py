"""What :mod:`pympler_nb.distributed` runs on a Dask cluster's workers (and scheduler).

These are the only functions the client sends (``Client.run`` / ``run_on_scheduler``
pickle them by reference: the worker imports this module). Each one calls the public
core API in the worker's process and returns plain, bounded data: tuples of type names
and numbers, clipped reprs, never a reference to a worker's object. ``distributed`` is
not imported here: the worker passes itself as ``dask_worker`` (the scheduler as
``dask_scheduler``) and only its public attributes are read.

State that must outlive one call (a ``memdiff`` baseline, a Class Tracker) is kept in
this module, by worker address, until the call that ends it; what it holds is
registered with :func:`pympler_nb.core.session.register_own` so that no summary of the
worker counts it.
"""

from __future__ import annotations

import gc
import importlib
import threading
from typing import Any

from .core import muppy, summary
from .core.format import clip_text
from .core.process import ProcessMemoryInfo
from .core.session import register_own
from .core.tracker import SummaryTracker
from .core.values import check_int

__all__ = ["bounded_rows", "heap_rows", "memdiff_start", "memdiff_stop", "memdiff_discard",
           "whyalive_rows", "track_class_rows", "track_class_stop", "worker_memory", "unmanaged_split"]

#: the name of the "other" row that sums what ``top`` leaves out
OTHER = "other"

_LOCK = threading.Lock()
_STATE: dict[tuple, Any] = {}  # (kind, address[, token]) -> a tracker (and numbers)


def _own() -> list:
    with _LOCK:
        return [_STATE, *_STATE.values()]


register_own(_own)


def _address(dask_worker: Any, dask_scheduler: Any) -> str:
    who = dask_worker if dask_worker is not None else dask_scheduler
    return str(getattr(who, "address", None) or "local")


def _rss() -> int:
    return int(ProcessMemoryInfo().rss)


def _managed(dask_worker: Any) -> int | None:
    """Bytes of task results the worker holds in memory (Dask's "managed" memory)."""
    state = getattr(dask_worker, "state", None)
    nbytes = getattr(state, "nbytes", None)
    return int(nbytes) if isinstance(nbytes, int) else None


def _limit(dask_worker: Any) -> int | None:
    limit = getattr(getattr(dask_worker, "memory_manager", None), "memory_limit", None)
    return int(limit) if isinstance(limit, (int, float)) and limit else None


def bounded_rows(rows: list, top: int) -> list[tuple[str, int, int]]:
    """``(type, count, size)`` rows: the ``top`` largest by absolute size, then one
    ``"other"`` row that sums the rest (left out when nothing is left).

    >>> bounded_rows([["a", 1, 10], ["b", 2, -30], ["c", 5, 1]], 1)
    [('b', 2, -30), ('other', 6, 11)]
    """
    check_int(top, "top", 1)
    ordered = sorted(((str(r[0]), int(r[1]), int(r[2])) for r in rows),
                     key=lambda r: (-abs(r[2]), -abs(r[1]), r[0]))
    head, rest = ordered[:top], ordered[top:]
    if rest:
        head.append((OTHER, sum(r[1] for r in rest), sum(r[2] for r in rest)))
    return head


def heap_rows(top: int, dask_worker: Any = None, dask_scheduler: Any = None) -> dict:
    """Live objects by type on this process: the ``top`` types by size and ``"other"``."""
    gc.collect()
    objs = muppy.get_objects()
    try:
        rows = summary.summarize(objs)
    finally:
        objs.clear()
        del objs
    return {"rows": bounded_rows(rows, top), "objects": sum(int(r[1]) for r in rows),
            "size": sum(int(r[2]) for r in rows), "rss": _rss(), "managed": _managed(dask_worker)}


def memdiff_start(token: str, dask_worker: Any = None, dask_scheduler: Any = None) -> dict:
    """Take this process's baseline for ``memdiff`` block ``token``."""
    gc.collect()
    tracker = SummaryTracker()
    rss = _rss()
    managed = _managed(dask_worker)
    with _LOCK:
        _STATE["memdiff", _address(dask_worker, dask_scheduler), token] = (tracker, rss, managed)
    return {"rss": rss, "managed": managed}


def memdiff_stop(token: str, top: int, dask_worker: Any = None, dask_scheduler: Any = None) -> dict:
    """The heap diff, RSS and managed bytes since :func:`memdiff_start` (which is forgotten)."""
    with _LOCK:
        state = _STATE.pop(("memdiff", _address(dask_worker, dask_scheduler), token), None)
    if state is None:
        raise RuntimeError("no memdiff baseline on this worker: it joined the cluster or restarted "
                           "after the block began")
    tracker, rss0, managed0 = state
    del state
    gc.collect()
    rows = tracker.diff()
    del tracker
    return {"rows": bounded_rows(rows, top), "rss_before": rss0, "rss_after": _rss(),
            "managed_before": managed0, "managed_after": _managed(dask_worker),
            "count": sum(int(r[1]) for r in rows), "size": sum(int(r[2]) for r in rows)}


def memdiff_discard(token: str, dask_worker: Any = None, dask_scheduler: Any = None) -> bool:
    """Forget the baseline of block ``token`` (a block whose end timed out)."""
    with _LOCK:
        return _STATE.pop(("memdiff", _address(dask_worker, dask_scheduler), token), None) is not None


def _data_dict(dask_worker: Any) -> Any:
    """The mapping that really holds the worker's in-memory results (a SpillBuffer's
    fast dict), or the worker's ``data`` itself."""
    data = getattr(dask_worker, "data", None)
    fast = getattr(data, "fast", None)
    if fast is not None:
        data = getattr(fast, "d", fast)
    return data


def _named_roots(dask_worker: Any) -> dict:
    roots: dict[str, Any] = {}
    if dask_worker is None:
        return roots
    data = _data_dict(dask_worker)
    if data is not None:
        roots["dask_worker.data"] = data
    tasks = getattr(getattr(dask_worker, "state", None), "tasks", None)
    if isinstance(tasks, dict):
        roots["dask_worker.state.tasks"] = tasks
    return roots


def _type_matches(t: type, wanted: str) -> bool:
    qual = getattr(t, "__qualname__", t.__name__)
    return wanted in (qual, t.__name__, f"{getattr(t, '__module__', '')}.{qual}")


def whyalive_rows(type_name: str | None, key: Any, limit: int, max_chains: int,
                  dask_worker: Any = None, dask_scheduler: Any = None) -> dict:
    """Holder chains of up to ``limit`` objects of type ``type_name`` (``"module.Class"``
    or ``"Class"``), or of the value of Dask key ``key`` in this worker's memory, with the
    worker's data buffer and task states as named roots (module globals and running
    functions' locals are roots as always)."""
    from .core.whyalive import why_alive

    roots = _named_roots(dask_worker)
    found: list = []
    seen = 0
    if key is not None:
        data = roots.get("dask_worker.data")
        if data is not None and key in data:
            found.append(data[key])
            seen = 1
    else:
        objs = muppy.get_objects()
        try:
            for o in objs:
                if _type_matches(type(o), type_name):
                    seen += 1
                    if len(found) < limit:
                        found.append(o)
        finally:
            objs.clear()
            del objs
    rows = []
    try:
        while found:
            obj = found.pop(0)
            r = why_alive(obj, max_chains=max_chains, releasable=False, ignore=(found,), named_roots=roots)
            del obj
            what = f"{r.target_type} at {r.target_id:#x}: {clip_text(r.target_repr, 80)}"
            if not r.chains:
                rows.append((what, r.target_type, r.target_size, "", "", "no chain from a root found", ""))
            for c in r.chains:
                action = c.action.text
                if c.root == "dask_worker.data":
                    action = "release the key on the client (del its Future, client.cancel) or persist less"
                elif c.root == "dask_worker.state.tasks":
                    action = "the task's inputs or outputs: release the futures that depend on it"
                rows.append((what, r.target_type, r.target_size, c.root_kind, c.root, c.path, action))
            del r
    finally:
        found.clear()
        roots.clear()
    return {"rows": rows, "matched": seen}


def _import_class(name: str) -> type:
    module, _, qual = name.rpartition(".")
    if not module:
        raise ValueError(f"track_class needs 'module.Class', got {name!r}")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TypeError(f"{name} is a {type(obj).__name__}, not a class")
    return obj


def track_class_rows(name: str, description: str, dask_worker: Any = None,
                     dask_scheduler: Any = None) -> dict:
    """Track class ``name`` on this worker (the first call starts a Class Tracker), take a
    snapshot, and return the tracker's stats as columns (``frames_classtracker``)."""
    from .core.classtracker import ClassTracker
    from .frames_classtracker import classtracker_frame

    cls = _import_class(name)
    where = ("classtracker", _address(dask_worker, dask_scheduler))
    with _LOCK:
        tracker = _STATE.get(where)
        if tracker is None:
            tracker = _STATE[where] = ClassTracker()
    tracker.track_class(cls, name=name)
    del cls
    tracker.create_snapshot(description)
    frame = classtracker_frame(tracker)
    return {"columns": frame.to_dict("list"), "totals": dict(frame.attrs.get("totals", {}))}


def track_class_stop(dask_worker: Any = None, dask_scheduler: Any = None) -> bool:
    """Close this worker's Class Tracker (untracks every class)."""
    with _LOCK:
        tracker = _STATE.pop(("classtracker", _address(dask_worker, dask_scheduler)), None)
    if tracker is None:
        return False
    tracker.close()
    return True


def worker_memory(dask_worker: Any = None, dask_scheduler: Any = None) -> dict:
    """RSS, memory limit and Dask-managed bytes of this worker."""
    return {"rss": _rss(), "limit": _limit(dask_worker), "managed": _managed(dask_worker)}


def unmanaged_split(top: int, trim: bool, dask_worker: Any = None, dask_scheduler: Any = None) -> dict:
    """This worker's RSS split (:func:`pympler_nb.core.reclaim.rss_split`) with Dask's
    managed bytes taken out of the live objects; ``trim`` first runs
    :func:`~pympler_nb.core.reclaim.trim` (``gc.collect()`` and ``malloc_trim(0)``) and
    reports what it returned to the operating system."""
    from .core import reclaim

    trimmed = reclaim.trim() if trim else None
    split = reclaim.rss_split(top=top)
    objects = split.python_live + split.native_held
    managed = _managed(dask_worker)
    in_objects = min(managed or 0, objects)  # Dask's sizeof estimates: never more than what lives
    return {
        "rss": split.rss, "managed": in_objects, "managed_reported": managed,
        "other_objects": objects - in_objects, "native_held": split.native_held,
        "allocator_free": split.allocator_free, "allocator_overhead": split.allocator_overhead,
        "tracemalloc": split.traced_other + split.tracemalloc_overhead,
        "mapped_files": split.mapped_files, "native": split.native_unaccounted, "overcount": split.overcount,
        "trim_returned": None if trimmed is None else trimmed.returned,
        "trim_message": "" if trimmed is None else trimmed.message,
        "by_type": [(r.name, r.count, r.size) for r in split.python_by_type],
        "native_by_type": [(r.name, r.count, r.size) for r in split.native_by_type],
        "notes": list(split.notes), "limit": _limit(dask_worker),
    }
