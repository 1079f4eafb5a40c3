"""Shared machinery of the reference-graph walkers: labels, the graph model, walks.

The engine in three modules, this one its facade (every name below is importable
from here): :mod:`._hops` names references (``Hop``, ``edge_hops``, ``render_path``),
:mod:`._holders` asks the heap who holds what (``HolderSearch``, ``referents_of``),
this module holds the graph model, the bounded walks and DOT output.

Standard library only; :mod:`graphviz` is imported lazily by :func:`model_to_digraph`.

Everything here follows three rules:

* **Iterative.** No recursion over user data: breadth-first walks with explicit
  queues and an iterative Tarjan for strongly connected components, so a
  million-deep linked list is a normal input.
* **Bounded.** Depth, node and fan-out caps; a capped fan-out shows as one
  ``"+N more"`` node.
* **Invisible and forgetful.** The walker's own containers are put in an ignore
  set (executing frames never show up as referrers), and results hold ids, type
  names, clipped reprs and sizes only, never the objects.

Edge labels are computed without side effects on the objects: an instance's
``__dict__`` is never materialized (CPython 3.11+ stores attributes inline),
properties and other Python-level descriptors are never called. Attribute names
of inline values are read from the class's shared keys (``_layout``), or else
recovered from the names the class's own code uses (``co_names`` of its methods,
dataclass annotations); a reference that nothing names is shown by the type it leads to
(`` → <list>``).
"""

from __future__ import annotations

import types
from typing import NamedTuple

from . import _layout
from ._format import clip_text, format_size, safe_repr, text_safe, type_name
from ._holders import REFERRERS_CHUNK, REFERRERS_SCAN, HolderSearch, referents_of, referrers_of  # noqa: F401
from ._hops import (  # the engine's parts, named here too (its facade)
    CO_OPTIMIZED,  # noqa: F401 - re-exported
    HOP_KINDS,  # noqa: F401 - re-exported
    Hop,
    attr_hop,  # noqa: F401 - re-exported
    is_object_ndarray,  # noqa: F401 - re-exported
    key_hop,  # noqa: F401 - re-exported
    Labeller,
    module_dict,  # noqa: F401 - re-exported
    deep_size,  # noqa: F401 - re-exported
    edge_hops,
    flat_size,
    lru_cache_entries,
    lru_call_text,
    render_path,
)
from .values import Frozen, check_int

__all__ = [
    "Hop",
    "GraphNode",
    "GraphEdge",
    "GraphModel",
    "GraphvizNotFoundError",
    "edge_hops",
    "render_path",
    "strongly_connected_components",
    "cycle_members",
    "weak_components",
    "walk_graph",
    "graph_of",
    "referrers_of",
    "referents_of",
    "HolderSearch",
    "model_to_digraph",
    "dot_label",
    "flat_size",
    "lru_cache_entries",
    "lru_call_text",
]

# ---------------------------------------------------------------------------
# The graph model
# ---------------------------------------------------------------------------


class GraphNode(NamedTuple):
    """One object in a graph: identity, type, flat size and a clipped repr (immutable).

    ``kind`` is ``"object"`` or ``"more"`` (a placeholder for ``count`` elided
    neighbours; its ``id`` is synthetic and negative). ``depth`` is the distance
    from the walk's start objects, ``root`` marks those, ``highlight`` and
    ``cycle`` are flags for drawing. ``cycle`` is computed on the graph's own
    edges: in a bounded walk, a cycle that closes beyond the depth limit (or
    through a node left out) is not flagged.
    """

    id: int
    type: str
    size: int
    repr: str
    kind: str = "object"
    count: int = 0
    depth: int = 0
    highlight: bool = False
    cycle: bool = False
    root: bool = False

    def replace(self, **changes) -> GraphNode:
        """A copy with some fields changed."""
        return self._replace(**changes)

    def __repr__(self):
        if self.kind == "more":
            return f"<GraphNode +{self.count} more>"
        return f"<GraphNode {self.type} id={self.id:#x} size={self.size} {self.repr!r}>"


class GraphEdge(NamedTuple):
    """A reference ``src -> dst`` (object ids) with its label (``"['k']"``, ``".next"``).

    Immutable; equal and hashed by ``(src, dst, label)`` like Pympler's ``_Edge``.
    """

    src: int
    dst: int
    label: str = ""

    def __repr__(self):
        return "<%08x => %08x, %r>" % (self.src, self.dst, self.label)


