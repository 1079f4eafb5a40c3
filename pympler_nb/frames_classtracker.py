"""ClassTracker statistics as tidy pandas DataFrames (to merge into ``frames.py``).

Every function takes a :class:`~pympler_nb.core.classtracker.ClassTracker` or a
:class:`~pympler_nb.core.classtracker_stats.Stats` (live or loaded from a file) and
returns a new DataFrame of numbers and text only (never the tracked objects), built from
the rows the core copies under the tracker's lock (:meth:`Stats.class_rows`,
:meth:`Stats.object_records`, :meth:`Stats.size_rows`), so a frame is consistent while periodic snapshots run.
Timestamps are seconds since :mod:`pympler_nb.core.classtracker` was imported.

Per snapshot and tracked class (:func:`classtracker_frame`), snapshots in order,
classes sorted by name:

=============  ========  ========================================================
``snapshot``   int64     position of the snapshot (0 = first)
``label``      string    ``Snapshot.label`` (``'desc (1.234s)'`` or ``'1.234s'``)
``timestamp``  float64   when the snapshot was taken (s)
``class``      string    tracked name (``module.Class`` for ``track_class``)
``active``     int64     live instances at the snapshot
``size``       int64     bytes of those instances (shared data counted once)
``average``    float64   ``size / active`` (0 without instances)
``pct``        float64   ``size`` in % of the snapshot's total (the process's size)
=============  ========  ========================================================

Per tracked object (:func:`tracked_objects_frame`), in tracking order per class:

====================  ========  ===============================================
``class``             string    tracked name (the index key)
``name``              string    ``TrackedObject.name``
``type``              string    ``module.qualname`` of its class when last seen
``id``                int64     ``id()`` of the object
``repr``              string    clipped repr at the last snapshot
``birth``             float64   start of tracking (s)
``death``             float64   death (s); NaN while alive
``alive``             bool      no death recorded
``max_size``          int64     largest size sampled (basic size at birth included)
``last_size``         int64     size at the last snapshot (0 if not sampled then)
``samples``           int64     number of snapshots that sized it
``resolution_level``  int64     depth of its per-referent trees
====================  ========  ===============================================

Per snapshot, the process total and its tracked and untracked ("other") shares
(:func:`classtracker_totals_frame`; also ``classtracker_frame(...).attrs["totals"]``, a
dict of these columns' lists):

=================  ========  =====================================================
``snapshot``       int64     position of the snapshot (0 = first)
``label``          string    ``Snapshot.label``
``timestamp``      float64   when the snapshot was taken (s)
``total``          int64     the process total (``Snapshot.total``: virtual size if read)
``tracked``        int64     bytes of all tracked objects
``untracked``      int64     ``total - tracked``: the rest of the process
``untracked_pct``  float64   ``untracked`` in % of ``total``
``overhead``       int64     the tracker's own bookkeeping
``vsz``, ``rss``   int64     the process's virtual and resident sizes (0 if not read)
``asizeof_total``  int64     all gc objects (``create_snapshot(compute_total=True)``)
=================  ========  =====================================================

Per tracked object and snapshot that sized it (:func:`tracked_sizes_frame`):
``class`` (string), ``id`` (int64), ``snapshot`` (int64), ``timestamp`` (float64),
``size`` (int64), ``flat`` (int64).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .core.classtracker import ClassTracker
from .core.classtracker_stats import Stats
from ._frame_text import text_series

__all__ = ["CLASSTRACKER_COLUMNS", "CLASSTRACKER_TOTALS_COLUMNS", "TRACKED_OBJECT_COLUMNS", "TRACKED_SIZE_COLUMNS",
           "classtracker_frame", "classtracker_totals_frame", "tracked_objects_frame", "tracked_sizes_frame"]

CLASSTRACKER_COLUMNS = ("snapshot", "label", "timestamp", "class", "active", "size", "average", "pct")
TRACKED_OBJECT_COLUMNS = ("class", "name", "type", "id", "repr", "birth", "death", "alive", "max_size",
                          "last_size", "samples", "resolution_level")
TRACKED_SIZE_COLUMNS = ("class", "id", "snapshot", "timestamp", "size", "flat")
CLASSTRACKER_TOTALS_COLUMNS = ("snapshot", "label", "timestamp", "total", "tracked", "untracked", "untracked_pct",
                               "overhead", "vsz", "rss", "asizeof_total")

_CLASS_DTYPES = {"snapshot": "int64", "label": "string", "timestamp": "float64", "class": "string",
                 "active": "int64", "size": "int64", "average": "float64", "pct": "float64"}
_OBJECT_DTYPES = {"class": "string", "name": "string", "type": "string", "id": "int64", "repr": "string",
                  "birth": "float64", "death": "float64", "alive": "bool", "max_size": "int64",
                  "last_size": "int64", "samples": "int64", "resolution_level": "int64"}
_TOTALS_DTYPES = {c: "int64" for c in CLASSTRACKER_TOTALS_COLUMNS} | {
    "label": "string", "timestamp": "float64", "untracked_pct": "float64"}
_SIZE_DTYPES = {"class": "string", "id": "int64", "snapshot": "int64", "timestamp": "float64",
                "size": "int64", "flat": "int64"}


def _ct_stats(source: Any) -> Stats:
    if isinstance(source, Stats):
        return source
    if isinstance(source, ClassTracker):
        return Stats(tracker=source)
    raise TypeError(f"expected a ClassTracker or a classtracker_stats.Stats, got {type(source).__name__}; "
                    "load a saved file with Stats(filename=...)")


def _ct_frame(columns: dict[str, list], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: text_series(v, dtype=dtypes[c]) if dtypes[c] == "string"
                         else pd.Series(v, dtype=dtypes[c]) for c, v in columns.items()})


def classtracker_frame(source: ClassTracker | Stats) -> pd.DataFrame:
    """One row per snapshot and tracked class (columns: see the module docstring).

    >>> from pympler_nb.core.classtracker import ClassTracker
    >>> class Node:
    ...     pass
    >>> tr = ClassTracker()
    >>> tr.track_class(Node, name="Node")
    >>> nodes = [Node() for _ in range(3)]
    >>> tr.create_snapshot("three")
    >>> classtracker_frame(tr)[["snapshot", "class", "active"]]
       snapshot class  active
    0         0  Node       3
    >>> tr.close()
    """
    stats = _ct_stats(source)
    cols: dict[str, list] = {c: [] for c in CLASSTRACKER_COLUMNS}
    for row in stats.class_rows():
        cols["snapshot"].append(row.snapshot)
        cols["label"].append(row.label)
        cols["timestamp"].append(row.timestamp)
        cols["class"].append(row.name)
        cols["active"].append(row.active)
        cols["size"].append(row.size)
        cols["average"].append(row.average)
        cols["pct"].append(row.pct)
    df = _ct_frame(cols, _CLASS_DTYPES)
    df.attrs["totals"] = _totals_columns(stats)
    return df


def _totals_columns(stats: Stats) -> dict[str, list]:
    cols: dict[str, list] = {c: [] for c in CLASSTRACKER_TOTALS_COLUMNS}
    for row in stats.total_rows():
        for c in CLASSTRACKER_TOTALS_COLUMNS:
            cols[c].append(getattr(row, c))
    return cols


def classtracker_totals_frame(source: ClassTracker | Stats) -> pd.DataFrame:
    """One row per snapshot: the process total and its tracked and untracked shares
    (columns: see the module docstring), as Pympler's report states them per snapshot.

    >>> from pympler_nb.core.classtracker import ClassTracker
    >>> tr = ClassTracker()
    >>> tr.create_snapshot("start")
    >>> t = classtracker_totals_frame(tr)
    >>> bool((t["tracked"] + t["untracked"] == t["total"]).all())
    True
    """
    return _ct_frame(_totals_columns(_ct_stats(source)), _TOTALS_DTYPES)


def tracked_objects_frame(source: ClassTracker | Stats) -> pd.DataFrame:
    """One row per tracked object, dead ones included (columns: see the module docstring)."""
    cols: dict[str, list] = {c: [] for c in TRACKED_OBJECT_COLUMNS}
    for rec in _ct_stats(source).object_records():
        cols["class"].append(rec.key)
        cols["name"].append(rec.name)
        cols["type"].append(rec.type)
        cols["id"].append(rec.id)
        cols["repr"].append(rec.repr)
        cols["birth"].append(rec.birth)
        cols["death"].append(float("nan") if rec.death is None else rec.death)
        cols["alive"].append(rec.death is None)
        cols["max_size"].append(rec.max_size)
        cols["last_size"].append(rec.last_size)
        cols["samples"].append(rec.samples)
        cols["resolution_level"].append(rec.resolution_level)
    return _ct_frame(cols, _OBJECT_DTYPES)


def tracked_sizes_frame(source: ClassTracker | Stats) -> pd.DataFrame:
    """One row per tracked object and snapshot that sized it (columns: see the module docstring)."""
    cols: dict[str, list] = {c: [] for c in TRACKED_SIZE_COLUMNS}
    for row in _ct_stats(source).size_rows():
        cols["class"].append(row.key)
        cols["id"].append(row.id)
        cols["snapshot"].append(row.snapshot)
        cols["timestamp"].append(row.timestamp)
        cols["size"].append(row.size)
        cols["flat"].append(row.flat)
    return _ct_frame(cols, _SIZE_DTYPES)
