"""The reference graph widget: DOT laid out in the browser, pan, zoom, node details.

The kernel needs only the ``graphviz`` *Python* package (to write DOT); the browser lays
the graph out with Graphviz compiled to WebAssembly, bundled into the widget, so it works
without a ``dot`` executable and offline.

>>> from pympler_nb.core.refgraph import refs_graph
>>> w = RefGraph(refs_graph({"a": [1, 2]}, max_depth=2))
>>> [n["type"] for n in w.nodes]
['dict', 'list', 'int', 'int']
"""

from __future__ import annotations

import anywidget
import traitlets as t

from ..core.format import clip_text, format_size, text_safe
from ..graphs import GraphView, as_model, to_dot
from . import _static
from ._static import EsmBundle, answer_bundle_request, read_bundle

__all__ = ["RefGraph", "dot_node_name"]

_BUNDLE = "ref_graph.js"


def dot_node_name(node) -> str:
    """The DOT node name of a :class:`GraphNode` (also its SVG ``<title>``).

    Mirrors :func:`pympler_nb.core._graphwalk.model_to_digraph`: ``X<hex id>`` for
    objects, ``M<n>`` for "+N more" placeholders.
    """
    if node.kind == "more":
        return f"M{-node.id}"
    return f"X{node.id:x}"


def _node_json(node, label_clip: int, repr_clip: int) -> dict:
    return {
        "id": dot_node_name(node),
        "type": text_safe(node.type),
        "size": int(node.size),
        "repr": text_safe(clip_text(node.repr, repr_clip)),
        "label": text_safe(clip_text(node.repr, label_clip)),
        "kind": node.kind,
        "count": int(node.count),
        "root": bool(node.root),
        "cycle": bool(node.cycle),
        "highlight": bool(node.highlight),
    }


class RefGraph(_static.StaticPairing, anywidget.AnyWidget):
    """A reference graph with pan, zoom and node details, laid out in the browser.

    Parameters
    ----------
    graph
        Any graph result :func:`pympler_nb.graphs.as_model` accepts: ``GraphModel``
        (``refs_graph`` / ``backrefs_graph``), ``ReferenceGraph`` / ``GarbageGraph``,
        ``WhyAlive``, ``RefTreeNode``. Only its model (ids, types, sizes, clipped
        reprs) is kept, never the objects.
    title : str
        Shown above the graph.
    label_clip : int
        Characters of a node's repr in its drawn label.
    repr_clip : int
        Characters of a node's repr in the details panel.
    **options
        More :func:`pympler_nb.graphs.to_digraph` options (``rankdir``, ``sizes``, ``name``).

    Raises
    ------
    BundleMissingError
        If the front end was not built (``npm ci && npm run build`` in the repo).
    """

    _esm = EsmBundle(_BUNDLE)

    dot = t.Unicode("", help="DOT source, laid out by WebAssembly Graphviz in the browser").tag(sync=True)
    nodes = t.List(t.Dict(), help="per DOT node: {id (DOT name), type, size, repr, label, kind, "
                                  "count, root, cycle, highlight}").tag(sync=True)
    title = t.Unicode("", help="heading shown above the graph").tag(sync=True)
    _fallback = t.Unicode("", help="the static view (SVG, or DOT text), drawn by the loader when no "
                                   "kernel answers (a reopened notebook)").tag(sync=True)
    _static_id = t.Unicode("", help="pairs the view with its static output (see _static.display_paired)").tag(sync=True)

    def __init__(self, graph, *, title: str = "", label_clip: int = 48, repr_clip: int = 200, **options):
        read_bundle(_BUNDLE)  # a missing build fails here, with the fix in the message
        model = as_model(graph)
        options["label_clip"] = label_clip
        dot = to_dot(model, **options)
        nodes = [_node_json(n, label_clip, repr_clip) for n in model.nodes]
        super().__init__(dot=text_safe(dot), nodes=nodes, title=text_safe(title),
                         _static_id=_static.new_static_id())
        self._model = model
        self._options = options
        self._static = self._static_bundle()
        self._fallback = self._static.get("image/svg+xml") or self._static.get("text/html", "")
        self.on_msg(self._on_msg)

    def _on_msg(self, widget, content, buffers):
        answer_bundle_request(self, _BUNDLE, content)

    def _static_bundle(self) -> dict:
        """SVG from `dot` when installed, else the DOT text with a note (GraphView decides)."""
        try:
            fallback = GraphView(self._model, **self._options)._repr_mimebundle_()
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            return {"text/html": f"<pre>{type(exc).__name__}: no static view</pre>"}
        return {k: fallback[k] for k in ("image/svg+xml", "text/html", "text/vnd.graphviz") if k in fallback}

    @classmethod
    def from_graph(cls, graph, **kwargs) -> RefGraph:
        """Same as ``RefGraph(graph, **kwargs)``."""
        return cls(graph, **kwargs)

    @property
    def model(self):
        """The :class:`~pympler_nb.core.refgraph.GraphModel` shown."""
        return self._model

    def __repr__(self):
        return f"<RefGraph {len(self._model.nodes)} nodes, {len(self._model.edges)} edges>"

    def _text(self) -> str:
        lines = [repr(self) + (f" {self.title}" if self.title else "")]
        for node in self._model.nodes[:50]:
            if node.kind == "more":
                lines.append(f"  {node.repr}")
            else:
                lines.append(f"  {node.type:<16} {format_size(node.size):>9}  {clip_text(node.repr, 60)}")
        if len(self._model.nodes) > 50:
            lines.append(f"  ... {len(self._model.nodes) - 50} more nodes")
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        """The widget view plus ``text/plain`` and the static graph (SVG when ``dot`` is
        installed, else the DOT text in ``text/html``); only the static ones when no
        person's front end runs the cell (``nbconvert --execute``)."""
        data, meta = self._widget_bundle(**kwargs)
        try:
            data["text/plain"] = text_safe(self._text())
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            data["text/plain"] = f"{object.__repr__(self)} (no text view: {type(exc).__name__})"
        data.update(self._static)
        return data, meta