class GraphModel(Frozen):
    """An immutable reference graph: nodes, labelled edges, and which nodes were the start.

    Attributes
    ----------
    nodes : tuple of GraphNode
    edges : tuple of GraphEdge
    roots : frozenset of int
        Ids of the objects the walk started from (drawn bold).
    truncated : bool
        True if a depth, node or fan-out cap cut the walk short.
    direction : str
        ``"refs"`` (edges point from holder to held; the walk followed referents),
        ``"backrefs"`` (the walk followed referrers) or ``"set"`` (edges among a
        given set of objects).
    """

    __slots__ = ("nodes", "edges", "roots", "truncated", "direction", "_index")

    def __init__(self, nodes, edges, roots=(), truncated=False, direction="set"):
        nodes = tuple(nodes)
        self._set(nodes=nodes, edges=tuple(edges), roots=frozenset(roots),
                   truncated=bool(truncated), direction=direction,
                   _index={n.id: n for n in nodes})

    def node(self, node_id: int) -> GraphNode:
        """The node with id ``node_id`` (``KeyError`` naming the id if absent)."""
        try:
            return self._index[node_id]
        except KeyError:
            raise KeyError(f"no node with id {node_id:#x} in this graph "
                           f"({len(self.nodes)} nodes)") from None

    def __len__(self):
        return len(self.nodes)

    def to_graph(self) -> GraphModel:
        """This graph itself: every graph result of pympler_nb has ``to_graph()``
        returning a :class:`GraphModel` (``ReferenceGraph``, ``GarbageGraph``,
        ``WhyAlive``, ``RefTreeNode``, the heap's ``RetainedNode`` and ``Subtree``)."""
        return self

    def largest_components(self, max_nodes: int) -> GraphModel:
        """This graph cut to at most ``max_nodes`` nodes for drawing: whole connected
        components (cycles with what hangs on them), largest total size first (at least
        one, cut to ``max_nodes``); the graph itself when it is small enough. A graph of
        many thousand nodes is neither readable nor cheap to lay out."""
        check_int(max_nodes, "max_nodes", 1)
        if len(self.nodes) <= max_nodes:
            return self
        size = {n.id: n.size for n in self.nodes}
        comps = weak_components([n.id for n in self.nodes], [(e.src, e.dst) for e in self.edges])
        comps.sort(key=lambda c: -sum(size[i] for i in c))  # stable: first found first among ties
        keep: set[int] = set()
        for comp in comps:
            if keep and len(keep) + len(comp) > max_nodes:
                break
            keep.update(comp[:max_nodes - len(keep)])
        return GraphModel([n for n in self.nodes if n.id in keep],
                          [e for e in self.edges if e.src in keep and e.dst in keep],
                          roots=self.roots & keep, truncated=True, direction=self.direction)

    def __contains__(self, node_id):
        return node_id in self._index

    @property
    def total_size(self) -> int:
        """Sum of the flat sizes of the object nodes."""
        return sum(n.size for n in self.nodes if n.kind == "object")

    def sccs(self) -> list[list[int]]:
        """Strongly connected components (lists of node ids), iterative Tarjan."""
        succ: dict[int, list[int]] = {}
        for e in self.edges:
            succ.setdefault(e.src, []).append(e.dst)
        return strongly_connected_components([n.id for n in self.nodes], succ)

    def to_digraph(self, **options):
        """This graph as a :class:`graphviz.Digraph` (needs the ``graphviz`` package)."""
        return model_to_digraph(self, **options)

    def to_dot(self, **options) -> str:
        """DOT source text of :meth:`to_digraph` (no ``dot`` executable needed)."""
        return model_to_digraph(self, **options).source

    def __repr__(self):
        flag = ", truncated" if self.truncated else ""
        return f"<GraphModel {self.direction}: {len(self.nodes)} nodes, {len(self.edges)} edges{flag}>"


def strongly_connected_components(nodes, succ) -> list[list[int]]:
    """Tarjan's algorithm without recursion.

    Parameters
    ----------
    nodes : iterable of hashable
        All vertices (isolated ones included).
    succ : mapping vertex -> iterable of vertices
        Successors; vertices not in ``nodes`` are visited too.

    Returns
    -------
    list of list
        Components in reverse topological order.
    """
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    result: list[list] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(succ.get(start, ())))]
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                result.append(comp)
    return result


