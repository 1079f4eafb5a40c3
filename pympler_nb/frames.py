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

from .core import summary as _summary
from .core.process import BYTE_METRICS, ProcessMemoryInfo

__all__ = ["summary_frame", "diff_frame", "process_frame"]

SUMMARY_COLUMNS = ("type", "count", "size")
DIFF_COLUMNS = ("type", "count_diff", "size_diff")
PROCESS_COLUMNS = ("metric", "bytes")


def _table(rows: Iterable, columns: tuple[str, str, str]) -> pd.DataFrame:
    checked = _summary._rows(rows)
    frame = pd.DataFrame(
        {
            columns[0]: pd.Series([str(r[0]) for r in checked], dtype=object),
            columns[1]: pd.Series([int(r[1]) for r in checked], dtype="int64"),
            columns[2]: pd.Series([int(r[2]) for r in checked], dtype="int64"),
        }
    )
    return frame


def summary_frame(rows: Iterable) -> pd.DataFrame:
    """A summary (``summary.summarize`` rows) as columns ``type``, ``count``, ``size``.

    Sorted by ``size`` (descending), then ``count`` (descending), then ``type``.
    """
    frame = _table(rows, SUMMARY_COLUMNS)
    frame = frame.sort_values(["size", "count", "type"], ascending=[False, False, True],
                              kind="mergesort")
    return frame.reset_index(drop=True)


def diff_frame(rows: Iterable) -> pd.DataFrame:
    """A summary diff (``tracker.diff()``, ``summary.get_diff``) as ``type``,
    ``count_diff``, ``size_diff``, largest absolute size change first.

    Rows with 0 objects and 0 bytes are kept if present (``summary.sweep`` drops them).
    """
    frame = _table(rows, DIFF_COLUMNS)
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


# names other modules may want
__all__ += ["SUMMARY_COLUMNS", "DIFF_COLUMNS", "PROCESS_COLUMNS", "BYTE_METRICS"]

# The graph and Class Tracker tables live in their own modules; this is their public home.
from .frames_classtracker import (  # noqa: E402
    CLASSTRACKER_COLUMNS,
    TRACKED_OBJECT_COLUMNS,
    TRACKED_SIZE_COLUMNS,
    classtracker_frame,
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
    "CLASSTRACKER_COLUMNS", "TRACKED_OBJECT_COLUMNS", "TRACKED_SIZE_COLUMNS",
    "classtracker_frame", "tracked_objects_frame", "tracked_sizes_frame",
    "NODE_COLUMNS", "EDGE_COLUMNS", "CHAIN_COLUMNS",
    "graph_nodes_frame", "graph_edges_frame", "chains_frame",
]
