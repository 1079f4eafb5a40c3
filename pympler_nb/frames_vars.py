"""Memory per notebook variable as a pandas DataFrame (``%memvars``, the dashboard's
Variables tab).

:func:`memvars_frame` sizes a namespace (:func:`pympler_nb.core.namespace_sizes.namespace_sizes`)
and returns one row per variable, then one per hidden holder; :func:`vars_frame` turns
a result computed already into the same table. Columns (fixed; the DataFrame holds
names, sizes and text only, never the objects):

===============  ========  ==================================================
``name``         string    the variable, or ``Out[3]``, ``_``, ``In / _i…``,
                           ``sys.last_value``, ``gc.garbage``
``kind``         string    ``variable``, ``output``, ``input``, ``exception``,
                           ``garbage``
``type``         string    type name of the object
``shallow``      int64     flat size in bytes
``deep``         int64     bytes reachable from it, each object once
``retained``     int64     bytes ``del name`` (or releasing the holder) frees now
``shared``       int64     of ``deep``, bytes other rows reach too
``count``        int64     objects reachable from it
``note``         string    why ``retained < deep`` (``also held by Out[3]``,
                           ``view of a``, ``shares 2.1 MiB with df``)
``held_by``      string    other rows holding the same object, comma-separated
``shares_with``  string    rows sharing part of it, comma-separated
``view_of``      string    a numpy view's buffer owner, else ``""``
``aliases``      string    other names of the row (``_3, _``)
``repr``         string    clipped repr
===============  ========  ==================================================

``attrs``: ``objects`` (objects walked), ``seconds`` (time of the walk), ``notes``.
"""

from __future__ import annotations

import pandas as pd

from ._frame_text import text_series
from .core.namespace_sizes import NamespaceSizes, namespace_sizes

__all__ = ["VAR_COLUMNS", "memvars_frame", "vars_frame"]

VAR_COLUMNS = ("name", "kind", "type", "shallow", "deep", "retained", "shared", "count", "note",
               "held_by", "shares_with", "view_of", "aliases", "repr")
_INTS = ("shallow", "deep", "retained", "shared", "count")


def vars_frame(result: NamespaceSizes) -> pd.DataFrame:
    """The table of a :class:`~pympler_nb.core.namespace_sizes.NamespaceSizes`."""
    if not isinstance(result, NamespaceSizes):
        raise TypeError(f"vars_frame() needs a NamespaceSizes (namespace_sizes()), got "
                        f"{type(result).__name__}")
    rows = result.rows
    data = {
        "name": [r.name for r in rows],
        "kind": [r.kind for r in rows],
        "type": [r.type for r in rows],
        "shallow": [r.shallow for r in rows],
        "deep": [r.deep for r in rows],
        "retained": [r.retained for r in rows],
        "shared": [r.shared for r in rows],
        "count": [r.count for r in rows],
        "note": [r.note for r in rows],
        "held_by": [", ".join(r.held_by) for r in rows],
        "shares_with": [", ".join(r.shares_with) for r in rows],
        "view_of": [r.view_of for r in rows],
        "aliases": [", ".join(r.aliases) for r in rows],
        "repr": [r.repr for r in rows],
    }
    df = pd.DataFrame({c: (pd.Series(v, dtype="int64") if c in _INTS else text_series(v))
                       for c, v in data.items()}, columns=list(VAR_COLUMNS))
    df.attrs["objects"] = result.objects
    df.attrs["seconds"] = result.seconds
    df.attrs["notes"] = list(result.notes)
    return df


def memvars_frame(namespace=None, *, hidden: bool = True, modules: bool = False) -> pd.DataFrame:
    """Every user variable of ``namespace`` (default: the notebook's) and, with
    ``hidden``, every hidden holder, with its shallow, deep and retained size.

    >>> df = memvars_frame({"xs": [bytearray(100) for _ in range(3)]}, hidden=False)
    >>> list(df["name"]), bool(df.loc[0, "retained"] == df.loc[0, "deep"] > 300)
    (['xs'], True)
    """
    return vars_frame(namespace_sizes(namespace, hidden=hidden, modules=modules))
