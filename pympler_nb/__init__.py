"""pympler_nb: memory profiling of Python objects, native to Jupyter.

``import pympler_nb`` stays light: the notebook layer (IPython, widgets, pandas,
Altair) is imported only by :func:`load_ipython_extension` (``%load_ext pympler_nb``).
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", "ledger"]


def load_ipython_extension(ipython) -> None:
    """Register the magics (``%load_ext pympler_nb``): ``%memsize``, ``%%memdiff``,
    ``%classtrack``, ``%refgraph``, ``%whyalive``, ``%garbage``, ``%heap``, ``%retained``,
    ``%referrers``, ``%reclaim``, ``%memvars``, ``%memwatch``, ``%memdash``, ``%%leakcheck``;
    ``%heap --dask CLIENT``, ``%%memdiff --dask CLIENT`` and ``%memdash --dask CLIENT`` work on a
    Dask cluster's workers (:mod:`pympler_nb.distributed`)."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    """Remove the magics and stop class tracking (``%unload_ext pympler_nb``)."""
    from .magics import unload_ipython_extension as unload

    unload(ipython)


def ledger():
    """The ``%memwatch`` ledger of the running IPython session as a DataFrame, one row per
    recorded cell (columns: :mod:`pympler_nb.frames_ledger`)."""
    from .magics_memwatch import ledger as current

    return current()
