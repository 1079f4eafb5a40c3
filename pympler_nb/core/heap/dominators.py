"""Dominators and retained sizes of a snapshot's reachable objects.

Object ``d`` *dominates* ``o`` if every path of references from the roots to ``o``
passes through ``d``; the retained size of ``d`` is the total flat size of what it
dominates (itself included): the memory freed if ``d`` went away.  The tree is computed
for all reachable objects at once (:func:`immediate_dominators`, an iterative
Cooper-Harvey-Kennedy algorithm over a breadth-first numbering) the first time a
snapshot needs it, and kept with the snapshot.

:class:`DominatorTree` is the engine's public face (``snap.dominators()``); the views
(``%heap --retained``, ``%retained``, the retained-size widget) only render what it
returns: :class:`Retainer` rows, :class:`RetainedNode` s and :class:`Subtree` tables.
Nodes are snapshot rows (``snap.node(obj)``); ``-1`` is the virtual root above all
roots.

>>> from pympler_nb.core import heap
>>> box = {"data": [bytearray(1000) for _ in range(3)]}
>>> snap = heap.take(roots=[box])
>>> tree = heap.DominatorTree(snap)
>>> top = snap.node(box)
>>> tree.retained(top) == snap.size          # box holds everything in this snapshot
True
>>> tree.dominator(top)                      # only the virtual root above it
-1
>>> [snap.type_of(v) for v in tree.children(top)]  # the list, then the key 'data'
['list', 'str']
>>> len(tree.dominated(top)) == len(snap) == tree.count(top) == 6
True
>>> [(r.type, r.count) for r in tree.top_retainers(2)]
[('dict', 6), ('list', 4)]
"""

from __future__ import annotations

import heapq
from array import array
from itertools import compress
from operator import not_

from .._accel import speedups
from .._format import format_size
from .._graphwalk import GraphEdge, GraphModel, GraphNode
from .._layout import count_elements
from .discovery import drain
from ..values import Frozen, check_int
from .sets import HeapSet

__all__ = ["DominatorTree", "Retainer", "RetainedNode", "Subtree", "immediate_dominators",
           "graph_columns"]


