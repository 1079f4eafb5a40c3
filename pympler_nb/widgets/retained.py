"""A :class:`~pympler_nb.widgets.SizeTree` source over a heap snapshot's dominator tree.

:class:`RetainedTreeSource` shows what an object keeps alive: a node's children are the
objects it *dominates directly* (every path from the roots to them passes through it),
largest retained size first, exactly as
:meth:`RetainedNode.children() <pympler_nb.core.heap.RetainedNode.children>` lists
them.  A row's ``size`` is its retained size (what freeing it would free), ``flat`` its
own size, so a node's retained size is its flat size plus its children's retained sizes.

>>> from pympler_nb.core import heap
>>> box = [bytearray(1000) for _ in range(3)]
>>> snap = heap.take()
>>> src = RetainedTreeSource(snap.retained_tree(box), name="box")
>>> [(n.id, n.name, n.type) for n in src.roots()]
[('0', 'box', 'list')]
>>> kids, total = src.children("0", 0, 10)
>>> total, [k.type for k in kids]
(3, ['bytearray', 'bytearray', 'bytearray'])
>>> src.roots()[0].size == src.roots()[0].flat + sum(k.size for k in kids)
True

The source takes the part of the dominator tree below its root as flat arrays
(:meth:`RetainedNode.subtree() <pympler_nb.core.heap.RetainedNode.subtree>`, the
engine's copy) when it is built and keeps **no reference to the snapshot** (nor to any object:
a snapshot holds ids and numbers only).  A whole-heap snapshot with its dominator tree
takes about 250 bytes per object; the source keeps about 40 bytes per object *below its
root*, and the snapshot can be freed as soon as the caller drops it.
"""

from __future__ import annotations

from ..core.heap import RetainedNode
from .size_tree import NodeInfo, TreeSource

__all__ = ["RetainedTreeSource"]


class RetainedTreeSource(TreeSource):
    """The dominator (retained-size) tree below one :class:`RetainedNode`.

    Parameters
    ----------
    node : RetainedNode
        The root, e.g. ``snapshot.retained_tree(obj)``.
    name : str, optional
        What the root row shows (default: ``node.name``).

    Notes
    -----
    Node ids are decimal positions in the copied tree (``"0"`` is the root).  Only the
    ids of rows handed out by :meth:`roots` or :meth:`children` are accepted; any other
    id (forged, out of range, not in canonical decimal form) raises :class:`NodeGone`, as
    does every call after :meth:`release`.  Children names are how the dominator refers to
    the object (``.attr``, ``['key']``, ``[3]``) when the snapshot was taken with
    ``take(via=True)`` and the reference is direct; otherwise the type.
    """

    def __init__(self, node: RetainedNode, *, name: str | None = None):
        if not isinstance(node, RetainedNode):
            raise TypeError(f"RetainedTreeSource(node): expected a RetainedNode (e.g. "
                            f"snapshot.retained_tree(obj)), got {type(node).__name__}")
        # the engine copies the tree below ``node`` into flat columns (breadth-first;
        # the children of local row i are rows first[i] .. first[i+1]-1, in
        # RetainedNode.children() order) and keeps no reference to the snapshot
        sub = node.subtree()
        self._first = sub.first
        self._size = sub.sizes
        self._retained = sub.retained
        self._ids = sub.ids
        self._types = sub.type_names
        self._type = sub.type_codes
        self._names = sub.label_names
        self._name = sub.label_codes  # -1: the type
        self._root_name = str(name) if name is not None else node.name
        self._shown = bytearray(len(sub))  # ids handed out (validation of requests)
        self._shown[0] = 1

    # -- the TreeSource protocol ------------------------------------------------------
    def _info(self, i: int) -> NodeInfo:
        if i == 0:
            label = self._root_name
        else:
            c = self._name[i]
            label = self._types[self._type[i]] if c < 0 else self._names[c]
        return NodeInfo(str(i), label, self._types[self._type[i]], self._retained[i], self._size[i],
                        self._first[i + 1] > self._first[i])

    def roots(self) -> list[NodeInfo]:
        if self._first is None:
            return []
        return [self._info(0)]

    def _index(self, node_id) -> int:
        return self.row_index(node_id, self._shown, self._first is None)

    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        i = self._index(node_id)
        lo, hi = self._first[i], self._first[i + 1]
        total = hi - lo
        start = lo + min(max(0, offset), total)
        end = min(hi, start + max(0, count))
        out = []
        for j in range(start, end):
            self._shown[j] = 1
            out.append(self._info(j))
        return out, total

    def object_id(self, node_id: str) -> int:
        """``id()`` of a shown node's object at the time of the snapshot."""
        return self._ids[self._index(node_id)]

    def release(self) -> None:
        self._first = None
        self._shown = bytearray()
        self._size = self._retained = self._type = self._name = self._ids = None
        self._names = []

    def __repr__(self):
        if self._first is None:
            return "<RetainedTreeSource released>"
        return (f"<RetainedTreeSource {self._root_name!r}: {len(self._shown)} objects, "
                f"retained {self._retained[0]} bytes>")
