"""``%%leakcheck`` results as pandas DataFrames (public home: ``frames``).

:func:`leak_frame` (a :class:`~pympler_nb.core.leakcheck.LeakReport`): one row per type
(and, when traced, per allocation site) that changed over the runs, leaks first:

===================  ========  =====================================================
``type``             string    the type (summary row key); ``<NA>`` on a site row
``site``             string    the allocating line (``cell [4], line 3: ...``) of a
                               site row; ``<NA>`` on a type row
``per_run_count``    float64   objects (site: memory blocks) added per run (fit)
``per_run_bytes``    float64   bytes added per run (fit; flat sizes)
``verdict``          string    ``leak``, ``cache``, ``noise`` or ``shrinks``
``holder``           string    what holds a sample created in the last run
``born``             string    where that sample was allocated (``--trace``)
``releasable_bytes`` Int64     bytes that releasing the holder frees
===================  ========  =====================================================

:func:`leak_runs_frame`: the running growth per run of the rows (``name``, ``run``,
``count``, ``bytes``; run 0 is the first measurement, growth 0), what
``charts.leak_growth_chart`` draws.
"""

from __future__ import annotations

import pandas as pd

from ._frame_text import text_series
from .core.leakcheck import LeakReport

__all__ = ["LEAK_COLUMNS", "LEAK_RUNS_COLUMNS", "leak_frame", "leak_runs_frame"]

LEAK_COLUMNS = ("type", "site", "per_run_count", "per_run_bytes", "verdict", "holder", "born",
                "releasable_bytes")
LEAK_RUNS_COLUMNS = ("name", "run", "count", "bytes")


def _check(report) -> None:
    if not isinstance(report, LeakReport):
        raise TypeError("expected a LeakReport (core.leakcheck.leak_check(...)), got %s"
                        % type(report).__name__)


def leak_frame(report: LeakReport) -> pd.DataFrame:
    """The rows of ``report`` as a DataFrame (see the module docstring)."""
    _check(report)
    rows = report.rows
    return pd.DataFrame({
        "type": text_series([r.type for r in rows], dtype="string"),
        "site": text_series([r.site for r in rows], dtype="string"),
        "per_run_count": pd.Series([float(r.per_run_count) for r in rows], dtype="float64"),
        "per_run_bytes": pd.Series([float(r.per_run_bytes) for r in rows], dtype="float64"),
        "verdict": text_series([r.verdict for r in rows], dtype="string"),
        "holder": text_series([r.holder for r in rows], dtype="string"),
        "born": text_series([r.born for r in rows], dtype="string"),
        "releasable_bytes": pd.Series([r.releasable_bytes for r in rows], dtype="Int64"),
    }, columns=list(LEAK_COLUMNS))


def leak_runs_frame(report: LeakReport, top: int = 10) -> pd.DataFrame:
    """Running growth per run (``name, run, count, bytes``) of the leaking rows (the
    ``top`` largest by bytes per run), or of the ``top`` rows that grew most when none
    leaks."""
    _check(report)
    chosen = [r for r in report.rows if r.verdict == "leak"] or \
        sorted((r for r in report.rows if r.per_run_bytes > 0), key=lambda r: -r.per_run_bytes)
    chosen = chosen[:top]
    names, runs, counts, sizes = [], [], [], []
    for r in chosen:
        c = s = 0
        for j in range(len(r.counts) + 1):
            if j:
                c += r.counts[j - 1]
                s += r.sizes[j - 1]
            names.append(r.name)
            runs.append(j)
            counts.append(c)
            sizes.append(s)
    return pd.DataFrame({
        "name": text_series(names, dtype="string"),
        "run": pd.Series(runs, dtype="int64"),
        "count": pd.Series(counts, dtype="int64"),
        "bytes": pd.Series(sizes, dtype="int64"),
    }, columns=list(LEAK_RUNS_COLUMNS))