class DominatorTree(Frozen):
    """The dominator tree of a :class:`~pympler_nb.core.heap.HeapSnapshot`.

    ``DominatorTree(snap)`` (or ``snap.dominators()``) computes the tree once per
    snapshot (its tables are kept with the snapshot: later trees of the same
    snapshot are free) and answers from it.  A node is a row of the snapshot (``snap.node(obj)``,
    ``HeapSet.nodes``); ``-1`` is the virtual root whose children are the roots.

    Attributes
    ----------
    snapshot : HeapSnapshot
    total_retained : int
        Flat size of all reachable objects (the virtual root's retained size).
    total_count : int
        Number of reachable objects.
    """

    __slots__ = ("snapshot", "_idom", "_retained", "_counts", "total_retained",
                 "total_count")

    def __init__(self, snapshot):
        if not callable(getattr(snapshot, "_dom_data", None)):
            raise TypeError("DominatorTree needs a HeapSnapshot (heap.take() or heap.load()), "
                            "got %s" % type(snapshot).__name__)
        idom, retained, total, m = snapshot._dom_data()
        cache = snapshot._cache
        counts = cache.get("domcount")
        if counts is None:  # objects each row dominates, itself included (bottom-up)
            counts = [1] * len(snapshot)
            for v in reversed(snapshot._bfs()):
                p = idom[v]
                if p >= 0:
                    counts[p] += counts[v]
            cache["domcount"] = counts
        self._set(snapshot=snapshot, _idom=idom, _retained=retained, _counts=counts,
                  total_retained=total, total_count=m)

    def __len__(self) -> int:
        """Number of reachable objects (the nodes below the virtual root)."""
        return self.total_count

    def __repr__(self):
        return "<DominatorTree of %d reachable objects, %d bytes>" % (
            self.total_count, self.total_retained)

    # -- one node -------------------------------------------------------------------

    def _check(self, node, virtual: bool = True) -> int:
        if isinstance(node, bool) or not isinstance(node, int):
            raise TypeError("a node is a snapshot row (an int, e.g. snap.node(obj)), got %s"
                            % type(node).__name__)
        if node == -1 and virtual:
            return node
        if not 0 <= node < len(self._idom):
            raise IndexError("node %d is not a row of this snapshot (0..%d%s)"
                             % (node, len(self._idom) - 1, ", or -1 for the virtual root"
                                if virtual else ""))
        return node

    def is_reachable(self, node: int) -> bool:
        """Whether row ``node`` is reachable from the roots (in the tree)."""
        return node == -1 or self._idom[self._check(node)] != -2

    def retained(self, node: int) -> int:
        """Retained size of row ``node``: the flat sizes of what it dominates, itself
        included (0 for an unreachable row; ``-1``: all reachable objects)."""
        if self._check(node) == -1:
            return self.total_retained
        return self._retained[node]

    def count(self, node: int) -> int:
        """Objects row ``node`` dominates, itself included (0 if unreachable)."""
        if self._check(node) == -1:
            return self.total_count
        return self._counts[node] if self._idom[node] != -2 else 0

    def dominator(self, node: int) -> int:
        """Row of the immediate dominator of ``node`` (``-1``: the virtual root).

        Raises ``KeyError`` for an unreachable row (it has no dominator)."""
        d = self._idom[self._check(node, virtual=False)]
        if d == -2:
            raise KeyError("row %d is not reachable from the roots: it has no dominator" % node)
        return d

    def children(self, node: int = -1) -> list:
        """Rows ``node`` dominates directly, largest retained size first (ties in the
        snapshot's breadth-first order); ``-1``: the roots' tree tops."""
        kids = self._children_of(self._check(node))
        kids.sort(key=self._retained.__getitem__, reverse=True)
        return kids

    def dominated(self, node: int) -> HeapSet:
        """Everything ``node`` dominates, itself included, as a
        :class:`~pympler_nb.core.heap.HeapSet` (what freeing it would free)."""
        if self._check(node) != -1 and self._idom[node] == -2:
            return HeapSet(self.snapshot, array("i"), "dominated by row %d" % node)
        out = [] if node == -1 else [node]
        stack = self._children_of(node)
        while stack:
            v = stack.pop()
            out.append(v)
            stack.extend(self._children_table().get(v, ()))
        out.sort()
        return HeapSet(self.snapshot, array("i", out),
                       "dominated by %s" % ("<roots>" if node == -1 else "row %d" % node))

    def node(self, node: int = -1, name: str | None = None) -> "RetainedNode":
        """Row ``node`` (default: the virtual root) as a :class:`RetainedNode`, named
        ``name`` (default: its type).  Raises ``KeyError`` if it is unreachable."""
        if self._check(node) != -1 and self._idom[node] == -2:
            raise KeyError("row %d is not reachable from the roots (see unreachable())" % node)
        return RetainedNode(self.snapshot, node, name)

    # -- many nodes -----------------------------------------------------------------

    def top_retainers(self, n: int = 10, *, min_size: int = 0, within=None) -> list:
        """The ``n`` objects with the largest retained sizes (above ``min_size``), as
        :class:`Retainer` rows, largest first (ties in row order).

        ``within`` (a :class:`~pympler_nb.core.heap.HeapSet` of this snapshot) limits
        the candidates to its objects.  Objects that dominate each other are all listed
        (a module dict and the objects it holds): :meth:`children` shows the nesting.
        """
        check_int(n, "n")
        snap = self.snapshot
        if within is None:
            candidates = range(len(snap))
        elif isinstance(within, HeapSet) and within.snapshot is snap:
            candidates = within._nodes
        else:
            raise TypeError("within must be a HeapSet of this snapshot, got %s"
                            % type(within).__name__)
        retained = self._retained
        best = heapq.nlargest(n, candidates, key=retained.__getitem__)
        return [Retainer(snap._ids[v], snap.type_of(v), snap._sizes[v], retained[v],
                         self._counts[v])
                for v in best if retained[v] > min_size]

    def retained_by_group(self, nodes, groups, ngroups: int) -> list:
        """Retained size of groups of objects: the retained sizes of the group's objects
        that no other object of the group dominates, summed (Eclipse MAT's "minimum
        retained size" per class; a lower bound of what freeing the whole group would
        free, see :meth:`Partition.retained <pympler_nb.core.heap.Partition.retained>`).

        ``nodes`` are rows, ``groups`` their group numbers (``0 <= g < ngroups``,
        parallel to ``nodes``).  Returns one total per group.  One depth-first walk of
        the tree, with a count per group of its members on the current path.
        """
        label = array("i", [-1]) * len(self._idom)
        drain(map(label.__setitem__, nodes, groups))
        on_path = [0] * ngroups
        total = [0] * ngroups
        retained = self._retained
        table = self._children_table()
        stack = list(table.get(-1, ()))
        while stack:
            v = stack.pop()
            if v < 0:  # leaving ~v
                on_path[label[~v]] -= 1
                continue
            g = label[v]
            if g >= 0:
                if not on_path[g]:
                    total[g] += retained[v]
                on_path[g] += 1
                stack.append(~v)
            stack.extend(table.get(v, ()))
        return total

    def subtree(self, node: int = -1, name: str | None = None) -> "Subtree":
        """The tree below ``node`` copied into flat columns (see :class:`Subtree`), in
        breadth-first order, children in :meth:`children` order."""
        return Subtree(self, self.node(node, name))

    # -- the children table (cached with the snapshot) ------------------------------

    def _children_table(self) -> dict:
        """``{row: [directly dominated rows]}`` (``-1``: the virtual root), in
        breadth-first order."""
        cache = self.snapshot._cache
        kids = cache.get("kids")
        if kids is None:
            idom = self._idom
            kids = {}
            for v in self.snapshot._bfs():
                kids.setdefault(idom[v], []).append(v)
            cache["kids"] = kids
        return kids

    def _children_of(self, node: int) -> list:
        return list(self._children_table().get(node, ()))


