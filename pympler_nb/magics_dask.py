"""The ``--dask CLIENT`` forms of ``%heap``, ``%%memdiff`` and ``%memdash``: the same views on every
worker of a Dask cluster (:mod:`pympler_nb.distributed`).

``CLIENT`` is an expression of the notebook (``client``, ``cluster_client``...) that
gives a ``distributed.Client``. ``%heap`` and ``%%memdiff`` (in :mod:`.magics_heap` and
:mod:`.magics`) call these functions when ``--dask`` is given; they parse nothing
themselves.
"""

from __future__ import annotations

import pandas as pd
from IPython.core.error import UsageError

from .core.format import clip_text, format_size
from .magic_args import Note, evaluate, positive, show

__all__ = ["dask_client", "heap_on_workers", "memdiff_on_workers", "workers_provider"]


def dask_client(shell, expr: str, local_ns, magic: str):
    """``expr`` evaluated in the user's namespace and checked to be a ``distributed.Client``
    (a one-line :class:`UsageError` otherwise)."""
    __tracebackhide__ = True
    from .distributed import check_client

    client = evaluate(shell, expr, local_ns, magic)
    try:
        return check_client(client, name=f"--dask {clip_text(expr, 40)}")
    except (TypeError, ImportError) as exc:
        raise UsageError(f"%{magic}: {exc}") from None


def _check(magic: str, top: int, timeout: float) -> None:
    __tracebackhide__ = True
    from .distributed import check_timeout

    positive(top, "--top", magic)
    try:
        check_timeout(timeout)
    except ValueError as exc:
        raise UsageError(f"%{magic}: --timeout {timeout}: {exc}") from None


def _signed(value) -> str:
    return "?" if value is None or value is pd.NA else format_size(int(value), sign=True)


def _errors(df) -> list[Note]:
    bad = df[df["error"] != ""].drop_duplicates("worker")
    return [Note(f"{w}: {e}") for w, e in zip(bad["worker"], bad["error"])]


def heap_on_workers(shell, expr: str, local_ns, top: int, timeout: float, scheduler: bool, quiet: bool):
    """``%heap --dask CLIENT``: live objects by type on every worker (``heap_summary``)."""
    __tracebackhide__ = True
    from . import distributed

    _check("heap", top, timeout)
    client = dask_client(shell, expr, local_ns, "heap")
    df = distributed.heap_summary(client, top=top, scheduler=scheduler, timeout=timeout)
    if not quiet:
        sizes = df.attrs["size"]
        text = "; ".join(f"{w}: {format_size(s)} in {df.attrs['objects'][w]:,} objects"
                         for w, s in sizes.items())
        show(Note(f"heap on {df['worker'].nunique()} Dask worker(s) (flat sizes): {text or 'no answer'}"),
             *_errors(df))
    return df


def memdiff_on_workers(shell, run_cell, expr: str, top: int, timeout: float, scheduler: bool, quiet: bool):
    """``%%memdiff --dask CLIENT``: ``run_cell()`` (the cell, run here) between two heap
    summaries on every worker; return the per-worker diff (its ``attrs["workers"]``: RSS and Dask-managed
    bytes before and after). If the cell raises, the diff is shown and the exception
    propagates."""
    __tracebackhide__ = True
    from . import distributed

    _check("memdiff", top, timeout)
    client = dask_client(shell, expr, None, "memdiff")
    block = distributed.memdiff(client, top=top, scheduler=scheduler, timeout=timeout)
    error = None
    with block:
        try:
            run_cell()
        except BaseException as exc:  # noqa: BLE001 - shown after the diff, then re-raised
            error = exc
    df, per = block.frame, block.workers
    if not quiet or error is not None:
        out = [Note(f"memdiff on {per['worker'].nunique()} Dask worker(s): " + "; ".join(
            f"{r.worker}: heap {_signed(r.heap_size)}, RSS {_signed(r.rss_diff)}, managed {_signed(r.managed_diff)}"
            for r in per.itertuples() if r.error == ""))]
        out += _errors(per)
        out.append(per)
        if error is not None:
            out.append(df)
        show(*out)
    if error is not None:
        raise error
    return df


def workers_provider(shell, expr: str, magic: str):
    """``%memdash --dask CLIENT``: the Workers tab's provider, a callable that asks every
    worker for its memory and unmanaged split when the tab is opened or refreshed
    (:func:`pympler_nb.distributed.workers_frame` with ``split=True``). The dashboard
    keeps the client (not the workers' objects) while it is shown."""
    __tracebackhide__ = True
    from . import distributed

    client = dask_client(shell, expr, None, magic)

    def provider():
        return distributed.workers_frame(client, split=True)

    return provider