def cycle_members(nodes, succ) -> set:
    """Vertices that lie on a cycle: in an SCC of size > 1, or with a self-loop."""
    members: set = set()
    for comp in strongly_connected_components(nodes, succ):
        if len(comp) > 1:
            members.update(comp)
        else:
            v = comp[0]
            if v in set(succ.get(v, ())):
                members.add(v)
    return members


def weak_components(nodes, edges) -> list[list[int]]:
    """Connected components ignoring edge direction, in order of first appearance."""
    adj: dict[int, list[int]] = {n: [] for n in nodes}
    for src, dst in edges:
        if src in adj and dst in adj:
            adj[src].append(dst)
            adj[dst].append(src)
    seen: set[int] = set()
    comps: list[list[int]] = []
    for start in adj:
        if start in seen:
            continue
        seen.add(start)
        comp = [start]
        queue = [start]
        while queue:
            v = queue.pop()
            for w in adj[v]:
                if w not in seen:
                    seen.add(w)
                    comp.append(w)
                    queue.append(w)
        comps.append(comp)
    return comps


def _type_name(obj: object) -> str:
    return type_name(obj)


_BUILTIN_REPRS = {list.__repr__, tuple.__repr__, dict.__repr__, set.__repr__, frozenset.__repr__}


def _make_reprlib():
    import reprlib

    class _BoundedRepr(reprlib.Repr):
        def repr1(self, x, level):
            # dispatch containers on their __repr__, not their type name, so that
            # subclasses (which reprlib would hand to the deep builtins.repr) stay bounded
            method = _REPR_METHODS.get(getattr(type(x), "__repr__", None))
            if method is not None:
                return getattr(self, method)(x, level)
            return super().repr1(x, level)

    r = _BoundedRepr()
    r.maxlevel = 3
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = 8
    r.maxdict = 6
    r.maxstring = r.maxother = 40
    r.maxlong = 40
    return r


_REPRLIB = _make_reprlib()
_REPR_METHODS = {list.__repr__: "repr_list", tuple.__repr__: "repr_tuple", dict.__repr__: "repr_dict",
                 set.__repr__: "repr_set", frozenset.__repr__: "repr_frozenset"}


def node_repr(obj: object, clip: int = 128) -> str:
    """A clipped repr whose cost does not grow with the size or depth of a container.

    Built-in containers (and subclasses that keep the built-in ``__repr__``) are
    shown at most 3 levels and 8 items deep (``reprlib``); a plain ``repr`` of a
    200,000-long chain of nested lists would walk all of it for every node. Other
    objects go through :func:`safe_repr`.
    """
    try:  # the type's own __repr__, found without running a metaclass's __getattribute__
        method = _REPR_METHODS.get(_layout.type_lookup(type(obj), "__repr__"))
    except Exception:  # noqa: BLE001
        method = None
    if method is None:
        return safe_repr(obj, clip=clip)
    try:
        text = getattr(_REPRLIB, method)(obj, _REPRLIB.maxlevel)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return safe_repr(obj, clip=clip)
    return clip_text(text, clip)


def _node_for(obj, depth, highlight, root, sizes=True) -> GraphNode:
    return GraphNode(
        id=id(obj),
        type=_type_name(obj),
        size=flat_size(obj) if sizes else 0,
        repr=node_repr(obj, clip=128),
        depth=depth,
        highlight=bool(highlight),
        root=root,
    )


def _call_predicate(func, obj, what):
    if func is None:
        return None
    try:
        return bool(func(obj))
    except Exception as exc:
        raise ValueError(
            f"the {what} callable {func!r} raised {type(exc).__name__}: {exc} "
            f"on a {_type_name(obj)} object; make it return True/False for any object"
        ) from exc