class Retainer(Frozen):
    """A top retainer: ``id``, ``type``, ``size`` (flat), ``retained`` (bytes it alone
    keeps alive, itself included) and ``count`` (objects it dominates, itself included)."""

    __slots__ = ("id", "type", "size", "retained", "count")

    def __init__(self, id, type, size, retained, count):
        self._set(id=id, type=type, size=size, retained=retained, count=count)

    def __repr__(self):
        return "<Retainer %s id=%#x size=%d retained=%d count=%d>" % (
            self.type, self.id, self.size, self.retained, self.count)

    def __eq__(self, other):
        if type(other) is not Retainer:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash((self.id, self.retained))


class RetainedNode(Frozen):
    """A node of the dominator tree, browsed lazily (:meth:`children` on demand).

    ``snap.retained_tree(obj)`` or ``DominatorTree.node(row)``.

    Attributes
    ----------
    id : int
        ``id()`` of the object when the snapshot was taken (0 for the virtual root).
    name : str
        How its dominator refers to it (``.attr``, ``['k']``, ``[3]``) when that is a
        direct reference recorded with ``take(via=True)``, else the type.
    type : str
    size : int
        Flat size.
    retained : int
        Retained size: flat sizes of everything it dominates, itself included.
    count : int
        Objects it dominates, itself included.
    node : int
        Its row in the snapshot (what :meth:`HeapSnapshot.node` returns; -1 for the
        virtual root).
    """

    __slots__ = ("snapshot", "node", "id", "name", "type", "size", "retained", "count")

    def __init__(self, snapshot, node, name=None):
        tree = snapshot.dominators()
        if node == -1:  # the virtual root
            self._set(snapshot=snapshot, node=-1, id=0, name=name or "<roots>", type="<roots>",
                      size=0, retained=tree.total_retained, count=tree.total_count)
            return
        tname = snapshot.type_of(node)
        self._set(snapshot=snapshot, node=node, id=snapshot._ids[node], name=name or tname,
                  type=tname, size=snapshot._sizes[node], retained=tree.retained(node),
                  count=tree.count(node))

    @property
    def tree(self) -> DominatorTree:
        """The :class:`DominatorTree` this node belongs to."""
        return self.snapshot.dominators()

    def children(self, limit: int | None = None) -> list:
        """The objects this one dominates directly, largest retained size first."""
        kids = self.tree.children(self.node)
        if limit is not None:
            kids = kids[:limit]
        snap = self.snapshot
        return [RetainedNode(snap, k, snap._edge_label(self.node, k)) for k in kids]

    def child_count(self) -> int:
        """How many objects this one dominates directly."""
        return len(self.tree._children_of(self.node))

    def subtree(self) -> "Subtree":
        """Everything below this node, copied into flat columns (:class:`Subtree`)."""
        return Subtree(self.tree, self)

    def to_graph(self, max_nodes: int | None = 500) -> GraphModel:
        """The dominator tree below this node as a :class:`GraphModel` (see
        :meth:`Subtree.to_graph`; the whole subtree is copied first)."""
        return self.subtree().to_graph(max_nodes)

    def __repr__(self):
        return "<RetainedNode %s id=%#x size=%d retained=%d>" % (
            self.name, self.id, self.size, self.retained)


