"""Reference graphs of a collection of objects (Pympler's ``refgraph``).

``ReferenceGraph(objects)`` finds the references among ``objects`` and describes
each object (id, type, flat size, clipped repr). It exports DOT text through the
:mod:`graphviz` package (:meth:`ReferenceGraph.write_graph`) and renders images
with the Graphviz ``dot`` executable when it is installed
(:meth:`ReferenceGraph.render`); in a notebook, :mod:`pympler_nb.graphs` shows
the same graph without ``dot``.

Differences from Pympler 1.1, on purpose:

* ``metadata[i].size`` is the object's **flat** size (Pympler: its share of a
  combined deep size); ``total_size`` is their sum, as in Pympler's split graphs.
* ``reduce_to_cycles()`` keeps the objects that lie **on** a cycle (strongly
  connected components, computed without recursion). Pympler also kept objects
  that merely lead into a cycle.
* Edge labels name the reference in Python terms: ``"['key']"``, ``".attr"``,
  ``"[3]"``, ``".__dict__"`` (Pympler: the bare key or attribute name, ``''`` for
  list items).

Bounded walks from a few objects (what they hold, or who holds them) are
:func:`refs_graph` and :func:`backrefs_graph`; both return a :class:`GraphModel`.
They show classes and modules as leaves and stop at root containers (module
globals, the interactive namespace), named as
:func:`~pympler_nb.core.whyalive.why_alive` names them.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple
import shutil
import subprocess
import sys
from types import ModuleType

from ._graphwalk import (
    GraphEdge,
    GraphModel,
    GraphNode,
    GraphvizNotFoundError,
    cycle_members,
    graph_of,
    model_to_digraph,
    referents_of,
    walk_graph,
    weak_components,
)

__all__ = [
    "ReferenceGraph",
    "MetaObject",
    "GraphModel",
    "GraphNode",
    "GraphEdge",
    "GraphvizNotFoundError",
    "refs_graph",
    "backrefs_graph",
]

_FORMAT = re.compile(r"[A-Za-z0-9_.:+-]+\Z")


class MetaObject(NamedTuple):
    """What a :class:`ReferenceGraph` knows about one object (Pympler's ``_MetaObject``).

    Immutable (use ``_replace``).

    Attributes
    ----------
    id : int
    size : int
        Flat size in bytes.
    type : str
        ``type(obj).__name__``.
    str : str
        Repr clipped to 128 characters (never raises).
    group : int or None
        Index of the connected sub-graph (set by :meth:`ReferenceGraph.split`).
    cycle : bool
        True if the object lies on a reference cycle.
    """

    id: int
    size: int
    type: str
    str: str
    group: int | None = None
    cycle: bool = False

    def __repr__(self):
        return f"<MetaObject {self.type} id={self.id:#x} size={self.size} {self.str!r}>"


class ReferenceGraph:
    """References among a collection of objects, exportable as a Graphviz graph.

    Parameters
    ----------
    objects : iterable
        The objects to draw. The graph keeps them (``self.objects``), as Pympler does.
    reduce : bool
        Keep only the objects that lie on reference cycles (see
        :meth:`reduce_to_cycles`).

    Attributes
    ----------
    objects : list
    count : int
        Number of objects given.
    num_in_cycles : int or str
        Objects on cycles, ``'N/A'`` until the graph was reduced.
    edges : set of GraphEdge
        ``(src, dst, label)`` with object ids.
    metadata : list of MetaObject
    total_size : int
        Sum of the flat sizes.

    Examples
    --------
    >>> from pympler_nb.core.refgraph import ReferenceGraph
    >>> a = [1]; b = {"a": a}; a.append(b)
    >>> g = ReferenceGraph([a, b])
    >>> sorted(e.label for e in g.edges)
    ["['a']", '[1]']
    >>> g.reduce_to_cycles().num_in_cycles
    2
    """

    def __init__(self, objects, reduce: bool = False):
        self.objects = list(objects)
        self.count = len(self.objects)
        self.num_in_cycles = "N/A"
        self.edges: set[GraphEdge] = set()
        self.metadata: list[MetaObject] = []
        self.total_size = 0
        self.index = 0
        if reduce:
            members = self._cycle_member_ids()
            self.objects = [o for o in self.objects if id(o) in members]
            self.num_in_cycles = len(self.objects)
            self._reduced = self
        else:
            self._reduced = None
        self._build(cycle_all=bool(reduce))

    # -- construction -----------------------------------------------------------

    def _build(self, cycle_all=False):
        nodes, edges = graph_of(self.objects)
        self.edges = edges
        succ: dict[int, list[int]] = {}
        for e in edges:
            succ.setdefault(e.src, []).append(e.dst)
        on_cycle = cycle_members([n.id for n in nodes], succ)
        self.metadata = [
            MetaObject(n.id, n.size, n.type, n.repr, None, cycle_all or n.id in on_cycle)
            for n in nodes
        ]
        self.total_size = sum(m.size for m in self.metadata)

    def _cycle_member_ids(self) -> set[int]:
        ids = {id(o) for o in self.objects}
        succ = {id(o): [id(r) for r in referents_of(o) if id(r) in ids] for o in self.objects}
        return cycle_members(list(ids), succ)

    def _copy(self) -> ReferenceGraph:
        other = ReferenceGraph.__new__(type(self))
        other.__dict__.update(self.__dict__)
        return other

    # -- Pympler API ----------------------------------------------------------------

    def reduce_to_cycles(self) -> ReferenceGraph | None:
        """The graph of the objects that lie on reference cycles, or ``None`` if none do.

        Also sets ``self.num_in_cycles``. The result is cached.
        """
        if self._reduced is None:
            members = self._cycle_member_ids()
            self.num_in_cycles = len(members)
            if not members:
                return None
            reduced = self._copy()
            reduced.objects = [o for o in self.objects if id(o) in members]
            reduced.num_in_cycles = self.num_in_cycles
            reduced._reduced = reduced
            reduced._build(cycle_all=True)
            self._reduced = reduced
        return self._reduced

    def split(self):
        """Yield one sub-graph per group of connected objects (edge direction ignored).

        Sub-graphs share ``objects`` items with this graph and carry ``index``,
        ``count`` and ``total_size`` of their own, in order of first appearance.
        """
        ids = [m.id for m in self.metadata]
        comps = weak_components(ids, [(e.src, e.dst) for e in self.edges])
        group_of = {}
        for g, comp in enumerate(comps):
            for nid in comp:
                group_of[nid] = g
        for index, comp in enumerate(comps):
            members = set(comp)
            sub = self._copy()
            sub.objects = [o for o in self.objects if id(o) in members]
            sub.metadata = [m._replace(group=index) for m in self.metadata if m.id in members]
            sub.edges = {e for e in self.edges if e.src in members}
            sub.count = len(sub.metadata)
            sub.total_size = sum(m.size for m in sub.metadata)
            sub.index = index
            yield sub

    def split_and_sort(self) -> list[ReferenceGraph]:
        """:meth:`split` as a list, the sub-graph with most objects first (re-indexed)."""
        graphs = list(self.split())
        graphs.sort(key=lambda g: -len(g.metadata))
        for index, graph in enumerate(graphs):
            graph.index = index
            graph.metadata = [m._replace(group=index) for m in graph.metadata]
        return graphs

    # -- the model and DOT ----------------------------------------------------------

    @property
    def model(self) -> GraphModel:
        """This graph as an immutable :class:`GraphModel` (ids, types, sizes, reprs)."""
        key = (len(self.metadata), len(self.edges))
        cached = self.__dict__.get("_model_cache")
        if cached is not None and cached[0] == key and cached[1] is self.metadata:
            return cached[2]
        nodes = [GraphNode(m.id, m.type, m.size, m.str, cycle=m.cycle) for m in self.metadata]
        model = GraphModel(nodes, sorted(self.edges), direction="set")
        self._model_cache = (key, self.metadata, model)
        return model

    def to_graph(self) -> GraphModel:
        """This graph as a :class:`GraphModel` (:attr:`model`), like every graph result."""
        return self.model

    def to_digraph(self, **options):
        """A :class:`graphviz.Digraph` of this graph (needs the ``graphviz`` package)."""
        return model_to_digraph(self.model, **options)

    def _get_graphviz_data(self) -> str:
        return self.to_digraph().source

    def write_graph(self, filename) -> None:
        """Write the DOT text of this graph to ``filename`` (UTF-8; no ``dot`` needed)."""
        with open(filename, "w", encoding="utf-8") as fh:
            fh.write(self._get_graphviz_data())

    def render(self, filename, cmd: str = "dot", format: str = "ps", unflatten: bool = False) -> bool:
        """Render the graph to ``filename`` with the Graphviz executable ``cmd``.

        Parameters
        ----------
        filename : str or os.PathLike
        cmd : str
            Layout program: ``'dot'`` (default), another Graphviz engine, or a path.
        format : str
            Output format passed as ``-T<format>`` (``'ps'``, ``'svg'``, ``'png'``...).
        unflatten : bool
            Pipe through Graphviz's ``unflatten -l7`` first (wide graphs).

        Returns
        -------
        bool
            ``False`` if there is nothing to draw; else whether Graphviz succeeded.

        Raises
        ------
        GraphvizNotFoundError
            (an :class:`OSError`) if ``cmd`` (or ``unflatten``) is not installed; the
            message says how to install Graphviz.
        """
        if not isinstance(format, str) or not _FORMAT.match(format):
            raise ValueError(f"format must be a Graphviz output format such as 'ps', 'svg', "
                             f"'png' or 'pdf' (letters, digits, ':'), got {format!r}")
        if not self.objects:
            return False
        exe = shutil.which(cmd)
        if exe is None:
            raise GraphvizNotFoundError(cmd)
        data = self._get_graphviz_data().encode("utf-8")
        flags = {"close_fds": sys.platform != "win32"}
        if unflatten:
            unflat = shutil.which("unflatten")
            if unflat is None:
                raise GraphvizNotFoundError("unflatten")
            step = subprocess.run([unflat, "-l7"], input=data, capture_output=True, **flags)
            if step.returncode != 0:
                return False
            data = step.stdout
        result = subprocess.run([exe, f"-T{format}", "-o", os.fspath(filename)], input=data,
                                capture_output=True, **flags)
        return result.returncode == 0

    def __repr__(self):
        return (f"<ReferenceGraph {self.count} objects, {len(self.edges)} edges, "
                f"in cycles: {self.num_in_cycles}>")


def _root_labels() -> dict[int, str]:
    """``{id: label}`` of the root containers, named as :func:`why_alive` names them."""
    from .session import SessionRoots  # lazy: it imports this module's engine

    return SessionRoots(set(), frames=False).labels()


def _ignored(objs, extra_ignore) -> set[int]:
    """``extra_ignore`` plus pympler_nb's own objects (trackers' summaries, heap
    snapshots: :func:`session.own_ids`), except the objects the walk starts from."""
    from .session import own_ids

    ids = own_ids() - {id(o) for o in objs}
    ids.update(extra_ignore)
    return ids


def _stops(classes: bool, roots: bool, extra_roots):
    stop_at = (ModuleType,) if classes else (ModuleType, type)
    named = _root_labels() if roots else {}
    for key, label in dict(extra_roots).items():
        named.setdefault(int(key), str(label))
    return stop_at, named


def refs_graph(*objs, max_depth: int = 3, max_nodes: int = 300, max_fanout: int = 30,
               filter=None, highlight=None, extra_ignore=(), sizes: bool = True,
               classes: bool = False, roots: bool = True, extra_roots=()) -> GraphModel:
    """What ``objs`` hold: a bounded walk along references, as a :class:`GraphModel`.

    Modules and classes are shown but not entered: an instance leads to its class,
    and the class's namespace, ``__mro__``, methods and their globals are left out
    (``classes=True`` enters classes). Root containers (module globals, the
    interactive namespace, ``sys.modules``, the IPython shell) are shown as leaves
    named as :func:`~pympler_nb.core.whyalive.why_alive` names them
    (``"globals of json"``). The start objects are always entered. A node with
    more than ``max_fanout`` referents shows the first ones and one
    ``"+N more"`` node.

    ``GraphNode.cycle`` marks the nodes on a cycle **of the drawn graph**: a cycle
    that closes beyond ``max_depth``, or through a node left out by a cap, the
    ``filter`` or a stop (class, module, root), is not flagged.

    Parameters
    ----------
    *objs
        Start objects (depth 0, drawn bold).
    max_depth, max_nodes, max_fanout : int or None
        Caps; ``None`` lifts one (``max_depth=None`` may walk the whole heap).
    filter : callable, optional
        ``filter(obj) -> bool``: leave out the objects for which it is False.
    highlight : callable, optional
        ``highlight(obj) -> bool``: mark these nodes.
    extra_ignore : iterable of int
        Ids to leave out.
    sizes : bool
        Compute flat sizes.
    classes : bool
        Enter classes (their namespace, bases, methods) instead of showing them as
        leaves.
    roots : bool
        Show root containers as named leaves; ``False`` walks into them like into
        any dict.
    extra_roots : mapping of int to str
        More objects (ids) to show as named leaves, e.g. ``{id(d): "locals of f()"}``.

    Examples
    --------
    >>> g = refs_graph({"a": [1, 2]}, max_depth=2)
    >>> [n.type for n in g.nodes]
    ['dict', 'list', 'int', 'int']
    """
    if not objs:
        raise ValueError("refs_graph() needs at least one object to start from")
    stop_at, named = _stops(classes, roots, extra_roots)
    return walk_graph(objs, backwards=False, max_depth=max_depth, max_nodes=max_nodes,
                      max_fanout=max_fanout, filter=filter, highlight=highlight,
                      extra_ignore=_ignored(objs, extra_ignore), stop_at=stop_at, stop_named=named,
                      sizes=sizes)


def backrefs_graph(*objs, max_depth: int = 3, max_nodes: int = 300, max_fanout: int = 30,
                   filter=None, highlight=None, extra_ignore=(), sizes: bool = True,
                   classes: bool = False, roots: bool = True, extra_roots=()) -> GraphModel:
    """Who holds ``objs``: a bounded walk along referrers, as a :class:`GraphModel`.

    Same parameters as :func:`refs_graph`. Edges point from holder to held, as in
    the heap. The walk stops where :func:`~pympler_nb.core.whyalive.why_alive`'s
    chains start: module globals, the interactive namespace, ``sys.modules`` and
    the IPython shell are shown as root nodes (``"globals of __main__"``) and what
    holds them (IPython's completer, the shell's methods, the running magic's
    arguments...) is not walked. Modules and classes (unless ``classes=True``)
    stop the walk too. Holders are found through the garbage collector; the dicts
    and tuples it stops tracking (``{'k': array}``, ``(1, array)``) by one extra
    scan when an untracked object is reached. Running frames are not holders here
    (``why_alive`` shows their locals). As in :func:`refs_graph`, ``cycle`` flags
    only cycles of the drawn graph.
    """
    if not objs:
        raise ValueError("backrefs_graph() needs at least one object to start from")
    stop_at, named = _stops(classes, roots, extra_roots)
    return walk_graph(objs, backwards=True, max_depth=max_depth, max_nodes=max_nodes,
                      max_fanout=max_fanout, filter=filter, highlight=highlight,
                      extra_ignore=_ignored(objs, extra_ignore), stop_at=stop_at, stop_named=named,
                      sizes=sizes)
