"""The ``%memwatch`` ledger as a pandas DataFrame (:func:`ledger_frame`).

==========================  ===============================================================
column                      meaning (dtype)
==========================  ===============================================================
``execution_count``         the cell's ``In[n]`` number (Int64; <NA> outside history)
``source``                  the cell's first line, clipped (str)
``seconds``                 wall time of the cell (float64)
``rss_before``              RSS when the cell started (int64 bytes)
``rss_after``               RSS when it ended (int64 bytes)
``rss_peak``                highest RSS sampled while it ran (int64 bytes)
``python_delta``            change of the Python heap, our own objects left out (Int64
                            bytes; <NA>: not measured, a quiet or ``--light`` cell)
``native_delta``            RSS change minus ``python_delta``: native and allocator (Int64)
``traced_peak``             tracemalloc's peak above the cell's start, when tracing (Int64)
``top_types``               the types that grew or shrank most, ``"ndarray +100.0 MiB (+1)"``
                            joined by ``"; "`` (str)
``holders``                 names now holding the new memory, ``"df (DataFrame) +379 MiB"``,
                            ``Out[7]``/``_`` named as such, joined by ``"; "`` (str)
``error``                   exception type name when the cell raised, else "" (str)
==========================  ===============================================================

One row per recorded cell, oldest first, with a ``RangeIndex``.

>>> ledger_frame([]).columns.tolist()[:4]
['execution_count', 'source', 'seconds', 'rss_before']
"""

from __future__ import annotations

import pandas as pd

from .core.format import format_size
from .core.ledger import COLUMNS

__all__ = ["ledger_frame", "LEDGER_COLUMNS"]

LEDGER_COLUMNS = COLUMNS + ("error",)

_DTYPES = {"execution_count": "Int64", "source": object, "seconds": "float64", "rss_before": "int64",
           "rss_after": "int64", "rss_peak": "int64", "python_delta": "Int64", "native_delta": "Int64",
           "traced_peak": "Int64", "top_types": object, "holders": object, "error": object}


def _types_text(rows) -> str:
    return "; ".join(f"{name} {format_size(size, sign=True)} ({count:+d})" for name, count, size in rows)


def ledger_frame(records) -> pd.DataFrame:
    """One row per :class:`~pympler_nb.core.ledger.CellRecord` (columns: module docstring)."""
    rows = []
    for r in records:
        rows.append({
            "execution_count": r.execution_count if isinstance(r.execution_count, int) else None,
            "source": r.source, "seconds": float(r.seconds), "rss_before": r.rss_before,
            "rss_after": r.rss_after, "rss_peak": r.rss_peak, "python_delta": r.python_delta,
            "native_delta": r.native_delta, "traced_peak": r.traced_peak,
            "top_types": _types_text(r.top_types), "holders": "; ".join(str(h) for h in r.holders),
            "error": r.error or ""})
    df = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    return df.astype(_DTYPES).reset_index(drop=True)
