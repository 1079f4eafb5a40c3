"""Reference graphs for notebooks: graph model -> ``graphviz.Digraph``, DOT text, SVG.

Everything that draws a graph accepts any of pympler_nb's graph results:
:class:`~pympler_nb.core.refgraph.GraphModel` (from ``refs_graph`` /
``backrefs_graph``), :class:`~pympler_nb.core.refgraph.ReferenceGraph` and
``GarbageGraph``, :class:`~pympler_nb.core.whyalive.WhyAlive` (its chains),
:class:`~pympler_nb.core.refbrowser.RefTreeNode` (a referrer tree) and the heap's
``RetainedNode``/``Subtree`` (a dominator tree): each has ``to_graph()``.

* :func:`to_digraph` and :func:`to_dot` need only the ``graphviz`` Python package.
* :func:`to_svg` needs the Graphviz ``dot`` executable and says how to install it
  when it is missing (:func:`has_dot` tells in advance).
* :class:`GraphView` displays in Jupyter: SVG when ``dot`` exists, otherwise the
  DOT text with a note (a front end that renders DOT in the browser can take
  ``text/vnd.graphviz`` from the same bundle).

>>> from pympler_nb.core.refgraph import refs_graph
>>> print(to_dot(refs_graph([1, 2], max_depth=1)).splitlines()[0])
digraph G {
"""

from __future__ import annotations

import html
import shutil

import graphviz

from .core.heap import RetainedNode, Subtree
from .core.refbrowser import RefTreeNode
from .core.refgraph import (
    GraphModel,
    GraphvizNotFoundError,
    ReferenceGraph,
    backrefs_graph,
    refs_graph,
)
from .core.whyalive import WhyAlive

__all__ = [
    "as_model",
    "to_digraph",
    "to_dot",
    "to_svg",
    "has_dot",
    "GraphView",
    "show_refs",
    "show_backrefs",
    "show_why_alive",
    "GraphvizNotFoundError",
]

_GRAPH_RESULTS = (GraphModel, ReferenceGraph, WhyAlive, RefTreeNode, RetainedNode, Subtree)
_ACCEPTED = "GraphModel, ReferenceGraph/GarbageGraph, WhyAlive, RefTreeNode, or a heap RetainedNode/Subtree"


def as_model(graph) -> GraphModel:
    """Coerce any pympler_nb graph result to a :class:`GraphModel` (its ``to_graph()``)."""
    if isinstance(graph, _GRAPH_RESULTS):
        return graph.to_graph()
    raise TypeError(f"expected a {_ACCEPTED}, got {type(graph).__name__}; build one with "
                    f"pympler_nb.core.refgraph.refs_graph(obj) or ReferenceGraph(objects)")


def to_digraph(graph, **options) -> graphviz.Digraph:
    """A :class:`graphviz.Digraph` of ``graph`` (options: ``name``, ``label_clip``,
    ``rankdir`` in ``('TB', 'LR', 'BT', 'RL')``, ``sizes``)."""
    return as_model(graph).to_digraph(**options)


def to_dot(graph, **options) -> str:
    """DOT source text of ``graph``; valid for any labels (quotes, unicode, ``<...>``)."""
    return to_digraph(graph, **options).source


def has_dot(cmd: str = "dot") -> bool:
    """True if the Graphviz executable ``cmd`` is on ``PATH``."""
    return shutil.which(cmd) is not None


def to_svg(graph, *, engine: str = "dot", **options) -> str:
    """SVG text of ``graph`` rendered by Graphviz.

    Raises
    ------
    GraphvizNotFoundError
        If the Graphviz executable is not installed (the message says how to get
        it, and that notebooks can show the graph without it).
    ValueError
        If ``engine`` is not a Graphviz layout engine.
    """
    if engine not in graphviz.ENGINES:
        raise ValueError(f"engine must be one of {sorted(graphviz.ENGINES)}, got {engine!r}")
    if not has_dot(engine):
        raise GraphvizNotFoundError(engine)
    digraph = to_digraph(graph, **options)
    try:
        return digraph.pipe(format="svg", engine=engine, encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:  # removed between the check and the call
        raise GraphvizNotFoundError(engine) from exc


class GraphView:
    """A graph that displays itself in Jupyter (SVG with ``dot``, DOT text without).

    Parameters
    ----------
    graph
        Any pympler_nb graph result (see :func:`as_model`).
    **options
        Passed to :func:`to_digraph`.
    """

    def __init__(self, graph, **options):
        self.model = as_model(graph)
        self.options = options

    @property
    def dot(self) -> str:
        """The DOT source."""
        return to_dot(self.model, **self.options)

    def svg(self) -> str:
        """The SVG rendering (needs ``dot``; see :func:`to_svg`)."""
        return to_svg(self.model, **self.options)

    def __repr__(self):
        return f"<GraphView {self.model!r}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self)}
        try:
            dot = self.dot
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            bundle["text/plain"] += f"\n(could not build the graph: {type(exc).__name__}: {exc})"
            return bundle
        bundle["text/vnd.graphviz"] = dot
        if has_dot():
            try:
                bundle["image/svg+xml"] = self.svg()
                return bundle
            except Exception:  # noqa: BLE001 - fall back to the text form
                pass
        bundle["text/html"] = (
            "<div class='pympler-nb-graph-static'><p>Graphviz's <code>dot</code> is not installed, "
            "so here is the graph as DOT text (paste it into any Graphviz viewer, or install "
            "Graphviz for an inline image).</p><pre>" + html.escape(dot) + "</pre></div>")
        return bundle


def show_refs(*objs, **kwargs) -> GraphView:
    """:func:`~pympler_nb.core.refgraph.refs_graph` as a displayable :class:`GraphView`."""
    return GraphView(refs_graph(*objs, **kwargs))


def show_backrefs(*objs, **kwargs) -> GraphView:
    """:func:`~pympler_nb.core.refgraph.backrefs_graph` as a displayable :class:`GraphView`."""
    # this function's own argument tuple holds the objects: never show it as a holder
    kwargs["extra_ignore"] = (*kwargs.get("extra_ignore", ()), id(objs))
    return GraphView(backrefs_graph(*objs, **kwargs))


def show_why_alive(result: WhyAlive, **options) -> GraphView:
    """The chains of a :func:`~pympler_nb.core.whyalive.why_alive` result as a graph."""
    if not isinstance(result, WhyAlive):
        raise TypeError(f"expected the WhyAlive result of why_alive(obj), got {type(result).__name__}")
    return GraphView(result, **options)
