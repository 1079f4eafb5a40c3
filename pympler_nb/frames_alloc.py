"""Allocation statistics and heap partitions as pandas DataFrames (public home: ``frames``).

Allocation statistics (:func:`alloc_stats_frame`: a list of
:class:`~pympler_nb.core.allocations.Stat`, e.g. ``t.statistics()`` of a block tracer),
one row per line (file, traceback), in the given order (largest first):

=============  ========  ====================================================
``filename``   string    the file (most recent frame for ``'traceback'``)
``lineno``     Int64     the line; ``<NA>`` when grouped by file
``size``       int64     bytes (net bytes of the block for a tracer)
``count``      int64     memory blocks
``average``    float64   ``size / count`` (0 when ``count`` is 0)
``traceback``  string    frames as ``file:line``, most recent first, one per line
=============  ========  ====================================================

Allocation differences (:func:`alloc_diff_frame`: ``Snapshot.compare_to`` /
``Tracer.compare``): ``filename``, ``lineno``, ``size``, ``size_diff``, ``count``,
``count_diff``, ``traceback`` (same dtypes; diffs int64), largest absolute
``size_diff`` first as given.

Heap partitions (:func:`heap_partition_frame`: a
:class:`~pympler_nb.core.heap.Partition`), heapy's table:

==============  ========  ===================================================
``key``         string    the row (type, module, referrer kinds, via, size, producer)
``count``       int64     objects
``count_pct``   float64   percent of the set's objects
``size``        int64     flat bytes
``size_pct``    float64   percent of the set's bytes
``cumulative``  int64     running total of ``size``
==============  ========  ===================================================

Top retainers (:func:`retainers_frame`: ``HeapSnapshot.top_retainers``) and retained
trees (:func:`retained_frame`: ``node.children()``): ``id`` (int64), ``name``
(string), ``type`` (string), ``size`` (int64), ``retained`` (int64), ``count`` (int64,
objects dominated, itself included).

Partition diffs (:func:`heap_diff_frame`: ``Partition.diff``): ``key``, ``count_diff``,
``size_diff``.

Reference trees (:func:`reference_tree_frame`: ``hset.rp()``, ``hset.pathsin()``,
``hset.pathsout()``), one row per tree row, each after its parent:

==========  ========  ========================================================
``row``     int64     the row number (``ReferenceTree.set(row)`` gives its objects)
``parent``  int64     the parent row, -1 for a top row
``depth``   int64     0 for the set's own rows
``key``     string    kind of the row's objects (type, or ``dict of X``)
``via``     string    how it relates to the parent (``.attr``, ``['k']``, ``[3]``)
``id``      Int64     the object's id (``pathsin``/``pathsout``); <NA> for groups
``count``   int64     objects in the row
``size``    int64     their flat bytes
``status``  string    expanded, depth, seen, module, none or cut
``same``    Int64     for ``seen``: the row shown before; else <NA>
==========  ========  ========================================================
"""

from __future__ import annotations

import pandas as pd

from .core.allocations import Stat, StatDiff
from .core.heap import Partition, ReferenceTree, RetainedNode, Retainer
from ._frame_text import text_series

__all__ = ["ALLOC_STATS_COLUMNS", "ALLOC_DIFF_COLUMNS", "HEAP_PARTITION_COLUMNS",
           "RETAINER_COLUMNS", "HEAP_DIFF_COLUMNS", "alloc_stats_frame", "alloc_diff_frame",
           "heap_partition_frame", "retainers_frame", "retained_frame", "heap_diff_frame",
           "REFERENCE_TREE_COLUMNS", "reference_tree_frame"]

ALLOC_STATS_COLUMNS = ("filename", "lineno", "size", "count", "average", "traceback")
ALLOC_DIFF_COLUMNS = ("filename", "lineno", "size", "size_diff", "count", "count_diff",
                      "traceback")
HEAP_PARTITION_COLUMNS = ("key", "count", "count_pct", "size", "size_pct", "cumulative")
RETAINER_COLUMNS = ("id", "name", "type", "size", "retained", "count")
HEAP_DIFF_COLUMNS = ("key", "count_diff", "size_diff")
REFERENCE_TREE_COLUMNS = ("row", "parent", "depth", "key", "via", "id", "count", "size", "status",
                          "same")


def _tb_text(frames) -> str:
    return "\n".join("%s:%s" % f for f in frames)


def _check_items(items, cls, what: str) -> list:
    items = list(items)
    for item in items:
        if not isinstance(item, cls):
            raise TypeError("%s expects %s records (%s), got %r"
                            % (what, cls.__name__, "e.g. t.statistics()" if cls is Stat
                               else "e.g. snapshot.compare_to(old)", item))
    return items


def alloc_stats_frame(stats) -> pd.DataFrame:
    """Allocation statistics (``Stat`` records) as a DataFrame; see the module docstring."""
    items = _check_items(stats, Stat, "alloc_stats_frame")
    return pd.DataFrame({
        "filename": text_series([s.filename for s in items], dtype="string"),
        "lineno": pd.Series([s.lineno for s in items], dtype="Int64"),
        "size": pd.Series([s.size for s in items], dtype="int64"),
        "count": pd.Series([s.count for s in items], dtype="int64"),
        "average": pd.Series([float(s.average) for s in items], dtype="float64"),
        "traceback": text_series([_tb_text(s.traceback) for s in items], dtype="string"),
    })


