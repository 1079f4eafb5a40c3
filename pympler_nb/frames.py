"""Core results as pandas DataFrames with fixed, documented columns.

Heap summaries and process memory (issue 3):

=====================  ==================================================================
function               columns (dtype)
=====================  ==================================================================
:func:`summary_frame`  ``type`` (object/str), ``count`` (int64), ``size`` (int64 bytes);
                       largest ``size`` first, then ``count``, then ``type``
:func:`diff_frame`     ``type`` (str), ``count_diff`` (int64), ``size_diff`` (int64 bytes);
                       largest absolute ``size_diff`` first, then absolute ``count_diff``,
                       then ``type`` (like ``tracemalloc``'s ``compare_to``)
:func:`process_frame`  ``metric`` (str), ``bytes`` (int64): one row per byte metric the OS
                       reports (``rss``, ``vsz``, ``pss``, ``uss``, ``swap``, ``peak_rss``,
                       the segments, ``container_limit``, ``container_usage``); metrics it
                       does not report are left out.  Given the result of subtracting two
                       ``ProcessMemoryInfo`` objects, one row per delta.
=====================  ==================================================================

Size trees and cell allocations (the magics, issue 6):

========================  ===============================================================
function                  columns (dtype)
========================  ===============================================================
:func:`size_tree_frame`   ``name`` (str), ``type`` (string; ``<NA>`` when unknown),
                          ``size`` (int64 deep bytes), ``flat`` (int64 own bytes),
                          ``depth`` (int64, 0 = a sized object), ``path`` (str: positions
                          in ``Asized.refs`` from the root, ``"0"``, ``"0/2"``, ``"0/2/1"``);
                          one row per node, root first, depth first, children in the
                          tree's order (``top_sized``: largest first, a dict entry's key
                          and value together, the ``"other (K more)"`` row last)
:func:`cell_lines_frame`  ``line`` (int64), ``code`` (str), ``size`` (int64 bytes still
                          allocated), ``count`` (int64 allocations); largest ``size``
                          first
========================  ===============================================================

All return a fresh DataFrame with a ``RangeIndex``; an empty input gives an empty
frame with the same columns and dtypes.

>>> from pympler_nb import frames
>>> frames.diff_frame([["str", 2, 100], ["dict", -1, -300], ["int", 5, 0]])
   type  count_diff  size_diff
0  dict          -1       -300
1   str           2        100
2   int           5          0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from .core import asizeof as _asizeof
from .core import summary as _summary
from ._frame_text import text_series
from .core.format import type_name
from .core.process import BYTE_METRICS, ProcessMemoryInfo

__all__ = ["summary_frame", "diff_frame", "process_frame", "size_tree_frame", "cell_lines_frame"]

SUMMARY_COLUMNS = ("type", "count", "size")
DIFF_COLUMNS = ("type", "count_diff", "size_diff")
PROCESS_COLUMNS = ("metric", "bytes")
SIZE_TREE_COLUMNS = ("name", "type", "size", "flat", "depth", "path")
CELL_LINES_COLUMNS = ("line", "code", "size", "count")

_NO_OBJECT = object()  # no object given for a root


def _summary_rows_frame(rows: Iterable, columns: tuple[str, str, str]) -> pd.DataFrame:
    checked = _summary.checked_rows(rows)
    frame = pd.DataFrame(
        {
            columns[0]: text_series([str(r[0]) for r in checked], dtype=object),
            columns[1]: pd.Series([int(r[1]) for r in checked], dtype="int64"),
            columns[2]: pd.Series([int(r[2]) for r in checked], dtype="int64"),
        }
    )
    return frame


def summary_frame(rows: Iterable) -> pd.DataFrame:
    """A summary (``summary.summarize`` rows) as columns ``type``, ``count``, ``size``.

    Sorted by ``size`` (descending), then ``count`` (descending), then ``type``.
    """
    frame = _summary_rows_frame(rows, SUMMARY_COLUMNS)
    frame = frame.sort_values(["size", "count", "type"], ascending=[False, False, True],
                              kind="mergesort")
    return frame.reset_index(drop=True)


def diff_frame(rows: Iterable) -> pd.DataFrame:
    """A summary diff (``tracker.diff()``, ``summary.get_diff``) as ``type``,
    ``count_diff``, ``size_diff``, largest absolute size change first.

    Rows with 0 objects and 0 bytes are kept if present (``summary.sweep`` drops them).
    """
    frame = _summary_rows_frame(rows, DIFF_COLUMNS)
    order = pd.DataFrame({
        "abs_size": frame["size_diff"].abs(),
        "abs_count": frame["count_diff"].abs(),
        "type": frame["type"],
    })
    order = order.sort_values(["abs_size", "abs_count", "type"], ascending=[False, False, True],
                              kind="mergesort")
    return frame.loc[order.index].reset_index(drop=True)


def process_frame(info: ProcessMemoryInfo | Iterable[tuple[str, int]]) -> pd.DataFrame:
    """Process memory as ``metric``, ``bytes`` rows.

    Parameters
    ----------
    info : ProcessMemoryInfo or list of (label, int)
        A snapshot (one row per available byte metric, in :data:`BYTE_METRICS`
        order) or the difference of two snapshots (``after - before``).
    """
    items: list[tuple[str, Any]]
    if isinstance(info, ProcessMemoryInfo):
        items = [(name, value) for name, value in info.as_dict().items() if value is not None]
    elif isinstance(info, (list, tuple)):
        items = list(info)
        for item in items:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], int)):
                raise TypeError("process_frame expects a ProcessMemoryInfo or a list of "
                                "(label, bytes) pairs such as after - before, got item %r" % (item,))
    else:
        raise TypeError("process_frame expects a ProcessMemoryInfo (or after - before), got %s"
                        % type(info).__name__)
    return pd.DataFrame({
        "metric": pd.Series([str(k) for k, _ in items], dtype=object),
        "bytes": pd.Series([int(v) for _, v in items], dtype="int64"),
    })


def size_tree_frame(trees: Any, names: Iterable[str] | None = None,
                    objs: Iterable[Any] | None = None) -> pd.DataFrame:
    """The nodes of size trees, one row each.

    Columns :data:`SIZE_TREE_COLUMNS` (see the module docstring).

    Parameters
    ----------
    trees : Asized or sequence of Asized
        What :func:`~pympler_nb.core.sizetree.top_sized` (``%memsize``) or
        ``asized(*objs, detail=...)`` returned.
    names : sequence of str, optional
        Names for the roots (e.g. the expressions that were sized); default: the
        trees' own names.
    objs : sequence, optional
        The sized objects, in the same order: only to fill the ``type`` of a root
        whose tree does not record it (a tree made by hand); read, never kept.

    Rows come in the trees' order: ``asized`` and ``top_sized`` put the largest
    children first, a dict entry's key and value together; ``top_sized`` folds the rest
    into one ``"other (K more)"`` row, so every node still adds up (``size == flat +
    sum of its children's size``). The ``type`` column is each node's ``Asized.type``
    (recorded by the sizing engine, never guessed from names; ``<NA>`` for an "other"
    row). The tree is walked without recursion.

    >>> from pympler_nb.core.sizetree import top_sized
    >>> data = {"a": [1, 2]}
    >>> df = size_tree_frame(top_sized(data, detail=1, names=["data"]))
    >>> df[["name", "type", "depth", "path"]]  # doctest: +NORMALIZE_WHITESPACE
                name  type  depth path
    0           data  dict      0    0
    1          [K] a   str      1  0/0
    2  [V] a: [1, 2]  list      1  0/1
    """
    if isinstance(trees, _asizeof.Asized):
        trees = (trees,)
    trees = tuple(trees)
    for t in trees:
        if not isinstance(t, _asizeof.Asized):
            raise TypeError(f"size_tree_frame expects Asized trees from top_sized(...) or asized(...), "
                            f"got {type(t).__name__}")
    names = list(names) if names is not None else [t.name for t in trees]
    objs = list(objs) if objs is not None else [_NO_OBJECT] * len(trees)
    if len(names) != len(trees) or len(objs) != len(trees):
        raise ValueError(f"size_tree_frame: {len(trees)} trees but {len(names)} names and "
                         f"{len(objs)} objects; pass one of each per tree")
    cols: dict[str, list] = {c: [] for c in SIZE_TREE_COLUMNS}
    stack = [(t, 0, str(i), str(n), None if o is _NO_OBJECT else type_name(o, qualified=True, module=True))
             for i, (t, n, o) in enumerate(zip(trees, names, objs))]
    stack.reverse()
    while stack:
        node, depth, path, name, fallback = stack.pop()
        tname = node.type
        cols["name"].append(name)
        cols["type"].append(pd.NA if tname is None and fallback is None else tname or fallback)
        cols["size"].append(int(node.size))
        cols["flat"].append(int(node.flat))
        cols["depth"].append(depth)
        cols["path"].append(path)
        for k in range(len(node.refs) - 1, -1, -1):
            ref = node.refs[k]
            stack.append((ref, depth + 1, f"{path}/{k}", str(ref.name), None))
    frame = pd.DataFrame({
        "name": text_series(cols["name"], dtype=object),
        "type": text_series(cols["type"], dtype="string"),
        "size": pd.Series(cols["size"], dtype="int64"),
        "flat": pd.Series(cols["flat"], dtype="int64"),
        "depth": pd.Series(cols["depth"], dtype="int64"),
        "path": text_series(cols["path"], dtype=object),
    })
    return frame


def cell_lines_frame(lines: Iterable) -> pd.DataFrame:
    """Allocations per line of a cell, largest first: ``(line, code, size, count)`` items
    (``%%memdiff --trace``: ``allocations.Tracer.statistics('lineno', filename=cell)``
    rows with the line's source text).

    Columns :data:`CELL_LINES_COLUMNS` (see the module docstring).
    """
    rows = [(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in lines]
    rows.sort(key=lambda r: (-r[2], -r[3], r[0]))
    return pd.DataFrame({
        "line": pd.Series([r[0] for r in rows], dtype="int64"),
        "code": text_series([r[1] for r in rows], dtype=object),
        "size": pd.Series([r[2] for r in rows], dtype="int64"),
        "count": pd.Series([r[3] for r in rows], dtype="int64"),
    })


# names other modules may want
__all__ += ["SUMMARY_COLUMNS", "DIFF_COLUMNS", "PROCESS_COLUMNS", "BYTE_METRICS",
            "SIZE_TREE_COLUMNS", "CELL_LINES_COLUMNS"]

# The graph and Class Tracker tables live in their own modules; this is their public home.
from .frames_classtracker import (  # noqa: E402
    CLASSTRACKER_COLUMNS,
    CLASSTRACKER_TOTALS_COLUMNS,
    TRACKED_OBJECT_COLUMNS,
    TRACKED_SIZE_COLUMNS,
    classtracker_frame,
    classtracker_totals_frame,
    tracked_objects_frame,
    tracked_sizes_frame,
)
from .frames_graphs import (  # noqa: E402
    CHAIN_COLUMNS,
    EDGE_COLUMNS,
    NODE_COLUMNS,
    chains_frame,
    graph_edges_frame,
    graph_nodes_frame,
)

__all__ += [
    "CLASSTRACKER_COLUMNS", "CLASSTRACKER_TOTALS_COLUMNS", "TRACKED_OBJECT_COLUMNS", "TRACKED_SIZE_COLUMNS",
    "classtracker_frame", "classtracker_totals_frame", "tracked_objects_frame", "tracked_sizes_frame",
    "NODE_COLUMNS", "EDGE_COLUMNS", "CHAIN_COLUMNS",
    "graph_nodes_frame", "graph_edges_frame", "chains_frame",
]

# Allocation statistics (tracemalloc) and heap partitions / retainers (issue 8).
from .frames_alloc import (  # noqa: E402
    ALLOC_DIFF_COLUMNS,
    ALLOC_STATS_COLUMNS,
    HEAP_DIFF_COLUMNS,
    HEAP_PARTITION_COLUMNS,
    REFERENCE_TREE_COLUMNS,
    RETAINER_COLUMNS,
    alloc_diff_frame,
    alloc_stats_frame,
    heap_diff_frame,
    heap_partition_frame,
    reference_tree_frame,
    retained_frame,
    retainers_frame,
)

__all__ += [
    "ALLOC_STATS_COLUMNS", "ALLOC_DIFF_COLUMNS", "HEAP_PARTITION_COLUMNS", "RETAINER_COLUMNS",
    "HEAP_DIFF_COLUMNS", "alloc_stats_frame", "alloc_diff_frame", "heap_partition_frame",
    "retainers_frame", "retained_frame", "heap_diff_frame", "REFERENCE_TREE_COLUMNS",
    "reference_tree_frame",
]

# %%leakcheck reports (issue 21).
from .frames_leak import LEAK_COLUMNS, LEAK_RUNS_COLUMNS, leak_frame, leak_runs_frame  # noqa: E402

__all__ += ["LEAK_COLUMNS", "LEAK_RUNS_COLUMNS", "leak_frame", "leak_runs_frame"]
