"""The same views on a Dask cluster's workers: heap summaries, heap diffs, the
unmanaged-memory split, holder chains and Class Tracker snapshots, per worker.

Needs ``distributed`` (``pip install "pympler_nb[dask]"``), imported only when one of
these functions is called. Each function sends only pympler_nb's own functions
(:mod:`pympler_nb.dask_worker`) through Dask's own mechanisms (``Client.run`` on
every worker, ``Client.run_on_scheduler`` with ``scheduler=True``), one call per
worker at once, and brings back one bounded table with a ``worker`` column: at most
``top`` rows per worker (plus an ``"other"`` row), numbers and clipped text only, never
a reference to a worker's object.

A worker that fails, leaves, or does not answer within ``timeout`` seconds gives one
row with its ``error`` (the other columns empty); the call never waits longer than
``timeout`` for it. Every table has an ``error`` column (``""`` on good rows).

Columns
-------
:func:`heap_summary` (``HEAP_SUMMARY_COLUMNS``): ``worker``, ``type``, ``count``,
``size`` (bytes, flat), ``error``; per worker its ``top`` types by size, then ``other``.

:func:`memdiff` (``MEMDIFF_COLUMNS``): ``worker``, ``type``, ``count_diff``,
``size_diff``, ``error``; and per worker (``MEMDIFF_WORKER_COLUMNS``): ``worker``,
``rss_before``, ``rss_after``, ``rss_diff``, ``managed_before``, ``managed_after``,
``managed_diff`` (Dask's managed bytes: task results in memory), ``heap_count``,
``heap_size`` (the heap diff's totals), ``error``.

:func:`whyalive` (``WHYALIVE_COLUMNS``): ``worker``, ``object``, ``type``, ``size``,
``root_kind``, ``root``, ``path``, ``action``, ``error``.

:func:`unmanaged` (``UNMANAGED_COLUMNS``): ``worker``, ``rss``, ``limit``, the parts
``managed``, ``other_objects``, ``allocator_free``, ``allocator_overhead``,
``tracemalloc``, ``mapped_files``, ``native`` (they add up to ``rss + overcount``), ``overcount``,
``unmanaged`` (``rss - managed``), ``trim_returned``, ``error``.

:func:`track_class`: ``worker`` and the columns of
:func:`pympler_nb.frames_classtracker.classtracker_frame`.

:func:`workers_frame` (``WORKERS_COLUMNS``): ``worker``, ``rss``, ``limit``,
``managed``, ``unmanaged``, ``error``.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import threading
import uuid
from typing import Any

import pandas as pd

from . import dask_worker as dw
from ._frame_text import text_series
from .core.values import check_int

__all__ = ["HEAP_SUMMARY_COLUMNS", "MEMDIFF_COLUMNS", "MEMDIFF_WORKER_COLUMNS", "WHYALIVE_COLUMNS",
           "WORKERS_COLUMNS", "UNMANAGED_COLUMNS", "UNMANAGED_PARTS", "BY_TYPE_COLUMNS",
           "MemDiff", "unmanaged", "heap_summary", "memdiff", "whyalive", "track_class",
           "stop_tracking", "workers_frame", "check_client", "check_timeout"]

HEAP_SUMMARY_COLUMNS = ("worker", "type", "count", "size", "error")
MEMDIFF_COLUMNS = ("worker", "type", "count_diff", "size_diff", "error")
MEMDIFF_WORKER_COLUMNS = ("worker", "rss_before", "rss_after", "rss_diff", "managed_before", "managed_after",
                          "managed_diff", "heap_count", "heap_size", "error")
WHYALIVE_COLUMNS = ("worker", "object", "type", "size", "root_kind", "root", "path", "action", "error")
UNMANAGED_PARTS = ("managed", "other_objects", "allocator_free", "allocator_overhead", "tracemalloc", "mapped_files",
                   "native")
UNMANAGED_COLUMNS = ("worker", "rss", "limit", *UNMANAGED_PARTS, "overcount", "unmanaged", "trim_returned", "error")
BY_TYPE_COLUMNS = ("worker", "type", "count", "size")
WORKERS_COLUMNS = ("worker", "rss", "limit", "managed", "unmanaged", "error")

#: seconds a call waits for each worker by default
DEFAULT_TIMEOUT = 60.0
SCHEDULER = "scheduler"


class _Failed:
    """A worker's error (text only)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def check_client(client: Any, name: str = "client") -> Any:
    """``client`` if it is a ``distributed.Client``, else a ``TypeError`` saying how to
    make one (an ``ImportError`` naming the extra when ``distributed`` is missing)."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("pympler_nb.distributed needs Dask's distributed scheduler: "
                          'pip install "pympler_nb[dask]"') from None
    if not isinstance(client, Client):
        raise TypeError(f"{name} must be a distributed.Client, got {type(client).__name__}: "
                        "connect one with distributed.Client(cluster) or Client('tcp://host:8786')")
    if getattr(client, "asynchronous", False):
        raise TypeError(f"{name} is an asynchronous Client (asynchronous=True): pympler_nb.distributed "
                        "waits for the workers' answers; pass a synchronous Client")
    if getattr(client, "status", "running") not in ("running", "connecting", "newly-created"):
        raise ValueError(f"{name} is {client.status}: connect it again (Client(cluster)) before asking its workers")
    return client


def check_timeout(timeout: Any) -> float:
    """``timeout`` as a float if it is a finite number of seconds > 0, else a ``ValueError``."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0 \
            or math.isinf(timeout):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    return float(timeout)


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def _run(client: Any, fn: Any, *args: Any, timeout: float, scheduler: bool = False) -> dict[str, Any]:
    """``fn(*args)`` on every worker (and the scheduler): ``{address: result or _Failed}``,
    one ``Client.run`` per worker in parallel; never waits more than ``timeout`` seconds."""
    timeout = check_timeout(timeout)
    addresses = sorted(client.nthreads())
    pool = cf.ThreadPoolExecutor(max_workers=len(addresses) + 1, thread_name_prefix="pympler_nb-dask")
    try:
        futures = {pool.submit(client.run, fn, *args, workers=[a], on_error="return"): a for a in addresses}
        if scheduler:
            futures[pool.submit(client.run_on_scheduler, fn, *args)] = SCHEDULER
        done, _ = cf.wait(futures, timeout=timeout)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    out: dict[str, Any] = {}
    for fut, address in futures.items():
        if fut not in done:
            out[address] = _Failed(f"no answer within timeout={timeout:g} s (the worker is busy, "
                                   "paused or gone; raise timeout= to wait longer)")
            continue
        try:
            value = fut.result()
        except Exception as exc:  # noqa: BLE001 - one worker's failure is its row
            out[address] = _Failed(_error_text(exc))
            continue
        if address != SCHEDULER:
            if not isinstance(value, dict) or address not in value:
                out[address] = _Failed("the worker left the cluster during the call")
                continue
            value = value[address]
        out[address] = _Failed(_error_text(value)) if isinstance(value, BaseException) else value
    return out