class Subtree(Frozen):
    """The dominator tree below one :class:`RetainedNode`, copied into flat columns.

    Rows are numbered breadth-first from 0 (the node itself); the children of row
    ``i`` are rows ``first[i]`` to ``first[i + 1] - 1``, largest retained size first (as
    :meth:`RetainedNode.children` lists them).  It holds no reference to the snapshot
    (about 40 bytes per row), so a view can keep it after the snapshot is dropped.

    Attributes
    ----------
    name : str
        The node's name.
    first : array of int
        ``len(subtree) + 1`` offsets of each row's children.
    ids, sizes, retained : array of int
        Per row: ``id()`` at the time of the snapshot, flat size, retained size.
    type_names : list of str
    type_codes : array of int
        Per row, an index into ``type_names``.
    label_names : list of str
    label_codes : array of int
        Per row, an index into ``label_names``: how its dominator refers to it
        (``.attr``, ``['key']``, ``[3]``) when the snapshot was taken with
        ``take(via=True)`` and the reference is direct; -1 otherwise (and for row 0).
    """

    __slots__ = ("name", "first", "ids", "sizes", "retained", "type_names", "type_codes",
                 "label_names", "label_codes")

    def __init__(self, tree: DominatorTree, top: RetainedNode):
        snap = tree.snapshot
        rows = [top.node]
        first = array("q")
        pos = 0
        while pos < len(rows):
            first.append(len(rows))
            rows.extend(tree.children(rows[pos]))
            pos += 1
        first.append(len(rows))
        below = rows[1:]  # row 0 may be the virtual root: its values come from ``top``
        sizes = array("q", [top.size])
        sizes.extend(map(snap._sizes.__getitem__, below))
        retained = array("q", [top.retained])
        retained.extend(map(tree._retained.__getitem__, below))
        ids = array("Q", [top.id])
        ids.extend(map(snap._ids.__getitem__, below))
        type_names = [top.type]
        codes: dict = {}
        tidx = array("i", map(snap._tidx.__getitem__, below))
        for t in dict.fromkeys(tidx):
            codes[t] = len(type_names)
            type_names.append(snap._type_names[t])
        type_codes = array("i", [0])
        type_codes.extend(map(codes.__getitem__, tidx))
        del tidx
        label_names: list = []
        label_codes = array("i", [-1]) * len(rows)
        if snap._via is not None:
            name_code: dict = {}
            off, tgt, via, via_names = snap._off, snap._tgt, snap._via, snap._via_names
            for i in range(len(rows)):
                lo, hi = first[i], first[i + 1]
                if lo == hi or rows[i] < 0:
                    continue
                wanted = dict.fromkeys(rows[lo:hi])
                a, b = off[rows[i]], off[rows[i] + 1]
                labels: dict = {}
                for t, v in zip(tgt[a:b], via[a:b]):
                    if t in wanted and t not in labels:
                        labels[t] = v
                for j in range(lo, hi):
                    v = labels.get(rows[j])
                    if v is not None:
                        text = via_names[v]
                        c = name_code.get(text)
                        if c is None:
                            c = name_code[text] = len(label_names)
                            label_names.append(text)
                        label_codes[j] = c
        self._set(name=top.name, first=first, ids=ids, sizes=sizes, retained=retained,
                  type_names=type_names, type_codes=type_codes, label_names=label_names,
                  label_codes=label_codes)

    def __len__(self) -> int:
        return len(self.ids)

    def to_graph(self, max_nodes: int | None = 500) -> GraphModel:
        """The tree as a :class:`GraphModel`: each object points to the objects it alone
        keeps alive directly (``direction="refs"``; the label says how it refers to
        them when the snapshot recorded it), each node's text its retained size.

        At most ``max_nodes`` objects (None: all), breadth-first; the children cut
        from a node become one ``"more"`` node under it (``truncated`` is then True).
        """
        check_int(max_nodes, "max_nodes", 1, none="every object")
        ids, first, names, codes = self.ids, self.first, self.label_names, self.label_codes
        keep = len(ids) if max_nodes is None else min(len(ids), max_nodes)
        depth = [0] * keep
        nodes = []
        edges = []
        more = 0
        for i in range(keep):
            nodes.append(GraphNode(id=ids[i], type=self.type_names[self.type_codes[i]],
                                   size=self.sizes[i], repr="retains " + format_size(self.retained[i]),
                                   depth=depth[i], root=i == 0))
            lo, hi = first[i], first[i + 1]
            for j in range(lo, min(hi, keep)):
                depth[j] = depth[i] + 1
                edges.append(GraphEdge(ids[i], ids[j], names[codes[j]] if codes[j] >= 0 else ""))
            cut = hi - max(lo, keep)
            if cut > 0:
                more += 1
                nodes.append(GraphNode(id=-more, type="", size=0, repr=f"+{cut} more", kind="more",
                                       count=cut, depth=depth[i] + 1))
                edges.append(GraphEdge(ids[i], -more, ""))
        return GraphModel(nodes, edges, roots=(ids[0],) if keep else (), truncated=more > 0,
                          direction="refs")

    def __repr__(self):
        return "<Subtree %s: %d objects, retained %d bytes>" % (
            self.name, len(self.ids), self.retained[0])