def walk_graph(objs, *, backwards=False, max_depth=3, max_nodes=500, max_fanout=30,
               filter=None, highlight=None, extra_ignore=(), stop_at=(types.ModuleType,),
               stop_named=None, sizes=True) -> GraphModel:
    """Breadth-first walk from ``objs`` along referents (or referrers), bounded.

    Parameters
    ----------
    objs : sequence of objects
        Where the walk starts (depth 0).
    backwards : bool
        Follow referrers (who holds these?) instead of referents (what do they hold?).
        Edges always point from holder to held.
    max_depth : int or None
        Stop expanding at this distance from ``objs``.
    max_nodes : int or None
        Stop adding new nodes once the graph has this many (``truncated`` is set).
    max_fanout : int or None
        Show at most this many neighbours of one node; the rest become one
        ``"+N more"`` node.
    filter : callable or None
        ``filter(obj) -> bool``; objects for which it is False are left out.
    highlight : callable or None
        ``highlight(obj) -> bool``; marks nodes (drawn in another colour).
    extra_ignore : iterable of int
        Ids never to include (your own containers).
    stop_at : tuple of types
        Objects of these types are shown but not expanded (modules by default).
    stop_named : mapping of int to str, optional
        Ids of objects shown but not expanded, with the text to show instead of
        their repr (root containers: ``"globals of json"``).
    sizes : bool
        Compute flat sizes (``False`` leaves 0, for speed).

    The start objects themselves are always expanded, whatever their type. The
    ``cycle`` flag of a node is computed from the drawn edges only: a cycle that
    closes beyond ``max_depth`` (or through a node left out by a cap, a filter or
    a stop) is not flagged.
    """
    check_int(max_depth, "max_depth", 0, none="no limit")
    check_int(max_nodes, "max_nodes", 1, none="no limit")
    check_int(max_fanout, "max_fanout", 1, none="no limit")
    keep: list = []  # visited objects, alive for the walk so that ids stay unique
    ignore: set[int] = {id(keep), id(objs)}
    ignore.update(extra_ignore)
    depth_of: dict[int, int] = {}
    order: list[int] = []
    highlight_ids: set[int] = set()
    edges: list[GraphEdge] = []
    more_nodes: list[GraphNode] = []
    truncated = False
    labeller = Labeller()
    cache: dict[int, object] = {}  # id -> neighbour object, for one level
    ignore.add(id(cache))
    holders = HolderSearch(ignore)  # backwards: its scans are made once, when first needed
    for obj in objs:
        oid = id(obj)
        if oid in depth_of or oid in ignore:
            continue
        depth_of[oid] = 0
        order.append(oid)
        keep.append(obj)
        if _call_predicate(highlight, obj, "highlight"):
            highlight_ids.add(oid)
    obj = None
    roots = set(depth_of)
    named = stop_named or {}

    def stops(p):  # shown, not entered (the start objects are always entered)
        x = keep[p]
        return id(x) not in roots and (issubclass(type(x), stop_at) or id(x) in named)

    level = list(range(len(keep)))  # positions in `keep` of the current frontier
    depth = 0
    while level and (max_depth is None or depth < max_depth):
        expand = [p for p in level if not stops(p)]
        if not expand:
            break
        pairs = _neighbours(keep, expand, backwards, ignore, cache, holders)  # [(pos, [ids])]
        new_level: list[int] = []
        for pos, nbr_ids in pairs:
            node = keep[pos]
            nid = id(node)
            accepted = []
            for oid in nbr_ids:
                if oid in ignore:
                    continue
                other = cache[oid]
                if filter is not None and not _call_predicate(filter, other, "filter"):
                    continue
                accepted.append(other)
            shown = accepted if max_fanout is None else accepted[:max_fanout]
            hidden = len(accepted) - len(shown)
            labels = {} if backwards else edge_hops(node, {id(o) for o in shown}, labeller)
            for other in shown:
                oid = id(other)
                if oid not in depth_of:
                    if max_nodes is not None and len(order) + len(more_nodes) >= max_nodes:
                        truncated = True
                        hidden += 1
                        continue
                    depth_of[oid] = depth + 1
                    order.append(oid)
                    new_level.append(len(keep))
                    keep.append(other)
                    if _call_predicate(highlight, other, "highlight"):
                        highlight_ids.add(oid)
                if backwards:
                    hop = edge_hops(other, {nid}, labeller).get(nid)
                    edges.append(GraphEdge(oid, nid, hop.text if hop else ""))
                else:
                    hop = labels.get(oid)
                    edges.append(GraphEdge(nid, oid, hop.text if hop else ""))
            if hidden > 0:
                truncated = True
                more_id = -(len(more_nodes) + 1)
                more_nodes.append(GraphNode(id=more_id, type="", size=0, repr=f"+{hidden} more",
                                            kind="more", count=hidden, depth=depth + 1))
                edges.append(GraphEdge(more_id, nid, "") if backwards else GraphEdge(nid, more_id, ""))
            node = other = None
            accepted = shown = None
        cache.clear()
        level = new_level
        depth += 1
    if level and max_depth is not None and depth >= max_depth:
        truncated = truncated or any(not stops(p) and _has_neighbours(keep[p], backwards, ignore)
                                     for p in level[:50])
    succ: dict[int, list[int]] = {}
    for e in edges:
        succ.setdefault(e.src, []).append(e.dst)
    on_cycle = cycle_members(order, succ)
    nodes = []
    for obj in keep:
        oid = id(obj)
        node = _node_for(obj, depth_of[oid], oid in highlight_ids, oid in roots, sizes)
        if oid in named:
            node = node.replace(repr=named[oid])
        nodes.append(node.replace(cycle=True) if oid in on_cycle else node)
    obj = None
    keep.clear()
    holders.close()
    nodes.extend(more_nodes)
    return GraphModel(nodes, edges, roots=roots, truncated=truncated,
                      direction="backrefs" if backwards else "refs")


