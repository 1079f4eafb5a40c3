"""The RSS split and the reclaim results as pandas DataFrames (``%reclaim``).

:func:`reclaim_frame` (an :class:`~pympler_nb.core.reclaim.RssSplit`), one row per part,
in the split's order; the bytes add up to RSS (plus ``overcount``, in ``attrs``):

===============  ========  ==========================================================
``part``         str       ``python_live``, ``native_held``, ``allocator_free``, ...
``bytes``        int64     the part's bytes
``percent``      float64   percent of RSS
``releasable``   int64     bytes ``%reclaim --run`` can return of it (glibc's free
                           heap; 0 for the others)
``what``         str       what the part is, in words
===============  ========  ==========================================================

``attrs``: ``rss``, ``overcount``, ``python_count``, ``tracing``, ``notes`` (list of
str), ``seconds``.

:func:`holders_frame` (a tuple of :class:`~pympler_nb.core.reclaim.Holder`): ``name``
(str), ``type`` (str), ``deep_size`` (int64), ``releasable_bytes`` (Int64; <NA>: too
large to compute, at most ``deep_size``), ``plan`` (str: the statements, ``"; "``
joined), ``manual`` (str), ``needs_collect`` (bool).

:func:`trim_frame` (a :class:`~pympler_nb.core.reclaim.TrimResult`), one row:
``rss_before``, ``rss_after``, ``returned`` (int64), ``collected`` (int64), ``trimmed``
(boolean; <NA> where ``malloc_trim`` could not run), ``message`` (str).
"""

from __future__ import annotations

import pandas as pd

from .core.reclaim import Holder, RssSplit, TrimResult

__all__ = ["reclaim_frame", "holders_frame", "trim_frame", "RECLAIM_COLUMNS", "HOLDER_COLUMNS",
           "TRIM_COLUMNS", "PART_TEXT"]

RECLAIM_COLUMNS = ("part", "bytes", "percent", "releasable", "what")
HOLDER_COLUMNS = ("name", "type", "deep_size", "releasable_bytes", "plan", "manual",
                  "needs_collect")
TRIM_COLUMNS = ("rss_before", "rss_after", "returned", "collected", "trimmed", "message")

#: What each part of the split is, in words (the ``what`` column).
PART_TEXT = {
    "python_live": "live Python objects (their own sizes)",
    "native_held": "native buffers held by live objects (numpy data, Arrow buffers)",
    "allocator_free": "free memory inside the allocators, still resident",
    "allocator_overhead": "pymalloc pool headers, quantization, arena alignment and map",
    "traced_other": "other allocations tracemalloc traced (not live objects)",
    "tracemalloc_overhead": "tracemalloc's own memory",
    "native_unaccounted": "the rest: interpreter and library code, C stacks, C libraries",
}


def reclaim_frame(split: RssSplit) -> pd.DataFrame:
    """The parts of ``split``, one row each (see the module docstring)."""
    if not isinstance(split, RssSplit):
        raise TypeError(f"reclaim_frame expects an RssSplit (core.reclaim.rss_split()), got "
                        f"{type(split).__name__}")
    parts = split.parts()
    rss = split.rss or 1
    trimmable = split.allocators.malloc_free_resident or 0
    what = dict(PART_TEXT)
    alloc = split.allocators
    if alloc.pymalloc_free is not None:
        what["allocator_free"] += (f" (pymalloc arenas {alloc.pymalloc_free:,} B: returned only "
                                   f"when a whole arena empties; glibc heap {trimmable:,} B: "
                                   "malloc_trim returns it)")
    df = pd.DataFrame({
        "part": pd.Series([name for name, _ in parts], dtype=object),
        "bytes": pd.Series([size for _, size in parts], dtype="int64"),
        "percent": pd.Series([100.0 * size / rss for _, size in parts], dtype="float64"),
        "releasable": pd.Series([trimmable if name == "allocator_free" else 0 for name, _ in parts],
                                dtype="int64"),
        "what": pd.Series([what[name] for name, _ in parts], dtype=object),
    })
    df.attrs.update(rss=split.rss, overcount=split.overcount, python_count=split.python_count,
                    tracing=split.tracing, notes=list(split.notes), seconds=split.seconds)
    return df


def holders_frame(holders) -> pd.DataFrame:
    """The holders, one row each, in the given order (see the module docstring)."""
    holders = list(holders)
    for h in holders:
        if not isinstance(h, Holder):
            raise TypeError(f"holders_frame expects core.reclaim.Holder rows "
                            f"(core.reclaim.releasable_holders()), got {type(h).__name__}")
    return pd.DataFrame({
        "name": pd.Series([h.name for h in holders], dtype=object),
        "type": pd.Series([h.type for h in holders], dtype=object),
        "deep_size": pd.Series([h.deep_size for h in holders], dtype="int64"),
        "releasable_bytes": pd.array([h.releasable_bytes for h in holders], dtype="Int64"),
        "plan": pd.Series(["; ".join(h.plan) for h in holders], dtype=object),
        "manual": pd.Series(["; ".join(h.manual) for h in holders], dtype=object),
        "needs_collect": pd.Series([h.needs_collect for h in holders], dtype=bool),
    })


def trim_frame(result: TrimResult) -> pd.DataFrame:
    """One row: what ``core.reclaim.trim()`` did (see the module docstring)."""
    if not isinstance(result, TrimResult):
        raise TypeError(f"trim_frame expects a TrimResult (core.reclaim.trim()), got "
                        f"{type(result).__name__}")
    return pd.DataFrame({
        "rss_before": pd.Series([result.rss_before], dtype="int64"),
        "rss_after": pd.Series([result.rss_after], dtype="int64"),
        "returned": pd.Series([result.returned], dtype="int64"),
        "collected": pd.Series([result.collected], dtype="int64"),
        "trimmed": pd.array([result.trimmed], dtype="boolean"),
        "message": pd.Series([result.message], dtype=object),
    })