# --------------------------------------------------------------------------
# dominators: Cooper-Harvey-Kennedy over a breadth-first numbering
# --------------------------------------------------------------------------

def graph_columns(off, tgt, roots) -> tuple:
    """The snapshot's graph columns as the C loops read them: ``off`` an ``array('q')``,
    ``tgt`` and ``roots`` ``array('i')`` (converted if a snapshot holds other types)."""
    if not (isinstance(off, array) and off.typecode == "q"):
        off = array("q", off)
    if not (isinstance(tgt, array) and tgt.typecode == "i"):
        tgt = array("i", tgt)
    if not (isinstance(roots, array) and roots.typecode == "i"):
        roots = array("i", roots)
    return off, tgt, roots


def immediate_dominators(snap) -> tuple:
    """``(idom, retained, total_retained, total_count)`` of the snapshot's rows (see
    :meth:`HeapSnapshot._dom_data`); on the accelerated path also the per-row counts of
    dominated objects, stored in the snapshot's cache (``'domcount'``)."""
    sp = speedups()
    if sp is not None:
        order = snap._bfs()
        off, tgt, roots = graph_columns(snap._off, snap._tgt, snap._roots)
        sizes = snap._sizes
        if not (isinstance(sizes, array) and sizes.typecode == "q"):
            sizes = array("q", sizes)
        idom, retained, total, m, counts = sp.dominators(len(snap), order, off, tgt, roots, sizes)
        snap._cache["domcount"] = counts
        return idom, retained, total, m
    n = len(snap)
    order = snap._bfs()  # reachable rows, breadth-first from the roots
    m = len(order)
    # rank space: 0 = virtual root, rows get 1..m in breadth-first order
    rank = array("i", [0]) * n  # 0 also for unreachable rows (their edges are dropped)
    drain(map(rank.__setitem__, order, range(1, m + 1)))
    src, dst = snap._edges()
    rs = list(map(rank.__getitem__, src))
    rd = list(map(rank.__getitem__, dst))
    # drop edges from unreachable rows (rank 0), into the roots' own rank 0, self-loops
    keep = list(map(bool, map(int.__mul__, rs, rd)))
    rs = list(compress(rs, keep))
    rd = list(compress(rd, keep))
    del keep
    roots = set(map(rank.__getitem__, snap._roots))
    # in-degrees (the virtual root counts as one referrer of each root)
    indeg = [0] * (m + 1)
    cnt: dict = {}
    count_elements(cnt, rd)
    for v, c in cnt.items():
        indeg[v] = c
    del cnt
    for r in roots:
        indeg[r] += 1
    idom = [-1] * (m + 1)
    idom[0] = 0
    for r in roots:
        if indeg[r] == 1:
            idom[r] = 0
    # rows with a single referrer: that referrer is the immediate dominator
    single = list(map((1).__eq__, map(indeg.__getitem__, rd)))
    drain(map(idom.__setitem__, compress(rd, single), compress(rs, single)))
    # the others: predecessor lists, then iterate to the fixed point
    multi_mask = list(map(not_, single))
    del single
    preds: dict = {}
    for d, s in zip(compress(rd, multi_mask), compress(rs, multi_mask)):
        p = preds.get(d)
        if p is None:
            preds[d] = [s]
        else:
            p.append(s)
    del multi_mask, rs, rd
    for r in roots:
        if r in preds:
            preds[r].append(0)
    multi = sorted(preds)
    first = True
    changed = True
    while changed:
        changed = False
        for v in multi:
            new = -1
            for p in preds[v]:
                if first and p >= v:
                    continue  # not numbered yet on the first pass
                if idom[p] == -1:
                    continue
                if new == -1:
                    new = p
                    continue
                a = p
                b = new
                while a != b:
                    while a > b:
                        a = idom[a]
                    while b > a:
                        b = idom[b]
                new = a
                if new == 0:
                    break
            if new != idom[v]:
                idom[v] = new
                changed = True
        first = False
    # back to rows; retained sizes bottom-up (reverse breadth-first order)
    sizes = snap._sizes
    ret_r = [0] * (m + 1)
    drain(map(ret_r.__setitem__, range(1, m + 1), map(sizes.__getitem__, order)))
    for v in range(m, 0, -1):
        ret_r[idom[v]] += ret_r[v]
    idom_rows = [-2] * n
    row_of = [-1] + order  # rank -> row (-1 for the virtual root)
    drain(map(idom_rows.__setitem__, order, map(row_of.__getitem__, idom[1:])))
    retained = [0] * n
    drain(map(retained.__setitem__, order, ret_r[1:]))
    return idom_rows, retained, ret_r[0], m