def _neighbours(keep, positions, backwards, ignore, cache, holders):
    """[(position, [neighbour ids])] for ``keep[p]``, p in ``positions``.

    ``cache`` receives id -> object for every neighbour (the caller clears it).
    Backwards, ``holders`` (a :class:`HolderSearch`) finds every kind of holder (also
    untracked dicts and tuples, numpy object arrays); forwards, :func:`referents_of`
    lists what the size rules say an object holds beyond ``gc.get_referents``.
    """
    out = []
    if backwards:
        frontier = [keep[p] for p in positions]
        ignore.add(id(frontier))
        found, kids = holders.find(frontier)
        ignore.discard(id(frontier))
        del frontier
        by_child: dict[int, list[int]] = {}
        for ref in found:
            rid = id(ref)
            if rid in ignore:
                continue
            cache[rid] = ref
            for kid in dict.fromkeys(kids[rid]):
                by_child.setdefault(kid, []).append(rid)
        ref = None
        del found
        for p in positions:
            out.append((p, by_child.get(id(keep[p]), [])))
    else:
        for p in positions:
            seen: dict[int, None] = {}
            for ref in _referents_in_order(keep[p]):
                rid = id(ref)
                if rid not in ignore and rid not in seen:
                    seen[rid] = None
                    cache[rid] = ref
            ref = None
            out.append((p, list(seen)))
    return out


def _referents_in_order(obj) -> list:
    """``gc.get_referents(obj)``, with list and tuple items first and in index order.

    (CPython traverses lists and tuples from the end; a capped fan-out should show
    ``[0]``, ``[1]``... rather than the last items.)
    """
    refs = referents_of(obj)
    tp = type(obj)
    if issubclass(tp, (list, tuple)) and len(refs) > 1:
        items = list(list.__iter__(obj) if issubclass(tp, list) else tuple.__iter__(obj))
        item_ids = {id(x) for x in items}
        refs = items + [r for r in refs if id(r) not in item_ids]
    return refs


def _has_neighbours(obj, backwards, ignore) -> bool:
    if backwards:
        return True  # a referrer search per node would cost a heap pass each; assume yes
    return any(id(r) not in ignore for r in referents_of(obj))


def graph_of(objects, *, sizes=True, labeller: Labeller | None = None):
    """Nodes and labelled edges among exactly ``objects`` (edges inside the set only).

    Returns ``(nodes, edges)``: a list of :class:`GraphNode` in input order
    (duplicates by identity dropped) and a set of :class:`GraphEdge`.
    """
    labeller = labeller or Labeller()
    order: list = []
    seen: set[int] = set()
    for obj in objects:
        if id(obj) not in seen:
            seen.add(id(obj))
            order.append(obj)
    edges: set[GraphEdge] = set()
    for obj in order:
        hits = {id(r) for r in referents_of(obj)} & seen
        if not hits:
            continue
        labels = edge_hops(obj, hits, labeller)
        for rid in hits:
            hop = labels.get(rid)
            edges.add(GraphEdge(id(obj), rid, hop.text if hop else ""))
    nodes = [_node_for(obj, 0, False, False, sizes) for obj in order]
    return nodes, edges


