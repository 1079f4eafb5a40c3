"""Reference graphs and why-alive chains as pandas DataFrames (to merge into ``frames.py``).

Columns are fixed and documented here; every function returns a new DataFrame
that holds ids, names, sizes and text only (never the objects).

Graph nodes (:func:`graph_nodes_frame`, one row per node, in graph order):

=============  ========  ====================================================
``id``         int64     ``id()`` of the object; negative for "+N more" nodes
``type``       string    ``type(obj).__name__``
``size``       int64     flat size in bytes
``repr``       string    clipped repr (never raises)
``kind``       string    ``"object"`` or ``"more"``
``count``      int64     objects elided by a "+N more" node, else 0
``depth``      int64     distance from the start objects of a walk
``highlight``  bool      marked by the walk's ``highlight`` predicate
``cycle``      bool      lies on a reference cycle of the drawn graph (below)
``root``       bool      a start object of the walk
=============  ========  ====================================================

``cycle`` is computed from the drawn edges only: a cycle that closes beyond the
walk's depth limit, or through a node that a cap, a filter or a stop (class,
module, root container) left out, is not flagged.

Graph edges (:func:`graph_edges_frame`): ``src`` (int64), ``dst`` (int64),
``label`` (string: ``"['k']"``, ``".attr"``, ``"[3]"``; empty when unnamed).
An edge points from the holder to the object it holds.

Why-alive chains (:func:`chains_frame`, one row per chain, shortest first):

====================  ========  ==============================================
``root``              string    where the chain starts, in words
``path``              string    the chain in user terms (``"Out[3]"``,
                                ``"cache['x'].items[2]"``)
``length``            int64     references in the chain
``releasable_bytes``  Int64     bytes its action frees (``<NA>`` if not computed)
``action``            string    what removes the reference (``"del Out[3]"``)
``root_kind``         string    ``namespace``, ``output_cache``, ``traceback``,
                                ``frame``, ``ipython``, ``input_history``, ``module``
``needs_collect``     bool      what the action frees is on (or only held by) a
                                reference cycle: it is freed by the next
                                garbage collection (``gc.collect()``), not at once
====================  ========  ==============================================

``attrs``: ``target_type``, ``target_id``, ``plan`` (action texts),
``plan_releasable_bytes`` and ``plan_needs_collect``.
"""

from __future__ import annotations

import pandas as pd

from .core.whyalive import WhyAlive
from ._frame_text import text_series
from .graphs import as_model  # the one coercion of graph results to a GraphModel

__all__ = ["NODE_COLUMNS", "EDGE_COLUMNS", "CHAIN_COLUMNS",
           "graph_nodes_frame", "graph_edges_frame", "chains_frame"]

NODE_COLUMNS = ("id", "type", "size", "repr", "kind", "count", "depth", "highlight", "cycle", "root")
EDGE_COLUMNS = ("src", "dst", "label")
CHAIN_COLUMNS = ("root", "path", "length", "releasable_bytes", "action", "root_kind", "needs_collect")

_NODE_DTYPES = {"id": "int64", "type": "string", "size": "int64", "repr": "string",
                "kind": "string", "count": "int64", "depth": "int64", "highlight": "bool",
                "cycle": "bool", "root": "bool"}
_EDGE_DTYPES = {"src": "int64", "dst": "int64", "label": "string"}
_CHAIN_DTYPES = {"root": "string", "path": "string", "length": "int64",
                 "releasable_bytes": "Int64", "action": "string", "root_kind": "string",
                 "needs_collect": "bool"}


def _frame(rows, columns, dtypes) -> pd.DataFrame:
    cols = list(zip(*rows)) if rows else [()] * len(columns)
    return pd.DataFrame({c: text_series(v, dtype=dtypes[c]) if dtypes[c] == "string"
                         else pd.Series(list(v), dtype=dtypes[c]) for c, v in zip(columns, cols)})


def graph_nodes_frame(graph) -> pd.DataFrame:
    """One row per node of ``graph``; columns :data:`NODE_COLUMNS` (see module doc)."""
    rows = [(n.id, n.type, n.size, n.repr, n.kind, n.count, n.depth, n.highlight, n.cycle, n.root)
            for n in as_model(graph).nodes]
    return _frame(rows, NODE_COLUMNS, _NODE_DTYPES)


def graph_edges_frame(graph) -> pd.DataFrame:
    """One row per edge of ``graph``; columns :data:`EDGE_COLUMNS` (see module doc)."""
    rows = [(e.src, e.dst, e.label) for e in as_model(graph).edges]
    return _frame(rows, EDGE_COLUMNS, _EDGE_DTYPES)


def chains_frame(result: WhyAlive) -> pd.DataFrame:
    """One row per chain of a :func:`~pympler_nb.core.whyalive.why_alive` result.

    Columns :data:`CHAIN_COLUMNS` (see module doc).
    """
    if not isinstance(result, WhyAlive):
        raise TypeError(f"expected the WhyAlive result of why_alive(obj), got {type(result).__name__}")
    rows = [(c.root, c.path, c.length, c.releasable_bytes, c.action.text, c.root_kind,
             c.action.needs_collect) for c in result.chains]
    df = _frame(rows, CHAIN_COLUMNS, _CHAIN_DTYPES)
    df.attrs["target_type"] = result.target_type
    df.attrs["target_id"] = result.target_id
    df.attrs["plan"] = [a.text for a in result.plan]
    df.attrs["plan_releasable_bytes"] = result.releasable_bytes
    df.attrs["plan_needs_collect"] = result.needs_collect
    return df