def _in_background(client: Any, fn: Any, *args: Any, address: str) -> None:
    """``fn(*args)`` on worker ``address``, not waited for (a daemon thread)."""
    def call():
        try:
            client.run(fn, *args, workers=[address], on_error="ignore")
        except Exception:  # noqa: BLE001 - best effort: the worker may be gone
            pass

    threading.Thread(target=call, name="pympler_nb-dask-cleanup", daemon=True).start()


def _frame(rows: list[tuple], columns: tuple[str, ...], dtypes: dict[str, str]) -> pd.DataFrame:
    cols = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    return pd.DataFrame({c: text_series(v, dtype="string") if dtypes[c] == "string"
                         else pd.Series(v, dtype=dtypes[c]) for c, v in cols.items()})


_INT = "Int64"  # nullable: an error row has no numbers


def heap_summary(client: Any, top: int = 10, *, scheduler: bool = False,
                 timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """Live Python objects by type on every worker: each worker's ``top`` types by flat
    size and one ``"other"`` row (columns ``HEAP_SUMMARY_COLUMNS``).

    ``attrs``: ``objects`` and ``size`` (every object counted) and ``rss`` and ``managed``
    per worker. ``scheduler=True`` adds the scheduler's process as worker ``"scheduler"``.
    """
    check_client(client)
    check_int(top, "top", 1)
    results = _run(client, dw.heap_rows, top, timeout=timeout, scheduler=scheduler)
    rows, attrs = [], {"objects": {}, "size": {}, "rss": {}, "managed": {}}
    for address, res in results.items():
        if isinstance(res, _Failed):
            rows.append((address, None, None, None, res.text))
            continue
        rows.extend((address, t, c, s, "") for t, c, s in res["rows"])
        for k in attrs:
            attrs[k][address] = res[k]
    df = _frame(rows, HEAP_SUMMARY_COLUMNS, {"worker": "string", "type": "string", "count": _INT,
                                             "size": _INT, "error": "string"})
    df.attrs.update(attrs, top=top)
    return df


class MemDiff:
    """The per-worker heap diff around a block (see :func:`memdiff`).

    Attributes (set when the block ends)
    ----------
    frame : DataFrame
        ``MEMDIFF_COLUMNS``: each worker's ``top`` changed types and ``"other"``.
    workers : DataFrame
        ``MEMDIFF_WORKER_COLUMNS``: each worker's RSS and Dask-managed bytes before and
        after, and the heap diff's totals.
    """

    def __init__(self, client: Any, top: int = 10, *, scheduler: bool = False,
                 timeout: float = DEFAULT_TIMEOUT):
        self.client = check_client(client)
        self.top = check_int(top, "top", 1)
        self.timeout = check_timeout(timeout)
        self.scheduler = bool(scheduler)
        self.frame: pd.DataFrame | None = None
        self.workers: pd.DataFrame | None = None
        self._token: str | None = None
        self._start_errors: dict[str, str] = {}

    def __repr__(self) -> str:
        state = "done" if self.frame is not None else ("running" if self._token else "not started")
        return f"<MemDiff top={self.top} timeout={self.timeout:g} {state}>"

    def __enter__(self) -> MemDiff:
        if self._token is not None:
            raise RuntimeError("this memdiff block is already running; use a new memdiff(client)")
        self._token = uuid.uuid4().hex
        started = _run(self.client, dw.memdiff_start, self._token, timeout=self.timeout,
                       scheduler=self.scheduler)
        self._start_errors = {a: r.text for a, r in started.items() if isinstance(r, _Failed)}
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        token, self._token = self._token, None
        ended = _run(self.client, dw.memdiff_stop, token, self.top, timeout=self.timeout,
                     scheduler=self.scheduler)
        rows, per = [], []
        for address, res in ended.items():
            if address in self._start_errors:
                res = _Failed(f"at the start of the block: {self._start_errors[address]}")
            if isinstance(res, _Failed):
                rows.append((address, None, None, None, res.text))
                per.append((address,) + (None,) * 8 + (res.text,))
                if "no answer" in res.text:  # its baseline would stay: drop it when it answers
                    _in_background(self.client, dw.memdiff_discard, token, address=address)
                continue
            rows.extend((address, t, c, s, "") for t, c, s in res["rows"])
            rss0, rss1, m0, m1 = res["rss_before"], res["rss_after"], res["managed_before"], res["managed_after"]
            per.append((address, rss0, rss1, rss1 - rss0, m0, m1,
                        None if m0 is None or m1 is None else m1 - m0, res["count"], res["size"], ""))
        self.frame = _frame(rows, MEMDIFF_COLUMNS, {"worker": "string", "type": "string", "count_diff": _INT,
                                                    "size_diff": _INT, "error": "string"})
        self.workers = _frame(per, MEMDIFF_WORKER_COLUMNS,
                              {c: "string" if c in ("worker", "error") else _INT for c in MEMDIFF_WORKER_COLUMNS})
        self.frame.attrs["workers"] = self.workers.to_dict("list")
        return False


def memdiff(client: Any, top: int = 10, *, scheduler: bool = False,
            timeout: float = DEFAULT_TIMEOUT) -> MemDiff:
    """A context manager: the heap diff on every worker around the block, with each
    worker's RSS change and Dask's managed bytes for comparison.

    >>> with memdiff(client) as md:          # doctest: +SKIP
    ...     x = client.persist(big)
    >>> md.frame, md.workers                  # doctest: +SKIP

    A worker that joins during the block, restarts, or times out gets an error row.
    Workers run tasks while the block runs: the diff is everything that changed in
    each worker's process, the block's tasks' results and leftovers included.
    """
    return MemDiff(client, top, scheduler=scheduler, timeout=timeout)


def unmanaged(client: Any, top: int = 10, *, trim: bool = False, scheduler: bool = False,
              timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """Each worker's RSS split, as ``%reclaim`` splits it locally
    (:func:`pympler_nb.core.reclaim.rss_split`), with Dask's share taken out: Dask-managed
    data (task results in memory, as Dask sizes them), other live Python objects (and the
    native buffers they hold), allocator free memory and overhead, tracemalloc, and native
    memory nothing else accounts for (``UNMANAGED_COLUMNS``; the parts
    ``UNMANAGED_PARTS`` add up to ``rss + overcount``).

    ``trim=True`` first runs ``gc.collect()`` and ``malloc_trim(0)`` on each worker and
    reports the bytes that went back to the operating system (``trim_returned``).
    ``attrs["by_type"]``: the other objects by type per worker (``BY_TYPE_COLUMNS``, top
    ``top`` and ``"other"``), ``attrs["notes"]``: what could not be measured.
    """
    check_client(client)
    check_int(top, "top", 1)
    results = _run(client, dw.unmanaged_split, top, bool(trim), timeout=timeout, scheduler=scheduler)
    rows, by_type, notes = [], [], {}
    for address, res in results.items():
        if isinstance(res, _Failed):
            rows.append((address,) + (None,) * (len(UNMANAGED_COLUMNS) - 2) + (res.text,))
            continue
        rows.append((address, res["rss"], res["limit"], *(res[p] for p in UNMANAGED_PARTS), res["overcount"],
                     res["rss"] - res["managed"], res["trim_returned"], ""))
        by_type.extend((address, t, c, s) for t, c, s in res["by_type"])
        notes[address] = res["notes"] + ([res["trim_message"]] if res["trim_message"] else [])
    df = _frame(rows, UNMANAGED_COLUMNS, {c: "string" if c in ("worker", "error") else _INT
                                          for c in UNMANAGED_COLUMNS})
    df.attrs.update(by_type={c: [r[i] for r in by_type] for i, c in enumerate(BY_TYPE_COLUMNS)},
                    notes=notes, trim=bool(trim))
    return df


def whyalive(client: Any, obj_filter: Any, *, key: Any = None, limit: int = 3, max_chains: int = 5,
             timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """What holds objects on the workers: holder chains in the worker's terms.

    ``obj_filter`` is a class or a type name (``"module.Class"`` or ``"Class"``): up to
    ``limit`` objects of that type are explained on each worker. With ``obj_filter=None``
    and ``key=`` a Dask key (or a Future), the value of that key in the workers' memory.
    Chains end at the worker's data buffer (``dask_worker.data['key']``), its task
    states (``dask_worker.state.tasks``), module globals (``mod.cache[3]``) or a
    running function's locals. Columns ``WHYALIVE_COLUMNS``; ``attrs["matched"]``: objects
    of the type found per worker.
    """
    check_client(client)
    check_int(limit, "limit", 1)
    check_int(max_chains, "max_chains", 1)
    type_name = None
    if obj_filter is None:
        if key is None:
            raise ValueError("whyalive needs a type (a class or 'module.Class') or key= a Dask key or Future")
        key = getattr(key, "key", key)
    elif isinstance(obj_filter, type):
        type_name = f"{obj_filter.__module__}.{obj_filter.__qualname__}"
    elif isinstance(obj_filter, str) and obj_filter.strip():
        type_name = obj_filter.strip()
    else:
        raise TypeError(f"obj_filter must be a class or a type name such as 'module.Class', "
                        f"got {type(obj_filter).__name__}")
    results = _run(client, dw.whyalive_rows, type_name, key, limit, max_chains, timeout=timeout)
    rows, matched = [], {}
    for address, res in results.items():
        if isinstance(res, _Failed):
            rows.append((address,) + (None,) * 7 + (res.text,))
            continue
        matched[address] = res["matched"]
        rows.extend((address,) + tuple(r) + ("",) for r in res["rows"])
    df = _frame(rows, WHYALIVE_COLUMNS, {c: _INT if c == "size" else "string" for c in WHYALIVE_COLUMNS})
    df.attrs.update(matched=matched, type=type_name, key=None if key is None else str(key))
    return df


def track_class(client: Any, name: str, description: str = "", *,
                timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """Track class ``name`` (``"module.Class"``, importable on the workers) on every worker
    and take a snapshot now; returns every snapshot so far, the columns of
    :func:`~pympler_nb.frames_classtracker.classtracker_frame` with a ``worker`` column
    first (error rows: ``worker`` and ``error``). Call again for the next snapshot;
    :func:`stop_tracking` closes the workers' trackers."""
    check_client(client)
    if not isinstance(name, str) or "." not in name.strip("."):
        raise ValueError(f"track_class needs the class as 'module.Class', got {name!r}")
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    from .frames_classtracker import CLASSTRACKER_COLUMNS

    results = _run(client, dw.track_class_rows, name, description, timeout=timeout)
    parts = []
    for address, res in results.items():
        if isinstance(res, _Failed):
            part = pd.DataFrame({"worker": [address], "error": [res.text]},
                                columns=["worker", *CLASSTRACKER_COLUMNS, "error"])
        else:
            part = pd.DataFrame(res["columns"], columns=list(CLASSTRACKER_COLUMNS))
            part.insert(0, "worker", address)
            part["error"] = ""
        parts.append(part)
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["worker", *CLASSTRACKER_COLUMNS, "error"])
    for c in ("worker", "label", "class", "error"):
        df[c] = text_series(df[c].tolist(), dtype="string")
    for c in ("snapshot", "active", "size"):
        df[c] = df[c].astype(_INT)
    return df


def stop_tracking(client: Any, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Close the Class Trackers :func:`track_class` started: ``{worker: True (closed) /
    False (none) / error text}``."""
    check_client(client)
    res = _run(client, dw.track_class_stop, timeout=timeout)
    return {a: r.text if isinstance(r, _Failed) else r for a, r in res.items()}


def workers_frame(client: Any, *, split: bool = False, timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """One row per worker for a dashboard's Workers tab: ``rss``, memory ``limit``,
    Dask-``managed`` bytes and ``unmanaged`` (``rss - managed``) (``WORKERS_COLUMNS``;
    cheap: no heap walk). ``split=True``: the unmanaged split too, which walks each
    worker's heap (:func:`unmanaged`'s table, ``UNMANAGED_COLUMNS``)."""
    check_client(client)
    if split:
        return unmanaged(client, timeout=timeout)
    rows = []
    for address, res in _run(client, dw.worker_memory, timeout=timeout).items():
        if isinstance(res, _Failed):
            rows.append((address, None, None, None, None, res.text))
            continue
        managed = res["managed"]
        rows.append((address, res["rss"], res["limit"], managed,
                     None if managed is None else res["rss"] - managed, ""))
    return _frame(rows, WORKERS_COLUMNS, {c: "string" if c in ("worker", "error") else _INT
                                          for c in WORKERS_COLUMNS})