# ---------------------------------------------------------------------------
# DOT through the graphviz package
# ---------------------------------------------------------------------------


class GraphvizNotFoundError(OSError):
    """The Graphviz executable is missing; the message says how to get it."""

    def __init__(self, cmd: str = "dot"):
        super().__init__(
            f"the Graphviz executable {cmd!r} was not found on PATH. Install Graphviz "
            f"(Debian/Ubuntu: `apt-get install graphviz`; conda: `conda install -c "
            f"conda-forge graphviz`; macOS: `brew install graphviz`; Windows: "
            f"https://graphviz.org/download/) or pass cmd= the full path. In a notebook "
            f"you do not need it: pympler_nb draws reference graphs in the browser from "
            f"the DOT text, and write_graph(filename) / to_dot() work without Graphviz."
        )
        self.cmd = cmd


def _graphviz():
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - graphviz is a declared dependency
        raise ImportError(
            "DOT output needs the 'graphviz' Python package: pip install graphviz "
            "(it is a dependency of pympler_nb; the `dot` executable is optional)"
        ) from exc
    return graphviz


def _printable(text: str) -> str:
    text = text_safe(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def dot_label(*lines: str, clip: int = 0):
    """``lines`` made safe as one DOT label: printable, valid UTF-8, no HTML, no escapes.

    Each line goes through the graphviz package's ``escape()`` (quotes, backslashes,
    ``<...>`` and unicode come out literally); lines are joined by DOT's line break.
    """
    gv = _graphviz()
    parts = []
    for text in lines:
        text = _printable(str(text))
        if clip:
            text = clip_text(text, clip)
        parts.append(gv.escape(text))
    return gv.nohtml("\\n".join(parts))


NODE_STYLE = {"shape": "box", "fontsize": "10", "style": "filled",
              "fillcolor": "#E5EDB8", "color": "#CCCCCC", "fontname": "Helvetica"}
EDGE_STYLE = {"fontsize": "10", "fontname": "Helvetica"}


def model_to_digraph(model: GraphModel, *, name: str = "G", label_clip: int = 48,
                     rankdir: str | None = None, sizes: bool = True):
    """Convert a :class:`GraphModel` to a :class:`graphviz.Digraph`.

    Node names are ``X<hex id>`` (``M<n>`` for "+N more" nodes); labels are the
    clipped repr, the type name and the flat size. Highlighted nodes are yellow,
    nodes on a cycle red-bordered, start nodes bold, "+N more" nodes dashed.
    """
    gv = _graphviz()
    graph_attr = {}
    if rankdir is not None:
        allowed = ("TB", "LR", "BT", "RL")
        if rankdir not in allowed:
            raise ValueError(f"rankdir must be one of {allowed}, got {rankdir!r}")
        graph_attr["rankdir"] = rankdir
    dg = gv.Digraph(name=name, graph_attr=graph_attr, node_attr=dict(NODE_STYLE),
                    edge_attr=dict(EDGE_STYLE))
    names: dict[int, str] = {}
    for node in model.nodes:
        if node.kind == "more":
            nm = f"M{-node.id}"
            names[node.id] = nm
            dg.node(nm, label=dot_label(node.repr), style="dashed", fillcolor="white")
            continue
        nm = f"X{node.id:x}"
        names[node.id] = nm
        text = clip_text(_printable(node.repr), label_clip)
        second = f"{node.type} {format_size(node.size)}" if sizes else node.type
        attrs = {}
        if node.highlight:
            attrs["fillcolor"] = "#FFE680"
        if node.cycle:
            attrs["color"] = "#D62728"
            attrs["penwidth"] = "2"
        if node.root:
            attrs["style"] = "filled,bold"
        if node.type == "frame":
            attrs["color"] = attrs.get("color", "orange")
        dg.node(nm, label=dot_label(text, second), **attrs)
    for edge in model.edges:
        src = names.get(edge.src)
        dst = names.get(edge.dst)
        if src is None or dst is None:
            continue
        attrs = {}
        if edge.label == ".__dict__":
            attrs["weight"] = "100"
        dg.edge(src, dst, label=dot_label(edge.label, clip=40) if edge.label else None, **attrs)
    return dg