def alloc_diff_frame(diffs) -> pd.DataFrame:
    """Allocation differences (``StatDiff`` records) as a DataFrame."""
    items = _check_items(diffs, StatDiff, "alloc_diff_frame")
    return pd.DataFrame({
        "filename": text_series([s.filename for s in items], dtype="string"),
        "lineno": pd.Series([s.lineno for s in items], dtype="Int64"),
        "size": pd.Series([s.size for s in items], dtype="int64"),
        "size_diff": pd.Series([s.size_diff for s in items], dtype="int64"),
        "count": pd.Series([s.count for s in items], dtype="int64"),
        "count_diff": pd.Series([s.count_diff for s in items], dtype="int64"),
        "traceback": text_series([_tb_text(s.traceback) for s in items], dtype="string"),
    })


def heap_partition_frame(partition: Partition) -> pd.DataFrame:
    """A heap :class:`Partition` as heapy's table (``key``, ``count``, ``count_pct``,
    ``size``, ``size_pct``, ``cumulative``), largest first."""
    if not isinstance(partition, Partition):
        raise TypeError("heap_partition_frame expects a heap Partition (e.g. "
                        "snapshot.by_type()), got %s" % type(partition).__name__)
    rows = partition.rows
    total_n = partition.count or 1
    total_s = partition.size or 1
    cum = 0
    cums = []
    for r in rows:
        cum += r.size
        cums.append(cum)
    return pd.DataFrame({
        "key": text_series([r.key for r in rows], dtype="string"),
        "count": pd.Series([r.count for r in rows], dtype="int64"),
        "count_pct": pd.Series([100.0 * r.count / total_n for r in rows], dtype="float64"),
        "size": pd.Series([r.size for r in rows], dtype="int64"),
        "size_pct": pd.Series([100.0 * r.size / total_s for r in rows], dtype="float64"),
        "cumulative": pd.Series(cums, dtype="int64"),
    })


def _retainer_rows(items) -> pd.DataFrame:
    return pd.DataFrame({
        "id": pd.Series([r.id for r in items], dtype="int64"),
        "name": text_series([getattr(r, "name", r.type) for r in items], dtype="string"),
        "type": text_series([r.type for r in items], dtype="string"),
        "size": pd.Series([r.size for r in items], dtype="int64"),
        "retained": pd.Series([r.retained for r in items], dtype="int64"),
        "count": pd.Series([r.count for r in items], dtype="int64"),
    })


def retainers_frame(retainers) -> pd.DataFrame:
    """``HeapSnapshot.top_retainers()`` as ``id``, ``name``, ``type``, ``size``,
    ``retained``, ``count``."""
    items = list(retainers)
    for r in items:
        if not isinstance(r, (Retainer, RetainedNode)):
            raise TypeError("retainers_frame expects Retainer or RetainedNode rows, got %r" % (r,))
    return _retainer_rows(items)


def retained_frame(nodes) -> pd.DataFrame:
    """Retained-tree nodes (``node.children()``, or one node) with the same columns."""
    if isinstance(nodes, RetainedNode):
        nodes = [nodes]
    return retainers_frame(nodes)


def heap_diff_frame(rows) -> pd.DataFrame:
    """``Partition.diff`` rows as ``key``, ``count_diff``, ``size_diff``."""
    rows = list(rows)
    for r in rows:
        if not (isinstance(r, tuple) and len(r) == 3):
            raise TypeError("heap_diff_frame expects (key, count_diff, size_diff) rows from "
                            "Partition.diff, got %r" % (r,))
    return pd.DataFrame({
        "key": text_series([str(r[0]) for r in rows], dtype="string"),
        "count_diff": pd.Series([int(r[1]) for r in rows], dtype="int64"),
        "size_diff": pd.Series([int(r[2]) for r in rows], dtype="int64"),
    })


def reference_tree_frame(tree: ReferenceTree) -> pd.DataFrame:
    """A :class:`~pympler_nb.core.heap.ReferenceTree` (``rp``/``pathsin``/``pathsout``)
    as a DataFrame; see the module docstring."""
    if not isinstance(tree, ReferenceTree):
        raise TypeError("reference_tree_frame expects a ReferenceTree (e.g. heap_set.rp()), "
                        "got %s" % type(tree).__name__)
    rows = tree.rows
    return pd.DataFrame({
        "row": pd.Series([r.index for r in rows], dtype="int64"),
        "parent": pd.Series([r.parent for r in rows], dtype="int64"),
        "depth": pd.Series([r.depth for r in rows], dtype="int64"),
        "key": text_series([r.key for r in rows], dtype="string"),
        "via": text_series([r.via for r in rows], dtype="string"),
        "id": pd.Series([r.id for r in rows], dtype="Int64"),
        "count": pd.Series([r.count for r in rows], dtype="int64"),
        "size": pd.Series([r.size for r in rows], dtype="int64"),
        "status": text_series([r.status for r in rows], dtype="string"),
        "same": pd.Series([r.same if r.same >= 0 else None for r in rows], dtype="Int64"),
    })
